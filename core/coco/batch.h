#pragma once
// Headless batch labelling (xsam-cli batch): the image list, deterministic shards, the crash-safe
// journal and the COCO document a batch run writes. No engine code here: the CLI runs the engine and
// hands each image's instances to the journal.
//
//   std::vector<std::string> files = xs::batch::list_images("/data/birds");   // natural order
//   xs::batch::ShardSpec shard = xs::batch::parse_shard("2/8");              // 0-based index / count
//   for (size_t i = 0; i < files.size(); ++i)
//       if (xs::batch::in_shard(files[i], shard)) ...                          // FNV-1a(path) mod 8 == 2
//
// Sharding rule: an image belongs to shard (FNV-1a 64 of the bytes of its '/'-separated relative path)
// mod N. It depends on nothing but the path and N, so every machine agrees whatever its file
// system order, locale or thread count, and adding or removing other files never moves an image to
// another shard. Image ids are the 1-based position in the naturally sorted full list, so ids from
// different shards never collide and a merged run numbers images exactly like one full run.
#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace xs::batch {

using ojson = nlohmann::ordered_json;

// The images of root by the GUI's rules (core/io/folder_scan.h: the one scanner of both): '/'-separated
// paths relative to root as the file system's bytes, naturally sorted. Throws xs::Error if root is
// missing or not a folder.
std::vector<std::string> list_images(const std::string& root);

struct ShardSpec {
    int index = 0;  // 0 .. count-1 (as SLURM_ARRAY_TASK_ID with --array=0-(N-1), JOB_COMPLETION_INDEX)
    int count = 1;
    std::string text() const { return std::to_string(index) + "/" + std::to_string(count); }
};
// "I/N" with 0 <= I < N, 1 <= N <= 100000. Throws xs::Error with a message saying what is wrong.
ShardSpec parse_shard(const std::string& text);
uint64_t fnv1a64(const std::string& bytes);
bool in_shard(const std::string& relative_path, const ShardSpec& shard);
// A fingerprint of the whole list (FNV-1a over the names, each followed by '\n'; a name that holds a
// newline itself as NUL, its length in decimal, ':', the name and '\n'), as 16 hex digits.
std::string list_fingerprint(const std::vector<std::string>& names);

// One labelled instance as the journal and the COCO file keep it.
struct AnnotationRecord {
    int category = 0;        // 0-based index into the run's categories
    int height = 0, width = 0;
    std::string counts;      // pycocotools' compressed RLE string
    int64_t area = 0;
    int bbox[4] = {0, 0, 0, 0};
    double score = 0;        // rounded to 4 decimals
    std::string phrase;      // grounded caption: the phrase that produced it
};

// The outcome for one image of the list.
struct ImageRecord {
    int64_t index = -1;      // 0-based position in the full list (image id - 1)
    std::string file_name;   // relative, '/'-separated; any bytes (stored as in core/io/json_names.h)
    bool ok = false;
    std::string error;       // when !ok: why (unreadable, engine failure)
    int width = 0, height = 0;
    std::string caption;     // grounded caption text, else empty
    std::vector<AnnotationRecord> annotations;
};

ojson record_to_json(const ImageRecord& record);
// Throws xs::Error naming `where` on a malformed record.
ImageRecord record_from_json(const nlohmann::json& j, const std::string& where);

// What identifies a run: two shards can be merged only when these agree. `params` holds the engine,
// task, thresholds, ... (free-form, compared as a whole); `categories` the names in the given order.
struct RunInfo {
    ojson params = ojson::object();
    std::vector<std::string> categories;
    int64_t images_listed = 0;
    std::string list_fingerprint;
    ShardSpec shard;  // count 1 = the whole list
};

// When the journal is forced to disk (fdatasync). Every record is written to the file at once (one
// write() call), so a crash of the process loses nothing; syncing guards against a crash of the machine
// (power, kernel), which can lose what was not synced yet.
struct SyncPolicy {
    int every_records = 0;        // sync after this many records (0: no count limit)
    double every_seconds = 2.0;   // and when this long has passed since the last sync (< 0: no time limit)
};

// The journal: "<out>.partial", one JSON object per line. Line 1 is the header (the RunInfo); every
// further line is one finished image. After any crash the file holds a prefix of complete lines plus at
// most one torn (or, after a machine crash, garbage) tail, which resume() drops.
class Journal {
public:
    // Starts a new journal (any old file at `path` is replaced atomically with the header alone).
    static Journal create(const std::string& path, const RunInfo& run, SyncPolicy policy = {});
    // Reopens an existing journal; throws xs::Error if its header differs from `run` (naming the
    // first difference) or the file is not a journal. Records of the same image: the last one wins.
    static Journal resume(const std::string& path, const RunInfo& run, SyncPolicy policy,
                          std::map<int64_t, ImageRecord>& records, int* dropped_torn_lines = nullptr);
    Journal(Journal&& other) noexcept;
    Journal& operator=(Journal&&) = delete;
    Journal(const Journal&) = delete;
    ~Journal();

    void append(const ImageRecord& record);  // throws xs::Error on a write failure (disk full, ...)
    void sync();                             // fdatasync now
    double io_ms() const { return io_ms_; }  // time spent writing and syncing so far
    int syncs() const { return syncs_; }
    const std::string& path() const { return path_; }

private:
    Journal(std::string path, int fd, SyncPolicy policy);
    std::string path_;
    int fd_ = -1;
    SyncPolicy policy_;
    int unsynced_ = 0;
    int syncs_ = 0;
    double io_ms_ = 0;
    std::chrono::steady_clock::time_point last_sync_;
};

ojson run_header_json(const RunInfo& run);
// The first place where two JSON values differ, e.g. "params.task: \"generic\" in A, \"caption\" in B"
// (labels name the two sides); "" when equal.
std::string json_first_difference(const nlohmann::json& a, const nlohmann::json& b, const std::string& label_a,
                                  const std::string& label_b, const std::string& path = "");

// The COCO document of a run: images (ids = index + 1) and annotations (ids 1..M in image order) of
// the records that succeeded, failed images listed in info.xsam_batch.failed_images. The same records
// always give the same bytes; `shard` is written only when count > 1.
std::string batch_coco_json(const RunInfo& run, const std::vector<ImageRecord>& records);

}  // namespace xs::batch
