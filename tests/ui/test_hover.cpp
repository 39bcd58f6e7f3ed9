// The hover preview of the points tool (issue 17 item 4), driven through the real main window with
// QTest mouse events (offscreen): it appears after the pointer rests, never before; moving hides it
// and cancels its request; leaving the image or the canvas, another tool, image or engine hides it;
// a click on the hovered pixel with nothing changed takes its answer without asking the engine again
// (test engines count the engine's segment() calls); Auto leaves a slow engine (one that sleeps)
// alone; the setting is kept. Also prints the hover latency on stamps-bench (classic engine) with
// the figures the README quotes. Screenshots go to /tmp/gui-shots/.
#include <QAction>
#include <QApplication>
#include <QDir>
#include <QElapsedTimer>
#include <QFileInfo>
#include <QLabel>
#include <QListWidget>
#include <QPainter>
#include <QSettings>
#include <QSignalSpy>
#include <QSlider>
#include <QThread>
#include <QUndoStack>
#include <QtTest>
#include <algorithm>
#include <atomic>
#include <filesystem>
#include <memory>

#include "core/builtin/builtin_engines.h"
#include "core/coco/coco.h"
#include "core/engine/clicker.h"
#include "ui/document.h"
#include "ui/hover_preview.h"
#include "ui/image_browser.h"
#include "ui/image_canvas.h"
#include "ui/main_window.h"
#include "tests/ui/gui_test_support.h"

using namespace xs;

