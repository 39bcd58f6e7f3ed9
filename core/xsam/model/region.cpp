// Region sampler (see region.h).
#include "core/xsam/model/region.h"

#include <cmath>

#include "core/util/error.h"

namespace xs::xsam {

namespace F = torch::nn::functional;

torch::Tensor region_sample_points(const torch::Tensor& mask, int64_t num_points) {
    if (mask.dim() != 2) throw Error("region sampler: a prompt mask must be [H, W]");
    const int64_t h = mask.size(0), w = mask.size(1);
    auto nz = mask.ne(0).nonzero();  // [count, 2] (row, col), raster order
    const int64_t count = nz.size(0);
    if (count == 0) throw Error("region sampler: a visual prompt mask is empty");
    if (count > num_points) {
        auto idx = torch::div(torch::arange(num_points, torch::kLong) * count, num_points, "floor");
        nz = nz.index_select(0, idx.to(nz.device()));
    }
    auto pts = nz.to(torch::kFloat);
    auto scale = torch::tensor({float(h), float(w)}, torch::TensorOptions().dtype(torch::kFloat).device(pts.device()));
    return pts / scale;
}

torch::Tensor region_features(const torch::Tensor& seg_tokens, const torch::Tensor& masks, int64_t num_points) {
    torch::Tensor map;
    if (seg_tokens.dim() == 2) {
        const auto side = static_cast<int64_t>(std::llround(std::sqrt(double(seg_tokens.size(0)))));
        if (side * side != seg_tokens.size(0)) throw Error("region sampler: token count is not a square");
        map = seg_tokens.reshape({side, side, -1});
    } else if (seg_tokens.dim() == 3) {
        map = seg_tokens;
    } else {
        throw Error("region sampler: seg_tokens must be [h*w, C] or [h, w, C]");
    }
    if (masks.dim() != 3) throw Error("region sampler: masks must be [K, H, W]");
    auto fmap = map.permute({2, 0, 1}).unsqueeze(0).to(torch::kFloat);  // [1, C, h, w]
    std::vector<torch::Tensor> out;
    for (int64_t k = 0; k < masks.size(0); ++k) {
        auto pts = region_sample_points(masks[k], num_points).to(fmap.device());  // (y, x) in [0, 1)
        auto grid = (2 * pts.flip({1}) - 1).view({1, -1, 1, 2});                  // (x, y) in [-1, 1)
        auto s = F::grid_sample(fmap, grid, F::GridSampleFuncOptions()
                                                .mode(torch::kBilinear)
                                                .padding_mode(torch::kZeros)
                                                .align_corners(true));  // [1, C, P, 1]
        out.push_back(std::get<0>(s.squeeze(0).squeeze(-1).max(1)));  // [C]
    }
    return torch::stack(out).to(seg_tokens.scalar_type());
}

}  // namespace xs::xsam
