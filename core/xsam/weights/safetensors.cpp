// Safetensors reader, writer and strict module loader: see safetensors.h.
#include "core/xsam/weights/safetensors.h"

#include "core/util/error.h"
#include "core/xsam/weights/safetensors_header.h"

#include <nlohmann/json.hpp>

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

namespace fs = std::filesystem;

namespace xs::xsam {

namespace {

std::string join_limited(const std::vector<std::string>& items, size_t limit = 20) {
    std::string s;
    for (size_t i = 0; i < items.size() && i < limit; ++i) s += (i ? ", " : "") + items[i];
    if (items.size() > limit) s += ", ... (" + std::to_string(items.size() - limit) + " more)";
    return s;
}

std::string shape_str(c10::IntArrayRef s) {
    std::string r = "[";
    for (size_t i = 0; i < s.size(); ++i) r += (i ? ", " : "") + std::to_string(s[i]);
    return r + "]";
}

int64_t element_size(torch::ScalarType t) { return static_cast<int64_t>(c10::elementSize(t)); }

}  // namespace

torch::ScalarType safetensors_dtype(const std::string& code) {
    static const std::map<std::string, torch::ScalarType> table = {
        {"F64", torch::kDouble}, {"F32", torch::kFloat},  {"F16", torch::kHalf}, {"BF16", torch::kBFloat16},
        {"I64", torch::kLong},   {"I32", torch::kInt},    {"I16", torch::kShort}, {"I8", torch::kChar},
        {"U8", torch::kByte},    {"BOOL", torch::kBool}};
    auto it = table.find(code);
    if (it == table.end()) throw Error("unsupported safetensors dtype \"" + code + "\"");
    return it->second;
}

std::string safetensors_dtype_code(torch::ScalarType t) {
    switch (t) {
        case torch::kDouble: return "F64";
        case torch::kFloat: return "F32";
        case torch::kHalf: return "F16";
        case torch::kBFloat16: return "BF16";
        case torch::kLong: return "I64";
        case torch::kInt: return "I32";
        case torch::kShort: return "I16";
        case torch::kChar: return "I8";
        case torch::kByte: return "U8";
        case torch::kBool: return "BOOL";
        default: throw Error(std::string("dtype ") + c10::toString(t) + " cannot be stored in safetensors");
    }
}

// ---- reader ----

struct SafeTensorsFile::Mapping {
    void* addr = nullptr;
    size_t size = 0;
    ~Mapping() {
        if (addr && size) munmap(addr, size);
    }
};

SafeTensorsFile::SafeTensorsFile(const std::string& path) : path_(path), map_(std::make_shared<Mapping>()) {
    auto fail = [&](const std::string& m) -> void { throw Error(path + ": " + m); };
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) fail(std::string("cannot open: ") + std::strerror(errno));
    struct stat st {};
    if (fstat(fd, &st) != 0) {
        ::close(fd);
        fail(std::string("cannot stat: ") + std::strerror(errno));
    }
    const uint64_t size = static_cast<uint64_t>(st.st_size);
    if (size < 8) {
        ::close(fd);
        fail("not a safetensors file: " + std::to_string(size) + " bytes, shorter than the 8-byte header length");
    }
    void* addr = mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
    ::close(fd);
    if (addr == MAP_FAILED) fail(std::string("cannot map: ") + std::strerror(errno));
    map_->addr = addr;
    map_->size = size;
    // The header is validated without LibTorch (safetensors_header.cpp, also the fuzz target's code).
    SafeTensorsHeader header = parse_safetensors_header(static_cast<const unsigned char*>(addr), size, path);
    data_start_ = header.data_start;
    metadata_ = std::move(header.metadata);
    for (auto& e : header.tensors) {
        SafeTensorInfo info;
        info.name = std::move(e.name);
        info.dtype = safetensors_dtype(e.dtype);
        info.shape = std::move(e.shape);
        info.begin = e.begin;
        info.end = e.end;
        infos_.push_back(std::move(info));
    }
    for (size_t i = 0; i < infos_.size(); ++i) index_[infos_[i].name] = i;
}

SafeTensorsFile::~SafeTensorsFile() = default;

const SafeTensorInfo* SafeTensorsFile::find(const std::string& name) const {
    auto it = index_.find(name);
    return it == index_.end() ? nullptr : &infos_[it->second];
}

