#pragma once
// `xsam-cli evaluate`: runs an engine over an annotated image set and measures one task with the
// metrics of the X-SAM paper's tables.
//
//   xs::eval::GroundTruth gt = xs::eval::read_ground_truth("instances.json", "images/");
//   xs::eval::EvaluateOptions opt;
//   opt.task = xs::Task::VisualGrounded;
//   opt.images_dir = "images/";
//   xs::eval::Evaluator ev(gt, opt);                      // checks the input: before loading a model
//   nlohmann::ordered_json result = ev.run(*engine);      // see below
//
// Per task (each image is prepared once; the requests of that image run on it):
//   referring, reasoning  one request per expression (a --refs file, or else each instance whose
//                         category is alone in its image, named by the category): cIoU, gIoU
//   generic               the image's requests name every category; three passes with the instance,
//                         panoptic and semantic rules: mask AP (COCOeval), PQ / SQ / RQ
//                         (panopticapi), semantic mIoU / fwIoU / mACC / pACC (detectron2)
//   vgd                   per prompt type, one request per image with one example per category
//                         present (its first instance with such a prompt): mask AP over the
//                         instances that have a prompt of that type (X-SAM's vgdseg evaluation)
//   interactive           per prompt type, one request per instance: mIoU (= gIoU) and cIoU; and the
//                         clicker protocol of bench-interactive: NoC@85, NoC@90, mIoU@1, mIoU@5
//   gcg                   one generated caption per image: mask mIoU and phrase recall (gcg.h)
// Visual prompts come from the data when an annotation carries them, else they are derived from the
// mask (visual_prompts.h). Crowd instances are not asked for; COCOeval and PQ treat them as theirs.
//
// The result holds "metrics" (the figures; -1 where there is nothing to measure, COCOeval's
// convention), "counts" (images, samples, prompts from the data or derived, ...) and "state" (the
// accumulated sums and per-image AP records: evaluations of disjoint image sets, e.g. shards, merge
// with merge_evaluations() into what one run over all of them gives).
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/coco/batch.h"
#include "core/engine/engine.h"
#include "core/eval/ground_truth.h"
#include "core/eval/visual_prompts.h"

namespace xs::eval {

struct EvaluateOptions {
    Task task = Task::Generic;
    std::string images_dir;
    std::string refs_path;    // referring / reasoning: RefCOCO-style refs.json (empty: category names)
    std::string refs_split;   // only refs of this split (empty: all)
    std::vector<PromptType> prompt_types;  // vgd / interactive (empty: all four)
    bool clicker = true;      // interactive: also run the clicker protocol
    int max_clicks = 20;
    // Applied to every request when set; otherwise 0 for generic and vgd (X-SAM's evaluation
    // configs) and the engine's default elsewhere.
    std::optional<float> score_threshold;
    int64_t limit = 0;        // the first N selected images only (0: all)
    batch::ShardSpec shard;   // images whose file name falls in this shard (batch's rule)
    // Called with (done, total) before the first image and after each one.
    std::function<void(int64_t, int64_t)> progress;
    const CancelToken* cancel = nullptr;
};

class TaskEvaluation;

class Evaluator {
public:
    // Reads what the task needs besides the ground truth (the refs file), chooses the images (shard,
    // limit, those with something to ask) and checks that their files exist with the stated sizes:
    // everything that can be wrong with the input, before an engine is loaded. Throws xs::Error
    // naming the file, image or field.
    Evaluator(const GroundTruth& gt, EvaluateOptions options);
    ~Evaluator();
    int64_t images() const { return int64_t(images_.size()); }

    // Runs the engine over the images. Throws xs::Error when the engine cannot run the task (before
    // any image) or fails (naming the image and request); xs::Cancelled when cancelled.
    nlohmann::ordered_json run(Engine& engine);

private:
    const GroundTruth& gt_;
    EvaluateOptions options_;
    std::unique_ptr<TaskEvaluation> task_;
    std::vector<const GtImage*> images_;
};

// Combines results of the same task, engine, ground truth and settings over disjoint image sets.
// Throws xs::Error (naming `names[i]`) when they do not fit together.
nlohmann::ordered_json merge_evaluations(const std::vector<nlohmann::json>& parts, const std::vector<std::string>& names);

}  // namespace xs::eval
