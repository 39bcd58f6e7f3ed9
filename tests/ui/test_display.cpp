// Seeing the image, through the real main window (offscreen, QTest events): display adjustments
// (brightness, contrast, gamma) change what the canvas draws and nothing else (the engine gets the
// original pixels, the project file and the export stay byte for byte the same); the dark theme; the
// window within the screen's available area; shortcuts changed in Help > Keyboard shortcuts.
// Screenshots go to /tmp/gui-shots/display-*.png.
#include <QAction>
#include <QApplication>
#include <QCheckBox>
#include <QDialogButtonBox>
#include <QDir>
#include <QDockWidget>
#include <QFile>
#include <QKeySequenceEdit>
#include <QLabel>
#include "ui/widgets.h"
#include <QPainter>
#include <QPushButton>
#include <QScreen>
#include <QSettings>
#include <QSlider>
#include <QSpinBox>
#include <QStyle>
#include <QUndoStack>
#include <QtTest>
#include <cmath>
#include <filesystem>
#include <memory>
#include <mutex>

#include "core/builtin/builtin_engines.h"
#include "core/io/image.h"
#include "core/io/project_file.h"
#include "tests/ui/gui_test_support.h"
#include "ui/display_adjustment.h"
#include "ui/display_panel.h"
#include "ui/main_window.h"
#include "ui/shortcuts_dialog.h"
#include "ui/theme.h"

using namespace xs;

namespace {

constexpr int kTimeoutMs = 60000;

// A classic engine that keeps a copy of every image it is asked to prepare.
struct Recorded {
    std::mutex mutex;
    std::vector<Image> images;
};

class RecordingEngine : public Engine {
public:
    RecordingEngine(std::unique_ptr<Engine> inner, std::shared_ptr<Recorded> record)
        : inner_(std::move(inner)), record_(std::move(record)) {}
    std::string name() const override { return "recording"; }
    std::string device() const override { return inner_->device(); }
    Capabilities capabilities() const override { return inner_->capabilities(); }
    std::shared_ptr<const PreparedImage> prepare(const Image& image, const CancelToken& cancel) override {
        {
            std::lock_guard<std::mutex> lock(record_->mutex);
            record_->images.push_back(image);
        }
        return inner_->prepare(image, cancel);
    }
    SegmentResult segment(const PreparedImage& prepared, const SegmentRequest& request, const CancelToken& cancel) override {
        return inner_->segment(prepared, request, cancel);
    }

private:
    std::unique_ptr<Engine> inner_;
    std::shared_ptr<Recorded> record_;
};

// Mean luminance of a widget's picture.
double mean_grey(const QImage& image) {
    double sum = 0;
    for (int y = 0; y < image.height(); ++y)
        for (int x = 0; x < image.width(); ++x) sum += qGray(image.pixel(x, y));
    return sum / (double(image.width()) * image.height());
}

}  // namespace

class TestDisplay : public QObject {
    Q_OBJECT
private:
    QString root_, folder_;
    std::unique_ptr<MainWindow> window_;
    EngineRegistry registry_;
    std::shared_ptr<Recorded> recorded_ = std::make_shared<Recorded>();

    // A fresh copy of a dark photograph-like image with a project holding one instance.
    void make_folder(const QString& name) {
        folder_ = root_ + "/" + name;
        std::filesystem::remove_all(folder_.toStdString());
        QVERIFY(QDir().mkpath(folder_));
        QImage img(320, 240, QImage::Format_RGB32);
        for (int y = 0; y < 240; ++y)
            for (int x = 0; x < 320; ++x) img.setPixel(x, y, qRgb(x / 8, 20 + y / 10, 40));  // dark, low contrast
        QPainter p(&img);
        p.setPen(Qt::NoPen);
        p.setBrush(QColor(70, 60, 50));
        p.drawEllipse(QPoint(160, 120), 50, 50);
        p.end();
        QVERIFY(img.save(folder_ + "/dark.png"));
        Project project;
        project.image_root = ".";
        ImageRecord& rec = project.add_image("dark.png", 320, 240);
        Mask m(320, 240);
        for (int y = 100; y < 140; ++y)
            for (int x = 140; x < 180; ++x) m.set(x, y, true);
        project.add_instance(rec, project.add_category("thing").id, rle_encode(m), 1.0f, "test");
        save_project(project, (folder_ + "/xsam-project.json").toStdString());
    }

