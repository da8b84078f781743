/* Low-rank factors for rank certificates (prover side): integer matrices U (m x c) and V (n x c)
 * with entries in [-2^15, 2^15) and a shift t such that R = 2^t Delta - U V^T is small, found by
 * a truncated randomized SVD of Delta (LAPACK) and rounding. Deterministic: a fixed seed, and
 * OpenBLAS held to one thread while it runs. */
#ifndef FTI_CERT_LOWRANK_H
#define FTI_CERT_LOWRANK_H

#include <stdint.h>

#include "fti/fti.h"

#define CERT_MAX_SHIFT 30

typedef struct cert_factors_s {
    uint64_t m, n;  /* the unit's logical rows and columns */
    unsigned rank;  /* c: the number of factor columns used (<= the requested r) */
    int shift;      /* t in [0, CERT_MAX_SHIFT] */
    int16_t *U;     /* m x rank, row-major */
    int16_t *V;     /* n x rank, row-major */
    int residual_fits; /* every |R| < 2^31 */
    int exact;      /* R == 0 */
} cert_factors;

void cert_factors_free(cert_factors *f);

/* Factors delta (m x n row-major integers, |delta| < 2^32) with at most r_max columns. */
FTI_MUST_CHECK fti_status cert_lowrank_factor(cert_factors *out, const int64_t *delta, uint64_t m, uint64_t n,
                                              unsigned r_max, uint64_t seed);

/* Rounds given real factors (L: m x r, M: n x r, column-major, L M^T ~ delta) to 16-bit
 * factors as cert_lowrank_factor does with its own (the factors of a LoRA adapter). */
FTI_MUST_CHECK fti_status cert_lowrank_from(cert_factors *out, const int64_t *delta, uint64_t m, uint64_t n,
                                            const double *L, const double *M, unsigned r);

/* R = 2^shift delta - U V^T at (i, j). */
static inline int64_t cert_factors_residual(const cert_factors *f, const int64_t *delta, uint64_t i, uint64_t j) {
    int64_t acc = 0;
    for (unsigned k = 0; k < f->rank; k++) acc += (int64_t)f->U[i * f->rank + k] * f->V[j * f->rank + k];
    return delta[i * f->n + j] * ((int64_t)1 << f->shift) - acc;
}

#endif
