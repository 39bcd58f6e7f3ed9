// X-SAM in the GUI, driven through real widgets with QTest events (offscreen) on the tiny
// random-weight model (models/xsam-tiny.json): the model settings page (bad folders give messages, a
// good one loads with a progress bar), a referring prompt, "Find all like this" candidates accepted
// and rejected one by one and all at once with undo, the grounded caption's phrase <-> mask links,
// the inspector re-filtering without a model call (and showing the last answer when opened later),
// and the prepared-image LRU bounded by memory. Every test starts its own window (xsam_window).
// Screenshots go to /tmp/gui-shots/xsam-*.png.
#include <QAction>
#include <QApplication>
#include <QComboBox>
#include <QDir>
#include <QDockWidget>
#include <QElapsedTimer>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QPainter>
#include <QProgressBar>
#include <QPushButton>
#include <QRegularExpression>
#include <QScreen>
#include <QSignalSpy>
#include <QSlider>
#include <QStatusBar>
#include <QStandardItemModel>
#include <QTabWidget>
#include <QTextBrowser>
#include <QTreeWidget>
#include <QtTest>
#include <filesystem>
#include <memory>

#include "core/builtin/builtin_engines.h"
#include "core/xsam/engine/xsam_engine_factory.h"
#include "tests/ui/gui_test_support.h"
#include "tests/ui/xsam_test_engines.h"
#include "ui/candidates.h"
#include "ui/caption_view.h"
#include "ui/image_canvas.h"
#include "ui/inspector.h"
#include "ui/main_window.h"
#include "ui/engine_settings.h"
#include "ui/widgets.h"

using namespace xs;

namespace {

constexpr int kTimeoutMs = 120000;

// Three blocks of one colour on a plain background, so "like this" has answers to find.
void make_image(const QString& path, int w, int h, QColor bg) {
    QImage img(w, h, QImage::Format_RGB32);
    img.fill(bg);
    QPainter p(&img);
    p.setPen(Qt::NoPen);
    p.setBrush(QColor(220, 50, 40));
    p.drawRect(30, 40, 60, 50);
    p.drawRect(150, 60, 60, 50);
    p.drawRect(240, 150, 60, 50);
    p.setBrush(QColor(40, 200, 60));
    p.drawEllipse(QPoint(90, 180), 35, 35);
    p.end();
    QVERIFY(img.save(path));
}

bool is_prepared(MainWindow* w, const std::string& key) {
    const std::vector<std::string> keys = w->engine_worker()->cache_stats().keys;
    return std::find(keys.begin(), keys.end(), key) != keys.end();
}

int instance_count(MainWindow* w) {
    const ImageRecord* rec = w->current_record();
    return rec ? int(rec->instances.size()) : -1;
}

}  // namespace

class TestXsamGui : public QObject {
    Q_OBJECT
private:
    QString root_, model_, folder_;
    std::unique_ptr<MainWindow> w_;

    bool wait_answer(MainWindow* w) {
        return QTest::qWaitFor([w] { return !w->request_pending(); }, kTimeoutMs);
    }

    // A fresh window with X-SAM (the tiny model, its calls counted) on a fresh copy of the three
    // images, a.png shown and prepared-for, the default thresholds: each test starts from here, so
    // they run alone and in any order.
    MainWindow* xsam_window(const QString& name) {
        QSettings s;
        s.setValue("xsam/model", model_);
        s.remove("inspector");
        const QString folder = root_ + "/" + name;
        std::filesystem::remove_all(folder.toStdString());
        std::filesystem::copy(folder_.toStdString(), folder.toStdString(), std::filesystem::copy_options::recursive);
        w_ = std::make_unique<MainWindow>();
        MainWindow* w = w_.get();
        w->engine_worker()->set_registry(&test::test_registry());
        w->resize(1400, 860);
        w->show();
        QApplication::setActiveWindow(w);
        w->set_engine("xsam");
        if (!w->open_folder(folder)) return nullptr;
        if (!QTest::qWaitFor([w] { return !w->scanning() && w->image_ready() && w->engine_ready() && w->engine_name() == "xsam"; },
                             kTimeoutMs))
            return nullptr;
        if (!QTest::qWaitForWindowActive(w)) return nullptr;
        w->canvas()->setFocus();
        return w;
    }

private Q_SLOTS:
    void initTestCase() {
        use_private_settings("test_ui_xsam");
        root_ = qEnvironmentVariable("XS_TEST_TMP", QDir::tempPath() + "/xs-ui-xsam");
        QDir(root_).removeRecursively();
        folder_ = root_ + "/images";
        QVERIFY(QDir().mkpath(folder_));
        make_image(folder_ + "/a.png", 320, 240, QColor(40, 90, 160));
        make_image(folder_ + "/b.png", 320, 240, QColor(30, 30, 30));
        make_image(folder_ + "/c.png", 320, 240, QColor(200, 200, 200));
        model_ = root_ + "/tiny-model";
        QElapsedTimer t;
        t.start();
        write_random_xsam_model(qEnvironmentVariable("XS_SOURCE_DIR").toStdString() + "/models/xsam-tiny.json",
                                model_.toStdString(), 7);
        qInfo("tiny model written in %lld ms", t.elapsed());
    }