    MainWindow* open_window(const QString& engine = "recording") {
        window_.reset();
        window_ = std::make_unique<MainWindow>();
        window_->engine_worker()->set_registry(&registry_);
        window_->resize(1100, 720);
        window_->show();
        QApplication::setActiveWindow(window_.get());
        window_->set_engine(engine);
        return window_.get();
    }

    MainWindow* window_on(const QString& name) {
        make_folder(name);
        MainWindow* w = open_window();
        if (!w->open_folder(folder_)) return nullptr;
        const bool ready = QTest::qWaitFor([w] { return !w->scanning() && w->image_ready() && w->engine_ready(); }, kTimeoutMs);
        return ready ? w : nullptr;
    }

    // The spin box of the Display panel named `name` ("brightnessBox", ...), set by typing into it.
    void type_value(MainWindow* w, const char* name, const QString& text) {
        auto* box = w->display_panel()->findChild<QAbstractSpinBox*>(name);
        QVERIFY2(box, name);
        box->setFocus();
        box->selectAll();
        QTest::keyClicks(box, text);
        QTest::keyClick(box, Qt::Key_Return);
    }

private Q_SLOTS:
    void initTestCase() {
        use_private_settings("test_ui_display");
        root_ = qEnvironmentVariable("XS_TEST_TMP", QDir::tempPath() + "/xs-display-test");
        std::filesystem::remove_all(root_.toStdString());
        QVERIFY(QDir().mkpath(root_));
        registry_ = builtin_engines();
        std::shared_ptr<Recorded> recorded = recorded_;
        registry_.add("recording", "test only: the classic engine, keeping every image it prepares",
                      [recorded](const EngineOptions& options) -> std::unique_ptr<Engine> {
                          return std::make_unique<RecordingEngine>(builtin_engines().create("classic", options), recorded);
                      });
    }
    void cleanup() {
        window_.reset();
        QSettings().clear();
        apply_theme(Theme::System);
    }

    // The lookup table against its formula at a few points, and the identity.
    void lookup_table_follows_the_formula() {
        const std::array<uint8_t, 256> same = display_lookup_table(DisplayAdjustment());
        for (int v = 0; v < 256; ++v) QCOMPARE(int(same[v]), v);
        DisplayAdjustment a;
        a.gamma = 2.0;
        QCOMPARE(int(display_lookup_table(a)[64]), int(std::lround(std::sqrt(64 / 255.0) * 255)));  // 128
        a = DisplayAdjustment();
        a.brightness = 20;
        QCOMPARE(int(display_lookup_table(a)[100]), 151);  // 100 + 0.2 * 255, rounded
        QCOMPARE(int(display_lookup_table(a)[250]), 255);  // clamped
        a = DisplayAdjustment();
        a.contrast = 50;  // slope 2 about mid-grey
        QCOMPARE(int(display_lookup_table(a)[100]), int(std::lround(((100 / 255.0 - 0.5) * 2 + 0.5) * 255)));
        a.contrast = -100;  // flat
        QCOMPARE(int(display_lookup_table(a)[0]), 128);
        QCOMPARE(int(display_lookup_table(a)[255]), 128);
        // The image given is left as it is; alpha is kept.
        QImage img(4, 1, QImage::Format_ARGB32);
        img.setPixel(0, 0, qRgba(10, 100, 200, 77));
        const QImage copy = img.copy();
        a = DisplayAdjustment();
        a.brightness = 20;
        const QImage out = apply_display_adjustment(img, a);
        QCOMPARE(img, copy);
        QCOMPARE(qAlpha(out.pixel(0, 0)), 77);
        QCOMPARE(qRed(out.pixel(0, 0)), 10 + 51);
    }

