/* AVX-512 NTT kernels for Goldilocks: eight field elements per 512-bit vector, all values
 * canonical (< p) between operations. Compiled with a target attribute (not -mavx512f) and
 * chosen at run time by ntt_kernels_get(), so that every build, including the sanitizer build
 * of `make check`, runs and tests them on a CPU that has AVX-512F.
 *
 * Multiplication (no 64x64-bit vector multiply exists): with a = 2^32 a1 + a0, b = 2^32 b1 + b0,
 *   a b = a0 b0 + 2^32 (a1 b0 + a0 b1) + 2^64 a1 b1,
 * four 32x32-bit products (vpmuludq), carried into a 128-bit (hi, lo) pair, then reduced as in
 * field_gl.h: lo + 2^64 (2^32 h1 + h0) = lo - h1 + h0 (2^32 - 1) (mod p). Carries and borrows
 * become compare-into-mask and masked add/sub (no branches). */
#include "ntt/ntt_internal.h"

#ifdef NTT_HAVE_AVX512

#include <immintrin.h>

#define AVX512 __attribute__((target("avx512f")))

/* ---- field operations on eight lanes ---- */

AVX512 static inline __m512i v_set1(uint64_t x) { return _mm512_set1_epi64((long long)x); }

/* a + b for canonical a, b: with nb = p - b in [1, p], a + b >= p iff a >= nb, and then the
 * result is a - nb (this also covers the sums that overflow 2^64). */
AVX512 static inline __m512i v_add(__m512i a, __m512i b) {
    const __m512i P = v_set1(FE_P);
    __m512i nb = _mm512_sub_epi64(P, b);
    __mmask8 wrap = _mm512_cmpge_epu64_mask(a, nb);
    return _mm512_mask_sub_epi64(_mm512_add_epi64(a, b), wrap, a, nb);
}

/* a - b for canonical a, b: a borrow means add p back. */
AVX512 static inline __m512i v_sub(__m512i a, __m512i b) {
    const __m512i P = v_set1(FE_P);
    __mmask8 borrow = _mm512_cmplt_epu64_mask(a, b);
    __m512i d = _mm512_sub_epi64(a, b);
    return _mm512_mask_add_epi64(d, borrow, d, P);
}

/* (lo, hi) -> lo + 2^64 hi mod p, canonical. */
AVX512 static inline __m512i v_reduce(__m512i lo, __m512i hi) {
    const __m512i EPS = v_set1(FE_EPSILON), P = v_set1(FE_P);
    __m512i h1 = _mm512_srli_epi64(hi, 32);
    __mmask8 borrow = _mm512_cmplt_epu64_mask(lo, h1);
    __m512i t0 = _mm512_sub_epi64(lo, h1);
    t0 = _mm512_mask_sub_epi64(t0, borrow, t0, EPS);                    /* -2^64 = -EPS */
    __m512i t1 = _mm512_sub_epi64(_mm512_slli_epi64(hi, 32),             /* h0 EPS = h0 2^32 - h0 */
                                  _mm512_and_si512(hi, v_set1(0xFFFFFFFFull)));
    __m512i s = _mm512_add_epi64(t0, t1);
    __mmask8 carry = _mm512_cmplt_epu64_mask(s, t1);
    s = _mm512_mask_add_epi64(s, carry, s, EPS);                         /* +2^64 = +EPS */
    __mmask8 big = _mm512_cmpge_epu64_mask(s, P);
    return _mm512_mask_sub_epi64(s, big, s, P);
}

/* a b mod p; b_hi = b >> 32 is passed in because twiddles reuse it across many products. */
AVX512 static inline __m512i v_mul_hi(__m512i a, __m512i b, __m512i b_hi) {
    const __m512i M32 = v_set1(0xFFFFFFFFull);
    __m512i a_hi = _mm512_srli_epi64(a, 32);
    __m512i ll = _mm512_mul_epu32(a, b), lh = _mm512_mul_epu32(a, b_hi);
    __m512i hl = _mm512_mul_epu32(a_hi, b), hh = _mm512_mul_epu32(a_hi, b_hi);
    __m512i t = _mm512_add_epi64(hl, _mm512_srli_epi64(ll, 32));        /* a1 b0 + (a0 b0 >> 32) < 2^64 */
    __m512i u = _mm512_add_epi64(lh, _mm512_and_si512(t, M32));         /* a0 b1 + low(t) < 2^64 */
    __m512i lo = _mm512_mask_blend_epi32(0xAAAA, ll, _mm512_slli_epi64(u, 32)); /* low(u):low(ll) */
    __m512i hi = _mm512_add_epi64(_mm512_add_epi64(hh, _mm512_srli_epi64(t, 32)), _mm512_srli_epi64(u, 32));
    return v_reduce(lo, hi);
}