torch::Tensor SafeTensorsFile::get(const std::string& name) const {
    const SafeTensorInfo* info = find(name);
    if (!info) throw Error(path_ + ": no tensor named \"" + name + "\"");
    char* base = static_cast<char*>(map_->addr) + data_start_ + info->begin;
    auto opts = torch::TensorOptions().dtype(info->dtype).device(torch::kCPU);
    const auto es = static_cast<uintptr_t>(element_size(info->dtype));
    if (reinterpret_cast<uintptr_t>(base) % es != 0) {
        auto t = torch::empty(info->shape, opts);
        if (t.numel() > 0) std::memcpy(t.data_ptr(), base, static_cast<size_t>(info->end - info->begin));
        return t;
    }
    auto keep = map_;  // the deleter keeps the mapping alive
    return torch::from_blob(base, info->shape, [keep](void*) {}, opts);
}

SafeTensorsSet SafeTensorsSet::open(const std::string& path) {
    SafeTensorsSet set;
    set.origin_ = path;
    std::string index_path, single;
    if (fs::is_directory(path)) {
        if (fs::exists(fs::path(path) / "model.safetensors.index.json"))
            index_path = (fs::path(path) / "model.safetensors.index.json").string();
        else if (fs::exists(fs::path(path) / "model.safetensors"))
            single = (fs::path(path) / "model.safetensors").string();
        else
            throw Error(path + ": no model.safetensors.index.json or model.safetensors in this folder");
    } else if (path.size() > 5 && path.substr(path.size() - 5) == ".json") {
        index_path = path;
    } else {
        single = path;
    }
    if (!single.empty()) {
        set.files_.push_back(std::make_shared<SafeTensorsFile>(single));
        for (const auto& i : set.files_[0]->tensors()) set.where_[i.name] = 0;
        return set;
    }
    if (fs::is_directory(index_path)) throw Error(index_path + ": is a folder, not a safetensors index");
    std::ifstream in(index_path);
    if (!in) throw Error(index_path + ": cannot open");
    nlohmann::json idx;
    try {
        in >> idx;
    } catch (const std::exception& e) {
        throw Error(index_path + ": not valid JSON: " + e.what());
    }
    if (!idx.is_object() || !idx.contains("weight_map") || !idx["weight_map"].is_object())
        throw Error(index_path + ": missing object \"weight_map\"");
    const fs::path dir = fs::path(index_path).parent_path();
    std::map<std::string, size_t> file_index;
    for (auto it = idx["weight_map"].begin(); it != idx["weight_map"].end(); ++it) {
        if (!it.value().is_string()) throw Error(index_path + ": weight_map[\"" + it.key() + "\"] is not a string");
        const std::string file = it.value().get<std::string>();
        if (file.find('/') != std::string::npos || file.find("..") != std::string::npos)
            throw Error(index_path + ": weight_map[\"" + it.key() + "\"] names a file outside the folder: " + file);
        auto f = file_index.find(file);
        if (f == file_index.end()) {
            set.files_.push_back(std::make_shared<SafeTensorsFile>((dir / file).string()));
            f = file_index.emplace(file, set.files_.size() - 1).first;
        }
        if (!set.files_[f->second]->find(it.key()))
            throw Error(index_path + ": weight_map says \"" + it.key() + "\" is in " + file + ", but that file has no such tensor");
        set.where_[it.key()] = f->second;
    }
    // Every tensor of every shard must be listed (an unlisted tensor means a stale or mixed folder).
    for (const auto& [file, i] : file_index)
        for (const auto& t : set.files_[i]->tensors())
            if (!set.where_.count(t.name))
                throw Error(index_path + ": " + file + " holds \"" + t.name + "\", which the weight_map does not list");
    return set;
}

std::vector<std::string> SafeTensorsSet::names() const {
    std::vector<std::string> r;
    for (const auto& [n, i] : where_) r.push_back(n);
    return r;
}

const SafeTensorInfo& SafeTensorsSet::info(const std::string& name) const {
    auto it = where_.find(name);
    if (it == where_.end()) throw Error(origin_ + ": no tensor named \"" + name + "\"");
    return *files_[it->second]->find(name);
}

torch::Tensor SafeTensorsSet::get(const std::string& name) const {
    auto it = where_.find(name);
    if (it == where_.end()) throw Error(origin_ + ": no tensor named \"" + name + "\"");
    return files_[it->second]->get(name);
}

// ---- writer ----