namespace {

constexpr int kTimeoutMs = 60000;

// The test engines' counters (shared with the engines, which live on the worker thread).
struct Counts {
    std::atomic<int> segments{0};   // segment() calls
    std::atomic<int> cancelled{0};  // ... that ended cancelled
};

// The classic engine under another name, counting its segment() calls; a slow one first sleeps
// `sleep_ms` (cancellable, in 5 ms steps) and reports the sleep as a stage, as engines report theirs.
class TestEngine : public Engine {
public:
    TestEngine(std::string name, int sleep_ms, std::shared_ptr<Counts> counts)
        : name_(std::move(name)), sleep_ms_(sleep_ms), counts_(std::move(counts)),
          classic_(builtin_engines().create("classic", {})) {}
    std::string name() const override { return name_; }
    std::string device() const override { return classic_->device(); }
    Capabilities capabilities() const override { return classic_->capabilities(); }
    std::shared_ptr<const PreparedImage> prepare(const Image& image, const CancelToken& cancel) override {
        return classic_->prepare(image, cancel);
    }
    SegmentResult segment(const PreparedImage& prepared, const SegmentRequest& request, const CancelToken& cancel) override {
        ++counts_->segments;
        try {
            StopWatch sleep;
            while (sleep.elapsed_ms() < sleep_ms_) {
                cancel.throw_if_cancelled();
                QThread::msleep(5);
            }
            const double slept_ms = sleep.elapsed_ms();
            SegmentResult r = classic_->segment(prepared, request, cancel);
            if (sleep_ms_ > 0) r.timings.push_back({"segment.test_sleep", slept_ms});
            return r;
        } catch (const Cancelled&) {
            ++counts_->cancelled;
            throw;
        }
    }

private:
    std::string name_;
    int sleep_ms_;
    std::shared_ptr<Counts> counts_;
    std::unique_ptr<Engine> classic_;
};

// An engine that is fast on any machine, however busy: it answers a click with the pixels of exactly
// the clicked colour connected to it (4-neighbours), and reports the time that took as its stage
// (and, with `extra_stages`, that many more long-named stages, as a large model's report looks).
class FloodEngine : public Engine {
    struct Prepared : PreparedImage {
        Image image;
        size_t memory_bytes() const override { return image.rgb.size(); }
    };

public:
    explicit FloodEngine(std::shared_ptr<Counts> counts, int extra_stages = 0)
        : counts_(std::move(counts)), extra_stages_(extra_stages) {}
    std::string name() const override { return extra_stages_ ? "flood-verbose" : "flood"; }
    std::string device() const override { return "cpu"; }
    Capabilities capabilities() const override {
        Capabilities c;
        c.tasks[Task::Interactive] = {PromptKind::Point, PromptKind::NegativePoint, PromptKind::Mask};
        return c;
    }
    std::shared_ptr<const PreparedImage> prepare(const Image& image, const CancelToken&) override {
        auto p = std::make_shared<Prepared>();
        p->width = image.width;
        p->height = image.height;
        p->image = image;
        return p;
    }
    SegmentResult segment(const PreparedImage& prepared, const SegmentRequest& request, const CancelToken&) override {
        ++counts_->segments;
        StopWatch sw;
        const Image& img = static_cast<const Prepared&>(prepared).image;
        const PointPrompt& click = request.points.back();
        auto colour = [&img](int x, int y) {
            const size_t i = (size_t(y) * img.width + x) * 3;
            return (img.rgb[i] << 16) | (img.rgb[i + 1] << 8) | img.rgb[i + 2];
        };
        const int x0 = int(click.x), y0 = int(click.y), want = colour(x0, y0);
        Mask m(img.width, img.height);
        std::vector<std::pair<int, int>> todo{{x0, y0}};
        m.set(x0, y0, true);
        while (!todo.empty()) {
            const auto [x, y] = todo.back();
            todo.pop_back();
            const int nx[] = {x - 1, x + 1, x, x}, ny[] = {y, y, y - 1, y + 1};
            for (int k = 0; k < 4; ++k)
                if (nx[k] >= 0 && ny[k] >= 0 && nx[k] < img.width && ny[k] < img.height && !m.at(nx[k], ny[k]) &&
                    colour(nx[k], ny[k]) == want) {
                    m.set(nx[k], ny[k], true);
                    todo.push_back({nx[k], ny[k]});
                }
        }
        SegmentResult r;
        r.instances.push_back(InstanceResult{std::move(m), 1.0f, "", -1});
        r.timings.push_back({"segment.flood", sw.elapsed_ms()});
        for (int i = 0; i < extra_stages_; ++i)
            r.timings.push_back({"segment.a_stage_with_a_long_descriptive_name_" + std::to_string(i), 0.01});
        return r;
    }

private:
    std::shared_ptr<Counts> counts_;
    int extra_stages_;
};

// A 320 x 240 photo-like scene: a red disc (centre 120,110, radius 60) on a blue background, a green
// square at 230..290 x 150..210.
QImage scene() {
    QImage img(320, 240, QImage::Format_RGB32);
    img.fill(QColor(40, 90, 160));
    QPainter p(&img);
    p.setPen(Qt::NoPen);
    p.setBrush(QColor(220, 60, 50));
    p.drawEllipse(QPoint(120, 110), 60, 60);
    p.setBrush(QColor(40, 200, 60));
    p.drawRect(230, 150, 60, 60);
    return img;
}

Mask disc_mask() {
    Mask m(320, 240);
    for (int y = 0; y < 240; ++y)
        for (int x = 0; x < 320; ++x)
            if ((x + 0.5 - 120) * (x + 0.5 - 120) + (y + 0.5 - 110) * (y + 0.5 - 110) <= 3600) m.set(x, y, true);
    return m;
}

double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v.empty() ? 0 : v[v.size() / 2];
}

double percentile(std::vector<double> v, double q) {
    std::sort(v.begin(), v.end());
    return v.empty() ? 0 : v[std::min(v.size() - 1, size_t(q * double(v.size())))];
}

}  // namespace

class TestHover : public QObject {
    Q_OBJECT
    QString root_;
    EngineRegistry registry_ = builtin_engines();
    std::shared_ptr<Counts> fast_ = std::make_shared<Counts>(), slow_ = std::make_shared<Counts>();
    std::unique_ptr<MainWindow> window_;

    // A fresh window on a fresh folder holding the scene twice, with `engine` loaded and the first
    // image shown and prepared.
    MainWindow* window_with(const QString& name, const QString& engine) {
        const QString folder = root_ + "/" + name;
        QDir(folder).removeRecursively();
        QDir().mkpath(folder);
        if (!scene().save(folder + "/a.png") || !scene().mirrored(true, false).save(folder + "/b.png")) return nullptr;
        window_ = std::make_unique<MainWindow>();
        MainWindow* w = window_.get();
        w->resize(1200, 800);
        w->show();
        QApplication::setActiveWindow(w);
        w->engine_worker()->set_registry(&registry_);
        w->set_engine(engine);
        if (!w->open_folder(folder)) return nullptr;
        if (!QTest::qWaitFor([w] { return !w->scanning() && w->image_ready() && w->engine_ready(); }, kTimeoutMs)) return nullptr;
        if (!QTest::qWaitFor([w] { return w->engine_worker()->cache_stats().entries > 0; }, kTimeoutMs)) return nullptr;
        w->canvas()->setFocus();
        return w;
    }

