/* Sum-check for sums over the boolean hypercube of a composite of multilinear polynomials,
 * and the eq-polynomial helpers.
 *
 * Variables and tables. A multilinear polynomial in n variables is held by its table of 2^n
 * values on {0,1}^n; entry x (an integer) is the value at the point whose variable X_i is
 * bit i of x. Variable X_0 (the lowest bit) is bound first: binding X_0 = r maps a table T to
 * T'[j] = T[2j] + r (T[2j+1] - T[2j]). (Basefold's folding fixes the same variable first.)
 * A point is an array z[0..n) with z[i] the value of X_i.
 *
 * Composite. C(P_0, ..., P_{m-1}) = sum_t coeff_t * prod_{j in factors_t} P_j, with at most
 * FTI_SC_MAX_TABLES tables and FTI_SC_MAX_DEGREE factors per term; its degree d is the largest
 * factor count. The claim is S = sum_{x in {0,1}^n} C(P(x)).
 *
 * Protocol (n rounds; round i binds X_i):
 *   the prover sends g_i(0), g_i(1), ..., g_i(d) where
 *     g_i(X) = sum over the unbound variables of C(P(r_0, .., r_{i-1}, X, x_{i+1}, ..));
 *   both absorb them under "sumcheck/round" and draw r_i = challenge_ke("sumcheck/challenge");
 *   the verifier checks g_i(0) + g_i(1) == claim_i and sets claim_{i+1} = g_i(r_i) (Lagrange
 *   interpolation on 0..d).
 * At the end the verifier holds the point r and the claim C(P(r)); the caller checks it against
 * the final values P_j(r), which the prover reports and which must be proven separately
 * (opening a commitment, or a further reduction). The caller absorbs the claimed sum (and
 * anything it depends on) before calling prove/verify, and absorbs the final values before
 * drawing any later challenge (neither function absorbs them).
 *
 * Soundness: if S is false, the verifier accepts with probability at most n*d/|K| (each round:
 * Schwartz–Zippel for a nonzero polynomial of degree <= d). */
#ifndef FTI_SUMCHECK_H
#define FTI_SUMCHECK_H

#include <stddef.h>
#include <stdint.h>

#include "field/ext.h"
#include "fti/fti.h"
#include "hash/transcript.h"
#include "util/arena.h"

#define FTI_SC_MAX_TABLES 16
#define FTI_SC_MAX_DEGREE 8

typedef struct {
    ke_t coeff;
    unsigned n_factors;                  /* 0..FTI_SC_MAX_DEGREE (0: the constant coeff) */
    uint8_t factors[FTI_SC_MAX_DEGREE];  /* table indices; repeats allowed (squares) */
} fti_sc_term;

typedef struct {
    unsigned n_tables;
    unsigned n_terms;
    const fti_sc_term *terms;
} fti_sc_composite;

/* The composite's degree (largest factor count). */
unsigned fti_sc_degree(const fti_sc_composite *c);
/* C evaluated at one point, given the tables' values there. */
ke_t fti_sc_eval(const fti_sc_composite *c, const ke_t *vals);

/* A table: exactly one of base (values in F) or ext (values in K) is non-NULL. Base tables
 * keep the first round in F arithmetic; the prover folds them into K tables in its arena. */
typedef struct {
    const fe_t *base;
    ke_t *ext; /* overwritten by the prover (folded in place) */
} fti_sc_table;

typedef struct {
    unsigned n_vars;
    unsigned degree;
    ke_t *evals; /* n_vars * (degree + 1): round i's g_i(0..degree) at evals[i*(degree+1) ..] */
} fti_sc_proof;

/* Arena bytes fti_sc_prove takes for these tables: the proof's values (kept) and the prover's
 * scratch (released before it returns). An arena with this many free bytes always suffices.
 * Malformed arguments give 0 (fti_sc_prove then reports them). */
size_t fti_sc_scratch_size(const fti_sc_composite *c, const fti_sc_table *tables, unsigned n_vars);