    void cleanupTestCase() { w_.reset(); }

    // The first window fits the available screen (offscreen: 800 x 600), docks and all.
    void first_window_fits_the_screen() {
        MainWindow w;
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        const QRect avail = w.screen()->availableGeometry();
        QVERIFY2(w.frameGeometry().width() <= avail.width() && w.frameGeometry().height() <= avail.height(),
                 qPrintable(QStringLiteral("window %1x%2 on a %3x%4 screen").arg(w.frameGeometry().width())
                                .arg(w.frameGeometry().height()).arg(avail.width()).arg(avail.height())));
    }

    void settings_page_refuses_bad_folders_and_loads_a_good_one_with_progress() {
        QSettings().remove("xsam/model");  // no model folder chosen yet
        w_ = std::make_unique<MainWindow>();
        MainWindow* w = w_.get();
        w->engine_worker()->set_registry(&test::test_registry());
        w->resize(1400, 860);
        w->show();
        QApplication::setActiveWindow(w);
        w->set_engine("classic");
        QVERIFY(w->open_folder(folder_));
        QVERIFY(QTest::qWaitFor([w] { return !w->scanning() && w->image_ready() && w->engine_ready(); }, kTimeoutMs));
        // Find all like this needs an engine with the visual grounded task: disabled, saying why.
        QVERIFY(!w->action("findSimilar")->isEnabled());
        QVERIFY(w->action("findSimilar")->toolTip().contains("does not support"));

        // Choosing X-SAM without a model folder opens the settings with a message; classic stays.
        w->set_engine("xsam");
        QVERIFY(w->engine_settings_dialog());
        QCOMPARE(w->engine_name(), QString("classic"));
        QVERIFY(w->notice_bar()->text().contains("model folder"));
        EngineSettingsDialog* d = w->engine_settings_dialog();
        QVERIFY(QTest::qWaitForWindowExposed(d));

        auto check = [&](const QString& folder) {
            d->folder_edit()->selectAll();
            QTest::keyClick(d->folder_edit(), Qt::Key_Delete);
            QTest::keyClicks(d->folder_edit(), folder);
            return QTest::qWaitFor([d] { return !d->checking() && d->status_label()->text().contains(QRegularExpression("✓|✗")); }, 30000);
        };
        QVERIFY(check(root_ + "/no-such-folder"));
        QVERIFY(!d->folder_ok());
        QVERIFY(!d->use_button()->isEnabled());
        QVERIFY2(d->status_label()->text().contains("is not a folder"), qPrintable(d->status_label()->text()));
        // A folder with the config alone: the missing tokenizer and weights are named.
        const QString partial = root_ + "/partial-model";
        QDir().mkpath(partial);
        QVERIFY(QFile::copy(model_ + "/config.json", partial + "/config.json"));
        QVERIFY(check(partial));
        QVERIFY(!d->folder_ok());
        QVERIFY2(d->status_label()->text().contains("tokenizer.model"), qPrintable(d->status_label()->text()));
        QVERIFY2(d->status_label()->text().contains("safetensors"), qPrintable(d->status_label()->text()));
        shot(d, "xsam-settings-bad");
        // A tokenizer that does not match the config (another vocabulary size) is refused too.
        QVERIFY(QFile::copy(model_ + "/model.safetensors", partial + "/model.safetensors"));
        QFile junk(partial + "/tokenizer.model");
        QVERIFY(junk.open(QIODevice::WriteOnly));
        junk.write("not a sentencepiece model");
        junk.close();
        QVERIFY(check(partial + "/"));
        QVERIFY(!d->folder_ok());
        QVERIFY2(d->status_label()->text().contains("tokenizer.model"), qPrintable(d->status_label()->text()));

        QVERIFY(check(model_));
        QVERIFY2(d->folder_ok(), qPrintable(d->status_label()->text()));
        QVERIFY(d->use_button()->isEnabled());
        QVERIFY(d->status_label()->text().contains("matches"));
        shot(d, "xsam-settings-ok");

        QList<double> progress;  // queued to this thread
        connect(w->engine_worker(), &EngineWorker::load_progress, this,
                [&progress](int, double fraction, const QString&) { progress << fraction; });
        QElapsedTimer t;
        t.start();
        QTest::mouseClick(d->use_button(), Qt::LeftButton);
        QVERIFY(w->engine_loading());
        QVERIFY(w->progress_bar()->isVisible());
        QVERIFY(QTest::qWaitFor([w] { return w->engine_ready() && w->engine_name() == "xsam"; }, kTimeoutMs));
        qInfo("X-SAM tiny: load %lld ms (click to ready)", t.elapsed());
        QVERIFY(!w->progress_bar()->isVisible());
        QVERIFY2(progress.count() >= 4, qPrintable(QString::number(progress.count())));
        double last = -1;
        for (double f : progress) {
            QVERIFY(f >= last);  // never goes back
            last = f;
        }
        QVERIFY(last >= 0.9);
        QCOMPARE(QSettings().value("xsam/model").toString(), QDir::cleanPath(model_));
        QVERIFY(w->action("findSimilar")->isEnabled());
        QVERIFY(!w->engine_settings_dialog());  // closed
    }

