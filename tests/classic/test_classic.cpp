// The classic engine on synthetic scenes with known ground truth, and the CLI commands end to end.
#include <QtTest>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <chrono>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>
#include <random>
#include <thread>

#include "core/builtin/builtin_engines.h"
#include "core/engine/clicker.h"
#include "core/engine/engine.h"

using namespace xs;

namespace {

// A scene: a textured background and objects drawn on it; `gt` holds the objects' masks.
struct Scene {
    cv::Mat rgb;  // CV_8UC3
    std::vector<Mask> gt;
};

Image to_image(const cv::Mat& rgb) {
    Image im;
    im.width = rgb.cols;
    im.height = rgb.rows;
    im.rgb.assign(rgb.data, rgb.data + rgb.total() * 3);
    return im;
}

Mask from_mat(const cv::Mat& m) {
    Mask out(m.cols, m.rows);
    for (int y = 0; y < m.rows; ++y)
        for (int x = 0; x < m.cols; ++x) out.set(x, y, m.at<uchar>(y, x) != 0);
    return out;
}

// Green-blue noisy background; adds `noise` to every pixel so nothing is trivially flat.
cv::Mat background(int w, int h, int noise, unsigned seed) {
    cv::Mat bg(h, w, CV_8UC3);
    std::mt19937 rng(seed);
    std::uniform_int_distribution<int> n(-noise, noise);
    for (int y = 0; y < h; ++y)
        for (int x = 0; x < w; ++x) {
            const int g = 90 + int(30 * std::sin(x * 0.05)) + n(rng);
            const int b = 120 + int(25 * std::cos(y * 0.07)) + n(rng);
            bg.at<cv::Vec3b>(y, x) = cv::Vec3b(cv::saturate_cast<uchar>(30 + n(rng)), cv::saturate_cast<uchar>(g),
                                               cv::saturate_cast<uchar>(b));
        }
    return bg;
}

void draw_object(Scene& s, const cv::Mat& shape, cv::Vec3b colour, int noise, unsigned seed) {
    std::mt19937 rng(seed);
    std::uniform_int_distribution<int> n(-noise, noise);
    for (int y = 0; y < shape.rows; ++y)
        for (int x = 0; x < shape.cols; ++x)
            if (shape.at<uchar>(y, x)) {
                cv::Vec3b& p = s.rgb.at<cv::Vec3b>(y, x);
                for (int c = 0; c < 3; ++c) p[c] = cv::saturate_cast<uchar>(colour[c] + n(rng));
            }
    s.gt.push_back(from_mat(shape));
}

// One red ellipse on the background.
Scene ellipse_scene() {
    Scene s;
    s.rgb = background(320, 240, 12, 1);
    cv::Mat shape = cv::Mat::zeros(240, 320, CV_8U);
    cv::ellipse(shape, cv::Point(150, 120), cv::Size(60, 40), 20, 0, 360, 255, cv::FILLED);
    draw_object(s, shape, cv::Vec3b(220, 40, 40), 8, 2);
    return s;
}

SegmentRequest points(std::initializer_list<PointPrompt> pts) {
    SegmentRequest r;
    r.points = pts;
    return r;
}

struct Fixture {
    std::unique_ptr<Engine> engine = builtin_engines().create("classic", {});
    CancelToken cancel;
};

Mask segment(Fixture& f, const PreparedImage& p, const SegmentRequest& r) {
    SegmentResult res = f.engine->segment(p, r, f.cancel);
    if (res.instances.size() != 1) throw Error("expected one instance");
    return res.instances[0].mask;
}

QString env(const char* name) { return QString::fromLocal8Bit(qgetenv(name)); }

}  // namespace

