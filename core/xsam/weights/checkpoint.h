#pragma once
// Reading a PyTorch `torch.save` checkpoint (the zip format: archive/data.pkl + archive/data/<key>) with
// LibTorch's own zip reader and unpickler, one tensor at a time, and converting it to safetensors
// shards in the Hugging Face layout. The pickle is parsed without loading any tensor data; each
// tensor's bytes are read from its zip record only when asked, so a 9 GB checkpoint converts with
// about one shard of memory.
#include <torch/torch.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace caffe2::serialize {
class PyTorchStreamReader;
}

namespace xs::xsam {

struct CheckpointTensorInfo {
    std::string name;
    torch::ScalarType dtype = torch::kFloat;
    std::vector<int64_t> shape;
    std::vector<int64_t> strides;
    int64_t storage_offset = 0;  // in elements
    std::string storage_key;     // record "data/<key>" in the archive
    int64_t storage_bytes = 0;
};

class TorchCheckpointReader {
public:
    // Opens the zip and unpickles the state dict's structure. Accepts a dict of tensors at the top
    // level, or nested under "state_dict" / "module" / "model" (as xtuner's loader does). Throws
    // xs::Error for files that are not torch.save zip archives, truncated archives, pickles that are
    // not a dict of tensors. Non-tensor entries are listed in skipped().
    explicit TorchCheckpointReader(const std::string& path);
    ~TorchCheckpointReader();

    const std::string& path() const { return path_; }
    const std::vector<CheckpointTensorInfo>& tensors() const { return infos_; }
    const std::vector<std::string>& skipped() const { return skipped_; }
    // Reads tensor i (a contiguous CPU tensor owning its memory).
    torch::Tensor load(size_t i);

private:
    std::string path_;
    std::unique_ptr<caffe2::serialize::PyTorchStreamReader> reader_;
    std::vector<CheckpointTensorInfo> infos_;
    std::vector<std::string> skipped_;
};

struct ConvertReport {
    int64_t tensors = 0;
    int64_t bytes = 0;
    std::vector<std::string> files;    // shards, then the index
    std::vector<std::string> skipped;  // non-tensor entries of the checkpoint
};

// Converts `checkpoint` (torch.save zip) into `out_dir` (created if needed): safetensors shards of about
// shard_bytes each plus model.safetensors.index.json. Tensors keep their names and dtypes.
// `progress(done, total, name)` is called after each tensor when given.
ConvertReport convert_checkpoint(const std::string& checkpoint, const std::string& out_dir, int64_t shard_bytes,
                                 const std::function<void(size_t, size_t, const std::string&)>& progress = nullptr);

}  // namespace xs::xsam
