/* safetensors writer: one file, or a Hugging Face style sharded checkpoint, streamed one tensor
 * at a time (the format is described in model/safetensors.h).
 *
 * What is written:
 *  - each file: u64 N, then N bytes of header JSON (compact, keys sorted in byte order, so
 *    "__metadata__" and every tensor entry appear in strcmp order; each entry
 *    {"data_offsets":[b,e],"dtype":"BF16","shape":[...]}), padded with spaces to a multiple
 *    of 8 bytes as the reference writer does (JSON allows trailing whitespace), then the data.
 *    Data order follows the reference writer: by dtype, widest enum value first, then by name;
 *  - a sharded checkpoint: files "model-00001-of-0000n.safetensors" (5 digits each, the
 *    transformers convention) and "model.safetensors.index.json",
 *      {"metadata": {"total_size": <bytes of tensor data>}, "weight_map": {name: file, ...}}
 *    indented by 2 with sorted keys and a final newline, as transformers writes it.
 *
 * Streaming: the caller describes the tensors (names, dtypes, shapes) up front; the writer
 * computes every header, then for each tensor, file by file, calls fill(ctx, i, buf) to produce
 * its bytes into one reused buffer of the largest tensor's size, and writes them. Peak memory is
 * that buffer plus the headers. fill is called exactly once per tensor with at least one byte
 * (never for zero-element tensors), from the calling thread, in file order; it must write all
 * nbytes bytes (fti_sw_nbytes) and may itself run parallel loops.
 *
 * Layouts say which file each tensor goes to:
 *  - single: everything in one file;
 *  - max size (Hugging Face's split_torch_state_dict_into_shards): tensors in name order; one
 *    bigger than the limit gets a shard of its own (the open shard stays open); otherwise a
 *    tensor that would make the open shard exceed the limit closes it first. One shard only:
 *    a single "model.safetensors", no index (as transformers does);
 *  - count: the least limit (found by bisection) for which that rule gives at most n shards.
 *    The result has at most n shards (fewer when there are fewer tensors than n, or when the
 *    sizes do not allow exactly n);
 *  - explicit: the caller fills the struct (e.g. a base checkpoint's own layout).
 *
 * Contract: outputs first; fti_status results set fti_last_error() to one line naming the file.
 * On failure the files written so far by that call are removed. */
#ifndef FTI_SYNTH_ST_WRITE_H
#define FTI_SYNTH_ST_WRITE_H

#include <stddef.h>
#include <stdint.h>

#include "fti/fti.h"
#include "model/safetensors.h"

#define FTI_SW_MAX_NDIM 8

typedef struct {
    const char *name; /* non-empty, unique among the tensors of one write */
    fti_dtype dtype;
    unsigned ndim; /* <= FTI_SW_MAX_NDIM; 0 is a scalar */
    uint64_t shape[FTI_SW_MAX_NDIM];
} fti_sw_tensor;

/* Bytes of t's data; UINT64_MAX if numel * bits overflows or is not a whole number of bytes. */
uint64_t fti_sw_nbytes(const fti_sw_tensor *t);

/* Writes the nbytes bytes of tensor i into buf. A failure stops the write; its message stands. */
typedef fti_status (*fti_sw_fill_fn)(void *ctx, size_t i, uint8_t *buf);

typedef struct {
    size_t nfiles;
    char **files;       /* nfiles file names, without directory, owned */
    size_t *file_of;    /* per tensor: its file, < nfiles; owned */
    char *index_name;   /* the index file's name, or NULL for no index (nfiles must be 1); owned */
} fti_sw_layout;

/* One file called file (no index). */
FTI_MUST_CHECK fti_status fti_sw_layout_single(fti_sw_layout *out, size_t n, const char *file);
/* Hugging Face's split by max_bytes (> 0), rules above. */
FTI_MUST_CHECK fti_status fti_sw_layout_max_size(fti_sw_layout *out, const fti_sw_tensor *ts, size_t n,
                                                 uint64_t max_bytes);
/* At most shards (>= 1) shards, rules above. */
FTI_MUST_CHECK fti_status fti_sw_layout_count(fti_sw_layout *out, const fti_sw_tensor *ts, size_t n,
                                              unsigned shards);
/* An empty layout of nfiles files (names NULL, file_of zeroed) for the caller to fill. */
FTI_MUST_CHECK fti_status fti_sw_layout_alloc(fti_sw_layout *out, size_t n, size_t nfiles);
void fti_sw_layout_free(fti_sw_layout *l); /* l may be zeroed; leaves it zeroed */

typedef struct {
    const char *key, *value;
} fti_sw_meta;

/* Writes tensors ts[0..n) laid out by l, their bytes from fill, with __metadata__ meta[0..nmeta)
 * in every file (none if nmeta is 0; keys unique). out is a directory, created (with its
 * parents) if missing, receiving l's files and index; or, for a single-file layout without
 * index, a path ending in ".safetensors" to write that file itself.
 * Errors: FTI_ERR_ARG (a bad tensor description or layout, duplicate names), FTI_ERR_IO,
 * FTI_ERR_NOMEM, and whatever fill returns. */
FTI_MUST_CHECK fti_status fti_sw_write(const char *out, const fti_sw_tensor *ts, size_t n, const fti_sw_layout *l,
                                       const fti_sw_meta *meta, size_t nmeta, fti_sw_fill_fn fill, void *ctx);

/* mkdir -p path. FTI_ERR_IO naming the directory. */
FTI_MUST_CHECK fti_status fti_sw_mkdirs(const char *path);

#endif