    // The device list offers the GPU only where LibTorch finds one; a saved GPU choice on a machine
    // without one falls back to the CPU and says so (this machine has none; where one exists the
    // saved choice stands).
    void settings_page_offers_cuda_only_when_a_gpu_exists() {
        EngineSettings saved;
        saved.options = {{"model", model_.toStdString()}, {"device", "cuda"}};
        EngineSettingsDialog d(builtin_engines().describe("xsam"), saved);
        d.show();
        QVERIFY(QTest::qWaitForWindowExposed(&d));
        auto* device = qobject_cast<QComboBox*>(d.field("device"));
        QVERIFY(device);
        auto* items = qobject_cast<QStandardItemModel*>(device->model());
        QVERIFY(items && items->rowCount() == 2);
        const int gpus = cuda_device_count();
        QCOMPARE(items->item(1)->isEnabled(), gpus > 0);
        QVERIFY(QTest::qWaitFor([&d] { return !d.checking() && d.status_label()->text().contains(QRegularExpression("✓|✗")); }, 30000));
        if (gpus == 0) {
            QCOMPARE(d.settings().options.at("device"), std::string("cpu"));
            QVERIFY(device->itemText(1).contains("none found"));
            QVERIFY2(d.status_label()->text().contains("finds none here"), qPrintable(d.status_label()->text()));
            shot(&d, "xsam-settings-no-gpu");
        } else {
            QCOMPARE(d.settings().options.at("device"), std::string("cuda"));
            QVERIFY(!d.status_label()->text().contains("finds none here"));
        }
        QVERIFY(d.folder_ok());  // the device note does not block a good folder
    }

