/* Benchmarks of the Basefold commitment scheme (parameter set "proven" unless named):
 * commit / open / verify time, proof size and peak memory for single polynomials of 2^20,
 * 2^22, 2^24 elements and a batch of 16 mixed-size polynomials across two commitments, and the
 * commit throughput next to plain SHA-256 over the same bytes measured in the same run.
 * Each case runs in a child process so that its peak RSS is its own.
 * Usage: bench_pcs [filter] [params-name] */
#include <omp.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"
#include "pcs/pcs.h"
#include "sumcheck/sumcheck.h"

static uint64_t rng = 0x9e3779b97f4a7c15ull;
static uint64_t next(void) {
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static double sha256_seconds(const fe_t *const *tables, const unsigned *nv, size_t n) {
    double t0 = bench_now();
    for (size_t i = 0; i < n; i++) {
        fti_digest d;
        fti_sha256(&d, tables[i], sizeof(fe_t) << nv[i]);
        bench_consume(d.b[0]);
    }
    return bench_now() - t0;
}

/* One opening of n_comms commitments with the given sizes, one claim per polynomial. */
static void run_case(const char *name, const fti_pcs_params *pp, size_t n_comms, const size_t *n_polys,
                     const unsigned *const *nv) {
    char label[160];
    fti_pcs_commitment *c[4];
    fti_pcs_public pub[4];
    fe_t **tables[4];
    fti_pcs_claim claims[64];
    size_t n_claims = 0, bytes = 0;
    double t_commit = 0, t_sha = 0;
    for (size_t k = 0; k < n_comms; k++) {
        tables[k] = malloc(n_polys[k] * sizeof(fe_t *));
        for (size_t i = 0; i < n_polys[k]; i++) {
            size_t len = (size_t)1 << nv[k][i];
            tables[k][i] = malloc(len * sizeof(fe_t));
            for (size_t x = 0; x < len; x++) tables[k][i][x] = next() & 0xFFFF; /* 16-bit limbs */
            bytes += len * sizeof(fe_t);
        }
        t_sha += sha256_seconds((const fe_t *const *)tables[k], nv[k], n_polys[k]);
        fti_pcs_shape shape = {n_polys[k], nv[k]};
        double t0 = bench_now();
        if (fti_pcs_commit(&c[k], pp, &shape, (const fe_t *const *)tables[k]) != FTI_OK) exit(1);
        t_commit += bench_now() - t0;
        pub[k].root = *fti_pcs_commitment_root(c[k]);
        pub[k].shape = *fti_pcs_commitment_shape(c[k]);
        for (size_t i = 0; i < n_polys[k]; i++) {
            ke_t *pt = malloc((nv[k][i] + 1) * sizeof(ke_t));
            for (unsigned j = 0; j < nv[k][i]; j++) pt[j] = (ke_t){{next() % FE_P, next() % FE_P, next() % FE_P}};
            claims[n_claims++] = (fti_pcs_claim){(unsigned)k, (unsigned)i, pt, fti_mle_eval_fe(tables[k][i], nv[k][i], pt)};
        }
    }
    fti_transcript t;
    fti_pcs_proof proof;
    fti_transcript_init(&t, "bench");
    double t0 = bench_now();
    if (fti_pcs_open(&proof, &t, pp, c, n_comms, claims, n_claims) != FTI_OK) exit(1);
    double t_open = bench_now() - t0;
    int ok = 0;
    double t_verify = 1e9;
    for (int rep = 0; rep < 5; rep++) {
        fti_transcript_init(&t, "bench");
        t0 = bench_now();
        if (fti_pcs_verify(&ok, &t, pp, pub, n_comms, claims, n_claims, &proof) != FTI_OK || !ok) exit(1);
        double dt = bench_now() - t0;
        if (dt < t_verify) t_verify = dt;
    }
    snprintf(label, sizeof label, "pcs_%s_%s_commit", pp->name, name);
    bench_print(label, t_commit, "s");
    snprintf(label, sizeof label, "pcs_%s_%s_commit_vs_sha256", pp->name, name);
    bench_print(label, t_commit / t_sha, "x");
    snprintf(label, sizeof label, "pcs_%s_%s_commit_throughput", pp->name, name);
    bench_print(label, bytes / t_commit / 1e6, "MB/s");
    snprintf(label, sizeof label, "pcs_%s_%s_open", pp->name, name);
    bench_print(label, t_open, "s");
    snprintf(label, sizeof label, "pcs_%s_%s_verify", pp->name, name);
    bench_print(label, t_verify * 1e3, "ms");
    snprintf(label, sizeof label, "pcs_%s_%s_proof_size", pp->name, name);
    bench_print(label, fti_pcs_proof_size(&proof) / 1e3, "kB");
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    snprintf(label, sizeof label, "pcs_%s_%s_peak_rss", pp->name, name);
    bench_print(label, ru.ru_maxrss / 1024.0, "MB");
}

static void in_child(const char *filter, const char *name, const fti_pcs_params *pp, size_t n_comms,
                     const size_t *n_polys, const unsigned *const *nv) {
    char label[128];
    snprintf(label, sizeof label, "pcs_%s_%s", pp->name, name);
    if (!bench_selected(filter, label)) return;
    pid_t pid = fork();
    if (pid == 0) {
        run_case(name, pp, n_comms, n_polys, nv);
        exit(0);
    }
    int status;
    waitpid(pid, &status, 0);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) printf("bench %s failed\n", label);
}

int main(int argc, char **argv) {
    const char *filter = argc > 1 ? argv[1] : NULL;
    const fti_pcs_params *pp = fti_pcs_params_get(argc > 2 ? argv[2] : "proven");
    if (!pp) return 2;
    printf("# threads: %d, parameters: %s (%u queries, rate 2^-%u, arity 2^%u, %u pow bits)\n",
           omp_get_max_threads(), pp->name, pp->n_queries, pp->log_blowup, pp->log_arity, pp->pow_bits);
    static const unsigned s20[] = {20}, s22[] = {22}, s24[] = {24};
    static const size_t one = 1;
    const unsigned *v20[] = {s20}, *v22[] = {s22}, *v24[] = {s24};
    in_child(filter, "2^20", pp, 1, &one, v20);
    in_child(filter, "2^22", pp, 1, &one, v22);
    in_child(filter, "2^24", pp, 1, &one, v24);
    /* 16 polynomials of mixed sizes across two commitments (2^20 .. 2^8) */
    static const unsigned a[] = {20, 18, 18, 16, 14, 12, 10, 8}, b[] = {19, 19, 17, 15, 13, 11, 9, 0};
    static const size_t np[] = {8, 8};
    const unsigned *vb[] = {a, b};
    in_child(filter, "batch16", pp, 2, np, vb);
    return 0;
}
