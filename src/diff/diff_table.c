/* The human report of fti diff (diff.h, fti_diff_print): an aligned table and its notes. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "diff/diff_internal.h"
#include "util/error.h"

/* ---- notes ----------------------------------------------------------------------------------- */

size_t fti_diff_note_count(void) { return 4; }

void fti_diff_note(char *buf, size_t cap, size_t i, const fti_diff_options *o) {
    if (cap) buf[0] = 0;
    switch (i) {
    case 0:
        snprintf(buf, cap,
                 "rank: the least r with sqrt(sum_{i>r} sigma_i^2) <= tol_F, where tol_F = "
                 "sqrt(sum_ij (ulp(W'_ij)/2)^2) <= u*||W'||_F bounds what rounding the tuned tensor to its "
                 "dtype adds to Delta (u = 2^-8 BF16, 2^-11 F16, 2^-24 F32, 2^-53 F64): a rank-r update "
                 "stored after rounding shows rank <= r, and \"rank <= r, residual <= tol_F\" fits");
        break;
    case 1:
        if (isnan(o->tol))
            snprintf(buf, cap, "rank@tol: #{i : sigma_i > tol * sigma_1} with tol = max(rows, cols) * 2^-52 "
                               "(numpy matrix_rank's default): the rank of Delta in double precision");
        else
            snprintf(buf, cap, "rank@tol: #{i : sigma_i > tol * sigma_1} with tol = %.17g (--tol)", o->tol);
        break;
    case 2:
        snprintf(buf, cap,
                 "singular values: all-zero rows and columns dropped, then LAPACK dgesdd (exact) when "
                 "min(rows, cols) <= %llu, else a randomized sketch (%llu to %llu columns, 2 then 1 power "
                 "iterations) that proves bounds lo..hi; \">= lo (est)\" when the sketch could not close them",
                 (unsigned long long)o->svd_limit,
                 (unsigned long long)(o->sketch_max < FTI_DIFF_SKETCH_MIN ? o->sketch_max : FTI_DIFF_SKETCH_MIN),
                 (unsigned long long)o->sketch_max);
        break;
    case 3:
        snprintf(buf, cap,
                 "changed: entries whose decoded values differ (+0 equals -0); smallest passing parameters: "
                 "frozen if changed = 0, sparse k = changed, rank r = rank with residual resid*||W||_F, "
                 "norm tau = ||dW||_F or rho = rel");
        break;
    default: break;
    }
}

/* ---- cells ----------------------------------------------------------------------------------- */

enum { C_NAME, C_SHAPE, C_DTYPE, C_NW, C_ND, C_REL, C_CHANGED, C_FRAC, C_MAX, C_VIEW, C_RANK, C_RTOL, C_RES, NCOL };
#define CELL 64

static const char *const header[NCOL] = {"tensor", "shape",  "dtype", "||W||_F", "||dW||_F", "rel",  "changed",
                                         "frac",   "max|dW|", "view",  "rank",    "rank@tol", "resid"};

typedef struct {
    const char *name; /* the name column is not copied (names can be long) */
    char c[NCOL][CELL];
} row;

static void fmt_real(char *out, double x) {
    if (isnan(x)) snprintf(out, CELL, "-");
    else if (x == 0) snprintf(out, CELL, "0");
    else snprintf(out, CELL, "%.4g", x);
}

/* The changed fraction, never shown as 1 unless every entry changed (%.4g would round 0.99996). */
static void fmt_frac(char *out, uint64_t changed, uint64_t numel) {
    double f = numel ? (double)changed / (double)numel : 0;
    if (changed < numel && f > 0.99995) snprintf(out, CELL, ">0.9999");
    else fmt_real(out, f);
}

static void fmt_shape(char *out, const fti_diff_tensor *t) {
    size_t at = 0;
    if (!t->ndim) snprintf(out, CELL, "[]");
    for (unsigned i = 0; i < t->ndim && at < CELL; i++)
        at += (size_t)snprintf(out + at, CELL - at, "%s%llu", i ? "x" : "", (unsigned long long)t->shape[i]);
}

/* "16" (exact), "12..16 (est)" (a bracket), ">=500 (est)" (no upper bound below full rank). */
static void fmt_bracket(char *out, uint64_t lo, uint64_t hi, uint64_t full) {
    if (lo == hi) snprintf(out, CELL, "%llu", (unsigned long long)lo);
    else if (hi >= full) snprintf(out, CELL, ">=%llu (est)", (unsigned long long)lo);
    else snprintf(out, CELL, "%llu..%llu (est)", (unsigned long long)lo, (unsigned long long)hi);
}

