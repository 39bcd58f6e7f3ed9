// Mask2Former pixel decoder with multi-scale deformable attention (see pixel_decoder.h).
#include "core/xsam/model/pixel_decoder.h"

#include <ATen/Parallel.h>

#include <cmath>
#include <vector>

#include "core/util/error.h"

namespace xs::xsam {

namespace F = torch::nn::functional;
using torch::indexing::Slice;
using torch::indexing::None;

torch::Tensor sine_position_embedding(const torch::Tensor& x, int64_t npf, double temperature) {
    const int64_t b = x.size(0), h = x.size(2), w = x.size(3);
    auto opts = torch::TensorOptions().dtype(x.scalar_type()).device(x.device());
    const double scale = 2 * M_PI, eps = 1e-6;
    // Cumulative sums of an all-valid mask are 1..h and 1..w; normalised by the last value.
    auto y_embed = torch::arange(1, h + 1, opts).view({1, h, 1}).expand({b, h, w});
    auto x_embed = torch::arange(1, w + 1, opts).view({1, 1, w}).expand({b, h, w});
    y_embed = y_embed / (double(h) + eps) * scale;
    x_embed = x_embed / (double(w) + eps) * scale;
    auto dim_t = torch::arange(npf, opts);
    dim_t = torch::pow(temperature, 2 * torch::div(dim_t, 2, "floor") / double(npf));
    auto px = x_embed.unsqueeze(-1) / dim_t;
    auto py = y_embed.unsqueeze(-1) / dim_t;
    px = torch::stack({px.index({"...", Slice(0, None, 2)}).sin(), px.index({"...", Slice(1, None, 2)}).cos()}, 4)
             .flatten(3);
    py = torch::stack({py.index({"...", Slice(0, None, 2)}).sin(), py.index({"...", Slice(1, None, 2)}).cos()}, 4)
             .flatten(3);
    return torch::cat({py, px}, 3).permute({0, 3, 1, 2});
}

namespace {

// The CPU form of ms_deform_attn_core: one pass that samples, weighs and sums per (query, head) into the
// output, instead of grid_sample's [B*H, D, Q, P] samples per level, their stack and a weighted sum
// (about 400 M intermediate values per encoder layer at full size: 10x slower). Accumulates in
// `acc_t` (float; double for double inputs) from fp32 (or fp64) copies of the inputs.
template <typename acc_t>
void deform_sample_cpu(const torch::Tensor& value, const std::vector<std::pair<int64_t, int64_t>>& shapes,
                       const torch::Tensor& loc, const torch::Tensor& aw, torch::Tensor& out) {
    const int64_t b_n = value.size(0), s_n = value.size(1), h_n = value.size(2), d_n = value.size(3);
    const int64_t q_n = loc.size(1), l_n = loc.size(3), p_n = loc.size(4);
    const acc_t* v = value.data_ptr<acc_t>();
    const acc_t* lp = loc.data_ptr<acc_t>();
    const acc_t* wp = aw.data_ptr<acc_t>();
    acc_t* op = out.data_ptr<acc_t>();
    std::vector<int64_t> starts;
    int64_t start = 0;
    for (const auto& sh : shapes) starts.push_back(start), start += sh.first * sh.second;
    at::parallel_for(0, b_n * q_n, 16, [&](int64_t begin, int64_t end) {
        for (int64_t bq = begin; bq < end; ++bq) {
            const int64_t b = bq / q_n;
            for (int64_t h = 0; h < h_n; ++h) {
                acc_t* o = op + (bq * h_n + h) * d_n;
                for (int64_t l = 0; l < l_n; ++l) {
                    const int64_t hh = shapes[size_t(l)].first, ww = shapes[size_t(l)].second;
                    for (int64_t p = 0; p < p_n; ++p) {
                        const int64_t i = ((bq * h_n + h) * l_n + l) * p_n + p;
                        // grid_sample, align_corners=False: pixel coordinate = location * size - 0.5.
                        const acc_t x = lp[2 * i] * acc_t(ww) - acc_t(0.5), y = lp[2 * i + 1] * acc_t(hh) - acc_t(0.5);
                        const acc_t fx = std::floor(x), fy = std::floor(y);
                        const int64_t x0 = int64_t(fx), y0 = int64_t(fy);
                        const acc_t ax = x - fx, ay = y - fy;
                        for (int64_t dy = 0; dy <= 1; ++dy)
                            for (int64_t dx = 0; dx <= 1; ++dx) {
                                const int64_t xi = x0 + dx, yi = y0 + dy;
                                if (xi < 0 || yi < 0 || xi >= ww || yi >= hh) continue;  // zero padding
                                const acc_t wgt = wp[i] * (dx ? ax : 1 - ax) * (dy ? ay : 1 - ay);
                                const acc_t* src = v + ((b * s_n + starts[size_t(l)] + yi * ww + xi) * h_n + h) * d_n;
                                for (int64_t d = 0; d < d_n; ++d) o[d] += wgt * src[d];
                            }
                    }
                }
            }
        }
    });
}

}  // namespace

torch::Tensor ms_deform_attn_core(const torch::Tensor& value, const std::vector<std::pair<int64_t, int64_t>>& shapes,
                                  const torch::Tensor& loc, const torch::Tensor& aw) {
    const int64_t b = value.size(0), nh = value.size(2), d = value.size(3);
    const int64_t q = loc.size(1), nl = loc.size(3), np = loc.size(4);
    if (value.is_cpu()) {
        const auto acc = value.scalar_type() == torch::kDouble ? torch::kDouble : torch::kFloat;
        auto v = value.to(acc).contiguous(), l = loc.to(acc).contiguous(), w = aw.to(acc).contiguous();
        auto out = torch::zeros({b, q, nh, d}, v.options());
        if (acc == torch::kDouble) deform_sample_cpu<double>(v, shapes, l, w, out);
        else deform_sample_cpu<float>(v, shapes, l, w, out);
        return out.view({b, q, nh * d}).to(value.scalar_type());
    }
    std::vector<int64_t> split;
    for (auto& s : shapes) split.push_back(s.first * s.second);
    auto vf = value.to(torch::kFloat);
    auto values = vf.split_with_sizes(split, 1);
    auto grids = (2 * loc.to(torch::kFloat) - 1);
    std::vector<torch::Tensor> sampled;
    for (int64_t l = 0; l < nl; ++l) {
        const int64_t h = shapes[l].first, w = shapes[l].second;
        // [B, S_l, H, D] -> [B*H, D, h, w]
        auto v = values[l].flatten(2).transpose(1, 2).reshape({b * nh, d, h, w});
        // [B, Q, H, P, 2] -> [B*H, Q, P, 2]
        auto g = grids.index({Slice(), Slice(), Slice(), l}).transpose(1, 2).flatten(0, 1);
        sampled.push_back(F::grid_sample(v, g, F::GridSampleFuncOptions()
                                                   .mode(torch::kBilinear)
                                                   .padding_mode(torch::kZeros)
                                                   .align_corners(false)));  // [B*H, D, Q, P]
    }
    // weights [B, Q, H, L, P] -> [B*H, 1, Q, L*P]
    auto wts = aw.to(torch::kFloat).transpose(1, 2).reshape({b * nh, 1, q, nl * np});
    auto out = (torch::stack(sampled, -2).flatten(-2) * wts).sum(-1).view({b, nh * d, q});
    return out.transpose(1, 2).contiguous().to(value.scalar_type());
}

MSDeformAttnImpl::MSDeformAttnImpl(int64_t dm, int64_t h, int64_t l, int64_t p, const torch::TensorOptions& o)
    : d_model(dm), n_heads(h), n_levels(l), n_points(p) {
    sampling_offsets = register_module("sampling_offsets", Linear(dm, h * l * p * 2, true, o));
    attention_weights = register_module("attention_weights", Linear(dm, h * l * p, true, o));
    value_proj = register_module("value_proj", Linear(dm, dm, true, o));
    output_proj = register_module("output_proj", Linear(dm, dm, true, o));
}

torch::Tensor MSDeformAttnImpl::forward(const torch::Tensor& query, const torch::Tensor& ref,
                                        const torch::Tensor& value_input,
                                        const std::vector<std::pair<int64_t, int64_t>>& shapes) {
    const int64_t b = query.size(0), q = query.size(1), s = value_input.size(1);
    auto value = value_proj(value_input).view({b, s, n_heads, d_model / n_heads});
    auto off = sampling_offsets(query).view({b, q, n_heads, n_levels, n_points, 2});
    auto aw = attention_weights(query).view({b, q, n_heads, n_levels * n_points});
    aw = torch::softmax(aw, -1).view({b, q, n_heads, n_levels, n_points});
    std::vector<float> norm;
    for (auto& sh : shapes) {
        norm.push_back(float(sh.second));  // x offsets are divided by the width
        norm.push_back(float(sh.first));   // y offsets by the height
    }
    auto normalizer = torch::tensor(norm, torch::TensorOptions().dtype(torch::kFloat))
                          .to(query.device(), query.scalar_type())
                          .view({1, 1, 1, n_levels, 1, 2});
    auto loc = ref.index({Slice(), Slice(), torch::indexing::None, Slice(), torch::indexing::None, Slice()}) +
               off / normalizer;
    auto out = ms_deform_attn_core(value, shapes, loc, aw);
    return output_proj(out);
}

PixelDecoderEncoderLayerImpl::PixelDecoderEncoderLayerImpl(const PixelDecoderConfig& c, const torch::TensorOptions& o) {
    const int64_t d = c.feature_size;
    self_attn = register_module("self_attn", MSDeformAttn(d, c.num_attention_heads, c.num_feature_levels,
                                                          c.num_points, o));
    self_attn_layer_norm = register_module("self_attn_layer_norm", LayerNorm(d, c.layer_norm_eps, o));
    fc1 = register_module("fc1", Linear(d, c.encoder_feedforward_dim, true, o));
    fc2 = register_module("fc2", Linear(c.encoder_feedforward_dim, d, true, o));
    final_layer_norm = register_module("final_layer_norm", LayerNorm(d, c.layer_norm_eps, o));
}

torch::Tensor PixelDecoderEncoderLayerImpl::forward(const torch::Tensor& x, const torch::Tensor& pos,
                                                    const torch::Tensor& ref,
                                                    const std::vector<std::pair<int64_t, int64_t>>& shapes) {
    auto h = self_attn_layer_norm(x + self_attn(x + pos, ref, x, shapes));
    return final_layer_norm(h + fc2(torch::relu(fc1(h))));
}

PixelDecoderEncoderImpl::PixelDecoderEncoderImpl(const PixelDecoderConfig& c, const torch::TensorOptions& o) {
    layers = register_module("layers", torch::nn::ModuleList());
    for (int64_t i = 0; i < c.encoder_layers; ++i) layers->push_back(PixelDecoderEncoderLayer(c, o));
}

torch::Tensor deformable_reference_points(const std::vector<std::pair<int64_t, int64_t>>& shapes, int64_t levels,
                                          const torch::TensorOptions& o) {
    std::vector<torch::Tensor> refs;
    for (auto& s : shapes) {
        const int64_t h = s.first, w = s.second;
        auto ry = torch::linspace(0.5, double(h) - 0.5, h, o) / double(h);
        auto rx = torch::linspace(0.5, double(w) - 0.5, w, o) / double(w);
        auto grid = torch::meshgrid({ry, rx}, "ij");
        refs.push_back(torch::stack({grid[1].reshape(-1), grid[0].reshape(-1)}, -1));  // [h*w, 2] (x, y)
    }
    auto r = torch::cat(refs, 0);                                  // [S, 2]
    return r.view({1, -1, 1, 2}).expand({1, r.size(0), levels, 2});  // valid ratios are all 1
}

PixelDecoderImpl::PixelDecoderImpl(const PixelDecoderConfig& c, const torch::TensorOptions& o) : config(c) {
    const int64_t d = c.feature_size, L = c.num_feature_levels;
    level_embed = register_parameter("level_embed", torch::empty({L, d}, o), false);
    input_projections = register_module("input_projections", torch::nn::ModuleList());
    // Lowest resolution first: the connector's channels reversed.
    for (int64_t i = 0; i < L; ++i) {
        const int64_t in = c.feature_channels[size_t(L - 1 - i)];
        auto seq = Indexed();
        auto conv = seq->add(0, Conv2d(in, d, 1, 1, 0, true, o));
        auto gn = seq->add(1, GroupNorm(c.group_norm_groups, d, c.group_norm_eps, o));
        input_projections->push_back(seq);
        input_proj.emplace_back(conv, gn);
    }
    encoder = register_module("encoder", PixelDecoderEncoder(c, o));
    mask_projection = register_module("mask_projection", Conv2d(d, c.mask_feature_size, 1, 1, 0, true, o));
    for (int64_t i = 0; i < c.num_fpn_levels(); ++i) {
        auto a = Indexed();
        auto ac = a->add(0, Conv2d(c.feature_channels[size_t(i)], d, 1, 1, 0, false, o));
        auto ag = a->add(1, GroupNorm(c.group_norm_groups, d, c.group_norm_eps, o));
        register_module("adapter_" + std::to_string(i + 1), a);
        auto l = Indexed();
        auto lc = l->add(0, Conv2d(d, d, 3, 1, 1, false, o));
        auto lg = l->add(1, GroupNorm(c.group_norm_groups, d, c.group_norm_eps, o));
        register_module("layer_" + std::to_string(i + 1), l);
        lateral.emplace_back(ac, ag);
        output.emplace_back(lc, lg);
    }
}

PixelDecoderOutput PixelDecoderImpl::forward(const std::vector<torch::Tensor>& features) {
    const int64_t L = config.num_feature_levels;
    if (int64_t(features.size()) < L) throw Error("pixel decoder: expected " + std::to_string(L) + " feature maps");
    std::vector<torch::Tensor> embeds, pos;
    std::vector<std::pair<int64_t, int64_t>> shapes;
    for (int64_t i = 0; i < L; ++i) {
        const auto& x = features[features.size() - 1 - size_t(i)];
        embeds.push_back(input_proj[size_t(i)].second(input_proj[size_t(i)].first(x)));
        pos.push_back(sine_position_embedding(x, config.feature_size / 2));
        shapes.emplace_back(x.size(2), x.size(3));
    }
    const int64_t b = embeds[0].size(0);
    std::vector<torch::Tensor> flat, pos_flat;
    for (int64_t i = 0; i < L; ++i) {
        flat.push_back(embeds[size_t(i)].flatten(2).transpose(1, 2));
        pos_flat.push_back(pos[size_t(i)].flatten(2).transpose(1, 2).to(flat.back().scalar_type()) +
                           like(level_embed, flat.back())[i].view({1, 1, -1}));
    }
    auto x = torch::cat(flat, 1);
    auto p = torch::cat(pos_flat, 1);
    auto ref = deformable_reference_points(shapes, L, torch::TensorOptions().dtype(x.scalar_type()).device(x.device()));
    ref = ref.expand({b, ref.size(1), L, 2});
    for (auto& m : *encoder->layers) x = m->as<PixelDecoderEncoderLayerImpl>()->forward(x, p, ref, shapes);

    std::vector<int64_t> split;
    for (auto& s : shapes) split.push_back(s.first * s.second);
    auto parts = x.split_with_sizes(split, 1);
    std::vector<torch::Tensor> outs;
    for (int64_t i = 0; i < L; ++i)
        outs.push_back(parts[size_t(i)].transpose(1, 2).reshape({b, -1, shapes[size_t(i)].first,
                                                                  shapes[size_t(i)].second}));
    // Extra FPN levels, from low to high resolution.
    const int64_t nf = config.num_fpn_levels();
    for (int64_t k = 0; k < nf; ++k) {
        const size_t idx = size_t(nf - 1 - k);  // features[:nf][::-1]
        auto cur = lateral[idx].second(lateral[idx].first(features[idx]));
        auto up = F::interpolate(outs.back(), F::InterpolateFuncOptions()
                                                  .size(std::vector<int64_t>{cur.size(2), cur.size(3)})
                                                  .mode(torch::kBilinear)
                                                  .align_corners(false));
        outs.push_back(torch::relu(output[idx].second(output[idx].first(cur + up))));
    }
    PixelDecoderOutput r;
    r.mask_features = mask_projection(outs.back());
    for (int64_t i = 0; i < L; ++i) r.multi_scale_features.push_back(outs[size_t(i)]);
    return r;
}

}  // namespace xs::xsam
