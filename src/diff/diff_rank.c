/* Numerical rank of Delta (diff.h): exact SVD for small matrices, a randomized sketch with
 * proven bounds for large ones. Matrices are handed to LAPACK column-major: the flat row-major
 * frows x fcols buffer is the column-major fcols x frows matrix (its transpose), which has the
 * same singular values. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "diff/diff_internal.h"
#include "util/error.h"

/* Power iterations q (Halko et al.: the captured part of sigma_i grows like (sigma_i/sigma_{k+1})^(2q+1)).
 * The first sketch, which decides the common low-rank case (LoRA), takes 2; the larger ones that
 * follow when it did not close take 1, since each pass over A costs as much as 2 m n k flops and
 * the bounds are proven whatever q is (q only tightens them). */
#define POWER_ITERS_FIRST 2
#define POWER_ITERS_MORE 1
#define RESIDUAL_BLOCK ((size_t)1 << 21) /* doubles of A - QB formed at a time */

static uint64_t umin(uint64_t a, uint64_t b) { return a < b ? a : b; }

/* ---- brackets -------------------------------------------------------------------------------- */

/* The least r <= k with sqrt(extra2 + sum_{i>r} s_i^2) <= tol, and that tail in *tail. Tails grow
 * as r falls, so walk down from r = k while the condition still holds (summing the smallest
 * values first). */
static uint64_t least_rank(const double *s, uint64_t k, double extra2, double tol, double *tail) {
    double t2 = extra2;
    uint64_t r = k;
    while (r > 0 && sqrt(t2 + s[r - 1] * s[r - 1]) <= tol) {
        t2 += s[r - 1] * s[r - 1];
        r--;
    }
    *tail = sqrt(t2);
    return r;
}

void diff_rank_brackets(fti_diff_rank *r, const double *s, uint64_t k, double rnorm, uint64_t full, double tol) {
    double tail;
    r->lo = least_rank(s, k, 0, r->tol_round, &tail); /* tail_r(B) <= tail_r(A) */
    if (rnorm > r->tol_round) {
        r->hi = full; /* even all k directions leave more than tol_round: only rank <= full is known */
        r->residual = 0;
    } else {
        r->hi = least_rank(s, k, rnorm * rnorm, r->tol_round, &r->residual); /* ||A - Q B_r||_F */
    }
    /* rank@tol: sigma_i(B) <= sigma_i(A) <= hypot(sigma_i(B), rnorm), sigma_{k+1}(A) <= rnorm */
    double s1 = k ? s[0] : 0, thr_lo = tol * s1, thr_hi = tol * hypot(s1, rnorm);
    uint64_t at_lo = 0, at_hi = 0;
    for (uint64_t i = 0; i < k; i++) {
        at_lo += s[i] > thr_hi;
        at_hi += hypot(s[i], rnorm) > thr_lo;
    }
    r->at_tol_lo = at_lo;
    r->at_tol_hi = rnorm > thr_lo ? full : at_hi;
    r->sigma_max = s1;
    FTI_VERIFY_CHECK(r->lo <= r->hi && r->hi <= full && r->at_tol_lo <= r->at_tol_hi && r->at_tol_hi <= full);
}

/* ---- LAPACK wrappers ------------------------------------------------------------------------- */

static fti_status lapack_failed(const char *name, const char *routine, int info) {
    return fti_fail(FTI_ERR_INTERNAL, "tensor %s: LAPACK %s failed (info %d)", name, routine, info);
}

/* The min(m, n) singular values of the column-major m x n matrix a (destroyed), descending. */
static fti_status singular_values(double *s, double *a, int m, int n, const char *name) {
    int lda = m > 1 ? m : 1, one = 1, info = 0, lwork = -1, mn = m < n ? m : n;
    double query = 0, dummy = 0, *work = NULL;
    int *iwork = malloc(8 * (size_t)mn * sizeof *iwork);
    fti_status st = FTI_ERR_NOMEM;
    if (!iwork) goto out;
    dgesdd_("N", &m, &n, a, &lda, s, &dummy, &one, &dummy, &one, &query, &lwork, iwork, &info, 1);
    lwork = (int)query + 1;
    work = malloc((size_t)lwork * sizeof *work);
    if (info != 0 || !work) goto out;
    dgesdd_("N", &m, &n, a, &lda, s, &dummy, &one, &dummy, &one, work, &lwork, iwork, &info, 1);
    st = info == 0 ? FTI_OK : lapack_failed(name, "dgesdd", info);
out:
    if (st == FTI_ERR_NOMEM) fti_fail(st, "tensor %s: out of memory for the SVD", name);
    free(work);
    free(iwork);
    return st;
}