    QPoint at(double x, double y) { return window_->canvas()->image_to_widget(QPointF(x, y)).toPoint(); }

    // Moves the pointer off the image, then rests it at image pixel (x, y) until the hover preview
    // shows; the milliseconds from the move to the preview on the canvas (-1: none within the timeout).
    // (QTest moves the pointer with QCursor::setPos, which makes no event when it is already there.)
    double rest_until_hover(double x, double y, int timeout_ms = kTimeoutMs) {
        MainWindow* w = window_.get();
        QTest::mouseMove(w->canvas(), QPoint(2, 2));
        QElapsedTimer t;
        t.start();
        QTest::mouseMove(w->canvas(), at(x, y));
        if (!QTest::qWaitFor([w] { return !w->hover().empty(); }, timeout_ms)) return -1;
        return double(t.nsecsElapsed()) / 1e6;
    }

    void set_mode(HoverMode mode) { window_->action(hover_mode_action(mode))->trigger(); }

private Q_SLOTS:
    void initTestCase() {
        use_private_settings("test_ui_hover");
        root_ = qEnvironmentVariable("XS_TEST_TMP", QDir::tempPath() + "/xs-ui-hover");
        std::filesystem::remove_all(root_.toStdString());
        QVERIFY(QDir().mkpath(root_));
        auto fast = fast_, slow = slow_;
        registry_.add("counting", "test only: the classic engine, counting its answers",
                      [fast](const EngineOptions&) { return std::make_unique<TestEngine>("counting", 0, fast); });
        registry_.add("slow", "test only: the classic engine after 150 ms of sleep",
                      [slow](const EngineOptions&) { return std::make_unique<TestEngine>("slow", 150, slow); });
        registry_.add("flood", "test only: the clicked colour's connected pixels, fast on any machine",
                      [fast](const EngineOptions&) { return std::make_unique<FloodEngine>(fast); });
        registry_.add("flood-verbose", "test only: flood, reporting 40 more stages with long names",
                      [fast](const EngineOptions&) { return std::make_unique<FloodEngine>(fast, 40); });
        registry_.add("slower", "test only: the classic engine after 600 ms of sleep",
                      [slow](const EngineOptions&) { return std::make_unique<TestEngine>("slower", 600, slow); });
    }

    void cleanup() { window_.reset(); }

    // Rest: the preview appears after the rest time, never before, dim, and is nothing but a display.
    void hover_appears_after_the_rest_and_goes_on_move() {
        MainWindow* w = window_with("appears", "counting");
        QVERIFY(w);
        set_mode(HoverMode::On);
        QCOMPARE(w->canvas()->tool_name(), QString("toolPrompt"));
        const int before = fast_->segments;
        const double ms = rest_until_hover(120, 110);
        qInfo("hover shown %.0f ms after the pointer came to rest (rest time %d ms)", ms, HoverPreview::kRestMs);
        QVERIFY2(ms >= HoverPreview::kRestMs * 0.95, qPrintable(QString::number(ms)));  // QTimer may be 5% early
        QCOMPARE(fast_->segments - before, 1);
        QCOMPARE(w->hover().size(), size_t(1));
        const double iou = mask_iou(w->hover()[0].mask, disc_mask());
        QVERIFY2(iou > 0.9, qPrintable(QString::number(iou)));
        // Only a display: no preview, no instance, no undo step; Enter has nothing to accept.
        QCOMPARE(w->preview_count(), 0);
        QTest::keyClick(w->canvas(), Qt::Key_Return);
        QCOMPARE(w->current_record()->instances.size(), size_t(0));
        QCOMPARE(w->document()->undo_stack()->count(), 0);
        QDir().mkpath("/tmp/gui-shots");
        QVERIFY(w->canvas()->grab().save("/tmp/gui-shots/hover-preview.png"));

        // Within the same image pixel nothing changes; to another pixel: gone at once, then the
        // preview there after the next rest.
        const QPointF here = w->canvas()->widget_to_image(at(120, 110));
        QTest::mouseMove(w->canvas(), w->canvas()->image_to_widget(QPointF(std::floor(here.x()) + 0.9, here.y())).toPoint());
        QCOMPARE(w->hover().size(), size_t(1));
        QTest::mouseMove(w->canvas(), at(260, 180));
        QVERIFY(w->hover().empty());
        QVERIFY(rest_until_hover(260, 180) > 0);
        QCOMPARE(fast_->segments - before, 2);
        QVERIFY(mask_iou(w->hover()[0].mask, disc_mask()) < 0.1);  // the square now
        // Off the image (still on the canvas), then off the canvas: gone, and nothing asked.
        QTest::mouseMove(w->canvas(), at(-20, 100));
        QVERIFY(w->hover().empty());
        QVERIFY(rest_until_hover(120, 110) > 0);
        QEvent leave(QEvent::Leave);
        QApplication::sendEvent(w->canvas(), &leave);
        QVERIFY(w->hover().empty());
        QTest::qWait(HoverPreview::kRestMs * 3);
        QCOMPARE(fast_->segments - before, 3);
        QVERIFY(w->hover().empty());
    }

