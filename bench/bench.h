/* Shared helpers for the benchmark programs (bench/bench_*.c): a wall-clock timer, a
 * best-of-N runner and the one output format that scripts read:
 *
 *   bench: NAME VALUE UNIT
 *
 * NAME has no spaces; VALUE is a plain decimal number. Each program takes an optional name
 * filter (argv[1]): only benchmarks whose name contains it run. */
#ifndef FTI_BENCH_H
#define FTI_BENCH_H

#include <stdio.h>
#include <string.h>
#include <time.h>

/* Seconds on a monotonic clock. */
static inline double bench_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static inline void bench_print(const char *name, double value, const char *unit) {
    printf("bench: %s %.3f %s\n", name, value, unit);
    fflush(stdout);
}

/* Whether the benchmark `name` passes the program's filter (NULL: all). */
static inline int bench_selected(const char *filter, const char *name) {
    return !filter || strstr(name, filter) != NULL;
}

/* Sink that keeps the optimiser from discarding a computed value. */
static inline void bench_consume(unsigned long long x) {
    static volatile unsigned long long sink;
    sink ^= x;
}

#endif
