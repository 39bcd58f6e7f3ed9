#pragma once
// Test-only engines for the GUI's X-SAM suite (no Qt, no LibTorch in this header):
//   "xsam"   the real X-SAM engine, wrapped to count prepare()/segment() calls, and to answer the
//            grounded caption teacher-forced with a fixed answer (random weights rarely generate
//            <p>...</p> phrases; the forced path runs the same phrase-to-mask code).
//   "sized"  prepare() makes a PreparedImage of a chosen memory size (LRU budget tests).
#include <atomic>
#include <string>

#include "core/engine/engine.h"

namespace xs::test {

struct EngineCalls {
    std::atomic<int> prepares{0};
    std::atomic<int> segments{0};
};
EngineCalls& engine_calls();

// Registry with "classic" (the built-in one), "xsam" (counting, forced caption) and "sized".
const EngineRegistry& test_registry();
void set_forced_caption(const std::string& answer);
void set_sized_bytes(size_t bytes);

}  // namespace xs::test
