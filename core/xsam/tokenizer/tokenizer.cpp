// X-SAM tokenizer on the dlopen'ed SentencePiece bridge: see tokenizer.h.
#include "core/xsam/tokenizer/tokenizer.h"

#include "core/util/error.h"
#include "core/util/utf8.h"
#include "core/xsam/tokenizer/spm/spm_bridge.h"

#include <dlfcn.h>
#include <unistd.h>

#include <algorithm>
#include <climits>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <mutex>

namespace fs = std::filesystem;

namespace xs::xsam {

namespace {

// ---- the bridge library ----

struct Bridge {
    std::string path;
    int (*abi_version)();
    void* (*load)(const char*, char*, size_t);
    void (*free_)(void*);
    int (*vocab_size)(void*);
    int (*encode)(void*, const char*, size_t, int*, int);
    int (*id_to_piece)(void*, int, char*, int);
    int (*piece_to_id)(void*, const char*);
    int (*kind)(void*, int);
    int (*unk_id)(void*);
    int (*bos_id)(void*);
    int (*eos_id)(void*);
};

std::vector<std::string> bridge_candidates() {
    std::vector<std::string> c;
    if (const char* env = std::getenv("XS_SPM_LIBRARY"); env && *env) c.emplace_back(env);
    char buf[PATH_MAX];
    const ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
    if (n > 0) {
        const fs::path dir = fs::path(std::string(buf, static_cast<size_t>(n))).parent_path();
        c.push_back((dir / "libxs_spm.so").string());
        c.push_back((dir.parent_path() / "lib" / "libxs_spm.so").string());
    }
#ifdef XS_SPM_BUILD_PATH
    c.emplace_back(XS_SPM_BUILD_PATH);
#endif
    return c;
}

template <typename F>
void resolve(void* lib, const std::string& path, const char* name, F& fn) {
    void* sym = dlsym(lib, name);
    if (!sym) throw Error(path + ": the SentencePiece bridge lacks the symbol " + name);
    fn = reinterpret_cast<F>(sym);
}

const Bridge& bridge() {
    static std::mutex m;
    static std::unique_ptr<Bridge> b;
    std::lock_guard<std::mutex> lock(m);
    if (b) return *b;
    std::string tried;
    for (const auto& path : bridge_candidates()) {
        if (!fs::exists(path)) {
            tried += "\n  " + path + " (absent)";
            continue;
        }
        // RTLD_DEEPBIND: the bridge and libsentencepiece resolve their own (protobuf) symbols first,
        // not LibTorch's copies already loaded in this process.
        void* lib = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL | RTLD_DEEPBIND);
        if (!lib) {
            const char* e = dlerror();
            tried += "\n  " + path + " (" + (e ? e : "dlopen failed") + ")";
            continue;
        }
        auto nb = std::make_unique<Bridge>();
        nb->path = path;
        resolve(lib, path, "xs_spm_abi_version", nb->abi_version);
        if (nb->abi_version() != XS_SPM_ABI_VERSION)
            throw Error(path + ": SentencePiece bridge ABI " + std::to_string(nb->abi_version()) + ", expected " +
                        std::to_string(XS_SPM_ABI_VERSION));
        resolve(lib, path, "xs_spm_load", nb->load);
        resolve(lib, path, "xs_spm_free", nb->free_);
        resolve(lib, path, "xs_spm_vocab_size", nb->vocab_size);
        resolve(lib, path, "xs_spm_encode", nb->encode);
        resolve(lib, path, "xs_spm_id_to_piece", nb->id_to_piece);
        resolve(lib, path, "xs_spm_piece_to_id", nb->piece_to_id);
        resolve(lib, path, "xs_spm_kind", nb->kind);
        resolve(lib, path, "xs_spm_unk_id", nb->unk_id);
        resolve(lib, path, "xs_spm_bos_id", nb->bos_id);
        resolve(lib, path, "xs_spm_eos_id", nb->eos_id);
        b = std::move(nb);  // the library stays loaded for the life of the process
        return *b;
    }
    throw Error("the SentencePiece bridge libxs_spm.so was not found (set XS_SPM_LIBRARY); tried:" + tried);
}

// Byte length of the code point at text[pos] when it is White_Space (Rust's char::is_whitespace, which
// Hugging Face's tokenizers use for rstrip/lstrip: ASCII 09-0D and space, U+0085, U+00A0, U+1680,
// U+2000-200A, U+2028, U+2029, U+202F, U+205F, U+3000), else 0.
size_t whitespace_length(const std::string& text, size_t pos) {
    const auto byte = [&](size_t i) { return i < text.size() ? static_cast<unsigned char>(text[i]) : 0u; };
    const unsigned c0 = byte(pos);
    if (c0 == ' ' || (c0 >= 0x09 && c0 <= 0x0d)) return 1;
    const unsigned c1 = byte(pos + 1), c2 = byte(pos + 2);
    if (c0 == 0xc2 && (c1 == 0x85 || c1 == 0xa0)) return 2;
    if (c0 == 0xe1 && c1 == 0x9a && c2 == 0x80) return 3;                               // U+1680
    if (c0 == 0xe2 && c1 == 0x80 && ((c2 >= 0x80 && c2 <= 0x8a) || c2 == 0xa8 || c2 == 0xa9 || c2 == 0xaf))
        return 3;                                                                          // U+2000-200A, 2028, 2029, 202F
    if (c0 == 0xe2 && c1 == 0x81 && c2 == 0x9f) return 3;                               // U+205F
    if (c0 == 0xe3 && c1 == 0x80 && c2 == 0x80) return 3;                               // U+3000
    return 0;
}

// `text` without its trailing White_Space.
std::string trim_whitespace_right(const std::string& text) {
    size_t end = 0, pos = 0;
    while (pos < text.size()) {
        const size_t n = whitespace_length(text, pos);
        if (n) {
            pos += n;
        } else {
            ++pos;
            end = pos;
        }
    }
    return text.substr(0, end);
}

// Phi-3's added tokens after the SentencePiece vocabulary (offset, content, rstrip), then X-SAM's.
struct Layout {
    int offset;
    const char* content;
    bool rstrip;
};
constexpr Layout kPhi3Added[] = {
    {0, "<|endoftext|>", false}, {1, "<|assistant|>", true},  {2, "<|placeholder1|>", true},
    {3, "<|placeholder2|>", true}, {4, "<|placeholder3|>", true}, {5, "<|placeholder4|>", true},
    {6, "<|system|>", true},     {7, "<|end|>", true},        {8, "<|placeholder5|>", true},
    {9, "<|placeholder6|>", true}, {10, "<|user|>", true},
};
constexpr const char* kXsamAdded[] = {"<SEG>", "<p>", "</p>"};

}  // namespace

