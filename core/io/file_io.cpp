#include "core/io/file_io.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cctype>
#include <cerrno>
#include <climits>
#include <cstdlib>
#include <ctime>
#include <map>
#include <mutex>

#include "core/io/file_stamp.h"
#include "core/util/posix_io.h"

namespace xs {

namespace {

std::string dir_of(const std::string& path) {
    const size_t slash = path.find_last_of('/');
    if (slash == std::string::npos) return ".";
    if (slash == 0) return "/";
    return path.substr(0, slash);
}

std::string local_time_text(int64_t seconds, const char* format) {
    const time_t t = time_t(seconds);
    struct tm tm;
    localtime_r(&t, &tm);
    char buf[64];
    std::strftime(buf, sizeof buf, format, &tm);
    return buf;
}

DiskVersion version_of(const struct stat& st, std::string fingerprint) {
    DiskVersion v;
    v.exists = true;
    v.device = uint64_t(st.st_dev);
    v.inode = uint64_t(st.st_ino);
    v.size = int64_t(st.st_size);
    v.mtime_ns = int64_t(st.st_mtim.tv_sec) * 1000000000 + int64_t(st.st_mtim.tv_nsec);
    v.fingerprint = std::move(fingerprint);
    return v;
}

// Where a write to `path` lands: the file a symbolic link at path points to (so the link stays a
// link), otherwise path itself.
std::string write_target(const std::string& path) {
    struct stat st;
    if (::lstat(path.c_str(), &st) != 0 || !S_ISLNK(st.st_mode)) return path;
    char* real = ::realpath(path.c_str(), nullptr);
    if (!real) return path;  // a dangling link is replaced, as before
    const std::string target = real;
    std::free(real);
    return target;
}

// The versions this process wrote, by the path written (needs_overwrite_confirmation).
std::mutex g_written_mutex;
std::map<std::string, DiskVersion> g_written;

std::string absolute_path(const std::string& path) {
    if (!path.empty() && path[0] == '/') return path;
    char cwd[PATH_MAX];
    if (!::getcwd(cwd, sizeof cwd)) return path;
    return std::string(cwd) + "/" + path;
}

void remember_written(const std::string& target, const DiskVersion& v) {
    std::lock_guard<std::mutex> lock(g_written_mutex);
    g_written[absolute_path(target)] = v;
}

std::atomic<unsigned> g_counter{0};

std::string unique_suffix(const char* kind) {
    return std::string(".") + kind + "-" + std::to_string(getpid()) + "-" + std::to_string(g_counter.fetch_add(1));
}

void sync_folder(const std::string& dir) {
    const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        ::fsync(dfd);
        ::close(dfd);
    }
}

// A new file "<target>.tmp-<pid>-<n>" holding bytes, synced; returns its path and version.
std::string write_temp(const std::string& target, const std::string& bytes, DiskVersion& version) {
    sweep_stale_temp_files(target);
    const std::string tmp = target + unique_suffix("tmp");
    mode_t mode = 0644;
    struct stat st;
    if (::stat(target.c_str(), &st) == 0) {
        if (S_ISDIR(st.st_mode)) throw Error(target + ": is a folder");
        mode = st.st_mode & 07777;
    }
    const int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
    if (fd < 0) throw Error(target + ": cannot write (" + errno_text() + ")");
    auto fail_io = [&](const std::string& what) {
        const std::string msg = target + ": " + what + " (" + errno_text() + ")";
        ::close(fd);
        ::unlink(tmp.c_str());
        throw Error(msg);
    };
    if (!write_all(fd, bytes.data(), bytes.size())) fail_io("writing failed");
    if (::fsync(fd) != 0) fail_io("flushing to disk failed");
    if (::fstat(fd, &st) != 0) fail_io("cannot read back the written file");
    version = version_of(st, bytes_stamp(bytes).hash);
    if (::close(fd) != 0) {
        const std::string msg = target + ": closing failed (" + errno_text() + ")";
        ::unlink(tmp.c_str());
        throw Error(msg);
    }
    return tmp;
}

// Gives the file at `from` the name side_copy_path(target, tag) without replacing anything there.
std::string move_to_side_copy(const std::string& from, const std::string& target, const std::string& tag) {
    for (int attempt = 0; attempt < 100; ++attempt) {
        const std::string side = side_copy_path(target, tag);
        if (::renameat2(AT_FDCWD, from.c_str(), AT_FDCWD, side.c_str(), RENAME_NOREPLACE) == 0) return side;
        if (errno == EEXIST) continue;  // taken meanwhile: pick the next free name
        if (errno != EINVAL && errno != ENOSYS && errno != EOPNOTSUPP)
            throw Error(side + ": cannot keep a copy (" + errno_text() + ")");
        if (::link(from.c_str(), side.c_str()) == 0) {  // no RENAME_NOREPLACE here: link never replaces
            ::unlink(from.c_str());
            return side;
        }
        if (errno != EEXIST) throw Error(side + ": cannot keep a copy (" + errno_text() + ")");
    }
    throw Error(target + ": cannot find a free name for a side copy");
}

[[noreturn]] void throw_conflict(const std::string& path, const std::string& ours_file, const DiskVersion& expected,
                                 const DiskVersion& found) {
    const std::string kept = move_to_side_copy(ours_file, path, "mine");
    sync_folder(dir_of(path));
    throw SaveConflict(path + " was changed by another program since this one last read or wrote it (on disk now: " +
                           found.describe() + "; expected: " + expected.describe() +
                           "). It was left as it is; the version that was to be saved is in " + kept,
                       kept);
}

bool no_such_rename_flag(int err) { return err == EINVAL || err == ENOSYS || err == EOPNOTSUPP; }

// The first save of a file that must not exist yet: RENAME_NOREPLACE, or link(), never replaces.
DiskVersion create_new(const std::string& target, const std::string& tmp, const DiskVersion& ours,
                       const DiskVersion& expected) {
    if (::renameat2(AT_FDCWD, tmp.c_str(), AT_FDCWD, target.c_str(), RENAME_NOREPLACE) != 0) {
        const int err = errno;
        if (err == EEXIST) throw_conflict(target, tmp, expected, disk_version(target));
        if (!no_such_rename_flag(err)) {
            ::unlink(tmp.c_str());
            errno = err;
            throw Error(target + ": cannot create the file (" + errno_text() + ")");
        }
        if (::link(tmp.c_str(), target.c_str()) != 0) {
            if (errno == EEXIST) throw_conflict(target, tmp, expected, disk_version(target));
            const std::string msg = target + ": cannot create the file (" + errno_text() + ")";
            ::unlink(tmp.c_str());
            throw Error(msg);
        }
        ::unlink(tmp.c_str());
    }
    return ours;
}

// Checked saves into one folder take turns for the few system calls between swapping a new file in
// and, on a conflict, swapping it out again: otherwise two writers undoing their swaps at the same
// time would trade each other's files. (flock on the folder; where that is not supported, the swap
// still keeps every version, only the messages may name the wrong copy.)
class FolderTurn {
public:
    explicit FolderTurn(const std::string& dir) : fd_(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC)) {
        if (fd_ >= 0) {
            while (::flock(fd_, LOCK_EX) != 0 && errno == EINTR) {
            }
        }
    }
    ~FolderTurn() {
        if (fd_ >= 0) ::close(fd_);
    }
    FolderTurn(const FolderTurn&) = delete;
    FolderTurn& operator=(const FolderTurn&) = delete;

private:
    int fd_;
};

