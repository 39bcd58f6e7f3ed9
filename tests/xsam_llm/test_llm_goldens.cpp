// Parity with Hugging Face transformers' Phi3ForCausalLM: goldens written on the GPU machine by
// tests/reference/make_goldens_llm.py into tests/data/llm_phi3_goldens.safetensors (fp32, eager
// attention). Tolerance: NMSE <= 1e-5 for hidden states (after the final norm) and logits.
#include "core/util/error.h"
#include "core/xsam/model/phi3.h"
#include "core/xsam/weights/safetensors.h"
#include "tests/harness/plain_test.h"

#include <nlohmann/json.hpp>

using namespace xs::xsam;

namespace {

constexpr double kTol = 1e-5;

const SafeTensorsFile& goldens() {
    static SafeTensorsFile f(xs::plain_test::env_or("XS_SOURCE_DIR", ".") + "/tests/data/llm_phi3_goldens.safetensors");
    return f;
}

double nmse(const torch::Tensor& a, const torch::Tensor& ref) {
    auto x = a.to(torch::kDouble), r = ref.to(torch::kDouble);
    XS_CHECK_MSG(x.sizes() == r.sizes(), "shape mismatch");
    return (x - r).pow(2).sum().item<double>() / r.pow(2).sum().item<double>();
}

std::string num(double v) {
    char b[64];
    std::snprintf(b, sizeof b, "%.3g", v);
    return b;
}

Phi3Config config_of(const std::string& name) {
    auto all = nlohmann::json::parse(goldens().metadata().at("configs"));
    const auto& j = all.at(name);
    Phi3Config c;
    c.vocab_size = j.at("vocab_size");
    c.hidden_size = j.at("hidden_size");
    c.intermediate_size = j.at("intermediate_size");
    c.num_hidden_layers = j.at("num_hidden_layers");
    c.num_attention_heads = j.at("num_attention_heads");
    c.num_key_value_heads = j.at("num_key_value_heads");
    c.max_position_embeddings = j.at("max_position_embeddings");
    c.rope_theta = j.at("rope_theta");
    c.rms_norm_eps = j.at("rms_norm_eps");
    c.sliding_window = j.at("sliding_window").is_null() ? 0 : j.at("sliding_window").get<int64_t>();
    return c;
}

Phi3ForCausalLM load(const std::string& name, const Phi3Config& cfg) {
    Phi3ForCausalLM m(cfg, torch::TensorOptions().dtype(torch::kFloat));
    // The file holds several cases: only this case's names are checked (allow_unexpected for the others).
    SafeTensorsSet set = SafeTensorsSet::open(goldens().path());
    LoadOptions lo;
    lo.prefix = name + ".llm.";
    lo.allow_unexpected = true;
    auto rep = load_weights(*m, set, lo);
    XS_CHECK(rep.tensors == static_cast<int64_t>(m->parameters().size()));
    return m;
}

torch::Tensor golden(const std::string& name) { return goldens().get(name).clone(); }

}  // namespace

XS_TEST(tiny_config_matches_transformers) {
    auto cfg = config_of("tiny");
    auto m = load("tiny", cfg);
    auto ids = golden("tiny.inputs.ids");
    auto o = m->forward(m->embed(ids), nullptr, true);
    double e = nmse(o.hidden, golden("tiny.outputs.hidden_ids"));
    XS_CHECK_MSG(e <= kTol, "hidden(ids) nmse " + num(e));
    e = nmse(o.logits, golden("tiny.outputs.logits_ids"));
    XS_CHECK_MSG(e <= kTol, "logits(ids) nmse " + num(e));
    auto o2 = m->forward(golden("tiny.inputs.embeds"), nullptr, true);
    e = nmse(o2.hidden, golden("tiny.outputs.hidden_embeds"));
    XS_CHECK_MSG(e <= kTol, "hidden(embeds) nmse " + num(e));
    e = nmse(o2.logits, golden("tiny.outputs.logits_embeds"));
    XS_CHECK_MSG(e <= kTol, "logits(embeds) nmse " + num(e));
    std::printf("       tiny: hidden nmse %s (ids), %s (embeds)\n",
                num(nmse(o.hidden, golden("tiny.outputs.hidden_ids"))).c_str(), num(e).c_str());
}

XS_TEST(sliding_window_gqa_and_cache_match_transformers) {
    const bool applied = goldens().metadata().count("window_applied") && goldens().metadata().at("window_applied") == "true";
    XS_CHECK_MSG(applied, "the transformers version that wrote the goldens did not apply sliding_window");
    auto cfg = config_of("window");
    auto m = load("window", cfg);
    auto x = golden("window.inputs.embeds");
    auto o = m->forward(x, nullptr, true);
    double e = nmse(o.hidden, golden("window.outputs.hidden"));
    XS_CHECK_MSG(e <= kTol, "hidden nmse " + num(e));
    double el = nmse(o.logits, golden("window.outputs.logits"));
    XS_CHECK_MSG(el <= kTol, "logits nmse " + num(el));
    // Our cache (16 + 8 positions) against HF's incremental run and its full run.
    KVCache cache;
    auto a = m->forward(x.narrow(1, 0, 16), &cache).hidden;
    auto b = m->forward(x.narrow(1, 16, 8), &cache).hidden;
    double ei = nmse(torch::cat({a, b}, 1), golden("window.outputs.hidden_incremental"));
    XS_CHECK_MSG(ei <= kTol, "incremental nmse " + num(ei));
    // Without the window: the same weights, sliding_window off.
    auto cfg_nw = cfg;
    cfg_nw.sliding_window = 0;
    auto nw = load("window", cfg_nw);
    double en = nmse(nw->forward(x).hidden, golden("window.outputs.hidden_nowindow"));
    XS_CHECK_MSG(en <= kTol, "no-window nmse " + num(en));
    std::printf("       window: hidden %s, logits %s, incremental %s, no-window %s\n", num(e).c_str(), num(el).c_str(),
                num(ei).c_str(), num(en).c_str());
}

XS_TEST_MAIN()
