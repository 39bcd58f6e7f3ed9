// The polygon tool and vertex editing on the real main window, driven by QTest mouse and key events
// (offscreen): drawing closes on the first vertex or Enter, Backspace and Esc, the current category,
// one undo step; vertex editing's loss notice, dragging one vertex, a rubber band and Shift+click
// selections, inserting on an edge, deleting, Enter/Esc/leaving, holes kept. Every expected mask is
// computed from the same clicks through the core functions (core/mask/polygon.h,
// core/annotation/vertex_editing.h). Screenshots go to /tmp/gui-shots/polygon-*.png.
#include <QAction>
#include <QApplication>
#include <QDir>
#include <QDoubleSpinBox>
#include <QPainter>
#include <QUndoStack>
#include <QtTest>
#include <filesystem>
#include <memory>

#include "core/annotation/vertex_editing.h"
#include "core/io/project_file.h"
#include "tests/ui/gui_test_support.h"
#include "ui/image_canvas.h"
#include "ui/main_window.h"
#include "ui/widgets.h"

using namespace xs;

namespace {

constexpr int kW = 640, kH = 480;
constexpr int kCx = 300, kCy = 220, kR = 90, kHole = 14;  // a disc with a round hole in the middle

Mask ring_mask() {
    Mask m(kW, kH);
    for (int y = 0; y < kH; ++y)
        for (int x = 0; x < kW; ++x) {
            const double d2 = (x - kCx) * (x - kCx) + (y - kCy) * (y - kCy);
            m.set(x, y, d2 <= kR * kR && d2 > kHole * kHole);
        }
    return m;
}

// Shapes (COCO coordinates) <-> canvas widget points.
QPoint widget_of(ImageCanvas* c, double x, double y) { return c->image_to_widget(QPointF(x + 0.5, y + 0.5)).toPoint(); }
QPointF coco_of(ImageCanvas* c, QPoint widget) { return c->widget_to_image(QPointF(widget)) - QPointF(0.5, 0.5); }

}  // namespace

class TestPolygon : public QObject {
    Q_OBJECT
private:
    QString root_, folder_;
    std::unique_ptr<MainWindow> window_;

    // A folder with one photo and a project with two categories; `with_ring`: the ring is instance 1.
    MainWindow* window_on(const QString& name, bool with_ring) {
        folder_ = root_ + "/" + name;
        std::filesystem::remove_all(folder_.toStdString());
        QDir().mkpath(folder_);
        QImage img(kW, kH, QImage::Format_RGB32);
        img.fill(QColor(40, 90, 160));
        QPainter p(&img);
        p.setPen(Qt::NoPen);
        p.setBrush(QColor(220, 60, 50));
        p.drawEllipse(QPoint(kCx, kCy), kR, kR);
        p.end();
        if (!img.save(folder_ + "/img.png")) return nullptr;
        Project project;
        project.image_root = ".";
        ImageRecord& rec = project.add_image("img.png", kW, kH);
        const int object = project.add_category("object").id;
        project.add_category("tree");
        if (with_ring) project.add_instance(rec, object, rle_encode(ring_mask()), 1.0f, "test:ring");
        save_project(project, (folder_ + "/xsam-project.json").toStdString());
        window_ = std::make_unique<MainWindow>();
        window_->resize(1400, 860);
        window_->show();
        QApplication::setActiveWindow(window_.get());
        window_->set_engine("classic");
        if (!window_->open_folder(folder_)) return nullptr;
        MainWindow* w = window_.get();
        if (!QTest::qWaitFor([w] { return !w->scanning() && w->image_ready(); }, 60000)) return nullptr;
        w->canvas()->setFocus();
        return w;
    }

    const Instance& instance(MainWindow* w, size_t i) { return w->current_record()->instances.at(i); }
    int undo_count(MainWindow* w) { return w->document()->undo_stack()->count(); }