// Replacing an existing version: swap ours in, look at what came out, undo when it is not expected.
DiskVersion replace_expected(const std::string& target, const std::string& tmp, const std::string& bytes,
                             const DiskVersion& ours, const DiskVersion& expected) {
    const FolderTurn turn(dir_of(target));
    // Under a name the temporary-file sweeper never removes: after the swap it may hold their version.
    const std::string swap = target + unique_suffix("swap");
    if (::rename(tmp.c_str(), swap.c_str()) != 0) {
        const std::string msg = target + ": cannot prepare the save (" + errno_text() + ")";
        ::unlink(tmp.c_str());
        throw Error(msg);
    }
    if (::renameat2(AT_FDCWD, swap.c_str(), AT_FDCWD, target.c_str(), RENAME_EXCHANGE) != 0) {
        const int err = errno;
        if (err == ENOENT) throw_conflict(target, swap, expected, DiskVersion{});  // deleted meanwhile
        if (!no_such_rename_flag(err)) {
            ::unlink(swap.c_str());
            errno = err;
            throw Error(target + ": cannot replace the file (" + errno_text() + ")");
        }
        // No RENAME_EXCHANGE on this file system: compare, then rename.
        const DiskVersion now = disk_version(target);
        if (now != expected) throw_conflict(target, swap, expected, now);
        if (::rename(swap.c_str(), target.c_str()) != 0) {
            const std::string msg = target + ": cannot replace the file (" + errno_text() + ")";
            ::unlink(swap.c_str());
            throw Error(msg);
        }
        return ours;
    }
    const DiskVersion displaced = disk_version(swap);
    if (displaced == expected) {
        ::unlink(swap.c_str());  // the version we replaced on purpose
        return ours;
    }
    // Someone else's version came out: put it back, then ours goes to a side copy.
    if (::renameat2(AT_FDCWD, swap.c_str(), AT_FDCWD, target.c_str(), RENAME_EXCHANGE) != 0)
        throw Error(target + ": was changed by another program meanwhile, and its version could not be put back (" +
                    errno_text() + "); it is kept as " + swap + ", ours is in " + target);
    const DiskVersion back = disk_version(swap);
    if (back.inode != ours.inode || back.device != ours.device) {
        // A writer that does not take turns (a plain rename) replaced ours between the two swaps: what
        // came back is its version, so it is kept too, and ours is written again from memory.
        const std::string theirs = move_to_side_copy(swap, target, "theirs");
        DiskVersion unused;
        const std::string mine = move_to_side_copy(write_temp(target, bytes, unused), target, "mine");
        sync_folder(dir_of(target));
        throw SaveConflict(target + " was changed by other programs while this one saved it; their versions are in " +
                               target + " and " + theirs + ", the version that was to be saved is in " + mine,
                           mine);
    }
    throw_conflict(target, swap, expected, displaced);
}

}  // namespace

