/* Model commitments: the manifest and the .ftic file.
 *
 * A commitment binds a checkpoint's weights in the fixed-point encoding of DESIGN section 3.
 * It lists the checkpoint's tensors and, for each committed "unit" (a tensor, or one slice of
 * a fused tensor such as GPT-2's c_attn, split into q/k/v), its matrix view, quantum 2^s and
 * place in a block; each block is one PCS commitment (mixed-height Merkle tree) of its units'
 * limb polynomials plus the block's multiplicity table for the range check:
 *     block polynomials: lo(u_0), hi(u_0), lo(u_1), hi(u_1), ..., m      (m: 16 variables)
 * lo(u), hi(u) have log_rows + log_cols variables (the padded matrix, column bits low).
 * Tensors of a dtype fti cannot encode (integers, 8-bit floats) are listed with the SHA-256 of
 * their bytes only ("hash-only"): a policy may require them frozen (checked by hash equality)
 * but nothing else.
 *
 * File layout (little-endian; str = u32 length + bytes, no NUL; "statement" = everything up to
 * and including the block roots; the commitment ID is SHA-256("fti/commitment-id/v1" ||
 * statement), so it identifies the committed weights independently of the proofs):
 *   "FTIC" u32 version(=1) u8 params_id u8 kind(0 base, 1 tuned) [32] base_id (zero for a base)
 *   u32 n_tensors; per tensor (sorted by name):
 *       str name; u8 dtype; u8 ndim; u64 shape[ndim]; u8 flags (bit 0: committed); u8 out_axis;
 *       [32] sha256 of its raw bytes
 *   u32 n_units; per unit (sorted by block, then slot):
 *       str name; u32 tensor; u32 tile; u32 n_tiles; u64 row0; u64 rows; u64 col0; u64 cols; u8 log_rows;
 *       u8 log_cols; i32 quantum; u32 block; u64 sums[5] (S_ll, S_lh, S_hh, S_l, S_h over the
 *       padded limbs; see below)
 * Tiles: a matrix larger than FTIC_TILE_VARS (padded) is committed as row tiles of at most that
 * many entries, units "NAME#k" (k = tile, of n_tiles); a policy speaks of NAME, and a
 * certificate aggregates its tiles (norms and counts add up; rank needs a single tile).
 *   u32 n_blocks; per block: str label; u32 first_unit; u32 n_units; [32] root
 *   per block: u64 proof_length; proof bytes (commit_proof.h)
 * With v = lo + 2^16 hi - 2^31 over the N = 2^(log_rows + log_cols) padded entries:
 *   sum v^2 = S_ll + 2^17 S_lh + 2^32 S_hh - 2^32 S_l - 2^48 S_h + 2^62 N   (exact integers),
 * proven by each block's proof, so ||W||_F^2 = 2^(2s) sum v^2 is certified. The parser bounds
 * every count and length and rejects anything non-canonical (unsorted names, units out of
 * order, sizes over the limits, trailing bytes). */
#ifndef FTI_COMMIT_MANIFEST_H
#define FTI_COMMIT_MANIFEST_H

#include <stddef.h>
#include <stdint.h>

#include "fti/fti.h"
#include "hash/sha256.h"
#include "model/safetensors.h"
#include "pcs/pcs.h"

#define FTIC_MAGIC "FTIC"
#define FTIC_VERSION 1u
#define FTIC_MAX_NAME 4096
#define FTIC_MAX_TENSORS (1u << 20)
#define FTIC_MAX_NDIM 8
#define FTIC_MAX_UNIT_VARS 30 /* 2^30 entries per unit (DESIGN section 3) */
#define FTIC_TABLE_VARS 16    /* the multiplicity table m */
#define FTIC_MAX_BLOCK_UNITS 4096
#define FTIC_TILE_VARS 24     /* larger matrices are committed as row tiles of at most 2^24 entries */
/* The tile size in force (FTIC_TILE_VARS; tests lower it to exercise tiling on small models). */
extern unsigned ftic_tile_vars;
/* Blocks whose codewords take at least this many bytes give them back while their proofs run
 * (fti_pcs_commitment_release_codewords; half of them for a commitment's range proof, all of them
 * for a certificate's two models) and encode them again to open them: the peak memory of a large
 * block drops by that much for one more encoding. */
