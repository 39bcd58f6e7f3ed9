#pragma once
// X-SAM's tokenizer: Phi-3's SentencePiece model (tokenizer.model) plus the added tokens of Phi-3 and
// X-SAM, reproducing what the reference's Hugging Face tokenizer (LlamaTokenizerFast from Phi-3's
// tokenizer.json, "legacy" behaviour) does with `encode(text, add_special_tokens=False)`:
//   1. added tokens are found in the text first (leftmost, longest match); Phi-3's chat tokens have
//      rstrip=True, so whitespace right after <|user|>, <|assistant|>, <|end|>, <|system|>, </s>, ... is
//      dropped (the "\n" of "<|user|>\n" does not become a token). Whitespace is Unicode White_Space
//      as Rust's char::is_whitespace has it (U+00A0 and U+3000 too), like Hugging Face's tokenizers;
//   2. every remaining text segment is encoded by SentencePiece on its own, with its dummy prefix
//      ("hello" -> "▁hello"): after an added token a segment starts a new word, and " in" becomes
//      "▁▁in" -- exactly the per-segment prefix of the legacy tokenizer.
// Added-token ids follow Phi-3's layout after the SentencePiece vocabulary of size V (V = 32000 for the
// real model): <|endoftext|> V, <|assistant|> V+1, <|placeholder1..4|> V+2..V+5, <|system|> V+6,
// <|end|> V+7, <|placeholder5..6|> V+8..V+9, <|user|> V+10; then X-SAM's <SEG> V+11, <p> V+12,
// </p> V+13 (added in that order by the reference, so the LLM has V+14 rows: 32014).
// <unk>, <s>, </s> are the model's own control pieces and are recognised in text as well.
// Checked against Hugging Face's rules on Llama-2's real vocabulary (the npm reference of
// tests/reference/tokenizer, test_xsam_tokenizer_parity).
//
// SentencePiece runs in libxs_spm (core/xsam/spm), loaded with dlopen(RTLD_DEEPBIND) so that its
// protobuf never meets LibTorch's. The library is looked up at $XS_SPM_LIBRARY, next to the
// executable (<dir>/libxs_spm.so, <dir>/../lib/libxs_spm.so), then at the build tree's path.
//
// No LibTorch in this header: it is usable from any translation unit.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace xs::xsam {

struct AddedToken {
    std::string content;
    int64_t id = 0;
    bool special = true;  // skipped by decode(..., skip_special=true)
    bool rstrip = false;  // whitespace to the right is removed when encoding
    bool lstrip = false;  // whitespace to the left is removed when encoding
};

// Placeholders of the chunked encoding (xtuner's IMAGE_TOKEN_INDEX, X-SAM's REGION_TOKEN_INDEX).
inline constexpr int64_t kImageTokenIndex = -200;
inline constexpr int64_t kRegionTokenIndex = -300;

// xtuner's phi3_chat template: instruction around the user's input, the suffix closing an answer,
// the separator after it, and the stop word of generation.
inline constexpr const char* kPhi3ChatPrefix = "<|user|>\n";
inline constexpr const char* kPhi3ChatInfix = "<|end|>\n<|assistant|>\n";
inline constexpr const char* kPhi3ChatSuffix = "<|end|>";
inline constexpr const char* kPhi3ChatSep = "\n";
inline constexpr const char* kPhi3StopWord = "<|end|>";
// "<|user|>\n{input}<|end|>\n<|assistant|>\n"
std::string phi3_chat_instruction(const std::string& input);

class Tokenizer {
public:
    // Loads a SentencePiece .model (or a folder holding tokenizer.model). Throws xs::Error when the
    // file or the bridge library cannot be loaded.
    static Tokenizer load(const std::string& path);

    int64_t sp_vocab_size() const;             // V
    int64_t vocab_size() const;                // V + added tokens (= LLM rows, 32014 for X-SAM)
    const std::vector<AddedToken>& added_tokens() const;
    // Id of an added token or control piece by its text ("<SEG>", "<|end|>", "<s>"); throws if unknown.
    int64_t token_id(const std::string& content) const;
    int64_t bos_id() const;  // <s>
    int64_t eos_id() const;  // </s> of the SentencePiece model (Phi-3's generation stops at <|end|>)

    // Text -> ids without BOS/EOS (HF encode(..., add_special_tokens=False)); see the header comment.
    std::vector<int64_t> encode(const std::string& text) const;
    // The reference's chunked encoding: the text is split at "<image>" and "<region>", each chunk is
    // encoded on its own (encode()), and the placeholders become kImageTokenIndex / kRegionTokenIndex.
    std::vector<int64_t> encode_chunks(const std::string& text) const;
    // Ids -> text as Hugging Face's Llama decoder (what the reference prints): added tokens as their
    // content (dropped when special and skip_special), "\xe2\x96\x81" as a space, byte-fallback runs joined
    // (U+FFFD for each byte of a run that is not valid UTF-8), then the one leading space of the whole
    // text removed. So the dummy prefix of a segment after an added token stays: "<p>" "the bird"
    // decodes as "<p> the bird". Placeholders (negative ids) decode as "<image>"/"<region>".
    std::string decode(const std::vector<int64_t>& ids, bool skip_special = false) const;
    // The piece of one id ("▁the", "<0x0A>", "<SEG>").
    std::string piece(int64_t id) const;

    // Path of the bridge library that was loaded (for diagnostics).
    static std::string bridge_path();

private:
    struct Impl;
    std::shared_ptr<const Impl> impl_;
};

}  // namespace xs::xsam
