/* The JSON report of fti diff (diff.h, schema version 1), built with jansson. */
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "diff/diff_internal.h"
#include "util/error.h"

/* A number, or null when it is not finite (JSON has no NaN or infinity). */
static json_t *jreal(double x) { return isfinite(x) ? json_real(x) : json_null(); }
static json_t *juint(uint64_t x) { return json_integer((json_int_t)x); }

/* Adds key -> v to o; a NULL v (allocation failure) is counted in *bad. */
static void put(json_t *o, const char *key, json_t *v, int *bad) {
    if (!v || json_object_set_new(o, key, v) != 0) *bad = 1;
}

/* The decimal digits of x (at most 39). */
static json_t *ju128(unsigned __int128 x) {
    char buf[48], *p = buf + sizeof buf - 1;
    *p = 0;
    do *--p = (char)('0' + (int)(x % 10)), x /= 10;
    while (x);
    return json_string(p);
}

static json_t *encoded_json(const fti_diff_encoded *e, int *bad) {
    if (!e->valid) return json_null();
    json_t *o = json_object();
    if (!o) return NULL;
    put(o, "quantum", json_integer(e->quantum), bad);
    put(o, "encodable", json_boolean(e->encodable), bad);
    put(o, "out_of_range_index", e->encodable ? json_null() : juint(e->out_of_range), bad);
    put(o, "changed", e->encodable ? juint(e->changed) : json_null(), bad);
    put(o, "delta_sq", e->encodable ? ju128(e->delta_sq) : json_null(), bad);
    put(o, "norm_delta", e->encodable ? jreal(ldexp(sqrt((double)e->delta_sq), e->quantum)) : json_null(), bad);
    return o;
}

static json_t *rank_json(const fti_diff_tensor *t, int *bad) {
    const fti_diff_rank *k = &t->rank;
    static const char *const method[] = {"none", "zero", "svd", "sketch"};
    if (k->method == FTI_RANK_NONE) return json_null();
    json_t *o = json_object();
    if (!o) return NULL;
    put(o, "rows", juint(k->rows), bad);
    put(o, "cols", juint(k->cols), bad);
    put(o, "out_axis", json_string(k->axis == FTI_OUT_LAST ? "last" : "first"), bad);
    put(o, "nonzero_rows", juint(k->nz_rows), bad);
    put(o, "nonzero_cols", juint(k->nz_cols), bad);
    put(o, "method", json_string(method[k->method]), bad);
    put(o, "sketch_cols", k->method == FTI_RANK_SKETCH ? juint(k->sketch_cols) : json_null(), bad);
    put(o, "tol_round", jreal(k->tol_round), bad);
    put(o, "rank", juint(k->lo), bad);
    put(o, "rank_hi", juint(k->hi), bad);
    put(o, "exact", json_boolean(k->lo == k->hi), bad);
    put(o, "residual", jreal(k->residual), bad);
    put(o, "tol", jreal(k->tol), bad);
    put(o, "rank_at_tol", juint(k->at_tol_lo), bad);
    put(o, "rank_at_tol_hi", juint(k->at_tol_hi), bad);
    put(o, "rank_at_tol_exact", json_boolean(k->at_tol_lo == k->at_tol_hi), bad);
    put(o, "sigma_max", jreal(k->sigma_max), bad);
    put(o, "sigma_max_exact", json_boolean(k->method != FTI_RANK_SKETCH), bad);
    return o;
}

static json_t *fits_json(const fti_diff_tensor *t, int *bad) {
    fti_diff_fits f;
    fti_diff_fits_of(&f, t);
    json_t *o = json_object();
    if (!o) return NULL;
    put(o, "frozen", json_boolean(f.frozen), bad);
    put(o, "sparse_k", juint(f.sparse_k), bad);
    put(o, "rank_r", f.has_rank ? juint(f.rank_r) : json_null(), bad);
    put(o, "rank_exact", json_boolean(f.has_rank && f.rank_exact), bad);
    put(o, "rank_residual", f.has_rank ? jreal(f.rank_residual) : json_null(), bad);
    put(o, "rank_residual_rel", f.has_rank ? jreal(f.rank_residual_rel) : json_null(), bad);
    put(o, "norm_tau", jreal(f.norm_tau), bad);
    put(o, "norm_rho", jreal(f.norm_rho), bad);
    return o;
}