    // Moves faster than the rest time ask nothing; a move while the engine works on a preview cancels
    // that request through its cancel token, and its answer never shows.
    void latest_rest_wins_and_moves_cancel() {
        MainWindow* w = window_with("latest", "slower");
        QVERIFY(w);
        set_mode(HoverMode::On);
        const int before = slow_->segments, cancelled = slow_->cancelled;
        for (int x = 60; x <= 180; x += 20) {
            QTest::mouseMove(w->canvas(), at(x, 110));
            QTest::qWait(HoverPreview::kRestMs / 5);
        }
        QTRY_VERIFY_WITH_TIMEOUT(w->hover_pending(), kTimeoutMs);
        QTest::qWait(100);  // the engine is sleeping in the request for (180, 110)
        QCOMPARE(slow_->segments - before, 1);
        QTest::mouseMove(w->canvas(), at(260, 180));
        QVERIFY(!w->hover_pending());
        QTRY_COMPARE_WITH_TIMEOUT(slow_->cancelled - cancelled, 1, kTimeoutMs);
        QVERIFY(rest_until_hover(260, 180) > 0);
        QCOMPARE(slow_->segments - before, 2);
        QVERIFY(mask_iou(w->hover()[0].mask, disc_mask()) < 0.1);  // the square's answer, not the disc's

        // A click elsewhere while a preview is being answered cancels the preview's request; moving
        // and resting while the click is answered neither asks for a preview nor cancels the click.
        QTest::mouseMove(w->canvas(), at(120, 110));
        QTRY_VERIFY_WITH_TIMEOUT(w->hover_pending(), kTimeoutMs);
        QTest::qWait(100);
        QTest::mouseClick(w->canvas(), Qt::LeftButton, {}, at(130, 120));
        QVERIFY(!w->hover_pending());
        QVERIFY(w->request_pending());
        QTest::mouseMove(w->canvas(), at(200, 60));
        QTest::qWait(HoverPreview::kRestMs * 2);
        QVERIFY(!w->hover_pending());
        QTRY_VERIFY_WITH_TIMEOUT(w->preview_count() == 1 && !w->request_pending(), kTimeoutMs);
        QCOMPARE(slow_->cancelled - cancelled, 2);
        QCOMPARE(slow_->segments - before, 4);
        QVERIFY(mask_iou(w->preview()[0].mask, disc_mask()) > 0.9);
    }

