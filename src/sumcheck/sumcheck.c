/* Sum-check prover and verifier (protocol in sumcheck.h, kernels in sc_round.c). */
#include "sumcheck/sumcheck.h"

#include <stdint.h>

#include "sumcheck/sumcheck_internal.h"
#include "util/error.h"

#define LABEL_ROUND "sumcheck/round"
#define LABEL_CHALLENGE "sumcheck/challenge"

/* ---- composite ---- */

unsigned fti_sc_degree(const fti_sc_composite *c) {
    unsigned d = 0;
    for (unsigned t = 0; t < c->n_terms; t++)
        if (c->terms[t].n_factors > d) d = c->terms[t].n_factors;
    return d;
}

ke_t fti_sc_eval(const fti_sc_composite *c, const ke_t *vals) {
    ke_t s = ke_zero();
    for (unsigned t = 0; t < c->n_terms; t++) {
        ke_t p = c->terms[t].coeff;
        for (unsigned f = 0; f < c->terms[t].n_factors; f++) p = ke_mul(p, vals[c->terms[t].factors[f]]);
        s = ke_add(s, p);
    }
    return s;
}

fti_status fti_sc_check_composite(const fti_sc_composite *c) {
    if (!c || c->n_tables > FTI_SC_MAX_TABLES || (c->n_terms && !c->terms))
        return fti_fail(FTI_ERR_ARG, "sum-check: malformed composite");
    for (unsigned t = 0; t < c->n_terms; t++) {
        if (c->terms[t].n_factors > FTI_SC_MAX_DEGREE)
            return fti_fail(FTI_ERR_ARG, "sum-check: term %u has %u factors (at most %u)", t, c->terms[t].n_factors,
                            FTI_SC_MAX_DEGREE);
        for (unsigned f = 0; f < c->terms[t].n_factors; f++)
            if (c->terms[t].factors[f] >= c->n_tables)
                return fti_fail(FTI_ERR_ARG, "sum-check: term %u names table %u of %u", t, c->terms[t].factors[f],
                                c->n_tables);
    }
    return FTI_OK;
}

/* ---- verifier ---- */

void fti_sc_lagrange_init(fti_sc_lagrange *l, unsigned degree) {
    FTI_VERIFY_CHECK(degree <= FTI_SC_MAX_DEGREE);
    fe_t fact = 1, ifact[FTI_SC_MAX_DEGREE + 1];
    for (unsigned k = 2; k <= degree; k++) fact = fe_mul(fact, k);
    ifact[degree] = fe_inv(fact);                                                  /* 1/d! */
    for (unsigned k = degree; k > 0; k--) ifact[k - 1] = fe_mul(ifact[k], k);      /* 1/(k-1)! = k/k! */
    l->degree = degree;
    for (unsigned k = 0; k <= degree; k++) {
        fe_t w = fe_mul(ifact[k], ifact[degree - k]);
        l->w[k] = (degree - k) & 1 ? fe_neg(w) : w;                                /* (-1)^(d-k) */
    }
}

ke_t fti_sc_lagrange_eval(const fti_sc_lagrange *l, const ke_t *evals, ke_t r) {
    unsigned d = l->degree;
    ke_t pre[FTI_SC_MAX_DEGREE + 1], suf[FTI_SC_MAX_DEGREE + 1];
    pre[0] = ke_one();                                                  /* pre[k] = prod_{m < k} (r - m) */
    for (unsigned k = 0; k < d; k++) pre[k + 1] = ke_mul(pre[k], ke_sub(r, ke_from_fe(k)));
    suf[d] = ke_one();                                                  /* suf[k] = prod_{m > k} (r - m) */
    for (unsigned k = d; k > 0; k--) suf[k - 1] = ke_mul(suf[k], ke_sub(r, ke_from_fe(k)));
    ke_t s = ke_zero();
    for (unsigned k = 0; k <= d; k++) s = ke_add(s, ke_mul(ke_mul_fe(evals[k], l->w[k]), ke_mul(pre[k], suf[k])));
    return s;
}

