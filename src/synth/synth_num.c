/* Counter-based generator and exact dtype rounding (contract in synth_num.h). */
#include <math.h>
#include <pthread.h>
#include <string.h>

#include "synth/synth_num.h"

/* ---- generator ---- */

static uint64_t fnv1a(uint64_t h, const char *s) {
    for (; *s; s++) h = (h ^ (unsigned char)*s) * 0x100000001b3ULL;
    return h;
}

uint64_t fti_synth_key(uint64_t seed, const char *purpose, const char *name) {
    /* a 0xff byte separates purpose from name, so ("ab", "c") and ("a", "bc") differ */
    uint64_t h = fnv1a(0xcbf29ce484222325ULL, purpose);
    h = (h ^ 0xff) * 0x100000001b3ULL;
    h = fnv1a(h, name);
    return fti_synth_mix64(fti_synth_mix64(seed) ^ h);
}

uint64_t fti_synth_below(uint64_t key, uint64_t *counter, uint64_t n) {
    /* reject the top UINT64_MAX % n + 1 outputs of each draw (none when n is a power of 2) */
    uint64_t limit = UINT64_MAX - (UINT64_MAX % n + 1) % n, x;
    do x = fti_synth_u64(key, (*counter)++);
    while (x > limit);
    return x % n;
}

/* Ziggurat (Marsaglia and Tsang's method in Doornik's form) with 256 layers of equal area V
 * under the density f(x) = exp(-x^2 / 2), the base layer reaching to R, beyond which the tail
 * is sampled by Marsaglia's exponential rejection. x[i] are the layers' right edges (x[0] the
 * base layer's width V / f(R), x[256] = 0); a draw u * x[i] with |u| < x[i+1] / x[i] lies under
 * the curve for sure (about 99% of draws), otherwise the wedge test decides. Exact in
 * distribution; constants of the 256-layer table from Marsaglia and Tsang (2000). */
#define ZIG_LAYERS 256
#define ZIG_R 3.6541528853610088
#define ZIG_V 0.00492867323399

static double zig_x[ZIG_LAYERS + 1], zig_ratio[ZIG_LAYERS];
static pthread_once_t zig_once = PTHREAD_ONCE_INIT;

static void zig_init(void) {
    double f = exp(-0.5 * ZIG_R * ZIG_R);
    zig_x[0] = ZIG_V / f;
    zig_x[1] = ZIG_R;
    for (int i = 2; i < ZIG_LAYERS; i++) {
        zig_x[i] = sqrt(-2.0 * log(ZIG_V / zig_x[i - 1] + f));
        f = exp(-0.5 * zig_x[i] * zig_x[i]);
    }
    zig_x[ZIG_LAYERS] = 0;
    for (int i = 0; i < ZIG_LAYERS; i++) zig_ratio[i] = zig_x[i + 1] / zig_x[i];
}

void fti_synth_normal_init(void) { pthread_once(&zig_once, zig_init); }

/* The draws of element i: outputs 4i .. 4i+3 of the stream (one suffices in about 99% of
 * cases), then, rarely, a stream of its own. */
typedef struct {
    uint64_t key, i, d;
} draws;

static uint64_t next_draw(draws *s) {
    uint64_t d = s->d++;
    if (d < 4) return fti_synth_u64(s->key, 4 * s->i + d);
    return fti_synth_u64(fti_synth_mix64(s->key ^ 0xa0761d6478bd642fULL) ^ s->i, d);
}

static double open_uniform(uint64_t h) { return ((double)(h >> 11) + 0.5) * 0x1p-53; } /* (0, 1) */

static double normal_tail(draws *s, int negative) {
    double x, y;
    do {
        x = log(open_uniform(next_draw(s))) / ZIG_R;
        y = log(open_uniform(next_draw(s)));
    } while (-2.0 * y < x * x);
    return negative ? x - ZIG_R : ZIG_R - x;
}

double fti_synth_normal(uint64_t key, uint64_t i) {
    fti_synth_normal_init();
    draws s = {key, i, 0};
    for (;;) {
        uint64_t h = next_draw(&s);
        unsigned layer = (unsigned)(h & (ZIG_LAYERS - 1));
        double u = (double)(h >> 11) * 0x1p-52 - 1.0; /* [-1, 1) */
        if (fabs(u) < zig_ratio[layer]) return u * zig_x[layer];
        if (layer == 0) return normal_tail(&s, u < 0);
        double x = u * zig_x[layer], x2 = x * x;
        double f0 = exp(-0.5 * (zig_x[layer] * zig_x[layer] - x2));
        double f1 = exp(-0.5 * (zig_x[layer + 1] * zig_x[layer + 1] - x2));
        if (f1 + open_uniform(next_draw(&s)) * (f0 - f1) < 1.0) return x;
    }
}

/* ---- dtypes ---- */

