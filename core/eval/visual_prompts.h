#pragma once
// Visual prompts of a ground-truth instance (point, scribble, box, mask), for the interactive and
// visual-grounded evaluations. X-SAM's data carries them per annotation as rasterised masks (its
// dataset/utils/vprompt.py made them, at random); where a data set has none, they are derived here
// from the instance's mask by the same recipe with every random choice fixed, so results repeat:
//
// - the mask's 8-connected parts larger than 5 pixels (regionprops with min_area 5) each get
// - point: the part's pixel nearest its centroid (first in row-major order on a tie); rasterised as
//   a disc of radius 10 pixels (the reference: a random pixel of the part near its centroid);
// - scribble: a sine-wave line along the main diagonal of the part's box shrunk to 0.85 about the
//   centroid, amplitude 15 pixels, 0.6 periods, phase 0; rasterised with discs of radius 5 (the
//   reference: scale 0.5-1.2, a random diagonal, amplitude 10-20, 0.2-1 periods, a random phase);
// - box: the part's bounding box (the reference: scaled by 0.9-1.1);
// - mask: the whole mask blurred with a Gaussian of sigma 2 (scipy.ndimage's gaussian_filter:
//   radius 8, reflected border), kept where the blur exceeds its mean over the image (as the
//   reference; this one has no randomness).
//
//   xs::eval::VisualPrompt p = xs::eval::derive_prompt(gt_mask, xs::eval::PromptType::Box);
//   if (!p.empty()) { request.boxes = p.boxes; ... vgd_request.mask_prompts.push_back(p.raster); }
#include <optional>
#include <string>
#include <vector>

#include "core/engine/engine.h"
#include "core/mask/mask.h"

namespace xs::eval {

enum class PromptType { Point, Scribble, Box, Mask };
const char* prompt_type_name(PromptType type);  // "point", "scribble", "box", "mask"
std::optional<PromptType> prompt_type_from_name(const std::string& name);
const std::vector<PromptType>& all_prompt_types();

struct VisualPrompt {
    // The prompt as a user would give it (pixel centres at +0.5): points, boxes or scribbles, or the
    // mask itself for PromptType::Mask.
    std::vector<PointPrompt> points;
    std::vector<BoxPrompt> boxes;
    std::vector<ScribblePrompt> scribbles;
    // The prompt rasterised at the image size, as X-SAM's data holds it.
    Mask raster;
    bool empty() const { return !raster.any(); }
};

VisualPrompt derive_prompt(const Mask& ground_truth, PromptType type);

// scipy.ndimage.gaussian_filter(mask, sigma) (truncate 4, mode "reflect"), row-major, in double.
std::vector<double> gaussian_blur(const Mask& mask, double sigma);

}  // namespace xs::eval
