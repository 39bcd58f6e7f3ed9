// libxs_spm: a thin C wrapper around sentencepiece::SentencePieceProcessor (see spm_bridge.h).
#include "spm_bridge.h"

#include <sentencepiece_processor.h>

#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

namespace {

sentencepiece::SentencePieceProcessor* sp(void* h) { return static_cast<sentencepiece::SentencePieceProcessor*>(h); }

int copy_out(const std::string& s, char* out, int cap) {
    if (out && cap > 0) std::memcpy(out, s.data(), std::min<size_t>(s.size(), static_cast<size_t>(cap)));
    return static_cast<int>(s.size());
}

}  // namespace

extern "C" {

int xs_spm_abi_version(void) { return XS_SPM_ABI_VERSION; }

void* xs_spm_load(const char* path, char* err, size_t err_cap) {
    auto* p = new (std::nothrow) sentencepiece::SentencePieceProcessor();
    if (!p) return nullptr;
    const auto status = p->Load(path);
    if (!status.ok()) {
        if (err && err_cap > 0) {
            const std::string m = status.ToString();
            const size_t n = std::min(m.size(), err_cap - 1);
            std::memcpy(err, m.data(), n);
            err[n] = '\0';
        }
        delete p;
        return nullptr;
    }
    return p;
}

void xs_spm_free(void* h) { delete sp(h); }

int xs_spm_vocab_size(void* h) { return sp(h)->GetPieceSize(); }

int xs_spm_encode(void* h, const char* text, size_t len, int* ids, int cap) {
    std::vector<int> out;
    if (!sp(h)->Encode(std::string(text, len), &out).ok()) return -1;
    if (ids && cap > 0) std::copy_n(out.begin(), std::min<size_t>(out.size(), static_cast<size_t>(cap)), ids);
    return static_cast<int>(out.size());
}

int xs_spm_id_to_piece(void* h, int id, char* out, int cap) {
    if (id < 0 || id >= sp(h)->GetPieceSize()) return -1;
    return copy_out(sp(h)->IdToPiece(id), out, cap);
}

int xs_spm_piece_to_id(void* h, const char* piece) { return sp(h)->PieceToId(piece); }

int xs_spm_kind(void* h, int id) {
    auto* p = sp(h);
    if (id < 0 || id >= p->GetPieceSize()) return -1;
    if (p->IsUnknown(id)) return 1;
    if (p->IsControl(id)) return 2;
    if (p->IsByte(id)) return 3;
    if (p->IsUnused(id)) return 5;
    return 0;
}

int xs_spm_unk_id(void* h) { return sp(h)->unk_id(); }
int xs_spm_bos_id(void* h) { return sp(h)->bos_id(); }
int xs_spm_eos_id(void* h) { return sp(h)->eos_id(); }

}  // extern "C"
