// libFuzzer target: the torch.save checkpoint reader (core/xsam/weights/checkpoint.cpp: TorchCheckpointReader):
// the zip archive index (LibTorch's caffe2 PyTorchStreamReader), the data.pkl unpickling and the
// per-tensor record reads and bounds checks. LibTorch itself is NOT instrumented (it is Debian's
// build): libFuzzer gets coverage only from our code, and ASan sees LibTorch's memory errors only
// where they reach intercepted functions (memcpy, malloc/free) or crash. The input is written to a
// file (the reader takes a path) in a per-process scratch file under /dev/shm (or TMPDIR).
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "core/xsam/weights/checkpoint.h"
#include "tests/fuzz/fuzz_common.h"

namespace {

std::string scratch_path() {
    const char* dir = std::getenv("XS_FUZZ_TMP");
    std::string d = dir ? dir : (access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp");
    return d + "/xs-fuzz-checkpoint-" + std::to_string(getpid()) + ".pt";
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    static const std::string path = scratch_path();
    FILE* f = std::fopen(path.c_str(), "wb");
    if (!f) xs::fuzz::finding("cannot write the scratch file " + path);
    if (size) std::fwrite(data, 1, size, f);
    std::fclose(f);
    xs::fuzz::accepts([&] {
        xs::xsam::TorchCheckpointReader reader(path);
        for (size_t i = 0; i < reader.tensors().size(); ++i) {
            const auto& info = reader.tensors()[i];
            // Storage sizes come from the pickle; the record must hold them, so no read can be
            // larger than the input.
            XS_FUZZ_REQUIRE(info.storage_bytes >= 0, "negative storage size");
            xs::fuzz::accepts([&] { (void)reader.load(i); });
        }
    });
    return 0;
}