/* Replaces the m x k column-major y (m >= k) by an orthonormal basis of its range (QR). */
static fti_status orthonormalize(double *y, int m, int k, const char *name) {
    int info = 0, lwork = -1;
    double query = 0, q2 = 0, *work = NULL, *tau = malloc((size_t)k * sizeof *tau);
    fti_status st = FTI_ERR_NOMEM;
    if (!tau) goto out;
    dgeqrf_(&m, &k, y, &m, tau, &query, &lwork, &info);
    dorgqr_(&m, &k, &k, y, &m, tau, &q2, &lwork, &info);
    lwork = (int)(query > q2 ? query : q2) + 1;
    if (!(work = malloc((size_t)lwork * sizeof *work))) goto out;
    dgeqrf_(&m, &k, y, &m, tau, work, &lwork, &info);
    if (info != 0) {
        st = lapack_failed(name, "dgeqrf", info);
        goto out;
    }
    dorgqr_(&m, &k, &k, y, &m, tau, work, &lwork, &info);
    st = info == 0 ? FTI_OK : lapack_failed(name, "dorgqr", info);
out:
    if (st == FTI_ERR_NOMEM) fti_fail(st, "tensor %s: out of memory for the sketch", name);
    free(work);
    free(tau);
    return st;
}

/* c = alpha * op(a) * op(b) + beta * c, column-major, op = 'N' or 'T'. */
static void gemm(char ta, char tb, int m, int n, int k, double alpha, const double *a, int lda, const double *b,
                 int ldb, double beta, double *c, int ldc) {
    dgemm_(&ta, &tb, &m, &n, &k, &alpha, a, &lda, b, &ldb, &beta, c, &ldc, 1, 1);
}

/* ---- the sketch ------------------------------------------------------------------------------ */

