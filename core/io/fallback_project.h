#pragma once
// The app-data copy of a read-only folder's project, found again.
//
// When an image folder is not writable, the GUI keeps the folder's project in its app-data folder
// (fallback_project_path) with image_root set to the folder. Once the folder is writable again,
// opening it should offer those annotations back:
//
//   if (auto copy = xs::find_newer_fallback(folder, projects_dir)) {
//       ...ask: copy->describe()...
//       xs::restore_fallback(folder + "/xsam-project.json", copy->path, xs::RestoreMode::Merge);
//   }
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/annotation/project_merge.h"

namespace xs {

// "<projects_dir>/<folder's name>-<16 hex digits of FNV-1a 64 of the folder's absolute path>.json"
std::string fallback_project_path(const std::string& projects_dir, const std::string& folder);

struct FallbackCopy {
    std::string path;
    int64_t modified_ms = 0;
    int64_t instances = 0;
    int64_t instances_new = 0;  // instances (or later edits) the folder's project lacks
    std::string describe() const;  // "<path>, saved <time>: N instances, K not in the folder's project"
};

// An app-data copy of `folder`'s project in projects_dir (any "<folder's name>-*.json" whose
// image_root is the folder, so copies named by earlier versions are found too) that is newer than
// `folder_project` (or the folder has none) and holds annotations it lacks; the newest such copy.
// Copies that cannot be read are skipped.
std::optional<FallbackCopy> find_newer_fallback(const std::string& folder, const std::string& projects_dir,
                                                const std::string& folder_project);

enum class RestoreMode { Merge, Replace };

struct RestoreResult {
    ProjectMergeSummary merged;   // Merge: what was added
    std::string replaced_copy;    // Replace: where the folder's previous project was kept ("" if none)
};

// Brings the copy back into the folder's project file (checked save, core/io/file_io.h): Merge adds
// what merge_project_into adds; Replace makes the copy the project (the old project is kept as a
// side copy). The copy stays where it is. Throws xs::Error (SaveConflict when the folder's project
// changed meanwhile).
RestoreResult restore_fallback(const std::string& folder_project, const std::string& fallback, RestoreMode mode);

}  // namespace xs
