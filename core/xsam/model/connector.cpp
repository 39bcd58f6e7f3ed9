// Segmentation connector (see connector.h).
#include "core/xsam/model/connector.h"

#include <cmath>

#include "core/util/error.h"
#include "core/xsam/model/projector.h"

namespace xs::xsam {

namespace F = torch::nn::functional;

ConnectorLayerImpl::ConnectorLayerImpl(int64_t in, double s, const ConnectorConfig& c, const torch::TensorOptions& o)
    : scale(s) {
    const int64_t hid = c.hidden_channels;
    const auto out = static_cast<int64_t>(std::llround(double(in) * s));
    model = register_module("model", Indexed());
    conv0 = model->add(0, Conv2d(in, hid, 1, 1, 0, c.bias, o));
    norm1 = model->add(1, LayerNorm2d(hid, c.layer_norm_eps, o));
    conv2 = model->add(2, Conv2d(hid, hid, 3, 1, 1, c.bias, o));
    norm3 = model->add(3, LayerNorm2d(hid, c.layer_norm_eps, o));
    conv4 = model->add(4, Conv2d(hid, out, 1, 1, 0, c.bias, o));
    norm5 = model->add(5, LayerNorm2d(out, c.layer_norm_eps, o));
}

torch::Tensor ConnectorLayerImpl::forward(const torch::Tensor& input) {
    torch::Tensor x = input;
    // Odd sizes are zero-padded bottom/right to even (the reference's maybe_pad).
    const int64_t h = x.size(1), w = x.size(2);
    if (h % 2 || w % 2) x = F::pad(x, F::PadFuncOptions({0, 0, 0, w % 2, 0, h % 2}));
    x = x.permute({0, 3, 1, 2});
    x = norm5(conv4(norm3(conv2(norm1(conv0(x))))));
    return pixel_shuffle_nchw(x, scale);
}

ConnectorImpl::ConnectorImpl(const ConnectorConfig& c, const torch::TensorOptions& o) : config(c) {
    model = register_module("model", torch::nn::ModuleList());
    for (double s : c.scale_factors) model->push_back(ConnectorLayer(c.in_channels, s, c, o));
}

std::vector<torch::Tensor> ConnectorImpl::forward(const std::vector<torch::Tensor>& hs) {
    std::vector<torch::Tensor> out;
    for (size_t i = 0; i < config.select_layers.size(); ++i) {
        const auto idx = static_cast<size_t>(config.select_layers[i]);
        if (idx >= hs.size() || !hs[idx].defined())
            throw Error("seg_connector: SAM hidden state " + std::to_string(idx) + " is not available (" +
                        std::to_string(hs.size()) + " given)");
        out.push_back(model[i]->as<ConnectorLayerImpl>()->forward(hs[idx]));
    }
    return out;
}

}  // namespace xs::xsam
