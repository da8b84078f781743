/* fti diff (src/diff/diff.h, src/cli/cmd_diff.c): synthetic checkpoints with known updates
 * (frozen, exactly k changed entries, exact rank r, rank r rounded to BF16 / F16, a dense update
 * of known norm, HWIO kernels, integer tensors), every figure compared with the independent numpy
 * oracle tests/oracle/diff_oracle.py; the randomized sketch against the exact SVD; errors
 * (tensor sets, shapes, dtypes, NaN, infinities, unreadable files); the command's table, JSON
 * and exit codes; and the genuine human_faceres pair against the oracle and the figures in
 * ../shared/models/README.md. */
#include <fcntl.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "diff/diff.h"
#include "diff/diff_internal.h"
#include "diff_fixtures.h"
#include "test.h"

/* The command itself is compiled into this program (the tool's main.c registers it), so that
 * its option parsing, output and exit codes are tested without a separate binary; with it the
 * CLI's progress line, which the library does not contain. */
#include "cli/cmd_diff.c"
#include "cli/progress.c"

int cli_error(void) {
    fprintf(stderr, "fti: error: %s\n", fti_last_error());
    return 2;
}

#define ORACLE_PYTHON "/usr/bin/python3"

/* ---- files ----------------------------------------------------------------------------------- */

static const char *tmp_file(char *buf, size_t cap, const char *name) {
    snprintf(buf, cap, "%s/%s", test_tmpdir(), name);
    return buf;
}

static fix_rng rng_for_case(void) {
    fix_rng r = {test_rand()};
    return r;
}

/* Values of a rows x cols matrix: scale * Gaussian, rounded to dt. */
static double *gauss_matrix(fix_rng *r, uint64_t n, double scale, fti_dtype dt) {
    double *v = malloc(n * sizeof *v);
    for (uint64_t i = 0; v && i < n; i++) v[i] = fix_stored(dt, scale * fix_gauss(r));
    return v;
}

static void round_all(double *v, uint64_t n, fti_dtype dt) {
    for (uint64_t i = 0; i < n; i++) v[i] = fix_stored(dt, v[i]);
}

/* ---- the oracle ------------------------------------------------------------------------------ */

static int oracle_ok(void) { return access(ORACLE_PYTHON, X_OK) == 0; }

static json_t *run_oracle(const char *base, const char *tuned, const char *extra) {
    char cmd[4096];
    snprintf(cmd, sizeof cmd, "%s '%s/tests/oracle/diff_oracle.py' '%s' '%s' %s", ORACLE_PYTHON, test_source_dir(),
             base, tuned, extra ? extra : "");
    FILE *p = popen(cmd, "r");
    if (!p) return NULL;
    json_error_t err;
    json_t *o = json_loadf(p, 0, &err);
    int rc = pclose(p);
    if (!o || rc != 0) {
        fprintf(stderr, "  oracle failed (exit %d, %s): %s\n", rc, err.text, cmd);
        json_decref(o);
        return NULL;
    }
    return o;
}

/* A JSON number or null (NaN). */
static double jnum(const json_t *o, const char *key) {
    const json_t *v = json_object_get(o, key);
    return json_is_number(v) ? json_number_value(v) : NAN;
}

static uint64_t juint_of(const json_t *o, const char *key) { return (uint64_t)json_integer_value(json_object_get(o, key)); }

/* a and b agree to a relative rel, or are both non-finite / null. */
static int close_to(double a, double b, double rel) {
    if (!isfinite(a) || !isfinite(b)) return !isfinite(a) && !isfinite(b);
    return a == b || fabs(a - b) <= rel * fmax(fabs(a), fabs(b));
}

#define EXPECT(cond, ...)                                                          \
    do {                                                                           \
        if (!(cond)) {                                                             \
            fprintf(stderr, "  %s: ", name);                                       \
            fprintf(stderr, __VA_ARGS__);                                          \
            fputc('\n', stderr);                                                   \
            return 0;                                                              \
        }                                                                          \
    } while (0)

/* C's bracket [lo, hi] meets the oracle's interval, and is a single value when exact. */
static int bracket_ok(uint64_t lo, uint64_t hi, const json_t *amb, int exact) {
    uint64_t a = (uint64_t)json_integer_value(json_array_get(amb, 0)), b = (uint64_t)json_integer_value(json_array_get(amb, 1));
    if (exact && lo != hi) return 0;
    return lo <= b && hi >= a;
}

static int compare_rank(const char *name, const fti_diff_rank *k, const json_t *o) {
    int exact = k->method != FTI_RANK_SKETCH;
    EXPECT(k->rows == juint_of(o, "rows") && k->cols == juint_of(o, "cols"), "view %llux%llu", (unsigned long long)k->rows,
           (unsigned long long)k->cols);
    EXPECT(!strcmp(k->axis == FTI_OUT_LAST ? "last" : "first", json_string_value(json_object_get(o, "out_axis"))),
           "out axis");
    EXPECT(k->nz_rows == juint_of(o, "nonzero_rows") && k->nz_cols == juint_of(o, "nonzero_cols"), "nonzero %llu x %llu",
           (unsigned long long)k->nz_rows, (unsigned long long)k->nz_cols);
    EXPECT(close_to(k->tol_round, jnum(o, "tol_round"), 1e-14), "tol_round %.17g vs %.17g", k->tol_round,
           jnum(o, "tol_round"));
    EXPECT(close_to(k->tol, jnum(o, "tol"), 0), "tol %.17g vs %.17g", k->tol, jnum(o, "tol"));
    EXPECT(bracket_ok(k->lo, k->hi, json_object_get(o, "rank_amb"), exact), "rank %llu..%llu vs oracle %llu",
           (unsigned long long)k->lo, (unsigned long long)k->hi, (unsigned long long)juint_of(o, "rank"));
    EXPECT(bracket_ok(k->at_tol_lo, k->at_tol_hi, json_object_get(o, "rank_at_tol_amb"), exact),
           "rank@tol %llu..%llu vs oracle %llu", (unsigned long long)k->at_tol_lo, (unsigned long long)k->at_tol_hi,
           (unsigned long long)juint_of(o, "rank_at_tol"));
    double s = jnum(o, "sigma_max");
    if (exact) EXPECT(close_to(k->sigma_max, s, 1e-10), "sigma_max %.17g vs %.17g", k->sigma_max, s);
    else EXPECT(k->sigma_max <= s * (1 + 1e-12) && k->sigma_max >= s * 0.8, "sketch sigma_max %.17g vs %.17g",
                k->sigma_max, s);
    EXPECT(k->residual <= k->tol_round || k->hi == (k->nz_rows < k->nz_cols ? k->nz_rows : k->nz_cols),
           "residual %.17g above tol_F %.17g", k->residual, k->tol_round);
    return 1;
}

