#pragma once
// xsam-cli bench-xsam: per-stage timings and peak memory of the X-SAM engine on one image, as one JSON
// object. No LibTorch type in this header (the CLI file that includes it stays cheap to compile).
//
// What it runs, in order: load (weights from a model folder, or a model built in memory with seeded
// random weights), prepare() (warm-up runs, then measured runs; the median is reported), then three
// prompts on the prepared image -- referring (text), interactive (one positive point) and visual
// grounded (one box) -- each warmed up once and then timed `prompt_repeats` times (medians).
// Stages are the engine's own (XsamEngine timings, each synchronised on CUDA):
//   prepare.preprocess, prepare.siglip, prepare.sam, prepare.projector_connector, prepare.pixel_decoder,
//   prepare.llm_prefix; segment.prompt (question + region features), segment.llm (the prompt on the
//   cached prefix), segment.embeddings (llm_projector), segment.mask_decoder, segment.postprocess.
// Peak memory: the process's peak RSS (VmHWM, reset before each run of a comparison) on the CPU; on
// CUDA the caching allocator's peak allocated bytes when the build has it (see
// cuda_peak_allocated_bytes()), else -1. Every run names its precision and why (compute_dtype,
// compute_reason) and the CPU (model name, bf16 flags).
//
// One run: one JSON object with the fields above. Several: {"bench": "xsam-compare", "runs": [one object
// per run], "ratios": {"prepare": first run's time / second's ... }} where each ratio is the later
// runs' time over the first run's (e.g. fp32 / bf16).
#include <cstdint>
#include <string>
#include <vector>

#include "core/io/image.h"

namespace xs {

struct BenchXsamOptions {
    std::string config;           // model config *.json (with random_weights) ...
    std::string model_dir;        // ... or a converted model folder
    bool random_weights = false;
    std::string tokenizer;        // random weights: SentencePiece file ("" = the config's)
    uint64_t seed = 0;
    std::string device = "cpu";
    std::string dtype;            // "" = the engine's default for the device
    // The engine's "compute" per run: one entry ("auto", "fp32", "bf16") gives one run; several (e.g.
    // {"bf16", "fp32"}) run the whole benchmark once per entry in this process, one engine at a time,
    // and report them side by side with the ratios.
    std::vector<std::string> computes = {"auto"};
    int threads = 0;              // 0 = the engine's default
    int64_t llm_layers = 0;       // > 0: LLM depth override (random weights only); LLM stages extrapolated
    int prepare_warmup = -1;      // -1: 1 on CUDA, 0 on the CPU (a full-size CPU prepare takes minutes)
    int prepare_repeats = -1;     // -1: 3 on CUDA, 1 on the CPU
    int prompt_warmup = 1;
    int prompt_repeats = 3;
    std::string image_label;      // shown in the JSON ("synthetic 640x480" when empty)
};

// Runs the benchmark on `image` and returns the JSON text (one object, one line).
std::string bench_xsam_json(const BenchXsamOptions& options, const Image& image);

// A 640 x 480 synthetic RGB image (smooth background, a few coloured shapes): the benchmark's default
// input, so it needs no image decoder (the GPU machine has no OpenCV).
Image bench_synthetic_image(int width = 640, int height = 480);

// Peak bytes allocated by the CUDA caching allocator on `device` since the last reset, or -1 when the
// build has no CUDA allocator statistics (LibTorch 1.13, CPU-only builds; compiled in with
// -DXS_CUDA_STATS against a CUDA-enabled LibTorch >= 2). reset = true starts a new peak.
int64_t cuda_peak_allocated_bytes(int device, bool reset = false);

// The process's peak resident set size (VmHWM) and current RSS (VmRSS) in bytes (Linux), -1 if unknown.
int64_t process_peak_rss_bytes();
int64_t process_rss_bytes();

}  // namespace xs
