/* Exact integer decisions for the policy's real-valued bounds (contract in policy.h).
 *
 * A finite double x >= 0 is exactly m * 2^e with m < 2^53 (decompose). Every comparison is
 * then between two integers scaled by powers of two, X * 2^a <= Y * 2^b, decided on bit
 * lengths first and, when those tie, by one aligned comparison; so no shift is ever wider than
 * the numbers themselves. The integers live in a small fixed-width natural-number type. */
#include <math.h>
#include <string.h>

#include "policy/policy.h"
#include "util/error.h"

#define BIG_LIMBS 40 /* 2560 bits: > 128 + 2 * FTI_POLICY_MAX_S_SPAN + 32 + 106 */
#define BIG_BITS (64 * BIG_LIMBS)

typedef struct {
    uint64_t w[BIG_LIMBS]; /* little-endian limbs */
} big;

static void big_set_u128(big *a, fti_u128 x) {
    memset(a, 0, sizeof *a);
    a->w[0] = (uint64_t)x;
    a->w[1] = (uint64_t)(x >> 64);
}

static unsigned big_bitlen(const big *a) {
    for (int i = BIG_LIMBS - 1; i >= 0; i--)
        if (a->w[i]) return 64 * (unsigned)i + 64 - (unsigned)__builtin_clzll(a->w[i]);
    return 0;
}

/* out = a << sh; requires bitlen(a) + sh <= BIG_BITS. out may alias a. */
static void big_shl(big *out, const big *a, unsigned sh) {
    FTI_VERIFY_CHECK(big_bitlen(a) + sh <= BIG_BITS);
    unsigned limbs = sh / 64, bits = sh % 64;
    big r;
    memset(&r, 0, sizeof r);
    for (int i = BIG_LIMBS - 1; i >= (int)limbs; i--) {
        uint64_t hi = a->w[i - limbs] << bits;
        uint64_t lo = (bits && i - (int)limbs >= 1) ? a->w[i - limbs - 1] >> (64 - bits) : 0;
        r.w[i] = hi | lo;
    }
    *out = r; /* built apart, so out may alias a */
}

/* a += b; requires no carry out of the top limb. */
static void big_add(big *a, const big *b) {
    unsigned carry = 0;
    for (int i = 0; i < BIG_LIMBS; i++) {
        fti_u128 t = (fti_u128)a->w[i] + b->w[i] + carry;
        a->w[i] = (uint64_t)t;
        carry = (unsigned)(t >> 64);
    }
    FTI_VERIFY_CHECK(carry == 0);
}

/* out = a * m; requires bitlen(a) + 64 <= BIG_BITS. */
static void big_mul_u64(big *out, const big *a, uint64_t m) {
    FTI_VERIFY_CHECK(big_bitlen(a) + 64 <= BIG_BITS);
    uint64_t carry = 0;
    for (int i = 0; i < BIG_LIMBS; i++) {
        fti_u128 t = (fti_u128)a->w[i] * m + carry;
        out->w[i] = (uint64_t)t;
        carry = (uint64_t)(t >> 64);
    }
}

/* out = a * m (m < 2^128); requires bitlen(a) + 128 <= BIG_BITS. */
static void big_mul_u128(big *out, const big *a, fti_u128 m) {
    big lo, hi;
    big_mul_u64(&lo, a, (uint64_t)m);
    big_mul_u64(&hi, a, (uint64_t)(m >> 64));
    big_shl(&hi, &hi, 64);
    big_add(&lo, &hi);
    *out = lo;
}

static int big_cmp(const big *a, const big *b) {
    for (int i = BIG_LIMBS - 1; i >= 0; i--)
        if (a->w[i] != b->w[i]) return a->w[i] < b->w[i] ? -1 : 1;
    return 0;
}

/* Sign of X * 2^a - Y * 2^b, for any exponents. */
static int big_cmp_scaled(const big *x, long a, const big *y, long b) {
    long lx = (long)big_bitlen(x), ly = (long)big_bitlen(y);
    if (lx == 0 || ly == 0) return (lx != 0) - (ly != 0);
    if (lx + a != ly + b) return lx + a < ly + b ? -1 : 1;
    /* Equal top bit positions: shift the operand with the larger exponent left by the
     * exponent difference, which equals the bit-length difference, so it fits. */
    big t;
    if (a >= b) {
        big_shl(&t, x, (unsigned)(a - b));
        return big_cmp(&t, y);
    }
    big_shl(&t, y, (unsigned)(b - a));
    return big_cmp(x, &t);
}