ke_t fti_sc_interpolate(const ke_t *evals, unsigned degree, ke_t r) {
    fti_sc_lagrange l;
    fti_sc_lagrange_init(&l, degree);
    return fti_sc_lagrange_eval(&l, evals, r);
}

int fti_sc_verify_round(ke_t *next, const fti_sc_lagrange *l, const ke_t *evals, ke_t claim, ke_t r) {
    ke_t g1 = l->degree ? evals[1] : evals[0]; /* a constant g has g(1) = g(0) */
    if (!ke_eq(ke_add(evals[0], g1), claim)) return 0;
    *next = fti_sc_lagrange_eval(l, evals, r);
    return 1;
}

static int ke_canonical(ke_t a) { return fe_is_canonical(a.c[0]) && fe_is_canonical(a.c[1]) && fe_is_canonical(a.c[2]); }

void fti_sc_verify(int *ok, ke_t *point, ke_t *final_claim, fti_transcript *t, unsigned n_vars, unsigned degree,
                   ke_t claim, const fti_sc_proof *proof) {
    fti_sc_lagrange l;
    *ok = 0;
    *final_claim = ke_zero();
    if (!proof || proof->n_vars != n_vars || proof->degree != degree || degree > FTI_SC_MAX_DEGREE) return;
    if (n_vars && !proof->evals) return;
    fti_sc_lagrange_init(&l, degree);
    for (unsigned i = 0; i < n_vars; i++) {
        const ke_t *g = proof->evals + (size_t)i * (degree + 1);
        for (unsigned x = 0; x <= degree; x++) /* the field code assumes canonical inputs */
            if (!ke_canonical(g[x])) return;
        fti_transcript_absorb_kes(t, LABEL_ROUND, g, degree + 1);
        point[i] = fti_transcript_challenge_ke(t, LABEL_CHALLENGE);
        if (!fti_sc_verify_round(&claim, &l, g, claim, point[i])) return; /* claim_{i+1} = g_i(r_i) */
    }
    *final_claim = claim;
    *ok = 1;
}

/* ---- prover ---- */

static int tables_well_formed(const fti_sc_table *tables, unsigned n_tables) {
    for (unsigned m = 0; m < n_tables; m++)
        if ((tables[m].base == NULL) == (tables[m].ext == NULL)) return 0;
    return 1;
}

/* src[m]: the first table with the same buffer as table m (a square may be given as two slots
 * holding the same table: it is folded once). Returns 0 if two distinct ext tables overlap,
 * which in-place folding would corrupt. */
static int find_aliases(uint8_t *src, const fti_sc_table *tables, unsigned n_tables, unsigned n_vars) {
    size_t bytes = ((size_t)1 << n_vars) * sizeof(ke_t);
    for (unsigned m = 0; m < n_tables; m++) {
        src[m] = (uint8_t)m;
        for (unsigned k = 0; k < m && src[m] == m; k++) {
            if (tables[m].base && tables[m].base == tables[k].base) src[m] = (uint8_t)k;
            if (!tables[m].ext || !tables[k].ext) continue;
            uintptr_t a = (uintptr_t)tables[m].ext, b = (uintptr_t)tables[k].ext;
            if (a == b) src[m] = (uint8_t)k;
            else if (a < b + bytes && b < a + bytes) return 0;
        }
    }
    return 1;
}

static fti_status check_tables(uint8_t *src, const fti_sc_table *tables, unsigned n_tables, unsigned n_vars) {
    if (n_vars > FTI_SC_MAX_VARS)
        return fti_fail(FTI_ERR_ARG, "sum-check: %u variables (at most %u)", n_vars, FTI_SC_MAX_VARS);
    if (n_tables > FTI_SC_MAX_TABLES || (n_tables && !tables)) return fti_fail(FTI_ERR_ARG, "sum-check: bad tables");
    if (!tables_well_formed(tables, n_tables))
        return fti_fail(FTI_ERR_ARG, "sum-check: a table needs exactly one of base and ext");
    if (!find_aliases(src, tables, n_tables, n_vars))
        return fti_fail(FTI_ERR_ARG, "sum-check: two extension tables overlap");
    return FTI_OK;
}

