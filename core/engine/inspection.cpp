#include "core/engine/inspection.h"

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>

namespace xs {

namespace {

float sigmoid(float x) { return 1.f / (1.f + std::exp(-x)); }

}  // namespace

const char* rule_name(Inspection::Rule rule) {
    switch (rule) {
        case Inspection::Rule::BestPerClass: return "best_per_class";
        case Inspection::Rule::Instances: return "instances";
        case Inspection::Rule::Interactive: return "interactive";
        case Inspection::Rule::Panoptic: return "panoptic";
        case Inspection::Rule::Semantic: return "semantic";
        case Inspection::Rule::TextOnly: return "text_only";
    }
    return "?";
}

std::vector<int> Inspection::queries_by_score() const {
    std::vector<std::pair<float, int>> best;
    for (size_t q = 0; q < queries.size(); ++q) {
        float m = 0.f;
        for (float p : queries[q].class_probs) m = std::max(m, p);
        best.push_back({m, int(q)});
    }
    std::stable_sort(best.begin(), best.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
    std::vector<int> order;
    for (const auto& b : best) order.push_back(b.second);
    return order;
}

std::vector<float> Inspection::query_probs(int query) const {
    const size_t n = size_t(mask_h) * size_t(mask_w);
    std::vector<float> p(n);
    for (size_t i = 0; i < n; ++i) p[i] = sigmoid(mask_logits[size_t(query) * n + i]);
    return p;
}

std::string inspection_to_json(const Inspection& in, bool with_mask_grids) {
    using nlohmann::json;
    json j;
    j["engine"] = in.engine;
    j["device"] = in.device;
    j["precision_why"] = in.precision_why;
    j["task"] = task_name(in.task);
    j["postprocess_rule"] = rule_name(in.rule);
    j["question"] = in.question;
    j["answer"] = in.answer;
    json toks = json::array();
    for (const InspectionToken& t : in.tokens)
        toks.push_back({{"id", t.id}, {"text", t.text}, {"prefix", t.prefix}, {"positions", t.repeat}});
    j["tokens"] = toks;
    j["labels"] = in.labels;
    json regions = json::array();
    for (const InspectionRegion& r : in.regions) {
        json pts = json::array();
        for (const auto& p : r.sampled_points) pts.push_back({p.first, p.second});
        const Rle rle = rle_encode(r.canvas);
        regions.push_back({{"label", r.label},
                           {"canvas", {{"size", {r.canvas.height(), r.canvas.width()}}, {"counts", rle_to_string(rle)}}},
                           {"canvas_pixels", r.canvas.area()},
                           {"sampled_points_xy", pts}});
    }
    j["regions"] = regions;
    j["geometry"] = {{"canvas", in.canvas}, {"scaled_w", in.scaled_w}, {"scaled_h", in.scaled_h},
                     {"width", in.width}, {"height", in.height}, {"mask_grid", {in.mask_h, in.mask_w}}};
    json queries = json::array();
    const size_t n = size_t(in.mask_h) * size_t(in.mask_w);
    for (const InspectionQuery& q : in.queries) {
        json e = {{"query", q.index}, {"class_probs", q.class_probs}, {"background_prob", q.background_prob}};
        if (with_mask_grids && n && in.mask_logits.size() >= size_t(q.index + 1) * n)
            e["mask_logits"] = std::vector<float>(in.mask_logits.begin() + std::ptrdiff_t(size_t(q.index) * n),
                                                  in.mask_logits.begin() + std::ptrdiff_t(size_t(q.index + 1) * n));
        queries.push_back(std::move(e));
    }
    j["queries"] = queries;
    j["queries_by_score"] = in.queries_by_score();
    j["thresholds"] = {{"score", in.score_threshold}, {"mask", in.mask_threshold}};
    json timings = json::array();
    for (const StageTiming& t : in.timings) timings.push_back({{"stage", t.stage}, {"ms", t.ms}});
    j["timings"] = timings;
    return j.dump(1);
}

}  // namespace xs
