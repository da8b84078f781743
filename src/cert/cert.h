/* Drift certificates: proof that a tuned commitment differs from a base commitment only as a
 * policy allows (docs/protocol.md section 3).
 *
 * File layout (.ftcert, little-endian):
 *   "FTCE" u32 version(=1) u8 params_id [32] base_id [32] tuned_id [32] policy_hash
 *   u32 n_units (= the commitments' unit count); per unit (manifest order):
 *     u8 flags (FTI_REQ_*: what is proven for it)
 *     if NORM:   u64 S_aa, u64 S_ab (a field element standing for a signed integer), u64 S_bb
 *     if SPARSE: u64 count, u8 log_slots
 *     if RANK:   u64 rank, u8 log_slots, i32 shift, u8 residual (0/1), if residual: u64 sums[5]
 *   u32 n_blocks; per block: u64 length, proof bytes
 * The statement part (everything before the block proofs) is absorbed into the transcript
 * after the header; all blocks share one transcript in order. */
#ifndef FTI_CERT_CERT_H
#define FTI_CERT_CERT_H

#include <stddef.h>
#include <stdint.h>

#include "commit/manifest.h"
#include "fti/fti.h"
#include "policy/policy.h"

#define FTCE_MAGIC "FTCE"
#define FTCE_VERSION 1u

typedef struct {
    unsigned flags;        /* FTI_REQ_* proven */
    uint64_t d_sums[3];    /* NORM: S_aa, S_ab, S_bb as field elements (S_ab signed) */
    uint64_t sparse_count; /* SPARSE: certified number of changed entries */
    unsigned sparse_log;   /* SPARSE: log2 of the committed slots */
    uint64_t rank;         /* RANK: certified rank */
    unsigned rank_log;     /* RANK: log2 of the committed factor columns */
    int32_t shift;         /* RANK: 2^shift Delta = U V^T + R */
    int residual;          /* RANK: R committed (else exact) */
    uint64_t r_sums[5];    /* RANK with residual: limb sums of R */
} fti_cert_unit;

typedef struct {
    const fti_pcs_params *pp;
    fti_digest base_id, tuned_id, policy_hash;
    size_t n_units;
    fti_cert_unit *units;
    size_t n_blocks;
    uint8_t **proofs;
    size_t *proof_len;
} fti_cert;

void fti_cert_free(fti_cert *c);

FTI_MUST_CHECK fti_status fti_cert_serialize(uint8_t **out, size_t *len, const fti_cert *c);
FTI_MUST_CHECK fti_status fti_cert_write_file(const fti_cert *c, const char *path);
/* Untrusted bytes: every count bounded, every field canonical, no trailing bytes. */
FTI_MUST_CHECK fti_status fti_cert_parse(fti_cert **out, const uint8_t *data, size_t len, const char *source);
FTI_MUST_CHECK fti_status fti_cert_read_file(fti_cert **out, const char *path);
size_t fti_cert_size(const fti_cert *c);

/* The signed integer a field element stands for (|x| < p/2). */
static inline int64_t fti_cert_signed(uint64_t x) { return x > FE_P / 2 ? -(int64_t)(FE_P - x) : (int64_t)x; }
static inline uint64_t fti_cert_field(int64_t v) { return v < 0 ? FE_P - (uint64_t)(-v) : (uint64_t)v; }

/* The exact ||Delta||^2 (in quantum^2 units) of a NORM unit: S_aa + 2^17 S_ab + 2^32 S_bb. */
unsigned __int128 fti_cert_delta_sq(const fti_cert_unit *u);

#endif
