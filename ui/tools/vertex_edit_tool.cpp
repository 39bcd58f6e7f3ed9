// Vertex editing of one instance: its outline and hole outlines (core/mask/polygon.h shapes) as
// vertices. Drag a vertex, or select several (rubber band, Shift+click) and drag them together;
// double-click an edge to insert a vertex; Del or Backspace removes the selected ones. Enter applies
// (and so does leaving the tool or the image), Esc discards: either way one Vertices gesture.
#include <QObject>
#include <QPainter>
#include <QPainterPath>
#include <QRectF>
#include <algorithm>
#include <cmath>
#include <set>

#include "core/annotation/vertex_editing.h"
#include "ui/tools/tools.h"

namespace xs {

namespace {

constexpr double kGrab = 7.0;            // canvas pixels around a vertex or an edge that catch the pointer
constexpr double kDragThreshold = 3.0;   // canvas pixels before a press becomes a drag
const QColor kOutline(0x00, 0xe0, 0xff);
const QColor kSelected(0xff, 0xd7, 0x00);

double distance(QPointF a, QPointF b) { return std::hypot(a.x() - b.x(), a.y() - b.y()); }

class VertexEditTool : public CanvasTool {
public:
    explicit VertexEditTool(VertexEditTarget target) : target_(std::move(target)) {}

    void press(const ToolEvent& e, const ToolView& view) override {
        mode_ = Mode::None;
        if (done_ || e.button != Qt::LeftButton) return;
        press_ = e;
        now_ = e;
        const bool shift = e.modifiers & Qt::ShiftModifier;
        const std::optional<VertexRef> v = vertex_at(e.widget, view);
        if (v && shift) {
            if (!selected_.erase(*v)) selected_.insert(*v);
            return;
        }
        if (v) {
            if (!selected_.count(*v)) selected_ = {*v};
            mode_ = Mode::Move;
            return;
        }
        if (!shift) selected_.clear();
        mode_ = Mode::Band;
    }
    void move(const ToolEvent& e, const ToolView&) override { now_ = e; }
    void release(const ToolEvent& e, const ToolView& view, const Emit&) override {
        now_ = e;
        if (mode_ == Mode::Move && dragged()) {
            const QPointF d = e.image - press_.image;
            if (auto moved = move_vertices(target_.shapes, selection(), d.x(), d.y())) target_.shapes = *moved;
        } else if (mode_ == Mode::Band) {
            const QRectF band = QRectF(press_.widget, e.widget).normalized();
            for_each_vertex([&](const VertexRef& v, QPointF at) {
                if (band.contains(widget_of(at, view))) selected_.insert(v);
            });
        }
        mode_ = Mode::None;
    }
    bool double_click(const ToolEvent& e, const ToolView& view, const Emit&) override {
        if (done_) return true;
        if (vertex_at(e.widget, view)) return true;
        VertexRef edge;
        QPointF at;
        if (!edge_at(e.widget, view, &edge, &at)) return true;
        if (auto inserted = insert_vertex(target_.shapes, edge, at.x(), at.y())) {
            target_.shapes = *inserted;
            selected_ = {VertexRef{edge.shape, edge.ring, edge.index + 1}};
        }
        return true;
    }
    bool claims_key(int key) const override {
        if (done_) return false;
        return key == Qt::Key_Return || key == Qt::Key_Enter || key == Qt::Key_Escape || key == Qt::Key_Delete ||
               key == Qt::Key_Backspace;
    }
    void key_press(int key, const ToolView&, const Emit& emit) override {
        if (key == Qt::Key_Delete || key == Qt::Key_Backspace) {
            if (auto left = delete_vertices(target_.shapes, selection())) target_.shapes = *left;
            selected_.clear();
        } else if (key == Qt::Key_Return || key == Qt::Key_Enter) {
            hand_on(emit, true);
        } else if (key == Qt::Key_Escape) {
            hand_on(emit, false);
        }
    }
    void cancel() override { mode_ = Mode::None; }
    void finish(const Emit& emit) override {
        if (!done_) hand_on(emit, true);
    }

