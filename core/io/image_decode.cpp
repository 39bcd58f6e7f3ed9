// Header reading and bounded decoding; see image_decode.h for the rules this file implements.
//
// libjpeg and libpng report fatal errors with longjmp. Each decode runs its library calls in one
// function (decode_jpeg_rows / decode_png_rows) whose frame holds no C++ object with a destructor;
// all buffers live in a context struct owned by the caller, so a longjmp out of the library skips
// nothing that needs cleaning up, and the caller turns the recorded message into xs::Error.
#include "core/io/image_decode.h"

#include <sys/stat.h>

#include <cerrno>
#include <csetjmp>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <algorithm>
#include <cmath>
#include <limits>
#include <memory>
#include <mutex>
#include <vector>

#include <jpeglib.h>
#include <jerror.h>
#include <png.h>

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>

#include "core/util/error.h"

namespace xs {

// ---------------------------------------------------------------------------------------------
// Limits

DecodeLimits DecodeLimits::unbounded() {
    DecodeLimits l;
    l.max_side = std::numeric_limits<int>::max();
    l.max_pixels = std::numeric_limits<int64_t>::max();
    return l;
}

namespace {

std::mutex g_limits_mutex;
bool g_limits_set = false;
DecodeLimits g_limits;

int64_t env_int(const char* name, int64_t fallback) {
    const char* v = std::getenv(name);
    if (!v || !*v) return fallback;
    char* end = nullptr;
    const long long n = std::strtoll(v, &end, 10);
    if (!end || *end != '\0' || n <= 0) return fallback;
    return n;
}

}  // namespace

DecodeLimits default_decode_limits() {
    std::lock_guard<std::mutex> lock(g_limits_mutex);
    if (!g_limits_set) {
        g_limits.max_side = int(std::min<int64_t>(env_int("XS_WORKING_MAX_SIDE", kWorkingMaxSide), 1 << 30));
        g_limits.max_pixels = env_int("XS_WORKING_MAX_MPX", kWorkingMaxPixels / 1'000'000) * 1'000'000;
        g_limits.full_decode_budget_bytes = env_int("XS_DECODE_BUDGET_MB", kFullDecodeBudgetBytes >> 20) << 20;
        g_limits_set = true;
    }
    return g_limits;
}

void set_default_decode_limits(const DecodeLimits& limits) {
    std::lock_guard<std::mutex> lock(g_limits_mutex);
    g_limits = limits;
    g_limits_set = true;
}

const char* color_model_name(ColorModel c) {
    switch (c) {
        case ColorModel::Grey: return "grey";
        case ColorModel::GreyAlpha: return "grey+alpha";
        case ColorModel::Rgb: return "RGB";
        case ColorModel::Rgba: return "RGBA";
        case ColorModel::Palette: return "palette";
        case ColorModel::Cmyk: return "CMYK";
        case ColorModel::Ycck: return "YCCK";
        case ColorModel::YCbCr: return "YCbCr";
        default: return "unknown";
    }
}

void working_size(int W, int H, const DecodeLimits& limits, int& w, int& h) {
    if (W <= 0 || H <= 0) throw Error("working_size: invalid image size " + std::to_string(W) + " x " + std::to_string(H));
    const int64_t side = std::max(1, limits.max_side);
    const int64_t px = std::max<int64_t>(1, limits.max_pixels);
    const int64_t L = std::max(W, H);
    const double s_side = double(side) / double(L);
    const double s_px = std::sqrt(double(px) / (double(W) * double(H)));
    if (s_side < 1.0 && s_side <= s_px) {  // the side bound binds: exact integer arithmetic
        w = int(W >= H ? side : int64_t(W) * side / L);
        h = int(H > W ? side : int64_t(H) * side / L);
    } else if (s_px < 1.0) {
        w = int(std::floor(W * s_px));
        h = int(std::floor(H * s_px));
    } else {
        w = W;
        h = H;
    }
    w = std::max(1, std::min(W, w));
    h = std::max(1, std::min(H, h));
    // Rounding in the floating-point scale must not break the bounds.
    while (std::max(w, h) > limits.max_side && (w > 1 || h > 1)) {
        if (w >= h) --w; else --h;
    }
    while (int64_t(w) * h > limits.max_pixels && (w > 1 || h > 1)) {
        if (w >= h) --w; else --h;
    }
}

// ---------------------------------------------------------------------------------------------
// Header reading

namespace {

struct File {
    std::FILE* f = nullptr;
    explicit File(const std::string& path) : f(std::fopen(path.c_str(), "rb")) {}
    ~File() {
        if (f) std::fclose(f);
    }
    File(const File&) = delete;
    File& operator=(const File&) = delete;
};

// Reads up to n bytes at offset; returns what it got.
std::string read_at(std::FILE* f, int64_t offset, size_t n) {
    std::string s(n, '\0');
    if (fseeko(f, off_t(offset), SEEK_SET) != 0) return std::string();
    const size_t got = std::fread(&s[0], 1, n, f);
    s.resize(got);
    return s;
}

uint32_t be16(const unsigned char* p) { return uint32_t((p[0] << 8) | p[1]); }
uint32_t be32(const unsigned char* p) {
    return (uint32_t(p[0]) << 24) | (uint32_t(p[1]) << 16) | (uint32_t(p[2]) << 8) | uint32_t(p[3]);
}
uint32_t le16(const unsigned char* p) { return uint32_t(p[0] | (p[1] << 8)); }
uint32_t le32(const unsigned char* p) {
    return uint32_t(p[0]) | (uint32_t(p[1]) << 8) | (uint32_t(p[2]) << 16) | (uint32_t(p[3]) << 24);
}

// Orientation tag (0x0112) from an EXIF APP1 payload starting at "Exif\0\0".
int exif_orientation(const unsigned char* p, size_t n) {
    if (n < 14 || std::memcmp(p, "Exif\0\0", 6) != 0) return 1;
    const unsigned char* t = p + 6;
    const size_t tn = n - 6;
    bool little;
    if (t[0] == 'I' && t[1] == 'I') {
        little = true;
    } else if (t[0] == 'M' && t[1] == 'M') {
        little = false;
    } else {
        return 1;
    }
    auto u16 = [&](size_t off) -> uint32_t {
        if (off + 2 > tn) return 0;
        return little ? le16(t + off) : be16(t + off);
    };
    auto u32 = [&](size_t off) -> uint32_t {
        if (off + 4 > tn) return 0;
        return little ? le32(t + off) : be32(t + off);
    };
    if (u16(2) != 42) return 1;
    const size_t ifd = u32(4);
    if (ifd + 2 > tn) return 1;
    const uint32_t entries = u16(ifd);
    for (uint32_t e = 0; e < entries; ++e) {
        const size_t off = ifd + 2 + size_t(e) * 12;
        if (off + 12 > tn) break;
        if (u16(off) == 0x0112) {
            const uint32_t v = u16(off + 8);
            return (v >= 1 && v <= 8) ? int(v) : 1;
        }
    }
    return 1;
}

void parse_jpeg_header(std::FILE* f, const std::string& path, ImageHeader& h) {
    h.format = "jpeg";
    int64_t p = 2;
    bool sof = false;
    while (true) {
        std::string m = read_at(f, p, 4);
        if (m.size() < 2) break;
        const auto* d = reinterpret_cast<const unsigned char*>(m.data());
        if (d[0] != 0xFF) throw Error(path + ": JPEG file is truncated or corrupt (no marker at byte " + std::to_string(p) + ")");
        const unsigned marker = d[1];
        if (marker == 0xFF) {
            ++p;
            continue;
        }
        if (marker == 0xD8 || (marker >= 0xD0 && marker <= 0xD7) || marker == 0x01) {
            p += 2;
            continue;
        }
        if (marker == 0xD9 || marker == 0xDA) break;  // EOI, or the scan starts: header done
        if (m.size() < 4) break;
        const uint32_t len = be16(d + 2);
        if (len < 2) throw Error(path + ": JPEG file is corrupt (bad segment length at byte " + std::to_string(p) + ")");
        if (marker == 0xE1 || marker == 0xEE ||
            (marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 && marker != 0xCC)) {
            const std::string seg = read_at(f, p + 4, len - 2);
            if (seg.size() < len - 2) break;
            const auto* s = reinterpret_cast<const unsigned char*>(seg.data());
            if (marker == 0xE1) {
                const int o = exif_orientation(s, seg.size());
                if (o != 1) h.orientation = o;
            } else if (marker == 0xEE) {
                if (seg.size() >= 5 && std::memcmp(s, "Adobe", 5) == 0) h.adobe_marker = true;
            } else if (!sof && seg.size() >= 6) {
                sof = true;
                h.bit_depth = s[0];
                h.stored_height = int(be16(s + 1));
                h.stored_width = int(be16(s + 3));
                h.channels = s[5];
                h.interlaced = (marker == 0xC2 || marker == 0xC6 || marker == 0xCA || marker == 0xCE);
            }
        }
        p += 2 + int64_t(len);
    }
    if (!sof || h.stored_width <= 0 || h.stored_height <= 0) {
        throw Error(path + ": JPEG file is truncated or corrupt (no frame header with the image size)");
    }
    // An intact file has an end-of-image marker (FF D9) after the scan data; the entropy-coded data
    // cannot contain one. Look backwards from the end in 64 KiB steps (usually one step; files with
    // a long trailer after EOI need more).
    constexpr int64_t kStep = 64 * 1024;
    bool eoi = false;
    for (int64_t end = h.file_size; end > p && !eoi;) {
        const int64_t start = std::max<int64_t>(p, end - kStep);
        const std::string chunk = read_at(f, start, size_t(std::min<int64_t>(end + 1, h.file_size) - start));
        for (size_t i = chunk.size(); i-- > 1;) {
            if (uint8_t(chunk[i - 1]) == 0xFF && uint8_t(chunk[i]) == 0xD9) {
                eoi = true;
                break;
            }
        }
        end = start;
    }
    if (!eoi) throw Error(path + ": JPEG file is truncated or corrupt (no end-of-image marker)");
    switch (h.channels) {
        case 1: h.color = ColorModel::Grey; break;
        case 3: h.color = ColorModel::YCbCr; break;
        case 4: h.color = ColorModel::Cmyk; break;
        default: h.color = ColorModel::Unknown; break;
    }
}

void parse_png_header(std::FILE* f, const std::string& path, ImageHeader& h) {
    h.format = "png";
    const std::string ihdr = read_at(f, 8, 25);
    const auto* d = reinterpret_cast<const unsigned char*>(ihdr.data());
    if (ihdr.size() < 25 || std::memcmp(d + 4, "IHDR", 4) != 0) throw Error(path + ": PNG file is truncated or corrupt (no IHDR chunk)");
    const uint32_t w = be32(d + 8), hh = be32(d + 12);
    if (w == 0 || hh == 0 || w >= (1u << 30) || hh >= (1u << 30)) {
        throw Error(path + ": PNG header has an invalid size " + std::to_string(w) + " x " + std::to_string(hh));
    }
    h.stored_width = int(w);
    h.stored_height = int(hh);
    h.bit_depth = d[16];
    switch (d[17]) {
        case 0: h.color = ColorModel::Grey; h.channels = 1; break;
        case 2: h.color = ColorModel::Rgb; h.channels = 3; break;
        case 3: h.color = ColorModel::Palette; h.channels = 1; break;
        case 4: h.color = ColorModel::GreyAlpha; h.channels = 2; break;
        case 6: h.color = ColorModel::Rgba; h.channels = 4; break;
        default: throw Error(path + ": PNG header has an invalid colour type " + std::to_string(d[17]));
    }
    h.interlaced = d[20] != 0;
    // An intact PNG ends with an IEND chunk (length 0, "IEND", CRC).
    const int64_t tail_at = std::max<int64_t>(0, h.file_size - 64);
    const std::string tail = read_at(f, tail_at, size_t(h.file_size - tail_at));
    if (h.file_size < 8 + 25 + 12 || tail.find("IEND") == std::string::npos) {
        throw Error(path + ": PNG file is truncated (no IEND chunk at the end)");
    }
}

void parse_tiff_header(std::FILE* f, ImageHeader& h, bool little) {
    h.format = "tiff";
    const std::string hdr = read_at(f, 0, 8);
    if (hdr.size() < 8) return;
    auto u16 = [&](const unsigned char* p) { return little ? le16(p) : be16(p); };
    auto u32 = [&](const unsigned char* p) { return little ? le32(p) : be32(p); };
    const uint32_t ifd = u32(reinterpret_cast<const unsigned char*>(hdr.data()) + 4);
    const std::string cnt = read_at(f, ifd, 2);
    if (cnt.size() < 2) return;
    const uint32_t n = std::min<uint32_t>(u16(reinterpret_cast<const unsigned char*>(cnt.data())), 4096);
    const std::string ents = read_at(f, int64_t(ifd) + 2, size_t(n) * 12);
    int photometric = -1;
    for (size_t e = 0; e + 12 <= ents.size(); e += 12) {
        const auto* p = reinterpret_cast<const unsigned char*>(ents.data()) + e;
        const uint32_t tag = u16(p), type = u16(p + 2), count = u32(p + 4);
        uint32_t value = type == 3 ? u16(p + 8) : u32(p + 8);
        if (tag == 258 && type == 3 && count > 2) {  // BitsPerSample stored elsewhere: read the first
            const std::string v = read_at(f, u32(p + 8), 2);
            value = v.size() == 2 ? u16(reinterpret_cast<const unsigned char*>(v.data())) : 0;
        }
        switch (tag) {
            case 256: h.stored_width = int(value); break;
            case 257: h.stored_height = int(value); break;
            case 258: h.bit_depth = int(value); break;
            case 277: h.channels = int(value); break;
            case 262: photometric = int(value); break;
            default: break;
        }
    }
    if (h.channels == 0) h.channels = 1;
    if (h.bit_depth == 0) h.bit_depth = 1;
    switch (photometric) {
        case 0:
        case 1: h.color = h.channels >= 2 ? ColorModel::GreyAlpha : ColorModel::Grey; break;
        case 2: h.color = h.channels >= 4 ? ColorModel::Rgba : ColorModel::Rgb; break;
        case 3: h.color = ColorModel::Palette; break;
        case 5: h.color = ColorModel::Cmyk; break;
        case 6: h.color = ColorModel::YCbCr; break;
        default: break;
    }
}

}  // namespace

ImageHeader read_image_header(const std::string& path) {
    File file(path);
    if (!file.f) throw Error(path + ": image file is missing or cannot be opened (" + std::strerror(errno) + ")");
    struct stat st;
    // A folder opens too, and its "size" is 2^63 - 1 (which once read as 8796093022207 MiB).
    if (::fstat(fileno(file.f), &st) == 0 && !S_ISREG(st.st_mode))
        throw Error(path + (S_ISDIR(st.st_mode) ? ": is a folder, not an image file" : ": is not a regular file, not an image file"));
    ImageHeader h;
    if (fseeko(file.f, 0, SEEK_END) == 0) h.file_size = int64_t(ftello(file.f));
    if (h.file_size <= 0) throw Error(path + ": image file is empty");
    const std::string magic = read_at(file.f, 0, 32);
    const auto* d = reinterpret_cast<const unsigned char*>(magic.data());
    static const unsigned char png_sig[8] = {0x89, 'P', 'N', 'G', 0x0D, 0x0A, 0x1A, 0x0A};
    if (magic.size() >= 3 && d[0] == 0xFF && d[1] == 0xD8 && d[2] == 0xFF) {
        parse_jpeg_header(file.f, path, h);
    } else if (magic.size() >= 8 && std::memcmp(d, png_sig, 8) == 0) {
        parse_png_header(file.f, path, h);
    } else if (magic.size() >= 8 && ((d[0] == 'I' && d[1] == 'I' && d[2] == 42 && d[3] == 0) ||
                                     (d[0] == 'M' && d[1] == 'M' && d[2] == 0 && d[3] == 42))) {
        parse_tiff_header(file.f, h, d[0] == 'I');
    } else if (magic.size() >= 30 && d[0] == 'B' && d[1] == 'M') {
        h.format = "bmp";
        h.stored_width = int(le32(d + 18));
        h.stored_height = std::abs(int(le32(d + 22)));
        const int bpp = int(le16(d + 28));
        h.bit_depth = bpp >= 24 ? 8 : bpp;
        h.channels = bpp == 32 ? 4 : bpp >= 24 ? 3 : 1;
        h.color = bpp == 32 ? ColorModel::Rgba : bpp >= 24 ? ColorModel::Rgb : ColorModel::Palette;
    } else if (magic.size() >= 30 && std::memcmp(d, "RIFF", 4) == 0 && std::memcmp(d + 8, "WEBP", 4) == 0) {
        h.format = "webp";
        h.bit_depth = 8;
        if (std::memcmp(d + 12, "VP8X", 4) == 0) {
            h.stored_width = int((d[24] | (d[25] << 8) | (d[26] << 16)) + 1);
            h.stored_height = int((d[27] | (d[28] << 8) | (d[29] << 16)) + 1);
            h.channels = (d[20] & 0x10) ? 4 : 3;
        } else if (std::memcmp(d + 12, "VP8L", 4) == 0) {
            const uint32_t b = le32(d + 21);
            h.stored_width = int((b & 0x3FFF) + 1);
            h.stored_height = int(((b >> 14) & 0x3FFF) + 1);
            h.channels = 4;
        } else if (std::memcmp(d + 12, "VP8 ", 4) == 0) {
            h.stored_width = int(le16(d + 26) & 0x3FFF);
            h.stored_height = int(le16(d + 28) & 0x3FFF);
            h.channels = 3;
        }
        h.color = h.channels == 4 ? ColorModel::Rgba : ColorModel::Rgb;
    } else {
        h.format = "other";
    }
    if (h.stored_width < 0 || h.stored_height < 0) h.stored_width = h.stored_height = 0;
    const bool swap = h.orientation >= 5;
    h.width = swap ? h.stored_height : h.stored_width;
    h.height = swap ? h.stored_width : h.stored_height;
    return h;
}

// ---------------------------------------------------------------------------------------------
// Pixel conversion and the area-averaging reducer

namespace {

struct Layout {
    int channels = 3;        // 1 grey, 2 grey+alpha, 3 colour, 4 colour+alpha or CMYK
    int bytes = 1;           // 1 or 2 per sample
    bool big_endian = true;  // for 2-byte samples
    bool bgr = false;        // OpenCV's order
    bool cmyk = false;       // 4 channels are C, M, Y, K (8-bit)
    bool inverted = false;   // CMYK stored inverted (Adobe)
};

inline uint8_t to8(uint32_t v16) { return uint8_t((v16 * 255u + 32767u) / 65535u); }
inline uint8_t over_white(uint32_t c, uint32_t a) { return uint8_t((c * a + 255u * (255u - a) + 127u) / 255u); }

// One row of n source pixels -> n RGB pixels.
void convert_row(const uint8_t* src, int n, const Layout& L, uint8_t* out) {
    if (L.cmyk) {
        for (int x = 0; x < n; ++x, src += 4, out += 3) {
            uint32_t c = src[0], m = src[1], y = src[2], k = src[3];
            if (!L.inverted) {
                c = 255 - c;
                m = 255 - m;
                y = 255 - y;
                k = 255 - k;
            }
            out[0] = uint8_t((c * k + 127) / 255);
            out[1] = uint8_t((m * k + 127) / 255);
            out[2] = uint8_t((y * k + 127) / 255);
        }
        return;
    }
    const int ch = L.channels;
    uint8_t s[4] = {0, 0, 0, 255};
    const int step = ch * L.bytes;
    for (int x = 0; x < n; ++x, src += step, out += 3) {
        if (L.bytes == 1) {
            for (int c = 0; c < ch; ++c) s[c] = src[c];
        } else {
            for (int c = 0; c < ch; ++c) {
                const uint32_t v = L.big_endian ? be16(src + 2 * c) : le16(src + 2 * c);
                s[c] = to8(v);
            }
        }
        switch (ch) {
            case 1: out[0] = out[1] = out[2] = s[0]; break;
            case 2: out[0] = out[1] = out[2] = over_white(s[0], s[1]); break;
            case 3:
                out[0] = L.bgr ? s[2] : s[0];
                out[1] = s[1];
                out[2] = L.bgr ? s[0] : s[2];
                break;
            default:
                out[0] = over_white(L.bgr ? s[2] : s[0], s[3]);
                out[1] = over_white(s[1], s[3]);
                out[2] = over_white(L.bgr ? s[0] : s[2], s[3]);
                break;
        }
    }
}

// Area-averages rows of a stored-orientation source (sw x sh, delivered in order) into a working
// image (w x h, displayed orientation). Stored pixel (xs, ys) -> displayed (x, y) by the EXIF
// orientation -> working (floor(x * w / dw), floor(y * h / dh)), dw x dh the displayed source size.
// Consecutive stored rows fill one working row (orientations 1-4) or one working column (5-8);
// only that line's sums are held.
class Reducer {
public:
    Reducer(int sw, int sh, int orientation, int w, int h, Image& out)
        : sw_(sw), sh_(sh), o_(orientation < 1 || orientation > 8 ? 1 : orientation), w_(w), h_(h), out_(out) {
        transposed_ = o_ >= 5;
        dw_ = transposed_ ? sh : sw;
        dh_ = transposed_ ? sw : sh;
        if (w > dw_ || h > dh_) throw Error("internal: working image larger than its source");
        out_.width = w;
        out_.height = h;
        out_.rgb.assign(size_t(w) * h * 3, 0);
        line_len_ = transposed_ ? h : w;
        lut_.resize(size_t(sw));
        col_count_.assign(size_t(line_len_), 0);
        for (int xs = 0; xs < sw; ++xs) {
            int k;
            if (!transposed_) {
                const bool flip_x = (o_ == 2 || o_ == 3);
                const int x = flip_x ? dw_ - 1 - xs : xs;
                k = int(int64_t(x) * w / dw_);
            } else {
                const bool flip_y = (o_ == 7 || o_ == 8);
                const int y = flip_y ? dh_ - 1 - xs : xs;
                k = int(int64_t(y) * h / dh_);
            }
            lut_[size_t(xs)] = k;
            ++col_count_[size_t(k)];
        }
        sums_.assign(size_t(line_len_) * 3, 0);
    }