static int compare_encoded(const char *name, const fti_diff_encoded *e, const json_t *o) {
    char sq[48], *p = sq + sizeof sq - 1;
    unsigned __int128 x = e->delta_sq;
    *p = 0;
    do *--p = (char)('0' + (int)(x % 10)), x /= 10;
    while (x);
    EXPECT(e->valid && e->quantum == (int32_t)json_integer_value(json_object_get(o, "quantum")), "quantum %d",
           (int)e->quantum);
    EXPECT(e->encodable == json_is_true(json_object_get(o, "encodable")), "encodable");
    if (!e->encodable)
        EXPECT(e->out_of_range == juint_of(o, "out_of_range_index"), "out of range at %llu",
               (unsigned long long)e->out_of_range);
    else
        EXPECT(e->changed == juint_of(o, "changed") && !strcmp(p, json_string_value(json_object_get(o, "delta_sq"))),
               "encoded changed %llu, delta_sq %s vs %s", (unsigned long long)e->changed, p,
               json_string_value(json_object_get(o, "delta_sq")));
    return 1;
}

static int compare_tensor(const fti_diff_tensor *t, const json_t *o) {
    const char *name = t->name;
    EXPECT(!strcmp(t->name, json_string_value(json_object_get(o, "name"))), "name vs %s",
           json_string_value(json_object_get(o, "name")));
    EXPECT(!strcmp(fti_dtype_name(t->dtype), json_string_value(json_object_get(o, "dtype"))), "dtype");
    EXPECT(t->numel == juint_of(o, "numel"), "numel");
    EXPECT(t->changed == juint_of(o, "changed"), "changed %llu vs %llu", (unsigned long long)t->changed,
           (unsigned long long)juint_of(o, "changed"));
    EXPECT(t->decoded == json_is_true(json_object_get(o, "decoded")), "decoded");
    if (!t->decoded) return t->rank.method == FTI_RANK_NONE && !t->enc.valid;
    EXPECT(close_to(t->norm_base, jnum(o, "norm_base"), 1e-15), "norm_base %.17g vs %.17g", t->norm_base,
           jnum(o, "norm_base"));
    EXPECT(close_to(t->norm_tuned, jnum(o, "norm_tuned"), 1e-15), "norm_tuned %.17g vs %.17g", t->norm_tuned,
           jnum(o, "norm_tuned"));
    EXPECT(close_to(t->norm_delta, jnum(o, "norm_delta"), 1e-15), "norm_delta %.17g vs %.17g", t->norm_delta,
           jnum(o, "norm_delta"));
    EXPECT(close_to(t->rel_delta, jnum(o, "rel_delta"), 3e-15), "rel_delta %.17g vs %.17g", t->rel_delta,
           jnum(o, "rel_delta"));
    EXPECT(t->max_abs_delta == jnum(o, "max_abs_delta"), "max %.17g vs %.17g", t->max_abs_delta,
           jnum(o, "max_abs_delta"));
    const json_t *mi = json_object_get(o, "max_abs_delta_index");
    EXPECT(t->changed ? t->max_index == (uint64_t)json_integer_value(mi) : json_is_null(mi), "max index %llu",
           (unsigned long long)t->max_index);
    if (!compare_encoded(name, &t->enc, json_object_get(o, "encoded"))) return 0;
    const json_t *rk = json_object_get(o, "rank");
    EXPECT((t->rank.method == FTI_RANK_NONE) == json_is_null(rk), "rank presence");
    return json_is_null(rk) || compare_rank(name, &t->rank, rk);
}

static int compare_totals(const fti_diff_totals *s, const json_t *o) {
    const char *name = "totals";
    EXPECT(s->tensors == juint_of(o, "tensors") && s->changed_tensors == juint_of(o, "changed_tensors"), "counts");
    EXPECT(s->numel == juint_of(o, "numel") && s->changed == juint_of(o, "changed"), "numel/changed");
    EXPECT(close_to(s->norm_base, jnum(o, "norm_base"), 1e-15), "norm_base %.17g vs %.17g", s->norm_base,
           jnum(o, "norm_base"));
    EXPECT(close_to(s->norm_tuned, jnum(o, "norm_tuned"), 1e-15), "norm_tuned");
    EXPECT(close_to(s->norm_delta, jnum(o, "norm_delta"), 1e-15), "norm_delta %.17g vs %.17g", s->norm_delta,
           jnum(o, "norm_delta"));
    EXPECT(close_to(s->rel_delta, jnum(o, "rel_delta"), 3e-15), "rel_delta");
    EXPECT(s->max_abs_delta == jnum(o, "max_abs_delta"), "max");
    return 1;
}

/* Every figure of r against the oracle run on the same files. */
static int matches_oracle(const fti_diff_report *r, const char *base, const char *tuned, const char *extra) {
    json_t *o = run_oracle(base, tuned, extra);
    const json_t *ts = json_object_get(o, "tensors");
    int ok = o && json_array_size(ts) == r->n;
    for (size_t i = 0; ok && i < r->n; i++) ok = compare_tensor(&r->t[i], json_array_get(ts, i));
    ok = ok && compare_totals(&r->total, json_object_get(o, "totals"));
    json_decref(o);
    return ok;
}

static fti_diff_report *diff_with(const char *base, const char *tuned, const fti_diff_options *o) {
    fti_diff_report *r = NULL;
    fti_status st = fti_diff_paths(&r, base, tuned, o);
    if (st != FTI_OK) fprintf(stderr, "  diff failed: %s\n", fti_last_error());
    return r;
}

static const fti_diff_tensor *find_tensor(const fti_diff_report *r, const char *name) {
    for (size_t i = 0; i < r->n; i++)
        if (!strcmp(r->t[i].name, name)) return &r->t[i];
    return NULL;
}

#define NEED_ORACLE()                                              \
    do {                                                           \
        if (!oracle_ok()) {                                        \
            test_skip("no " ORACLE_PYTHON " (numpy) for the oracle"); \
            return;                                                \
        }                                                          \
    } while (0)

/* ---- unit checks ----------------------------------------------------------------------------- */

