/* AVX-512 kernels of the PCS prover (pcs_kernels.h): eight outputs (or pairs) per step, one per
 * lane. Each handles the largest multiple of eight of its range and leaves the rest to the scalar
 * kernel. The arithmetic is rearranged to save multiplications (a K x K product is six
 * multiplications on eight lanes, K x F three); the identities used are exact, so the results are
 * the scalar kernels' bit for bit. */
#include "field/field_avx512.h"
#include "pcs/pcs_internal.h"
#include "pcs/pcs_kernels.h"

#if FTI_HAVE_AVX512

/* Polynomials whose per-polynomial constants are computed at a time (on the stack). */
#define BATCH 16

static const fe_t INV2 = (FE_P + 1) / 2;

static size_t floor8(size_t n) { return n & ~(size_t)7; }

/* mu fold(a, b) = mu e + mu s (o - e) with e = (a + b)/2, o = (a - b) inv2x
 *              = c1 (a + b) + c2 (a - b) inv2x,  c1 = mu (1 - s)/2, c2 = mu s:
 * seven multiplications on eight lanes per polynomial. Polynomials after the first BATCH add
 * into what the earlier batches stored. */
FTI_AVX static void v_fold_first(ke_t *out, const fe_t *const *cw, const ke_t *mu, size_t n, const fe_t *inv2x,
                                 ke_t s, size_t m0, size_t m1) {
    size_t m8 = n ? m0 + floor8(m1 - m0) : m0; /* no codewords: the scalar kernel writes zeros */
    ke_t h = ke_mul_fe(ke_sub(ke_one(), s), INV2);
    for (size_t i0 = 0; i0 < n; i0 += BATCH) {
        size_t nb = n - i0 < BATCH ? n - i0 : BATCH;
        ke_t c1[BATCH], c2[BATCH];
        for (size_t i = 0; i < nb; i++) {
            c1[i] = ke_mul(mu[i0 + i], h);
            c2[i] = ke_mul(mu[i0 + i], s);
        }
        for (size_t m = m0; m < m8; m += 8) {
            vf x = vf_load(inv2x + m);
            vk acc = i0 ? vk_load(out + m) : vk_zero();
            for (size_t i = 0; i < nb; i++) {
                vf a, b;
                vf_load_pairs(&a, &b, cw[i0 + i] + 2 * m);
                acc = vk_add(acc, vk_mul_f(vk_set1(c1[i]), vf_add(a, b)));
                acc = vk_add(acc, vk_mul_f(vk_set1(c2[i]), vf_mul(vf_sub(a, b), x)));
            }
            vk_store(out + m, acc);
        }
    }
    pcs_kernels_scalar.fold_first(out, cw, mu, n, inv2x, s, m8, m1);
}

/* fold(a, b) = e + s (o - e), e = (a + b)/2 by a halving (no multiplication), o = (a - b) inv2x. */
FTI_AVX static void v_fold(ke_t *out, const ke_t *R, const fe_t *inv2x, ke_t s, size_t m0, size_t m1) {
    size_t m8 = m0 + floor8(m1 - m0);
    vk vs = vk_set1(s);
    for (size_t m = m0; m < m8; m += 8) {
        vk a, b;
        vk_load_pairs(&a, &b, R + 2 * m);
        vk e = vk_half(vk_add(a, b)), o = vk_mul_f(vk_sub(a, b), vf_load(inv2x + m));
        vk_store(out + m, vk_add(e, vk_mul(vs, vk_sub(o, e))));
    }
    pcs_kernels_scalar.fold(out, R, inv2x, s, m8, m1);
}

FTI_AVX static void v_roll_in(ke_t *R, const fe_t *const *cw, const ke_t *mu, size_t n, size_t x0, size_t x1) {
    size_t x8 = x0 + floor8(x1 - x0);
    for (size_t x = x0; x < x8; x += 8) {
        vk acc = vk_load(R + x);
        for (size_t i = 0; i < n; i++) acc = vk_add(acc, vk_mul_f(vk_set1(mu[i]), vf_load(cw[i] + x)));
        vk_store(R + x, acc);
    }
    pcs_kernels_scalar.roll_in(R, cw, mu, n, x8, x1);
}

FTI_AVX static void v_fold_lin(ke_t *out, const ke_t *T, ke_t r, size_t y0, size_t y1) {
    size_t y8 = y0 + floor8(y1 - y0);
    vk vr = vk_set1(r);
    for (size_t y = y0; y < y8; y += 8) {
        vk a, b;
        vk_load_pairs(&a, &b, T + 2 * y);
        vk_store(out + y, vk_fold(a, b, vr));
    }
    pcs_kernels_scalar.fold_lin(out, T, r, y8, y1);
}

