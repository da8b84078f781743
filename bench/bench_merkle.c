/* Merkle commitment throughput against plain SHA-256 over the same bytes, in the same process.
 *
 *   bench_merkle [filter]   runs the cases whose name contains filter (all by default)
 *
 * Prints `bench: NAME VALUE UNIT` lines. Throughputs count matrix bytes only (MB = 10^6
 * bytes), best of REPEATS runs taken in turns. One-thread figures use the thread's CPU time,
 * two-thread figures the wall clock (meaningful only on an otherwise idle machine). The
 * ratio lines are one-shot SHA-256 throughput over commit (or root) throughput on one thread:
 * the target is <= 1.5. commit_portable is the OpenSSL path that CPUs without SHA-NI take. */
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bench.h"
#include "merkle/merkle.h"
#include "merkle/merkle_internal.h" /* merkle_set_portable_only */

#define REPEATS 5
#define MAX_M 8

/* One-thread runs are timed with the thread's CPU clock, so that time slices lost to other
 * processes on a shared machine do not count; two-thread runs with the wall clock. */
static double thread_cpu_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static double now_seconds(int threads) { return threads == 1 ? thread_cpu_now() : bench_now(); }

typedef struct {
    const char *name;
    size_t n;
    fti_merkle_matrix_shape mats[MAX_M];
    size_t salt_bytes;
} bench_case;

