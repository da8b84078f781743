/* Low-rank updates: LoRA factors (Gaussian, scaled to a relative norm, rounded to the adapter
 * dtype) and the orthonormal rank-R update of tamper-rank (rules in synth.h). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "synth/synth_num.h"
#include "synth/variant_internal.h"
#include "util/error.h"

void fti_var_factors_free(var_factors *f) {
    free(f->u);
    free(f->v);
    free(f->a);
    free(f->b);
    memset(f, 0, sizeof *f);
}

static fti_status alloc_factors(var_factors *f, const char *name) {
    f->u = malloc(f->rows * f->rank * sizeof *f->u);
    f->v = malloc(f->rank * f->cols * sizeof *f->v);
    if (f->u && f->v) return FTI_OK;
    fti_var_factors_free(f);
    return fti_fail(FTI_ERR_NOMEM, "variant: out of memory for the factors of %s", name);
}

/* x[i] = scale * (normal number i of key), i < n, rounded to dt. */
static void draw(double *x, uint64_t n, uint64_t key, double scale, fti_dtype dt) {
    for (uint64_t i = 0; i < n; i++)
        x[i] = fti_synth_decode(dt, fti_synth_encode(dt, scale * fti_synth_normal(key, i)));
}

/* ||B A||_F^2 = trace(A A^T B^T B) = sum_{k,l} (A A^T)[k,l] (B^T B)[k,l]: O(r^2 (in + out))
 * instead of forming the out x in product. */
static double product_sumsq(const double *a, const double *b, unsigned r, uint64_t in, uint64_t out) {
    double s = 0;
    for (unsigned k = 0; k < r; k++)
        for (unsigned l = 0; l < r; l++) {
            double ga = 0, gb = 0;
            for (uint64_t c = 0; c < in; c++) ga += a[k * in + c] * a[l * in + c];
            for (uint64_t o = 0; o < out; o++) gb += b[o * r + k] * b[o * r + l];
            s += ga * gb;
        }
    return s;
}

/* The stored orientation: B A (rows = out) or, for fan_in_fan_out, (B A)^T = A^T B^T. */
static void orient_lora(var_factors *f, int transpose) {
    unsigned r = f->rank;
    if (!transpose) {
        memcpy(f->u, f->b, f->out * r * sizeof *f->u);
        memcpy(f->v, f->a, r * f->in * sizeof *f->v);
        return;
    }
    for (uint64_t c = 0; c < f->in; c++)
        for (unsigned k = 0; k < r; k++) f->u[c * r + k] = f->a[k * f->in + c];
    for (unsigned k = 0; k < r; k++)
        for (uint64_t o = 0; o < f->out; o++) f->v[k * f->out + o] = f->b[o * r + k];
}

static fti_status lora_shape(var_factors *f, const fti_st_tensor *t, unsigned r, int transpose) {
    if (transpose && t->ndim != 2)
        return fti_fail(FTI_ERR_ARG, "variant lora: fan_in_fan_out needs matrices, but %s has %u dimensions", t->name,
                        t->ndim);
    f->out = transpose ? t->shape[1] : t->shape[0];
    f->in = t->numel / f->out;
    f->rows = t->shape[0];
    f->cols = t->numel / f->rows;
    f->rank = r;
    if (r == 0 || r > f->in || r > f->out)
        return fti_fail(FTI_ERR_ARG, "variant lora: rank %u does not fit %s (%llu x %llu)", r, t->name,
                        (unsigned long long)f->out, (unsigned long long)f->in);
    return FTI_OK;
}

