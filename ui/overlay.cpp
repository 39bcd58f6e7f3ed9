#include "ui/overlay.h"

#include <QPainter>
#include <QPainterPath>
#include <algorithm>
#include <cmath>

namespace xs {

namespace {

QRgb premultiplied(QColor c, int alpha) {
    return qPremultiply(qRgba(c.red(), c.green(), c.blue(), alpha));
}

// Brighter outline colour so edges read on dark and light images alike.
QColor edge_color(Rgb c) {
    QColor q(c.r, c.g, c.b);
    return q.lighter(125);
}

}  // namespace

void LabelOverlay::clear() {
    width_ = height_ = 0;
    labels_.clear();
    ids_.clear();
    fill_.clear();
    edge_.clear();
    layers_.clear();
}

void LabelOverlay::set_instances(const ImageRecord* image, const Project& project, const OverlayStyle& style) {
    clear();
    if (!image) return;
    width_ = image->width;
    height_ = image->height;
    labels_.assign(size_t(width_) * height_, 0);
    colors_.clear();
    for (const Instance& inst : image->instances) {
        if (!inst.visible) continue;
        if (inst.mask.width != width_ || inst.mask.height != height_) continue;
        if (ids_.size() >= 65535) break;
        ids_.push_back(inst.id);
        const Category* cat = project.find_category(inst.category_id);
        colors_.push_back(cat ? cat->color : Rgb{200, 200, 200});
        uint16_t label = uint16_t(ids_.size());
        // Walk the column-major runs; odd runs are set pixels.
        uint64_t pos = 0;
        for (size_t i = 0; i < inst.mask.counts.size(); ++i) {
            uint64_t run = inst.mask.counts[i];
            if (i % 2 == 1) {
                int x = int(pos / height_);
                int y = int(pos % height_);
                for (uint64_t k = 0; k < run; ++k) {
                    labels_[size_t(y) * width_ + x] = label;
                    if (++y == height_) {
                        y = 0;
                        ++x;
                    }
                }
            }
            pos += run;
        }
    }
    set_style(style);
}

void LabelOverlay::set_style(const OverlayStyle& style) {
    style_ = style;
    layers_.clear();
    fill_.assign(1, 0);
    edge_.assign(1, 0);
    int alpha = std::clamp(int(std::lround(style.opacity * 255)), 0, 255);
    for (Rgb c : colors_) {
        fill_.push_back(premultiplied(QColor(c.r, c.g, c.b), alpha));
        edge_.push_back(style.outlines ? premultiplied(edge_color(c), 255) : fill_.back());
    }
}

int64_t LabelOverlay::instance_at(int x, int y) const {
    if (x < 0 || y < 0 || x >= width_ || y >= height_) return 0;
    uint16_t l = labels_[size_t(y) * width_ + x];
    return l ? ids_[l - 1] : 0;
}

const QImage& LabelOverlay::layer(int level) {
    auto it = layers_.find(level);
    if (it != layers_.end()) return it->second;
    const int f = 1 << level;
    const int lw = std::max(1, (width_ + f - 1) / f);
    const int lh = std::max(1, (height_ + f - 1) / f);
    QImage out(lw, lh, QImage::Format_ARGB32_Premultiplied);
    if (width_ == 0 || ids_.empty()) {
        out.fill(Qt::transparent);
        return layers_[level] = out;
    }
    // Nearest-sampled labels at this level, then edges found at this level's resolution.
    std::vector<uint16_t> lab(size_t(lw) * lh);
    for (int y = 0; y < lh; ++y) {
        const uint16_t* row = labels_.data() + size_t(std::min(y * f, height_ - 1)) * width_;
        for (int x = 0; x < lw; ++x) lab[size_t(y) * lw + x] = row[std::min(x * f, width_ - 1)];
    }
    for (int y = 0; y < lh; ++y) {
        QRgb* dst = reinterpret_cast<QRgb*>(out.scanLine(y));
        const uint16_t* r = lab.data() + size_t(y) * lw;
        const uint16_t* up = y > 0 ? r - lw : nullptr;
        const uint16_t* down = y + 1 < lh ? r + lw : nullptr;
        for (int x = 0; x < lw; ++x) {
            uint16_t l = r[x];
            if (!l) {
                dst[x] = 0;
                continue;
            }
            bool edge = x == 0 || x + 1 == lw || !up || !down || r[x - 1] != l || r[x + 1] != l ||
                        up[x] != l || down[x] != l;
            dst[x] = edge ? edge_[l] : fill_[l];
        }
    }
    return layers_[level] = out;
}

QImage render_mask_layer(const std::vector<const Mask*>& masks, int level, QColor fill, QColor outline,
                         QRect* level_rect) {
    *level_rect = QRect();
    QRect box;
    int w = 0, h = 0;
    for (const Mask* m : masks) {
        BBox b = m->bbox();
        if (b.empty()) continue;
        box |= QRect(b.x, b.y, b.w, b.h);
        w = m->width();
        h = m->height();
    }
    if (box.isEmpty()) return QImage();
    const int f = 1 << level;
    QRect lbox(box.x() / f, box.y() / f, (box.right() / f) - box.x() / f + 1, (box.bottom() / f) - box.y() / f + 1);
    // One extra level pixel each side so the outline of a mask touching its box is visible.
    lbox.adjust(-1, -1, 1, 1);
    const int lw = lbox.width(), lh = lbox.height();
    std::vector<uint8_t> on(size_t(lw) * lh, 0);
    for (int y = 0; y < lh; ++y) {
        int iy = (lbox.y() + y) * f;
        if (iy < 0 || iy >= h) continue;
        for (int x = 0; x < lw; ++x) {
            int ix = (lbox.x() + x) * f;
            if (ix < 0 || ix >= w) continue;
            for (const Mask* m : masks) {
                if (m->at(ix, iy)) {
                    on[size_t(y) * lw + x] = 1;
                    break;
                }
            }
        }
    }
    QImage out(lw, lh, QImage::Format_ARGB32_Premultiplied);
    QRgb pf = premultiplied(fill, fill.alpha());
    QRgb pe = premultiplied(outline, outline.alpha());
    for (int y = 0; y < lh; ++y) {
        QRgb* dst = reinterpret_cast<QRgb*>(out.scanLine(y));
        const uint8_t* r = on.data() + size_t(y) * lw;
        for (int x = 0; x < lw; ++x) {
            if (!r[x]) {
                dst[x] = 0;
                continue;
            }
            bool edge = x == 0 || x + 1 == lw || y == 0 || y + 1 == lh || !r[x - 1] || !r[x + 1] ||
                        !r[x - lw] || !r[x + lw];
            dst[x] = edge ? pe : pf;
        }
    }
    *level_rect = lbox;
    return out;
}

void paint_stroke(Mask& mask, const std::vector<QPointF>& points, double radius, bool value) {
    if (points.empty() || mask.empty_size()) return;
    // Rasterise the stroke with QPainter into a byte image covering the stroke's bounds only.
    double x0 = points.front().x(), x1 = x0, y0 = points.front().y(), y1 = y0;
    for (const QPointF& p : points) {  // (QRectF's union skips zero-size rectangles, so no |=)
        x0 = std::min(x0, p.x());
        x1 = std::max(x1, p.x());
        y0 = std::min(y0, p.y());
        y1 = std::max(y1, p.y());
    }
    QRectF bounds(QPointF(x0, y0), QPointF(x1, y1));
    QRect area = bounds.adjusted(-radius - 2, -radius - 2, radius + 2, radius + 2).toAlignedRect() &
                 QRect(0, 0, mask.width(), mask.height());
    if (area.isEmpty()) return;
    QImage stroke(area.size(), QImage::Format_Grayscale8);
    stroke.fill(0);
    {
        QPainter p(&stroke);
        p.translate(-area.topLeft());
        QPen pen(QColor(255, 255, 255), 2 * radius, Qt::SolidLine, Qt::RoundCap, Qt::RoundJoin);
        p.setPen(pen);
        p.setBrush(Qt::white);
        if (points.size() == 1) {
            p.setPen(Qt::NoPen);
            p.drawEllipse(points.front(), radius, radius);
        } else {
            QPainterPath path(points.front());
            for (size_t i = 1; i < points.size(); ++i) path.lineTo(points[i]);
            p.setBrush(Qt::NoBrush);
            p.drawPath(path);
        }
    }
    for (int y = 0; y < area.height(); ++y) {
        const uchar* row = stroke.constScanLine(y);
        for (int x = 0; x < area.width(); ++x) {
            if (row[x] >= 128) mask.set(area.x() + x, area.y() + y, value);
        }
    }
}

}  // namespace xs
