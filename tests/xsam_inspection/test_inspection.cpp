// The inspection X-SAM fills when a request asks for it, and the engine's own post-processing re-run
// over it (Engine::postprocess, no model pass) against segment() itself: for each task and several
// thresholds, the instances re-derived from one inspection equal those of a fresh segment() run with
// those thresholds.
//
// Tolerances: the same count, labels and prompt indices; scores within 1e-4 (absolute); masks may
// differ only where a probability lies within float rounding of the threshold: at most 0.1% of the
// mask's pixels (normalised pixel error <= 1e-3).
#include <cmath>
#include <filesystem>
#include <map>

#include "core/engine/inspection.h"
#include "core/xsam/engine/xsam_engine.h"
#include "core/xsam/engine/xsam_engine_factory.h"
#include "tests/harness/plain_test.h"

using namespace xs;
namespace fs = std::filesystem;

namespace {

const std::string& model_dir() {
    static const std::string dir = [] {
        const std::string d = plain_test::env_or("XS_TEST_TMP", "/tmp/test_xsam_inspection") + "/tiny-model";
        fs::remove_all(d);
        write_random_xsam_model(plain_test::env_or("XS_SOURCE_DIR", ".") + "/models/xsam-tiny.json", d, 11);
        return d;
    }();
    return dir;
}

Engine& engine() {
    static std::unique_ptr<Engine> e = [] {
        EngineRegistry reg;
        register_xsam_engine(reg);
        return reg.create("xsam", {{"model", model_dir()}, {"device", "cpu"}, {"threads", "2"}});
    }();
    return *e;
}

Image test_image() {
    Image im;
    im.width = 150;
    im.height = 100;
    im.rgb.resize(size_t(im.width) * im.height * 3);
    for (int y = 0; y < im.height; ++y)
        for (int x = 0; x < im.width; ++x) {
            uint8_t* p = im.rgb.data() + (size_t(y) * im.width + x) * 3;
            p[0] = 20, p[1] = uint8_t(40 + y), p[2] = uint8_t(120 + x / 2);
            if (x >= 20 && x < 60 && y >= 30 && y < 70) p[0] = 230, p[1] = 20, p[2] = 20;
            if ((x - 110) * (x - 110) + (y - 50) * (y - 50) < 400) p[0] = 30, p[1] = 220, p[2] = 40;
        }
    return im;
}

const PreparedImage& prepared() {
    static std::shared_ptr<const PreparedImage> p = [] {
        CancelToken c;
        return engine().prepare(test_image(), c);
    }();
    return *p;
}

void compare(const std::vector<InstanceResult>& ours, const std::vector<InstanceResult>& ref, const std::string& what) {
    XS_CHECK_MSG(ours.size() == ref.size(), what + ": " + std::to_string(ours.size()) + " instances vs segment()'s " +
                                                std::to_string(ref.size()));
    for (size_t i = 0; i < std::min(ours.size(), ref.size()); ++i) {
        const std::string w = what + " instance " + std::to_string(i);
        XS_CHECK_MSG(ours[i].label == ref[i].label, w + ": label '" + ours[i].label + "' vs '" + ref[i].label + "'");
        XS_CHECK_MSG(ours[i].prompt_index == ref[i].prompt_index, w + ": prompt index");
        XS_CHECK_MSG(std::fabs(ours[i].score - ref[i].score) <= 1e-4f,
                     w + ": score " + std::to_string(ours[i].score) + " vs " + std::to_string(ref[i].score));
        const Mask& a = ours[i].mask;
        const Mask& b = ref[i].mask;
        XS_CHECK_MSG(a.width() == b.width() && a.height() == b.height(), w + ": mask size");
        if (a.width() != b.width() || a.height() != b.height()) continue;
        int64_t diff = 0;
        for (size_t k = 0; k < size_t(a.width()) * a.height(); ++k) diff += a.data()[k] != b.data()[k];
        const double err = double(diff) / double(std::max<int64_t>(1, b.area()));
        XS_CHECK_MSG(err <= 1e-3, w + ": " + std::to_string(diff) + " pixels differ (normalised " + std::to_string(err) + ")");
    }
}

SegmentResult run(SegmentRequest r, float score_threshold, float mask_threshold) {
    r.score_threshold = score_threshold;
    r.mask_threshold = mask_threshold;
    CancelToken c;
    return engine().segment(prepared(), r, c);
}

// One inspected run at `base` thresholds, then for each threshold pair: post-processing over the
// inspection == a fresh segment() at those thresholds.
void check_task(const SegmentRequest& request, const std::vector<std::pair<float, float>>& thresholds, const std::string& name,
                size_t* most_instances = nullptr) {
    SegmentRequest r = request;
    r.inspect = true;
    SegmentResult base = run(r, 0.5f, 0.5f);
    XS_CHECK_MSG(base.inspection != nullptr, name + ": no inspection");
    if (!base.inspection) return;
    const Inspection& in = *base.inspection;
    compare(engine().postprocess(in, 0.5f, 0.5f), base.instances, name + " @0.5/0.5");
    for (auto [s, m] : thresholds) {
        SegmentResult ref = run(request, s, m);
        XS_CHECK_MSG(ref.inspection == nullptr, name + ": an inspection nobody asked for");
        std::vector<InstanceResult> ours = engine().postprocess(in, s, m);
        compare(ours, ref.instances, name + " @" + std::to_string(s) + "/" + std::to_string(m));
        if (most_instances) *most_instances = std::max(*most_instances, ours.size());
    }
}

}  // namespace

