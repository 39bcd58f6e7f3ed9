#include "core/mask/mask_scale.h"

#include <string>
#include <vector>

#include "core/util/error.h"

namespace xs {

namespace {

// Builds COCO counts from (value, length) pieces: starts with a run of zeros (maybe empty), merges
// equal neighbours and drops empty pieces, so the result is what rle_encode() would write.
class CountsBuilder {
public:
    void add(int value, uint64_t len) {
        if (len == 0) return;
        if (value == value_) {
            len_ += len;
        } else {
            push();
            value_ = value;
            len_ = len;
        }
    }
    std::vector<uint32_t> finish() {
        push();
        return std::move(counts_);
    }

private:
    void push() {
        if (len_ > UINT32_MAX) throw Error("mask run longer than 2^32 pixels");
        counts_.push_back(uint32_t(len_));
        len_ = 0;
    }
    int value_ = 0;
    uint64_t len_ = 0;
    std::vector<uint32_t> counts_;
};

void check_counts(const Rle& r, const char* what) {
    if (r.width <= 0 || r.height <= 0) throw Error(std::string(what) + ": mask has an empty size");
    uint64_t sum = 0;
    for (uint32_t c : r.counts) sum += c;
    if (sum != uint64_t(r.width) * uint64_t(r.height)) {
        throw Error(std::string(what) + ": RLE counts sum to " + std::to_string(sum) + ", expected " +
                    std::to_string(uint64_t(r.width) * uint64_t(r.height)));
    }
}

}  // namespace

Rle rle_upsample(const Rle& working, int W, int H) {
    check_counts(working, "rle_upsample");
    const int w = working.width, h = working.height;
    if (W < w || H < h) {
        throw Error("rle_upsample: full size " + std::to_string(W) + " x " + std::to_string(H) +
                    " is smaller than the working size " + std::to_string(w) + " x " + std::to_string(h));
    }
    // Each working column as segments (first row, value), in column order.
    std::vector<size_t> col_off(size_t(w) + 1, 0);
    std::vector<int> seg_row;
    std::vector<uint8_t> seg_val;
    {
        int64_t pos = 0;
        int v = 0;
        int last_col = -1;
        for (uint32_t cnt : working.counts) {
            int64_t left = cnt;
            while (left > 0) {
                const int col = int(pos / h);
                const int row = int(pos % h);
                const int64_t take = std::min<int64_t>(left, h - row);
                if (col != last_col) {
                    for (int c = last_col + 1; c <= col; ++c) col_off[size_t(c)] = seg_row.size();
                    last_col = col;
                }
                if (seg_row.size() > col_off[size_t(col)] && seg_val.back() == v) {
                    // same value continues (after a zero-length count): nothing to add
                } else {
                    seg_row.push_back(row);
                    seg_val.push_back(uint8_t(v));
                }
                pos += take;
                left -= take;
            }
            v ^= 1;
        }
        for (int c = last_col + 1; c <= w; ++c) col_off[size_t(c)] = seg_row.size();
    }
    // Full rows of working row i: [sample(i), sample(i + 1)), sample(i) = ceil(i * H / h).
    CountsBuilder out;
    std::vector<std::pair<int, uint64_t>> column;  // one full-resolution column, as pieces
    int built_for = -1;
    for (int x = 0; x < W; ++x) {
        const int j = full_to_working(x, W, w);
        if (j != built_for) {
            column.clear();
            for (size_t s = col_off[size_t(j)]; s < col_off[size_t(j) + 1]; ++s) {
                const int a = seg_row[s];
                const int b = s + 1 < col_off[size_t(j) + 1] ? seg_row[s + 1] : h;
                column.emplace_back(seg_val[s], uint64_t(working_sample(b, H, h) - working_sample(a, H, h)));
            }
            built_for = j;
        }
        for (const auto& piece : column) out.add(piece.first, piece.second);
    }
    Rle r;
    r.width = W;
    r.height = H;
    r.counts = out.finish();
    return r;
}

Rle mask_upsample_rle(const Mask& working, int full_width, int full_height) {
    return rle_upsample(rle_encode(working), full_width, full_height);
}

Rle rle_downsample(const Rle& full, int w, int h) {
    check_counts(full, "rle_downsample");
    const int W = full.width, H = full.height;
    if (w <= 0 || h <= 0 || w > W || h > H) {
        throw Error("rle_downsample: working size " + std::to_string(w) + " x " + std::to_string(h) +
                    " must be within 1 .. the full size " + std::to_string(W) + " x " + std::to_string(H));
    }
    // g(r): how many working rows sample a full row < r.
    auto g = [&](int64_t r) -> int64_t {
        if (r <= 0) return 0;
        return std::min<int64_t>(h, (r - 1) * h / H + 1);
    };
    CountsBuilder out;
    size_t idx = 0;
    int64_t run_start = 0;
    int64_t run_end = full.counts.empty() ? 0 : full.counts[0];
    int v = 0;
    auto advance_past = [&](int64_t p) {  // until the current run contains position p
        while (run_end <= p && idx + 1 < full.counts.size()) {
            ++idx;
            run_start = run_end;
            run_end += full.counts[idx];
            v ^= 1;
        }
    };
    for (int j = 0; j < w; ++j) {
        const int64_t c = working_sample(j, W, w);
        const int64_t col_begin = c * H, col_end = col_begin + H;
        advance_past(col_begin);
        int64_t p = col_begin;
        while (p < col_end) {
            advance_past(p);
            const int64_t e = std::min(run_end, col_end);
            out.add(v, uint64_t(g(e - col_begin) - g(p - col_begin)));
            p = e;
        }
    }
    (void)run_start;
    Rle r;
    r.width = w;
    r.height = h;
    r.counts = out.finish();
    return r;
}

}  // namespace xs
