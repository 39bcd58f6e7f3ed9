/* The C API of libxs_spm, the project's own bridge to SentencePiece. LibTorch never links against it:
 * core/xsam/tokenizer/tokenizer.cpp loads it with dlopen(RTLD_NOW | RTLD_LOCAL | RTLD_DEEPBIND) so that the
 * protobuf copy inside Debian's libsentencepiece never meets LibTorch's (toolchain-facts.md, section 1).
 * Plain C types only; every buffer is owned by the caller. Functions returning a length return the
 * full length even when it exceeds `cap` (call again with a larger buffer), or -1 on error. */
#ifndef XS_SPM_BRIDGE_H
#define XS_SPM_BRIDGE_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

#define XS_SPM_ABI_VERSION 2

int xs_spm_abi_version(void);
/* Loads a .model file; NULL on failure with the reason in err (NUL-terminated, truncated to err_cap). */
void* xs_spm_load(const char* path, char* err, size_t err_cap);
void xs_spm_free(void* handle);
int xs_spm_vocab_size(void* handle);
/* Encodes UTF-8 text (len bytes) to ids; returns the number of ids. */
int xs_spm_encode(void* handle, const char* text, size_t len, int* ids, int cap);
/* The piece of an id, as stored in the model (e.g. "\xe2\x96\x81the", "<0x0A>"); returns its length. */
int xs_spm_id_to_piece(void* handle, int id, char* out, int cap);
/* The id of a piece, or the unknown id when absent. */
int xs_spm_piece_to_id(void* handle, const char* piece);
/* Kinds: 0 normal, 1 unknown, 2 control, 3 byte, 4 user defined, 5 unused. */
int xs_spm_kind(void* handle, int id);
int xs_spm_unk_id(void* handle);
int xs_spm_bos_id(void* handle);
int xs_spm_eos_id(void* handle);

#ifdef __cplusplus
}
#endif

#endif
