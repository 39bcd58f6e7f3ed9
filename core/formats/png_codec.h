#pragma once
// PNG files of label values, exactly as stored: 8-bit palette images (class or object indices, as
// VOC and mmseg keep them) and 16-bit grey images (instance ids). Decoding never expands a palette,
// so the indices come back as written; grey images of any depth give their values, RGB images their
// colours (formats map those to classes).
#include <cstdint>
#include <string>
#include <vector>

#include "core/annotation/project.h"

namespace xs {

// `indices` is width * height bytes, row-major; the palette has at most 256 entries.
std::string png_encode_indexed(int width, int height, const std::vector<uint8_t>& indices, const std::vector<Rgb>& palette);
// `values` is width * height, row-major.
std::string png_encode_grey16(int width, int height, const std::vector<uint16_t>& values);

struct PngValues {
    enum class Kind { Indexed, Grey, Rgb };
    Kind kind = Kind::Grey;
    int width = 0, height = 0;
    std::vector<uint32_t> values;  // palette index, grey value, or 0xRRGGBB per pixel, row-major
    std::vector<Rgb> palette;      // Indexed only
};
// Throws xs::Error naming `path` for a file that is not a PNG, is truncated or corrupt, or is larger
// than the image limits allow.
PngValues png_decode_values(const std::string& bytes, const std::string& path);

}  // namespace xs
