// Scribble: a left drag is a positive scribble, a right drag a negative one; a click is a point.
#include <QObject>
#include <QPainter>
#include <QPainterPath>

#include "ui/tools/tools.h"

namespace xs {

namespace {

const QColor kPositive(0x2e, 0xcc, 0x71);
const QColor kNegative(0xe7, 0x4c, 0x3c);

class ScribbleTool : public CanvasTool {
public:
    void press(const ToolEvent& e, const ToolView&) override {
        button_ = e.button;
        stroke_ = {e.image};
    }
    void move(const ToolEvent& e, const ToolView&) override {
        if (!stroke_.empty()) stroke_.push_back(e.image);
    }
    void release(const ToolEvent& e, const ToolView& view, const Emit& emit) override {
        std::vector<QPointF> stroke;
        stroke.swap(stroke_);
        const bool positive = e.button == Qt::LeftButton;
        if (stroke.size() >= 2) emit(Gesture{Gesture::Kind::Scribble, positive, stroke});
        else if (view.inside_image(e.image)) emit(Gesture{Gesture::Kind::Point, positive, {e.image}});
    }
    void cancel() override { stroke_.clear(); }
    void paint(QPainter& p, const ToolView& view) const override {
        if (stroke_.empty()) return;
        QPainterPath path(view.image_to_widget(stroke_.front()));
        for (const QPointF& q : stroke_) path.lineTo(view.image_to_widget(q));
        p.setPen(QPen(button_ == Qt::RightButton ? kNegative : kPositive, 3, Qt::SolidLine, Qt::RoundCap, Qt::RoundJoin));
        p.setBrush(Qt::NoBrush);
        p.drawPath(path);
    }
    Qt::CursorShape cursor() const override { return Qt::CrossCursor; }
    QString help() const override { return QObject::tr("Left drag: positive scribble, right drag: negative scribble."); }

private:
    Qt::MouseButton button_ = Qt::NoButton;
    std::vector<QPointF> stroke_;
};

}  // namespace

std::unique_ptr<CanvasTool> make_scribble_tool() { return std::make_unique<ScribbleTool>(); }

}  // namespace xs
