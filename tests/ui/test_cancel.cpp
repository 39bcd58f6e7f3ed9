// Long work in the GUI can be cancelled (issue 4): a COCO export of a project with many images,
// cancelled through its progress dialog's Cancel button, writes nothing; an export left alone reaches
// its total and writes the file; a slow engine load (a test-only engine registered in this binary)
// cancelled from the status-bar progress gives control back at once with the previous engine still
// answering, and its engine is discarded when the load finally ends.
#include <QDir>
#include <QFile>
#include <QProgressDialog>
#include <QPushButton>
#include <QSignalSpy>
#include <QToolButton>
#include <QtTest>
#include <atomic>
#include <memory>

#include "core/builtin/builtin_engines.h"
#include "core/engine/load_progress.h"
#include "core/util/error.h"
#include "ui/export_controller.h"
#include "ui/main_window.h"
#include "ui/widgets.h"
#include "tests/ui/gui_test_support.h"

using namespace xs;

namespace {

constexpr int kTimeoutMs = 60000;

QString scratch(const QString& sub) {
    const QByteArray t = qgetenv("XS_TEST_TMP");
    const QString dir = (t.isEmpty() ? QStringLiteral("/tmp/xs_test_ui_cancel") : QString::fromLocal8Bit(t)) + "/" + sub;
    QDir(dir).removeRecursively();
    QDir().mkpath(dir);
    return dir;
}

// n images of w x h, each with two instances: a filled rectangle and a ring (a mask with a hole, so
// polygon export has to test and fall back to RLE: real work per image).
Project many_images(int n, int w, int h) {
    Project p;
    p.add_category("stamp");
    p.add_category("ring");
    for (int i = 0; i < n; ++i) {
        ImageRecord& img = p.add_image("img" + std::to_string(i) + ".png", w, h);
        Mask a(w, h), b(w, h);
        const int off = i % 17;
        for (int y = 10 + off; y < h / 2; ++y)
            for (int x = 8; x < w / 2 + off; ++x) a.set(x, y, true);
        for (int y = h / 2; y < h - 4; ++y)
            for (int x = w / 2; x < w - 4; ++x) {
                const bool inner = y > h / 2 + 8 && y < h - 12 && x > w / 2 + 8 && x < w - 12;
                if (!inner) b.set(x, y, true);
            }
        p.add_instance(img, 1, rle_encode(a));
        p.add_instance(img, 2, rle_encode(b));
    }
    return p;
}

// A test-only engine factory that blocks until released, then builds the classic engine. Counts the
// engines it made that are still alive, so the test sees a discarded load being destroyed.
struct SlowGate {
    std::atomic<bool> release{false};
    std::atomic<bool> started{false};
    std::atomic<bool> finished{false};
};

}  // namespace

