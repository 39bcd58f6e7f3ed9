// SigLIP(2) vision tower (see siglip.h).
#include "core/xsam/model/siglip.h"

#include "core/util/error.h"
#include "core/xsam/model/attention.h"

namespace xs::xsam {

SiglipEmbeddingsImpl::SiglipEmbeddingsImpl(const SiglipConfig& c, const torch::TensorOptions& o) {
    patch_embedding = register_module(
        "patch_embedding", Conv2d(c.num_channels, c.hidden_size, c.patch_size, c.patch_size, 0, true, o));
    position_embedding = register_module("position_embedding", Embedding(c.num_patches(), c.hidden_size, o));
}

torch::Tensor SiglipEmbeddingsImpl::forward(const torch::Tensor& pixels) {
    auto x = patch_embedding(pixels).flatten(2).transpose(1, 2);  // [B, N, C]
    return x + like(position_embedding->weight, x).unsqueeze(0);
}

SiglipAttentionImpl::SiglipAttentionImpl(int64_t hidden, int64_t heads, const torch::TensorOptions& o)
    : num_heads(heads) {
    k_proj = register_module("k_proj", Linear(hidden, hidden, true, o));
    v_proj = register_module("v_proj", Linear(hidden, hidden, true, o));
    q_proj = register_module("q_proj", Linear(hidden, hidden, true, o));
    out_proj = register_module("out_proj", Linear(hidden, hidden, true, o));
}

torch::Tensor SiglipAttentionImpl::forward(const torch::Tensor& x) {
    auto q = split_heads(q_proj(x), num_heads);
    auto k = split_heads(k_proj(x), num_heads);
    auto v = split_heads(v_proj(x), num_heads);
    return out_proj(merge_heads(attention(q, k, v)));
}

SiglipMlpImpl::SiglipMlpImpl(int64_t hidden, int64_t inter, bool tanh, const torch::TensorOptions& o)
    : tanh_gelu(tanh) {
    fc1 = register_module("fc1", Linear(hidden, inter, true, o));
    fc2 = register_module("fc2", Linear(inter, hidden, true, o));
}

torch::Tensor SiglipMlpImpl::forward(const torch::Tensor& x) {
    auto h = fc1(x);
    return fc2(tanh_gelu ? gelu_tanh(h) : gelu_erf(h));
}

SiglipEncoderLayerImpl::SiglipEncoderLayerImpl(const SiglipConfig& c, const torch::TensorOptions& o) {
    layer_norm1 = register_module("layer_norm1", LayerNorm(c.hidden_size, c.layer_norm_eps, o));
    self_attn = register_module("self_attn", SiglipAttention(c.hidden_size, c.num_attention_heads, o));
    layer_norm2 = register_module("layer_norm2", LayerNorm(c.hidden_size, c.layer_norm_eps, o));
    mlp = register_module("mlp", SiglipMlp(c.hidden_size, c.intermediate_size, c.hidden_act == "gelu_pytorch_tanh", o));
}

torch::Tensor SiglipEncoderLayerImpl::forward(const torch::Tensor& x) {
    auto h = x + self_attn(layer_norm1(x));
    return h + mlp(layer_norm2(h));
}

SiglipEncoderImpl::SiglipEncoderImpl(const SiglipConfig& c, const torch::TensorOptions& o) {
    layers = register_module("layers", torch::nn::ModuleList());
    for (int64_t i = 0; i < c.num_hidden_layers; ++i) layers->push_back(SiglipEncoderLayer(c, o));
}

SiglipHeadImpl::SiglipHeadImpl(const SiglipConfig& c, const torch::TensorOptions& o) {
    probe = register_parameter("probe", torch::empty({1, 1, c.hidden_size}, o), false);
    attention = register_module("attention", MultiheadAttention(c.hidden_size, c.num_attention_heads, o));
    layernorm = register_module("layernorm", LayerNorm(c.hidden_size, c.layer_norm_eps, o));
    mlp = register_module("mlp", SiglipMlp(c.hidden_size, c.intermediate_size, c.hidden_act == "gelu_pytorch_tanh", o));
}

SiglipVisionTransformerImpl::SiglipVisionTransformerImpl(const SiglipConfig& c, const torch::TensorOptions& o) {
    embeddings = register_module("embeddings", SiglipEmbeddings(c, o));
    encoder = register_module("encoder", SiglipEncoder(c, o));
    post_layernorm = register_module("post_layernorm", LayerNorm(c.hidden_size, c.layer_norm_eps, o));
    if (c.vision_use_head) head = register_module("head", SiglipHead(c, o));
}

SiglipVisionModelImpl::SiglipVisionModelImpl(const SiglipConfig& c, const torch::TensorOptions& o) : config(c) {
    vision_model = register_module("vision_model", SiglipVisionTransformer(c, o));
}

std::vector<torch::Tensor> SiglipVisionModelImpl::hidden_states(const torch::Tensor& pixels, int64_t last_needed) {
    const int64_t s = config.image_size;
    if (pixels.dim() != 4 || pixels.size(1) != config.num_channels || pixels.size(2) != s || pixels.size(3) != s)
        throw Error("SigLIP encoder: expected pixels [B, " + std::to_string(config.num_channels) + ", " +
                    std::to_string(s) + ", " + std::to_string(s) + "]");
    const int64_t n = config.num_hidden_layers;
    const int64_t stop = last_needed < 0 ? n : std::min(last_needed, n);
    std::vector<torch::Tensor> hs;
    auto x = vision_model->embeddings(pixels);
    hs.push_back(x);
    auto& layers = vision_model->encoder->layers;
    for (int64_t i = 0; i < stop; ++i) {
        x = layers[i]->as<SiglipEncoderLayerImpl>()->forward(x);
        hs.push_back(x);
    }
    return hs;
}

torch::Tensor SiglipVisionModelImpl::selected_features(const torch::Tensor& pixels) {
    const int64_t n = config.num_hidden_layers + 1;
    const int64_t idx = config.select_layer < 0 ? n + config.select_layer : config.select_layer;
    return hidden_states(pixels, idx).back();
}

torch::Tensor SiglipVisionModelImpl::last_hidden_state(const torch::Tensor& pixels) {
    return vision_model->post_layernorm(hidden_states(pixels).back());
}

}  // namespace xs::xsam