    void add_row(int ys, const uint8_t* rgb) {
        const int key = line_of(ys);
        if (key != current_ && rows_ > 0) flush();
        current_ = key;
        ++rows_;
        uint64_t* s = sums_.data();
        const int* lut = lut_.data();
        for (int xs = 0; xs < sw_; ++xs, rgb += 3) {
            uint64_t* t = s + size_t(lut[xs]) * 3;
            t[0] += rgb[0];
            t[1] += rgb[1];
            t[2] += rgb[2];
        }
    }

    void finish() {
        if (rows_ > 0) flush();
    }

private:
    int line_of(int ys) const {
        if (!transposed_) {
            const bool flip_y = (o_ == 3 || o_ == 4);
            const int y = flip_y ? dh_ - 1 - ys : ys;
            return int(int64_t(y) * h_ / dh_);
        }
        const bool flip_x = (o_ == 6 || o_ == 7);
        const int x = flip_x ? dw_ - 1 - ys : ys;
        return int(int64_t(x) * w_ / dw_);
    }

    void flush() {
        for (int k = 0; k < line_len_; ++k) {
            const uint64_t n = uint64_t(col_count_[size_t(k)]) * uint64_t(rows_);
            uint8_t* px = transposed_ ? &out_.rgb[(size_t(k) * w_ + current_) * 3] : &out_.rgb[(size_t(current_) * w_ + k) * 3];
            for (int c = 0; c < 3; ++c) {
                uint64_t& v = sums_[size_t(k) * 3 + c];
                px[c] = n ? uint8_t((v + n / 2) / n) : 0;
                v = 0;
            }
        }
        rows_ = 0;
    }

