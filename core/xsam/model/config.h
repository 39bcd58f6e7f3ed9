#pragma once
// The X-SAM model configuration: one plain-data hyper-parameter struct per component, parsed from a
// JSON file in models/ (models/xsam-phi3-siglip2-samL.json is the released model, models/xsam-tiny.json
// the same structure with small widths for tests). Every module is built from these structs only.
//
// Missing, mistyped or inconsistent fields raise xs::Error naming the file and the field, e.g.
//   "models/x.json: seg_encoder.window_size: expected an integer".
// Plain data: no LibTorch in this header or in config.cpp.
#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace xs::xsam {

// Phi-3 decoder (the LLM; "llm.*"), see phi3.h.
struct Phi3Config {
    int64_t vocab_size = 32064;        // rows of embed_tokens / lm_head (the X-SAM checkpoint: 32014)
    int64_t hidden_size = 3072;
    int64_t intermediate_size = 8192;
    int64_t num_hidden_layers = 32;
    int64_t num_attention_heads = 32;
    int64_t num_key_value_heads = 32;  // grouped-query attention when smaller than the heads
    int64_t max_position_embeddings = 4096;
    double rope_theta = 10000.0;
    double rms_norm_eps = 1e-5;
    // HF's sliding window: a query at position i sees keys j with j <= i and i - j < sliding_window.
    // 0 (or a negative value) disables it. Phi-3-mini-4k-instruct ships 2047.
    int64_t sliding_window = 2047;
    bool tie_word_embeddings = false;
    int64_t pad_token_id = 32000;
    int64_t eos_token_id = 32000;
    int64_t bos_token_id = 1;

    int64_t head_dim() const { return hidden_size / num_attention_heads; }
};

// SAM ViT image encoder (HF SamVisionEncoder layout; "segmentor.encoder.*").
struct SamVitConfig {
    int64_t image_size = 1024;
    int64_t patch_size = 16;
    int64_t num_channels = 3;
    int64_t hidden_size = 1024;
    int64_t mlp_dim = 4096;
    int64_t num_hidden_layers = 24;
    int64_t num_attention_heads = 16;
    int64_t window_size = 14;
    std::vector<int64_t> global_attn_indexes{5, 11, 17, 23};
    int64_t output_channels = 256;  // neck width (weights present, output unused by X-SAM)
    double layer_norm_eps = 1e-6;
    bool qkv_bias = true;
    bool use_abs_pos = true;
    bool use_rel_pos = true;
    // Index into the 25 hidden states (Python-style, negative counts from the end) fed to seg_projector.
    int64_t llm_select_layer = -2;

    int64_t grid() const { return image_size / patch_size; }
    int64_t head_dim() const { return hidden_size / num_attention_heads; }
    bool is_global(int64_t layer) const;
};

// SigLIP(2) vision tower (HF SiglipVisionModel layout; "visual_encoder.vision_model.*").
struct SiglipConfig {
    int64_t image_size = 384;
    int64_t patch_size = 14;
    int64_t num_channels = 3;
    int64_t hidden_size = 1152;
    int64_t intermediate_size = 4304;
    int64_t num_hidden_layers = 27;
    int64_t num_attention_heads = 16;
    double layer_norm_eps = 1e-6;
    std::string hidden_act = "gelu_pytorch_tanh";  // "gelu_pytorch_tanh" or "gelu" (erf)
    bool vision_use_head = true;                   // head weights exist in the checkpoint; unused
    int64_t select_layer = -2;                     // hidden_states index fed to visual_projector

    int64_t grid() const { return image_size / patch_size; }
    int64_t num_patches() const { return grid() * grid(); }
    int64_t head_dim() const { return hidden_size / num_attention_heads; }
};

