#include "core/eval/evaluate.h"

#include <algorithm>
#include <map>
#include <memory>
#include <set>

#include "core/engine/clicker.h"
#include "core/eval/gcg.h"
#include "core/eval/iou_metrics.h"
#include "core/eval/mask_ap.h"
#include "core/eval/panoptic.h"
#include "core/io/image.h"
#include "core/util/error.h"
#include "core/util/timer.h"

namespace xs::eval {

namespace {

using ojson = nlohmann::ordered_json;
using json = nlohmann::json;

// Engine masks must have the image's size.
const Mask& checked(const Mask& m, const GtImage& img) {
    if (m.width() != img.width || m.height() != img.height)
        throw Error(img.file_name + ": the engine returned a " + std::to_string(m.width()) + "x" + std::to_string(m.height()) +
                    " mask for a " + std::to_string(img.width) + "x" + std::to_string(img.height) + " image");
    return m;
}

// The engine's best answer to a one-object request, or an empty mask when it gave none.
Mask first_mask(const SegmentResult& r, const GtImage& img) {
    if (r.instances.empty()) return Mask(img.width, img.height);
    return checked(r.instances.front().mask, img);
}

// One segment() call with the image and the request named in any error.
SegmentResult ask(Engine& engine, const PreparedImage& prepared, const SegmentRequest& request, const GtImage& img,
                  const std::string& what, const CancelToken& cancel) {
    try {
        return engine.segment(prepared, request, cancel);
    } catch (const Cancelled&) {
        throw;
    } catch (const std::exception& e) {
        throw Error(img.file_name + ", " + what + ": engine '" + engine.name() + "' failed: " + e.what());
    }
}

std::vector<PromptType> prompt_types_of(const ojson& settings) {
    std::vector<PromptType> out;
    for (const auto& n : settings.at("prompt_types")) {
        const std::optional<PromptType> t = prompt_type_from_name(n.get<std::string>());
        if (!t || std::find(out.begin(), out.end(), *t) != out.end()) throw Error("settings.prompt_types: " + n.dump());
        out.push_back(*t);
    }
    return out;
}

ojson summary_json(const MaskApSummary& s) {
    ojson j;
    for (int i = 0; i < MaskApSummary::kStats; ++i) j[MaskApSummary::names()[size_t(i)]] = s.stats[size_t(i)];
    return j;
}

// A ground-truth instance's prompt of one type: the data's, or derived from its mask.
struct PromptCounts {
    int64_t from_data = 0, derived = 0, missing = 0;
    ojson to_json() const { return {{"from_data", from_data}, {"derived", derived}, {"missing", missing}}; }
    void from(const json& j) {
        from_data += j.at("from_data").get<int64_t>();
        derived += j.at("derived").get<int64_t>();
        missing += j.at("missing").get<int64_t>();
    }
};

VisualPrompt prompt_of(const GtAnnotation& a, const Mask& gt_mask, PromptType type, bool& from_data, PromptCounts& counts) {
    const auto it = a.prompts.find(type);
    from_data = it != a.prompts.end();
    VisualPrompt p;
    if (from_data) p.raster = rle_decode(it->second);
    else p = derive_prompt(gt_mask, type);
    if (p.empty()) ++counts.missing;
    else ++(from_data ? counts.from_data : counts.derived);
    return p;
}

}  // namespace

// ------------------------------------------------------------------------------------------------
// One task's measurements. Built from its settings alone, so that parts can be merged without the
// engine or the data.
class TaskEvaluation {
public:
    explicit TaskEvaluation(ojson settings) : settings_(std::move(settings)) {}
    virtual ~TaskEvaluation() = default;
    const ojson& settings() const { return settings_; }
    // Whether this image has anything to ask (else it is not prepared).
    virtual bool wants(const GtImage& img) const = 0;
    virtual void run(Engine& engine, const PreparedImage& prepared, const GtImage& img, const CancelToken& cancel) = 0;
    virtual json state() const = 0;
    virtual void merge(const json& state, const std::string& source) = 0;
    virtual ojson metrics() const = 0;
    virtual ojson counts() const = 0;

protected:
    ojson settings_;
    float threshold(float fallback) const {
        return settings_.at("score_threshold").is_null() ? fallback : settings_.at("score_threshold").get<float>();
    }
};

namespace {

// ---------------------------------------------------------------------------- referring, reasoning
class ReferringEvaluation : public TaskEvaluation {
public:
    ReferringEvaluation(ojson settings, Task task, std::map<int64_t, std::vector<ReferringSample>> samples)
        : TaskEvaluation(std::move(settings)), task_(task), samples_(std::move(samples)) {}

