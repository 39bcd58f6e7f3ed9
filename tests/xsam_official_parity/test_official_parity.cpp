// Parity of X-SAM's own stages with the official functions (branch AAAI26_Archive), on the goldens of
// tests/data/official/ (manifest.json lists every case with its task, stage, prompt kind, tolerance and
// the official commit; goldens.safetensors and the PNG files hold the arrays). They are written by
// tests/reference/official/make-goldens.sh; this suite needs no official checkout.
//
// One test per stage; each runs every case of its stage, prints one line per case with the error
// measured, and fails naming every case outside its tolerance: integer outputs (masks, indices, label
// maps) exact, float outputs NMSE <= the case's tolerance (1e-6).
// XS_OFFICIAL_GOLDENS overrides the folder.
#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <functional>
#include <map>
#include <set>

#include <nlohmann/json.hpp>

#include "core/io/image.h"
#include "core/xsam/model/config.h"
#include "core/xsam/model/region.h"
#include "core/xsam/model/xsam_model.h"
#include "core/xsam/pipeline/postprocess.h"
#include "core/xsam/pipeline/preprocess.h"
#include "core/xsam/pipeline/prompts.h"
#include "core/xsam/weights/safetensors.h"
#include "tests/harness/plain_test.h"

using namespace xs;
using namespace xs::xsam;
using xs::plain_test::env_or;
using json = nlohmann::json;

namespace {

std::string dir() { return env_or("XS_OFFICIAL_GOLDENS", env_or("XS_SOURCE_DIR", ".") + "/tests/data/official"); }

struct Goldens {
    json manifest;
    SafeTensorsSet tensors;
};

const Goldens& goldens() {
    static const Goldens g = [] {
        Goldens r;
        std::ifstream in(dir() + "/manifest.json");
        XS_CHECK_MSG(in.good(), "cannot open " + dir() + "/manifest.json");
        r.manifest = json::parse(in);
        r.tensors = SafeTensorsSet::open(dir() + "/goldens.safetensors");
        return r;
    }();
    return g;
}

torch::Tensor tensor(const json& c, const char* key) { return goldens().tensors.get(c.at(key).get<std::string>()).clone(); }

std::vector<json> cases_of(const std::string& stage) {
    std::vector<json> out;
    for (const json& c : goldens().manifest.at("cases"))
        if (c.at("stage") == stage) out.push_back(c);
    return out;
}

// Row-major run lengths (first run: zeros) -> bool [h, w].
torch::Tensor decode_runs(const json& r) {
    const int64_t h = r.at("size")[0], w = r.at("size")[1];
    torch::Tensor m = torch::zeros({h * w}, torch::kBool);
    int64_t pos = 0;
    bool value = false;
    for (const json& n : r.at("runs")) {
        const int64_t len = n.get<int64_t>();
        if (value && len > 0) m.narrow(0, pos, len).fill_(true);
        pos += len;
        value = !value;
    }
    XS_CHECK_MSG(pos == h * w, "run lengths do not cover the mask");
    return m.view({h, w});
}

Mask to_xs_mask(const torch::Tensor& t) { return to_mask(t); }

double nmse(const torch::Tensor& ours, const torch::Tensor& ref) {
    torch::Tensor a = ours.to(torch::kFloat64), b = ref.to(torch::kFloat64);
    XS_CHECK_MSG(a.sizes() == b.sizes(), "shape " + std::to_string(a.numel()) + " vs " + std::to_string(b.numel()));
    const double den = b.pow(2).mean().item<double>();
    return (a - b).pow(2).mean().item<double>() / std::max(den, 1e-30);
}

int64_t differing(const torch::Tensor& a, const torch::Tensor& b) {
    XS_CHECK_MSG(a.sizes() == b.sizes(), "mask sizes differ");
    return (a.to(torch::kBool) != b.to(torch::kBool)).sum().item<int64_t>();
}

// Collects per-case results of one stage and fails at the end, naming every failed case.
struct Report {
    explicit Report(std::string name) : stage(std::move(name)) {}
    std::string stage;
    std::vector<std::string> failures;
    double worst = 0;
    int cases = 0;
    void line(const json& c, bool ok, const std::string& what) {
        ++cases;
        std::printf("  %-34s %-16s %-10s %s %s\n", c.at("name").get<std::string>().c_str(),
                    c.at("task").get<std::string>().c_str(), c.at("prompt_kind").get<std::string>().c_str(),
                    ok ? "ok  " : "FAIL", what.c_str());
        if (!ok) failures.push_back(c.at("name").get<std::string>() + ": " + what);
    }
    void nmse_line(const json& c, double e, const std::string& what) {
        worst = std::max(worst, e);
        const double tol = c.at("tolerance").value("max", 1e-6);
        line(c, e <= tol, what + " nmse " + std::to_string(e));
    }
    void finish() {
        std::printf("  stage %s: %d cases, worst nmse %.3g\n", stage.c_str(), cases, worst);
        std::string all;
        for (const auto& f : failures) all += "\n    " + f;
        XS_CHECK_MSG(failures.empty(), std::to_string(failures.size()) + " case(s) differ:" + all);
        XS_CHECK_MSG(cases > 0, "no case of stage " + stage + " in the manifest");
    }
};

CanvasGeometry geometry_of(const json& geo) {
    CanvasGeometry g;
    g.canvas = geo.at("canvas");
    g.scaled_h = geo.at("scaled")[0];
    g.scaled_w = geo.at("scaled")[1];
    g.height = geo.at("height");
    g.width = geo.at("width");
    return g;
}

DecoderOutput decoder_output(const json& c) { return {tensor(c, "class_logits"), tensor(c, "mask_logits")}; }

// Candidates drawn into one label map the way the official functions draw them: later ones over earlier.
torch::Tensor compose(const std::vector<Candidate>& cands, const CanvasGeometry& g, int64_t background,
                      const std::function<int64_t(const Candidate&)>& value) {
    torch::Tensor map = torch::full({g.height, g.width}, background, torch::kLong);
    for (const Candidate& c : cands) map.masked_fill_(c.mask, value(c));
    return map;
}

}  // namespace

