/* Reference arithmetic for field tests, independent of the code under test:
 * plain polynomial arithmetic over F (schoolbook, with the modulus reduction done by long
 * division), used to check K's multiplication and the irreducibility of X^3 - X - 1. */
#ifndef FTI_TESTS_FIELD_REF_H
#define FTI_TESTS_FIELD_REF_H

#include "field/ext.h"

/* Polynomials of degree < 8, coefficients low to high. */
typedef struct {
    fe_t c[8];
    int deg; /* -1 for zero */
} ref_poly;

static inline void ref_norm(ref_poly *a) {
    while (a->deg >= 0 && a->c[a->deg] == 0) a->deg--;
}

/* a mod m (m nonzero). */
static inline ref_poly ref_mod(ref_poly a, const ref_poly *m) {
    ref_norm(&a);
    fe_t lead_inv = fe_inv(m->c[m->deg]);
    while (a.deg >= m->deg) {
        fe_t q = fe_mul(a.c[a.deg], lead_inv);
        int shift = a.deg - m->deg;
        for (int i = 0; i <= m->deg; i++) a.c[i + shift] = fe_sub(a.c[i + shift], fe_mul(q, m->c[i]));
        ref_norm(&a);
    }
    return a;
}

static inline ref_poly ref_mulmod(const ref_poly *a, const ref_poly *b, const ref_poly *m) {
    ref_poly r;
    memset(&r, 0, sizeof r);
    r.deg = -1;
    if (a->deg < 0 || b->deg < 0) return r;
    r.deg = a->deg + b->deg;
    for (int i = 0; i <= a->deg; i++)
        for (int j = 0; j <= b->deg; j++) r.c[i + j] = fe_add(r.c[i + j], fe_mul(a->c[i], b->c[j]));
    return ref_mod(r, m);
}

/* gcd (monic not required; returns a nonzero multiple of the gcd). */
static inline ref_poly ref_gcd(ref_poly a, ref_poly b) {
    ref_norm(&a);
    ref_norm(&b);
    while (b.deg >= 0) {
        ref_poly r = ref_mod(a, &b);
        a = b;
        b = r;
    }
    return a;
}

/* X^(p^k) mod m by repeated p-th powering (square-and-multiply on p). */
static inline ref_poly ref_x_pow_pk(const ref_poly *m, int k) {
    ref_poly x;
    memset(&x, 0, sizeof x);
    x.c[1] = 1;
    x.deg = 1;
    x = ref_mod(x, m);
    for (int round = 0; round < k; round++) {
        ref_poly r, b = x;
        memset(&r, 0, sizeof r);
        r.c[0] = 1;
        r.deg = 0;
        for (uint64_t e = FE_P; e; e >>= 1) {
            if (e & 1) r = ref_mulmod(&r, &b, m);
            b = ref_mulmod(&b, &b, m);
        }
        x = r;
    }
    return x;
}

/* The modulus X^3 - X - 1 as a reference polynomial. */
static inline ref_poly ref_ext_modulus(void) {
    ref_poly m;
    memset(&m, 0, sizeof m);
    m.c[0] = fe_neg(1);
    m.c[1] = fe_neg(1);
    m.c[3] = 1;
    m.deg = 3;
    return m;
}

/* Rabin's test for the cubic m: irreducible iff X^(p^3) = X (mod m) and gcd(X^p - X, m) = 1
 * (3 is the only prime dividing the degree). */
static inline int ref_cubic_irreducible(const ref_poly *m) {
    ref_poly x3 = ref_x_pow_pk(m, 3);
    if (!(x3.deg == 1 && x3.c[1] == 1 && x3.c[0] == 0)) return 0;
    ref_poly x1 = ref_x_pow_pk(m, 1);
    if (x1.deg < 1) x1.deg = 1;
    x1.c[1] = fe_sub(x1.c[1], 1);
    ref_norm(&x1);
    ref_poly g = ref_gcd(*m, x1);
    return g.deg == 0;
}

/* K multiplication by the reference: schoolbook product reduced by long division. */
static inline ke_t ref_ke_mul(ke_t a, ke_t b) {
    ref_poly pa, pb, m = ref_ext_modulus();
    memset(&pa, 0, sizeof pa);
    memset(&pb, 0, sizeof pb);
    for (int i = 0; i < 3; i++) {
        pa.c[i] = a.c[i];
        pb.c[i] = b.c[i];
    }
    pa.deg = pb.deg = 2;
    ref_norm(&pa);
    ref_norm(&pb);
    ref_poly r = ref_mulmod(&pa, &pb, &m);
    ke_t out = ke_zero();
    for (int i = 0; i <= r.deg; i++) out.c[i] = r.c[i];
    return out;
}

#endif
