/* Parallel fills and deterministic reductions (contracts in synth_internal.h). */
#include <math.h>
#include <string.h>

#include "synth/synth_internal.h"
#include "synth/synth_num.h"

#define FILL_BLOCK 8192 /* elements per parallel work item */

static double init_value(fti_init_kind init, double mean, double std, double z) {
    return init == FTI_INIT_LOGNORMAL ? exp(std * z) : mean + std * z;
}

void fti_synth_fill(uint8_t *buf, fti_dtype dt, uint64_t n, uint64_t key, fti_init_kind init, double mean,
                    double std) {
    unsigned w = fti_synth_width(dt);
    int64_t blocks = (int64_t)((n + FILL_BLOCK - 1) / FILL_BLOCK);
    fti_synth_normal_init();
#pragma omp parallel for schedule(static) if (n >= FTI_SYNTH_PAR_MIN)
    for (int64_t b = 0; b < blocks; b++) {
        uint64_t i0 = (uint64_t)b * FILL_BLOCK, i1 = i0 + FILL_BLOCK < n ? i0 + FILL_BLOCK : n;
        for (uint64_t i = i0; i < i1; i++)
            fti_synth_store(buf + i * w, dt, init_value(init, mean, std, fti_synth_normal(key, i)));
    }
}

void fti_synth_reduce(double out[FTI_SYNTH_NSUM], uint64_t n, fti_synth_chunk_fn fn, const void *arg) {
    enum { GROUP = 256 }; /* chunks per parallel round: bounded stack, no allocation */
    double part[GROUP][FTI_SYNTH_NSUM];
    uint64_t chunks = (n + FTI_SYNTH_CHUNK - 1) / FTI_SYNTH_CHUNK;
    memset(out, 0, FTI_SYNTH_NSUM * sizeof *out);
    for (uint64_t g = 0; g < chunks; g += GROUP) {
        int64_t m = (int64_t)(chunks - g < GROUP ? chunks - g : GROUP);
#pragma omp parallel for schedule(static) if (m > 1)
        for (int64_t c = 0; c < m; c++) {
            uint64_t i0 = (g + (uint64_t)c) * FTI_SYNTH_CHUNK, i1 = i0 + FTI_SYNTH_CHUNK < n ? i0 + FTI_SYNTH_CHUNK : n;
            memset(part[c], 0, sizeof part[c]);
            fn(arg, i0, i1, part[c]);
        }
        for (int64_t c = 0; c < m; c++)
            for (int s = 0; s < FTI_SYNTH_NSUM; s++) out[s] += part[c][s];
    }
}

static void normal_sq_chunk(const void *arg, uint64_t i0, uint64_t i1, double out[FTI_SYNTH_NSUM]) {
    uint64_t key = *(const uint64_t *)arg;
    for (uint64_t i = i0; i < i1; i++) {
        double z = fti_synth_normal(key, i);
        out[0] += z * z;
    }
}

double fti_synth_normal_sumsq(uint64_t key, uint64_t n) {
    double s[FTI_SYNTH_NSUM];
    fti_synth_normal_init();
    fti_synth_reduce(s, n, normal_sq_chunk, &key);
    return s[0];
}