    int sw_, sh_, o_, w_, h_;
    Image& out_;
    bool transposed_ = false;
    int dw_ = 0, dh_ = 0, line_len_ = 0;
    std::vector<int> lut_;
    std::vector<uint32_t> col_count_;
    std::vector<uint64_t> sums_;
    int current_ = -1;
    int rows_ = 0;
};

std::string size_text(const ImageHeader& h) {
    return std::to_string(h.width) + " x " + std::to_string(h.height) + ", " +
           std::to_string((h.pixels() + 500'000) / 1'000'000) + " megapixels";
}

// ---------------------------------------------------------------------------------------------
// JPEG

struct JpegCtx {
    jpeg_decompress_struct cinfo;
    struct Err {
        jpeg_error_mgr pub;
        std::jmp_buf jump;
        char message[JMSG_LENGTH_MAX];
        bool eof = false;
    } err;
    // Set by the caller before decoding:
    int work_w = 0, work_h = 0, orientation = 1;
    int64_t budget = 0;
    Image* out = nullptr;
    // Filled during decoding:
    std::vector<uint8_t> row, rgb;
    std::unique_ptr<Reducer> reducer;
    Layout layout;
    int scale_num = 8;
    std::string problem;  // a non-library reason to stop
};

void jpeg_error_exit(j_common_ptr c) {
    auto* e = reinterpret_cast<JpegCtx::Err*>(c->err);
    (*c->err->format_message)(c, e->message);
    std::longjmp(e->jump, 1);
}

void jpeg_emit(j_common_ptr c, int level) {
    auto* e = reinterpret_cast<JpegCtx::Err*>(c->err);
    if (level < 0 && c->err->msg_code == JWRN_JPEG_EOF) e->eof = true;
}

// After jpeg_read_header: output colour space and scale. Returns false (with ctx.problem) to stop.
bool jpeg_setup(JpegCtx& ctx) {
    jpeg_decompress_struct& ci = ctx.cinfo;
    if (ci.progressive_mode) {
        // The whole coefficient array stays in memory for a progressive JPEG.
        int64_t coef = 0;
        for (int c = 0; c < ci.num_components; ++c) {
            const jpeg_component_info& comp = ci.comp_info[c];
            const int64_t bw = (int64_t(ci.image_width) * comp.h_samp_factor + 8 * ci.max_h_samp_factor - 1) / (8 * ci.max_h_samp_factor);
            const int64_t bh = (int64_t(ci.image_height) * comp.v_samp_factor + 8 * ci.max_v_samp_factor - 1) / (8 * ci.max_v_samp_factor);
            coef += bw * bh * 64 * 2;
        }
        if (coef > ctx.budget) {
            ctx.problem = "progressive JPEG needs " + std::to_string(coef >> 20) + " MiB of coefficients, over the " +
                          std::to_string(ctx.budget >> 20) + " MiB decode budget (re-save it as baseline JPEG)";
            return false;
        }
    }
    switch (ci.jpeg_color_space) {
        case JCS_GRAYSCALE:
            ci.out_color_space = JCS_GRAYSCALE;
            ctx.layout.channels = 1;
            break;
        case JCS_CMYK:
        case JCS_YCCK:
            ci.out_color_space = JCS_CMYK;
            ctx.layout.channels = 4;
            ctx.layout.cmyk = true;
            ctx.layout.inverted = ci.saw_Adobe_marker;
            break;
        default:
            ci.out_color_space = JCS_RGB;
            ctx.layout.channels = 3;
            break;
    }
    // The smallest DCT scale n/8 whose output still covers the working size in both directions.
    const bool swap = ctx.orientation >= 5;
    for (int n = 1; n <= 8; ++n) {
        ci.scale_num = unsigned(n);
        ci.scale_denom = 8;
        jpeg_calc_output_dimensions(&ci);
        const int dw = int(swap ? ci.output_height : ci.output_width);
        const int dh = int(swap ? ci.output_width : ci.output_height);
        if (dw >= ctx.work_w && dh >= ctx.work_h) {
            ctx.scale_num = n;
            return true;
        }
    }
    ci.scale_num = 1;
    ci.scale_denom = 1;
    ctx.scale_num = 8;
    return true;
}

void jpeg_start(JpegCtx& ctx) {
    jpeg_decompress_struct& ci = ctx.cinfo;
    ctx.row.resize(size_t(ci.output_width) * size_t(ci.output_components));
    ctx.rgb.resize(size_t(ci.output_width) * 3);
    ctx.reducer = std::make_unique<Reducer>(int(ci.output_width), int(ci.output_height), ctx.orientation, ctx.work_w, ctx.work_h, *ctx.out);
}

void jpeg_row(JpegCtx& ctx, int y) {
    if (ctx.layout.channels == 3 && !ctx.layout.cmyk) {  // libjpeg wrote 8-bit RGB
        ctx.reducer->add_row(y, ctx.row.data());
        return;
    }
    convert_row(ctx.row.data(), int(ctx.cinfo.output_width), ctx.layout, ctx.rgb.data());
    ctx.reducer->add_row(y, ctx.rgb.data());
}

// Runs the library; no C++ objects with destructors in this frame (see the top of the file).
bool decode_jpeg_rows(std::FILE* f, JpegCtx* ctx) {
    ctx->cinfo.err = jpeg_std_error(&ctx->err.pub);
    ctx->err.pub.error_exit = jpeg_error_exit;
    ctx->err.pub.emit_message = jpeg_emit;
    ctx->err.message[0] = '\0';
    if (setjmp(ctx->err.jump)) {
        jpeg_destroy_decompress(&ctx->cinfo);
        return false;
    }
    jpeg_create_decompress(&ctx->cinfo);
    jpeg_stdio_src(&ctx->cinfo, f);
    jpeg_read_header(&ctx->cinfo, TRUE);
    if (!jpeg_setup(*ctx)) {
        jpeg_destroy_decompress(&ctx->cinfo);
        return false;
    }
    jpeg_start_decompress(&ctx->cinfo);
    jpeg_start(*ctx);
    while (ctx->cinfo.output_scanline < ctx->cinfo.output_height) {
        JSAMPROW rows[1] = {ctx->row.data()};
        const int y = int(ctx->cinfo.output_scanline);
        if (jpeg_read_scanlines(&ctx->cinfo, rows, 1) != 1) break;
        jpeg_row(*ctx, y);
        if (ctx->err.eof) break;
    }
    if (!ctx->err.eof) jpeg_finish_decompress(&ctx->cinfo);
    jpeg_destroy_decompress(&ctx->cinfo);
    return true;
}

void load_jpeg(const std::string& path, const ImageHeader& h, const DecodeLimits& limits, WorkingImage& wi) {
    File file(path);
    if (!file.f) throw Error(path + ": image file is missing or cannot be opened");
    auto ctx = std::make_unique<JpegCtx>();
    std::memset(&ctx->cinfo, 0, sizeof(ctx->cinfo));
    ctx->orientation = h.orientation;
    ctx->budget = limits.full_decode_budget_bytes;
    ctx->out = &wi.image;
    working_size(h.width, h.height, limits, ctx->work_w, ctx->work_h);
    const bool ok = decode_jpeg_rows(file.f, ctx.get());
    if (!ok) {
        if (!ctx->problem.empty()) throw Error(path + " (" + size_text(h) + "): " + ctx->problem);
        throw Error(path + " (" + size_text(h) + "): JPEG file is truncated or corrupt (libjpeg: " + ctx->err.message + ")");
    }
    if (ctx->err.eof) throw Error(path + ": JPEG file is truncated or corrupt (the data ends early)");
    ctx->reducer->finish();
    const bool area = int64_t(wi.image.width) * wi.image.height != int64_t(ctx->cinfo.output_width) * ctx->cinfo.output_height;
    wi.method = (ctx->scale_num == 8 ? std::string("libjpeg full") : "libjpeg " + std::to_string(ctx->scale_num) + "/8") +
                (area ? " + area" : "");
}

// ---------------------------------------------------------------------------------------------
// PNG

struct PngCtx {
    std::string message;
    int work_w = 0, work_h = 0;
    Image* out = nullptr;
    std::vector<uint8_t> row, rgb;
    std::unique_ptr<Reducer> reducer;
    Layout layout;
    int width = 0, height = 0;
};

void png_error_fn(png_structp png, png_const_charp msg) {
    auto* ctx = static_cast<PngCtx*>(png_get_error_ptr(png));
    ctx->message = msg ? msg : "error";
    png_longjmp(png, 1);
}

void png_warning_fn(png_structp, png_const_charp) {}

void png_start(PngCtx& ctx, png_structp png, png_infop info) {
    ctx.width = int(png_get_image_width(png, info));
    ctx.height = int(png_get_image_height(png, info));
    ctx.layout.channels = int(png_get_channels(png, info));
    ctx.layout.bytes = png_get_bit_depth(png, info) == 16 ? 2 : 1;
    ctx.layout.big_endian = true;
    ctx.row.resize(png_get_rowbytes(png, info));
    ctx.rgb.resize(size_t(ctx.width) * 3);
    ctx.reducer = std::make_unique<Reducer>(ctx.width, ctx.height, 1, ctx.work_w, ctx.work_h, *ctx.out);
}

void png_row(PngCtx& ctx, int y) {
    if (ctx.layout.channels == 3 && ctx.layout.bytes == 1) {  // already 8-bit RGB
        ctx.reducer->add_row(y, ctx.row.data());
        return;
    }
    convert_row(ctx.row.data(), ctx.width, ctx.layout, ctx.rgb.data());
    ctx.reducer->add_row(y, ctx.rgb.data());
}

// Runs the library; no C++ objects with destructors in this frame (see the top of the file).
bool decode_png_rows(std::FILE* f, PngCtx* ctx) {
    png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, ctx, png_error_fn, png_warning_fn);
    if (!png) return false;
    png_infop info = png_create_info_struct(png);
    if (!info) {
        png_destroy_read_struct(&png, nullptr, nullptr);
        return false;
    }
    if (setjmp(png_jmpbuf(png))) {
        png_destroy_read_struct(&png, &info, nullptr);
        return false;
    }
    png_set_user_limits(png, 0x7fffffff, 0x7fffffff);
    png_init_io(png, f);
    png_read_info(png, info);
    png_set_expand(png);  // palette -> RGB, grey < 8 bits -> 8 bits, tRNS -> alpha
    png_read_update_info(png, info);
    png_start(*ctx, png, info);
    const int h = ctx->height;
    for (int y = 0; y < h; ++y) {
        png_read_row(png, ctx->row.data(), nullptr);
        png_row(*ctx, y);
    }
    png_read_end(png, nullptr);
    png_destroy_read_struct(&png, &info, nullptr);
    return true;
}

void load_png_rows(const std::string& path, const ImageHeader& h, const DecodeLimits& limits, WorkingImage& wi) {
    File file(path);
    if (!file.f) throw Error(path + ": image file is missing or cannot be opened");
    auto ctx = std::make_unique<PngCtx>();
    ctx->out = &wi.image;
    working_size(h.width, h.height, limits, ctx->work_w, ctx->work_h);
    if (!decode_png_rows(file.f, ctx.get())) {
        throw Error(path + " (" + size_text(h) + "): PNG file is truncated or corrupt (libpng: " + ctx->message + ")");
    }
    ctx->reducer->finish();
    wi.method = wi.reduced() ? "libpng rows + area" : "libpng rows";
}

// ---------------------------------------------------------------------------------------------
// Whole-file decode through OpenCV

void load_whole(const std::string& path, const ImageHeader& h, const DecodeLimits& limits, WorkingImage& wi) {
    const int64_t budget = limits.full_decode_budget_bytes;
    if (h.width > 0 && h.height > 0) {
        const int ch = h.channels > 0 ? std::max(h.channels, 3) : 4;
        const int bytes = h.bit_depth > 8 ? 2 : 1;
        const int64_t need = h.pixels() * (int64_t(ch) * bytes + 3);
        if (need > budget) {
            throw Error(path + " (" + size_text(h) + "): " + h.format + " images are decoded whole and this one needs about " +
                        std::to_string(need >> 20) + " MiB, over the " + std::to_string(budget >> 20) +
                        " MiB decode budget; convert it to PNG or baseline JPEG, which open as a bounded preview");
        }
    } else if (h.file_size > budget / 4) {
        throw Error(path + ": cannot read this format's size without decoding it, and the file (" +
                    std::to_string(h.file_size >> 20) + " MiB) is too large to decode within the " +
                    std::to_string(budget >> 20) + " MiB budget");
    }
    cv::Mat raw;
    try {
        raw = cv::imread(path, cv::IMREAD_UNCHANGED);
    } catch (const cv::Exception& e) {
        throw Error(path + ": cannot decode image (" + e.what() + ")");
    }
    if (raw.empty()) throw Error(path + ": not an image, or a truncated/corrupt one (no decoder could read it)");
    Layout L;
    L.channels = raw.channels();
    L.bgr = true;
    L.big_endian = false;
    if (L.channels > 4) throw Error(path + ": unsupported number of channels (" + std::to_string(L.channels) + ")");
    switch (raw.depth()) {
        case CV_8U: L.bytes = 1; break;
        case CV_16U: L.bytes = 2; break;
        default: {  // signed and float data: scale as image.cpp's load_image does
            cv::Mat m8;
            if (raw.depth() == CV_32F || raw.depth() == CV_64F) {
                raw.convertTo(m8, CV_8U, 255.0);
            } else if (raw.depth() == CV_8S) {
                raw.convertTo(m8, CV_8U, 1.0, 128.0);
            } else {
                raw.convertTo(m8, CV_8U, 1.0 / 257.0, 128.0);
            }
            raw = m8;
            L.bytes = 1;
        }
    }
    ImageHeader hh = h;
    hh.stored_width = raw.cols;
    hh.stored_height = raw.rows;
    hh.width = raw.cols;
    hh.height = raw.rows;
    hh.orientation = 1;
    int w, ht;
    working_size(raw.cols, raw.rows, limits, w, ht);
    Reducer red(raw.cols, raw.rows, 1, w, ht, wi.image);
    std::vector<uint8_t> rgb(size_t(raw.cols) * 3);
    for (int y = 0; y < raw.rows; ++y) {
        convert_row(raw.ptr<uint8_t>(y), raw.cols, L, rgb.data());
        red.add_row(y, rgb.data());
    }
    red.finish();
    wi.header.width = hh.width;
    wi.header.height = hh.height;
    if (wi.header.stored_width <= 0) {
        wi.header.stored_width = hh.width;
        wi.header.stored_height = hh.height;
    }
    wi.header.orientation = 1;
    wi.method = wi.image.width != raw.cols || wi.image.height != raw.rows ? "opencv whole + area" : "opencv whole";
}

}  // namespace

WorkingImage load_working_image(const std::string& path, const DecodeLimits& limits) {
    WorkingImage wi;
    wi.header = read_image_header(path);
    const ImageHeader& h = wi.header;
    try {
        if (h.format == "jpeg" && h.bit_depth == 8) {
            load_jpeg(path, h, limits, wi);
        } else if (h.format == "png" && !h.interlaced) {
            load_png_rows(path, h, limits, wi);
        } else {
            load_whole(path, h, limits, wi);
        }
    } catch (const std::bad_alloc&) {
        throw Error(path + ": not enough memory to decode the image (" + std::to_string(h.width) + " x " +
                    std::to_string(h.height) + ")");
    }
    wi.full_width = wi.header.width;
    wi.full_height = wi.header.height;
    return wi;
}

}  // namespace xs