/* Sums of squares stay exact across huge dynamic ranges (F64) and chunk merges. */
static void test_diff__ssq_exact(void) {
    diff_ssq s, t;
    double big[2] = {0x3p600, 0x4p600}, small[2] = {0x3p-600, -0x4p-600}, unit[3] = {1, 2, 2};
    diff_ssq_init(&s);
    diff_ssq_add(&s, big, 2); /* the squares alone would overflow, or underflow below */
    CHECK(diff_ssq_value(&s, 1) == 0x5p600);
    diff_ssq_init(&t);
    diff_ssq_add(&t, small, 2);
    CHECK(diff_ssq_value(&t, 1) == 0x5p-600);
    diff_ssq_merge(&t, &s);
    CHECK(diff_ssq_value(&t, 1) == 0x5p600);
    diff_ssq_init(&s);
    diff_ssq_add(&s, unit, 3);
    CHECK(diff_ssq_value(&s, 1) == 3 && diff_ssq_value(&s, 0) == 9);
    /* 1 + 2^-60 + ... : a double sum would lose the small terms entirely */
    double x[5] = {1, 0x1p-30, 0x1p-30, 0x1p-30, 0x1p-30};
    diff_ssq_init(&s);
    diff_ssq_add(&s, x, 1);
    diff_ssq_init(&t);
    diff_ssq_add(&t, x + 1, 4);
    diff_ssq_merge(&s, &t);
    CHECK(ldexp(s.hi, 2 * s.e) == 1 && ldexp(s.lo, 2 * s.e) == 0x1p-58); /* kept in the low part */
    CHECK(diff_ssq_value(&s, 0) == 1);
}

/* The bracket rules on hand-made singular values. */
static void test_diff__brackets(void) {
    fti_diff_rank r;
    double s[5] = {10, 5, 1, 0.01, 0.001};
    memset(&r, 0, sizeof r);
    r.tol_round = 0.1;
    diff_rank_brackets(&r, s, 5, 0, 5, 1e-4); /* exact: tail after 3 is 0.01005 <= 0.1 */
    CHECK(r.lo == 3 && r.hi == 3 && r.at_tol_lo == 4 && r.at_tol_hi == 4 && r.sigma_max == 10);
    CHECK(close_to(r.residual, hypot(0.01, 0.001), 1e-15));
    diff_rank_brackets(&r, s, 5, 0, 5, 1e-3); /* 0.01 is not above 1e-3 * 10 */
    CHECK(r.at_tol_lo == 3 && r.at_tol_hi == 3);
    diff_rank_brackets(&r, s, 5, 0.05, 100, 1e-4); /* a sketch: residual 0.05 still fits */
    CHECK(r.lo == 3 && r.hi == 3 && r.at_tol_lo == 4 && r.at_tol_hi == 100);
    diff_rank_brackets(&r, s, 5, 0.2, 100, 1e-4); /* residual beyond tol_F: no upper bound */
    CHECK(r.lo == 3 && r.hi == 100 && r.residual == 0 && r.at_tol_hi == 100 && r.at_tol_lo == 4);
    diff_rank_brackets(&r, s, 5, 1e-9, 100, 1e-4); /* tiny residual: s_5 = 0.001 at the threshold */
    CHECK(r.at_tol_lo == 4 && r.at_tol_hi == 5);        /* might be just above it */
    r.tol_round = 1.2;
    diff_rank_brackets(&r, s, 5, 0.7, 100, 1e-4);
    CHECK(r.lo == 2 && r.hi == 3); /* tail_2 = 1.00005 fits alone, not with 0.7 added */
}

/* ---- synthetic checkpoints ------------------------------------------------------------------- */

static void test_diff__frozen(void) {
    NEED_ORACLE();
    fix_rng g = rng_for_case();
    char pb[512], pt[512];
    double *w = gauss_matrix(&g, 40 * 30, 0.1, FTI_DT_F32), *b = gauss_matrix(&g, 30, 0.01, FTI_DT_F32), s = 0.5;
    fix_tensor t[3] = {{"a.weight", FTI_DT_F32, 2, {40, 30}, w, NULL},
                       {"b.bias", FTI_DT_F32, 1, {30}, b, NULL},
                       {"scale", FTI_DT_F32, 0, {0}, &s, NULL}};
    CHECK(fix_write(tmp_file(pb, sizeof pb, "frozen_b.safetensors"), t, 3, NULL));
    CHECK(fix_write(tmp_file(pt, sizeof pt, "frozen_t.safetensors"), t, 3, NULL));
    fti_diff_report *r = diff_with(pb, pt, NULL);
    CHECK(r && r->n == 3 && r->total.changed == 0 && r->total.changed_tensors == 0 && r->total.norm_delta == 0);
    const fti_diff_tensor *a = find_tensor(r, "a.weight");
    fti_diff_fits f;
    fti_diff_fits_of(&f, a);
    CHECK(a->rank.method == FTI_RANK_ZERO && a->rank.lo == 0 && a->rank.nz_rows == 0 && f.frozen && f.sparse_k == 0);
    CHECK(find_tensor(r, "scale")->norm_base == 0.5 && find_tensor(r, "scale")->ndim == 0);
    CHECK(matches_oracle(r, pb, pt, NULL));
    fti_diff_free(r);
    free(w), free(b);
}

/* A directory holding model.safetensors against a sharded checkpoint (index + 2 shards): the
 * tensors are matched by name across files. */
static void test_diff__sharded(void) {
    fix_rng g = rng_for_case();
    char dir[512], pb[600], s1[600], s2[600], idx[600];
    double *w = gauss_matrix(&g, 24 * 16, 0.1, FTI_DT_F32), *u = malloc(24 * 16 * sizeof *u), b[16] = {0};
    memcpy(u, w, 24 * 16 * sizeof *u);
    u[5] += 1; /* F32 values of about 0.1: + 1 is exact enough to change */
    fix_tensor tb[2] = {{"bias", FTI_DT_F32, 1, {16}, b, NULL}, {"w", FTI_DT_F32, 2, {24, 16}, w, NULL}};
    fix_tensor tw = {"w", FTI_DT_F32, 2, {24, 16}, u, NULL};
    snprintf(dir, sizeof dir, "%s/basedir", test_tmpdir());
    CHECK(mkdir(dir, 0755) == 0);
    snprintf(pb, sizeof pb, "%s/model.safetensors", dir);
    snprintf(s1, sizeof s1, "%s/model-00001-of-00002.safetensors", test_tmpdir());
    snprintf(s2, sizeof s2, "%s/model-00002-of-00002.safetensors", test_tmpdir());
    snprintf(idx, sizeof idx, "%s/model.safetensors.index.json", test_tmpdir());
    CHECK(fix_write(pb, tb, 2, NULL) && fix_write(s1, &tb[0], 1, NULL) && fix_write(s2, &tw, 1, NULL));
    FILE *f = fopen(idx, "w");
    CHECK(f);
    fprintf(f, "{\"metadata\": {}, \"weight_map\": {\"bias\": \"model-00001-of-00002.safetensors\", "
               "\"w\": \"model-00002-of-00002.safetensors\"}}\n");
    CHECK(fclose(f) == 0);
    fti_diff_report *r = diff_with(dir, idx, NULL);
    CHECK(r && r->n == 2 && !strcmp(r->tuned, idx) && !strcmp(r->base, pb));
    CHECK(r->t[0].changed == 0 && r->t[1].changed == 1 && r->t[1].rank.lo == 1 && r->total.changed_tensors == 1);
    CHECK(r->t[1].max_index == 5 && r->t[1].rank.nz_rows == 1 && r->t[1].rank.nz_cols == 1);
    fti_diff_free(r);
    free(w), free(u);
}

