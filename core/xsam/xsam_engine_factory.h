#pragma once
// Registers the X-SAM engine ("xsam") with an engine registry. Included by
// core/builtin/builtin_engines.cpp when the build has LibTorch; no LibTorch types in this header.
//
// Options (xs::EngineOptions):
//   model   folder with config.json (or a *.json config), model.safetensors[.index.json] and tokenizer.model
//   device  "cpu" (default when no GPU), "cuda", "cuda:N"
//   dtype   "bf16" (CUDA default), "fp32" (CPU default: compute is always fp32 on the CPU), "fp16"
//   threads intra-op CPU threads (default: hardware concurrency)
//   generic_mode  "instance" (default), "panoptic" or "semantic": output rule for generic/open-vocabulary
//   max_new_tokens  caption length limit (default 512)
#include <cstdint>
#include <string>
#include <vector>

#include "core/engine/engine.h"

namespace xs {

void register_xsam_engine(EngineRegistry& registry);
// What the X-SAM engine takes (model folder, device, precision, threads) and how a model folder is
// checked (core/xsam/xsam_description.cpp, free of LibTorch).
EngineDescription describe_xsam_engine();

// Number of CUDA devices LibTorch can use here (0 without a GPU or a CUDA-enabled LibTorch).
int xsam_cuda_device_count();

// A complete, loadable X-SAM model folder with seeded random weights (xsam-cli init-random-weights):
// config.json (the given config), model.safetensors (+ model.safetensors.index.json) and
// tokenizer.model (copied from `tokenizer_model`, or from the file the config's "tokenizer" field names
// next to the config). Throws xs::Error on a bad config or a missing tokenizer.
// xsam-cli bench-prepare: per-stage timings of prepare() on a random-weight model built in memory from a
// config (llm_layers > 0 overrides the LLM depth); a warm-up run ("warmup.*") then a measured one.
std::vector<StageTiming> bench_xsam_prepare(const std::string& config_path, const Image& image,
                                            const std::string& device, const std::string& dtype, int64_t llm_layers,
                                            uint64_t seed, int threads);

void write_random_xsam_model(const std::string& config_path, const std::string& out_dir, uint64_t seed,
                             const std::string& tokenizer_model = "");

}  // namespace xs
