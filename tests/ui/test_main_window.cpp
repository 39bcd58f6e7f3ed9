// Drives the real main window with QTest mouse and key events (offscreen): open a folder, click an
// object with the classic engine, accept, undo, redo, switch images, brush and erase, export COCO,
// reopen the project; plus the bad-input paths. Screenshots of each state go to /tmp/gui-shots/.
// Every test starts its own window on its own copy of the photos, in the state the walkthrough's
// earlier steps would leave (Start), so the tests run alone and in any order.
#include <QAction>
#include <QApplication>
#include <QComboBox>
#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QListWidget>
#include <QMenuBar>
#include <QPainter>
#include <QPushButton>
#include <QSignalSpy>
#include <QWheelEvent>
#include <QStandardItemModel>
#include <QTreeWidget>
#include <QtTest>
#include <filesystem>
#include <memory>

#include "core/io/project_file.h"
#include "tests/ui/gui_test_support.h"
#include "ui/action_table.h"
#include "ui/image_canvas.h"
#include "ui/main_window.h"
#include "ui/panels.h"
#include "ui/widgets.h"

using namespace xs;

namespace {

constexpr int kEngineTimeoutMs = 60000;

struct Disc {
    int cx, cy, r;
};

// A uniform disc on a contrasting, slightly textured background.
void make_disc_image(const QString& path, int w, int h, Disc d, QColor fg, QColor bg, bool with_square = false) {
    QImage img(w, h, QImage::Format_RGB32);
    img.fill(bg);
    QPainter p(&img);
    p.setPen(Qt::NoPen);
    p.setBrush(fg);
    p.drawEllipse(QPoint(d.cx, d.cy), d.r, d.r);
    if (with_square) {  // a second object: a green square at (520..580, 380..440)
        p.setBrush(QColor(40, 200, 60));
        p.drawRect(520, 380, 60, 60);
    }
    p.end();
    QVERIFY(img.save(path));
}

Mask disc_mask(int w, int h, Disc d) {
    Mask m(w, h);
    for (int y = 0; y < h; ++y)
        for (int x = 0; x < w; ++x) {
            double dx = x + 0.5 - d.cx, dy = y + 0.5 - d.cy;
            if (dx * dx + dy * dy <= double(d.r) * d.r) m.set(x, y, true);
        }
    return m;
}

}  // namespace

class TestMainWindow : public QObject {
    Q_OBJECT
private:
    QString root_, photos_, folder_;  // root_: scratch; photos_: the generated images; folder_: this test's copy
    const Disc disc1_{300, 220, 90};
    const Disc disc2_{200, 260, 70};
    std::unique_ptr<MainWindow> window_;

    // No project yet; the disc on img1.png accepted (category "object"); the disc with a hole in its
    // middle (one eraser dab) and the green square in a second category "tree".
    enum class Start { Empty, Disc, DiscWithHoleAndSquare };

    void write_project(Start start) {
        Project p;
        p.image_root = ".";
        ImageRecord& img1 = p.add_image("img1.png", 640, 480);
        Mask disc = disc_mask(640, 480, disc1_);
        if (start == Start::DiscWithHoleAndSquare)
            for (int y = disc1_.cy - 12; y <= disc1_.cy + 12; ++y)
                for (int x = disc1_.cx - 12; x <= disc1_.cx + 12; ++x)
                    if ((x - disc1_.cx) * (x - disc1_.cx) + (y - disc1_.cy) * (y - disc1_.cy) <= 144) disc.set(x, y, false);
        p.add_instance(img1, p.add_category("object").id, rle_encode(disc), 1.0f, "test:disc");
        if (start == Start::DiscWithHoleAndSquare) {
            Mask square(640, 480);
            for (int y = 380; y < 440; ++y)
                for (int x = 520; x < 580; ++x) square.set(x, y, true);
            p.add_instance(img1, p.add_category("tree").id, rle_encode(square), 1.0f, "test:square");
        }
        save_project(p, (folder_ + "/xsam-project.json").toStdString());
    }

    // A fresh window on a fresh copy of the photos (root_/name) in the given state, image 0 shown.
    MainWindow* window_on(const QString& name, Start start) {
        folder_ = root_ + "/" + name;
        std::filesystem::remove_all(folder_.toStdString());
        std::filesystem::copy(photos_.toStdString(), folder_.toStdString(), std::filesystem::copy_options::recursive);
        if (start != Start::Empty) write_project(start);
        MainWindow* w = open_window();
        if (!w->open_folder(folder_) || !wait_ready(w)) return nullptr;
        return w;
    }

