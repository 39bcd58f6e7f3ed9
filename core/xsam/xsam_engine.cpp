#include "core/xsam/xsam_engine_factory.h"

#include "core/util/error.h"

namespace xs {

void register_xsam_engine(EngineRegistry& registry) {
    registry.add("xsam", "X-SAM (SAM-L + SigLIP2 + Phi-3) segmentation MLLM on LibTorch: every task",
                 [](const EngineOptions&) -> std::unique_ptr<Engine> {
                     throw Error("the X-SAM engine is not available yet in this build (model modules missing)");
                 });
}

void write_random_xsam_model(const std::string&, const std::string&, uint64_t, const std::string&) {
    throw Error("init-random-weights is not available yet in this build (model modules missing)");
}

}  // namespace xs
