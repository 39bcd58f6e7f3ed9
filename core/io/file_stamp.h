#pragma once
// A cheap fingerprint of an image file, recorded in the project (ImageRecord::file_size/file_hash)
// so an image that changed on disk since it was annotated is noticed.
//
// The hash is "fnv1a64:<16 hex digits>": 64-bit FNV-1a over the file size (8 bytes, little-endian),
// the first 64 KiB and the last 64 KiB of the file (the whole file when it is at most 128 KiB).
// It costs two small reads whatever the file's size. A change that keeps the size and touches
// neither end is not seen; for compressed formats (JPEG, PNG, WebP) an edit of the pixels changes
// the size or the tail in practice, and the size alone catches most replacements.
#include <cstdint>
#include <string>
#include <vector>

#include "core/annotation/project.h"

namespace xs {

struct FileStamp {
    int64_t size = -1;
    std::string hash;
    bool operator==(const FileStamp& o) const { return size == o.size && hash == o.hash; }
    bool operator!=(const FileStamp& o) const { return !(*this == o); }
};

// Throws xs::Error naming the path when the file cannot be read.
FileStamp file_stamp(const std::string& path);
// The stamp of an open file (read with pread; the offset is not used). Throws like file_stamp.
FileStamp file_stamp(int fd, const std::string& path);
// The stamp a file holding exactly `bytes` has (for content this process has in memory).
FileStamp bytes_stamp(const std::string& bytes);

enum class FileState { Unrecorded, Same, Changed, Missing };

// Compares the record's stamp with the file now. detail (optional) says what differs.
FileState check_image_file(const ImageRecord& image, const std::string& path, std::string* detail = nullptr);

// Records the file's current stamp in the record (no-op when the file cannot be read).
void record_image_file(ImageRecord& image, const std::string& path);

struct ImageFileProblem {
    std::string file_name;
    FileState state = FileState::Changed;
    std::string detail;
};
// Every image with a recorded stamp whose file changed or went missing; image_root is the resolved
// (absolute or current-directory-relative) folder the file names are relative to.
std::vector<ImageFileProblem> find_changed_image_files(const Project& project, const std::string& image_root);

}  // namespace xs
