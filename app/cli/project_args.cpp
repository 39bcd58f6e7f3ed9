#include "app/cli/project_args.h"

#include <cstdio>

#include "core/io/project_file.h"
#include "core/io/project_lock.h"
#include "core/util/error.h"

namespace fs = std::filesystem;

namespace xs::cli {

std::string one_positional(Args& args, const char* what) {
    const std::vector<std::string> pos = args.positionals();
    if (pos.size() != 1) {
        throw Error(std::string("expected exactly one ") + what + " argument, got " + std::to_string(pos.size()));
    }
    return pos[0];
}

fs::path canonical_dir(const std::string& dir) {
    std::error_code ec;
    fs::path p = fs::weakly_canonical(fs::absolute(dir), ec);
    if (ec) return fs::absolute(dir).lexically_normal();
    return p;
}

fs::path resolved_image_root(const Project& p, const std::string& project_path) {
    fs::path root(p.image_root);
    if (root.is_absolute()) return canonical_dir(root.string());
    const fs::path base = fs::absolute(project_path).parent_path();
    return canonical_dir((base / root).string());
}

void print_warnings(const std::vector<std::string>& warnings) {
    for (const std::string& w : warnings) std::fprintf(stderr, "xsam-cli: warning: %s\n", w.c_str());
}

std::vector<NamedInput> image_inputs(const Project& p, const std::string& project_path) {
    const fs::path root = resolved_image_root(p, project_path);
    std::vector<NamedInput> inputs;
    for (const ImageRecord& img : p.images) inputs.push_back({"image", (root / img.file_name).string()});
    return inputs;
}

bool import_into_project_file(const std::string& images, const std::string& project_path, const NamedInput& source,
                              const std::string& program, const std::function<void(Project&)>& import) {
    std::error_code ec;
    if (!fs::exists(images, ec)) throw Error(images + ": image folder does not exist");
    if (!fs::is_directory(images, ec)) throw Error(images + ": is not a folder (--images names the image folder)");
    refuse_output_over_inputs("--project " + project_path, project_path, {source});

    // One writer per project: refused while the GUI (or another command) has it open for writing.
    const ProjectLock lock = lock_project_or_throw(project_path, program);
    Project project;
    DiskVersion version;  // what the project file was when read: the save checks it is still so
    const bool existing = disk_version(project_path).exists;
    if (existing) {
        project = load_project(project_path, &version);
        if (!project.image_root.empty() && resolved_image_root(project, project_path) != canonical_dir(images)) {
            throw Error("--images " + images + " differs from the project's image root " +
                        resolved_image_root(project, project_path).string() + "; file names would not resolve");
        }
    }
    if (project.image_root.empty()) {
        // Stored relative to the project file's folder when --images was given relative.
        if (fs::path(images).is_absolute()) {
            project.image_root = canonical_dir(images).string();
        } else {
            const fs::path base = canonical_dir(fs::absolute(project_path).parent_path().string());
            project.image_root = canonical_dir(images).lexically_relative(base).generic_string();
            if (project.image_root.empty()) project.image_root = ".";
        }
    }
    import(project);                             // all or nothing
    save_project(project, project_path, version);  // atomic, and only over the version read
    return existing;
}

}  // namespace xs::cli
