/* The sparse and rank sections of a certificate block (internal; see docs/protocol.md).
 * Each prove_* appends to the proof and adds claims; each verify_* reads the same bytes, runs
 * the same transcript steps and adds the same claims, returning 0 to reject. Claims name the
 * commitments 0 (base block), 1 (tuned block), 2 (auxiliary). */
#ifndef FTI_CERT_SECTIONS_H
#define FTI_CERT_SECTIONS_H

#include "cert/cert_aux.h"

typedef struct {
    const cert_ctx *ctx;
    size_t b;             /* block */
    uint32_t i;           /* unit within the block */
    const aux_layout *aux;
} unit_ref;

/* Sparse: Delta(r) = sum_{s < c} delta(s) prod_l eq(I_l(s), r_l), booleanity of I. */
FTI_MUST_CHECK fti_status sparse_prove(fti_wbuf *w, fti_transcript *t, claimset *cs, const unit_ref *u,
                                       fe_t *const *tb, fe_t *const *tt, fe_t *const *ta);
int sparse_verify(fti_rbuf *r, fti_transcript *t, claimset *cs, const unit_ref *u);

/* Rank: 2^t Delta(x, y) - R(x, y) = sum_{k < c} U(x, k) V(y, k); ||R||^2 from its limb sums. */
FTI_MUST_CHECK fti_status rank_prove(fti_wbuf *w, fti_transcript *t, claimset *cs, const unit_ref *u,
                                     fe_t *const *tb, fe_t *const *tt, fe_t *const *ta);
int rank_verify(fti_rbuf *r, fti_transcript *t, claimset *cs, const unit_ref *u);

/* A limb-sums sum-check (as for ||W||^2 in commitments): claim S_ll + g S_lh + g^2 S_hh +
 * g^3 S_l + g^4 S_h over tables (lo, hi) of commitment `comm`, polynomials lo_poly, lo_poly + 1. */
FTI_MUST_CHECK fti_status limbsum_prove(fti_wbuf *w, fti_transcript *t, claimset *cs, unsigned comm, unsigned lo_poly,
                                        const fe_t *lo, const fe_t *hi, unsigned n);
int limbsum_verify(fti_rbuf *r, fti_transcript *t, claimset *cs, unsigned comm, unsigned lo_poly, unsigned n,
                   const uint64_t sums[5]);

#endif
