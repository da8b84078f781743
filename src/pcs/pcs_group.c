/* The batched eq-weighted sum-check engine (prover side), see pcs_internal.h.
 *
 * Sums are taken over fixed chunks combined in order, so results do not depend on the number
 * of threads. */
#include <stdlib.h>

#include "pcs/pcs_internal.h"
#include "sumcheck/sumcheck.h"
#include "util/error.h"

#define CHUNKS 64

static fti_status alloc_state(pcs_group *g) {
    size_t np = g->n_points;
    g->E = calloc(np, sizeof *g->E);
    g->c = calloc(np, sizeof *g->c);
    g->S = calloc(np, sizeof *g->S);
    g->h0 = calloc(np, sizeof *g->h0);
    g->msg = calloc(np, sizeof *g->msg);
    if (!g->E || !g->c || !g->S || !g->h0 || !g->msg) return fti_fail(FTI_ERR_NOMEM, "out of memory");
    for (size_t z = 0; z < np; z++) {
        g->c[z] = g->wcoef[z];
        g->S[z] = g->point_sums[z];
    }
    return FTI_OK;
}

/* E_z = eq(z_(>=1), .) over the n - 1 variables after the first (size 2^(n-1)). */
static fti_status build_E(pcs_group *g) {
    size_t half = (size_t)1 << (g->n_vars - 1);
    for (size_t z = 0; z < g->n_points; z++) {
        if (!(g->E[z] = malloc(half * sizeof(ke_t))))
            return fti_fail(FTI_ERR_NOMEM, "out of memory for a 2^%u sum-check table", g->n_vars - 1);
        fti_eq_table(g->E[z], g->wpoints[z] + 1, g->n_vars - 1);
    }
    return FTI_OK;
}

/* F(x) = sum_i coef_i f_i(x) over the base polynomials. */
static inline ke_t combine(const pcs_group *g, size_t x) {
    ke_t acc = ke_zero();
    for (size_t i = 0; i < g->n_polys; i++) acc = ke_add(acc, ke_mul_fe(g->coefs[i], g->polys[i][x]));
    return acc;
}

/* Sums the per-chunk partials in chunk order into h0. */
static void reduce_parts(pcs_group *g, const ke_t *part) {
    for (size_t z = 0; z < g->n_points; z++) {
        ke_t acc = ke_zero();
        for (int c = 0; c < CHUNKS; c++) acc = ke_add(acc, part[c * g->n_points + z]);
        g->h0[z] = acc;
    }
}

/* First real round: h_z(0) = sum_y E_z(y) F(2y), F read from the base tables; products are
 * accumulated unreduced within a chunk (ke_mul_acc). */
static fti_status first_round(pcs_group *g, size_t half) {
    size_t np = g->n_points, chunk = (half + CHUNKS - 1) / CHUNKS;
    ke_t *part = calloc(CHUNKS * np, sizeof *part);
    ke_acc *accs = calloc(CHUNKS * np * 3, sizeof *accs);
    if (!part || !accs) {
        free(part);
        free(accs);
        return fti_fail(FTI_ERR_NOMEM, "out of memory");
    }
#pragma omp parallel for schedule(static) if (half >= 2048)
    for (int c = 0; c < CHUNKS; c++) {
        ke_acc *acc = accs + (size_t)c * np * 3;
        size_t lo = (size_t)c * chunk, hi = lo + chunk < half ? lo + chunk : half;
        for (size_t y = lo; y < hi; y++) {
            ke_t f0 = combine(g, 2 * y);
            for (size_t z = 0; z < np; z++) ke_mul_acc(acc + 3 * z, g->E[z][y], f0);
        }
        for (size_t z = 0; z < np; z++) part[c * np + z] = ke_acc_result(acc + 3 * z);
    }
    reduce_parts(g, part);
    free(part);
    free(accs);
    return FTI_OK;
}

/* F_1(y) = F(2y) + r (F(2y+1) - F(2y)) from the base tables, as A + r B with
 * A = sum coef f(2y), B = sum coef (f(2y+1) - f(2y)). */