AVX512 static inline __m512i v_mul(__m512i a, __m512i b) { return v_mul_hi(a, b, _mm512_srli_epi64(b, 32)); }

/* DIF butterfly (x, y) -> (x + y, (x - y) w) and DIT butterfly (x, y) -> (x + y w, x - y w). */
AVX512 static inline void v_dif(__m512i *x, __m512i *y, __m512i w, __m512i w_hi) {
    __m512i u = *x, v = *y;
    *x = v_add(u, v);
    *y = v_mul_hi(v_sub(u, v), w, w_hi);
}
AVX512 static inline void v_dit(__m512i *x, __m512i *y, __m512i w, __m512i w_hi) {
    __m512i u = *x, v = v_mul_hi(*y, w, w_hi);
    *x = v_add(u, v);
    *y = v_sub(u, v);
}

AVX512 static inline __m512i v_load(const fe_t *p) { return _mm512_loadu_si512((const void *)p); }
AVX512 static inline void v_store(fe_t *p, __m512i v) { _mm512_storeu_si512((void *)p, v); }

/* ---- contiguous leaves ---- */

/* One DIF stage of half-size m >= 8 over a[0, n). */
AVX512 static void dif_stage(fe_t *a, size_t n, size_t m, const fe_t *tw) {
    for (size_t b = 0; b < n; b += 2 * m)
        for (size_t j = 0; j < m; j += 8) {
            __m512i w = _mm512_load_si512((const void *)(tw + m + j)), x = v_load(a + b + j), y = v_load(a + b + j + m);
            v_dif(&x, &y, w, _mm512_srli_epi64(w, 32));
            v_store(a + b + j, x);
            v_store(a + b + j + m, y);
        }
}

AVX512 static void dit_stage(fe_t *a, size_t n, size_t m, const fe_t *tw) {
    for (size_t b = 0; b < n; b += 2 * m)
        for (size_t j = 0; j < m; j += 8) {
            __m512i w = _mm512_load_si512((const void *)(tw + m + j)), x = v_load(a + b + j), y = v_load(a + b + j + m);
            v_dit(&x, &y, w, _mm512_srli_epi64(w, 32));
            v_store(a + b + j, x);
            v_store(a + b + j + m, y);
        }
}

/* Index vectors for vpermt2q: entries 0-7 pick from the first operand, 8-15 from the second. */
#define IDX(a, b, c, d, e, f, g, h) _mm512_set_epi64(h, g, f, e, d, c, b, a)

/* The last three DIF stages (m = 4, 2, 1) on two 8-element blocks v0 = a[0..8), v1 = a[8..16):
 * the pairs of each stage are brought into matching lanes of two vectors X, Y by shuffles.
 * Lane contents are noted as block positions (a0 = position 0 of block v0). */
AVX512 static void dif_last3(fe_t *a, __m512i w4, __m512i w4_hi, __m512i w2, __m512i w2_hi) {
    __m512i v0 = v_load(a), v1 = v_load(a + 8);
    __m512i x = _mm512_shuffle_i64x2(v0, v1, 0x44);                      /* a0 a1 a2 a3 b0 b1 b2 b3 */
    __m512i y = _mm512_shuffle_i64x2(v0, v1, 0xEE);                      /* a4 a5 a6 a7 b4 b5 b6 b7 */
    v_dif(&x, &y, w4, w4_hi);                                            /* m = 4: (j, j+4), w_8^j */
    __m512i p = _mm512_permutex2var_epi64(x, IDX(0, 1, 8, 9, 4, 5, 12, 13), y);  /* 0 1 4 5 | 0 1 4 5 */
    __m512i q = _mm512_permutex2var_epi64(x, IDX(2, 3, 10, 11, 6, 7, 14, 15), y); /* 2 3 6 7 | 2 3 6 7 */
    v_dif(&p, &q, w2, w2_hi);                                            /* m = 2: (j, j+2), w_4^j */
    __m512i e = _mm512_unpacklo_epi64(p, q);                             /* 0 2 4 6 | 0 2 4 6 */
    __m512i o = _mm512_unpackhi_epi64(p, q);                             /* 1 3 5 7 | 1 3 5 7 */
    __m512i s = v_add(e, o), d = v_sub(e, o);                            /* m = 1: twiddle 1 */
    v_store(a, _mm512_permutex2var_epi64(s, IDX(0, 8, 1, 9, 2, 10, 3, 11), d));
    v_store(a + 8, _mm512_permutex2var_epi64(s, IDX(4, 12, 5, 13, 6, 14, 7, 15), d));
}

