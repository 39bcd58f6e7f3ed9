#pragma once
// What the project commands share (cmd_project.cpp, cmd_formats.cpp): the project's image folder,
// inputs an output must not replace, and the all-or-nothing import into a project file.
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "app/cli/command.h"
#include "core/annotation/project.h"
#include "core/io/output_guard.h"

namespace xs::cli {

std::string one_positional(Args& args, const char* what);
std::filesystem::path canonical_dir(const std::string& dir);
// The project's image root as a real folder: absolute, or relative to the project file's folder.
std::filesystem::path resolved_image_root(const Project& p, const std::string& project_path);
void print_warnings(const std::vector<std::string>& warnings);
// The project's image files, as inputs an output must not replace.
std::vector<NamedInput> image_inputs(const Project& p, const std::string& project_path);

// Imports into the project file: takes the project lock, loads the project (or starts a new one whose
// image root is `images`), checks that `images` is the project's image folder, runs `import` on it
// (which changes the project only when it succeeds) and saves only over the version read. Returns
// whether the project file existed before.
bool import_into_project_file(const std::string& images, const std::string& project_path, const NamedInput& source,
                              const std::string& program, const std::function<void(Project&)>& import);

}  // namespace xs::cli