    MainWindow* open_window() {
        window_ = std::make_unique<MainWindow>();
        window_->resize(1400, 860);
        window_->show();
        QApplication::setActiveWindow(window_.get());
        window_->set_engine("classic");
        return window_.get();
    }
    bool wait_ready(MainWindow* w) {
        return QTest::qWaitFor([w] { return !w->scanning() && w->image_ready() && w->engine_ready(); }, kEngineTimeoutMs);
    }

private Q_SLOTS:
    void initTestCase() {
        use_private_settings("test_ui_main_window");
        root_ = qEnvironmentVariable("XS_TEST_TMP", QDir::tempPath() + "/xs-ui-test");
        std::filesystem::remove_all(root_.toStdString());  // (QDir cannot remove names that are not UTF-8)
        photos_ = root_ + "/photos";
        QVERIFY(QDir().mkpath(photos_ + "/sub"));
        make_disc_image(photos_ + "/img1.png", 640, 480, disc1_, QColor(220, 60, 50), QColor(40, 90, 160), true);
        make_disc_image(photos_ + "/img10.png", 640, 480, disc2_, QColor(240, 220, 40), QColor(30, 30, 30));
        make_disc_image(photos_ + "/sub/img2.png", 500, 400, Disc{250, 200, 60}, QColor(250, 250, 250), QColor(20, 120, 40));
        QFile junk(photos_ + "/img3.png");  // not an image at all
        QVERIFY(junk.open(QIODevice::WriteOnly));
        junk.write("this is not a PNG file");
    }

    void cleanupTestCase() { window_.reset(); }

    void empty_window_screenshot() {
        MainWindow w;
        w.resize(1400, 860);
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        shot(&w, "00-empty");
    }

    // The action table makes the menus, the shortcuts and the tools: every row's shortcuts parse (as
    // many as the row lists), every tool row is a checkable action of the Tools menu that puts its tool
    // on the canvas.
    void action_table_makes_menus_shortcuts_and_tools() {
        MainWindow* w = open_window();
        QStringList menus;
        for (QAction* m : w->menuBar()->actions()) menus << m->text().remove('&');
        QCOMPARE(menus, QStringList({"File", "Edit", "View", "Tools", "Engine", "Help"}));
        for (const ActionRow& row : action_rows()) {
            QAction* a = w->action(row.name);
            QVERIFY2(a, row.name);
            const QStringList keys = QString::fromLatin1(row.keys).split("; ", Qt::SkipEmptyParts);
            QCOMPARE(a->shortcuts().size(), keys.size());
            for (int i = 0; i < keys.size(); ++i)
                QVERIFY2(!a->shortcuts()[i].isEmpty() && a->shortcuts()[i].count() == 1, qPrintable(QString(row.name) + " " + keys[i]));
            if (!row.tool) continue;
            QVERIFY(a->isCheckable());
            QCOMPARE(row.menu, MenuId::Tools);
            if (!a->isEnabled()) continue;  // what the engine cannot do (tested elsewhere)
            a->trigger();
            QCOMPARE(w->canvas()->tool_name(), QString(row.name));
            QVERIFY(a->isChecked());
        }
        QCOMPARE(w->action("zoomIn")->shortcuts().value(1), QKeySequence(Qt::Key_Plus));
        QCOMPARE(w->action("help")->shortcuts().value(1), QKeySequence(Qt::Key_Question));
    }

    void opens_folder_naturally_sorted() {
        MainWindow* w = window_on("opens", Start::Empty);
        QVERIFY(w);
        QCOMPARE(w->image_count(), 4);
        QStringList names;
        for (int i = 0; i < w->file_list()->model()->rowCount(); ++i) names << w->file_list()->model()->index(i, 0).data().toString();
        QCOMPARE(names, QStringList({"img1.png", "img3.png", "img10.png", "sub/img2.png"}));
        QCOMPARE(w->current_index(), 0);
        w->document()->flush();
        QVERIFY(QFileInfo::exists(folder_ + "/xsam-project.json"));
        // Text tasks the classic engine cannot do are disabled, saying why.
        auto* combo = w->findChild<QComboBox*>("taskCombo");
        QVERIFY(combo);
        auto* model = qobject_cast<QStandardItemModel*>(combo->model());
        QVERIFY(!model->item(0)->isEnabled());
        QVERIFY(model->item(0)->toolTip().contains("does not support"));
        QVERIFY(!w->findChild<QPushButton*>("runText")->isEnabled());
        QVERIFY(w->action("toolScribble")->isEnabled());
        shot(w, "01-folder-open");
    }