/* The first three DIT stages (m = 1, 2, 4), the mirror image of dif_last3. */
AVX512 static void dit_first3(fe_t *a, __m512i w4, __m512i w4_hi, __m512i w2, __m512i w2_hi) {
    __m512i v0 = v_load(a), v1 = v_load(a + 8);
    __m512i e = _mm512_permutex2var_epi64(v0, IDX(0, 2, 4, 6, 8, 10, 12, 14), v1); /* 0 2 4 6 | 0 2 4 6 */
    __m512i o = _mm512_permutex2var_epi64(v0, IDX(1, 3, 5, 7, 9, 11, 13, 15), v1); /* 1 3 5 7 | 1 3 5 7 */
    __m512i s = v_add(e, o), d = v_sub(e, o);                            /* m = 1 */
    __m512i p = _mm512_unpacklo_epi64(s, d);                             /* 0 1 4 5 | 0 1 4 5 */
    __m512i q = _mm512_unpackhi_epi64(s, d);                             /* 2 3 6 7 | 2 3 6 7 */
    v_dit(&p, &q, w2, w2_hi);                                            /* m = 2: w_4^-j */
    __m512i x = _mm512_permutex2var_epi64(p, IDX(0, 1, 8, 9, 4, 5, 12, 13), q);  /* 0 1 2 3 | 0 1 2 3 */
    __m512i y = _mm512_permutex2var_epi64(p, IDX(2, 3, 10, 11, 6, 7, 14, 15), q); /* 4 5 6 7 | 4 5 6 7 */
    v_dit(&x, &y, w4, w4_hi);                                            /* m = 4: w_8^-j */
    v_store(a, _mm512_shuffle_i64x2(x, y, 0x44));
    v_store(a + 8, _mm512_shuffle_i64x2(x, y, 0xEE));
}

/* Twiddles of the stages m = 4 and m = 2 as lane vectors: [t4 t5 t6 t7 t4 t5 t6 t7] and
 * [t2 t3 t2 t3 ...] (the lane order of x, y and p, q above). */
AVX512 static __m512i tw4(const fe_t *t) { return _mm512_set_epi64(t[7], t[6], t[5], t[4], t[7], t[6], t[5], t[4]); }
AVX512 static __m512i tw2(const fe_t *t) { return _mm512_set_epi64(t[3], t[2], t[3], t[2], t[3], t[2], t[3], t[2]); }

AVX512 static void leaf_dif(fe_t *a, unsigned k, const ntt_tables *t) {
    if (k < 4) {
        ntt_kernels_scalar.leaf_dif(a, k, t);
        return;
    }
    size_t n = (size_t)1 << k;
    for (size_t m = n >> 1; m >= 8; m >>= 1) dif_stage(a, n, m, t->fwd);
    __m512i w4 = tw4(t->fwd), w2 = tw2(t->fwd);
    __m512i w4_hi = _mm512_srli_epi64(w4, 32), w2_hi = _mm512_srli_epi64(w2, 32);
    for (size_t b = 0; b < n; b += 16) dif_last3(a + b, w4, w4_hi, w2, w2_hi);
}