// ---- visual prompts: drawn on the image grid, then onto the canvas -------------------------------------

XS_TEST(visual_prompts_match_the_official_rasterisation) {
    Report rep{"visual_prompt"};
    for (const json& c : cases_of("visual_prompt")) {
        const int w = c.at("image").at("width"), h = c.at("image").at("height");
        const json& p = c.at("prompt");
        const std::string kind = c.at("prompt_kind");
        Mask drawn;
        if (kind == "point") {
            drawn = draw_point(w, h, p.at("x").get<float>(), p.at("y").get<float>());
        } else if (kind == "scribble") {
            ScribblePrompt s;
            for (const json& q : p.at("points")) s.points.push_back({q[0].get<float>(), q[1].get<float>()});
            drawn = draw_scribble(w, h, s);
        } else if (kind == "box") {
            const json& b = p.at("box");
            drawn = draw_box(w, h, BoxPrompt{b[0].get<float>(), b[1].get<float>(), b[2].get<float>(), b[3].get<float>()});
        } else {
            drawn = to_xs_mask(decode_runs(p.at("mask")));
        }
        const CanvasGeometry g{c.at("canvas").get<int>(), c.at("scaled")[0].get<int>(), c.at("scaled")[1].get<int>(), h,
                               w};
        const auto size = sam_scaled_size(h, w, g.canvas);
        const torch::Tensor want = decode_runs(c.at("canvas_mask"));
        const int64_t image_diff = differing(from_mask(drawn), decode_runs(c.at("image_mask")));
        const int64_t canvas_diff = differing(to_canvas(g, drawn), want);
        // The engine's entry point: the prompt as a request of either task.
        SegmentRequest request;
        if (kind == "point") request.points = {{p.at("x").get<float>(), p.at("y").get<float>(), true}};
        if (kind == "scribble") {
            ScribblePrompt s;
            for (const json& q : p.at("points")) s.points.push_back({q[0].get<float>(), q[1].get<float>()});
            request.scribbles = {s};
        }
        if (kind == "box") {
            const json& b = p.at("box");
            request.boxes = {BoxPrompt{b[0].get<float>(), b[1].get<float>(), b[2].get<float>(), b[3].get<float>()}};
        }
        if (kind == "mask") request.mask_prompts = {drawn};
        int64_t region_diff = 0;
        for (Task task : {Task::Interactive, Task::VisualGrounded}) {
            request.task = task;
            RegionSet regions = build_regions(g, request);
            region_diff += regions.masks.size() == 1 ? differing(regions.masks[0], want) : want.numel();
        }
        const bool same_size = size.first == g.scaled_h && size.second == g.scaled_w;
        rep.line(c, image_diff == 0 && canvas_diff == 0 && region_diff == 0 && same_size,
                 "pixels differing: image " + std::to_string(image_diff) + ", canvas " + std::to_string(canvas_diff) +
                     ", interactive + VGD regions " + std::to_string(region_diff) +
                     (same_size ? "" : ", scaled size differs"));
    }
    rep.finish();
}

