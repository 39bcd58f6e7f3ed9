#pragma once
// Grounded caption (GCG) metrics as X-SAM's gcgseg_evaluator.py defines them, per image:
// - mask mIoU (utils/miou.py compute_miou): pair predicted and ground-truth masks greedily, highest
//   IoU first (ties: the first in row-major order of the [prediction x ground truth] matrix), while
//   the best remaining IoU is > 0; the image scores the mean IoU of its pairs (0 without pairs); mIoU
//   is the mean over images.
// - recall over matched phrases (_find_best_matches): take the pair of highest mask IoU (first in
//   [ground truth x prediction] order); if its IoU is >= 0.5 and its phrases are similar (>= 0.5) it
//   is a match and both leave; otherwise stop. Recall = matches / ground-truth phrases.
// Two deliberate differences: the reference compares phrases by the cosine of BERT embeddings (a
// 440 MB model this tool does not ship); here similarity is the Dice overlap of the phrases' word
// sets (lower case, letters and digits, articles dropped), with the same 0.5 threshold. And every
// evaluated image counts, where the reference averages only over images for which the model gave
// masks (an empty answer would otherwise leave the mean untouched).
//
//   xs::eval::GcgEvaluator gcg;
//   gcg.add_image({{gt_mask, "a brown dog"}}, {{pred_mask, "the dog"}});
//   gcg.miou(); gcg.recall();
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/mask/mask.h"

namespace xs::eval {

struct PhraseMask {
    Rle mask;
    std::string phrase;
};

// Dice overlap of the two phrases' word sets, in [0, 1] (0 when either has no word).
double phrase_similarity(const std::string& a, const std::string& b);

class GcgEvaluator {
public:
    // All masks of one image must have the same size (xs::Error otherwise).
    void add_image(const std::vector<PhraseMask>& ground_truth, const std::vector<PhraseMask>& predictions);

    double miou() const;    // -1 without images
    double recall() const;  // -1 without ground-truth phrases
    int64_t images() const { return images_; }
    int64_t phrases() const { return phrases_; }
    int64_t matched() const { return matched_; }

    nlohmann::json to_json() const;
    static GcgEvaluator from_json(const nlohmann::json& j, const std::string& source);
    void merge(const GcgEvaluator& other);

private:
    double miou_sum_ = 0;
    int64_t images_ = 0, phrases_ = 0, matched_ = 0;
};

}  // namespace xs::eval
