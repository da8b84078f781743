#include "cli/progress.h"

#include <stdio.h>
#include <time.h>
#include <unistd.h>

double cli_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

void cli_progress_init(cli_progress *p, const char *what, int quiet) {
    p->enabled = !quiet && isatty(STDERR_FILENO);
    p->t0 = cli_now();
    p->what = what;
}

void cli_progress_report(void *ctx, size_t done, size_t total, uint64_t bytes_done, uint64_t bytes_total) {
    cli_progress *p = ctx;
    if (!p->enabled) return;
    double el = cli_now() - p->t0, rate = el > 0 ? (double)bytes_done / el : 0;
    double eta = rate > 0 && bytes_total > bytes_done ? (double)(bytes_total - bytes_done) / rate : 0;
    fprintf(stderr, "\r%s: %zu/%zu tensors, %.1f/%.1f MB, %.1f MB/s, ETA %.0f s   ", p->what, done, total,
            (double)bytes_done / 1e6, (double)bytes_total / 1e6, rate / 1e6, eta);
    fflush(stderr);
}

void cli_progress_done(cli_progress *p) {
    if (p->enabled) fprintf(stderr, "\r%80s\r", "");
}
