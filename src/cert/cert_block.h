/* The proof of one block of a certificate (internal). The prover and the verifier run the same
 * sections in the same order on one shared transcript:
 *   absorb "cert/block" = b;
 *   frozen: r = challenge_kes("cert/frozen-r", n_max); per frozen unit (block order) the prover
 *           sends a = lo(r_u), b = hi(r_u) (r_u = the unit's first n_u coordinates of r),
 *           absorbed as "cert/frozen-ab"; claims lo(r_u) = lo'(r_u) = a, hi(r_u) = hi'(r_u) = b;
 *   norm:   per NORM unit: g = challenge_ke("cert/norm-g"); sum-check (degree 2) over its n_u
 *           variables of A^2 + g A B + g^2 B^2 with A = lo' - lo, B = hi' - hi, claim
 *           S_aa + g S_ab + g^2 S_bb; final values lo, lo', hi, hi' at its point, absorbed as
 *           "cert/norm-final", become claims;
 *   sparse and rank units (cert_sections.h), after the auxiliary commitment (cert_aux.h): its
 *   root ("cert/aux-root") and, when it holds range-checked factors, their LogUp range check
 *   (alpha "cert/aux-alpha") come first in the block;
 *   one PCS opening of all claims over (base block, tuned block[, auxiliary]).
 * Layout: [aux root | aux LogUp proof] | frozen (a, b) pairs | per norm unit: 3 n_u + 4 K
 * elements | sparse sections | rank sections | PCS proof. */
#ifndef FTI_CERT_BLOCK_H
#define FTI_CERT_BLOCK_H

#include "cert/cert.h"
#include "cert/cert_policy.h"
#include "cert/claims.h"
#include "util/buf.h"

struct cert_factors_s;

typedef struct {
    const ftic *base, *tuned;
    const cert_plan *plan;
    const fti_cert *cert; /* the statement (per-unit statistics) */
    const struct cert_factors_s *factors; /* prover only: per manifest unit (rank units) */
} cert_ctx;

/* Prover: tables of both models for block b (lo, hi per unit, then m) and their PCS
 * commitments. Appends the block's proof to w. */
FTI_MUST_CHECK fti_status cert_block_prove(fti_wbuf *w, fti_transcript *t, const cert_ctx *ctx, size_t b,
                                           fe_t *const *tb, fe_t *const *tt, fti_pcs_commitment *pb,
                                           fti_pcs_commitment *pt);

/* Verifier: *ok = 0 first; 1 if block b's proof (bytes) verifies. */
FTI_MUST_CHECK fti_status cert_block_verify(int *ok, fti_transcript *t, const cert_ctx *ctx, size_t b,
                                            const uint8_t *proof, size_t len);

/* Exact statistics the prover states for a NORM unit: S_aa, S_ab, S_bb of A, B. */
void cert_delta_sums(uint64_t sums[3], const fe_t *lo, const fe_t *lo2, const fe_t *hi, const fe_t *hi2, unsigned n);

#endif