static uint64_t splitmix64(uint64_t *x) {
    uint64_t z = (*x += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

/* n standard normal values (Box-Muller), a function of seed only. */
static void gaussian_fill(double *x, size_t n, uint64_t seed) {
    for (size_t i = 0; i < n; i += 2) {
        double u1 = ((double)(splitmix64(&seed) >> 11) + 1) * 0x1p-53; /* (0, 1] */
        double u2 = (double)(splitmix64(&seed) >> 11) * 0x1p-53;
        double rad = sqrt(-2 * log(u1)), ang = 6.283185307179586 * u2;
        x[i] = rad * cos(ang);
        if (i + 1 < n) x[i + 1] = rad * sin(ang);
    }
}

typedef struct {
    double *y, *z, *b, *tmp, *s;
} sketch_bufs;

static void sketch_free(sketch_bufs *w) {
    free(w->y), free(w->z), free(w->b), free(w->tmp), free(w->s);
    memset(w, 0, sizeof *w);
}

/* ||A - Y B||_F, formed a block of columns at a time (A is m x n, Y m x k, B k x n). */
static double residual_norm(const double *a, const double *y, const double *b, int m, int n, int k, double *tmp,
                            size_t bs) {
    diff_ssq acc;
    diff_ssq_init(&acc);
    for (size_t j0 = 0; j0 < (size_t)n; j0 += bs) {
        int w = (int)umin(bs, (size_t)n - j0);
        memcpy(tmp, a + j0 * (size_t)m, (size_t)w * (size_t)m * sizeof *tmp);
        gemm('N', 'N', m, w, k, -1.0, y, m, b + j0 * (size_t)k, k, 1.0, tmp, m);
        diff_ssq_add(&acc, tmp, (size_t)w * (size_t)m);
    }
    return diff_ssq_value(&acc, 1);
}

/* One sketch of k columns: w->s gets the k singular values of B = Q^T A, *rnorm = ||A - QB||_F. */
static fti_status sketch_once(sketch_bufs *w, double *rnorm, const double *a, int m, int n, int k, int q,
                              uint64_t seed, const char *name) {
    size_t bs = umin((size_t)n, RESIDUAL_BLOCK / (size_t)m + 1);
    sketch_free(w);
    w->y = malloc((size_t)m * k * sizeof *w->y);
    w->z = malloc((size_t)n * k * sizeof *w->z);
    w->b = malloc((size_t)k * n * sizeof *w->b);
    w->tmp = malloc((size_t)m * bs * sizeof *w->tmp);
    w->s = malloc((size_t)k * sizeof *w->s);
    if (!w->y || !w->z || !w->b || !w->tmp || !w->s)
        return fti_fail(FTI_ERR_NOMEM, "tensor %s: out of memory for a sketch of %d columns", name, k);
    gaussian_fill(w->z, (size_t)n * k, seed);
    gemm('N', 'N', m, k, n, 1.0, a, m, w->z, n, 0.0, w->y, m);
    fti_status st = orthonormalize(w->y, m, k, name);
    for (int it = 0; st == FTI_OK && it < q; it++) {
        gemm('T', 'N', n, k, m, 1.0, a, m, w->y, m, 0.0, w->z, n);
        st = orthonormalize(w->z, n, k, name);
        if (st != FTI_OK) break;
        gemm('N', 'N', m, k, n, 1.0, a, m, w->z, n, 0.0, w->y, m);
        st = orthonormalize(w->y, m, k, name);
    }
    if (st != FTI_OK) return st;
    gemm('T', 'N', k, n, m, 1.0, w->y, m, a, m, 0.0, w->b, k);
    *rnorm = residual_norm(a, w->y, w->b, m, n, k, w->tmp, bs);
    return singular_values(w->s, w->b, k, n, name);
}

/* Sketches of 64, 128, ... columns (at most cap) until the rank bracket closes. rank@tol does not
 * drive the loop: after rounding to the dtype it is usually full (noise), which only the cap
 * would reach; its bracket is reported as it stands. */
static fti_status sketch_rank(fti_diff_rank *r, const double *a, int m, int n, const diff_rank_params *p) {
    uint64_t full = umin((uint64_t)m, (uint64_t)n), cap = umin(p->sketch_max ? p->sketch_max : 1, full);
    uint64_t k = umin(FTI_DIFF_SKETCH_MIN, cap);
    sketch_bufs w = {0};
    fti_status st;
    for (;;) {
        double rnorm = 0;
        int q = k == umin(FTI_DIFF_SKETCH_MIN, cap) ? POWER_ITERS_FIRST : POWER_ITERS_MORE;
        st = sketch_once(&w, &rnorm, a, m, n, (int)k, q, p->seed ^ k, p->name);
        if (st != FTI_OK) break;
        diff_rank_brackets(r, w.s, k, rnorm, full, r->tol);
        r->sketch_cols = k;
        if (r->lo == r->hi || k >= cap) break;
        k = umin(2 * k, cap);
    }
    sketch_free(&w);
    return st;
}

/* ---- driver ---------------------------------------------------------------------------------- */

/* Drops the all-zero rows and columns of the row-major rows x cols matrix d, in place (every
 * kept entry moves to a position no later than its own). */
static fti_status drop_zero_lines(double *d, uint64_t *rows, uint64_t *cols, const char *name) {
    uint64_t R = *rows, C = *cols, nr = 0, nc = 0;
    uint8_t *rf = calloc(R ? R : 1, 1), *cf = calloc(C ? C : 1, 1);
    uint64_t *keep = malloc((C ? C : 1) * sizeof *keep);
    if (!rf || !cf || !keep) {
        free(rf), free(cf), free(keep);
        return fti_fail(FTI_ERR_NOMEM, "tensor %s: out of memory", name);
    }
    for (uint64_t i = 0; i < R; i++)
        for (uint64_t j = 0; j < C; j++)
            if (d[i * C + j] != 0) rf[i] = cf[j] = 1;
    for (uint64_t j = 0; j < C; j++)
        if (cf[j]) keep[nc++] = j;
    for (uint64_t i = 0; i < R; i++) nr += rf[i];
    if (nr < R || nc < C) {
        uint64_t w = 0;
        for (uint64_t i = 0; i < R; i++)
            for (uint64_t j = 0; rf[i] && j < nc; j++) d[w++] = d[i * C + keep[j]];
    }
    free(rf), free(cf), free(keep);
    *rows = nr;
    *cols = nc;
    return FTI_OK;
}

fti_status diff_rank(fti_diff_rank *r, double *d, uint64_t frows, uint64_t fcols, int transposed,
                     const diff_rank_params *p) {
    uint64_t R = frows, C = fcols;
    r->tol = isnan(p->tol) ? (double)(r->rows > r->cols ? r->rows : r->cols) * 0x1p-52 : p->tol;
    r->sketch_cols = 0;
    fti_status st = drop_zero_lines(d, &R, &C, p->name);
    if (st != FTI_OK) return st;
    r->nz_rows = transposed ? C : R;
    r->nz_cols = transposed ? R : C;
    FTI_VERIFY_CHECK(R <= frows && C <= fcols);
    if (!R || !C) {
        r->method = FTI_RANK_ZERO;
        r->lo = r->hi = r->at_tol_lo = r->at_tol_hi = 0;
        r->residual = r->sigma_max = 0;
        return FTI_OK;
    }
    if (R >= ((uint64_t)1 << 31) || C >= ((uint64_t)1 << 31))
        return fti_fail(FTI_ERR_UNSUPPORTED, "tensor %s: a dimension of %llu x %llu is too large for LAPACK", p->name,
                        (unsigned long long)R, (unsigned long long)C);
    int m = (int)C, n = (int)R; /* column-major view of the row-major buffer */
    uint64_t full = umin(R, C);
    if (full > p->svd_limit) {
        r->method = FTI_RANK_SKETCH;
        return sketch_rank(r, d, m, n, p);
    }
    double *s = malloc(full * sizeof *s);
    if (!s) return fti_fail(FTI_ERR_NOMEM, "tensor %s: out of memory for the SVD", p->name);
    st = singular_values(s, d, m, n, p->name);
    if (st == FTI_OK) {
        r->method = FTI_RANK_SVD;
        diff_rank_brackets(r, s, full, 0, full, r->tol);
    }
    free(s);
    return st;
}
