// xsam-cli convert-checkpoint: the released torch.save checkpoint -> safetensors shards + index.
#include "app/cli/command.h"
#include "core/io/output_guard.h"
#include "core/util/error.h"
#include "core/util/limits.h"

#ifdef XS_HAVE_XSAM
#include "core/xsam/weights/checkpoint.h"
#include "core/xsam/engine/model_folder.h"

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <iostream>
#include <regex>

namespace xs::cli {

// The files a model folder gets (convert-checkpoint, init-random-weights) must not be any of the files
// the command reads: `--config DIR/config.json --out DIR` would truncate the config it is copying.
void refuse_model_folder_over_inputs(const std::string& folder, const std::vector<NamedInput>& inputs) {
    namespace fs = std::filesystem;
    std::vector<std::string> outputs;
    for (const char* name : {"config.json", "tokenizer.model", "model.safetensors", "model.safetensors.index.json"})
        outputs.push_back((fs::path(folder) / name).string());
    const std::regex shard(R"(model-\d{5}-of-\d{5}\.safetensors|shard-\d+\.partial)");
    std::error_code ec;
    for (const fs::directory_entry& e : fs::directory_iterator(folder, ec))
        if (std::regex_match(e.path().filename().string(), shard)) outputs.push_back(e.path().string());
    for (const std::string& o : outputs) refuse_output_over_inputs("the model folder's " + o, o, inputs);
}

}  // namespace xs::cli

namespace {

int run_convert(xs::cli::Args& args) {
    const std::string out = args.require("out");
    int64_t shard_mb = 2000;
    if (auto s = args.take("shard-size-mb")) {
        try {
            shard_mb = std::stoll(*s);
        } catch (const std::exception&) {
            throw xs::Error("--shard-size-mb: not a number: " + *s);
        }
        if (shard_mb <= 0) throw xs::Error("--shard-size-mb must be positive");
        // The conversion holds about one shard in memory.
        const int64_t ram_mb = xs::physical_memory_bytes() >> 20;
        if (ram_mb > 0 && shard_mb > ram_mb / 2)
            throw xs::Error("--shard-size-mb " + std::to_string(shard_mb) + ": a shard is held in memory while it is "
                            "written; at most " + std::to_string(ram_mb / 2) + " (half of this machine's " +
                            std::to_string(ram_mb) + " MB)");
    }
    const bool quiet = args.take_flag("quiet");
    const auto config = args.take("config");
    const auto tokenizer = args.take("tokenizer");
    const auto pos = args.positionals();
    if (pos.size() != 1) throw xs::Error("convert-checkpoint takes exactly one checkpoint file");
    namespace fs = std::filesystem;
    // Check the extra files before the long conversion.
    if (config && !fs::is_regular_file(*config)) throw xs::Error("--config: no such file: " + *config);
    if (tokenizer && !fs::is_regular_file(*tokenizer)) throw xs::Error("--tokenizer: no such file: " + *tokenizer);
    std::vector<xs::NamedInput> inputs = {{"checkpoint", pos[0]}};
    if (config) inputs.push_back({"--config file", *config});
    if (tokenizer) inputs.push_back({"--tokenizer file", *tokenizer});
    xs::cli::refuse_model_folder_over_inputs(out, inputs);
    const auto start = std::chrono::steady_clock::now();
    size_t last_percent = 101;
    auto report = xs::xsam::convert_checkpoint(pos[0], out, shard_mb * 1024 * 1024,
                                               [&](size_t done, size_t total, const std::string&) {
                                                   const size_t pct = done * 100 / total;
                                                   if (!quiet && pct / 5 != last_percent / 5) {
                                                       std::fprintf(stderr, "\rconverting: %zu%% (%zu/%zu tensors)", pct,
                                                                    done, total);
                                                       last_percent = pct;
                                                   }
                                               });
    if (!quiet) std::fprintf(stderr, "\n");
    const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::cout << "converted " << report.tensors << " tensors (" << report.bytes << " bytes) in " << secs << " s into "
              << out << ": " << (report.files.size() - 1) << " shard(s) + model.safetensors.index.json\n";
    for (const auto& s : report.skipped) std::cout << "skipped non-tensor entry: " << s << "\n";
    // A complete model folder: config.json and tokenizer.model next to the weights, then checked.
    if (config) fs::copy_file(*config, fs::path(out) / "config.json", fs::copy_options::overwrite_existing);
    if (tokenizer)
        fs::copy_file(*tokenizer, fs::path(out) / "tokenizer.model", fs::copy_options::overwrite_existing);
    if (config || tokenizer) {
        const auto check = xs::xsam::check_model_folder(out);
        if (!check.ok()) {
            std::string msg = out + " was written but does not load:";
            for (const auto& p : check.problems) msg += "\n  - " + p;
            throw xs::Error(msg);
        }
        std::cout << "checked: " << check.config_name << ", " << check.tensors << " tensors match config.json, tokenizer "
                  << check.tokenizer_vocab << " tokens\n";
    }
    return 0;
}

XS_CLI_COMMAND("convert-checkpoint",
               "convert-checkpoint pytorch_model.bin --out DIR [--config FILE] [--tokenizer FILE] [--shard-size-mb N] "
               "[--quiet]   torch.save checkpoint -> safetensors shards + model.safetensors.index.json (+ config.json, "
               "tokenizer.model, then check-model)",
               run_convert);

}  // namespace
#endif
