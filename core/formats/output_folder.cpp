#include "core/formats/output_folder.h"

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>

#include "core/io/file_io.h"
#include "core/util/error.h"
#include "core/util/posix_io.h"

namespace fs = std::filesystem;

namespace xs {

namespace {

std::atomic<unsigned> g_staging_counter{0};

// The folders this process exported, by absolute path, with their marker file as committed.
std::mutex g_committed_mutex;
std::map<std::string, DiskVersion> g_committed;

// Staging folders "<target>.tmp-<pid>-<n>" of processes that no longer run.
void remove_stale_staging(const std::string& target) {
    const fs::path t(target);
    const fs::path dir = t.has_parent_path() ? t.parent_path() : fs::path(".");
    const std::string prefix = t.filename().string() + ".tmp-";
    std::error_code ec;
    for (const fs::directory_entry& e : fs::directory_iterator(dir, ec)) {
        const std::string name = e.path().filename().string();
        if (name.rfind(prefix, 0) != 0) continue;
        const std::string rest = name.substr(prefix.size());
        const size_t dash = rest.find('-');
        if (dash == 0 || dash == std::string::npos || rest.find_first_not_of("0123456789-") != std::string::npos) continue;
        const long pid = std::strtol(rest.substr(0, dash).c_str(), nullptr, 10);
        if (pid <= 0 || pid == long(getpid()) || ::kill(pid_t(pid), 0) == 0 || errno != ESRCH) continue;
        std::error_code ignored;
        if (fs::is_directory(fs::symlink_status(e.path(), ignored))) fs::remove_all(e.path(), ignored);
    }
}

std::string marker_text(const std::string& format) {
    return "{\"format\": \"" + format + "\", \"written_by\": \"X-SAM Studio\"}\n";
}

// Whether `folder` may be replaced by an export of `format`.
void check_replaceable(const std::string& folder, const std::string& format) {
    std::error_code ec;
    const fs::file_status st = fs::status(folder, ec);
    if (!fs::exists(st)) return;
    if (!fs::is_directory(st))
        throw Error(folder + ": is a file; " + format + " writes a folder (nothing was written)");
    if (fs::is_empty(folder, ec)) return;
    const fs::path marker = fs::path(folder) / OutputFolder::kExportMarker;
    std::ifstream in(marker);
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (text != marker_text(format))
        throw Error(folder + ": the folder is not empty and holds no earlier " + format +
                    " export; choose a new or empty folder (nothing was written)");
}

void sync_path(const std::string& path, bool folder) {
    const int fd = ::open(path.c_str(), (folder ? O_RDONLY | O_DIRECTORY : O_RDONLY) | O_CLOEXEC);
    if (fd < 0) return;
    ::fsync(fd);
    ::close(fd);
}

bool inside(std::string folder, const std::string& path) {
    while (folder.size() > 1 && folder.back() == '/') folder.pop_back();
    return path == folder || path.rfind(folder == "/" ? folder : folder + "/", 0) == 0;
}

std::string canonical_or_absolute(const std::string& path) {
    std::error_code ec;
    const fs::path p = fs::weakly_canonical(fs::absolute(path), ec);
    return (ec ? fs::absolute(path).lexically_normal() : p).string();
}

}  // namespace

OutputFolder::OutputFolder(std::string target, std::string format_name)
    : target_(std::move(target)), format_(std::move(format_name)) {
    while (target_.size() > 1 && target_.back() == '/') target_.pop_back();
    check_replaceable(target_, format_);
    remove_stale_staging(target_);
    staging_ = target_ + ".tmp-" + std::to_string(getpid()) + "-" + std::to_string(g_staging_counter.fetch_add(1));
    if (::mkdir(staging_.c_str(), 0755) != 0)
        throw Error(target_ + ": cannot write next to it (" + errno_text() + "; nothing was written)");
}

OutputFolder::~OutputFolder() {
    if (committed_) return;
    std::error_code ignored;
    fs::remove_all(staging_, ignored);
}

std::string OutputFolder::staged(const std::string& relative) {
    const fs::path rel(relative);
    if (relative.empty() || rel.is_absolute())
        throw Error(target_ + ": \"" + relative + "\" is not a path inside the output folder");
    for (const fs::path& part : rel) {
        if (part == "..") throw Error(target_ + ": \"" + relative + "\" would leave the output folder");
    }
    const fs::path full = fs::path(staging_) / rel;
    std::error_code ec;
    fs::create_directories(full.parent_path(), ec);
    if (ec) throw Error(target_ + ": cannot create the folder for " + relative + " (" + ec.message() + ")");
    return full.string();
}

void OutputFolder::write(const std::string& relative, const std::string& bytes) {
    const std::string path = staged(relative);
    const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0) throw Error(target_ + ": cannot write " + relative + " (" + errno_text() + ")");
    const bool ok = write_all(fd, bytes.data(), bytes.size());
    const std::string why = ok ? std::string() : errno_text();
    ::close(fd);
    if (!ok) throw Error(target_ + ": writing " + relative + " failed (" + why + ")");
    written_.push_back(path);
}

void OutputFolder::link(const std::string& relative, const std::string& to) {
    const std::string path = staged(relative);
    if (::symlink(to.c_str(), path.c_str()) != 0)
        throw Error(target_ + ": cannot link " + relative + " to " + to + " (" + errno_text() + ")");
}

void OutputFolder::commit() {
    write(kExportMarker, marker_text(format_));
    for (const std::string& f : written_) sync_path(f, false);
    std::error_code ec;
    for (const fs::directory_entry& e : fs::recursive_directory_iterator(staging_, ec)) {
        if (e.is_directory(ec) && !e.is_symlink(ec)) sync_path(e.path().string(), true);
    }
    sync_path(staging_, true);
    check_replaceable(target_, format_);  // again: something may have appeared since
    if (::rename(staging_.c_str(), target_.c_str()) != 0) {
        // An earlier export (or an empty folder) is there: swap, then remove it.
        if (::renameat2(AT_FDCWD, staging_.c_str(), AT_FDCWD, target_.c_str(), RENAME_EXCHANGE) != 0)
            throw Error(target_ + ": cannot replace the folder (" + errno_text() + "; nothing was changed)");
        committed_ = true;
        std::error_code ignored;
        fs::remove_all(staging_, ignored);  // now the earlier export
    }
    committed_ = true;
    sync_path(fs::path(target_).parent_path().empty() ? "." : fs::path(target_).parent_path().string(), true);
    const std::string marker = (fs::path(target_) / kExportMarker).string();
    std::lock_guard<std::mutex> lock(g_committed_mutex);
    g_committed[canonical_or_absolute(target_)] = disk_version(marker);
}

bool folder_needs_overwrite_confirmation(const std::string& target) {
    std::error_code ec;
    if (!fs::exists(target, ec) || (fs::is_directory(target, ec) && fs::is_empty(target, ec))) return false;
    const DiskVersion now = disk_version((fs::path(target) / OutputFolder::kExportMarker).string());
    std::lock_guard<std::mutex> lock(g_committed_mutex);
    const auto it = g_committed.find(canonical_or_absolute(target));
    return it == g_committed.end() || !now.exists || it->second != now;
}

void refuse_folder_over_inputs(const std::string& output_label, const std::string& folder,
                               const std::vector<NamedInput>& inputs) {
    const std::string out = canonical_or_absolute(folder);
    for (const NamedInput& in : inputs) {
        if (inside(out, canonical_or_absolute(in.path)))
            throw Error(output_label + " would replace a folder holding the " + in.role + " " + in.path +
                        ", which this command reads; choose another output (nothing was written)");
    }
}

}  // namespace xs
