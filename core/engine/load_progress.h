#pragma once
// Progress of a long engine load (an X-SAM model takes minutes), reported from inside the engine's
// factory without widening the factory signature: the caller installs a callback for the current
// thread, the engine reports stages on that thread.
//
//   LoadProgressScope scope([&](double fraction, const std::string& stage) { ... });
//   auto engine = registry.create("xsam", options);   // calls report_load_progress(...) as it goes
#include <functional>
#include <string>

namespace xs {

using LoadProgressFn = std::function<void(double fraction, const std::string& stage)>;

// Installs `fn` for this thread until destroyed (the previous one is restored).
class LoadProgressScope {
public:
    explicit LoadProgressScope(LoadProgressFn fn);
    ~LoadProgressScope();
    LoadProgressScope(const LoadProgressScope&) = delete;
    LoadProgressScope& operator=(const LoadProgressScope&) = delete;

private:
    LoadProgressFn previous_;
};

// fraction in [0, 1] of the whole load; a no-op when no scope is installed on this thread.
void report_load_progress(double fraction, const std::string& stage);

}  // namespace xs
