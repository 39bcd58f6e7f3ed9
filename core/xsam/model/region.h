#pragma once
// Region sampler (X-SAM's "vision_sampler", naive type; no weights): one LLM-width feature per
// visual-prompt mask. The mask's pixels (row, col) are normalised to (row/H, col/W), num_points of them
// are kept, the seg_projector output laid out as an h x w x C map is sampled bilinearly at
// (x, y) = (col/W, row/H) with align_corners=True, and the samples are max-pooled.
// The reference draws the points at random; here the choice is deterministic: all pixels when there
// are at most num_points (repeats, as the reference adds, do not change a max-pool), else num_points
// pixels evenly spaced in raster order (index floor(i * count / num_points)).
#include "core/xsam/model/vision_layers.h"

namespace xs::xsam {

// Deterministic sample of a [H, W] mask's pixels: [P, 2] float (row/H, col/W), P = min(count, num_points).
// Throws xs::Error for an empty mask.
torch::Tensor region_sample_points(const torch::Tensor& mask, int64_t num_points);

// seg_tokens: [h*w, C] (square h = w) or [h, w, C]; masks: [K, H, W] (any dtype, non-zero = inside)
// -> [K, C] in seg_tokens' dtype (sampling in fp32).
torch::Tensor region_features(const torch::Tensor& seg_tokens, const torch::Tensor& masks, int64_t num_points);

}  // namespace xs::xsam
