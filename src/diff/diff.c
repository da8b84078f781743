/* fti diff driver (diff.h): opens and matches the checkpoints, walks the tensor pairs in name
 * order one at a time, accumulates the totals. */
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "diff/diff_internal.h"
#include "util/error.h"

void fti_diff_options_init(fti_diff_options *o) {
    memset(o, 0, sizeof *o);
    o->tol = NAN;
    o->svd_limit = FTI_DIFF_SVD_LIMIT;
    o->sketch_max = FTI_DIFF_SKETCH_MAX;
}

static void tensor_free(fti_diff_tensor *t) {
    free(t->name);
    free(t->shape);
}

void fti_diff_free(fti_diff_report *r) {
    if (!r) return;
    for (size_t i = 0; i < r->n; i++) tensor_free(&r->t[i]);
    free(r->t);
    free(r->base);
    free(r->tuned);
    free(r);
}

static fti_status copy_meta(fti_diff_tensor *t, const fti_st_tensor *b) {
    t->name = strdup(b->name);
    t->shape = b->ndim ? malloc(b->ndim * sizeof *t->shape) : NULL;
    if (!t->name || (b->ndim && !t->shape)) return fti_fail(FTI_ERR_NOMEM, "out of memory");
    if (b->ndim) memcpy(t->shape, b->shape, b->ndim * sizeof *t->shape);
    t->dtype = b->dtype;
    t->ndim = b->ndim;
    t->numel = b->numel;
    return FTI_OK;
}

/* FNV-1a of the name: each tensor's sketch gets its own, reproducible, random matrix. */
static uint64_t name_seed(const char *s) {
    uint64_t h = 0xcbf29ce484222325ull;
    for (; *s; s++) h = (h ^ (uint8_t)*s) * 0x100000001b3ull;
    return h;
}

/* Rank figures of a matrix tensor from its Delta (consumed). */
static fti_status matrix_rank(fti_diff_tensor *t, double *delta, const fti_view *v, fti_out_axis axis,
                              double tol_round, const fti_diff_options *o) {
    diff_rank_params p = {o->tol, o->svd_limit, o->sketch_max, name_seed(t->name), t->name};
    t->rank.rows = v->rows;
    t->rank.cols = v->cols;
    t->rank.axis = axis;
    t->rank.tol_round = tol_round;
    return v->transposed ? diff_rank(&t->rank, delta, v->cols, v->rows, 1, &p)
                         : diff_rank(&t->rank, delta, v->rows, v->cols, 0, &p);
}

/* One tensor pair: the pass, and for matrices the rank from Delta held in float64. */
static fti_status tensor_diff(fti_diff_tensor *t, diff_sums *sums, const fti_st_tensor *b, const fti_st_tensor *u,
                              const fti_diff_options *o, int threads) {
    fti_status st = copy_meta(t, b);
    if (st != FTI_OK) return st;
    if (b->ndim < 2 || !fti_dtype_committable(b->dtype)) return diff_pass(t, sums, NULL, b, u, NULL, threads);
    fti_out_axis axis = fti_layout_out_axis(b->file ? fti_st_metadata_get(b->file, "layout") : NULL, b->ndim);
    fti_view v;
    double *delta = NULL, tol_round = 0;
    if ((st = fti_view_init(&v, b, axis)) != FTI_OK) return st;
    if (b->numel && !(delta = malloc(b->numel * sizeof *delta)))
        return fti_fail(FTI_ERR_NOMEM, "%s: tensor %s: cannot allocate %.0f MiB for its difference", b->path, b->name,
                        (double)b->numel * 8 / 1048576);
    st = diff_pass(t, sums, &tol_round, b, u, delta, threads);
    if (st == FTI_OK && (st = matrix_rank(t, delta, &v, axis, tol_round, o)) != FTI_OK)
        fti_error_prefix("%s", b->path); /* diff_rank names the tensor, not its file */
    free(delta);
    return st;
}

static void add_totals(fti_diff_totals *tot, diff_sums *all, const fti_diff_tensor *t, const diff_sums *s) {
    tot->tensors++;
    tot->changed_tensors += t->changed > 0;
    tot->numel += t->numel;
    tot->changed += t->changed;
    if (!t->decoded) return;
    diff_ssq_merge(&all->w, &s->w);
    diff_ssq_merge(&all->t, &s->t);
    diff_ssq_merge(&all->d, &s->d);
    if (t->max_abs_delta > tot->max_abs_delta) tot->max_abs_delta = t->max_abs_delta;
}

static void finish_totals(fti_diff_totals *tot, const diff_sums *all) {
    tot->norm_base = diff_ssq_value(&all->w, 1);
    tot->norm_tuned = diff_ssq_value(&all->t, 1);
    tot->norm_delta = diff_ssq_value(&all->d, 1);
    tot->rel_delta = tot->norm_delta == 0 ? 0 : tot->norm_base == 0 ? INFINITY : tot->norm_delta / tot->norm_base;
}