void write_safetensors(const std::string& path, const std::vector<std::pair<std::string, torch::Tensor>>& tensors,
                       const std::map<std::string, std::string>& metadata) {
    nlohmann::ordered_json header = nlohmann::ordered_json::object();
    if (!metadata.empty()) {
        nlohmann::ordered_json m = nlohmann::ordered_json::object();
        for (const auto& [k, v] : metadata) m[k] = v;
        header["__metadata__"] = m;
    }
    std::vector<torch::Tensor> data;
    std::set<std::string> names;
    uint64_t offset = 0;
    for (const auto& [name, t] : tensors) {
        if (name.empty() || name == "__metadata__") throw Error(path + ": invalid tensor name \"" + name + "\"");
        if (!names.insert(name).second) throw Error(path + ": tensor \"" + name + "\" given twice");
        auto c = t.detach().to(torch::kCPU).contiguous();
        const uint64_t nbytes = static_cast<uint64_t>(c.numel()) * static_cast<uint64_t>(c.element_size());
        nlohmann::ordered_json e;
        e["dtype"] = safetensors_dtype_code(c.scalar_type());
        e["shape"] = c.sizes().vec();
        e["data_offsets"] = {offset, offset + nbytes};
        header[name] = e;
        offset += nbytes;
        data.push_back(c);
    }
    std::string h = header.dump();
    while ((8 + h.size()) % 8 != 0) h.push_back(' ');  // keep the data section 8-byte aligned
    const std::string tmp = path + ".tmp";
    {
        std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
        if (!out) throw Error(tmp + ": cannot write");
        unsigned char len[8];
        uint64_t n = h.size();
        for (int i = 0; i < 8; ++i) len[i] = static_cast<unsigned char>((n >> (8 * i)) & 0xff);
        out.write(reinterpret_cast<const char*>(len), 8);
        out.write(h.data(), static_cast<std::streamsize>(h.size()));
        for (const auto& c : data)
            if (c.numel() > 0)
                out.write(static_cast<const char*>(c.data_ptr()), static_cast<std::streamsize>(c.numel() * c.element_size()));
        out.flush();
        if (!out) throw Error(tmp + ": write failed (disk full?)");
    }
    std::error_code ec;
    fs::rename(tmp, path, ec);
    if (ec) throw Error(path + ": cannot rename the temporary file: " + ec.message());
}

ShardedSafeTensorsWriter::ShardedSafeTensorsWriter(std::string dir, int64_t shard_bytes,
                                                   std::map<std::string, std::string> metadata)
    : dir_(std::move(dir)), shard_bytes_(std::max<int64_t>(shard_bytes, 1)), metadata_(std::move(metadata)) {
    std::error_code ec;
    fs::create_directories(dir_, ec);
    if (!fs::is_directory(dir_)) throw Error(dir_ + ": cannot create the output folder");
}

void ShardedSafeTensorsWriter::add(const std::string& name, const torch::Tensor& t) {
    if (finished_) throw Error("ShardedSafeTensorsWriter: add after finish");
    if (seen_.count(name)) throw Error(dir_ + ": tensor \"" + name + "\" given twice");
    seen_[name] = 1;
    const int64_t nbytes = t.numel() * static_cast<int64_t>(t.element_size());
    if (!pending_.empty() && pending_bytes_ + nbytes > shard_bytes_) flush();
    pending_.emplace_back(name, t.detach().to(torch::kCPU).contiguous());
    pending_bytes_ += nbytes;
    total_bytes_ += nbytes;
}

void ShardedSafeTensorsWriter::flush() {
    if (pending_.empty()) return;
    const std::string tmp = (fs::path(dir_) / ("shard-" + std::to_string(shard_tmp_.size()) + ".partial")).string();
    write_safetensors(tmp, pending_, {{"format", "pt"}});
    shard_tmp_.push_back(tmp);
    std::vector<std::string> names;
    for (const auto& p : pending_) names.push_back(p.first);
    shard_names_.push_back(std::move(names));
    pending_.clear();
    pending_bytes_ = 0;
}