    // The worker cancels exactly the request it is told (waiting or running), never another one: a
    // click's request that replaced a preview's is not cancelled with it.
    void worker_cancels_only_the_request_named() {
        EngineWorker worker;
        worker.set_registry(&registry_);
        QSignalSpy loaded(&worker, &EngineWorker::engine_loaded);
        QSignalSpy finished(&worker, &EngineWorker::segment_finished);
        worker.load_engine("slower");
        QTRY_COMPARE_WITH_TIMEOUT(loaded.count(), 1, kTimeoutMs);
        const QImage q = scene();
        auto image = std::make_shared<Image>();
        image->width = q.width();
        image->height = q.height();
        for (int y = 0; y < q.height(); ++y)
            for (int x = 0; x < q.width(); ++x)
                for (int v : {qRed(q.pixel(x, y)), qGreen(q.pixel(x, y)), qBlue(q.pixel(x, y))}) image->rgb.push_back(uint8_t(v));
        SegmentRequest r;
        r.points.push_back(PointPrompt{120.5f, 110.5f, true});
        auto answered = [&finished](int id) {
            for (const QList<QVariant>& args : finished)
                if (args.at(0).value<SegmentAnswer>().request_id == id) return true;
            return false;
        };
        const int segments = slow_->segments, cancelled = slow_->cancelled;
        const int a = worker.segment("scene", image, r);
        QTRY_COMPARE_WITH_TIMEOUT(slow_->segments - segments, 1, kTimeoutMs);  // a runs
        const int b = worker.segment("scene", image, r);                        // cancels a, waits
        worker.cancel_request(a);                                               // a is gone already: b stays
        QTRY_VERIFY_WITH_TIMEOUT(answered(b), kTimeoutMs);
        QVERIFY(!answered(a));
        QCOMPARE(slow_->cancelled - cancelled, 1);
        const int c = worker.segment("scene", image, r);
        QTRY_COMPARE_WITH_TIMEOUT(slow_->segments - segments, 3, kTimeoutMs);  // c runs
        worker.cancel_request(c);
        QTRY_COMPARE_WITH_TIMEOUT(slow_->cancelled - cancelled, 2, kTimeoutMs);
        QTest::qWait(100);
        QVERIFY(!answered(c));
    }

    // A click on the hovered pixel with nothing changed is answered by the hover's answer: no second
    // engine call. On another pixel, or after the thresholds changed, it is computed.
    void click_on_the_hovered_pixel_takes_its_answer() {
        MainWindow* w = window_with("click", "counting");
        QVERIFY(w);
        set_mode(HoverMode::On);
        ImageCanvas* c = w->canvas();
        QVERIFY(rest_until_hover(120, 110) > 0);
        const Mask hovered = w->hover()[0].mask;
        const int calls = fast_->segments;
        QTest::mouseClick(c, Qt::LeftButton, {}, at(120, 110));
        QCOMPARE(w->preview_count(), 1);  // at once: no engine call
        QVERIFY(c->grab().save("/tmp/gui-shots/hover-taken-by-click.png"));  // the live preview's look
        QVERIFY(!w->request_pending());
        QVERIFY(w->preview()[0].mask == hovered);
        QVERIFY(w->hover().empty());
        QTest::qWait(HoverPreview::kRestMs * 3);
        QCOMPARE(fast_->segments, calls);
        // A correction click: its hover carries the preview as the input mask, like the click.
        QVERIFY(rest_until_hover(200, 30) > 0);
        QCOMPARE(fast_->segments, calls + 1);
        QTest::mouseClick(c, Qt::RightButton, {}, at(200, 30));  // a negative click is not the hovered one
        QTRY_VERIFY_WITH_TIMEOUT(!w->request_pending() && fast_->segments == calls + 2, kTimeoutMs);
        QVERIFY(rest_until_hover(260, 180) > 0);
        QCOMPARE(fast_->segments, calls + 3);
        QTest::mouseClick(c, Qt::LeftButton, {}, at(260, 180));
        QCOMPARE(w->preview_count(), 1);
        QTest::qWait(HoverPreview::kRestMs * 3);
        QCOMPARE(fast_->segments, calls + 3);
        QTest::keyClick(c, Qt::Key_Return);
        QCOMPARE(w->current_record()->instances.size(), size_t(1));
        QCOMPARE(w->document()->undo_stack()->count(), 1);

        // Another pixel than the hovered one: computed.
        QVERIFY(rest_until_hover(120, 110) > 0);
        QTest::mouseClick(c, Qt::LeftButton, {}, at(125, 110));
        QTRY_VERIFY_WITH_TIMEOUT(w->preview_count() == 1 && !w->request_pending(), kTimeoutMs);
        QCOMPARE(fast_->segments, calls + 5);
        QTest::keyClick(c, Qt::Key_Escape);
        // Other thresholds since the hover (the inspector's slider): computed.
        QVERIFY(rest_until_hover(120, 110) > 0);
        const int hovers = fast_->segments;
        auto* score = w->findChild<QSlider*>("scoreThreshold");
        QVERIFY(score);
        score->setValue(60);
        QTest::mouseClick(c, Qt::LeftButton, {}, at(120, 110));
        QTRY_VERIFY_WITH_TIMEOUT(w->preview_count() == 1 && !w->request_pending(), kTimeoutMs);
        QCOMPARE(fast_->segments, hovers + 1);
        score->setValue(50);
        QCOMPARE(w->current_record()->instances.size(), size_t(1));
        QCOMPARE(w->document()->undo_stack()->count(), 1);
    }

