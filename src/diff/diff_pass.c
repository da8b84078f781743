/* The decoding pass over one tensor pair (diff_internal.h): exact values, norms, changed
 * entries, largest change, tol_F, and Delta for the rank computation. */
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "diff/diff_internal.h"
#include "util/error.h"

/* Elements per chunk: two decoded chunks per thread (1 MiB) stay in L2. The chunking is fixed
 * (not per thread) so that every merged figure is the same for any thread count. */
#define CHUNK ((size_t)1 << 16)
#define EXP_SLOTS 2048 /* biased exponent field of a double */

typedef struct {
    diff_sums sums;
    uint64_t changed;
    double max_abs;
    uint64_t max_idx;
    uint64_t bad_idx;  /* first non-finite element, when bad */
    int bad;           /* 0 none, else FTI_FP_INF or FTI_FP_NAN */
    int bad_tuned;     /* the bad element is the tuned one's (the base's wins at equal index) */
    int failed;        /* decoding failed (cannot happen for a checked dtype) */
    int enc_bad;       /* a tuned value beyond the encodable range, at enc_bad_idx */
    uint64_t enc_bad_idx, enc_changed;
    unsigned __int128 enc_sq;
} chunk_res;

/* What a chunk needs besides its values: the quantum (enc: 0 for none) and scratch. */
typedef struct {
    int enc;
    int32_t s;
    uint32_t *ub, *uu; /* CHUNK each */
    uint64_t *hist;    /* EXP_SLOTS, or NULL */
} chunk_ctx;

static int double_exp_field(double x) {
    uint64_t bits;
    memcpy(&bits, &x, sizeof bits);
    return (int)((bits >> 52) & 0x7ff);
}

/* The first element of w or u that is not finite; 1 if there is one. */
static int find_bad(chunk_res *c, const double *w, const double *u, size_t n, uint64_t first) {
    for (size_t i = 0; i < n; i++) {
        if (isfinite(w[i]) && isfinite(u[i])) continue;
        c->bad_tuned = isfinite(w[i]);
        double x = c->bad_tuned ? u[i] : w[i];
        c->bad = isnan(x) ? FTI_FP_NAN : FTI_FP_INF;
        c->bad_idx = first + i;
        return 1;
    }
    return 0;
}

/* dst[i] = u[i] - w[i] (dst may be w), counting changes and the largest |Delta| (first index). */
static void delta_stats(chunk_res *c, const double *w, const double *u, double *dst, size_t n, uint64_t first) {
    uint64_t changed = 0, idx = 0;
    double m = 0;
    for (size_t i = 0; i < n; i++) {
        double d = u[i] - w[i], a = fabs(d);
        dst[i] = d;
        changed += d != 0;
        if (a > m) m = a, idx = first + i;
    }
    c->changed = changed;
    c->max_abs = m;
    c->max_idx = idx;
}

/* The fixed-point Delta of the chunk (encode.h): u = v + 2^31, so v' - v = u' - u. A tuned value
 * beyond the range fails fti_encode_run; the first such index is then found one by one. */
static void chunk_encoded(chunk_res *c, const fti_st_tensor *b, const fti_st_tensor *u, uint64_t first, size_t n,
                          const chunk_ctx *x) {
    if (fti_encode_run(x->ub, b, x->s, first, n) != FTI_OK) { /* cannot happen: s is b's own */
        c->failed = 1;
        return;
    }
    if (fti_encode_run(x->uu, u, x->s, first, n) != FTI_OK) {
        int64_t v;
        size_t i = 0;
        while (i < n && fti_encode_value(&v, u, x->s, first + i) == FTI_OK) i++;
        c->enc_bad = 1;
        c->enc_bad_idx = first + i;
        return;
    }
    unsigned __int128 sq = 0;
    uint64_t changed = 0;
    for (size_t i = 0; i < n; i++) {
        uint64_t d = x->uu[i] > x->ub[i] ? x->uu[i] - x->ub[i] : x->ub[i] - x->uu[i]; /* |v' - v| < 2^32 */
        sq += d * d;                                                                   /* < 2^64 */
        changed += d != 0;
    }
    c->enc_sq = sq;
    c->enc_changed = changed;
}

static void chunk_run(chunk_res *c, const fti_st_tensor *b, const fti_st_tensor *u, uint64_t first, size_t n,
                      double *wb, double *wu, double *dst, const chunk_ctx *x) {
    if (fti_decode_f64(wb, b, first, n) != FTI_OK || fti_decode_f64(wu, u, first, n) != FTI_OK) {
        c->failed = 1;
        return;
    }
    if (find_bad(c, wb, wu, n, first)) return;
    if (x->enc) chunk_encoded(c, b, u, first, n, x);
    if (x->hist)
        for (size_t i = 0; i < n; i++) x->hist[double_exp_field(wu[i])]++;
    diff_ssq_add(&c->sums.w, wb, n);
    diff_ssq_add(&c->sums.t, wu, n);
    if (!dst) dst = wb; /* W is no longer needed once its squares are summed */
    delta_stats(c, wb, wu, dst, n, first);
    diff_ssq_add(&c->sums.d, dst, n);
}

