// xsam-cli model-info: builds an X-SAM model from a config on the meta device (no weights allocated)
// and prints its parameter count, per-prefix counts and optionally every name and shape.
#include <chrono>
#include <iostream>

#include <nlohmann/json.hpp>

#include "app/cli/command.h"
#include "core/util/error.h"
#include "core/util/limits.h"
#include "core/xsam/model/config.h"
#include "core/xsam/model/xsam_model.h"

namespace {

constexpr int64_t kMaxBenchPrompts = 64;

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

// Times the vision half (everything but the LLM) of a config on the CPU in fp32 with seeded random
// weights: SigLIP, SAM ViT, projectors, connector, pixel decoder, one transformer-decoder pass.
int run_bench_vision(xs::cli::Args& args) {
    const std::string config_path = args.require("config");
    const auto threads = args.take("threads");
    const std::string prompts = args.take("prompts").value_or("1");
    int64_t queries = 0;
    try {
        queries = std::stoll(prompts);
    } catch (const std::exception&) {
    }
    // Each prompt adds a batch row to the mask decoder (full-size: about 100 MB of activations).
    if (queries < 1 || queries > kMaxBenchPrompts)
        throw xs::Error("--prompts '" + prompts + "': expected a whole number from 1 to " + std::to_string(kMaxBenchPrompts));
    if (!args.positionals().empty()) throw xs::Error("bench-vision takes no positional arguments");
    if (threads) at::set_num_threads(xs::parse_thread_count(*threads, "--threads"));
    const auto cfg = xs::xsam::load_config(config_path);
    using clock = std::chrono::steady_clock;
    auto secs = [](clock::time_point a) { return std::chrono::duration<double>(clock::now() - a).count(); };
    torch::NoGradGuard ng;
    auto t0 = clock::now();
    xs::xsam::XsamModel model(cfg, xs::xsam::default_build_options(), false);
    xs::xsam::init_random_parameters(*model, 1);
    nlohmann::ordered_json out;
    out["config"] = config_path;
    out["threads"] = at::get_num_threads();
    out["build_and_init_s"] = secs(t0);
    const auto& ve = cfg.visual_encoder;
    const auto& se = cfg.seg_encoder;
    auto sig = torch::randn({1, 3, ve.image_size, ve.image_size});
    auto sam = torch::randn({1, 3, se.image_size, se.image_size});
    nlohmann::ordered_json st;
    auto t = clock::now();
    auto sig_feat = model->visual_encoder->selected_features(sig);
    st["siglip"] = secs(t);
    t = clock::now();
    auto visual = model->visual_projector(sig_feat);
    st["visual_projector"] = secs(t);
    t = clock::now();
    const int64_t n = se.num_hidden_layers + 1;
    const int64_t llm_idx = se.llm_select_layer < 0 ? n + se.llm_select_layer : se.llm_select_layer;
    int64_t last = llm_idx;
    for (int64_t l : cfg.connector.select_layers) last = std::max(last, l);
    auto hs = model->segmentor->encoder->forward(sam, last);
    st["sam_vit"] = secs(t);
    t = clock::now();
    auto seg_tokens = model->seg_projector(hs[size_t(llm_idx)]);
    st["seg_projector"] = secs(t);
    t = clock::now();
    auto levels = model->seg_connector(hs);
    hs.clear();
    st["connector"] = secs(t);
    t = clock::now();
    auto pd = model->segmentor->pixel_decoder(levels);
    st["pixel_decoder"] = secs(t);
    t = clock::now();
    auto seg = torch::randn({queries, cfg.mask_decoder.hidden_dim});
    auto ms = pd.multi_scale_features;
    auto mf = pd.mask_features;
    for (auto& x : ms) x = x.expand({queries, -1, -1, -1});
    auto dec = model->segmentor->decoder(ms, mf.expand({queries, -1, -1, -1}), seg, false);
    st["mask_decoder"] = secs(t);
    out["stages_s"] = st;
    out["prompts_decoded"] = queries;
    out["shapes"] = {{"visual_tokens", visual.sizes().vec()},
                     {"seg_tokens", seg_tokens.sizes().vec()},
                     {"mask_features", pd.mask_features.sizes().vec()},
                     {"mask_logits", dec.mask_logits.back().sizes().vec()}};
    out["total_s"] = secs(t0);
    std::cout << out.dump(2) << "\n";
    return 0;
}

XS_CLI_COMMAND("bench-vision",
               "bench-vision --config FILE [--threads N] [--prompts K]   Time the vision half (no LLM) on the CPU "
               "in fp32 with random weights, per stage",
               run_bench_vision);

XS_CLI_COMMAND("model-info",
               "model-info --config FILE [--keys] [--no-llm]   Build an X-SAM model without weights (meta device) "
               "and print its parameter counts (and every name -> shape with --keys)",
               run_model_info);

}  // namespace
