/* Scalar kernels of the PCS prover (pcs_kernels.h): the reference for the AVX-512 ones. */
#include "pcs/pcs_kernels.h"

#include "field/field_avx512.h"
#include "pcs/pcs_internal.h"

static const fe_t INV2 = (FE_P + 1) / 2;

/* sum_i mu_i fold(a_i, b_i) = sum_i mu_i e_i + s sum_i mu_i (o_i - e_i),
 * e = (a + b)/2, o = (a - b)/(2x). */
static void fold_first(ke_t *out, const fe_t *const *cw, const ke_t *mu, size_t n, const fe_t *inv2x, ke_t s,
                       size_t m0, size_t m1) {
    for (size_t m = m0; m < m1; m++) {
        ke_t E = ke_zero(), D = ke_zero();
        for (size_t i = 0; i < n; i++) {
            fe_t a = cw[i][2 * m], b = cw[i][2 * m + 1];
            fe_t e = fe_mul(fe_add(a, b), INV2), o = fe_mul(fe_sub(a, b), inv2x[m]);
            E = ke_add(E, ke_mul_fe(mu[i], e));
            D = ke_add(D, ke_mul_fe(mu[i], fe_sub(o, e)));
        }
        out[m] = ke_add(E, ke_mul(s, D));
    }
}

static void fold(ke_t *out, const ke_t *R, const fe_t *inv2x, ke_t s, size_t m0, size_t m1) {
    for (size_t m = m0; m < m1; m++) out[m] = pcs_fold(R[2 * m], R[2 * m + 1], inv2x[m], s);
}

static void roll_in(ke_t *R, const fe_t *const *cw, const ke_t *mu, size_t n, size_t x0, size_t x1) {
    for (size_t i = 0; i < n; i++)
        for (size_t x = x0; x < x1; x++) R[x] = ke_add(R[x], ke_mul_fe(mu[i], cw[i][x]));
}

static void fold_lin(ke_t *out, const ke_t *T, ke_t r, size_t y0, size_t y1) {
    for (size_t y = y0; y < y1; y++) out[y] = ke_add(T[2 * y], ke_mul(r, ke_sub(T[2 * y + 1], T[2 * y])));
}

/* As A + r B with A = sum coef f(2y), B = sum coef (f(2y+1) - f(2y)). */
static void fold_lin_base(ke_t *out, const fe_t *const *f, const ke_t *coef, size_t n, ke_t r, size_t y0,
                          size_t y1) {
    for (size_t y = y0; y < y1; y++) {
        ke_t A = ke_zero(), B = ke_zero();
        for (size_t i = 0; i < n; i++) {
            fe_t a = f[i][2 * y], b = f[i][2 * y + 1];
            A = ke_add(A, ke_mul_fe(coef[i], a));
            B = ke_add(B, ke_mul_fe(coef[i], fe_sub(b, a)));
        }
        out[y] = ke_add(A, ke_mul(r, B));
    }
}

/* Products accumulated unreduced (ke_mul_acc: up to 2^28 per accumulator). */
static ke_t dot_pairs(const ke_t *E, const ke_t *T, int odd, size_t len) {
    ke_acc acc[3];
    memset(acc, 0, sizeof acc);
    for (size_t y = 0; y < len; y++) ke_mul_acc(acc, E[y], T[2 * y + (size_t)odd]);
    return ke_acc_result(acc);
}

static ke_t dot_pairs_base(const ke_t *E, const fe_t *const *f, const ke_t *coef, size_t n, size_t off, int odd,
                           size_t len) {
    ke_acc acc[3];
    memset(acc, 0, sizeof acc);
    for (size_t y = 0; y < len; y++) {
        size_t x = 2 * (off + y) + (size_t)odd;
        ke_t F = ke_zero();
        for (size_t i = 0; i < n; i++) F = ke_add(F, ke_mul_fe(coef[i], f[i][x]));
        ke_mul_acc(acc, E[y], F);
    }
    return ke_acc_result(acc);
}

static void sum_pairs(ke_t *out, const ke_t *T, size_t y0, size_t y1) {
    for (size_t y = y0; y < y1; y++) out[y] = ke_add(T[2 * y], T[2 * y + 1]);
}

static void scale(fe_t *out, const fe_t *in, fe_t c, size_t len) {
    for (size_t x = 0; x < len; x++) out[x] = fe_mul(in[x], c);
}

const pcs_kernels pcs_kernels_scalar = {fold_first, fold, roll_in, fold_lin, fold_lin_base,
                                        dot_pairs, dot_pairs_base, sum_pairs, scale};

const pcs_kernels *pcs_kernels_get(void) {
    return pcs_kernels_avx512 && fti_simd_avx512() ? pcs_kernels_avx512 : &pcs_kernels_scalar;
}

/* ---- in-place maps ---- */

typedef enum { MAP_FOLD, MAP_FOLD_LIN, MAP_SUM } pair_map;

typedef struct {
    pair_map op;
    const fe_t *inv2x;
    ke_t s;
} map_args;

static void map_range(const pcs_kernels *k, const map_args *a, ke_t *T, size_t y0, size_t y1) {
    switch (a->op) {
    case MAP_FOLD: k->fold(T, T, a->inv2x, a->s, y0, y1); break;
    case MAP_FOLD_LIN: k->fold_lin(T, T, a->s, y0, y1); break;
    case MAP_SUM: k->sum_pairs(T, T, y0, y1); break;
    }
}

static void map_inplace(const map_args *a, ke_t *T, size_t len) {
    const pcs_kernels *k = pcs_kernels_get();
    if (len == 0) return;
    map_range(k, a, T, 0, 1);
    for (size_t lo = 1; lo < len; lo *= 2) {
        size_t hi = len - lo < lo ? len : 2 * lo;
#pragma omp parallel for schedule(static) if (hi - lo > PCS_BLOCK)
        for (size_t y = lo; y < hi; y += PCS_BLOCK) map_range(k, a, T, y, hi - y < PCS_BLOCK ? hi : y + PCS_BLOCK);
    }
}

void pcs_fold_inplace(ke_t *R, const fe_t *inv2x, ke_t s, size_t len) {
    map_args a = {MAP_FOLD, inv2x, s};
    map_inplace(&a, R, len);
}

void pcs_fold_lin_inplace(ke_t *T, ke_t r, size_t len) {
    map_args a = {MAP_FOLD_LIN, NULL, r};
    map_inplace(&a, T, len);
}

void pcs_sum_pairs_inplace(ke_t *T, size_t len) {
    map_args a = {MAP_SUM, NULL, ke_zero()};
    map_inplace(&a, T, len);
}

