// The attention helper: scaled_dot_product_attention on LibTorch >= 2, an explicit softmax on 1.13.
#include "core/xsam/model/attention.h"

#include <torch/version.h>

#include <cmath>
#include <limits>

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

}  // namespace

torch::Tensor attention(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                        const c10::optional<torch::Tensor>& attn_mask, bool is_causal,
                        c10::optional<double> scale) {
    TORCH_CHECK(q.dim() == 4 && k.dim() == 4 && v.dim() == 4, "attention: q, k, v must be [B, H, L, D]");
    const int64_t lq = q.size(2), lk = k.size(2);
    const double s = scale.has_value() ? *scale : 1.0 / std::sqrt(static_cast<double>(q.size(3)));

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
    auto scores = torch::matmul(q, k.transpose(-2, -1));
    scores.mul_(s);
    if (mask.has_value()) {
        if (mask->scalar_type() == torch::kBool) {
            scores.masked_fill_(mask->logical_not(), -std::numeric_limits<double>::infinity());
        } else {
            scores.add_(mask->to(scores.scalar_type()));
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
    auto scores = torch::cat({torch::matmul(q, k1.transpose(-2, -1)), torch::matmul(q, k2.transpose(-2, -1))}, -1);
    scores.mul_(s);
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
