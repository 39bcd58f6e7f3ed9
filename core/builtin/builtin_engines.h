#pragma once
// The registry of every engine this build has: "classic" always, "xsam" when built with LibTorch.
#include "core/engine/engine.h"

namespace xs {

const EngineRegistry& builtin_engines();

// CUDA devices the X-SAM engine can use: 0 in a build without LibTorch, or when LibTorch finds no GPU
// (or no CUDA support in the LibTorch it was built against).
int cuda_device_count();

}  // namespace xs
