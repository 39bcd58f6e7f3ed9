// The evaluation runner (core/eval/evaluate.h) on stamps-bench, driven by engines whose answers are
// known: an oracle that answers from the ground truth (every metric must be perfect), a blind one
// that answers nothing (every metric must be zero), and a spoiled oracle (shards merged must give
// exactly the metrics of one run). Also the ground-truth and refs readers' checks.
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include <nlohmann/json.hpp>

#include "core/eval/evaluate.h"
#include "core/eval/ground_truth.h"
#include "core/io/image.h"
#include "core/util/error.h"
#include "tests/harness/plain_test.h"

using namespace xs;
using namespace xs::eval;
using json = nlohmann::json;

namespace {

std::string bench_dir() { return plain_test::env_or("XS_SHARED_DIR", "../shared") + "/data/stamps-bench"; }
std::string tmp_dir() { return plain_test::env_or("XS_TEST_TMP", "/tmp"); }

uint64_t fingerprint(const Image& im) {
    uint64_t h = 1469598103934665603ull;
    for (uint8_t b : im.rgb) h = (h ^ b) * 1099511628211ull;
    return h ^ uint64_t(im.width);
}

struct OraclePrepared : PreparedImage {
    const GtImage* gt = nullptr;
    size_t memory_bytes() const override { return 0; }
};

// Answers every task from the ground truth. `spoil` > 0 makes it worse in a fixed way: it drops the
// instances of every spoil-th annotation id, shifts masks by one column per spoil, and scores by id.
class OracleEngine : public Engine {
public:
    OracleEngine(const GroundTruth& gt, int spoil, bool blind) : gt_(gt), spoil_(spoil), blind_(blind) {
        for (const GtImage& img : gt.images) by_pixels_[fingerprint(load_image(bench_dir() + "/images/" + img.file_name))] = &img;
    }
    std::string name() const override { return blind_ ? "blind" : "oracle"; }
    std::string device() const override { return "cpu"; }
    Capabilities capabilities() const override {
        Capabilities c;
        for (Task t : all_tasks())
            c.tasks[t] = {PromptKind::Point, PromptKind::NegativePoint, PromptKind::Box, PromptKind::Scribble,
                          PromptKind::NegativeScribble, PromptKind::Mask, PromptKind::Text};
        return c;
    }
    std::shared_ptr<const PreparedImage> prepare(const Image& image, const CancelToken&) override {
        auto p = std::make_shared<OraclePrepared>();
        p->width = image.width;
        p->height = image.height;
        p->gt = by_pixels_.at(fingerprint(image));
        return p;
    }
    SegmentResult segment(const PreparedImage& prepared, const SegmentRequest& req, const CancelToken&) override {
        const GtImage& img = *static_cast<const OraclePrepared&>(prepared).gt;
        ++requests;
        SegmentResult res;
        if (blind_) return res;
        auto answer = [&](const GtAnnotation& a, int prompt_index, const std::string& label) {
            if (spoil_ > 0 && a.id % spoil_ == 0) return;
            InstanceResult r;
            r.mask = shifted(rle_decode(a.mask));
            r.score = spoil_ > 0 ? float(1.0 / (1.0 + double(a.id % 7))) : 1.0f;
            r.prompt_index = prompt_index;
            r.label = label;
            res.instances.push_back(std::move(r));
        };
        switch (req.task) {
            case Task::Referring:
            case Task::Reasoning:
            case Task::GroundedCaption:
                for (const GtAnnotation& a : img.annotations)
                    if (!a.iscrowd && (req.task == Task::GroundedCaption || category(a) == req.text)) answer(a, 0, category(a));
                break;
            case Task::Generic:
            case Task::OpenVocabulary:
                for (const GtAnnotation& a : img.annotations) {
                    const auto it = std::find(req.categories.begin(), req.categories.end(), category(a));
                    if (!a.iscrowd && it != req.categories.end()) answer(a, int(it - req.categories.begin()), category(a));
                }
                break;
            case Task::VisualGrounded:
                for (size_t k = 0; k < req.mask_prompts.size(); ++k) {
                    const GtAnnotation* ex = most_covered(img, req.mask_prompts[k]);
                    for (const GtAnnotation& a : img.annotations)
                        if (ex && !a.iscrowd && a.category_id == ex->category_id) answer(a, int(k), category(a));
                }
                break;
            case Task::Interactive: {
                const GtAnnotation* a = most_covered(img, prompt_raster(req, img));
                if (a) answer(*a, 0, category(*a));
                break;
            }
        }
        return res;
    }
    int64_t requests = 0;

private:
    const GroundTruth& gt_;
    int spoil_;
    bool blind_;
    std::map<uint64_t, const GtImage*> by_pixels_;