    void click_preview_accept_undo_redo() {
        MainWindow* w = window_on("click", Start::Empty);
        QVERIFY(w);
        ImageCanvas* c = w->canvas();
        QTest::mouseClick(c, Qt::LeftButton, {}, to_widget(c, disc1_.cx, disc1_.cy));
        QTRY_VERIFY_WITH_TIMEOUT(w->preview_count() == 1 && !w->request_pending(), kEngineTimeoutMs);
        shot(w, "02-preview");
        QTest::keyClick(c, Qt::Key_Return);
        const ImageRecord* rec = w->current_record();
        QVERIFY(rec);
        QCOMPARE(rec->instances.size(), size_t(1));
        QCOMPARE(w->preview_count(), 0);
        Mask got = rle_decode(rec->instances[0].mask);
        double iou = mask_iou(got, disc_mask(640, 480, disc1_));
        qInfo("IoU of the accepted mask with the disc: %.4f", iou);
        QVERIFY2(iou > 0.9, qPrintable(QString("IoU %1").arg(iou)));
        QCOMPARE(w->document()->project().categories.size(), size_t(1));
        QCOMPARE(w->document()->project().categories[0].name, std::string("object"));
        QCOMPARE(w->instance_panel()->tree()->topLevelItemCount(), 1);
        QCOMPARE(w->file_list()->model()->index(0, 0).data(Qt::UserRole).toInt(), 1);  // annotated marker
        shot(w, "03-accepted");

        QTest::keyClick(c, Qt::Key_Z, Qt::ControlModifier);
        QCOMPARE(w->current_record()->instances.size(), size_t(0));
        QCOMPARE(w->instance_panel()->tree()->topLevelItemCount(), 0);
        QTest::keyClick(c, Qt::Key_Z, Qt::ControlModifier | Qt::ShiftModifier);
        QCOMPARE(w->current_record()->instances.size(), size_t(1));
        QCOMPARE(w->current_record()->instances[0].mask, rle_encode(got));
    }

    void negative_click_and_escape() {
        MainWindow* w = window_on("negative", Start::Disc);
        QVERIFY(w);
        ImageCanvas* c = w->canvas();
        QTest::mouseClick(c, Qt::LeftButton, {}, to_widget(c, 560, 60));
        QTRY_VERIFY_WITH_TIMEOUT(!w->request_pending(), kEngineTimeoutMs);
        QTest::mouseClick(c, Qt::RightButton, {}, to_widget(c, 600, 30));
        QTRY_VERIFY_WITH_TIMEOUT(!w->request_pending(), kEngineTimeoutMs);
        QTest::keyClick(c, Qt::Key_Escape);
        QCOMPARE(w->preview_count(), 0);
        QCOMPARE(w->current_record()->instances.size(), size_t(1));  // nothing accepted
    }

    void switch_images_with_a_and_d() {
        MainWindow* w = window_on("switch", Start::Disc);
        QVERIFY(w);
        ImageCanvas* c = w->canvas();
        QTest::keyClick(c, Qt::Key_D);
        QCOMPARE(w->current_index(), 1);
        // img3.png is not an image: a clear message, no crash, the item is marked.
        QTRY_VERIFY_WITH_TIMEOUT(w->notice_bar()->isVisible(), 10000);
        QVERIFY(w->notice_bar()->text().contains("img3.png"));
        QVERIFY(!w->image_ready());
        QVERIFY(w->file_list()->model()->index(1, 0).data(Qt::ToolTipRole).toString().contains("img3.png"));
        shot(w, "04-unreadable-image");
        QTest::keyClick(c, Qt::Key_D);
        QCOMPARE(w->current_index(), 2);
        QTRY_VERIFY_WITH_TIMEOUT(w->image_ready(), 10000);
        QCOMPARE(w->current_record()->instances.size(), size_t(0));
        QTest::keyClick(c, Qt::Key_A);
        QTest::keyClick(c, Qt::Key_A);
        QCOMPARE(w->current_index(), 0);
        QTRY_VERIFY_WITH_TIMEOUT(w->image_ready(), 10000);
        QCOMPARE(w->current_record()->instances.size(), size_t(1));
    }

