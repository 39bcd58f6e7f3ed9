// xsam-cli bench-xsam: per-stage timings, per-prompt totals and peak memory of the X-SAM engine as
// one JSON object (core/xsam/engine/bench_xsam.h). No LibTorch include here.
#include <cstdio>
#include <string>
#include <vector>

#include "app/cli/command.h"
#include "core/util/error.h"
#include "core/util/limits.h"
#ifdef XS_HAVE_XSAM
#include "core/xsam/engine/bench_xsam.h"
#endif

namespace xs::cli {

namespace {

int parse_int(const std::string& s, const std::string& what, int lo) {
    try {
        size_t used = 0;
        const long v = std::stol(s, &used);
        if (used != s.size() || v < lo) throw std::invalid_argument(s);
        return int(v);
    } catch (const std::exception&) {
        throw Error(what + " '" + s + "': expected an integer >= " + std::to_string(lo));
    }
}

// "bf16,fp32" -> {"bf16", "fp32"}; each must be auto, fp32 or bf16.
std::vector<std::string> split_list(const std::string& text) {
    std::vector<std::string> out;
    std::string cur;
    for (char c : text + ",") {
        if (c != ',') {
            cur += c;
            continue;
        }
        if (cur != "auto" && cur != "fp32" && cur != "bf16")
            throw Error("bench-xsam --compute '" + text + "': expected auto, fp32 or bf16, or a comma-separated list of them");
        out.push_back(cur);
        cur.clear();
    }
    return out;
}

int run_bench_xsam(Args& args) {
#ifdef XS_HAVE_XSAM
    BenchXsamOptions o;
    o.config = args.take("config").value_or("");
    o.model_dir = args.take("model").value_or("");
    o.random_weights = args.take_flag("random-weights");
    o.tokenizer = args.take("tokenizer").value_or("");
    o.device = args.take("device").value_or("cpu");
    o.dtype = args.take("dtype").value_or("");
    if (auto v = args.take("compute")) o.computes = split_list(*v);
    const std::string image_path = args.take("image").value_or("");
    if (auto v = args.take("threads")) o.threads = parse_thread_count(*v, "--threads");
    if (auto v = args.take("llm-layers")) o.llm_layers = parse_int(*v, "--llm-layers", 1);
    if (auto v = args.take("seed")) o.seed = uint64_t(parse_int(*v, "--seed", 0));
    if (auto v = args.take("prepare-warmup")) o.prepare_warmup = parse_int(*v, "--prepare-warmup", 0);
    if (auto v = args.take("prepare-repeats")) o.prepare_repeats = parse_int(*v, "--prepare-repeats", 1);
    if (auto v = args.take("prompt-warmup")) o.prompt_warmup = parse_int(*v, "--prompt-warmup", 0);
    if (auto v = args.take("repeats")) o.prompt_repeats = parse_int(*v, "--repeats", 1);
    if (!args.positionals().empty()) throw Error("bench-xsam takes no positional arguments");
    if (o.random_weights == !o.model_dir.empty())
        throw Error("bench-xsam: give exactly one of --model DIR and --random-weights (with --config FILE)");
    if (o.dtype != "" && o.dtype != "fp32" && o.dtype != "bf16" && o.dtype != "fp16")
        throw Error("bench-xsam: --dtype must be fp32, bf16 or fp16, not '" + o.dtype + "'");
    Image image;
    if (image_path.empty()) {
        image = bench_synthetic_image();
        o.image_label = "synthetic 640x480";
    } else {
#ifdef XS_NO_IMAGE_IO
        throw Error("bench-xsam: this build has no image decoder (GPU check build); leave out --image");
#else
        image = load_image(image_path);
        o.image_label = image_path;
#endif
    }
    std::printf("%s\n", bench_xsam_json(o, image).c_str());
    return 0;
#else
    (void)args;
    throw Error("this xsam-cli was built without LibTorch: the X-SAM engine is not available");
#endif
}

}  // namespace

XS_CLI_COMMAND("bench-xsam",
               "bench-xsam --config FILE (--model DIR | --random-weights) [--device cpu|cuda] [--dtype fp32|bf16|fp16] "
               "[--compute auto|fp32|bf16|bf16,fp32] [--image IMG] [--threads N] [--llm-layers K] [--repeats N] "
               "[--prepare-repeats N] [--seed N]   Time X-SAM per stage (prepare, then referring / interactive / VGD "
               "prompts on the cached prefix) and report peak memory, as one JSON object; a list of precisions runs "
               "each in turn and reports the ratios",
               run_bench_xsam);

}  // namespace xs::cli