    std::string category(const GtAnnotation& a) const { return gt_.category(a.category_id)->name; }
    Mask shifted(const Mask& m) const {
        if (spoil_ <= 0) return m;
        Mask out(m.width(), m.height());
        for (int y = 0; y < m.height(); ++y)
            for (int x = spoil_; x < m.width(); ++x) out.set(x, y, m.at(x - spoil_, y));
        return out;
    }
    static const GtAnnotation* most_covered(const GtImage& img, const Mask& prompt) {
        const GtAnnotation* best = nullptr;
        int64_t best_overlap = 0;
        for (const GtAnnotation& a : img.annotations) {
            const int64_t o = mask_intersection(rle_decode(a.mask), prompt).area();
            if (!a.iscrowd && o > best_overlap) best = &a, best_overlap = o;
        }
        return best;
    }
    // The positive prompts as pixels (the previous mask only when there is nothing else).
    static Mask prompt_raster(const SegmentRequest& req, const GtImage& img) {
        Mask m(img.width, img.height);
        auto put = [&](float x, float y) {
            const int xi = int(x), yi = int(y);
            if (xi >= 0 && yi >= 0 && xi < img.width && yi < img.height) m.set(xi, yi, true);
        };
        for (const PointPrompt& p : req.points)
            if (p.positive) put(p.x, p.y);
        for (const ScribblePrompt& s : req.scribbles)
            if (s.positive)
                for (const PointF& p : s.points) put(p.x, p.y);
        for (const BoxPrompt& b : req.boxes)
            for (int y = int(b.y0); y < int(b.y1); ++y)
                for (int x = int(b.x0); x < int(b.x1); ++x) put(float(x), float(y));
        if (!m.any() && req.input_mask) m = *req.input_mask;
        return m;
    }
};

const GroundTruth& bench() {
    static const GroundTruth gt = read_ground_truth(bench_dir() + "/instances.json", bench_dir() + "/images");
    return gt;
}

EvaluateOptions options(Task task) {
    EvaluateOptions o;
    o.task = task;
    o.images_dir = bench_dir() + "/images";
    return o;
}

json run(Engine& e, Task task, EvaluateOptions o) {
    o.task = task;
    return json::parse(Evaluator(bench(), o).run(e).dump());
}

// 1 up to COCOeval's own rounding (precision is TP / (TP + FP + 2.2e-16)).
bool is_one(const json& v) { return std::fabs(v.get<double>() - 1.0) < 1e-12; }

void write_text(const std::string& path, const std::string& text) {
    std::ofstream(path) << text;
}

json bench_json() {
    std::ifstream in(bench_dir() + "/instances.json");
    std::stringstream ss;
    ss << in.rdbuf();
    return json::parse(ss.str());
}

}  // namespace

XS_TEST(an_oracle_scores_perfectly_on_every_task) {
    OracleEngine oracle(bench(), 0, false);
    const json ref = run(oracle, Task::Referring, options(Task::Referring));
    XS_CHECK(ref.at("metrics").at("cIoU") == 1.0 && ref.at("metrics").at("gIoU") == 1.0);
    XS_CHECK(ref.at("counts").at("expressions").get<int>() > 40);  // instances alone in their category

    const json gen = run(oracle, Task::Generic, options(Task::Generic));
    const json& g = gen.at("metrics");
    for (const char* k : {"PQ", "SQ", "RQ", "mIoU", "fwIoU", "mACC", "pACC", "AP", "AP50", "AP75", "AR1", "AR10", "AR100"})
        XS_CHECK_MSG(is_one(g.at(k)), std::string(k) + " = " + g.at(k).dump());
    XS_CHECK(gen.at("images") == 40 && gen.at("counts").at("detections") == 57);

    const json vgd = run(oracle, Task::VisualGrounded, options(Task::VisualGrounded));
    for (const char* t : {"point", "box", "mask"})
        XS_CHECK_MSG(is_one(vgd.at("metrics").at(t).at("AP")), std::string(t) + " AP " + vgd.at("metrics").at(t).at("AP").dump());
    XS_CHECK(vgd.at("counts").at("box").at("prompts").at("derived") == 57);

    const json inter = run(oracle, Task::Interactive, options(Task::Interactive));
    const json& m = inter.at("metrics");
    for (const char* t : {"point", "box", "mask"}) XS_CHECK_MSG(m.at(t).at("mIoU") == 1.0, t);
    XS_CHECK(m.at("clicks").at("NoC@85") == 1.0 && m.at("clicks").at("mIoU@1") == 1.0);
    XS_CHECK(inter.at("counts").at("clicks").at("instances") == 57);

    const json cap = run(oracle, Task::GroundedCaption, options(Task::GroundedCaption));
    XS_CHECK(cap.at("metrics").at("mIoU") == 1.0 && cap.at("metrics").at("recall") == 1.0);
    XS_CHECK(cap.at("counts").at("phrases") == 57);
}

