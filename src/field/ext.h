/* The extension K = F[X]/(X^3 - X - 1) from which all verifier challenges are drawn.
 *
 * Contract: ke_t holds three canonical coefficients c[0] + c[1] X + c[2] X^2. X^3 - X - 1 is
 * irreducible over Goldilocks and over the toy field 257 (Rabin's test in tests/test_field.c
 * and tests/toy_field.c), so K is a field of order p^3 (~2^192 for Goldilocks).
 * Reduction uses X^3 = X + 1 and X^4 = X^2 + X: no constant multiplications.
 * ke_from_bytes rejects any coefficient >= p. */
#ifndef FTI_EXT_H
#define FTI_EXT_H

#include "field/field.h"

typedef struct {
    fe_t c[3];
} ke_t;

#define KE_BYTES 24

static inline ke_t ke_zero(void) { ke_t r = {{0, 0, 0}}; return r; }
static inline ke_t ke_one(void) { ke_t r = {{1, 0, 0}}; return r; }
static inline ke_t ke_from_fe(fe_t a) { ke_t r = {{a, 0, 0}}; return r; }

static inline ke_t ke_add(ke_t a, ke_t b) {
    ke_t r = {{fe_add(a.c[0], b.c[0]), fe_add(a.c[1], b.c[1]), fe_add(a.c[2], b.c[2])}};
    return r;
}
static inline ke_t ke_sub(ke_t a, ke_t b) {
    ke_t r = {{fe_sub(a.c[0], b.c[0]), fe_sub(a.c[1], b.c[1]), fe_sub(a.c[2], b.c[2])}};
    return r;
}
static inline ke_t ke_neg(ke_t a) {
    ke_t r = {{fe_neg(a.c[0]), fe_neg(a.c[1]), fe_neg(a.c[2])}};
    return r;
}
static inline ke_t ke_mul_fe(ke_t a, fe_t b) {
    ke_t r = {{fe_mul(a.c[0], b), fe_mul(a.c[1], b), fe_mul(a.c[2], b)}};
    return r;
}
static inline ke_t ke_add_fe(ke_t a, fe_t b) { a.c[0] = fe_add(a.c[0], b); return a; }

/* (a0 + a1 X + a2 X^2)(b0 + b1 X + b2 X^2) = d0 + d1 X + d2 X^2 + d3 X^3 + d4 X^4
 * = (d0 + d3) + (d1 + d3 + d4) X + (d2 + d4) X^2  (X^3 = X + 1, X^4 = X^2 + X).
 * Nine 64x64 products summed in 128 bits with a carry count (an accumulator holds
 * lo + 2^128 * hi), then one reduction per coefficient: fewer reductions than Karatsuba. */
typedef struct {
    unsigned __int128 lo;
    uint64_t hi;
} ke_acc;

static inline void ke_acc_add(ke_acc *a, unsigned __int128 x) {
    a->lo += x;
    a->hi += a->lo < x;
}

static inline fe_t ke_acc_reduce(ke_acc a) { return fe_reduce_wide(a.lo, a.hi); }

static inline ke_t ke_mul(ke_t a, ke_t b) {
    typedef unsigned __int128 u128;
    u128 p00 = (u128)a.c[0] * b.c[0], p01 = (u128)a.c[0] * b.c[1], p02 = (u128)a.c[0] * b.c[2];
    u128 p10 = (u128)a.c[1] * b.c[0], p11 = (u128)a.c[1] * b.c[1], p12 = (u128)a.c[1] * b.c[2];
    u128 p20 = (u128)a.c[2] * b.c[0], p21 = (u128)a.c[2] * b.c[1], p22 = (u128)a.c[2] * b.c[2];
    ke_acc r0 = {p00, 0}, r1 = {p01, 0}, r2 = {p02, 0};
    ke_acc_add(&r0, p12); /* d3 */
    ke_acc_add(&r0, p21);
    ke_acc_add(&r1, p10); /* d1 */
    ke_acc_add(&r1, p12); /* d3 */
    ke_acc_add(&r1, p21);
    ke_acc_add(&r1, p22); /* d4 */
    ke_acc_add(&r2, p11); /* d2 */
    ke_acc_add(&r2, p20);
    ke_acc_add(&r2, p22); /* d4 */
    ke_t r = {{ke_acc_reduce(r0), ke_acc_reduce(r1), ke_acc_reduce(r2)}};
    return r;
}
/* acc[k] += coefficient k of a * b, unreduced: for sums of many products, reduced once at the
 * end by ke_acc_result (each call adds at most 5 carries to a coefficient's hi count, which must
 * stay below 2^31: up to 2^28 calls). */
