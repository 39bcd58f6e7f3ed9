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
//   std::vector<InstanceResult> again = postprocess_inspection(in, 0.3f, 0.5f);  // no model pass
//   std::string json = inspection_to_json(in);
//
// postprocess_inspection() re-runs only the post-processing with other thresholds. It follows the
// X-SAM rules of core/xsam/pipeline/postprocess.h (bilinear resize with align_corners=false from the decoder's
// grid to the S x S canvas, crop to the scaled image, bilinear resize to the original size):
//   BestPerClass  referring / reasoning / caption: per class the query with the highest class
//                 probability; mask = probability > mask_threshold.
//   Instances     generic / open-vocabulary / VGD: the top Q (query, class) pairs by class
//                 probability; mask = probability > mask_threshold; score = class probability x mean
//                 mask probability inside; kept when >= threshold. At mask_threshold 0.5 this is the
//                 reference's logit > 0, which the engine itself always uses for these tasks; other
//                 mask thresholds are the inspector's extension.
//   Interactive   Instances with the best one always kept, then the candidate whose box overlaps the
//                 positive prompt's box best (candidates covering negative prompts last).
// Computed in float like the engine's own pass, so masks may differ from segment()'s in the odd pixel
// whose probability lies within float rounding of the threshold.
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
    enum class Rule { BestPerClass, Instances, Interactive, None };

    std::string engine;
    Task task = Task::Interactive;
    Rule rule = Rule::None;
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
    // One query's mask logits at the original image size (row-major H x W).
    std::vector<float> query_logits_at_image(int query) const;
    // One query's probabilities on its own grid (mask_h x mask_w), for thumbnails.
    std::vector<float> query_probs(int query) const;
};

// The instances the engine's post-processing gives for these thresholds (see the header comment).
std::vector<InstanceResult> postprocess_inspection(const Inspection& inspection, float score_threshold,
                                                   float mask_threshold);

// The whole inspection as JSON: tokens, labels, regions (RLE canvases, "canvas_pixels" = the set pixels
// on the S x S canvas, sampled points), queries with class probabilities, sorted order, thresholds,
// geometry, timings; mask grids as float arrays. Written by the GUI's inspector and by
// `xsam-cli segment --inspect OUT.json`.
std::string inspection_to_json(const Inspection& inspection, bool with_mask_grids = true);

// Bilinear resize with align_corners = false (torch.nn.functional.interpolate's rule), float.
std::vector<float> resize_bilinear(const std::vector<float>& src, int src_h, int src_w, int dst_h, int dst_w);

// IoU of two boxes (x0, y0, x1, y1); 0 where the union is empty (detectron2's pairwise_iou). Shared by
// this post-processing and the X-SAM engine's (core/xsam/postprocess).
float box_iou(const std::array<float, 4>& a, const std::array<float, 4>& b);

}  // namespace xs
