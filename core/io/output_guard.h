#pragma once
// No output over an input: before a command writes a file, it checks that the file is not one it
// reads (or one it must not touch, such as the photos of an image folder).
//
//   xs::refuse_output_over_inputs("--out " + out, out, {{"project", project_path}, {"image", image_path}});
//   // throws xs::Error: "--out p.json is the same file as the project p.json; nothing was written"
//
// Two paths are the same file when they name the same device and inode (hard links, symbolic links
// at any level, "a/../b") or, for files that do not exist yet, the same canonical path.
#include <string>
#include <vector>

namespace xs {

struct NamedInput {
    std::string role;  // "project", "image", "part file", ...
    std::string path;
};

bool same_file(const std::string& a, const std::string& b);

// The absolute path with symbolic links resolved as far as the path exists (weakly_canonical), or the
// lexically normal absolute path where that fails.
std::string canonical_or_normal(const std::string& path);

// Throws xs::Error naming `output_label` (e.g. "--out coco.json") and the input it would replace.
void refuse_output_over_inputs(const std::string& output_label, const std::string& output,
                               const std::vector<NamedInput>& inputs);

// Every regular file directly in `folder` (not recursive) as inputs with `role`: for outputs that
// must not land on a file of an input folder (a model folder's weights).
std::vector<NamedInput> files_in_folder(const std::string& folder, const std::string& role);

}  // namespace xs
