// Image loading: OpenCV decodes, this file adds what OpenCV leaves out or hides:
//  - EXIF orientation is read from the JPEG header here and applied to the decoded pixels (OpenCV's
//    own handling is skipped for IMREAD_UNCHANGED, which we need to see alpha and 16-bit data);
//  - a JPEG without its end-of-image marker is reported as truncated (libjpeg only warns and fills
//    the missing part with grey);
//  - grey, 16-bit, float and alpha images become 8-bit RGB (alpha composited over white).
#include "core/io/image.h"

#include <cctype>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include "core/util/error.h"

namespace xs {

namespace {

std::string read_all(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        std::FILE* f = std::fopen(path.c_str(), "rb");
        if (!f) throw Error(path + ": image file is missing or cannot be opened");
        std::fclose(f);
        throw Error(path + ": image file cannot be read");
    }
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (in.bad()) throw Error(path + ": reading the image file failed");
    return bytes;
}

struct JpegInfo {
    bool is_jpeg = false;
    bool has_sof = false;
    int width = 0, height = 0;  // as stored (before orientation)
    int orientation = 1;        // EXIF 1..8
    bool truncated = false;
};

uint16_t be16(const unsigned char* p) { return uint16_t((p[0] << 8) | p[1]); }

// Orientation tag (0x0112) from an EXIF APP1 payload starting at "Exif\0\0".
int exif_orientation(const unsigned char* p, size_t n) {
    if (n < 14 || std::string(reinterpret_cast<const char*>(p), 6) != std::string("Exif\0\0", 6)) return 1;
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
        return little ? uint32_t(t[off] | (t[off + 1] << 8)) : uint32_t((t[off] << 8) | t[off + 1]);
    };
    auto u32 = [&](size_t off) -> uint32_t {
        if (off + 4 > tn) return 0;
        return little ? uint32_t(t[off]) | (uint32_t(t[off + 1]) << 8) | (uint32_t(t[off + 2]) << 16) |
                            (uint32_t(t[off + 3]) << 24)
                      : (uint32_t(t[off]) << 24) | (uint32_t(t[off + 1]) << 16) | (uint32_t(t[off + 2]) << 8) |
                            uint32_t(t[off + 3]);
    };
    if (u16(2) != 42) return 1;
    const size_t ifd = u32(4);
    if (ifd + 2 > tn) return 1;
    const uint32_t entries = u16(ifd);
    for (uint32_t e = 0; e < entries; ++e) {
        const size_t off = ifd + 2 + size_t(e) * 12;
        if (off + 12 > tn) break;
        if (u16(off) == 0x0112) {
            const uint32_t v = u16(off + 8);  // SHORT, left-justified in the value field
            return (v >= 1 && v <= 8) ? int(v) : 1;
        }
    }
    return 1;
}

JpegInfo parse_jpeg(const std::string& bytes) {
    JpegInfo info;
    const auto* d = reinterpret_cast<const unsigned char*>(bytes.data());
    const size_t n = bytes.size();
    if (n < 4 || d[0] != 0xFF || d[1] != 0xD8) return info;
    info.is_jpeg = true;
    size_t p = 2;
    while (p + 4 <= n) {
        if (d[p] != 0xFF) {  // not at a marker: corrupt header
            info.truncated = true;
            return info;
        }
        unsigned char marker = d[p + 1];
        if (marker == 0xFF) {  // fill byte
            ++p;
            continue;
        }
        if (marker == 0xD8 || (marker >= 0xD0 && marker <= 0xD7) || marker == 0x01) {
            p += 2;
            continue;
        }
        if (marker == 0xD9) return info;  // EOI before any scan
        const size_t len = be16(d + p + 2);
        if (len < 2 || p + 2 + len > n) {
            info.truncated = true;
            return info;
        }
        const unsigned char* seg = d + p + 4;
        const size_t seg_n = len - 2;
        if (marker == 0xE1) {
            const int o = exif_orientation(seg, seg_n);
            if (o != 1) info.orientation = o;
        } else if (marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 && marker != 0xCC) {
            if (seg_n >= 5) {
                info.has_sof = true;
                info.height = be16(seg + 1);
                info.width = be16(seg + 3);
            }
        } else if (marker == 0xDA) {
            // Entropy-coded data follows; an intact file has an EOI marker (FF D9) after it.
            const size_t scan = p + 2 + len;
            bool eoi = false;
            for (size_t i = n; i-- > scan + 1;) {
                if (d[i - 1] == 0xFF && d[i] == 0xD9) {
                    eoi = true;
                    break;
                }
            }
            info.truncated = !eoi;
            return info;
        }
        p += 2 + len;
    }
    info.truncated = true;
    return info;
}