    void referring_text_gives_an_instance() {
        MainWindow* w = xsam_window("referring");
        QVERIFY(w);
        QApplication::setActiveWindow(w);
        QVERIFY(QTest::qWaitForWindowActive(w));
        w->canvas()->setFocus();
        auto* combo = w->findChild<QComboBox*>("taskCombo");
        combo->setCurrentIndex(combo->findText("Referring"));
        auto* text = w->findChild<QLineEdit*>("textPrompt");
        QVERIFY(text->isEnabled());
        text->clear();
        QTest::keyClicks(text, "the red block");
        const int before = instance_count(w);
        const int calls = test::engine_calls().segments;
        QElapsedTimer t;
        t.start();
        QTest::mouseClick(w->findChild<QPushButton*>("runText"), Qt::LeftButton);
        QVERIFY(QTest::qWaitFor([w] { return w->preview_count() > 0; }, kTimeoutMs));
        qInfo("X-SAM tiny: referring prompt %lld ms in the GUI (first one includes prepare)", t.elapsed());
        QCOMPARE(test::engine_calls().segments, calls + 1);
        QCOMPARE(QString::fromStdString(w->preview().front().label), QString("the red block"));
        QApplication::setActiveWindow(w);
        QVERIFY(QTest::qWaitForWindowActive(w));
        QApplication::setActiveWindow(w);
        w->canvas()->setFocus();
        QTest::keyClick(w, Qt::Key_Return);
        QCOMPARE(instance_count(w), before + 1);
        QVERIFY(QString::fromStdString(w->current_record()->instances.back().source).contains("referring"));
        // A second prompt on the same image reuses the prepared image.
        const int prepares = test::engine_calls().prepares;
        text->clear();
        QTest::keyClicks(text, "the green disc");
        t.restart();
        QTest::mouseClick(w->findChild<QPushButton*>("runText"), Qt::LeftButton);
        QVERIFY(QTest::qWaitFor([w] { return !w->request_pending() && w->preview_count() > 0; }, kTimeoutMs));
        qInfo("X-SAM tiny: referring prompt %lld ms in the GUI (prepared image cached)", t.elapsed());
        // (the next image may be prepared meanwhile; this answer itself needed no prepare)
        QVERIFY(test::engine_calls().prepares - prepares <= 1);
        QVERIFY2(!w->findChild<QLabel*>("engineStatus")->text().contains("prepare"),
                 qPrintable(w->findChild<QLabel*>("engineStatus")->text()));
        QTest::keyClick(w, Qt::Key_Escape);
    }

