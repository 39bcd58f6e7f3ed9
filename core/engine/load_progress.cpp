#include "core/engine/load_progress.h"

#include <algorithm>

namespace xs {

namespace {
thread_local LoadProgressFn current_progress;
}  // namespace

LoadProgressScope::LoadProgressScope(LoadProgressFn fn) : previous_(std::move(current_progress)) {
    current_progress = std::move(fn);
}

LoadProgressScope::~LoadProgressScope() { current_progress = std::move(previous_); }

void report_load_progress(double fraction, const std::string& stage) {
    if (current_progress) current_progress(std::clamp(fraction, 0.0, 1.0), stage);
}

}  // namespace xs
