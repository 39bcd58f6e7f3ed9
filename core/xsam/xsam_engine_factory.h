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
#include "core/engine/engine.h"

namespace xs {

void register_xsam_engine(EngineRegistry& registry);

}  // namespace xs
