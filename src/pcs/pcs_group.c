/* The batched eq-weighted sum-check engine (prover side), see pcs_internal.h.
 *
 * Points of packed polynomials end in boolean coordinates (the slot of a packed polynomial):
 * eq(z, x) is zero outside that slot, so a point keeps E only over its local variables and sums
 * only over its slot's pairs; once the sum-check reaches the slot variables the point weighs a
 * single entry. Sums are taken over fixed chunks combined in order, so results do not depend on
 * the number of threads. */
#include <stdlib.h>

#include "pcs/pcs_internal.h"
#include "pcs/pcs_kernels.h"
#include "sumcheck/sumcheck.h"
#include "util/error.h"

#define CHUNKS 64

static int is_bit(ke_t a) { return (a.c[1] | a.c[2]) == 0 && a.c[0] <= 1; }

static fti_status alloc_state(pcs_group *g) {
    size_t np = g->n_points;
    g->E = calloc(np, sizeof *g->E);
    g->c = calloc(np, sizeof *g->c);
    g->S = calloc(np, sizeof *g->S);
    g->h0 = calloc(np, sizeof *g->h0);
    g->msg = calloc(np, sizeof *g->msg);
    g->n_loc = calloc(np, sizeof *g->n_loc);
    g->slot = calloc(np, sizeof *g->slot);
    if (!g->E || !g->c || !g->S || !g->h0 || !g->msg || !g->n_loc || !g->slot)
        return fti_fail(FTI_ERR_NOMEM, "out of memory");
    for (size_t z = 0; z < np; z++) {
        const ke_t *w = g->wpoints[z];
        unsigned loc = g->n_vars;
        while (loc > 0 && is_bit(w[loc - 1]) && g->n_vars - loc < 63) loc--;
        g->n_loc[z] = loc;
        for (unsigned j = loc; j < g->n_vars; j++) g->slot[z] |= (uint64_t)w[j].c[0] << (j - loc);
        g->c[z] = g->wcoef[z];
        g->S[z] = g->point_sums[z];
    }
    return FTI_OK;
}

/* E_z = eq(z_1 .. z_(loc-1), .) over the point's local variables after the first. */
static fti_status build_E(pcs_group *g) {
    for (size_t z = 0; z < g->n_points; z++) {
        unsigned loc = g->n_loc[z];
        if (loc == 0) continue;
        size_t len = (size_t)1 << (loc - 1);
        if (!(g->E[z] = malloc(len * sizeof(ke_t))))
            return fti_fail(FTI_ERR_NOMEM, "out of memory for a 2^%u sum-check table", loc - 1);
        fti_eq_table(g->E[z], g->wpoints[z] + 1, loc - 1);
    }
    return FTI_OK;
}

/* F(x) = sum_i coef_i f_i(x) over the base polynomials. */
static inline ke_t combine(const pcs_group *g, size_t x) {
    ke_t acc = ke_zero();
    for (size_t i = 0; i < g->n_polys; i++) acc = ke_add(acc, ke_mul_fe(g->coefs[i], g->polys[i][x]));
    return acc;
}

/* F at index x in round l (the base tables in the first round). */
static inline ke_t F_at(const pcs_group *g, size_t x, int first) { return first ? combine(g, x) : g->F[x]; }

/* h_z(odd) = sum over the point's pairs y of E_z(y) F(2y + odd): the local pairs while l < loc,
 * else the single pair of its slot. */
static ke_t point_sum(const pcs_group *g, size_t z, unsigned l, int first, int odd) {
    unsigned loc = g->n_loc[z];
    if (l >= loc) {
        size_t y = (size_t)(g->slot[z] >> (l + 1 - loc));
        return F_at(g, 2 * y + (size_t)odd, first);
    }
    size_t len = (size_t)1 << (loc - l - 1), base = (size_t)g->slot[z] << (loc - l - 1), chunk = (len + CHUNKS - 1) / CHUNKS;
    ke_t part[CHUNKS];
    const ke_t *E = g->E[z];
    const pcs_kernels *k = pcs_kernels_get();
#pragma omp parallel for schedule(static) if (len >= 4096)
    for (int c = 0; c < CHUNKS; c++) {
        size_t lo = (size_t)c * chunk, hi = lo + chunk < len ? lo + chunk : len;
        if (lo >= hi)
            part[c] = ke_zero();
        else if (first)
            part[c] = k->dot_pairs_base(E + lo, g->polys, g->coefs, g->n_polys, base + lo, odd, hi - lo);
        else
            part[c] = k->dot_pairs(E + lo, g->F + 2 * (base + lo), odd, hi - lo);
    }
    ke_t s = ke_zero();
    for (int c = 0; c < CHUNKS; c++) s = ke_add(s, part[c]);
    return s;
}

static size_t block_end(size_t x, size_t len) { return len - x < PCS_BLOCK ? len : x + PCS_BLOCK; }

/* F_1(y) = sum_i coef_i (f_i(2y) + r (f_i(2y+1) - f_i(2y))) from the base tables. */
static fti_status first_fold(pcs_group *g, ke_t r) {
    size_t half = (size_t)1 << (g->n_vars - 1);
    const pcs_kernels *k = pcs_kernels_get();
    if (!(g->F = malloc(half * sizeof(ke_t)))) return fti_fail(FTI_ERR_NOMEM, "out of memory");
    g->F_len = half;
#pragma omp parallel for schedule(static) if (half > PCS_BLOCK)
    for (size_t y = 0; y < half; y += PCS_BLOCK) k->fold_lin_base(g->F, g->polys, g->coefs, g->n_polys, r, y, block_end(y, half));
    return FTI_OK;
}

/* Applies a pending fold of F, in place. */
static void apply_fold(pcs_group *g) {
    if (!g->pending) return;
    g->F_len /= 2;
    pcs_fold_lin_inplace(g->F, g->last_r, g->F_len);
    g->pending = 0;
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
    int first = l == 0;
    if (first && (st = build_E(g)) != FTI_OK) return st;
    if (!first) apply_fold(g);
    for (size_t z = 0; z < g->n_points; z++) {
        ke_t zl = g->wpoints[z][l], h1;
        g->h0[z] = point_sum(g, z, l, first, 0);
        int direct = ke_is_zero(ke_mul(g->c[z], zl));
        if (direct) h1 = point_sum(g, z, l, first, 1);
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
        if (l + 1 < g->n_loc[z]) { /* E over the local variables beyond l + 1: sum out l + 1 */
            pcs_sum_pairs_inplace(g->E[z], (size_t)1 << (g->n_loc[z] - l - 2));
        }
    }
    if (l == 0) {
        if (first_fold(g, s) != FTI_OK) g->F_len = 0; /* reported by pcs_group_consistent */
    } else {
        g->pending = 1;
        g->last_r = s;
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
    free(g->n_loc);
    free(g->slot);
    free(g->F);
    g->E = NULL;
    g->c = g->S = g->h0 = g->F = NULL;
    g->msg = NULL;
    g->n_loc = NULL;
    g->slot = NULL;
}