// ---- region sampler (deterministic sample on both sides) -----------------------------------------------

XS_TEST(region_features_match_the_official_sampler) {
    Report rep{"region_sampler"};
    std::map<std::string, torch::Tensor> canvases;
    for (const json& c : cases_of("visual_prompt")) canvases[c.at("name")] = decode_runs(c.at("canvas_mask"));
    for (const json& c : cases_of("region_sampler")) {
        std::vector<torch::Tensor> masks;
        for (const json& n : c.at("prompts")) masks.push_back(canvases.at(n.get<std::string>()).to(torch::kUInt8));
        torch::Tensor feats = region_features(tensor(c, "seg_tokens"), torch::stack(masks), c.at("num_points"));
        rep.nmse_line(c, nmse(feats, tensor(c, "features")), std::to_string(masks.size()) + " prompts,");
    }
    rep.finish();
}

// ---- <SEG> and phrase embeddings, class logits with bg_embeds ------------------------------------------

XS_TEST(phrase_embeddings_and_class_logits_match_the_official_functions) {
    Report rep{"embeddings"};
    XsamConfig cfg = load_config(env_or("XS_SOURCE_DIR", ".") + "/models/xsam-tiny.json");
    XsamModel model(cfg, default_build_options(), false);
    torch::NoGradGuard no_grad;
    for (const json& c : cases_of("embeddings")) {
        model->bg_embeds->weight.copy_(goldens().tensors.get("embeddings/bg_embeds"));
        model->segmentor->logit_scale.copy_(goldens().tensors.get("embeddings/logit_scale"));
        const std::vector<int64_t> ids = c.at("ids").get<std::vector<int64_t>>();
        torch::Tensor proj = tensor(c, "proj");
        Marks marks = find_marks(ids, 32012, 32013, 32011, ids.size());
        torch::Tensor phrases = phrase_embeddings(proj, marks);
        torch::Tensor seg = proj[marks.segs.front()].unsqueeze(0);
        torch::Tensor logits = model->class_logits(tensor(c, "queries").unsqueeze(0), phrases.unsqueeze(0))[0];
        const double e = std::max({nmse(phrases, tensor(c, "phrases")), nmse(seg, tensor(c, "seg")),
                                   nmse(logits, tensor(c, "class_logits"))});
        rep.nmse_line(c, e, std::to_string(marks.phrases.size()) + " phrases, phrases/<SEG>/logits");
    }
    rep.finish();
}

// ---- the <SEG> embedding into the decoder queries (X-SAM's Mask2Former copy) -------------------------------

