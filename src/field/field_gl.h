/* Goldilocks: p = 2^64 - 2^32 + 1. Internal to field.h; include that instead.
 *
 * Reduction of a 128-bit product x = x_lo + 2^64 x_hi with x_hi = 2^32 h1 + h0 uses
 *   2^64 = 2^32 - 1 (mod p)  and  2^96 = -1 (mod p),
 * so x = x_lo - h1 + h0 (2^32 - 1) (mod p). */
#ifndef FTI_FIELD_GL_H
#define FTI_FIELD_GL_H

#define FE_P 0xFFFFFFFF00000001ULL
#define FE_EPSILON 0xFFFFFFFFULL  /* 2^64 mod p = 2^32 - 1 */
#define FE_TWO_ADICITY 32u        /* p - 1 = 2^32 * 3 * 5 * 17 * 257 * 65537 */
#define FE_GENERATOR 7u           /* generates F*; checked in tests/test_field.c */
/* 7^((p-1)/2^32), a generator of the subgroup of order 2^32. Derived in tests/test_field.c and
 * equal to the constant published as Goldilocks' POWER_OF_TWO_GENERATOR by Plonky2. */
#define FE_ROOT_2ADIC 1753635133440165772ULL

static inline fe_t fe_add(fe_t a, fe_t b) {
    uint64_t s;
    if (__builtin_add_overflow(a, b, &s)) return s + FE_EPSILON; /* s + 2^64 - p, < p */
    return s >= FE_P ? s - FE_P : s;
}

static inline fe_t fe_sub(fe_t a, fe_t b) {
    uint64_t d;
    if (__builtin_sub_overflow(a, b, &d)) return d - FE_EPSILON; /* d - 2^64 + p */
    return d;
}

/* Reduces any 128-bit integer to canonical form. */
static inline fe_t fe_reduce128(unsigned __int128 x) {
    uint64_t lo = (uint64_t)x, hi = (uint64_t)(x >> 64);
    uint64_t h1 = hi >> 32, h0 = hi & FE_EPSILON;
    uint64_t t0;
    if (__builtin_sub_overflow(lo, h1, &t0)) t0 -= FE_EPSILON; /* borrow: add p (no underflow: t0 >= 2^64 - 2^32) */
    uint64_t t1 = h0 * FE_EPSILON;                              /* < 2^64 */
    uint64_t s;
    if (__builtin_add_overflow(t0, t1, &s)) s += FE_EPSILON;    /* cannot overflow again */
    return s >= FE_P ? s - FE_P : s;
}

static inline fe_t fe_mul(fe_t a, fe_t b) { return fe_reduce128((unsigned __int128)a * b); }

/* Any 64-bit integer to canonical form. */
static inline fe_t fe_from_u64(uint64_t x) { return x >= FE_P ? x - FE_P : x; }

#endif