class TestClassic : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void capabilities() {
        Fixture f;
        QCOMPARE(f.engine->name(), std::string("classic"));
        const Capabilities c = f.engine->capabilities();
        QVERIFY(c.supports(Task::Interactive, PromptKind::Point));
        QVERIFY(c.supports(Task::Interactive, PromptKind::NegativeScribble));
        QVERIFY(c.supports(Task::Interactive, PromptKind::Mask));
        QVERIFY(!c.supports(Task::Referring));
        QVERIFY(!c.supports(Task::Interactive, PromptKind::Text));
        QVERIFY_THROWS_EXCEPTION(Error, builtin_engines().create("classic", {{"model", "/tmp/x"}}));
    }

    void oneClickInsideUniformObject() {
        Scene s = ellipse_scene();
        Fixture f;
        auto p = f.engine->prepare(to_image(s.rgb), f.cancel);
        QCOMPARE(p->width, 320);
        QVERIFY(p->memory_bytes() > 0);
        SegmentResult res = f.engine->segment(*p, points({{150.5f, 120.5f, true}}), f.cancel);
        QCOMPARE(res.instances.size(), size_t(1));
        const double iou = clicker_iou(s.gt[0], res.instances[0].mask);
        QVERIFY2(iou >= 0.95, QByteArray::number(iou).constData());
        QVERIFY(res.instances[0].score > 0.f && res.instances[0].score <= 1.f);
        QVERIFY(!res.timings.empty());
        // An off-centre click finds the same object.
        const double iou2 = clicker_iou(s.gt[0], segment(f, *p, points({{110.5f, 105.5f, true}})));
        QVERIFY2(iou2 >= 0.95, QByteArray::number(iou2).constData());
    }

    void negativeClicksRemoveWhatTheyTouch() {
        // Two touching objects of similar colour: the previous mask holds both; a negative click on
        // the second must remove it and keep the first.
        Scene s;
        s.rgb = background(320, 240, 12, 3);
        cv::Mat a = cv::Mat::zeros(240, 320, CV_8U), b = cv::Mat::zeros(240, 320, CV_8U);
        cv::circle(a, cv::Point(110, 120), 45, 255, cv::FILLED);
        cv::rectangle(b, cv::Rect(150, 80, 90, 80), 255, cv::FILLED);
        b.setTo(0, a);
        draw_object(s, a, cv::Vec3b(220, 40, 40), 6, 4);
        draw_object(s, b, cv::Vec3b(200, 60, 50), 6, 5);
        Fixture f;
        auto p = f.engine->prepare(to_image(s.rgb), f.cancel);
        const Mask both = mask_union(s.gt[0], s.gt[1]);
        SegmentRequest r = points({{110.5f, 120.5f, true}});
        r.input_mask = both;
        // Without a negative click the previous mask (both objects) is kept.
        QVERIFY(clicker_iou(both, segment(f, *p, r)) >= 0.9);
        r.points.push_back({200.5f, 120.5f, false});
        const Mask m = segment(f, *p, r);
        const double iou = clicker_iou(s.gt[0], m);
        QVERIFY2(iou >= 0.9, QByteArray::number(iou).constData());
        const double left = double(mask_intersection(m, s.gt[1]).area()) / double(s.gt[1].area());
        QVERIFY2(left < 0.05, QByteArray::number(left).constData());
        QVERIFY(!m.at(200, 120));
    }

    void negativeClickOnBackgroundLeak() {
        // A click on an object of the background's colour family leaks; negative clicks fix it.
        Scene s = ellipse_scene();
        Fixture f;
        auto p = f.engine->prepare(to_image(s.rgb), f.cancel);
        SegmentRequest r = points({{150.5f, 120.5f, true}, {20.5f, 20.5f, false}, {300.5f, 220.5f, false}});
        const double iou = clicker_iou(s.gt[0], segment(f, *p, r));
        QVERIFY2(iou >= 0.95, QByteArray::number(iou).constData());
    }

    void boxAlone() {
        Scene s = ellipse_scene();
        Fixture f;
        auto p = f.engine->prepare(to_image(s.rgb), f.cancel);
        SegmentRequest r;
        const BBox b = s.gt[0].bbox();
        r.boxes.push_back({float(b.x - 6), float(b.y - 6), float(b.x + b.w + 6), float(b.y + b.h + 6)});
        const Mask m = segment(f, *p, r);
        const double iou = clicker_iou(s.gt[0], m);
        QVERIFY2(iou >= 0.9, QByteArray::number(iou).constData());
        // Nothing outside the box.
        const BBox mb = m.bbox();
        QVERIFY(mb.x >= b.x - 6 && mb.y >= b.y - 6 && mb.x + mb.w <= b.x + b.w + 6 && mb.y + mb.h <= b.y + b.h + 6);
    }

    void scribbles() {
        Scene s = ellipse_scene();
        Fixture f;
        auto p = f.engine->prepare(to_image(s.rgb), f.cancel);
        SegmentRequest r;
        r.scribbles.push_back({{{110, 105}, {135, 115}, {160, 125}}, true, 0});
        double iou = clicker_iou(s.gt[0], segment(f, *p, r));
        QVERIFY2(iou >= 0.95, QByteArray::number(iou).constData());
        // A negative scribble across the right half, with the previous mask: that half goes.
        r.input_mask = s.gt[0];
        r.scribbles.push_back({{{175, 60}, {175, 180}}, false, 3});
        const Mask m = segment(f, *p, r);
        QVERIFY(!m.at(175, 120));
        QVERIFY(m.at(150, 120));
        int right = 0;
        for (int y = 0; y < 240; ++y)
            for (int x = 185; x < 320; ++x) right += m.at(x, y);
        QVERIFY2(right < 100, QByteArray::number(right).constData());
    }

    void refinementFromPreviousMask() {
        // The previous mask covers half the object; a positive click in the missing half completes it.
        Scene s = ellipse_scene();
        Fixture f;
        auto p = f.engine->prepare(to_image(s.rgb), f.cancel);
        Mask half = s.gt[0];
        for (int y = 0; y < 240; ++y)
            for (int x = 150; x < 320; ++x) half.set(x, y, false);
        SegmentRequest r = points({{120.5f, 110.5f, true}});
        r.input_mask = half;
        const double before = clicker_iou(s.gt[0], half);
        r.points.push_back({185.5f, 135.5f, true});
        const double after = clicker_iou(s.gt[0], segment(f, *p, r));
        QVERIFY2(before < 0.6 && after >= 0.95, (QByteArray::number(before) + " -> " + QByteArray::number(after)).constData());
        // The mask alone (no clicks) is a valid request and keeps the object.
        SegmentRequest only;
        only.input_mask = s.gt[0];
        const double kept = clicker_iou(s.gt[0], segment(f, *p, only));
        QVERIFY2(kept >= 0.95, QByteArray::number(kept).constData());
    }

    void largeImageIsDownscaledAndBack() {
        // 2400x1600: prepare works on a 1024-wide copy; the mask comes back at full size.
        Scene s;
        s.rgb = background(2400, 1600, 10, 9);
        cv::Mat shape = cv::Mat::zeros(1600, 2400, CV_8U);
        cv::circle(shape, cv::Point(1200, 800), 300, 255, cv::FILLED);
        draw_object(s, shape, cv::Vec3b(230, 200, 40), 6, 10);
        Fixture f;
        auto p = f.engine->prepare(to_image(s.rgb), f.cancel);
        const Mask m = segment(f, *p, points({{1200.5f, 800.5f, true}}));
        QCOMPARE(m.width(), 2400);
        QCOMPARE(m.height(), 1600);
        const double iou = clicker_iou(s.gt[0], m);
        QVERIFY2(iou >= 0.95, QByteArray::number(iou).constData());
    }

    void badPromptsGiveClearErrors() {
        Scene s = ellipse_scene();
        Fixture f;
        auto p = f.engine->prepare(to_image(s.rgb), f.cancel);
        auto message = [&](const SegmentRequest& r) -> std::string {
            try {
                f.engine->segment(*p, r, f.cancel);
            } catch (const Error& e) {
                return e.what();
            }
            return "";
        };
        std::string m = message(points({{320.f, 10.f, true}}));
        QVERIFY2(m.find("outside the 320x240 image") != std::string::npos, m.c_str());
        SegmentRequest box;
        box.boxes.push_back({50, 50, 50, 90});
        m = message(box);
        QVERIFY2(m.find("empty") != std::string::npos, m.c_str());
        SegmentRequest ref;
        ref.task = Task::Referring;
        ref.text = "the red ellipse";
        m = message(ref);
        QVERIFY2(m.find("does not support the task 'referring'") != std::string::npos, m.c_str());
        SegmentRequest wrong = points({{10.f, 10.f, true}});
        wrong.input_mask = Mask(100, 100);
        m = message(wrong);
        QVERIFY2(m.find("input mask is 100x100") != std::string::npos, m.c_str());
        QVERIFY_THROWS_EXCEPTION(Error, f.engine->prepare(Image{}, f.cancel));
    }

    void cancellation() {
        Scene s = ellipse_scene();
        Fixture f;
        auto p = f.engine->prepare(to_image(s.rgb), f.cancel);
        CancelToken fired;
        fired.cancel();
        QVERIFY_THROWS_EXCEPTION(Cancelled, f.engine->segment(*p, points({{150.5f, 120.5f, true}}), fired));
        QVERIFY_THROWS_EXCEPTION(Cancelled, f.engine->prepare(to_image(s.rgb), fired));

        // Fired from another thread while a large image is being prepared: prepare stops at the next
        // stage boundary, long before it would have finished.
        const Image big = to_image(background(3000, 2000, 10, 11));
        StopWatch full;
        f.engine->prepare(big, f.cancel);
        const double full_ms = full.elapsed_ms();
        CancelToken token;
        std::thread firer([&] {
            std::this_thread::sleep_for(std::chrono::milliseconds(5));
            token.cancel();
        });
        StopWatch sw;
        bool cancelled = false;
        try {
            f.engine->prepare(big, token);
        } catch (const Cancelled&) {
            cancelled = true;
        }
        const double ms = sw.elapsed_ms();
        firer.join();
        QVERIFY(cancelled);
        QVERIFY2(ms < 0.7 * full_ms + 5, (QByteArray::number(ms) + " ms vs " + QByteArray::number(full_ms)).constData());
    }

    void cliSegmentEndToEnd() {
        const QString cli = env("XS_CLI"), tmp = env("XS_TEST_TMP");
        QVERIFY(!cli.isEmpty() && !tmp.isEmpty());
        Scene s = ellipse_scene();
        cv::Mat bgr;
        cv::cvtColor(s.rgb, bgr, cv::COLOR_RGB2BGR);
        const QString image = tmp + "/ellipse.png", out = tmp + "/ellipse-mask.png";
        QVERIFY(cv::imwrite(image.toStdString(), bgr));
        QFile::remove(out);
        QProcess proc;
        proc.start(cli, {"segment", "--image", image, "--engine", "classic", "--point", "150,120", "--neg-point",
                         "10,10", "--out-mask", out});
        QVERIFY(proc.waitForFinished(60000));
        QCOMPARE(proc.exitCode(), 0);
        const QList<QByteArray> lines = proc.readAllStandardOutput().trimmed().split('\n');
        QCOMPARE(lines.size(), 1);
        const QJsonObject j = QJsonDocument::fromJson(lines[0]).object();
        const double area = j.value("area").toDouble();
        QVERIFY2(std::abs(area - double(s.gt[0].area())) < 0.05 * double(s.gt[0].area()), lines[0].constData());
        QVERIFY(j.value("stages_ms").toObject().contains("segment.graphcut"));
        QVERIFY(j.value("score").toDouble() > 0);
        const cv::Mat written = cv::imread(out.toStdString(), cv::IMREAD_GRAYSCALE);
        QCOMPARE(written.cols, 320);
        QVERIFY(clicker_iou(s.gt[0], from_mat(written > 127)) >= 0.95);
        const BBox b = from_mat(written > 127).bbox();
        const QJsonArray jb = j.value("bbox").toArray();
        QCOMPARE(jb.at(0).toInt(), b.x);
        QCOMPARE(jb.at(3).toInt(), b.h);

        // Box + scribble flags parse, bad flags give clear errors and exit code 1.
        proc.start(cli, {"segment", "--image", image, "--box", "80,70,220,170", "--scribble", "120,110 180,130"});
        QVERIFY(proc.waitForFinished(60000));
        QCOMPARE(proc.exitCode(), 0);
        auto fails_with = [&](const QStringList& args, const QString& needle) {
            proc.start(cli, args);
            QVERIFY(proc.waitForFinished(60000));
            QCOMPARE(proc.exitCode(), 1);
            const QString err = QString::fromUtf8(proc.readAllStandardError());
            QVERIFY2(err.contains(needle), qPrintable(err));
        };
        fails_with({"segment", "--image", image, "--point", "400,10"}, "outside the 320x240 image");
        fails_with({"segment", "--image", image, "--box", "10,10,10,50"}, "empty");
        fails_with({"segment", "--image", image, "--point", "1,x"}, "'x' is not a number");
        fails_with({"segment", "--image", image, "--task", "referring", "--text", "red"},
                   "does not support the task 'referring'");
        fails_with({"segment", "--image", image, "--engine", "nonesuch", "--point", "1,1"}, "unknown engine 'nonesuch'");
    }

    void cliBenchInteractive() {
        const QString cli = env("XS_CLI"), shared = env("XS_SHARED_DIR");
        const QString bench = shared + "/data/stamps-bench";
        QVERIFY2(QFile::exists(bench + "/instances.json"), qPrintable(bench));
        QProcess proc;
        proc.start(cli, {"bench-interactive", "--engine", "classic", "--coco", bench + "/instances.json", "--images",
                         bench + "/images", "--limit", "3"});
        QVERIFY(proc.waitForFinished(240000));
        QCOMPARE(proc.exitCode(), 0);
        const QJsonObject j = QJsonDocument::fromJson(proc.readAllStandardOutput().trimmed()).object();
        QCOMPARE(j.value("instances").toInt(), 3);
        for (const char* key : {"NoC@85", "NoC@90", "mIoU@1", "mIoU@5", "ms_per_click_p50", "ms_per_click_p95",
                                "prepare_ms_p50"})
            QVERIFY2(j.contains(key), key);
        QVERIFY(j.value("NoC@85").toDouble() >= 1 && j.value("NoC@85").toDouble() <= j.value("NoC@90").toDouble());
        QVERIFY(j.value("NoC@90").toDouble() <= 20);
        QVERIFY(j.value("mIoU@1").toDouble() > 0.3 && j.value("mIoU@5").toDouble() <= 1.0);
        QVERIFY(QString::fromUtf8(proc.readAllStandardError()).contains("[3/3]"));
    }
};

QTEST_APPLESS_MAIN(TestClassic)
#include "test_classic.moc"
