#pragma once
// SigLIP(2) vision tower (X-SAM's "visual_encoder", HF SiglipVisionModel layout):
//   vision_model.embeddings.{patch_embedding.{weight,bias}, position_embedding.weight}
//   vision_model.encoder.layers.N.{layer_norm1, self_attn.{q,k,v,out}_proj, layer_norm2, mlp.fc1, mlp.fc2}
//   vision_model.post_layernorm, vision_model.head.{probe, attention.*, layernorm, mlp.*}
// X-SAM uses hidden_states[select_layer] (-2: the output of the second-to-last layer, before the
// post-LayerNorm); post_layernorm and the head are present in the weights but unused.
#include "core/xsam/model/config.h"
#include "core/xsam/model/vision_layers.h"

namespace xs::xsam {

struct SiglipEmbeddingsImpl : torch::nn::Module {
    SiglipEmbeddingsImpl(const SiglipConfig& c, const torch::TensorOptions& o);
    torch::Tensor forward(const torch::Tensor& pixels);  // [B, 3, S, S] -> [B, N, C]
    Conv2d patch_embedding{nullptr};
    Embedding position_embedding{nullptr};
};
TORCH_MODULE(SiglipEmbeddings);

struct SiglipAttentionImpl : torch::nn::Module {
    SiglipAttentionImpl(int64_t hidden, int64_t heads, const torch::TensorOptions& o);
    torch::Tensor forward(const torch::Tensor& x);
    int64_t num_heads;
    Linear k_proj{nullptr}, v_proj{nullptr}, q_proj{nullptr}, out_proj{nullptr};
};
TORCH_MODULE(SiglipAttention);

struct SiglipMlpImpl : torch::nn::Module {
    SiglipMlpImpl(int64_t hidden, int64_t inter, bool tanh_gelu, const torch::TensorOptions& o);
    torch::Tensor forward(const torch::Tensor& x);
    bool tanh_gelu;
    Linear fc1{nullptr}, fc2{nullptr};
};
TORCH_MODULE(SiglipMlp);

struct SiglipEncoderLayerImpl : torch::nn::Module {
    SiglipEncoderLayerImpl(const SiglipConfig& c, const torch::TensorOptions& o);
    torch::Tensor forward(const torch::Tensor& x);
    LayerNorm layer_norm1{nullptr}, layer_norm2{nullptr};
    SiglipAttention self_attn{nullptr};
    SiglipMlp mlp{nullptr};
};
TORCH_MODULE(SiglipEncoderLayer);

struct SiglipEncoderImpl : torch::nn::Module {
    SiglipEncoderImpl(const SiglipConfig& c, const torch::TensorOptions& o);
    torch::nn::ModuleList layers{nullptr};
};
TORCH_MODULE(SiglipEncoder);

// Multihead attention pooling head (weights only; X-SAM never runs it).
struct SiglipHeadImpl : torch::nn::Module {
    SiglipHeadImpl(const SiglipConfig& c, const torch::TensorOptions& o);
    torch::Tensor probe;
    MultiheadAttention attention{nullptr};
    LayerNorm layernorm{nullptr};
    SiglipMlp mlp{nullptr};
};
TORCH_MODULE(SiglipHead);

struct SiglipVisionTransformerImpl : torch::nn::Module {
    SiglipVisionTransformerImpl(const SiglipConfig& c, const torch::TensorOptions& o);
    SiglipEmbeddings embeddings{nullptr};
    SiglipEncoder encoder{nullptr};
    LayerNorm post_layernorm{nullptr};
    SiglipHead head{nullptr};
};
TORCH_MODULE(SiglipVisionTransformer);

struct SiglipVisionModelImpl : torch::nn::Module {
    SiglipVisionModelImpl(const SiglipConfig& c, const torch::TensorOptions& o = default_build_options());
    // Hidden states 0..last_needed ([B, N, C]; 0 = embeddings, i = output of layer i-1); all of them
    // (num_hidden_layers + 1) when last_needed < 0.
    std::vector<torch::Tensor> hidden_states(const torch::Tensor& pixels, int64_t last_needed = -1);
    // hidden_states[config.select_layer] computed without running the layers after it.
    torch::Tensor selected_features(const torch::Tensor& pixels);
    // post_layernorm(last hidden state) (HF last_hidden_state; for parity tests).
    torch::Tensor last_hidden_state(const torch::Tensor& pixels);

    SiglipConfig config;
    SiglipVisionTransformer vision_model{nullptr};
};
TORCH_MODULE(SiglipVisionModel);

}  // namespace xs::xsam
