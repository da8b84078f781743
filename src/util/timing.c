#include "util/timing.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_STAGES 64

static struct {
    const char *name;
    double secs;
    unsigned long calls;
} stages[MAX_STAGES];
static int n_stages, registered;

double fti_time_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void report(void) {
    for (int i = 0; i < n_stages; i++)
        fprintf(stderr, "timing: %-28s %9.3f s  (%lu calls)\n", stages[i].name, stages[i].secs, stages[i].calls);
}

void fti_timing_add(const char *stage, double secs) {
    static int enabled = -1;
    if (enabled < 0) enabled = getenv("FTI_TIMING") != NULL;
    if (!enabled) return;
    int i;
#pragma omp critical(fti_timing)
    {
        for (i = 0; i < n_stages && strcmp(stages[i].name, stage); i++) {
        }
        if (i == n_stages && n_stages < MAX_STAGES) stages[n_stages++].name = stage;
        if (i < MAX_STAGES) {
            stages[i].secs += secs;
            stages[i].calls++;
        }
        if (!registered) {
            registered = 1;
            atexit(report);
        }
    }
}