XS_TEST(decoder_queries_match_the_official_transformer_module) {
    Report rep{"decoder_queries"};
    XsamConfig cfg = load_config(env_or("XS_SOURCE_DIR", ".") + "/models/xsam-tiny.json");
    XsamModel model(cfg, default_build_options(), false);
    SafeTensorsSet weights =
        SafeTensorsSet::open(env_or("XS_SOURCE_DIR", ".") + "/tests/data/xsam_vision_tiny_weights.safetensors");
    torch::NoGradGuard no_grad;
    for (auto& p : model->segmentor->decoder->named_parameters(true))
        p.value().copy_(weights.get("segmentor.decoder." + p.key()));
    for (auto& b : model->segmentor->decoder->named_buffers(true))
        b.value().copy_(weights.get("segmentor.decoder." + b.key()));
    VisionFeatures f;
    const Goldens& gs = goldens();
    f.multi_scale_features = {gs.tensors.get("decoder/level0"), gs.tensors.get("decoder/level1"),
                              gs.tensors.get("decoder/level2")};
    f.mask_features = gs.tensors.get("decoder/mask_features");
    for (const json& c : cases_of("decoder_queries")) {
        c10::optional<torch::Tensor> seg;
        if (!c.at("seg").is_null()) seg = tensor(c, "seg").unsqueeze(0);
        // Both ways the engine can run it: straight, and on the per-image memory prepare() keeps.
        VisionFeatures direct = f;
        MaskDecoderOutput a = model->decode(direct, seg, false);
        VisionFeatures cached = f;
        cached.decoder_memory = model->segmentor->decoder->prepare_memory(f.multi_scale_features, f.mask_features);
        MaskDecoderOutput b = model->decode(cached, seg, false);
        const double e = std::max({nmse(a.query_states.back()[0], tensor(c, "query_states")),
                                   nmse(a.mask_logits.back()[0], tensor(c, "mask_logits")),
                                   nmse(b.query_states.back()[0], tensor(c, "query_states")),
                                   nmse(b.mask_logits.back()[0], tensor(c, "mask_logits"))});
        rep.nmse_line(c, e, std::string(seg ? "with" : "without") + " <SEG>, query states and masks, direct and cached,");
    }
    rep.finish();
}

// ---- post-processing of every task ------------------------------------------------------------------------

namespace {

// Our instances against the official ones as sets: same (label, mask) pairs, scores within the NMSE.
void compare_instances(Report& rep, const json& c, const std::vector<Candidate>& ours) {
    std::vector<bool> used(ours.size(), false);
    int64_t unmatched = 0;
    std::vector<float> a, b;
    for (const json& inst : c.at("instances")) {
        torch::Tensor m = decode_runs(inst.at("mask"));
        bool found = false;
        for (size_t i = 0; i < ours.size() && !found; ++i)
            if (!used[i] && ours[i].label == inst.at("label").get<int>() && differing(ours[i].mask, m) == 0) {
                used[i] = found = true;
                a.push_back(ours[i].score);
                b.push_back(inst.at("score").get<float>());
            }
        if (!found) ++unmatched;
    }
    const size_t extra = size_t(std::count(used.begin(), used.end(), false));
    const double e = a.empty() ? 0.0 : nmse(torch::tensor(a), torch::tensor(b));
    rep.line(c, unmatched == 0 && extra == 0 && e <= 1e-6,
             std::to_string(c.at("instances").size()) + " instances, " + std::to_string(unmatched) + " unmatched, " +
                 std::to_string(extra) + " extra, score nmse " + std::to_string(e));
}

void compare_panoptic(Report& rep, const json& c, const std::vector<Candidate>& ours, const CanvasGeometry& g) {
    // The official segmentation holds ids; segments_info names each id's class. Every official id's
    // pixels must be exactly one of our segments, or -- where the official id counter hands one id to
    // two segments (compute_segments resets it to a fused stuff id) -- the union of ours of those labels.
    torch::Tensor seg = tensor(c, "segmentation");
    std::map<int, std::set<int>> labels_of;
    std::set<std::pair<int, float>> official_scores;
    for (const json& s : c.at("segments")) {
        labels_of[s.at("id")].insert(s.at("label").get<int>());
        official_scores.insert({s.at("label").get<int>(), s.at("score").get<float>()});
    }
    int64_t bad = 0;
    size_t covered = 0;
    for (const auto& [id, labels] : labels_of) {
        torch::Tensor want = seg == id;
        torch::Tensor got = torch::zeros({g.height, g.width}, torch::kBool);
        size_t n = 0;
        for (const Candidate& cand : ours)
            if (labels.count(cand.label) && (cand.mask & want).any().item<bool>()) {
                got |= cand.mask;
                ++n;
            }
        covered += n;
        if (differing(got, want) != 0 || n == 0 || (labels.size() == 1 && n != 1)) ++bad;
    }
    int64_t bad_scores = 0;
    for (const Candidate& cand : ours) {
        bool found = false;
        for (const auto& [label, score] : official_scores)
            if (label == cand.label && std::fabs(score - cand.score) <= 5e-7f) found = true;
        if (!found) ++bad_scores;
    }
    const bool ok = bad == 0 && bad_scores == 0 && covered == ours.size() && (seg == 0).equal(
        compose(ours, g, 0, [](const Candidate&) { return int64_t(1); }) == 0);
    rep.line(c, ok, std::to_string(labels_of.size()) + " official ids, " + std::to_string(ours.size()) +
                        " segments ours, " + std::to_string(bad) + " ids differing, " + std::to_string(bad_scores) +
                        " scores unmatched");
}

}  // namespace

