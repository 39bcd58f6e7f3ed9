// torch.save checkpoint reader and safetensors converter: see checkpoint.h.
#include "core/xsam/weights/checkpoint.h"

#include "core/util/error.h"
#include "core/xsam/weights/pickle_check.h"
#include "core/xsam/weights/safetensors.h"

#include <caffe2/serialize/inline_container.h>
#include <torch/csrc/jit/serialization/unpickler.h>

#include <cstring>
#include <filesystem>
#if defined(__GLIBC__)
#include <malloc.h>
#endif
#include <fstream>

namespace xs::xsam {

namespace {

// While unpickling, each storage gets a placeholder DataPtr whose context names its record; no bytes
// are read. The tensors built on these storages are only inspected for metadata, never dereferenced.
struct StorageKey {
    std::string key;
};

void delete_storage_key(void* p) { delete static_cast<StorageKey*>(p); }

std::string first_line(const std::string& s) {
    auto nl = s.find('\n');
    return nl == std::string::npos ? s : s.substr(0, nl);
}

}  // namespace

TorchCheckpointReader::TorchCheckpointReader(const std::string& path) : path_(path) {
    if (!std::filesystem::is_regular_file(path)) throw Error(path + ": no such file");
    {
        std::ifstream f(path, std::ios::binary);
        char magic[4] = {0, 0, 0, 0};
        f.read(magic, 4);
        if (!(magic[0] == 'P' && magic[1] == 'K')) {
            // The legacy (pre-1.6) torch.save format starts with a pickle protocol byte 0x80.
            if (static_cast<unsigned char>(magic[0]) == 0x80)
                throw Error(path + ": legacy (non-zip) torch.save format; re-save it with a current PyTorch "
                                   "(torch.save(torch.load(f), f2))");
            throw Error(path + ": not a torch.save checkpoint (no zip signature)");
        }
    }
    try {
        reader_ = std::make_unique<caffe2::serialize::PyTorchStreamReader>(path);
    } catch (const c10::Error& e) {
        throw Error(path + ": cannot read the zip archive (truncated or corrupt?): " + first_line(e.what_without_backtrace()));
    }
    if (!reader_->hasRecord("data.pkl")) throw Error(path + ": zip archive has no data.pkl (not a torch.save file)");

    at::DataPtr pickle_ptr;
    size_t pickle_size = 0;
    try {
        std::tie(pickle_ptr, pickle_size) = reader_->getRecord("data.pkl");
    } catch (const c10::Error& e) {
        throw Error(path + ": cannot read data.pkl: " + first_line(e.what_without_backtrace()));
    }
    const char* pickle = static_cast<const char*>(pickle_ptr.get());
    // LibTorch's unpickler allocates whatever lengths and memo indices the stream names: check the
    // stream's structure first (pickle_check.h).
    check_pickle(reinterpret_cast<const unsigned char*>(pickle), pickle_size, path + ": data.pkl");
    size_t pos = 0;
    auto read_bytes = [&](char* buf, size_t n) -> size_t {
        const size_t take = std::min(n, pickle_size - pos);
        std::memcpy(buf, pickle + pos, take);
        pos += take;
        return take;
    };
    auto read_record = [](const std::string& key) -> at::DataPtr {
        auto* holder = new StorageKey{key};
        return at::DataPtr(holder, holder, &delete_storage_key, at::kCPU);
    };
    auto type_resolver = [&](const c10::QualifiedName& qn) -> c10::StrongTypePtr {
        throw Error(path_ + ": the checkpoint contains a Python object of class " + qn.qualifiedName() +
                    "; only dicts of tensors are supported");
    };
    c10::IValue root;
    try {
        torch::jit::Unpickler unpickler(read_bytes, type_resolver, nullptr, read_record, at::Device(at::kCPU));
        root = unpickler.parse_ivalue();
    } catch (const Error&) {
        throw;
    } catch (const c10::Error& e) {
        throw Error(path + ": cannot unpickle data.pkl: " + first_line(e.what_without_backtrace()));
    } catch (const std::exception& e) {
        throw Error(path + ": cannot unpickle data.pkl: " + first_line(e.what()));
    }
    if (!root.isGenericDict()) throw Error(path + ": the checkpoint is a " + root.tagKind() + ", not a dict of tensors");
    auto dict = root.toGenericDict();
    for (const char* nested : {"state_dict", "module", "model"}) {
        auto it = dict.find(c10::IValue(std::string(nested)));
        if (it != dict.end() && it->value().isGenericDict()) {
            dict = it->value().toGenericDict();
            break;
        }
    }
    for (const auto& entry : dict) {
        if (!entry.key().isString()) {
            skipped_.push_back("(a non-string key)");
            continue;
        }
        const std::string name = entry.key().toStringRef();
        if (!entry.value().isTensor()) {
            skipped_.push_back(name + " (" + entry.value().tagKind() + ")");
            continue;
        }
        const at::Tensor& t = entry.value().toTensor();
        const auto& storage = t.storage();
        auto* holder = static_cast<StorageKey*>(storage.data_ptr().get_context());
        if (holder == nullptr || storage.data_ptr().get_deleter() != &delete_storage_key)
            throw Error(path + ": tensor \"" + name + "\" has no storage record");
        CheckpointTensorInfo info;
        info.name = name;
        info.dtype = t.scalar_type();
        info.shape = t.sizes().vec();
        info.strides = t.strides().vec();
        info.storage_offset = t.storage_offset();
        info.storage_key = holder->key;
        info.storage_bytes = static_cast<int64_t>(storage.nbytes());
        infos_.push_back(std::move(info));
    }
}

TorchCheckpointReader::~TorchCheckpointReader() = default;

torch::Tensor TorchCheckpointReader::load(size_t i) {
    const CheckpointTensorInfo& info = infos_.at(i);
    at::DataPtr data;
    size_t size = 0;
    try {
        std::tie(data, size) = reader_->getRecord("data/" + info.storage_key);
    } catch (const c10::Error& e) {
        throw Error(path_ + ": cannot read the data of \"" + info.name + "\" (record data/" + info.storage_key +
                    "; file truncated?): " + first_line(e.what_without_backtrace()));
    }
    if (static_cast<int64_t>(size) != info.storage_bytes)
        throw Error(path_ + ": record data/" + info.storage_key + " of \"" + info.name + "\" has " + std::to_string(size) +
                    " bytes, expected " + std::to_string(info.storage_bytes));
    // Bounds of the view inside its storage.
    const int64_t es = static_cast<int64_t>(c10::elementSize(info.dtype));
    int64_t max_index = info.storage_offset;
    bool empty = false;
    for (size_t d = 0; d < info.shape.size(); ++d) {
        if (info.shape[d] == 0) empty = true;
        else max_index += (info.shape[d] - 1) * info.strides[d];
    }
    if (empty) return torch::empty(info.shape, torch::TensorOptions().dtype(info.dtype));
    if ((max_index + 1) * es > info.storage_bytes)
        throw Error(path_ + ": \"" + info.name + "\" reaches past the end of its storage");
    auto owner = std::make_shared<at::DataPtr>(std::move(data));
    auto storage_tensor = torch::from_blob(owner->get(), {info.storage_bytes / es}, [owner](void*) {},
                                           torch::TensorOptions().dtype(info.dtype));
    auto view = storage_tensor.as_strided(info.shape, info.strides, info.storage_offset);
    // Own exactly the tensor's bytes (a view of a shared storage must not keep the whole storage).
    const int64_t numel = view.numel();
    if (view.is_contiguous() && info.storage_offset == 0 && numel * es == info.storage_bytes) return view;
    return view.contiguous().clone();
}

ConvertReport convert_checkpoint(const std::string& checkpoint, const std::string& out_dir, int64_t shard_bytes,
                                 const std::function<void(size_t, size_t, const std::string&)>& progress) {
#if defined(__GLIBC__)
    // Large buffers (tensor records, shards) go straight to mmap and back to the system when freed;
    // with glibc's adaptive threshold, freed 16-100 MB records stayed in the heap and the resident
    // size grew towards the checkpoint's size (measured: 863 MB for an 805 MB file, 191 MB with this).
    mallopt(M_MMAP_THRESHOLD, 4 << 20);
#endif
    TorchCheckpointReader reader(checkpoint);
    if (reader.tensors().empty()) throw Error(checkpoint + ": the checkpoint holds no tensors");
    ConvertReport report;
    report.skipped = reader.skipped();
    ShardedSafeTensorsWriter writer(out_dir, shard_bytes,
                                    {{"source", std::filesystem::path(checkpoint).filename().string()}});
    const size_t n = reader.tensors().size();
    for (size_t i = 0; i < n; ++i) {
        auto t = reader.load(i);
        writer.add(reader.tensors()[i].name, t);
        report.tensors += 1;
        report.bytes += t.numel() * static_cast<int64_t>(t.element_size());
        if (progress) progress(i + 1, n, reader.tensors()[i].name);
    }
    report.files = writer.finish();
    return report;
}

}  // namespace xs::xsam