class TestCancel : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void initTestCase() {
        // Settings of this test only (the windows save e.g. the engine name on close).
        use_private_settings("test_ui_cancel");
    }

    void export_cancelled_from_the_progress_dialog_writes_nothing() {
        const QString dir = scratch("export-cancel");
        MainWindow w;
        w.resize(1200, 800);
        w.show();
        w.document()->open(many_images(4000, 160, 120), dir + "/project.json");
        const QString out = dir + "/annotations.coco.json";
        QFile::remove(out);

        QSignalSpy finished(&w, &MainWindow::export_finished);
        QVERIFY(w.start_export(out, true));
        QVERIFY(w.exporting());
        QVERIFY(!w.start_export(out, true));  // one export at a time
        QProgressDialog* dlg = w.export_progress_dialog();
        QVERIFY(dlg);
        QVERIFY(dlg->isVisible());
        QCOMPARE(dlg->maximum(), 4000);
        // Let it make some progress, and take the screenshot of the dialog while it runs.
        QTRY_VERIFY_WITH_TIMEOUT(dlg->value() > 0 || !finished.isEmpty(), kTimeoutMs);
        QVERIFY2(finished.isEmpty(), "the export finished before it could be cancelled: make the project bigger");
        QDir().mkpath("/tmp/gui-shots");
        QVERIFY(dlg->grab().save("/tmp/gui-shots/export-progress.png"));
        QVERIFY(w.grab().save("/tmp/gui-shots/export-progress-window.png"));
        auto* cancel = dlg->findChild<QPushButton*>();
        QVERIFY(cancel);
        QCOMPARE(cancel->text(), QStringLiteral("Cancel"));
        const int at_click = dlg->value();  // dlg is deleted once the export ends
        QElapsedTimer latency;
        latency.start();
        QTest::mouseClick(cancel, Qt::LeftButton);

        QTRY_COMPARE_WITH_TIMEOUT(finished.size(), 1, kTimeoutMs);
        // The writer stops at the next image: the answer comes within a few event-loop turns.
        qInfo("export cancelled at about %d of 4000 images; click to finished: %lld ms", at_click,
              static_cast<long long>(latency.elapsed()));
        QVERIFY(latency.elapsed() < 2000);
        QCOMPARE(finished[0][0].toBool(), false);  // ok
        QCOMPARE(finished[0][1].toBool(), true);   // cancelled
        QCOMPARE(finished[0][2].toString(), QStringLiteral("Export cancelled; nothing was written."));
        QVERIFY(!w.exporting());
        QVERIFY(!w.export_progress_dialog());
        QVERIFY(!QFile::exists(out));
        // Nothing else appeared beside the project file either (no temporary file left behind).
        const QStringList left = QDir(dir).entryList(QDir::Files | QDir::NoDotAndDotDot);
        for (const QString& f : left) QVERIFY2(f.startsWith("project.json"), qPrintable(f));
        QVERIFY(w.notice_bar()->text().contains("nothing was written"));
    }

    // The same through File > Export as… in a folder format: a cancelled export leaves no folder and
    // no staging folder.
    void format_export_cancelled_writes_nothing() {
        const QString dir = scratch("format-export-cancel");
        MainWindow w;
        w.resize(1200, 800);
        w.show();
        w.document()->open(many_images(4000, 160, 120), dir + "/project.json");
        const QString out = dir + "/masks";
        QSignalSpy finished(&w, &MainWindow::export_finished);
        QVERIFY(w.exporter()->start_format_export("png-masks", out, {}));
        QProgressDialog* dlg = w.export_progress_dialog();
        QVERIFY(dlg);
        QCOMPARE(dlg->maximum(), 4000);
        QTRY_VERIFY_WITH_TIMEOUT(dlg->value() > 0 || !finished.isEmpty(), kTimeoutMs);
        QVERIFY2(finished.isEmpty(), "the export finished before it could be cancelled: make the project bigger");
        QVERIFY(dlg->grab().save("/tmp/gui-shots/format-export-progress.png"));
        QTest::mouseClick(dlg->findChild<QPushButton*>(), Qt::LeftButton);
        QTRY_COMPARE_WITH_TIMEOUT(finished.size(), 1, kTimeoutMs);
        QCOMPARE(finished[0][1].toBool(), true);  // cancelled
        QVERIFY(!w.exporting());
        const QStringList left = QDir(dir).entryList(QDir::AllEntries | QDir::NoDotAndDotDot);
        for (const QString& f : left) QVERIFY2(f.startsWith("project.json"), qPrintable(f));
    }

    void export_left_alone_reaches_its_total_and_writes() {
        const QString dir = scratch("export-done");
        MainWindow w;
        w.show();
        w.document()->open(many_images(60, 64, 48), dir + "/project.json");
        const QString out = dir + "/out.json";
        QSignalSpy finished(&w, &MainWindow::export_finished);
        QVERIFY(w.start_export(out, false));
        QTRY_COMPARE_WITH_TIMEOUT(finished.size(), 1, kTimeoutMs);
        QCOMPARE(finished[0][0].toBool(), true);
        QCOMPARE(finished[0][1].toBool(), false);
        QVERIFY(finished[0][2].toString().contains("60 images, 120 annotations"));
        QVERIFY(QFile::exists(out));
        QVERIFY(!w.exporting());
    }

    void slow_engine_load_is_cancelled_and_discarded() {
        auto gate = std::make_shared<SlowGate>();
        EngineRegistry registry = builtin_engines();
        registry.add("slow", "test only: blocks until released, then is a classic engine",
                     [gate](const EngineOptions& options) {
                         gate->started = true;
                         while (!gate->release) QThread::msleep(5);
                         auto e = builtin_engines().create("classic", options);
                         gate->finished = true;
                         return e;
                     });

        MainWindow w;
        w.show();
        w.engine_worker()->set_registry(&registry);
        w.set_engine("classic");
        QTRY_VERIFY_WITH_TIMEOUT(w.engine_ready(), kTimeoutMs);
        QCOMPARE(w.engine_name(), QStringLiteral("classic"));

        QSignalSpy loaded(w.engine_worker(), &EngineWorker::engine_loaded);
        QSignalSpy failed(w.engine_worker(), &EngineWorker::engine_failed);
        w.set_engine("slow");
        QVERIFY(w.engine_loading());
        QVERIFY(!w.engine_ready());
        QTRY_VERIFY_WITH_TIMEOUT(gate->started.load(), kTimeoutMs);
        QToolButton* cancel = w.progress_cancel_button();
        QVERIFY(cancel->isVisible());

        // Cancel from the progress UI: control comes back at once, classic is active again.
        QElapsedTimer t;
        t.start();
        QTest::mouseClick(cancel, Qt::LeftButton);
        QVERIFY(t.elapsed() < 1000);
        QVERIFY(!w.engine_loading());
        QVERIFY(w.engine_ready());
        QCOMPARE(w.engine_name(), QStringLiteral("classic"));
        QVERIFY(!cancel->isVisible());
        QVERIFY(w.notice_bar()->text().contains("cancelled"));
        QVERIFY(!gate->finished.load());  // the slow load is still running in the background

        // The previous engine still answers while the cancelled load runs on.
        Image img;
        img.width = 64;
        img.height = 48;
        img.rgb.assign(size_t(64) * 48 * 3, 30);
        for (int y = 10; y < 30; ++y)
            for (int x = 20; x < 44; ++x)
                for (int c = 0; c < 3; ++c) img.rgb[(size_t(y) * 64 + x) * 3 + c] = 220;
        QSignalSpy answered(w.engine_worker(), &EngineWorker::segment_finished);
        QSignalSpy seg_failed(w.engine_worker(), &EngineWorker::segment_failed);
        SegmentRequest req;
        req.points.push_back(PointPrompt{30, 20, true});
        const int id = w.engine_worker()->segment("test-image", std::make_shared<const Image>(img), req);
        QTRY_VERIFY_WITH_TIMEOUT(!answered.isEmpty() || !seg_failed.isEmpty(), kTimeoutMs);
        QVERIFY2(seg_failed.isEmpty(), seg_failed.isEmpty() ? "" : qPrintable(seg_failed[0][1].toString()));
        const auto answer = answered[0][0].value<SegmentAnswer>();
        QCOMPARE(answer.request_id, id);
        QVERIFY(!gate->finished.load());

        // The load ends after being cancelled: its engine is discarded, nothing is announced.
        gate->release = true;
        QTRY_VERIFY_WITH_TIMEOUT(gate->finished.load(), kTimeoutMs);
        QTest::qWait(300);
        QCOMPARE(loaded.size(), 0);
        QCOMPARE(failed.size(), 0);
        QVERIFY(w.engine_ready());
        QCOMPARE(w.engine_name(), QStringLiteral("classic"));
        QCOMPARE(w.engine_worker()->loading_id(), 0);

        // Cancelling when nothing loads is refused; a load left alone still completes.
        QVERIFY(!w.cancel_engine_load());
        gate->release = true;
        w.set_engine("slow");
        QTRY_VERIFY_WITH_TIMEOUT(w.engine_ready() && !w.engine_loading(), kTimeoutMs);
        QCOMPARE(w.engine_name(), QStringLiteral("slow"));
        QCOMPARE(loaded.size(), 1);
    }

    // An engine that reports progress as it loads (X-SAM reports per weight tensor) stops at its next
    // report once cancelled, instead of running to the end to be discarded.
    void cancelled_load_stops_at_its_next_progress_report() {
        auto reports = std::make_shared<std::atomic<int>>(0);
        auto stopped = std::make_shared<std::atomic<bool>>(false);
        auto finished = std::make_shared<std::atomic<bool>>(false);
        EngineRegistry registry = builtin_engines();
        registry.add("steps", "test only: 5000 progress reports 2 ms apart, then a classic engine",
                     [reports, stopped, finished](const EngineOptions& options) {
                         for (int i = 0; i < 5000; ++i) {
                             try {
                                 report_load_progress(i / 5000.0, "step " + std::to_string(i));
                             } catch (const Cancelled&) {
                                 *stopped = true;
                                 throw;
                             }
                             ++*reports;
                             QThread::msleep(2);
                         }
                         *finished = true;
                         return builtin_engines().create("classic", options);
                     });
        MainWindow w;
        w.show();
        w.engine_worker()->set_registry(&registry);
        w.set_engine("classic");
        QTRY_VERIFY_WITH_TIMEOUT(w.engine_ready(), kTimeoutMs);
        QSignalSpy loaded(w.engine_worker(), &EngineWorker::engine_loaded);
        QSignalSpy failed(w.engine_worker(), &EngineWorker::engine_failed);
        w.set_engine("steps");
        QTRY_VERIFY_WITH_TIMEOUT(reports->load() > 10, kTimeoutMs);
        QTest::mouseClick(w.progress_cancel_button(), Qt::LeftButton);
        QTRY_VERIFY_WITH_TIMEOUT(stopped->load(), 2000);
        const int at_stop = reports->load();
        QVERIFY2(at_stop < 4000, qPrintable(QString::number(at_stop)));
        QVERIFY(!finished->load());
        QTest::qWait(200);
        QCOMPARE(reports->load(), at_stop);  // nothing ran after the throw
        QCOMPARE(loaded.size(), 0);
        QCOMPARE(failed.size(), 0);  // a cancelled load is not an error
        QVERIFY(w.engine_ready());
        QCOMPARE(w.engine_name(), QStringLiteral("classic"));
        QCOMPARE(w.engine_worker()->loading_id(), 0);
    }

    void cancelled_first_load_leaves_no_engine() {
        auto gate = std::make_shared<SlowGate>();
        EngineRegistry registry;
        registry.add("slow", "test only", [gate](const EngineOptions& options) {
            gate->started = true;
            while (!gate->release) QThread::msleep(5);
            gate->finished = true;
            return builtin_engines().create("classic", options);
        });
        MainWindow w;
        w.show();
        w.engine_worker()->set_registry(&registry);
        QSignalSpy loaded(w.engine_worker(), &EngineWorker::engine_loaded);
        w.set_engine("slow");
        QTRY_VERIFY_WITH_TIMEOUT(gate->started.load(), kTimeoutMs);
        QVERIFY(w.cancel_engine_load());
        QVERIFY(!w.engine_ready());
        QVERIFY(!w.engine_loading());
        QVERIFY(w.engine_name().isEmpty());
        gate->release = true;
        QTRY_VERIFY_WITH_TIMEOUT(gate->finished.load(), kTimeoutMs);
        QTest::qWait(300);
        QCOMPARE(loaded.size(), 0);
        QVERIFY(!w.engine_ready());
    }
};

QTEST_MAIN(TestCancel)
#include "test_cancel.moc"
