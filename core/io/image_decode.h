#pragma once
// Header reading and bounded decoding of images, for huge and unusual files.
//
//   xs::ImageHeader h = xs::read_image_header("scan.png");   // size, depth, channels, colour, orientation
//   xs::WorkingImage wi = xs::load_working_image("scan.png"); // at most kWorkingMaxSide / kWorkingMaxPixels
//   wi.image            // 8-bit RGB at the working resolution, EXIF orientation applied
//   wi.full_width       // the full (displayed) resolution masks are stored at
//
// The working image is an area average of the full-resolution pixels: full-resolution pixel (x, y)
// (displayed orientation) falls into working pixel (floor(x * w / W), floor(y * h / H)), the same
// mapping core/mask/mask_scale.h uses for masks. Huge images are never held at full resolution:
//  - JPEG: libjpeg's DCT scaling (1/8 .. 8/8) decodes straight to the smallest size that is still at
//    least the working size, row by row, and those rows are area-averaged into the working image;
//  - PNG (not interlaced): libpng decodes row by row into the same area average;
//  - everything else (TIFF, BMP, WebP, interlaced PNG, ...): OpenCV decodes the whole file when the
//    estimated memory fits DecodeLimits::full_decode_budget_bytes, else xs::Error says so;
//  - progressive JPEG: libjpeg keeps all DCT coefficients in memory; refused with xs::Error when they
//    do not fit the same budget.
// Pixel conversion (one rule everywhere): 16-bit v -> round(v / 257); alpha composited over white,
// out = (c * a + 255 * (255 - a) + 127) / 255 on 8-bit values; grey -> R = G = B; CMYK JPEG:
// with an Adobe APP14 marker the samples are stored inverted (Photoshop's convention) and
// R = (C * K + 127) / 255, without one R = ((255 - C) * (255 - K) + 127) / 255 (same for G/M, B/Y);
// area average = (sum + n / 2) / n per channel.
#include <cstdint>
#include <string>

#include "core/io/image.h"

namespace xs {

// Default bounds of the working image (what the GUI displays and engines see).
constexpr int kWorkingMaxSide = 8192;
constexpr int64_t kWorkingMaxPixels = 40'000'000;
// Formats that can only be decoded whole must fit this much memory (decoded samples + RGB copy).
constexpr int64_t kFullDecodeBudgetBytes = int64_t(1) << 30;

struct DecodeLimits {
    int max_side = kWorkingMaxSide;
    int64_t max_pixels = kWorkingMaxPixels;
    int64_t full_decode_budget_bytes = kFullDecodeBudgetBytes;
    static DecodeLimits unbounded();  // working image = full image (budget still applies)
};

// The process-wide limits the GUI uses; start as DecodeLimits{} and can be overridden by the
// environment: XS_WORKING_MAX_SIDE, XS_WORKING_MAX_MPX (megapixels), XS_DECODE_BUDGET_MB.
DecodeLimits default_decode_limits();
void set_default_decode_limits(const DecodeLimits& limits);

enum class ColorModel { Unknown, Grey, GreyAlpha, Rgb, Rgba, Palette, Cmyk, Ycck, YCbCr };
const char* color_model_name(ColorModel c);

struct ImageHeader {
    std::string format;       // "jpeg", "png", "tiff", "bmp", "webp" or "other"
    int width = 0;            // as displayed (after orientation); 0 when the header gave no size
    int height = 0;
    int stored_width = 0;     // as stored in the file
    int stored_height = 0;
    int bit_depth = 0;        // bits per sample as stored (0 when unknown)
    int channels = 0;         // samples per pixel as stored (palette: 1; 0 when unknown)
    ColorModel color = ColorModel::Unknown;
    int orientation = 1;      // EXIF/TIFF orientation 1..8 (JPEG APP1 and TIFF tag 274)
    bool adobe_marker = false;  // JPEG APP14 "Adobe" present (CMYK stored inverted)
    bool interlaced = false;    // PNG Adam7 or progressive JPEG
    int64_t file_size = 0;
    int64_t pixels() const { return int64_t(width) * height; }
};

// Reads only the header (and, for PNG, the last bytes to see IEND). Throws xs::Error naming the
// path on missing, empty, truncated-header or unrecognised files; format "other" is returned
// with width/height 0 for files only OpenCV knows.
ImageHeader read_image_header(const std::string& path);

// The working size for a full size under the limits: scale s = min(1, max_side / max(W, H),
// sqrt(max_pixels / (W * H))), w = max(1, floor(W * s)), h = max(1, floor(H * s)).
void working_size(int full_width, int full_height, const DecodeLimits& limits, int& width, int& height);

struct WorkingImage {
    ImageHeader header;
    Image image;          // working resolution, 8-bit RGB, orientation applied
    int full_width = 0;   // = header.width / height: the resolution annotations are stored at
    int full_height = 0;
    std::string method;   // how it was decoded, e.g. "libjpeg 3/8 + area", "libpng rows + area"
    bool reduced() const { return image.width != full_width || image.height != full_height; }
};

// Decodes path to a working image under limits (see the top of this file). Throws xs::Error naming
// the path on unreadable, truncated, corrupt or over-budget files.
WorkingImage load_working_image(const std::string& path, const DecodeLimits& limits = default_decode_limits());

}  // namespace xs
