#pragma once
// Mask average precision exactly as pycocotools' COCOeval computes it for iouType "segm" with its
// default parameters (IoU thresholds .50:.05:.95, 101 recall points, area ranges all / small < 32^2 /
// medium < 96^2 / large, at most 1 / 10 / 100 detections per image).
//
//   xs::eval::MaskApEvaluator ap({1, 2, 3});              // the category ids (COCOeval: every category)
//   ap.add_image(7, ground_truth_of_image_7, detections_of_image_7);
//   ...
//   xs::eval::MaskApSummary s = ap.summarize();           // s.stats[0] = AP, as COCOeval.stats
//
// What COCOeval does and this reproduces (tests/eval/test_eval checks agreement to 1e-6 with COCOeval
// itself on the cases in tests/data/eval/coco_eval_goldens.json):
// - a ground-truth instance with iscrowd is "ignored"; so is one whose area field lies outside the area
//   range (the annotation's "area" field, not the mask's pixel count);
// - IoU against a crowd instance is intersection / detection area; detections are matched in score
//   order (ties: the order given), each to the best still unmatched instance with IoU >= threshold,
//   preferring instances that are not ignored; on equal IoU the later instance wins;
// - an unmatched detection whose own area lies outside the range is ignored;
// - precision is made monotone and read at the recall points (side "left"), detections of all images
//   sorted by score with ties in image-id order, then in the order given;
// - a category without unignored ground truth in the evaluated images has no precision (-1) and is
//   left out of the means; a summary without any such category is -1.
// The evaluation of each image is kept in a small per-image record (scores and match flags, no
// masks), so images may be added one at a time and evaluators of disjoint image sets merged.
#include <array>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/mask/mask.h"

namespace xs::eval {

struct GroundTruthInstance {
    int64_t id = 0;           // annotation id (as COCOeval, a match to id 0 does not count)
    int64_t category_id = 0;
    Rle mask;
    double area = 0;          // the annotation's "area" field: what the area ranges look at
    bool iscrowd = false;
};

struct Detection {
    int64_t category_id = 0;
    Rle mask;
    double score = 0;
};

// COCOeval.stats, in its order.
struct MaskApSummary {
    static constexpr int kStats = 12;
    static const std::array<const char*, kStats>& names();  // "AP", "AP50", "AP75", "APs", ..., "ARl"
    std::array<double, kStats> stats{};
    // AP@[.50:.95] of each category that has unignored ground truth (detectron2's per-category AP).
    std::map<int64_t, double> ap_per_category;
};

// IoU of two RLE masks as pycocotools' rleIou: intersection / union, or intersection / area(dt) when
// the ground truth is a crowd; 0 when they do not intersect. Both must have the same size.
double rle_iou(const Rle& dt, const Rle& gt, bool gt_is_crowd);
int64_t rle_intersection_area(const Rle& a, const Rle& b);

class MaskApEvaluator {
public:
    explicit MaskApEvaluator(std::vector<int64_t> category_ids);

    // One image's ground truth and detections, in the order they come (the ground-truth file's order,
    // the engine's order): COCOeval breaks ties by it. Every mask must have the same size. Detections
    // of categories not in the list are ignored, as COCOeval ignores them. An image may be added once.
    void add_image(int64_t image_id, const std::vector<GroundTruthInstance>& ground_truth,
                   const std::vector<Detection>& detections);

    MaskApSummary summarize() const;
    int images() const { return int(images_.size()); }

    // The per-image records, for merging evaluations of disjoint image sets (shards).
    nlohmann::json to_json() const;
    static MaskApEvaluator from_json(const nlohmann::json& j, const std::string& source);
    void merge(const MaskApEvaluator& other);  // throws xs::Error on other categories or a shared image

private:
    static constexpr int kThresholds = 10;
    static constexpr int kRecallPoints = 101;
    static constexpr int kAreaRanges = 4;
    // COCOeval's evaluateImg() result for one (image, category, area range), at most 100 detections.
    struct ImageEval {
        int64_t image_id = 0;
        std::vector<double> scores;            // sorted, highest first
        std::vector<uint8_t> matched;          // [threshold][detection]
        std::vector<uint8_t> ignored;          // [threshold][detection]
        int64_t counted_ground_truth = 0;      // instances not ignored in this area range
    };
    // evals_[category index][area range]: one entry per image where the category has ground truth or
    // detections, in the order added (sorted by image id when accumulating).
    std::vector<int64_t> categories_;
    std::vector<std::array<std::vector<ImageEval>, kAreaRanges>> evals_;
    std::vector<int64_t> images_;

    void evaluate_category(int64_t image_id, size_t k, const std::vector<const GroundTruthInstance*>& gt,
                           const std::vector<const Detection*>& dt);
    static void accumulate(const std::vector<const ImageEval*>& E, int64_t counted, size_t max_det,
                           std::vector<double>& precision, std::vector<double>& recall);
};

}  // namespace xs::eval
