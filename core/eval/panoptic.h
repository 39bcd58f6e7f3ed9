#pragma once
// Panoptic quality (PQ = SQ x RQ) as panopticapi's pq_compute, which X-SAM's evaluation
// (xsam/evaluation/utils/pq.py, branch AAAI26_Archive) carries unchanged.
//
//   xs::eval::PanopticEvaluator pq({1, 2, 3});
//   pq.add_image(w, h, ground_truth_segments, predicted_segments);
//   xs::eval::PanopticSummary s = pq.summarize();        // s.pq, s.sq, s.rq, s.categories
//
// Per image, each side becomes a label map: ground-truth segments are painted in the order given
// (a later one covers an earlier one, as instances are drawn), predicted segments so that an earlier
// one keeps its pixels (engines list their best first); a segment left without pixels is dropped.
// Then, as pq_compute:
// - a ground-truth segment and a predicted segment of the same category match when
//   IoU > 0.5, the union leaving out the prediction's pixels on unlabelled (void) ground truth;
//   crowd segments never match;
// - unmatched ground truth that is not crowd is a false negative;
// - an unmatched prediction is a false positive unless more than half of it lies on void or on the
//   crowd segment of its category (the last crowd segment of that category in the given order);
// - per category PQ = sum IoU / (TP + FP/2 + FN/2), SQ = sum IoU / TP, RQ = TP / (TP + FP/2 + FN/2),
//   averaged over the categories with any TP, FP or FN. tests/eval/test_eval checks agreement with
//   X-SAM's pq_compute itself (tests/data/eval/panoptic_goldens.json).
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/mask/mask.h"

namespace xs::eval {

struct PanopticSegment {
    int64_t category_id = 0;
    Rle mask;
    bool iscrowd = false;  // ground truth only
};

struct PanopticCategoryStat {
    double iou = 0;  // sum over true positives
    int64_t tp = 0, fp = 0, fn = 0;
};

struct PanopticSummary {
    double pq = -1, sq = -1, rq = -1;  // -1 when no category has a TP, FP or FN
    int categories = 0;                // the categories averaged
    std::map<int64_t, PanopticSummary> per_category;  // (per_category of an entry is empty)
};

class PanopticEvaluator {
public:
    // The categories of the ground truth; a prediction of another category is an error (as in
    // pq_compute).
    explicit PanopticEvaluator(std::vector<int64_t> category_ids);

    // Every mask must be width x height. Throws xs::Error on a size mismatch or unknown category.
    void add_image(int width, int height, const std::vector<PanopticSegment>& ground_truth,
                   const std::vector<PanopticSegment>& predictions);

    // Over every category, or only those listed (e.g. the "things").
    PanopticSummary summarize() const { return summarize(categories_); }
    PanopticSummary summarize(const std::vector<int64_t>& only) const;
    const std::map<int64_t, PanopticCategoryStat>& stats() const { return stats_; }

    nlohmann::json to_json() const;
    static PanopticEvaluator from_json(const nlohmann::json& j, const std::string& source);
    void merge(const PanopticEvaluator& other);  // disjoint image sets

private:
    std::vector<int64_t> categories_;
    std::map<int64_t, PanopticCategoryStat> stats_;
};

}  // namespace xs::eval
