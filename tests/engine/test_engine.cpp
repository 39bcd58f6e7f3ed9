// The engine contract (core/engine/engine.h) and the clicker (core/engine/clicker.h).
#include <QtTest>
#include <cmath>
#include <random>

#include "core/builtin/builtin_engines.h"
#include "core/engine/clicker.h"
#include "core/engine/engine.h"

using namespace xs;

namespace {

Capabilities interactive_caps() {
    Capabilities c;
    c.tasks[Task::Interactive] = {PromptKind::Point, PromptKind::NegativePoint, PromptKind::Box, PromptKind::Mask};
    return c;
}

SegmentRequest click_at(float x, float y) {
    SegmentRequest r;
    r.points.push_back({x, y, true});
    return r;
}

Mask rect_mask(int w, int h, int x0, int y0, int x1, int y1) {  // [x0, x1) x [y0, y1)
    Mask m(w, h);
    for (int y = y0; y < y1; ++y)
        for (int x = x0; x < x1; ++x) m.set(x, y, true);
    return m;
}

// A fake engine that answers the ground truth from the third click on, nothing before.
class ScriptedEngine : public Engine {
public:
    explicit ScriptedEngine(Mask gt) : gt_(std::move(gt)) {}
    std::string name() const override { return "scripted"; }
    std::string device() const override { return "cpu"; }
    Capabilities capabilities() const override { return interactive_caps(); }
    std::shared_ptr<const PreparedImage> prepare(const Image&, const CancelToken&) override { return nullptr; }
    SegmentResult segment(const PreparedImage&, const SegmentRequest& req, const CancelToken&) override {
        requests.push_back(req);
        SegmentResult r;
        InstanceResult inst;
        inst.mask = req.points.size() >= 3 ? gt_ : Mask(gt_.width(), gt_.height());
        r.instances.push_back(inst);
        return r;
    }
    std::vector<SegmentRequest> requests;

private:
    Mask gt_;
};

class DummyPrepared : public PreparedImage {
public:
    size_t memory_bytes() const override { return 0; }
};

}  // namespace

