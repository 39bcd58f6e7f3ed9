// check_model_folder(): see model_folder.h.
#include "core/xsam/engine/model_folder.h"

#include <filesystem>
#include <optional>
#include <set>

#include "core/util/error.h"
#include "core/xsam/model/config.h"
#include "core/xsam/weights/safetensors.h"
#include "core/xsam/tokenizer/tokenizer.h"
#include "core/xsam/model/xsam_model.h"

namespace xs::xsam {

namespace fs = std::filesystem;

ModelFolderCheck check_model_folder(const std::string& dir) {
    ModelFolderCheck r;
    r.dir = dir;
    if (!fs::is_directory(dir)) {
        r.problems.push_back("'" + dir + "' is not a folder");
        return r;
    }
    const fs::path root(dir);

    // config.json
    XsamConfig cfg;
    bool have_config = false;
    if (!fs::is_regular_file(root / "config.json")) {
        r.problems.push_back("no config.json in '" + dir +
                             "' (copy models/xsam-phi3-siglip2-samL.json there as config.json for the released model)");
    } else {
        try {
            cfg = load_config((root / "config.json").string());
            r.config_name = cfg.name;
            r.llm_vocab = cfg.llm.vocab_size;
            have_config = true;
        } catch (const std::exception& e) {
            r.problems.push_back(std::string("config.json: ") + e.what());
        }
    }

    // tokenizer.model
    if (!fs::is_regular_file(root / "tokenizer.model")) {
        r.problems.push_back("no tokenizer.model in '" + dir + "' (Phi-3-mini-4k-instruct's tokenizer.model)");
    } else {
        try {
            Tokenizer tok = Tokenizer::load((root / "tokenizer.model").string());
            r.tokenizer_vocab = tok.vocab_size();
            if (have_config && r.tokenizer_vocab != r.llm_vocab)
                r.problems.push_back("tokenizer.model gives " + std::to_string(r.tokenizer_vocab) +
                                     " tokens (SentencePiece + added) but config.json's LLM has " +
                                     std::to_string(r.llm_vocab) + " rows: wrong tokenizer or wrong config");
        } catch (const std::exception& e) {
            r.problems.push_back(std::string("tokenizer.model: ") + e.what());
        }
    }

    // weights
    const bool have_weights = fs::is_regular_file(root / "model.safetensors.index.json") ||
                              fs::is_regular_file(root / "model.safetensors");
    if (!have_weights) {
        r.problems.push_back("no model.safetensors or model.safetensors.index.json in '" + dir +
                             "' (convert the released pytorch_model.bin with xsam-cli convert-checkpoint)");
        return r;
    }
    std::optional<SafeTensorsSet> weights;
    try {
        weights = SafeTensorsSet::open(dir);
    } catch (const std::exception& e) {
        r.problems.push_back(std::string("weights: ") + e.what());
        return r;
    }
    const auto names = weights->names();
    if (names.empty()) {
        r.problems.push_back("weights in '" + weights->origin() + "' hold no tensor");
        return r;
    }
    const std::string probe = weights->contains("llm.lm_head.weight") ? "llm.lm_head.weight" : names.front();
    r.weight_dtype = safetensors_dtype_code(weights->info(probe).dtype);
    if (!have_config) return r;

    try {
        torch::NoGradGuard no_grad;
        XsamModel model(cfg, torch::TensorOptions().dtype(torch::kFloat).device(torch::kMeta));
        for (const auto& p : model->named_parameters(true)) r.parameters += p.value().numel();
        // The checkpoint's few entries no module reads are allowed; anything else unexpected is listed.
        std::set<std::string> known;
        for (const auto& p : model->named_parameters(true)) known.insert(p.key());
        for (const auto& b : model->named_buffers(true)) known.insert(b.key());
        for (const auto& e : checkpoint_unused_entries(cfg)) known.insert(e.first);
        std::vector<std::string> unexpected;
        for (const auto& n : names)
            if (!known.count(n)) unexpected.push_back(n);
        if (!unexpected.empty()) {
            std::string list;
            for (size_t i = 0; i < unexpected.size() && i < 10; ++i) list += (i ? ", " : "") + unexpected[i];
            r.problems.push_back(std::to_string(unexpected.size()) +
                                 " tensor(s) in the weights that config.json's model does not have: " + list);
        }
        LoadOptions lo;
        lo.check_only = true;
        lo.convert_dtype = true;
        lo.allow_unexpected = true;
        const LoadReport rep = load_weights(*model, *weights, lo);
        r.tensors = rep.tensors;
        r.weight_bytes = rep.bytes;
    } catch (const std::exception& e) {
        r.problems.push_back(e.what());
    }
    return r;
}

}  // namespace xs::xsam
