/* Per-tensor edits of the variants: noise, sparse and single-entry changes, applying a low-rank
 * update, and counting what changed (rules in synth.h). Each edit reads the base tensor's exact
 * values and writes the rounded result into buf, which starts as a copy of the base bytes. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "synth/synth_internal.h"
#include "synth/synth_num.h"
#include "synth/variant_internal.h"
#include "util/error.h"

static inline double base_value(const fti_st_tensor *t, uint64_t i) {
    return fti_synth_decode(t->dtype, fti_synth_get(t->data + i * fti_synth_width(t->dtype), t->dtype));
}

/* ---- norms ---- */

static void sumsq_chunk(const void *arg, uint64_t i0, uint64_t i1, double out[FTI_SYNTH_NSUM]) {
    const fti_st_tensor *t = arg;
    for (uint64_t i = i0; i < i1; i++) {
        double x = base_value(t, i);
        if (isfinite(x)) out[0] += x * x;
        else out[1] += 1;
    }
}

fti_status fti_var_sumsq(double *out, const fti_st_tensor *t) {
    double s[FTI_SYNTH_NSUM];
    fti_synth_reduce(s, t->numel, sumsq_chunk, t);
    *out = s[0];
    if (s[1] > 0) return fti_fail(FTI_ERR_RANGE, "%s: tensor %s holds a NaN or an infinity", t->path, t->name);
    return FTI_OK;
}

double fti_var_ref_norm(double sumsq, uint64_t numel) {
    return sumsq > 0 ? sqrt(sumsq) : sqrt((double)numel);
}

static fti_status infinite(const fti_st_tensor *t) {
    return fti_fail(FTI_ERR_RANGE, "%s: tensor %s: the edited value would round to infinity in %s", t->path, t->name,
                    fti_dtype_name(t->dtype));
}

/* ---- noise ---- */

fti_status fti_var_noise(uint8_t *buf, const fti_st_tensor *t, const fti_synth_variant *v) {
    double w2;
    fti_status st = fti_var_sumsq(&w2, t);
    if (st != FTI_OK) return st;
    uint64_t key = fti_synth_key(v->seed, "noise", t->name), n = t->numel;
    double n2 = fti_synth_normal_sumsq(key, n);
    double c = n2 > 0 ? v->rel * fti_var_ref_norm(w2, n) / sqrt(n2) : 0;
    fti_dtype dt = t->dtype;
    unsigned w = fti_synth_width(dt);
    int bad = 0;
#pragma omp parallel for schedule(static) reduction(| : bad) if (n >= FTI_SYNTH_PAR_MIN)
    for (int64_t j = 0; j < (int64_t)n; j++) {
        uint64_t i = (uint64_t)j, bits = fti_synth_encode(dt, base_value(t, i) + c * fti_synth_normal(key, i));
        bad |= !isfinite(fti_synth_decode(dt, bits));
        fti_synth_put(buf + i * w, dt, bits);
    }
    return bad ? infinite(t) : FTI_OK;
}

/* ---- single entries ---- */

/* Entry i of buf becomes round(w + delta), or w's neighbour in delta's direction if that
 * rounds back to w: the entry's value always changes. */
static fti_status edit_entry(uint8_t *buf, const fti_st_tensor *t, uint64_t i, double delta) {
    fti_dtype dt = t->dtype;
    unsigned w = fti_synth_width(dt);
    uint64_t old = fti_synth_get(t->data + i * w, dt);
    uint64_t nb = fti_synth_encode(dt, fti_synth_decode(dt, old) + delta);
    if (!fti_synth_differs(dt, nb, old)) nb = fti_synth_step(dt, old, delta >= 0);
    if (!isfinite(fti_synth_decode(dt, nb))) return infinite(t);
    FTI_VERIFY_CHECK(fti_synth_differs(dt, nb, old));
    fti_synth_put(buf + i * w, dt, nb);
    return FTI_OK;
}

/* The change per entry: amount, or the tensor's root mean square (1 for an all-zero tensor). */
static fti_status entry_amount(double *out, const fti_st_tensor *t, double amount) {
    if (amount != 0) {
        *out = amount;
        return FTI_OK;
    }
    double w2;
    fti_status st = fti_var_sumsq(&w2, t);
    *out = fti_var_ref_norm(w2, t->numel) / sqrt((double)t->numel);
    return st;
}

/* Inserts x into the open-addressing set tab (cap a power of two, entries x + 1, 0 = empty);
 * 1 if it was new. */
static int set_insert(uint64_t *tab, size_t cap, uint64_t x) {
    for (size_t h = (size_t)fti_synth_mix64(x) & (cap - 1);; h = (h + 1) & (cap - 1)) {
        if (tab[h] == x + 1) return 0;
        if (tab[h] == 0) {
            tab[h] = x + 1;
            return 1;
        }
    }
}

