#pragma once
// The Phi-3 decoder X-SAM uses as its LLM (Phi-3-mini-4k-instruct in the released model), named so
// that named_parameters() under the "llm" prefix equals the checkpoint's keys:
//   model.embed_tokens.weight
//   model.layers.N.self_attn.qkv_proj.weight, model.layers.N.self_attn.o_proj.weight
//   model.layers.N.mlp.gate_up_proj.weight, model.layers.N.mlp.down_proj.weight
//   model.layers.N.input_layernorm.weight, model.layers.N.post_attention_layernorm.weight
//   model.norm.weight, lm_head.weight
// No biases anywhere. RMSNorm, rotary position embedding (theta from the config, rotate-half layout),
// causal attention with HF's sliding-window rule, SiLU-gated MLP.
#include <torch/torch.h>

#include <cstdint>
#include <vector>

namespace xs::xsam {

struct Phi3Config {
    int64_t vocab_size = 32064;        // rows of embed_tokens / lm_head (X-SAM: 32011 + 3 added tokens?
                                       // read it from the checkpoint's shapes; see models/*.json)
    int64_t hidden_size = 3072;
    int64_t intermediate_size = 8192;
    int64_t num_hidden_layers = 32;
    int64_t num_attention_heads = 32;
    int64_t num_key_value_heads = 32;  // grouped-query attention when smaller than the heads
    int64_t max_position_embeddings = 4096;
    double rope_theta = 10000.0;
    double rms_norm_eps = 1e-5;
    // HF's sliding window: a query at position i sees keys j with i - j < sliding_window (and j <= i).
    // 0 (or a negative value) disables it. Phi-3-mini-4k-instruct ships 2047.
    int64_t sliding_window = 2047;
    bool tie_word_embeddings = false;
    int64_t pad_token_id = 32000;
    int64_t eos_token_id = 32000;
    int64_t bos_token_id = 1;

    int64_t head_dim() const { return hidden_size / num_attention_heads; }
};

}  // namespace xs::xsam
