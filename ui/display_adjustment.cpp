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
    // 32-bit pixels, so one loop serves every decoded format; premultiplied colours would need the
    // table applied before premultiplying, so those go through plain ARGB32.
    QImage out = image.convertToFormat(image.hasAlphaChannel() ? QImage::Format_ARGB32 : QImage::Format_RGB32);
    for (int y = 0; y < out.height(); ++y) {
        auto* px = reinterpret_cast<QRgb*>(out.scanLine(y));
        for (int x = 0; x < out.width(); ++x) {
            const QRgb c = px[x];
            px[x] = qRgba(t[qRed(c)], t[qGreen(c)], t[qBlue(c)], qAlpha(c));
        }
    }
    return out;
}

}  // namespace xs
