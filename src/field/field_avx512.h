/* F and K on eight AVX-512 lanes, shared by the prover's vector kernels (LogUp, PCS, block
 * sum-check, eq tables).
 *
 * Contract: a vf holds eight canonical field elements, a vk eight elements of K split by
 * coefficient (c[t] holds coefficient t of each lane). Every operation takes canonical lanes and
 * returns canonical lanes, so the results are the scalar functions' (field_gl.h, ext.h) bit for
 * bit, whatever the order in which a kernel adds them up.
 *
 * The functions carry a target attribute (not -mavx512f), so every build, the sanitizer build of
 * `make check` included, compiles them; a kernel runs them only after fti_simd_avx512() has said
 * yes. FTI_HAVE_AVX512 is 1 where they exist: x86-64, GCC or Clang, the Goldilocks field.
 *
 * Multiplication (there is no 64x64-bit vector multiply): with a = 2^32 a1 + a0, b = 2^32 b1 + b0,
 *   a b = a0 b0 + 2^32 (a1 b0 + a0 b1) + 2^64 a1 b1,
 * four 32x32-bit products carried into a 128-bit (hi, lo) pair, then reduced as in field_gl.h:
 * lo + 2^64 (2^32 h1 + h0) = lo - h1 + h0 (2^32 - 1) (mod p); carries and borrows become
 * compare-into-mask and masked add/sub. */
#ifndef FTI_FIELD_AVX512_H
#define FTI_FIELD_AVX512_H

#include "field/ext.h"

/* 1 (default): kernels that have an AVX-512 version use it when the CPU has AVX-512F. Tests set
 * 0 to compare against the scalar code (proofs must be identical). Not thread-safe to change
 * while a prover runs. */
extern int fti_simd_enabled;

#if defined(__x86_64__) && defined(__GNUC__) && !defined(FTI_TOY_FIELD)
#define FTI_HAVE_AVX512 1
#else
#define FTI_HAVE_AVX512 0
#endif

/* 1 if the AVX-512 kernels are to run: compiled in, fti_simd_enabled, and the CPU has AVX-512F. */
int fti_simd_avx512(void);

#if FTI_HAVE_AVX512

#include <immintrin.h>

#define FTI_AVX __attribute__((target("avx512f")))
#define FTI_AVXI __attribute__((target("avx512f"), always_inline)) inline

typedef __m512i vf;
typedef struct {
    vf c[3];
} vk;

/* ---- F ---- */

FTI_AVXI static vf vf_set1(uint64_t x) { return _mm512_set1_epi64((long long)x); }
FTI_AVXI static vf vf_zero(void) { return _mm512_setzero_si512(); }
FTI_AVXI static vf vf_load(const fe_t *p) { return _mm512_loadu_si512((const void *)p); }
FTI_AVXI static void vf_store(fe_t *p, vf v) { _mm512_storeu_si512((void *)p, v); }

/* With nb = p - b in [1, p]: a + b >= p iff a >= nb, and then a + b - p = a - nb (this also
 * covers sums past 2^64). */
FTI_AVXI static vf vf_add(vf a, vf b) {
    vf nb = _mm512_sub_epi64(vf_set1(FE_P), b);
    __mmask8 wrap = _mm512_cmpge_epu64_mask(a, nb);
    return _mm512_mask_sub_epi64(_mm512_add_epi64(a, b), wrap, a, nb);
}

FTI_AVXI static vf vf_sub(vf a, vf b) {
    __mmask8 borrow = _mm512_cmplt_epu64_mask(a, b);
    vf d = _mm512_sub_epi64(a, b);
    return _mm512_mask_add_epi64(d, borrow, d, vf_set1(FE_P));
}

FTI_AVXI static vf vf_neg(vf a) { return vf_sub(_mm512_setzero_si512(), a); }

/* a / 2: a >> 1 for even a; for odd a, (a + p) / 2 = (a >> 1) + (p + 1) / 2, which is < p. */
FTI_AVXI static vf vf_half(vf a) {
    __mmask8 odd = _mm512_test_epi64_mask(a, vf_set1(1));
    vf h = _mm512_srli_epi64(a, 1);
    return _mm512_mask_add_epi64(h, odd, h, vf_set1((FE_P + 1) / 2));
}

/* lo + 2^64 hi (mod p), canonical: lo - h1 + h0 EPS with hi = 2^32 h1 + h0. */
FTI_AVXI static vf vf_reduce(vf lo, vf hi) {
    const vf EPS = vf_set1(FE_EPSILON);
    vf h1 = _mm512_srli_epi64(hi, 32);
    __mmask8 borrow = _mm512_cmplt_epu64_mask(lo, h1);
    vf t0 = _mm512_sub_epi64(lo, h1);
    t0 = _mm512_mask_sub_epi64(t0, borrow, t0, EPS);                                /* -2^64 = -EPS */
    vf t1 = _mm512_sub_epi64(_mm512_slli_epi64(hi, 32), _mm512_and_si512(hi, EPS)); /* h0 EPS */
    vf s = _mm512_add_epi64(t0, t1);
    __mmask8 carry = _mm512_cmplt_epu64_mask(s, t1);
    s = _mm512_mask_add_epi64(s, carry, s, EPS);                                    /* +2^64 = +EPS */
    __mmask8 big = _mm512_cmpge_epu64_mask(s, vf_set1(FE_P));
    return _mm512_mask_sub_epi64(s, big, s, vf_set1(FE_P));
}