    void find_all_like_this_candidates_accept_reject_and_undo() {
        MainWindow* w = xsam_window("find-all");
        QVERIFY(w);
        QApplication::setActiveWindow(w);
        QVERIFY(QTest::qWaitForWindowActive(w));
        w->canvas()->setFocus();
        // Low thresholds so the random-weight model offers several candidates.
        w->inspector()->set_thresholds(0.02f, 0.5f);
        Q_EMIT w->inspector()->thresholds_changed(0.02f, 0.5f);
        // Mark the example with a box around the first red block, then G.
        w->action("toolPrompt")->trigger();
        ImageCanvas* c = w->canvas();
        QTest::mousePress(c, Qt::LeftButton, {}, to_widget(c, 28, 38));
        QTest::mouseMove(c, to_widget(c, 60, 60));
        QTest::mouseMove(c, to_widget(c, 92, 92));
        QTest::mouseRelease(c, Qt::LeftButton, {}, to_widget(c, 92, 92));
        QVERIFY(wait_answer(w));
        QTest::keyClick(w, Qt::Key_G);
        QCOMPARE(w->last_task(), Task::VisualGrounded);
        QVERIFY(wait_answer(w));
        const int n = int(w->candidates().size());
        QVERIFY2(n >= 3, qPrintable(QStringLiteral("%1 candidates").arg(n)));
        QCOMPARE(w->candidates_panel()->count(), n);
        QCOMPARE(w->candidates_panel()->current(), 0);
        QCOMPARE(w->preview_count(), 0);  // candidates are not a preview
        shot(w, "xsam-candidates");
        const int before = instance_count(w);

        // A click on the canvas inside the last candidate (at a pixel only it covers, if any) makes it current.
        const int last = n - 1;
        const Mask& m = w->candidates()[size_t(last)].mask;
        QPoint inside(-1, -1);
        for (int y = 0; y < m.height() && inside.x() < 0; ++y)
            for (int x = 0; x < m.width(); ++x)
                if (m.at(x, y) && w->canvas()->candidate_at(QPointF(x + 0.5, y + 0.5)) == last) {
                    inside = QPoint(x, y);
                    break;
                }
        if (inside.x() >= 0) {
            QTest::mouseClick(c, Qt::LeftButton, {}, to_widget(c, inside.x() + 0.5, inside.y() + 0.5));
            QCOMPARE(w->candidates_panel()->current(), last);
            QVERIFY(!w->request_pending());  // not a prompt
        } else {
            w->candidates_panel()->set_current(last);
        }
        const Mask accepted = w->candidates()[size_t(last)].mask;
        QTest::keyClick(w, Qt::Key_Y);  // accept one
        QCOMPARE(instance_count(w), before + 1);
        QCOMPARE(int(w->candidates().size()), n - 1);
        QVERIFY(rle_decode(w->current_record()->instances.back().mask) == accepted);
        QTest::keyClick(w, Qt::Key_N);  // reject one
        QCOMPARE(instance_count(w), before + 1);
        QCOMPARE(int(w->candidates().size()), n - 2);
        QTest::keyClick(w, Qt::Key_Y, Qt::ShiftModifier);  // accept all the rest
        QCOMPARE(instance_count(w), before + 1 + (n - 2));
        QCOMPARE(int(w->candidates().size()), 0);
        QCOMPARE(w->candidates_panel()->count(), 0);
        // The episode holds every decision: one accepted, one rejected, the rest accepted.
        QCOMPARE(w->current_record()->episodes.size(), size_t(1));
        QCOMPARE(int(w->current_record()->episodes[0].accepted.size()), 1 + (n - 2));
        QCOMPARE(w->current_record()->episodes[0].rejected.size(), size_t(1));
        // Undo: all the rest in one step, then the rejection (kept in the episode), then the single one.
        QTest::keyClick(w, Qt::Key_Z, Qt::ControlModifier);
        QCOMPARE(instance_count(w), before + 1);
        QTest::keyClick(w, Qt::Key_Z, Qt::ControlModifier);
        QCOMPARE(instance_count(w), before + 1);
        QCOMPARE(w->current_record()->episodes[0].rejected.size(), size_t(0));
        QTest::keyClick(w, Qt::Key_Z, Qt::ControlModifier);
        QCOMPARE(instance_count(w), before);
        QVERIFY(w->current_record()->episodes.empty());
        QTest::keyClick(w, Qt::Key_Z, Qt::ShiftModifier | Qt::ControlModifier);
        QCOMPARE(instance_count(w), before + 1);

        // From a selected instance: select it (Ctrl+click), G, candidates again; Esc rejects them all.
        const ImageRecord* rec = w->current_record();
        const Mask sel = rle_decode(rec->instances.back().mask);
        QPoint p(-1, -1);
        for (int y = 0; y < sel.height() && p.x() < 0; ++y)
            for (int x = 0; x < sel.width(); ++x)
                if (sel.at(x, y) && w->canvas()->instance_at(QPointF(x + 0.5, y + 0.5)) == rec->instances.back().id) {
                    p = QPoint(x, y);
                    break;
                }
        QVERIFY(p.x() >= 0);
        for (int i = 0; i < 3 && !w->selected_instances().empty(); ++i) QTest::keyClick(w, Qt::Key_Escape);
        QVERIFY(w->selected_instances().empty());
        QTest::mouseClick(c, Qt::LeftButton, Qt::ControlModifier, to_widget(c, p.x() + 0.5, p.y() + 0.5));
        QCOMPARE(int(w->selected_instances().size()), 1);
        QTest::keyClick(w, Qt::Key_G);
        QVERIFY(wait_answer(w));
        QVERIFY(w->candidates_panel()->count() == int(w->candidates().size()));
        QTest::keyClick(w, Qt::Key_Escape);
        QCOMPARE(int(w->candidates().size()), 0);
        QCOMPARE(instance_count(w), before + 1);
    }

    void caption_phrases_link_to_masks() {
        MainWindow* w = xsam_window("caption");
        QVERIFY(w);
        QApplication::setActiveWindow(w);
        QVERIFY(QTest::qWaitForWindowActive(w));
        w->canvas()->setFocus();
        test::set_forced_caption("<p>A red block</p> beside <p>a green disc</p> <SEG>.");
        auto* combo = w->findChild<QComboBox*>("taskCombo");
        combo->setCurrentIndex(combo->findText("Grounded caption"));
        QTest::mouseClick(w->findChild<QPushButton*>("runText"), Qt::LeftButton);
        QVERIFY(wait_answer(w));
        test::set_forced_caption("");
        CaptionView* cv = w->caption_view();
        QCOMPARE(cv->phrases(), QStringList({"A red block", "a green disc"}));
        QVERIFY(cv->plain_text().contains("beside"));
        QVERIFY(!cv->plain_text().contains("<SEG>"));
        QVERIFY(w->preview_count() >= 1);
        shot(w, "xsam-caption");
        // Phrase -> mask: hovering phrase k highlights its mask (the caption marks it too).
        const InstanceResult first = w->preview().front();
        const int k = first.prompt_index;
        QVERIFY(k == 0 || k == 1);
        Q_EMIT cv->label()->linkHovered(QStringLiteral("phrase:%1").arg(k));
        QCOMPARE(cv->highlighted(), k);
        QVERIFY(cv->label()->text().contains("background-color"));
        Q_EMIT cv->label()->linkHovered(QString());
        QCOMPARE(cv->highlighted(), -1);
        // Mask -> phrase: the pointer over a pixel of that mask (and no smaller one) highlights phrase k.
        QPoint p(-1, -1);
        for (int y = 0; y < first.mask.height() && p.x() < 0; ++y)
            for (int x = 0; x < first.mask.width(); ++x) {
                if (!first.mask.at(x, y)) continue;
                bool smaller_other = false;
                for (const InstanceResult& r : w->preview())
                    if (r.prompt_index != k && r.mask.at(x, y) && r.mask.area() < first.mask.area()) smaller_other = true;
                if (!smaller_other) {
                    p = QPoint(x, y);
                    break;
                }
            }
        QVERIFY(p.x() >= 0);
        QTest::mouseMove(w->canvas(), to_widget(w->canvas(), p.x() + 0.5, p.y() + 0.5));
        QTRY_COMPARE(cv->highlighted(), k);
        shot(w, "xsam-caption-hover");
        QTest::keyClick(w, Qt::Key_Escape);
    }

