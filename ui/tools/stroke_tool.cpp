#include "ui/tools/stroke_tool.h"

#include <QPainter>
#include <QPainterPath>
#include <algorithm>

namespace xs {

void StrokeTool::press(const ToolEvent& e, const ToolView&) {
    button_ = e.button;
    stroke_ = {e.image};
}

void StrokeTool::move(const ToolEvent& e, const ToolView&) {
    if (!stroke_.empty()) stroke_.push_back(e.image);
}

void StrokeTool::release(const ToolEvent& e, const ToolView&, const Emit& emit) {
    std::vector<QPointF> stroke;
    stroke.swap(stroke_);
    if (!stroke.empty()) emit(Gesture{Gesture::Kind::Stroke, paints(e.button), stroke});
}

void StrokeTool::cancel() { stroke_.clear(); }

void StrokeTool::paint(QPainter& p, const ToolView& view) const {
    const double r = view.brush_radius() * view.scale();
    if (!stroke_.empty()) {
        const QColor c = paints(button_) ? QColor(0, 200, 255, 110) : QColor(255, 255, 255, 110);
        QPainterPath path(view.image_to_widget(stroke_.front()));
        for (const QPointF& q : stroke_) path.lineTo(view.image_to_widget(q));
        p.setPen(QPen(c, std::max(1.0, 2 * r), Qt::SolidLine, Qt::RoundCap, Qt::RoundJoin));
        p.setBrush(Qt::NoBrush);
        p.drawPath(path);
    }
    const QPointF at = view.mouse_widget();
    if (at.x() < 0 || at.y() < 0) return;
    p.setBrush(Qt::NoBrush);
    p.setPen(QPen(QColor(0, 0, 0, 180), 3));
    p.drawEllipse(at, r, r);
    p.setPen(QPen(outline(), 1.5));
    p.drawEllipse(at, r, r);
}

}  // namespace xs
