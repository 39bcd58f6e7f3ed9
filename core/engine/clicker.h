#pragma once
// The standard clicker of interactive-segmentation benchmarks (RITM, SimpleClick, SAM), shared by
// `xsam-cli bench-interactive` and the tests.
//
//   xs::Mask pred(gt.width(), gt.height());            // nothing predicted yet
//   auto click = xs::next_click(gt, pred);             // first click: the interior-most object pixel
//   while (click) { ...segment with all clicks so far...; click = xs::next_click(gt, pred); }
//
// Rule: the error regions are false negatives (gt and not pred) and false positives (pred and not gt).
// For each, the Euclidean distance transform is taken with the image border counting as background;
// the next click goes to the pixel of largest distance of the region whose maximum is larger (false
// negative on a tie) and is positive for a false negative, negative for a false positive. Among equal
// maxima the first pixel in row-major order wins.
#include <optional>
#include <vector>

#include "core/mask/mask.h"

namespace xs {

struct Click {
    int x = 0, y = 0;    // pixel column and row (the prompt point is the pixel centre, x + 0.5)
    bool positive = true;
    float distance = 0;  // distance of the pixel to the nearest non-error pixel or the border
};

// Exact Euclidean distance of every set pixel of `region` to the nearest unset pixel, pixels outside
// the mask counting as unset (so a region touching the border is 1 there). Unset pixels get 0.
std::vector<float> distance_to_border(const Mask& region);

// The next click for prediction `pred` of the object `gt` (same size; xs::Error otherwise), or
// nullopt when the prediction is exact.
std::optional<Click> next_click(const Mask& gt, const Mask& pred);

// Intersection over union; 1 when both are empty (a perfect answer to an empty object).
double clicker_iou(const Mask& gt, const Mask& pred);

// Number of clicks until the IoU first reaches `threshold` (ious[k] = IoU after k+1 clicks), or
// `max_clicks` when it never does.
int clicks_to_reach(const std::vector<double>& ious, double threshold, int max_clicks);

}  // namespace xs

namespace xs {

class Engine;
class PreparedImage;
class CancelToken;

// One object driven by the clicker: IoU and segment() milliseconds after each click, the clicks
// made, and the masks after the first and the last click (for looking at where clicks go).
struct ClickerRun {
    std::vector<double> ious;
    std::vector<double> ms;
    std::vector<Click> clicks;
    Mask first_mask, last_mask;
};

// Runs the clicker on one object: click k's request carries all k clicks (pixel centres) and the
// previous mask (from click 2 on). Stops after `max_clicks`, or once the IoU has reached
// `stop_iou` and at least `min_clicks` were made, or when the prediction is exact.
ClickerRun run_clicker(Engine& engine, const PreparedImage& prepared, const Mask& gt, int max_clicks,
                       double stop_iou, int min_clicks, const CancelToken& cancel);

}  // namespace xs
