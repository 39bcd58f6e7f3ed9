// X-SAM tokenizer on the dlopen'ed SentencePiece bridge: see tokenizer.h.
#include "core/xsam/tokenizer/tokenizer.h"

#include "core/util/error.h"
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
    int (*decode)(void*, const int*, int, char*, int);
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
        resolve(lib, path, "xs_spm_decode", nb->decode);
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

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'; }

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

    std::string sp_decode(const std::vector<int>& ids) const {
        std::string out(ids.size() * 8 + 16, '\0');
        int n = b->decode(handle, ids.data(), static_cast<int>(ids.size()), out.data(), static_cast<int>(out.size()));
        if (n > static_cast<int>(out.size())) {
            out.resize(static_cast<size_t>(n));
            n = b->decode(handle, ids.data(), static_cast<int>(ids.size()), out.data(), n);
        }
        if (n < 0) throw Error("SentencePiece could not decode the ids");
        out.resize(static_cast<size_t>(n));
        return out;
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
    // The model's own control pieces (<unk>, <s>, </s>) are matched in text like HF's added tokens 0-2;
    // Phi-3 marks </s> rstrip.
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
    for (int64_t id : {static_cast<int64_t>(b.unk_id(impl->handle)), impl->bos, impl->eos}) {
        if (id < 0) continue;
        std::string piece(64, '\0');
        const int n = b.id_to_piece(impl->handle, static_cast<int>(id), piece.data(), static_cast<int>(piece.size()));
        if (n <= 0 || n > 64) continue;
        piece.resize(static_cast<size_t>(n));
        add(piece, id, true, id == impl->eos);
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
        if (trim_right)
            while (!seg.empty() && is_space(seg.back())) seg.pop_back();
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
            while (pos < text.size() && is_space(text[pos])) ++pos;
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
    std::string out;
    std::vector<int> run;
    auto flush = [&]() {
        if (run.empty()) return;
        // SentencePiece drops the first piece's dummy-prefix space itself.
        out += impl_->sp_decode(run);
        run.clear();
    };
    for (int64_t id : ids) {
        if (id == kImageTokenIndex || id == kRegionTokenIndex) {
            flush();
            out += id == kImageTokenIndex ? "<image>" : "<region>";
            continue;
        }
        auto it = impl_->by_id.find(id);
        if (it != impl_->by_id.end()) {
            flush();
            const AddedToken& t = impl_->added[it->second];
            if (!(skip_special && t.special)) out += t.content;
            continue;
        }
        if (id < 0 || id >= impl_->sp_vocab)
            throw Error("tokenizer: id " + std::to_string(id) + " is outside the vocabulary of " +
                        std::to_string(vocab_size()));
        run.push_back(static_cast<int>(id));
    }
    flush();
    return out;
}

std::string Tokenizer::piece(int64_t id) const {
    auto it = impl_->by_id.find(id);
    if (it != impl_->by_id.end()) return impl_->added[it->second].content;
    if (id < 0 || id >= impl_->sp_vocab) throw Error("tokenizer: id " + std::to_string(id) + " is outside the vocabulary");
    std::string p(64, '\0');
    int n = impl_->b->id_to_piece(impl_->handle, static_cast<int>(id), p.data(), static_cast<int>(p.size()));
    if (n > static_cast<int>(p.size())) {
        p.resize(static_cast<size_t>(n));
        n = impl_->b->id_to_piece(impl_->handle, static_cast<int>(id), p.data(), n);
    }
    p.resize(static_cast<size_t>(std::max(n, 0)));
    return p;
}

}  // namespace xs::xsam