fti_status fti_sc_check_tables(const fti_sc_table *tables, unsigned n_tables, unsigned n_vars) {
    uint8_t src[FTI_SC_MAX_TABLES];
    return check_tables(src, tables, n_tables, n_vars);
}

static fti_status check_args(uint8_t *src, const fti_sc_composite *c, const fti_sc_table *tables, unsigned n_vars) {
    fti_status s = fti_sc_check_composite(c);
    return s != FTI_OK ? s : check_tables(src, tables, c->n_tables, n_vars);
}

static size_t evals_bytes(unsigned n_vars, unsigned degree) {
    return fti_arena_round((size_t)n_vars * (degree + 1) * sizeof(ke_t));
}

/* Arena layout of fti_sc_prove: the round messages; then the prover's scratch: the first fold
 * of every distinct base table (2^(n-1) K values) and the chunk sums of round 0 (the largest). */
static size_t prover_bytes(const uint8_t *src, const fti_sc_table *tables, unsigned n_tables, unsigned n_vars,
                           unsigned degree) {
    if (n_vars == 0) return 0;
    size_t half = (size_t)1 << (n_vars - 1), bytes = 0;
    for (unsigned m = 0; m < n_tables; m++)
        if (tables[m].base && src[m] == m) bytes += fti_arena_round(half * sizeof(ke_t));
    if (fti_sc_n_chunks(half) > 1) bytes += fti_arena_round(fti_sc_n_chunks(half) * (degree + 1) * sizeof(ke_t));
    return bytes;
}

size_t fti_sc_scratch_for(const fti_sc_table *tables, unsigned n_tables, unsigned n_vars, unsigned degree) {
    uint8_t src[FTI_SC_MAX_TABLES];
    if (check_tables(src, tables, n_tables, n_vars) != FTI_OK) return 0;
    return evals_bytes(n_vars, degree) + prover_bytes(src, tables, n_tables, n_vars, degree);
}

size_t fti_sc_scratch_size(const fti_sc_composite *c, const fti_sc_table *tables, unsigned n_vars) {
    if (fti_sc_check_composite(c) != FTI_OK) return 0;
    return fti_sc_scratch_for(tables, c->n_tables, n_vars, fti_sc_degree(c));
}

static fti_status prover_alloc(fti_sc_prover *p, fti_arena *arena, const fti_sc_table *tables) {
    if (p->n_vars == 0) return FTI_OK;
    for (unsigned m = 0; m < p->view.n_tables; m++)
        if (tables[m].base && p->src[m] == m && !(p->fold0[m] = fti_arena_alloc_array(arena, p->half, sizeof(ke_t))))
            return FTI_ERR_NOMEM;
    size_t n_chunks = fti_sc_n_chunks(p->half);
    if (n_chunks > 1 && !(p->partials = fti_arena_alloc_array(arena, n_chunks * (p->degree + 1), sizeof(ke_t))))
        return FTI_ERR_NOMEM;
    return FTI_OK;
}

fti_status fti_sc_prover_init(fti_sc_prover *p, fti_arena *arena, const fti_sc_composite *c,
                              const fti_sc_table *tables, unsigned n_vars) {
    fti_status s = check_args(p->src, c, tables, n_vars);
    if (s != FTI_OK) return s;
    p->c = c;
    p->degree = fti_sc_degree(c);
    p->n_vars = n_vars;
    p->round = 0;
    p->half = n_vars ? (size_t)1 << (n_vars - 1) : 0;
    p->partials = NULL;
    p->claim = ke_zero();
    p->view.n_tables = c->n_tables;
    for (unsigned m = 0; m < c->n_tables; m++) {
        p->view.base[m] = tables[m].base;
        p->view.ext[m] = tables[m].ext;
        p->fold0[m] = NULL;
    }
    fti_sc_lagrange_init(&p->lagrange, p->degree);
    size_t mark = fti_arena_mark(arena);
    if ((s = prover_alloc(p, arena, tables)) != FTI_OK) {
        fti_arena_reset(arena, mark);
        return fti_fail(s, "sum-check: arena too small for %u variables", n_vars);
    }
    return FTI_OK;
}

