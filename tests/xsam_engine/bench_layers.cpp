// bench-xsam-layers: where one layer's CPU time goes, per LibTorch op, for the full-size X-SAM layers
// that dominate prepare and a prompt (issue 18): one SAM ViT-L global layer and one windowed layer over
// the 64 x 64 grid, one Phi-3 layer over the 1755-token image prefix and over a 36-token prompt on that
// cached prefix, and the mask decoder of one prompt. Random weights (N(0, 0.02); --init engine: the
// engine's random weights, init_random_parameters, norms near 1), batch 1. Prints, per case, the process
// CPU time and the wall time of a timed run (after a warm-up), then the ops of a profiled run by self
// time (wall time measured by the profiler on the calling thread; the intra-op threads work inside
// those ranges).
// Usage: bench_xsam_layers [--dtype bf16|fp32] [--threads N] [--repeats N] [--top N] [--init engine]
//        [--only TEXT] (the cases whose name contains TEXT)
#include <torch/csrc/autograd/profiler_legacy.h>
#include <torch/torch.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "core/xsam/model/config.h"
#include "core/xsam/model/mask_decoder.h"
#include "core/xsam/model/phi3.h"
#include "core/xsam/model/sam_vit.h"
#include "core/xsam/model/xsam_model.h"
#include "core/xsam/pipeline/postprocess.h"
#include "core/xsam/pipeline/preprocess.h"

using namespace xs::xsam;
namespace prof = torch::autograd::profiler;