FTI_AVXI static vf vf_mul(vf a, vf b) {
    const vf M32 = vf_set1(0xFFFFFFFFull);
    vf a_hi = _mm512_srli_epi64(a, 32), b_hi = _mm512_srli_epi64(b, 32);
    vf ll = _mm512_mul_epu32(a, b), lh = _mm512_mul_epu32(a, b_hi);
    vf hl = _mm512_mul_epu32(a_hi, b), hh = _mm512_mul_epu32(a_hi, b_hi);
    vf t = _mm512_add_epi64(hl, _mm512_srli_epi64(ll, 32));                    /* < 2^64 */
    vf u = _mm512_add_epi64(lh, _mm512_and_si512(t, M32));                     /* < 2^64 */
    vf lo = _mm512_mask_blend_epi32(0xAAAA, ll, _mm512_slli_epi64(u, 32));    /* low(u):low(ll) */
    vf hi = _mm512_add_epi64(_mm512_add_epi64(hh, _mm512_srli_epi64(t, 32)), _mm512_srli_epi64(u, 32));
    return vf_reduce(lo, hi);
}

/* Sixteen consecutive elements split into the even-indexed and the odd-indexed eight. */
FTI_AVXI static void vf_load_pairs(vf *even, vf *odd, const fe_t *p) {
    vf z0 = vf_load(p), z1 = vf_load(p + 8);
    *even = _mm512_permutex2var_epi64(z0, _mm512_setr_epi64(0, 2, 4, 6, 8, 10, 12, 14), z1);
    *odd = _mm512_permutex2var_epi64(z0, _mm512_setr_epi64(1, 3, 5, 7, 9, 11, 13, 15), z1);
}

/* The sum of the eight lanes. */
FTI_AVXI static fe_t vf_hsum(vf v) {
    fe_t l[8], s = 0;
    vf_store(l, v);
    for (int j = 0; j < 8; j++) s = fe_add(s, l[j]);
    return s;
}

/* ---- K ---- */

FTI_AVXI static vk vk_set1(ke_t a) {
    vk r = {{vf_set1(a.c[0]), vf_set1(a.c[1]), vf_set1(a.c[2])}};
    return r;
}

FTI_AVXI static vk vk_zero(void) {
    vk r = {{vf_zero(), vf_zero(), vf_zero()}};
    return r;
}

/* The lanes of f as elements of K. */
FTI_AVXI static vk vk_from_f(vf f) {
    vk r = {{f, vf_zero(), vf_zero()}};
    return r;
}

FTI_AVXI static vk vk_add(vk a, vk b) {
    for (int t = 0; t < 3; t++) a.c[t] = vf_add(a.c[t], b.c[t]);
    return a;
}

FTI_AVXI static vk vk_sub(vk a, vk b) {
    for (int t = 0; t < 3; t++) a.c[t] = vf_sub(a.c[t], b.c[t]);
    return a;
}

FTI_AVXI static vk vk_half(vk a) {
    for (int t = 0; t < 3; t++) a.c[t] = vf_half(a.c[t]);
    return a;
}

/* As ke_mul, with six products instead of nine (Karatsuba): with p_ii = a_i b_i and
 * q_ij = (a_i + a_j)(b_i + b_j), the coefficients d0 .. d4 of the product are
 *   d0 = p00, d1 = q01 - p00 - p11, d2 = q02 - p00 - p22 + p11, d3 = q12 - p11 - p22, d4 = p22,
 * and X^3 = X + 1, X^4 = X^2 + X give
 *   r0 = d0 + d3 = p00 - p11 - p22 + q12,
 *   r1 = d1 + d3 + d4 = q01 + q12 - p00 - 2 p11,
 *   r2 = d2 + d4 = q02 - p00 + p11.
 * When b is loop-invariant the compiler hoists its sums out of the loop. */
FTI_AVXI static vk vk_mul(vk a, vk b) {
    vf p00 = vf_mul(a.c[0], b.c[0]), p11 = vf_mul(a.c[1], b.c[1]), p22 = vf_mul(a.c[2], b.c[2]);
    vf q01 = vf_mul(vf_add(a.c[0], a.c[1]), vf_add(b.c[0], b.c[1]));
    vf q02 = vf_mul(vf_add(a.c[0], a.c[2]), vf_add(b.c[0], b.c[2]));
    vf q12 = vf_mul(vf_add(a.c[1], a.c[2]), vf_add(b.c[1], b.c[2]));
    vk r = {{vf_add(vf_sub(p00, vf_add(p11, p22)), q12),
             vf_sub(vf_add(q01, q12), vf_add(p00, vf_add(p11, p11))),
             vf_add(vf_sub(q02, p00), p11)}};
    return r;
}

