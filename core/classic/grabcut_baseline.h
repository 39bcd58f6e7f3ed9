#pragma once
// OpenCV GrabCut driven by clicks: the reference point of stamps-bench's README, kept so that
// `xsam-cli bench-interactive --engine grabcut` can measure it on any set with the same clicker.
// Not in the builtin registry (about 1 s per click: a baseline, not a tool for labelling).
//
// Each request is answered from its clicks alone (the previous mask is ignored, as in the reference
// figure): probable foreground = a disc of radius 0.12 x min(width, height) around each positive
// click, sure foreground / background = radius-4 discs at the positive / negative clicks, everything
// else probable background; three GrabCut iterations at full resolution.
#include "core/engine/engine.h"

namespace xs {

void register_grabcut_baseline(EngineRegistry& registry);

}  // namespace xs
