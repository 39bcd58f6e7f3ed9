#pragma once
// SAM ViT image encoder (X-SAM's "segmentor.encoder", HF SamVisionEncoder layout):
//   patch_embed.projection.{weight,bias}, pos_embed [1, G, G, C],
//   layers.N.{layer_norm1, attn.qkv, attn.proj, attn.rel_pos_h, attn.rel_pos_w, layer_norm2, mlp.lin1, mlp.lin2},
//   neck.{conv1, layer_norm1, conv2, layer_norm2} (present in the weights, unused by X-SAM).
// Windowed attention (window_size, zero padding to a multiple of it) in all blocks except the global
// ones; decomposed relative position bias (MViTv2) in every block.
#include "core/xsam/model/config.h"
#include "core/xsam/model/vision_layers.h"

namespace xs::xsam {

// Relative position table lookup: rel_pos [2*max(q,k)-1 (or another length, then linearly resized), D]
// -> [q_size, k_size, D] with entry (i, j) = rel_pos[i*max(k/q,1) - j*max(q/k,1) + (k-1)*max(q/k,1)].
torch::Tensor sam_get_rel_pos(int64_t q_size, int64_t k_size, const torch::Tensor& rel_pos);

// Window partition of [B, H, W, C] into [B*nW, ws, ws, C] after zero padding to multiples of ws;
// returns the padded (Hp, Wp) too. window_unpartition inverts it and crops to (H, W).
std::pair<torch::Tensor, std::pair<int64_t, int64_t>> sam_window_partition(const torch::Tensor& x, int64_t ws);
torch::Tensor sam_window_unpartition(const torch::Tensor& windows, int64_t ws, std::pair<int64_t, int64_t> padded,
                                     std::pair<int64_t, int64_t> original);

struct SamVisionAttentionImpl : torch::nn::Module {
    SamVisionAttentionImpl(const SamVitConfig& c, int64_t window_size, const torch::TensorOptions& o);
    torch::Tensor forward(const torch::Tensor& x);  // [B, h, w, C] -> [B, h, w, C]
    int64_t num_heads;
    bool use_rel_pos;
    Linear qkv{nullptr}, proj{nullptr};
    torch::Tensor rel_pos_h, rel_pos_w;
};
TORCH_MODULE(SamVisionAttention);

struct SamMlpImpl : torch::nn::Module {
    SamMlpImpl(int64_t hidden, int64_t mlp, const torch::TensorOptions& o);
    torch::Tensor forward(const torch::Tensor& x);
    Linear lin1{nullptr}, lin2{nullptr};
};
TORCH_MODULE(SamMlp);

struct SamVisionLayerImpl : torch::nn::Module {
    SamVisionLayerImpl(const SamVitConfig& c, int64_t window_size, const torch::TensorOptions& o);
    torch::Tensor forward(const torch::Tensor& x);  // [B, H, W, C]
    int64_t window_size;
    LayerNorm layer_norm1{nullptr}, layer_norm2{nullptr};
    SamVisionAttention attn{nullptr};
    SamMlp mlp{nullptr};
};
TORCH_MODULE(SamVisionLayer);

struct SamPatchEmbedImpl : torch::nn::Module {
    SamPatchEmbedImpl(const SamVitConfig& c, const torch::TensorOptions& o);
    torch::Tensor forward(const torch::Tensor& pixels);  // [B, 3, S, S] -> [B, G, G, C]
    Conv2d projection{nullptr};
};
TORCH_MODULE(SamPatchEmbed);

struct SamVisionNeckImpl : torch::nn::Module {
    SamVisionNeckImpl(const SamVitConfig& c, const torch::TensorOptions& o);
    torch::Tensor forward(const torch::Tensor& x);  // [B, G, G, C] -> [B, out, G, G]
    Conv2d conv1{nullptr}, conv2{nullptr};
    LayerNorm2d layer_norm1{nullptr}, layer_norm2{nullptr};
};
TORCH_MODULE(SamVisionNeck);

struct SamVisionEncoderImpl : torch::nn::Module {
    SamVisionEncoderImpl(const SamVitConfig& c, const torch::TensorOptions& o = default_build_options());
    // All num_hidden_layers + 1 hidden states [B, G, G, C]: index 0 = patch + position embedding,
    // index i = output of block i-1. Stops after block `last_needed` - 1 when last_needed >= 0
    // (the returned vector then has last_needed + 1 entries).
    std::vector<torch::Tensor> forward(const torch::Tensor& pixels, int64_t last_needed = -1);
    torch::Tensor neck_forward(const torch::Tensor& last_hidden) { return neck(last_hidden); }

    SamVitConfig config;
    SamPatchEmbed patch_embed{nullptr};
    torch::Tensor pos_embed;
    torch::nn::ModuleList layers{nullptr};
    SamVisionNeck neck{nullptr};
};
TORCH_MODULE(SamVisionEncoder);

}  // namespace xs::xsam
