#pragma once
// IoU-based metrics of the X-SAM paper's tables, each as X-SAM's evaluation code defines it (branch
// AAAI26_Archive, xsam/evaluation/):
//
// - IouAccumulator: referring, reasoning and interactive segmentation (utils/iou.py IouStat):
//   cIoU = sum of intersections / sum of unions over all samples; gIoU = mean per-sample IoU, a sample
//   whose prediction and ground truth are both empty counting 1. (The paper's interactive "mIoU" is
//   this gIoU.)
//
//       xs::eval::IouAccumulator acc;
//       acc.add(pred_mask, gt_mask);            // one sample (a sentence, a prompt)
//       acc.ciou(); acc.giou();
//
// - SemanticEvaluator: semantic mIoU (genseg_evaluator.py semantic_evaluate, detectron2's
//   SemSegEvaluator): a confusion matrix over K classes; per class IoU = TP / (GT + predicted - TP) and
//   accuracy = TP / GT over the classes that occur in the ground truth; mIoU and mACC are their means,
//   fwIoU weighs IoU by ground-truth pixels, pACC = all TP / all GT pixels. Ground-truth pixels labelled
//   `ignore()` do not count. One addition: a pixel the prediction leaves unlabelled (`ignore()` on the
//   predicted side; a semantic model labels every pixel, so it never happens there) counts as a miss of
//   its ground-truth class instead of disappearing from the matrix.
//
//       xs::eval::SemanticEvaluator sem(K);
//       sem.add(gt_labels, pred_labels);        // row-major class indices, K = ignore / unlabelled
//       sem.summarize().miou;
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/mask/mask.h"

namespace xs::eval {

class IouAccumulator {
public:
    void add(int64_t intersection, int64_t union_area);
    void add(const Mask& prediction, const Mask& ground_truth);  // same size, else xs::Error

    int64_t samples() const { return samples_; }
    double ciou() const;  // 1 when every union is empty (as IouStat); -1 without samples
    double giou() const;  // -1 without samples

    nlohmann::json to_json() const;
    static IouAccumulator from_json(const nlohmann::json& j, const std::string& source);
    void merge(const IouAccumulator& other);

private:
    int64_t intersection_ = 0, union_ = 0, samples_ = 0;
    double iou_sum_ = 0;
};

struct SemanticSummary {
    double miou = -1, fwiou = -1, macc = -1, pacc = -1;  // -1: no ground-truth pixel counted
    std::vector<double> iou;  // per class, -1 where the class has no ground truth (or no union)
    int classes_counted = 0;
};

class SemanticEvaluator {
public:
    static constexpr int kMaxClasses = 4096;
    explicit SemanticEvaluator(int classes);  // 1 .. kMaxClasses, else xs::Error
    int ignore() const { return classes_; }
    // Label maps of one image, same length; values in [0, classes] (classes = ignore), else xs::Error.
    void add(const std::vector<int32_t>& ground_truth, const std::vector<int32_t>& prediction);
    SemanticSummary summarize() const;

    nlohmann::json to_json() const;
    static SemanticEvaluator from_json(const nlohmann::json& j, const std::string& source);
    void merge(const SemanticEvaluator& other);

private:
    int classes_;
    std::vector<int64_t> confusion_;  // [(classes + 1) x (classes + 1)], [prediction][ground truth]
};

}  // namespace xs::eval