/* Proves sum_{x} C(P(x)) (the sum is implied by the tables). Writes the proof (proof->evals
 * allocated from the arena, n_vars*(d+1) elements), the point r (n_vars elements, caller's
 * buffer) and the tables' final values P_j(r) (n_tables elements, caller's buffer). Scratch
 * and folded tables come from the arena. n_vars may be 0 (no rounds; final values are the
 * single table entries).
 * Tables: 2^n_vars entries each; ext tables are overwritten; one table may fill several slots
 * (same pointer: folded once), but distinct ext tables must not overlap.
 * Errors, reported before anything is absorbed: FTI_ERR_ARG (malformed composite or tables,
 * n_vars > 40), FTI_ERR_NOMEM (arena smaller than fti_sc_scratch_size; the arena is left as
 * it was). The proof does not depend on the number of OpenMP threads. */
FTI_MUST_CHECK fti_status fti_sc_prove(fti_sc_proof *proof, ke_t *point, ke_t *final_vals, fti_arena *arena,
                                       fti_transcript *t, const fti_sc_composite *c,
                                       const fti_sc_table *tables, unsigned n_vars);

/* Verifies the rounds of a proof of `claim` with n_vars rounds of the given degree. Sets *ok
 * to 0 first; on success *ok = 1, point[0..n_vars) holds r and *final_claim the claimed C(P(r)),
 * which the caller must still check. A proof of another shape (n_vars, degree), a degree above
 * FTI_SC_MAX_DEGREE, or a value with a coefficient >= p is rejected. */
void fti_sc_verify(int *ok, ke_t *point, ke_t *final_claim, fti_transcript *t, unsigned n_vars,
                   unsigned degree, ke_t claim, const fti_sc_proof *proof);

/* g(r) for the polynomial of degree d given by its values g(0..d) (Lagrange interpolation). */
ke_t fti_sc_interpolate(const ke_t *evals, unsigned degree, ke_t r);

/* eq(z, x) = prod_i (z_i x_i + (1 - z_i)(1 - x_i)).
 * fti_eq_table writes eq(z, x) for all x in {0,1}^n (entry x as above), O(2^n). */
void fti_eq_table(ke_t *out, const ke_t *z, unsigned n);
ke_t fti_eq_eval(const ke_t *a, const ke_t *b, unsigned n);

/* The multilinear extension of a table at a point: sum_x T[x] eq(z, x). O(2^n). */
ke_t fti_mle_eval_fe(const fe_t *table, unsigned n, const ke_t *z);
ke_t fti_mle_eval_ke(const ke_t *table, unsigned n, const ke_t *z);

/* Zero-check: proves C(P(x)) = 0 for every x in {0,1}^n by the sum-check of
 * eq(tau, x) * C(P(x)) with claim 0, tau drawn from the transcript ("zerocheck/tau", n_vars
 * elements of one stream). The verifier's final check is final_claim == eq(tau, r) * C(P(r));
 * fti_zerocheck_verify returns tau (n elements, caller's buffer) for it.
 * C needs room for the eq factor: n_tables < FTI_SC_MAX_TABLES and degree < FTI_SC_MAX_DEGREE
 * (else FTI_ERR_ARG). The proof has degree d + 1, where d = fti_sc_degree(c); the verifier takes
 * d itself (`degree`). final_vals holds the n_tables values P_j(r) (eq(tau, r) is the verifier's
 * to compute). Soundness: n/|K| for tau plus n (d + 1)/|K| for the sum-check. Errors as for
 * fti_sc_prove (the arena must hold fti_zerocheck_scratch_size bytes), before tau is drawn. */
size_t fti_zerocheck_scratch_size(const fti_sc_composite *c, const fti_sc_table *tables, unsigned n_vars);
FTI_MUST_CHECK fti_status fti_zerocheck_prove(fti_sc_proof *proof, ke_t *point, ke_t *final_vals, fti_arena *arena,
                                              fti_transcript *t, const fti_sc_composite *c,
                                              const fti_sc_table *tables, unsigned n_vars);
void fti_zerocheck_verify(int *ok, ke_t *tau, ke_t *point, ke_t *final_claim, fti_transcript *t, unsigned n_vars,
                          unsigned degree, const fti_sc_proof *proof);

#endif