/* Exactly k entries of an F16 matrix change. */
static void test_diff__sparse_k(void) {
    NEED_ORACLE();
    enum { R = 64, C = 48, K = 37 };
    fix_rng g = rng_for_case();
    char pb[512], pt[512];
    double *w = gauss_matrix(&g, R * C, 0.3, FTI_DT_F16), *u = malloc(R * C * sizeof *u);
    memcpy(u, w, R * C * sizeof *u);
    for (int k = 0; k < K;) {
        uint64_t i = fix_next(&g) % (R * C);
        if (u[i] != w[i]) continue;
        u[i] = fix_stored(FTI_DT_F16, w[i] + (w[i] > 0 ? -0.25 : 0.25));
        k++;
    }
    fix_tensor tb = {"m", FTI_DT_F16, 2, {R, C}, w, NULL}, tt = {"m", FTI_DT_F16, 2, {R, C}, u, NULL};
    CHECK(fix_write(tmp_file(pb, sizeof pb, "sparse_b.safetensors"), &tb, 1, NULL));
    CHECK(fix_write(tmp_file(pt, sizeof pt, "sparse_t.safetensors"), &tt, 1, NULL));
    fti_diff_report *r = diff_with(pb, pt, NULL);
    CHECK(r && r->t[0].changed == K && close_to(r->t[0].max_abs_delta, 0.25, 0.01));
    fti_diff_fits f;
    fti_diff_fits_of(&f, &r->t[0]);
    CHECK(!f.frozen && f.sparse_k == K && r->t[0].rank.nz_rows <= K && r->t[0].rank.at_tol_lo <= K);
    CHECK(matches_oracle(r, pb, pt, NULL));
    fti_diff_free(r);
    free(w), free(u);
}

/* W' = W + U V^T exactly (integers / 1024 in F32): rank 3 by both measures. Also a view with the
 * out axis last ("[in,out]" layout): rows and cols swap, the rank does not. */
static void test_diff__exact_rank(void) {
    NEED_ORACLE();
    enum { R = 96, C = 80, RK = 3 };
    fix_rng g = rng_for_case();
    char pb[512], pt[512];
    double *w = malloc(R * C * sizeof *w), *u = malloc(R * C * sizeof *u);
    int uu[R][RK], vv[C][RK];
    for (int i = 0; i < R * C; i++) w[i] = (double)((int)(fix_next(&g) % 1025) - 512) / 1024;
    for (int i = 0; i < R; i++)
        for (int k = 0; k < RK; k++) uu[i][k] = (int)(fix_next(&g) % 17) - 8;
    for (int j = 0; j < C; j++)
        for (int k = 0; k < RK; k++) vv[j][k] = (int)(fix_next(&g) % 17) - 8;
    for (int i = 0; i < R; i++)
        for (int j = 0; j < C; j++) {
            int d = 0;
            for (int k = 0; k < RK; k++) d += uu[i][k] * vv[j][k];
            u[i * C + j] = w[i * C + j] + (double)d / 1024;
        }
    fix_tensor tb = {"dense/kernel", FTI_DT_F32, 2, {R, C}, w, NULL}, tt = {"dense/kernel", FTI_DT_F32, 2, {R, C}, u, NULL};
    CHECK(fix_write(tmp_file(pb, sizeof pb, "exact_b.safetensors"), &tb, 1, "Keras dense kernels [in,out]"));
    CHECK(fix_write(tmp_file(pt, sizeof pt, "exact_t.safetensors"), &tt, 1, NULL));
    fti_diff_report *r = diff_with(pb, pt, NULL);
    CHECK(r);
    const fti_diff_rank *k = &r->t[0].rank;
    CHECK(k->method == FTI_RANK_SVD && k->axis == FTI_OUT_LAST && k->rows == C && k->cols == R);
    CHECK(k->lo == RK && k->hi == RK && k->at_tol_lo == RK && k->at_tol_hi == RK);
    CHECK(matches_oracle(r, pb, pt, NULL));
    fti_diff_free(r);
    free(w), free(u);
}

/* A rank-4 update merged into BF16 weights: rank 4 (the rounding noise stays under tol_F), while
 * the double-precision rank@tol sees the full-rank rounding noise. */
static void write_rounded_low_rank(const char *pb, const char *pt, fti_dtype dt, uint64_t R, uint64_t C, unsigned rk,
                                   fix_rng *g) {
    double *w = gauss_matrix(g, R * C, 0.05, dt), *u = malloc(R * C * sizeof *u);
    memcpy(u, w, R * C * sizeof *u);
    /* scale so that ||U V^T||_F is about 0.2 ||W||_F: each entry of U V^T has variance rk */
    fix_add_low_rank(u, R, C, rk, 0.2 * 0.05 / sqrt((double)rk), g);
    round_all(u, R * C, dt);
    fix_tensor tb = {"attn.q_proj.weight", dt, 2, {R, C}, w, NULL}, tt = {"attn.q_proj.weight", dt, 2, {R, C}, u, NULL};
    if (!fix_write(pb, &tb, 1, NULL) || !fix_write(pt, &tt, 1, NULL)) abort();
    free(w), free(u);
}

static void test_diff__bf16_rounded_rank(void) {
    NEED_ORACLE();
    fix_rng g = rng_for_case();
    char pb[512], pt[512];
    write_rounded_low_rank(tmp_file(pb, sizeof pb, "bf16_b.safetensors"), tmp_file(pt, sizeof pt, "bf16_t.safetensors"),
                           FTI_DT_BF16, 128, 96, 4, &g);
    fti_diff_report *r = diff_with(pb, pt, NULL);
    CHECK(r);
    const fti_diff_rank *k = &r->t[0].rank;
    fti_diff_fits f;
    fti_diff_fits_of(&f, &r->t[0]);
    CHECK(k->method == FTI_RANK_SVD && k->lo == 4 && k->hi == 4 && k->at_tol_lo == 96);
    CHECK(f.rank_r == 4 && f.rank_exact && f.rank_residual <= k->tol_round);
    /* tol_F <= u ||W'||_F with u = 2^-8 */
    CHECK(k->tol_round > 0 && k->tol_round <= 0x1p-8 * r->t[0].norm_tuned);
    CHECK(matches_oracle(r, pb, pt, NULL));
    fti_diff_free(r);
}

