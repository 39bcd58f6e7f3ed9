// The X-SAM tokenizer in a process that holds LibTorch: a SentencePiece model trained by spm_train in
// the set-up, loaded through the dlopen'ed bridge; added tokens, rstrip, per-segment prefix space,
// chat template, chunked encoding around <image>/<region>, decoding; the committed tiny model.
#include "core/util/error.h"
#include "core/xsam/tokenizer/tokenizer.h"
#include "tests/harness/plain_test.h"

#include <nlohmann/json.hpp>
#include <torch/torch.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

using namespace xs::xsam;
namespace fs = std::filesystem;

namespace {

std::string work_dir() {
    static std::string dir = [] {
        fs::path p = fs::path(xs::plain_test::env_or("XS_TEST_TMP", fs::temp_directory_path().string())) / "tok";
        fs::remove_all(p);
        fs::create_directories(p);
        return p.string();
    }();
    return dir;
}

// Trains a BPE model with byte fallback (Llama/Phi-3 style options) once per run.
const Tokenizer& tok() {
    static Tokenizer t = [] {
        // LibTorch is loaded and used before SentencePiece comes in (the order that crashes when linked).
        auto x = torch::ones({2, 2}).sum().item<float>();
        XS_CHECK(x == 4.0f);
        const std::string dir = work_dir();
        std::ofstream corpus(dir + "/corpus.txt");
        for (int i = 0; i < 20; ++i)
            corpus << "Can you segment the bird in this image? Please generate the segmentation mask.\n"
                      "It is the cat on the left. The quick brown fox jumps over the lazy dog near 42 trees.\n"
                      "Sure, the masks of the person, the car and the red umbrella are ready.\n";
        corpus.close();
        const std::string cmd = "cd " + dir +
                                " && spm_train --input=corpus.txt --model_prefix=m --model_type=bpe --vocab_size=300 "
                                "--byte_fallback=true --character_coverage=1.0 --add_dummy_prefix=true "
                                "--remove_extra_whitespaces=false --normalization_rule_name=identity --split_digits=true "
                                "--num_threads=1 --minloglevel=2 > train.log 2>&1";
        XS_CHECK_MSG(std::system(cmd.c_str()) == 0, "spm_train failed, see " + dir + "/train.log");
        return Tokenizer::load(dir + "/m.model");
    }();
    return t;
}

// Pieces of ids, joined with '|'.
std::string pieces(const std::vector<int64_t>& ids) {
    std::string s;
    for (size_t i = 0; i < ids.size(); ++i) s += (i ? "|" : "") + tok().piece(ids[i]);
    return s;
}

std::vector<int64_t> cat(std::initializer_list<std::vector<int64_t>> parts) {
    std::vector<int64_t> r;
    for (const auto& p : parts) r.insert(r.end(), p.begin(), p.end());
    return r;
}

std::string show(const std::vector<int64_t>& v) {
    std::string s = "[";
    for (size_t i = 0; i < v.size(); ++i) s += (i ? "," : "") + std::to_string(v[i]);
    return s + "]";
}

}  // namespace

XS_TEST(bridge_loads_next_to_libtorch_and_round_trips_text) {
    const auto& t = tok();
    XS_CHECK(t.sp_vocab_size() == 300);
    XS_CHECK(!Tokenizer::bridge_path().empty());
    for (const std::string s : {"Can you segment the bird?", "the lazy dog near 42 trees", "caf\xc3\xa9 \xe2\x98\x83 zebra QX",
                                "two  spaces and\ttab", "line one\nline two"}) {
        auto ids = t.encode(s);
        XS_CHECK_MSG(!ids.empty(), s);
        XS_CHECK_MSG(t.decode(ids) == s, s + " -> " + t.decode(ids));
    }
    // Byte fallback: the snowman is not a piece, its UTF-8 bytes are.
    auto ids = t.encode("\xe2\x98\x83");
    XS_CHECK_MSG(pieces(ids) == "\xe2\x96\x81|<0xE2>|<0x98>|<0x83>", pieces(ids));
    // The dummy prefix: "the" is encoded as "▁the" (one piece, learned from the corpus).
    XS_CHECK_MSG(pieces(t.encode("the")) == "\xe2\x96\x81the", pieces(t.encode("the")));
}

XS_TEST(plain_text_matches_the_spm_encode_tool) {
    // Independent reference: Debian's spm_encode on the same model and text.
    const std::string dir = work_dir();
    const std::string text = "Please segment the red umbrella and the quick brown fox, 2024 times!";
    std::ofstream(dir + "/in.txt") << text << "\n";
    const std::string cmd = "spm_encode --model=" + dir + "/m.model --output_format=id < " + dir + "/in.txt > " + dir + "/out.txt";
    XS_CHECK(std::system(cmd.c_str()) == 0);
    std::ifstream in(dir + "/out.txt");
    std::vector<int64_t> ref;
    int64_t v;
    while (in >> v) ref.push_back(v);
    XS_CHECK_MSG(tok().encode(text) == ref, show(tok().encode(text)) + " vs " + show(ref));
}

