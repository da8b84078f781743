/* Zero-check: C(P(x)) = 0 on the whole cube, reduced to the sum-check of eq(tau, x) C(P(x)) = 0.
 *
 * Soundness: the sum is Q(tau) for the multilinear Q with Q(x) = C(P(x)) on the cube. If C(P)
 * is nonzero somewhere, Q is a nonzero polynomial of total degree <= n, so Q(tau) = 0 with
 * probability <= n/|K| over tau; then the sum-check of degree d + 1 adds n (d + 1)/|K|. */
#include "sumcheck/sumcheck.h"

#include "sumcheck/sumcheck_internal.h"
#include "util/error.h"

#define LABEL_TAU "zerocheck/tau"

static fti_status check_shape(const fti_sc_composite *c, unsigned n_vars) {
    fti_status s = fti_sc_check_composite(c);
    if (s != FTI_OK) return s;
    if (c->n_tables >= FTI_SC_MAX_TABLES || fti_sc_degree(c) >= FTI_SC_MAX_DEGREE)
        return fti_fail(FTI_ERR_ARG, "zero-check: no room for the eq factor (%u tables, degree %u)", c->n_tables,
                        fti_sc_degree(c));
    if (n_vars > FTI_SC_MAX_VARS) return fti_fail(FTI_ERR_ARG, "zero-check: %u variables", n_vars);
    return FTI_OK;
}

/* eq(tau, .) appended as table n_tables and as a factor of every term. */
static void with_eq(fti_sc_composite *out, fti_sc_term *terms, fti_sc_table *tables, const fti_sc_composite *c,
                    const fti_sc_table *in_tables, ke_t *eq) {
    for (unsigned t = 0; t < c->n_terms; t++) {
        terms[t] = c->terms[t];
        terms[t].factors[terms[t].n_factors++] = (uint8_t)c->n_tables;
    }
    for (unsigned m = 0; m < c->n_tables; m++) tables[m] = in_tables[m];
    tables[c->n_tables].base = NULL;
    tables[c->n_tables].ext = eq;
    out->n_tables = c->n_tables + 1;
    out->n_terms = c->n_terms;
    out->terms = terms;
}

/* Arena layout: the round messages, the eq table and the extended terms, then the sum-check
 * prover's scratch for degree d + 1 (the eq table is an ext table: it needs no fold buffer). */
size_t fti_zerocheck_scratch_size(const fti_sc_composite *c, const fti_sc_table *tables, unsigned n_vars) {
    if (check_shape(c, n_vars) != FTI_OK) return 0;
    size_t sc = fti_sc_scratch_for(tables, c->n_tables, n_vars, fti_sc_degree(c) + 1);
    size_t eq_bytes = fti_arena_round(((size_t)1 << n_vars) * sizeof(ke_t));
    size_t term_bytes = fti_arena_round((size_t)(c->n_terms ? c->n_terms : 1) * sizeof(fti_sc_term));
    return sc + eq_bytes + term_bytes;
}

fti_status fti_zerocheck_prove(fti_sc_proof *proof, ke_t *point, ke_t *final_vals, fti_arena *arena,
                               fti_transcript *t, const fti_sc_composite *c, const fti_sc_table *tables,
                               unsigned n_vars) {
    ke_t tau[FTI_SC_MAX_VARS], finals[FTI_SC_MAX_TABLES];
    fti_sc_table t2[FTI_SC_MAX_TABLES];
    fti_sc_composite c2;
    fti_status s = check_shape(c, n_vars);
    if (s == FTI_OK) s = fti_sc_check_tables(tables, c->n_tables, n_vars);
    if (s != FTI_OK) return s;
    /* all of the arena up front, so that a failure leaves the transcript untouched */
    if (arena->capacity - arena->used < fti_zerocheck_scratch_size(c, tables, n_vars))
        return fti_fail(FTI_ERR_NOMEM, "zero-check: arena too small for %u variables", n_vars);
    unsigned d = fti_sc_degree(c) + 1;
    size_t mark = fti_arena_mark(arena);
    ke_t *evals = n_vars ? fti_arena_alloc_array(arena, (size_t)n_vars * (d + 1), sizeof(ke_t)) : NULL;
    size_t scratch = fti_arena_mark(arena);
    ke_t *eq = fti_arena_alloc_array(arena, (size_t)1 << n_vars, sizeof(ke_t));
    fti_sc_term *terms = fti_arena_alloc_array(arena, c->n_terms ? c->n_terms : 1, sizeof(fti_sc_term));
    if ((n_vars && !evals) || !eq || !terms) {
        fti_arena_reset(arena, mark);
        return FTI_ERR_NOMEM;
    }
    fti_transcript_challenge_kes(t, LABEL_TAU, tau, n_vars);
    fti_eq_table(eq, tau, n_vars);
    with_eq(&c2, terms, t2, c, tables, eq);
    if ((s = fti_sc_prove_into(evals, point, finals, arena, t, &c2, t2, n_vars)) != FTI_OK) {
        fti_arena_reset(arena, mark);
        return s;
    }
    for (unsigned m = 0; m < c->n_tables; m++) final_vals[m] = finals[m]; /* eq(tau, r) is the verifier's */
    fti_arena_reset(arena, scratch);
    proof->n_vars = n_vars;
    proof->degree = d;
    proof->evals = evals;
    return FTI_OK;
}

void fti_zerocheck_verify(int *ok, ke_t *tau, ke_t *point, ke_t *final_claim, fti_transcript *t, unsigned n_vars,
                          unsigned degree, const fti_sc_proof *proof) {
    *ok = 0;
    *final_claim = ke_zero();
    if (n_vars > FTI_SC_MAX_VARS || degree >= FTI_SC_MAX_DEGREE) return;
    fti_transcript_challenge_kes(t, LABEL_TAU, tau, n_vars);
    fti_sc_verify(ok, point, final_claim, t, n_vars, degree + 1, ke_zero(), proof);
}
