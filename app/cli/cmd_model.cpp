// xsam-cli model-info: builds an X-SAM model from a config on the meta device (no weights allocated)
// and prints its parameter count, per-prefix counts and optionally every name and shape.
#include <iostream>

#include <nlohmann/json.hpp>

#include "app/cli/command.h"
#include "core/util/error.h"
#include "core/xsam/config.h"
#include "core/xsam/xsam_model.h"

namespace {

int run_model_info(xs::cli::Args& args) {
    const std::string config_path = args.require("config");
    const bool keys = args.take_flag("keys");
    const bool no_llm = args.take_flag("no-llm");
    if (!args.positionals().empty()) throw xs::Error("model-info takes no positional arguments");

    const auto cfg = xs::xsam::load_config(config_path);
    const auto meta = torch::TensorOptions().dtype(torch::kFloat).device(torch::kMeta);
    xs::xsam::XsamModel model(cfg, meta, !no_llm);

    nlohmann::ordered_json out;
    out["config"] = config_path;
    out["name"] = cfg.name;
    int64_t total = 0;
    nlohmann::ordered_json by_prefix = nlohmann::ordered_json::object();
    nlohmann::ordered_json by_component = nlohmann::ordered_json::object();
    nlohmann::ordered_json names = nlohmann::ordered_json::object();
    for (const auto& p : model->named_parameters(true)) {
        const std::string& name = p.key();
        const int64_t n = p.value().numel();
        total += n;
        const auto d1 = name.find('.');
        const std::string top = name.substr(0, d1);
        by_prefix[top] = by_prefix.value(top, int64_t(0)) + n;
        std::string comp = top;
        if (d1 != std::string::npos && (top == "segmentor" || top == "llm")) {
            const auto d2 = name.find('.', d1 + 1);
            comp = name.substr(0, d2);
        }
        by_component[comp] = by_component.value(comp, int64_t(0)) + n;
        if (keys) names[name] = p.value().sizes().vec();
    }
    out["total_params"] = total;
    out["params_by_prefix"] = by_prefix;
    out["params_by_component"] = by_component;
    nlohmann::ordered_json unused = nlohmann::ordered_json::array();
    for (const auto& e : xs::xsam::checkpoint_unused_entries(cfg)) unused.push_back({e.first, e.second});
    out["checkpoint_unused_buffers"] = unused;
    out["image_tokens"] = cfg.image_tokens();
    if (keys) out["keys"] = names;
    std::cout << out.dump(2) << "\n";
    return 0;
}

XS_CLI_COMMAND("model-info",
               "model-info --config FILE [--keys] [--no-llm]   Build an X-SAM model without weights (meta device) "
               "and print its parameter counts (and every name -> shape with --keys)",
               run_model_info);

}  // namespace
