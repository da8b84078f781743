/* Helpers of tests/test_diff.c and bench/bench_diff.c: a tiny safetensors writer (F64, F32, F16,
 * BF16 rounded to nearest even from doubles, or raw bytes for other dtypes), values as stored,
 * and seeded random numbers that need no test framework.
 *
 * The writer is deliberately independent of src/model (it formats the header itself), so that
 * files written here test the reader as much as the diff. */
#ifndef FTI_TESTS_DIFF_FIXTURES_H
#define FTI_TESTS_DIFF_FIXTURES_H

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/encode.h"
#include "model/safetensors.h"

#define FIX_FN static __attribute__((unused))

typedef struct {
    const char *name;
    fti_dtype dtype;
    unsigned ndim;
    uint64_t shape[4];
    const double *v;   /* numel values, rounded to dtype when written ... */
    const void *raw;   /* ... or, when v is NULL, the raw little-endian bytes */
} fix_tensor;

FIX_FN uint64_t fix_numel(const fix_tensor *t) {
    uint64_t n = 1;
    for (unsigned i = 0; i < t->ndim; i++) n *= t->shape[i];
    return n;
}

/* x rounded to nearest even into a 16-bit IEEE-style format with frac_bits fraction bits and
 * exponent bias `bias` (F16: 10, 15; BF16: 7, 127), subnormals and overflow to infinity. */
FIX_FN uint16_t fix_to_half(double x, int frac_bits, int bias) {
    uint16_t sign = signbit(x) ? (uint16_t)0x8000 : 0;
    double a = fabs(x), one = ldexp(1.0, frac_bits);
    if (a == 0) return sign;
    if (isnan(a)) return (uint16_t)(sign | (((1u << (15 - frac_bits)) - 1) << frac_bits) | 1u);
    if (isinf(a)) return (uint16_t)(sign | (((1u << (15 - frac_bits)) - 1) << frac_bits));
    int e, E;
    frexp(a, &e);
    E = e - 1 < 1 - bias ? 1 - bias : e - 1; /* subnormals share the least normal exponent */
    double q = nearbyint(ldexp(a, frac_bits - E));
    if (q >= 2 * one) q /= 2, E++;
    if (E > bias) return (uint16_t)(sign | (((1u << (15 - frac_bits)) - 1) << frac_bits));
    if (q < one) return (uint16_t)(sign | (unsigned)q);
    return (uint16_t)(sign | ((unsigned)(E + bias) << frac_bits) | (unsigned)(q - one));
}

FIX_FN void fix_encode(uint8_t *p, fti_dtype dt, double x) {
    if (dt == FTI_DT_F64) {
        memcpy(p, &x, 8);
    } else if (dt == FTI_DT_F32) {
        float f = (float)x;
        memcpy(p, &f, 4);
    } else {
        uint16_t h = dt == FTI_DT_F16 ? fix_to_half(x, 10, 15) : fix_to_half(x, 7, 127);
        p[0] = (uint8_t)h, p[1] = (uint8_t)(h >> 8);
    }
}

/* The value x becomes once stored as dt (decoded with the library's exact decoder). */
FIX_FN double fix_stored(fti_dtype dt, double x) {
    uint8_t b[8];
    fti_fp f;
    fix_encode(b, dt, x);
    fti_fp_decode(&f, dt, b);
    if (f.cls == FTI_FP_NAN) return NAN;
    if (f.cls == FTI_FP_INF) return f.neg ? -INFINITY : INFINITY;
    double v = ldexp((double)f.mant, f.exp);
    return f.neg ? -v : v;
}

/* Writes the tensors (in the given order) and, when layout is not NULL, __metadata__ {"layout"}.
 * 1 on success. */
