/* Lazily reduced K arithmetic for the LogUp prover's inner loops (internal).
 *
 * An lk_acc holds a K value as three unreduced coefficient sums (ke_acc: lo + 2^128 hi). Sums of
 * products are accumulated without reduction and reduced once at the end, which saves most of
 * the reductions of ke_mul + ke_add. Each product adds at most 5 carries to a coefficient's
 * hi; fe_reduce_wide needs hi < 2^31, so an accumulator takes at most 2^28 products. */
#ifndef FTI_LOGUP_ARITH_H
#define FTI_LOGUP_ARITH_H

#include "field/ext.h"

typedef unsigned __int128 lk_u128;

typedef struct {
    ke_acc c[3];
} lk_acc;

static inline void lk_zero(lk_acc *x) {
    for (int t = 0; t < 3; t++) x->c[t] = (ke_acc){0, 0};
}

static inline void lk_init(lk_acc *x, ke_t v) {
    for (int t = 0; t < 3; t++) x->c[t] = (ke_acc){v.c[t], 0};
}

static inline void lk_add(lk_acc *x, ke_t v) {
    for (int t = 0; t < 3; t++) ke_acc_add(&x->c[t], v.c[t]);
}

static inline void lk_add_fe(lk_acc *x, fe_t f) { ke_acc_add(&x->c[0], f); }

/* x += a b for a in K, b in F: three products. */
static inline void lk_mul_fe(lk_acc *x, ke_t a, fe_t b) {
    for (int t = 0; t < 3; t++) ke_acc_add(&x->c[t], (lk_u128)a.c[t] * b);
}

/* x += a b in K: the nine products of ke_mul (ext.h), X^3 = X + 1, X^4 = X^2 + X. */
static inline void lk_mul(lk_acc *x, ke_t a, ke_t b) {
    lk_u128 p00 = (lk_u128)a.c[0] * b.c[0], p01 = (lk_u128)a.c[0] * b.c[1], p02 = (lk_u128)a.c[0] * b.c[2];
    lk_u128 p10 = (lk_u128)a.c[1] * b.c[0], p11 = (lk_u128)a.c[1] * b.c[1], p12 = (lk_u128)a.c[1] * b.c[2];
    lk_u128 p20 = (lk_u128)a.c[2] * b.c[0], p21 = (lk_u128)a.c[2] * b.c[1], p22 = (lk_u128)a.c[2] * b.c[2];
    ke_acc_add(&x->c[0], p00); /* d0 + d3 */
    ke_acc_add(&x->c[0], p12);
    ke_acc_add(&x->c[0], p21);
    ke_acc_add(&x->c[1], p01); /* d1 + d3 + d4 */
    ke_acc_add(&x->c[1], p10);
    ke_acc_add(&x->c[1], p12);
    ke_acc_add(&x->c[1], p21);
    ke_acc_add(&x->c[1], p22);
    ke_acc_add(&x->c[2], p02); /* d2 + d4 */
    ke_acc_add(&x->c[2], p11);
    ke_acc_add(&x->c[2], p20);
    ke_acc_add(&x->c[2], p22);
}

static inline ke_t lk_reduce(const lk_acc *x) {
    ke_t r = {{ke_acc_reduce(x->c[0]), ke_acc_reduce(x->c[1]), ke_acc_reduce(x->c[2])}};
    return r;
}

/* a b + c d with one reduction per coefficient. */
static inline ke_t lk_dot2(ke_t a, ke_t b, ke_t c, ke_t d) {
    lk_acc x;
    lk_zero(&x);
    lk_mul(&x, a, b);
    lk_mul(&x, c, d);
    return lk_reduce(&x);
}

/* eq1(rho, X) = (1 - rho)(1 - X) + rho X. */
static inline ke_t lk_eq1(ke_t rho, ke_t x) {
    ke_t rx = ke_mul(rho, x);
    return ke_add_fe(ke_sub(ke_add(rx, rx), ke_add(rho, x)), 1);
}

#endif