    // A figure, not a goal checked here: what one slider step costs for a 12-megapixel photograph at
    // full size (1:1 and closer) and at the level a fitted view draws (a quarter of each side).
    void adjustment_cost_is_printed() {
        DisplayAdjustment a;
        a.brightness = 10;
        a.gamma = 1.3;
        for (int side : {4096, 1024}) {
            QImage big(side, side * 3 / 4, QImage::Format_RGB32);
            big.fill(QColor(90, 120, 150));
            QElapsedTimer t;
            t.start();
            const QImage out = apply_display_adjustment(big, a);
            qInfo("display adjustment of a %d x %d image: %lld ms", big.width(), big.height(), static_cast<long long>(t.elapsed()));
            QCOMPARE(out.size(), big.size());
        }
    }

    // Typing into the Display panel brightens what the canvas draws; Ctrl+0 brings the picture back
    // exactly; the engine was only ever given the file's own pixels.
    void adjustments_change_the_canvas_only() {
        MainWindow* w = window_on("canvas");
        QVERIFY(w);
        QVERIFY(!w->display_dock()->isVisible());
        QTest::keyClick(w->canvas(), Qt::Key_B, Qt::ControlModifier);  // View > Display adjustments
        QVERIFY(w->display_dock()->isVisible());
        QVERIFY(w->action("toggleDisplayPanel")->isChecked());
        const QImage before = w->canvas()->grab().toImage();
        type_value(w, "brightnessBox", "30");
        type_value(w, "contrastBox", "40");
        type_value(w, "gammaBox", "1.8");
        QCOMPARE(w->canvas()->display_adjustment().brightness, 30);
        QCOMPARE(w->canvas()->display_adjustment().contrast, 40);
        QCOMPARE(w->canvas()->display_adjustment().gamma, 1.8);
        QCOMPARE(w->display_panel()->findChild<QSlider*>("brightnessSlider")->value(), 30);
        QCOMPARE(w->display_panel()->findChild<QSlider*>("gammaSlider")->value(), 180);
        const QImage brighter = w->canvas()->grab().toImage();
        QVERIFY(brighter != before);
        qInfo("canvas mean grey: %.1f before, %.1f adjusted", mean_grey(before), mean_grey(brighter));
        QVERIFY(mean_grey(brighter) > mean_grey(before) + 10);
        shot(w, "display-adjusted");
        // The slider's keys move it (the box follows), even PgUp, which is also "Bring forward".
        auto* slider = w->display_panel()->findChild<QSlider*>("brightnessSlider");
        const int undo_steps = w->document()->undo_stack()->count();
        slider->setFocus();
        QTest::keyClick(slider, Qt::Key_PageUp);
        QCOMPARE(slider->value(), 30 + slider->pageStep());
        QCOMPARE(w->document()->undo_stack()->count(), undo_steps);
        QCOMPARE(w->display_panel()->findChild<QSpinBox*>("brightnessBox")->value(), slider->value());
        QCOMPARE(w->canvas()->display_adjustment().brightness, slider->value());

        QTest::keyClick(w->canvas(), Qt::Key_0, Qt::ControlModifier);  // reset
        QVERIFY(w->canvas()->display_adjustment().is_identity());
        QCOMPARE(w->display_panel()->findChild<QSpinBox*>("brightnessBox")->value(), 0);
        QCOMPARE(w->canvas()->grab().toImage(), before);

        type_value(w, "gammaBox", "2.5");
        QVERIFY(!w->canvas()->display_adjustment().is_identity());
        // The engine sees the original pixels: reopening the folder prepares the image again, now with
        // the adjustment on (it stays on across images).
        { std::lock_guard<std::mutex> lock(recorded_->mutex); recorded_->images.clear(); }
        const DisplayAdjustment kept = w->canvas()->display_adjustment();
        QVERIFY(w->open_folder(folder_));
        QTRY_VERIFY_WITH_TIMEOUT(!w->scanning() && w->image_ready(), kTimeoutMs);
        QVERIFY(w->canvas()->display_adjustment() == kept);
        QTest::mouseClick(w->canvas(), Qt::LeftButton, {}, w->canvas()->image_to_widget(QPointF(160, 120)).toPoint());
        QTRY_VERIFY_WITH_TIMEOUT(w->preview_count() >= 1 && !w->request_pending(), kTimeoutMs);
        const Image original = load_image((folder_ + "/dark.png").toStdString());
        {
            std::lock_guard<std::mutex> lock(recorded_->mutex);
            QVERIFY(!recorded_->images.empty());
            for (const Image& seen : recorded_->images) {
                QCOMPARE(seen.width, original.width);
                QVERIFY(seen.rgb == original.rgb);
            }
        }
        QTest::keyClick(w->canvas(), Qt::Key_Escape);
    }

