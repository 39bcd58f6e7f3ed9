#pragma once
// The three X-SAM projectors ("visual_projector", "seg_projector", "llm_projector"), each
// model.0 = Linear(in, out), model.1 = GELU (erf), model.2 = Linear(out, out), and the InternVL-style
// pixel shuffle the seg_projector applies first.
#include "core/xsam/model/config.h"
#include "core/xsam/model/vision_layers.h"

namespace xs::xsam {

// InternVL pixel shuffle of a channels-last [B, H, W, C] tensor by `scale` (0.5: [B, H/2, W/2, 4C];
// 2: [B, 2H, 2W, C/4]). tests/xsam_vision checks it against an explicit per-element index formula.
torch::Tensor pixel_shuffle(const torch::Tensor& x, double scale);
// The same for channels-first [B, C, H, W] tensors (returns channels-first).
torch::Tensor pixel_shuffle_nchw(const torch::Tensor& x, double scale);

struct ProjectorImpl : torch::nn::Module {
    ProjectorImpl(const ProjectorConfig& c, const torch::TensorOptions& o = default_build_options());
    // x: [B, N, in] tokens, or [B, H, W, C] (pixel-shuffled by downsample_ratio, then flattened to tokens).
    torch::Tensor forward(const torch::Tensor& x);

    ProjectorConfig config;
    Indexed model{nullptr};
    std::vector<Linear> linears;
};
TORCH_MODULE(Projector);

}  // namespace xs::xsam