fti_status fti_var_lora_factors(var_factors *f, const fti_st_tensor *t, const fti_synth_variant *v,
                                int fan_in_fan_out) {
    memset(f, 0, sizeof *f);
    fti_status st = lora_shape(f, t, v->rank, fan_in_fan_out);
    double w2 = 0;
    if (st == FTI_OK) st = fti_var_sumsq(&w2, t);
    if (st == FTI_OK) st = alloc_factors(f, t->name);
    if (st != FTI_OK) return st;
    unsigned r = f->rank;
    f->a = malloc(r * f->in * sizeof *f->a);
    f->b = malloc(f->out * r * sizeof *f->b);
    if (!f->a || !f->b) {
        fti_var_factors_free(f);
        return fti_fail(FTI_ERR_NOMEM, "variant: out of memory for the factors of %s", t->name);
    }
    f->scale = v->alpha / r;
    draw(f->a, r * f->in, fti_synth_key(v->seed, "lora-A", t->name), 1.0 / sqrt((double)f->in), v->adapter_dtype);
    draw(f->b, f->out * r, fti_synth_key(v->seed, "lora-B", t->name), 1.0, FTI_DT_F64);
    double have = f->scale * sqrt(product_sumsq(f->a, f->b, r, f->in, f->out));
    double s = have > 0 ? v->rel * fti_var_ref_norm(w2, t->numel) / have : 0;
    for (uint64_t i = 0; i < f->out * r; i++)
        f->b[i] = fti_synth_decode(v->adapter_dtype, fti_synth_encode(v->adapter_dtype, s * f->b[i]));
    orient_lora(f, fan_in_fan_out);
    return FTI_OK;
}

/* Orthonormalises the m rows (length n) of x: modified Gram-Schmidt, run twice, which keeps
 * them orthogonal to working precision. FTI_ERR_INTERNAL if a row vanishes (probability 0 for
 * Gaussian draws with m <= n). */
static fti_status orthonormalise(double *x, unsigned m, uint64_t n) {
    for (int pass = 0; pass < 2; pass++)
        for (unsigned i = 0; i < m; i++) {
            double *xi = x + i * n;
            for (unsigned j = 0; j < i; j++) {
                const double *xj = x + j * n;
                double dot = 0;
                for (uint64_t c = 0; c < n; c++) dot += xi[c] * xj[c];
                for (uint64_t c = 0; c < n; c++) xi[c] -= dot * xj[c];
            }
            double nn = 0;
            for (uint64_t c = 0; c < n; c++) nn += xi[c] * xi[c];
            if (!(nn > 1e-200)) return fti_fail(FTI_ERR_INTERNAL, "variant tamper-rank: degenerate random factors");
            double inv = 1.0 / sqrt(nn);
            for (uint64_t c = 0; c < n; c++) xi[c] *= inv;
        }
    return FTI_OK;
}

fti_status fti_var_rank_factors(var_factors *f, const fti_st_tensor *t, const fti_synth_variant *v) {
    memset(f, 0, sizeof *f);
    unsigned R = v->rank;
    f->rows = t->shape[0];
    f->cols = t->numel / f->rows;
    f->rank = R;
    if (R == 0 || R > f->rows || R > f->cols)
        return fti_fail(FTI_ERR_ARG, "variant tamper-rank: rank %u does not fit %s (%llu x %llu)", R, t->name,
                        (unsigned long long)f->rows, (unsigned long long)f->cols);
    double w2;
    fti_status st = fti_var_sumsq(&w2, t);
    if (st == FTI_OK) st = alloc_factors(f, t->name);
    if (st != FTI_OK) return st;
    double *bt = malloc(R * f->rows * sizeof *bt); /* B^T: its rows are B's columns */
    if (!bt) st = fti_fail(FTI_ERR_NOMEM, "variant: out of memory for the factors of %s", t->name);
    if (st == FTI_OK) {
        draw(f->v, R * f->cols, fti_synth_key(v->seed, "rank-A", t->name), 1.0, FTI_DT_F64);
        draw(bt, R * f->rows, fti_synth_key(v->seed, "rank-B", t->name), 1.0, FTI_DT_F64);
        st = orthonormalise(f->v, R, f->cols);
    }
    if (st == FTI_OK) st = orthonormalise(bt, R, f->rows);
    if (st == FTI_OK) {
        for (uint64_t r = 0; r < f->rows; r++)
            for (unsigned k = 0; k < R; k++) f->u[r * R + k] = bt[k * f->rows + r];
        /* B A with orthonormal factors has R singular values equal to 1: ||c B A||_F = c sqrt(R) */
        f->scale = v->rel * fti_var_ref_norm(w2, t->numel) / sqrt((double)R);
    }
    free(bt);
    if (st != FTI_OK) fti_var_factors_free(f);
    return st;
}