    // "Apply to what the engine sees", ticked: the engine prepares the adjusted pixels (and keeps
    // them apart from the original's); the project, the file and the instances stay as they were.
    // Unticked again, a click is answered from the original image.
    void engine_sees_the_adjustment_only_when_asked() {
        MainWindow* w = window_on("engine-sees");
        QVERIFY(w);
        w->document()->flush();
        const QByteArray project_before = file_bytes(folder_ + "/xsam-project.json");
        const QByteArray image_before = file_bytes(folder_ + "/dark.png");
        QTest::keyClick(w->canvas(), Qt::Key_B, Qt::ControlModifier);
        auto* tick = w->display_panel()->findChild<QCheckBox*>("engineSeesAdjustment");
        QVERIFY(tick);
        QVERIFY(!tick->isChecked());
        type_value(w, "brightnessBox", "25");
        type_value(w, "gammaBox", "1.5");
        { std::lock_guard<std::mutex> lock(recorded_->mutex); recorded_->images.clear(); }
        QTest::mouseClick(tick, Qt::LeftButton);
        QVERIFY(tick->isChecked());
        shot(w, "display-engine-sees-adjustment");
        const QPoint at = w->canvas()->image_to_widget(QPointF(160, 120)).toPoint();
        QTest::mouseClick(w->canvas(), Qt::LeftButton, {}, at);
        QTRY_VERIFY_WITH_TIMEOUT(w->preview_count() >= 1 && !w->request_pending(), kTimeoutMs);
        const Image original = load_image((folder_ + "/dark.png").toStdString());
        const Image adjusted = adjusted_engine_image(original, w->canvas()->display_adjustment());
        QVERIFY(adjusted.rgb != original.rgb);
        {
            std::lock_guard<std::mutex> lock(recorded_->mutex);
            QVERIFY(!recorded_->images.empty());
            QVERIFY(recorded_->images.back().rgb == adjusted.rgb);
        }
        QTest::keyClick(w->canvas(), Qt::Key_Escape);
        QCOMPARE(w->current_record()->instances.size(), size_t(1));
        // A change of the adjustment while ticked reaches the engine too.
        { std::lock_guard<std::mutex> lock(recorded_->mutex); recorded_->images.clear(); }
        type_value(w, "contrastBox", "30");
        QCOMPARE(w->canvas()->display_adjustment().contrast, 30);
        const Image contrasted = adjusted_engine_image(original, w->canvas()->display_adjustment());
        // (Typing "3" first asked for contrast 3; the worker may prepare that one too, in any order.)
        auto prepared = [this](const Image& want) {
            std::lock_guard<std::mutex> lock(recorded_->mutex);
            for (const Image& seen : recorded_->images)
                if (seen.rgb == want.rgb) return true;
            return false;
        };
        QTRY_VERIFY_WITH_TIMEOUT(prepared(contrasted), kTimeoutMs);
        QVERIFY(!prepared(original));
        // Unticked: answers come from the original (prepared at the start, so nothing new is prepared).
        QTest::mouseClick(tick, Qt::LeftButton);
        QVERIFY(!tick->isChecked());
        w->canvas()->setFocus();
        QTest::mouseClick(w->canvas(), Qt::LeftButton, {}, at);
        QTRY_VERIFY_WITH_TIMEOUT(w->preview_count() >= 1 && !w->request_pending(), kTimeoutMs);
        QTest::keyClick(w->canvas(), Qt::Key_Escape);
        w->document()->flush();
        QCOMPARE(file_bytes(folder_ + "/xsam-project.json"), project_before);
        QCOMPARE(file_bytes(folder_ + "/dark.png"), image_before);
    }

