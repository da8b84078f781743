/* Stage timers for profiling the pipelines: FTI_TIMING=1 in the environment prints, at exit,
 * the wall time spent in each named stage (on stderr), and how much the peak RSS grew during
 * it (inner stages end first, so an outer stage shows only the growth outside its inner ones).
 * Costs a clock read per stage; with FTI_TIMING, a read of /proc/self/status. */
#ifndef FTI_UTIL_TIMING_H
#define FTI_UTIL_TIMING_H

double fti_time_now(void);
/* Adds secs to the stage's total (stage: a string literal). */
void fti_timing_add(const char *stage, double secs);

#define FTI_TIMED(stage, stmt)                               \
    do {                                                     \
        double fti_t0_ = fti_time_now();                     \
        stmt;                                                \
        fti_timing_add(stage, fti_time_now() - fti_t0_);     \
    } while (0)

#endif
