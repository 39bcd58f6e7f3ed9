// Phi-3 decoder: see phi3.h.
#include "core/xsam/model/phi3.h"

#include "core/util/error.h"
#include "core/xsam/model/attention.h"
#include "core/xsam/model/vision_layers.h"

#include <algorithm>
#include <cmath>
#include <string>

namespace xs::xsam {

namespace {

// The weight in the dtype of the activation (a no-op when they agree).
torch::Tensor as_dtype_of(const torch::Tensor& w, const torch::Tensor& x) {
    return w.scalar_type() == x.scalar_type() ? w : like(w, x);  // large CPU conversions use pooled buffers
}

void check_config(const Phi3Config& c) {
    auto fail = [](const std::string& m) { throw Error("Phi-3 config: " + m); };
    if (c.hidden_size <= 0 || c.num_attention_heads <= 0 || c.num_hidden_layers < 0 || c.vocab_size <= 0 ||
        c.intermediate_size <= 0 || c.num_key_value_heads <= 0)
        fail("sizes must be positive");
    if (c.hidden_size % c.num_attention_heads != 0)
        fail("hidden_size " + std::to_string(c.hidden_size) + " is not a multiple of num_attention_heads " +
             std::to_string(c.num_attention_heads));
    if (c.num_attention_heads % c.num_key_value_heads != 0)
        fail("num_attention_heads is not a multiple of num_key_value_heads");
    if (c.head_dim() % 2 != 0) fail("head_dim must be even for the rotary embedding");
}

}  // namespace

// ---- building blocks ----

RMSNormImpl::RMSNormImpl(int64_t dim, double eps_, const torch::TensorOptions& options) : eps(eps_) {
    weight = register_parameter("weight", torch::empty({dim}, options), false);
}

torch::Tensor RMSNormImpl::forward(const torch::Tensor& x) {
    const auto in_dtype = x.scalar_type();
    auto h = in_dtype == torch::kDouble ? x : x.to(torch::kFloat);
    auto var = h.pow(2).mean(-1, true);
    h = (h * torch::rsqrt(var + eps)).to(in_dtype);
    return as_dtype_of(weight, h) * h;
}

LinearNoBiasImpl::LinearNoBiasImpl(int64_t in, int64_t out, const torch::TensorOptions& options) {
    weight = register_parameter("weight", torch::empty({out, in}, options), false);
}

torch::Tensor LinearNoBiasImpl::forward(const torch::Tensor& x) {
    if (!weight.is_contiguous() && weight.dim() == 2 && weight.t().is_contiguous())
        return torch::matmul(x, as_dtype_of(weight.t(), x));  // [in, out] storage (use_input_major_layout)
    return torch::linear(x, as_dtype_of(weight, x));
}

void LinearNoBiasImpl::use_input_major_layout() {
    if (!weight.is_contiguous()) return;  // already
    torch::NoGradGuard no_grad;
    weight.set_data(weight.t().contiguous().t());
}

std::pair<torch::Tensor, torch::Tensor> rope_tables(const torch::Tensor& positions, int64_t head_dim, double theta,
                                                    torch::ScalarType dtype) {
    auto f64 = torch::TensorOptions().dtype(torch::kDouble).device(positions.device());
    auto exponent = torch::arange(0, head_dim, 2, f64) / static_cast<double>(head_dim);
    auto inv_freq = torch::pow(torch::full({1}, theta, f64), exponent).reciprocal();   // [D/2]
    auto freqs = positions.to(torch::kDouble).unsqueeze(-1) * inv_freq.unsqueeze(0);   // [L, D/2]
    auto emb = torch::cat({freqs, freqs}, -1);                                          // [L, D]
    return {emb.cos().to(dtype), emb.sin().to(dtype)};
}

torch::Tensor apply_rope(const torch::Tensor& x, const torch::Tensor& cos, const torch::Tensor& sin) {
    const int64_t half = x.size(-1) / 2;
    auto x1 = x.narrow(-1, 0, half);
    auto x2 = x.narrow(-1, half, half);
    auto rotated = torch::cat({-x2, x1}, -1);
    return x * cos + rotated * sin;
}

// ---- key/value cache ----

void KVCache::truncate(int64_t len) {
    TORCH_CHECK(len >= 0, "KVCache::truncate: negative length");
    for (auto& l : layers_) {
        l.len = std::min(l.len, len);
        if (l.base_len > l.len) {  // keep a shorter view of the base; the own part is now empty
            l.base_len = l.len;
            l.base_k = l.base_k.narrow(2, 0, l.len);
            l.base_v = l.base_v.narrow(2, 0, l.len);
        }
    }
}

int64_t KVCache::bytes() const {
    int64_t total = 0;
    for (const auto& l : layers_) {
        if (l.k.defined()) total += l.k.numel() * static_cast<int64_t>(l.k.element_size());
        if (l.v.defined()) total += l.v.numel() * static_cast<int64_t>(l.v.element_size());
    }
    return total;
}

KVCache KVCache::deep_copy() const {
    KVCache out;
    for (const auto& l : layers_) {
        Layer c;
        c.len = l.len;
        const int64_t own = l.len - l.base_len;
        std::vector<torch::Tensor> ks, vs;
        if (l.base_len > 0) ks.push_back(l.base_k), vs.push_back(l.base_v);
        if (own > 0) ks.push_back(l.k.narrow(2, 0, own)), vs.push_back(l.v.narrow(2, 0, own));
        if (!ks.empty()) {
            c.k = torch::cat(ks, 2).contiguous();
            c.v = torch::cat(vs, 2).contiguous();
        }
        c.written = std::make_shared<int64_t>(l.len);
        out.layers_.push_back(std::move(c));
    }
    return out;
}

KVCache KVCache::on_top_of(const KVCache& base) {
    KVCache out;
    for (const auto& l : base.layers_) {
        Layer c;
        c.len = l.len;
        c.base_len = l.len;
        const int64_t own = l.len - l.base_len;
        if (l.base_len > 0 && own > 0) {  // a base that itself has a base: one block, made once
            c.base_k = torch::cat({l.base_k, l.k.narrow(2, 0, own)}, 2);
            c.base_v = torch::cat({l.base_v, l.v.narrow(2, 0, own)}, 2);
        } else if (l.base_len > 0) {
            c.base_k = l.base_k;
            c.base_v = l.base_v;
        } else if (l.len > 0) {
            c.base_k = l.k.narrow(2, 0, l.len);
            c.base_v = l.v.narrow(2, 0, l.len);
        }
        out.layers_.push_back(std::move(c));
    }
    return out;
}

KVCache::Parts KVCache::append_parts(size_t layer, const torch::Tensor& k, const torch::Tensor& v) {
    TORCH_CHECK(k.dim() == 4 && v.sizes() == k.sizes(), "KVCache::append: k and v must be [B, H, n, D] alike");
    if (layer >= layers_.size()) {
        TORCH_CHECK(layer == layers_.size(), "KVCache::append: layers must be filled in order");
        layers_.emplace_back();
    }
    Layer& l = layers_[layer];
    const int64_t n = k.size(2);
    const int64_t own = l.len - l.base_len;
    const int64_t need = own + n;
    auto matches = [&](const torch::Tensor& t) {
        return t.defined() && t.size(0) == k.size(0) && t.size(1) == k.size(1) && t.size(3) == k.size(3) &&
               t.scalar_type() == k.scalar_type() && t.device() == k.device();
    };
    const bool compatible = matches(l.k);
    TORCH_CHECK(own == 0 || compatible, "KVCache::append: new keys do not match the cached ones (batch, heads, "
                                        "head dim, dtype or device)");
    TORCH_CHECK(l.base_len == 0 || matches(l.base_k), "KVCache::append: new keys do not match the base cache's "
                                                      "(batch, heads, head dim, dtype or device)");
    // Write in place only behind our own valid part, when nobody sharing the buffer wrote there already.
    const bool in_place = compatible && l.written && *l.written == own && l.k.size(2) >= need;
    if (!in_place) {
        // Room to grow: what reserve() asked for; when extending existing positions at least 64 more, so
        // token-by-token decoding does not copy the whole cache at every step.
        const int64_t slack = own > 0 ? std::max<int64_t>(reserve_, 64) : std::max<int64_t>(reserve_, 0);
        const int64_t capacity = need + slack;
        auto shape = k.sizes().vec();
        shape[2] = capacity;
        auto nk = torch::empty(shape, k.options());
        auto nv = torch::empty(shape, v.options());
        if (own > 0) {
            nk.narrow(2, 0, own).copy_(l.k.narrow(2, 0, own));
            nv.narrow(2, 0, own).copy_(l.v.narrow(2, 0, own));
        }
        l.k = nk;
        l.v = nv;
        l.written = std::make_shared<int64_t>(own);
    }
    l.k.narrow(2, own, n).copy_(k);
    l.v.narrow(2, own, n).copy_(v);
    l.len = l.base_len + need;
    *l.written = need;
    Parts p;
    if (l.base_len > 0) {
        p.base_k = l.base_k;
        p.base_v = l.base_v;
    }
    p.k = l.k.narrow(2, 0, need);
    p.v = l.v.narrow(2, 0, need);
    return p;
}

std::pair<torch::Tensor, torch::Tensor> KVCache::append(size_t layer, const torch::Tensor& k, const torch::Tensor& v) {
    Parts p = append_parts(layer, k, v);
    if (!p.base_k.defined()) return {p.k, p.v};
    return {torch::cat({p.base_k, p.k}, 2), torch::cat({p.base_v, p.v}, 2)};
}

// ---- decoder ----

Phi3AttentionImpl::Phi3AttentionImpl(const Phi3Config& cfg, const torch::TensorOptions& options)
    : heads(cfg.num_attention_heads), kv_heads(cfg.num_key_value_heads), head_dim(cfg.head_dim()) {
    const int64_t qkv_out = (heads + 2 * kv_heads) * head_dim;
    qkv_proj = register_module("qkv_proj", LinearNoBias(cfg.hidden_size, qkv_out, options));
    o_proj = register_module("o_proj", LinearNoBias(heads * head_dim, cfg.hidden_size, options));
}

torch::Tensor Phi3AttentionImpl::forward(const torch::Tensor& x, const torch::Tensor& cos, const torch::Tensor& sin,
                                         const torch::Tensor& mask, KVCache* cache, size_t layer_index) {
    const int64_t B = x.size(0), L = x.size(1);
    auto qkv = qkv_proj->forward(x);  // [B, L, (H + 2 KV) D]: queries, then keys, then values
    auto q = qkv.narrow(-1, 0, heads * head_dim);
    auto k = qkv.narrow(-1, heads * head_dim, kv_heads * head_dim);
    auto v = qkv.narrow(-1, (heads + kv_heads) * head_dim, kv_heads * head_dim);
    q = q.view({B, L, heads, head_dim}).transpose(1, 2);
    k = k.reshape({B, L, kv_heads, head_dim}).transpose(1, 2);
    v = v.reshape({B, L, kv_heads, head_dim}).transpose(1, 2);
    q = apply_rope(q, cos, sin);
    k = apply_rope(k, cos, sin);
    torch::Tensor bk, bv;  // a shared base block of keys/values (a prompt on a cached image prefix)
    if (cache != nullptr) {
        KVCache::Parts parts = cache->append_parts(layer_index, k, v);
        k = parts.k, v = parts.v, bk = parts.base_k, bv = parts.base_v;
    }
    if (kv_heads != heads) {
        k = k.repeat_interleave(heads / kv_heads, 1);
        v = v.repeat_interleave(heads / kv_heads, 1);
        if (bk.defined()) {
            bk = bk.repeat_interleave(heads / kv_heads, 1);
            bv = bv.repeat_interleave(heads / kv_heads, 1);
        }
    }
    c10::optional<torch::Tensor> m;
    if (mask.defined()) m = mask;
    const bool causal = !mask.defined() && L > 1;
    torch::Tensor out = bk.defined() ? attention_two_blocks(q, bk, bv, k, v, m, causal)
                                     : attention(q, k, v, m, causal);
    out = out.transpose(1, 2).reshape({B, L, heads * head_dim});
    return o_proj->forward(out);
}

Phi3MLPImpl::Phi3MLPImpl(const Phi3Config& cfg, const torch::TensorOptions& options) {
    gate_up_proj = register_module("gate_up_proj", LinearNoBias(cfg.hidden_size, 2 * cfg.intermediate_size, options));
    down_proj = register_module("down_proj", LinearNoBias(cfg.intermediate_size, cfg.hidden_size, options));
}

torch::Tensor Phi3MLPImpl::forward(const torch::Tensor& x) {
    auto gu = gate_up_proj->forward(x);
    auto halves = gu.chunk(2, -1);
    return down_proj->forward(halves[1] * torch::silu(halves[0]));
}

Phi3DecoderLayerImpl::Phi3DecoderLayerImpl(const Phi3Config& cfg, const torch::TensorOptions& options) {
    self_attn = register_module("self_attn", Phi3Attention(cfg, options));
    mlp = register_module("mlp", Phi3MLP(cfg, options));
    input_layernorm = register_module("input_layernorm", RMSNorm(cfg.hidden_size, cfg.rms_norm_eps, options));
    post_attention_layernorm =
        register_module("post_attention_layernorm", RMSNorm(cfg.hidden_size, cfg.rms_norm_eps, options));
}

torch::Tensor Phi3DecoderLayerImpl::forward(const torch::Tensor& x, const torch::Tensor& cos, const torch::Tensor& sin,
                                            const torch::Tensor& mask, KVCache* cache, size_t layer_index) {
    auto h = x + self_attn->forward(input_layernorm->forward(x), cos, sin, mask, cache, layer_index);
    return h + mlp->forward(post_attention_layernorm->forward(h));
}

Phi3ModelImpl::Phi3ModelImpl(const Phi3Config& cfg, const torch::TensorOptions& options) : config(cfg) {
    check_config(cfg);
    embed_tokens = register_module(
        "embed_tokens", torch::nn::Embedding(torch::nn::EmbeddingOptions(cfg.vocab_size, cfg.hidden_size)
                                                 ._weight(torch::empty({cfg.vocab_size, cfg.hidden_size}, options))));
    embed_tokens->weight.set_requires_grad(false);
    layers = register_module("layers", torch::nn::ModuleList());
    for (int64_t i = 0; i < cfg.num_hidden_layers; ++i) layers->push_back(Phi3DecoderLayer(cfg, options));
    norm = register_module("norm", RMSNorm(cfg.hidden_size, cfg.rms_norm_eps, options));
}

torch::Tensor Phi3ModelImpl::forward(const torch::Tensor& inputs_embeds, KVCache* cache) {
    TORCH_CHECK(inputs_embeds.dim() == 3 && inputs_embeds.size(2) == config.hidden_size,
                "Phi3Model: inputs_embeds must be [B, L, hidden_size]");
    torch::NoGradGuard no_grad;
    const int64_t L = inputs_embeds.size(1);
    const int64_t past = cache ? cache->length() : 0;
    const int64_t total = past + L;
    if (config.max_position_embeddings > 0 && total > config.max_position_embeddings)
        throw Error("Phi-3: " + std::to_string(total) + " positions exceed max_position_embeddings " +
                    std::to_string(config.max_position_embeddings));
    const auto dev = inputs_embeds.device();
    auto positions = torch::arange(past, total, torch::TensorOptions().dtype(torch::kLong).device(dev));
    auto [cos, sin] = rope_tables(positions, config.head_dim(), config.rope_theta, inputs_embeds.scalar_type());

    // Mask: causal (aligned to the end) and, when the window matters, HF's sliding window
    // (query position p sees key position j iff j <= p and p - j < sliding_window).
    torch::Tensor mask;
    const int64_t sw = config.sliding_window;
    if (sw > 0 && total > sw) {
        auto qp = positions.unsqueeze(1);
        auto kp = torch::arange(total, torch::TensorOptions().dtype(torch::kLong).device(dev)).unsqueeze(0);
        mask = (kp <= qp).logical_and(qp - kp < sw);
    }

    auto h = inputs_embeds;
    for (size_t i = 0; i < layers->size(); ++i)
        h = layers[i]->as<Phi3DecoderLayer>()->forward(h, cos, sin, mask, cache, i);
    return norm->forward(h);
}

Phi3ForCausalLMImpl::Phi3ForCausalLMImpl(const Phi3Config& cfg, const torch::TensorOptions& options) : config(cfg) {
    model = register_module("model", Phi3Model(cfg, options));
    if (!cfg.tie_word_embeddings)
        lm_head = register_module("lm_head", LinearNoBias(cfg.hidden_size, cfg.vocab_size, options));
}

torch::Tensor Phi3ForCausalLMImpl::embed(const torch::Tensor& ids, c10::optional<torch::ScalarType> dtype) {
    torch::NoGradGuard no_grad;
    auto w = model->embed_tokens->weight;
    auto e = torch::embedding(w, ids.to(w.device()));
    return dtype.has_value() && *dtype != e.scalar_type() ? e.to(*dtype) : e;
}

void Phi3ForCausalLMImpl::use_input_major_layout() {
    for (const auto& m : model->modules(false))
        if (auto* lin = m->as<LinearNoBiasImpl>()) lin->use_input_major_layout();
}

torch::Tensor Phi3ForCausalLMImpl::logits(const torch::Tensor& hidden) {
    torch::NoGradGuard no_grad;
    if (lm_head) return lm_head->forward(hidden);
    return torch::linear(hidden, as_dtype_of(model->embed_tokens->weight, hidden));
}

Phi3Output Phi3ForCausalLMImpl::forward(const torch::Tensor& inputs_embeds, KVCache* cache, bool want_logits) {
    Phi3Output out;
    out.hidden = model->forward(inputs_embeds, cache);
    if (want_logits) out.logits = logits(out.hidden);
    return out;
}

std::pair<torch::Tensor, torch::Tensor> Phi3ForCausalLMImpl::greedy_step(const torch::Tensor& inputs_embeds,
                                                                         KVCache& cache) {
    auto hidden = model->forward(inputs_embeds, &cache);
    auto last = hidden.select(1, hidden.size(1) - 1);  // [B, hidden]
    auto next = logits(last).argmax(-1);                // [B]
    return {next, hidden};
}

GreedyResult Phi3ForCausalLMImpl::generate_greedy(const torch::Tensor& prompt_embeds, KVCache& cache,
                                                  int64_t max_new_tokens, const std::vector<int64_t>& stop_ids,
                                                  const std::function<void()>& check_cancel) {
    TORCH_CHECK(prompt_embeds.dim() == 3 && prompt_embeds.size(0) == 1, "generate_greedy: batch 1 only");
    GreedyResult r;
    std::vector<torch::Tensor> hiddens;
    cache.reserve(std::max<int64_t>(max_new_tokens, 1));
    auto input = prompt_embeds;
    for (int64_t step = 0; step < max_new_tokens; ++step) {
        if (check_cancel) check_cancel();
        auto [next, hidden] = greedy_step(input, cache);
        hiddens.push_back(hidden);
        const int64_t id = next.item<int64_t>();
        r.tokens.push_back(id);
        if (std::find(stop_ids.begin(), stop_ids.end(), id) != stop_ids.end()) {
            r.stopped = true;
            break;
        }
        if (step + 1 < max_new_tokens) input = embed(next.view({1, 1}), prompt_embeds.scalar_type());
    }
    cache.reserve(0);
    if (!hiddens.empty()) r.hidden = torch::cat(hiddens, 1);
    return r;
}

}  // namespace xs::xsam
