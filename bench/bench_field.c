/* Field benchmarks: multiplications per second in F (Goldilocks) and K (cubic extension),
 * each measured two ways:
 *   *_chain:      one dependent chain x = x * c (each product waits for the previous one):
 *                 the latency of a multiplication;
 *   *_throughput: eight independent chains interleaved (x_l = x_l * c_l), which the CPU
 *                 overlaps: the rate of a loop with independent products (NTT, sum-check).
 * For comparison, nt_mul_* run the NTT's branch-free multiplication (ntt_arith.h, redundant
 * output in [0, 2^64), canonicalised at the end of a chain as the NTT does at the end of a pass).
 * Baselines: the same two loops with the native 64-bit wrapping multiplication (what a
 * multiplication would cost without reduction), and fe_add as a chain.
 * Figures are millions of operations per second (best of 5 runs).
 *   usage: bench_field [name-filter] */
#include <stdint.h>

#include "bench.h"
#include "field/ext.h"
#include "ntt/ntt_arith.h"

#define ITERS 20000000L

typedef uint64_t (*loop_fn)(uint64_t seed);

static uint64_t fe_mul_chain(uint64_t seed) {
    fe_t x = seed % FE_P, c = 0x123456789ABCDEFull % FE_P;
    for (long i = 0; i < ITERS; i++) x = fe_mul(x, c);
    return x;
}

static uint64_t fe_mul_throughput(uint64_t seed) {
    fe_t x[8], c[8];
    for (int l = 0; l < 8; l++) x[l] = (seed + (uint64_t)l) % FE_P, c[l] = (0xABCDEF0123ull * (uint64_t)(l + 3)) % FE_P;
    for (long i = 0; i < ITERS / 8; i++)
        for (int l = 0; l < 8; l++) x[l] = fe_mul(x[l], c[l]);
    return x[0] ^ x[1] ^ x[2] ^ x[3] ^ x[4] ^ x[5] ^ x[6] ^ x[7];
}

static uint64_t nt_mul_chain(uint64_t seed) {
    uint64_t x = seed % FE_P, c = 0x123456789ABCDEFull % FE_P;
    for (long i = 0; i < ITERS; i++) x = nt_mul(x, c);
    return nt_canon(x);
}

static uint64_t nt_mul_throughput(uint64_t seed) {
    uint64_t x[8], c[8];
    for (int l = 0; l < 8; l++) x[l] = (seed + (uint64_t)l) % FE_P, c[l] = (0xABCDEF0123ull * (uint64_t)(l + 3)) % FE_P;
    for (long i = 0; i < ITERS / 8; i++)
        for (int l = 0; l < 8; l++) x[l] = nt_mul(x[l], c[l]);
    return nt_canon(x[0] ^ x[1] ^ x[2] ^ x[3] ^ x[4] ^ x[5] ^ x[6] ^ x[7]);
}

static uint64_t fe_add_chain(uint64_t seed) {
    fe_t x = seed % FE_P, c = 0xFFFFFFFF00000000ull;
    for (long i = 0; i < ITERS; i++) x = fe_add(x, c);
    return x;
}

static uint64_t u64_mul_chain(uint64_t seed) {
    uint64_t x = seed | 1, c = 0x9E3779B97F4A7C15ull;
    for (long i = 0; i < ITERS; i++) {
        x *= c;
        __asm__ volatile("" : "+r"(x)); /* keep the loop from being folded into a power */
    }
    return x;
}

static uint64_t u64_mul_throughput(uint64_t seed) {
    uint64_t x[8];
    for (int l = 0; l < 8; l++) x[l] = seed + 2 * (uint64_t)l + 1;
    for (long i = 0; i < ITERS / 8; i++)
        for (int l = 0; l < 8; l++) {
            x[l] *= 0x9E3779B97F4A7C15ull + 2 * (uint64_t)l;
            __asm__ volatile("" : "+r"(x[l]));
        }
    return x[0] ^ x[1] ^ x[2] ^ x[3] ^ x[4] ^ x[5] ^ x[6] ^ x[7];
}

static ke_t ke_seed(uint64_t seed, uint64_t l) {
    ke_t r = {{(seed + l) % FE_P, (seed * 3 + 7 * l) % FE_P, (seed ^ 0xDEADBEEFull) % FE_P}};
    return r;
}

static uint64_t ke_mul_chain(uint64_t seed) {
    ke_t x = ke_seed(seed, 0), c = ke_seed(0x1234567, 1);
    for (long i = 0; i < ITERS / 4; i++) x = ke_mul(x, c);
    return x.c[0] ^ x.c[1] ^ x.c[2];
}

static uint64_t ke_mul_throughput(uint64_t seed) {
    ke_t x[4], c[4];
    for (int l = 0; l < 4; l++) x[l] = ke_seed(seed, (uint64_t)l), c[l] = ke_seed(0x7654321, (uint64_t)l + 1);
    for (long i = 0; i < ITERS / 16; i++)
        for (int l = 0; l < 4; l++) x[l] = ke_mul(x[l], c[l]);
    return x[0].c[0] ^ x[1].c[1] ^ x[2].c[2] ^ x[3].c[0];
}

static void run(const char *filter, const char *name, loop_fn fn, double ops) {
    if (!bench_selected(filter, name)) return;
    double best = 1e30;
    for (int r = 0; r < 5; r++) {
        double t0 = bench_now();
        bench_consume(fn((uint64_t)r + 12345));
        double t = bench_now() - t0;
        if (t < best) best = t;
    }
    bench_print(name, ops / best * 1e-6, "Mops/s");
}

int main(int argc, char **argv) {
    const char *filter = argc > 1 ? argv[1] : NULL;
    run(filter, "fe_mul_chain", fe_mul_chain, (double)ITERS);
    run(filter, "fe_mul_throughput", fe_mul_throughput, (double)(ITERS / 8 * 8));
    run(filter, "ke_mul_chain", ke_mul_chain, (double)(ITERS / 4));
    run(filter, "ke_mul_throughput", ke_mul_throughput, (double)(ITERS / 16 * 4));
    run(filter, "nt_mul_chain", nt_mul_chain, (double)ITERS);
    run(filter, "nt_mul_throughput", nt_mul_throughput, (double)(ITERS / 8 * 8));
    run(filter, "fe_add_chain", fe_add_chain, (double)ITERS);
    run(filter, "baseline_u64_mul_chain", u64_mul_chain, (double)ITERS);
    run(filter, "baseline_u64_mul_throughput", u64_mul_throughput, (double)(ITERS / 8 * 8));
    return 0;
}
