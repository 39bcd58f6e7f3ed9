#pragma once
// Small building blocks for the X-SAM vision modules. Every block registers its tensors under the
// names PyTorch's own modules use (weight, bias, in_proj_weight, ...), so that a model built from them
// has named_parameters() equal to the official state-dict keys.
//
// Parameters are created uninitialised with the TensorOptions the caller passes: on the meta device
// nothing is allocated (model-info builds the full-size model that way). Forward passes cast each
// weight to the input's dtype on use, so weights may stay bf16 in memory while computing in fp32.
#include <torch/torch.h>

#include <cstdint>
#include <string>

namespace xs::xsam {

// Casts a parameter to the dtype/device of x when they differ (a no-op otherwise).
torch::Tensor like(const torch::Tensor& w, const torch::Tensor& x);

// Default options for building modules: fp32 on the CPU.
torch::TensorOptions default_build_options();

struct LinearImpl : torch::nn::Module {
    LinearImpl(int64_t in, int64_t out, bool bias, const torch::TensorOptions& o);
    torch::Tensor forward(const torch::Tensor& x);
    int64_t in_features, out_features;
    torch::Tensor weight, bias;  // bias undefined when absent
};
TORCH_MODULE(Linear);

struct Conv2dImpl : torch::nn::Module {
    Conv2dImpl(int64_t in, int64_t out, int64_t kernel, int64_t stride, int64_t padding, bool bias,
               const torch::TensorOptions& o);
    torch::Tensor forward(const torch::Tensor& x);  // [B, C, H, W]
    int64_t stride, padding;
    torch::Tensor weight, bias;
};
TORCH_MODULE(Conv2d);

// nn.LayerNorm over the last dimension.
struct LayerNormImpl : torch::nn::Module {
    LayerNormImpl(int64_t dim, double eps, const torch::TensorOptions& o);
    torch::Tensor forward(const torch::Tensor& x);
    int64_t dim;
    double eps;
    torch::Tensor weight, bias;
};
TORCH_MODULE(LayerNorm);

// SAM's channels-first LayerNorm ("LayerNorm2d"): normalises over C of [B, C, H, W], statistics in fp32
// (biased variance), then the affine transform in the input dtype.
struct LayerNorm2dImpl : torch::nn::Module {
    LayerNorm2dImpl(int64_t channels, double eps, const torch::TensorOptions& o);
    torch::Tensor forward(const torch::Tensor& x);
    int64_t channels;
    double eps;
    torch::Tensor weight, bias;
};
TORCH_MODULE(LayerNorm2d);

struct GroupNormImpl : torch::nn::Module {
    GroupNormImpl(int64_t groups, int64_t channels, double eps, const torch::TensorOptions& o);
    torch::Tensor forward(const torch::Tensor& x);
    int64_t groups;
    double eps;
    torch::Tensor weight, bias;
};
TORCH_MODULE(GroupNorm);

// nn.Embedding's table (only `weight` is used by X-SAM: queries, level embeddings, bg_embeds).
struct EmbeddingImpl : torch::nn::Module {
    EmbeddingImpl(int64_t num, int64_t dim, const torch::TensorOptions& o);
    torch::Tensor weight;
};
TORCH_MODULE(Embedding);

// nn.MultiheadAttention's parameters (in_proj_weight/in_proj_bias, out_proj) with a batch-first
// forward: q [B, Lq, E], k and v [B, Lk, E]; `allowed` (optional) is a bool mask broadcastable to
// [B, H, Lq, Lk] where true means "may attend".
struct MultiheadAttentionImpl : torch::nn::Module {
    MultiheadAttentionImpl(int64_t embed_dim, int64_t num_heads, const torch::TensorOptions& o);
    torch::Tensor forward(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                          const c10::optional<torch::Tensor>& allowed = c10::nullopt);
    // The two halves of forward(): keys and values projected and split into heads [B, heads, S, d],
    // and the attention of q over them (keys and values may be computed once and reused).
    std::pair<torch::Tensor, torch::Tensor> project_kv(const torch::Tensor& k, const torch::Tensor& v);
    torch::Tensor attend(const torch::Tensor& q, const torch::Tensor& kh, const torch::Tensor& vh,
                         const c10::optional<torch::Tensor>& allowed = c10::nullopt);
    torch::Tensor project(const torch::Tensor& x, int64_t block);
    int64_t embed_dim, num_heads;
    torch::Tensor in_proj_weight, in_proj_bias;
    Linear out_proj{nullptr};
};
TORCH_MODULE(MultiheadAttention);

// Activations as named in HF configs.
torch::Tensor gelu_erf(const torch::Tensor& x);
torch::Tensor gelu_tanh(const torch::Tensor& x);

// [B, L, H*D] -> [B, H, L, D] and back.
torch::Tensor split_heads(const torch::Tensor& x, int64_t heads);
torch::Tensor merge_heads(const torch::Tensor& x);

// Registers "0", "1", ... children in a plain module so names read like nn.Sequential's.
struct IndexedImpl : torch::nn::Module {
    template <typename M>
    M add(int64_t index, M m) {
        return register_module(std::to_string(index), m);
    }
};
TORCH_MODULE(Indexed);

}  // namespace xs::xsam
