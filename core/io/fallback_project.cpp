#include "core/io/fallback_project.h"

#include <ctime>
#include <filesystem>

#include "core/io/output_guard.h"
#include "core/io/project_file.h"
#include "core/util/error.h"

namespace xs {

namespace fs = std::filesystem;

namespace {

std::string folder_name(const fs::path& folder) {
    const fs::path name = folder.filename();
    return name.empty() ? std::string("root") : name.string();
}

int64_t modified_ms(const DiskVersion& v) { return v.mtime_ns / 1000000; }

}  // namespace

std::string fallback_project_path(const std::string& projects_dir, const std::string& folder) {
    const fs::path abs = canonical_or_normal(folder);
    uint64_t h = 0xcbf29ce484222325ull;
    for (unsigned char c : abs.string()) {
        h ^= c;
        h *= 0x100000001b3ull;
    }
    char hex[17];
    std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(h));
    return (fs::path(projects_dir) / (folder_name(abs) + "-" + hex + ".json")).string();
}

std::string FallbackCopy::describe() const {
    const time_t t = time_t(modified_ms / 1000);
    struct tm tm;
    localtime_r(&t, &tm);
    char when[32];
    std::strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S", &tm);
    return path + ", saved " + when + ": " + std::to_string(instances) + " instance(s), " +
           std::to_string(instances_new) + " not in the folder's project";
}

std::optional<FallbackCopy> find_newer_fallback(const std::string& folder, const std::string& projects_dir,
                                                const std::string& folder_project) {
    const fs::path abs = canonical_or_normal(folder);
    Project base;
    DiskVersion base_version;
    if (disk_version(folder_project).exists) base = load_project(folder_project, &base_version);
    const std::string prefix = folder_name(abs) + "-";
    std::optional<FallbackCopy> best;
    std::error_code ec;
    for (const fs::directory_entry& e : fs::directory_iterator(projects_dir, ec)) {
        const std::string name = e.path().filename().string();
        if (name.rfind(prefix, 0) != 0 || e.path().extension() != ".json") continue;
        Project copy;
        DiskVersion version;
        try {
            copy = load_project(e.path().string(), &version);
        } catch (const Error&) {
            continue;  // not a project, or damaged: nothing to offer from it
        }
        if (!fs::path(copy.image_root).is_absolute() || canonical_or_normal(copy.image_root) != abs) continue;
        if (base_version.exists && modified_ms(version) <= modified_ms(base_version)) continue;
        Project merged = base;
        const ProjectMergeSummary s = merge_project_into(merged, copy);
        const int64_t fresh = s.instances_added + s.instances_updated;
        if (fresh == 0) continue;
        if (best && best->modified_ms >= modified_ms(version)) continue;
        best = FallbackCopy{e.path().string(), modified_ms(version), copy.instance_count(), fresh};
    }
    return best;
}

RestoreResult restore_fallback(const std::string& folder_project, const std::string& fallback, RestoreMode mode) {
    Project copy = load_project(fallback);
    DiskVersion version;
    Project base;
    base.image_root = ".";
    if (disk_version(folder_project).exists) base = load_project(folder_project, &version);
    RestoreResult result;
    if (mode == RestoreMode::Merge) {
        result.merged = merge_project_into(base, copy);
        save_project(base, folder_project, version);
    } else {
        if (version.exists) result.replaced_copy = keep_side_copy(folder_project, "replaced");
        copy.image_root = base.image_root;  // the copy names the folder absolutely; the folder's file does not
        save_project(copy, folder_project, version);
    }
    return result;
}

}  // namespace xs
