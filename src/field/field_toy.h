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

#endif