    // The same edits with and without an adjustment give the same project file and export, byte for
    // byte, and the image file is never touched.
    void project_and_export_do_not_see_adjustments() {
        QByteArray project[2], exported[2], image[2];
        for (int adjusted = 0; adjusted < 2; ++adjusted) {
            MainWindow* w = window_on(adjusted ? "bytes-adjusted" : "bytes-plain");
            QVERIFY(w);
            if (adjusted) {
                QTest::keyClick(w->canvas(), Qt::Key_B, Qt::ControlModifier);
                type_value(w, "brightnessBox", "-40");
                type_value(w, "gammaBox", "0.5");
                QVERIFY(!w->canvas()->display_adjustment().is_identity());
            }
            w->canvas()->setFocus();
            QTest::mouseClick(w->canvas(), Qt::LeftButton, {}, w->canvas()->image_to_widget(QPointF(160, 120)).toPoint());
            QTRY_VERIFY_WITH_TIMEOUT(w->preview_count() >= 1 && !w->request_pending(), kTimeoutMs);
            QTest::keyClick(w->canvas(), Qt::Key_Return);
            QCOMPARE(w->current_record()->instances.size(), size_t(2));
            QString summary;
            QVERIFY(w->export_coco(folder_ + "/coco.json", false, &summary));
            w->document()->flush();
            // Timestamps differ between runs: compare with them blanked.
            Project p = load_project((folder_ + "/xsam-project.json").toStdString());
            for (ImageRecord& rec : p.images)
                for (Instance& inst : rec.instances) inst.created_ms = inst.modified_ms = 0;
            save_project(p, (folder_ + "/normalised.json").toStdString());
            project[adjusted] = file_bytes(folder_ + "/normalised.json");
            exported[adjusted] = file_bytes(folder_ + "/coco.json");
            image[adjusted] = file_bytes(folder_ + "/dark.png");
        }
        QVERIFY(!project[0].isEmpty() && !exported[0].isEmpty());
        QCOMPARE(project[1], project[0]);
        QCOMPARE(exported[1], exported[0]);
        QCOMPARE(image[1], image[0]);
    }

    // View > Dark theme: a dark palette now and at the next start; System brings the first one back.
    void dark_theme_is_applied_and_stored() {
        const QColor system_window = QApplication::palette().color(QPalette::Window);
        MainWindow* w = window_on("theme");
        QVERIFY(w);
        QVERIFY(w->action("themeSystem")->isChecked());
        w->action("themeDark")->trigger();
        QVERIFY(w->action("themeDark")->isChecked());
        QVERIFY(!w->action("themeSystem")->isChecked());
        QVERIFY(QApplication::palette().color(QPalette::Window).lightness() < 80);
        QVERIFY(QApplication::palette().color(QPalette::WindowText).lightness() > 180);
        QTRY_COMPARE(w->palette().color(QPalette::Window), QApplication::palette().color(QPalette::Window));
        QTRY_COMPARE(w->display_panel()->palette().color(QPalette::Text), QApplication::palette().color(QPalette::Text));
        QCOMPARE(QApplication::style()->name().toLower(), QStringLiteral("fusion"));
        QCOMPARE(QSettings().value("view/theme").toString(), QStringLiteral("dark"));
        w->display_dock()->show();
        w->action("toggleInspector")->trigger();
        shot(w, "display-dark-theme");
        window_.reset();
        apply_theme(Theme::System);  // as at a fresh start
        w = open_window();
        QVERIFY(w->action("themeDark")->isChecked());
        QVERIFY(QApplication::palette().color(QPalette::Window).lightness() < 80);
        w->action("themeLight")->trigger();
        QVERIFY(QApplication::palette().color(QPalette::Window).lightness() > 180);
        w->action("themeSystem")->trigger();
        QCOMPARE(QApplication::palette().color(QPalette::Window), system_window);
    }