/* sum_i coef_i (a_i + r (b_i - a_i)) = sum_i coef_i a_i + (r coef_i)(b_i - a_i): six
 * multiplications on eight lanes per table, none in K x K. */
FTI_AVX static void v_fold_lin_base(ke_t *out, const fe_t *const *f, const ke_t *coef, size_t n, ke_t r,
                                    size_t y0, size_t y1) {
    size_t y8 = n ? y0 + floor8(y1 - y0) : y0; /* no tables: the scalar kernel writes zeros */
    for (size_t i0 = 0; i0 < n; i0 += BATCH) {
        size_t nb = n - i0 < BATCH ? n - i0 : BATCH;
        ke_t rc[BATCH];
        for (size_t i = 0; i < nb; i++) rc[i] = ke_mul(r, coef[i0 + i]);
        for (size_t y = y0; y < y8; y += 8) {
            vk acc = i0 ? vk_load(out + y) : vk_zero();
            for (size_t i = 0; i < nb; i++) {
                vf a, b;
                vf_load_pairs(&a, &b, f[i0 + i] + 2 * y);
                acc = vk_add(acc, vk_mul_f(vk_set1(coef[i0 + i]), a));
                acc = vk_add(acc, vk_mul_f(vk_set1(rc[i]), vf_sub(b, a)));
            }
            vk_store(out + y, acc);
        }
    }
    pcs_kernels_scalar.fold_lin_base(out, f, coef, n, r, y8, y1);
}

FTI_AVX static ke_t v_dot_pairs(const ke_t *E, const ke_t *T, int odd, size_t len) {
    size_t n8 = floor8(len);
    vk acc = vk_zero();
    for (size_t y = 0; y < n8; y += 8) {
        vk a, b;
        vk_load_pairs(&a, &b, T + 2 * y);
        acc = vk_add(acc, vk_mul(vk_load(E + y), odd ? b : a));
    }
    return ke_add(vk_hsum(acc), pcs_kernels_scalar.dot_pairs(E + n8, T + 2 * n8, odd, len - n8));
}

/* sum_y E(y) sum_i coef_i f_i(x_y) = sum_i coef_i (sum_y E(y) f_i(x_y)): three multiplications
 * on eight lanes per table. With several tables, E is taken in stretches that stay in L1. */
#define DOT_STRETCH 512
FTI_AVX static ke_t v_dot_pairs_base(const ke_t *E, const fe_t *const *f, const ke_t *coef, size_t n, size_t off,
                                     int odd, size_t len) {
    size_t n8 = floor8(len), stretch = n > 1 ? DOT_STRETCH : n8;
    ke_t total = ke_zero();
    for (size_t s0 = 0; s0 < n8; s0 += stretch) {
        size_t s1 = s0 + stretch < n8 ? s0 + stretch : n8;
        for (size_t i = 0; i < n; i++) {
            const fe_t *fi = f[i] + 2 * off;
            vk acc = vk_zero();
            for (size_t y = s0; y < s1; y += 8) {
                vf a, b;
                vf_load_pairs(&a, &b, fi + 2 * y);
                acc = vk_add(acc, vk_mul_f(vk_load(E + y), odd ? b : a));
            }
            total = ke_add(total, ke_mul(coef[i], vk_hsum(acc)));
        }
    }
    return ke_add(total, pcs_kernels_scalar.dot_pairs_base(E + n8, f, coef, n, off + n8, odd, len - n8));
}

FTI_AVX static void v_sum_pairs(ke_t *out, const ke_t *T, size_t y0, size_t y1) {
    size_t y8 = y0 + floor8(y1 - y0);
    for (size_t y = y0; y < y8; y += 8) {
        vk a, b;
        vk_load_pairs(&a, &b, T + 2 * y);
        vk_store(out + y, vk_add(a, b));
    }
    pcs_kernels_scalar.sum_pairs(out, T, y8, y1);
}

FTI_AVX static void v_scale(fe_t *out, const fe_t *in, fe_t c, size_t len) {
    size_t n8 = floor8(len);
    vf vc = vf_set1(c);
    for (size_t x = 0; x < n8; x += 8) vf_store(out + x, vf_mul(vf_load(in + x), vc));
    pcs_kernels_scalar.scale(out + n8, in + n8, c, len - n8);
}

static const pcs_kernels kernels = {v_fold_first, v_fold, v_roll_in, v_fold_lin, v_fold_lin_base,
                                    v_dot_pairs, v_dot_pairs_base, v_sum_pairs, v_scale};
const pcs_kernels *const pcs_kernels_avx512 = &kernels;

#else

const pcs_kernels *const pcs_kernels_avx512 = NULL;

#endif
