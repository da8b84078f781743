/* Benchmarks of the LogUp-GKR range check: prover time per entry and per million entries for one
 * column of 2^20 and 2^24 entries and for 16 columns of mixed sizes, on 1 and 2 threads; the
 * multiplicity count, verification time, proof size, and the prover's memory: peak RSS of the
 * case and the prover's own share (peak RSS minus the RSS before proving, per entry). Prover
 * time is given as wall time and as CPU time of all threads (the machine may be shared).
 * Each case runs in a child process so that its peak RSS is its own.
 * Usage: bench_logup [filter]; FTI_SIMD=0 in the environment disables the AVX-512 kernels. */
#include <omp.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"
#include "logup/logup.h"
#include "field/field_avx512.h" /* fti_simd_enabled */
#include "logup/logup_internal.h"

static uint64_t rng = 0x9e3779b97f4a7c15ull;
static uint64_t next(void) {
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

/* CPU seconds of the process (all threads): on a shared machine a better gauge of the work
 * done than wall time. */
static double cpu_seconds(void) {
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static double peak_rss_mb(void) {
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss / 1024.0;
}

static void print2(const char *name, const char *what, double v, const char *unit) {
    char label[160];
    snprintf(label, sizeof label, "logup_%s_%s", name, what);
    bench_print(label, v, unit);
}

/* Best of five verifications. */
static double verify_seconds(const fti_logup_columns *c, ke_t alpha, const fti_logup_proof *proof) {
    double best = 1e9;
    for (int rep = 0; rep < 5; rep++) {
        fti_transcript t;
        fti_logup_claims vc;
        int ok = 0;
        fti_transcript_init(&t, "bench");
        double t0 = bench_now();
        if (fti_logup_verify(&ok, &vc, &t, c, alpha, proof) != FTI_OK || !ok) exit(1);
        double dt = bench_now() - t0;
        if (dt < best) best = dt;
        fti_logup_claims_free(&vc);
    }
    return best;
}

static void run_case(const char *name, size_t n_cols, const unsigned *nv, int threads) {
    fe_t **cols = malloc(n_cols * sizeof(fe_t *));
    fe_t *m = malloc(((size_t)1 << FTI_LOGUP_TABLE_BITS) * sizeof(fe_t));
    size_t N = 0;
    omp_set_num_threads(threads);
    for (size_t j = 0; j < n_cols; j++) {
        size_t n = (size_t)1 << nv[j];
        cols[j] = malloc(n * sizeof(fe_t));
        for (size_t x = 0; x < n; x++) cols[j][x] = next() & 0xFFFF; /* 16-bit limbs */
        N += n;
    }
    fti_logup_columns c = {n_cols, nv, (const fe_t *const *)cols};
    double t0 = bench_now();
    if (fti_logup_multiplicities(m, &c) != FTI_OK) exit(1);
    double t_mult = bench_now() - t0;
    ke_t alpha = {{next() % FE_P, next() % FE_P, next() % FE_P}};
    fti_transcript t;
    fti_logup_proof proof;
    fti_logup_claims claims;
    double rss0 = peak_rss_mb();
    fti_transcript_init(&t, "bench");
    double c0 = cpu_seconds();
    t0 = bench_now();
    if (fti_logup_prove(&proof, &claims, &t, &c, m, alpha) != FTI_OK) exit(1);
    double t_prove = bench_now() - t0, c_prove = cpu_seconds() - c0;
    double rss1 = peak_rss_mb();
    double t_verify = verify_seconds(&c, alpha, &proof);
    print2(name, "prove", t_prove, "s");
    print2(name, "prove_per_Mentry", t_prove * 1e6 / (double)N, "s/M");
    print2(name, "prove_per_entry", t_prove * 1e9 / (double)N, "ns");
    print2(name, "prove_cpu_per_entry", c_prove * 1e9 / (double)N, "ns");
    print2(name, "multiplicities_per_entry", t_mult * 1e9 / (double)N, "ns");
    print2(name, "verify", t_verify * 1e3, "ms");
    print2(name, "proof_size", fti_logup_proof_size(&proof) / 1e3, "kB");
    print2(name, "peak_rss", rss1, "MB");
    print2(name, "prover_bytes_per_entry", (rss1 - rss0) * 1048576.0 / (double)N, "B");
    fti_logup_claims_free(&claims);
    fti_logup_proof_free(&proof);
    for (size_t j = 0; j < n_cols; j++) free(cols[j]);
    free(cols);
    free(m);
}

static void in_child(const char *filter, const char *base, size_t n_cols, const unsigned *nv, int threads) {
    char name[128];
    snprintf(name, sizeof name, "%s_t%d", base, threads);
    char label[160];
    snprintf(label, sizeof label, "logup_%s", name);
    if (!bench_selected(filter, label)) return;
    pid_t pid = fork();
    if (pid == 0) {
        run_case(name, n_cols, nv, threads);
        exit(0);
    }
    int status;
    waitpid(pid, &status, 0);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) printf("bench %s failed\n", label);
}

int main(int argc, char **argv) {
    const char *filter = argc > 1 ? argv[1] : NULL;
    printf("# max threads: %d, AVX-512 kernels %s\n", omp_get_max_threads(), fti_simd_avx512() ? "on" : "off");
    static const unsigned s20[] = {20}, s24[] = {24};
    /* 16 columns of mixed sizes (2^20 .. 2^0), about 2^21.6 entries */
    static const unsigned mix[] = {20, 18, 18, 16, 14, 12, 10, 8, 19, 19, 17, 15, 13, 11, 9, 0};
    for (int threads = 1; threads <= 2; threads++) {
        in_child(filter, "2^20", 1, s20, threads);
        in_child(filter, "2^24", 1, s24, threads);
        in_child(filter, "mixed16", 16, mix, threads);
    }
    return 0;
}
