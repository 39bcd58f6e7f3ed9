#pragma once
// One attention helper for every X-SAM block: scaled_dot_product_attention on LibTorch >= 2
// (flash / memory-efficient kernels on CUDA), an explicit softmax on LibTorch 1.13.
#include <torch/torch.h>

namespace xs::xsam {

// q: [B, H, Lq, D], k and v: [B, H, Lk, D]. attn_mask (optional): additive float mask broadcastable to
// [B, H, Lq, Lk] (-inf blocks), or a bool mask where true means "may attend". is_causal adds a causal
// mask aligned to the end (query i attends keys 0 .. Lk - Lq + i). scale defaults to 1/sqrt(D).
torch::Tensor attention(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                        const c10::optional<torch::Tensor>& attn_mask = c10::nullopt, bool is_causal = false,
                        c10::optional<double> scale = c10::nullopt);

// Scores (q * scale) . k^T, [B, H, Lq, Lk], in one product (the scale is applied to q, not in a second
// pass over the scores); batches that differ are broadcast.
torch::Tensor scaled_scores(const torch::Tensor& q, const torch::Tensor& k, double scale);

// Attention over keys/values given as two blocks along the sequence, [k1 | k2] and [v1 | v2], without
// concatenating them (k1/v1: a shared cached prefix; k2/v2: a prompt's own positions). Same arguments
// and result as attention() on the concatenation; masks cover Lk = Lk1 + Lk2 columns.
torch::Tensor attention_two_blocks(const torch::Tensor& q, const torch::Tensor& k1, const torch::Tensor& v1,
                                   const torch::Tensor& k2, const torch::Tensor& v2,
                                   const c10::optional<torch::Tensor>& attn_mask = c10::nullopt,
                                   bool is_causal = false, c10::optional<double> scale = c10::nullopt);

}  // namespace xs::xsam