XS_TEST(inspection_shows_the_prompt_as_the_model_saw_it) {
    SegmentRequest r;
    r.task = Task::VisualGrounded;
    r.boxes.push_back({20, 30, 60, 70});
    r.points.push_back({110, 50, true});
    r.inspect = true;
    SegmentResult res = run(r, 0.5f, 0.5f);
    XS_CHECK(res.inspection != nullptr);
    const Inspection& in = *res.inspection;
    XS_CHECK(in.engine == "xsam" && in.task == Task::VisualGrounded && in.rule == Inspection::Rule::Instances);
    // Tokens: the prefix with one <image> placeholder standing for every image embedding, then the
    // question with one <region> per visual prompt; ids round-trip to the text.
    int images = 0, regions = 0, prefix = 0;
    for (const InspectionToken& t : in.tokens) {
        if (t.id == -200) {
            ++images;
            XS_CHECK_MSG(t.repeat > 1 && t.text == "<image>" && t.prefix, "image placeholder");
        }
        if (t.id == -300) {
            ++regions;
            XS_CHECK(t.text == "<region>" && !t.prefix);
        }
        if (t.prefix) ++prefix;
        if (t.id >= 0) XS_CHECK_MSG(!t.text.empty(), "token " + std::to_string(t.id) + " has no text");
    }
    XS_CHECK(images == 1 && regions == 2 && prefix >= 3);
    XS_CHECK(in.question.find("<region>") != std::string::npos);
    // Regions: the canvas is S x S (128 for the tiny model), the image (150 x 100) scaled to 128 x 85 at
    // its top-left; the box covers canvas columns ~17..51, rows ~26..60; the sampler read points inside.
    XS_CHECK(in.canvas == 128 && in.scaled_w == 128 && in.scaled_h == 85 && in.width == 150 && in.height == 100);
    XS_CHECK(in.regions.size() == 2 && in.labels.size() == 2);
    for (const InspectionRegion& reg : in.regions) {
        XS_CHECK(reg.canvas.width() == 128 && reg.canvas.height() == 128 && reg.canvas.any());
        XS_CHECK(!reg.sampled_points.empty());
        for (auto [x, y] : reg.sampled_points)
            XS_CHECK_MSG(reg.canvas.at(int(x), int(y)), reg.label + ": a sampled point outside its region");
    }
    const BBox box = in.regions[1].canvas.bbox();  // points first, then boxes
    XS_CHECK_MSG(std::abs(box.x - 17) <= 1 && std::abs(box.y - 26) <= 1 && std::abs(box.w - 34) <= 2 && std::abs(box.h - 34) <= 2,
                 "box region at " + std::to_string(box.x) + "," + std::to_string(box.y) + " " + std::to_string(box.w) + "x" +
                     std::to_string(box.h));
    // Queries: probabilities sum to one with the background, sorted order by best class probability.
    XS_CHECK(in.num_queries > 0 && int(in.queries.size()) == in.num_queries);
    XS_CHECK(in.mask_logits.size() == size_t(in.num_queries) * in.mask_h * in.mask_w);
    for (const InspectionQuery& q : in.queries) {
        double sum = q.background_prob;
        for (float p : q.class_probs) sum += p;
        XS_CHECK(std::fabs(sum - 1.0) < 1e-5 && q.class_probs.size() == 2);
    }
    std::vector<int> order = in.queries_by_score();
    XS_CHECK(int(order.size()) == in.num_queries);
    for (size_t i = 1; i < order.size(); ++i) {
        auto best = [&](int q) { return std::max(in.queries[size_t(q)].class_probs[0], in.queries[size_t(q)].class_probs[1]); };
        XS_CHECK(best(order[i - 1]) >= best(order[i]));
    }
    XS_CHECK(!in.timings.empty() && in.timings.back().stage == "segment.postprocess");
    const std::string json = inspection_to_json(in);
    XS_CHECK(json.find("\"tokens\"") != std::string::npos && json.find("\"sampled_points_xy\"") != std::string::npos &&
             json.find("\"queries_by_score\"") != std::string::npos);
}