int fti_synth_float_dtype(fti_dtype dt) {
    return dt == FTI_DT_BF16 || dt == FTI_DT_F16 || dt == FTI_DT_F32 || dt == FTI_DT_F64;
}

/* Mantissa (stored fraction) and exponent field widths. */
static void format_of(fti_dtype dt, unsigned *mbits, unsigned *ebits) {
    switch (dt) {
    case FTI_DT_BF16: *mbits = 7, *ebits = 8; return;
    case FTI_DT_F16: *mbits = 10, *ebits = 5; return;
    case FTI_DT_F32: *mbits = 23, *ebits = 8; return;
    default: *mbits = 52, *ebits = 11; return;
    }
}

/* m / 2^s rounded to nearest, ties to even (m < 2^53). */
static uint64_t shift_rne(uint64_t m, unsigned s) {
    if (s == 0) return m;
    if (s >= 64) return 0; /* m < 2^53 < half of 2^s */
    uint64_t q = m >> s, rem = m & ((1ULL << s) - 1), half = 1ULL << (s - 1);
    /* non-short-circuit operators: no branch to mispredict on random data */
    return q + (uint64_t)((rem > half) | ((rem == half) & (int)(q & 1)));
}

/* x = (-1)^sign * M * 2^(E - 52) with the double's own fields; x finite and non-zero.
 * With bias b and emin = 1 - b, a normal result keeps m + 1 significant bits; below emin the
 * result is subnormal and the shift grows by emin - E. The encoding
 * ((E + b) << m) + (q - 2^m) lets a rounding carry (q = 2^(m+1)) step into the exponent, and
 * a subnormal q = 2^m into the least normal, as IEEE 754 requires. */
static uint64_t encode_finite(uint64_t ex, uint64_t frac, unsigned m, unsigned e) {
    int E = ex ? (int)ex - 1023 : -1022;
    uint64_t M = ex ? frac | (1ULL << 52) : frac;
    int bias = (1 << (e - 1)) - 1, emin = 1 - bias;
    uint64_t inf = ((1ULL << e) - 1) << m, out;
    if (E >= emin) {
        uint64_t q = shift_rne(M, 52 - m);
        if (E + bias >= (int)((1u << e) - 1)) return inf;
        out = ((uint64_t)(E + bias) << m) + q - (1ULL << m);
    } else {
        out = shift_rne(M, 52 - m + (unsigned)(emin - E));
    }
    return out >= inf ? inf : out;
}

uint64_t fti_synth_encode(fti_dtype dt, double x) {
    uint64_t b;
    memcpy(&b, &x, sizeof b);
    if (dt == FTI_DT_F64) return b;
    unsigned m, e;
    format_of(dt, &m, &e);
    uint64_t sign = (b >> 63) << (m + e), ex = (b >> 52) & 0x7ff, frac = b & ((1ULL << 52) - 1);
    uint64_t inf = ((1ULL << e) - 1) << m;
    if (ex == 0x7ff) return sign | inf | (frac ? 1ULL << (m - 1) : 0);
    if (ex == 0 && frac == 0) return sign;
    return sign | encode_finite(ex, frac, m, e);
}

double fti_synth_decode(fti_dtype dt, uint64_t bits) {
    unsigned m, e;
    format_of(dt, &m, &e);
    uint64_t ex = (bits >> m) & ((1ULL << e) - 1), frac = bits & ((1ULL << m) - 1);
    int neg = (int)((bits >> (m + e)) & 1), bias = (1 << (e - 1)) - 1;
    double v;
    if (ex == (1ULL << e) - 1) v = frac ? NAN : INFINITY;
    else if (ex == 0) v = ldexp((double)frac, 1 - bias - (int)m);
    else v = ldexp((double)(frac | (1ULL << m)), (int)ex - bias - (int)m);
    return neg ? -v : v;
}

uint64_t fti_synth_step(fti_dtype dt, uint64_t bits, int up) {
    unsigned m, e;
    format_of(dt, &m, &e);
    uint64_t sign_bit = 1ULL << (m + e), mag = bits & (sign_bit - 1), neg = bits & sign_bit;
    if (mag >= ((1ULL << e) - 1) << m) return bits; /* infinity or NaN */
    if (mag == 0) return up ? 1 : sign_bit | 1;
    /* sign-magnitude: moving away from zero increments the magnitude */
    int away = up ? !neg : !!neg;
    return neg | (away ? mag + 1 : mag - 1);
}

int fti_synth_differs(fti_dtype dt, uint64_t a, uint64_t b) {
    if (a == b) return 0;
    unsigned m, e;
    format_of(dt, &m, &e);
    uint64_t mask = (1ULL << (m + e)) - 1;
    return (a & mask) != 0 || (b & mask) != 0; /* equal only as +0 / -0 */
}