    bool wants(const GtImage& img) const override { return samples_.count(img.id) != 0; }

    void run(Engine& engine, const PreparedImage& prepared, const GtImage& img, const CancelToken& cancel) override {
        for (const ReferringSample& s : samples_.at(img.id)) {
            const GtAnnotation* ann = nullptr;
            for (const GtAnnotation& a : img.annotations)
                if (a.id == s.ann_id) ann = &a;
            SegmentRequest req;
            req.task = task_;
            req.text = s.sentence;
            req.score_threshold = threshold(req.score_threshold);
            const SegmentResult res = ask(engine, prepared, req, img, "annotation " + std::to_string(s.ann_id) + " \"" + s.sentence + "\"", cancel);
            iou_.add(first_mask(res, img), rle_decode(ann->mask));
        }
    }

    json state() const override { return {{"iou", iou_.to_json()}}; }
    void merge(const json& state, const std::string& source) override { iou_.merge(IouAccumulator::from_json(state.at("iou"), source)); }
    ojson metrics() const override { return {{"cIoU", iou_.ciou()}, {"gIoU", iou_.giou()}}; }
    ojson counts() const override { return {{"expressions", iou_.samples()}}; }

private:
    Task task_;
    std::map<int64_t, std::vector<ReferringSample>> samples_;
    IouAccumulator iou_;
};

// ---------------------------------------------------------------------------- generic
class GenericEvaluation : public TaskEvaluation {
public:
    explicit GenericEvaluation(ojson s)
        : TaskEvaluation(std::move(s)),
          categories_(settings_.at("categories").get<std::vector<int64_t>>()),
          ap_(categories_),
          pq_(categories_),
          semantic_(int(categories_.size())) {}

    bool wants(const GtImage&) const override { return true; }

    void run(Engine& engine, const PreparedImage& prepared, const GtImage& img, const CancelToken& cancel) override {
        SegmentRequest req;
        req.task = Task::Generic;
        req.categories = settings_.at("category_names").get<std::vector<std::string>>();
        req.score_threshold = threshold(0.0f);

        req.generic_mode = "instance";
        std::vector<Detection> dets;
        for (const InstanceResult& r : ask(engine, prepared, req, img, "generic (instance rule)", cancel).instances)
            if (const int64_t* cat = category_of(r)) dets.push_back({*cat, rle_encode(checked(r.mask, img)), double(r.score)});
        detections_ += int64_t(dets.size());
        std::vector<GroundTruthInstance> gts;
        for (const GtAnnotation& a : img.annotations) gts.push_back({a.id, a.category_id, a.mask, a.area, a.iscrowd});
        ap_.add_image(img.id, gts, dets);

        req.generic_mode = "panoptic";
        std::vector<PanopticSegment> pred;
        for (const InstanceResult& r : ask(engine, prepared, req, img, "generic (panoptic rule)", cancel).instances)
            if (const int64_t* cat = category_of(r)) pred.push_back({*cat, rle_encode(checked(r.mask, img)), false});
        segments_ += int64_t(pred.size());
        pq_.add_image(img.width, img.height, panoptic_truth(img), pred);

        req.generic_mode = "semantic";
        const SegmentResult sem = ask(engine, prepared, req, img, "generic (semantic rule)", cancel);
        semantic_.add(semantic_truth(img), semantic_prediction(sem, img));
    }