/* Delta = +-2^-10 on every entry of an F32 matrix in [1, 1.5): ||Delta|| = 2^-10 sqrt(2000). */
static void test_diff__dense_norm(void) {
    NEED_ORACLE();
    enum { R = 50, C = 40 };
    fix_rng g = rng_for_case();
    char pb[512], pt[512];
    double *w = malloc(R * C * sizeof *w), *u = malloc(R * C * sizeof *u);
    for (int i = 0; i < R * C; i++) {
        w[i] = fix_stored(FTI_DT_F32, 1.25 + 0.25 * fix_uniform(&g));
        u[i] = w[i] + (fix_next(&g) & 1 ? 0x1p-10 : -0x1p-10);
    }
    fix_tensor tb = {"w", FTI_DT_F32, 2, {R, C}, w, NULL}, tt = {"w", FTI_DT_F32, 2, {R, C}, u, NULL};
    CHECK(fix_write(tmp_file(pb, sizeof pb, "dense_b.safetensors"), &tb, 1, NULL));
    CHECK(fix_write(tmp_file(pt, sizeof pt, "dense_t.safetensors"), &tt, 1, NULL));
    fti_diff_report *r = diff_with(pb, pt, NULL);
    CHECK(r && r->t[0].changed == R * C && r->t[0].max_abs_delta == 0x1p-10);
    CHECK(close_to(r->t[0].norm_delta, sqrt(2000.0) * 0x1p-10, 2.3e-16));
    CHECK(r->t[0].rank.lo == 40 && r->t[0].rank.at_tol_lo == 40);
    CHECK(matches_oracle(r, pb, pt, NULL));
    fti_diff_free(r);
    free(w), free(u);
}

/* The randomized sketch (forced with svd_limit 0) closes its brackets on a low-rank update and
 * agrees with the exact SVD; on a full-rank update with a too small sketch it reports a proven
 * lower bound only. */
static void test_diff__sketch_vs_svd(void) {
    NEED_ORACLE();
    fix_rng g = rng_for_case();
    char pb[512], pt[512], db[512], dt[512];
    write_rounded_low_rank(tmp_file(pb, sizeof pb, "sk_b.safetensors"), tmp_file(pt, sizeof pt, "sk_t.safetensors"),
                           FTI_DT_BF16, 200, 150, 6, &g);
    fti_diff_options o;
    fti_diff_options_init(&o);
    o.svd_limit = 0;
    fti_diff_report *r = diff_with(pb, pt, &o), *e = diff_with(pb, pt, NULL);
    CHECK(r && e);
    const fti_diff_rank *k = &r->t[0].rank;
    CHECK(k->method == FTI_RANK_SKETCH && e->t[0].rank.method == FTI_RANK_SVD);
    CHECK(k->lo == 6 && k->hi == 6 && e->t[0].rank.lo == 6);
    /* the rank bracket closes with the first 64 columns; rank@tol (full-rank rounding noise) stays
     * a proven bracket around the exact value */
    CHECK(k->sketch_cols == 64 && k->at_tol_lo <= e->t[0].rank.at_tol_lo && k->at_tol_hi >= e->t[0].rank.at_tol_lo);
    CHECK(close_to(k->sigma_max, e->t[0].rank.sigma_max, 1e-9));
    CHECK(matches_oracle(r, pb, pt, NULL));
    fti_diff_free(r), fti_diff_free(e);

    /* full rank, sketch of 8 columns: lo <= 8, no upper bound below min(rows, cols) */
    double *w = gauss_matrix(&g, 60 * 45, 1, FTI_DT_F32), *u = gauss_matrix(&g, 60 * 45, 1, FTI_DT_F32);
    fix_tensor tb = {"w", FTI_DT_F32, 2, {60, 45}, w, NULL}, tt = {"w", FTI_DT_F32, 2, {60, 45}, u, NULL};
    CHECK(fix_write(tmp_file(db, sizeof db, "full_b.safetensors"), &tb, 1, NULL));
    CHECK(fix_write(tmp_file(dt, sizeof dt, "full_t.safetensors"), &tt, 1, NULL));
    o.sketch_max = 8;
    r = diff_with(db, dt, &o);
    CHECK(r && r->t[0].rank.lo <= 8 && r->t[0].rank.hi == 45 && r->t[0].rank.sketch_cols == 8);
    CHECK(matches_oracle(r, db, dt, NULL));
    fti_diff_free(r);
    free(w), free(u);
}

/* A matrix above the exact-SVD limit (1100 x 1040, F16, rank 5): the sketch is chosen by itself,
 * closes with its first 64 columns, and the figures match the oracle's full SVD. Also: the
 * report is identical for 1 and 2 threads. */
static void test_diff__large_sketch_threads(void) {
    NEED_ORACLE();
    fix_rng g = rng_for_case();
    char pb[512], pt[512];
    write_rounded_low_rank(tmp_file(pb, sizeof pb, "large_b.safetensors"), tmp_file(pt, sizeof pt, "large_t.safetensors"),
                           FTI_DT_F16, 1100, 1040, 5, &g);
    fti_diff_options o1, o2;
    fti_diff_options_init(&o1);
    fti_diff_options_init(&o2);
    o1.threads = 1;
    o2.threads = 2;
    fti_diff_report *a = diff_with(pb, pt, &o1), *b = diff_with(pb, pt, &o2);
    CHECK(a && b);
    const fti_diff_rank *k = &a->t[0].rank;
    CHECK(k->method == FTI_RANK_SKETCH && k->lo == 5 && k->hi == 5 && k->sketch_cols == 64);
    const fti_diff_tensor *x = &a->t[0], *y = &b->t[0];
    CHECK(x->norm_base == y->norm_base && x->norm_tuned == y->norm_tuned && x->norm_delta == y->norm_delta);
    CHECK(x->changed == y->changed && x->max_abs_delta == y->max_abs_delta && x->max_index == y->max_index);
    CHECK(x->rank.tol_round == y->rank.tol_round && x->rank.lo == y->rank.lo && x->rank.hi == y->rank.hi);
    CHECK(x->rank.at_tol_lo == y->rank.at_tol_lo && x->rank.at_tol_hi == y->rank.at_tol_hi);
    CHECK(close_to(x->rank.sigma_max, y->rank.sigma_max, 1e-13));
    CHECK(matches_oracle(a, pb, pt, NULL));
    fti_diff_free(a), fti_diff_free(b);
}

