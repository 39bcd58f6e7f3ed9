#pragma once
// Small POSIX helpers shared by the files of core/ that write with file descriptors (the project's
// atomic save, the batch journal).
#include <unistd.h>

#include <cerrno>
#include <cstddef>
#include <cstring>
#include <string>

namespace xs {

// The text of the current errno.
inline std::string errno_text() { return std::strerror(errno); }

// Writes all n bytes, continuing after short writes and EINTR. Returns false with errno set on the
// first real error.
inline bool write_all(int fd, const void* data, size_t n) {
    const char* p = static_cast<const char*>(data);
    while (n > 0) {
        const ssize_t w = ::write(fd, p, n);
        if (w < 0) {
            if (errno == EINTR) continue;
            return false;
        }
        p += w;
        n -= size_t(w);
    }
    return true;
}

}  // namespace xs
