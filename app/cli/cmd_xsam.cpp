// xsam-cli init-random-weights: a loadable X-SAM model folder with seeded random weights, so that the
// whole engine runs end to end without the released checkpoint (tests, timing, demos).
#include <cmath>
#include <cstdio>
#include <string>

#include <nlohmann/json.hpp>

#include "app/cli/command.h"
#include "core/io/image.h"
#include "core/io/output_guard.h"
#include "core/util/error.h"
#include "core/util/limits.h"
#ifdef XS_HAVE_XSAM
#include "core/xsam/xsam_engine_factory.h"
#endif

namespace xs::cli {

void refuse_model_folder_over_inputs(const std::string& folder, const std::vector<NamedInput>& inputs);  // cmd_convert.cpp

namespace {

int run_init_random_weights(Args& args) {
    const std::string config = args.require("config");
    const std::string out = args.require("out");
    uint64_t seed = 0;
    if (auto s = args.take("seed")) {
        try {
            size_t used = 0;
            seed = std::stoull(*s, &used);
            if (used != s->size()) throw std::invalid_argument(*s);
        } catch (const std::exception&) {
            throw Error("--seed '" + *s + "': expected a non-negative integer");
        }
    }
    const std::string tokenizer = args.take("tokenizer").value_or("");
    if (!args.positionals().empty()) throw Error("init-random-weights takes no positional arguments");
#ifdef XS_HAVE_XSAM
    std::vector<NamedInput> inputs = {{"--config file", config}};
    if (!tokenizer.empty()) inputs.push_back({"--tokenizer file", tokenizer});
    refuse_model_folder_over_inputs(out, inputs);
    write_random_xsam_model(config, out, seed, tokenizer);
    std::printf("wrote a random-weight X-SAM model (seed %llu) to %s\n", static_cast<unsigned long long>(seed),
                out.c_str());
    return 0;
#else
    (void)seed;
    throw Error("this xsam-cli was built without LibTorch: the X-SAM engine is not available");
#endif
}

uint64_t parse_u64(const std::string& s, const std::string& what) {
    try {
        size_t used = 0;
        const unsigned long long v = std::stoull(s, &used);
        if (used != s.size()) throw std::invalid_argument(s);
        return v;
    } catch (const std::exception&) {
        throw Error(what + " '" + s + "': expected a non-negative integer");
    }
}

int run_bench_prepare(Args& args) {
    const std::string config = args.require("config");
    const std::string image_path = args.take("image").value_or("");
    const std::string device = args.take("device").value_or("cpu");
    const std::string dtype = args.take("dtype").value_or("");
    const int64_t layers = int64_t(parse_u64(args.take("llm-layers").value_or("0"), "--llm-layers"));
    const int threads = parse_thread_count(args.take("threads").value_or("0"), "--threads");
    const uint64_t seed = parse_u64(args.take("seed").value_or("0"), "--seed");
    if (!args.positionals().empty()) throw Error("bench-prepare takes no positional arguments");
#ifdef XS_HAVE_XSAM
    Image image;
    if (image_path.empty()) {  // a 640 x 480 gradient, the size of a COCO image
        image.width = 640;
        image.height = 480;
        image.rgb.resize(size_t(640) * 480 * 3);
        for (size_t i = 0; i < image.rgb.size(); ++i) image.rgb[i] = uint8_t((i * 7) % 251);
    } else {
        image = load_image(image_path);
    }
    nlohmann::json j;
    j["config"] = config;
    j["device"] = device;
    j["llm_layers"] = layers;
    j["width"] = image.width;
    j["height"] = image.height;
    nlohmann::json stages = nlohmann::json::object();
    for (const StageTiming& t : bench_xsam_prepare(config, image, device, dtype, layers, seed, threads))
        stages[t.stage] = std::round(t.ms * 10.0) / 10.0;
    j["stages_ms"] = stages;
    std::printf("%s\n", j.dump().c_str());
    return 0;
#else
    (void)layers;
    (void)threads;
    (void)seed;
    throw Error("this xsam-cli was built without LibTorch: the X-SAM engine is not available");
#endif
}

}  // namespace

XS_CLI_COMMAND("bench-prepare",
               "bench-prepare --config FILE [--image IMG] [--device cpu|cuda] [--dtype fp32|bf16] [--llm-layers N] "
               "[--threads N] [--seed N]   Time X-SAM's prepare() stages on random weights",
               run_bench_prepare);

XS_CLI_COMMAND("init-random-weights",
               "init-random-weights --config FILE --out DIR [--seed N] [--tokenizer FILE]   Write a loadable "
               "X-SAM model folder with seeded random weights",
               run_init_random_weights);

}  // namespace xs::cli
