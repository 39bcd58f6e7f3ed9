// Points and box: a left click is a positive point, a right click a negative one, a left drag a box.
#include <QObject>
#include <QPainter>
#include <QRectF>

#include "ui/tools/tools.h"

namespace xs {

namespace {

constexpr double kDragThreshold = 4.0;  // canvas pixels before a press becomes a drag
const QColor kBox(0xf1, 0xc4, 0x0f);

class PointsBoxTool : public CanvasTool {
public:
    void press(const ToolEvent& e, const ToolView&) override {
        button_ = e.button;
        press_ = e;
        dragging_ = false;
    }
    void move(const ToolEvent& e, const ToolView&) override {
        if (button_ != Qt::LeftButton) return;
        if ((e.widget - press_.widget).manhattanLength() > kDragThreshold) dragging_ = true;
        last_ = e;
    }
    void release(const ToolEvent& e, const ToolView& view, const Emit& emit) override {
        const bool box = dragging_;
        cancel();
        if (box) {
            const QRectF r = QRectF(press_.image, e.image).normalized() & QRectF(QPointF(0, 0), view.image_extent());
            if (r.width() >= 1 && r.height() >= 1) emit(Gesture{Gesture::Kind::Box, true, {r.topLeft(), r.bottomRight()}});
        } else if (view.inside_image(e.image)) {
            emit(Gesture{Gesture::Kind::Point, e.button == Qt::LeftButton, {e.image}});
        }
    }
    void cancel() override {
        button_ = Qt::NoButton;
        dragging_ = false;
    }
    void paint(QPainter& p, const ToolView& view) const override {
        if (!dragging_) return;
        p.setPen(QPen(kBox, 1.5, Qt::DashLine));
        p.setBrush(QColor(kBox.red(), kBox.green(), kBox.blue(), 30));
        p.drawRect(QRectF(press_.widget, view.mouse_widget()).normalized());
    }
    Qt::CursorShape cursor() const override { return Qt::CrossCursor; }
    bool click_places_point() const override { return true; }
    QString help() const override {
        return QObject::tr("Left click: positive point, right click: negative point, drag: box.");
    }

private:
    Qt::MouseButton button_ = Qt::NoButton;
    ToolEvent press_, last_;
    bool dragging_ = false;
};

}  // namespace

std::unique_ptr<CanvasTool> make_points_box_tool() { return std::make_unique<PointsBoxTool>(); }

}  // namespace xs
