/* The hot loops of the PCS prover (pcs_open.c, pcs_group.c) and of the block sum-check of
 * commitments, each on an index range so that callers keep their own parallel loops.
 *
 * Two implementations: scalar (pcs_kernels.c, the reference) and AVX-512 (pcs_avx512.c, eight
 * lanes, with algebra that saves multiplications). Field arithmetic is exact, so both write the
 * same tables and return the same sums whatever the order of additions; proofs are identical
 * with either and with any number of threads. pcs_kernels_get() picks one at run time.
 *
 * Conventions: index ranges are [i0, i1); "pairs" are the entries 2y and 2y + 1 of a table. */
#ifndef FTI_PCS_KERNELS_H
#define FTI_PCS_KERNELS_H

#include "field/ext.h"

typedef struct {
    /* out[m] = sum_i mu_i fold(cw_i[2m], cw_i[2m+1]; inv2x[m], s) over n base-field codewords:
     * Basefold's first fold, without forming the combination in K (pcs_fold). */
    void (*fold_first)(ke_t *out, const fe_t *const *cw, const ke_t *mu, size_t n, const fe_t *inv2x, ke_t s,
                       size_t m0, size_t m1);
    /* out[m] = fold(R[2m], R[2m+1]; inv2x[m], s). */
    void (*fold)(ke_t *out, const ke_t *R, const fe_t *inv2x, ke_t s, size_t m0, size_t m1);
    /* R[x] += sum_i mu_i cw_i[x]. */
    void (*roll_in)(ke_t *R, const fe_t *const *cw, const ke_t *mu, size_t n, size_t x0, size_t x1);
    /* out[y] = T[2y] + r (T[2y+1] - T[2y]): a multilinear table's first variable bound to r. */
    void (*fold_lin)(ke_t *out, const ke_t *T, ke_t r, size_t y0, size_t y1);
    /* out[y] = sum_i coef_i (f_i[2y] + r (f_i[2y+1] - f_i[2y])) over n base tables. */
    void (*fold_lin_base)(ke_t *out, const fe_t *const *f, const ke_t *coef, size_t n, ke_t r, size_t y0,
                          size_t y1);
    /* sum_(y < len) E[y] T[2y + odd]. */
    ke_t (*dot_pairs)(const ke_t *E, const ke_t *T, int odd, size_t len);
    /* sum_(y < len) E[y] sum_i coef_i f_i[2 (off + y) + odd] over n base tables. */
    ke_t (*dot_pairs_base)(const ke_t *E, const fe_t *const *f, const ke_t *coef, size_t n, size_t off, int odd,
                           size_t len);
    /* out[y] = T[2y] + T[2y+1]. */
    void (*sum_pairs)(ke_t *out, const ke_t *T, size_t y0, size_t y1);
    /* out[x] = in[x] c (in and out may be the same). */
    void (*scale)(fe_t *out, const fe_t *in, fe_t c, size_t len);
} pcs_kernels;

extern const pcs_kernels pcs_kernels_scalar;
/* NULL where there is no AVX-512 version (another CPU architecture or compiler). */
extern const pcs_kernels *const pcs_kernels_avx512;

/* The AVX-512 kernels if fti_simd_avx512(), else the scalar ones. */
const pcs_kernels *pcs_kernels_get(void);

/* Outputs per task of the callers' parallel loops (a multiple of 8). */
#define PCS_BLOCK ((size_t)1 << 12)

/* The pairwise maps above applied in place (out == T) for y < len, in parallel, with the kernels
 * of pcs_kernels_get(): this saves a fresh buffer (and its page faults) per fold. Output y
 * overwrites entry y, an input of output y/2, so outputs go in ranges [2^i, 2^(i+1)) of
 * increasing i: a range reads [2^(i+1), 2^(i+2)), disjoint from what it writes, and what it
 * overwrites the earlier ranges have read. Within a range the order does not matter. */
void pcs_fold_inplace(ke_t *R, const fe_t *inv2x, ke_t s, size_t len);
void pcs_fold_lin_inplace(ke_t *T, ke_t r, size_t len);
void pcs_sum_pairs_inplace(ke_t *T, size_t len);

#endif
