// libFuzzer target: the structural pickle check (core/xsam/weights/pickle_check.cpp) that every torch.save
// archive's data.pkl passes before LibTorch's unpickler reads it. Invariants on accepted input: the
// walk built at most one value per opcode, each opcode took at least one byte, the memo holds at most
// one entry per opcode, and the result nests within the limit.
#include <cstddef>
#include <cstdint>

#include "core/xsam/weights/pickle_check.h"
#include "tests/fuzz/fuzz_common.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    xs::xsam::PickleSummary s;
    if (!xs::fuzz::accepts([&] { s = xs::xsam::check_pickle(data, size, "fuzz.pkl", 16); })) return 0;
    XS_FUZZ_REQUIRE(s.opcodes >= 1 && s.opcodes <= size, "opcode count");
    XS_FUZZ_REQUIRE(s.objects <= s.opcodes, "more values than opcodes");
    XS_FUZZ_REQUIRE(s.memo_size <= s.opcodes, "more memo entries than opcodes");
    XS_FUZZ_REQUIRE(s.depth >= 1 && s.depth <= 16, "depth outside 1..16");
    XS_FUZZ_REQUIRE(s.protocol >= 0 && s.protocol <= 5, "protocol");
    return 0;
}
