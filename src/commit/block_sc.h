/* The block sum-check of a commitment proof (internal; see commit_proof.h): after the LogUp
 * range check has left claims lo_u(rho_u) = a_u, hi_u(rho_u) = b_u on every unit u and
 * m(rho_m) = c on the multiplicity table, one sum-check over the block's N variables proves
 * those claims and every unit's limb sums at once, so that all the block's evaluation claims end
 * at suffixes of a single point (the PCS then skips its own batching).
 *
 * With g, beta_u, gamma_u, beta_m drawn after the claims and sums are fixed, M_u = lo_u + g hi_u:
 *   sum over x in {0,1}^N of
 *     sum_u eq(0, x_low_u) [ beta_u eq(rho_u, x_u) M_u(x_u) + gamma_u M_u(x_u) (M_u(x_u) + g^3) ]
 *     + eq(0, x_low_m) beta_m eq(rho_m, x_m) m(x_m)
 *   = sum_u [ beta_u (a_u + g b_u) + gamma_u (S_ll + 2g S_lh + g^2 S_hh + g^3 S_l + g^4 S_h) ]
 *     + beta_m c
 * where x_u is the last n_u variables of x and x_low_u the others (polynomials of fewer
 * variables sit on the last ones, as in the PCS). sum M (M + g^3) = sum (lo + g hi)^2 +
 * g^3 (lo + g hi) is the degree-4 polynomial in g with coefficients S_ll, 2 S_lh, S_hh, S_l,
 * S_h, so a wrong sum survives with probability <= 4/|K|; a wrong claim a_u or b_u survives the
 * combination a_u + g b_u with probability <= 1/|K|.
 * Rounds: degree 2, values g(0), g(1), g(2) absorbed as "commit/round", challenges
 * "commit/challenge". Then lo_u, hi_u at the unit's suffix of the point and m at its suffix
 * (absorbed as "commit/final") become the PCS claims. */
#ifndef FTI_COMMIT_BLOCK_SC_H
#define FTI_COMMIT_BLOCK_SC_H

#include "field/ext.h"
#include "fti/fti.h"
#include "hash/transcript.h"

typedef struct {
    size_t n_units;
    const unsigned *n_vars;      /* per unit */
    unsigned n;                  /* N: the largest of the units' n_vars and 16 */
    const ke_t *const *rho;      /* per unit: the LogUp point (n_vars elements) */
    const ke_t *a, *b;           /* per unit: claimed lo(rho), hi(rho) */
    const uint64_t (*sums)[5];   /* per unit: S_ll, S_lh, S_hh, S_l, S_h */
    const ke_t *rho_m;           /* 16 elements */
    ke_t c_m;
} block_sc_statement;

/* Prover. tables: lo, hi per unit, then m. Writes the N x 3 round values to rounds, the point
 * to r (N elements), and lo_u, hi_u (2 per unit) then m at the point to finals (2 U + 1). */
FTI_MUST_CHECK fti_status block_sc_prove(ke_t *rounds, ke_t *r, ke_t *finals, fti_transcript *t,
                                         const block_sc_statement *s, const fe_t *const *tables);

/* Verifier: checks the rounds and the final values; writes the point to r. 1 to accept. */
int block_sc_verify(ke_t *r, fti_transcript *t, const block_sc_statement *s, const ke_t *rounds, const ke_t *finals);

#endif
