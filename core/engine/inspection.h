#pragma once
// What a model saw and produced for one request, for researchers (the GUI's inspector), without any
// LibTorch type: the exact token sequence, the rasterised visual prompts with the points the region
// sampler took, every decoder query's low-resolution mask probabilities with its class scores, and
// per-stage timings. Filled by an engine when SegmentRequest::inspect is set (X-SAM does it in
// core/xsam/engine/inspection.cpp) and carried by SegmentResult::inspection.
//
//   SegmentRequest req = ...; req.inspect = true;
//   SegmentResult res = engine->segment(*prepared, req, cancel);
//   const Inspection& in = *res.inspection;
//   std::vector<InstanceResult> again = engine->postprocess(in, 0.3f, 0.5f);  // no model pass
//   std::string json = inspection_to_json(in);
//
// The engine that made an inspection re-runs its own post-processing over it at other thresholds
// (Engine::postprocess): one implementation, the engine's. `rule` names which one, for people.
#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/engine/engine.h"
#include "core/mask/mask.h"
#include "core/util/timer.h"

namespace xs {

struct InspectionToken {
    int64_t id = 0;     // the tokenizer's id; the model's placeholders are negative (image -200, region -300)
    std::string text;   // the piece as text ("<image>", "<region>", "<|user|>", " cat", ...)
    bool prefix = false;  // part of the per-image prefix (cached by prepare())
    int repeat = 1;     // positions it stands for (the image placeholder: every image embedding)
};

struct InspectionRegion {
    std::string label;  // "point 1", "box 1", "mask 1", ...
    Mask canvas;        // the rasterised prompt on the S x S model canvas (image at its top-left)
    // The points the region sampler read, as (x, y) canvas pixels (column, row), in sampling order.
    std::vector<std::pair<float, float>> sampled_points;
};

struct InspectionQuery {
    int index = 0;                    // the decoder query
    std::vector<float> class_probs;   // one per class (softmax over classes + background, background dropped)
    float background_prob = 0.f;
};

struct Inspection {
    // TextOnly: a generated answer without a decoder pass (chat): nothing to post-process.
    enum class Rule { BestPerClass, Instances, Interactive, Panoptic, Semantic, TextOnly };

    std::string engine;
    std::string device;         // where and in which precision it ran: "cpu, bf16 compute (auto: ...)"
    std::string precision_why;  // why that precision, in a sentence
    Task task = Task::Interactive;
    Rule rule = Rule::Instances;
    std::string question;                 // the question text (the region placeholders as "<region>")
    std::string answer;                   // the teacher-forced or generated answer
    std::vector<InspectionToken> tokens;  // the whole sequence the LLM read, prefix first
    std::vector<std::string> labels;      // the classes (phrases, categories, visual prompts)
    std::vector<InspectionRegion> regions;

    // Decoder output of the last level: Q queries, each a mask_h x mask_w grid of mask logits
    // (probability = sigmoid) covering the whole canvas, row-major, query after query.
    int num_queries = 0;
    int mask_h = 0, mask_w = 0;
    std::vector<float> mask_logits;       // Q * mask_h * mask_w
    std::vector<float> class_logits;      // Q * (classes + 1), background last: the raw class scores
    std::vector<InspectionQuery> queries;

    // Geometry: the S x S canvas, the scaled image (scaled_w x scaled_h at its top-left), the original.
    int canvas = 0, scaled_w = 0, scaled_h = 0, width = 0, height = 0;

    // Interactive rule only: the positive prompt's box at the original size (x0, y0, x1, y1, as
    // detectron2: exclusive ends) and the negative prompts' rasters at the original size.
    float prompt_box[4] = {0, 0, 0, 0};
    std::vector<Mask> negatives;

    float score_threshold = 0.5f;  // what the request used
    float mask_threshold = 0.5f;
    std::vector<StageTiming> timings;  // prepare (when it ran for this request) and segment stages

    // Queries sorted by their best class probability, highest first (indices into `queries`).
    std::vector<int> queries_by_score() const;
    // One query's probabilities on its own grid (mask_h x mask_w), for thumbnails.
    std::vector<float> query_probs(int query) const;
};

const char* rule_name(Inspection::Rule rule);  // "best_per_class", "instances", ...

// The whole inspection as JSON: tokens, labels, regions (RLE canvases, "canvas_pixels" = the set pixels
// on the S x S canvas, sampled points), queries with class probabilities, sorted order, thresholds,
// geometry, timings; mask grids as float arrays. Written by the GUI's inspector and by
// `xsam-cli segment --inspect OUT.json`.
std::string inspection_to_json(const Inspection& inspection, bool with_mask_grids = true);

}  // namespace xs
