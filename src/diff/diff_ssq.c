/* Scaled double-double sums of squares (diff_internal.h). */
#include <math.h>

#include "diff/diff_internal.h"

/* Lowest scale exponent: 2^-e must stay a normal double so that scaling is exact. A chunk whose
 * largest magnitude is below 2^-960 is scaled by 2^960 only; its squares (< 2^-226) are still
 * far from underflow. */
#define SSQ_E_MIN (-960)
#define LANES 4

/* x * x = *p + *q exactly (Dekker's product with Veltkamp's split; |x| < 1, so the split cannot
 * overflow). Contraction into an FMA keeps it exact: xh * xh and xh * xl are exact products. */
static inline void square_exact(double x, double *p, double *q) {
    const double split = 134217729.0; /* 2^27 + 1 */
    double c = split * x, xh = c - (c - x), xl = x - xh;
    *p = x * x;
    *q = ((xh * xh - *p) + 2 * xh * xl) + xl * xl;
}

/* (hi, lo) += (a, b): Knuth's two-sum on the high parts, the low parts added plainly. */
static inline void dd_add(double *hi, double *lo, double a, double b) {
    double t = *hi + a, bp = t - *hi, err = (*hi - (t - bp)) + (a - bp);
    *hi = t;
    *lo += err + b;
}

static inline void dd_renorm(double *hi, double *lo) {
    double t = *hi + *lo;
    *lo -= t - *hi;
    *hi = t;
}

static inline int ssq_empty(const diff_ssq *s) { return s->hi == 0 && s->lo == 0; }

/* Re-expresses s with scale exponent f >= s->e (exact unless parts underflow, which only
 * happens for terms below 2^-1000 of the sum). */
static void ssq_rescale(diff_ssq *s, int f) {
    s->hi = ldexp(s->hi, 2 * (s->e - f));
    s->lo = ldexp(s->lo, 2 * (s->e - f));
    s->e = f;
}

void diff_ssq_add(diff_ssq *s, const double *x, size_t n) {
    double m = 0;
    for (size_t i = 0; i < n; i++) {
        double a = fabs(x[i]);
        m = a > m ? a : m;
    }
    if (m == 0) return;
    int f = ilogb(m) + 1; /* m < 2^f */
    if (f < SSQ_E_MIN) f = SSQ_E_MIN;
    if (ssq_empty(s)) s->e = f;
    else if (f > s->e) ssq_rescale(s, f);
    /* LANES independent double-double accumulators (element i goes to lane i % LANES): a single
     * one is bound by the latency of its dependent additions, about four times slower */
    double c = ldexp(1.0, -s->e), hi[LANES] = {0}, lo[LANES] = {0};
    size_t i = 0;
    for (; i + LANES <= n; i += LANES)
        for (int l = 0; l < LANES; l++) {
            double p, q;
            square_exact(x[i + l] * c, &p, &q);
            dd_add(&hi[l], &lo[l], p, q);
        }
    for (int l = 0; i < n; i++, l++) {
        double p, q;
        square_exact(x[i] * c, &p, &q);
        dd_add(&hi[l], &lo[l], p, q);
    }
    for (int l = 0; l < LANES; l++) dd_add(&s->hi, &s->lo, hi[l], lo[l]);
    dd_renorm(&s->hi, &s->lo);
}

void diff_ssq_merge(diff_ssq *s, const diff_ssq *t) {
    if (ssq_empty(t)) return;
    if (ssq_empty(s)) {
        *s = *t;
        return;
    }
    diff_ssq u = *t;
    if (u.e > s->e) ssq_rescale(s, u.e);
    else if (s->e > u.e) ssq_rescale(&u, s->e);
    dd_add(&s->hi, &s->lo, u.hi, u.lo);
    dd_renorm(&s->hi, &s->lo);
}

double diff_ssq_value(const diff_ssq *s, int root) {
    if (ssq_empty(s)) return 0;
    if (!root) return ldexp(s->hi + s->lo, 2 * s->e);
    /* one Newton step on the double-double: r + (hi + lo - r^2) / 2r */
    double r = sqrt(s->hi);
    r += (fma(-r, r, s->hi) + s->lo) / (2 * r);
    return ldexp(r, s->e);
}