bool DiskVersion::operator==(const DiskVersion& o) const {
    if (exists != o.exists) return false;
    if (!exists) return true;
    return device == o.device && inode == o.inode && size == o.size && mtime_ns == o.mtime_ns &&
           fingerprint == o.fingerprint;
}

std::string DiskVersion::describe() const {
    if (!exists) return "no file";
    return std::to_string(size) + " bytes, modified " + local_time_text(mtime_ns / 1000000000, "%Y-%m-%d %H:%M:%S");
}

DiskVersion disk_version(const std::string& path) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) {
        if (errno == ENOENT) return DiskVersion{};
        throw Error(path + ": cannot open the file to check it (" + errno_text() + ")");
    }
    struct Closer {
        int fd;
        ~Closer() { ::close(fd); }
    } closer{fd};
    struct stat st;
    if (::fstat(fd, &st) != 0) throw Error(path + ": cannot check the file (" + errno_text() + ")");
    if (S_ISDIR(st.st_mode)) throw Error(path + ": is a folder");
    if (!S_ISREG(st.st_mode)) return version_of(st, "");
    return version_of(st, file_stamp(fd, path).hash);
}

std::string read_whole_file(const std::string& path, const std::string& what, DiskVersion* version) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) throw Error(path + ": cannot open the " + what + " (" + errno_text() + ")");
    struct Closer {
        int fd;
        ~Closer() { ::close(fd); }
    } closer{fd};
    struct stat before, after;
    if (::fstat(fd, &before) != 0) throw Error(path + ": cannot read the " + what + " (" + errno_text() + ")");
    if (S_ISDIR(before.st_mode)) throw Error(path + ": is a folder, not a " + what);
    if (!S_ISREG(before.st_mode)) throw Error(path + ": is not a regular file, so it cannot be a " + what);
    std::string text;
    text.reserve(size_t(before.st_size));
    char buf[1 << 16];
    while (true) {
        const ssize_t n = ::read(fd, buf, sizeof buf);
        if (n < 0) {
            if (errno == EINTR) continue;
            throw Error(path + ": reading the " + what + " failed (" + errno_text() + ")");
        }
        if (n == 0) break;
        text.append(buf, size_t(n));
    }
    if (version) {
        // Atomic writers replace the file (a new inode), so this copy stays as read; only an edit in
        // place while reading shows here, and then the version cannot name what was read.
        if (::fstat(fd, &after) != 0 || after.st_size != before.st_size ||
            after.st_mtim.tv_nsec != before.st_mtim.tv_nsec || after.st_mtim.tv_sec != before.st_mtim.tv_sec ||
            int64_t(text.size()) != int64_t(after.st_size))
            throw Error(path + ": the " + what + " was being changed while it was read; try again");
        *version = version_of(after, bytes_stamp(text).hash);
    }
    return text;
}

