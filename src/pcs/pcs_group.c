/* The batched eq-weighted sum-check engine (prover side), see pcs_internal.h.
 *
 * A group contributes G_g(x) = eq(a, x_low) W(x_high) F(x_high) to the summand. In its first t
 * rounds G_g does not depend on the tables: round j's contribution is
 * pref * eq1(a_j, X) * S_g, with pref = prod_{j' < j} eq1(a_j', s_j') and S_g the group's sum.
 * From round t on it is the usual degree-2 product sum-check on the tables W and F, scaled by
 * pref. Sums are taken over fixed chunks combined in order, so results do not depend on the
 * number of threads. */
#include <stdlib.h>

#include "pcs/pcs_internal.h"
#include "sumcheck/sumcheck.h"
#include "util/error.h"

#define CHUNKS 64

static fti_status build_tables(pcs_group *g) {
    size_t n = (size_t)1 << g->n_vars;
    g->W = malloc(n * sizeof(ke_t));
    g->F = malloc(n * sizeof(ke_t));
    ke_t *eq = g->n_points > 1 ? malloc(n * sizeof(ke_t)) : NULL;
    if (!g->W || !g->F || (g->n_points > 1 && !eq)) {
        free(eq);
        return fti_fail(FTI_ERR_NOMEM, "out of memory for a 2^%u sum-check table", g->n_vars);
    }
    /* W = sum_z c_z eq(z, .) */
    fti_eq_table(g->W, g->wpoints[0], g->n_vars);
    if (!ke_eq(g->wcoef[0], ke_one()))
        for (size_t x = 0; x < n; x++) g->W[x] = ke_mul(g->W[x], g->wcoef[0]);
    for (size_t z = 1; z < g->n_points; z++) {
        fti_eq_table(eq, g->wpoints[z], g->n_vars);
        ke_t c = g->wcoef[z];
#pragma omp parallel for schedule(static) if (n >= 4096)
        for (size_t x = 0; x < n; x++) g->W[x] = ke_add(g->W[x], ke_mul(eq[x], c));
    }
    free(eq);
    /* F = sum_i coef_i f_i */
#pragma omp parallel for schedule(static) if (n >= 4096)
    for (size_t x = 0; x < n; x++) {
        ke_t acc = ke_zero();
        for (size_t i = 0; i < g->n_polys; i++) acc = ke_add(acc, ke_mul_fe(g->coefs[i], g->polys[i][x]));
        g->F[x] = acc;
    }
    return FTI_OK;
}

/* sum_x W[x] F[x] over the current (2^size) tables. */
static ke_t inner_product(const ke_t *W, const ke_t *F, size_t size) {
    ke_t part[CHUNKS];
    size_t chunk = (size + CHUNKS - 1) / CHUNKS;
#pragma omp parallel for schedule(static) if (size >= 4096)
    for (int c = 0; c < CHUNKS; c++) {
        ke_t acc = ke_zero();
        size_t lo = (size_t)c * chunk, hi = lo + chunk < size ? lo + chunk : size;
        for (size_t x = lo; x < hi; x++) acc = ke_add(acc, ke_mul(W[x], F[x]));
        part[c] = acc;
    }
    ke_t s = ke_zero();
    for (int c = 0; c < CHUNKS; c++) s = ke_add(s, part[c]);
    return s;
}

/* g(0), g(1), g(2) of sum over pairs of W F, with W, F linear in the bound variable. */
static void product_round(ke_t out[3], const ke_t *W, const ke_t *F, size_t half) {
    ke_t part[CHUNKS][3];
    size_t chunk = (half + CHUNKS - 1) / CHUNKS;
#pragma omp parallel for schedule(static) if (half >= 2048)
    for (int c = 0; c < CHUNKS; c++) {
        ke_t a0 = ke_zero(), a1 = ke_zero(), a2 = ke_zero();
        size_t lo = (size_t)c * chunk, hi = lo + chunk < half ? lo + chunk : half;
        for (size_t i = lo; i < hi; i++) {
            ke_t w0 = W[2 * i], w1 = W[2 * i + 1], f0 = F[2 * i], f1 = F[2 * i + 1];
            a0 = ke_add(a0, ke_mul(w0, f0));
            a1 = ke_add(a1, ke_mul(w1, f1));
            /* values at X = 2: v(2) = 2 v1 - v0 */
            ke_t w2 = ke_sub(ke_add(w1, w1), w0), f2 = ke_sub(ke_add(f1, f1), f0);
            a2 = ke_add(a2, ke_mul(w2, f2));
        }
        part[c][0] = a0;
        part[c][1] = a1;
        part[c][2] = a2;
    }
    for (int c = 0; c < CHUNKS; c++)
        for (int e = 0; e < 3; e++) out[e] = ke_add(out[e], part[c][e]);
}

fti_status pcs_group_round(pcs_group *g, unsigned j, ke_t out[3]) {
    if (j == 0) g->pref = ke_one();
    if (j < g->t) {
        ke_t e[3];
        pcs_eq1_at012(e, g->low ? g->low[j] : ke_zero());
        ke_t ps = ke_mul(g->pref, g->sum);
        for (int x = 0; x < 3; x++) out[x] = ke_add(out[x], ke_mul(ps, e[x]));
        return FTI_OK;
    }
    unsigned bound = j - g->t;
    if (bound == 0) {
        fti_status st = build_tables(g);
        if (st != FTI_OK) return st;
        if (!ke_eq(inner_product(g->W, g->F, (size_t)1 << g->n_vars), g->sum))
            return fti_fail(FTI_ERR_INTERNAL, "a claimed evaluation is not the polynomial's value");
    }
    size_t half = (size_t)1 << (g->n_vars - bound - 1);
    ke_t r[3] = {ke_zero(), ke_zero(), ke_zero()};
    product_round(r, g->W, g->F, half);
    for (int x = 0; x < 3; x++) out[x] = ke_add(out[x], ke_mul(g->pref, r[x]));
    return FTI_OK;
}

/* T'[i] = T[2i] + s (T[2i+1] - T[2i]). Large tables fold into a fresh buffer in parallel (an
 * in-place parallel fold would race: T[i] is written while another thread reads it as T[2i']);
 * if that allocation fails, or the table is small, the fold runs in place sequentially, which is
 * safe because T[i] is written only after T[2i], T[2i+1] (>= i) were read. */
static void fold_table(ke_t **T, size_t half, ke_t s) {
    ke_t *src = *T, *dst = half >= 4096 ? malloc(half * sizeof(ke_t)) : NULL;
    if (dst) {
#pragma omp parallel for schedule(static)
        for (size_t i = 0; i < half; i++) dst[i] = ke_add(src[2 * i], ke_mul(s, ke_sub(src[2 * i + 1], src[2 * i])));
        free(src);
        *T = dst;
        return;
    }
    for (size_t i = 0; i < half; i++) src[i] = ke_add(src[2 * i], ke_mul(s, ke_sub(src[2 * i + 1], src[2 * i])));
}

void pcs_group_bind(pcs_group *g, unsigned j, ke_t s) {
    if (j < g->t) {
        g->pref = ke_mul(g->pref, pcs_eq1(g->low ? g->low[j] : ke_zero(), s));
        return;
    }
    unsigned bound = j - g->t;
    size_t half = (size_t)1 << (g->n_vars - bound - 1);
    fold_table(&g->W, half, s);
    fold_table(&g->F, half, s);
}

void pcs_group_free(pcs_group *g) {
    free(g->W);
    free(g->F);
    g->W = g->F = NULL;
}
