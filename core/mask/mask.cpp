// Binary masks and the COCO run-length codec.
//
// The RLE layout and the compressed string form follow the behaviour of pycocotools (cocoapi
// common/maskApi.c: rleEncode, rleToBbox, rleToString, rleFrString); this is an independent
// implementation written from that description (see ../shared/design/coco.md).
#include "core/mask/mask.h"

#include <algorithm>
#include <cstring>
#include <limits>

#include <opencv2/core.hpp>

#include "core/util/error.h"

namespace xs {

namespace {

void require_same_size(const Mask& a, const Mask& b, const char* op) {
    if (a.width() != b.width() || a.height() != b.height()) {
        throw Error(std::string(op) + ": mask sizes differ (" + std::to_string(a.width()) + "x" +
                    std::to_string(a.height()) + " vs " + std::to_string(b.width()) + "x" +
                    std::to_string(b.height()) + ")");
    }
}

uint64_t counts_sum(const std::vector<uint32_t>& counts) {
    uint64_t s = 0;
    for (uint32_t c : counts) s += c;
    return s;
}

std::string size_text(int height, int width) {
    return std::to_string(height) + " x " + std::to_string(width);
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Mask

int64_t Mask::area() const {
    int64_t n = 0;
    for (uint8_t v : data_) n += (v != 0);
    return n;
}

namespace {

// First and last non-zero byte of a row (scanning 8 bytes at a time); false if the row is all zero.
bool row_extent(const uint8_t* row, int w, int& first, int& last) {
    int i = 0;
    while (i + 8 <= w) {
        uint64_t word;
        std::memcpy(&word, row + i, 8);
        if (word) break;
        i += 8;
    }
    while (i < w && !row[i]) ++i;
    if (i >= w) return false;
    first = i;
    int j = w;
    while (j - 8 >= i) {
        uint64_t word;
        std::memcpy(&word, row + j - 8, 8);
        if (word) break;
        j -= 8;
    }
    while (!row[j - 1]) --j;
    last = j - 1;
    return true;
}

}  // namespace

bool Mask::any() const {
    const size_t n = data_.size();
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t word;
        std::memcpy(&word, data_.data() + i, 8);
        if (word) return true;
    }
    for (; i < n; ++i) {
        if (data_[i]) return true;
    }
    return false;
}

BBox Mask::bbox() const {
    // For a canonical encoding pycocotools' rleToBbox gives the tight box of the set pixels.
    int x0 = width_, y0 = height_, x1 = -1, y1 = -1;
    for (int y = 0; y < height_; ++y) {
        int first = 0, last = 0;
        if (!row_extent(data_.data() + size_t(y) * width_, width_, first, last)) continue;
        x0 = std::min(x0, first);
        x1 = std::max(x1, last);
        if (y1 < 0) y0 = y;
        y1 = y;
    }
    if (x1 < 0) return BBox{};
    return BBox{x0, y0, x1 - x0 + 1, y1 - y0 + 1};
}

Mask mask_union(const Mask& a, const Mask& b) {
    require_same_size(a, b, "mask_union");
    Mask out(a.width(), a.height());
    const size_t n = size_t(a.width()) * a.height();
    for (size_t i = 0; i < n; ++i) out.data()[i] = (a.data()[i] | b.data()[i]) ? 1 : 0;
    return out;
}

Mask mask_intersection(const Mask& a, const Mask& b) {
    require_same_size(a, b, "mask_intersection");
    Mask out(a.width(), a.height());
    const size_t n = size_t(a.width()) * a.height();
    for (size_t i = 0; i < n; ++i) out.data()[i] = (a.data()[i] && b.data()[i]) ? 1 : 0;
    return out;
}

Mask mask_subtract(const Mask& a, const Mask& b) {
    require_same_size(a, b, "mask_subtract");
    Mask out(a.width(), a.height());
    const size_t n = size_t(a.width()) * a.height();
    for (size_t i = 0; i < n; ++i) out.data()[i] = (a.data()[i] && !b.data()[i]) ? 1 : 0;
    return out;
}

double mask_iou(const Mask& a, const Mask& b) {
    require_same_size(a, b, "mask_iou");
    int64_t inter = 0, uni = 0;
    const size_t n = size_t(a.width()) * a.height();
    for (size_t i = 0; i < n; ++i) {
        const bool va = a.data()[i] != 0, vb = b.data()[i] != 0;
        inter += (va && vb);
        uni += (va || vb);
    }
    return uni == 0 ? 0.0 : double(inter) / double(uni);
}

// ---------------------------------------------------------------------------------------------
// RLE

Rle rle_encode(const Mask& mask) {
    Rle r;
    r.height = std::max(0, mask.height());
    r.width = std::max(0, mask.width());
    const uint64_t h = uint64_t(r.height);
    const uint64_t n = h * uint64_t(r.width);
    // Runs over the mask in column-major order; a run closes whenever the value flips and the first
    // run counts zeros (so a set first pixel yields a leading 0). Everything outside the bounding
    // box is zero, so only the box is visited: it is transposed into column-major order (OpenCV's
    // blocked transpose beats strided reads) and scanned column by column.
    const BBox b = mask.bbox();
    if (b.empty()) {
        r.counts.push_back(uint32_t(n));
        return r;
    }
    const int bw = b.w, bh = b.h;
    std::vector<uint8_t> sub(size_t(bw) * size_t(bh));
    {
        const cv::Mat src(r.height, r.width, CV_8U, const_cast<uint8_t*>(mask.data()));
        cv::Mat dst(bw, bh, CV_8U, sub.data());
        cv::transpose(src(cv::Rect(b.x, b.y, bw, bh)), dst);
    }
    uint8_t current = 0;
    uint64_t run_start = 0;
    auto flip_at = [&](uint64_t g) {
        r.counts.push_back(uint32_t(g - run_start));
        run_start = g;
        current ^= 1;
    };
    for (int c = 0; c < bw; ++c) {
        const uint8_t* seg = sub.data() + size_t(c) * bh;
        const uint64_t base = uint64_t(b.x + c) * h + uint64_t(b.y);
        int k = 0;
        while (k < bh) {
            if (current == 0) {  // skip zeros 8 at a time
                while (k + 8 <= bh) {
                    uint64_t word;
                    std::memcpy(&word, seg + k, 8);
                    if (word) break;
                    k += 8;
                }
                while (k < bh && !seg[k]) ++k;
            } else {
                while (k < bh && seg[k]) ++k;
            }
            if (k < bh) flip_at(base + uint64_t(k));
        }
        // The pixel after this window column is zero unless the next window column starts there.
        const uint64_t next = base + uint64_t(bh);
        const bool contiguous = c + 1 < bw && bh == r.height;
        if (current == 1 && !contiguous && next < n) flip_at(next);
    }
    r.counts.push_back(uint32_t(n - run_start));
    return r;
}

static void check_rle_sum(const Rle& rle, const char* what) {
    if (rle.height < 0 || rle.width < 0) {
        throw Error(std::string(what) + ": negative RLE size " + size_text(rle.height, rle.width));
    }
    const uint64_t expected = uint64_t(rle.height) * uint64_t(rle.width);
    const uint64_t sum = counts_sum(rle.counts);
    if (sum != expected) {
        throw Error(std::string(what) + ": RLE counts sum to " + std::to_string(sum) + ", expected " +
                    std::to_string(expected) + " (= " + size_text(rle.height, rle.width) + ")");
    }
}

Mask rle_decode(const Rle& rle) {
    check_rle_sum(rle, "rle_decode");
    Mask m(rle.width, rle.height);
    const int h = rle.height, w = rle.width;
    if (h == 0 || w == 0) return m;
    uint8_t* d = m.data();
    // Walk (x, y) in column-major order alongside the runs; no division per pixel.
    uint64_t x = 0, y = 0;
    bool value = false;
    for (uint32_t c : rle.counts) {
        if (value) {
            for (uint32_t i = 0; i < c; ++i) {
                d[y * uint64_t(w) + x] = 1;
                if (++y == uint64_t(h)) {
                    y = 0;
                    ++x;
                }
            }
        } else {
            const uint64_t pos = x * uint64_t(h) + y + c;
            x = pos / uint64_t(h);
            y = pos % uint64_t(h);
        }
        value = !value;
    }
    return m;
}

int64_t rle_area(const Rle& rle) {
    int64_t a = 0;
    for (size_t i = 1; i < rle.counts.size(); i += 2) a += rle.counts[i];
    return a;
}

BBox rle_bbox(const Rle& rle) {
    // Same arithmetic as pycocotools (unsigned 32-bit), including the rule that a run of ones
    // crossing a column boundary spans the full height. A trailing unpaired run is ignored.
    const size_t m = (rle.counts.size() / 2) * 2;
    if (m == 0 || rle.height <= 0) return BBox{};
    const uint32_t h = uint32_t(rle.height), w = uint32_t(rle.width);
    uint32_t xs = w, ys = h, xe = 0, ye = 0, xp = 0, cc = 0;
    for (size_t j = 0; j < m; ++j) {
        cc += rle.counts[j];
        const uint32_t t = cc - uint32_t(j % 2);
        const uint32_t y = t % h;
        const uint32_t x = (t - y) / h;
        if (j % 2 == 0) {
            xp = x;
        } else if (xp < x) {
            ys = 0;
            ye = h - 1;
        }
        xs = std::min(xs, x);
        xe = std::max(xe, x);
        ys = std::min(ys, y);
        ye = std::max(ye, y);
    }
    return BBox{int(xs), int(ys), int(xe - xs + 1), int(ye - ys + 1)};
}

std::string rle_to_string(const Rle& rle) {
    std::string s;
    s.reserve(rle.counts.size() * 2);
    for (size_t i = 0; i < rle.counts.size(); ++i) {
        int64_t x = int64_t(rle.counts[i]);
        if (i > 2) x -= int64_t(rle.counts[i - 2]);
        // 5 payload bits per character, least significant group first; 0x20 = continuation,
        // 0x10 in the last group = sign. Arithmetic shift keeps negative values negative.
        bool more = true;
        while (more) {
            int c = int(x & 0x1f);
            x >>= 5;
            more = (c & 0x10) ? (x != -1) : (x != 0);
            if (more) c |= 0x20;
            s.push_back(char(c + 48));
        }
    }
    return s;
}

Rle rle_from_string(const std::string& counts, int height, int width) {
    if (height < 0 || width < 0) {
        throw Error("RLE size " + size_text(height, width) + " is negative");
    }
    Rle r;
    r.height = height;
    r.width = width;
    size_t p = 0;
    while (p < counts.size()) {
        int64_t x = 0;
        int k = 0;
        bool more = true;
        const size_t start = p;
        while (more) {
            if (p >= counts.size()) {
                throw Error("RLE counts string ends in the middle of a value (at character " +
                            std::to_string(start) + ")");
            }
            const int ch = static_cast<unsigned char>(counts[p]);
            if (ch < 48 || ch > 48 + 63) {
                throw Error("RLE counts string has an invalid character '" + std::string(1, char(ch)) +
                            "' at position " + std::to_string(p));
            }
            if (k >= 7) {
                throw Error("RLE counts string has a value too long at position " + std::to_string(start));
            }
            const int c = ch - 48;
            x |= int64_t(c & 0x1f) << (5 * k);
            more = (c & 0x20) != 0;
            ++p;
            ++k;
            if (!more && (c & 0x10)) x |= -(int64_t(1) << (5 * k));  // sign-extend
        }
        const size_t i = r.counts.size();
        if (i > 2) x += int64_t(r.counts[i - 2]);
        if (x < 0 || x > int64_t(std::numeric_limits<uint32_t>::max())) {
            throw Error("RLE counts string decodes to an invalid run length " + std::to_string(x) +
                        " (run " + std::to_string(i) + ")");
        }
        r.counts.push_back(uint32_t(x));
    }
    const uint64_t expected = uint64_t(height) * uint64_t(width);
    const uint64_t sum = counts_sum(r.counts);
    if (sum != expected) {
        throw Error("RLE counts sum to " + std::to_string(sum) + ", expected " + std::to_string(expected) +
                    " (= " + size_text(height, width) + ")");
    }
    return r;
}

}  // namespace xs