    void chat_answer_shows_in_the_caption_panel() {
        MainWindow* w = xsam_window("chat");
        QVERIFY(w);
        auto* combo = w->findChild<QComboBox*>("taskCombo");
        const int chat = combo->findText("Chat");
        QVERIFY(chat >= 0);
        combo->setCurrentIndex(chat);
        auto* edit = w->findChild<QLineEdit*>("textPrompt");
        QVERIFY(edit);
        edit->clear();
        QVERIFY(edit->isEnabled());
        QTest::keyClicks(edit, "What is in this picture?");
        QCOMPARE(edit->text(), QString("What is in this picture?"));
        QTest::mouseClick(w->findChild<QPushButton*>("runText"), Qt::LeftButton);
        QVERIFY(wait_answer(w));
        // The tiny random model answers with random text: no phrases, no masks, the text in the panel.
        CaptionView* cv = w->caption_view();
        QVERIFY(cv->isVisible());
        QVERIFY(cv->phrases().isEmpty());
        QVERIFY(!cv->plain_text().trimmed().isEmpty());
        QCOMPARE(w->preview_count(), 0);
        QVERIFY(w->statusBar()->currentMessage().contains("Caption panel"));
        shot(w, "xsam-chat");
        edit->clear();
    }

    void inspector_thresholds_refilter_without_a_model_call() {
        MainWindow* w = xsam_window("inspector");
        QVERIFY(w);
        QApplication::setActiveWindow(w);
        QVERIFY(QTest::qWaitForWindowActive(w));
        w->canvas()->setFocus();
        w->action("toggleInspector")->trigger();
        QVERIFY(w->inspector_dock()->isVisible());
        w->inspector()->set_thresholds(0.02f, 0.5f);
        Q_EMIT w->inspector()->thresholds_changed(0.02f, 0.5f);
        // A visual grounded request with a box: the inspection arrives with the candidates.
        w->action("toolPrompt")->trigger();
        ImageCanvas* c = w->canvas();
        QTest::mousePress(c, Qt::LeftButton, {}, to_widget(c, 148, 58));
        QTest::mouseMove(c, to_widget(c, 180, 80));
        QTest::mouseRelease(c, Qt::LeftButton, {}, to_widget(c, 212, 112));
        QVERIFY(wait_answer(w));
        QTest::keyClick(w, Qt::Key_G);
        QVERIFY(wait_answer(w));
        InspectorPanel* in = w->inspector();
        QVERIFY(in->inspection());
        QCOMPARE(in->inspection()->task, Task::VisualGrounded);
        const QString tokens = in->tokens_view()->toPlainText();
        QVERIFY2(tokens.contains("<image>") && tokens.contains("<region>"), qPrintable(tokens));
        QCOMPARE(in->queries_tree()->topLevelItemCount(), in->inspection()->num_queries);
        const int n_low = int(w->candidates().size());
        shot(w, "xsam-inspector");
        in->tabs()->setCurrentIndex(1);
        shot(in, "xsam-inspector-queries");
        in->tabs()->setCurrentIndex(0);

        // Raise the score threshold with the keyboard on the slider: fewer candidates, no model call.
        const int calls = test::engine_calls().segments;
        const int refilters = in->refilter_count();
        in->score_slider()->setFocus();
        for (int i = 0; i < 10; ++i) QTest::keyClick(in->score_slider(), Qt::Key_Right);  // +0.05 each
        QVERIFY(wait_answer(w));  // the engine's post-processing runs on its worker thread
        QCOMPARE(in->refilter_count(), refilters + 10);
        QCOMPARE(test::engine_calls().segments, calls);
        const int n_high = int(w->candidates().size());
        QVERIFY2(n_high < n_low, qPrintable(QStringLiteral("%1 -> %2").arg(n_low).arg(n_high)));
        for (const InstanceResult& r : w->candidates()) QVERIFY(r.score >= in->score_threshold());
        // Back down: the same candidates as the model gave.
        for (int i = 0; i < 10; ++i) QTest::keyClick(in->score_slider(), Qt::Key_Left);
        QVERIFY(wait_answer(w));
        QCOMPARE(int(w->candidates().size()), n_low);
        // The mask threshold changes the masks, not the model either.
        const int64_t area = w->candidates().empty() ? 0 : w->candidates().front().mask.area();
        in->mask_slider()->setFocus();
        for (int i = 0; i < 6; ++i) QTest::keyClick(in->mask_slider(), Qt::Key_Right);
        QVERIFY(wait_answer(w));
        QCOMPARE(test::engine_calls().segments, calls);
        if (!w->candidates().empty()) QVERIFY(w->candidates().front().mask.area() <= area);
        // The thresholds apply to the next request and are remembered.
        QCOMPARE(QSettings().value("inspector/score_threshold").toFloat(), in->score_threshold());

        // Export as JSON.
        const QString path = root_ + "/inspection.json";
        QString error;
        QVERIFY2(in->export_json(path, &error), qPrintable(error));
        QFile f(path);
        QVERIFY(f.open(QIODevice::ReadOnly));
        const QJsonObject j = QJsonDocument::fromJson(f.readAll()).object();
        QCOMPARE(j["task"].toString(), QString("vgd"));
        QVERIFY(j["tokens"].toArray().size() > 5);
        QCOMPARE(j["regions"].toArray().size(), 1);
        QVERIFY(j["regions"].toArray()[0].toObject()["sampled_points_xy"].toArray().size() > 0);
        QCOMPARE(j["queries"].toArray().size(), in->inspection()->num_queries);
        QVERIFY(j["timings"].toArray().size() >= 4);
        QTest::keyClick(w, Qt::Key_Escape);
        w->action("toggleInspector")->trigger();
    }

