// xsam-cli check-model DIR: is this X-SAM model folder complete and does it match its config.json?
// Opens config.json, tokenizer.model and the safetensors weights and compares every tensor name, shape
// and the vocabulary with the model config.json describes, without reading or allocating the weights.
#include "app/cli/command.h"
#include "core/util/error.h"

#ifdef XS_HAVE_XSAM
#include <cstdio>
#include <iostream>

#include <nlohmann/json.hpp>

#include "core/xsam/engine/model_folder.h"

namespace {

int run_check_model(xs::cli::Args& args) {
    const bool json = args.take_flag("json");
    const auto pos = args.positionals();
    if (pos.size() != 1) throw xs::Error("check-model takes exactly one model folder");
    const auto r = xs::xsam::check_model_folder(pos[0]);
    if (json) {
        nlohmann::ordered_json out;
        out["dir"] = r.dir;
        out["ok"] = r.ok();
        out["config_name"] = r.config_name;
        out["parameters"] = r.parameters;
        out["tensors"] = r.tensors;
        out["weight_bytes"] = r.weight_bytes;
        out["weight_dtype"] = r.weight_dtype;
        out["tokenizer_vocab"] = r.tokenizer_vocab;
        out["llm_vocab"] = r.llm_vocab;
        out["problems"] = r.problems;
        std::cout << out.dump(2) << "\n";
    } else if (r.ok()) {
        std::printf("%s: OK - %s, %lld parameters, %lld tensors (%.2f GB, %s), tokenizer %lld tokens\n",
                    r.dir.c_str(), r.config_name.c_str(), static_cast<long long>(r.parameters),
                    static_cast<long long>(r.tensors), r.weight_bytes / 1e9, r.weight_dtype.c_str(),
                    static_cast<long long>(r.tokenizer_vocab));
    } else {
        std::fprintf(stderr, "%s: cannot be loaded (%zu problem%s):\n", r.dir.c_str(), r.problems.size(),
                     r.problems.size() == 1 ? "" : "s");
        for (const auto& p : r.problems) std::fprintf(stderr, "  - %s\n", p.c_str());
    }
    return r.ok() ? 0 : 1;
}

XS_CLI_COMMAND("check-model",
               "check-model DIR [--json]   Check an X-SAM model folder (config.json, tokenizer.model, "
               "safetensors) against its config without loading the weights",
               run_check_model);

}  // namespace
#endif
