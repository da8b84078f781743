/* fti diff (src/diff/diff.h): wall time of the whole report, and of reading the same bytes.
 *   diff_faceres_s             human_faceres vs human_faceres_deep (../shared/models; skipped
 *                              when absent): 73 F32 tensors, 3.5M parameters, all exact SVDs
 *   read_faceres_s             SHA-256 of both files' bytes (the cost of merely reading them)
 *   diff_faceres_vs_read       the ratio of the two
 *   diff_synth_s / _t1         a synthetic BF16 pair of 28.3M parameters: a rank-16 LoRA merged
 *                              into 2048x5632 and 2048x2048 projections, a dense (full-rank)
 *                              update of a 5632x2048 one, a frozen 512x2048 one and a vector;
 *                              every matrix is above the exact-SVD limit (sketch). All threads,
 *                              then one thread.
 *   read_synth_s, diff_synth_vs_read   as above
 *   rank_svd_1024x4096_s       diff_rank alone, exact dgesdd on a dense 1024x4096 matrix
 *   rank_sketch_lora_5632x2048_s   diff_rank on rank 16 + BF16-sized noise (closes at 64 columns)
 *   rank_sketch_full_5632x2048_s   diff_rank on a dense full-rank matrix (runs to 256 columns)
 *   rank_svd_5632x2048_s       the exact dgesdd on that matrix, for comparison
 * Best of 3 runs (1 for the synthetic diff), after one warm-up read so that the page cache holds
 * the files.
 *   usage: bench_diff [name-filter]   (FTI_MODELS_DIR overrides ../shared/models) */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../tests/diff_fixtures.h"
#include "bench.h"
#include "diff/diff.h"
#include "diff/diff_internal.h"
#include "hash/sha256.h"

/* Seconds to SHA-256 every byte of the files (read through stdio, 1 MiB at a time). */
static double time_read(const char *const *paths, int n) {
    static uint8_t buf[1 << 20];
    double t0 = bench_now();
    for (int i = 0; i < n; i++) {
        FILE *f = fopen(paths[i], "rb");
        if (!f) return NAN;
        SHA256_CTX ctx; /* streamed: hash/sha256.h offers only one-shot hashing */
        SHA256_Init(&ctx);
        size_t k;
        while ((k = fread(buf, 1, sizeof buf, f)) > 0) SHA256_Update(&ctx, buf, k);
        fti_digest d;
        SHA256_Final(d.b, &ctx);
        bench_consume(d.b[0]);
        fclose(f);
    }
    return bench_now() - t0;
}

static double time_diff(const char *base, const char *tuned, int threads) {
    fti_diff_options o;
    fti_diff_options_init(&o);
    o.threads = threads;
    fti_diff_report *r = NULL;
    double t0 = bench_now();
    if (fti_diff_paths(&r, base, tuned, &o) != FTI_OK) {
        fprintf(stderr, "bench_diff: %s\n", fti_last_error());
        return NAN;
    }
    double t = bench_now() - t0;
    bench_consume(r->total.changed);
    fti_diff_free(r);
    return t;
}

static double best_of(int runs, double (*f)(const void *), const void *arg) {
    double best = INFINITY;
    for (int i = 0; i < runs; i++) {
        double t = f(arg);
        best = t < best ? t : best;
    }
    return best;
}

typedef struct {
    const char *paths[2];
    int threads;
} pair;

static double run_diff(const void *p) {
    const pair *q = p;
    return time_diff(q->paths[0], q->paths[1], q->threads);
}
static double run_read(const void *p) { return time_read(((const pair *)p)->paths, 2); }

/* diff, read and their ratio for one pair, under names PREFIX_{s,...}. */
static void bench_pair(const char *filter, const char *tag, pair *p, int runs, int with_t1) {
    char n_diff[64], n_read[64], n_ratio[64], n_t1[64];
    snprintf(n_diff, sizeof n_diff, "diff_%s_s", tag);
    snprintf(n_t1, sizeof n_t1, "diff_%s_s_t1", tag);
    snprintf(n_read, sizeof n_read, "read_%s_s", tag);
    snprintf(n_ratio, sizeof n_ratio, "diff_%s_vs_read", tag);
    if (!bench_selected(filter, n_diff) && !bench_selected(filter, n_read) && !bench_selected(filter, n_ratio)) return;
    run_read(p); /* warm the page cache */
    double tr = best_of(3, run_read, p), td = best_of(runs, run_diff, p);
    if (bench_selected(filter, n_diff)) bench_print(n_diff, td, "s");
    if (bench_selected(filter, n_read)) bench_print(n_read, tr, "s");
    if (bench_selected(filter, n_ratio)) bench_print(n_ratio, td / tr, "x");
    if (with_t1 && bench_selected(filter, n_t1)) {
        p->threads = 1;
        bench_print(n_t1, best_of(runs, run_diff, p), "s");
        p->threads = 0;
    }
}

/* ---- the synthetic pair ---------------------------------------------------------------------- */

typedef struct {
    const char *name;
    uint64_t rows, cols;
    int kind; /* 0 frozen, 1 LoRA rank 16, 2 dense update */
} synth_spec;

