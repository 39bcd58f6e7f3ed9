#include "core/xsam/pipeline/postprocess.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <numeric>

#include "core/util/error.h"

namespace xs::xsam {

namespace F = torch::nn::functional;

namespace {

torch::Tensor bilinear(const torch::Tensor& x, int64_t h, int64_t w) {
    if (x.size(-2) == h && x.size(-1) == w) return x;
    return F::interpolate(x, F::InterpolateFuncOptions()
                                 .size(std::vector<int64_t>{h, w})
                                 .mode(torch::kBilinear)
                                 .align_corners(false));
}

void check_output(const DecoderOutput& out) {
    if (!out.class_logits.defined() || out.class_logits.dim() != 2 || out.class_logits.size(1) < 2)
        throw Error("X-SAM post-processing: class logits must be [queries, classes + 1]");
    if (!out.mask_logits.defined() || out.mask_logits.dim() != 3 || out.mask_logits.size(0) != out.class_logits.size(0))
        throw Error("X-SAM post-processing: mask logits must be [queries, h, w]");
}

// A candidate's own mask on the CPU (candidates of one query for several classes share no storage).
torch::Tensor own_cpu_copy(const torch::Tensor& m) { return m.is_cpu() ? m.clone() : m.to(torch::kCPU); }

}  // namespace

float mask_score(const torch::Tensor& logits_hw, float cut, torch::Tensor* mask) {
    // sigmoid * mask with the bool mask promoted is sigmoid * 1.0 or * 0.0, the same values as with a float
    // mask, summed in the same layout; the count of a bool mask is exact, as the float sum of 0/1 values is
    // below 2^24 elements (above that the float sum is kept, being what the reference computes).
    torch::Tensor m = logits_hw > cut;
    const double num = logits_hw.sigmoid().mul_(m).sum().item<double>();
    const double count = logits_hw.numel() < (int64_t(1) << 24) ? double(m.sum().item<int64_t>())
                                                                  : m.to(torch::kFloat32).sum().item<double>();
    if (mask) *mask = std::move(m);
    return float(num / (count + 1e-6));
}

torch::Tensor masks_to_image_whole_canvas(const torch::Tensor& mask_logits, const CanvasGeometry& g) {
    torch::Tensor x = mask_logits.to(torch::kFloat32);
    if (x.dim() == 2) x = x.unsqueeze(0);
    x = bilinear(x.unsqueeze(0), g.canvas, g.canvas);  // [1, N, S, S]
    x = x.narrow(2, 0, g.scaled_h).narrow(3, 0, g.scaled_w);
    x = bilinear(x.contiguous(), g.height, g.width);
    return x.squeeze(0);
}

torch::Tensor masks_to_image(const torch::Tensor& mask_logits, const CanvasGeometry& g) {
    torch::Tensor x = mask_logits.to(torch::kFloat32);
    if (x.dim() == 2) x = x.unsqueeze(0);
    const int64_t h = x.size(1), w = x.size(2), S = g.canvas;
    // The canvas upsampling only for the rows and columns the image occupies: when S is a whole multiple
    // k of the logits' size, upsampling the top-left r x c logits to (k r) x (k c) uses the same ratio
    // (1/k, exact in float) and so the same source positions and weights for every output pixel as the
    // whole S x S upsampling; two logits beyond the last one the image needs keep the kernel's clamp at
    // the border where the whole-canvas one has it. Bitwise equal to masks_to_image_whole_canvas
    // (test_xsam_engine_units), without the rows and columns outside the image (a 640 x 480 image: a
    // quarter of the canvas) or the copy of the crop.
    if (h <= 0 || w <= 0 || S % h != 0 || S % w != 0 || g.scaled_h <= 0 || g.scaled_w <= 0 || g.scaled_h > S ||
        g.scaled_w > S)
        return masks_to_image_whole_canvas(mask_logits, g);
    const int64_t ky = S / h, kx = S / w;
    const int64_t r = std::min<int64_t>(h, (g.scaled_h + ky - 1) / ky + 2);
    const int64_t c = std::min<int64_t>(w, (g.scaled_w + kx - 1) / kx + 2);
    x = x.narrow(1, 0, r).narrow(2, 0, c).unsqueeze(0);
    if (ky != 1 || kx != 1) x = bilinear(x, r * ky, c * kx);  // [1, N, k r, k c], the canvas's top-left part
    x = x.narrow(2, 0, g.scaled_h).narrow(3, 0, g.scaled_w);
    x = bilinear(x.contiguous(), g.height, g.width);
    return x.squeeze(0);
}

torch::Tensor class_probs(const torch::Tensor& class_logits) {
    torch::Tensor p = class_logits.to(torch::kFloat32).softmax(-1);
    return p.narrow(-1, 0, p.size(-1) - 1);
}

std::vector<Candidate> best_query_per_class(const DecoderOutput& out, const CanvasGeometry& g, float mask_threshold) {
    check_output(out);
    torch::Tensor scores = class_probs(out.class_logits);  // [Q, C]
    auto [top_score, top_index] = scores.max(0);
    std::vector<Candidate> res;
    for (int64_t c = 0; c < scores.size(1); ++c) {
        Candidate cand;
        cand.query = int(top_index[c].item<int64_t>());
        cand.label = int(c);
        cand.score = top_score[c].item<float>();
        torch::Tensor logits = masks_to_image(out.mask_logits.narrow(0, cand.query, 1), g)[0];
        cand.mask = (logits.sigmoid() > mask_threshold).to(torch::kCPU);
        res.push_back(std::move(cand));
    }
    return res;
}

std::vector<Candidate> instance_candidates(const DecoderOutput& out, const CanvasGeometry& g, float threshold,
                                           bool keep_best, float mask_threshold) {
    check_output(out);
    // The mask's logit threshold: 0 (probability 0.5, the reference) by default.
    const float cut = mask_threshold <= 0.f ? -INFINITY : mask_threshold >= 1.f ? INFINITY
                                                         : std::log(mask_threshold / (1.f - mask_threshold));
    torch::Tensor scores = class_probs(out.class_logits).to(torch::kCPU);  // [Q, C]
    const int64_t Q = scores.size(0), C = scores.size(1);
    // The reference keeps the top Q of the Q x C (query, class) pairs.
    torch::Tensor flat = scores.flatten();
    auto [vals, idx] = flat.topk(std::min<int64_t>(Q, flat.numel()), 0, /*largest=*/true, /*sorted=*/true);
    auto vals_a = vals.accessor<float, 1>();
    auto idx_a = idx.accessor<int64_t, 1>();

    std::vector<Candidate> kept;
    Candidate best;
    float best_score = -1.f;
    std::vector<float> ms_cache(static_cast<size_t>(Q), -1.f);
    std::vector<torch::Tensor> mask_cache(static_cast<size_t>(Q));  // logit > cut, bool [H, W]
    // Upsampling one query at a time runs on one thread (interpolate parallelises over maps), so the
    // queries are upsampled in groups: the next few not yet done, in the order the loop visits them.
    // Groups start at 2 (a real model's loop usually stops after one or two queries) and double.
    int64_t group = 2;
    auto upsample_from = [&](int64_t i) {
        std::vector<int64_t> qs;
        for (int64_t j = i; j < vals.size(0) && int64_t(qs.size()) < group; ++j) {
            const int64_t q = idx_a[j] / C;
            if (!mask_cache[size_t(q)].defined() && std::find(qs.begin(), qs.end(), q) == qs.end()) qs.push_back(q);
        }
        torch::Tensor idx_t = torch::tensor(qs, torch::kLong).to(out.mask_logits.device());
        torch::Tensor up = masks_to_image(out.mask_logits.index_select(0, idx_t), g);  // [n, H, W]
        for (size_t k = 0; k < qs.size(); ++k)
            ms_cache[size_t(qs[k])] = mask_score(up[int64_t(k)], cut, &mask_cache[size_t(qs[k])]);
        group = std::min<int64_t>(group * 2, 16);
    };
    for (int64_t i = 0; i < vals.size(0); ++i) {
        const float s = vals_a[i];
        // Every later pair has class probability <= s, hence score <= s.
        if (s < threshold && (!keep_best || s <= best_score)) break;
        const int64_t q = idx_a[i] / C, c = idx_a[i] % C;
        if (!mask_cache[size_t(q)].defined()) upsample_from(i);
        const float score = s * ms_cache[size_t(q)];
        const torch::Tensor& mask = mask_cache[size_t(q)];
        if (score >= threshold) {
            Candidate cand{int(q), int(c), score, own_cpu_copy(mask)};
            if (cand.mask.any().item<bool>()) kept.push_back(std::move(cand));
        }
        if (score > best_score) {
            best_score = score;
            best = Candidate{int(q), int(c), score, torch::Tensor()};
        }
    }
    if (keep_best && best.query >= 0) {
        bool present = std::any_of(kept.begin(), kept.end(),
                                   [&](const Candidate& k) { return k.query == best.query && k.label == best.label; });
        if (!present) {
            best.mask = own_cpu_copy(mask_cache[size_t(best.query)]);
            kept.push_back(std::move(best));
        }
    }
    std::stable_sort(kept.begin(), kept.end(), [](const Candidate& a, const Candidate& b) { return a.score > b.score; });
    return kept;
}

std::vector<Candidate> semantic_segments(const DecoderOutput& out, const CanvasGeometry& g) {
    check_output(out);
    torch::Tensor cls = class_probs(out.class_logits).to(out.mask_logits.device());  // [Q, C]
    const int64_t Q = cls.size(0), C = cls.size(1);
    torch::Tensor acc;  // [C, h', w']
    const int64_t chunk = 16;
    for (int64_t q0 = 0; q0 < Q; q0 += chunk) {
        const int64_t n = std::min(chunk, Q - q0);
        torch::Tensor m = bilinear(out.mask_logits.narrow(0, q0, n).to(torch::kFloat32).unsqueeze(0), g.canvas, g.canvas)[0];
        m = m.narrow(1, 0, g.scaled_h).narrow(2, 0, g.scaled_w).sigmoid();  // [n, h', w']
        torch::Tensor part = torch::einsum("qc,qhw->chw", {cls.narrow(0, q0, n), m});
        acc = acc.defined() ? acc + part : part;
    }
    torch::Tensor seg = bilinear(acc.unsqueeze(0).contiguous(), g.height, g.width)[0];  // [C, H, W]
    auto [val, arg] = seg.max(0);
    std::vector<Candidate> res;
    for (int64_t c = 0; c < C; ++c) {
        torch::Tensor m = (arg == c);
        const int64_t area = m.sum().item<int64_t>();
        if (area == 0) continue;
        Candidate cand;
        cand.label = int(c);
        cand.score = std::clamp(val.masked_select(m).mean().item<float>(), 0.f, 1.f);
        cand.mask = m.to(torch::kCPU);
        res.push_back(std::move(cand));
    }
    std::stable_sort(res.begin(), res.end(), [](const Candidate& a, const Candidate& b) { return a.score > b.score; });
    return res;
}

std::vector<Candidate> panoptic_segments(const DecoderOutput& out, const CanvasGeometry& g, float threshold,
                                         float mask_threshold, float overlap_threshold, const std::vector<int>& stuff) {
    check_output(out);
    torch::Tensor scores = class_probs(out.class_logits).to(out.mask_logits.device());
    auto [pred_score, pred_label] = scores.max(-1);
    torch::Tensor keep = (pred_score > threshold).nonzero().flatten();
    const int64_t K = keep.size(0);
    if (K == 0) return {};
    // Streaming over the kept queries: the score-weighted argmax map and each query's own area.
    torch::Tensor best_val, best_idx;
    std::vector<int64_t> own_area(static_cast<size_t>(K), 0);
    std::vector<int64_t> queries(static_cast<size_t>(K));
    torch::Tensor keep_cpu = keep.to(torch::kCPU);
    for (int64_t k = 0; k < K; ++k) queries[size_t(k)] = keep_cpu[k].item<int64_t>();
    const int64_t chunk = 8;
    for (int64_t k0 = 0; k0 < K; k0 += chunk) {
        const int64_t n = std::min(chunk, K - k0);
        torch::Tensor qi = keep.narrow(0, k0, n);
        torch::Tensor probs = masks_to_image(out.mask_logits.index_select(0, qi), g).sigmoid();  // [n, H, W]
        probs = probs * pred_score.index_select(0, qi).to(torch::kFloat32).view({n, 1, 1});
        for (int64_t j = 0; j < n; ++j) own_area[size_t(k0 + j)] = (probs[j] >= mask_threshold).sum().item<int64_t>();
        auto [v, a] = probs.max(0);
        a = a + k0;
        if (!best_val.defined()) {
            best_val = v;
            best_idx = a;
        } else {
            torch::Tensor better = v > best_val;  // ties keep the earlier query, as argmax does
            best_val = torch::where(better, v, best_val);
            best_idx = torch::where(better, a, best_idx);
        }
    }
    std::vector<Candidate> res;
    for (int64_t k = 0; k < K; ++k) {
        torch::Tensor m = (best_idx == k);
        const int64_t area = m.sum().item<int64_t>();
        const int64_t orig = own_area[size_t(k)];
        if (area == 0 || orig == 0) continue;
        if (!(double(area) / double(orig) > overlap_threshold)) continue;
        Candidate cand;
        cand.query = int(queries[size_t(k)]);
        cand.label = int(pred_label[queries[size_t(k)]].item<int64_t>());
        cand.score = pred_score[queries[size_t(k)]].item<float>();
        cand.mask = m.to(torch::kCPU);
        const bool fuse = std::find(stuff.begin(), stuff.end(), cand.label) != stuff.end();
        auto same_stuff = std::find_if(res.begin(), res.end(), [&](const Candidate& c) { return c.label == cand.label; });
        if (fuse && same_stuff != res.end()) same_stuff->mask.logical_or_(cand.mask);
        else res.push_back(std::move(cand));
    }
    std::stable_sort(res.begin(), res.end(), [](const Candidate& a, const Candidate& b) { return a.score > b.score; });
    return res;
}

std::array<float, 4> mask_box(const torch::Tensor& mask) {
    torch::Tensor m = mask.to(torch::kBool);
    torch::Tensor rows = m.any(1).nonzero(), cols = m.any(0).nonzero();
    if (rows.numel() == 0) return {0.f, 0.f, 0.f, 0.f};
    return {float(cols.min().item<int64_t>()), float(rows.min().item<int64_t>()),
            float(cols.max().item<int64_t>() + 1), float(rows.max().item<int64_t>() + 1)};
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

int choose_interactive(std::vector<Candidate>& candidates, const torch::Tensor& prompt_mask,
                       const std::vector<torch::Tensor>& negatives) {
    return choose_interactive(candidates, mask_box(prompt_mask), negatives);
}

int choose_interactive(std::vector<Candidate>& candidates, const std::array<float, 4>& pbox,
                       const std::vector<torch::Tensor>& negatives) {
    if (candidates.empty()) return -1;
    std::vector<int> hits(candidates.size(), 0);
    for (size_t i = 0; i < candidates.size(); ++i)
        for (const torch::Tensor& n : negatives)
            if (candidates[i].mask.logical_and(n).any().item<bool>()) ++hits[i];
    const int fewest = *std::min_element(hits.begin(), hits.end());
    int chosen = -1;
    float best = -1.f;
    for (size_t i = 0; i < candidates.size(); ++i) {
        if (hits[i] != fewest) continue;
        const float iou = box_iou(mask_box(candidates[i].mask), pbox);
        if (iou > best) {  // first maximum, as argmax
            best = iou;
            chosen = int(i);
        }
    }
    if (fewest > 0) {
        torch::Tensor& m = candidates[size_t(chosen)].mask;
        for (const torch::Tensor& n : negatives) m = m.logical_and(n.logical_not());
    }
    return chosen;
}

torch::Tensor region_to_image(const torch::Tensor& region, const CanvasGeometry& g) {
    torch::Tensor crop = region.narrow(0, 0, g.scaled_h).narrow(1, 0, g.scaled_w).to(torch::kCPU);
    auto opts = torch::TensorOptions().dtype(torch::kFloat64);
    // torch's legacy "nearest" as the reference's sem_seg_postprocess(mode="nearest"): floor(dst * in / out).
    torch::Tensor ys = (torch::arange(g.height, opts) * (double(g.scaled_h) / g.height)).floor().clamp_max(g.scaled_h - 1);
    torch::Tensor xs = (torch::arange(g.width, opts) * (double(g.scaled_w) / g.width)).floor().clamp_max(g.scaled_w - 1);
    return crop.index_select(0, ys.to(torch::kLong)).index_select(1, xs.to(torch::kLong)).to(torch::kBool);
}

Mask to_mask(const torch::Tensor& mask) {
    torch::Tensor m = mask.to(torch::kCPU).to(torch::kUInt8).contiguous();
    if (m.dim() != 2) throw Error("to_mask: expected a 2-D mask");
    Mask out(int(m.size(1)), int(m.size(0)));
    std::memcpy(out.data(), m.data_ptr<uint8_t>(), size_t(m.numel()));
    return out;
}

torch::Tensor from_mask(const Mask& mask) {
    torch::Tensor t = torch::from_blob(const_cast<uint8_t*>(mask.data()), {mask.height(), mask.width()}, torch::kUInt8);
    return t.to(torch::kBool).clone();
}

}  // namespace xs::xsam
