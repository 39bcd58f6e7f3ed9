// Building the X-SAM model from a config and weights (see model_build.h).
#include "core/xsam/engine/model_build.h"

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <set>
#include <vector>

#include "core/engine/load_progress.h"
#include "core/util/error.h"

namespace fs = std::filesystem;

namespace xs::xsam {

namespace {

// The checkpoint carries a few entries no module reads; anything else the model lacks is an error.
void check_no_unexpected(XsamModel& model, const XsamConfig& config, const SafeTensorsSet& weights) {
    std::set<std::string> module_names;
    for (const auto& p : model->named_parameters()) module_names.insert(p.key());
    for (const auto& b : model->named_buffers()) module_names.insert(b.key());
    std::set<std::string> unused;
    for (const auto& e : checkpoint_unused_entries(config)) unused.insert(e.first);
    std::vector<std::string> unexpected;
    for (const std::string& n : weights.names())
        if (!module_names.count(n) && !unused.count(n)) unexpected.push_back(n);
    if (unexpected.empty()) return;
    std::string list;
    for (size_t i = 0; i < unexpected.size() && i < 20; ++i) list += (i ? ", " : "") + unexpected[i];
    throw Error("X-SAM weights in '" + weights.origin() + "' have " + std::to_string(unexpected.size()) +
                " unexpected tensor(s): " + list);
}

void load_with_progress(XsamModel& model, const SafeTensorsSet& weights) {
    LoadOptions lo;
    lo.convert_dtype = true;
    lo.allow_unexpected = true;  // checked above, with the unused entries allowed
    // Per tensor, shown in steps of 1% (the GUI's bar and its Cancel button follow).
    int last_percent = -1;
    lo.on_progress = [&last_percent](int64_t done, int64_t total) {
        const int percent = total > 0 ? int(100.0 * double(done) / double(total)) : 100;
        if (percent == last_percent) return;
        last_percent = percent;
        char text[96];
        std::snprintf(text, sizeof text, "reading the weights (%.1f of %.1f GB)", double(done) / 1e9,
                      double(total) / 1e9);
        report_load_progress(0.3 + 0.6 * double(percent) / 100.0, text);
    };
    load_weights(*model, weights, lo);
}

}  // namespace

XsamModel build_model(const XsamConfig& config, const ModelBuild& b) {
    torch::NoGradGuard no_grad;
    report_load_progress(0.1, "building the model");
    XsamModel model(config, torch::TensorOptions().dtype(b.weight_dtype).device(torch::kCPU));
    if (b.weights) {
        check_no_unexpected(model, config, *b.weights);
        report_load_progress(0.3, "reading the weights");
        load_with_progress(model, *b.weights);
    } else {
        init_random_parameters(*model, b.seed);
    }
    report_load_progress(0.9, "moving the model to " + b.device.str());
    model->to(b.device);
    if (b.for_inference) {
        model->eval();
        const char* layout = std::getenv("XS_CPU_WEIGHT_LAYOUT");
        if (b.device.is_cpu() && b.compute_dtype == torch::kFloat32 && !(layout && std::string(layout) == "checkpoint") &&
            model->llm)
            model->llm->use_input_major_layout();
    }
    return model;
}

std::string find_model_config(const std::string& dir) {
    if (fs::is_regular_file(dir) && fs::path(dir).extension() == ".json") return dir;
    if (!fs::is_directory(dir)) throw Error("X-SAM model folder '" + dir + "' does not exist");
    if (fs::exists(fs::path(dir) / "config.json")) return (fs::path(dir) / "config.json").string();
    throw Error("X-SAM model folder '" + dir + "' has no config.json");
}

std::string config_tokenizer_path(const std::string& config_path, const XsamConfig& config) {
    const fs::path cp(config_path);
    const std::string named = config.raw.value("tokenizer", std::string());
    const fs::path tok = named.empty() ? cp.parent_path() / (cp.stem().string() + ".tokenizer.model")
                                       : cp.parent_path() / named;
    return fs::is_regular_file(tok) ? tok.string() : std::string();
}

torch::ScalarType file_weight_dtype(const SafeTensorsSet& weights) {
    const std::vector<std::string> names = weights.names();
    if (names.empty()) throw Error("X-SAM weights in '" + weights.origin() + "' hold no tensor");
    const std::string probe = weights.contains("llm.lm_head.weight") ? "llm.lm_head.weight" : names.front();
    const torch::ScalarType t = weights.info(probe).dtype;
    return t == torch::kBFloat16 ? t : torch::kFloat32;
}

}  // namespace xs::xsam
