// Polygon: left clicks place vertices; a click on the first vertex or Enter closes the polygon (three
// vertices at least), Backspace removes the last vertex, Esc drops them all. The closed polygon is
// handed on as a Polygon gesture (it becomes an instance of the current category).
#include <QObject>
#include <QPainter>
#include <QPainterPath>
#include <cmath>

#include "ui/tools/tools.h"

namespace xs {

namespace {

constexpr double kCloseRadius = 8.0;  // canvas pixels around the first vertex that close the polygon
constexpr double kSamePoint = 2.0;    // canvas pixels: a second click there (a double click) adds nothing
const QColor kLine(0x00, 0xe0, 0xff);

class PolygonTool : public CanvasTool {
public:
    void press(const ToolEvent& e, const ToolView& view) override {
        closing_ = false;
        if (e.button != Qt::LeftButton) return;
        if (near_first(e.widget, view)) {
            closing_ = true;
            return;
        }
        if (!vertices_.empty() && distance(view.image_to_widget(vertices_.back()), e.widget) <= kSamePoint) return;
        if (vertices_.empty() && !view.inside_image(e.image)) return;  // start on the image
        vertices_.push_back(e.image);
    }
    void move(const ToolEvent&, const ToolView&) override {}
    void release(const ToolEvent&, const ToolView&, const Emit& emit) override {
        if (closing_) close(emit);
        closing_ = false;
    }
    void cancel() override {
        vertices_.clear();
        closing_ = false;
    }
    bool claims_key(int key) const override {
        if (vertices_.empty()) return false;
        return key == Qt::Key_Return || key == Qt::Key_Enter || key == Qt::Key_Backspace || key == Qt::Key_Escape;
    }
    void key_press(int key, const ToolView&, const Emit& emit) override {
        if (key == Qt::Key_Return || key == Qt::Key_Enter) close(emit);
        else if (key == Qt::Key_Backspace) vertices_.pop_back();
        else if (key == Qt::Key_Escape) cancel();
    }
    void paint(QPainter& p, const ToolView& view) const override {
        if (vertices_.empty()) return;
        QPainterPath path(view.image_to_widget(vertices_.front()));
        for (const QPointF& v : vertices_) path.lineTo(view.image_to_widget(v));
        const QPointF pointer = view.mouse_widget();
        if (pointer.x() >= 0) path.lineTo(pointer);
        p.setBrush(QColor(kLine.red(), kLine.green(), kLine.blue(), 40));
        p.setPen(QPen(QColor(0, 0, 0, 170), 3.5));
        p.drawPath(path);
        p.setPen(QPen(kLine, 1.8));
        p.drawPath(path);
        for (size_t i = 0; i < vertices_.size(); ++i) {
            const bool first = i == 0;
            const bool closes = first && vertices_.size() >= 3 && pointer.x() >= 0 && near_first(pointer, view);
            const double r = first ? 5.5 : 3.5;
            p.setPen(QPen(Qt::black, 1.5));
            p.setBrush(closes ? QColor(0xff, 0xd7, 0x00) : first ? kLine : QColor(Qt::white));
            p.drawEllipse(view.image_to_widget(vertices_[i]), closes ? r + 2 : r, closes ? r + 2 : r);
        }
    }
    Qt::CursorShape cursor() const override { return Qt::CrossCursor; }
    bool repaints_on_move() const override { return !vertices_.empty(); }
    QString help() const override {
        return QObject::tr("Click the vertices; click the first one or press Enter to close. Backspace removes the last "
                           "vertex, Esc cancels.");
    }

private:
    static double distance(QPointF a, QPointF b) { return std::hypot(a.x() - b.x(), a.y() - b.y()); }
    bool near_first(QPointF widget, const ToolView& view) const {
        return vertices_.size() >= 3 && distance(view.image_to_widget(vertices_.front()), widget) <= kCloseRadius;
    }
    void close(const Emit& emit) {
        if (vertices_.size() < 3) return;
        std::vector<QPointF> polygon;
        polygon.swap(vertices_);
        emit(Gesture{Gesture::Kind::Polygon, true, polygon});
    }

    std::vector<QPointF> vertices_;  // image coordinates
    bool closing_ = false;
};

}  // namespace

std::unique_ptr<CanvasTool> make_polygon_tool() { return std::make_unique<PolygonTool>(); }

}  // namespace xs
