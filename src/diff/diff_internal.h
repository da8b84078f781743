/* Internals of the diff module (diff.h): the scaled double-double sum of squares, the decoding
 * pass over one tensor pair, the rank computation and the LAPACK/BLAS symbols they call. */
#ifndef FTI_DIFF_INTERNAL_H
#define FTI_DIFF_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "diff/diff.h"

/* ---- sum of squares -------------------------------------------------------------------------
 * S = (hi + lo) * 4^e with hi + lo a double-double. Each chunk of values is scaled by the power
 * of two 2^-e that brings its largest magnitude below 1 (the sum is rescaled, exactly, when a
 * larger one arrives), so neither squares of F64 extremes overflow nor tiny ones vanish; squares
 * are split exactly (Dekker) and added with error-free transformations. Empty: hi = lo = 0. */
typedef struct {
    int e;
    double hi, lo;
} diff_ssq;

static inline void diff_ssq_init(diff_ssq *s) {
    s->e = 0;
    s->hi = s->lo = 0;
}
/* Adds sum x_i^2 (x finite). */
void diff_ssq_add(diff_ssq *s, const double *x, size_t n);
/* s += t. */
void diff_ssq_merge(diff_ssq *s, const diff_ssq *t);
/* sqrt(S) (or S itself when root is 0), rounded once more to double; +inf on overflow. */
double diff_ssq_value(const diff_ssq *s, int root);

/* ---- the pass over one tensor pair ----------------------------------------------------------- */

typedef struct {
    diff_ssq w, t, d; /* sums of squares of W, W', Delta */
} diff_sums;

/* Fills t's measured figures (norm_*, changed, max_*; not rank) from base b and tuned u, which
 * have the same dtype and shape. delta (NULL, or numel doubles) receives Delta in flat order;
 * *tol_round (may be NULL) receives tol_F (diff.h) of u. Undecodable dtypes: bytes compared,
 * norms NaN. threads >= 1. Errors: FTI_ERR_RANGE (NaN/infinity, message per diff.h),
 * FTI_ERR_NOMEM. */
FTI_MUST_CHECK fti_status diff_pass(fti_diff_tensor *t, diff_sums *sums, double *tol_round, const fti_st_tensor *b,
                                    const fti_st_tensor *u, double *delta, int threads);

/* FTI_OK if both checkpoints hold the same tensor names with the same shapes and dtypes, else
 * FTI_ERR_MISMATCH listing the differences (diff.h). */
FTI_MUST_CHECK fti_status diff_match(const fti_ckpt *base, const fti_ckpt *tuned);

/* ---- rank ------------------------------------------------------------------------------------ */

typedef struct {
    double tol;          /* relative threshold for rank@tol (NaN: max(rows, cols) * 2^-52) */
    uint64_t svd_limit;
    uint64_t sketch_max;
    uint64_t seed;       /* of the sketch's Gaussian matrix */
    const char *name;    /* for messages */
} diff_rank_params;

/* Rank figures of the matrix held in d: frows x fcols, row-major (d is overwritten). The caller
 * has set r->rows, r->cols, r->axis (the view) and r->tol_round; `transposed` says that the view
 * is the transpose of the flat layout (out axis last). Fills the rest (diff.h). Errors:
 * FTI_ERR_NOMEM, FTI_ERR_INTERNAL (LAPACK failure), FTI_ERR_UNSUPPORTED (a dimension >= 2^31). */
FTI_MUST_CHECK fti_status diff_rank(fti_diff_rank *r, double *d, uint64_t frows, uint64_t fcols, int transposed,
                                    const diff_rank_params *p);

/* Fills r's bracket figures from the k leading singular values s (descending) of a sketch B of
 * a matrix A with ||A - Q B||_F <= rnorm and min(rows, cols) = full (rnorm = 0, k = full: an
 * exact SVD). tol is the relative threshold. Exposed for tests. */
void diff_rank_brackets(fti_diff_rank *r, const double *s, uint64_t k, double rnorm, uint64_t full, double tol);

/* ---- LAPACK / BLAS (Fortran symbols of liblapack / OpenBLAS) ---------------------------------
 * Character arguments carry gfortran's hidden length arguments at the end. */
void dgesdd_(const char *jobz, const int *m, const int *n, double *a, const int *lda, double *s, double *u,
             const int *ldu, double *vt, const int *ldvt, double *work, const int *lwork, int *iwork, int *info,
             size_t jobz_len);
void dgeqrf_(const int *m, const int *n, double *a, const int *lda, double *tau, double *work, const int *lwork,
             int *info);
void dorgqr_(const int *m, const int *n, const int *k, double *a, const int *lda, const double *tau, double *work,
             const int *lwork, int *info);
void dgemm_(const char *ta, const char *tb, const int *m, const int *n, const int *k, const double *alpha,
            const double *a, const int *lda, const double *b, const int *ldb, const double *beta, double *c,
            const int *ldc, size_t ta_len, size_t tb_len);

/* OpenBLAS's thread control, when the BLAS is OpenBLAS (weak: absent elsewhere). */
void openblas_set_num_threads(int n) __attribute__((weak));
int openblas_get_num_threads(void) __attribute__((weak));

#endif
