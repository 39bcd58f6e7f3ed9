#pragma once
// Mask2Former pixel decoder ("segmentor.pixel_decoder"): input projections (Conv1x1 + GroupNorm) of the
// connector levels, sine position + level embeddings, a multi-scale deformable-attention encoder
// (post-norm layers), one FPN step on the highest-resolution level and the mask projection.
//   level_embed [L, D]; input_projections.i.{0 (conv), 1 (GN)};
//   encoder.layers.N.{self_attn.{sampling_offsets, attention_weights, value_proj, output_proj},
//                     self_attn_layer_norm, fc1, fc2, final_layer_norm};
//   mask_projection; adapter_1.{0 (conv, no bias), 1 (GN)}; layer_1.{0 (conv3x3, no bias), 1 (GN)}.
#include "core/xsam/model/config.h"
#include "core/xsam/model/vision_layers.h"

namespace xs::xsam {

// DETR-style normalised sine position embedding of a [B, C, H, W] map (no padding mask):
// [B, 2*num_pos_feats, H, W], y features first then x, sin/cos interleaved per frequency pair.
torch::Tensor sine_position_embedding(const torch::Tensor& x, int64_t num_pos_feats, double temperature = 10000.0);

// Multi-scale deformable attention core, computed in fp32 (fp64 for fp64 inputs): on the CPU one fused
// sampling loop, elsewhere grid_sample per level:
//   value [B, S, H, D] (S = sum of h*w over levels), shapes (h, w) per level,
//   sampling_locations [B, Q, H, L, P, 2] in [0, 1] (x, y), attention_weights [B, Q, H, L, P]
//   -> [B, Q, H*D]. Bilinear, zero padding, align_corners=False.
torch::Tensor ms_deform_attn_core(const torch::Tensor& value, const std::vector<std::pair<int64_t, int64_t>>& shapes,
                                  const torch::Tensor& sampling_locations, const torch::Tensor& attention_weights);

struct MSDeformAttnImpl : torch::nn::Module {
    MSDeformAttnImpl(int64_t d_model, int64_t heads, int64_t levels, int64_t points, const torch::TensorOptions& o);
    // query [B, Q, D] (position already added), reference_points [B, Q, L, 2], value_input [B, S, D].
    torch::Tensor forward(const torch::Tensor& query, const torch::Tensor& reference_points,
                          const torch::Tensor& value_input, const std::vector<std::pair<int64_t, int64_t>>& shapes);
    int64_t d_model, n_heads, n_levels, n_points;
    Linear sampling_offsets{nullptr}, attention_weights{nullptr}, value_proj{nullptr}, output_proj{nullptr};
};
TORCH_MODULE(MSDeformAttn);

struct PixelDecoderEncoderLayerImpl : torch::nn::Module {
    PixelDecoderEncoderLayerImpl(const PixelDecoderConfig& c, const torch::TensorOptions& o);
    torch::Tensor forward(const torch::Tensor& x, const torch::Tensor& pos, const torch::Tensor& reference_points,
                          const std::vector<std::pair<int64_t, int64_t>>& shapes);
    MSDeformAttn self_attn{nullptr};
    LayerNorm self_attn_layer_norm{nullptr}, final_layer_norm{nullptr};
    Linear fc1{nullptr}, fc2{nullptr};
};
TORCH_MODULE(PixelDecoderEncoderLayer);

struct PixelDecoderEncoderImpl : torch::nn::Module {
    PixelDecoderEncoderImpl(const PixelDecoderConfig& c, const torch::TensorOptions& o);
    torch::nn::ModuleList layers{nullptr};
};
TORCH_MODULE(PixelDecoderEncoder);

// Reference points of every level's pixel centres, normalised: [1, S, L, 2] (x, y), all levels valid.
torch::Tensor deformable_reference_points(const std::vector<std::pair<int64_t, int64_t>>& shapes, int64_t levels,
                                          const torch::TensorOptions& o);

struct PixelDecoderOutput {
    torch::Tensor mask_features;                     // [B, mask_dim, H0, W0] (highest resolution)
    std::vector<torch::Tensor> multi_scale_features;  // num_feature_levels maps, lowest resolution first
};

struct PixelDecoderImpl : torch::nn::Module {
    PixelDecoderImpl(const PixelDecoderConfig& c, const torch::TensorOptions& o = default_build_options());
    // features: connector outputs, highest resolution first (channels feature_channels).
    PixelDecoderOutput forward(const std::vector<torch::Tensor>& features);

    PixelDecoderConfig config;
    torch::Tensor level_embed;
    torch::nn::ModuleList input_projections{nullptr};
    std::vector<std::pair<Conv2d, GroupNorm>> input_proj;
    PixelDecoderEncoder encoder{nullptr};
    Conv2d mask_projection{nullptr};
    std::vector<std::pair<Conv2d, GroupNorm>> lateral;  // adapter_i
    std::vector<std::pair<Conv2d, GroupNorm>> output;   // layer_i (+ ReLU)
};
TORCH_MODULE(PixelDecoder);

}  // namespace xs::xsam
