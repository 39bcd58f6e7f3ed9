// libpng reports fatal errors with longjmp: each call into the library runs in a function whose
// frame holds no C++ object with a destructor, with its buffers in a context owned by the caller
// (as core/io/image_decode.cpp does), and the caller turns the recorded message into xs::Error.
#include "core/formats/png_codec.h"

#include <png.h>

#include <csetjmp>
#include <cstring>
#include <memory>

#include "core/util/error.h"

namespace xs {

namespace {

constexpr uint64_t kMaxPixels = uint64_t(1) << 31;  // as the COCO masks: 32-bit run lengths

struct PngContext {
    std::string message;
    // writing
    std::string out;
    int width = 0, height = 0;
    int bit_depth = 8;
    int color_type = PNG_COLOR_TYPE_PALETTE;
    std::vector<png_color> palette;
    std::vector<std::vector<uint8_t>> rows;
    // reading
    const std::string* in = nullptr;
    size_t pos = 0;
    PngValues* values = nullptr;
    int channels = 0;
    std::vector<uint8_t> row;
};

void on_error(png_structp png, png_const_charp msg) {
    static_cast<PngContext*>(png_get_error_ptr(png))->message = msg ? msg : "error";
    png_longjmp(png, 1);
}
void on_warning(png_structp, png_const_charp) {}

void on_write(png_structp png, png_bytep data, png_size_t n) {
    static_cast<PngContext*>(png_get_io_ptr(png))->out.append(reinterpret_cast<const char*>(data), n);
}
void on_flush(png_structp) {}

void on_read(png_structp png, png_bytep data, png_size_t n) {
    auto* ctx = static_cast<PngContext*>(png_get_io_ptr(png));
    if (ctx->pos + n > ctx->in->size()) png_error(png, "file is truncated");
    std::memcpy(data, ctx->in->data() + ctx->pos, n);
    ctx->pos += n;
}

// No C++ objects with destructors in this frame.
bool write_png(PngContext* ctx) {
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, ctx, on_error, on_warning);
    if (!png) return false;
    png_infop info = png_create_info_struct(png);
    if (!info || setjmp(png_jmpbuf(png))) {
        png_destroy_write_struct(&png, &info);
        return false;
    }
    png_set_write_fn(png, ctx, on_write, on_flush);
    png_set_IHDR(png, info, png_uint_32(ctx->width), png_uint_32(ctx->height), ctx->bit_depth, ctx->color_type,
                 PNG_INTERLACE_NONE, PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    if (ctx->color_type == PNG_COLOR_TYPE_PALETTE) png_set_PLTE(png, info, ctx->palette.data(), int(ctx->palette.size()));
    png_write_info(png, info);
    for (int y = 0; y < ctx->height; ++y) png_write_row(png, ctx->rows[size_t(y)].data());
    png_write_end(png, nullptr);
    png_destroy_write_struct(&png, &info);
    return true;
}

void start_values(PngContext& ctx, png_structp png, png_infop info) {
    PngValues& v = *ctx.values;
    v.width = int(png_get_image_width(png, info));
    v.height = int(png_get_image_height(png, info));
    ctx.channels = int(png_get_channels(png, info));
    ctx.bit_depth = png_get_bit_depth(png, info);
    ctx.color_type = png_get_color_type(png, info);
    ctx.row.resize(png_get_rowbytes(png, info));
}

void take_row(PngContext& ctx, int y) {
    PngValues& v = *ctx.values;
    uint32_t* out = v.values.data() + size_t(y) * size_t(v.width);
    const uint8_t* r = ctx.row.data();
    const bool wide = ctx.bit_depth == 16;
    for (int x = 0; x < v.width; ++x) {
        const uint8_t* p = r + size_t(x) * size_t(ctx.channels) * (wide ? 2 : 1);
        auto sample = [&](int c) { return wide ? uint32_t(p[2 * c] << 8 | p[2 * c + 1]) : uint32_t(p[c]); };
        if (v.kind == PngValues::Kind::Rgb) {
            auto eight = [&](int c) { return wide ? sample(c) >> 8 : sample(c); };
            out[x] = eight(0) << 16 | eight(1) << 8 | eight(2);
        } else {
            out[x] = sample(0);  // palette index or grey value (alpha, if any, ignored)
        }
    }
}

// No C++ objects with destructors in this frame.
bool read_png(PngContext* ctx) {
    png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, ctx, on_error, on_warning);
    if (!png) return false;
    png_infop info = png_create_info_struct(png);
    if (!info || setjmp(png_jmpbuf(png))) {
        png_destroy_read_struct(&png, &info, nullptr);
        return false;
    }
    png_set_read_fn(png, ctx, on_read);
    png_read_info(png, info);
    if (uint64_t(png_get_image_width(png, info)) * png_get_image_height(png, info) > kMaxPixels)
        png_error(png, "the image is larger than 2^31 pixels");
    if (png_get_interlace_type(png, info) != PNG_INTERLACE_NONE) png_error(png, "interlaced label images are not read");
    png_set_packing(png);  // 1, 2, 4-bit samples -> one byte each (palette indices stay indices)
    const int type = png_get_color_type(png, info);
    ctx->values->kind = type == PNG_COLOR_TYPE_PALETTE ? PngValues::Kind::Indexed
                        : (type & PNG_COLOR_MASK_COLOR) ? PngValues::Kind::Rgb
                                                        : PngValues::Kind::Grey;
    png_read_update_info(png, info);
    start_values(*ctx, png, info);
    ctx->values->values.resize(size_t(ctx->values->width) * size_t(ctx->values->height));
    if (ctx->values->kind == PngValues::Kind::Indexed) {
        png_colorp plte = nullptr;
        int n = 0;
        if (png_get_PLTE(png, info, &plte, &n) == PNG_INFO_PLTE) {
            for (int i = 0; i < n; ++i) ctx->values->palette.push_back(Rgb{plte[i].red, plte[i].green, plte[i].blue});
        }
    }
    for (int y = 0; y < ctx->values->height; ++y) {
        png_read_row(png, ctx->row.data(), nullptr);
        take_row(*ctx, y);
    }
    png_read_end(png, nullptr);
    png_destroy_read_struct(&png, &info, nullptr);
    return true;
}

void check_size(int width, int height, size_t values) {
    if (width <= 0 || height <= 0 || values != size_t(width) * size_t(height))
        throw Error("PNG encoding: " + std::to_string(values) + " values for a " + std::to_string(width) + "x" +
                    std::to_string(height) + " image");
}

std::string encode(PngContext& ctx) {
    if (!write_png(&ctx)) throw Error("PNG encoding failed (libpng: " + ctx.message + ")");
    return std::move(ctx.out);
}

}  // namespace

