/* Toy field p = 257 = 2^8 + 1 for exhaustive tests of the generic algorithms.
 * Internal to field.h (selected by FTI_TOY_FIELD); not used by the library. */
#ifndef FTI_FIELD_TOY_H
#define FTI_FIELD_TOY_H

#define FE_P 257ULL
#define FE_TWO_ADICITY 8u   /* p - 1 = 2^8 */
#define FE_GENERATOR 3u     /* 3 is a primitive root mod 257 (checked in tests/toy_field.c) */
#define FE_ROOT_2ADIC 3ULL  /* order 256 = 2^8, so the generator itself */

static inline fe_t fe_add(fe_t a, fe_t b) { return (a + b) % FE_P; }
static inline fe_t fe_sub(fe_t a, fe_t b) { return (a + FE_P - b) % FE_P; }
static inline fe_t fe_mul(fe_t a, fe_t b) { return (a * b) % FE_P; }
static inline fe_t fe_from_u64(uint64_t x) { return x % FE_P; }
static inline fe_t fe_reduce128(unsigned __int128 x) { return (fe_t)(x % FE_P); }
/* lo + 2^128 hi mod p */
static inline fe_t fe_reduce_wide(unsigned __int128 lo, uint64_t hi) {
    unsigned __int128 t64 = ((unsigned __int128)1 << 64) % FE_P, t128 = t64 * t64 % FE_P;
    return (fe_t)((lo % FE_P + (unsigned __int128)(hi % FE_P) * t128) % FE_P);
}

#endif