    // Another tool, image or engine hides the preview.
    void tool_image_and_engine_changes_hide_it() {
        MainWindow* w = window_with("changes", "counting");
        QVERIFY(w);
        set_mode(HoverMode::On);
        ImageCanvas* c = w->canvas();
        QVERIFY(rest_until_hover(120, 110) > 0);
        QTest::keyClick(c, Qt::Key_S);  // scribble tool: its click draws, so no preview
        QCOMPARE(c->tool_name(), QString("toolScribble"));
        QVERIFY(w->hover().empty());
        QTest::mouseMove(c, at(200, 60));
        QTest::qWait(HoverPreview::kRestMs * 3);
        QVERIFY(w->hover().empty() && !w->hover_pending());
        QTest::keyClick(c, Qt::Key_P);
        QVERIFY(rest_until_hover(120, 110) > 0);
        QTest::keyClick(c, Qt::Key_D);  // the next image
        QVERIFY(w->hover().empty());
        QTRY_VERIFY_WITH_TIMEOUT(w->image_ready(), kTimeoutMs);
        QCOMPARE(w->current_index(), 1);
        QVERIFY(rest_until_hover(200, 110) > 0);  // the mirrored disc
        w->set_engine("slow");
        QVERIFY(w->hover().empty());
        QTRY_VERIFY_WITH_TIMEOUT(w->engine_ready(), kTimeoutMs);
        QCOMPARE(w->engine_name(), QString("slow"));
    }

    // Auto (the default): on while the engine's latest answer took under 100 ms by its own stage
    // timings; a slow engine (150 ms of sleep per answer) is left alone, before and after a click.
    void auto_is_on_for_a_fast_engine_and_off_for_a_slow_one() {
        QSettings().remove("view/hover_preview");
        MainWindow* w = window_with("auto", "slow");
        QVERIFY(w);
        HoverPreview* hover = w->hover_preview();
        QCOMPARE(hover->mode(), HoverMode::Auto);
        QVERIFY(w->action("hoverPreviewAuto")->isChecked());
        ImageCanvas* c = w->canvas();
        const int before = slow_->segments;
        // No answer measured yet: nothing asked.
        QTest::mouseMove(c, at(120, 110));
        QTest::qWait(HoverPreview::kRestMs * 3);
        QCOMPARE(slow_->segments, before);
        QVERIFY(!hover->enabled());
        QTest::mouseClick(c, Qt::LeftButton, {}, at(120, 110));
        QTRY_VERIFY_WITH_TIMEOUT(w->preview_count() == 1 && !w->request_pending(), kTimeoutMs);
        QTRY_VERIFY_WITH_TIMEOUT(hover->answer_ms().has_value(), kTimeoutMs);
        qInfo("slow engine: answer %.0f ms by its stages", *hover->answer_ms());
        QVERIFY(*hover->answer_ms() >= 150);
        QVERIFY(!hover->enabled());
        QTest::mouseMove(c, at(260, 180));
        QTest::qWait(HoverPreview::kRestMs * 3);
        QCOMPARE(slow_->segments, before + 1);
        QVERIFY(w->hover().empty());

        // A fast engine (its answers take well under 100 ms even on a busy machine): on after its
        // first answer.
        w->set_engine("flood");
        QTRY_VERIFY_WITH_TIMEOUT(w->engine_ready() && w->engine_name() == "flood", kTimeoutMs);
        QVERIFY(!hover->answer_ms().has_value());  // measured again for another engine
        QTest::mouseClick(c, Qt::LeftButton, {}, at(120, 110));
        QTRY_VERIFY_WITH_TIMEOUT(w->preview_count() == 1 && !w->request_pending(), kTimeoutMs);
        QTRY_VERIFY_WITH_TIMEOUT(hover->answer_ms().has_value(), kTimeoutMs);
        qInfo("flood engine: answer %.2f ms by its stages", *hover->answer_ms());
        QVERIFY(hover->enabled());
        QVERIFY(rest_until_hover(260, 180) > 0);
        QVERIFY(w->hover()[0].mask.area() == 3600);  // the square, from the flood engine
    }