XS_TEST(an_engine_that_finds_nothing_scores_zero) {
    OracleEngine blind(bench(), 0, true);
    EvaluateOptions o = options(Task::Generic);
    o.limit = 6;
    const json gen = run(blind, Task::Generic, o);
    for (const char* k : {"PQ", "mIoU", "AP", "AR100"}) XS_CHECK_MSG(gen.at("metrics").at(k) == 0.0, k);
    XS_CHECK(gen.at("images") == 6);
    const json ref = run(blind, Task::Referring, o);
    XS_CHECK(ref.at("metrics").at("cIoU") == 0.0);
    const json inter = run(blind, Task::Interactive, o);
    XS_CHECK(inter.at("metrics").at("clicks").at("NoC@90") == 20.0 && inter.at("metrics").at("box").at("mIoU") == 0.0);
    const json cap = run(blind, Task::GroundedCaption, o);
    XS_CHECK(cap.at("metrics").at("mIoU") == 0.0 && cap.at("metrics").at("recall") == 0.0);
}

XS_TEST(shards_merged_give_the_metrics_of_one_run) {
    OracleEngine spoiled(bench(), 3, false);
    for (Task task : {Task::Generic, Task::VisualGrounded, Task::Interactive, Task::Referring, Task::GroundedCaption}) {
        EvaluateOptions o = options(task);
        o.max_clicks = 5;
        const json whole = run(spoiled, task, o);
        std::vector<json> parts;
        std::vector<std::string> names;
        int64_t images = 0;
        for (int i = 0; i < 3; ++i) {
            EvaluateOptions s = o;
            s.shard = {i, 3};
            parts.push_back(run(spoiled, task, s));
            names.push_back("part " + std::to_string(i));
            images += parts.back().at("images").get<int64_t>();
        }
        const json merged = json::parse(merge_evaluations(parts, names).dump());
        XS_CHECK(images == whole.at("images").get<int64_t>() && merged.at("images") == whole.at("images"));
        XS_CHECK(merged.at("counts") == whole.at("counts"));
        // Sums taken in another order may differ in the last bits (gIoU, PQ); AP records do not.
        std::function<void(const json&, const json&, const std::string&)> same = [&](const json& a, const json& b, const std::string& at) {
            if (a.is_object()) {
                for (auto it = a.begin(); it != a.end(); ++it) same(it.value(), b.at(it.key()), at + "." + it.key());
            } else {
                XS_CHECK_MSG(std::fabs(a.get<double>() - b.get<double>()) <= 1e-12, std::string(task_name(task)) + at);
            }
        };
        same(whole.at("metrics"), merged.at("metrics"), "");
        // The spoiled oracle is neither perfect nor blind, so the comparison means something.
        const json& first = task == Task::VisualGrounded ? whole.at("metrics").at("box") : whole.at("metrics");
        const double v = first.contains("AP") ? first.at("AP").get<double>()
                         : first.contains("cIoU") ? first.at("cIoU").get<double>()
                         : first.contains("mIoU") ? first.at("mIoU").get<double>()
                                                  : first.at("point").at("mIoU").get<double>();
        XS_CHECK_MSG(v > 0.05 && v < 0.95, std::string(task_name(task)) + ": " + std::to_string(v));
        XS_CHECK_THROWS(merge_evaluations({parts[0], parts[0]}, {"a", "b"}), Error, "given twice");
    }
    EvaluateOptions g = options(Task::Generic), v = options(Task::VisualGrounded);
    XS_CHECK_THROWS(merge_evaluations({run(spoiled, Task::Generic, g), run(spoiled, Task::VisualGrounded, v)}, {"g", "v"}),
                    Error, "v: its task differs");
}

