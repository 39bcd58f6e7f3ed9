#pragma once
// The versioned JSON project file, written atomically, and never over someone else's version.
//
//   xs::DiskVersion v;
//   xs::Project p = xs::load_project("birds.xsproj.json", &v);   // never modifies the file
//   ...edit p...
//   v = xs::save_project(p, "birds.xsproj.json", v);   // temp file + fsync + swap, only if the file
//                                                      // on disk is still v (else SaveConflict)
//
//   xs::Autosaver saver("birds.xsproj.json", v);
//   saver.submit(p);        // copies the snapshot, returns at once; a background thread writes it
//   saver.flush();          // waits until everything submitted is on disk (call before quitting)
//
// Saving and loading go through core/io/file_io.h. Every file name in the project (image_root, images[].file_name) is stored losslessly whatever
// bytes it holds (core/io/json_names.h).
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "core/annotation/project.h"
#include "core/io/file_io.h"

namespace xs {

// The newest format version this build reads and writes. Version 2 added grounding data (instance
// prompts and referring sentences, image captions and "find all like this" episodes), version 3
// attributes (a category's custom attribute declarations; an instance's iscrowd, occluded, truncated,
// note and custom values), version 4 review status and tags per image (a top-level "reviews" list
// keyed by file name). A project that holds none of these is still written as version 1, exactly
// as before, so older builds keep opening it; each field is written only when it is not the default.
constexpr int kProjectFormatVersion = 4;
// The version project_to_json writes for this project.
int project_format_version(const Project& project);

// Throws xs::Error naming the file and the field on malformed, truncated or too-new files.
// `version` (optional) receives the version of exactly the bytes that were read.
Project load_project(const std::string& path, DiskVersion* version = nullptr);
std::string project_to_json(const Project& project);  // pretty-printed, deterministic
Project project_from_json(const std::string& json_text, const std::string& source_name);

// The checked save: writes the project over path only when the file there is still `expected` (what
// load_project or the last save returned; DiskVersion{} for a file that must not exist yet), and
// returns the new version. Otherwise throws SaveConflict and the file on disk stays as it is.
DiskVersion save_project(const Project& project, const std::string& path, const DiskVersion& expected);
// Unchecked: replaces whatever is at path.
void save_project(const Project& project, const std::string& path);

// Serialises the latest submitted snapshot on a background thread; older pending snapshots are
// dropped (latest wins). Every save is checked (atomic_replace_file): when the file was changed by
// someone else, the Autosaver stops writing it, keeps the snapshot in a "<path>.mine-<time>.json"
// side copy (and every later snapshot in the same copy), and reports the conflict once through the
// callback. Errors are reported through the callback (from the background thread).
class Autosaver {
public:
    using ErrorCallback = std::function<void(const std::string& message)>;
    // `expected`: the version the project was loaded from (DiskVersion{} for a new file).
    Autosaver(std::string path, DiskVersion expected, ErrorCallback on_error = {});
    // Expects the file as it is on disk now.
    explicit Autosaver(std::string path, ErrorCallback on_error = {});
    ~Autosaver();  // flushes
    Autosaver(const Autosaver&) = delete;
    Autosaver& operator=(const Autosaver&) = delete;

    void submit(const Project& snapshot);
    void flush();
    const std::string& path() const { return path_; }
    int64_t saves_completed() const;  // saves into the project file (side copies not counted)
    // The version the next save expects on disk (what was read or last written). A watcher that sees
    // another version on disk can submit a snapshot: the checked save then tells whose change it was.
    DiskVersion expected_version() const;

    // Set once a save met someone else's version: where the snapshots go instead, and the message.
    struct Conflict {
        std::string kept_copy;
        std::string message;
    };
    std::optional<Conflict> conflict() const;
    // The user chose to replace the other version (after keeping it, see keep_side_copy): the next
    // save goes over the file as it is now. Waits for a save in flight first.
    void adopt_disk_version();

private:
    void run();
    void save(const Project& snapshot, std::string& error);
    std::string path_;
    ErrorCallback on_error_;
    mutable std::mutex mutex_;
    std::condition_variable cv_;
    std::optional<Project> pending_;
    DiskVersion expected_;
    std::optional<Conflict> conflict_;
    bool busy_ = false;
    bool stop_ = false;
    int64_t saves_ = 0;
    std::thread thread_;
};

}  // namespace xs
