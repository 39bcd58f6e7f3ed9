// libFuzzer target: safetensors headers (core/xsam/weights/safetensors_header.cpp, the LibTorch-free part
// of SafeTensorsFile). The input is a whole file. Invariants on accepted headers: every range lies in
// the data section, matches its shape and dtype, and the ranges tile the section.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "core/xsam/weights/safetensors_header.h"
#include "tests/fuzz/fuzz_common.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    xs::xsam::SafeTensorsHeader h;
    if (!xs::fuzz::accepts([&] { h = xs::xsam::parse_safetensors_header(data, size, "fuzz.safetensors"); })) return 0;
    XS_FUZZ_REQUIRE(h.data_start >= 8 && h.data_start <= size, "data_start outside the file");
    const uint64_t data_size = size - h.data_start;
    std::vector<std::pair<uint64_t, uint64_t>> ranges;
    for (const auto& t : h.tensors) {
        XS_FUZZ_REQUIRE(t.begin <= t.end && t.end <= data_size, "range outside the data section");
        uint64_t numel = 1;
        for (int64_t d : t.shape) {
            XS_FUZZ_REQUIRE(d >= 0, "negative dimension");
            numel *= uint64_t(d);
        }
        XS_FUZZ_REQUIRE(numel * uint64_t(t.element_size) == t.end - t.begin, "range size != shape x dtype");
        ranges.emplace_back(t.begin, t.end);
    }
    std::sort(ranges.begin(), ranges.end());
    uint64_t at = 0;
    for (const auto& r : ranges) {
        XS_FUZZ_REQUIRE(r.first == at, "ranges do not tile the data section");
        at = r.second;
    }
    XS_FUZZ_REQUIRE(at == data_size, "ranges do not cover the data section");
    return 0;
}
