#include "core/eval/panoptic.h"

#include <algorithm>

#include "core/util/error.h"

namespace xs::eval {

namespace {

// Label map of one side: 0 = void, i + 1 = segment i. `later_wins`: a later segment covers earlier
// ones (ground truth, drawn in order); otherwise an earlier one keeps its pixels (predictions).
std::vector<int32_t> paint(int width, int height, const std::vector<PanopticSegment>& segments, bool later_wins,
                           const char* side) {
    std::vector<int32_t> map(size_t(width) * size_t(height), 0);
    for (size_t i = 0; i < segments.size(); ++i) {
        const Rle& r = segments[i].mask;
        if (r.width != width || r.height != height)
            throw Error(std::string("panoptic quality: a ") + side + " segment is " + std::to_string(r.width) + "x" +
                        std::to_string(r.height) + ", the image " + std::to_string(width) + "x" + std::to_string(height));
        // Runs are column-major: position p is pixel (p / height, p % height).
        size_t p = 0;
        for (size_t k = 0; k < r.counts.size(); ++k) {
            if (k % 2 == 1) {
                for (size_t q = p; q < p + r.counts[k]; ++q) {
                    int32_t& cell = map[(q % size_t(height)) * size_t(width) + q / size_t(height)];
                    if (later_wins || cell == 0) cell = int32_t(i + 1);
                }
            }
            p += r.counts[k];
        }
    }
    return map;
}

}  // namespace

PanopticEvaluator::PanopticEvaluator(std::vector<int64_t> category_ids) : categories_(std::move(category_ids)) {}

void PanopticEvaluator::add_image(int width, int height, const std::vector<PanopticSegment>& ground_truth,
                                  const std::vector<PanopticSegment>& predictions) {
    for (const PanopticSegment& s : predictions)
        if (std::find(categories_.begin(), categories_.end(), s.category_id) == categories_.end())
            throw Error("panoptic quality: a prediction has the unknown category " + std::to_string(s.category_id));
    const std::vector<int32_t> gt_map = paint(width, height, ground_truth, true, "ground-truth");
    const std::vector<int32_t> pred_map = paint(width, height, predictions, false, "predicted");
    const size_t G = ground_truth.size() + 1, P = predictions.size() + 1;  // label 0 = void / nothing
    std::vector<int64_t> inter(G * P, 0), gt_area(G, 0), pred_area(P, 0);
    for (size_t i = 0; i < gt_map.size(); ++i) {
        ++inter[size_t(gt_map[i]) * P + size_t(pred_map[i])];
        ++gt_area[size_t(gt_map[i])];
        ++pred_area[size_t(pred_map[i])];
    }

    std::vector<uint8_t> gt_matched(G, 0), pred_matched(P, 0);
    for (size_t g = 1; g < G; ++g) {
        const PanopticSegment& gs = ground_truth[g - 1];
        if (gt_area[g] == 0 || gs.iscrowd) continue;
        for (size_t p = 1; p < P; ++p) {
            const int64_t i = inter[g * P + p];
            if (i == 0 || predictions[p - 1].category_id != gs.category_id) continue;
            const int64_t uni = pred_area[p] + gt_area[g] - i - inter[0 * P + p];  // leaves out void
            const double iou = double(i) / double(uni);
            if (iou > 0.5) {
                PanopticCategoryStat& st = stats_[gs.category_id];
                ++st.tp;
                st.iou += iou;
                gt_matched[g] = pred_matched[p] = 1;
            }
        }
    }
    std::map<int64_t, size_t> crowd_of_category;  // the last crowd segment of each category
    for (size_t g = 1; g < G; ++g) {
        const PanopticSegment& gs = ground_truth[g - 1];
        if (gt_area[g] == 0 || gt_matched[g]) continue;
        if (gs.iscrowd) {
            crowd_of_category[gs.category_id] = g;
            continue;
        }
        ++stats_[gs.category_id].fn;
    }
    for (size_t p = 1; p < P; ++p) {
        if (pred_area[p] == 0 || pred_matched[p]) continue;
        const int64_t cat = predictions[p - 1].category_id;
        int64_t on_void_or_crowd = inter[0 * P + p];
        const auto crowd = crowd_of_category.find(cat);
        if (crowd != crowd_of_category.end()) on_void_or_crowd += inter[crowd->second * P + p];
        if (double(on_void_or_crowd) / double(pred_area[p]) > 0.5) continue;
        ++stats_[cat].fp;
    }
}

PanopticSummary PanopticEvaluator::summarize(const std::vector<int64_t>& only) const {
    PanopticSummary s;
    double pq = 0, sq = 0, rq = 0;
    for (int64_t cat : only) {
        const auto it = stats_.find(cat);
        if (it == stats_.end()) continue;
        const PanopticCategoryStat& st = it->second;
        if (st.tp + st.fp + st.fn == 0) continue;
        const double denom = double(st.tp) + 0.5 * double(st.fp) + 0.5 * double(st.fn);
        PanopticSummary c;
        c.pq = st.iou / denom;
        c.sq = st.tp != 0 ? st.iou / double(st.tp) : 0.0;
        c.rq = double(st.tp) / denom;
        c.categories = 1;
        pq += c.pq;
        sq += c.sq;
        rq += c.rq;
        ++s.categories;
        s.per_category[cat] = c;
    }
    if (s.categories > 0) {
        s.pq = pq / s.categories;
        s.sq = sq / s.categories;
        s.rq = rq / s.categories;
    }
    return s;
}

nlohmann::json PanopticEvaluator::to_json() const {
    nlohmann::json stats = nlohmann::json::array();
    for (const auto& [cat, st] : stats_)
        stats.push_back({{"category", cat}, {"iou", st.iou}, {"tp", st.tp}, {"fp", st.fp}, {"fn", st.fn}});
    return {{"categories", categories_}, {"stats", stats}};
}

PanopticEvaluator PanopticEvaluator::from_json(const nlohmann::json& j, const std::string& source) {
    try {
        PanopticEvaluator ev(j.at("categories").get<std::vector<int64_t>>());
        for (const nlohmann::json& x : j.at("stats")) {
            PanopticCategoryStat& st = ev.stats_[x.at("category").get<int64_t>()];
            st.iou = x.at("iou").get<double>();
            st.tp = x.at("tp").get<int64_t>();
            st.fp = x.at("fp").get<int64_t>();
            st.fn = x.at("fn").get<int64_t>();
        }
        return ev;
    } catch (const nlohmann::json::exception& e) {
        throw Error(source + ": panoptic state: " + e.what());
    }
}

void PanopticEvaluator::merge(const PanopticEvaluator& other) {
    if (other.categories_ != categories_) throw Error("panoptic quality: the parts evaluate different categories");
    for (const auto& [cat, st] : other.stats_) {
        PanopticCategoryStat& mine = stats_[cat];
        mine.iou += st.iou;
        mine.tp += st.tp;
        mine.fp += st.fp;
        mine.fn += st.fn;
    }
}

}  // namespace xs::eval
