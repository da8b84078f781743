/* safetensors reader: memory-mapped, fully validated, never copies tensor data.
 *
 * File layout (the safetensors format, as written by the reference library):
 *
 *   offset 0       u64 little-endian N, the header length: 0 < N <= 100,000,000 (the format's cap)
 *   offset 8       N bytes of UTF-8 JSON, one object:
 *                    { "<tensor name>": { "dtype": "F32",
 *                                         "shape": [d0, d1, ...],          (row-major; [] = scalar)
 *                                         "data_offsets": [begin, end] },  (from offset 8 + N)
 *                      ...,
 *                      "__metadata__": { "<key>": "<value>", ... } }       (optional, str -> str)
 *                  (writers pad it with spaces to a multiple of 8 bytes; JSON allows that)
 *   offset 8 + N   the data region, up to the end of the file: tensor t occupies
 *                  [8 + N + begin_t, 8 + N + end_t), tightly packed little-endian elements.
 *
 * This reader accepts a file only if (each violation is FTI_ERR_FORMAT with the one-line message
 * "<path>: <problem>", naming the tensor where there is one):
 *  - it has at least 8 bytes, and 0 < N <= 100,000,000 and 8 + N <= file size;
 *  - the header is valid UTF-8 JSON whose top level is an object, with no duplicate key at any
 *    level (so tensor names are unique);
 *  - "__metadata__", if present, is an object whose values are all strings;
 *  - every other member is a tensor: a non-empty name mapping to an object with exactly the
 *    members "dtype" (a name from the table below), "shape" (an array of at most 1024
 *    non-negative integers; the bound is fti's) and "data_offsets" (an array of two integers
 *    0 <= begin <= end);
 *  - the element count (product of the shape; 1 for a scalar, 0 if a dimension is 0), the
 *    product of the non-zero dimensions and count * bits are all < 2^64, count * bits is a
 *    multiple of 8 (sub-byte dtypes), and end - begin == count * bits / 8;
 *  - end <= data region size for every tensor, and the tensors, sorted by offset, tile the
 *    data region exactly: no overlap, no hole, nothing after the last tensor.
 * Zero-element tensors (begin == end) and 0-d scalars are legal.
 *
 * Contract of this module: argument order is outputs, then inputs; every function returning an
 * fti_status leaves *out NULL on failure and sets fti_last_error(). A parsed file owns its
 * tensor table, names, shapes and metadata; tensor data is a pointer into the mapping (or the
 * caller's buffer), valid until fti_st_close. Reading data never allocates. Not thread-safe to
 * close while another thread reads; concurrent reads are fine.
 *
 * A file mapped here can still change underneath (another process truncating it would make a
 * read fault with SIGBUS): checkpoints are expected to be immutable while fti runs. */
#ifndef FTI_MODEL_SAFETENSORS_H
#define FTI_MODEL_SAFETENSORS_H

#include <stddef.h>
#include <stdint.h>

#include "fti/fti.h"

#define FTI_ST_MAX_HEADER 100000000u /* the format's cap on N */

/* Every dtype the format defines, in the reference library's order. Only BF16, F16, F32 and
 * F64 can be committed; the others are parsed and their bytes readable. */
typedef enum {
    FTI_DT_BOOL,
    FTI_DT_F4,      /* 4 bits, two per byte */
    FTI_DT_F6_E2M3, /* 6 bits */
    FTI_DT_F6_E3M2, /* 6 bits */
    FTI_DT_U8,
    FTI_DT_I8,
    FTI_DT_F8_E5M2,
    FTI_DT_F8_E4M3,
    FTI_DT_F8_E8M0,
    FTI_DT_I16,
    FTI_DT_U16,
    FTI_DT_F16,
    FTI_DT_BF16,
    FTI_DT_I32,
    FTI_DT_U32,
    FTI_DT_F32,
    FTI_DT_C64,
    FTI_DT_F64,
    FTI_DT_I64,
    FTI_DT_U64,
    FTI_DT_COUNT
} fti_dtype;