// Applies EXIF orientation (1..8) to an image in place.
void apply_orientation(cv::Mat& m, int orientation) {
    switch (orientation) {
        case 2: cv::flip(m, m, 1); break;
        case 3: cv::rotate(m, m, cv::ROTATE_180); break;
        case 4: cv::flip(m, m, 0); break;
        case 5: cv::transpose(m, m); break;
        case 6: cv::rotate(m, m, cv::ROTATE_90_CLOCKWISE); break;
        case 7:
            cv::transpose(m, m);
            cv::rotate(m, m, cv::ROTATE_180);
            break;
        case 8: cv::rotate(m, m, cv::ROTATE_90_COUNTERCLOCKWISE); break;
        default: break;
    }
}

cv::Mat to_8bit(const cv::Mat& m) {
    switch (m.depth()) {
        case CV_8U: return m;
        case CV_8S: {
            cv::Mat out;
            m.convertTo(out, CV_8U, 1.0, 128.0);
            return out;
        }
        case CV_16U: {
            cv::Mat out;
            m.convertTo(out, CV_8U, 1.0 / 257.0);
            return out;
        }
        case CV_16S: {
            cv::Mat out;
            m.convertTo(out, CV_8U, 1.0 / 257.0, 128.0);
            return out;
        }
        case CV_32F:
        case CV_64F: {  // assume [0, 1]
            cv::Mat out;
            m.convertTo(out, CV_8U, 255.0);
            return out;
        }
        default: {
            cv::Mat out;
            cv::normalize(m, out, 0, 255, cv::NORM_MINMAX, CV_8U);
            return out;
        }
    }
}

std::string lower_ext(const std::string& path) {
    const size_t dot = path.find_last_of('.');
    const size_t slash = path.find_last_of('/');
    if (dot == std::string::npos || (slash != std::string::npos && dot < slash)) return "";
    std::string e = path.substr(dot + 1);
    for (char& c : e) c = char(std::tolower(static_cast<unsigned char>(c)));
    return e;
}

void check_png_complete(const std::string& path, const std::string& bytes) {
    static const unsigned char sig[8] = {0x89, 'P', 'N', 'G', 0x0D, 0x0A, 0x1A, 0x0A};
    if (bytes.size() < 8 || std::memcmp(bytes.data(), sig, 8) != 0) return;
    // An intact PNG ends with an IEND chunk (length 0, "IEND", CRC).
    const size_t tail = bytes.size() > 64 ? bytes.size() - 64 : 0;
    if (bytes.size() < 8 + 12 || bytes.find("IEND", tail) == std::string::npos) {
        throw Error(path + ": PNG file is truncated (no IEND chunk at the end)");
    }
}

}  // namespace

