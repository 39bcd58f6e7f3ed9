// Batch labelling support: image list, shards, journal, COCO document (see batch.h).
#include "core/coco/batch.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <system_error>

#include "core/io/file_io.h"
#include "core/io/folder_scan.h"
#include "core/io/json_names.h"
#include "core/io/json_read.h"
#include "core/io/project_file.h"
#include "core/util/error.h"
#include "core/util/posix_io.h"

namespace xs::batch {

namespace {

bool is_digit(char c) { return c >= '0' && c <= '9'; }

double ms_since(std::chrono::steady_clock::time_point t0) {
    return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count();
}

}  // namespace

std::vector<std::string> list_images(const std::string& root) { return scan_image_folder(root).files; }

ShardSpec parse_shard(const std::string& text) {
    const std::string hint = " (expected I/N with 0 <= I < N: shards are numbered from 0, like SLURM_ARRAY_TASK_ID "
                             "with --array=0-(N-1) and a Kubernetes JOB_COMPLETION_INDEX)";
    const size_t slash = text.find('/');
    auto number = [&](const std::string& s, const char* what) -> long long {
        if (s.empty() || s.size() > 9 || !std::all_of(s.begin(), s.end(), is_digit))
            throw Error("--shard '" + text + "': the " + what + " '" + s + "' is not a whole number" + hint);
        return std::stoll(s);
    };
    if (slash == std::string::npos) throw Error("--shard '" + text + "': no '/'" + hint);
    const long long i = number(text.substr(0, slash), "shard index");
    const long long n = number(text.substr(slash + 1), "shard count");
    if (n < 1) throw Error("--shard '" + text + "': the shard count must be at least 1" + hint);
    if (n > 100000) throw Error("--shard '" + text + "': more than 100000 shards");
    if (i >= n)
        throw Error("--shard '" + text + "': the shard index must be between 0 and " + std::to_string(n - 1) + hint);
    return ShardSpec{int(i), int(n)};
}

uint64_t fnv1a64(const std::string& bytes) {
    uint64_t h = 0xcbf29ce484222325ull;
    for (unsigned char c : bytes) {
        h ^= c;
        h *= 0x100000001b3ull;
    }
    return h;
}

bool in_shard(const std::string& relative_path, const ShardSpec& shard) {
    return shard.count <= 1 || fnv1a64(relative_path) % uint64_t(shard.count) == uint64_t(shard.index);
}

std::string list_fingerprint(const std::vector<std::string>& names) {
    uint64_t h = 0xcbf29ce484222325ull;
    for (const std::string& n : names) {
        // A name with a newline in it is written as NUL, its length, ':' and the name, so that no two
        // lists give the same bytes (names never hold NUL); every other name as before.
        const std::string bytes = n.find('\n') == std::string::npos
                                      ? n + "\n"
                                      : std::string(1, '\0') + std::to_string(n.size()) + ":" + n + "\n";
        for (unsigned char c : bytes) {
            h ^= c;
            h *= 0x100000001b3ull;
        }
    }
    char buf[17];
    std::snprintf(buf, sizeof(buf), "%016llx", static_cast<unsigned long long>(h));
    return buf;
}

// ---------------------------------------------------------------------------------------------
// Records

ojson record_to_json(const ImageRecord& r) {
    ojson j;
    j["i"] = r.index;
    jsonr::put_name(j, "file_name", r.file_name);
    if (!r.ok) {
        j["error"] = utf8_display(r.error);  // may quote the file name: shown, the name itself is above
        return j;
    }
    j["width"] = r.width;
    j["height"] = r.height;
    if (!r.caption.empty()) j["caption"] = utf8_display(r.caption);
    ojson anns = ojson::array();
    for (const AnnotationRecord& a : r.annotations) {
        ojson ja;
        ja["c"] = a.category;
        ja["counts"] = a.counts;
        ja["area"] = a.area;
        ja["bbox"] = {a.bbox[0], a.bbox[1], a.bbox[2], a.bbox[3]};
        ja["score"] = a.score;
        if (!a.phrase.empty()) ja["phrase"] = utf8_display(a.phrase);
        anns.push_back(std::move(ja));
    }
    j["annotations"] = std::move(anns);
    return j;
}

ImageRecord record_from_json(const nlohmann::json& j, const std::string& where) {
    using namespace jsonr;
    ImageRecord r;
    get_object(j, where, "");
    r.index = get_int(field(j, "i", where, ""), where, "i");
    if (r.index < 0) fail(where, "i", "negative image index");
    r.file_name = get_name(j, "file_name", where, "");
    if (j.contains("error")) {
        r.error = get_string(j["error"], where, "error");
        return r;
    }
    r.ok = true;
    r.width = get_int32(field(j, "width", where, ""), where, "width");
    r.height = get_int32(field(j, "height", where, ""), where, "height");
    if (r.width <= 0 || r.height <= 0) fail(where, "width", "the image size must be positive");
    if (j.contains("caption")) r.caption = get_string(j["caption"], where, "caption");
    const json& anns = get_array(field(j, "annotations", where, ""), where, "annotations");
    for (size_t k = 0; k < anns.size(); ++k) {
        const std::string p = index("annotations", k);
        const json& ja = get_object(anns[k], where, p);
        AnnotationRecord a;
        a.width = r.width;
        a.height = r.height;
        a.category = get_int32(field(ja, "c", where, p), where, join(p, "c"));
        a.counts = get_string(field(ja, "counts", where, p), where, join(p, "counts"));
        a.area = get_int(field(ja, "area", where, p), where, join(p, "area"));
        const json& bb = get_array(field(ja, "bbox", where, p), where, join(p, "bbox"));
        if (bb.size() != 4) fail(where, join(p, "bbox"), "expected 4 numbers");
        for (int q = 0; q < 4; ++q) a.bbox[q] = get_int32(bb[size_t(q)], where, index(join(p, "bbox"), size_t(q)));
        a.score = get_number(field(ja, "score", where, p), where, join(p, "score"));
        if (ja.contains("phrase")) a.phrase = get_string(ja["phrase"], where, join(p, "phrase"));
        r.annotations.push_back(std::move(a));
    }
    return r;
}

std::string json_first_difference(const nlohmann::json& a, const nlohmann::json& b, const std::string& la,
                                  const std::string& lb, const std::string& path) {
    if (a.is_object() && b.is_object()) {
        for (auto it = a.begin(); it != a.end(); ++it) {
            const std::string p = path.empty() ? it.key() : path + "." + it.key();
            if (!b.contains(it.key())) return p + ": " + it.value().dump() + " in " + la + ", absent in " + lb;
            const std::string d = json_first_difference(it.value(), b[it.key()], la, lb, p);
            if (!d.empty()) return d;
        }
        for (auto it = b.begin(); it != b.end(); ++it)
            if (!a.contains(it.key()))
                return (path.empty() ? it.key() : path + "." + it.key()) + ": absent in " + la + ", " +
                       it.value().dump() + " in " + lb;
        return "";
    }
    if (a == b) return "";
    std::string av = a.dump(), bv = b.dump();
    if (av.size() > 80) av = av.substr(0, 77) + "...";
    if (bv.size() > 80) bv = bv.substr(0, 77) + "...";
    return (path.empty() ? std::string("value") : path) + ": " + av + " in " + la + ", " + bv + " in " + lb;
}

ojson run_header_json(const RunInfo& run) {
    ojson j;
    j["params"] = run.params;
    j["categories"] = run.categories;
    j["images_listed"] = run.images_listed;
    j["list_fingerprint"] = run.list_fingerprint;
    j["shard"] = run.shard.text();
    return j;
}

// ---------------------------------------------------------------------------------------------
// Journal

namespace {

void append_journal(int fd, const std::string& bytes, const std::string& path) {
    if (!write_all(fd, bytes.data(), bytes.size()))
        throw Error(path + ": cannot append to the progress journal (" + errno_text() + ")");
}

// Opens for appending and takes an exclusive lock, so two runs never write one journal (e.g. the same
// shard started twice): the second is told so instead of interleaving records.
int open_append(const std::string& path) {
    const int fd = ::open(path.c_str(), O_RDWR | O_APPEND | O_CLOEXEC);
    if (fd < 0) throw Error(path + ": cannot open the progress journal (" + errno_text() + ")");
    if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
        const bool busy = errno == EWOULDBLOCK;
        const std::string why = errno_text();
        ::close(fd);
        if (busy) throw Error(path + ": another batch run is writing this journal (the same --out twice?)");
        throw Error(path + ": cannot lock the progress journal (" + why + ")");
    }
    return fd;
}

}  // namespace

