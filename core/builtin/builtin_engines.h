#pragma once
// The registry of every engine this build has: "classic" always, "xsam" when built with LibTorch.
#include "core/engine/engine.h"

namespace xs {

const EngineRegistry& builtin_engines();

}  // namespace xs
