#pragma once
// Segmentation connector ("seg_connector"): for each selected SAM hidden state, a conv bottleneck
//   model.N.model.0 Conv1x1(C -> hidden)   model.N.model.1 LayerNorm2d
//   model.N.model.2 Conv3x3(hidden)        model.N.model.3 LayerNorm2d
//   model.N.model.4 Conv1x1(hidden -> C*s) model.N.model.5 LayerNorm2d
// (no bias, no activation), then a channels-first pixel shuffle by s. X-SAM: s = 2, 1, 0.5 on SAM
// hidden states 12, 18, 24 -> [512, 4G/2...] i.e. strides 8, 16, 32 of the 1024 input.
#include "core/xsam/model/config.h"
#include "core/xsam/model/vision_layers.h"

namespace xs::xsam {

struct ConnectorLayerImpl : torch::nn::Module {
    ConnectorLayerImpl(int64_t in_channels, double scale, const ConnectorConfig& c, const torch::TensorOptions& o);
    torch::Tensor forward(const torch::Tensor& x);  // [B, H, W, C] -> [B, C/s, H*s, W*s]
    double scale;
    Indexed model{nullptr};
    Conv2d conv0{nullptr}, conv2{nullptr}, conv4{nullptr};
    LayerNorm2d norm1{nullptr}, norm3{nullptr}, norm5{nullptr};
};
TORCH_MODULE(ConnectorLayer);

struct ConnectorImpl : torch::nn::Module {
    ConnectorImpl(const ConnectorConfig& c, const torch::TensorOptions& o = default_build_options());
    // sam_hidden_states: all SAM hidden states ([B, G, G, C]); uses those in config.select_layers.
    // Returns one channels-first map per level, highest resolution first.
    std::vector<torch::Tensor> forward(const std::vector<torch::Tensor>& sam_hidden_states);

    ConnectorConfig config;
    torch::nn::ModuleList model{nullptr};
};
TORCH_MODULE(Connector);

}  // namespace xs::xsam