typedef struct {
    fti_merkle_shape shape;
    uint8_t *data[MAX_M];
    const uint8_t *view[MAX_M];
    uint8_t seed[32];
    size_t total;
} bench_data;

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;
static uint64_t rng(void) { /* splitmix64: fast fill, reproducible */
    uint64_t z = (rng_state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static int data_init(bench_data *d, const bench_case *c) {
    memset(d, 0, sizeof *d);
    d->shape = (fti_merkle_shape){c->n, c->mats, c->salt_bytes};
    for (int j = 0; j < 32; j++) d->seed[j] = (uint8_t)rng();
    for (size_t m = 0; m < c->n; m++) {
        size_t len = ((size_t)1 << c->mats[m].log_rows) * c->mats[m].row_bytes;
        if (!(d->data[m] = malloc(len + 8))) return 0;
        for (size_t k = 0; k < len; k += 8) {
            uint64_t r = rng();
            memcpy(d->data[m] + k, &r, 8);
        }
        d->view[m] = d->data[m];
        d->total += len;
    }
    return 1;
}

static void data_free(bench_data *d) {
    for (size_t m = 0; m < MAX_M; m++) free(d->data[m]);
}

/* Plain SHA-256: one call per matrix (the speed of the hash itself), or one call per row
 * (low-level SHA256_Init/Update/Final, and the one-shot SHA256(), which OpenSSL 3 routes
 * through EVP at a high fixed cost per call). */
static void sha_oneshot(const bench_data *d) {
    fti_digest out;
    for (size_t m = 0; m < d->shape.n_matrices; m++) {
        const fti_merkle_matrix_shape *s = &d->shape.matrices[m];
        fti_sha256(&out, d->data[m], ((size_t)1 << s->log_rows) * s->row_bytes);
    }
}

static void sha_per_row(const bench_data *d) {
    fti_digest out;
    for (size_t m = 0; m < d->shape.n_matrices; m++) {
        const fti_merkle_matrix_shape *s = &d->shape.matrices[m];
        for (size_t i = 0; i < ((size_t)1 << s->log_rows); i++) {
            SHA256_CTX c;
            SHA256_Init(&c);
            SHA256_Update(&c, d->data[m] + i * s->row_bytes, s->row_bytes);
            SHA256_Final(out.b, &c);
        }
    }
}

static void sha_per_row_evp(const bench_data *d) {
    fti_digest out;
    for (size_t m = 0; m < d->shape.n_matrices; m++) {
        const fti_merkle_matrix_shape *s = &d->shape.matrices[m];
        for (size_t i = 0; i < ((size_t)1 << s->log_rows); i++) fti_sha256(&out, d->data[m] + i * s->row_bytes, s->row_bytes);
    }
}

static void run_commit(const bench_data *d) {
    fti_merkle_tree *t = NULL;
    if (fti_merkle_commit(&t, &d->shape, d->view, d->seed) != FTI_OK) {
        fprintf(stderr, "commit failed: %s\n", fti_last_error());
        exit(1);
    }
    fti_merkle_tree_free(t);
}

static void run_root(const bench_data *d) {
    fti_digest r;
    if (fti_merkle_root(&r, &d->shape, d->view, d->seed) != FTI_OK) {
        fprintf(stderr, "root failed: %s\n", fti_last_error());
        exit(1);
    }
}

static void run_commit_portable(const bench_data *d) {
    merkle_set_portable_only(1);
    run_commit(d);
    merkle_set_portable_only(0);
}

typedef struct {
    const char *name;
    void (*fn)(const bench_data *);
    int threads;
    double best; /* seconds */
} measure;

/* The measurements take turns, REPEATS rounds, best of each: the machine may be shared, and
 * turns keep a ratio's two sides under the same conditions. */
static void measure_all(measure *ms, size_t n, const bench_data *d) {
    for (size_t k = 0; k < n; k++) ms[k].best = 1e30;
    for (int r = 0; r < REPEATS; r++)
        for (size_t k = 0; k < n; k++) {
            omp_set_num_threads(ms[k].threads);
            double t0 = now_seconds(ms[k].threads);
            ms[k].fn(d);
            double dt = now_seconds(ms[k].threads) - t0;
            if (dt < ms[k].best) ms[k].best = dt;
        }
}

static void bench_throughput(const bench_case *c) {
    bench_data d;
    char name[160];
    measure ms[] = {
        {"sha256_oneshot_1t", sha_oneshot, 1, 0},    {"sha256_per_row_1t", sha_per_row, 1, 0},
        {"sha256_per_row_evp_1t", sha_per_row_evp, 1, 0}, {"commit_1t", run_commit, 1, 0},
        {"root_1t", run_root, 1, 0},                 {"commit_portable_1t", run_commit_portable, 1, 0},
        {"commit_2t", run_commit, 2, 0},             {"root_2t", run_root, 2, 0},
    };
    size_t n = sizeof ms / sizeof ms[0];
    if (!data_init(&d, c)) {
        fprintf(stderr, "out of memory\n");
        exit(1);
    }
    measure_all(ms, n, &d);
    for (size_t k = 0; k < n; k++) {
        snprintf(name, sizeof name, "%s/%s", c->name, ms[k].name);
        bench_print(name, (double)d.total / ms[k].best / 1e6, "MB/s");
    }
    /* ratio = plain one-shot SHA-256 throughput / commit throughput */
    snprintf(name, sizeof name, "%s/ratio_sha_over_commit_1t", c->name);
    bench_print(name, ms[3].best / ms[0].best, "x");
    snprintf(name, sizeof name, "%s/ratio_sha_over_root_1t", c->name);
    bench_print(name, ms[4].best / ms[0].best, "x");
    snprintf(name, sizeof name, "%s/ratio_sha_over_commit_portable_1t", c->name);
    bench_print(name, ms[5].best / ms[0].best, "x");
    snprintf(name, sizeof name, "%s/ratio_sha_over_commit_2t", c->name);
    bench_print(name, ms[6].best / ms[0].best, "x");
    data_free(&d);
}

/* Opening of 200 random leaves of a 2^21 x 128-byte tree: its size and the verifier's time. */
static void bench_opening(void) {
    const bench_case c = {"open", 1, {{21, 128}}, 0};
    bench_data d;
    fti_merkle_tree *t = NULL;
    fti_merkle_opening op;
    uint64_t q[200];
    int ok = 0;
    rng_state = 12345; /* the same queries whatever ran before */
    omp_set_num_threads(2);
    if (!data_init(&d, &c) || fti_merkle_commit(&t, &d.shape, d.view, NULL) != FTI_OK) exit(1);
    for (int k = 0; k < 200; k++) q[k] = rng() & ((1u << 21) - 1);
    double t0 = thread_cpu_now();
    if (fti_merkle_open(&op, t, q, 200) != FTI_OK) exit(1);
    double open_time = thread_cpu_now() - t0;
    size_t bytes = op.row_data_len + op.n_siblings * sizeof(fti_digest) + op.n_indices * 8;
    double best = 1e30;
    for (int r = 0; r < 20; r++) {
        t0 = thread_cpu_now();
        if (fti_merkle_verify(&ok, fti_merkle_tree_root(t), &d.shape, &op) != FTI_OK || !ok) exit(1);
        double dt = thread_cpu_now() - t0;
        if (dt < best) best = dt;
    }
    bench_print("open_2^21x128_q200/opening_size", (double)bytes / 1024.0, "KiB");
    bench_print("open_2^21x128_q200/siblings", (double)op.n_siblings, "digests");
    bench_print("open_2^21x128_q200/open", open_time * 1e3, "ms");
    bench_print("open_2^21x128_q200/verify", best * 1e3, "ms");
    fti_merkle_opening_free(&op);
    fti_merkle_tree_free(t);
    data_free(&d);
}

static const bench_case CASES[] = {
    /* a 2^25 Goldilocks codeword in rows of 16 elements */
    {"single_2^21x128", 1, {{21, 128}}, 0},
    /* a realistic batch: polynomials of several sizes sharing one tree, rows of 128 bytes */
    {"mixed8_x128", 8, {{20, 128}, {20, 128}, {19, 128}, {18, 128}, {17, 128}, {16, 128}, {14, 128}, {12, 128}}, 0},
    /* wide rows (a group of 128 elements): the per-node costs amortised over 1 KiB */
    {"single_2^18x1024", 1, {{18, 1024}}, 0},
    /* hiding: 16-byte salts */
    {"salted16_2^21x128", 1, {{21, 128}}, 16},
};

int main(int argc, char **argv) {
    const char *filter = argc > 1 ? argv[1] : NULL;
    for (size_t k = 0; k < sizeof CASES / sizeof CASES[0]; k++)
        if (bench_selected(filter, CASES[k].name)) bench_throughput(&CASES[k]);
    if (bench_selected(filter, "open_2^21x128_q200")) bench_opening();
    return 0;
}