    // A saved geometry that fits is restored; one bigger than the screen becomes 90% of it, centred.
    void window_opens_within_the_available_area() {
        const QRect avail = QGuiApplication::primaryScreen()->availableGeometry();
        qInfo("available area: %d x %d at %d,%d", avail.width(), avail.height(), avail.x(), avail.y());
        {
            QWidget big;
            big.setGeometry(avail.x() - 300, avail.y() - 200, avail.width() * 3, avail.height() * 2);
            QSettings().setValue("window/geometry", big.saveGeometry());
        }
        MainWindow* w = open_window("classic");
        window_->hide();  // open_window resized it; make a fresh one without that
        window_ = std::make_unique<MainWindow>();
        w = window_.get();
        QVERIFY2(avail.contains(w->geometry()), qPrintable(QString("%1,%2 %3x%4").arg(w->x()).arg(w->y()).arg(w->width()).arg(w->height())));
        QVERIFY(std::abs(w->width() - int(avail.width() * 0.9)) <= 16);
        QVERIFY(std::abs(w->geometry().center().x() - avail.center().x()) <= 2);
        // No saved geometry: the default size, fitted the same way when the screen is smaller.
        QSettings().remove("window/geometry");
        window_ = std::make_unique<MainWindow>();
        QVERIFY(avail.contains(window_->geometry()));
        // One that fits stays as it was.
        const QRect small(avail.x() + 20, avail.y() + 30, avail.width() * 7 / 8, avail.height() * 7 / 8);  // above the minimum height the docks need
        window_->setGeometry(small);
        QSettings().setValue("window/geometry", window_->saveGeometry());
        window_ = std::make_unique<MainWindow>();
        QCOMPARE(window_->size(), small.size());
        QVERIFY(avail.contains(window_->geometry()));
    }

