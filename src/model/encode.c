/* Exact decoding, quantum exponents, and the encoding API over the element encoders of
 * enc_run.c. */
#include <math.h>
#include <string.h>

#include "model/enc_internal.h"
#include "util/error.h"

typedef unsigned __int128 u128;

/* ---- the formats: (sign, biased exponent E, fraction F) -> m * 2^k ----
 * normal (0 < E < max): m = F + 2^fbits, k = E - bias - fbits; subnormal (E = 0): m = F,
 * k = 1 - bias - fbits; E = max is an infinity (F = 0) or a NaN. */
typedef struct {
    unsigned bytes, fbits, ebits;
    int bias;
} fti_format;

static const fti_format FMT_BF16 = {2, 7, 8, 127}, FMT_F16 = {2, 10, 5, 15}, FMT_F32 = {4, 23, 8, 127},
                        FMT_F64 = {8, 52, 11, 1023};

static const fti_format *format_of(fti_dtype dt) {
    switch (dt) {
    case FTI_DT_BF16: return &FMT_BF16;
    case FTI_DT_F16: return &FMT_F16;
    case FTI_DT_F32: return &FMT_F32;
    case FTI_DT_F64: return &FMT_F64;
    default: return NULL;
    }
}

static uint64_t load_bits(const fti_format *fm, const uint8_t *p) {
    return fm->bytes == 2 ? ld16(p) : fm->bytes == 4 ? ld32(p) : ld64(p);
}

static void unpack(fti_fp *out, const fti_format *fm, uint64_t w) {
    uint64_t fmask = ((uint64_t)1 << fm->fbits) - 1, emax = ((uint64_t)1 << fm->ebits) - 1;
    uint64_t e = (w >> fm->fbits) & emax, f = w & fmask;
    out->neg = (int)(w >> (fm->fbits + fm->ebits)) & 1;
    out->cls = e == emax ? (f ? FTI_FP_NAN : FTI_FP_INF) : FTI_FP_FINITE;
    out->mant = e == 0 ? f : f | (fmask + 1);
    out->exp = (int32_t)(e == 0 ? 1 : (int64_t)e) - fm->bias - (int32_t)fm->fbits;
    if (out->mant == 0) out->exp = 0;
}

void fti_fp_decode(fti_fp *out, fti_dtype dt, const uint8_t *p) {
    const fti_format *fm = format_of(dt);
    FTI_VERIFY_CHECK(fm != NULL);
    unpack(out, fm, load_bits(fm, p));
}

/* bit length of m > 0 */
static inline int bitlen(uint64_t m) { return 64 - __builtin_clzll(m); }

/* ---- argument checks and messages ---- */

fti_status fti_enc_check(const fti_st_tensor *t, int32_t s) {
    fti_status st = fti_st_require_committable(t);
    if (st != FTI_OK) return st;
    if (s < FTI_QUANTUM_MIN || s > FTI_QUANTUM_MAX)
        return fti_fail(FTI_ERR_ARG, "%s: tensor %s: quantum exponent %d outside [%d, %d]", t->path, QNAME(t), (int)s,
                        FTI_QUANTUM_MIN, FTI_QUANTUM_MAX);
    return FTI_OK;
}

static fti_status check_range(const fti_st_tensor *t, uint64_t first, uint64_t count) {
    if (first > t->numel || count > t->numel - first)
        return fti_fail(FTI_ERR_ARG, "%s: tensor %s: elements [%llu, +%llu) outside its %llu", t->path, QNAME(t),
                        (unsigned long long)first, (unsigned long long)count, (unsigned long long)t->numel);
    return FTI_OK;
}

static double fp_value(const fti_fp *x) {
    if (x->cls == FTI_FP_NAN) return NAN;
    if (x->cls == FTI_FP_INF) return x->neg ? -INFINITY : INFINITY;
    double m = ldexp((double)x->mant, x->exp); /* exact: mant < 2^53 and the result is a double */
    return x->neg ? -m : m;
}

fti_status fti_enc_report(const fti_st_tensor *t, int32_t s, uint64_t i) {
    const fti_format *fm = format_of(t->dtype);
    fti_fp x;
    char q[256];
    unpack(&x, fm, load_bits(fm, t->data + i * fm->bytes));
    fti_st_quote(q, sizeof q, t->name);
    if (x.cls == FTI_FP_NAN)
        return fti_fail(FTI_ERR_RANGE, "%s: tensor %s has a NaN at index %llu", t->path, q, (unsigned long long)i);
    if (x.cls == FTI_FP_INF)
        return fti_fail(FTI_ERR_RANGE, "%s: tensor %s has an infinity at index %llu", t->path, q,
                        (unsigned long long)i);
    return fti_fail(FTI_ERR_RANGE,
                    "%s: tensor %s drifts beyond the encodable range at index %llu (value %.*g, limit %.9g)", t->path,
                    q, (unsigned long long)i, t->dtype == FTI_DT_F64 ? 17 : 9, fp_value(&x),
                    ldexp(1.0, FTI_ENCODE_LIMIT_LOG + s));
}