static json_t *tensor_json(const fti_diff_tensor *t, int *bad) {
    json_t *o = json_object(), *shape = json_array();
    if (!o || !shape) {
        json_decref(o), json_decref(shape);
        return NULL;
    }
    for (unsigned i = 0; i < t->ndim; i++)
        if (json_array_append_new(shape, juint(t->shape[i])) != 0) *bad = 1;
    put(o, "name", json_string(t->name), bad);
    put(o, "dtype", json_string(fti_dtype_name(t->dtype)), bad);
    put(o, "shape", shape, bad);
    put(o, "numel", juint(t->numel), bad);
    put(o, "decoded", json_boolean(t->decoded), bad);
    put(o, "norm_base", jreal(t->norm_base), bad);
    put(o, "norm_tuned", jreal(t->norm_tuned), bad);
    put(o, "norm_delta", jreal(t->norm_delta), bad);
    put(o, "rel_delta", jreal(t->rel_delta), bad);
    put(o, "changed", juint(t->changed), bad);
    put(o, "changed_fraction", json_real(t->numel ? (double)t->changed / (double)t->numel : 0), bad);
    put(o, "max_abs_delta", jreal(t->max_abs_delta), bad);
    put(o, "max_abs_delta_index", t->decoded && t->changed ? juint(t->max_index) : json_null(), bad);
    put(o, "encoded", encoded_json(&t->enc, bad), bad);
    put(o, "rank", rank_json(t, bad), bad);
    put(o, "fits", fits_json(t, bad), bad);
    return o;
}

static json_t *totals_json(const fti_diff_totals *s, int *bad) {
    json_t *o = json_object();
    if (!o) return NULL;
    put(o, "tensors", juint(s->tensors), bad);
    put(o, "changed_tensors", juint(s->changed_tensors), bad);
    put(o, "numel", juint(s->numel), bad);
    put(o, "changed", juint(s->changed), bad);
    put(o, "changed_fraction", json_real(s->numel ? (double)s->changed / (double)s->numel : 0), bad);
    put(o, "norm_base", jreal(s->norm_base), bad);
    put(o, "norm_tuned", jreal(s->norm_tuned), bad);
    put(o, "norm_delta", jreal(s->norm_delta), bad);
    put(o, "rel_delta", jreal(s->rel_delta), bad);
    put(o, "max_abs_delta", jreal(s->max_abs_delta), bad);
    return o;
}

static json_t *header_json(json_t *root, const fti_diff_report *r, int *bad) {
    json_t *opt = json_object(), *notes = json_array();
    char note[1024];
    put(root, "fti_diff", json_integer(FTI_DIFF_JSON_VERSION), bad);
    put(root, "base", json_string(r->base), bad);
    put(root, "tuned", json_string(r->tuned), bad);
    if (opt) {
        put(opt, "tol", jreal(r->opts.tol), bad);
        put(opt, "svd_limit", juint(r->opts.svd_limit), bad);
        put(opt, "sketch_max", juint(r->opts.sketch_max), bad);
    }
    put(root, "options", opt, bad);
    for (size_t i = 0; notes && i < fti_diff_note_count(); i++) {
        fti_diff_note(note, sizeof note, i, &r->opts);
        if (json_array_append_new(notes, json_string(note)) != 0) *bad = 1;
    }
    put(root, "notes", notes, bad);
    return root;
}

fti_status fti_diff_to_json(char **out, const fti_diff_report *r) {
    int bad = 0;
    json_t *root = json_object(), *tensors = json_array();
    *out = NULL;
    if (root) header_json(root, r, &bad);
    for (size_t i = 0; tensors && i < r->n; i++)
        if (json_array_append_new(tensors, tensor_json(&r->t[i], &bad)) != 0) bad = 1;
    if (root) {
        put(root, "tensors", tensors, &bad);
        put(root, "totals", totals_json(&r->total, &bad), &bad);
    } else {
        json_decref(tensors);
    }
    char *text = root && !bad ? json_dumps(root, JSON_INDENT(2) | JSON_REAL_PRECISION(17)) : NULL;
    json_decref(root);
    size_t len = text ? strlen(text) : 0;
    char *s = text ? malloc(len + 2) : NULL;
    if (s) memcpy(s, text, len), s[len] = '\n', s[len + 1] = 0;
    free(text);
    if (!s) return fti_fail(FTI_ERR_NOMEM, "out of memory for the JSON report");
    *out = s;
    return FTI_OK;
}
