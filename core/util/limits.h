#pragma once
// Sane limits for the numbers a user gives that size threads or memory: a typo such as
// --threads 100000 is refused with a message instead of starting thousands of threads.
#include <cstdint>
#include <string>

namespace xs {

// Thread counts: 0 means every core; at most kThreadsPerCore x the cores of this machine (but at
// least kThreadsPerCore), since more threads than cores only slow the work down.
constexpr int kThreadsPerCore = 4;
int max_thread_count();

// Parses a thread count given as `what` ("--threads", "X-SAM engine option threads"). Throws
// xs::Error: "--threads 100000: at most 8 on this machine (4 x its 2 cores); 0 uses every core".
int parse_thread_count(const std::string& text, const std::string& what);
// The same check for a number already parsed.
int check_thread_count(int64_t threads, const std::string& what);

// Physical memory of this machine (bytes; 0 when unknown).
int64_t physical_memory_bytes();

}  // namespace xs