    void brush_and_eraser_keep_holes() {
        MainWindow* w = window_on("brush", Start::Disc);
        QVERIFY(w);
        ImageCanvas* c = w->canvas();
        QVERIFY(w->current_record() && w->current_record()->instances.size() == 1);
        const Instance before = w->current_record()->instances[0];
        // Select the instance with Ctrl+click, then paint a stroke sticking out to the right.
        QTest::mouseClick(c, Qt::LeftButton, Qt::ControlModifier, to_widget(c, disc1_.cx, disc1_.cy));
        QCOMPARE(w->selected_instances().size(), size_t(1));
        QTest::keyClick(c, Qt::Key_B);
        QCOMPARE(c->tool_name(), QString("toolBrush"));
        QTest::mousePress(c, Qt::LeftButton, {}, to_widget(c, disc1_.cx + 60, disc1_.cy));
        for (int x = disc1_.cx + 70; x <= disc1_.cx + 160; x += 10) QTest::mouseMove(c, to_widget(c, x, disc1_.cy));
        QTest::mouseRelease(c, Qt::LeftButton, {}, to_widget(c, disc1_.cx + 160, disc1_.cy));
        const Instance painted = w->current_record()->instances[0];
        QCOMPARE(painted.id, before.id);
        QVERIFY(rle_area(painted.mask) > rle_area(before.mask) + 500);
        QVERIFY(rle_bbox(painted.mask).x + rle_bbox(painted.mask).w >= disc1_.cx + 160);
        Mask pm = rle_decode(painted.mask);
        for (int x = disc1_.cx + 60; x <= disc1_.cx + 160; x += 5) QVERIFY2(pm.at(x, disc1_.cy), qPrintable(QString::number(x)));
        shot(w, "05-brush");
        // Erase a dab in the middle: a hole, kept as a hole.
        QTest::keyClick(c, Qt::Key_E);
        QCOMPARE(c->tool_name(), QString("toolEraser"));
        QTest::mouseClick(c, Qt::LeftButton, {}, to_widget(c, disc1_.cx, disc1_.cy));
        Mask m = rle_decode(w->current_record()->instances[0].mask);
        QVERIFY(!m.at(disc1_.cx, disc1_.cy));
        QVERIFY(m.at(disc1_.cx, disc1_.cy - 40));
        QVERIFY(m.at(disc1_.cx - 40, disc1_.cy));
        // Undo brings the erased pixels back; redo removes them again.
        QTest::keyClick(c, Qt::Key_Z, Qt::ControlModifier);
        QVERIFY(rle_decode(w->current_record()->instances[0].mask).at(disc1_.cx, disc1_.cy));
        QTest::keyClick(c, Qt::Key_Z, Qt::ControlModifier | Qt::ShiftModifier);
        QVERIFY(!rle_decode(w->current_record()->instances[0].mask).at(disc1_.cx, disc1_.cy));
        QTest::keyClick(c, Qt::Key_P);
        QCOMPARE(c->tool_name(), QString("toolPrompt"));
        shot(w, "06-hole");
    }