XS_TEST(added_tokens_follow_phi3_and_xsam_ids) {
    const auto& t = tok();
    const int64_t V = t.sp_vocab_size();
    XS_CHECK(t.vocab_size() == V + 14);
    XS_CHECK(t.token_id("<|endoftext|>") == V + 0);
    XS_CHECK(t.token_id("<|assistant|>") == V + 1);
    XS_CHECK(t.token_id("<|placeholder1|>") == V + 2);
    XS_CHECK(t.token_id("<|system|>") == V + 6);
    XS_CHECK(t.token_id("<|end|>") == V + 7);
    XS_CHECK(t.token_id("<|placeholder6|>") == V + 9);
    XS_CHECK(t.token_id("<|user|>") == V + 10);
    XS_CHECK(t.token_id("<SEG>") == V + 11);
    XS_CHECK(t.token_id("<p>") == V + 12);
    XS_CHECK(t.token_id("</p>") == V + 13);
    XS_CHECK(t.token_id("<s>") == 1 && t.bos_id() == 1 && t.token_id("</s>") == 2 && t.token_id("<unk>") == 0);
    for (const auto& a : t.added_tokens()) XS_CHECK_MSG(a.special == (a.content != "</s>"), a.content);
    XS_CHECK_THROWS(t.token_id("<CLS>"), xs::Error, "no added token");
    // Each is one id when it appears in text, and decodes back.
    for (const auto& a : t.added_tokens()) {
        auto ids = t.encode(a.content);
        XS_CHECK_MSG(ids.size() == 1 && ids[0] == a.id, a.content + " -> " + show(ids));
        XS_CHECK(t.decode(ids) == a.content);
        XS_CHECK(t.decode(ids, true) == (a.special ? "" : a.content));  // Phi-3's </s> is not special
    }
    XS_CHECK_THROWS(t.decode({V + 14}), xs::Error, "outside the vocabulary");
}

XS_TEST(segments_rstrip_and_prefix_space_like_hf_legacy) {
    const auto& t = tok();
    const int64_t user = t.token_id("<|user|>"), end = t.token_id("<|end|>"), asst = t.token_id("<|assistant|>");
    const int64_t ps = t.token_id("<p>"), pe = t.token_id("</p>"), seg = t.token_id("<SEG>");
    // rstrip: the newline after <|user|>, <|end|>, <|assistant|> is dropped.
    XS_CHECK(t.encode("<|user|>\nHello") == cat({{user}, t.encode("Hello")}));
    XS_CHECK(t.encode("Hi<|end|>\n<|assistant|>\n") == cat({t.encode("Hi"), {end, asst}}));
    // X-SAM's tokens do not strip; every segment gets its own dummy prefix.
    auto ids = t.encode("Can you segment <p>the bird</p> in it?");
    XS_CHECK(ids == cat({t.encode("Can you segment "), {ps}, t.encode("the bird"), {pe}, t.encode(" in it?")}));
    // " in" after </p> is "▁▁in..." (dummy prefix plus the real space); the segment before <p> ends with "▁".
    XS_CHECK_MSG(pieces(t.encode(" in")).rfind("\xe2\x96\x81|\xe2\x96\x81", 0) == 0 ||
                     pieces(t.encode(" in")).rfind("\xe2\x96\x81\xe2\x96\x81", 0) == 0,
                 pieces(t.encode(" in")));
    // Decoding follows Hugging Face's Llama decoder: each segment's dummy-prefix space stays, only the
    // text's first one goes.
    XS_CHECK_MSG(t.decode(ids) == "Can you segment <p> the bird</p>  in it?", t.decode(ids));
    XS_CHECK_MSG(t.decode(ids, true) == "Can you segment  the bird  in it?", t.decode(ids, true));
    // A newline segment that is not stripped becomes "▁" + byte 0x0A, as with Phi-3 ([29871, 13]).
    XS_CHECK_MSG(pieces(t.encode("<p>\n")) == "<p>|\xe2\x96\x81|<0x0A>", pieces(t.encode("<p>\n")));
    // Longest match wins; unknown angle-bracket text is ordinary text.
    XS_CHECK(t.encode("<SEG>.") == cat({{seg}, t.encode(".")}));
    XS_CHECK(t.encode("<seg>") != std::vector<int64_t>({seg}));
}

