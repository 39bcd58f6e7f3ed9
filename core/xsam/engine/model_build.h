#pragma once
// Building the X-SAM model: the one place that turns a config and a source of weights into a module.
// The engine, the random-weight model writer and (through the engine) the benchmarks all come here:
//
//   XsamConfig cfg = load_config(find_model_config(dir));
//   SafeTensorsSet weights = SafeTensorsSet::open(dir);
//   ModelBuild b;
//   b.weight_dtype = torch::kBFloat16;
//   b.weights = &weights;          // nullptr: seeded random weights (init_random_parameters)
//   XsamModel m = build_model(cfg, b);
//
// Progress goes to report_load_progress() (core/engine/load_progress.h) as the weights are read.
#include <torch/torch.h>

#include <cstdint>
#include <string>

#include "core/xsam/model/config.h"
#include "core/xsam/model/xsam_model.h"
#include "core/xsam/weights/safetensors.h"

namespace xs::xsam {

struct ModelBuild {
    torch::ScalarType weight_dtype = torch::kFloat32;
    torch::ScalarType compute_dtype = torch::kFloat32;  // the layout below is for fp32 compute only
    torch::Device device = torch::kCPU;       // where the built model ends up
    const SafeTensorsSet* weights = nullptr;  // nullptr: seeded random weights
    uint64_t seed = 0;                        // random weights only
    // Inference form: eval(), and for fp32 compute on the CPU the LLM's projections in [in, out] layout
    // (same values, faster OpenBLAS products; XS_CPU_WEIGHT_LAYOUT=checkpoint keeps [out, in]; oneDNN's
    // bf16 products gain nothing from it). Off for a model whose parameters are written back to files.
    bool for_inference = true;
};

// Builds the model of `config` on the CPU in b.weight_dtype, fills it (the weights, converted to that
// dtype; or random values) and moves it to b.device. Weights are checked first: a tensor the model does
// not have (apart from checkpoint_unused_entries()), a missing one, or a shape mismatch is one
// xs::Error listing them.
XsamModel build_model(const XsamConfig& config, const ModelBuild& b);

// The config file of a model folder (`dir`/config.json) or `dir` itself when it is a *.json file.
std::string find_model_config(const std::string& dir);

// The SentencePiece file that goes with a bare config file (random weights): the config's "tokenizer"
// field (relative to the config), else <config stem>.tokenizer.model next to it
// (models/xsam-tiny.json -> models/xsam-tiny.tokenizer.model). "" when that file does not exist.
std::string config_tokenizer_path(const std::string& config_path, const XsamConfig& config);

// The dtype weights are kept in on the CPU by default: the file's (looked up on the LLM head, else the
// first tensor) when it is bf16, else fp32.
torch::ScalarType file_weight_dtype(const SafeTensorsSet& weights);

}  // namespace xs::xsam
