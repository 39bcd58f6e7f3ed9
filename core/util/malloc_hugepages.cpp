#include "core/util/malloc_hugepages.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <vector>

namespace xs {

namespace {

const char* const kTunable = "glibc.malloc.hugetlb";

// Plain system calls: use_malloc_hugepages may run before the C++ library's streams are set up.
std::string thp_mode() {
    const int fd = open("/sys/kernel/mm/transparent_hugepage/enabled", O_RDONLY | O_CLOEXEC);
    if (fd < 0) return "";
    char buf[128];
    const ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    std::string line(buf, size_t(std::max<ssize_t>(n, 0)));
    return line.substr(0, line.find('\n'));
}

}  // namespace

std::optional<std::string> malloc_hugepage_tunables(const char* current, const std::string& thp_mode) {
    if (thp_mode.find("[madvise]") == std::string::npos) return std::nullopt;
    const std::string now = current ? current : "";
    if (now.find(kTunable) != std::string::npos) return std::nullopt;
    const std::string add = std::string(kTunable) + "=1";
    return now.empty() ? add : now + ":" + add;
}

void use_malloc_hugepages(char** argv, char** envp) {
    // From the environment given, not getenv / setenv: in a .preinit_array function the C library has
    // not set up its own view of the environment yet.
    const std::string tunables_key = "GLIBC_TUNABLES=";
    const char* tunables = nullptr;
    std::vector<char*> env;
    for (char** e = envp; e && *e; ++e) {
        if (std::strcmp(*e, "XS_MALLOC_HUGEPAGES=0") == 0) return;
        if (std::strncmp(*e, tunables_key.c_str(), tunables_key.size()) == 0) tunables = *e + tunables_key.size();
        else env.push_back(*e);
    }
    const std::optional<std::string> value = malloc_hugepage_tunables(tunables, thp_mode());
    if (!value) return;
    std::string entry = tunables_key + *value;
    env.push_back(entry.data());
    env.push_back(nullptr);
    execve("/proc/self/exe", argv, env.data());
}

std::string malloc_hugepages_state() {
    // The environment this process was started with (what glibc read), not a later setenv's.
    std::ifstream in("/proc/self/environ", std::ios::binary);
    std::string entry;
    while (std::getline(in, entry, '\0'))
        if (entry.rfind("GLIBC_TUNABLES=", 0) == 0 && entry.find(std::string(kTunable) + "=1") != std::string::npos)
            return "on (" + entry + ")";
    return "off (THP mode: " + thp_mode() + ")";
}

}  // namespace xs
