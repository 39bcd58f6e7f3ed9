#pragma once
// Wall-clock stage timing used by engines and benchmarks.
#include <chrono>
#include <string>
#include <vector>

namespace xs {

struct StageTiming {
    std::string stage;  // e.g. "prepare.superpixels", "segment.grabcut"
    double ms = 0.0;
};

class StopWatch {
public:
    StopWatch() : start_(std::chrono::steady_clock::now()) {}
    double elapsed_ms() const {
        return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start_).count();
    }
    // Returns the elapsed time and restarts; handy for consecutive stages.
    double lap_ms() {
        auto now = std::chrono::steady_clock::now();
        double ms = std::chrono::duration<double, std::milli>(now - start_).count();
        start_ = now;
        return ms;
    }

private:
    std::chrono::steady_clock::time_point start_;
};

}  // namespace xs
