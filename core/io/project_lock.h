#pragma once
// One writer per project: an advisory lock held while a project is open for writing, by the GUI or
// by a CLI command that changes it.
//
//   xs::LockAttempt a = xs::try_lock_project("/data/birds/xsam-project.json", "xsam-studio");
//   if (a.lock)        ...open for writing; a.stale names a crashed holder whose lock was taken over
//   else if (a.holder) ...open read-only and show a.holder->describe()
//   else               ...a.problem says why no lock is possible (read-only folder)
//
//   xs::ProjectLock lock = xs::lock_project_or_throw(path, "xsam-cli import-coco");  // CLI: refuse
//
// The lock is flock(2) on "<project>.lock" next to the project file, which holds one line of JSON
// naming the holder (program, pid, host, since). The kernel drops the lock when its process ends,
// however it ends, so the lock of a crashed program is taken over by the next one (and reported as
// stale); a clean release removes the file.
#include <cstdint>
#include <optional>
#include <string>

namespace xs {

struct LockHolder {
    std::string program;   // "xsam-studio", "xsam-cli import-coco"
    int64_t pid = 0;
    std::string host;
    int64_t since_ms = 0;  // Unix epoch milliseconds
    // "xsam-cli import-coco (pid 4242 on host-a, since 2026-05-01 10:11:12)"
    std::string describe() const;
};

struct LockAttempt;

class ProjectLock {
public:
    ProjectLock(ProjectLock&& other) noexcept;
    ProjectLock& operator=(ProjectLock&& other) noexcept;
    ProjectLock(const ProjectLock&) = delete;
    ProjectLock& operator=(const ProjectLock&) = delete;
    ~ProjectLock();  // releases: removes the lock file, then unlocks

    const std::string& lock_path() const { return lock_path_; }

private:
    friend LockAttempt try_lock_project(const std::string&, const std::string&);
    ProjectLock(std::string lock_path, int fd) : lock_path_(std::move(lock_path)), fd_(fd) {}
    void release();
    std::string lock_path_;
    int fd_ = -1;
};

struct LockAttempt {
    std::optional<ProjectLock> lock;    // taken
    std::optional<LockHolder> holder;   // not taken: who holds it
    std::optional<LockHolder> stale;    // taken over from a process that ended without releasing it
    std::string problem;                // neither: why (e.g. the folder is read-only)
};

// "<project_path>.lock"
std::string project_lock_path(const std::string& project_path);

// Never throws for a lock that is held or impossible; see LockAttempt.
LockAttempt try_lock_project(const std::string& project_path, const std::string& program);

// For commands that write a project: the lock, or xs::Error "P is open for writing in <holder>; ...".
// A project whose folder cannot hold a lock file cannot be written either, so that is an error too.
ProjectLock lock_project_or_throw(const std::string& project_path, const std::string& program);

// Who holds the lock now (nullopt when nobody does).
std::optional<LockHolder> project_lock_holder(const std::string& project_path);

}  // namespace xs
