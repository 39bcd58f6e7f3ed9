#pragma once
// Stage timing (wall clock and process CPU time) used by engines and benchmarks.
#include <time.h>

#include <chrono>
#include <string>
#include <vector>

namespace xs {

struct StageTiming {
    std::string stage;     // e.g. "prepare.superpixels", "segment.grabcut"
    double ms = 0.0;       // wall clock
    double cpu_ms = -1.0;  // CPU time of the whole process (all threads) during the stage; -1: not measured
};

// CPU time (user + system, all threads) of this process so far, in ms. On a loaded machine wall time
// mostly measures waiting for the cores; CPU time is what the work cost.
inline double process_cpu_ms() {
    timespec t{};
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return double(t.tv_sec) * 1000.0 + double(t.tv_nsec) / 1e6;
}

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

// Consecutive stages with both clocks: lap() returns the stage's wall and CPU milliseconds and restarts.
class StageClock {
public:
    StageTiming lap(std::string stage) {
        const double cpu = process_cpu_ms();
        StageTiming t{std::move(stage), wall_.lap_ms(), cpu - cpu_start_};
        cpu_start_ = cpu;
        return t;
    }

private:
    StopWatch wall_;
    double cpu_start_ = process_cpu_ms();
};

}  // namespace xs
