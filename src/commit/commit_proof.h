/* The proof in a commitment file for one block: every limb is 16-bit (LogUp-GKR against the
 * block's multiplicity table m) and each unit's limb sums (hence ||W||_F^2) are right; one block
 * sum-check (block_sc.h) proves the LogUp claims and the sums together, so that every claim left
 * for the PCS is at a suffix of one point (single-point opening).
 *
 * Transcript ("fti/commitment-block/v1"): parameters id, kind, base id, block label; per unit
 * its number of variables and limb sums; the root; then alpha ("logup/alpha"), the LogUp proof,
 * the block sum-check, then the PCS opening.
 * Layout: logup proof | N rounds x 3 K elements | lo, hi per unit and m at the point (2 U + 1 K
 * elements) | PCS proof. */
#ifndef FTI_COMMIT_PROOF_H
#define FTI_COMMIT_PROOF_H

#include "commit/manifest.h"
#include "pcs/pcs.h"

/* Limb sums S_ll, S_lh, S_hh, S_l, S_h of one unit's padded limb tables (2^n entries each). */
void ftic_limb_sums(uint64_t sums[5], const fe_t *lo, const fe_t *hi, unsigned n);

/* Proves block b of c. tables: lo, hi per unit, then m (the committed polynomials, in block
 * order); pc their PCS commitment (whose root is c->blocks[b].root). Writes c->proofs[b]. */
FTI_MUST_CHECK fti_status ftic_block_prove(ftic *c, size_t b, const fe_t *const *tables, fti_pcs_commitment *pc);

/* Verifies block b's proof against the statement. *ok = 0 first. */
FTI_MUST_CHECK fti_status ftic_block_verify(int *ok, const ftic *c, size_t b);

#endif