AVX512 static void leaf_dit(fe_t *a, unsigned k, const ntt_tables *t) {
    if (k < 4) {
        ntt_kernels_scalar.leaf_dit(a, k, t);
        return;
    }
    size_t n = (size_t)1 << k;
    __m512i w4 = tw4(t->inv), w2 = tw2(t->inv);
    __m512i w4_hi = _mm512_srli_epi64(w4, 32), w2_hi = _mm512_srli_epi64(w2, 32);
    for (size_t b = 0; b < n; b += 16) dit_first3(a + b, w4, w4_hi, w2, w2_hi);
    for (size_t m = 8; m < n; m <<= 1) dit_stage(a, n, m, t->inv);
}

/* ---- row-wise (lanes) transforms: one broadcast twiddle per pair of rows ---- */

AVX512 static void lanes_dif(fe_t *a, unsigned k, size_t lanes, size_t stride, const ntt_tables *t) {
    if (lanes % 8) {
        ntt_kernels_scalar.lanes_dif(a, k, lanes, stride, t);
        return;
    }
    size_t rows = (size_t)1 << k;
    for (size_t m = rows >> 1; m >= 1; m >>= 1)
        for (size_t b = 0; b < rows; b += 2 * m)
            for (size_t j = 0; j < m; j++) {
                __m512i w = v_set1(t->fwd[m + j]), w_hi = _mm512_srli_epi64(w, 32);
                fe_t *x = a + (b + j) * stride, *y = x + m * stride;
                for (size_t l = 0; l < lanes; l += 8) {
                    __m512i u = v_load(x + l), v = v_load(y + l);
                    v_dif(&u, &v, w, w_hi);
                    v_store(x + l, u);
                    v_store(y + l, v);
                }
            }
}

AVX512 static void lanes_dit(fe_t *a, unsigned k, size_t lanes, size_t stride, const ntt_tables *t) {
    if (lanes % 8) {
        ntt_kernels_scalar.lanes_dit(a, k, lanes, stride, t);
        return;
    }
    size_t rows = (size_t)1 << k;
    for (size_t m = 1; m < rows; m <<= 1)
        for (size_t b = 0; b < rows; b += 2 * m)
            for (size_t j = 0; j < m; j++) {
                __m512i w = v_set1(t->inv[m + j]), w_hi = _mm512_srli_epi64(w, 32);
                fe_t *x = a + (b + j) * stride, *y = x + m * stride;
                for (size_t l = 0; l < lanes; l += 8) {
                    __m512i u = v_load(x + l), v = v_load(y + l);
                    v_dit(&u, &v, w, w_hi);
                    v_store(x + l, u);
                    v_store(y + l, v);
                }
            }
}

/* ---- scaling ---- */

/* a[i] *= c r^i: lane l of pw holds c r^(i + l), stepped by r^8. */
AVX512 static void scale_powers(fe_t *a, size_t n, fe_t c, fe_t r) {
    if (n < 8) {
        ntt_kernels_scalar.scale_powers(a, n, c, r);
        return;
    }
    fe_t p[8];
    p[0] = c;
    for (int l = 1; l < 8; l++) p[l] = fe_mul(p[l - 1], r);
    __m512i pw = v_load(p), r8 = v_set1(fe_pow(r, 8)), r8_hi = _mm512_srli_epi64(r8, 32);
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        v_store(a + i, v_mul(v_load(a + i), pw));
        pw = v_mul_hi(pw, r8, r8_hi);
    }
    if (i < n) ntt_kernels_scalar.scale_powers(a + i, n - i, fe_mul(c, fe_pow(r, i)), r); /* from c r^i */
}

AVX512 static void scale_rows(fe_t *dst, size_t dst_stride, const fe_t *src, size_t src_stride, size_t rows,
                              size_t lanes, fe_t c, fe_t s) {
    if (lanes % 8) {
        ntt_kernels_scalar.scale_rows(dst, dst_stride, src, src_stride, rows, lanes, c, s);
        return;
    }
    fe_t p = c;
    for (size_t r = 0; r < rows; r++, p = fe_mul(p, s)) {                /* p = c s^r */
        __m512i pv = v_set1(p), pv_hi = _mm512_srli_epi64(pv, 32);
        for (size_t l = 0; l < lanes; l += 8)
            v_store(dst + r * dst_stride + l, v_mul_hi(v_load(src + r * src_stride + l), pv, pv_hi));
    }
}

const ntt_kernels ntt_kernels_avx512 = {leaf_dif, leaf_dit, lanes_dif, lanes_dit, scale_powers, scale_rows};

#endif
