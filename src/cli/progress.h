/* A progress line on stderr when it is a terminal (tensors, bytes, rate, ETA); nothing when it
 * is not, so piped or logged output stays clean. */
#ifndef FTI_CLI_PROGRESS_H
#define FTI_CLI_PROGRESS_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
    int enabled;
    double t0;
    const char *what;
} cli_progress;

void cli_progress_init(cli_progress *p, const char *what, int quiet);
/* The fti_progress callback (ctx is a cli_progress). */
void cli_progress_report(void *ctx, size_t done, size_t total, uint64_t bytes_done, uint64_t bytes_total);
/* Clears the line. */
void cli_progress_done(cli_progress *p);
double cli_now(void);

#endif
