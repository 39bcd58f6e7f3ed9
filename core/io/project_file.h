#pragma once
// The versioned JSON project file, written atomically.
//
//   xs::Project p = xs::load_project("birds.xsproj.json");   // never modifies the file
//   ...edit p...
//   xs::save_project(p, "birds.xsproj.json");              // temp file + flush + rename
//
//   xs::Autosaver saver("birds.xsproj.json");
//   saver.submit(p);        // copies the snapshot, returns at once; a background thread writes it
//   saver.flush();          // waits until everything submitted is on disk (call before quitting)
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "core/annotation/project.h"

namespace xs {

constexpr int kProjectFormatVersion = 1;

// Throws xs::Error naming the file and the field on malformed, truncated or too-new files.
Project load_project(const std::string& path);
std::string project_to_json(const Project& project);  // pretty-printed, deterministic
Project project_from_json(const std::string& json_text, const std::string& source_name);

// Atomic: writes "<path>.tmp-XXXX" in the same folder, fsyncs, renames over path. Throws xs::Error.
void save_project(const Project& project, const std::string& path);

// Writes bytes to path atomically (same scheme). Throws xs::Error (e.g. read-only folder).
// Sweeps stale temporaries of path first (sweep_stale_temp_files).
void atomic_write_file(const std::string& path, const std::string& bytes);

// Removes "<path>.tmp-<pid>-<n>" files in path's folder left by a process that no longer runs
// (killed mid-write); temporaries of live processes (this one included) are left alone. Called by
// load_project and atomic_write_file (so by every project save and COCO export). Returns how many
// files it removed; never throws.
int sweep_stale_temp_files(const std::string& path);

// Serialises the latest submitted snapshot on a background thread; older pending snapshots are
// dropped (latest wins). Errors are reported through the callback (from the background thread).
class Autosaver {
public:
    using ErrorCallback = std::function<void(const std::string& message)>;
    explicit Autosaver(std::string path, ErrorCallback on_error = {});
    ~Autosaver();  // flushes
    Autosaver(const Autosaver&) = delete;
    Autosaver& operator=(const Autosaver&) = delete;

    void submit(const Project& snapshot);
    void flush();
    const std::string& path() const { return path_; }
    int64_t saves_completed() const;

private:
    void run();
    std::string path_;
    ErrorCallback on_error_;
    mutable std::mutex mutex_;
    std::condition_variable cv_;
    std::optional<Project> pending_;
    bool busy_ = false;
    bool stop_ = false;
    int64_t saves_ = 0;
    std::thread thread_;
};

}  // namespace xs