namespace {

double cpu_ms() {
    timespec t{};
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

double wall_ms() {
    timespec t{};
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

void randomize(torch::nn::Module& m) {
    torch::NoGradGuard g;
    for (auto& p : m.parameters()) p.normal_(0.0, 0.02);
}

struct OpTotals {
    double self_us = 0, total_us = 0;
    int64_t calls = 0;
};

// Self and inclusive time per op name from the legacy profiler's push/pop events of the calling thread.
std::map<std::string, OpTotals> profile(const std::function<void()>& run) {
    prof::enableProfilerLegacy(torch::profiler::impl::ProfilerConfig(torch::profiler::impl::ProfilerState::CPU));
    run();
    auto lists = prof::disableProfilerLegacy();
    std::map<std::string, OpTotals> ops;
    for (const auto& list : lists) {
        struct Open { const prof::LegacyEvent* e; double child_us; };
        std::vector<Open> stack;
        for (const auto& e : list) {
            if (e.kind() == prof::EventKind::PushRange) {
                stack.push_back({&e, 0.0});
            } else if (e.kind() == prof::EventKind::PopRange && !stack.empty()) {
                Open o = stack.back();
                stack.pop_back();
                const double us = o.e->cpuElapsedUs(e);
                auto& t = ops[o.e->name()];
                t.total_us += us, t.self_us += us - o.child_us, t.calls += 1;
                if (!stack.empty()) stack.back().child_us += us;
            }
        }
    }
    return ops;
}

std::string only;  // --only TEXT: the cases whose name contains TEXT

void report(const char* name, const std::function<void()>& run, int repeats, int top) {
    if (!only.empty() && std::string(name).find(only) == std::string::npos) return;
    run();  // warm-up (allocations, oneDNN primitive caches)
    std::vector<double> cpu, wall;
    for (int i = 0; i < repeats; ++i) {
        const double c0 = cpu_ms(), w0 = wall_ms();
        run();
        cpu.push_back(cpu_ms() - c0), wall.push_back(wall_ms() - w0);
    }
    std::sort(cpu.begin(), cpu.end()), std::sort(wall.begin(), wall.end());
    std::printf("\n== %s: CPU %.1f ms, wall %.1f ms (median of %d)\n", name, cpu[cpu.size() / 2],
                wall[wall.size() / 2], repeats);
    auto ops = profile(run);
    std::vector<std::pair<std::string, OpTotals>> v(ops.begin(), ops.end());
    std::sort(v.begin(), v.end(), [](auto& a, auto& b) { return a.second.self_us > b.second.self_us; });
    double sum = 0;
    for (auto& o : v) sum += o.second.self_us;
    std::printf("   %-36s %10s %10s %6s %6s\n", "op", "self ms", "total ms", "calls", "self%");
    for (int i = 0; i < top && i < int(v.size()); ++i)
        std::printf("   %-36s %10.1f %10.1f %6lld %5.1f%%\n", v[i].first.c_str(), v[i].second.self_us / 1e3,
                    v[i].second.total_us / 1e3, (long long)v[i].second.calls, 100.0 * v[i].second.self_us / sum);
}

}  // namespace

int main(int argc, char** argv) {
    std::string dtype = "bf16";
    int threads = 2, repeats = 3, top = 14;
    bool engine_init = false;  // --init engine: the engine's random weights (init_random_parameters)
    for (int i = 1; i + 1 < argc; i += 2) {
        if (!std::strcmp(argv[i], "--dtype")) dtype = argv[i + 1];
        else if (!std::strcmp(argv[i], "--threads")) threads = std::atoi(argv[i + 1]);
        else if (!std::strcmp(argv[i], "--repeats")) repeats = std::atoi(argv[i + 1]);
        else if (!std::strcmp(argv[i], "--top")) top = std::atoi(argv[i + 1]);
        else if (!std::strcmp(argv[i], "--only")) only = argv[i + 1];
        else if (!std::strcmp(argv[i], "--init")) engine_init = !std::strcmp(argv[i + 1], "engine");
        else { std::fprintf(stderr, "bench_xsam_layers: unknown option %s\n", argv[i]); return 2; }
    }
    if (dtype != "bf16" && dtype != "fp32") { std::fprintf(stderr, "bench_xsam_layers: --dtype bf16|fp32\n"); return 2; }
    at::set_num_threads(threads);
    c10::InferenceMode guard;
    torch::manual_seed(0);
    const auto o = torch::TensorOptions().dtype(dtype == "bf16" ? torch::kBFloat16 : torch::kFloat);
    std::printf("bench_xsam_layers: %s compute, %d threads\n", dtype.c_str(), threads);

    SamVitConfig sam;
    auto sam_x = torch::randn({1, sam.grid(), sam.grid(), sam.hidden_size}, o);
    SamVisionLayer global(sam, 0, o), windowed(sam, sam.window_size, o);
    if (engine_init) init_random_parameters(*global, 1), init_random_parameters(*windowed, 2);
    else randomize(*global), randomize(*windowed);
    report("SAM global layer (64x64 tokens)", [&] { global->forward(sam_x); }, repeats, top);
    report("SAM windowed layer (14x14 windows)", [&] { windowed->forward(sam_x); }, repeats, top);

    Phi3Config llm;
    llm.num_hidden_layers = 1;
    llm.vocab_size = 64;
    Phi3Model phi(llm, o);
    if (engine_init) init_random_parameters(*phi, 3);
    else randomize(*phi);
    auto prefix = torch::randn({1, 1755, llm.hidden_size}, o) * 0.5;
    auto prompt = torch::randn({1, 36, llm.hidden_size}, o) * 0.5;
    report("Phi-3 layer, 1755-token prefix", [&] { KVCache c; phi->forward(prefix, &c); }, repeats, top);
    KVCache cached;
    phi->forward(prefix, &cached);
    report("Phi-3 layer, 36-token prompt on the cached prefix",
           [&] { KVCache c = KVCache::on_top_of(cached); phi->forward(prompt, &c); }, repeats, top);

    // The mask decoder of one prompt (9 masked-attention layers over the prepared memory, 200 queries),
    // on random image features of the full-size levels (32^2, 64^2, 128^2; mask features 256^2).
    MaskDecoderConfig mdc;
    MaskDecoder dec(mdc, o);
    if (engine_init) init_random_parameters(*dec, 4);
    else randomize(*dec);
    std::vector<torch::Tensor> levels;
    for (int64_t s : {32, 64, 128}) levels.push_back(torch::randn({1, mdc.hidden_dim, s, s}, o));
    auto mask_features = torch::randn({1, mdc.hidden_dim, mdc.mask_feature_size, mdc.mask_feature_size}, o);
    DecoderMemory mem = dec->prepare_memory(levels, mask_features);
    auto seg = torch::randn({1, mdc.hidden_dim}, o);
    report("mask decoder, one prompt on the prepared memory",
           [&] { dec->forward_memory(mem, mask_features, seg, false); }, repeats, top);

    // The post-processing's upsampling of 16 queries' mask logits (256 x 256 over the 1024 canvas) to a
    // 640 x 480 image: only the image's part of the canvas, and the whole canvas then cropped; then the
    // instance rule over 200 queries and one class (a VGD prompt's shape).
    CanvasGeometry g;
    g.canvas = 1024;
    std::tie(g.scaled_h, g.scaled_w) = sam_scaled_size(480, 640, 1024);
    g.height = 480, g.width = 640;
    auto logits16 = torch::randn({16, 256, 256}) * 4;
    report("post-processing: 16 queries to 640x480 (image part)", [&] { masks_to_image(logits16, g); }, repeats, top);
    report("post-processing: 16 queries to 640x480 (whole canvas)", [&] { masks_to_image_whole_canvas(logits16, g); },
           repeats, top);
    DecoderOutput dout{torch::randn({200, 2}), torch::randn({200, 256, 256}) * 4};
    report("post-processing: instance rule, 200 queries, 1 class",
           [&] { instance_candidates(dout, g, 0.5f, false, 0.5f); }, repeats, top);
    return 0;
}
