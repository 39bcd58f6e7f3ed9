#pragma once
// Safetensors (the Hugging Face weight format): a memory-mapped reader with a validated header, a
// writer, sharded folders with model.safetensors.index.json, and a strict loader into modules.
//
// File layout: u64 little-endian header length N, N bytes of JSON
//   {"__metadata__": {"k": "v"}, "name": {"dtype": "BF16", "shape": [2, 3], "data_offsets": [b, e]}, ...}
// then the data section; offsets are relative to its start and must tile it exactly.
#include <torch/torch.h>

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace xs::xsam {

struct SafeTensorInfo {
    std::string name;
    torch::ScalarType dtype = torch::kFloat;
    std::vector<int64_t> shape;
    uint64_t begin = 0, end = 0;  // byte offsets in the data section
};

// "F32" <-> kFloat etc. (F64 F32 F16 BF16 I64 I32 I16 I8 U8 BOOL). Throws xs::Error for others.
torch::ScalarType safetensors_dtype(const std::string& code);
std::string safetensors_dtype_code(torch::ScalarType t);

// One .safetensors file, memory-mapped read-only (copy-on-write pages). Every header entry is
// validated on open: JSON syntax, known dtype, shape x element size == byte range, ranges inside the
// file, sorted ranges tiling the data section without gaps or overlaps.
class SafeTensorsFile {
public:
    explicit SafeTensorsFile(const std::string& path);
    ~SafeTensorsFile();
    SafeTensorsFile(const SafeTensorsFile&) = delete;
    SafeTensorsFile& operator=(const SafeTensorsFile&) = delete;

    const std::string& path() const { return path_; }
    const std::vector<SafeTensorInfo>& tensors() const { return infos_; }
    const SafeTensorInfo* find(const std::string& name) const;
    const std::map<std::string, std::string>& metadata() const { return metadata_; }
    // A CPU tensor viewing the mapped bytes (no copy when suitably aligned; otherwise an aligned copy).
    // The mapping stays alive as long as the returned tensor does. Throws for unknown names.
    torch::Tensor get(const std::string& name) const;

private:
    struct Mapping;
    std::string path_;
    std::shared_ptr<Mapping> map_;
    uint64_t data_start_ = 0;
    std::vector<SafeTensorInfo> infos_;
    std::map<std::string, size_t> index_;
    std::map<std::string, std::string> metadata_;
};

// A model's weights: one model.safetensors, or shards listed by model.safetensors.index.json.
// open() takes a folder (index preferred, else model.safetensors), an index .json, or one file.
class SafeTensorsSet {
public:
    static SafeTensorsSet open(const std::string& path);
    std::vector<std::string> names() const;  // sorted
    bool contains(const std::string& name) const { return where_.count(name) > 0; }
    const SafeTensorInfo& info(const std::string& name) const;
    torch::Tensor get(const std::string& name) const;
    const std::string& origin() const { return origin_; }

private:
    std::string origin_;
    std::vector<std::shared_ptr<SafeTensorsFile>> files_;
    std::map<std::string, size_t> where_;  // name -> file index
};

// Writes one file (atomically: a temporary name renamed at the end). Tensors are written in the given
// order, made contiguous on the CPU. Duplicate names are an error.
void write_safetensors(const std::string& path, const std::vector<std::pair<std::string, torch::Tensor>>& tensors,
                       const std::map<std::string, std::string>& metadata = {});

// Streams tensors into shards of about `shard_bytes` each (a tensor larger than that gets a shard of its
// own) in `dir`: model-00001-of-0000N.safetensors ... plus model.safetensors.index.json
// ({"metadata": {"total_size": bytes}, "weight_map": {name: file}}); a single shard is named
// model.safetensors (with an index as well). Memory held: at most one shard's tensors.
class ShardedSafeTensorsWriter {
public:
    ShardedSafeTensorsWriter(std::string dir, int64_t shard_bytes, std::map<std::string, std::string> metadata = {});
    void add(const std::string& name, const torch::Tensor& t);
    // Writes the last shard, renames the shards and writes the index. Returns the files written.
    std::vector<std::string> finish();
    int64_t total_bytes() const { return total_bytes_; }

private:
    void flush();
    std::string dir_;
    int64_t shard_bytes_;
    std::map<std::string, std::string> metadata_;
    std::vector<std::pair<std::string, torch::Tensor>> pending_;
    int64_t pending_bytes_ = 0;
    int64_t total_bytes_ = 0;
    std::vector<std::string> shard_tmp_;                    // temporary shard paths, in order
    std::vector<std::vector<std::string>> shard_names_;     // tensor names per shard
    std::map<std::string, int> seen_;
    bool finished_ = false;
};

struct LoadOptions {
    std::string prefix;            // module name "x" is looked up as prefix + "x" in the file(s)
    bool convert_dtype = false;    // false: a dtype differing from the module's is an error
    bool allow_unexpected = false; // true: names in the file the module does not have are ignored
    bool include_buffers = true;   // buffers are checked and loaded like parameters
    std::vector<std::string> allow_missing;  // module names starting with one of these may be absent
    bool check_only = false;       // true: only the checks (the module may live on the meta device)
    // Called after each tensor is copied with the bytes read so far and the total (it may throw to
    // abandon the load, e.g. xs::Cancelled).
    std::function<void(int64_t done_bytes, int64_t total_bytes)> on_progress;
};

struct LoadReport {
    int64_t tensors = 0;
    int64_t bytes = 0;  // bytes read from the files
};

// Checks every parameter and buffer of `module` against the file(s): missing names, unexpected names
// (under the prefix), shape and dtype mismatches are all collected and reported in ONE xs::Error
// (listing up to 20 of each kind, with counts). Only when everything matches are the values copied
// (under no-grad, converting device, and dtype when allowed).
LoadReport load_weights(torch::nn::Module& module, const SafeTensorsSet& weights, const LoadOptions& options = {});

}  // namespace xs::xsam