class TestEngine : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void taskNamesRoundTrip() {
        for (Task t : all_tasks()) {
            auto back = task_from_name(task_name(t));
            QVERIFY(back.has_value());
            QCOMPARE(int(*back), int(t));
        }
        QCOMPARE(all_tasks().size(), size_t(8));
        QCOMPARE(std::string(task_name(Task::Chat)), std::string("chat"));
        QCOMPARE(std::string(task_name(Task::Referring)), std::string("referring"));
        QVERIFY(!task_from_name("segment-everything").has_value());
        QCOMPARE(std::string(prompt_kind_name(PromptKind::NegativeScribble)), std::string("negative scribble"));
    }

    void promptKinds() {
        SegmentRequest r;
        QVERIFY(r.prompt_kinds().empty());
        r.points.push_back({1, 1, true});
        r.points.push_back({2, 2, false});
        r.points.push_back({3, 3, true});
        r.scribbles.push_back({{{1, 1}}, false, 0});
        r.input_mask = Mask(4, 4);
        const auto k = r.prompt_kinds();
        QCOMPARE(k.size(), size_t(4));  // point, negative point, negative scribble, mask (no duplicates)
    }

    void validRequestPasses() {
        SegmentRequest r = click_at(10.5f, 5.5f);
        r.boxes.push_back({1, 1, 20, 9});
        r.input_mask = Mask(32, 10);
        QCOMPARE(validate_request(interactive_caps(), r, 32, 10, "t"), std::string());
    }

    void pointOutsideImage() {
        const std::string e = validate_request(interactive_caps(), click_at(32.f, 5.f), 32, 10, "t");
        QVERIFY2(e.find("point 1") != std::string::npos && e.find("outside the 32x10 image") != std::string::npos,
                 e.c_str());
        QVERIFY(!validate_request(interactive_caps(), click_at(-0.5f, 5.f), 32, 10, "t").empty());
        QVERIFY(!validate_request(interactive_caps(), click_at(NAN, 5.f), 32, 10, "t").empty());
        QVERIFY(validate_request(interactive_caps(), click_at(31.99f, 9.99f), 32, 10, "t").empty());
    }

    void emptyAndInvertedBoxes() {
        SegmentRequest r;
        r.boxes.push_back({5, 5, 5, 9});
        std::string e = validate_request(interactive_caps(), r, 32, 10, "t");
        QVERIFY2(e.find("box 1") != std::string::npos && e.find("empty") != std::string::npos, e.c_str());
        r.boxes[0] = {9, 5, 2, 9};
        e = validate_request(interactive_caps(), r, 32, 10, "t");
        QVERIFY2(e.find("inverted") != std::string::npos, e.c_str());
        r.boxes[0] = {40, 1, 50, 9};
        e = validate_request(interactive_caps(), r, 32, 10, "t");
        QVERIFY2(e.find("outside") != std::string::npos, e.c_str());
    }

    void wrongMaskSize() {
        SegmentRequest r = click_at(1, 1);
        r.input_mask = Mask(10, 32);
        const std::string e = validate_request(interactive_caps(), r, 32, 10, "t");
        QVERIFY2(e.find("input mask is 10x32") != std::string::npos && e.find("32x10") != std::string::npos, e.c_str());
    }

    void unsupportedTaskAndPrompt() {
        SegmentRequest r;
        r.task = Task::Referring;
        r.text = "the dog on the left";
        std::string e = validate_request(interactive_caps(), r, 32, 10, "classic");
        QVERIFY2(e.find("engine 'classic' does not support the task 'referring'") != std::string::npos, e.c_str());
        QVERIFY2(e.find("interactive") != std::string::npos, e.c_str());

        SegmentRequest s = click_at(1, 1);
        s.scribbles.push_back({{{1, 1}, {2, 2}}, true, 0});
        e = validate_request(interactive_caps(), s, 32, 10, "classic");
        QVERIFY2(e.find("does not accept scribble prompts") != std::string::npos, e.c_str());

        SegmentRequest none;
        e = validate_request(interactive_caps(), none, 32, 10, "classic");
        QVERIFY2(e.find("carries no prompt") != std::string::npos, e.c_str());
    }

    void scribbleChecks() {
        Capabilities c = interactive_caps();
        c.tasks[Task::Interactive].push_back(PromptKind::Scribble);
        SegmentRequest r;
        r.scribbles.push_back({{{1, 1}, {40, 2}}, true, 0});
        const std::string e = validate_request(c, r, 32, 10, "t");
        QVERIFY2(e.find("scribble 1 point 2") != std::string::npos, e.c_str());
        r.scribbles[0].points.clear();
        QVERIFY(validate_request(c, r, 32, 10, "t").find("no points") != std::string::npos);
    }

    void registry() {
        EngineRegistry reg;
        reg.add("b", "second", [](const EngineOptions&) -> std::unique_ptr<Engine> { return nullptr; });
        reg.add("a", "first", [](const EngineOptions&) -> std::unique_ptr<Engine> { throw Error("no weights"); });
        QCOMPARE(reg.names(), (std::vector<std::string>{"a", "b"}));
        QCOMPARE(reg.description("a"), std::string("first"));
        try {
            reg.create("xsam-huge", {});
            QFAIL("unknown engine accepted");
        } catch (const Error& e) {
            const std::string m = e.what();
            QVERIFY2(m.find("unknown engine 'xsam-huge'") != std::string::npos && m.find("a, b") != std::string::npos,
                     m.c_str());
        }
        try {
            reg.create("a", {});
            QFAIL("failing factory accepted");
        } catch (const Error& e) {
            QVERIFY2(std::string(e.what()).find("no weights") != std::string::npos, e.what());
        }
        QVERIFY_THROWS_EXCEPTION(Error, reg.create("b", {}));
        const auto names = builtin_engines().names();
        QVERIFY(std::find(names.begin(), names.end(), "classic") != names.end());
    }

    // The exact Euclidean distance transform against brute force on random masks.
    void distanceTransformMatchesBruteForce() {
        std::mt19937 rng(7);
        for (int trial = 0; trial < 20; ++trial) {
            const int w = 5 + int(rng() % 30), h = 5 + int(rng() % 30);
            Mask m(w, h);
            const int density = 50 + int(rng() % 45);
            for (int y = 0; y < h; ++y)
                for (int x = 0; x < w; ++x) m.set(x, y, int(rng() % 100) < density);
            const std::vector<float> d = distance_to_border(m);
            double max_err = 0;
            for (int y = 0; y < h; ++y)
                for (int x = 0; x < w; ++x) {
                    double best = 0;
                    if (m.at(x, y)) {
                        // Nearest unset pixel, the padding ring at -1 and w / h included.
                        best = 1e9;
                        for (int v = -1; v <= h; ++v)
                            for (int u = -1; u <= w; ++u) {
                                const bool inside = u >= 0 && v >= 0 && u < w && v < h;
                                if (inside && m.at(u, v)) continue;
                                best = std::min(best, std::hypot(double(u - x), double(v - y)));
                            }
                    }
                    max_err = std::max(max_err, std::abs(best - d[size_t(y) * w + x]));
                }
            QVERIFY2(max_err < 1e-4, QByteArray::number(max_err).constData());  // exact up to float rounding
        }
    }

    void firstClickIsInteriorMost() {
        const Mask gt = rect_mask(30, 30, 5, 5, 15, 15);
        const auto c = next_click(gt, Mask(30, 30));
        QVERIFY(c.has_value());
        QVERIFY(c->positive);
        // Distance 5 at the four centre pixels; the first in row-major order wins.
        QCOMPARE(c->x, 9);
        QCOMPARE(c->y, 9);
        QCOMPARE(c->distance, 5.f);
    }

    void borderCountsAsBackground() {
        // The whole 7x7 image is the object: the centre is 4 away from the border ring.
        const Mask gt = rect_mask(7, 7, 0, 0, 7, 7);
        const auto c = next_click(gt, Mask(7, 7));
        QVERIFY(c.has_value());
        QCOMPARE(c->x, 3);
        QCOMPARE(c->y, 3);
        QCOMPARE(c->distance, 4.f);
    }

    void largerErrorWins() {
        // Prediction covers a small part of the object and a larger background area: FP is larger.
        const Mask gt = rect_mask(40, 20, 0, 0, 8, 8);
        Mask pred = rect_mask(40, 20, 0, 0, 4, 8);
        pred = mask_union(pred, rect_mask(40, 20, 20, 2, 36, 18));  // 16x16 false positive
        auto c = next_click(gt, pred);
        QVERIFY(c.has_value());
        QVERIFY(!c->positive);
        QVERIFY(c->x >= 20 && c->x < 36 && c->y >= 2 && c->y < 18);
        QCOMPARE(c->distance, 8.f);

        // A tie goes to the false negative: FN 4x4 block and FP 4x4 block.
        const Mask gt2 = rect_mask(40, 20, 2, 2, 6, 6);
        const Mask pred2 = rect_mask(40, 20, 20, 2, 24, 6);
        c = next_click(gt2, pred2);
        QVERIFY(c.has_value());
        QVERIFY(c->positive);
        QCOMPARE(c->x, 3);
        QCOMPARE(c->y, 3);

        QVERIFY(!next_click(gt2, gt2).has_value());
        QVERIFY_THROWS_EXCEPTION(Error, next_click(gt2, Mask(10, 10)));
    }

    void iouAndNoc() {
        const Mask a = rect_mask(10, 10, 0, 0, 4, 10);  // 40 px
        const Mask b = rect_mask(10, 10, 2, 0, 6, 10);  // 40 px, 20 shared
        QCOMPARE(clicker_iou(a, b), 20.0 / 60.0);
        QCOMPARE(clicker_iou(Mask(3, 3), Mask(3, 3)), 1.0);
        const std::vector<double> ious = {0.5, 0.86, 0.84, 0.91};
        QCOMPARE(clicks_to_reach(ious, 0.85, 20), 2);
        QCOMPARE(clicks_to_reach(ious, 0.90, 20), 4);
        QCOMPARE(clicks_to_reach(ious, 0.95, 20), 20);
    }

    void runClickerCarriesAllClicksAndPreviousMask() {
        const Mask gt = rect_mask(20, 20, 4, 4, 12, 12);
        ScriptedEngine engine(gt);
        DummyPrepared prepared;
        CancelToken cancel;
        const ClickerRun run = run_clicker(engine, prepared, gt, 20, 0.9, 5, cancel);
        // Clicks 1, 2 (empty answers), 3 (exact), then exact answers need no more engine calls.
        QCOMPARE(engine.requests.size(), size_t(3));
        QCOMPARE(run.ious.size(), size_t(5));
        QCOMPARE(run.ious[0], 0.0);
        QCOMPARE(run.ious[2], 1.0);
        QCOMPARE(run.ious[4], 1.0);
        QCOMPARE(engine.requests[0].points.size(), size_t(1));
        QVERIFY(!engine.requests[0].input_mask.has_value());
        QCOMPARE(engine.requests[2].points.size(), size_t(3));
        QVERIFY(engine.requests[2].input_mask.has_value());
        // The first click at the centre of the 8x8 object, at the pixel centre.
        QCOMPARE(engine.requests[0].points[0].x, 7.5f);
        QCOMPARE(engine.requests[0].points[0].y, 7.5f);
        QCOMPARE(clicks_to_reach(run.ious, 0.85, 20), 3);
    }
};

QTEST_APPLESS_MAIN(TestEngine)
#include "test_engine.moc"