    // The mode is a View menu choice, kept with the settings; Off asks nothing.
    void the_setting_is_kept_and_off_asks_nothing() {
        MainWindow* w = window_with("setting", "counting");
        QVERIFY(w);
        set_mode(HoverMode::Off);
        QCOMPARE(QSettings().value("view/hover_preview").toString(), QString("off"));
        const int before = fast_->segments;
        QTest::mouseMove(w->canvas(), at(120, 110));
        QTest::qWait(HoverPreview::kRestMs * 3);
        QCOMPARE(fast_->segments, before);
        QVERIFY(w->hover().empty());
        w = window_with("setting2", "counting");
        QVERIFY(w);
        QCOMPARE(w->hover_preview()->mode(), HoverMode::Off);
        QVERIFY(w->action("hoverPreviewOff")->isChecked());
        QVERIFY(!w->action("hoverPreviewAuto")->isChecked());
        set_mode(HoverMode::On);
        QVERIFY(rest_until_hover(120, 110) > 0);
        set_mode(HoverMode::Off);
        QVERIFY(w->hover().empty());
        set_mode(HoverMode::Auto);
        QCOMPARE(QSettings().value("view/hover_preview").toString(), QString("auto"));
    }

    // An answer's report (40 stages with long names in the Engine panel, a long line in the status
    // bar) neither grows the window nor moves the image under the pointer: the panel scrolls and the
    // status line is cut short. (The window grew 33 px when the classic engine's report gained lines,
    // so a click landed 20 image pixels from the preview the pointer had rested on.)
    void long_answer_reports_keep_the_window_and_the_view() {
        MainWindow* w = window_with("verbose", "flood-verbose");
        QVERIFY(w);
        QTest::qWait(50);
        const QSize window = w->size(), canvas = w->canvas()->size();
        const QPoint disc = at(120, 110);
        QTest::mouseClick(w->canvas(), Qt::LeftButton, {}, disc);
        QTRY_VERIFY_WITH_TIMEOUT(w->preview_count() == 1 && !w->request_pending(), kTimeoutMs);
        QTest::qWait(50);  // the layout requests the new texts made
        auto* status = w->findChild<QLabel*>("engineStatus");
        QVERIFY(status && status->text().contains("a_stage_with_a_long_descriptive_name_39"));
        auto* timings = w->findChild<QLabel*>("engineTimings");
        QVERIFY(timings && timings->text().count('\n') > 40);
        QCOMPARE(w->size(), window);
        QCOMPARE(w->canvas()->size(), canvas);
        QCOMPARE(at(120, 110), disc);
        QVERIFY(w->grab().save("/tmp/gui-shots/long-engine-report.png"));
    }