/* The header spelling ("BF16"), or "?" for a value outside the enum. */
const char *fti_dtype_name(fti_dtype dt);
/* Bits per element (4, 6, 8, 16, 32 or 64); 0 for a value outside the enum. */
unsigned fti_dtype_bits(fti_dtype dt);
/* 1 and *out set if name (NUL-terminated) is a dtype of the format, else 0. Case-sensitive. */
int fti_dtype_parse(fti_dtype *out, const char *name);
/* 1 for the dtypes fti commits (BF16, F16, F32, F64). */
int fti_dtype_committable(fti_dtype dt);

typedef struct fti_st_file fti_st_file;

typedef struct {
    const char *name;          /* NUL-terminated UTF-8, non-empty, unique in its file */
    const char *path;          /* the file's path (or label), for messages */
    const fti_st_file *file;   /* the file it belongs to */
    fti_dtype dtype;
    unsigned ndim;             /* 0 for a scalar */
    const uint64_t *shape;     /* ndim dimensions (NULL when ndim == 0) */
    uint64_t numel;            /* product of shape: 1 for a scalar, 0 if a dimension is 0 */
    uint64_t nbytes;           /* numel * bits / 8 == end - begin */
    uint64_t offset;           /* of its first byte, from the start of the file: 8 + N + begin */
    const uint8_t *data;       /* nbytes bytes, little-endian, any alignment */
} fti_st_tensor;

/* Opens and validates the file at path: maps it read-only (the data is never read here; only
 * the header's pages are touched). Errors: FTI_ERR_IO (cannot open/stat/map, not a regular
 * file), FTI_ERR_FORMAT (any rule above), FTI_ERR_NOMEM. */
FTI_MUST_CHECK fti_status fti_st_open(fti_st_file **out, const char *path);

/* Parses a whole file image held in memory (len bytes at buf; borrowed: it must outlive the
 * result). label stands for the path in messages. Same rules and errors as fti_st_open. */
FTI_MUST_CHECK fti_status fti_st_parse(fti_st_file **out, const uint8_t *buf, size_t len,
                                       const char *label);

/* Unmaps and frees everything (f may be NULL). Pointers obtained from f become invalid. */
void fti_st_close(fti_st_file *f);

const char *fti_st_path(const fti_st_file *f);
uint64_t fti_st_file_size(const fti_st_file *f);
uint64_t fti_st_header_len(const fti_st_file *f); /* N */

/* Tensors sorted by name (byte order, as strcmp). i < fti_st_count(f). */
size_t fti_st_count(const fti_st_file *f);
const fti_st_tensor *fti_st_tensor_at(const fti_st_file *f, size_t i);
/* The tensor called name, or NULL (binary search). */
const fti_st_tensor *fti_st_find(const fti_st_file *f, const char *name);

/* The __metadata__ map, sorted by key. */
size_t fti_st_metadata_count(const fti_st_file *f);
void fti_st_metadata_at(const fti_st_file *f, size_t i, const char **key, const char **value);
/* The value of key, or NULL. */
const char *fti_st_metadata_get(const fti_st_file *f, const char *key);

/* Page-cache advice for a tensor's bytes in a mapped file (no effect on fti_st_parse buffers):
 * prefetch before reading it (MADV_WILLNEED); release once done with it (MADV_DONTNEED), which
 * drops its pages from this process's resident set, so that a checkpoint far larger than memory
 * can be streamed tensor by tensor with bounded RSS. Reading a released tensor again is allowed
 * (the pages fault back in from the file). */
void fti_st_prefetch(const fti_st_tensor *t);
void fti_st_release(const fti_st_tensor *t);

/* FTI_OK if t's dtype can be committed; else FTI_ERR_UNSUPPORTED with
 * "<path>: tensor <name> has dtype I8, which fti cannot commit (only BF16, F16, F32, F64)". */
FTI_MUST_CHECK fti_status fti_st_require_committable(const fti_st_tensor *t);

/* Writes name into out (cap bytes, NUL-terminated) for a one-line message: control
 * characters and '\\' become \xNN escapes and names longer than about cap - 4 bytes end in
 * "...". Returns out. */
char *fti_st_quote(char *out, size_t cap, const char *name);

#endif
