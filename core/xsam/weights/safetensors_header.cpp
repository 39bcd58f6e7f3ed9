// Safetensors header validation without LibTorch: see safetensors_header.h.
#include "core/xsam/weights/safetensors_header.h"

#include "core/util/error.h"

#include <nlohmann/json.hpp>

#include <algorithm>

namespace xs::xsam {

namespace {

constexpr uint64_t kMaxHeader = 100ull << 20;  // the Python implementation's limit

std::string shape_str(const std::vector<int64_t>& s) {
    std::string r = "[";
    for (size_t i = 0; i < s.size(); ++i) r += (i ? ", " : "") + std::to_string(s[i]);
    return r + "]";
}

}  // namespace

int64_t safetensors_element_size(const std::string& code) {
    static const std::map<std::string, int64_t> table = {{"F64", 8}, {"F32", 4}, {"F16", 2}, {"BF16", 2},
                                                         {"I64", 8}, {"I32", 4}, {"I16", 2}, {"I8", 1},
                                                         {"U8", 1},  {"BOOL", 1}};
    auto it = table.find(code);
    if (it == table.end()) throw Error("unsupported safetensors dtype \"" + code + "\"");
    return it->second;
}

SafeTensorsHeader parse_safetensors_header(const unsigned char* bytes, uint64_t size, const std::string& path) {
    auto fail = [&](const std::string& m) -> void { throw Error(path + ": " + m); };
    if (size < 8)
        fail("not a safetensors file: " + std::to_string(size) + " bytes, shorter than the 8-byte header length");
    uint64_t n = 0;
    for (int i = 7; i >= 0; --i) n = (n << 8) | bytes[i];
    if (n > kMaxHeader) fail("header length " + std::to_string(n) + " is implausible (file truncated or not safetensors)");
    if (8 + n > size)
        fail("truncated: header of " + std::to_string(n) + " bytes but the file has " + std::to_string(size) + " bytes");
    SafeTensorsHeader h;
    h.data_start = 8 + n;
    const uint64_t data_size = size - h.data_start;

    nlohmann::json header;
    try {
        header = nlohmann::json::parse(reinterpret_cast<const char*>(bytes + 8), reinterpret_cast<const char*>(bytes + 8 + n));
    } catch (const std::exception& e) {
        fail(std::string("header is not valid JSON: ") + e.what());
    }
    if (!header.is_object()) fail("header is not a JSON object");

    for (auto it = header.begin(); it != header.end(); ++it) {
        const std::string& key = it.key();
        const auto& v = it.value();
        if (key == "__metadata__") {
            if (!v.is_object()) fail("__metadata__ is not an object");
            for (auto m = v.begin(); m != v.end(); ++m) {
                if (!m.value().is_string()) fail("__metadata__." + m.key() + " is not a string");
                h.metadata[m.key()] = m.value().get<std::string>();
            }
            continue;
        }
        const std::string where = "tensor \"" + key + "\"";
        if (!v.is_object()) fail(where + ": entry is not an object");
        if (!v.contains("dtype") || !v["dtype"].is_string()) fail(where + ": missing string field dtype");
        if (!v.contains("shape") || !v["shape"].is_array()) fail(where + ": missing array field shape");
        if (!v.contains("data_offsets") || !v["data_offsets"].is_array() || v["data_offsets"].size() != 2)
            fail(where + ": data_offsets must be [begin, end]");
        SafeTensorsHeaderEntry info;
        info.name = key;
        info.dtype = v["dtype"].get<std::string>();
        try {
            info.element_size = safetensors_element_size(info.dtype);
        } catch (const Error& e) {
            fail(where + ": " + e.what());
        }
        uint64_t numel = 1;
        for (const auto& d : v["shape"]) {
            if (!d.is_number_unsigned()) fail(where + ": shape entries must be non-negative integers");
            const uint64_t x = d.get<uint64_t>();
            if (x != 0 && numel > (uint64_t(1) << 62) / x) fail(where + ": shape overflows");
            numel *= x;
            info.shape.push_back(static_cast<int64_t>(x));
        }
        for (const auto& o : v["data_offsets"])
            if (!o.is_number_unsigned()) fail(where + ": data_offsets must be non-negative integers");
        info.begin = v["data_offsets"][0].get<uint64_t>();
        info.end = v["data_offsets"][1].get<uint64_t>();
        if (info.end < info.begin) fail(where + ": data_offsets end < begin");
        const uint64_t want = numel * static_cast<uint64_t>(info.element_size);
        if (info.end - info.begin != want)
            fail(where + ": " + info.dtype + " " + shape_str(info.shape) + " needs " + std::to_string(want) +
                 " bytes but data_offsets span " + std::to_string(info.end - info.begin));
        if (info.end > data_size)
            fail("truncated: " + where + " ends at byte " + std::to_string(info.end) + " of the data section, which has " +
                 std::to_string(data_size) + " bytes");
        h.tensors.push_back(std::move(info));
    }
    // The ranges must tile the data section: sorted by begin, each starting where the previous ended.
    std::vector<const SafeTensorsHeaderEntry*> order;
    for (const auto& i : h.tensors) order.push_back(&i);
    std::sort(order.begin(), order.end(),
              [](auto* a, auto* b) { return a->begin < b->begin || (a->begin == b->begin && a->end < b->end); });
    uint64_t at = 0;
    for (const auto* i : order) {
        if (i->begin != at)
            fail("tensor \"" + i->name + "\" starts at byte " + std::to_string(i->begin) + ", expected " + std::to_string(at) +
                 " (overlapping or gapped data_offsets)");
        at = i->end;
    }
    if (at != data_size)
        fail("data section has " + std::to_string(data_size) + " bytes but the tensors cover " + std::to_string(at));
    return h;
}

}  // namespace xs::xsam
