#pragma once
// The safetensors header parser, without LibTorch: validates the 8-byte length, the JSON header and
// every tensor entry (see safetensors.h for the layout and the rules). SafeTensorsFile uses it on
// the mapped file; the fuzz target tests/fuzz/fuzz_safetensors.cpp runs it on arbitrary bytes.
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace xs::xsam {

struct SafeTensorsHeaderEntry {
    std::string name;
    std::string dtype;          // the file's code: "F32", "BF16", ...
    int64_t element_size = 0;   // bytes per element of that dtype
    std::vector<int64_t> shape;
    uint64_t begin = 0, end = 0;  // byte offsets in the data section
};

struct SafeTensorsHeader {
    uint64_t data_start = 0;  // 8 + header length
    std::vector<SafeTensorsHeaderEntry> tensors;  // in header order
    std::map<std::string, std::string> metadata;
};

// Bytes per element of a safetensors dtype code (F64 F32 F16 BF16 I64 I32 I16 I8 U8 BOOL); throws
// xs::Error "unsupported safetensors dtype" for others.
int64_t safetensors_element_size(const std::string& code);

// Parses and validates the header of a whole file of `size` bytes at `bytes`. Throws xs::Error
// ("<path>: <problem>") on any violation: short file, implausible or truncated header length,
// invalid JSON, unknown dtype, shape/byte-range mismatch, ranges outside the data section,
// overlapping or gapped ranges.
SafeTensorsHeader parse_safetensors_header(const unsigned char* bytes, uint64_t size, const std::string& path);

}  // namespace xs::xsam