    json state() const override {
        return {{"mask_ap", ap_.to_json()}, {"panoptic", pq_.to_json()}, {"semantic", semantic_.to_json()},
                {"unassigned", unassigned_}, {"detections", detections_}, {"segments", segments_}};
    }
    void merge(const json& s, const std::string& source) override {
        ap_.merge(MaskApEvaluator::from_json(s.at("mask_ap"), source));
        pq_.merge(PanopticEvaluator::from_json(s.at("panoptic"), source));
        semantic_.merge(SemanticEvaluator::from_json(s.at("semantic"), source));
        unassigned_ += s.at("unassigned").get<int64_t>();
        detections_ += s.at("detections").get<int64_t>();
        segments_ += s.at("segments").get<int64_t>();
    }
    ojson metrics() const override {
        const PanopticSummary p = pq_.summarize();
        const SemanticSummary m = semantic_.summarize();
        ojson j = {{"PQ", p.pq}, {"SQ", p.sq}, {"RQ", p.rq}, {"mIoU", m.miou}, {"fwIoU", m.fwiou}, {"mACC", m.macc}, {"pACC", m.pacc}};
        const ojson ap = summary_json(ap_.summarize());
        for (const char* k : MaskApSummary::names()) j[k] = ap.at(k);
        return j;
    }
    ojson counts() const override {
        return {{"detections", detections_},
                {"panoptic_segments", segments_},
                {"pq_categories", pq_.summarize().categories},
                {"miou_classes", semantic_.summarize().classes_counted},
                {"answers_without_category", unassigned_}};
    }

private:
    std::vector<int64_t> categories_;
    MaskApEvaluator ap_;
    PanopticEvaluator pq_;
    SemanticEvaluator semantic_;
    int64_t unassigned_ = 0, detections_ = 0, segments_ = 0;

    // The category a result names (its prompt_index into the request's categories), or null.
    const int64_t* category_of(const InstanceResult& r) {
        if (r.prompt_index >= 0 && size_t(r.prompt_index) < categories_.size()) return &categories_[size_t(r.prompt_index)];
        ++unassigned_;
        return nullptr;
    }
    int class_of(int64_t category) const {
        return int(std::lower_bound(categories_.begin(), categories_.end(), category) - categories_.begin());
    }
    // Crowd regions first (one per category), then the instances in the file's order on top.
    std::vector<PanopticSegment> panoptic_truth(const GtImage& img) const {
        std::map<int64_t, Mask> crowd;
        std::vector<PanopticSegment> segs;
        for (const GtAnnotation& a : img.annotations) {
            if (!a.iscrowd) continue;
            Mask& m = crowd.emplace(a.category_id, Mask(img.width, img.height)).first->second;
            m = mask_union(m, rle_decode(a.mask));
        }
        for (const auto& [cat, m] : crowd) segs.push_back({cat, rle_encode(m), true});
        for (const GtAnnotation& a : img.annotations)
            if (!a.iscrowd) segs.push_back({a.category_id, a.mask, false});
        return segs;
    }
    // Class indices; unlabelled and crowd pixels are ignored (index K).
    std::vector<int32_t> semantic_truth(const GtImage& img) const {
        std::vector<int32_t> map(size_t(img.width) * size_t(img.height), semantic_.ignore());
        for (const GtAnnotation& a : img.annotations) {
            if (a.iscrowd) continue;
            const Mask m = rle_decode(a.mask);
            for (size_t i = 0; i < map.size(); ++i)
                if (m.data()[i]) map[i] = class_of(a.category_id);
        }
        return map;
    }
    // Each pixel takes the class of the first segment covering it; uncovered pixels stay unlabelled.
    std::vector<int32_t> semantic_prediction(const SegmentResult& res, const GtImage& img) {
        std::vector<int32_t> map(size_t(img.width) * size_t(img.height), semantic_.ignore());
        for (const InstanceResult& r : res.instances) {
            const int64_t* cat = category_of(r);
            if (!cat) continue;
            const Mask& m = checked(r.mask, img);
            for (size_t i = 0; i < map.size(); ++i)
                if (m.data()[i] && map[i] == semantic_.ignore()) map[i] = class_of(*cat);
        }
        return map;
    }
};

// ---------------------------------------------------------------------------- visual grounded
class VgdEvaluation : public TaskEvaluation {
public:
    explicit VgdEvaluation(ojson s) : TaskEvaluation(std::move(s)), types_(prompt_types_of(settings_)) {
        const std::vector<int64_t> cats = settings_.at("categories").get<std::vector<int64_t>>();
        for (PromptType t : types_) per_type_.emplace(t, PerType{MaskApEvaluator(cats), {}, 0, 0, 0});
    }

