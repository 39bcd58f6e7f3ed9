#pragma once
// Rendering of instance masks as coloured layers over the image.
//
// LabelOverlay keeps, for the shown image, which instance is on top at every pixel (the label map),
// and renders it as one ARGB layer per zoom level: level k is the image scaled by 1/2^k, so the
// canvas always draws a layer close to screen resolution and outlines stay about one screen pixel
// wide at every zoom. Hover hit tests read the label map directly.
#include <QColor>
#include <QImage>
#include <QPointF>
#include <QRect>
#include <cstdint>
#include <map>
#include <vector>

#include "core/annotation/project.h"
#include "core/mask/mask.h"

namespace xs {

struct OverlayStyle {
    double opacity = 0.45;  // fill opacity of instance masks, 0..1
    bool outlines = true;
};

class LabelOverlay {
public:
    // Rebuilds the label map from the image's visible instances (in drawing order).
    void set_instances(const ImageRecord* image, const Project& project, const OverlayStyle& style);
    void set_style(const OverlayStyle& style);  // keeps the label map, drops rendered layers
    void clear();

    // Id of the top-most visible instance at image pixel (x, y), 0 if none.
    int64_t instance_at(int x, int y) const;
    // The layer for zoom level k (size ceil(w / 2^k) x ceil(h / 2^k)); built on first use.
    const QImage& layer(int level);
    int width() const { return width_; }
    int height() const { return height_; }

private:
    int width_ = 0, height_ = 0;
    std::vector<uint16_t> labels_;  // 1 + index into ids_/fill_/edge_, 0 = nothing
    std::vector<int64_t> ids_;
    std::vector<QRgb> fill_, edge_;  // premultiplied colours per label
    OverlayStyle style_;
    std::vector<Rgb> colors_;
    std::map<int, QImage> layers_;
};

// Renders masks (all the same size) at zoom level k into an image covering their union's bounding
// box; *level_rect receives that box in level pixels. Empty image when every mask is empty.
QImage render_mask_layer(const std::vector<const Mask*>& masks, int level, QColor fill, QColor outline,
                         QRect* level_rect);

// Paints a polyline of round dabs of the given radius (image pixels) into the mask: set or clear.
void paint_stroke(Mask& mask, const std::vector<QPointF>& points, double radius, bool value);

}  // namespace xs