XS_TEST(post_processing_matches_the_official_functions) {
    Report rep{"postprocess"};
    for (const json& c : cases_of("postprocess")) {
        const CanvasGeometry g = geometry_of(c.at("geometry"));
        const DecoderOutput d = decoder_output(c);
        const std::string task = c.at("task");
        if (task == "referring" || task == "reasoning") {
            std::vector<Candidate> r = best_query_per_class(d, g, 0.5f);
            const int64_t diff = differing(r.at(0).mask, decode_runs(c.at("mask")));
            const double ds = std::fabs(r.at(0).score - c.at("score").get<double>());
            rep.line(c, r.size() == 1 && diff == 0 && ds <= 5e-7,
                     "mask pixels differing " + std::to_string(diff) + ", score diff " + std::to_string(ds));
        } else if (task == "grounded_caption") {
            std::vector<Candidate> r = best_query_per_class(d, g, 0.5f);
            torch::Tensor map = compose(r, g, 255, [](const Candidate& k) { return int64_t(k.label + 1); });
            const int64_t diff = differing(map != 255, tensor(c, "segmentation") != 255) +
                                 (map != tensor(c, "segmentation")).sum().item<int64_t>();
            double ds = 0;
            for (size_t i = 0; i < r.size(); ++i) ds = std::max(ds, std::fabs(r[i].score - c.at("scores")[i].get<double>()));
            rep.line(c, diff == 0 && ds <= 5e-7 && r.size() == c.at("scores").size(),
                     "label map pixels differing " + std::to_string(diff) + ", worst score diff " + std::to_string(ds));
        } else if (task == "generic" || task == "open_vocabulary") {
            const std::string mode = c.at("mode");
            if (mode == "instance") {
                compare_instances(rep, c, instance_candidates(d, g, c.at("threshold").get<float>(), false));
            } else if (mode == "semantic") {
                std::vector<Candidate> r = semantic_segments(d, g);
                torch::Tensor map = compose(r, g, -1, [](const Candidate& k) { return int64_t(k.label); });
                const int64_t diff = (map != tensor(c, "segmentation")).sum().item<int64_t>();
                rep.line(c, diff == 0, "class map pixels differing " + std::to_string(diff));
            } else {
                compare_panoptic(rep, c,
                                 panoptic_segments(d, g, c.at("threshold").get<float>(), 0.5f, 0.8f,
                                                   c.at("stuff").get<std::vector<int>>()),
                                 g);
            }
        } else if (task == "visual_grounded") {
            compare_instances(rep, c, instance_candidates(d, g, c.at("threshold").get<float>(), false));
        } else if (task == "interactive") {
            std::vector<Candidate> cands = instance_candidates(d, g, c.at("threshold").get<float>(), true);
            torch::Tensor prompt = region_to_image(decode_runs(c.at("canvas_mask")).to(torch::kUInt8), g);
            const int chosen = choose_interactive(cands, prompt, {});
            torch::Tensor want = decode_runs(c.at("mask"));
            const float want_score = c.at("score").get<float>();
            const bool found = chosen >= 0;
            const int64_t diff = found ? differing(cands[size_t(chosen)].mask, want) : -1;
            const double ds = found ? std::fabs(cands[size_t(chosen)].score - want_score) : 1.0;
            if (!found || diff == 0) {
                rep.line(c, found && ds <= 5e-7,
                         "chosen mask pixels differing " + std::to_string(diff) + ", score diff " + std::to_string(ds));
                continue;
            }
            // A different candidate is only acceptable as another one with exactly the same box overlap:
            // the reference breaks such ties by torch.topk(sorted=False) order, we by the best score.
            const auto pbox = mask_box(prompt);
            const float ours_iou = box_iou(mask_box(cands[size_t(chosen)].mask), pbox);
            const float official_iou = box_iou(mask_box(want), pbox);
            bool official_is_candidate = false;
            for (const Candidate& k : cands)
                if (differing(k.mask, want) == 0 && std::fabs(k.score - want_score) <= 5e-7f) official_is_candidate = true;
            rep.line(c, official_is_candidate && ours_iou == official_iou && cands[size_t(chosen)].score >= want_score,
                     "tie in box overlap " + std::to_string(ours_iou) + " broken by score: ours " +
                         std::to_string(cands[size_t(chosen)].score) + ", official (topk order) " +
                         std::to_string(want_score));
        } else {
            rep.line(c, false, "unknown task");
        }
    }
    rep.finish();
}

