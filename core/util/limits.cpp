#include "core/util/limits.h"

#include <unistd.h>

#include <algorithm>
#include <thread>

#include "core/util/error.h"

namespace xs {

int max_thread_count() {
    const int cores = int(std::max(1u, std::thread::hardware_concurrency()));
    return kThreadsPerCore * cores;
}

int check_thread_count(int64_t threads, const std::string& what) {
    const int cores = int(std::max(1u, std::thread::hardware_concurrency()));
    if (threads < 0) throw Error(what + " " + std::to_string(threads) + ": must be >= 0 (0 uses every core)");
    if (threads > max_thread_count()) {
        throw Error(what + " " + std::to_string(threads) + ": at most " + std::to_string(max_thread_count()) +
                    " on this machine (" + std::to_string(kThreadsPerCore) + " x its " + std::to_string(cores) +
                    " core" + (cores == 1 ? "" : "s") + "); 0 uses every core");
    }
    return int(threads);
}

int parse_thread_count(const std::string& text, const std::string& what) {
    long long v = 0;
    try {
        size_t used = 0;
        v = std::stoll(text, &used);
        if (used != text.size()) throw std::invalid_argument(text);
    } catch (const std::exception&) {
        throw Error(what + " '" + text + "': expected a whole number of threads (0 uses every core)");
    }
    return check_thread_count(v, what);
}

int64_t physical_memory_bytes() {
    const long pages = ::sysconf(_SC_PHYS_PAGES), page = ::sysconf(_SC_PAGESIZE);
    return pages > 0 && page > 0 ? int64_t(pages) * int64_t(page) : 0;
}

}  // namespace xs