    bool wants(const GtImage& img) const override {
        for (const GtAnnotation& a : img.annotations)
            if (!a.iscrowd) return true;
        return false;
    }

    void run(Engine& engine, const PreparedImage& prepared, const GtImage& img, const CancelToken& cancel) override {
        std::vector<Mask> masks;
        for (const GtAnnotation& a : img.annotations) masks.push_back(rle_decode(a.mask));
        for (PromptType t : types_) {
            PerType& pt = per_type_.at(t);
            // The instances that have a prompt of this type are the ground truth (X-SAM's eval filter).
            std::vector<const GtAnnotation*> valid;
            std::vector<VisualPrompt> prompts;
            for (size_t i = 0; i < img.annotations.size(); ++i) {
                const GtAnnotation& a = img.annotations[i];
                if (a.iscrowd) continue;
                bool from_data = false;
                VisualPrompt p = prompt_of(a, masks[i], t, from_data, pt.prompts);
                if (p.empty()) continue;
                valid.push_back(&a);
                prompts.push_back(std::move(p));
            }
            if (valid.empty()) {
                ++pt.images_without_prompts;
                continue;
            }
            // One example per category present, in category order: its first instance with a prompt.
            SegmentRequest req;
            req.task = Task::VisualGrounded;
            req.score_threshold = threshold(0.0f);
            std::vector<int64_t> example_category;
            std::map<int64_t, size_t> first;
            for (size_t i = 0; i < valid.size(); ++i) first.emplace(valid[i]->category_id, i);
            for (const auto& [cat, i] : first) {
                req.mask_prompts.push_back(prompts[i].raster);
                example_category.push_back(cat);
            }
            std::vector<Detection> dets;
            const SegmentResult res = ask(engine, prepared, req, img, std::string(prompt_type_name(t)) + " examples", cancel);
            for (const InstanceResult& r : res.instances) {
                if (r.prompt_index < 0 || size_t(r.prompt_index) >= example_category.size()) {
                    ++pt.unassigned;
                    continue;
                }
                dets.push_back({example_category[size_t(r.prompt_index)], rle_encode(checked(r.mask, img)), double(r.score)});
            }
            pt.detections += int64_t(dets.size());
            std::vector<GroundTruthInstance> gts;
            for (const GtAnnotation* a : valid) gts.push_back({a->id, a->category_id, a->mask, a->area, false});
            pt.ap.add_image(img.id, gts, dets);
        }
    }

    json state() const override {
        json j;
        for (const auto& [t, pt] : per_type_)
            j[prompt_type_name(t)] = {{"mask_ap", pt.ap.to_json()},
                                      {"prompts", pt.prompts.to_json()},
                                      {"images_without_prompts", pt.images_without_prompts},
                                      {"unassigned", pt.unassigned},
                                      {"detections", pt.detections}};
        return j;
    }
    void merge(const json& s, const std::string& source) override {
        for (auto& [t, pt] : per_type_) {
            const json& j = s.at(prompt_type_name(t));
            pt.ap.merge(MaskApEvaluator::from_json(j.at("mask_ap"), source));
            pt.prompts.from(j.at("prompts"));
            pt.images_without_prompts += j.at("images_without_prompts").get<int64_t>();
            pt.unassigned += j.at("unassigned").get<int64_t>();
            pt.detections += j.at("detections").get<int64_t>();
        }
    }
    ojson metrics() const override {
        ojson j;
        for (PromptType t : types_) j[prompt_type_name(t)] = summary_json(per_type_.at(t).ap.summarize());
        return j;
    }
    ojson counts() const override {
        ojson j;
        for (PromptType t : types_) {
            const PerType& pt = per_type_.at(t);
            j[prompt_type_name(t)] = {{"images", pt.ap.images()},
                                      {"images_without_prompts", pt.images_without_prompts},
                                      {"prompts", pt.prompts.to_json()},
                                      {"detections", pt.detections},
                                      {"answers_without_example", pt.unassigned}};
        }
        return j;
    }

private:
    struct PerType {
        MaskApEvaluator ap;
        PromptCounts prompts;
        int64_t images_without_prompts = 0, unassigned = 0, detections = 0;
    };
    std::vector<PromptType> types_;
    std::map<PromptType, PerType> per_type_;
};

// ---------------------------------------------------------------------------- interactive
class InteractiveEvaluation : public TaskEvaluation {
public:
    explicit InteractiveEvaluation(ojson s)
        : TaskEvaluation(std::move(s)),
          types_(prompt_types_of(settings_)),
          clicker_(settings_.at("clicker").get<bool>()),
          max_clicks_(settings_.at("max_clicks").get<int>()) {
        for (PromptType t : types_) per_type_[t];
    }