/* Mantissa bits p (with the hidden bit) and least normal exponent of a committable dtype. */
static void dtype_precision(fti_dtype dt, int *p, int *emin) {
    switch (dt) {
    case FTI_DT_BF16: *p = 8, *emin = -126; return;
    case FTI_DT_F16: *p = 11, *emin = -14; return;
    case FTI_DT_F32: *p = 24, *emin = -126; return;
    default: *p = 53, *emin = -1022; return;
    }
}

/* tol_F = sqrt(sum_x (ulp(x)/2)^2) from the histogram of the double exponent fields of W':
 * a value with unbiased exponent E has ulp 2^(max(E, emin) - p + 1) in its dtype (zeros and
 * subnormals: the least subnormal, 2^(emin - p + 1)). Terms are scaled by the largest one and
 * added in ascending order with Neumaier's compensation. */
static double tol_from_hist(const uint64_t *h, fti_dtype dt) {
    int p, emin, emax = INT32_MIN;
    dtype_precision(dt, &p, &emin);
    for (int f = 0; f < EXP_SLOTS; f++)
        if (h[f]) emax = (f - 1023 > emin ? f - 1023 : emin);
    if (emax == INT32_MIN) return 0;
    double sum = 0, comp = 0;
    for (int f = 0; f < EXP_SLOTS; f++) {
        if (!h[f]) continue;
        int e = f - 1023 > emin ? f - 1023 : emin;
        double term = (double)h[f] * ldexp(1.0, 2 * (e - emax)), t = sum + term;
        comp += fabs(sum) >= fabs(term) ? (sum - t) + term : (term - t) + sum;
        sum = t;
    }
    return ldexp(sqrt(sum + comp), emax - p);
}

static fti_status bad_value(const fti_st_tensor *t, const chunk_res *c) {
    char q[256];
    return fti_fail(FTI_ERR_RANGE, "%s: tensor %s has %s at index %llu", t->path, fti_st_quote(q, sizeof q, t->name),
                    c->bad == FTI_FP_NAN ? "a NaN" : "an infinity", (unsigned long long)c->bad_idx);
}

/* Bits [o, o + nb) of data, least significant bit first. */
static unsigned bits_at(const uint8_t *data, uint64_t o, unsigned nb) {
    unsigned v = 0;
    for (unsigned j = 0; j < nb; j++) v |= (unsigned)((data[(o + j) >> 3] >> ((o + j) & 7)) & 1) << j;
    return v;
}

/* Dtypes fti does not decode: changed elements by their bytes (bits, for sub-byte elements). */
static void bytes_pass(fti_diff_tensor *t, const fti_st_tensor *b, const fti_st_tensor *u) {
    unsigned bits = fti_dtype_bits(b->dtype);
    uint64_t changed = 0;
    if (bits % 8 == 0) {
        size_t eb = bits / 8;
        for (uint64_t i = 0; i < b->numel; i++) changed += memcmp(b->data + i * eb, u->data + i * eb, eb) != 0;
    } else {
        for (uint64_t i = 0; i < b->numel; i++)
            changed += bits_at(b->data, i * bits, bits) != bits_at(u->data, i * bits, bits);
    }
    t->decoded = 0;
    t->changed = changed;
    t->norm_base = t->norm_tuned = t->norm_delta = t->rel_delta = t->max_abs_delta = NAN;
    t->max_index = 0;
}

/* Merges the chunk results in order into t and sums; the first failure decides the status. */
static void merge_encoded(fti_diff_encoded *e, const chunk_res *c) {
    if (!e->valid || !e->encodable) return;
    if (c->enc_bad) {
        e->encodable = 0;
        e->out_of_range = c->enc_bad_idx;
        e->changed = 0;
        e->delta_sq = 0;
        return;
    }
    e->changed += c->enc_changed;
    e->delta_sq += c->enc_sq;
}

