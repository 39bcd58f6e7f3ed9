// SAM ViT image encoder (see sam_vit.h). Written from the MViTv2 / SAM formulation; the relative
// position bias is passed to the shared attention helper as an additive mask.
#include "core/xsam/model/sam_vit.h"

#include <cmath>

#include "core/util/error.h"
#include "core/xsam/model/attention.h"

namespace xs::xsam {

namespace F = torch::nn::functional;

torch::Tensor sam_get_rel_pos(int64_t q_size, int64_t k_size, const torch::Tensor& rel_pos) {
    const int64_t max_rel = 2 * std::max(q_size, k_size) - 1;
    torch::Tensor table = rel_pos;
    if (rel_pos.size(0) != max_rel) {
        // Linear resize along the table length (align_corners=False), as the reference does.
        auto t = rel_pos.t().unsqueeze(0);  // [1, D, L]
        t = F::interpolate(t, F::InterpolateFuncOptions().size(std::vector<int64_t>{max_rel}).mode(torch::kLinear)
                                  .align_corners(false));
        table = t.squeeze(0).t();
    }
    const double qs = std::max(double(k_size) / double(q_size), 1.0);
    const double ks = std::max(double(q_size) / double(k_size), 1.0);
    auto opts = torch::TensorOptions().dtype(torch::kDouble).device(rel_pos.device());
    auto qc = torch::arange(q_size, opts).unsqueeze(1) * qs;
    auto kc = torch::arange(k_size, opts).unsqueeze(0) * ks;
    auto idx = ((qc - kc) + double(k_size - 1) * ks).to(torch::kLong);
    return table.index({idx});  // [q, k, D]
}

std::pair<torch::Tensor, std::pair<int64_t, int64_t>> sam_window_partition(const torch::Tensor& x, int64_t ws) {
    const int64_t b = x.size(0), h = x.size(1), w = x.size(2), c = x.size(3);
    const int64_t ph = (ws - h % ws) % ws, pw = (ws - w % ws) % ws;
    auto xp = (ph || pw) ? F::pad(x, F::PadFuncOptions({0, 0, 0, pw, 0, ph})) : x;
    const int64_t hp = h + ph, wp = w + pw;
    auto win = xp.reshape({b, hp / ws, ws, wp / ws, ws, c}).permute({0, 1, 3, 2, 4, 5}).reshape({-1, ws, ws, c});
    return {win, {hp, wp}};
}

torch::Tensor sam_window_unpartition(const torch::Tensor& windows, int64_t ws, std::pair<int64_t, int64_t> padded,
                                     std::pair<int64_t, int64_t> original) {
    const int64_t hp = padded.first, wp = padded.second;
    const int64_t b = windows.size(0) / ((hp / ws) * (wp / ws));
    auto x = windows.reshape({b, hp / ws, wp / ws, ws, ws, -1}).permute({0, 1, 3, 2, 4, 5}).reshape({b, hp, wp, -1});
    if (hp != original.first || wp != original.second)
        x = x.index({torch::indexing::Slice(), torch::indexing::Slice(0, original.first),
                     torch::indexing::Slice(0, original.second)});
    return x.contiguous();
}

SamVisionAttentionImpl::SamVisionAttentionImpl(const SamVitConfig& c, int64_t window_size,
                                               const torch::TensorOptions& o)
    : num_heads(c.num_attention_heads), use_rel_pos(c.use_rel_pos) {
    qkv = register_module("qkv", Linear(c.hidden_size, 3 * c.hidden_size, c.qkv_bias, o));
    proj = register_module("proj", Linear(c.hidden_size, c.hidden_size, true, o));
    if (use_rel_pos) {
        const int64_t size = window_size == 0 ? c.grid() : window_size;
        rel_pos_h = register_parameter("rel_pos_h", torch::empty({2 * size - 1, c.head_dim()}, o), false);
        rel_pos_w = register_parameter("rel_pos_w", torch::empty({2 * size - 1, c.head_dim()}, o), false);
    }
}

namespace {

// Query rows per block of SAM's attention on the CPU: a global layer's scores are 16 heads x 256 x 4096
// per block (32 MB in bf16) instead of 16 x 4096 x 4096 (512 MB) at once.
constexpr int64_t kSamQueryBlock = 256;

// The decomposed relative-position bias folded into the attention product, so that no pass over the
// scores adds it: bias(q, key (ky, kx)) = bh[q, ky] + bw[q, kx] is the product of [bh | bw] with the
// key's one-hot row and column indicators. q' = [q * scale | bh | bw], k' = [k | e_ky | e_kx], and
// q' . k' = scale q.k + bh[q, ky] + bw[q, kx] in one product accumulated in fp32 (bf16 compute rounds
// once instead of three times). The extra h + w columns (128 of a global layer's 192) replace two
// passes over the N x N scores and any N x N bias tensor (the speed-up is within the 2-core machine's
// noise: README, "X-SAM on the CPU: compute precision").
std::pair<torch::Tensor, torch::Tensor> fold_rel_pos(const torch::Tensor& q, const torch::Tensor& k,
                                                     const torch::Tensor& bh, const torch::Tensor& bw, double scale) {
    const int64_t b = q.size(0), heads = q.size(1), n = q.size(2), h = bh.size(-1), w = bw.size(-1);
    const auto f32 = q.options().dtype(torch::kFloat);  // (LibTorch 1.13 has no bf16 eye)
    auto rows = torch::eye(h, f32).repeat_interleave(w, 0).to(q.scalar_type());  // [n, h]: key j in row j / w
    auto cols = torch::eye(w, f32).repeat({h, 1}).to(q.scalar_type());           // [n, w]: key j in column j % w
    auto qf = torch::cat({q * scale, bh.reshape({b, heads, n, h}), bw.reshape({b, heads, n, w})}, -1);
    auto kf = torch::cat({k, rows.expand({b, heads, n, h}), cols.expand({b, heads, n, w})}, -1);
    return {qf, kf};
}

}  // namespace

torch::Tensor SamVisionAttentionImpl::forward(const torch::Tensor& x) {
    const int64_t b = x.size(0), h = x.size(1), w = x.size(2), c = x.size(3);
    const int64_t n = h * w, d = c / num_heads;
    // [B, N, 3, heads, D] -> 3 x [B, heads, N, D]
    auto t = qkv(x).reshape({b, n, 3, num_heads, d}).permute({2, 0, 3, 1, 4});
    auto q = t[0], k = t[1], v = t[2];
    torch::Tensor out;
    if (!use_rel_pos) {
        out = attention(q, k, v);  // [B, heads, N, D], scale D^-0.5
    } else {
        auto rh = sam_get_rel_pos(h, h, like(rel_pos_h, x));  // [h, h, D]
        auto rw = sam_get_rel_pos(w, w, like(rel_pos_w, x));  // [w, w, D]
        auto q4 = q.reshape({b, num_heads, h, w, d});
        // bias[b, n, qy, qx, ky, kx] = <q(qy,qx), Rh[qy,ky]> + <q(qy,qx), Rw[qx,kx]>
        auto bh = torch::einsum("bnyxc,ykc->bnyxk", {q4, rh});  // [B, heads, h, w, h]
        auto bw = torch::einsum("bnyxc,xkc->bnyxk", {q4, rw});  // [B, heads, h, w, w]
        if (x.device().is_cpu()) {
            auto [qf, kf] = fold_rel_pos(q, k, bh, bw, 1.0 / std::sqrt(double(d)));
            std::vector<torch::Tensor> outs;
            for (int64_t r0 = 0; r0 < n; r0 += kSamQueryBlock)
                outs.push_back(attention(qf.narrow(2, r0, std::min(kSamQueryBlock, n - r0)), kf, v, c10::nullopt,
                                         false, 1.0));
            out = outs.size() == 1 ? outs[0] : torch::cat(outs, 2);
        } else {  // sdpa's fused kernels take the bias as a mask
            auto bias = (bh.unsqueeze(-1) + bw.unsqueeze(-2)).reshape({b, num_heads, n, n});
            out = attention(q, k, v, bias);
        }
    }
    out = out.permute({0, 2, 1, 3}).reshape({b, h, w, c});
    return proj(out);
}

SamMlpImpl::SamMlpImpl(int64_t hidden, int64_t mlp, const torch::TensorOptions& o) {
    lin1 = register_module("lin1", Linear(hidden, mlp, true, o));
    lin2 = register_module("lin2", Linear(mlp, hidden, true, o));
}

torch::Tensor SamMlpImpl::forward(const torch::Tensor& x) { return lin2(gelu_erf(lin1(x))); }

SamVisionLayerImpl::SamVisionLayerImpl(const SamVitConfig& c, int64_t ws, const torch::TensorOptions& o)
    : window_size(ws) {
    layer_norm1 = register_module("layer_norm1", LayerNorm(c.hidden_size, c.layer_norm_eps, o));
    attn = register_module("attn", SamVisionAttention(c, ws, o));
    layer_norm2 = register_module("layer_norm2", LayerNorm(c.hidden_size, c.layer_norm_eps, o));
    mlp = register_module("mlp", SamMlp(c.hidden_size, c.mlp_dim, o));
}

torch::Tensor SamVisionLayerImpl::forward(const torch::Tensor& x) {
    auto y = layer_norm1(x);
    if (window_size > 0) {
        const int64_t h = y.size(1), w = y.size(2);
        auto part = sam_window_partition(y, window_size);
        y = attn(part.first);
        y = sam_window_unpartition(y, window_size, part.second, {h, w});
    } else {
        y = attn(y);
    }
    auto hs = x + y;
    return hs + mlp(layer_norm2(hs));
}

SamPatchEmbedImpl::SamPatchEmbedImpl(const SamVitConfig& c, const torch::TensorOptions& o) {
    projection = register_module("projection", Conv2d(c.num_channels, c.hidden_size, c.patch_size, c.patch_size, 0,
                                                      true, o));
}

torch::Tensor SamPatchEmbedImpl::forward(const torch::Tensor& pixels) { return projection(pixels).permute({0, 2, 3, 1}); }

SamVisionNeckImpl::SamVisionNeckImpl(const SamVitConfig& c, const torch::TensorOptions& o) {
    conv1 = register_module("conv1", Conv2d(c.hidden_size, c.output_channels, 1, 1, 0, false, o));
    layer_norm1 = register_module("layer_norm1", LayerNorm2d(c.output_channels, 1e-6, o));
    conv2 = register_module("conv2", Conv2d(c.output_channels, c.output_channels, 3, 1, 1, false, o));
    layer_norm2 = register_module("layer_norm2", LayerNorm2d(c.output_channels, 1e-6, o));
}

torch::Tensor SamVisionNeckImpl::forward(const torch::Tensor& x) {
    return layer_norm2(conv2(layer_norm1(conv1(x.permute({0, 3, 1, 2})))));
}

SamVisionEncoderImpl::SamVisionEncoderImpl(const SamVitConfig& c, const torch::TensorOptions& o) : config(c) {
    patch_embed = register_module("patch_embed", SamPatchEmbed(c, o));
    if (c.use_abs_pos)
        pos_embed = register_parameter("pos_embed", torch::empty({1, c.grid(), c.grid(), c.hidden_size}, o), false);
    layers = register_module("layers", torch::nn::ModuleList());
    for (int64_t i = 0; i < c.num_hidden_layers; ++i)
        layers->push_back(SamVisionLayer(c, c.is_global(i) ? 0 : c.window_size, o));
    neck = register_module("neck", SamVisionNeck(c, o));
}

std::vector<torch::Tensor> SamVisionEncoderImpl::forward(const torch::Tensor& pixels, int64_t last_needed) {
    const int64_t s = config.image_size;
    if (pixels.dim() != 4 || pixels.size(1) != config.num_channels || pixels.size(2) != s || pixels.size(3) != s)
        throw Error("SAM encoder: expected pixels [B, " + std::to_string(config.num_channels) + ", " +
                    std::to_string(s) + ", " + std::to_string(s) + "]");
    const int64_t n = config.num_hidden_layers;
    const int64_t stop = last_needed < 0 ? n : std::min(last_needed, n);
    std::vector<torch::Tensor> hs;
    auto x = patch_embed(pixels);
    if (pos_embed.defined()) x = x + like(pos_embed, x);
    hs.push_back(x);
    for (int64_t i = 0; i < stop; ++i) {
        x = layers[i]->as<SamVisionLayerImpl>()->forward(x);
        hs.push_back(x);
    }
    return hs;
}

}  // namespace xs::xsam
