#pragma once
// The classic engine: interactive segmentation on OpenCV, no weights needed.
#include "core/engine/engine.h"

namespace xs {

void register_classic_engine(EngineRegistry& registry);

}  // namespace xs
