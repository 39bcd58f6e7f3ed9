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
// checked (core/xsam/engine/xsam_description.cpp, free of LibTorch).
EngineDescription describe_xsam_engine();

// Number of CUDA devices LibTorch can use here (0 without a GPU or a CUDA-enabled LibTorch).
int xsam_cuda_device_count();

// A complete, loadable X-SAM model folder with seeded random weights (xsam-cli init-random-weights):
// config.json (the given config), model.safetensors (+ model.safetensors.index.json) and
// tokenizer.model (copied from `tokenizer_model`, or from the file the config's "tokenizer" field names
// next to the config). Throws xs::Error on a bad config or a missing tokenizer.
void write_random_xsam_model(const std::string& config_path, const std::string& out_dir, uint64_t seed,
                             const std::string& tokenizer_model = "");

}  // namespace xs
