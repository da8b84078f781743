/* Checkpoints: one safetensors file, a sharded checkpoint behind its index, or a directory
 * holding either, presented as one list of tensors sorted by name.
 *
 * What fti_ckpt_open accepts (path):
 *  - a file whose name ends in ".index.json": a sharded checkpoint's index,
 *      { "metadata": { ... },                          (optional object, not used)
 *        "weight_map": { "<tensor>": "<shard file>", ... } }
 *    shard file names are relative to the index's directory (never absolute, no ".." segment);
 *    every shard named is opened and validated (safetensors.h), and the index must describe the
 *    shards exactly: every tensor of the weight map is in the shard it names, every tensor of a
 *    shard is in the weight map (under that shard), and no name is in two shards.
 *    Other top-level members of the index are ignored (they describe nothing fti reads).
 *  - any other file: a single safetensors file.
 *  - a directory: it must hold exactly one of
 *      model.safetensors, a file named *.safetensors.index.json, adapter_model.safetensors,
 *    which is then opened as above. None of them: FTI_ERR_IO ("no checkpoint in ..."); more than
 *    one (e.g. model.safetensors beside an index, or two indexes): FTI_ERR_ARG naming them, so
 *    the user names the file. Other *.safetensors files alone are not guessed at.
 *
 * Errors: FTI_ERR_IO (missing files), FTI_ERR_FORMAT ("<file>: <problem>": a malformed index or
 * shard, or an index that disagrees with its shards), FTI_ERR_ARG (ambiguous directory),
 * FTI_ERR_NOMEM.
 *
 * Streaming. Every shard is mapped at open, but only headers are read; tensor bytes are paged
 * in when read. To walk a checkpoint larger than memory with bounded RSS, call
 * fti_ckpt_release(t) after finishing each tensor (drops its pages from this process).
 * Values: fti_st_tensor's data holds the raw little-endian bytes; encode.h decodes them exactly
 * (fti_decode_f64, fti_encode_run, fti_encode_limbs). */
#ifndef FTI_MODEL_CHECKPOINT_H
#define FTI_MODEL_CHECKPOINT_H

#include <stddef.h>

#include "model/safetensors.h"

typedef struct fti_ckpt fti_ckpt;

typedef enum {
    FTI_CKPT_FILE,    /* one safetensors file */
    FTI_CKPT_SHARDED, /* an index and its shards */
    FTI_CKPT_ADAPTER  /* a directory's adapter_model.safetensors (a PEFT adapter; see lora.h) */
} fti_ckpt_kind;

FTI_MUST_CHECK fti_status fti_ckpt_open(fti_ckpt **out, const char *path);
void fti_ckpt_close(fti_ckpt *c); /* c may be NULL */

fti_ckpt_kind fti_ckpt_kind_of(const fti_ckpt *c);
/* The file actually opened: the safetensors file or the index (not the directory). */
const char *fti_ckpt_path(const fti_ckpt *c);

/* All tensors of all files, sorted by name (byte order). */
size_t fti_ckpt_count(const fti_ckpt *c);
const fti_st_tensor *fti_ckpt_tensor(const fti_ckpt *c, size_t i);
const fti_st_tensor *fti_ckpt_find(const fti_ckpt *c, const char *name);

/* The safetensors files (one, or the shards sorted by file name), e.g. for their
 * __metadata__ (fti_st_metadata_get). A tensor's file is t->file. */
size_t fti_ckpt_file_count(const fti_ckpt *c);
const fti_st_file *fti_ckpt_file(const fti_ckpt *c, size_t i);

/* Page-cache advice for one tensor (see fti_st_prefetch / fti_st_release). */
static inline void fti_ckpt_prefetch(const fti_st_tensor *t) { fti_st_prefetch(t); }
static inline void fti_ckpt_release(const fti_st_tensor *t) { fti_st_release(t); }

#endif