static const synth_spec synth[] = {
    {"layers.0.attn.k_proj.weight", 512, 2048, 0},  {"layers.0.attn.q_proj.weight", 2048, 2048, 1},
    {"layers.0.mlp.down_proj.weight", 2048, 5632, 1}, {"layers.0.mlp.up_proj.weight", 5632, 2048, 2},
    {"layers.0.norm.weight", 1, 2048, 2},
};
#define NSYNTH (sizeof synth / sizeof synth[0])

static int write_synth(const char *base, const char *tuned) {
    fix_rng g = {12345};
    fix_tensor tb[NSYNTH], tt[NSYNTH];
    double *vb[NSYNTH], *vt[NSYNTH];
    for (size_t i = 0; i < NSYNTH; i++) {
        const synth_spec *s = &synth[i];
        uint64_t n = s->rows * s->cols;
        vb[i] = malloc(n * sizeof *vb[i]);
        vt[i] = malloc(n * sizeof *vt[i]);
        if (!vb[i] || !vt[i]) return 0;
        for (uint64_t k = 0; k < n; k++) vb[i][k] = vt[i][k] = 0.02 * fix_gauss(&g);
        if (s->kind == 1) fix_add_low_rank(vt[i], s->rows, s->cols, 16, 0.002 / 4, &g);
        for (uint64_t k = 0; s->kind == 2 && k < n; k++) vt[i][k] += 0.002 * fix_gauss(&g);
        unsigned nd = s->rows == 1 ? 1 : 2;
        fix_tensor t = {s->name, FTI_DT_BF16, nd, {nd == 1 ? s->cols : s->rows, s->cols}, vb[i], NULL};
        tb[i] = tt[i] = t;
        tt[i].v = vt[i];
    }
    int ok = fix_write(base, tb, NSYNTH, NULL) && fix_write(tuned, tt, NSYNTH, NULL);
    for (size_t i = 0; i < NSYNTH; i++) free(vb[i]), free(vt[i]);
    return ok;
}

/* ---- diff_rank alone ------------------------------------------------------------------------- */

static void bench_rank(const char *filter, const char *name, uint64_t rows, uint64_t cols, int low_rank) {
    if (!bench_selected(filter, name)) return;
    fix_rng g = {777};
    uint64_t n = rows * cols;
    double *a = malloc(n * sizeof *a), *work = malloc(n * sizeof *work);
    if (!a || !work) return;
    for (uint64_t k = 0; k < n; k++) a[k] = low_rank ? 0x1p-9 * fix_uniform(&g) : fix_gauss(&g);
    if (low_rank) fix_add_low_rank(a, rows, cols, 16, 0.05, &g);
    fti_diff_rank r;
    memset(&r, 0, sizeof r);
    r.rows = rows, r.cols = cols;
    r.tol_round = 0x1p-9 * sqrt((double)n); /* above the noise, below the rank-16 part */
    diff_rank_params p = {NAN, strstr(name, "svd") ? 4096 : FTI_DIFF_SVD_LIMIT, FTI_DIFF_SKETCH_MAX, 1, name};
    double best = INFINITY;
    for (int i = 0; i < 3; i++) {
        memcpy(work, a, n * sizeof *a);
        double t0 = bench_now();
        if (diff_rank(&r, work, rows, cols, 0, &p) != FTI_OK) break;
        double t = bench_now() - t0;
        best = t < best ? t : best;
    }
    bench_print(name, best, "s");
    fprintf(stderr, "  %s: method %d, rank %llu..%llu, rank@tol %llu..%llu, sketch %llu columns\n", name, (int)r.method,
            (unsigned long long)r.lo, (unsigned long long)r.hi, (unsigned long long)r.at_tol_lo,
            (unsigned long long)r.at_tol_hi, (unsigned long long)r.sketch_cols);
    free(a), free(work);
}

int main(int argc, char **argv) {
    const char *filter = argc > 1 ? argv[1] : NULL, *env = getenv("FTI_MODELS_DIR");
    char fb[1024], ft[1024], sb[256], st[256], dir[] = "/tmp/fti-bench-diff-XXXXXX";
    snprintf(fb, sizeof fb, "%s/human_faceres.safetensors", env ? env : "../shared/models");
    snprintf(ft, sizeof ft, "%s/human_faceres_deep.safetensors", env ? env : "../shared/models");
    if (access(fb, R_OK) == 0 && access(ft, R_OK) == 0) {
        pair p = {{fb, ft}, 0};
        bench_pair(filter, "faceres", &p, 3, 1);
    } else {
        fprintf(stderr, "bench_diff: %s absent, faceres benchmarks skipped\n", fb);
    }
    if (bench_selected(filter, "synth") && mkdtemp(dir)) {
        snprintf(sb, sizeof sb, "%s/base.safetensors", dir);
        snprintf(st, sizeof st, "%s/tuned.safetensors", dir);
        pair p = {{sb, st}, 0};
        if (write_synth(sb, st)) bench_pair(filter, "synth", &p, 1, 1);
        unlink(sb), unlink(st), rmdir(dir);
    }
    bench_rank(filter, "rank_svd_1024x4096_s", 1024, 4096, 0);
    bench_rank(filter, "rank_sketch_lora_5632x2048_s", 5632, 2048, 1);
    bench_rank(filter, "rank_sketch_full_5632x2048_s", 5632, 2048, 0);
    bench_rank(filter, "rank_svd_5632x2048_s", 5632, 2048, 0);
    return 0;
}