    void paint(QPainter& p, const ToolView& view) const override {
        if (done_) return;
        // While vertices are dragged they are drawn where they would land.
        PolygonShapes shown = target_.shapes;
        if (mode_ == Mode::Move && dragged()) {
            const QPointF d = now_.image - press_.image;
            if (auto moved = move_vertices(shown, selection(), d.x(), d.y())) shown = *moved;
        }
        QPainterPath path;
        path.setFillRule(Qt::OddEvenFill);
        for (int s = 0; s < int(shown.size()); ++s)
            for (int r = 0; r < ring_count(shown[size_t(s)]); ++r) {
                const Polygon& ring = *find_ring(shown, s, r);
                QPolygonF q;
                for (size_t i = 0; i + 1 < ring.size(); i += 2) q << widget_of(QPointF(ring[i], ring[i + 1]), view);
                if (!q.isEmpty()) q << q.first();
                path.addPolygon(q);
            }
        p.setBrush(QColor(kOutline.red(), kOutline.green(), kOutline.blue(), 45));
        p.setPen(QPen(QColor(0, 0, 0, 170), 3.5));
        p.drawPath(path);
        p.setBrush(Qt::NoBrush);
        p.setPen(QPen(kOutline, 1.6));
        p.drawPath(path);
        for (int s = 0; s < int(shown.size()); ++s)
            for (int r = 0; r < ring_count(shown[size_t(s)]); ++r) {
                const Polygon& ring = *find_ring(shown, s, r);
                for (int i = 0; 2 * i + 1 < int(ring.size()); ++i) {
                    const bool sel = selected_.count(VertexRef{s, r, i});
                    const QPointF at = widget_of(QPointF(ring[size_t(2 * i)], ring[size_t(2 * i + 1)]), view);
                    p.setPen(QPen(Qt::black, 1.2));
                    p.setBrush(sel ? kSelected : QColor(Qt::white));
                    const double h = sel ? 4.5 : 3.5;
                    p.drawRect(QRectF(at - QPointF(h, h), at + QPointF(h, h)));
                }
            }
        if (mode_ == Mode::Band) {
            p.setBrush(QColor(255, 255, 255, 25));
            p.setPen(QPen(Qt::white, 1, Qt::DashLine));
            p.drawRect(QRectF(press_.widget, now_.widget).normalized());
        }
    }
    Qt::CursorShape cursor() const override { return Qt::PointingHandCursor; }
    QString help() const override {
        return QObject::tr("Drag vertices (rubber band or Shift+click selects several); double-click an edge inserts one, "
                           "Del removes the selected ones. Enter applies, Esc discards.");
    }

private:
    enum class Mode { None, Move, Band };

    // Shapes are in COCO coordinates, the canvas's image coordinates are half a pixel further.
    static QPointF widget_of(QPointF coco, const ToolView& view) { return view.image_to_widget(coco + QPointF(0.5, 0.5)); }

    template <class F>
    void for_each_vertex(F f) const {
        const PolygonShapes& shapes = target_.shapes;
        for (int s = 0; s < int(shapes.size()); ++s)
            for (int r = 0; r < ring_count(shapes[size_t(s)]); ++r) {
                const Polygon& ring = *find_ring(shapes, s, r);
                for (int i = 0; 2 * i + 1 < int(ring.size()); ++i)
                    f(VertexRef{s, r, i}, QPointF(ring[size_t(2 * i)], ring[size_t(2 * i + 1)]));
            }
    }
    std::optional<VertexRef> vertex_at(QPointF widget, const ToolView& view) const {
        std::optional<VertexRef> best;
        double best_d = kGrab;
        for_each_vertex([&](const VertexRef& v, QPointF at) {
            const double d = distance(widget_of(at, view), widget);
            if (d <= best_d) {
                best_d = d;
                best = v;
            }
        });
        return best;
    }
    // The edge nearest to `widget` (within kGrab), named by its first vertex, and the point on it.
    bool edge_at(QPointF widget, const ToolView& view, VertexRef* edge, QPointF* coco) const {
        double best_d = kGrab;
        bool found = false;
        const PolygonShapes& shapes = target_.shapes;
        for (int s = 0; s < int(shapes.size()); ++s)
            for (int r = 0; r < ring_count(shapes[size_t(s)]); ++r) {
                const Polygon& ring = *find_ring(shapes, s, r);
                const int n = int(ring.size() / 2);
                for (int i = 0; i < n; ++i) {
                    const int j = (i + 1) % n;
                    const QPointF a(ring[size_t(2 * i)], ring[size_t(2 * i + 1)]), b(ring[size_t(2 * j)], ring[size_t(2 * j + 1)]);
                    const QPointF wa = widget_of(a, view), wb = widget_of(b, view);
                    const QPointF ab = wb - wa;
                    const double len2 = QPointF::dotProduct(ab, ab);
                    const double t = len2 > 0 ? std::clamp(QPointF::dotProduct(widget - wa, ab) / len2, 0.0, 1.0) : 0.0;
                    const double d = distance(wa + t * ab, widget);
                    if (d <= best_d) {
                        best_d = d;
                        found = true;
                        *edge = VertexRef{s, r, i};
                        *coco = a + t * (b - a);
                    }
                }
            }
        return found;
    }
    std::vector<VertexRef> selection() const { return std::vector<VertexRef>(selected_.begin(), selected_.end()); }
    bool dragged() const { return distance(now_.widget, press_.widget) > kDragThreshold; }
    void hand_on(const Emit& emit, bool apply) {
        done_ = true;
        mode_ = Mode::None;
        Gesture g{Gesture::Kind::Vertices, apply, {}};
        g.shapes = target_.shapes;
        g.image = target_.image;
        g.instance = target_.instance;
        emit(g);
    }

    VertexEditTarget target_;
    std::set<VertexRef> selected_;
    Mode mode_ = Mode::None;
    ToolEvent press_, now_;
    bool done_ = false;  // applied or discarded: the tool waits to be put away
};

}  // namespace

std::unique_ptr<CanvasTool> make_vertex_edit_tool(VertexEditTarget target) {
    return std::make_unique<VertexEditTool>(std::move(target));
}

}  // namespace xs
