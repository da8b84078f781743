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
    long hwm_kb; /* growth of the peak RSS seen at the ends of this stage's calls */
} stages[MAX_STAGES];
static int n_stages, registered;
static long last_hwm_kb;

/* The process's peak resident set so far (VmHWM), in kB; 0 if unknown. */
static long peak_rss_kb(void) {
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long kb = 0;
    if (!f) return 0;
    while (fgets(line, sizeof line, f))
        if (!strncmp(line, "VmHWM:", 6)) kb = strtol(line + 6, NULL, 10);
    fclose(f);
    return kb;
}

double fti_time_now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void report(void) {
    for (int i = 0; i < n_stages; i++)
        fprintf(stderr, "timing: %-28s %9.3f s  (%lu calls)  peak RSS +%ld MB\n", stages[i].name, stages[i].secs,
                stages[i].calls, stages[i].hwm_kb / 1024);
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
            long hwm = peak_rss_kb();
            stages[i].secs += secs;
            stages[i].calls++;
            if (hwm > last_hwm_kb) stages[i].hwm_kb += hwm - last_hwm_kb, last_hwm_kb = hwm;
        }
        if (!registered) {
            registered = 1;
            atexit(report);
        }
    }
}
