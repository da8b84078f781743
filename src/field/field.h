/* The prime field F used for commitments and proofs.
 *
 * Contract (every implementation below provides it):
 *   fe_t is a field element held canonically, i.e. as an integer in [0, FE_P).
 *   Every operation takes canonical inputs and returns canonical outputs.
 *   fe_from_bytes rejects non-canonical encodings (8 bytes little-endian >= FE_P).
 *   fe_root_of_unity(k) returns a fixed generator of the subgroup of order 2^k,
 *   0 <= k <= FE_TWO_ADICITY, with fe_root_of_unity(k)^2 == fe_root_of_unity(k-1).
 *
 * The production field is Goldilocks, p = 2^64 - 2^32 + 1 (field_gl.h). Compiling with
 * FTI_TOY_FIELD selects p = 257 instead (field_toy.h) so that the generic algorithms written
 * over this header (NTT, folding, sum-check) can be tested exhaustively in tests/toy_*.c.
 */
#ifndef FTI_FIELD_H
#define FTI_FIELD_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

typedef uint64_t fe_t;

#ifdef FTI_TOY_FIELD
#include "field/field_toy.h"
#else
#include "field/field_gl.h"
#endif

#define FE_BYTES 8

static inline fe_t fe_neg(fe_t a) { return a == 0 ? 0 : FE_P - a; }
static inline fe_t fe_sqr(fe_t a) { return fe_mul(a, a); }
static inline int fe_is_canonical(uint64_t x) { return x < FE_P; }

/* a^e by square-and-multiply. */
static inline fe_t fe_pow(fe_t a, uint64_t e) {
    fe_t r = 1;
    while (e) {
        if (e & 1) r = fe_mul(r, a);
        a = fe_sqr(a);
        e >>= 1;
    }
    return r;
}

/* a^(p-2) = a^-1 for a != 0 (Fermat); returns 0 for a == 0. */
static inline fe_t fe_inv(fe_t a) { return fe_pow(a, FE_P - 2); }

/* Generator of the subgroup of order 2^k (k <= FE_TWO_ADICITY): FE_ROOT_2ADIC squared
 * (FE_TWO_ADICITY - k) times. */
static inline fe_t fe_root_of_unity(unsigned k) {
    fe_t w = FE_ROOT_2ADIC;
    for (unsigned i = k; i < FE_TWO_ADICITY; i++) w = fe_sqr(w);
    return w;
}

static inline void fe_to_bytes(uint8_t out[FE_BYTES], fe_t a) {
    for (int i = 0; i < 8; i++) out[i] = (uint8_t)(a >> (8 * i));
}

/* Returns 1 and sets *out if the 8 little-endian bytes encode an integer < p; else 0. */
static inline int fe_from_bytes(fe_t *out, const uint8_t in[FE_BYTES]) {
    uint64_t x = 0;
    for (int i = 0; i < 8; i++) x |= (uint64_t)in[i] << (8 * i);
    if (x >= FE_P) return 0;
    *out = x;
    return 1;
}

/* Signed integer |v| < p/2 to field element. */
static inline fe_t fe_from_i64(int64_t v) {
    return v >= 0 ? fe_from_u64((uint64_t)v) : fe_neg(fe_from_u64((uint64_t)0 - (uint64_t)v));
}

/* out[i] = in[i]^-1 for all i (Montgomery's trick: 3(n-1) multiplications, one inversion).
 * Zero inputs give zero outputs. in and out may alias. */
void fe_batch_inv(fe_t *out, const fe_t *in, size_t n);

#endif
