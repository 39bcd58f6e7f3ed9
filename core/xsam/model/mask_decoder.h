#pragma once
// X-SAM's modified Mask2Former transformer decoder ("segmentor.decoder") and open-vocabulary class
// scoring ("segmentor.logit_scale"):
//   queries_embedder.weight (query positions), queries_features.weight (content), level_embed.weight,
//   decoder.layers.N.{cross_attn.{in_proj_weight, in_proj_bias, out_proj}, cross_attn_layer_norm,
//                     self_attn.{q,k,v,out}_proj, self_attn_layer_norm, fc1, fc2, final_layer_norm},
//   decoder.layernorm, decoder.mask_predictor.mask_embedder.{0,1,2}.0.{weight,bias}.
// Each layer: masked cross-attention (level i % L, lowest resolution first; blocked where
// sigmoid(previous mask) < 0.5, fully blocked rows unblocked) -> self-attention -> FFN (ReLU), post-norm.
// LLM conditioning: a [B, D] embedding (llm_projector of the <SEG> hidden state) added to every
// content query. Classes: exp(logit_scale) * cos(query state, condition embedding), clamped.
#include "core/xsam/model/config.h"
#include "core/xsam/model/vision_layers.h"

namespace xs::xsam {

struct DecoderSelfAttentionImpl : torch::nn::Module {
    DecoderSelfAttentionImpl(int64_t dim, int64_t heads, const torch::TensorOptions& o);
    torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& pos);  // [B, Q, D]
    int64_t num_heads;
    Linear k_proj{nullptr}, v_proj{nullptr}, q_proj{nullptr}, out_proj{nullptr};
};
TORCH_MODULE(DecoderSelfAttention);

struct MaskedAttentionDecoderLayerImpl : torch::nn::Module {
    MaskedAttentionDecoderLayerImpl(const MaskDecoderConfig& c, const torch::TensorOptions& o);
    // x, query_pos [B, Q, D]; memory, memory_pos [B, S, D]; allowed [B, heads or 1, Q, S] (true = attend; broadcast over heads).
    torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& query_pos, const torch::Tensor& memory,
                          const torch::Tensor& memory_pos, const c10::optional<torch::Tensor>& allowed);
    // The same with the cross-attention keys and values already projected (cross_attn->project_kv).
    torch::Tensor forward_kv(const torch::Tensor& x, const torch::Tensor& query_pos, const torch::Tensor& keys,
                             const torch::Tensor& values, const c10::optional<torch::Tensor>& allowed);
    DecoderSelfAttention self_attn{nullptr};
    LayerNorm self_attn_layer_norm{nullptr}, cross_attn_layer_norm{nullptr}, final_layer_norm{nullptr};
    MultiheadAttention cross_attn{nullptr};
    Linear fc1{nullptr}, fc2{nullptr};
};
TORCH_MODULE(MaskedAttentionDecoderLayer);

// MLP(D, D, mask_dim), three layers with ReLU between: mask_embedder.{i}.0.
struct MaskEmbedderImpl : torch::nn::Module {
    MaskEmbedderImpl(int64_t in, int64_t hidden, int64_t out, int64_t layers, const torch::TensorOptions& o);
    torch::Tensor forward(const torch::Tensor& x);
    std::vector<Linear> linears;
};
TORCH_MODULE(MaskEmbedder);

struct MaskPredictorImpl : torch::nn::Module {
    MaskPredictorImpl(const MaskDecoderConfig& c, const torch::TensorOptions& o);
    MaskEmbedder mask_embedder{nullptr};
};
TORCH_MODULE(MaskPredictor);

struct MaskedAttentionDecoderImpl : torch::nn::Module {
    MaskedAttentionDecoderImpl(const MaskDecoderConfig& c, const torch::TensorOptions& o);
    torch::nn::ModuleList layers{nullptr};
    LayerNorm layernorm{nullptr};
    MaskPredictor mask_predictor{nullptr};
};
TORCH_MODULE(MaskedAttentionDecoder);

struct MaskDecoderOutput {
    // Per prediction (1 + number of layers; the last is the final answer):
    std::vector<torch::Tensor> query_states;  // layer-normed query states [B, Q, D] (class scoring input)
    std::vector<torch::Tensor> mask_logits;   // [B, Q, H0, W0] at the mask-feature resolution
};

// What the decoder reads of an image, independent of the prompt, computed once per image:
//  - per layer, the cross-attention keys (in_proj_k of level features + level embedding + sine
//    positions) and values (in_proj_v of features + level embedding) of that layer's level;
//  - per level, the mask features resized (bilinear) to the level's size. The attention mask of the
//    next layer is sigmoid(resize(emb . F)) < 0.5, and resizing is linear per channel, so
//    resize(emb . F) == emb . resize(F): an einsum over h*w instead of over H0*W0 and a resize of
//    Q maps (the intermediate full-resolution masks are computed only when asked for).
struct DecoderMemory {
    std::vector<torch::Tensor> keys, values;         // per layer [Bm, heads, S_level, D / heads]
    std::vector<torch::Tensor> level_mask_features;  // per level [Bm, C, h, w]
    bool defined() const { return !keys.empty(); }
    size_t bytes() const;
};

struct MaskDecoderImpl : torch::nn::Module {
    MaskDecoderImpl(const MaskDecoderConfig& c, const torch::TensorOptions& o = default_build_options());
    // multi_scale_features: pixel decoder levels (lowest resolution first) [B, D, h, w];
    // mask_features [B, D, H0, W0]; seg_embedding (optional) [B, D] added to every content query.
    // keep_all: keep every intermediate prediction (else only the last one is returned).
    MaskDecoderOutput forward(const std::vector<torch::Tensor>& multi_scale_features, const torch::Tensor& mask_features,
                              const c10::optional<torch::Tensor>& seg_embedding = c10::nullopt, bool keep_all = false);
    // The prompt-independent part (see DecoderMemory) of the same features.
    DecoderMemory prepare_memory(const std::vector<torch::Tensor>& multi_scale_features, const torch::Tensor& mask_features);
    // forward() on a prepared memory; mask_features and memory may have batch 1 while seg_embedding
    // has batch B (broadcast).
    MaskDecoderOutput forward_memory(const DecoderMemory& memory, const torch::Tensor& mask_features,
                                     const c10::optional<torch::Tensor>& seg_embedding = c10::nullopt,
                                     bool keep_all = false);

    MaskDecoderConfig config;
    Embedding queries_embedder{nullptr}, queries_features{nullptr}, level_embed{nullptr};
    MaskedAttentionDecoder decoder{nullptr};
};
TORCH_MODULE(MaskDecoder);

// Cosine class logits: clamp(exp(logit_scale) * <q/|q|, c/|c|>, +-clamp): query_states [B, Q, D],
// cond_embeddings [B, K, D] (phrases then bg_embeds last) -> [B, Q, K].
torch::Tensor cosine_class_logits(const torch::Tensor& query_states, const torch::Tensor& cond_embeddings,
                                  const torch::Tensor& logit_scale, double clamp = 500.0);

}  // namespace xs::xsam