    // The figures of the README: on every stamps-bench image (copied to scratch), with the classic
    // engine, the pointer rests on each object's first clicker point (the interior-most pixel); a
    // click there takes the hover's answer; then it rests on the clicker's next point when that is a
    // positive one (a correction, answered with the preview as input mask), and Esc. Printed: from the
    // move to the preview on the canvas, and the engine's own time by its stages, for both kinds.
    void hover_latency_on_stamps_bench() {
        const QString bench = qEnvironmentVariable("XS_SHARED_DIR") + "/data/stamps-bench";
        if (!QFileInfo::exists(bench + "/instances.json")) QSKIP("stamps-bench is not here (XS_SHARED_DIR)");
        CocoImportOptions options;
        options.images_dir = (bench + "/images").toStdString();
        options.check_images = false;
        const Project truth = read_coco((bench + "/instances.json").toStdString(), options);
        const QString folder = root_ + "/stamps";
        QDir(folder).removeRecursively();
        QDir().mkpath(folder);
        for (const ImageRecord& rec : truth.images)
            QVERIFY(QFile::copy(bench + "/images/" + QString::fromStdString(rec.file_name), folder + "/" + QString::fromStdString(rec.file_name)));
        window_ = std::make_unique<MainWindow>();
        MainWindow* w = window_.get();
        w->resize(1200, 800);
        w->show();
        QApplication::setActiveWindow(w);
        w->set_engine("classic");
        QVERIFY(w->open_folder(folder));
        QVERIFY(QTest::qWaitFor([w] { return !w->scanning() && w->image_ready() && w->engine_ready(); }, kTimeoutMs));
        set_mode(HoverMode::On);  // every object measured, whatever Auto would say
        std::vector<double> first_shown, first_engine, next_shown, next_engine;
        int objects = 0, taken = 0;
        for (const ImageRecord& rec : truth.images) {
            const int index = w->image_browser()->index_of(rec.file_name);
            QVERIFY(index >= 0);
            w->show_image(index);
            const ImageKey key = rec.file_name;
            auto prepared = [w, key] {
                const auto keys = w->engine_worker()->cache_stats().keys;
                return std::find(keys.begin(), keys.end(), key) != keys.end();
            };
            QVERIFY(QTest::qWaitFor([w, prepared] { return w->image_ready() && prepared(); }, kTimeoutMs));
            for (const Instance& inst : rec.instances) {
                const Mask gt = rle_decode(inst.mask);
                const std::optional<Click> first = next_click(gt, Mask(rec.width, rec.height));
                QVERIFY(first);
                double ms = rest_until_hover(first->x + 0.5, first->y + 0.5);
                QVERIFY2(ms > 0, qPrintable(QString::fromStdString(rec.file_name)));
                if (objects++ == 0) QVERIFY(w->canvas()->grab().save("/tmp/gui-shots/hover-preview-photo.png"));
                first_shown.push_back(ms);
                first_engine.push_back(*w->hover_preview()->answer_ms());
                const Mask hovered = w->hover()[0].mask;
                QTest::mouseClick(w->canvas(), Qt::LeftButton, {}, at(first->x + 0.5, first->y + 0.5));
                QVERIFY(w->preview_count() == 1 && !w->request_pending());
                taken += w->preview()[0].mask == hovered;
                const std::optional<Click> next = next_click(gt, hovered);
                if (next && next->positive) {
                    ms = rest_until_hover(next->x + 0.5, next->y + 0.5);
                    QVERIFY2(ms > 0, qPrintable(QString::fromStdString(rec.file_name)));
                    next_shown.push_back(ms);
                    next_engine.push_back(*w->hover_preview()->answer_ms());
                }
                QTest::keyClick(w->canvas(), Qt::Key_Escape);
            }
        }
        QCOMPARE(objects, int(truth.instance_count()));
        QCOMPARE(taken, objects);  // every first click took its hover's answer
        auto figures = [](const char* what, const std::vector<double>& shown, const std::vector<double>& engine) {
            int under = 0;
            for (double ms : engine) under += ms < HoverPreview::kAutoLimitMs;
            qInfo("%s (%d): pointer at rest to preview shown median %.0f ms, p95 %.0f ms, max %.0f ms; engine answer "
                  "median %.0f ms, p95 %.0f ms, max %.0f ms; under %.0f ms (Auto on) for %d", what, int(shown.size()),
                  median(shown), percentile(shown, 0.95), percentile(shown, 1.0), median(engine), percentile(engine, 0.95),
                  percentile(engine, 1.0), HoverPreview::kAutoLimitMs, under);
        };
        qInfo("hover latency on stamps-bench, classic engine, %d images, %d objects, rest time %d ms:",
              int(truth.images.size()), objects, HoverPreview::kRestMs);
        figures("first click", first_shown, first_engine);
        figures("correction (positive next clicker point, preview as input mask)", next_shown, next_engine);
    }
};

QTEST_MAIN(TestHover)
#include "test_hover.moc"