    // Selects the ring (Ctrl+click) and starts vertex editing (Shift+E) at `tolerance`.
    PolygonShapes start_editing(MainWindow* w, double tolerance) {
        ImageCanvas* c = w->canvas();
        w->findChild<QDoubleSpinBox*>("vertexTolerance")->setValue(tolerance);
        QTest::keyClick(c, Qt::Key_Escape);  // clears the selection (Ctrl+click toggles)
        QTest::mouseClick(c, Qt::LeftButton, Qt::ControlModifier, widget_of(c, kCx + 50, kCy));
        [&] { QCOMPARE(w->selected_instances().size(), size_t(1)); }();
        QTest::keyClick(c, Qt::Key_E, Qt::ShiftModifier);
        [&] { QCOMPARE(c->tool_name(), QString("editVertices")); }();
        return mask_to_shapes(rle_decode(instance(w, 0).mask), tolerance);
    }

    void drag(ImageCanvas* c, QPoint from, QPoint to, Qt::KeyboardModifiers mods = Qt::NoModifier) {
        QTest::mousePress(c, Qt::LeftButton, mods, from);
        QTest::mouseMove(c, (from + to) / 2);
        QTest::mouseMove(c, to);
        QTest::mouseRelease(c, Qt::LeftButton, mods, to);
    }

private Q_SLOTS:
    void initTestCase() {
        use_private_settings("test_ui_polygon");
        root_ = qEnvironmentVariable("XS_TEST_TMP", QDir::tempPath() + "/xs-ui-polygon");
        std::filesystem::remove_all(root_.toStdString());
    }

    void cleanupTestCase() { window_.reset(); }