    void second_instance_categories_and_merge() {
        MainWindow* w = window_on("second", Start::Disc);
        QVERIFY(w);
        ImageCanvas* c = w->canvas();
        Document* doc = w->document();
        // A second category through an undoable edit, chosen with the digit key 2.
        std::optional<ProjectEdit> cats = add_category(doc->project(), "tree");
        QVERIFY(cats);
        const Category extra = cats->categories->back();
        doc->edit(*cats, "add category");
        QCOMPARE(w->category_panel()->list()->count(), 2);
        QTest::keyClick(c, Qt::Key_2);
        QCOMPARE(w->category_panel()->current_category(), extra.id);
        // A box around the green square gives a second instance, in category 2.
        QTest::keyClick(c, Qt::Key_Escape);
        QPoint a = to_widget(c, 505, 365), b = to_widget(c, 595, 455);
        QTest::mousePress(c, Qt::LeftButton, {}, a);
        QTest::mouseMove(c, (a + b) / 2);
        QTest::mouseMove(c, b);
        QTest::mouseRelease(c, Qt::LeftButton, {}, b);
        QTRY_VERIFY_WITH_TIMEOUT(w->preview_count() == 1 && !w->request_pending(), kEngineTimeoutMs);
        QTest::keyClick(c, Qt::Key_Return);
        QCOMPARE(w->current_record()->instances.size(), size_t(2));
        QCOMPARE(w->current_record()->instances[1].category_id, extra.id);
        BBox box = rle_bbox(w->current_record()->instances[1].mask);
        QVERIFY2(std::abs(box.x - 520) <= 3 && std::abs(box.y - 380) <= 3 && std::abs(box.w - 60) <= 6 && std::abs(box.h - 60) <= 6,
                 qPrintable(QString("box %1,%2 %3x%4").arg(box.x).arg(box.y).arg(box.w).arg(box.h)));
        shot(w, "07-two-categories");
        // Merge both, then undo the merge.
        w->instance_panel()->tree()->selectAll();
        QCOMPARE(w->selected_instances().size(), size_t(2));
        QTest::keyClick(c, Qt::Key_M);
        QCOMPARE(w->current_record()->instances.size(), size_t(1));
        QTest::keyClick(c, Qt::Key_Z, Qt::ControlModifier);
        QCOMPARE(w->current_record()->instances.size(), size_t(2));
        // Reassign the second one to category 1 with C.
        QTest::keyClick(c, Qt::Key_1);
        w->instance_panel()->set_selected({w->current_record()->instances[1].id});
        QTest::keyClick(c, Qt::Key_C);
        QCOMPARE(w->current_record()->instances[1].category_id, doc->project().categories[0].id);
        QTest::keyClick(c, Qt::Key_Z, Qt::ControlModifier);
        QCOMPARE(w->current_record()->instances[1].category_id, extra.id);
    }

    void hover_highlights_the_instance_under_the_cursor() {
        MainWindow* w = window_on("hover", Start::DiscWithHoleAndSquare);
        QVERIFY(w);
        ImageCanvas* c = w->canvas();
        QSignalSpy hovered(c, &ImageCanvas::hovered_instance_changed);
        QTest::mouseMove(c, to_widget(c, disc1_.cx, disc1_.cy - 50));
        QTRY_VERIFY(!hovered.isEmpty());
        QCOMPARE(hovered.last().at(0).toLongLong(), w->current_record()->instances[0].id);
        QVERIFY(c->toolTip().startsWith(QString("#%1").arg(w->current_record()->instances[0].id)));
        QTest::mouseMove(c, to_widget(c, 10, 470));  // background
        QTRY_COMPARE(hovered.last().at(0).toLongLong(), qint64(0));
    }

    void wheel_zoom_and_middle_drag_pan() {
        MainWindow* w = window_on("wheel", Start::DiscWithHoleAndSquare);
        QVERIFY(w);
        ImageCanvas* c = w->canvas();
        const QPoint anchor = to_widget(c, 100, 100);
        const double zoom = c->zoom();
        QWheelEvent wheel(QPointF(anchor), c->mapToGlobal(QPointF(anchor)), QPoint(), QPoint(0, 240), Qt::NoButton,
                          Qt::NoModifier, Qt::NoScrollPhase, false);
        QApplication::sendEvent(c, &wheel);
        QVERIFY(std::abs(c->zoom() - zoom * 1.5625) < 1e-6);  // two notches of 1.25
        QPointF under = c->widget_to_image(QPointF(anchor));
        QVERIFY(std::abs(under.x() - 100) < 1 && std::abs(under.y() - 100) < 1);  // zoom keeps the point under the cursor
        QTest::mousePress(c, Qt::MiddleButton, {}, anchor);
        QTest::mouseMove(c, anchor + QPoint(40, 30));
        QTest::mouseRelease(c, Qt::MiddleButton, {}, anchor + QPoint(40, 30));
        QPointF moved = c->image_to_widget(QPointF(100, 100));
        QVERIFY(std::abs(moved.x() - (anchor.x() + 40)) <= 1.5 && std::abs(moved.y() - (anchor.y() + 30)) <= 1.5);
        QTest::keyClick(c, Qt::Key_0);
        QCOMPARE(c->zoom(), 1.0);
        QTest::keyClick(c, Qt::Key_F);
        QVERIFY(c->zoom() > 1.0);  // 640 x 480 fitted into a larger canvas
        QCOMPARE(w->current_record()->instances.size(), size_t(2));  // no prompt, no edit from any of this
        QCOMPARE(w->preview_count(), 0);
    }

    void help_overlay() {
        MainWindow* w = window_on("help", Start::Empty);
        QVERIFY(w);
        QTest::keyClick(w->canvas(), Qt::Key_F1);
        auto* help = w->findChild<HelpOverlay*>("helpOverlay");
        QVERIFY(help && help->isVisible());
        shot(w, "08-help");
        QTest::keyClick(help, Qt::Key_Escape);
        QVERIFY(!help->isVisible());
    }