/* HWIO kernels (TF layout metadata): the view is out x (h*w*in); a change confined to two output
 * channels has 2 nonzero rows. Plus an I64 buffer and U8 / F4 tensors compared on their bytes. */
static void test_diff__layout_and_bytes(void) {
    NEED_ORACLE();
    fix_rng g = rng_for_case();
    char pb[512], pt[512];
    enum { N = 3 * 3 * 8 * 16 };
    double *w = gauss_matrix(&g, N, 0.1, FTI_DT_F32), *u = malloc(N * sizeof *u);
    memcpy(u, w, N * sizeof *u);
    for (int i = 0; i < N; i++) /* HWIO flat index i has output channel i % 16 */
        if (i % 16 == 3 || i % 16 == 11) u[i] = fix_stored(FTI_DT_F32, w[i] + 0.01 * (1 + i % 7));
    int64_t ib[10] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9}, it[10] = {0, 1, 2, -3, 4, 5, 60, 7, 8, 1 << 20};
    uint8_t ub[16], ut[16], fb[4] = {0x12, 0x34, 0x56, 0x78}, ft[4] = {0x12, 0x3f, 0x56, 0xf8};
    for (int i = 0; i < 16; i++) ub[i] = ut[i] = (uint8_t)i;
    ut[2] = 200, ut[9] = 0, ut[15] = 1, ut[4] = 7, ut[5] = 9;
    fix_tensor tb[4] = {{"conv/kernel", FTI_DT_F32, 4, {3, 3, 8, 16}, w, NULL},
                        {"f4", FTI_DT_F4, 1, {8}, NULL, fb},
                        {"ids", FTI_DT_I64, 1, {10}, NULL, ib},
                        {"mask", FTI_DT_U8, 2, {4, 4}, NULL, ub}};
    fix_tensor tt[4] = {tb[0], tb[1], tb[2], tb[3]};
    tt[0].v = u, tt[1].raw = ft, tt[2].raw = it, tt[3].raw = ut;
    CHECK(fix_write(tmp_file(pb, sizeof pb, "hwio_b.safetensors"), tb, 4, "tfjs (HWIO kernels)"));
    CHECK(fix_write(tmp_file(pt, sizeof pt, "hwio_t.safetensors"), tt, 4, "tfjs (HWIO kernels)"));
    fti_diff_report *r = diff_with(pb, pt, NULL);
    CHECK(r && r->n == 4);
    const fti_diff_tensor *c = find_tensor(r, "conv/kernel"), *ids = find_tensor(r, "ids"), *m = find_tensor(r, "mask");
    CHECK(c->rank.rows == 16 && c->rank.cols == 72 && c->rank.axis == FTI_OUT_LAST);
    CHECK(c->rank.nz_rows == 2 && c->rank.nz_cols == 72 && c->rank.lo == 2 && c->changed == 144);
    CHECK(!ids->decoded && ids->changed == 3 && ids->rank.method == FTI_RANK_NONE && isnan(ids->norm_delta));
    CHECK(!m->decoded && m->changed == 5 && m->rank.method == FTI_RANK_NONE);
    CHECK(find_tensor(r, "f4")->changed == 2); /* nibbles: 0x34 -> 0x3f (low), 0x78 -> 0xf8 (high) */
    CHECK(r->total.changed == 144 + 3 + 5 + 2 && r->total.changed_tensors == 4);
    CHECK(matches_oracle(r, pb, pt, NULL));
    fti_diff_free(r);
    free(w), free(u);
}

/* The proof's fixed point: a change below half a quantum vanishes there (changed 1, encoded 0);
 * a tuned value beyond 2^31 quanta makes the tensor not encodable (not an error for diff). */
static void test_diff__encoded(void) {
    NEED_ORACLE();
    char pb[512], pt[512];
    double b[4] = {0.5, 1.0, -0.25, 0x1p-20}, small[4] = {0.5, 1.0, -0.25, 0x1p-20 + 0x1p-31};
    double big[4] = {0.5, 5.0, -0.25, 0x1p-20}, w[6] = {0.75, -0.5, 0.25, 0, 1, 2}, wt[6] = {0.75, -0.5, 0.5, 0.25, 1, 2};
    fix_tensor tb[3] = {{"a", FTI_DT_F32, 1, {4}, b, NULL}, {"b", FTI_DT_F32, 1, {4}, b, NULL},
                        {"c", FTI_DT_F64, 2, {2, 3}, w, NULL}};
    fix_tensor tt[3] = {{"a", FTI_DT_F32, 1, {4}, small, NULL}, {"b", FTI_DT_F32, 1, {4}, big, NULL},
                        {"c", FTI_DT_F64, 2, {2, 3}, wt, NULL}};
    CHECK(fix_write(tmp_file(pb, sizeof pb, "enc_b.safetensors"), tb, 3, NULL));
    CHECK(fix_write(tmp_file(pt, sizeof pt, "enc_t.safetensors"), tt, 3, NULL));
    fti_diff_report *r = diff_with(pb, pt, NULL);
    CHECK(r && r->n == 3);
    const fti_diff_encoded *a = &r->t[0].enc, *bb = &r->t[1].enc, *c = &r->t[2].enc;
    /* max |W| = 1: e = 1, quantum 2^-29; the change 2^-31 is below half of it (512.25 -> 512) */
    CHECK(r->t[0].changed == 1 && a->valid && a->quantum == -29 && a->encodable && a->changed == 0 && a->delta_sq == 0);
    /* 5.0 = 5 * 2^29 quanta >= 2^31 */
    CHECK(bb->valid && !bb->encodable && bb->out_of_range == 1);
    /* max |W| = 2: quantum 2^-28; Delta = 0.25 and 0.25 = 2^26 quanta each */
    CHECK(c->quantum == -28 && c->changed == 2 && c->delta_sq == (unsigned __int128)2 << 52);
    CHECK(matches_oracle(r, pb, pt, NULL));
    char *json = NULL;
    CHECK(fti_diff_to_json(&json, r) == FTI_OK);
    CHECK(strstr(json, "\"delta_sq\": \"9007199254740992\"") && strstr(json, "\"out_of_range_index\": 1"));
    free(json);
    fti_diff_free(r);
}

/* ---- errors ---------------------------------------------------------------------------------- */

