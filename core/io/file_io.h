#pragma once
// Files on disk, safely: reading with messages that name the path, atomic writes, and writes that
// never replace a version some other process wrote in the meantime.
//
//   xs::DiskVersion v;
//   std::string text = xs::read_whole_file("p.json", "project file", &v);
//   v = xs::atomic_replace_file("p.json", new_text, v);   // throws SaveConflict if p.json changed
//   xs::atomic_write_file("coco.json", text);             // unconditional
#include <cstdint>
#include <string>

#include "core/util/error.h"

namespace xs {

// What a file was when this process last read or wrote it: enough to tell that someone else has
// written it since (every atomic save makes a new inode; an edit in place changes size or time; the
// fingerprint catches the rest).
struct DiskVersion {
    bool exists = false;
    uint64_t device = 0;
    uint64_t inode = 0;
    int64_t size = -1;
    int64_t mtime_ns = 0;
    std::string fingerprint;  // core/io/file_stamp.h: size, first and last 64 KiB
    bool operator==(const DiskVersion& o) const;
    bool operator!=(const DiskVersion& o) const { return !(*this == o); }
    std::string describe() const;  // "1234 bytes, modified 2026-05-01 10:11:12" or "no file"
};

// The version of the file at path now (exists = false when there is none). Throws xs::Error when
// the file is there but cannot be read.
DiskVersion disk_version(const std::string& path);

// A save found the file changed by someone else since this process read or wrote it. Nothing was
// written over it; the project that was to be saved is in kept_copy ("<path>.mine-<time>.json").
class SaveConflict : public Error {
public:
    SaveConflict(const std::string& message, std::string kept_copy) : Error(message), kept_copy(std::move(kept_copy)) {}
    std::string kept_copy;
};

// The whole file. `what` names the kind of file in messages ("project file", "COCO file"):
// "data/: is a folder, not a COCO file", "p.json: cannot open the project file (No such file or
// directory)". `version` (optional) receives the version of exactly the bytes read. Throws xs::Error.
std::string read_whole_file(const std::string& path, const std::string& what, DiskVersion* version = nullptr);

// Writes bytes to path atomically: "<path>.tmp-<pid>-<n>" in the same folder, fsync, rename over
// path (a symbolic link at path is written through: the link stays). Throws xs::Error (e.g.
// read-only folder). Sweeps stale temporaries of path first (sweep_stale_temp_files).
void atomic_write_file(const std::string& path, const std::string& bytes);

// The same, but only over `expected`, the version this process last read or wrote there
// (DiskVersion{} for a file that must not exist yet); returns the new version. The new file is
// swapped in with one rename(RENAME_EXCHANGE) and the file it displaced is compared with `expected`;
// when another process wrote in between, the swap is undone, so its version stays and ours goes to
// a side copy "<path>.mine-<time>.json" named in the thrown SaveConflict. Two processes racing on
// one file therefore never lose a completed save. A crash between the two renames can leave
// "<path>.swap-<pid>-<n>": always a complete version, never removed automatically. (File systems
// without RENAME_EXCHANGE, e.g. NFS, compare first and then rename: a writer that lands in the
// microseconds between can still be overwritten.)
DiskVersion atomic_replace_file(const std::string& path, const std::string& bytes, const DiskVersion& expected);

// A free name "<path>.<tag>-<yyyymmdd-hhmmss>[-N].json" next to path, for a side copy that keeps a
// version (tag "mine": ours after a conflict, "theirs": the other program's before ours replaces it).
std::string side_copy_path(const std::string& path, const std::string& tag);
// Copies the file at path to side_copy_path(path, tag) atomically; returns the copy's path.
std::string keep_side_copy(const std::string& path, const std::string& tag);

// True when a file exists at path that this process did not write as it is now (never wrote it, or
// someone changed it since): a program that would replace it should ask first. False for a missing
// file and for a file this process wrote and nobody touched since. Throws xs::Error for a folder or
// an unreadable file at path.
bool needs_overwrite_confirmation(const std::string& path);

// Removes "<path>.tmp-<pid>-<n>" files in path's folder left by a process that no longer runs
// (killed mid-write); temporaries of live processes (this one included) are left alone. Called by
// load_project and atomic_write_file (so by every project save and COCO export). Returns how many
// files it removed; never throws.
int sweep_stale_temp_files(const std::string& path);

}  // namespace xs
