#pragma once
// The Phi-3 decoder X-SAM uses as its LLM (Phi-3-mini-4k-instruct in the released model), named so
// that named_parameters() under the "llm" prefix equals the checkpoint's keys:
//   model.embed_tokens.weight
//   model.layers.N.self_attn.qkv_proj.weight, model.layers.N.self_attn.o_proj.weight
//   model.layers.N.mlp.gate_up_proj.weight, model.layers.N.mlp.down_proj.weight
//   model.layers.N.input_layernorm.weight, model.layers.N.post_attention_layernorm.weight
//   model.norm.weight, lm_head.weight
// No biases anywhere. RMSNorm (statistics in fp32), rotary position embedding (theta from the config,
// rotate-half layout, full head dim), causal attention with HF's sliding-window rule, SiLU-gated MLP.
//
// Parameters are created with torch::empty (uninitialised; on the meta device when the options say so)
// and must be loaded (safetensors.h) or filled by the caller.
//
// Precision: every layer computes in the dtype of its input; weights stored in another dtype (bf16 on
// CPU to save memory) are converted one matrix at a time, so fp32 inputs on bf16 weights work.
#include <torch/torch.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <vector>

#include "core/xsam/model/config.h"

namespace xs::xsam {

// ---- building blocks (also usable on their own) ----

// y = weight * x / sqrt(mean(x^2) + eps); the statistics are computed in fp32 (fp64 stays fp64) and the
// normalised value is cast back to the input dtype before the weight is applied, as HF does.
class RMSNormImpl : public torch::nn::Module {
public:
    RMSNormImpl(int64_t dim, double eps, const torch::TensorOptions& options = {});
    torch::Tensor forward(const torch::Tensor& x);
    torch::Tensor weight;
    double eps;
};
TORCH_MODULE(RMSNorm);

// A bias-free linear layer whose only parameter is "weight" [out, in].
class LinearNoBiasImpl : public torch::nn::Module {
public:
    LinearNoBiasImpl(int64_t in, int64_t out, const torch::TensorOptions& options = {});
    torch::Tensor forward(const torch::Tensor& x);
    // Stores the weight's values as [in, out] (weight stays an [out, in] view of that storage, same
    // values, same name). On the CPU, x [.., in] times a row-major [in, out] matrix is an NN product,
    // which OpenBLAS runs 15-25% faster than the NT product of the checkpoint's layout for the few
    // rows of a prompt, and the bf16 -> fp32 conversion then reads and writes that layout contiguously.
    void use_input_major_layout();
    torch::Tensor weight;
};
TORCH_MODULE(LinearNoBias);

// Rotary embedding tables for absolute positions: cos and sin of shape [L, head_dim] (the half-dim
// frequencies repeated twice, HF's layout), computed in fp64 and returned in `dtype`.
std::pair<torch::Tensor, torch::Tensor> rope_tables(const torch::Tensor& positions, int64_t head_dim, double theta,
                                                    torch::ScalarType dtype);
// x: [B, H, L, D]; cos/sin: [L, D]. Returns x * cos + rotate_half(x) * sin.
torch::Tensor apply_rope(const torch::Tensor& x, const torch::Tensor& cos, const torch::Tensor& sin);

// ---- key/value cache ----

// Keys and values of every layer for the positions computed so far ([B, kv_heads, capacity, head_dim]
// buffers, the first length() positions valid). Copying a KVCache is cheap and safe: copies share the
// buffers copy-on-write (the first copy to grow writes in place behind the shared part, any other
// reallocates), so a prompt prefix computed once can be copied and extended by many prompts, and a
// copy can be truncated back to the prefix. Not thread-safe: one thread per cache family.
class KVCache {
public:
    int64_t length() const { return layers_.empty() ? 0 : layers_.front().len; }
    bool empty() const { return length() == 0; }
    void clear() { layers_.clear(); }
    // Keep only the first `len` positions (cheap; the buffers stay shared).
    void truncate(int64_t len);
    // Make room for `extra` more positions at the next (re)allocation. Without it, a first fill is exact and
    // later growth keeps at least 64 spare positions.
    void reserve(int64_t extra) { reserve_ = extra; }
    // Bytes held by the buffers (capacity, not length).
    int64_t bytes() const;
    // A fully independent deep copy (own buffers, exact capacity).
    KVCache deep_copy() const;
    // A cache that continues `base` without copying it: base's positions are read in place (the buffers
    // are shared and never written: positions below a cache's length are immutable), and what is appended
    // goes to this cache's own small buffers. The prompt-on-a-prepared-image path: no per-prompt copy of
    // the image prefix, and the prefix stays safe to share between threads that only read it.
    static KVCache on_top_of(const KVCache& base);
    // Length of the shared base part (0 for a cache not made by on_top_of or truncated below it).
    int64_t base_length() const { return layers_.empty() ? 0 : layers_.front().base_len; }

    // Keys and values of one layer in two blocks: the shared base (undefined when none) and this cache's
    // own positions; attention over them equals attention over their concatenation.
    struct Parts {
        torch::Tensor base_k, base_v, k, v;
    };
    // Appends like append() but returns the two blocks without concatenating them.
    Parts append_parts(size_t layer, const torch::Tensor& k, const torch::Tensor& v);

