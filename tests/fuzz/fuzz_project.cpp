// libFuzzer target: the project file (core/io/project_file: project_from_json).
// Invariant on accepted files: writing the project and reading it back gives the same document
// (project_to_json is deterministic, so the second write must equal the first byte for byte).
#include <cstddef>
#include <cstdint>
#include <string>

#include "core/io/project_file.h"
#include "tests/fuzz/fuzz_common.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    const std::string text(reinterpret_cast<const char*>(data), size);
    xs::Project p;
    if (!xs::fuzz::accepts([&] { p = xs::project_from_json(text, "fuzz.xsproj.json"); })) return 0;
    std::string once;
    XS_FUZZ_REQUIRE(xs::fuzz::accepts([&] { once = xs::project_to_json(p); }), "an accepted project cannot be written");
    xs::Project q;
    XS_FUZZ_REQUIRE(xs::fuzz::accepts([&] { q = xs::project_from_json(once, "again.xsproj.json"); }),
                    "a written project is rejected on reading");
    XS_FUZZ_REQUIRE(xs::project_to_json(q) == once, "the project changed on a write/read round trip");
    return 0;
}
