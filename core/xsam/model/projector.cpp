// Projectors and pixel shuffle (see projector.h).
#include "core/xsam/model/projector.h"

#include <cmath>

#include "core/util/error.h"

namespace xs::xsam {

torch::Tensor pixel_shuffle(const torch::Tensor& x, double scale) {
    if (x.dim() != 4) throw Error("pixel_shuffle: expected [B, H, W, C]");
    const int64_t b = x.size(0), h = x.size(1), w = x.size(2), c = x.size(3);
    const auto nw = static_cast<int64_t>(std::llround(double(w) * scale));
    const auto nh = static_cast<int64_t>(std::llround(double(h) * scale));
    const auto c1 = static_cast<int64_t>(std::llround(double(c) / scale));
    const auto c2 = static_cast<int64_t>(std::llround(double(c) / (scale * scale)));
    if (nw * c1 != w * c || nh * c2 != h * c1)
        throw Error("pixel_shuffle: " + std::to_string(h) + "x" + std::to_string(w) + "x" + std::to_string(c) +
                    " cannot be shuffled by " + std::to_string(scale));
    // [B, H, W, C] -> [B, H, W*s, C/s] -> [B, W*s, H, C/s] -> [B, W*s, H*s, C/s^2] -> [B, H*s, W*s, C/s^2]
    auto y = x.reshape({b, h, nw, c1}).permute({0, 2, 1, 3}).contiguous();
    y = y.view({b, nw, nh, c2}).permute({0, 2, 1, 3}).contiguous();
    return y;
}

torch::Tensor pixel_shuffle_nchw(const torch::Tensor& x, double scale) {
    return pixel_shuffle(x.permute({0, 2, 3, 1}).contiguous(), scale).permute({0, 3, 1, 2}).contiguous();
}

ProjectorImpl::ProjectorImpl(const ProjectorConfig& c, const torch::TensorOptions& o) : config(c) {
    model = register_module("model", Indexed());
    // Sequential indices: Linear at 0, 2, 4, ... with the activation (no weights) in between.
    linears.push_back(model->add(0, Linear(c.in_features, c.out_features, c.bias, o)));
    for (int64_t i = 1; i < c.depth; ++i)
        linears.push_back(model->add(2 * i, Linear(c.out_features, c.out_features, c.bias, o)));
}

torch::Tensor ProjectorImpl::forward(const torch::Tensor& input) {
    torch::Tensor x = input;
    if (x.dim() == 4) {
        if (config.downsample_ratio != 1.0) x = pixel_shuffle(x, config.downsample_ratio);
        x = x.reshape({x.size(0), -1, x.size(-1)});
    }
    x = linears[0]->forward(x);
    for (size_t i = 1; i < linears.size(); ++i) x = linears[i]->forward(gelu_erf(x));
    return x;
}

}  // namespace xs::xsam