    // Appends k and v ([B, kv_heads, n, D]) to layer `layer` (layers grow in order 0..N-1; all layers
    // must end with the same length) and returns views of all keys and values of that layer.
    std::pair<torch::Tensor, torch::Tensor> append(size_t layer, const torch::Tensor& k, const torch::Tensor& v);

private:
    struct Layer {
        torch::Tensor k, v;                 // own buffers with capacity >= len - base_len
        std::shared_ptr<int64_t> written;   // how far the shared own buffer has been written
        int64_t len = 0;                    // total positions: base_len + own
        torch::Tensor base_k, base_v;       // [B, H, base_len, D] views of a base cache (read only)
        int64_t base_len = 0;
    };
    std::vector<Layer> layers_;
    int64_t reserve_ = 0;
};

// ---- the decoder ----

class Phi3AttentionImpl : public torch::nn::Module {
public:
    Phi3AttentionImpl(const Phi3Config& cfg, const torch::TensorOptions& options = {});
    // x: [B, L, hidden]; cos/sin: [L, head_dim]; mask: bool [L, Lk] ("may attend") or undefined for
    // plain causal. With a cache, keys/values are appended to layer `layer_index` of it.
    torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& cos, const torch::Tensor& sin,
                          const torch::Tensor& mask, KVCache* cache, size_t layer_index);
    LinearNoBias qkv_proj{nullptr}, o_proj{nullptr};
    int64_t heads, kv_heads, head_dim;
};
TORCH_MODULE(Phi3Attention);

class Phi3MLPImpl : public torch::nn::Module {
public:
    Phi3MLPImpl(const Phi3Config& cfg, const torch::TensorOptions& options = {});
    torch::Tensor forward(const torch::Tensor& x);  // down(up * silu(gate)), gate_up = [gate; up]
    LinearNoBias gate_up_proj{nullptr}, down_proj{nullptr};
};
TORCH_MODULE(Phi3MLP);

class Phi3DecoderLayerImpl : public torch::nn::Module {
public:
    Phi3DecoderLayerImpl(const Phi3Config& cfg, const torch::TensorOptions& options = {});
    torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& cos, const torch::Tensor& sin,
                          const torch::Tensor& mask, KVCache* cache, size_t layer_index);
    Phi3Attention self_attn{nullptr};
    Phi3MLP mlp{nullptr};
    RMSNorm input_layernorm{nullptr}, post_attention_layernorm{nullptr};
};
TORCH_MODULE(Phi3DecoderLayer);

// "model.*": embeddings, layers, final norm.
class Phi3ModelImpl : public torch::nn::Module {
public:
    Phi3ModelImpl(const Phi3Config& cfg, const torch::TensorOptions& options = {});
    // inputs_embeds: [B, L, hidden]. Positions continue after the cache's length. Returns the last
    // layer's hidden states after the final norm, [B, L, hidden].
    torch::Tensor forward(const torch::Tensor& inputs_embeds, KVCache* cache = nullptr);
    torch::nn::Embedding embed_tokens{nullptr};
    torch::nn::ModuleList layers{nullptr};
    RMSNorm norm{nullptr};
    Phi3Config config;
};
TORCH_MODULE(Phi3Model);

struct Phi3Output {
    torch::Tensor hidden;  // [B, L, hidden], after the final norm
    torch::Tensor logits;  // [B, L, vocab] when asked for (in the hidden dtype), else undefined
};

struct GreedyResult {
    std::vector<int64_t> tokens;  // generated ids, the stop token included when one was produced
    // Hidden states (after the final norm) of every position fed to the model: the prompt's L
    // positions, then each generated token that was fed back (all but the last): [B, L + n - 1, hidden],
    // HF generate's output_hidden_states concatenated.
    torch::Tensor hidden;
    bool stopped = false;  // true when a stop token ended the generation
};

// The causal LM X-SAM holds as "llm": "model.*" and "lm_head.weight".
class Phi3ForCausalLMImpl : public torch::nn::Module {
public:
    explicit Phi3ForCausalLMImpl(const Phi3Config& cfg, const torch::TensorOptions& options = {});

    // Token embeddings for ids [B, L] (in the embedding's dtype, or `dtype` when given).
    torch::Tensor embed(const torch::Tensor& ids, c10::optional<torch::ScalarType> dtype = c10::nullopt);
    // Runs the decoder on input embeddings, extending `cache` when given. Computes in the dtype of
    // inputs_embeds. Logits only when asked (they are large: vocab x L).
    Phi3Output forward(const torch::Tensor& inputs_embeds, KVCache* cache = nullptr, bool want_logits = false);
    torch::Tensor logits(const torch::Tensor& hidden);
    // LinearNoBiasImpl::use_input_major_layout for every decoder layer's projections (not lm_head):
    // for CPU inference, after the weights are loaded.
    void use_input_major_layout();
    // One greedy step on top of `cache`: feeds `inputs_embeds` and returns argmax of the last position's
    // logits per batch row, plus that step's hidden states.
    std::pair<torch::Tensor, torch::Tensor> greedy_step(const torch::Tensor& inputs_embeds, KVCache& cache);
    // Greedy generation (batch 1): feeds the prompt embeddings, then each produced token's embedding,
    // until a token from `stop_ids` or max_new_tokens. `cancelled` (optional) is polled between steps
    // and may throw to abort.
    GreedyResult generate_greedy(const torch::Tensor& prompt_embeds, KVCache& cache, int64_t max_new_tokens,
                                 const std::vector<int64_t>& stop_ids,
                                 const std::function<void()>& check_cancel = nullptr);

    Phi3Model model{nullptr};
    LinearNoBias lm_head{nullptr};
    Phi3Config config;
};
TORCH_MODULE(Phi3ForCausalLM);

}  // namespace xs::xsam