    // An inspector opened after a prompt shows that prompt's answer: the prompt session keeps the last
    // answer with its inspection (before, it said "run a prompt while the inspector is open").
    void inspector_opened_after_a_prompt_shows_its_answer() {
        MainWindow* w = xsam_window("inspector-later");
        QVERIFY(w);
        QVERIFY(!w->inspector_dock()->isVisible());
        auto* combo = w->findChild<QComboBox*>("taskCombo");
        combo->setCurrentIndex(combo->findText("Referring"));
        auto* text = w->findChild<QLineEdit*>("textPrompt");
        text->clear();
        QTest::keyClicks(text, "the red block");
        QTest::mouseClick(w->findChild<QPushButton*>("runText"), Qt::LeftButton);
        QVERIFY(QTest::qWaitFor([w] { return !w->request_pending() && w->preview_count() > 0; }, kTimeoutMs));
        w->action("toggleInspector")->trigger();
        QVERIFY(w->inspector_dock()->isVisible());
        InspectorPanel* in = w->inspector();
        QVERIFY(in->inspection());
        QCOMPARE(in->inspection()->task, Task::Referring);
        QVERIFY2(QString::fromStdString(in->inspection()->question).contains("the red block"),
                 qPrintable(QString::fromStdString(in->inspection()->question)));
        QCOMPARE(in->queries_tree()->topLevelItemCount(), in->inspection()->num_queries);
        shot(w, "xsam-inspector-opened-after-the-prompt");
    }

