// xsam-cli init-random-weights: a loadable X-SAM model folder with seeded random weights, so that the
// whole engine runs end to end without the released checkpoint (tests, timing, demos).
#include <cstdio>
#include <string>

#include "app/cli/command.h"
#include "core/io/output_guard.h"
#include "core/util/error.h"
#ifdef XS_HAVE_XSAM
#include "core/xsam/engine/xsam_engine_factory.h"
#endif

namespace xs::cli {

void refuse_model_folder_over_inputs(const std::string& folder, const std::vector<NamedInput>& inputs);  // cmd_convert.cpp

namespace {

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

int run_init_random_weights(Args& args) {
    const std::string config = args.require("config");
    const std::string out = args.require("out");
    const uint64_t seed = parse_u64(args.take("seed").value_or("0"), "--seed");
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

}  // namespace

XS_CLI_COMMAND("init-random-weights",
               "init-random-weights --config FILE --out DIR [--seed N] [--tokenizer FILE]   Write a loadable "
               "X-SAM model folder with seeded random weights",
               run_init_random_weights);

}  // namespace xs::cli