static void test_diff__mismatch(void) {
    double v[6] = {1, 2, 3, 4, 5, 6};
    char pb[512], pt[512];
    fix_tensor tb[4] = {{"a", FTI_DT_F32, 1, {6}, v, NULL},
                        {"b", FTI_DT_F32, 1, {6}, v, NULL},
                        {"c", FTI_DT_F32, 2, {2, 3}, v, NULL},
                        {"d", FTI_DT_F32, 1, {6}, v, NULL}};
    fix_tensor tt[4] = {{"b", FTI_DT_F32, 1, {6}, v, NULL},
                        {"c", FTI_DT_F32, 2, {3, 2}, v, NULL},
                        {"d", FTI_DT_F16, 1, {6}, v, NULL},
                        {"e", FTI_DT_F32, 1, {6}, v, NULL}};
    CHECK(fix_write(tmp_file(pb, sizeof pb, "mm_b.safetensors"), tb, 4, NULL));
    CHECK(fix_write(tmp_file(pt, sizeof pt, "mm_t.safetensors"), tt, 4, NULL));
    fti_diff_report *r = NULL;
    CHECK(fti_diff_paths(&r, pb, pt, NULL) == FTI_ERR_MISMATCH && r == NULL);
    const char *m = fti_last_error();
    CHECK(strncmp(m, pt, strlen(pt)) == 0 && strstr(m, "tensors differ from") && !strchr(m, '\n'));
    CHECK(strstr(m, "missing in tuned (1): a;") && strstr(m, "extra in tuned (1): e"));
    CHECK(strstr(m, "shape differs (1): c [2,3] vs [3,2]") && strstr(m, "dtype differs (1): d F32 vs F16"));
    if (oracle_ok()) {
        json_t *o = run_oracle(pb, pt, NULL);
        CHECK(o && !strcmp(json_string_value(json_object_get(o, "error")), "mismatch"));
        CHECK(json_array_size(json_object_get(o, "missing")) == 1 && json_array_size(json_object_get(o, "dtype")) == 1);
        json_decref(o);
    }
    /* many differences: four names, then "..." */
    fix_tensor many[6] = {{"m1", FTI_DT_F32, 1, {6}, v, NULL}, {"m2", FTI_DT_F32, 1, {6}, v, NULL},
                          {"m3", FTI_DT_F32, 1, {6}, v, NULL}, {"m4", FTI_DT_F32, 1, {6}, v, NULL},
                          {"m5", FTI_DT_F32, 1, {6}, v, NULL}, {"m6", FTI_DT_F32, 1, {6}, v, NULL}};
    CHECK(fix_write(pb, many, 6, NULL));
    CHECK(fix_write(pt, many, 1, NULL));
    CHECK(fti_diff_paths(&r, pb, pt, NULL) == FTI_ERR_MISMATCH);
    CHECK(strstr(fti_last_error(), "missing in tuned (5): m2, m3, m4, m5, ..."));
}

static void test_diff__nan_inf(void) {
    double v[40], x[40];
    char pb[512], pt[512];
    for (int i = 0; i < 40; i++) v[i] = x[i] = i * 0.5;
    x[17] = NAN;
    x[30] = INFINITY;
    fix_tensor tb[2] = {{"a", FTI_DT_BF16, 2, {5, 8}, v, NULL}, {"w", FTI_DT_BF16, 2, {5, 8}, v, NULL}};
    fix_tensor tt[2] = {{"a", FTI_DT_BF16, 2, {5, 8}, v, NULL}, {"w", FTI_DT_BF16, 2, {5, 8}, x, NULL}};
    CHECK(fix_write(tmp_file(pb, sizeof pb, "nan_b.safetensors"), tb, 2, NULL));
    CHECK(fix_write(tmp_file(pt, sizeof pt, "nan_t.safetensors"), tt, 2, NULL));
    fti_diff_report *r = NULL;
    char want[1024];
    CHECK(fti_diff_paths(&r, pb, pt, NULL) == FTI_ERR_RANGE && r == NULL);
    snprintf(want, sizeof want, "%s: tensor w has a NaN at index 17", pt);
    CHECK(!strcmp(fti_last_error(), want));
    if (oracle_ok()) {
        json_t *o = run_oracle(pb, pt, NULL);
        CHECK(o && !strcmp(json_string_value(json_object_get(o, "error")), "nan") && juint_of(o, "index") == 17);
        json_decref(o);
    }
    /* an infinity in the base, earlier than the tuned NaN: the base is named */
    v[3] = -INFINITY;
    CHECK(fix_write(pb, tb, 2, NULL));
    CHECK(fti_diff_paths(&r, pb, pt, NULL) == FTI_ERR_RANGE);
    snprintf(want, sizeof want, "%s: tensor a has an infinity at index 3", pb);
    CHECK(!strcmp(fti_last_error(), want));
}

static void test_diff__unreadable(void) {
    char pb[512], pg[512];
    double v[4] = {1, 2, 3, 4};
    fix_tensor t = {"a", FTI_DT_F32, 1, {4}, v, NULL};
    CHECK(fix_write(tmp_file(pb, sizeof pb, "ok.safetensors"), &t, 1, NULL));
    fti_diff_report *r = NULL;
    CHECK(fti_diff_paths(&r, pb, "/nonexistent/tuned.safetensors", NULL) == FTI_ERR_IO);
    CHECK(strstr(fti_last_error(), "/nonexistent/tuned.safetensors") != NULL);
    FILE *f = fopen(tmp_file(pg, sizeof pg, "garbage.safetensors"), "wb");
    CHECK(f && fwrite("\x10\0\0\0\0\0\0\0{not json at all", 1, 24, f) == 24 && fclose(f) == 0);
    CHECK(fti_diff_paths(&r, pg, pb, NULL) == FTI_ERR_FORMAT && strstr(fti_last_error(), pg));
    fti_diff_options o;
    fti_diff_options_init(&o);
    o.tol = 2;
    CHECK(fti_diff_paths(&r, pb, pb, &o) == FTI_ERR_ARG);
}

/* ---- the command ----------------------------------------------------------------------------- */

/* Runs cmd_diff with stdout and stderr sent to files; returns its exit status. */
static int run_cmd(int argc, char **argv, const char *out, const char *err) {
    fflush(stdout), fflush(stderr);
    int so = dup(1), se = dup(2), fo = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0644),
        fe = open(err, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (so < 0 || se < 0 || fo < 0 || fe < 0) return -1;
    dup2(fo, 1), dup2(fe, 2), close(fo), close(fe);
    int rc = cmd_diff(argc, argv);
    fflush(stdout), fflush(stderr);
    dup2(so, 1), dup2(se, 2), close(so), close(se);
    return rc;
}

static char *slurp(const char *path) {
    FILE *f = fopen(path, "rb");
    char *s = NULL;
    size_t n = 0;
    if (!f) return NULL;
    FILE *m = open_memstream(&s, &n);
    int c;
    while ((c = fgetc(f)) != EOF) fputc(c, m);
    fclose(m), fclose(f);
    return s;
}

