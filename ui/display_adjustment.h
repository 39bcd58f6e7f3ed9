#pragma once
// Brightness, contrast and gamma for display only: the canvas draws its image through a lookup
// table made from these; the file, the engine's input, the export and the project never see them.
//
//   DisplayAdjustment a{20, 10, 1.4};
//   QImage shown = apply_display_adjustment(level_image, a);  // a copy; the input stays as it is
//
// Only when the user ticks "Apply to what the engine sees" does the engine get an adjusted copy
// (adjusted_engine_image); the project, the export and the file still never do.
#include <QImage>
#include <array>
#include <cstdint>

#include "core/io/image.h"

namespace xs {

struct DisplayAdjustment {
    int brightness = 0;   // -100 … 100: added, in percent of full scale
    int contrast = 0;     // -100 … 100: 0 keeps, 100 is the steepest, -100 flat grey
    double gamma = 1.0;   // 0.2 … 5: above 1 brightens the mid-tones
    bool is_identity() const { return brightness == 0 && contrast == 0 && gamma == 1.0; }
    bool operator==(const DisplayAdjustment& o) const {
        return brightness == o.brightness && contrast == o.contrast && gamma == o.gamma;
    }
    bool operator!=(const DisplayAdjustment& o) const { return !(*this == o); }
};

constexpr int kMinBrightness = -100, kMaxBrightness = 100;
constexpr int kMinContrast = -100, kMaxContrast = 100;
constexpr double kMinGamma = 0.2, kMaxGamma = 5.0;

// The table every colour channel goes through: gamma first, then contrast about mid-grey, then
// brightness, clamped to 0…255.
std::array<uint8_t, 256> display_lookup_table(const DisplayAdjustment& adjustment);

// The image with the table applied to R, G and B (alpha kept). Returns the image itself (shared,
// no copy) when the adjustment changes nothing.
QImage apply_display_adjustment(const QImage& image, const DisplayAdjustment& adjustment);

// The same table on an engine's RGB image (a copy).
Image adjusted_engine_image(const Image& image, const DisplayAdjustment& adjustment);

}  // namespace xs