static fti_status first_fold(pcs_group *g, ke_t r) {
    size_t half = (size_t)1 << (g->n_vars - 1);
    if (!(g->F = malloc(half * sizeof(ke_t)))) return fti_fail(FTI_ERR_NOMEM, "out of memory");
    g->F_len = half;
#pragma omp parallel for schedule(static) if (half >= 4096)
    for (size_t y = 0; y < half; y++) {
        ke_t A = ke_zero(), B = ke_zero();
        for (size_t i = 0; i < g->n_polys; i++) {
            fe_t a = g->polys[i][2 * y], b = g->polys[i][2 * y + 1];
            A = ke_add(A, ke_mul_fe(g->coefs[i], a));
            B = ke_add(B, ke_mul_fe(g->coefs[i], fe_sub(b, a)));
        }
        g->F[y] = ke_add(A, ke_mul(r, B));
    }
    return FTI_OK;
}

/* Later rounds, one pass: applies the pending fold of F (into a fresh buffer: an in-place
 * parallel fold would race) and accumulates h_z(0) = sum_y E_z(y) F(2y), unreduced per chunk. */
static fti_status later_round(pcs_group *g) {
    size_t np = g->n_points;
    int fold = g->pending;
    ke_t r = g->last_r;
    size_t len = fold ? g->F_len / 2 : g->F_len, half = len / 2, chunk = (half + CHUNKS - 1) / CHUNKS;
    ke_t *part = calloc(CHUNKS * np, sizeof *part), *Fn = fold ? malloc(len * sizeof(ke_t)) : g->F;
    ke_acc *accs = calloc(CHUNKS * np * 3, sizeof *accs);
    if (!part || !Fn || !accs) {
        free(part);
        free(accs);
        if (fold) free(Fn);
        return fti_fail(FTI_ERR_NOMEM, "out of memory");
    }
#pragma omp parallel for schedule(static) if (half >= 2048)
    for (int c = 0; c < CHUNKS; c++) {
        ke_acc *acc = accs + (size_t)c * np * 3;
        size_t lo = (size_t)c * chunk, hi = lo + chunk < half ? lo + chunk : half;
        for (size_t y = lo; y < hi; y++) {
            ke_t f0;
            if (fold) {
                const ke_t *o = g->F + 4 * y;
                f0 = ke_add(o[0], ke_mul(r, ke_sub(o[1], o[0])));
                Fn[2 * y] = f0;
                Fn[2 * y + 1] = ke_add(o[2], ke_mul(r, ke_sub(o[3], o[2])));
            } else {
                f0 = g->F[2 * y];
            }
            for (size_t z = 0; z < np; z++) ke_mul_acc(acc + 3 * z, g->E[z][y], f0);
        }
        for (size_t z = 0; z < np; z++) part[c * np + z] = ke_acc_result(acc + 3 * z);
    }
    if (fold) {
        free(g->F);
        g->F = Fn;
        g->F_len = len;
        g->pending = 0;
    }
    reduce_parts(g, part);
    free(part);
    free(accs);
    return FTI_OK;
}

/* h_z(1) = sum_y E_z(y) F(2y + 1), summed directly (only when c z_l = 0, where the claim does
 * not determine it). F must be current (no pending fold) or, in the first round, the base. */
static ke_t direct_h1(const pcs_group *g, size_t z, size_t half, int first) {
    ke_t acc = ke_zero();
    for (size_t y = 0; y < half; y++) acc = ke_add(acc, ke_mul(g->E[z][y], first ? combine(g, 2 * y + 1) : g->F[2 * y + 1]));
    return acc;
}

/* Round message of point z: g(0) = c (1 - z) h(0), g(1) = S - g(0) = c z h(1),
 * g(2) = c (3z - 1) h(2) with h(2) = 2 h(1) - h(0). */