void fti_sc_prover_round(fti_sc_prover *p, ke_t *evals) {
    FTI_VERIFY_CHECK(p->round < p->n_vars);
    unsigned d = p->degree;
    int skip_one = p->round > 0 && d > 0;
    fti_sc_round_sum(evals, p->partials, p->c, d, &p->view, p->half, skip_one);
    if (skip_one) evals[1] = ke_sub(p->claim, evals[0]); /* g(0) + g(1) = claim */
    for (unsigned x = 0; x <= d; x++) p->last[x] = evals[x];
}

void fti_sc_prover_bind(fti_sc_prover *p, ke_t r) {
    FTI_VERIFY_CHECK(p->round < p->n_vars);
    ke_t *in_place[FTI_SC_MAX_TABLES];
    unsigned n_in_place = 0;
    p->claim = fti_sc_lagrange_eval(&p->lagrange, p->last, r);
    for (unsigned m = 0; m < p->view.n_tables; m++) {
        if (p->src[m] != m) continue; /* shares an earlier table's buffer: folded with it */
        if (p->view.base[m]) {
            fti_sc_fold_fe(p->fold0[m], p->view.base[m], p->half, r);
            p->view.base[m] = NULL;
            p->view.ext[m] = p->fold0[m];
        } else {
            in_place[n_in_place++] = p->view.ext[m];
        }
    }
    fti_sc_fold_ke(in_place, n_in_place, p->half, r);
    for (unsigned m = 0; m < p->view.n_tables; m++) {
        p->view.base[m] = p->view.base[p->src[m]];
        p->view.ext[m] = p->view.ext[p->src[m]];
    }
    p->round++;
    p->half /= 2;
}

void fti_sc_prover_finals(const fti_sc_prover *p, ke_t *final_vals) {
    FTI_VERIFY_CHECK(p->round == p->n_vars);
    for (unsigned m = 0; m < p->view.n_tables; m++)
        final_vals[m] = p->view.base[m] ? ke_from_fe(p->view.base[m][0]) : p->view.ext[m][0];
}

fti_status fti_sc_prove_into(ke_t *evals, ke_t *point, ke_t *final_vals, fti_arena *arena, fti_transcript *t,
                             const fti_sc_composite *c, const fti_sc_table *tables, unsigned n_vars) {
    fti_sc_prover p;
    size_t mark = fti_arena_mark(arena);
    fti_status s = fti_sc_prover_init(&p, arena, c, tables, n_vars);
    if (s != FTI_OK) return s;
    for (unsigned i = 0; i < n_vars; i++) {
        ke_t *g = evals + (size_t)i * (p.degree + 1);
        fti_sc_prover_round(&p, g);
        fti_transcript_absorb_kes(t, LABEL_ROUND, g, p.degree + 1);
        point[i] = fti_transcript_challenge_ke(t, LABEL_CHALLENGE);
        fti_sc_prover_bind(&p, point[i]);
    }
    fti_sc_prover_finals(&p, final_vals);
    fti_arena_reset(arena, mark);
    return FTI_OK;
}

fti_status fti_sc_prove(fti_sc_proof *proof, ke_t *point, ke_t *final_vals, fti_arena *arena, fti_transcript *t,
                        const fti_sc_composite *c, const fti_sc_table *tables, unsigned n_vars) {
    uint8_t src[FTI_SC_MAX_TABLES];
    fti_status s = check_args(src, c, tables, n_vars);
    if (s != FTI_OK) return s;
    unsigned d = fti_sc_degree(c);
    size_t mark = fti_arena_mark(arena);
    ke_t *evals = NULL;
    if (n_vars && !(evals = fti_arena_alloc_array(arena, (size_t)n_vars * (d + 1), sizeof(ke_t))))
        return FTI_ERR_NOMEM;
    if ((s = fti_sc_prove_into(evals, point, final_vals, arena, t, c, tables, n_vars)) != FTI_OK) {
        fti_arena_reset(arena, mark);
        return s;
    }
    proof->n_vars = n_vars;
    proof->degree = d;
    proof->evals = evals;
    return FTI_OK;
}
