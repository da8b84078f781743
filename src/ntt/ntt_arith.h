/* Field arithmetic specialised for NTT butterflies. Internal to src/ntt.
 *
 * Goldilocks (the default): values inside a transform are held *redundantly*, as any 64-bit
 * integer x standing for x mod p (x < 2^64 < 2p). This removes the final comparison of every
 * operation; carries and borrows are absorbed with masks instead of branches (the butterflies
 * see random data, so a branch would be mispredicted half the time). nt_canon() brings a value
 * back to [0, p) and is applied in the last pass of each transform, so the public contract
 * (canonical in, canonical out) holds.
 *   2^64 = 2^32 - 1 = EPS (mod p), so a carry out of bit 63 is worth +EPS and a borrow -EPS.
 *
 * Toy field (FTI_TOY_FIELD): the plain field.h operations, values stay canonical.
 */
#ifndef FTI_NTT_ARITH_H
#define FTI_NTT_ARITH_H

#include "field/field.h"

#ifndef FTI_TOY_FIELD

/* 0 -> 0, 1 -> EPS = 2^32 - 1, without a branch: (0 - bit) is all ones, keep its low 32 bits. */
static inline uint64_t nt_eps_if(uint64_t bit) { return (0 - bit) >> 32; }

/* a + b (mod p) for any 64-bit a, b. A carry means the true sum is s + 2^64 = s + EPS; adding
 * EPS can carry once more (only if a, b >= 2^64 - 2^32), after which s < EPS and a second EPS
 * cannot carry. */
static inline uint64_t nt_add(uint64_t a, uint64_t b) {
    uint64_t s;
    uint64_t c = __builtin_add_overflow(a, b, &s);
    c = __builtin_add_overflow(s, nt_eps_if(c), &s);
    return s + nt_eps_if(c);
}

/* a - b (mod p) for any 64-bit a, b: a borrow means the true difference is d - 2^64 = d - EPS;
 * subtracting EPS can borrow once more (only if d < EPS), and then d - 2 EPS + 2^64 > 0. */
static inline uint64_t nt_sub(uint64_t a, uint64_t b) {
    uint64_t d;
    uint64_t c = __builtin_sub_overflow(a, b, &d);
    c = __builtin_sub_overflow(d, nt_eps_if(c), &d);
    return d - nt_eps_if(c);
}

/* x mod p for any 128-bit x, as a 64-bit representative (not necessarily < p).
 * x = lo + 2^64 (2^32 h1 + h0) = lo - h1 + h0 EPS, using 2^96 = -1 and 2^64 = EPS (mod p). */
static inline uint64_t nt_reduce(unsigned __int128 x) {
    uint64_t lo = (uint64_t)x, hi = (uint64_t)(x >> 64);
    uint64_t h1 = hi >> 32, h0 = hi & 0xFFFFFFFFull;
    uint64_t t0;
    uint64_t b = __builtin_sub_overflow(lo, h1, &t0);
    t0 -= nt_eps_if(b);             /* after a borrow t0 >= 2^64 - 2^32: no second borrow */
    uint64_t t1 = (h0 << 32) - h0;  /* h0 * EPS < 2^64 */
    uint64_t s;
    uint64_t c = __builtin_add_overflow(t0, t1, &s);
    return s + nt_eps_if(c);        /* after a carry s < t1 <= 2^64 - 2^33: no second carry */
}

static inline uint64_t nt_mul(uint64_t a, uint64_t b) { return nt_reduce((unsigned __int128)a * b); }

/* The canonical representative: any 64-bit x is < 2p, so one conditional subtraction. */
static inline fe_t nt_canon(uint64_t x) { return x >= FE_P ? x - FE_P : x; }

#else /* FTI_TOY_FIELD */

static inline uint64_t nt_add(uint64_t a, uint64_t b) { return fe_add(a, b); }
static inline uint64_t nt_sub(uint64_t a, uint64_t b) { return fe_sub(a, b); }
static inline uint64_t nt_mul(uint64_t a, uint64_t b) { return fe_mul(a, b); }
static inline fe_t nt_canon(uint64_t x) { return x; }

#endif

/* Decimation-in-frequency butterfly (Gentleman–Sande): (x, y) -> (x + y, (x - y) t). */
static inline void nt_dif(uint64_t *x, uint64_t *y, uint64_t t) {
    uint64_t u = *x, v = *y;
    *x = nt_add(u, v);
    *y = nt_mul(nt_sub(u, v), t);
}

/* Decimation-in-time butterfly (Cooley–Tukey), the inverse of nt_dif up to a factor 2 when
 * t is replaced by t^-1: (x, y) -> (x + y t, x - y t). */
static inline void nt_dit(uint64_t *x, uint64_t *y, uint64_t t) {
    uint64_t u = *x, v = nt_mul(*y, t);
    *x = nt_add(u, v);
    *y = nt_sub(u, v);
}

#endif