static inline void ke_mul_acc(ke_acc *acc, ke_t a, ke_t b) {
    typedef unsigned __int128 u128;
    u128 p12 = (u128)a.c[1] * b.c[2], p21 = (u128)a.c[2] * b.c[1], p22 = (u128)a.c[2] * b.c[2];
    ke_acc_add(&acc[0], (u128)a.c[0] * b.c[0]);
    ke_acc_add(&acc[0], p12);
    ke_acc_add(&acc[0], p21);
    ke_acc_add(&acc[1], (u128)a.c[0] * b.c[1]);
    ke_acc_add(&acc[1], (u128)a.c[1] * b.c[0]);
    ke_acc_add(&acc[1], p12);
    ke_acc_add(&acc[1], p21);
    ke_acc_add(&acc[1], p22);
    ke_acc_add(&acc[2], (u128)a.c[0] * b.c[2]);
    ke_acc_add(&acc[2], (u128)a.c[1] * b.c[1]);
    ke_acc_add(&acc[2], (u128)a.c[2] * b.c[0]);
    ke_acc_add(&acc[2], p22);
}
static inline ke_t ke_acc_result(const ke_acc *acc) {
    ke_t r = {{ke_acc_reduce(acc[0]), ke_acc_reduce(acc[1]), ke_acc_reduce(acc[2])}};
    return r;
}

static inline ke_t ke_sqr(ke_t a) { return ke_mul(a, a); }

static inline int ke_eq(ke_t a, ke_t b) {
    return a.c[0] == b.c[0] && a.c[1] == b.c[1] && a.c[2] == b.c[2];
}
static inline int ke_is_zero(ke_t a) { return (a.c[0] | a.c[1] | a.c[2]) == 0; }
static inline int ke_in_base(ke_t a) { return (a.c[1] | a.c[2]) == 0; }

static inline ke_t ke_pow(ke_t a, uint64_t e) {
    ke_t r = ke_one();
    while (e) {
        if (e & 1) r = ke_mul(r, a);
        a = ke_sqr(a);
        e >>= 1;
    }
    return r;
}

/* a^-1 (0 for a == 0) by Cramer's rule on the matrix of multiplication by a, whose columns are
 * a, a X, a X^2:  [a0 a2 a1; a1 a0+a2 a1+a2; a2 a1 a0+a2]. The first column of its adjugate over
 * its determinant (the norm of a, in F) solves M x = (1, 0, 0). */
static inline ke_t ke_inv(ke_t a) {
    fe_t m00 = a.c[0], m01 = a.c[2], m02 = a.c[1];
    fe_t m10 = a.c[1], m11 = fe_add(a.c[0], a.c[2]), m12 = fe_add(a.c[1], a.c[2]);
    fe_t m20 = a.c[2], m21 = a.c[1], m22 = fe_add(a.c[0], a.c[2]);
    fe_t c00 = fe_sub(fe_mul(m11, m22), fe_mul(m12, m21));
    fe_t c01 = fe_sub(fe_mul(m12, m20), fe_mul(m10, m22));
    fe_t c02 = fe_sub(fe_mul(m10, m21), fe_mul(m11, m20));
    fe_t det = fe_add(fe_add(fe_mul(m00, c00), fe_mul(m01, c01)), fe_mul(m02, c02));
    fe_t di = fe_inv(det);
    ke_t r = {{fe_mul(c00, di), fe_mul(c01, di), fe_mul(c02, di)}};
    return r;
}

static inline void ke_to_bytes(uint8_t out[KE_BYTES], ke_t a) {
    for (int i = 0; i < 3; i++) fe_to_bytes(out + 8 * i, a.c[i]);
}
/* Returns 1 if all three coefficients are canonical, else 0 (and leaves *out unspecified). */
static inline int ke_from_bytes(ke_t *out, const uint8_t in[KE_BYTES]) {
    for (int i = 0; i < 3; i++)
        if (!fe_from_bytes(&out->c[i], in + 8 * i)) return 0;
    return 1;
}

/* out[i] = in[i]^-1 (Montgomery's trick; zeros map to zero). in and out may alias. */
void ke_batch_inv(ke_t *out, const ke_t *in, size_t n);

#endif