// One Linear -> act -> Linear projector ("<name>.model.{0,2}").
struct ProjectorConfig {
    int64_t in_features = 0;   // after pixel shuffle when downsample_ratio != 1
    int64_t out_features = 0;
    int64_t depth = 2;
    double downsample_ratio = 1.0;  // InternVL pixel shuffle applied to a [B,H,W,C] input first
    bool bias = true;
    std::string hidden_act = "gelu";  // erf GELU
};

// Segmentation connector ("seg_connector.model.N.model.{0..5}"): one conv bottleneck per level.
struct ConnectorConfig {
    std::vector<int64_t> select_layers{12, 18, 24};  // SAM hidden-state indices, one per level
    std::vector<double> scale_factors{2.0, 1.0, 0.5};
    int64_t in_channels = 1024;   // SAM width
    int64_t hidden_channels = 512;
    bool bias = false;
    double layer_norm_eps = 1e-6;

    // Channels of level i after the pixel shuffle: in_channels * s / s^2 = in_channels / s.
    int64_t out_channels(size_t level) const;
};

// Mask2Former pixel decoder with multi-scale deformable attention ("segmentor.pixel_decoder.*").
struct PixelDecoderConfig {
    std::vector<int64_t> feature_channels{512, 1024, 2048};  // highest resolution first
    std::vector<int64_t> feature_strides{8, 16, 32};
    int64_t feature_size = 256;
    int64_t mask_feature_size = 256;
    int64_t num_feature_levels = 3;
    int64_t encoder_layers = 6;
    int64_t num_attention_heads = 8;
    int64_t num_points = 4;
    int64_t encoder_feedforward_dim = 1024;
    int64_t common_stride = 4;
    int64_t group_norm_groups = 32;
    double layer_norm_eps = 1e-5;  // nn.LayerNorm default in the deformable encoder layers
    double group_norm_eps = 1e-5;

    // Number of extra FPN levels: log2(min stride) - log2(common_stride) (1 for X-SAM).
    int64_t num_fpn_levels() const;
};

// Modified Mask2Former transformer decoder ("segmentor.decoder.*") and the open-vocabulary classifier.
struct MaskDecoderConfig {
    int64_t hidden_dim = 256;
    int64_t num_queries = 200;
    int64_t decoder_layers = 10;  // as in the Mask2Former config: decoder_layers - 1 layers are built
    int64_t num_attention_heads = 8;
    int64_t dim_feedforward = 2048;
    int64_t mask_feature_size = 256;
    int64_t num_feature_levels = 3;
    bool pre_norm = false;
    double layer_norm_eps = 1e-5;
    int64_t num_labels = 133;       // only sizes the (unused) criterion buffer of the checkpoint
    double logit_scale_clamp = 500.0;

    int64_t num_layers() const { return decoder_layers - 1; }
};

// Region sampler (no weights): one feature per visual-prompt mask.
struct RegionConfig {
    int64_t num_points = 256;
    uint64_t seed = 0;  // deterministic sampling
};

struct XsamConfig {
    std::string name;
    std::string source;  // file the config was read from (for messages)
    Phi3Config llm;
    SiglipConfig visual_encoder;
    SamVitConfig seg_encoder;
    ProjectorConfig visual_projector;
    ProjectorConfig seg_projector;
    ProjectorConfig llm_projector;
    ConnectorConfig connector;
    PixelDecoderConfig pixel_decoder;
    MaskDecoderConfig mask_decoder;
    RegionConfig region;
    nlohmann::json raw;  // the whole parsed document (the engine reads its own sections from it)

    int64_t seg_hidden_tokens() const;  // SAM tokens fed to the LLM after pixel shuffle (1024)
    int64_t image_tokens() const;       // SigLIP + SAM tokens (1753)
};

// Parses a configuration document. `source` names the origin in error messages.
XsamConfig parse_config(const nlohmann::json& doc, const std::string& source);
XsamConfig load_config(const std::string& path);

// The LLM section alone (kept separate so the Phi-3 half can evolve on its own).
Phi3Config parse_llm_config(const nlohmann::json& section, const std::string& where);

}  // namespace xs::xsam