fti_status fti_encode_run(uint32_t *u, const fti_st_tensor *t, int32_t s, uint64_t first, size_t count) {
    fti_status st = fti_enc_check(t, s);
    if (st == FTI_OK) st = check_range(t, first, count);
    if (st != FTI_OK) return st;
    fti_enc_plan plan;
    fti_enc_plan_init(&plan, t, s, count);
    size_t ok = fti_enc_run_raw(&plan, u, first, count);
    fti_enc_plan_free(&plan);
    return ok == count ? FTI_OK : fti_enc_report(t, s, first + ok);
}

fti_status fti_encode_value(int64_t *v, const fti_st_tensor *t, int32_t s, uint64_t index) {
    uint32_t u;
    fti_status st = fti_encode_run(&u, t, s, index, 1);
    if (st == FTI_OK) *v = (int64_t)u - ((int64_t)1 << 31);
    return st;
}

fti_status fti_encode_stats(fti_enc_stats *out, const fti_st_tensor *t, int32_t s) {
    enum { CHUNK = 2048 };
    uint32_t u[CHUNK];
    fti_enc_plan plan;
    fti_status st = fti_enc_check(t, s);
    if (st != FTI_OK) return st;
    memset(out, 0, sizeof *out);
    fti_enc_plan_init(&plan, t, s, t->numel);
    for (uint64_t i0 = 0; i0 < t->numel && st == FTI_OK; i0 += CHUNK) {
        size_t n = t->numel - i0 < CHUNK ? (size_t)(t->numel - i0) : CHUNK;
        size_t ok = fti_enc_run_raw(&plan, u, i0, n);
        if (ok != n) {
            st = fti_enc_report(t, s, i0 + ok);
            break;
        }
        int64_t sum = 0; /* |v| < 2^31, CHUNK < 2^12: no overflow */
        for (size_t i = 0; i < n; i++) {
            int64_t v = (int64_t)u[i] - ((int64_t)1 << 31);
            sum += v;
            out->sum_sq += (u128)(uint64_t)(v * v);
            out->nonzero += v != 0;
        }
        out->sum += sum;
    }
    fti_enc_plan_free(&plan);
    return st;
}

/* ---- decoding to doubles ---- */

fti_status fti_decode_f64(double *out, const fti_st_tensor *t, uint64_t first, size_t count) {
    fti_status st = fti_st_require_committable(t);
    if (st == FTI_OK) st = check_range(t, first, count);
    if (st != FTI_OK) return st;
    const fti_format *fm = format_of(t->dtype);
    const uint8_t *p = t->data + first * fm->bytes;
    for (size_t i = 0; i < count; i++) {
        fti_fp x;
        unpack(&x, fm, load_bits(fm, p + i * fm->bytes));
        out[i] = fp_value(&x);
        if (x.cls == FTI_FP_NAN && x.neg) out[i] = -out[i];
    }
    return FTI_OK;
}

/* ---- quantum ---- */

/* Largest |x| as a bit pattern without the sign (IEEE patterns order magnitudes, NaNs and
 * infinities above every finite value). */
static uint64_t max_abs_bits(const fti_st_tensor *t, const fti_format *fm) {
    uint64_t mask = ((uint64_t)1 << (fm->fbits + fm->ebits)) - 1, best = 0;
    const uint8_t *p = t->data;
    uint64_t n = t->numel;
    if (fm->bytes == 2) {
        uint32_t b = 0;
        for (uint64_t i = 0; i < n; i++) {
            uint32_t w = ld16(p + 2 * i) & 0x7fff;
            b = w > b ? w : b;
        }
        best = b;
    } else if (fm->bytes == 4) {
        uint32_t b = 0;
        for (uint64_t i = 0; i < n; i++) {
            uint32_t w = ld32(p + 4 * i) & 0x7fffffff;
            b = w > b ? w : b;
        }
        best = b;
    } else {
        for (uint64_t i = 0; i < n; i++) {
            uint64_t w = ld64(p + 8 * i) & mask;
            best = w > best ? w : best;
        }
    }
    return best;
}

static uint64_t first_nonfinite(const fti_st_tensor *t, const fti_format *fm, uint64_t threshold) {
    uint64_t mask = ((uint64_t)1 << (fm->fbits + fm->ebits)) - 1;
    for (uint64_t i = 0; i < t->numel; i++)
        if ((load_bits(fm, t->data + i * fm->bytes) & mask) >= threshold) return i;
    return t->numel;
}

fti_status fti_quantum_exponent(int32_t *s, const fti_st_tensor *t) {
    fti_status st = fti_st_require_committable(t);
    if (st != FTI_OK) return st;
    const fti_format *fm = format_of(t->dtype);
    uint64_t inf_bits = (((uint64_t)1 << fm->ebits) - 1) << fm->fbits;
    uint64_t best = max_abs_bits(t, fm);
    if (best >= inf_bits) return fti_enc_report(t, 0, first_nonfinite(t, fm, inf_bits));
    if (best == 0) {
        *s = FTI_QUANTUM_ALL_ZERO;
        return FTI_OK;
    }
    fti_fp x;
    unpack(&x, fm, best);
    int32_t e = x.exp + bitlen(x.mant); /* floor(log2 |x|) + 1 */
    *s = e - FTI_QUANTUM_BITS;
    FTI_VERIFY_CHECK(*s >= FTI_QUANTUM_MIN && *s <= FTI_QUANTUM_MAX);
    return FTI_OK;
}
