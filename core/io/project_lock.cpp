#include "core/io/project_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <ctime>

#include <nlohmann/json.hpp>

#include "core/annotation/project.h"
#include "core/util/error.h"
#include "core/util/posix_io.h"

namespace xs {

namespace {

std::string host_name() {
    char buf[HOST_NAME_MAX + 1] = {0};
    if (::gethostname(buf, sizeof buf - 1) != 0) return "unknown host";
    return buf;
}

// The holder line of an open lock file; fields left empty when the file is empty or unreadable
// (the holder may be writing it at this very moment).
LockHolder read_holder(int fd) {
    std::string text(4096, '\0');
    const ssize_t n = ::pread(fd, &text[0], text.size(), 0);
    text.resize(n > 0 ? size_t(n) : 0);
    LockHolder h;
    try {
        const nlohmann::json j = nlohmann::json::parse(text);
        h.program = j.value("program", "");
        h.pid = j.value("pid", int64_t(0));
        h.host = j.value("host", "");
        h.since_ms = j.value("since_ms", int64_t(0));
    } catch (const std::exception&) {
    }
    return h;
}

bool is_empty(int fd) {
    struct stat st;
    return ::fstat(fd, &st) == 0 && st.st_size == 0;
}

bool write_holder(int fd, const LockHolder& h) {
    nlohmann::json j;
    j["program"] = h.program;
    j["pid"] = h.pid;
    j["host"] = h.host;
    j["since_ms"] = h.since_ms;
    const std::string line = j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
    if (::ftruncate(fd, 0) != 0) return false;
    return ::pwrite(fd, line.data(), line.size(), 0) == ssize_t(line.size());
}

// Whether the open file is still the one at path (a releasing holder removes it: a lock taken on the
// removed file would protect nothing).
bool still_at(int fd, const std::string& path) {
    struct stat a, b;
    return ::fstat(fd, &a) == 0 && ::stat(path.c_str(), &b) == 0 && a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

}  // namespace

std::string LockHolder::describe() const {
    std::string s = program.empty() ? std::string("another program") : program;
    if (pid > 0) s += " (pid " + std::to_string(pid) + (host.empty() ? "" : " on " + host);
    else if (!host.empty()) s += " (on " + host;
    if (since_ms > 0) {
        const time_t t = time_t(since_ms / 1000);
        struct tm tm;
        localtime_r(&t, &tm);
        char buf[32];
        std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", &tm);
        s += std::string(pid > 0 || !host.empty() ? ", " : " (") + "since " + buf;
    }
    if (pid > 0 || !host.empty() || since_ms > 0) s += ")";
    return s;
}

std::string project_lock_path(const std::string& project_path) { return project_path + ".lock"; }

LockAttempt try_lock_project(const std::string& project_path, const std::string& program) {
    const std::string path = project_lock_path(project_path);
    LockAttempt out;
    for (int attempt = 0; attempt < 10; ++attempt) {
        const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
        if (fd < 0) {
            out.problem = path + ": cannot create the lock file (" + errno_text() + ")";
            out.holder = project_lock_holder(project_path);  // a readable lock of someone else
            return out;
        }
        if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
            if (errno == EWOULDBLOCK) {
                out.holder = read_holder(fd);
            } else {
                out.problem = path + ": cannot lock (" + errno_text() + ")";
            }
            ::close(fd);
            return out;
        }
        if (!still_at(fd, path)) {
            ::close(fd);
            continue;
        }
        if (!is_empty(fd)) out.stale = read_holder(fd);  // a clean release removes the file
        LockHolder me{program, int64_t(::getpid()), host_name(), now_ms()};
        if (!write_holder(fd, me)) {
            out.problem = path + ": cannot write the lock file (" + errno_text() + ")";
            ::close(fd);
            return out;
        }
        out.lock.emplace(ProjectLock(path, fd));
        return out;
    }
    out.problem = path + ": the lock file keeps being replaced; try again";
    return out;
}

ProjectLock lock_project_or_throw(const std::string& project_path, const std::string& program) {
    LockAttempt a = try_lock_project(project_path, program);
    if (a.lock) return std::move(*a.lock);
    if (a.holder) {
        throw Error(project_path + " is open for writing in " + a.holder->describe() +
                    "; close it there first (nothing was changed)");
    }
    throw Error(project_path + ": cannot be opened for writing: " + a.problem);
}

std::optional<LockHolder> project_lock_holder(const std::string& project_path) {
    const int fd = ::open(project_lock_path(project_path).c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return std::nullopt;
    std::optional<LockHolder> holder;
    if (::flock(fd, LOCK_SH | LOCK_NB) != 0 && errno == EWOULDBLOCK) holder = read_holder(fd);
    ::close(fd);  // also drops the shared lock, if we got it
    return holder;
}

ProjectLock::ProjectLock(ProjectLock&& other) noexcept : lock_path_(std::move(other.lock_path_)), fd_(other.fd_) {
    other.fd_ = -1;
}

ProjectLock& ProjectLock::operator=(ProjectLock&& other) noexcept {
    if (this != &other) {
        release();
        lock_path_ = std::move(other.lock_path_);
        fd_ = other.fd_;
        other.fd_ = -1;
    }
    return *this;
}

ProjectLock::~ProjectLock() { release(); }

void ProjectLock::release() {
    if (fd_ < 0) return;
    if (still_at(fd_, lock_path_)) ::unlink(lock_path_.c_str());  // while still locked: see still_at
    ::close(fd_);
    fd_ = -1;
}

}  // namespace xs
