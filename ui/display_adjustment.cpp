#include "ui/display_adjustment.h"

#include <algorithm>
#include <cmath>

namespace xs {

namespace {

// Contrast as a slope about mid-grey: -100 … 0 scales down to flat, 0 … 100 steepens up to 20x
// (symmetric in the sense that +50 doubles what -50 halves).
double contrast_slope(int contrast) {
    if (contrast <= 0) return (100.0 + contrast) / 100.0;
    return 100.0 / std::max(5.0, 100.0 - contrast);
}

}  // namespace

std::array<uint8_t, 256> display_lookup_table(const DisplayAdjustment& a) {
    const double slope = contrast_slope(std::clamp(a.contrast, kMinContrast, kMaxContrast));
    const double offset = std::clamp(a.brightness, kMinBrightness, kMaxBrightness) / 100.0;
    const double inverse_gamma = 1.0 / std::clamp(a.gamma, kMinGamma, kMaxGamma);
    std::array<uint8_t, 256> table{};
    for (int v = 0; v < 256; ++v) {
        double x = std::pow(v / 255.0, inverse_gamma);
        x = (x - 0.5) * slope + 0.5 + offset;
        table[v] = uint8_t(std::lround(std::clamp(x, 0.0, 1.0) * 255.0));
    }
    return table;
}

QImage apply_display_adjustment(const QImage& image, const DisplayAdjustment& a) {
    if (a.is_identity() || image.isNull()) return image;
    const std::array<uint8_t, 256> t = display_lookup_table(a);
    // 32-bit pixels with straight alpha (the canvas's levels are RGB32 already, so this copies only
    // other formats); the table goes through every colour byte and skips the alpha byte.
    QImage out = image.convertToFormat(image.hasAlphaChannel() ? QImage::Format_ARGB32 : QImage::Format_RGB32);
    constexpr int kAlphaByte = Q_BYTE_ORDER == Q_LITTLE_ENDIAN ? 3 : 0;  // of a QRgb in memory
    for (int y = 0; y < out.height(); ++y) {
        uint8_t* px = out.scanLine(y);
        const uint8_t* end = px + size_t(out.width()) * 4;
        for (; px != end; px += 4)
            for (int c = 0; c < 4; ++c)
                if (c != kAlphaByte) px[c] = t[px[c]];
    }
    return out;
}

Image adjusted_engine_image(const Image& image, const DisplayAdjustment& a) {
    Image out = image;
    const std::array<uint8_t, 256> t = display_lookup_table(a);
    for (uint8_t& v : out.rgb) v = t[v];
    return out;
}

}  // namespace xs
