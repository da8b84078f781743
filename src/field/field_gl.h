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

/* All operations are branch-free: on random field elements the overflow conditions below are
 * taken about half the time, and mispredicted branches cost more than the arithmetic.
 * mask(c) is all ones when c is 1. Note -p = 2^32 - 1 = FE_EPSILON (mod 2^64). */
static inline uint64_t fe_mask(uint64_t c) { return (uint64_t)0 - c; }

static inline fe_t fe_add(fe_t a, fe_t b) {
    uint64_t s = a + b;
    uint64_t carry = s < a;
    /* carry: a + b = s + 2^64 = s + EPSILON (mod p), and s + EPSILON < p.
     * no carry, s >= p: s - p = s + EPSILON (mod 2^64). */
    return s + (fe_mask(carry | (s >= FE_P)) & FE_EPSILON);
}

static inline fe_t fe_sub(fe_t a, fe_t b) {
    uint64_t d = a - b;
    /* borrow: a - b = d - 2^64 = d - EPSILON (mod p), and d >= EPSILON */
    return d - (fe_mask(a < b) & FE_EPSILON);
}

/* Reduces any 128-bit integer to canonical form. */
static inline fe_t fe_reduce128(unsigned __int128 x) {
    uint64_t lo = (uint64_t)x, hi = (uint64_t)(x >> 64);
    uint64_t h1 = hi >> 32, h0 = hi & FE_EPSILON;
    uint64_t t0 = lo - h1;
    t0 -= fe_mask(lo < h1) & FE_EPSILON;     /* borrow: add p (no underflow: t0 >= 2^64 - 2^32) */
    uint64_t t1 = (h0 << 32) - h0;           /* h0 * EPSILON < 2^64 */
    uint64_t s = t0 + t1;
    s += fe_mask(s < t1) & FE_EPSILON;       /* carry: add 2^64 = EPSILON; cannot carry again */
    return s + (fe_mask(s >= FE_P) & FE_EPSILON); /* s >= p: s - p */
}

/* lo + 2^128 hi for a small hi (< 2^31): 2^128 = (2^32 - 1)^2 = -2^32 (mod p). */
static inline fe_t fe_reduce_wide(unsigned __int128 lo, uint64_t hi) {
    return fe_sub(fe_reduce128(lo), hi << 32);
}

static inline fe_t fe_mul(fe_t a, fe_t b) { return fe_reduce128((unsigned __int128)a * b); }

/* Any 64-bit integer to canonical form. */
static inline fe_t fe_from_u64(uint64_t x) { return x >= FE_P ? x - FE_P : x; }

#endif