    void export_coco_rle_and_polygons() {
        MainWindow* w = window_on("export", Start::DiscWithHoleAndSquare);
        QVERIFY(w);
        const QString path = root_ + "/export.json";
        QString summary;
        QVERIFY2(w->export_coco(path, false, &summary), qPrintable(summary));
        QVERIFY(summary.contains("2 annotations"));
        QFile f(path);
        QVERIFY(f.open(QIODevice::ReadOnly));
        QJsonObject coco = QJsonDocument::fromJson(f.readAll()).object();
        QJsonArray anns = coco["annotations"].toArray();
        QCOMPARE(anns.size(), 2);
        QCOMPARE(coco["categories"].toArray().size(), 2);
        const ImageRecord* rec = w->current_record();
        bool found = false;
        for (const QJsonValue& v : anns) {
            QJsonObject a = v.toObject();
            QVERIFY(a["segmentation"].toObject().contains("counts"));
            QCOMPARE(a["iscrowd"].toInt(), 0);
            if (a["id"].toInteger() == rec->instances[0].id) {
                found = true;
                QCOMPARE(qint64(a["area"].toDouble()), qint64(rle_area(rec->instances[0].mask)));
            }
        }
        QVERIFY(found);
        QVERIFY2(w->export_coco(root_ + "/export-poly.json", true, &summary), qPrintable(summary));
        QVERIFY(summary.contains("polygons"));
    }

    void reopen_finds_everything() {
        QVERIFY(window_on("reopen", Start::DiscWithHoleAndSquare));
        Project saved_in_memory = window_->document()->project();
        window_.reset();  // flushes the autosave
        Project on_disk = load_project((folder_ + "/xsam-project.json").toStdString());
        QCOMPARE(project_to_json(on_disk), project_to_json(saved_in_memory));
        MainWindow* w = open_window();
        QVERIFY(w->open_folder(folder_));
        QVERIFY(wait_ready(w));
        QCOMPARE(w->current_index(), 0);
        const ImageRecord* rec = w->current_record();
        QVERIFY(rec);
        QCOMPARE(rec->instances.size(), size_t(2));
        QVERIFY(!rle_decode(rec->instances[0].mask).at(disc1_.cx, disc1_.cy));  // the hole survived
        QCOMPARE(w->category_panel()->list()->count(), 2);
        QCOMPARE(w->instance_panel()->tree()->topLevelItemCount(), 2);
        QCOMPARE(w->file_list()->model()->index(0, 0).data(Qt::UserRole).toInt(), 2);
        QVERIFY(!w->document()->undo_stack()->canUndo());
        shot(w, "09-reopened");
    }

    void project_changed_on_disk() {
        MainWindow* w = window_on("changed", Start::Disc);
        QVERIFY(w);
        const QString path = w->document()->path();
        QTest::qWait(1700);  // let the watcher record our own last save
        Project other = load_project(path.toStdString());
        other.categories[0].name = "renamed elsewhere";
        QTest::qWait(20);
        save_project(other, path.toStdString());
        QTRY_VERIFY_WITH_TIMEOUT(w->notice_bar()->text().contains("changed by another program"), 8000);
        shot(w, "10-changed-on-disk");
        // Overwrite theirs with mine: our version is written back, theirs is kept beside it.
        QPushButton* keep = nullptr;
        for (QPushButton* b : w->notice_bar()->findChildren<QPushButton*>())
            if (b->text() == "Overwrite theirs with mine") keep = b;
        QVERIFY(keep);
        QTest::mouseClick(keep, Qt::LeftButton);
        w->document()->flush();
        QCOMPARE(load_project(path.toStdString()).categories[0].name, std::string("object"));
        QStringList backups = QDir(folder_).entryList({"xsam-project.json.theirs-*"});
        QCOMPARE(backups.size(), 1);
    }

