// xsam-cli bench-xsam (see bench_xsam.h).
#include "core/xsam/engine/bench_xsam.h"
#include "core/util/malloc_hugepages.h"
#include "core/xsam/tokenizer/tokenizer.h"

#include <torch/torch.h>
#include <torch/version.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <cstdio>
#include <fstream>
#include <map>
#include <sstream>

#include <nlohmann/json.hpp>

#include "core/util/error.h"
#include "core/util/timer.h"
#include "core/xsam/engine/compute_precision.h"
#include "core/xsam/engine/model_build.h"
#include "core/xsam/engine/xsam_engine.h"

#if defined(XS_CUDA_STATS) && TORCH_VERSION_MAJOR >= 2
#include <c10/cuda/CUDACachingAllocator.h>
#endif

namespace xs {

namespace {

int64_t status_field_kb(const char* key) {
    std::ifstream f("/proc/self/status");
    std::string line;
    const std::string k = std::string(key) + ":";
    while (std::getline(f, line))
        if (line.rfind(k, 0) == 0) {
            std::istringstream in(line.substr(k.size()));
            int64_t v = -1;
            in >> v;
            return v;
        }
    return -1;
}

std::string loadavg() {
    std::ifstream f("/proc/loadavg");
    std::string a, b, c;
    f >> a >> b >> c;
    return a + " " + b + " " + c;
}

double median(std::vector<double> v) {
    if (v.empty()) return 0.0;
    std::sort(v.begin(), v.end());
    const size_t n = v.size();
    return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

double round1(double x) { return std::round(x * 10.0) / 10.0; }

double mb(int64_t bytes) { return bytes < 0 ? -1.0 : round1(double(bytes) / (1024.0 * 1024.0)); }

// Per-stage medians over runs, plus the median of the per-run totals.
struct Runs {
    std::vector<std::vector<StageTiming>> runs;
    nlohmann::ordered_json summary(std::vector<double>* totals_out = nullptr) const {
        std::map<std::string, std::vector<double>> by_stage, cpu_by_stage;
        std::vector<std::string> order;
        std::vector<double> totals;
        for (const auto& r : runs) {
            double t = 0;
            for (const StageTiming& s : r) {
                if (!by_stage.count(s.stage)) order.push_back(s.stage);
                by_stage[s.stage].push_back(s.ms);
                cpu_by_stage[s.stage].push_back(s.cpu_ms);
                t += s.ms;
            }
            totals.push_back(t);
        }
        nlohmann::ordered_json j;
        nlohmann::ordered_json st = nlohmann::ordered_json::object();
        for (const std::string& s : order) st[s] = round1(median(by_stage[s]));
        j["stages_ms"] = st;
        nlohmann::ordered_json cpu = nlohmann::ordered_json::object();
        for (const std::string& s : order) cpu[s] = round1(median(cpu_by_stage[s]));
        j["stages_cpu_ms"] = cpu;
        j["total_ms"] = round1(median(totals));
        nlohmann::ordered_json all = nlohmann::ordered_json::array();
        for (double t : totals) all.push_back(round1(t));
        j["runs_total_ms"] = all;
        if (totals_out) *totals_out = totals;
        return j;
    }
    // Median wall (or, with cpu, process CPU) milliseconds of one stage.
    double stage_median(const std::string& name, bool cpu = false) const {
        std::vector<double> v;
        for (const auto& r : runs)
            for (const StageTiming& s : r)
                if (s.stage == name) v.push_back(cpu ? s.cpu_ms : s.ms);
        return median(v);
    }
};

}  // namespace

int64_t process_peak_rss_bytes() {
    const int64_t kb = status_field_kb("VmHWM");
    return kb < 0 ? -1 : kb * 1024;
}

int64_t process_rss_bytes() {
    const int64_t kb = status_field_kb("VmRSS");
    return kb < 0 ? -1 : kb * 1024;
}

int64_t cuda_peak_allocated_bytes(int device, bool reset) {
#if defined(XS_CUDA_STATS) && TORCH_VERSION_MAJOR >= 2
    if (!torch::cuda::is_available()) return -1;
    namespace A = c10::cuda::CUDACachingAllocator;
    const auto stats = A::getDeviceStats(static_cast<c10::DeviceIndex>(device));
    const int64_t peak = stats.allocated_bytes[0].peak;  // index 0: the aggregate over pool types
    if (reset) A::resetPeakStats(static_cast<c10::DeviceIndex>(device));
    return peak;
#else
    (void)device;
    (void)reset;
    return -1;
#endif
}

Image bench_synthetic_image(int width, int height) {
    Image im;
    im.width = width;
    im.height = height;
    im.rgb.resize(size_t(width) * size_t(height) * 3);
    for (int y = 0; y < height; ++y)
        for (int x = 0; x < width; ++x) {
            uint8_t* p = im.rgb.data() + (size_t(y) * width + x) * 3;
            p[0] = uint8_t(40 + (x * 120) / width);
            p[1] = uint8_t(60 + (y * 100) / height);
            p[2] = uint8_t(150 - (x * 50) / width);
            const int cx = width / 3, cy = height / 2, r = std::min(width, height) / 6;
            if ((x - cx) * (x - cx) + (y - cy) * (y - cy) < r * r) p[0] = 220, p[1] = 40, p[2] = 30;
            if (x > width / 2 && x < width / 2 + width / 4 && y > height / 4 && y < height / 4 + height / 3)
                p[0] = 30, p[1] = 200, p[2] = 60;
        }
    return im;
}

namespace {

// The tokenizer of a config that names none (the full-size one: Phi-3's tokenizer.model is not in the
// tree): Phi-3's tokenizer built from the npm reference of this build tree (`cmake --build build
// --target phi3_tokenizer`, tests/reference/tokenizer) when it is there and fits the config's
// vocabulary; else the tiny test tokenizer next to the config (same template text, ids below 416, so
// only the embedding rows it touches differ). "" = the config's own.
std::string default_tokenizer(const std::string& config_path) {
    const xsam::XsamConfig cfg = xsam::load_config(config_path);
    if (!xsam::config_tokenizer_path(config_path, cfg).empty()) return "";
#ifdef XS_PHI3_TOKENIZER_BUILD_PATH
    const std::string phi3 = XS_PHI3_TOKENIZER_BUILD_PATH;
    if (std::filesystem::exists(phi3) && cfg.llm.vocab_size >= xsam::Tokenizer::load(phi3).vocab_size()) return phi3;
#endif
    const auto tiny = std::filesystem::path(config_path).parent_path() / "xsam-tiny.tokenizer.model";
    return std::filesystem::exists(tiny) ? tiny.string() : "";
}

xsam::XsamEngineOptions engine_options(const BenchXsamOptions& o) {
    xsam::XsamEngineOptions eo;
    eo.device = o.device.empty() ? "cpu" : o.device;
    eo.dtype = o.dtype;
    eo.threads = o.threads;
    if (o.random_weights) {
        if (o.config.empty()) throw Error("bench-xsam: --random-weights needs --config FILE");
        eo.model_dir = o.config;
        eo.random_weights = true;
        eo.seed = o.seed;
        eo.tokenizer = o.tokenizer.empty() ? default_tokenizer(o.config) : o.tokenizer;
        eo.llm_layers = o.llm_layers;
    } else {
        if (o.model_dir.empty()) throw Error("bench-xsam: give --model DIR or --random-weights");
        if (o.llm_layers > 0) throw Error("bench-xsam: --llm-layers needs --random-weights");
        eo.model_dir = o.model_dir;
    }
    return eo;
}

// The CPU's model name from /proc/cpuinfo ("" when unknown).
std::string cpu_model_name() {
    std::ifstream f("/proc/cpuinfo");
    std::string line;
    while (std::getline(f, line))
        if (line.rfind("model name", 0) == 0 && line.find(':') != std::string::npos) {
            std::string v = line.substr(line.find(':') + 1);
            return v.substr(std::min(v.size(), v.find_first_not_of(' ')));
        }
    return "";
}

// A new peak RSS for the next run (Linux: writing 5 to clear_refs resets VmHWM). False when refused.
bool reset_peak_rss() {
    std::ofstream f("/proc/self/clear_refs");
    f << "5";
    f.flush();
    return bool(f);
}

// One whole benchmark run with the engine option compute = `compute`.
nlohmann::ordered_json bench_one(const BenchXsamOptions& o, const std::string& compute, const Image& image) {
    using clock = std::chrono::steady_clock;
    auto ms_since = [](clock::time_point t) {
        return std::chrono::duration<double, std::milli>(clock::now() - t).count();
    };
    xsam::XsamEngineOptions eo = engine_options(o);
    eo.compute = compute;
    const bool cuda = eo.device.rfind("cuda", 0) == 0;
    const int cuda_index = [&] {
        const auto colon = eo.device.find(':');
        return colon == std::string::npos ? 0 : std::atoi(eo.device.c_str() + colon + 1);
    }();

    nlohmann::ordered_json j;
    j["bench"] = "xsam";
    j["torch"] = std::to_string(TORCH_VERSION_MAJOR) + "." + std::to_string(TORCH_VERSION_MINOR);
    j["config"] = o.random_weights ? o.config : o.model_dir;
    j["weights"] = o.random_weights ? "random (seed " + std::to_string(o.seed) + ")" : "model folder";
    if (o.random_weights) j["tokenizer"] = eo.tokenizer.empty() ? "the config's" : eo.tokenizer;

    j["loadavg_start"] = loadavg();
    j["malloc_hugepages"] = malloc_hugepages_state();
    auto t0 = clock::now();
    xsam::XsamEngine engine(eo);
    const double load_ms = ms_since(t0);
    const auto& cfg = engine.config();
    j["device"] = engine.torch_device().str();
    j["dtype"] = [&] {
        const auto p = engine.model()->parameters();
        return p.empty() ? std::string("?") : std::string(c10::toString(p.front().scalar_type()));
    }();
    j["compute"] = compute;
    j["compute_dtype"] = std::string(c10::toString(engine.compute_dtype()));
    j["compute_reason"] = engine.compute_reason();
    const xsam::ComputeChoice& choice = engine.compute_choice();
    if (choice.measured)
        j["compute_check_gflops"] = {{"fp32", round1(choice.speed.fp32_gflops)}, {"bf16", round1(choice.speed.bf16_gflops)}};
    j["cpu"] = {{"model", cpu_model_name()}, {"bf16_flags", xsam::cpu_bf16_flags()}};
    j["threads"] = at::get_num_threads();
    j["llm_layers"] = cfg.llm.num_hidden_layers;
    j["image"] = {{"width", image.width}, {"height", image.height},
                  {"source", o.image_label.empty() ? "synthetic" : o.image_label}};
    j["load_ms"] = round1(load_ms);
    j["rss_after_load_mb"] = mb(process_rss_bytes());
    if (cuda) cuda_peak_allocated_bytes(cuda_index, true);

    CancelToken cancel;
    const int pw = o.prepare_warmup >= 0 ? o.prepare_warmup : (cuda ? 1 : 0);
    const int pr = std::max(1, o.prepare_repeats >= 1 ? o.prepare_repeats : (cuda ? 3 : 1));
    Runs prep;
    std::vector<double> prep_cpu;
    std::shared_ptr<const PreparedImage> prepared;
    for (int i = 0; i < pw + pr; ++i) {
        prepared.reset();  // one prepared image alive at a time
        const double c0 = process_cpu_ms();
        prepared = engine.prepare(image, cancel);
        if (i >= pw) prep.runs.push_back(prepared->timings), prep_cpu.push_back(process_cpu_ms() - c0);
    }
    const auto& xp = dynamic_cast<const xsam::XsamPrepared&>(*prepared);
    j["prefix_tokens"] = xp.prefix_cache.length();
    j["prepared_image_mb"] = mb(int64_t(xp.memory_bytes()));
    nlohmann::ordered_json pj = prep.summary();
    pj["warmup_runs"] = pw;
    pj["cpu_ms"] = round1(median(prep_cpu));
    // Progress on stderr (a full-size CPU run takes minutes): the figures survive an interrupted run.
    std::fprintf(stderr, "bench-xsam: load %.0f ms; prepare %s\n", load_ms, pj.dump().c_str());
    j["prepare"] = pj;

    // The three prompt kinds of the goals, on the cached prefix.
    const float w = float(image.width), h = float(image.height);
    std::vector<std::pair<std::string, SegmentRequest>> prompts(3);
    prompts[0].first = "referring";
    prompts[0].second.task = Task::Referring;
    prompts[0].second.text = "the red disc on the left";
    prompts[1].first = "interactive";
    prompts[1].second.task = Task::Interactive;
    prompts[1].second.points = {{w / 3.f, h / 2.f, true}};
    prompts[2].first = "vgd";
    prompts[2].second.task = Task::VisualGrounded;
    prompts[2].second.boxes = {{w * 0.52f, h * 0.27f, w * 0.73f, h * 0.56f}};
    nlohmann::ordered_json pr_json;
    std::map<std::string, Runs> prompt_runs;
    for (auto& [name, req] : prompts) {
        Runs runs;
        std::vector<double> cpu;
        size_t instances = 0;
        for (int i = 0; i < o.prompt_warmup + std::max(1, o.prompt_repeats); ++i) {
            const double c0 = process_cpu_ms();
            SegmentResult r = engine.segment(*prepared, req, cancel);
            instances = r.instances.size();
            if (i >= o.prompt_warmup) runs.runs.push_back(r.timings), cpu.push_back(process_cpu_ms() - c0);
        }
        nlohmann::ordered_json pj2 = runs.summary();
        pj2["cpu_ms"] = round1(median(cpu));
        std::fprintf(stderr, "bench-xsam: %s %s\n", name.c_str(), pj2.dump().c_str());
        pj2["instances"] = instances;
        pj2["question_tokens"] = [&] {
            xsam::Question q = name == "referring" ? xsam::referring_question(req.text) : xsam::regions_question(1);
            return int64_t(engine.encode_pieces(xsam::question_pieces(q, true)).size());
        }();
        pr_json[name] = pj2;
        prompt_runs[name] = std::move(runs);
    }
    j["prompts"] = pr_json;

    // The stages of the issue, in one flat table (medians; per-prompt stages from the referring prompt).
    const Runs& ref = prompt_runs["referring"];
    auto flat_table = [&](bool cpu) {
        nlohmann::ordered_json flat;
        auto stage = [&](const Runs& r, const char* name) { return r.stage_median(name, cpu); };
        flat["preprocess"] = round1(stage(prep, "prepare.preprocess"));
        flat["siglip"] = round1(stage(prep, "prepare.siglip"));
        flat["sam"] = round1(stage(prep, "prepare.sam"));
        flat["projectors"] = round1(stage(prep, "prepare.projector_connector"));
        flat["pixel_decoder"] = round1(stage(prep, "prepare.pixel_decoder"));
        flat["llm_prefix"] = round1(stage(prep, "prepare.llm_prefix"));
        flat["prompt_llm"] = round1(stage(ref, "segment.llm"));
        flat["decoder"] = round1(stage(ref, "segment.embeddings") + stage(ref, "segment.mask_decoder"));
        flat["postprocess"] = round1(stage(ref, "segment.postprocess"));
        flat["prompt_other"] = round1(stage(ref, "segment.prompt"));
        return flat;
    };
    j["stages_ms"] = flat_table(false);
    // The same stages in process CPU time (all threads): comparable between runs on a loaded machine.
    j["stages_cpu_ms"] = flat_table(true);
    nlohmann::ordered_json totals;
    totals["prepare"] = pj["total_ms"];
    for (const auto& [name, r] : prompt_runs) totals[name] = pr_json[name]["total_ms"];
    j["totals_ms"] = totals;
    // Process CPU time (all threads) of the same runs: on a busy machine wall time includes waiting for
    // the cores; cpu_ms / threads is what the stage costs on idle cores.
    nlohmann::ordered_json cpu_totals;
    cpu_totals["prepare"] = pj["cpu_ms"];
    for (const auto& pr2 : prompt_runs) cpu_totals[pr2.first] = pr_json[pr2.first]["cpu_ms"];
    j["totals_cpu_ms"] = cpu_totals;

    // A reduced LLM depth: scale the LLM stages to the config's depth (linear in layers).
    if (o.llm_layers > 0) {
        const xsam::XsamConfig full = xsam::load_config(o.config);
        const double f = double(full.llm.num_hidden_layers) / double(o.llm_layers);
        nlohmann::ordered_json ex;
        ex["note"] = "LLM stages measured with " + std::to_string(o.llm_layers) + " of " +
                     std::to_string(full.llm.num_hidden_layers) + " layers and scaled linearly; other stages as measured";
        ex["factor"] = f;
        ex["prepare_ms"] = round1(pj["total_ms"].get<double>() + (f - 1.0) * prep.stage_median("prepare.llm_prefix"));
        for (const auto& [name, r] : prompt_runs)
            ex[name + "_ms"] = round1(pr_json[name]["total_ms"].get<double>() + (f - 1.0) * r.stage_median("segment.llm"));
        j["extrapolated_full_depth"] = ex;
    }

    j["loadavg_end"] = loadavg();
    j["peak_rss_mb"] = mb(process_peak_rss_bytes());
    j["cuda_peak_allocated_mb"] = cuda ? mb(cuda_peak_allocated_bytes(cuda_index)) : -1.0;
    if (cuda && j["cuda_peak_allocated_mb"].get<double>() < 0)
        j["cuda_peak_note"] = "this build has no CUDA allocator statistics (compile with -DXS_CUDA_STATS)";
    return j;
}

}  // namespace

std::string bench_xsam_json(const BenchXsamOptions& o, const Image& image) {
    if (image.empty()) throw Error("bench-xsam: the image is empty");
    if (o.computes.empty()) throw Error("bench-xsam: no compute precision to run");
    for (const std::string& c : o.computes) xsam::parse_compute_request(c, "bench-xsam --compute");
    if (o.computes.size() == 1) return bench_one(o, o.computes.front(), image).dump();

    nlohmann::ordered_json j;
    j["bench"] = "xsam-compare";
    nlohmann::ordered_json runs = nlohmann::ordered_json::array();
    for (const std::string& c : o.computes) {
        const bool reset = reset_peak_rss();
        nlohmann::ordered_json r = bench_one(o, c, image);
        if (!reset) r["peak_rss_note"] = "VmHWM could not be reset: the peak covers the earlier runs too";
        std::fprintf(stderr, "bench-xsam: run with compute %s: %s\n", c.c_str(), r["totals_ms"].dump().c_str());
        runs.push_back(std::move(r));
    }
    // How many times longer each later run took than the first (e.g. fp32 over bf16), per total.
    nlohmann::ordered_json ratios;
    const auto& first = runs.front()["totals_ms"];
    for (size_t i = 1; i < runs.size(); ++i) {
        nlohmann::ordered_json r;
        for (auto it = first.begin(); it != first.end(); ++it) {
            const double a = it.value().get<double>(), b = runs[i]["totals_ms"].value(it.key(), 0.0);
            r[it.key()] = a > 0 ? std::round(b / a * 100.0) / 100.0 : 0.0;
        }
        ratios[o.computes[i] + "/" + o.computes.front()] = r;
    }
    j["ratios"] = ratios;
    j["runs"] = runs;
    return j.dump();
}

}  // namespace xs