    void polygon_tool_draws_an_instance() {
        MainWindow* w = window_on("draw", false);
        QVERIFY(w);
        ImageCanvas* c = w->canvas();
        QTest::keyClick(c, Qt::Key_2);  // category "tree"
        QTest::keyClick(c, Qt::Key_L);
        QCOMPARE(c->tool_name(), QString("toolPolygon"));
        const std::vector<QPoint> square = {widget_of(c, 100, 100), widget_of(c, 220, 100), widget_of(c, 220, 200),
                                            widget_of(c, 100, 200)};
        for (const QPoint& p : square) QTest::mouseClick(c, Qt::LeftButton, Qt::NoModifier, p);
        QTest::mouseClick(c, Qt::LeftButton, Qt::NoModifier, widget_of(c, 60, 260));
        QTest::mouseMove(c, widget_of(c, 80, 240));
        shot(w, "polygon-1-drawing");
        QTest::keyClick(c, Qt::Key_Backspace);  // the fifth vertex goes
        QVERIFY(w->current_record()->instances.empty());
        const int steps = undo_count(w);
        QTest::mouseClick(c, Qt::LeftButton, Qt::NoModifier, square.front() + QPoint(3, -2));  // on the first: closes
        QCOMPARE(w->current_record()->instances.size(), size_t(1));
        QCOMPARE(undo_count(w), steps + 1);
        Polygon ring;
        for (const QPoint& p : square) ring.insert(ring.end(), {coco_of(c, p).x(), coco_of(c, p).y()});
        const Mask expected = shapes_to_mask({PolygonShape{ring, {}}}, kW, kH);
        QVERIFY(rle_decode(instance(w, 0).mask) == expected);
        QVERIFY(std::abs(expected.area() - 121 * 101) < 400);  // about the 120 x 100 square
        QCOMPARE(instance(w, 0).category_id, 2);
        QCOMPARE(instance(w, 0).source, std::string("manual:polygon"));
        QCOMPARE(w->selected_instances(), std::vector<int64_t>{instance(w, 0).id});
        shot(w, "polygon-2-closed");
        // One undo step, and redo brings it back.
        QTest::keyClick(c, Qt::Key_Z, Qt::ControlModifier);
        QVERIFY(w->current_record()->instances.empty());
        QTest::keyClick(c, Qt::Key_Z, Qt::ControlModifier | Qt::ShiftModifier);
        QCOMPARE(w->current_record()->instances.size(), size_t(1));

        // Enter closes; with two vertices it does not; Esc drops the vertices.
        QTest::mouseClick(c, Qt::LeftButton, Qt::NoModifier, widget_of(c, 400, 300));
        QTest::mouseClick(c, Qt::LeftButton, Qt::NoModifier, widget_of(c, 480, 300));
        QTest::keyClick(c, Qt::Key_Return);
        QCOMPARE(w->current_record()->instances.size(), size_t(1));
        QTest::mouseClick(c, Qt::LeftButton, Qt::NoModifier, widget_of(c, 440, 380));
        QTest::keyClick(c, Qt::Key_Return);
        QCOMPARE(w->current_record()->instances.size(), size_t(2));
        QVERIFY(rle_decode(instance(w, 1).mask).at(440, 320));
        QTest::mouseClick(c, Qt::LeftButton, Qt::NoModifier, widget_of(c, 500, 100));
        QTest::mouseClick(c, Qt::LeftButton, Qt::NoModifier, widget_of(c, 560, 100));
        QTest::mouseClick(c, Qt::LeftButton, Qt::NoModifier, widget_of(c, 560, 160));
        QTest::keyClick(c, Qt::Key_Escape);
        QTest::keyClick(c, Qt::Key_Return);  // nothing left to close: Enter is the window's again
        QCOMPARE(w->current_record()->instances.size(), size_t(2));
        // A double click adds one vertex, not two: three clicks and a double click make a quadrilateral.
        QTest::mouseClick(c, Qt::LeftButton, Qt::NoModifier, widget_of(c, 20, 20));
        QTest::mouseClick(c, Qt::LeftButton, Qt::NoModifier, widget_of(c, 60, 20));
        QTest::mouseDClick(c, Qt::LeftButton, Qt::NoModifier, widget_of(c, 60, 60));
        QTest::keyClick(c, Qt::Key_Backspace);
        QTest::keyClick(c, Qt::Key_Return);  // two vertices left: nothing
        QCOMPARE(w->current_record()->instances.size(), size_t(2));
        QTest::keyClick(c, Qt::Key_Escape);
        // F1 lists both (the Tools menu's rows, with their keys).
        QCOMPARE(w->action("toolPolygon")->shortcut(), QKeySequence(Qt::Key_L));
        QCOMPARE(w->action("editVertices")->shortcut(), QKeySequence(Qt::SHIFT | Qt::Key_E));
        QTest::keyClick(c, Qt::Key_F1);
        auto* help = w->findChild<HelpOverlay*>("helpOverlay");
        QVERIFY(help && help->isVisible());
        shot(w, "polygon-7-help");
        QTest::keyClick(help, Qt::Key_Escape);
    }