static void fill_rank(row *r, const fti_diff_tensor *t) {
    const fti_diff_rank *k = &t->rank;
    if (k->method == FTI_RANK_NONE) {
        snprintf(r->c[C_VIEW], CELL, "-"), snprintf(r->c[C_RANK], CELL, "-");
        snprintf(r->c[C_RTOL], CELL, "-"), snprintf(r->c[C_RES], CELL, "-");
        return;
    }
    uint64_t full = k->nz_rows < k->nz_cols ? k->nz_rows : k->nz_cols;
    snprintf(r->c[C_VIEW], CELL, "%llux%llu", (unsigned long long)k->rows, (unsigned long long)k->cols);
    fmt_bracket(r->c[C_RANK], k->lo, k->hi, full);
    fmt_bracket(r->c[C_RTOL], k->at_tol_lo, k->at_tol_hi, full);
    fti_diff_fits f;
    fti_diff_fits_of(&f, t);
    fmt_real(r->c[C_RES], f.rank_residual_rel);
}

static void fill_tensor(row *r, const fti_diff_tensor *t) {
    r->name = t->name;
    fmt_shape(r->c[C_SHAPE], t);
    snprintf(r->c[C_DTYPE], CELL, "%s", fti_dtype_name(t->dtype));
    fmt_real(r->c[C_NW], t->norm_base);
    fmt_real(r->c[C_ND], t->norm_delta);
    fmt_real(r->c[C_REL], t->rel_delta);
    snprintf(r->c[C_CHANGED], CELL, "%llu", (unsigned long long)t->changed);
    fmt_frac(r->c[C_FRAC], t->changed, t->numel);
    fmt_real(r->c[C_MAX], t->max_abs_delta);
    fill_rank(r, t);
}

static void fill_total(row *r, const fti_diff_totals *s, char *label, size_t cap) {
    snprintf(label, cap, "total: %zu tensors, %zu changed", s->tensors, s->changed_tensors);
    r->name = label;
    snprintf(r->c[C_SHAPE], CELL, "%llu params", (unsigned long long)s->numel);
    snprintf(r->c[C_DTYPE], CELL, "-");
    fmt_real(r->c[C_NW], s->norm_base);
    fmt_real(r->c[C_ND], s->norm_delta);
    fmt_real(r->c[C_REL], s->rel_delta);
    snprintf(r->c[C_CHANGED], CELL, "%llu", (unsigned long long)s->changed);
    fmt_frac(r->c[C_FRAC], s->changed, s->numel);
    fmt_real(r->c[C_MAX], s->max_abs_delta);
    for (int c = C_VIEW; c < NCOL; c++) snprintf(r->c[c], CELL, "-");
}

/* ---- printing -------------------------------------------------------------------------------- */

/* "* " and the text wrapped at about 100 columns, continuation lines indented by 2. */
static void print_note(FILE *f, const char *s) {
    const size_t width = 100;
    size_t col = 1;
    fputc('*', f);
    while (*s) {
        size_t word = strcspn(s, " ");
        if (col > 2 && col + 1 + word > width) fputs("\n ", f), col = 1;
        fputc(' ', f);
        fwrite(s, 1, word, f);
        col += 1 + word;
        s += word;
        s += strspn(s, " ");
    }
    fputc('\n', f);
}

static void print_row(FILE *f, const row *r, const size_t *w) {
    fprintf(f, "%-*s", (int)w[C_NAME], r->name);
    for (int c = 1; c < NCOL; c++) {
        int left = c == C_SHAPE || c == C_DTYPE;
        fprintf(f, left ? "  %-*s" : "  %*s", (int)w[c], r->c[c]);
    }
    fputc('\n', f);
}

fti_status fti_diff_print(FILE *f, const fti_diff_report *rep) {
    size_t n = rep->n + 2, w[NCOL] = {0};
    char label[128], note[1024];
    row *rows = calloc(n, sizeof *rows);
    if (!rows) return fti_fail(FTI_ERR_NOMEM, "out of memory");
    rows[0].name = header[C_NAME];
    for (int c = 1; c < NCOL; c++) snprintf(rows[0].c[c], CELL, "%s", header[c]);
    for (size_t i = 0; i < rep->n; i++) fill_tensor(&rows[i + 1], &rep->t[i]);
    fill_total(&rows[n - 1], &rep->total, label, sizeof label);
    for (size_t i = 0; i < n; i++) {
        size_t len = strlen(rows[i].name);
        w[C_NAME] = len > w[C_NAME] ? len : w[C_NAME];
        for (int c = 1; c < NCOL; c++) w[c] = strlen(rows[i].c[c]) > w[c] ? strlen(rows[i].c[c]) : w[c];
    }
    fprintf(f, "base:  %s\ntuned: %s\n\n", rep->base, rep->tuned);
    for (size_t i = 0; i < n; i++) {
        if (i == n - 1) fputc('\n', f);
        print_row(f, &rows[i], w);
    }
    fputc('\n', f);
    for (size_t i = 0; i < fti_diff_note_count(); i++) {
        fti_diff_note(note, sizeof note, i, &rep->opts);
        print_note(f, note);
    }
    free(rows);
    return ferror(f) ? fti_fail(FTI_ERR_IO, "cannot write the report") : FTI_OK;
}