    bool wants(const GtImage& img) const override {
        for (const GtAnnotation& a : img.annotations)
            if (!a.iscrowd && a.area > 0) return true;
        return false;
    }

    void run(Engine& engine, const PreparedImage& prepared, const GtImage& img, const CancelToken& cancel) override {
        for (const GtAnnotation& a : img.annotations) {
            if (a.iscrowd) continue;
            const Mask gt = rle_decode(a.mask);
            if (!gt.any()) continue;
            const std::string who = "annotation " + std::to_string(a.id);
            for (PromptType t : types_) {
                PerType& pt = per_type_.at(t);
                bool from_data = false;
                const VisualPrompt p = prompt_of(a, gt, t, from_data, pt.prompts);
                if (p.empty()) continue;
                SegmentRequest req;
                req.task = Task::Interactive;
                req.score_threshold = threshold(req.score_threshold);
                if (from_data || t == PromptType::Mask) {
                    req.input_mask = p.raster;  // a prompt held as a mask
                } else {
                    req.points = p.points;
                    req.boxes = p.boxes;
                    req.scribbles = p.scribbles;
                }
                const SegmentResult res = ask(engine, prepared, req, img, who + ", " + prompt_type_name(t) + " prompt", cancel);
                pt.iou.add(first_mask(res, img), gt);
            }
            if (clicker_) run_clicks(engine, prepared, img, gt, who, cancel);
        }
    }

    json state() const override {
        json j;
        for (const auto& [t, pt] : per_type_) j[prompt_type_name(t)] = {{"iou", pt.iou.to_json()}, {"prompts", pt.prompts.to_json()}};
        j["clicker"] = {{"instances", clicked_}, {"noc85", noc85_}, {"noc90", noc90_}, {"iou1", iou1_}, {"iou5", iou5_}};
        return j;
    }
    void merge(const json& s, const std::string& source) override {
        for (auto& [t, pt] : per_type_) {
            const json& j = s.at(prompt_type_name(t));
            pt.iou.merge(IouAccumulator::from_json(j.at("iou"), source));
            pt.prompts.from(j.at("prompts"));
        }
        const json& c = s.at("clicker");
        clicked_ += c.at("instances").get<int64_t>();
        noc85_ += c.at("noc85").get<double>();
        noc90_ += c.at("noc90").get<double>();
        iou1_ += c.at("iou1").get<double>();
        iou5_ += c.at("iou5").get<double>();
    }
    ojson metrics() const override {
        ojson j;
        for (PromptType t : types_) {
            const PerType& pt = per_type_.at(t);
            j[prompt_type_name(t)] = {{"mIoU", pt.iou.giou()}, {"cIoU", pt.iou.ciou()}};
        }
        if (clicker_) {
            const double n = double(clicked_);
            j["clicks"] = clicked_ ? ojson{{"NoC@85", noc85_ / n}, {"NoC@90", noc90_ / n}, {"mIoU@1", iou1_ / n}, {"mIoU@5", iou5_ / n}}
                                   : ojson{{"NoC@85", -1}, {"NoC@90", -1}, {"mIoU@1", -1}, {"mIoU@5", -1}};
        }
        return j;
    }
    ojson counts() const override {
        ojson j;
        for (PromptType t : types_) {
            const PerType& pt = per_type_.at(t);
            j[prompt_type_name(t)] = {{"instances", pt.iou.samples()}, {"prompts", pt.prompts.to_json()}};
        }
        if (clicker_) j["clicks"] = {{"instances", clicked_}, {"max_clicks", max_clicks_}};
        return j;
    }

private:
    struct PerType {
        IouAccumulator iou;
        PromptCounts prompts;
    };
    std::vector<PromptType> types_;
    std::map<PromptType, PerType> per_type_;
    bool clicker_;
    int max_clicks_;
    int64_t clicked_ = 0;
    double noc85_ = 0, noc90_ = 0, iou1_ = 0, iou5_ = 0;