XS_TEST(postprocessing_over_the_inspection_equals_segment_vgd) {
    SegmentRequest r;
    r.task = Task::VisualGrounded;
    r.boxes.push_back({20, 30, 60, 70});
    r.points.push_back({110, 50, true});
    size_t most = 0;
    // The comparison is at mask threshold 0.5 (the reference's logit > 0); other mask thresholds are
    // checked below.
    check_task(r, {{0.05f, 0.5f}, {0.15f, 0.5f}, {0.3f, 0.5f}}, "vgd", &most);
    XS_CHECK_MSG(most >= 2, "the thresholds should let several instances through (got " + std::to_string(most) + ")");
    // A higher mask threshold gives smaller (never larger) masks for the same (query, class) pairs.
    SegmentRequest ri = r;
    ri.inspect = true;
    SegmentResult base = run(ri, 0.05f, 0.5f);
    std::vector<InstanceResult> lo = engine().postprocess(*base.inspection, 0.0f, 0.3f);
    std::vector<InstanceResult> hi = engine().postprocess(*base.inspection, 0.0f, 0.7f);
    int64_t area_lo = 0, area_hi = 0;
    for (const InstanceResult& i : lo) area_lo += i.mask.area();
    for (const InstanceResult& i : hi) area_hi += i.mask.area();
    XS_CHECK_MSG(area_hi < area_lo, "mask threshold 0.7 gives " + std::to_string(area_hi) + " pixels, 0.3 gives " +
                                        std::to_string(area_lo));
}

XS_TEST(postprocessing_over_the_inspection_equals_segment_referring_and_generic) {
    SegmentRequest ref;
    ref.task = Task::Referring;
    ref.text = "the red square";
    check_task(ref, {{0.5f, 0.3f}, {0.5f, 0.5f}, {0.5f, 0.6f}}, "referring");  // mask threshold applies here
    SegmentRequest gen;
    gen.task = Task::Generic;
    gen.categories = {"square", "disc", "sky"};
    check_task(gen, {{0.05f, 0.5f}, {0.2f, 0.5f}}, "generic");
}

XS_TEST(postprocessing_over_the_inspection_equals_segment_interactive) {
    SegmentRequest r;
    r.task = Task::Interactive;
    r.points.push_back({40, 50, true});
    r.points.push_back({110, 50, false});
    check_task(r, {{0.05f, 0.5f}, {0.3f, 0.5f}, {0.9f, 0.5f}}, "interactive");
}

XS_TEST_MAIN()