Journal Journal::create(const std::string& path, const RunInfo& run, SyncPolicy policy) {
    ojson header;
    header["xsam_batch_journal"] = 1;
    header["run"] = run_header_json(run);
    atomic_write_file(path, header.dump() + "\n");
    return Journal(path, open_append(path), policy);
}

Journal Journal::resume(const std::string& path, const RunInfo& run, SyncPolicy policy,
                        std::map<int64_t, ImageRecord>& records, int* dropped_torn_lines) {
    const int fd = open_append(path);  // locked before reading, so no other run appends meanwhile
    struct CloseOnError {
        int fd;
        bool armed = true;
        ~CloseOnError() {
            if (armed) ::close(fd);
        }
    } guard{fd};
    const std::string text = read_whole_file(path, "progress journal");

    size_t pos = 0, good_end = 0;
    int line_no = 0, dropped = 0;
    while (pos < text.size()) {
        const size_t nl = text.find('\n', pos);
        ++line_no;
        const std::string where = path + " line " + std::to_string(line_no);
        if (nl == std::string::npos) {  // a torn last line (the process died while appending)
            if (line_no == 1) throw Error(path + ": not a complete progress journal (the header line is cut short)");
            ++dropped;
            break;
        }
        const std::string line = text.substr(pos, nl - pos);
        nlohmann::json j;
        try {
            j = nlohmann::json::parse(line);
        } catch (const nlohmann::json::parse_error&) {
            if (line_no == 1) throw Error(path + ": not a progress journal of xsam-cli batch (line 1 is not JSON)");
            // Only the last line can be torn; anything after a bad line is not trusted either.
            ++dropped;
            break;
        }
        if (line_no == 1) {
            if (!j.is_object() || !j.contains("xsam_batch_journal") || !j.contains("run"))
                throw Error(path + ": not a progress journal of xsam-cli batch (no header)");
            if (j["xsam_batch_journal"] != 1)
                throw Error(path + ": progress journal version " + j["xsam_batch_journal"].dump() + " is not supported");
            const nlohmann::json now = nlohmann::json::parse(run_header_json(run).dump());
            const std::string diff = json_first_difference(j["run"], now, "the journal", "this run");
            if (!diff.empty())
                throw Error(path + ": the interrupted run used other settings or another image list (" + diff +
                            "); delete the file to start over, or resume with the same options");
        } else {
            ImageRecord r = record_from_json(j, where);
            if (r.index >= run.images_listed)
                jsonr::fail(where, "i", "image index " + std::to_string(r.index) + " beyond the list");
            records[r.index] = std::move(r);
        }
        pos = nl + 1;
        good_end = pos;
    }
    if (good_end < text.size()) {
        if (::ftruncate(fd, off_t(good_end)) != 0)
            throw Error(path + ": cannot drop the torn last record (" + errno_text() + ")");
    }
    if (dropped_torn_lines) *dropped_torn_lines = dropped;
    guard.armed = false;
    return Journal(path, fd, policy);
}