static void point_message(ke_t m[3], ke_t c, ke_t zl, ke_t h0, ke_t S, const ke_t *h1_direct) {
    ke_t e[3], cz = ke_mul(c, zl);
    pcs_eq1_at012(e, zl);
    m[0] = ke_mul(c, ke_mul(e[0], h0));
    ke_t h1 = h1_direct ? *h1_direct : ke_mul(ke_sub(S, m[0]), ke_inv(cz));
    m[1] = h1_direct ? ke_mul(cz, h1) : ke_sub(S, m[0]);
    m[2] = ke_mul(c, ke_mul(e[2], ke_sub(ke_add(h1, h1), h0)));
}

fti_status pcs_group_round(pcs_group *g, unsigned j, ke_t out[3]) {
    fti_status st;
    if (j == 0) {
        g->pref = ke_one();
        if ((st = alloc_state(g)) != FTI_OK) return st;
    }
    if (j < g->t) {
        ke_t e[3], sum = ke_zero();
        pcs_eq1_at012(e, g->low ? g->low[j] : ke_zero());
        for (size_t z = 0; z < g->n_points; z++) sum = ke_add(sum, g->S[z]);
        ke_t ps = ke_mul(g->pref, sum);
        for (int x = 0; x < 3; x++) out[x] = ke_add(out[x], ke_mul(ps, e[x]));
        return FTI_OK;
    }
    unsigned l = j - g->t;
    size_t half = (size_t)1 << (g->n_vars - l - 1);
    if (l == 0) {
        if ((st = build_E(g)) != FTI_OK || (st = first_round(g, half)) != FTI_OK) return st;
    } else if ((st = later_round(g)) != FTI_OK) {
        return st;
    }
    for (size_t z = 0; z < g->n_points; z++) {
        ke_t zl = g->wpoints[z][l], h1;
        int direct = ke_is_zero(ke_mul(g->c[z], zl));
        if (direct) h1 = direct_h1(g, z, half, l == 0);
        point_message(g->msg[z], g->c[z], zl, g->h0[z], g->S[z], direct ? &h1 : NULL);
        for (int x = 0; x < 3; x++) out[x] = ke_add(out[x], ke_mul(g->pref, g->msg[z][x]));
    }
    return FTI_OK;
}

void pcs_group_bind(pcs_group *g, unsigned j, ke_t s) {
    if (j < g->t) {
        g->pref = ke_mul(g->pref, pcs_eq1(g->low ? g->low[j] : ke_zero(), s));
        return;
    }
    unsigned l = j - g->t;
    for (size_t z = 0; z < g->n_points; z++) {
        g->S[z] = pcs_interp2(g->msg[z], s);
        g->c[z] = ke_mul(g->c[z], pcs_eq1(g->wpoints[z][l], s));
    }
    if (l == 0) {
        if (first_fold(g, s) != FTI_OK) g->F_len = 0; /* reported by pcs_group_consistent */
    } else {
        g->pending = 1;
        g->last_r = s;
    }
    size_t half = (size_t)1 << (g->n_vars - l - 1); /* E's length now; sum its pairs */
    for (size_t z = 0; z < g->n_points && half > 1; z++) {
        ke_t *E = g->E[z];
        for (size_t y = 0; y < half / 2; y++) E[y] = ke_add(E[2 * y], E[2 * y + 1]); /* y <= 2y: in order */
    }
}

int pcs_group_consistent(const pcs_group *g) {
    if (g->n_vars == 0) return 1; /* nothing was summed: the claims are checked elsewhere */
    if (!g->F || g->F_len == 0) return 0;
    ke_t f = g->F[0];
    if (g->pending) f = ke_add(g->F[0], ke_mul(g->last_r, ke_sub(g->F[1], g->F[0])));
    for (size_t z = 0; z < g->n_points; z++)
        if (!ke_eq(g->S[z], ke_mul(g->c[z], f))) return 0;
    return 1;
}

void pcs_group_free(pcs_group *g) {
    if (g->E)
        for (size_t z = 0; z < g->n_points; z++) free(g->E[z]);
    free(g->E);
    free(g->c);
    free(g->S);
    free(g->h0);
    free(g->msg);
    free(g->F);
    g->E = NULL;
    g->c = g->S = g->h0 = g->F = NULL;
    g->msg = NULL;
}
