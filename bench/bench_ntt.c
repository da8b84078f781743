/* NTT benchmarks: forward and inverse transforms (bit-reversed order, the one Basefold uses,
 * and natural order, which adds a bit-reversal pass) at 2^20, 2^22, 2^24 on one thread and on
 * all OpenMP threads, the bit-reversal permutation, and RS encoding of 2^24 coefficients at
 * blowup 2. Each figure is the best of 5 runs, in milliseconds of wall-clock time (the best,
 * not the mean: other processes on a shared machine only ever add time).
 *   usage: bench_ntt [name-filter] */
#include <omp.h>
#include <stdint.h>
#include <stdlib.h>

#include "bench.h"
#include "ntt/ntt.h"

static fe_t *random_vector(size_t n) {
    fe_t *v = malloc(n * sizeof *v);
    if (!v) {
        perror("malloc");
        exit(1);
    }
    uint64_t x = 0x9E3779B97F4A7C15ull;
    for (size_t i = 0; i < n; i++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17; /* xorshift64 */
        v[i] = x % FE_P;
    }
    return v;
}

enum { FWD_BR, INV_BR, FWD_NAT, INV_NAT, BITREV };

static void run_one(int op, fe_t *a, unsigned k) {
    switch (op) {
    case FWD_BR: fti_ntt_forward_br(a, k, 1); break;
    case INV_BR: fti_ntt_inverse_br(a, k, 1); break;
    case FWD_NAT: fti_ntt_forward(a, k, 1); break;
    case INV_NAT: fti_ntt_inverse(a, k, 1); break;
    default: fti_bit_reverse(a, k); break;
    }
}

/* Best wall-clock time of `reps` runs of op on a (transformed in place run after run). */
static double best_ms(int op, fe_t *a, unsigned k, int reps) {
    double best = 1e30;
    for (int r = 0; r < reps; r++) {
        double t0 = bench_now();
        run_one(op, a, k);
        double t = bench_now() - t0;
        if (t < best) best = t;
    }
    return best * 1e3;
}

static void bench_transform(const char *filter, const char *label, int op, unsigned k, int threads) {
    char name[96];
    snprintf(name, sizeof name, "%s_2^%u_%dt", label, k, threads);
    if (!bench_selected(filter, name)) return;
    fe_t *a = random_vector((size_t)1 << k);
    omp_set_num_threads(threads);
    run_one(op, a, k); /* warm-up: page faults, twiddle tables */
    bench_print(name, best_ms(op, a, k, 5), "ms");
    free(a);
}

static void bench_rs(const char *filter, unsigned k, unsigned b, int threads) {
    char name[96];
    snprintf(name, sizeof name, "rs_encode_2^%u_blowup%u_%dt", k, 1u << b, threads);
    if (!bench_selected(filter, name)) return;
    fe_t *f = random_vector((size_t)1 << k), *cw = random_vector((size_t)1 << (k + b));
    omp_set_num_threads(threads);
    double best = 1e30;
    for (int r = 0; r < 5; r++) {
        double t0 = bench_now();
        if (fti_rs_encode(cw, f, k, b) != FTI_OK) {
            fprintf(stderr, "rs_encode failed: %s\n", fti_last_error());
            exit(1);
        }
        double t = bench_now() - t0;
        if (t < best) best = t;
    }
    bench_print(name, best * 1e3, "ms");
    free(f), free(cw);
}

int main(int argc, char **argv) {
    const char *filter = argc > 1 ? argv[1] : NULL;
    int all = omp_get_max_threads();
    printf("# threads: 1 and %d (omp_get_max_threads)\n", all);
    static const struct {
        const char *label;
        int op;
    } ops[] = {{"ntt_forward_br", FWD_BR}, {"ntt_inverse_br", INV_BR}, {"ntt_forward", FWD_NAT}, {"ntt_inverse", INV_NAT}};
    for (size_t o = 0; o < sizeof ops / sizeof ops[0]; o++)
        for (unsigned k = 20; k <= 24; k += 2) {
            bench_transform(filter, ops[o].label, ops[o].op, k, 1);
            if (all > 1) bench_transform(filter, ops[o].label, ops[o].op, k, all);
        }
    bench_transform(filter, "bit_reverse", BITREV, 24, 1);
    if (all > 1) bench_transform(filter, "bit_reverse", BITREV, 24, all);
    bench_rs(filter, 24, 1, 1);
    if (all > 1) bench_rs(filter, 24, 1, all);
    omp_set_num_threads(all);
    return 0;
}