    void unwritable_project_location_loses_nothing() {
        MainWindow* w = window_on("unwritable", Start::Disc);
        QVERIFY(w);
        Document* doc = w->document();
        const QString image_root = doc->image_root();
        const int64_t instances = doc->project().instance_count();
        QVERIFY(instances > 0);
        // /proc refuses new files even for root: every save fails there.
        doc->save_as("/proc/xsam-no-such-dir/project.json");
        QTRY_VERIFY_WITH_TIMEOUT(w->notice_bar()->text().contains("Cannot save the project"), 5000);
        QVERIFY(!doc->last_save_error().isEmpty());
        bool has_save_as = false;
        for (QPushButton* b : w->notice_bar()->findChildren<QPushButton*>()) has_save_as |= b->text().startsWith("Save Project As");
        QVERIFY(has_save_as);
        shot(w, "10b-cannot-save");
        QCOMPARE(doc->project().instance_count(), instances);  // still in memory
        const QString rescue = root_ + "/rescued/project.json";
        QVERIFY(QDir().mkpath(root_ + "/rescued"));
        doc->save_as(rescue);
        doc->flush();
        QVERIFY(doc->last_save_error().isEmpty());
        Project saved = load_project(rescue.toStdString());
        QCOMPARE(saved.instance_count(), instances);
        QCOMPARE(doc->image_root(), image_root);  // image_root rewritten relative to the new place
        QVERIFY(w->open_project(rescue));
        QTRY_VERIFY_WITH_TIMEOUT(!w->scanning() && w->image_ready(), 20000);
        QCOMPARE(w->document()->project().instance_count(), instances);
    }

    void folder_without_images() {
        MainWindow* w = window_on("no-images", Start::Empty);
        QVERIFY(w);
        QString empty = root_ + "/empty";
        QVERIFY(QDir().mkpath(empty));
        QVERIFY(w->open_folder(empty));
        QTRY_VERIFY_WITH_TIMEOUT(!w->scanning(), 10000);
        QCOMPARE(w->image_count(), 0);
        QVERIFY(w->notice_bar()->isVisible());
        QVERIFY(w->notice_bar()->text().contains("No images found"));
        shot(w, "11-no-images");
        QVERIFY(!w->open_folder(root_ + "/does-not-exist"));
        QVERIFY(w->notice_bar()->text().contains("does not exist"));
    }

    void scribble_on_the_bundled_samples() {
        // A copy of resources/samples, so the source tree gets no project file.
        const QString samples = root_ + "/samples";
        QVERIFY(QDir().mkpath(samples));
        const QString src = qEnvironmentVariable("XS_SOURCE_DIR") + "/resources/samples";
        const QStringList photos = QDir(src).entryList({"*.png", "*.jpg"}, QDir::Files);
        QVERIFY2(photos.size() >= 3, qPrintable(src));
        for (const QString& f : photos) QVERIFY(QFile::copy(src + "/" + f, samples + "/" + f));
        MainWindow* w = open_window();
        QVERIFY(w->open_folder(samples));
        QVERIFY2(wait_ready(w), qPrintable(QString("scanning %1 image %2 engine %3 count %4 notice %5")
                                               .arg(w->scanning()).arg(w->image_ready()).arg(w->engine_ready())
                                               .arg(w->image_count()).arg(w->notice_bar()->text())));
        int chelsea = -1;
        for (int i = 0; i < w->file_list()->model()->rowCount(); ++i)
            if (w->file_list()->model()->index(i, 0).data().toString().startsWith("chelsea")) chelsea = i;
        QVERIFY(chelsea >= 0);
        w->file_list()->setCurrentIndex(w->file_list()->model()->index(chelsea, 0));
        QTRY_VERIFY_WITH_TIMEOUT(w->image_ready() && w->current_index() == chelsea, 20000);
        ImageCanvas* c = w->canvas();
        const QSize size = c->image_size();
        // A positive scribble along the cat's body (chelsea.png: the cat fills the middle).
        QTest::keyClick(c, Qt::Key_S);
        QCOMPARE(c->tool_name(), QString("toolScribble"));
        QPoint a = to_widget(c, size.width() * 0.35, size.height() * 0.55);
        QTest::mousePress(c, Qt::LeftButton, {}, a);
        for (int i = 1; i <= 10; ++i)
            QTest::mouseMove(c, to_widget(c, size.width() * (0.35 + 0.025 * i), size.height() * (0.55 - 0.01 * i)));
        QTest::mouseRelease(c, Qt::LeftButton, {}, to_widget(c, size.width() * 0.6, size.height() * 0.45));
        QTRY_VERIFY_WITH_TIMEOUT(w->preview_count() == 1 && !w->request_pending(), kEngineTimeoutMs);
        shot(w, "12-samples-scribble");
        QTest::keyClick(c, Qt::Key_Return);
        QCOMPARE(w->current_record()->instances.size(), size_t(1));
        QVERIFY(rle_area(w->current_record()->instances[0].mask) > int64_t(size.width()) * size.height() / 20);
        QTest::keyClick(c, Qt::Key_V);
        shot(w, "13-samples-accepted");
    }

