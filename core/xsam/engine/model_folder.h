#pragma once
// Checking an X-SAM model folder before loading it: config.json, tokenizer.model and the safetensors
// weights (model.safetensors, or shards with model.safetensors.index.json) are opened and compared with
// the model that config.json describes (built on the meta device: no weights are read or allocated).
// Every problem is listed in words; an empty list means the folder loads. Takes a few seconds even for
// the full-size model. This header is free of LibTorch (the GUI may include it).
#include <cstdint>
#include <string>
#include <vector>

namespace xs::xsam {

struct ModelFolderCheck {
    std::string dir;
    std::string config_name;          // "name" in config.json
    int64_t parameters = 0;           // of the model config.json describes
    int64_t tensors = 0;              // weight tensors matched against the model
    int64_t weight_bytes = 0;         // their bytes in the files
    std::string weight_dtype;         // dtype code of the LLM head (or the first tensor), e.g. "BF16"
    int64_t tokenizer_vocab = 0;      // SentencePiece + added tokens
    int64_t llm_vocab = 0;            // rows of the LLM embedding in config.json
    std::vector<std::string> problems;  // empty: the folder matches and can be loaded

    bool ok() const { return problems.empty(); }
};

// Never throws for problems of the folder; they go to `problems`.
ModelFolderCheck check_model_folder(const std::string& dir);

}  // namespace xs::xsam