std::string phi3_chat_instruction(const std::string& input) { return kPhi3ChatPrefix + input + kPhi3ChatInfix; }

// ---- tokenizer ----

struct Tokenizer::Impl {
    const Bridge* b = nullptr;
    void* handle = nullptr;
    int64_t sp_vocab = 0;
    std::vector<AddedToken> added;
    std::map<std::string, size_t> by_content;
    std::map<int64_t, size_t> by_id;
    int64_t bos = -1, eos = -1;
    std::vector<std::string> pieces;  // the SentencePiece vocabulary, by id
    std::vector<bool> byte_piece;     // "<0x0A>" ... (byte fallback)

    ~Impl() {
        if (handle) b->free_(handle);
    }

    std::vector<int64_t> sp_encode(const std::string& s) const {
        std::vector<int> ids(s.size() + 8);
        int n = b->encode(handle, s.data(), s.size(), ids.data(), static_cast<int>(ids.size()));
        if (n > static_cast<int>(ids.size())) {
            ids.resize(static_cast<size_t>(n));
            n = b->encode(handle, s.data(), s.size(), ids.data(), n);
        }
        if (n < 0) throw Error("SentencePiece could not encode the text");
        return std::vector<int64_t>(ids.begin(), ids.begin() + n);
    }

    // The longest added token starting at text[pos], or nullptr.
    const AddedToken* match(const std::string& text, size_t pos) const {
        const AddedToken* best = nullptr;
        for (const auto& t : added)
            if (text.compare(pos, t.content.size(), t.content) == 0 &&
                (!best || t.content.size() > best->content.size()))
                best = &t;
        return best;
    }
};

