/* Committing checkpoints: the pipeline behind `fti commit` and `fti inspect --check`. */
#ifndef FTI_COMMIT_COMMIT_H
#define FTI_COMMIT_COMMIT_H

#include "commit/manifest.h"
#include "model/checkpoint.h"

/* Progress reports during long work (called from the calling thread). */
typedef struct {
    void (*report)(void *ctx, size_t units_done, size_t units_total, uint64_t bytes_done, uint64_t bytes_total);
    void *ctx;
} fti_progress;

/* Plans a base commitment of ck: tensors, units, blocks, quanta (no limbs yet). */
FTI_MUST_CHECK fti_status ftic_plan_base(ftic **out, const fti_ckpt *ck, const fti_pcs_params *pp);

/* Plans a tuned commitment in the frame of base (same units, views, quanta, blocks). A tensor
 * set, shape or committability mismatch is FTI_ERR_MISMATCH listing the differences. */
FTI_MUST_CHECK fti_status ftic_plan_tuned(ftic **out, const fti_ckpt *ck, const ftic *base, const fti_digest *base_id);

/* Encodes, commits and proves every block of a planned commitment (filling roots, limb sums,
 * tensor hashes and, with with_proofs, the proofs). Without proofs the statement (hence the ID)
 * is complete but the file is not (the prover of a certificate needs only the ID).
 * Memory: one block at a time. */
FTI_MUST_CHECK fti_status ftic_build(ftic *c, const fti_ckpt *ck, const fti_progress *progress, int with_proofs);

/* The limb tables of block b (lo, hi per unit, then m), allocated; free with ftic_tables_free.
 * Also returns the multiplicities in the last table. */
FTI_MUST_CHECK fti_status ftic_block_tables(fe_t ***tables, const ftic *c, size_t b, const fti_ckpt *ck);
void ftic_tables_free(fe_t **tables, const ftic *c, size_t b);

/* For a block's commitment whose codewords take at least ftic_release_bytes: gives back all of
 * them but keep_bytes until the opening encodes them again (manifest.h). */
void ftic_release_large(fti_pcs_commitment *pc, size_t keep_bytes);

/* Checks a parsed commitment: every block's proof. *ok = 0 first; *bad_block names the first
 * block that failed. */
FTI_MUST_CHECK fti_status ftic_check(int *ok, size_t *bad_block, const ftic *c);

#endif