int sweep_stale_temp_files(const std::string& path) {
    const std::string dir = dir_of(path);
    const size_t slash = path.find_last_of('/');
    const std::string base = slash == std::string::npos ? path : path.substr(slash + 1);
    const std::string prefix = base + ".tmp-";
    DIR* d = ::opendir(dir.c_str());
    if (!d) return 0;
    int removed = 0;
    while (const dirent* e = ::readdir(d)) {
        const std::string name = e->d_name;
        if (name.size() <= prefix.size() || name.compare(0, prefix.size(), prefix) != 0) continue;
        // "<pid>-<n>", both decimal
        const std::string rest = name.substr(prefix.size());
        const size_t dash = rest.find('-');
        if (dash == 0 || dash == std::string::npos || dash + 1 >= rest.size() || dash > 9) continue;
        bool digits = true;
        for (size_t i = 0; i < rest.size(); ++i) {
            if (i != dash && !std::isdigit(static_cast<unsigned char>(rest[i]))) digits = false;
        }
        if (!digits) continue;
        const long pid = std::strtol(rest.substr(0, dash).c_str(), nullptr, 10);
        if (pid <= 0 || pid == long(getpid())) continue;
        if (::kill(pid_t(pid), 0) == 0 || errno != ESRCH) continue;  // alive (or not ours to judge)
        const std::string full = (dir == "/" ? std::string("/") : dir + "/") + name;
        struct stat st;
        if (::lstat(full.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) continue;
        if (::unlink(full.c_str()) == 0) ++removed;
    }
    ::closedir(d);
    return removed;
}

void atomic_write_file(const std::string& path, const std::string& bytes) {
    const std::string target = write_target(path);
    DiskVersion ours;
    const std::string tmp = write_temp(target, bytes, ours);
    if (::rename(tmp.c_str(), target.c_str()) != 0) {
        const std::string msg = target + ": cannot replace the file (" + errno_text() + ")";
        ::unlink(tmp.c_str());
        throw Error(msg);
    }
    sync_folder(dir_of(target));  // make the rename itself durable
    remember_written(target, ours);
}

DiskVersion atomic_replace_file(const std::string& path, const std::string& bytes, const DiskVersion& expected) {
    const std::string target = write_target(path);
    DiskVersion ours;
    const std::string tmp = write_temp(target, bytes, ours);
    const DiskVersion written = expected.exists ? replace_expected(target, tmp, bytes, ours, expected)
                                                : create_new(target, tmp, ours, expected);
    sync_folder(dir_of(target));
    remember_written(target, written);
    return written;
}

std::string side_copy_path(const std::string& path, const std::string& tag) {
    const std::string stem = path + "." + tag + "-" + local_time_text(int64_t(std::time(nullptr)), "%Y%m%d-%H%M%S");
    for (int n = 1;; ++n) {
        const std::string candidate = stem + (n == 1 ? "" : "-" + std::to_string(n)) + ".json";
        struct stat st;
        if (::lstat(candidate.c_str(), &st) != 0 && errno == ENOENT) return candidate;
    }
}

std::string keep_side_copy(const std::string& path, const std::string& tag) {
    const std::string bytes = read_whole_file(path, "file");
    DiskVersion unused;
    const std::string tmp = write_temp(write_target(path), bytes, unused);
    const std::string side = move_to_side_copy(tmp, write_target(path), tag);
    sync_folder(dir_of(side));
    return side;
}

bool needs_overwrite_confirmation(const std::string& path) {
    const std::string target = write_target(path);
    const DiskVersion now = disk_version(target);
    if (!now.exists) return false;
    std::lock_guard<std::mutex> lock(g_written_mutex);
    const auto it = g_written.find(absolute_path(target));
    return it == g_written.end() || it->second != now;
}

}  // namespace xs
