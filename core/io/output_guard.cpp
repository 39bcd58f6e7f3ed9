#include "core/io/output_guard.h"

#include <sys/stat.h>

#include <filesystem>

#include "core/util/error.h"

namespace xs {

namespace fs = std::filesystem;

std::string canonical_or_normal(const std::string& path) {
    std::error_code ec;
    const fs::path p = fs::weakly_canonical(fs::absolute(path), ec);
    return (ec ? fs::absolute(path).lexically_normal() : p).string();
}

bool same_file(const std::string& a, const std::string& b) {
    struct stat sa, sb;
    const bool ea = ::stat(a.c_str(), &sa) == 0, eb = ::stat(b.c_str(), &sb) == 0;
    if (ea && eb) return sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
    return canonical_or_normal(a) == canonical_or_normal(b);
}

void refuse_output_over_inputs(const std::string& output_label, const std::string& output,
                               const std::vector<NamedInput>& inputs) {
    struct stat so;
    const bool exists = ::stat(output.c_str(), &so) == 0;
    for (const NamedInput& in : inputs) {
        struct stat si;
        const bool in_exists = ::stat(in.path.c_str(), &si) == 0;
        bool same = false;
        if (exists && in_exists) {
            same = so.st_dev == si.st_dev && so.st_ino == si.st_ino;
        } else if (!exists && !in_exists) {  // neither is there yet: compare where they would be
            same = canonical_or_normal(output) == canonical_or_normal(in.path);
        }
        if (same) {
            throw Error(output_label + " is the same file as the " + in.role + " " + in.path +
                        ", which this command reads; choose another output (nothing was written)");
        }
    }
}

std::vector<NamedInput> files_in_folder(const std::string& folder, const std::string& role) {
    std::vector<NamedInput> out;
    std::error_code ec;
    for (const fs::directory_entry& e : fs::directory_iterator(folder, ec)) {
        std::error_code ec2;
        if (e.is_regular_file(ec2)) out.push_back({role, e.path().string()});
    }
    return out;
}

}  // namespace xs
