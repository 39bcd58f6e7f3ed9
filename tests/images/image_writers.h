#pragma once
// Streaming PNG and JPEG writers for the image tests: rows come from a callback, so a 20000 x 20000
// test file is written without ever holding it in memory. Test-only code.
#include <jpeglib.h>
#include <png.h>

#include <csetjmp>
#include <cstdio>
#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

namespace xs::test {

using RowFn = std::function<void(int y, unsigned char* row)>;

struct PngSpec {
    int width = 0, height = 0;
    int color_type = PNG_COLOR_TYPE_RGB;  // PNG_COLOR_TYPE_GRAY, _GRAY_ALPHA, _RGB, _RGB_ALPHA, _PALETTE
    int bit_depth = 8;                    // 1, 2, 4, 8, 16 as the colour type allows
    std::vector<png_color> palette;       // for PNG_COLOR_TYPE_PALETTE
    std::vector<unsigned char> trns;      // palette alpha (tRNS)
    int compression = 1;
    bool no_filter = false;  // skip libpng's per-row filter search (much faster for huge files)
};

// row: packed as PNG stores it (16-bit samples big-endian, sub-byte samples packed MSB first).
inline void write_png(const std::string& path, const PngSpec& s, const RowFn& row_fn) {
    std::FILE* f = std::fopen(path.c_str(), "wb");
    if (!f) throw std::runtime_error("cannot write " + path);
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, nullptr, nullptr, nullptr);
    png_infop info = png_create_info_struct(png);
    if (setjmp(png_jmpbuf(png))) {
        png_destroy_write_struct(&png, &info);
        std::fclose(f);
        throw std::runtime_error("libpng failed writing " + path);
    }
    png_init_io(png, f);
    png_set_compression_level(png, s.compression);
    if (s.no_filter) png_set_filter(png, 0, PNG_FILTER_NONE);
    png_set_IHDR(png, info, png_uint_32(s.width), png_uint_32(s.height), s.bit_depth, s.color_type, PNG_INTERLACE_NONE,
                 PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    if (!s.palette.empty()) png_set_PLTE(png, info, s.palette.data(), int(s.palette.size()));
    if (!s.trns.empty()) png_set_tRNS(png, info, s.trns.data(), int(s.trns.size()), nullptr);
    png_write_info(png, info);
    std::vector<unsigned char> row(png_get_rowbytes(png, info));
    for (int y = 0; y < s.height; ++y) {
        row_fn(y, row.data());
        png_write_row(png, row.data());
    }
    png_write_end(png, nullptr);
    png_destroy_write_struct(&png, &info);
    std::fclose(f);
}

struct JpegSpec {
    int width = 0, height = 0;
    int components = 3;
    J_COLOR_SPACE in_space = JCS_RGB;  // JCS_RGB, JCS_GRAYSCALE or JCS_CMYK
    bool adobe_marker = true;          // only matters for CMYK (libjpeg writes one by default)
    int quality = 95;
    bool no_subsampling = true;
    int exif_orientation = 0;          // 1..8 writes an EXIF APP1 with that orientation; 0 none
};

// An EXIF APP1 payload with one IFD entry: orientation.
inline std::vector<unsigned char> exif_orientation_payload(int orientation, bool little_endian) {
    std::vector<unsigned char> p = {'E', 'x', 'i', 'f', 0, 0};
    auto u16 = [&](unsigned v) {
        if (little_endian) { p.push_back(v & 0xFF); p.push_back(v >> 8); }
        else { p.push_back(v >> 8); p.push_back(v & 0xFF); }
    };
    auto u32 = [&](unsigned v) {
        if (little_endian) { for (int i = 0; i < 4; ++i) p.push_back((v >> (8 * i)) & 0xFF); }
        else { for (int i = 3; i >= 0; --i) p.push_back((v >> (8 * i)) & 0xFF); }
    };
    p.push_back(little_endian ? 'I' : 'M');
    p.push_back(little_endian ? 'I' : 'M');
    u16(42);
    u32(8);      // IFD0 at offset 8
    u16(1);      // one entry
    u16(0x0112); // orientation
    u16(3);      // SHORT
    u32(1);      // count
    u16(unsigned(orientation));
    u16(0);      // padding of the 4-byte value field
    u32(0);      // no next IFD
    return p;
}

inline void write_jpeg(const std::string& path, const JpegSpec& s, const RowFn& row_fn) {
    std::FILE* f = std::fopen(path.c_str(), "wb");
    if (!f) throw std::runtime_error("cannot write " + path);
    jpeg_compress_struct c;
    jpeg_error_mgr err;
    c.err = jpeg_std_error(&err);
    jpeg_create_compress(&c);
    jpeg_stdio_dest(&c, f);
    c.image_width = JDIMENSION(s.width);
    c.image_height = JDIMENSION(s.height);
    c.input_components = s.components;
    c.in_color_space = s.in_space;
    jpeg_set_defaults(&c);
    if (s.in_space == JCS_CMYK) {
        jpeg_set_colorspace(&c, JCS_CMYK);
        c.write_Adobe_marker = s.adobe_marker ? TRUE : FALSE;
    }
    jpeg_set_quality(&c, s.quality, TRUE);
    if (s.no_subsampling) {
        for (int i = 0; i < c.num_components; ++i) c.comp_info[i].h_samp_factor = c.comp_info[i].v_samp_factor = 1;
    }
    jpeg_start_compress(&c, TRUE);
    if (s.exif_orientation) {
        const auto p = exif_orientation_payload(s.exif_orientation, s.exif_orientation % 2 == 0);
        jpeg_write_marker(&c, JPEG_APP0 + 1, p.data(), unsigned(p.size()));
    }
    std::vector<unsigned char> row(size_t(s.width) * s.components);
    while (c.next_scanline < c.image_height) {
        row_fn(int(c.next_scanline), row.data());
        JSAMPROW r = row.data();
        jpeg_write_scanlines(&c, &r, 1);
    }
    jpeg_finish_compress(&c);
    jpeg_destroy_compress(&c);
    std::fclose(f);
}

}  // namespace xs::test