XS_TEST(chat_template_and_chunks_around_image_and_region) {
    const auto& t = tok();
    const int64_t user = t.token_id("<|user|>"), end = t.token_id("<|end|>"), asst = t.token_id("<|assistant|>");
    const int64_t ps = t.token_id("<p>"), pe = t.token_id("</p>");
    const std::string q = "Can you segment the image based on the following regions: <p><region></p>, <p><region></p>?";
    const std::string prompt = phi3_chat_instruction("<image>\n" + q);
    XS_CHECK(prompt == "<|user|>\n<image>\n" + q + "<|end|>\n<|assistant|>\n");
    auto ids = t.encode_chunks(prompt);
    auto want = cat({{user, kImageTokenIndex},
                     t.encode("\nCan you segment the image based on the following regions: "),
                     {ps, kRegionTokenIndex, pe},
                     t.encode(", "),
                     {ps, kRegionTokenIndex, pe},
                     t.encode("?"),
                     {end, asst}});
    XS_CHECK_MSG(ids == want, show(ids) + "\nvs\n" + show(want));
    // Chunks are encoded separately: the text after <image> starts a new segment with its own prefix.
    XS_CHECK(t.encode_chunks("a<image>b") == cat({t.encode("a"), {kImageTokenIndex}, t.encode("b")}));
    XS_CHECK(t.encode_chunks("<image>") == std::vector<int64_t>({kImageTokenIndex}));
    XS_CHECK(t.encode_chunks("") .empty());
    XS_CHECK_MSG(t.decode(t.encode_chunks("x <region> y")) == "x <region>  y", t.decode(t.encode_chunks("x <region> y")));
    // The answer with the template's suffix.
    auto ans = t.encode(std::string("It is <SEG>.") + kPhi3ChatSuffix);
    XS_CHECK_MSG(ans.back() == end && t.decode(ans) == "It is <SEG> .<|end|>", t.decode(ans));
}

XS_TEST(rstrip_takes_unicode_whitespace_and_bytes_decode_per_run) {
    const auto& t = tok();
    const int64_t end = t.token_id("<|end|>");
    // U+00A0, U+3000, U+2028 and U+0085 are White_Space for Hugging Face's tokenizers (Rust's
    // char::is_whitespace); U+200B (zero width space) is not.
    XS_CHECK(t.encode("<|end|>\xc2\xa0\xe3\x80\x80\xe2\x80\xa8\xc2\x85x") == cat({{end}, t.encode("x")}));
    XS_CHECK(t.encode("<|end|>\xe2\x80\x8bx") == cat({{end}, t.encode("\xe2\x80\x8bx")}));
    // Byte fallback: a valid run decodes to its characters, an invalid run to one U+FFFD per byte
    // (tokenizers' ByteFallback decoder), placed where the run was.
    auto snow = t.encode("a\xe2\x98\x83");
    XS_CHECK_MSG(t.decode(snow) == "a\xe2\x98\x83", t.decode(snow));
    const int64_t b_e2 = 3 + 0xe2, b_98 = 3 + 0x98;
    XS_CHECK(t.piece(b_e2) == "<0xE2>");
    XS_CHECK_MSG(t.decode({b_e2, b_98, end}) == "\xef\xbf\xbd\xef\xbf\xbd<|end|>", t.decode({b_e2, b_98, end}));
}

XS_TEST(committed_tiny_tokenizer_fits_the_tiny_config) {
    const std::string src = xs::plain_test::env_or("XS_SOURCE_DIR", ".");
    auto t = Tokenizer::load(src + "/models/xsam-tiny.tokenizer.model");
    std::ifstream in(src + "/models/xsam-tiny.json");
    auto cfg = nlohmann::json::parse(in);
    XS_CHECK_MSG(t.vocab_size() == cfg.at("llm").at("vocab_size").get<int64_t>(),
                 std::to_string(t.vocab_size()) + " vs llm.vocab_size");
    const std::string s = "Can you segment <p>the bird</p> in this image? It is <SEG>.";
    XS_CHECK_MSG(t.decode(t.encode(s)) == "Can you segment <p> the bird</p>  in this image? It is <SEG> .",
                 t.decode(t.encode(s)));
    for (int64_t id : t.encode(s)) XS_CHECK(id >= 0 && id < t.vocab_size());
}

XS_TEST(bad_files_are_reported) {
    XS_CHECK_THROWS(Tokenizer::load(work_dir() + "/nope.model"), xs::Error, "no such tokenizer model");
    std::ofstream(work_dir() + "/garbage.model") << "this is not a sentencepiece model";
    XS_CHECK_THROWS(Tokenizer::load(work_dir() + "/garbage.model"), xs::Error, "could not load the model");
}

XS_TEST_MAIN()