    void vertex_editing_notice_and_one_vertex() {
        MainWindow* w = window_on("vertices", true);
        QVERIFY(w);
        ImageCanvas* c = w->canvas();
        const Mask before = rle_decode(instance(w, 0).mask);
        const PolygonShapes shapes = start_editing(w, 1.0);
        QCOMPARE(int(shapes.size()), 1);
        QCOMPARE(int(shapes[0].holes.size()), 1);
        // The notice says how many pixels a round trip at 1 px changes.
        const RoundTripLoss loss = shape_round_trip_loss(before, shapes);
        QVERIFY(loss.total() > 0);
        QVERIFY(w->notice_bar()->isVisible());
        QVERIFY2(w->notice_bar()->text().contains(QString("%1 px that polygons lose").arg(loss.total())),
                 qPrintable(w->notice_bar()->text()));
        shot(w, "polygon-3-vertex-editing");
        // Drag the outline's first vertex 30 px to the left.
        const QPoint from = widget_of(c, shapes[0].outer[0], shapes[0].outer[1]);
        const QPoint to = from + QPoint(-30, 10);
        const int steps = undo_count(w);
        drag(c, from, to);
        shot(w, "polygon-4-vertex-dragged");
        QCOMPARE(undo_count(w), steps);  // nothing is applied until Enter
        QTest::keyClick(c, Qt::Key_Return);
        QCOMPARE(undo_count(w), steps + 1);
        const QPointF d = c->widget_to_image(QPointF(to)) - c->widget_to_image(QPointF(from));
        const PolygonShapes moved = *move_vertices(shapes, {VertexRef{0, 0, 0}}, d.x(), d.y());
        const Mask after = rle_decode(instance(w, 0).mask);
        QVERIFY(after == shapes_to_mask(moved, kW, kH));
        QVERIFY(after != before);
        QVERIFY(!after.at(kCx, kCy));  // the hole is still a hole
        QTRY_VERIFY(c->tool_name() != "editVertices");  // back to the tool used before
        // Undo restores the mask exactly.
        QTest::keyClick(c, Qt::Key_Z, Qt::ControlModifier);
        QVERIFY(rle_decode(instance(w, 0).mask) == before);
        // Tolerance 0: no notice, and an edit that changes nothing adds no step.
        w->notice_bar()->hide();
        start_editing(w, 0.0);
        QVERIFY(!w->notice_bar()->isVisible());
        const int unchanged = undo_count(w);
        QTest::keyClick(c, Qt::Key_Return);
        QCOMPARE(undo_count(w), unchanged);
        QVERIFY(rle_decode(instance(w, 0).mask) == before);
        // Closing the window applies an edit in progress, and it is saved.
        QTRY_VERIFY(c->tool_name() != "editVertices");
        const PolygonShapes last = start_editing(w, 0.0);
        const QPoint v = widget_of(c, last[0].outer[2], last[0].outer[3]);
        drag(c, v, v + QPoint(25, -25));
        const QPointF d2 = c->widget_to_image(QPointF(v + QPoint(25, -25))) - c->widget_to_image(QPointF(v));
        QVERIFY(w->close());
        const Project saved = load_project((folder_ + "/xsam-project.json").toStdString());
        const Mask want = shapes_to_mask(*move_vertices(last, {VertexRef{0, 0, 1}}, d2.x(), d2.y()), kW, kH);
        QVERIFY(want != before);
        QVERIFY(rle_decode(saved.find_image(std::string("img.png"))->instances.at(0).mask) == want);
    }