/* x = m * 2^e exactly, m odd (or m = 0, e = 0). x finite and >= 0. */
static void decompose(double x, uint64_t *m, int *e) {
    int E = 0;
    *m = 0;
    *e = 0;
    if (x == 0) return;
    double f = frexp(x, &E); /* x = f * 2^E, f in [0.5, 1): f * 2^53 is an integer */
    *m = (uint64_t)ldexp(f, 53);
    *e = E - 53;
    int tz = __builtin_ctzll(*m);
    *m >>= tz;
    *e += tz;
}

static unsigned u128_bitlen(fti_u128 x) {
    uint64_t hi = (uint64_t)(x >> 64), lo = (uint64_t)x;
    if (hi) return 128 - (unsigned)__builtin_clzll(hi);
    return lo ? 64 - (unsigned)__builtin_clzll(lo) : 0;
}

fti_u128 fti_policy_abs_bound(double tau, int s) {
    if (!(tau >= 0)) return 0; /* NaN or negative: only Delta = 0 passes */
    if (isinf(tau)) return FTI_POLICY_BOUND_MAX;
    uint64_t m;
    int e;
    decompose(tau, &m, &e);
    if (m == 0) return 0;
    fti_u128 m2 = (fti_u128)m * m;             /* < 2^106 */
    long long t = 2 * ((long long)e - s);      /* (tau / 2^s)^2 = m2 * 2^t */
    if (t >= 0) {
        if (u128_bitlen(m2) + t > 128) return FTI_POLICY_BOUND_MAX;
        return m2 << t;
    }
    return -t >= 128 ? 0 : m2 >> -t;           /* floor division by 2^-t */
}

/* Sign of x * 2^e - rho^2 * w2 for finite rho >= 0. */
static int rel_cmp(const big *x, long e, const big *w2, double rho) {
    uint64_t m;
    int er;
    decompose(rho, &m, &er);
    big y;
    big_mul_u128(&y, w2, (fti_u128)m * m);
    return big_cmp_scaled(x, e, &y, 2L * er);
}

int fti_policy_rel_ok_exp(fti_u128 x, int e, fti_u128 w2, double rho) {
    if (!(rho >= 0) || e > 4096 || e < -4096) return 0;
    if (isinf(rho)) return 1;
    big bx, bw;
    big_set_u128(&bx, x);
    big_set_u128(&bw, w2);
    return rel_cmp(&bx, e, &bw, rho) <= 0;
}

int fti_policy_rel_ok(fti_u128 delta2, fti_u128 w2, double rho) {
    return fti_policy_rel_ok_exp(delta2, 0, w2, rho);
}

/* acc = sum v[i] * 4^(s[i] - smin). */
static void scaled_sum(big *acc, const fti_u128 *v, const int *s, int smin, size_t n) {
    memset(acc, 0, sizeof *acc);
    for (size_t i = 0; i < n; i++) {
        big t;
        big_set_u128(&t, v[i]);
        big_shl(&t, &t, 2u * (unsigned)(s[i] - smin));
        big_add(acc, &t);
    }
}

fti_status fti_policy_group_ok(int *ok, const fti_bound *bound, const fti_u128 *delta2,
                               const fti_u128 *w2, const int *s, size_t n) {
    *ok = 0;
    if (!bound || bound->mode == FTI_BOUND_NONE || !(bound->value >= 0) ||
        (bound->mode == FTI_BOUND_REL && !w2) || n > ((size_t)1 << 32) || (n && (!delta2 || !s)))
        return fti_fail(FTI_ERR_ARG, "policy group check: invalid arguments");
    if (n == 0 || isinf(bound->value)) {
        *ok = 1;
        return FTI_OK;
    }
    int smin = s[0], smax = s[0];
    for (size_t i = 1; i < n; i++) {
        if (s[i] < smin) smin = s[i];
        if (s[i] > smax) smax = s[i];
    }
    if ((long)smax - smin > FTI_POLICY_MAX_S_SPAN)
        return fti_fail(FTI_ERR_RANGE, "policy group check: quantum exponents %d..%d span more than %d",
                        smin, smax, FTI_POLICY_MAX_S_SPAN);
    big d;
    scaled_sum(&d, delta2, s, smin, n);
    if (bound->mode == FTI_BOUND_ABS) { /* d * 4^smin <= tau^2 = 1 * tau^2 */
        big one;
        big_set_u128(&one, 1);
        *ok = rel_cmp(&d, 2L * smin, &one, bound->value) <= 0;
    } else { /* the common factor 4^smin cancels */
        big w;
        scaled_sum(&w, w2, s, smin, n);
        *ok = rel_cmp(&d, 0, &w, bound->value) <= 0;
    }
    return FTI_OK;
}