    void next_image_is_prepared_in_the_background() {
        MainWindow* w = xsam_window("prepared-ahead");
        QVERIFY(w);
        QApplication::setActiveWindow(w);
        QVERIFY(QTest::qWaitForWindowActive(w));
        w->canvas()->setFocus();
        // The image after the shown one is prepared without being asked about.
        QVERIFY(QTest::qWaitFor([w] { return is_prepared(w, "b.png"); }, kTimeoutMs));
        const EngineWorker::CacheStats s = w->engine_worker()->cache_stats();
        qInfo("X-SAM tiny: %d prepared images cached, %zu bytes (%.1f KB each), budget %zu MB", s.entries, s.bytes,
              s.entries ? double(s.bytes) / s.entries / 1024.0 : 0.0, s.budget >> 20);
        QVERIFY(s.bytes > 0 && s.bytes <= s.budget);
        // Switching to it needs no new prepare.
        const int prepares = test::engine_calls().prepares;
        QTest::keyClick(w, Qt::Key_D);
        QVERIFY(QTest::qWaitFor([w] { return w->image_ready(); }, kTimeoutMs));
        auto* combo = w->findChild<QComboBox*>("taskCombo");
        combo->setCurrentIndex(combo->findText("Referring"));
        auto* text = w->findChild<QLineEdit*>("textPrompt");
        text->clear();
        QTest::keyClicks(text, "a block");
        QTest::mouseClick(w->findChild<QPushButton*>("runText"), Qt::LeftButton);
        QVERIFY(wait_answer(w));
        // The only prepare since then is the next image's (c.png), ahead of time.
        QVERIFY(QTest::qWaitFor([w] { return is_prepared(w, "c.png"); }, kTimeoutMs));
        QCOMPARE(test::engine_calls().prepares - prepares, 1);
        shot(w, "xsam-second-image");
    }

    // The LRU holds what fits the byte budget, least recently used out first.
    void lru_evicts_by_memory_budget() {
        EngineWorker worker;
        worker.set_registry(&test::test_registry());
        test::set_sized_bytes(1000);
        worker.set_cache_budget(2500);
        int loaded = 0, answers = 0;  // counted on this thread (queued)
        connect(&worker, &EngineWorker::engine_loaded, this, [&loaded] { ++loaded; });
        connect(&worker, &EngineWorker::segment_finished, this, [&answers] { ++answers; });
        worker.load_engine("sized");
        QVERIFY(QTest::qWaitFor([&] { return loaded == 1; }, 10000));
        auto image = std::make_shared<Image>();
        image->width = 8;
        image->height = 8;
        image->rgb.assign(8 * 8 * 3, 0);
        const int p0 = test::engine_calls().prepares;
        for (const char* k : {"k1", "k2", "k3"}) worker.prefetch(k, image);
        QVERIFY(QTest::qWaitFor([&] { return worker.cache_stats().prepares == 3; }, 10000));
        EngineWorker::CacheStats s = worker.cache_stats();
        QCOMPARE(s.entries, 2);
        QCOMPARE(s.bytes, size_t(2000));
        QCOMPARE(s.keys, (std::vector<std::string>{"k3", "k2"}));
        // A hit moves k2 to the front; the next insertion then drops k3.
        SegmentRequest r;
        r.points.push_back({1, 1, true});
        worker.segment("k2", image, r);
        QVERIFY(QTest::qWaitFor([&] { return answers == 1; }, 10000));
        QCOMPARE(worker.cache_stats().keys, (std::vector<std::string>{"k2", "k3"}));
        QCOMPARE(test::engine_calls().prepares - p0, 3);
        worker.segment("k1", image, r);  // evicted earlier: prepared again
        QVERIFY(QTest::qWaitFor([&] { return answers == 2; }, 10000));
        QCOMPARE(test::engine_calls().prepares - p0, 4);
        QCOMPARE(worker.cache_stats().keys, (std::vector<std::string>{"k1", "k2"}));
        // A bigger budget keeps more; an entry larger than the budget alone is still kept (the newest).
        worker.set_cache_budget(10000);
        for (const char* k : {"k3", "k4", "k5"}) worker.prefetch(k, image);
        QVERIFY(QTest::qWaitFor([&] { return worker.cache_stats().prepares == 7; }, 10000));
        QCOMPARE(worker.cache_stats().entries, 5);
        test::set_sized_bytes(50000);
        worker.prefetch("huge", image);
        QVERIFY(QTest::qWaitFor([&] { return worker.cache_stats().prepares == 8; }, 10000));
        QCOMPARE(worker.cache_stats().keys, (std::vector<std::string>{"huge"}));
        QCOMPARE(worker.cache_stats().bytes, size_t(50000));
    }
};

QTEST_MAIN(TestXsamGui)
#include "test_xsam.moc"
