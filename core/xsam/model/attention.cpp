// The attention helper: scaled_dot_product_attention on LibTorch >= 2, an explicit softmax on 1.13.
#include "core/xsam/model/attention.h"

#include <torch/version.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

namespace xs::xsam {

namespace {

// Bool "may attend" mask of shape [Lq, Lk], aligned to the end: query i sees keys 0 .. Lk - Lq + i.
torch::Tensor causal_mask(int64_t lq, int64_t lk, const torch::Device& device) {
    auto qi = torch::arange(lq, torch::TensorOptions().dtype(torch::kLong).device(device)).unsqueeze(1);
    auto kj = torch::arange(lk, torch::TensorOptions().dtype(torch::kLong).device(device)).unsqueeze(0);
    return kj <= (qi + (lk - lq));
}

// Softmax over the last dimension with fp32 statistics, in the scores' dtype. For bf16 on the CPU,
// LibTorch's own bf16 kernel already accumulates in fp32 (its result equals the fp32 softmax rounded
// to bf16: test_xsam_compute) and is 2-3x faster than converting the scores.
torch::Tensor softmax_fp32_stats(const torch::Tensor& scores) {
    const auto t = scores.scalar_type();
    const bool convert = t == torch::kHalf || (t == torch::kBFloat16 && !scores.is_cpu());
    return convert ? torch::softmax(scores, -1, torch::kFloat).to(t) : torch::softmax(scores, -1);
}

// Turns a bool "may attend" mask into an additive float mask of the given dtype (-inf where blocked).
torch::Tensor to_additive(const torch::Tensor& mask, torch::ScalarType dtype) {
    if (mask.scalar_type() != torch::kBool) return mask.to(dtype);
    auto zeros = torch::zeros(mask.sizes(), torch::TensorOptions().dtype(dtype).device(mask.device()));
    return zeros.masked_fill(mask.logical_not(), -std::numeric_limits<double>::infinity());
}

#if TORCH_VERSION_MAJOR < 2
// Causal attention without another mask over a long sequence on the CPU (the image prefix: 1755
// tokens): query rows in blocks, each block against only the keys it may see (its causal mask hides
// the rest), so about half of the scores are never computed and one block's scores stay small. 2.7x
// faster per Phi-3 layer than scoring the whole square in bf16.
constexpr int64_t kCausalBlock = 256;

torch::Tensor causal_attention_in_blocks(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                                         double s) {
    const int64_t lq = q.size(2), lk = k.size(2), past = lk - lq;  // query i sees keys 0 .. past + i
    std::vector<torch::Tensor> outs;
    for (int64_t r0 = 0; r0 < lq; r0 += kCausalBlock) {
        const int64_t n = std::min(kCausalBlock, lq - r0), keys = past + r0 + n;
        auto scores = scaled_scores(q.narrow(2, r0, n), k.narrow(2, 0, keys), s);
        // The block's own square: query r0 + a sees key past + r0 + b only for b <= a.
        auto above = torch::ones({n, n}, torch::TensorOptions().dtype(torch::kBool)).triu(1);
        scores.narrow(-1, past + r0, n).masked_fill_(above, -std::numeric_limits<double>::infinity());
        outs.push_back(torch::matmul(softmax_fp32_stats(scores), v.narrow(2, 0, keys)));
    }
    return torch::cat(outs, 2);
}
#endif

}  // namespace

torch::Tensor scaled_scores(const torch::Tensor& q, const torch::Tensor& k, double s) {
    // The scale rides on q (Lq x D, small next to the Lq x Lk scores), as PyTorch's own math attention
    // scales its inputs: no second pass over the scores. (baddbmm_out with beta 0 over an empty output
    // reads it on LibTorch 1.13's CPU path: NaN in uninitialised memory came through.)
    return torch::matmul(q * s, k.transpose(-2, -1));
}

torch::Tensor attention(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                        const c10::optional<torch::Tensor>& attn_mask, bool is_causal,
                        c10::optional<double> scale) {
    TORCH_CHECK(q.dim() == 4 && k.dim() == 4 && v.dim() == 4, "attention: q, k, v must be [B, H, L, D]");
    const int64_t lq = q.size(2), lk = k.size(2);
    const double s = scale.has_value() ? *scale : 1.0 / std::sqrt(static_cast<double>(q.size(3)));
#if TORCH_VERSION_MAJOR < 2
    if (is_causal && !attn_mask.has_value() && q.is_cpu() && lq >= 2 * kCausalBlock && lk >= lq)
        return causal_attention_in_blocks(q, k, v, s);
#endif

    // Combine an explicit mask with the causal one into a single mask (sdpa forbids both at once, and
    // its own is_causal aligns to the top-left, not to the end as the KV-cache needs).
    c10::optional<torch::Tensor> mask = attn_mask;
    if (is_causal) {
        auto c = causal_mask(lq, lk, q.device());
        if (!mask.has_value()) {
            mask = c;
        } else if (mask->scalar_type() == torch::kBool) {
            mask = mask->logical_and(c);
        } else {
            mask = to_additive(c, mask->scalar_type()) + *mask;
        }
    }

#if TORCH_VERSION_MAJOR >= 2
    c10::optional<torch::Tensor> m;
    if (mask.has_value()) m = mask->scalar_type() == torch::kBool ? *mask : mask->to(q.scalar_type());
    // sdpa's CUDA kernels reject rows that are all blocked by producing NaN, exactly like the softmax
    // below; callers never build such rows.
    return at::scaled_dot_product_attention(q, k, v, m, 0.0, false, s);
#else
    // In place on the fresh product: the scores of a decoder layer over a 128x128 level are 105 MB.
    auto scores = scaled_scores(q, k, s);
    if (mask.has_value()) {
        if (mask->scalar_type() == torch::kBool && !(q.is_cpu() && mask->numel() < scores.numel())) {
            scores.masked_fill_(mask->logical_not(), -std::numeric_limits<double>::infinity());
        } else {
            // A bool mask broadcast over heads (the mask decoder's [B, 1, Q, hw]) on the CPU: as an additive
            // 0 / -inf mask built once at its own size, added in place. x + 0 = x and x + -inf = -inf for
            // every finite score, so the same scores as masked_fill_, whose broadcast bool path is about 2x
            // slower in LibTorch 1.13 (bench_xsam_layers' mask decoder case).
            scores.add_(to_additive(*mask, scores.scalar_type()));
        }
    }
    return torch::matmul(softmax_fp32_stats(scores), v);
#endif
}

torch::Tensor attention_two_blocks(const torch::Tensor& q, const torch::Tensor& k1, const torch::Tensor& v1,
                                   const torch::Tensor& k2, const torch::Tensor& v2,
                                   const c10::optional<torch::Tensor>& attn_mask, bool is_causal,
                                   c10::optional<double> scale) {
    TORCH_CHECK(k1.dim() == 4 && k2.dim() == 4 && v1.dim() == 4 && v2.dim() == 4,
                "attention_two_blocks: k and v blocks must be [B, H, L, D]");
    if (!q.device().is_cpu()) {
        // On an accelerator the concatenation is cheap next to the kernels; sdpa's fused kernels win.
        return attention(q, torch::cat({k1, k2}, 2), torch::cat({v1, v2}, 2), attn_mask, is_causal, scale);
    }
    const int64_t lq = q.size(2), l1 = k1.size(2), lk = l1 + k2.size(2);
    const double s = scale.has_value() ? *scale : 1.0 / std::sqrt(static_cast<double>(q.size(3)));
    c10::optional<torch::Tensor> mask = attn_mask;
    if (is_causal) {
        auto c = causal_mask(lq, lk, q.device());
        if (!mask.has_value()) mask = c;
        else if (mask->scalar_type() == torch::kBool) mask = mask->logical_and(c);
        else mask = to_additive(c, mask->scalar_type()) + *mask;
    }
    // Scores of both blocks side by side (small: Lq x Lk per head), one softmax, two products.
    auto scores = torch::cat({scaled_scores(q, k1, s), scaled_scores(q, k2, s)}, -1);
    if (mask.has_value()) {
        if (mask->scalar_type() == torch::kBool)
            scores.masked_fill_(mask->logical_not(), -std::numeric_limits<double>::infinity());
        else
            scores.add_(mask->to(scores.scalar_type()));
    }
    auto probs = softmax_fp32_stats(scores);
    return torch::matmul(probs.narrow(-1, 0, l1), v1) + torch::matmul(probs.narrow(-1, l1, lk - l1), v2);
}

}  // namespace xs::xsam