Tokenizer Tokenizer::load(const std::string& path_in) {
    std::string path = path_in;
    if (fs::is_directory(path)) path = (fs::path(path) / "tokenizer.model").string();
    if (!fs::exists(path)) throw Error(path + ": no such tokenizer model");
    const Bridge& b = bridge();
    auto impl = std::make_shared<Impl>();
    impl->b = &b;
    char err[512] = {0};
    impl->handle = b.load(path.c_str(), err, sizeof err);
    if (!impl->handle) throw Error(path + ": SentencePiece could not load the model: " + err);
    impl->sp_vocab = b.vocab_size(impl->handle);
    impl->bos = b.bos_id(impl->handle);
    impl->eos = b.eos_id(impl->handle);
    for (int id = 0; id < impl->sp_vocab; ++id) {
        std::string piece(64, '\0');
        int n = b.id_to_piece(impl->handle, id, piece.data(), static_cast<int>(piece.size()));
        if (n > static_cast<int>(piece.size())) {
            piece.resize(static_cast<size_t>(n));
            n = b.id_to_piece(impl->handle, id, piece.data(), n);
        }
        if (n < 0) throw Error(path + ": SentencePiece has no piece for id " + std::to_string(id));
        piece.resize(static_cast<size_t>(n));
        impl->pieces.push_back(std::move(piece));
        impl->byte_piece.push_back(b.kind(impl->handle, id) == 3);
    }
    // The model's own control pieces (<unk>, <s>, </s>) are matched in text like HF's added tokens 0-2.
    auto add = [&](const std::string& content, int64_t id, bool special, bool rstrip) {
        AddedToken t;
        t.content = content;
        t.id = id;
        t.special = special;
        t.rstrip = rstrip;
        impl->by_content[content] = impl->added.size();
        impl->by_id[id] = impl->added.size();
        impl->added.push_back(t);
    };
    // Phi-3 marks </s> rstrip and not special.
    for (int64_t id : {static_cast<int64_t>(b.unk_id(impl->handle)), impl->bos, impl->eos}) {
        if (id < 0 || id >= impl->sp_vocab) continue;
        add(impl->pieces[size_t(id)], id, id != impl->eos, id == impl->eos);
    }
    const int64_t V = impl->sp_vocab;
    for (const auto& l : kPhi3Added) add(l.content, V + l.offset, true, l.rstrip);
    int64_t next = V + 11;
    for (const char* c : kXsamAdded) add(c, next++, true, false);
    Tokenizer t;
    t.impl_ = std::move(impl);
    return t;
}

int64_t Tokenizer::sp_vocab_size() const { return impl_->sp_vocab; }
int64_t Tokenizer::vocab_size() const { return impl_->sp_vocab + 14; }
const std::vector<AddedToken>& Tokenizer::added_tokens() const { return impl_->added; }
int64_t Tokenizer::bos_id() const { return impl_->bos; }
int64_t Tokenizer::eos_id() const { return impl_->eos; }
std::string Tokenizer::bridge_path() { return bridge().path; }

int64_t Tokenizer::token_id(const std::string& content) const {
    auto it = impl_->by_content.find(content);
    if (it == impl_->by_content.end()) throw Error("tokenizer: no added token \"" + content + "\"");
    return impl_->added[it->second].id;
}