    void vertex_editing_several_insert_delete() {
        MainWindow* w = window_on("several", true);
        QVERIFY(w);
        ImageCanvas* c = w->canvas();
        const Mask before = rle_decode(instance(w, 0).mask);
        PolygonShapes shapes = start_editing(w, 1.0);
        // A rubber band around the hole selects its vertices; dragging one drags them all.
        const QPoint band_from = widget_of(c, kCx - kHole - 4, kCy - kHole - 4), band_to = widget_of(c, kCx + kHole + 4, kCy + kHole + 4);
        drag(c, band_from, band_to);
        const Polygon& hole = shapes[0].holes[0];
        std::vector<VertexRef> hole_vertices;
        for (int i = 0; i < int(hole.size() / 2); ++i) hole_vertices.push_back(VertexRef{0, 1, i});
        const QPoint grab = widget_of(c, hole[0], hole[1]);
        drag(c, grab, grab + QPoint(40, 25));
        const QPointF d = c->widget_to_image(QPointF(grab + QPoint(40, 25))) - c->widget_to_image(QPointF(grab));
        shapes = *move_vertices(shapes, hole_vertices, d.x(), d.y());
        // Shift+click two outline vertices (the hole's stay selected too: Shift adds), then a plain
        // click on one outline vertex selects just it; Shift+click a second and Delete removes both.
        const Polygon& outer = shapes[0].outer;
        QTest::mouseClick(c, Qt::LeftButton, Qt::NoModifier, widget_of(c, outer[4], outer[5]));
        QTest::mouseClick(c, Qt::LeftButton, Qt::ShiftModifier, widget_of(c, outer[8], outer[9]));
        shot(w, "polygon-5-several-selected");
        QTest::keyClick(c, Qt::Key_Delete);
        shapes = *delete_vertices(shapes, {VertexRef{0, 0, 2}, VertexRef{0, 0, 4}});
        // Double-click the middle of the outline's longest edge: a vertex there, then drag it out.
        const Polygon& ring = shapes[0].outer;
        const int n = int(ring.size() / 2);
        int longest = 0;
        auto edge_length = [&](int i) {
            const int j = (i + 1) % n;
            return std::hypot(ring[size_t(2 * j)] - ring[size_t(2 * i)], ring[size_t(2 * j + 1)] - ring[size_t(2 * i + 1)]);
        };
        for (int i = 1; i < n; ++i)
            if (edge_length(i) > edge_length(longest)) longest = i;
        const int next = (longest + 1) % n;
        const QPointF a(ring[size_t(2 * longest)], ring[size_t(2 * longest + 1)]), b(ring[size_t(2 * next)], ring[size_t(2 * next + 1)]);
        const QPoint mid = widget_of(c, (a.x() + b.x()) / 2, (a.y() + b.y()) / 2);
        QTest::mouseDClick(c, Qt::LeftButton, Qt::NoModifier, mid);
        // The new vertex is the point of the edge nearest to the pointer (on screen).
        const QPointF wa = c->image_to_widget(a + QPointF(0.5, 0.5)), wb = c->image_to_widget(b + QPointF(0.5, 0.5));
        const double t = QPointF::dotProduct(QPointF(mid) - wa, wb - wa) / QPointF::dotProduct(wb - wa, wb - wa);
        const QPointF inserted = a + t * (b - a);
        shapes = *insert_vertex(shapes, VertexRef{0, 0, longest}, inserted.x(), inserted.y());
        drag(c, mid, mid + QPoint(0, -35));
        const QPointF up = c->widget_to_image(QPointF(mid + QPoint(0, -35))) - c->widget_to_image(QPointF(mid));
        shapes = *move_vertices(shapes, {VertexRef{0, 0, longest + 1}}, up.x(), up.y());
        // Leaving applies: choosing another tool applies the edit, as one step.
        const int steps = undo_count(w);
        QTest::keyClick(c, Qt::Key_V);
        QCOMPARE(c->tool_name(), QString("toolSelect"));
        QCOMPARE(undo_count(w), steps + 1);
        const Mask after = rle_decode(instance(w, 0).mask);
        QVERIFY(after == shapes_to_mask(shapes, kW, kH));
        QVERIFY(!after.at(int(kCx + d.x()), int(kCy + d.y())));  // the hole moved with its vertices
        QVERIFY(before.at(int(kCx + d.x()), int(kCy + d.y())));
        QVERIFY(after.at(kCx, kCy - 2) && after.at(kCx - 2, kCy));  // where it was is filled now
        shot(w, "polygon-6-applied");

        // Esc discards: the mask stays, no step, the previous tool comes back.
        const Mask kept = rle_decode(instance(w, 0).mask);
        const PolygonShapes again = start_editing(w, 1.0);
        drag(c, widget_of(c, again[0].outer[0], again[0].outer[1]), widget_of(c, again[0].outer[0], again[0].outer[1]) + QPoint(-40, 0));
        const int before_esc = undo_count(w);
        QTest::keyClick(c, Qt::Key_Escape);
        QCOMPARE(undo_count(w), before_esc);
        QVERIFY(rle_decode(instance(w, 0).mask) == kept);
        QTRY_COMPARE(c->tool_name(), QString("toolSelect"));
        QCOMPARE(w->current_record()->instances.size(), size_t(1));
    }
};

QTEST_MAIN(TestPolygon)
#include "test_polygon.moc"