// ---- preprocessing: the uint8 images PIL makes ----------------------------------------------------------

XS_TEST(preprocessing_resizes_like_pil) {
    Report rep{"preprocess"};
    std::vector<json> all = cases_of("preprocess_sam");
    for (const json& c : cases_of("preprocess_siglip")) all.push_back(c);
    for (const json& c : all) {
        const Image image = load_image(dir() + "/" + c.at("image").get<std::string>());
        const Image want = load_image(dir() + "/" + c.at("resized").get<std::string>());
        Image resized;
        if (c.at("stage") == "preprocess_sam")
            resized = pil_resize(image, c.at("scaled")[1].get<int>(), c.at("scaled")[0].get<int>(), "bilinear");
        else
            resized = pil_resize(expand_to_square(image, 127), c.at("size").get<int>(), c.at("size").get<int>(),
                                 c.at("resample").get<std::string>());
        torch::Tensor ours = image_to_tensor(resized, torch::kCPU);
        torch::Tensor ref = image_to_tensor(want, torch::kCPU);
        const int64_t diff = (ours != ref).sum().item<int64_t>();
        const double worst = (ours - ref).abs().max().item<double>();
        rep.line(c, diff == 0,
                 std::to_string(diff) + " of " + std::to_string(ref.numel()) + " values differ (" +
                     std::to_string(100.0 * double(diff) / double(ref.numel())).substr(0, 5) + "%), max " +
                     std::to_string(int(worst)) + " grey level(s)");
    }
    rep.finish();
}

XS_TEST(manifest_names_the_official_commit) {
    const json& m = goldens().manifest;
    XS_CHECK(m.at("official_branch") == "AAAI26_Archive");
    XS_CHECK_MSG(m.at("official_commit").get<std::string>().size() == 40, m.at("official_commit").dump());
    std::set<std::string> tasks, kinds;
    for (const json& c : m.at("cases")) {
        tasks.insert(c.at("task"));
        if (c.at("stage") == "visual_prompt") kinds.insert(c.at("prompt_kind"));
    }
    for (const char* t : {"interactive", "visual_grounded", "referring", "reasoning", "generic", "open_vocabulary",
                          "grounded_caption"})
        XS_CHECK_MSG(tasks.count(t), std::string("no case for task ") + t);
    XS_CHECK(kinds == (std::set<std::string>{"point", "scribble", "box", "mask"}));
}

XS_TEST_MAIN()
