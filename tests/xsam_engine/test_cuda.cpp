// The X-SAM engine on CUDA against the CPU, on the tiny config with seeded random weights built in
// memory (XsamEngineOptions::random_weights). Needs a CUDA device: it is built and run by
// packaging/gpu-check.sh on the GPU machine only (not registered with CTest, whose machines have no GPU);
// without a device it fails loudly instead of passing.
//
// Tolerances (NMSE of mask logits, max |diff| of class logits after softmax):
//   CUDA fp32 vs CPU fp32:  NMSE <= 1e-4 (TF32 may be used by cuDNN convolutions; matmuls are fp32)
//   CUDA bf16 vs CPU fp32:  NMSE <= 2e-2, class probabilities within 0.1 (bf16 keeps 8 bits of mantissa;
//                           unrelated random outputs give NMSE ~ 1-2, so the bound still catches real bugs)
//   CUDA bf16, prompt on the cached prefix vs the prefix recomputed with the prompt: NMSE <= 2e-2
#include <torch/torch.h>

#include <cmath>
#include <cstdio>

#include "core/xsam/engine/bench_xsam.h"
#include "core/xsam/engine/xsam_engine.h"
#include "tests/harness/plain_test.h"

using namespace xs;
using namespace xs::xsam;

namespace {

std::string source_dir() { return plain_test::env_or("XS_SOURCE_DIR", "."); }

std::unique_ptr<XsamEngine> make(const std::string& device, const std::string& dtype, bool reuse = true) {
    XsamEngineOptions o;
    o.model_dir = source_dir() + "/models/xsam-tiny.json";
    o.random_weights = true;
    o.seed = 11;
    o.device = device;
    o.dtype = dtype;
    o.reuse_prefix = reuse;
    return std::make_unique<XsamEngine>(o);
}

double nmse(const torch::Tensor& a, const torch::Tensor& ref) {
    auto x = a.to(torch::kCPU, torch::kDouble), r = ref.to(torch::kCPU, torch::kDouble);
    XS_CHECK_MSG(x.sizes() == r.sizes(), "shape mismatch");
    return (x - r).pow(2).sum().item<double>() / std::max(1e-300, r.pow(2).sum().item<double>());
}

std::vector<SegmentRequest> requests() {
    std::vector<SegmentRequest> r(3);
    r[0].task = Task::Referring;
    r[0].text = "the red disc on the left";
    r[1].task = Task::Interactive;
    r[1].points = {{213.f, 240.f, true}};
    r[2].task = Task::VisualGrounded;
    r[2].boxes = {{333.f, 130.f, 467.f, 269.f}};
    return r;
}

void compare(XsamEngine& a, XsamEngine& ref, double tol_mask, double tol_prob, const std::string& what) {
    const Image im = bench_synthetic_image();
    CancelToken cancel;
    auto pa = a.prepare(im, cancel);
    auto pr = ref.prepare(im, cancel);
    const auto& xa = dynamic_cast<const XsamPrepared&>(*pa);
    const auto& xr = dynamic_cast<const XsamPrepared&>(*pr);
    const double e_feat = nmse(xa.features.mask_features, xr.features.mask_features);
    std::printf("  %s: mask features NMSE %.3g\n", what.c_str(), e_feat);
    XS_CHECK_MSG(e_feat <= tol_mask, what + ": mask features NMSE " + std::to_string(e_feat));
    for (const SegmentRequest& rq : requests()) {
        ScoringOutput sa = a.score(xa, rq, cancel);
        ScoringOutput sr = ref.score(xr, rq, cancel);
        XS_CHECK(sa.ids == sr.ids);
        const double e = nmse(sa.mask_logits, sr.mask_logits);
        const double dp = (torch::softmax(sa.class_logits.to(torch::kDouble), -1) -
                           torch::softmax(sr.class_logits.to(torch::kDouble), -1))
                              .abs()
                              .max()
                              .item<double>();
        std::printf("  %s %s: mask-logit NMSE %.3g, class-probability max |diff| %.3g\n", what.c_str(),
                    task_name(rq.task), e, dp);
        XS_CHECK_MSG(std::isfinite(e) && e <= tol_mask, what + " " + task_name(rq.task) + ": NMSE " + std::to_string(e));
        XS_CHECK_MSG(dp <= tol_prob, what + " " + task_name(rq.task) + ": class prob diff " + std::to_string(dp));
        // The full segment() path runs too (post-processing on the device's logits).
        SegmentResult res = a.segment(*pa, rq, cancel);
        XS_CHECK(!res.timings.empty());
    }
}

}  // namespace

XS_TEST(cuda_is_available) {
    XS_CHECK_MSG(torch::cuda::is_available(), "no CUDA device: this suite must run on the GPU machine");
}

XS_TEST(cuda_fp32_matches_cpu_fp32) {
    auto cpu = make("cpu", "fp32");
    auto gpu = make("cuda", "fp32");
    compare(*gpu, *cpu, 1e-4, 1e-3, "cuda fp32 vs cpu fp32");
}

XS_TEST(cuda_bf16_matches_cpu_fp32) {
    auto cpu = make("cpu", "fp32");
    auto gpu = make("cuda", "bf16");
    compare(*gpu, *cpu, 2e-2, 0.1, "cuda bf16 vs cpu fp32");
}

XS_TEST(cuda_bf16_prompt_on_cached_prefix_matches_recomputation) {
    auto cached = make("cuda", "bf16", true);
    auto scratch = make("cuda", "bf16", false);
    compare(*cached, *scratch, 2e-2, 0.1, "cuda bf16 cached vs recomputed prefix");
}

XS_TEST(cuda_peak_memory_is_reported) {
    XS_CHECK(torch::cuda::is_available());
    auto gpu = make("cuda", "bf16");
    cuda_peak_allocated_bytes(0, true);
    CancelToken cancel;
    auto p = gpu->prepare(bench_synthetic_image(), cancel);
    const int64_t peak = cuda_peak_allocated_bytes(0);
    std::printf("  peak allocated after a tiny prepare: %lld bytes\n", static_cast<long long>(peak));
    // -1: the library was built without the allocator statistics (bench_xsam.cpp without
    // XS_CUDA_STATS); otherwise the peak covers at least the model's weights on the device.
    int64_t weights = 0;
    for (const auto& t : gpu->model()->parameters()) weights += t.numel() * int64_t(t.element_size());
    XS_CHECK_MSG(peak == -1 || peak >= weights, "peak " + std::to_string(peak) + " < weights " + std::to_string(weights));
}

XS_TEST_MAIN()