/* a^2: r0 = a0^2 + 2 a1 a2, r1 = 2 a0 a1 + 2 a1 a2 + a2^2, r2 = 2 a0 a2 + a1^2 + a2^2. */
FTI_AVXI static vk vk_sqr(vk a) {
    vf s00 = vf_mul(a.c[0], a.c[0]), s11 = vf_mul(a.c[1], a.c[1]), s22 = vf_mul(a.c[2], a.c[2]);
    vf t01 = vf_mul(a.c[0], a.c[1]), t02 = vf_mul(a.c[0], a.c[2]), t12 = vf_mul(a.c[1], a.c[2]);
    vf d12 = vf_add(t12, t12);
    vk r = {{vf_add(s00, d12), vf_add(vf_add(vf_add(t01, t01), d12), s22), vf_add(vf_add(vf_add(t02, t02), s11), s22)}};
    return r;
}

/* a f for f in F. */
FTI_AVXI static vk vk_mul_f(vk a, vf f) {
    for (int t = 0; t < 3; t++) a.c[t] = vf_mul(a.c[t], f);
    return a;
}

/* a + r (b - a) */
FTI_AVXI static vk vk_fold(vk a, vk b, vk r) { return vk_add(a, vk_mul(r, vk_sub(b, a))); }

/* Eight consecutive ke_t: fe words 3j + t (j lane, t coefficient) spread over Z0 | Z1 | Z2. */
FTI_AVXI static vk vk_load(const ke_t *p) {
    const fe_t *f = (const fe_t *)p;
    vf z0 = vf_load(f), z1 = vf_load(f + 8), z2 = vf_load(f + 16);
    vk r;
    r.c[0] = _mm512_permutex2var_epi64(_mm512_permutex2var_epi64(z0, _mm512_setr_epi64(0, 3, 6, 9, 12, 15, 0, 0), z1),
                                       _mm512_setr_epi64(0, 1, 2, 3, 4, 5, 10, 13), z2);
    r.c[1] = _mm512_permutex2var_epi64(_mm512_permutex2var_epi64(z0, _mm512_setr_epi64(1, 4, 7, 10, 13, 0, 0, 0), z1),
                                       _mm512_setr_epi64(0, 1, 2, 3, 4, 8, 11, 14), z2);
    r.c[2] = _mm512_permutex2var_epi64(_mm512_permutex2var_epi64(z0, _mm512_setr_epi64(2, 5, 8, 11, 14, 0, 0, 0), z1),
                                       _mm512_setr_epi64(0, 1, 2, 3, 4, 9, 12, 15), z2);
    return r;
}

FTI_AVXI static void vk_store(ke_t *p, vk v) {
    fe_t *f = (fe_t *)p;
    vf t0 = _mm512_permutex2var_epi64(v.c[0], _mm512_setr_epi64(0, 8, 0, 1, 9, 0, 2, 10), v.c[1]);
    vf t1 = _mm512_permutex2var_epi64(v.c[0], _mm512_setr_epi64(0, 3, 11, 0, 4, 12, 0, 5), v.c[1]);
    vf t2 = _mm512_permutex2var_epi64(v.c[0], _mm512_setr_epi64(13, 0, 6, 14, 0, 7, 15, 0), v.c[1]);
    vf_store(f, _mm512_permutex2var_epi64(t0, _mm512_setr_epi64(0, 1, 8, 3, 4, 9, 6, 7), v.c[2]));
    vf_store(f + 8, _mm512_permutex2var_epi64(t1, _mm512_setr_epi64(10, 1, 2, 11, 4, 5, 12, 7), v.c[2]));
    vf_store(f + 16, _mm512_permutex2var_epi64(t2, _mm512_setr_epi64(0, 13, 2, 3, 14, 5, 6, 15), v.c[2]));
}

/* Sixteen consecutive ke_t split into the even-indexed and the odd-indexed eight. */
FTI_AVXI static void vk_load_pairs(vk *even, vk *odd, const ke_t *p) {
    vk lo = vk_load(p), hi = vk_load(p + 8);
    for (int t = 0; t < 3; t++) {
        even->c[t] = _mm512_permutex2var_epi64(lo.c[t], _mm512_setr_epi64(0, 2, 4, 6, 8, 10, 12, 14), hi.c[t]);
        odd->c[t] = _mm512_permutex2var_epi64(lo.c[t], _mm512_setr_epi64(1, 3, 5, 7, 9, 11, 13, 15), hi.c[t]);
    }
}

/* The sum of the eight lanes. */
FTI_AVXI static ke_t vk_hsum(vk v) {
    ke_t s = {{vf_hsum(v.c[0]), vf_hsum(v.c[1]), vf_hsum(v.c[2])}};
    return s;
}

#endif /* FTI_HAVE_AVX512 */

#endif