XS_TEST(prompts_from_the_data_are_used_and_counted) {
    // The box prompt of the first annotation, stored as X-SAM's VGD data stores it.
    json doc = bench_json();
    json& a = doc["annotations"][0];
    const Mask m = rle_decode(rle_from_string(a["segmentation"]["counts"], a["segmentation"]["size"][0], a["segmentation"]["size"][1]));
    const VisualPrompt box = derive_prompt(m, PromptType::Box);
    a["visual_prompts"] = {{"box_visual_prompt", {{"size", {m.height(), m.width()}}, {"counts", rle_to_string(rle_encode(box.raster))}}}};
    const std::string path = tmp_dir() + "/with-prompts.json";
    write_text(path, doc.dump());
    const GroundTruth gt = read_ground_truth(path, bench_dir() + "/images");
    XS_CHECK(gt.images[0].annotations[0].prompts.count(PromptType::Box) == 1);
    OracleEngine oracle(gt, 0, false);
    EvaluateOptions o = options(Task::VisualGrounded);
    o.prompt_types = {PromptType::Box};
    o.limit = 2;
    const json r = json::parse(Evaluator(gt, o).run(oracle).dump());
    XS_CHECK(r.at("counts").at("box").at("prompts").at("from_data") == 1);
    XS_CHECK(is_one(r.at("metrics").at("box").at("AP")));
    XS_CHECK(!r.at("metrics").contains("point"));
}

XS_TEST(bad_ground_truth_and_refs_are_refused_naming_the_field) {
    const std::string images = bench_dir() + "/images";
    json doc = bench_json();
    doc["annotations"][2]["visual_prompts"] = {{"lasso_visual_prompt", nullptr}};
    write_text(tmp_dir() + "/bad-key.json", doc.dump());
    XS_CHECK_THROWS(read_ground_truth(tmp_dir() + "/bad-key.json", images), Error, "annotations[2].visual_prompts.lasso_visual_prompt");
    doc = bench_json();
    doc["annotations"][1]["visual_prompts"] = {{"point_visual_prompt", {{"size", {3, 4}}, {"counts", "04"}}}};
    write_text(tmp_dir() + "/bad-size.json", doc.dump());
    XS_CHECK_THROWS(read_ground_truth(tmp_dir() + "/bad-size.json", images), Error, "annotations[1].visual_prompts.point_visual_prompt.size");
    doc = bench_json();
    doc["annotations"][0]["id"] = 0;
    write_text(tmp_dir() + "/id0.json", doc.dump());
    XS_CHECK_THROWS(read_ground_truth(tmp_dir() + "/id0.json", images), Error, "annotations[0].id");

    const json refs = json::array({{{"ref_id", 1}, {"ann_id", 1}, {"image_id", 1}, {"split", "val"}, {"sentences", {{{"sent", "the bear"}}}}},
                                   {{"ref_id", 2}, {"ann_id", 2}, {"image_id", 1}, {"split", "val"}, {"sentences", {{{"sent", "x"}}}}}});
    write_text(tmp_dir() + "/refs.json", refs.dump());
    XS_CHECK_THROWS(read_refs(tmp_dir() + "/refs.json", bench(), "val"), Error, "[1].image_id: 1, but annotation 2 belongs to image 2");
    XS_CHECK_THROWS(read_refs(tmp_dir() + "/refs.json", bench(), "testA"), Error, "no referring expressions in split \"testA\" (splits in the file: val)");
    const json good = json::array({{{"ref_id", 7}, {"ann_id", 1}, {"image_id", 1}, {"split", "val"},
                                    {"sentences", {{{"sent", "the bear"}, {"tokens", {"the", "bear"}}}, {{"sent", "brown animal"}}}}}});
    write_text(tmp_dir() + "/good-refs.json", good.dump());
    const std::vector<ReferringSample> s = read_refs(tmp_dir() + "/good-refs.json", bench(), "");
    XS_CHECK(s.size() == 2 && s[1].sentence == "brown animal" && s[1].ann_id == 1 && s[0].ref_id == 7);
    OracleEngine oracle(bench(), 0, false);
    EvaluateOptions o = options(Task::Referring);
    o.refs_path = tmp_dir() + "/good-refs.json";
    const json r = run(oracle, Task::Referring, o);
    // "the bear" is not a category name, so the oracle finds nothing: two samples, IoU 0.
    XS_CHECK(r.at("counts").at("expressions") == 2 && r.at("images") == 1 && r.at("metrics").at("gIoU") == 0.0);
}

XS_TEST(an_engine_without_the_task_is_refused_before_any_image) {
    struct InteractiveOnly : OracleEngine {
        using OracleEngine::OracleEngine;
        Capabilities capabilities() const override {
            Capabilities c;
            c.tasks[Task::Interactive] = {PromptKind::Point};
            return c;
        }
    } engine(bench(), 0, false);
    XS_CHECK_THROWS(run(engine, Task::Generic, options(Task::Generic)), Error,
                    "engine 'oracle' cannot run the task 'generic' (it runs: interactive)");
    XS_CHECK(engine.requests == 0);
    EvaluateOptions o = options(Task::Interactive);
    o.images_dir = tmp_dir();
    XS_CHECK_THROWS(run(engine, Task::Interactive, o), Error, "0001.jpg");
}

XS_TEST_MAIN()
