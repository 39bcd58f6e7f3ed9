#include "core/engine/inspection.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <nlohmann/json.hpp>

#include "core/util/error.h"

namespace xs {

namespace {

// torch's area_pixel_compute_source_index for align_corners = false: the source coordinate of a
// destination pixel centre, clamped at 0.
struct Tap {
    int i0 = 0, i1 = 0;
    float w0 = 1.f, w1 = 0.f;
};

std::vector<Tap> taps(int in, int out) {
    std::vector<Tap> t(static_cast<size_t>(out));
    const float scale = float(in) / float(out);
    for (int d = 0; d < out; ++d) {
        float src = scale * (float(d) + 0.5f) - 0.5f;
        if (src < 0.f) src = 0.f;
        Tap& k = t[size_t(d)];
        k.i0 = std::min(int(src), in - 1);
        k.i1 = k.i0 + (k.i0 < in - 1 ? 1 : 0);
        k.w1 = src - float(k.i0);
        k.w0 = 1.f - k.w1;
    }
    return t;
}

float logit_of(float p) {
    if (p <= 0.f) return -INFINITY;
    if (p >= 1.f) return INFINITY;
    return std::log(p / (1.f - p));
}

float sigmoid(float x) { return 1.f / (1.f + std::exp(-x)); }

struct Cand {
    int query = -1;
    int label = -1;
    float score = 0.f;
    Mask mask;
};

// detectron2's box of a mask: (x0, y0, x1 + 1, y1 + 1); zero when empty.
std::array<float, 4> box_of(const Mask& m) {
    const BBox b = m.bbox();
    if (b.empty()) return {0.f, 0.f, 0.f, 0.f};
    return {float(b.x), float(b.y), float(b.x + b.w), float(b.y + b.h)};
}

Mask threshold_mask(const std::vector<float>& logits, int w, int h, float logit_threshold) {
    Mask m(w, h);
    uint8_t* d = m.data();
    for (size_t i = 0; i < logits.size(); ++i) d[i] = logits[i] > logit_threshold ? 1 : 0;
    return m;
}

std::vector<Cand> instance_rule(const Inspection& in, float threshold, float mask_threshold, bool keep_best) {
    const int Q = int(in.queries.size());
    const int C = Q ? int(in.queries.front().class_probs.size()) : 0;
    std::vector<std::pair<float, int>> pairs;  // (class probability, q * C + c)
    for (int q = 0; q < Q; ++q)
        for (int c = 0; c < C; ++c) pairs.push_back({in.queries[size_t(q)].class_probs[size_t(c)], q * C + c});
    std::stable_sort(pairs.begin(), pairs.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
    if (int(pairs.size()) > Q) pairs.resize(size_t(Q));  // the reference keeps the top Q pairs
    const float cut = logit_of(mask_threshold);
    std::vector<std::vector<float>> logits(static_cast<size_t>(Q));
    std::vector<float> mscore(static_cast<size_t>(Q), -1.f);
    std::vector<Cand> kept;
    Cand best;
    float best_score = -1.f;
    for (const auto& [s, flat] : pairs) {
        if (s < threshold && (!keep_best || s <= best_score)) break;  // later pairs score <= s
        const int q = flat / C, c = flat % C;
        if (logits[size_t(q)].empty()) {
            logits[size_t(q)] = in.query_logits_at_image(q);
            double num = 0, den = 0;
            for (float x : logits[size_t(q)]) {
                if (x > cut) {
                    num += sigmoid(x);
                    den += 1;
                }
            }
            mscore[size_t(q)] = float(num / (den + 1e-6));
        }
        const float score = s * mscore[size_t(q)];
        if (score >= threshold) {
            Cand k{q, c, score, threshold_mask(logits[size_t(q)], in.width, in.height, cut)};
            if (k.mask.any()) kept.push_back(std::move(k));
        }
        if (score > best_score) {
            best_score = score;
            best = Cand{q, c, score, Mask()};
        }
    }
    if (keep_best && best.query >= 0) {
        bool present = false;
        for (const Cand& k : kept) present = present || (k.query == best.query && k.label == best.label);
        if (!present) {
            best.mask = threshold_mask(logits[size_t(best.query)], in.width, in.height, cut);
            kept.push_back(std::move(best));
        }
    }
    std::stable_sort(kept.begin(), kept.end(), [](const Cand& a, const Cand& b) { return a.score > b.score; });
    return kept;
}

std::vector<Cand> best_per_class_rule(const Inspection& in, float mask_threshold) {
    const int Q = int(in.queries.size());
    const int C = Q ? int(in.queries.front().class_probs.size()) : 0;
    const float cut = logit_of(mask_threshold);
    std::vector<Cand> out;
    for (int c = 0; c < C; ++c) {
        int best_q = 0;
        for (int q = 1; q < Q; ++q)  // first maximum, as torch's max
            if (in.queries[size_t(q)].class_probs[size_t(c)] > in.queries[size_t(best_q)].class_probs[size_t(c)])
                best_q = q;
        Cand k;
        k.query = best_q;
        k.label = c;
        k.score = in.queries[size_t(best_q)].class_probs[size_t(c)];
        k.mask = threshold_mask(in.query_logits_at_image(best_q), in.width, in.height, cut);
        out.push_back(std::move(k));
    }
    return out;
}

std::vector<Cand> interactive_rule(const Inspection& in, float threshold, float mask_threshold) {
    std::vector<Cand> cands = instance_rule(in, threshold, mask_threshold, true);
    if (cands.empty()) return cands;
    std::vector<int> hits(cands.size(), 0);
    for (size_t i = 0; i < cands.size(); ++i)
        for (const Mask& n : in.negatives)
            if (n.width() == in.width && n.height() == in.height && mask_intersection(cands[i].mask, n).any()) ++hits[i];
    const int fewest = *std::min_element(hits.begin(), hits.end());
    const std::array<float, 4> pbox = {in.prompt_box[0], in.prompt_box[1], in.prompt_box[2], in.prompt_box[3]};
    int chosen = -1;
    float best = -1.f;
    for (size_t i = 0; i < cands.size(); ++i) {
        if (hits[i] != fewest) continue;
        const float iou = box_iou(box_of(cands[i].mask), pbox);
        if (iou > best) {
            best = iou;
            chosen = int(i);
        }
    }
    if (fewest > 0)
        for (const Mask& n : in.negatives) cands[size_t(chosen)].mask = mask_subtract(cands[size_t(chosen)].mask, n);
    return {std::move(cands[size_t(chosen)])};
}

}  // namespace

std::vector<float> resize_bilinear(const std::vector<float>& src, int src_h, int src_w, int dst_h, int dst_w) {
    if (src_h == dst_h && src_w == dst_w) return src;
    const std::vector<Tap> ty = taps(src_h, dst_h), tx = taps(src_w, dst_w);
    std::vector<float> out(size_t(dst_h) * size_t(dst_w));
    for (int y = 0; y < dst_h; ++y) {
        const Tap& a = ty[size_t(y)];
        const float* r0 = src.data() + size_t(a.i0) * size_t(src_w);
        const float* r1 = src.data() + size_t(a.i1) * size_t(src_w);
        float* o = out.data() + size_t(y) * size_t(dst_w);
        for (int x = 0; x < dst_w; ++x) {
            const Tap& b = tx[size_t(x)];
            o[x] = a.w0 * (b.w0 * r0[b.i0] + b.w1 * r0[b.i1]) + a.w1 * (b.w0 * r1[b.i0] + b.w1 * r1[b.i1]);
        }
    }
    return out;
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

std::vector<float> Inspection::query_logits_at_image(int query) const {
    if (query < 0 || query >= num_queries) throw Error("inspection: no query " + std::to_string(query));
    const size_t n = size_t(mask_h) * size_t(mask_w);
    std::vector<float> grid(mask_logits.begin() + std::ptrdiff_t(size_t(query) * n),
                            mask_logits.begin() + std::ptrdiff_t(size_t(query + 1) * n));
    std::vector<float> full = resize_bilinear(grid, mask_h, mask_w, canvas, canvas);
    std::vector<float> crop(size_t(scaled_h) * size_t(scaled_w));
    for (int y = 0; y < scaled_h; ++y)
        std::copy_n(full.begin() + std::ptrdiff_t(size_t(y) * size_t(canvas)), scaled_w,
                    crop.begin() + std::ptrdiff_t(size_t(y) * size_t(scaled_w)));
    return resize_bilinear(crop, scaled_h, scaled_w, height, width);
}

std::vector<InstanceResult> postprocess_inspection(const Inspection& in, float score_threshold, float mask_threshold) {
    if (in.rule == Inspection::Rule::None || in.queries.empty()) return {};
    if (in.mask_logits.size() != size_t(in.num_queries) * size_t(in.mask_h) * size_t(in.mask_w) ||
        int(in.queries.size()) != in.num_queries)
        throw Error("inspection: the mask grids do not match the queries");
    std::vector<Cand> cands;
    switch (in.rule) {
        case Inspection::Rule::BestPerClass: cands = best_per_class_rule(in, mask_threshold); break;
        case Inspection::Rule::Instances: cands = instance_rule(in, score_threshold, mask_threshold, false); break;
        case Inspection::Rule::Interactive: cands = interactive_rule(in, score_threshold, mask_threshold); break;
        case Inspection::Rule::None: break;
    }
    std::vector<InstanceResult> out;
    for (Cand& c : cands) {
        InstanceResult r;
        r.mask = std::move(c.mask);
        r.score = std::clamp(c.score, 0.f, 1.f);
        r.prompt_index = c.label;
        if (c.label >= 0 && size_t(c.label) < in.labels.size()) r.label = in.labels[size_t(c.label)];
        out.push_back(std::move(r));
    }
    return out;
}

std::string inspection_to_json(const Inspection& in, bool with_mask_grids) {
    using nlohmann::json;
    json j;
    j["engine"] = in.engine;
    j["task"] = task_name(in.task);
    const char* rules[] = {"best_per_class", "instances", "interactive", "none"};
    j["postprocess_rule"] = rules[int(in.rule)];
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

float box_iou(const std::array<float, 4>& a, const std::array<float, 4>& b) {
    const float area_a = (a[2] - a[0]) * (a[3] - a[1]);
    const float area_b = (b[2] - b[0]) * (b[3] - b[1]);
    const float iw = std::max(0.f, std::min(a[2], b[2]) - std::max(a[0], b[0]));
    const float ih = std::max(0.f, std::min(a[3], b[3]) - std::max(a[1], b[1]));
    const float inter = iw * ih;
    const float uni = area_a + area_b - inter;
    return uni > 0 ? inter / uni : 0.f;  // detectron2's pairwise_iou: 0 where the union is empty
}

}  // namespace xs