Journal::Journal(std::string path, int fd, SyncPolicy policy)
    : path_(std::move(path)), fd_(fd), policy_(policy), last_sync_(std::chrono::steady_clock::now()) {}

Journal::Journal(Journal&& o) noexcept
    : path_(std::move(o.path_)), fd_(o.fd_), policy_(o.policy_), unsynced_(o.unsynced_), syncs_(o.syncs_),
      io_ms_(o.io_ms_), last_sync_(o.last_sync_) {
    o.fd_ = -1;
}

Journal::~Journal() {
    if (fd_ >= 0) {
        if (unsynced_ > 0) ::fdatasync(fd_);
        ::close(fd_);
    }
}

void Journal::append(const ImageRecord& record) {
    const auto t0 = std::chrono::steady_clock::now();
    append_journal(fd_, record_to_json(record).dump() + "\n", path_);
    io_ms_ += ms_since(t0);
    ++unsynced_;
    if ((policy_.every_records > 0 && unsynced_ >= policy_.every_records) ||
        (policy_.every_seconds >= 0 && ms_since(last_sync_) >= policy_.every_seconds * 1000.0))
        sync();
}

void Journal::sync() {
    if (fd_ < 0 || unsynced_ == 0) return;
    const auto t0 = std::chrono::steady_clock::now();
    if (::fdatasync(fd_) != 0) throw Error(path_ + ": cannot flush the progress journal (" + errno_text() + ")");
    unsynced_ = 0;
    ++syncs_;
    last_sync_ = std::chrono::steady_clock::now();
    io_ms_ += ms_since(t0);
}