std::vector<std::string> ShardedSafeTensorsWriter::finish() {
    if (finished_) throw Error("ShardedSafeTensorsWriter: finish called twice");
    flush();
    finished_ = true;
    const size_t n = shard_tmp_.size();
    std::vector<std::string> files;
    nlohmann::ordered_json weight_map = nlohmann::ordered_json::object();
    for (size_t i = 0; i < n; ++i) {
        char name[64];
        if (n == 1)
            std::snprintf(name, sizeof name, "model.safetensors");
        else
            std::snprintf(name, sizeof name, "model-%05zu-of-%05zu.safetensors", i + 1, n);
        const std::string final_path = (fs::path(dir_) / name).string();
        std::error_code ec;
        fs::rename(shard_tmp_[i], final_path, ec);
        if (ec) throw Error(final_path + ": cannot rename: " + ec.message());
        files.push_back(final_path);
        for (const auto& t : shard_names_[i]) weight_map[t] = name;
    }
    nlohmann::ordered_json index;
    nlohmann::ordered_json meta = nlohmann::ordered_json::object();
    meta["total_size"] = total_bytes_;
    for (const auto& [k, v] : metadata_) meta[k] = v;
    index["metadata"] = meta;
    index["weight_map"] = weight_map;
    const std::string index_path = (fs::path(dir_) / "model.safetensors.index.json").string();
    {
        std::ofstream out(index_path + ".tmp", std::ios::trunc);
        out << index.dump(2) << "\n";
        if (!out) throw Error(index_path + ": write failed");
    }
    fs::rename(index_path + ".tmp", index_path);
    files.push_back(index_path);
    return files;
}

// ---- loader ----

LoadReport load_weights(torch::nn::Module& module, const SafeTensorsSet& weights, const LoadOptions& options) {
    std::vector<std::pair<std::string, torch::Tensor>> targets;
    for (auto& p : module.named_parameters(true)) targets.emplace_back(p.key(), p.value());
    if (options.include_buffers)
        for (auto& b : module.named_buffers(true)) targets.emplace_back(b.key(), b.value());

    std::vector<std::string> missing, mismatched, unexpected;
    std::set<std::string> wanted;
    for (const auto& [name, t] : targets) {
        const std::string key = options.prefix + name;
        wanted.insert(key);
        if (!weights.contains(key)) {
            bool allowed = false;
            for (const auto& a : options.allow_missing)
                if (name.compare(0, a.size(), a) == 0) allowed = true;
            if (!allowed) missing.push_back(key);
            continue;
        }
        const SafeTensorInfo& info = weights.info(key);
        if (c10::IntArrayRef(info.shape) != t.sizes()) {
            mismatched.push_back(key + " (file " + shape_str(info.shape) + ", model " + shape_str(t.sizes()) + ")");
        } else if (!options.convert_dtype && info.dtype != t.scalar_type()) {
            mismatched.push_back(key + " (file " + safetensors_dtype_code(info.dtype) + ", model " +
                                 c10::toString(t.scalar_type()) + ")");
        }
    }
    if (!options.allow_unexpected) {
        for (const auto& name : weights.names())
            if (name.compare(0, options.prefix.size(), options.prefix) == 0 && !wanted.count(name))
                unexpected.push_back(name);
    }
    if (!missing.empty() || !mismatched.empty() || !unexpected.empty()) {
        std::ostringstream m;
        m << weights.origin() << ": the weights do not match the model";
        if (!options.prefix.empty()) m << " (prefix \"" << options.prefix << "\")";
        m << ":";
        if (!missing.empty()) m << "\n  missing " << missing.size() << ": " << join_limited(missing);
        if (!unexpected.empty()) m << "\n  unexpected " << unexpected.size() << ": " << join_limited(unexpected);
        if (!mismatched.empty()) m << "\n  mismatched " << mismatched.size() << ": " << join_limited(mismatched);
        throw Error(m.str());
    }
    LoadReport report;
    if (options.check_only) {
        for (const auto& [name, t] : targets) {
            const std::string key = options.prefix + name;
            if (!weights.contains(key)) continue;
            const SafeTensorInfo& info = weights.info(key);
            report.tensors += 1;
            report.bytes += static_cast<int64_t>(info.end - info.begin);
        }
        return report;
    }
    torch::NoGradGuard no_grad;
    int64_t total = 0;
    if (options.on_progress)
        for (const auto& [name, t] : targets) {
            const std::string key = options.prefix + name;
            if (weights.contains(key)) {
                const SafeTensorInfo& i = weights.info(key);
                total += static_cast<int64_t>(i.end - i.begin);
            }
        }
    for (auto& [name, t] : targets) {
        const std::string key = options.prefix + name;
        if (!weights.contains(key)) continue;
        auto src = weights.get(key);
        t.copy_(src);
        report.tensors += 1;
        report.bytes += src.numel() * static_cast<int64_t>(src.element_size());
        if (options.on_progress) options.on_progress(report.bytes, total);
    }
    return report;
}

}  // namespace xs::xsam