FIX_FN int fix_write(const char *path, const fix_tensor *t, size_t n, const char *layout) {
    char *hdr = NULL;
    size_t hlen = 0, off = 0;
    FILE *m = open_memstream(&hdr, &hlen);
    if (!m) return 0;
    fputc('{', m);
    if (layout) fprintf(m, "\"__metadata__\":{\"layout\":\"%s\"}%s", layout, n ? "," : "");
    for (size_t i = 0; i < n; i++) {
        size_t nb = (size_t)(fix_numel(&t[i]) * fti_dtype_bits(t[i].dtype) / 8);
        fprintf(m, "%s\"%s\":{\"dtype\":\"%s\",\"shape\":[", i ? "," : "", t[i].name, fti_dtype_name(t[i].dtype));
        for (unsigned k = 0; k < t[i].ndim; k++) fprintf(m, "%s%llu", k ? "," : "", (unsigned long long)t[i].shape[k]);
        fprintf(m, "],\"data_offsets\":[%zu,%zu]}", off, off + nb);
        off += nb;
    }
    fputc('}', m);
    while ((ftell(m) & 7) != 0) fputc(' ', m); /* pad the header to 8 bytes, as writers do */
    fclose(m);
    FILE *f = fopen(path, "wb");
    int ok = f != NULL;
    uint64_t n8 = hlen;
    uint8_t len[8];
    for (int k = 0; k < 8; k++) len[k] = (uint8_t)(n8 >> (8 * k));
    ok = ok && fwrite(len, 1, 8, f) == 8 && fwrite(hdr, 1, hlen, f) == hlen;
    for (size_t i = 0; ok && i < n; i++) {
        uint64_t cnt = fix_numel(&t[i]);
        size_t eb = fti_dtype_bits(t[i].dtype) / 8, nb = (size_t)(cnt * fti_dtype_bits(t[i].dtype) / 8);
        uint8_t *buf = malloc(nb ? nb : 1);
        ok = buf != NULL;
        for (uint64_t k = 0; ok && t[i].v && k < cnt; k++) fix_encode(buf + k * eb, t[i].dtype, t[i].v[k]);
        if (ok && !t[i].v && nb) memcpy(buf, t[i].raw, nb);
        ok = ok && fwrite(buf, 1, nb, f) == nb;
        free(buf);
    }
    if (f && fclose(f) != 0) ok = 0;
    free(hdr);
    return ok;
}

/* ---- random numbers (xoshiro-free: splitmix64 is enough for fixtures) ---- */

typedef struct {
    uint64_t s;
} fix_rng;

FIX_FN uint64_t fix_next(fix_rng *r) {
    uint64_t z = (r->s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

/* Uniform in [-1, 1). */
FIX_FN double fix_uniform(fix_rng *r) { return (double)(fix_next(r) >> 11) * 0x1p-52 - 1.0; }

/* Roughly normal (Irwin-Hall of 4), unit variance. */
FIX_FN double fix_gauss(fix_rng *r) {
    double s = 0;
    for (int i = 0; i < 4; i++) s += fix_uniform(r);
    return s * 0.8660254037844386; /* sqrt(3/4): each uniform has variance 1/3 */
}

/* w (rows x cols, row-major) += scale * U V^T with U, V Gaussian of `rank` columns. */
FIX_FN void fix_add_low_rank(double *w, uint64_t rows, uint64_t cols, unsigned rank, double scale, fix_rng *r) {
    double *u = malloc(rows * rank * sizeof *u), *v = malloc(cols * rank * sizeof *v);
    if (!u || !v) abort();
    for (uint64_t i = 0; i < rows * rank; i++) u[i] = fix_gauss(r);
    for (uint64_t i = 0; i < cols * rank; i++) v[i] = fix_gauss(r);
    for (uint64_t i = 0; i < rows; i++)
        for (uint64_t j = 0; j < cols; j++) {
            double s = 0;
            for (unsigned k = 0; k < rank; k++) s += u[i * rank + k] * v[j * rank + k];
            w[i * cols + j] += scale * s;
        }
    free(u);
    free(v);
}

#endif
