// X-SAM's modified Mask2Former transformer decoder (see mask_decoder.h).
#include "core/xsam/model/mask_decoder.h"

#include "core/util/error.h"
#include "core/xsam/model/attention.h"
#include "core/xsam/model/pixel_decoder.h"

namespace xs::xsam {

namespace F = torch::nn::functional;

DecoderSelfAttentionImpl::DecoderSelfAttentionImpl(int64_t dim, int64_t heads, const torch::TensorOptions& o)
    : num_heads(heads) {
    k_proj = register_module("k_proj", Linear(dim, dim, true, o));
    v_proj = register_module("v_proj", Linear(dim, dim, true, o));
    q_proj = register_module("q_proj", Linear(dim, dim, true, o));
    out_proj = register_module("out_proj", Linear(dim, dim, true, o));
}

torch::Tensor DecoderSelfAttentionImpl::forward(const torch::Tensor& x, const torch::Tensor& pos) {
    auto xp = x + pos;
    auto q = split_heads(q_proj(xp), num_heads);
    auto k = split_heads(k_proj(xp), num_heads);
    auto v = split_heads(v_proj(x), num_heads);
    return out_proj(merge_heads(attention(q, k, v)));
}

MaskedAttentionDecoderLayerImpl::MaskedAttentionDecoderLayerImpl(const MaskDecoderConfig& c,
                                                                 const torch::TensorOptions& o) {
    const int64_t d = c.hidden_dim;
    self_attn = register_module("self_attn", DecoderSelfAttention(d, c.num_attention_heads, o));
    self_attn_layer_norm = register_module("self_attn_layer_norm", LayerNorm(d, c.layer_norm_eps, o));
    cross_attn = register_module("cross_attn", MultiheadAttention(d, c.num_attention_heads, o));
    cross_attn_layer_norm = register_module("cross_attn_layer_norm", LayerNorm(d, c.layer_norm_eps, o));
    fc1 = register_module("fc1", Linear(d, c.dim_feedforward, true, o));
    fc2 = register_module("fc2", Linear(c.dim_feedforward, d, true, o));
    final_layer_norm = register_module("final_layer_norm", LayerNorm(d, c.layer_norm_eps, o));
}

torch::Tensor MaskedAttentionDecoderLayerImpl::forward(const torch::Tensor& x, const torch::Tensor& query_pos,
                                                       const torch::Tensor& memory, const torch::Tensor& memory_pos,
                                                       const c10::optional<torch::Tensor>& allowed) {
    auto kv = cross_attn->project_kv(memory + memory_pos, memory);
    return forward_kv(x, query_pos, kv.first, kv.second, allowed);
}

torch::Tensor MaskedAttentionDecoderLayerImpl::forward_kv(const torch::Tensor& x, const torch::Tensor& query_pos,
                                                          const torch::Tensor& keys, const torch::Tensor& values,
                                                          const c10::optional<torch::Tensor>& allowed) {
    auto h = cross_attn_layer_norm(x + cross_attn->attend(x + query_pos, keys, values, allowed));
    h = self_attn_layer_norm(h + self_attn(h, query_pos));
    return final_layer_norm(h + fc2(torch::relu(fc1(h))));
}

MaskEmbedderImpl::MaskEmbedderImpl(int64_t in, int64_t hidden, int64_t out, int64_t n, const torch::TensorOptions& o) {
    for (int64_t i = 0; i < n; ++i) {
        const int64_t a = i == 0 ? in : hidden, b = i == n - 1 ? out : hidden;
        auto block = Indexed();
        linears.push_back(block->add(0, Linear(a, b, true, o)));
        register_module(std::to_string(i), block);
    }
}

torch::Tensor MaskEmbedderImpl::forward(const torch::Tensor& x) {
    torch::Tensor h = x;
    for (size_t i = 0; i < linears.size(); ++i) {
        h = linears[i]->forward(h);
        if (i + 1 < linears.size()) h = torch::relu(h);
    }
    return h;
}

MaskPredictorImpl::MaskPredictorImpl(const MaskDecoderConfig& c, const torch::TensorOptions& o) {
    mask_embedder = register_module("mask_embedder", MaskEmbedder(c.hidden_dim, c.hidden_dim, c.mask_feature_size, 3, o));
}

MaskedAttentionDecoderImpl::MaskedAttentionDecoderImpl(const MaskDecoderConfig& c, const torch::TensorOptions& o) {
    layers = register_module("layers", torch::nn::ModuleList());
    for (int64_t i = 0; i < c.num_layers(); ++i) layers->push_back(MaskedAttentionDecoderLayer(c, o));
    layernorm = register_module("layernorm", LayerNorm(c.hidden_dim, c.layer_norm_eps, o));
    mask_predictor = register_module("mask_predictor", MaskPredictor(c, o));
}

MaskDecoderImpl::MaskDecoderImpl(const MaskDecoderConfig& c, const torch::TensorOptions& o) : config(c) {
    queries_embedder = register_module("queries_embedder", Embedding(c.num_queries, c.hidden_dim, o));
    queries_features = register_module("queries_features", Embedding(c.num_queries, c.hidden_dim, o));
    decoder = register_module("decoder", MaskedAttentionDecoder(c, o));
    level_embed = register_module("level_embed", Embedding(c.num_feature_levels, c.hidden_dim, o));
}

size_t DecoderMemory::bytes() const {
    size_t b = 0;
    auto add = [&](const torch::Tensor& t) {
        if (t.defined()) b += size_t(t.numel()) * t.element_size();
    };
    for (const auto& t : keys) add(t);
    for (const auto& t : values) add(t);
    for (const auto& t : level_mask_features) add(t);
    return b;
}

DecoderMemory MaskDecoderImpl::prepare_memory(const std::vector<torch::Tensor>& ms, const torch::Tensor& mask_features) {
    const int64_t L = config.num_feature_levels, D = config.hidden_dim;
    if (int64_t(ms.size()) != L) throw Error("mask decoder: expected " + std::to_string(L) + " feature levels");
    DecoderMemory mem;
    std::vector<torch::Tensor> memory, keyed;
    for (int64_t i = 0; i < L; ++i) {
        const auto& f = ms[size_t(i)];
        auto pos = sine_position_embedding(f, D / 2).flatten(2).transpose(1, 2);
        memory.push_back(f.flatten(2).transpose(1, 2) + like(level_embed->weight, f)[i].view({1, 1, -1}));
        keyed.push_back(memory.back() + pos);
        mem.level_mask_features.push_back(F::interpolate(mask_features, F::InterpolateFuncOptions()
                                                                           .size(std::vector<int64_t>{f.size(2), f.size(3)})
                                                                           .mode(torch::kBilinear)
                                                                           .align_corners(false)));
    }
    auto& dec = *decoder;
    for (size_t i = 0; i < dec.layers->size(); ++i) {
        const size_t level = i % size_t(L);
        auto kv = dec.layers[i]->as<MaskedAttentionDecoderLayerImpl>()->cross_attn->project_kv(keyed[level], memory[level]);
        mem.keys.push_back(kv.first.contiguous());
        mem.values.push_back(kv.second.contiguous());
    }
    return mem;
}

namespace {

torch::Tensor expand_batch(const torch::Tensor& t, int64_t b) {
    if (t.size(0) == b) return t;
    if (t.size(0) != 1) throw Error("mask decoder: the image features' batch does not match the prompts' batch");
    std::vector<int64_t> shape(size_t(t.dim()), -1);
    shape[0] = b;
    return t.expand(shape);
}

// "May attend" mask [B, 1, Q, h*w] (the same for every head: broadcast, not expanded) of the next layer
// from mask embeddings [B, Q, C] and the mask features resized to that layer's level [B, C, h, w].
// Rows blocked everywhere attend everywhere.
torch::Tensor attention_allowed(const torch::Tensor& emb, const torch::Tensor& level_features) {
    auto small = torch::einsum("bqc,bchw->bqhw", {emb, level_features});
    // sigmoid(x) < 0.5 (the reference's rule) is x < 0. Tested on the sign: in bf16 the sigmoid of every
    // x in (-2^-8, 0) rounds to 0.5 and would unblock those pixels.
    auto blocked = small.flatten(2) < 0;  // [B, Q, h*w]
    auto full = blocked.all(-1, true);
    auto allowed = blocked.logical_not().logical_or(full);
    return allowed.unsqueeze(1);
}

}  // namespace

MaskDecoderOutput MaskDecoderImpl::forward(const std::vector<torch::Tensor>& ms, const torch::Tensor& mask_features,
                                           const c10::optional<torch::Tensor>& seg_embedding, bool keep_all) {
    return forward_memory(prepare_memory(ms, mask_features), mask_features, seg_embedding, keep_all);
}

MaskDecoderOutput MaskDecoderImpl::forward_memory(const DecoderMemory& mem, const torch::Tensor& mask_features,
                                           const c10::optional<torch::Tensor>& seg_embedding, bool keep_all) {
    const int64_t L = config.num_feature_levels, D = config.hidden_dim;
    auto& dec = *decoder;
    const int64_t n = int64_t(dec.layers->size());
    if (int64_t(mem.level_mask_features.size()) != L || int64_t(mem.keys.size()) != n)
        throw Error("mask decoder: the prepared memory does not fit this decoder");
    int64_t b = mask_features.size(0);
    if (seg_embedding.has_value()) {
        const auto& s = *seg_embedding;
        if (s.dim() != 2 || s.size(1) != D)
            throw Error("mask decoder: seg_embedding must be [B, " + std::to_string(D) + "]");
        if (s.size(0) != b && b != 1) throw Error("mask decoder: seg_embedding batch does not match the image batch");
        b = s.size(0);
    }
    const auto& ref = mask_features;
    auto query_pos = like(queries_embedder->weight, ref).unsqueeze(0).expand({b, -1, -1});
    auto x = like(queries_features->weight, ref).unsqueeze(0).expand({b, -1, -1});
    if (seg_embedding.has_value()) x = x + seg_embedding->to(x.scalar_type()).unsqueeze(1);
    const torch::Tensor mf = expand_batch(mask_features, b);
    auto& embedder = *dec.mask_predictor->mask_embedder;
    MaskDecoderOutput out;
    auto full_masks = [&](const torch::Tensor& emb) { return torch::einsum("bqc,bchw->bqhw", {emb, mf}); };

    auto states = dec.layernorm(x);
    auto emb = embedder.forward(states);
    auto allowed = attention_allowed(emb, expand_batch(mem.level_mask_features[0], b));
    if (keep_all) {
        out.query_states.push_back(states);
        out.mask_logits.push_back(full_masks(emb));
    }
    for (int64_t i = 0; i < n; ++i) {
        x = dec.layers[i]->as<MaskedAttentionDecoderLayerImpl>()->forward_kv(
            x, query_pos, expand_batch(mem.keys[size_t(i)], b), expand_batch(mem.values[size_t(i)], b), allowed);

        states = dec.layernorm(x);
        emb = embedder.forward(states);
        const bool last = i + 1 == n;
        if (!last) allowed = attention_allowed(emb, expand_batch(mem.level_mask_features[size_t((i + 1) % L)], b));
        if (keep_all || last) {
            out.query_states.push_back(states);
            out.mask_logits.push_back(full_masks(emb));
        }
    }
    return out;
}

torch::Tensor cosine_class_logits(const torch::Tensor& q, const torch::Tensor& c, const torch::Tensor& logit_scale,
                                  double clamp) {
    auto qn = F::normalize(q, F::NormalizeFuncOptions().dim(-1));
    auto cn = F::normalize(c.to(q.scalar_type()), F::NormalizeFuncOptions().dim(-1));
    auto logits = like(logit_scale, q).exp() * torch::einsum("bqd,bcd->bqc", {qn, cn});
    return logits.clamp(-clamp, clamp);
}

}  // namespace xs::xsam