    // bench-interactive's protocol: clicks until IoU 0.90 (at least 5), at most max_clicks.
    void run_clicks(Engine& engine, const PreparedImage& prepared, const GtImage& img, const Mask& gt,
                    const std::string& who, const CancelToken& cancel) {
        ClickerRun run;
        try {
            run = run_clicker(engine, prepared, gt, max_clicks_, 0.90, 5, cancel);
        } catch (const Cancelled&) {
            throw;
        } catch (const std::exception& e) {
            throw Error(img.file_name + ", " + who + ", clicks: engine '" + engine.name() + "' failed: " + e.what());
        }
        ++clicked_;
        noc85_ += clicks_to_reach(run.ious, 0.85, max_clicks_);
        noc90_ += clicks_to_reach(run.ious, 0.90, max_clicks_);
        iou1_ += run.ious.front();
        iou5_ += run.ious[std::min<size_t>(4, run.ious.size() - 1)];
    }
};

// ---------------------------------------------------------------------------- grounded caption
class CaptionEvaluation : public TaskEvaluation {
public:
    using TaskEvaluation::TaskEvaluation;
    bool wants(const GtImage&) const override { return true; }

    void run(Engine& engine, const PreparedImage& prepared, const GtImage& img, const CancelToken& cancel) override {
        SegmentRequest req;
        req.task = Task::GroundedCaption;
        req.score_threshold = threshold(req.score_threshold);
        const SegmentResult res = ask(engine, prepared, req, img, "grounded caption", cancel);
        std::vector<PhraseMask> gt, pred;
        for (const GtAnnotation& a : img.annotations)
            if (!a.iscrowd) gt.push_back({a.mask, a.phrase});
        for (const InstanceResult& r : res.instances) pred.push_back({rle_encode(checked(r.mask, img)), r.label});
        predicted_ += int64_t(pred.size());
        gcg_.add_image(gt, pred);
    }