static fti_status merge_chunks(fti_diff_tensor *t, diff_sums *sums, const chunk_res *c, size_t nch,
                               const fti_st_tensor *b, const fti_st_tensor *u) {
    for (size_t i = 0; i < nch; i++) {
        if (c[i].failed) return fti_fail(FTI_ERR_INTERNAL, "%s: tensor %s could not be decoded", b->path, b->name);
        if (c[i].bad) return bad_value(c[i].bad_tuned ? u : b, &c[i]);
        diff_ssq_merge(&sums->w, &c[i].sums.w);
        diff_ssq_merge(&sums->t, &c[i].sums.t);
        diff_ssq_merge(&sums->d, &c[i].sums.d);
        t->changed += c[i].changed;
        if (c[i].max_abs > t->max_abs_delta) t->max_abs_delta = c[i].max_abs, t->max_index = c[i].max_idx;
        merge_encoded(&t->enc, &c[i]);
    }
    t->norm_base = diff_ssq_value(&sums->w, 1);
    t->norm_tuned = diff_ssq_value(&sums->t, 1);
    t->norm_delta = diff_ssq_value(&sums->d, 1);
    t->rel_delta = t->norm_delta == 0 ? 0 : t->norm_base == 0 ? INFINITY : t->norm_delta / t->norm_base;
    return FTI_OK;
}

/* Per-thread scratch: two decoded chunks, two encoded ones, a histogram. */
typedef struct {
    int nt;
    double *vals;
    uint32_t *codes;
    uint64_t *hist;
    chunk_ctx *ctx;
} pass_scratch;

static void scratch_free(pass_scratch *p) {
    free(p->vals), free(p->codes), free(p->hist), free(p->ctx);
}

static int scratch_init(pass_scratch *p, int nt, int with_hist, int enc, int32_t s) {
    memset(p, 0, sizeof *p);
    p->nt = nt;
    p->vals = malloc((size_t)nt * 2 * CHUNK * sizeof *p->vals);
    p->codes = enc ? malloc((size_t)nt * 2 * CHUNK * sizeof *p->codes) : NULL;
    p->hist = with_hist ? calloc((size_t)nt * EXP_SLOTS, sizeof *p->hist) : NULL;
    p->ctx = calloc((size_t)nt, sizeof *p->ctx);
    if (!p->vals || (enc && !p->codes) || (with_hist && !p->hist) || !p->ctx) return 0;
    for (int k = 0; k < nt; k++) {
        chunk_ctx *x = &p->ctx[k];
        x->enc = enc, x->s = s;
        x->ub = enc ? p->codes + (size_t)k * 2 * CHUNK : NULL;
        x->uu = enc ? x->ub + CHUNK : NULL;
        x->hist = with_hist ? p->hist + (size_t)k * EXP_SLOTS : NULL;
    }
    return 1;
}

fti_status diff_pass(fti_diff_tensor *t, diff_sums *sums, double *tol_round, const fti_st_tensor *b,
                     const fti_st_tensor *u, double *delta, int threads) {
    diff_ssq_init(&sums->w), diff_ssq_init(&sums->t), diff_ssq_init(&sums->d);
    t->changed = 0, t->max_abs_delta = 0, t->max_index = 0;
    memset(&t->enc, 0, sizeof t->enc);
    if (tol_round) *tol_round = 0;
    if (!fti_dtype_committable(b->dtype)) {
        bytes_pass(t, b, u);
        return FTI_OK;
    }
    t->decoded = 1;
    /* a base with NaN/Inf has no quantum: no fixed-point figures, and the pass names the value */
    t->enc.valid = fti_quantum_exponent(&t->enc.quantum, b) == FTI_OK;
    t->enc.encodable = t->enc.valid;
    size_t nch = (size_t)((b->numel + CHUNK - 1) / CHUNK);
    int nt = threads < 1 ? 1 : threads;
    if (nch && (size_t)nt > nch) nt = (int)nch;
    chunk_res *c = calloc(nch ? nch : 1, sizeof *c);
    pass_scratch ps;
    fti_status st = FTI_ERR_NOMEM;
    if (!scratch_init(&ps, nt, tol_round != NULL, t->enc.valid, t->enc.quantum) || !c) {
        fti_fail(st, "%s: tensor %s: out of memory", b->path, b->name);
        goto out;
    }
#pragma omp parallel for num_threads(nt) schedule(dynamic, 1)
    for (size_t i = 0; i < nch; i++) {
        int id = omp_get_thread_num();
        uint64_t first = (uint64_t)i * CHUNK;
        size_t n = (size_t)(b->numel - first < CHUNK ? b->numel - first : CHUNK);
        double *wb = ps.vals + (size_t)id * 2 * CHUNK;
        chunk_run(&c[i], b, u, first, n, wb, wb + CHUNK, delta ? delta + first : NULL, &ps.ctx[id]);
    }
    st = merge_chunks(t, sums, c, nch, b, u);
    if (st == FTI_OK && tol_round) {
        for (int k = 1; k < nt; k++)
            for (int f = 0; f < EXP_SLOTS; f++) ps.hist[f] += ps.hist[(size_t)k * EXP_SLOTS + f];
        *tol_round = tol_from_hist(ps.hist, b->dtype);
    }
out:
    free(c);
    scratch_free(&ps);
    return st;
}