std::string png_encode_indexed(int width, int height, const std::vector<uint8_t>& indices, const std::vector<Rgb>& palette) {
    check_size(width, height, indices.size());
    if (palette.empty() || palette.size() > 256) throw Error("PNG encoding: a palette has 1 to 256 colours");
    auto ctx = std::make_unique<PngContext>();
    ctx->width = width;
    ctx->height = height;
    for (const Rgb& c : palette) ctx->palette.push_back(png_color{c.r, c.g, c.b});
    for (int y = 0; y < height; ++y)
        ctx->rows.emplace_back(indices.begin() + long(y) * width, indices.begin() + long(y + 1) * width);
    return encode(*ctx);
}

std::string png_encode_grey16(int width, int height, const std::vector<uint16_t>& values) {
    check_size(width, height, values.size());
    auto ctx = std::make_unique<PngContext>();
    ctx->width = width;
    ctx->height = height;
    ctx->bit_depth = 16;
    ctx->color_type = PNG_COLOR_TYPE_GRAY;
    for (int y = 0; y < height; ++y) {
        std::vector<uint8_t> row(size_t(width) * 2);
        for (int x = 0; x < width; ++x) {
            const uint16_t v = values[size_t(y) * width + x];
            row[2 * size_t(x)] = uint8_t(v >> 8);  // PNG is big-endian
            row[2 * size_t(x) + 1] = uint8_t(v & 0xff);
        }
        ctx->rows.push_back(std::move(row));
    }
    return encode(*ctx);
}

PngValues png_decode_values(const std::string& bytes, const std::string& path) {
    static const unsigned char signature[8] = {0x89, 'P', 'N', 'G', 0x0D, 0x0A, 0x1A, 0x0A};
    if (bytes.size() < 8 || std::memcmp(bytes.data(), signature, 8) != 0) throw Error(path + ": not a PNG file");
    PngValues values;
    auto ctx = std::make_unique<PngContext>();
    ctx->in = &bytes;
    ctx->values = &values;
    if (!read_png(ctx.get())) throw Error(path + ": PNG file is truncated or corrupt (libpng: " + ctx->message + ")");
    return values;
}

}  // namespace xs