static void test_diff__command(void) {
    fix_rng g = rng_for_case();
    char pb[512], pt[512], out[512], err[512];
    write_rounded_low_rank(tmp_file(pb, sizeof pb, "cmd_b.safetensors"), tmp_file(pt, sizeof pt, "cmd_t.safetensors"),
                           FTI_DT_BF16, 48, 40, 2, &g);
    tmp_file(out, sizeof out, "cmd.out"), tmp_file(err, sizeof err, "cmd.err");
    char *a_json[] = {"diff", pb, pt, "--json", "--threads", "2", NULL};
    CHECK(run_cmd(6, a_json, out, err) == 0);
    json_error_t je;
    json_t *o = json_load_file(out, 0, &je);
    fti_diff_report *r = diff_with(pb, pt, NULL);
    CHECK(o && r && juint_of(o, "fti_diff") == FTI_DIFF_JSON_VERSION);
    const json_t *t0 = json_array_get(json_object_get(o, "tensors"), 0), *rk = json_object_get(t0, "rank");
    /* JSON numbers read back to the very same doubles */
    CHECK(jnum(t0, "norm_delta") == r->t[0].norm_delta && jnum(t0, "rel_delta") == r->t[0].rel_delta);
    CHECK(jnum(rk, "tol_round") == r->t[0].rank.tol_round && juint_of(rk, "rank") == 2);
    CHECK(json_is_true(json_object_get(rk, "exact")) && !strcmp(json_string_value(json_object_get(rk, "method")), "svd"));
    CHECK(juint_of(json_object_get(t0, "fits"), "rank_r") == 2 && json_is_false(json_object_get(json_object_get(t0, "fits"), "frozen")));
    CHECK(json_array_size(json_object_get(o, "notes")) == fti_diff_note_count());
    CHECK(jnum(json_object_get(o, "totals"), "norm_base") == r->total.norm_base);
    json_decref(o);
    fti_diff_free(r);

    char *a_table[] = {"diff", pt, pb, "--tol", "1e-3", NULL};
    CHECK(run_cmd(5, a_table, out, err) == 0);
    char *text = slurp(out);
    CHECK(text && strstr(text, "tensor") && strstr(text, "rank@tol") && strstr(text, "attn.q_proj.weight"));
    CHECK(strstr(text, "total: 1 tensors, 1 changed") && strstr(text, "tol = 0.001 (--tol)"));
    free(text);

    /* a sketch of one column cannot bound a rank-2 update from above */
    char *a_sketch[] = {"diff", pb, pt, "--svd-limit", "0", "--sketch-max", "1", NULL};
    CHECK(run_cmd(7, a_sketch, out, err) == 0);
    text = slurp(out);
    CHECK(text && strstr(text, ">=1 (est)") && strstr(text, "(1 to 1 columns"));
    free(text);

    char *a_bad[][6] = {{"diff", pb, NULL}, {"diff", pb, pt, "--tol", "2", NULL}, {"diff", pb, pt, "--threads", "0", NULL},
                        {"diff", pb, pt, "--frob", NULL}, {"diff", pb, pt, pt, NULL}, {"diff", pb, pt, "--tol", NULL}};
    int argc_bad[] = {2, 5, 5, 4, 4, 4};
    for (int i = 0; i < 6; i++) CHECK(run_cmd(argc_bad[i], a_bad[i], out, err) == 2);
    char *a_missing[] = {"diff", pb, "/nonexistent.safetensors", NULL};
    CHECK(run_cmd(3, a_missing, out, err) == 2);
    text = slurp(err);
    CHECK(text && !strncmp(text, "fti: error: ", 12) && strstr(text, "/nonexistent.safetensors"));
    CHECK(strchr(text, '\n') == text + strlen(text) - 1); /* one line */
    free(text);
    char *a_help[] = {"diff", "--help", NULL};
    CHECK(run_cmd(2, a_help, out, err) == 0);
}

/* ---- the genuine pair ------------------------------------------------------------------------ */

/* human_faceres -> human_faceres_deep (../shared/models/README.md): relative Frobenius change
 * 0.155 overall, 0.0013 to 0.29 per tensor, every entry changed, Delta close to full rank. */
static void test_diff__real_models_faceres(void) {
    const char *dir = test_models_dir();
    if (!dir) {
        test_skip("../shared/models is absent");
        return;
    }
    NEED_ORACLE();
    char pb[1024], pt[1024];
    snprintf(pb, sizeof pb, "%s/human_faceres.safetensors", dir);
    snprintf(pt, sizeof pt, "%s/human_faceres_deep.safetensors", dir);
    fti_diff_report *r = diff_with(pb, pt, NULL);
    CHECK(r && r->n == 73 && r->total.numel == 3489349 && r->total.changed_tensors == 73);
    CHECK(fabs(r->total.rel_delta - 0.155) < 0.0005);
    double lo = INFINITY, hi = 0;
    uint64_t full = 0, ranks = 0;
    for (size_t i = 0; i < r->n; i++) {
        const fti_diff_tensor *t = &r->t[i];
        lo = fmin(lo, t->rel_delta), hi = fmax(hi, t->rel_delta);
        if (t->rank.method == FTI_RANK_NONE) continue;
        CHECK(t->rank.method == FTI_RANK_SVD && t->rank.lo == t->rank.hi);
        full += t->rank.rows < t->rank.cols ? t->rank.rows : t->rank.cols;
        ranks += t->rank.lo;
    }
    CHECK(lo >= 0.00125 && lo < 0.00135 && hi >= 0.285 && hi < 0.295);
    /* "every entry changed": all but 2 of 3,489,349 (one in feats/bias, one in conv_pw_7) */
    CHECK(r->total.numel - r->total.changed == 2);
    CHECK(ranks >= 0.97 * (double)full);
    CHECK(matches_oracle(r, pb, pt, NULL));
    fti_diff_free(r);
}

const struct test_case TEST_CASES[] = {
    TEST(test_diff__ssq_exact),
    TEST(test_diff__brackets),
    TEST(test_diff__frozen),
    TEST(test_diff__sharded),
    TEST(test_diff__sparse_k),
    TEST(test_diff__exact_rank),
    TEST(test_diff__bf16_rounded_rank),
    TEST(test_diff__dense_norm),
    TEST(test_diff__sketch_vs_svd),
    TEST(test_diff__large_sketch_threads),
    TEST(test_diff__layout_and_bytes),
    TEST(test_diff__encoded),
    TEST(test_diff__mismatch),
    TEST(test_diff__nan_inf),
    TEST(test_diff__unreadable),
    TEST(test_diff__command),
    TEST(test_diff__real_models_faceres),
    {0},
};