// ---------------------------------------------------------------------------------------------
// COCO document

std::string batch_coco_json(const RunInfo& run, const std::vector<ImageRecord>& records) {
    std::vector<const ImageRecord*> sorted;
    for (const ImageRecord& r : records) sorted.push_back(&r);
    std::stable_sort(sorted.begin(), sorted.end(),
                     [](const ImageRecord* a, const ImageRecord* b) { return a->index < b->index; });

    ojson batch;
    // Keys sorted (through nlohmann::json), so a part read back and merged writes them in the same order.
    batch["params"] = ojson::parse(nlohmann::json::parse(run.params.dump()).dump());
    batch["categories"] = run.categories;
    batch["images_listed"] = run.images_listed;
    batch["list_fingerprint"] = run.list_fingerprint;
    if (run.shard.count > 1) batch["shard"] = run.shard.text();
    ojson failed = ojson::array();
    ojson images = ojson::array();
    ojson annotations = ojson::array();
    int64_t ann_id = 0;
    int64_t last_index = -1;
    for (const ImageRecord* r : sorted) {
        if (r->index == last_index) throw Error("image index " + std::to_string(r->index) + " recorded twice");
        last_index = r->index;
        const int64_t image_id = r->index + 1;
        if (!r->ok) {
            ojson f;
            f["id"] = image_id;
            jsonr::put_name(f, "file_name", r->file_name);
            f["error"] = utf8_display(r->error);
            failed.push_back(std::move(f));
            continue;
        }
        ojson img;
        img["id"] = image_id;
        jsonr::put_name(img, "file_name", r->file_name);
        img["width"] = r->width;
        img["height"] = r->height;
        if (!r->caption.empty()) img["caption"] = utf8_display(r->caption);
        images.push_back(std::move(img));
        for (const AnnotationRecord& a : r->annotations) {
            if (a.category < 0 || size_t(a.category) >= run.categories.size())
                throw Error(r->file_name + ": annotation with category index " + std::to_string(a.category) +
                            " outside the " + std::to_string(run.categories.size()) + " categories");
            ojson ja;
            ja["id"] = ++ann_id;
            ja["image_id"] = image_id;
            ja["category_id"] = a.category + 1;
            ja["segmentation"] = {{"size", {r->height, r->width}}, {"counts", a.counts}};
            ja["area"] = a.area;
            ja["bbox"] = {a.bbox[0], a.bbox[1], a.bbox[2], a.bbox[3]};
            ja["iscrowd"] = 0;
            ja["score"] = a.score;
            if (!a.phrase.empty()) ja["phrase"] = utf8_display(a.phrase);
            annotations.push_back(std::move(ja));
        }
    }
    batch["failed_images"] = std::move(failed);

    ojson root;
    root["info"] = {{"description", "Labelled by xsam-cli batch"},
                    {"version", "1.0"},
                    {"url", ""},
                    {"contributor", ""},
                    {"xsam_batch", std::move(batch)}};
    root["licenses"] = ojson::array();
    root["images"] = std::move(images);
    root["annotations"] = std::move(annotations);
    ojson cats = ojson::array();
    for (size_t k = 0; k < run.categories.size(); ++k) cats.push_back({{"id", int(k) + 1}, {"name", run.categories[k]}});
    root["categories"] = std::move(cats);
    return root.dump() + "\n";
}

}  // namespace xs::batch
