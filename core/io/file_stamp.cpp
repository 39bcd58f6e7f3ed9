#include "core/io/file_stamp.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>

#include "core/util/error.h"

namespace xs {

namespace {

constexpr size_t kEdge = 64 * 1024;

struct Fnv {
    uint64_t h = 0xcbf29ce484222325ull;
    void add(const unsigned char* p, size_t n) {
        for (size_t i = 0; i < n; ++i) {
            h ^= p[i];
            h *= 0x100000001b3ull;
        }
    }
};

std::string hash_text(uint64_t h) {
    char hex[32];
    std::snprintf(hex, sizeof(hex), "%016llx", static_cast<unsigned long long>(h));
    return std::string("fnv1a64:") + hex;
}

void add_size(Fnv& fnv, int64_t size) {
    unsigned char size_bytes[8];
    for (int i = 0; i < 8; ++i) size_bytes[i] = static_cast<unsigned char>(uint64_t(size) >> (8 * i));
    fnv.add(size_bytes, 8);
}

}  // namespace

FileStamp bytes_stamp(const std::string& bytes) {
    FileStamp s;
    s.size = int64_t(bytes.size());
    Fnv fnv;
    add_size(fnv, s.size);
    const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
    const size_t head = std::min(bytes.size(), kEdge);
    fnv.add(p, head);
    if (bytes.size() > kEdge) {
        const size_t tail_at = std::max(kEdge, bytes.size() - kEdge);
        fnv.add(p + tail_at, bytes.size() - tail_at);
    }
    s.hash = hash_text(fnv.h);
    return s;
}

FileStamp file_stamp(int fd, const std::string& path) {
    struct stat st;
    if (::fstat(fd, &st) != 0) throw Error(path + ": cannot read the file's size (" + std::strerror(errno) + ")");
    if (!S_ISREG(st.st_mode)) {
        throw Error(path + ": " + (S_ISDIR(st.st_mode) ? "is a folder" : "is not a regular file") +
                    ", so it cannot be fingerprinted");
    }
    FileStamp s;
    s.size = int64_t(st.st_size);
    Fnv fnv;
    add_size(fnv, s.size);
    std::vector<unsigned char> buf(kEdge);
    auto read_span = [&](int64_t offset, size_t n) {
        size_t got = 0;
        while (got < n) {
            const ssize_t r = ::pread(fd, buf.data() + got, n - got, off_t(offset + int64_t(got)));
            if (r < 0 && errno == EINTR) continue;
            if (r <= 0) return false;
            got += size_t(r);
        }
        fnv.add(buf.data(), n);
        return true;
    };
    const size_t head = size_t(std::min<int64_t>(s.size, int64_t(kEdge)));
    bool ok = read_span(0, head);
    if (ok && s.size > int64_t(kEdge)) {
        const int64_t tail_at = std::max<int64_t>(int64_t(kEdge), s.size - int64_t(kEdge));
        ok = read_span(tail_at, size_t(s.size - tail_at));
    }
    if (!ok) throw Error(path + ": reading the file to fingerprint it failed");
    s.hash = hash_text(fnv.h);
    return s;
}

FileStamp file_stamp(const std::string& path) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) throw Error(path + ": cannot open the file to fingerprint it (" + std::strerror(errno) + ")");
    try {
        const FileStamp s = file_stamp(fd, path);
        ::close(fd);
        return s;
    } catch (...) {
        ::close(fd);
        throw;
    }
}

FileState check_image_file(const ImageRecord& image, const std::string& path, std::string* detail) {
    if (image.file_size < 0 || image.file_hash.empty()) return FileState::Unrecorded;
    FileStamp now;
    try {
        now = file_stamp(path);
    } catch (const Error&) {
        if (detail) *detail = "the file is missing or unreadable";
        return FileState::Missing;
    }
    if (now.size != image.file_size) {
        if (detail) *detail = "size " + std::to_string(now.size) + " bytes, was " + std::to_string(image.file_size);
        return FileState::Changed;
    }
    if (now.hash != image.file_hash) {
        if (detail) *detail = "same size but different content (" + now.hash + ", was " + image.file_hash + ")";
        return FileState::Changed;
    }
    return FileState::Same;
}

void record_image_file(ImageRecord& image, const std::string& path) {
    try {
        const FileStamp s = file_stamp(path);
        image.file_size = s.size;
        image.file_hash = s.hash;
    } catch (const Error&) {
    }
}

std::vector<ImageFileProblem> find_changed_image_files(const Project& project, const std::string& image_root) {
    std::vector<ImageFileProblem> out;
    for (const ImageRecord& img : project.images) {
        std::string detail;
        const std::string path = image_root.empty() ? img.file_name : image_root + "/" + img.file_name;
        const FileState st = check_image_file(img, path, &detail);
        if (st == FileState::Changed || st == FileState::Missing) out.push_back({img.file_name, st, detail});
    }
    return out;
}

}  // namespace xs
