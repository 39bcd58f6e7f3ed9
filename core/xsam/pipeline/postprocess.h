#pragma once
// From decoder outputs to masks at the original image size, per task, following the reference's
// post-processing functions (X-SAM AAAI26_Archive, xsam/dataset/process_fns/postprocess_fns/*):
//   referring / reasoning / grounded caption: for each class (phrase) the query with the highest
//     class probability; mask = sigmoid(logit) > mask_threshold.
//   instance (generic, open-vocabulary, VGD, interactive candidates): the top num_queries (query, class)
//     pairs by class probability; mask = sigmoid(logit) > mask_threshold (the reference's logit > 0 at
//     the default 0.5); score = class probability x mean mask probability inside the mask; kept when
//     score >= threshold (interactive also keeps the best one).
//   semantic: per pixel argmax over classes of sum_q p(class | q) sigmoid(mask_q); one mask per class.
//   panoptic: Mask2Former's compute_segments (score > threshold, score-weighted argmax, overlap 0.8, stuff
//     classes fused into one segment each).
//   interactive: among the candidates, the one whose box best overlaps the prompt's box.
// Class probabilities are the softmax over the classes plus background, background dropped.
//
// Only the last decoder level is used. Its mask logits (any resolution covering the S x S canvas) are
// upsampled bilinearly to S x S (align_corners=false), cropped to (h', w') and resized bilinearly to the
// original size, one query (or a few) at a time so that large images never hold Q full-size maps.
// Scores are exact: a (query, class) pair is only upsampled when its class probability can still reach
// the threshold (the mask score is at most 1).
#include <torch/torch.h>

#include <array>
#include <vector>

#include "core/mask/mask.h"
#include "core/xsam/pipeline/prompts.h"

namespace xs::xsam {

struct DecoderOutput {
    torch::Tensor class_logits;  // [Q, C + 1], background last
    torch::Tensor mask_logits;   // [Q, h, w] over the whole S x S canvas
};

struct Candidate {
    int query = -1;
    int label = -1;     // class index (phrase / category / visual prompt)
    float score = 0.f;  // in [0, 1]
    torch::Tensor mask; // bool [H, W] on the CPU
};

// Logits of the given queries at the original image size, float32 [N, H, W] on the logits' device.
torch::Tensor masks_to_image(const torch::Tensor& mask_logits, const CanvasGeometry& g);
// The same by upsampling the whole S x S canvas and cropping it (the reference's order; masks_to_image
// upsamples only the image's part where that gives the same result, and is tested against this).
torch::Tensor masks_to_image_whole_canvas(const torch::Tensor& mask_logits, const CanvasGeometry& g);

// The reference's mask score of one upsampled query's logits [H, W]: the mean probability inside its
// mask (logit > cut; cut 0 is probability 0.5). The mask (bool [H, W]) is returned through `mask`.
float mask_score(const torch::Tensor& logits_hw, float cut, torch::Tensor* mask = nullptr);

// Class probabilities [Q, C] (softmax over C + 1, background dropped), float32.
torch::Tensor class_probs(const torch::Tensor& class_logits);

std::vector<Candidate> best_query_per_class(const DecoderOutput& out, const CanvasGeometry& g, float mask_threshold);
std::vector<Candidate> instance_candidates(const DecoderOutput& out, const CanvasGeometry& g, float threshold,
                                           bool keep_best, float mask_threshold = 0.5f);
std::vector<Candidate> semantic_segments(const DecoderOutput& out, const CanvasGeometry& g);
// `stuff`: class indices whose segments are fused into one per class (the reference's label_ids_to_fuse):
// the first segment of the class in query order takes the others' pixels and keeps its score.
std::vector<Candidate> panoptic_segments(const DecoderOutput& out, const CanvasGeometry& g, float threshold,
                                         float mask_threshold = 0.5f, float overlap_threshold = 0.8f,
                                         const std::vector<int>& stuff = {});

// detectron2's box of a binary mask: (x0, y0, x1 + 1, y1 + 1); all zero when empty.
std::array<float, 4> mask_box(const torch::Tensor& mask);
float box_iou(const std::array<float, 4>& a, const std::array<float, 4>& b);

// Interactive choice. `prompt_mask` is the region at the original size (bool [H, W]). Negative prompts
// (the reference has none; this engine's rule): `negatives` are their rasters at the original size.
//   1. candidates covering the fewest negative prompts are preferred (normally: none);
//   2. among those, the reference's rule: the best box overlap with the positive prompt;
//   3. pixels of the negative rasters are removed from the chosen mask (only matters when every
//      candidate covered a negative prompt).
// Returns the index of the chosen candidate (its mask edited in place), -1 when there is none.
int choose_interactive(std::vector<Candidate>& candidates, const torch::Tensor& prompt_mask,
                       const std::vector<torch::Tensor>& negatives);
// The same with the positive prompt's box (mask_box of its region) given directly.
int choose_interactive(std::vector<Candidate>& candidates, const std::array<float, 4>& prompt_box,
                       const std::vector<torch::Tensor>& negatives);

// Region canvas (uint8 [S, S]) -> bool [H, W] at the original size (torch "nearest" of the (h', w') crop).
torch::Tensor region_to_image(const torch::Tensor& region, const CanvasGeometry& g);

Mask to_mask(const torch::Tensor& mask);     // bool/uint8 [H, W] -> xs::Mask
torch::Tensor from_mask(const Mask& mask);   // xs::Mask -> bool [H, W] (CPU)

}  // namespace xs::xsam