    // Help > Keyboard shortcuts: typing K for "Next image" makes K go forward and D do nothing; a key
    // another action has is refused, naming it; the change is stored and applied at the next start.
    void changed_shortcut_triggers_its_action() {
        MainWindow* w = window_on("keys");
        QVERIFY(w);
        // Two images, so "next" can be seen.
        QVERIFY(QFile::copy(folder_ + "/dark.png", folder_ + "/dark2.png"));
        QVERIFY(w->open_folder(folder_));
        QTRY_VERIFY_WITH_TIMEOUT(!w->scanning() && w->image_ready() && w->image_count() == 2, kTimeoutMs);
        w->show_image(0);
        QTRY_VERIFY_WITH_TIMEOUT(w->image_ready(), kTimeoutMs);

        w->action("shortcutSettings")->trigger();
        ShortcutsDialog* dlg = w->shortcuts_dialog();
        QVERIFY(dlg);
        QTRY_VERIFY(dlg->isVisible());
        QKeySequenceEdit* next = dlg->editor("nextImage");
        QVERIFY(next);
        QCOMPARE(next->keySequence(), QKeySequence(Qt::Key_D));
        // A key that "Export COCO" has: refused, and the dialog says so.
        QTest::mouseClick(next, Qt::LeftButton);
        QTest::keyClick(next, Qt::Key_E, Qt::ControlModifier);
        QTRY_VERIFY_WITH_TIMEOUT(!dlg->problem_label()->text().isEmpty(), 5000);
        QVERIFY2(dlg->problem_label()->text().contains("Export COCO"), qPrintable(dlg->problem_label()->text()));
        QCOMPARE(next->keySequence(), QKeySequence(Qt::Key_D));
        QCOMPARE(dlg->keys().value("nextImage"), QList<QKeySequence>{QKeySequence(Qt::Key_D)});
        shot(dlg, "display-shortcuts-conflict");
        // K is free.
        QTest::mouseClick(next, Qt::LeftButton);
        QTest::keyClick(next, Qt::Key_K);
        QTRY_COMPARE_WITH_TIMEOUT(dlg->keys().value("nextImage"), QList<QKeySequence>{QKeySequence(Qt::Key_K)}, 5000);
        QVERIFY(dlg->problem_label()->text().isEmpty());
        // Clear and Reset on another row.
        QTest::mouseClick(dlg->findChild<QPushButton*>("clear_zoomFit"), Qt::LeftButton);
        QVERIFY(dlg->keys().value("zoomFit").isEmpty());
        QTest::mouseClick(dlg->findChild<QPushButton*>("reset_zoomFit"), Qt::LeftButton);
        QCOMPARE(dlg->keys().value("zoomFit"), QList<QKeySequence>{QKeySequence(Qt::Key_F)});
        shot(dlg, "display-shortcuts");
        QTest::mouseClick(dlg->findChild<QDialogButtonBox*>()->button(QDialogButtonBox::Ok), Qt::LeftButton);
        QTRY_VERIFY(!w->shortcuts_dialog());

        QCOMPARE(w->action("nextImage")->shortcuts(), QList<QKeySequence>{QKeySequence(Qt::Key_K)});
        QVERIFY(w->action("nextImage")->toolTip().contains("(K)"));
        QApplication::setActiveWindow(w);
        w->canvas()->setFocus();
        QTest::keyClick(w->canvas(), Qt::Key_D);
        QCOMPARE(w->current_index(), 0);
        QTest::keyClick(w->canvas(), Qt::Key_K);
        QCOMPARE(w->current_index(), 1);
        QCOMPARE(QSettings().value("shortcuts/nextImage").toString(), QStringLiteral("K"));
        QVERIFY(!QSettings().contains("shortcuts/zoomFit"));  // back at its default: not stored
        // The F1 help lists the current key.
        QTest::keyClick(w->canvas(), Qt::Key_F1);
        shot(w, "display-help-with-changed-key");
        QTest::keyClick(QApplication::focusWidget(), Qt::Key_Escape);

        // At the next start the stored key applies, and a stored key that clashes is refused, said.
        QSettings().setValue("shortcuts/prevImage", "Ctrl+E");
        QSettings().setValue("shortcuts/zoomIn", "Ctrl+Nonsense+");
        w = open_window();
        QCOMPARE(w->action("nextImage")->shortcuts(), QList<QKeySequence>{QKeySequence(Qt::Key_K)});
        QCOMPARE(w->action("prevImage")->shortcuts(), QList<QKeySequence>{QKeySequence(Qt::Key_A)});
        QCOMPARE(w->action("exportCoco")->shortcuts(), QList<QKeySequence>{QKeySequence("Ctrl+E")});
        QVERIFY(w->action("zoomIn")->shortcuts().contains(QKeySequence(Qt::Key_Equal)));
        const QString notice = w->notice_bar()->text();
        QVERIFY2(notice.contains("Ctrl+E of \"Previous image\" is also the shortcut of \"Export COCO"), qPrintable(notice));
        QVERIFY2(notice.contains("shortcuts/zoomIn") && notice.contains("not a key"), qPrintable(notice));
    }

    void dialog_cancel_changes_nothing() {
        MainWindow* w = open_window("classic");
        w->open_shortcuts_dialog();
        ShortcutsDialog* dlg = w->shortcuts_dialog();
        QVERIFY(dlg->change("undo", {QKeySequence("Ctrl+U")}));
        dlg->reject();
        QTRY_VERIFY(!w->shortcuts_dialog());
        QCOMPARE(w->action("undo")->shortcuts(), QList<QKeySequence>{QKeySequence("Ctrl+Z")});
        QVERIFY(!QSettings().contains("shortcuts/undo"));
    }
};

QTEST_MAIN(TestDisplay)
#include "test_display.moc"