static int cmp_u64(const void *a, const void *b) {
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

/* k distinct indices in [0, n), sorted: Floyd's sampling (each k-subset equally likely). */
static fti_status sample_distinct(uint64_t *out, uint64_t k, uint64_t n, uint64_t key) {
    size_t cap = 16;
    while (cap < 2 * k) cap *= 2;
    uint64_t *tab = calloc(cap, sizeof *tab), counter = 0, m = 0;
    if (!tab) return fti_fail(FTI_ERR_NOMEM, "variant sparse: out of memory for %llu indices", (unsigned long long)k);
    for (uint64_t j = n - k; j < n; j++) {
        uint64_t r = fti_synth_below(key, &counter, j + 1);
        if (!set_insert(tab, cap, r)) { /* taken: j is new, as every earlier pick is < j */
            r = j;
            set_insert(tab, cap, j);
        }
        out[m++] = r;
    }
    free(tab);
    qsort(out, k, sizeof *out, cmp_u64);
    for (uint64_t j = 1; j < k; j++) FTI_VERIFY_CHECK(out[j - 1] < out[j]); /* distinct */
    return FTI_OK;
}

fti_status fti_var_sparse(uint8_t *buf, const fti_st_tensor *t, const fti_synth_variant *v) {
    if (v->k > t->numel)
        return fti_fail(FTI_ERR_ARG, "variant sparse: k = %llu exceeds the %llu entries of %s", (unsigned long long)v->k,
                        (unsigned long long)t->numel, t->name);
    double amount;
    fti_status st = entry_amount(&amount, t, v->amount);
    uint64_t *idx = malloc((v->k ? v->k : 1) * sizeof *idx);
    if (st == FTI_OK && !idx) st = fti_fail(FTI_ERR_NOMEM, "variant sparse: out of memory");
    if (st == FTI_OK) st = sample_distinct(idx, v->k, t->numel, fti_synth_key(v->seed, "sparse-index", t->name));
    uint64_t sign_key = fti_synth_key(v->seed, "sparse-sign", t->name);
    for (uint64_t j = 0; st == FTI_OK && j < v->k; j++)
        st = edit_entry(buf, t, idx[j], fti_synth_u64(sign_key, idx[j]) >> 63 ? -amount : amount);
    free(idx);
    return st;
}

fti_status fti_var_entry(uint8_t *buf, const fti_st_tensor *t, const fti_synth_variant *v) {
    uint64_t i = v->index, counter = 0;
    if (i == UINT64_MAX) i = fti_synth_below(fti_synth_key(v->seed, "tamper-index", t->name), &counter, t->numel);
    if (i >= t->numel)
        return fti_fail(FTI_ERR_ARG, "variant tamper-entry: index %llu is outside the %llu entries of %s",
                        (unsigned long long)i, (unsigned long long)t->numel, t->name);
    double amount;
    fti_status st = entry_amount(&amount, t, v->amount);
    return st == FTI_OK ? edit_entry(buf, t, i, amount) : st;
}

/* ---- low rank ---- */

#define TILE 256 /* columns per inner tile: the partial sums stay in L1 */

/* Row r of buf = round(W[r, :] + scale * U[r, :] V), sums over k in order. 1 if a value overflowed. */
static int lowrank_row(uint8_t *buf, const fti_st_tensor *t, const var_factors *f, uint64_t r) {
    double d[TILE];
    int bad = 0;
    unsigned w = fti_synth_width(t->dtype);
    for (uint64_t c0 = 0; c0 < f->cols; c0 += TILE) {
        uint64_t n = f->cols - c0 < TILE ? f->cols - c0 : TILE;
        memset(d, 0, sizeof d);
        for (unsigned k = 0; k < f->rank; k++) {
            double u = f->u[r * f->rank + k];
            const double *vk = f->v + k * f->cols + c0;
            for (uint64_t j = 0; j < n; j++) d[j] += u * vk[j];
        }
        for (uint64_t j = 0; j < n; j++) {
            uint64_t i = r * f->cols + c0 + j;
            uint64_t bits = fti_synth_encode(t->dtype, base_value(t, i) + f->scale * d[j]);
            bad |= !isfinite(fti_synth_decode(t->dtype, bits));
            fti_synth_put(buf + i * w, t->dtype, bits);
        }
    }
    return bad;
}

fti_status fti_var_apply_lowrank(uint8_t *buf, const fti_st_tensor *t, const var_factors *f) {
    int bad = 0;
#pragma omp parallel for schedule(static) reduction(| : bad) if (f->rows * f->cols >= FTI_SYNTH_PAR_MIN)
    for (int64_t r = 0; r < (int64_t)f->rows; r++) bad |= lowrank_row(buf, t, f, (uint64_t)r);
    return bad ? infinite(t) : FTI_OK;
}

/* ---- accounting ---- */

typedef struct {
    const fti_st_tensor *t;
    const uint8_t *buf;
} diff_arg;

static void diff_chunk(const void *arg, uint64_t i0, uint64_t i1, double out[FTI_SYNTH_NSUM]) {
    const diff_arg *a = arg;
    fti_dtype dt = a->t->dtype;
    unsigned w = fti_synth_width(dt);
    for (uint64_t i = i0; i < i1; i++) {
        uint64_t x = fti_synth_get(a->t->data + i * w, dt), y = fti_synth_get(a->buf + i * w, dt);
        double xv = fti_synth_decode(dt, x), d = fti_synth_decode(dt, y) - xv;
        out[0] += fti_synth_differs(dt, x, y);
        out[1] += d * d;
        out[2] += xv * xv;
    }
}

void fti_var_account(var_ctx *c, const fti_st_tensor *t, const uint8_t *buf) {
    diff_arg a = {t, buf};
    double s[FTI_SYNTH_NSUM];
    fti_synth_reduce(s, t->numel, diff_chunk, &a);
    c->stats.entries += (uint64_t)s[0];
    c->stats.changed += s[0] > 0;
    c->d2 += s[1];
    c->w2 += s[2];
}