/* The tensor loop: the next pair is prefetched while this one is computed; each pair's pages
 * are released once done, so the resident set stays near one tensor pair. */
static fti_status walk(fti_diff_report *r, const fti_ckpt *base, const fti_ckpt *tuned, const fti_diff_options *o,
                       int threads) {
    diff_sums all;
    diff_ssq_init(&all.w), diff_ssq_init(&all.t), diff_ssq_init(&all.d);
    uint64_t bytes_done = 0, bytes_total = 0;
    for (size_t i = 0; i < r->n; i++) bytes_total += 2 * fti_ckpt_tensor(base, i)->nbytes;
    for (size_t i = 0; i < r->n; i++) {
        const fti_st_tensor *b = fti_ckpt_tensor(base, i), *u = fti_ckpt_tensor(tuned, i);
        if (i + 1 < r->n) fti_ckpt_prefetch(fti_ckpt_tensor(base, i + 1)), fti_ckpt_prefetch(fti_ckpt_tensor(tuned, i + 1));
        diff_sums s;
        fti_status st = tensor_diff(&r->t[i], &s, b, u, o, threads);
        fti_ckpt_release(b);
        fti_ckpt_release(u);
        if (st != FTI_OK) return st;
        add_totals(&r->total, &all, &r->t[i], &s);
        bytes_done += 2 * b->nbytes;
        if (o->progress) o->progress(o->progress_ctx, i + 1, r->n, bytes_done, bytes_total);
    }
    finish_totals(&r->total, &all);
    return FTI_OK;
}

fti_status fti_diff_ckpts(fti_diff_report **out, const fti_ckpt *base, const fti_ckpt *tuned,
                          const fti_diff_options *opts) {
    fti_diff_options o;
    if (opts) o = *opts;
    else fti_diff_options_init(&o);
    *out = NULL;
    if (!o.sketch_max) o.sketch_max = 1;
    if (!(o.tol >= 0 && o.tol <= 1) && !isnan(o.tol))
        return fti_fail(FTI_ERR_ARG, "diff: tol %g is not in [0, 1]", o.tol);
    fti_status st = diff_match(base, tuned);
    if (st != FTI_OK) return st;
    int threads = o.threads > 0 ? o.threads : omp_get_max_threads();
    int blas_before = openblas_get_num_threads ? openblas_get_num_threads() : 0;
    if (openblas_set_num_threads) openblas_set_num_threads(threads);
    fti_diff_report *r = calloc(1, sizeof *r);
    st = FTI_ERR_NOMEM;
    if (!r || !(r->base = strdup(fti_ckpt_path(base))) || !(r->tuned = strdup(fti_ckpt_path(tuned))) ||
        !(r->t = calloc(fti_ckpt_count(base) + 1, sizeof *r->t))) {
        fti_fail(st, "out of memory");
        goto out;
    }
    r->opts = o;
    r->opts.progress = NULL;
    r->opts.progress_ctx = NULL;
    r->n = fti_ckpt_count(base);
    if ((st = walk(r, base, tuned, &o, threads)) == FTI_OK) *out = r, r = NULL;
out:
    if (openblas_set_num_threads && blas_before > 0) openblas_set_num_threads(blas_before);
    fti_diff_free(r);
    return st;
}

fti_status fti_diff_paths(fti_diff_report **out, const char *base, const char *tuned, const fti_diff_options *opts) {
    fti_ckpt *b = NULL, *u = NULL;
    *out = NULL;
    fti_status st = fti_ckpt_open(&b, base);
    if (st == FTI_OK) st = fti_ckpt_open(&u, tuned);
    if (st == FTI_OK) st = fti_diff_ckpts(out, b, u, opts);
    fti_ckpt_close(u);
    fti_ckpt_close(b);
    return st;
}

void fti_diff_fits_of(fti_diff_fits *f, const fti_diff_tensor *t) {
    memset(f, 0, sizeof *f);
    f->frozen = t->changed == 0;
    f->sparse_k = t->changed;
    f->has_rank = t->rank.method != FTI_RANK_NONE;
    if (f->has_rank) {
        f->rank_r = t->rank.hi > 1 ? t->rank.hi : 1;
        f->rank_exact = t->rank.lo == t->rank.hi;
        f->rank_residual = t->rank.residual;
        f->rank_residual_rel = t->rank.residual == 0 ? 0 : t->norm_base == 0 ? INFINITY : t->rank.residual / t->norm_base;
    }
    f->norm_tau = t->decoded ? t->norm_delta : NAN;
    f->norm_rho = t->decoded ? t->rel_delta : NAN;
}