    void huge_image_is_refused_with_a_message() {
        // A PNG whose header says 30000 x 20000 (600 megapixels): refused before decoding.
        const QString dir = root_ + "/huge";
        QVERIFY(QDir().mkpath(dir));
        QByteArray ihdr;
        QDataStream ds(&ihdr, QIODevice::WriteOnly);
        ds.setByteOrder(QDataStream::BigEndian);
        ds << quint32(30000) << quint32(20000) << quint8(8) << quint8(2) << quint8(0) << quint8(0) << quint8(0);
        QByteArray chunk = "IHDR" + ihdr;
        quint32 crc = 0xffffffffu;  // CRC-32 of the chunk type and data, as PNG requires
        for (char ch : chunk) {
            crc ^= quint8(ch);
            for (int k = 0; k < 8; ++k) crc = (crc >> 1) ^ (0xedb88320u & (0u - (crc & 1u)));
        }
        crc ^= 0xffffffffu;
        QFile f(dir + "/huge.png");
        QVERIFY(f.open(QIODevice::WriteOnly));
        QDataStream out(&f);
        out.setByteOrder(QDataStream::BigEndian);
        out.writeRawData("\x89PNG\r\n\x1a\n", 8);
        out << quint32(13);
        out.writeRawData(chunk.constData(), chunk.size());
        out << crc;
        out << quint32(0);
        out.writeRawData("IEND", 4);
        out << quint32(0xae426082u);
        f.close();
        MainWindow* w = open_window();
        QVERIFY(w->open_folder(dir));
        QTRY_VERIFY2_WITH_TIMEOUT(w->notice_bar()->text().contains("megapixels"), qPrintable(w->notice_bar()->text()), 10000);
        QVERIFY(w->notice_bar()->text().contains("30000 x 20000"));
        QVERIFY(!w->image_ready());
    }

    // The one folder scanner's rules in the image list: a name that is not UTF-8 is listed (not
    // dropped), a link to a folder outside (here the whole disk) is not followed and the notice says so.
    void folder_scan_rules_in_the_image_list() {
        MainWindow* w = open_window();
        const QString dir = root_ + "/odd-names";
        QVERIFY(QDir().mkpath(dir));
        make_disc_image(dir + "/a.png", 64, 48, Disc{32, 24, 10}, Qt::red, Qt::blue);
        const std::string raw = dir.toStdString() + "/z-\xff\xfe.png";  // not UTF-8
        QVERIFY(std::filesystem::copy_file(dir.toStdString() + "/a.png", raw));
        std::filesystem::create_directory_symlink("/", dir.toStdString() + "/whole-disk");
        QVERIFY(w->open_folder(dir));
        QTRY_VERIFY_WITH_TIMEOUT(!w->scanning() && w->image_ready(), 20000);
        QCOMPARE(w->image_count(), 2);
        QCOMPARE(w->file_list()->model()->index(0, 0).data().toString(), QString("a.png"));
        QVERIFY(w->file_list()->model()->index(1, 0).data().toString().startsWith("z-"));
        QVERIFY2(w->notice_bar()->text().contains("not followed") && w->notice_bar()->text().contains("whole-disk"),
                 qPrintable(w->notice_bar()->text()));
    }

    void malformed_project_is_left_untouched() {
        MainWindow* w = window_on("malformed", Start::Empty);
        QVERIFY(w);
        QString bad = root_ + "/bad";
        QVERIFY(QDir().mkpath(bad));
        make_disc_image(bad + "/a.png", 64, 48, Disc{32, 24, 10}, Qt::red, Qt::blue);
        QFile f(bad + "/xsam-project.json");
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write("{\"format_version\": 1, \"categories\": [");
        f.close();
        QVERIFY(!w->open_folder(bad));
        QVERIFY(w->notice_bar()->text().contains("left untouched"));
        QFile g(bad + "/xsam-project.json");
        QVERIFY(g.open(QIODevice::ReadOnly));
        QCOMPARE(g.readAll(), QByteArray("{\"format_version\": 1, \"categories\": ["));
    }
};

QTEST_MAIN(TestMainWindow)
#include "test_main_window.moc"
