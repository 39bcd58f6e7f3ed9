// Building blocks for the X-SAM vision modules (see vision_layers.h).
#include "core/xsam/model/vision_layers.h"

#include "core/xsam/model/attention.h"

#include <mutex>
#include <vector>

namespace xs::xsam {

namespace F = torch::nn::functional;

namespace {

// Reusable CPU buffers for converted weights. A fresh multi-megabyte tensor costs page faults on every
// use (converting a 50 M-parameter bf16 matrix into a new fp32 tensor took ~7x longer here than copying
// it into an existing buffer), so large CPU conversions go into pooled buffers. A buffer is handed out
// as a view and is free again once no tensor references its storage any more (the op that used the
// converted weight has finished), so results never alias a weight still in use.
class CastPool {
public:
    static constexpr int64_t kMinElements = int64_t(1) << 16;  // smaller weights: a plain conversion
    static constexpr size_t kMaxBuffers = 6;
    static constexpr int64_t kMaxBytes = int64_t(1) << 30;      // all buffers together

    torch::Tensor cast(const torch::Tensor& w, torch::ScalarType dtype) {
        std::lock_guard<std::mutex> lock(mu_);
        const int64_t n = w.numel();
        torch::Tensor* best = nullptr;   // the smallest free buffer of this dtype that fits
        torch::Tensor* spare = nullptr;  // a free buffer of this dtype that is too small
        for (torch::Tensor& b : buffers_) {
            if (b.scalar_type() != dtype || b.storage().use_count() != 1) continue;
            if (b.numel() >= n) {
                if (!best || b.numel() < best->numel()) best = &b;
            } else if (!spare || b.numel() < spare->numel()) {
                spare = &b;
            }
        }
        if (!best) {
            const int64_t bytes = n * int64_t(c10::elementSize(dtype));
            // Normal (not inference) tensors, so the buffers serve inside and outside InferenceMode.
            c10::InferenceMode normal(false);
            if (spare) {
                if (total_bytes() - spare->nbytes() + bytes > kMaxBytes) return w.to(dtype);
                *spare = torch::empty({n}, torch::TensorOptions().dtype(dtype));
                best = spare;
            } else {
                if (buffers_.size() >= kMaxBuffers || total_bytes() + bytes > kMaxBytes) return w.to(dtype);
                buffers_.push_back(torch::empty({n}, torch::TensorOptions().dtype(dtype)));
                best = &buffers_.back();
            }
        }
        torch::Tensor out = best->narrow(0, 0, n).view(w.sizes());
        out.copy_(w);
        return out;
    }

private:
    int64_t total_bytes() const {
        int64_t t = 0;
        for (const auto& b : buffers_) t += int64_t(b.nbytes());
        return t;
    }
    std::mutex mu_;
    std::vector<torch::Tensor> buffers_;
};

CastPool& cast_pool() {
    static CastPool* pool = new CastPool();  // never destroyed: usable from static destructors
    return *pool;
}

}  // namespace

torch::Tensor like(const torch::Tensor& w, const torch::Tensor& x) {
    if (!w.defined()) return w;
    if (w.scalar_type() == x.scalar_type() && w.device() == x.device()) return w;
    if (w.device().is_cpu() && x.device().is_cpu() && w.numel() >= CastPool::kMinElements && w.is_contiguous())
        return cast_pool().cast(w, x.scalar_type());
    return w.to(x.device(), x.scalar_type());
}

torch::TensorOptions default_build_options() { return torch::TensorOptions().dtype(torch::kFloat).device(torch::kCPU); }

LinearImpl::LinearImpl(int64_t in, int64_t out, bool has_bias, const torch::TensorOptions& o)
    : in_features(in), out_features(out) {
    weight = register_parameter("weight", torch::empty({out, in}, o), false);
    if (has_bias) bias = register_parameter("bias", torch::empty({out}, o), false);
}

torch::Tensor LinearImpl::forward(const torch::Tensor& x) { return torch::linear(x, like(weight, x), like(bias, x)); }

Conv2dImpl::Conv2dImpl(int64_t in, int64_t out, int64_t kernel, int64_t stride_, int64_t padding_, bool has_bias,
                       const torch::TensorOptions& o)
    : stride(stride_), padding(padding_) {
    weight = register_parameter("weight", torch::empty({out, in, kernel, kernel}, o), false);
    if (has_bias) bias = register_parameter("bias", torch::empty({out}, o), false);
}

torch::Tensor Conv2dImpl::forward(const torch::Tensor& x) {
    return torch::conv2d(x, like(weight, x), like(bias, x), {stride, stride}, {padding, padding});
}

LayerNormImpl::LayerNormImpl(int64_t dim_, double eps_, const torch::TensorOptions& o) : dim(dim_), eps(eps_) {
    weight = register_parameter("weight", torch::empty({dim}, o), false);
    bias = register_parameter("bias", torch::empty({dim}, o), false);
}

namespace {

// LibTorch 1.13's CPU layer and group norm kernels are scalar for bf16 (about 2x slower than converting
// to fp32 and back here). The reference's bf16 norms compute in fp32 and round the result, which is
// what this does.
bool norm_in_fp32(const torch::Tensor& x) { return x.is_cpu() && x.scalar_type() == torch::kBFloat16; }

}  // namespace

torch::Tensor LayerNormImpl::forward(const torch::Tensor& x) {
    if (norm_in_fp32(x)) {
        const auto f = torch::kFloat;
        return torch::layer_norm(x.to(f), {dim}, weight.to(f), bias.to(f), eps).to(x.scalar_type());
    }
    return torch::layer_norm(x, {dim}, like(weight, x), like(bias, x), eps);
}

LayerNorm2dImpl::LayerNorm2dImpl(int64_t channels_, double eps_, const torch::TensorOptions& o)
    : channels(channels_), eps(eps_) {
    weight = register_parameter("weight", torch::empty({channels}, o), false);
    bias = register_parameter("bias", torch::empty({channels}, o), false);
}

torch::Tensor LayerNorm2dImpl::forward(const torch::Tensor& x) {
    // Statistics in fp32 for half/bf16/fp32 inputs (as the reference), in fp64 for fp64 inputs.
    auto xf = x.scalar_type() == torch::kDouble ? x : x.to(torch::kFloat);
    auto u = xf.mean({1}, true);
    auto s = (xf - u).pow(2).mean({1}, true);
    auto y = ((xf - u) / torch::sqrt(s + eps)).to(x.scalar_type());
    return like(weight, x).view({1, -1, 1, 1}) * y + like(bias, x).view({1, -1, 1, 1});
}

GroupNormImpl::GroupNormImpl(int64_t groups_, int64_t channels, double eps_, const torch::TensorOptions& o)
    : groups(groups_), eps(eps_) {
    weight = register_parameter("weight", torch::empty({channels}, o), false);
    bias = register_parameter("bias", torch::empty({channels}, o), false);
}

torch::Tensor GroupNormImpl::forward(const torch::Tensor& x) {
    if (norm_in_fp32(x)) {
        const auto f = torch::kFloat;
        return torch::group_norm(x.to(f), groups, weight.to(f), bias.to(f), eps).to(x.scalar_type());
    }
    return torch::group_norm(x, groups, like(weight, x), like(bias, x), eps);
}

EmbeddingImpl::EmbeddingImpl(int64_t num, int64_t dim, const torch::TensorOptions& o) {
    weight = register_parameter("weight", torch::empty({num, dim}, o), false);
}

MultiheadAttentionImpl::MultiheadAttentionImpl(int64_t e, int64_t h, const torch::TensorOptions& o)
    : embed_dim(e), num_heads(h) {
    in_proj_weight = register_parameter("in_proj_weight", torch::empty({3 * e, e}, o), false);
    in_proj_bias = register_parameter("in_proj_bias", torch::empty({3 * e}, o), false);
    out_proj = register_module("out_proj", Linear(e, e, true, o));
}

torch::Tensor MultiheadAttentionImpl::forward(const torch::Tensor& q, const torch::Tensor& k, const torch::Tensor& v,
                                              const c10::optional<torch::Tensor>& allowed) {
    auto kv = project_kv(k, v);
    return attend(q, kv.first, kv.second, allowed);
}

// Row block i (0: q, 1: k, 2: v) of in_proj applied to x, split into heads; only that block is
// converted to x's dtype.
torch::Tensor MultiheadAttentionImpl::project(const torch::Tensor& x, int64_t i) {
    const int64_t e = in_proj_weight.size(0) / 3;
    return split_heads(torch::linear(x, like(in_proj_weight.narrow(0, i * e, e), x), like(in_proj_bias.narrow(0, i * e, e), x)),
                       num_heads);
}

std::pair<torch::Tensor, torch::Tensor> MultiheadAttentionImpl::project_kv(const torch::Tensor& k, const torch::Tensor& v) {
    return {project(k, 1), project(v, 2)};
}

torch::Tensor MultiheadAttentionImpl::attend(const torch::Tensor& q, const torch::Tensor& kh, const torch::Tensor& vh,
                                             const c10::optional<torch::Tensor>& allowed) {
    return out_proj(merge_heads(attention(project(q, 0), kh, vh, allowed)));
}

torch::Tensor gelu_erf(const torch::Tensor& x) { return torch::gelu(x); }
torch::Tensor gelu_tanh(const torch::Tensor& x) { return torch::gelu(x, "tanh"); }

torch::Tensor split_heads(const torch::Tensor& x, int64_t heads) {
    const auto b = x.size(0), l = x.size(1), e = x.size(2);
    return x.view({b, l, heads, e / heads}).transpose(1, 2);
}

torch::Tensor merge_heads(const torch::Tensor& x) {
    const auto b = x.size(0), h = x.size(1), l = x.size(2), d = x.size(3);
    return x.transpose(1, 2).reshape({b, l, h * d});
}

}  // namespace xs::xsam