Image load_image(const std::string& path) {
    const std::string bytes = read_all(path);
    if (bytes.empty()) throw Error(path + ": image file is empty");
    const JpegInfo jpeg = parse_jpeg(bytes);
    if (jpeg.is_jpeg && jpeg.truncated) throw Error(path + ": JPEG file is truncated or corrupt");
    check_png_complete(path, bytes);

    cv::Mat raw;
    try {
        const cv::Mat buf(1, int(bytes.size()), CV_8U, const_cast<char*>(bytes.data()));
        raw = cv::imdecode(buf, cv::IMREAD_UNCHANGED);
    } catch (const cv::Exception& e) {
        throw Error(path + ": cannot decode image (" + e.what() + ")");
    }
    if (raw.empty()) {
        throw Error(path + ": not an image, or a truncated/corrupt one (no decoder could read it" +
                    (lower_ext(path).empty() ? std::string(")") : " as ." + lower_ext(path) + ")"));
    }
    cv::Mat m = to_8bit(raw);
    cv::Mat rgb;
    switch (m.channels()) {
        case 1: cv::cvtColor(m, rgb, cv::COLOR_GRAY2RGB); break;
        case 3: cv::cvtColor(m, rgb, cv::COLOR_BGR2RGB); break;
        case 4: {
            // Composite over white so transparent areas look as they do in most viewers.
            rgb.create(m.rows, m.cols, CV_8UC3);
            for (int y = 0; y < m.rows; ++y) {
                const uint8_t* s = m.ptr<uint8_t>(y);
                uint8_t* o = rgb.ptr<uint8_t>(y);
                for (int x = 0; x < m.cols; ++x, s += 4, o += 3) {
                    const int a = s[3];
                    // BGRA -> RGB
                    o[0] = uint8_t((s[2] * a + 255 * (255 - a) + 127) / 255);
                    o[1] = uint8_t((s[1] * a + 255 * (255 - a) + 127) / 255);
                    o[2] = uint8_t((s[0] * a + 255 * (255 - a) + 127) / 255);
                }
            }
            break;
        }
        case 2: {  // grey + alpha
            rgb.create(m.rows, m.cols, CV_8UC3);
            for (int y = 0; y < m.rows; ++y) {
                const uint8_t* s = m.ptr<uint8_t>(y);
                uint8_t* o = rgb.ptr<uint8_t>(y);
                for (int x = 0; x < m.cols; ++x, s += 2, o += 3) {
                    const uint8_t v = uint8_t((s[0] * s[1] + 255 * (255 - s[1]) + 127) / 255);
                    o[0] = o[1] = o[2] = v;
                }
            }
            break;
        }
        default: throw Error(path + ": unsupported number of channels (" + std::to_string(m.channels()) + ")");
    }
    if (jpeg.is_jpeg) apply_orientation(rgb, jpeg.orientation);
    if (!rgb.isContinuous()) rgb = rgb.clone();

    Image img;
    img.width = rgb.cols;
    img.height = rgb.rows;
    img.rgb.assign(rgb.data, rgb.data + size_t(rgb.cols) * rgb.rows * 3);
    return img;
}

void read_image_size(const std::string& path, int& width, int& height) {
    {
        std::ifstream in(path, std::ios::binary);
        if (!in) throw Error(path + ": image file is missing or cannot be opened");
    }
    const std::string bytes = read_all(path);
    const JpegInfo jpeg = parse_jpeg(bytes);
    if (jpeg.is_jpeg) {
        if (jpeg.truncated) throw Error(path + ": JPEG file is truncated or corrupt");
        if (jpeg.has_sof && jpeg.width > 0 && jpeg.height > 0) {
            const bool swap = jpeg.orientation >= 5;
            width = swap ? jpeg.height : jpeg.width;
            height = swap ? jpeg.width : jpeg.height;
            return;
        }
    }
    // PNG: the IHDR chunk comes first and holds the size (big-endian); OpenCV applies no orientation
    // to PNG here either, so header and pixels agree.
    static const unsigned char sig[8] = {0x89, 'P', 'N', 'G', 0x0D, 0x0A, 0x1A, 0x0A};
    if (bytes.size() >= 24 && std::memcmp(bytes.data(), sig, 8) == 0 && bytes.compare(12, 4, "IHDR") == 0) {
        check_png_complete(path, bytes);
        const auto* d = reinterpret_cast<const unsigned char*>(bytes.data());
        const uint32_t w = (uint32_t(d[16]) << 24) | (uint32_t(d[17]) << 16) | (uint32_t(d[18]) << 8) | d[19];
        const uint32_t h = (uint32_t(d[20]) << 24) | (uint32_t(d[21]) << 16) | (uint32_t(d[22]) << 8) | d[23];
        if (w > 0 && h > 0 && w < (1u << 30) && h < (1u << 30)) {
            width = int(w);
            height = int(h);
            return;
        }
    }
    const Image img = load_image(path);
    width = img.width;
    height = img.height;
}

}  // namespace xs