#define FTIC_RELEASE_BYTES ((size_t)1 << 30)
/* The threshold in force (FTIC_RELEASE_BYTES; tests lower it). */
extern size_t ftic_release_bytes;

typedef enum { FTIC_BASE = 0, FTIC_TUNED = 1 } ftic_kind;

typedef struct {
    char *name;
    fti_dtype dtype;
    unsigned ndim;
    uint64_t shape[FTIC_MAX_NDIM];
    int committed;   /* 0: hash-only (dtype not encodable) */
    int out_axis;    /* 0 first, 1 last (matrix view; meaningful when committed) */
    fti_digest sha256;
} ftic_tensor;

typedef struct {
    char *name;
    uint32_t tensor;
    uint32_t tile, n_tiles;    /* row tile of its tensor (or slice): 0 of 1 when not tiled */
    uint64_t row0, rows;       /* rows [row0, row0 + rows) and columns [col0, col0 + cols) of */
    uint64_t col0, cols;       /* the tensor's matrix view (a slice, or all of it) */
    unsigned log_rows, log_cols;
    int32_t quantum;
    uint32_t block;
    uint64_t sums[5];
} ftic_unit;

typedef struct {
    char *label;
    uint32_t first_unit, n_units;
    fti_digest root;
} ftic_block;

typedef struct {
    const fti_pcs_params *pp;
    ftic_kind kind;
    fti_digest base_id;
    size_t n_tensors;
    ftic_tensor *tensors;
    size_t n_units;
    ftic_unit *units;
    size_t n_blocks;
    ftic_block *blocks;
    /* per block proof bytes (owned) */
    uint8_t **proofs;
    size_t *proof_len;
} ftic;

void ftic_free(ftic *c); /* c may be NULL */

static inline unsigned ftic_unit_vars(const ftic_unit *u) { return u->log_rows + u->log_cols; }

/* Exact sum of v^2 over a unit's padded entries from its limb sums (fits in 128 bits). */
unsigned __int128 ftic_unit_sum_sq(const ftic_unit *u);

/* The statement bytes (see above) and the commitment ID. */
FTI_MUST_CHECK fti_status ftic_statement(uint8_t **out, size_t *len, const ftic *c);
FTI_MUST_CHECK fti_status ftic_id(fti_digest *id, const ftic *c);

/* The whole file. */
FTI_MUST_CHECK fti_status ftic_write_file(const ftic *c, const char *path);
FTI_MUST_CHECK fti_status ftic_serialize(uint8_t **out, size_t *len, const ftic *c);

/* Parses a file (or bytes, `source` naming them in messages). Every structural rule above is
 * checked; proofs are kept as bytes (ftic_check verifies them). FTI_ERR_FORMAT on any
 * violation, with a one-line message naming the source and the problem. */
FTI_MUST_CHECK fti_status ftic_read_file(ftic **out, const char *path);
FTI_MUST_CHECK fti_status ftic_parse(ftic **out, const uint8_t *data, size_t len, const char *source);

/* The PCS shape of block b (n_vars per polynomial: 2 per unit, then 16 for m); n_vars must hold
 * 2 * n_units + 1 entries. */
void ftic_block_shape(fti_pcs_shape *shape, unsigned *n_vars, const ftic *c, size_t b);

/* The name a policy uses for a unit: its own, without the "#k" of a tile (writes into out). */
void ftic_unit_policy_name(char *out, size_t cap, const ftic_unit *u);

/* Index of a unit by name, or -1. */
long ftic_find_unit(const ftic *c, const char *name);

#endif