std::vector<int64_t> Tokenizer::encode(const std::string& text) const {
    std::vector<int64_t> out;
    size_t start = 0, pos = 0;
    auto flush_segment = [&](size_t end, bool trim_right) {
        std::string seg = text.substr(start, end - start);
        if (trim_right) seg = trim_whitespace_right(seg);
        if (seg.empty()) return;
        auto ids = impl_->sp_encode(seg);
        out.insert(out.end(), ids.begin(), ids.end());
    };
    while (pos < text.size()) {
        const AddedToken* t = impl_->match(text, pos);
        if (!t) {
            ++pos;
            continue;
        }
        flush_segment(pos, t->lstrip);
        out.push_back(t->id);
        pos += t->content.size();
        if (t->rstrip)
            while (size_t n = whitespace_length(text, pos)) pos += n;
        start = pos;
    }
    flush_segment(text.size(), false);
    return out;
}

std::vector<int64_t> Tokenizer::encode_chunks(const std::string& text) const {
    static const std::string image = "<image>", region = "<region>";
    std::vector<int64_t> out;
    size_t start = 0;
    while (true) {
        const size_t i = text.find(image, start), r = text.find(region, start);
        const size_t at = std::min(i, r);
        const std::string chunk = text.substr(start, at == std::string::npos ? std::string::npos : at - start);
        auto ids = encode(chunk);
        out.insert(out.end(), ids.begin(), ids.end());
        if (at == std::string::npos) break;
        const bool is_image = (at == i);
        out.push_back(is_image ? kImageTokenIndex : kRegionTokenIndex);
        start = at + (is_image ? image.size() : region.size());
    }
    return out;
}

std::string Tokenizer::decode(const std::vector<int64_t>& ids, bool skip_special) const {
    // Hugging Face's Llama decoder: every token as text (added tokens and placeholders as their
    // content, "\xe2\x96\x81" as a space), each run of byte pieces joined (valid UTF-8, else U+FFFD
    // per byte), then one leading space of the whole text removed.
    std::string out, bytes;
    auto flush_bytes = [&]() {
        if (bytes.empty()) return;
        if (is_valid_utf8(bytes)) {
            out += bytes;
        } else {
            for (size_t i = 0; i < bytes.size(); ++i) out += "\xef\xbf\xbd";
        }
        bytes.clear();
    };
    for (int64_t id : ids) {
        if (id == kImageTokenIndex || id == kRegionTokenIndex) {
            flush_bytes();
            out += id == kImageTokenIndex ? "<image>" : "<region>";
            continue;
        }
        auto it = impl_->by_id.find(id);
        if (it != impl_->by_id.end()) {
            const AddedToken& t = impl_->added[it->second];
            if (skip_special && t.special) continue;
            flush_bytes();
            out += t.content;
            continue;
        }
        if (id < 0 || id >= impl_->sp_vocab)
            throw Error("tokenizer: id " + std::to_string(id) + " is outside the vocabulary of " +
                        std::to_string(vocab_size()));
        const std::string& p = impl_->pieces[size_t(id)];
        if (impl_->byte_piece[size_t(id)]) {
            bytes += static_cast<char>(std::stoi(p.substr(3, 2), nullptr, 16));
            continue;
        }
        flush_bytes();
        for (size_t i = 0; i < p.size();) {
            if (p.compare(i, 3, "\xe2\x96\x81") == 0) {
                out += ' ';
                i += 3;
            } else {
                out += p[i++];
            }
        }
    }
    flush_bytes();
    if (!out.empty() && out[0] == ' ') out.erase(0, 1);
    return out;
}

std::string Tokenizer::piece(int64_t id) const {
    auto it = impl_->by_id.find(id);
    if (it != impl_->by_id.end()) return impl_->added[it->second].content;
    if (id < 0 || id >= impl_->sp_vocab) throw Error("tokenizer: id " + std::to_string(id) + " is outside the vocabulary");
    return impl_->pieces[size_t(id)];
}

}  // namespace xs::xsam