    json state() const override { return {{"gcg", gcg_.to_json()}, {"predicted", predicted_}}; }
    void merge(const json& s, const std::string& source) override {
        gcg_.merge(GcgEvaluator::from_json(s.at("gcg"), source));
        predicted_ += s.at("predicted").get<int64_t>();
    }
    ojson metrics() const override { return {{"mIoU", gcg_.miou()}, {"recall", gcg_.recall()}}; }
    ojson counts() const override {
        return {{"phrases", gcg_.phrases()}, {"predicted_masks", predicted_}, {"phrases_matched", gcg_.matched()}};
    }

private:
    GcgEvaluator gcg_;
    int64_t predicted_ = 0;
};

// ---------------------------------------------------------------------------- set-up
std::unique_ptr<TaskEvaluation> make_evaluation(Task task, const ojson& settings,
                                                std::map<int64_t, std::vector<ReferringSample>> samples = {}) {
    switch (task) {
        case Task::Referring:
        case Task::Reasoning:
            return std::make_unique<ReferringEvaluation>(settings, task, std::move(samples));
        case Task::Generic:
            return std::make_unique<GenericEvaluation>(settings);
        case Task::VisualGrounded:
            return std::make_unique<VgdEvaluation>(settings);
        case Task::Interactive:
            return std::make_unique<InteractiveEvaluation>(settings);
        case Task::GroundedCaption:
            return std::make_unique<CaptionEvaluation>(settings);
        case Task::OpenVocabulary:
            break;
    }
    throw Error(std::string("evaluate: the task '") + task_name(task) +
                "' has no metric of its own here (open-vocabulary data are evaluated as 'generic')");
}

// Referring expressions: the refs file's, or each instance whose category is alone in its image.
std::map<int64_t, std::vector<ReferringSample>> referring_samples(const GroundTruth& gt, const EvaluateOptions& o) {
    std::vector<ReferringSample> all;
    if (!o.refs_path.empty()) {
        all = read_refs(o.refs_path, gt, o.refs_split);
    } else {
        for (const GtImage& img : gt.images) {
            std::map<int64_t, int> per_category;
            for (const GtAnnotation& a : img.annotations)
                if (!a.iscrowd) ++per_category[a.category_id];
            for (const GtAnnotation& a : img.annotations)
                if (!a.iscrowd && per_category[a.category_id] == 1)
                    all.push_back({0, img.id, a.id, gt.category(a.category_id)->name});
        }
    }
    std::map<int64_t, std::vector<ReferringSample>> by_image;
    for (ReferringSample& s : all) by_image[s.image_id].push_back(std::move(s));
    return by_image;
}

ojson settings_of(const GroundTruth& gt, const EvaluateOptions& o) {
    ojson s;
    s["task"] = task_name(o.task);
    std::vector<int64_t> ids;
    std::vector<std::string> names;
    for (const GtCategory& c : gt.categories) ids.push_back(c.id), names.push_back(c.name);
    s["categories"] = ids;
    s["category_names"] = names;
    std::vector<std::string> types;
    for (PromptType t : o.prompt_types.empty() ? all_prompt_types() : o.prompt_types) types.push_back(prompt_type_name(t));
    s["prompt_types"] = types;
    s["clicker"] = o.clicker;
    s["max_clicks"] = o.max_clicks;
    s["score_threshold"] = o.score_threshold ? json(*o.score_threshold) : json(nullptr);
    if (o.task == Task::Referring || o.task == Task::Reasoning)
        s["expressions"] = o.refs_path.empty() ? std::string("category names of instances alone in their category in their image")
                                               : o.refs_path + (o.refs_split.empty() ? "" : " (split " + o.refs_split + ")");
    return s;
}

// Checks the engine can run the task before any image is opened.
void check_engine(const Engine& engine, Task task) {
    const Capabilities caps = engine.capabilities();
    if (caps.supports(task)) return;
    std::string can;
    for (const auto& [t, kinds] : caps.tasks) can += std::string(can.empty() ? "" : ", ") + task_name(t);
    throw Error("engine '" + engine.name() + "' cannot run the task '" + task_name(task) + "' (it runs: " + can + ")");
}

std::string join_path(const std::string& dir, const std::string& file) {
    if (dir.empty()) return file;
    return dir.back() == '/' ? dir + file : dir + "/" + file;
}

ojson result_json(const TaskEvaluation& ev, const ojson& head, int64_t images) {
    ojson out = head;
    out["metrics"] = ev.metrics();
    out["counts"] = {{"images", images}};
    out["counts"].update(ev.counts());
    out["settings"] = ev.settings();
    out["state"] = ev.state();
    return out;
}

}  // namespace

Evaluator::Evaluator(const GroundTruth& gt, EvaluateOptions options) : gt_(gt), options_(std::move(options)) {
    const EvaluateOptions& o = options_;
    const bool referring = o.task == Task::Referring || o.task == Task::Reasoning;
    task_ = make_evaluation(o.task, settings_of(gt, o),
                            referring ? referring_samples(gt, o) : std::map<int64_t, std::vector<ReferringSample>>{});
    for (const GtImage& img : gt.images) {
        if (!batch::in_shard(img.file_name, o.shard) || !task_->wants(img)) continue;
        if (o.limit > 0 && images() >= o.limit) break;
        images_.push_back(&img);
    }
    if (images_.empty())
        throw Error(gt.source + ": no image to evaluate for the task '" + task_name(o.task) + "'" +
                    (o.shard.count > 1 ? " in shard " + o.shard.text() : std::string()));
    for (const GtImage* img : images_) {
        const std::string path = join_path(o.images_dir, img->file_name);
        int w = 0, h = 0;
        read_image_size(path, w, h);
        if (w != img->width || h != img->height)
            throw Error(path + " is " + std::to_string(w) + "x" + std::to_string(h) + ", " + gt.source + " says " +
                        std::to_string(img->width) + "x" + std::to_string(img->height));
    }
}

Evaluator::~Evaluator() = default;

nlohmann::ordered_json Evaluator::run(Engine& engine) {
    const EvaluateOptions& o = options_;
    check_engine(engine, o.task);
    CancelToken never;
    const CancelToken& cancel = o.cancel ? *o.cancel : never;
    StopWatch total;
    double prepare_ms = 0;
    const int64_t n = images();
    if (o.progress) o.progress(0, n);
    for (int64_t i = 0; i < n; ++i) {
        const GtImage& img = *images_[size_t(i)];
        const Image image = load_image(join_path(o.images_dir, img.file_name));
        StopWatch sw;
        std::shared_ptr<const PreparedImage> prepared;
        try {
            prepared = engine.prepare(image, cancel);
        } catch (const Cancelled&) {
            throw;
        } catch (const std::exception& e) {
            throw Error(img.file_name + ": engine '" + engine.name() + "' could not prepare the image: " + e.what());
        }
        prepare_ms += sw.elapsed_ms();
        task_->run(engine, *prepared, img, cancel);
        if (o.progress) o.progress(i + 1, n);
    }

    ojson head;
    head["task"] = task_name(o.task);
    head["engine"] = engine.name();
    head["ground_truth"] = gt_.source;
    head["shard"] = o.shard.text();
    head["images"] = n;
    head["seconds"] = total.elapsed_ms() / 1000.0;
    head["prepare_ms_per_image"] = prepare_ms / double(n);
    return result_json(*task_, head, n);
}

nlohmann::ordered_json merge_evaluations(const std::vector<nlohmann::json>& parts, const std::vector<std::string>& names) {
    if (parts.empty()) throw Error("nothing to merge");
    if (names.size() != parts.size()) throw Error("merge_evaluations: one name per part");
    const json& first = parts.front();
    std::unique_ptr<TaskEvaluation> ev;
    ojson head;
    int64_t images = 0;
    double seconds = 0;
    std::set<std::string> shards;
    for (size_t i = 0; i < parts.size(); ++i) {
        try {
            for (const char* key : {"task", "engine", "ground_truth", "settings", "state", "images"})
                if (!parts[i].is_object() || !parts[i].contains(key))
                    throw Error("not an evaluation result (no \"" + std::string(key) + "\")");
            if (i == 0) {
                const std::optional<Task> task = task_from_name(first.at("task").get<std::string>());
                if (!task) throw Error("unknown task " + first.at("task").dump());
                ev = make_evaluation(*task, first.at("settings"));
            }
            for (const char* key : {"task", "engine", "ground_truth", "settings"})
                if (parts[i].at(key) != first.at(key))
                    throw Error(std::string("its ") + key + " differs from " + names[0] + "'s; only parts of one evaluation merge");
            const std::string shard = parts[i].value("shard", "");
            if (!shards.insert(shard).second) throw Error("shard " + shard + " is given twice");
            ev->merge(parts[i].at("state"), names[i]);
            images += parts[i].at("images").get<int64_t>();
            seconds += parts[i].value("seconds", 0.0);
        } catch (const nlohmann::json::exception& e) {
            throw Error(names[i] + ": not an evaluation result (" + e.what() + ")");
        } catch (const Error& e) {
            const std::string what = e.what();
            throw Error(what.rfind(names[i], 0) == 0 ? what : names[i] + ": " + what);
        }
    }
    head["task"] = first.at("task");
    head["engine"] = first.at("engine");
    head["ground_truth"] = first.at("ground_truth");
    head["shard"] = "merged from " + std::to_string(parts.size()) + " parts";
    head["images"] = images;
    head["seconds"] = seconds;
    try {
        return result_json(*ev, head, images);
    } catch (const nlohmann::json::exception& e) {
        throw Error(names[0] + ": not an evaluation result (" + e.what() + ")");
    }
}

}  // namespace xs::eval
