/* Truncated randomized SVD (range finder with power iterations, then an exact SVD of the small
 * projected matrix) and integer rounding of the factors. */
#include "cert/lowrank.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "util/error.h"

/* LAPACK / BLAS (Fortran calling convention; column-major). */
extern void dgemm_(const char *ta, const char *tb, const int *m, const int *n, const int *k, const double *alpha,
                   const double *a, const int *lda, const double *b, const int *ldb, const double *beta, double *c,
                   const int *ldc);
extern void dgeqrf_(const int *m, const int *n, double *a, const int *lda, double *tau, double *work,
                    const int *lwork, int *info);
extern void dorgqr_(const int *m, const int *n, const int *k, double *a, const int *lda, const double *tau,
                    double *work, const int *lwork, int *info);
extern void dgesdd_(const char *jobz, const int *m, const int *n, double *a, const int *lda, double *s, double *u,
                    const int *ldu, double *vt, const int *ldvt, double *work, const int *lwork, int *iwork,
                    int *info);
/* OpenBLAS, when it is the BLAS (weak: absent elsewhere). */
extern void openblas_set_num_threads(int n) __attribute__((weak));
extern int openblas_get_num_threads(void) __attribute__((weak));

#define OVERSAMPLE 10
#define POWER_ITERS 2

void cert_factors_free(cert_factors *f) {
    free(f->U);
    free(f->V);
    memset(f, 0, sizeof *f);
}

static uint64_t splitmix(uint64_t *s) {
    uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

/* Standard normal by Box–Muller from a deterministic stream. */
static double gauss(uint64_t *s) {
    double u1 = ((double)(splitmix(s) >> 11) + 0.5) / 9007199254740992.0;
    double u2 = (double)(splitmix(s) >> 11) / 9007199254740992.0;
    return sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
}

/* Orthonormal basis of the columns of a (m x k, column-major), in place. */
static int orthonormalize(double *a, int m, int k) {
    int info = 0, lwork = -1;
    double q, *tau = malloc((size_t)k * sizeof *tau), *work;
    if (!tau) return 0;
    dgeqrf_(&m, &k, a, &m, tau, &q, &lwork, &info);
    lwork = (int)q + 1;
    work = malloc((size_t)lwork * sizeof *work);
    if (!work) {
        free(tau);
        return 0;
    }
    dgeqrf_(&m, &k, a, &m, tau, work, &lwork, &info);
    if (info == 0) dorgqr_(&m, &k, &k, a, &m, tau, work, &lwork, &info);
    free(work);
    free(tau);
    return info == 0;
}

/* The m x k range basis Q of the m x n matrix D (column-major): Q = orth((D D^T)^p D Omega). */
static int range_basis(double *Q, const double *D, int m, int n, int k, uint64_t seed) {
    double one = 1.0, zero = 0.0;
    double *Om = malloc((size_t)n * k * sizeof *Om), *Z = malloc((size_t)n * k * sizeof *Z);
    int ok = Om && Z;
    if (ok) {
        uint64_t s = seed;
        for (size_t i = 0; i < (size_t)n * k; i++) Om[i] = gauss(&s);
        dgemm_("N", "N", &m, &k, &n, &one, D, &m, Om, &n, &zero, Q, &m); /* Q = D Om */
        ok = orthonormalize(Q, m, k);
        for (int it = 0; ok && it < POWER_ITERS; it++) {
            dgemm_("T", "N", &n, &k, &m, &one, D, &m, Q, &m, &zero, Z, &n); /* Z = D^T Q */
            ok = orthonormalize(Z, n, k);
            if (ok) dgemm_("N", "N", &m, &k, &n, &one, D, &m, Z, &n, &zero, Q, &m); /* Q = D Z */
            if (ok) ok = orthonormalize(Q, m, k);
        }
    }
    free(Om);
    free(Z);
    return ok;
}

/* Top-r SVD factors: L = Q Ub[:, :r] sqrt(S), M = Vb[:, :r] sqrt(S) (column-major m x r, n x r).
 * Returns the number of nonzero singular values kept. */
static int truncated_svd(double *L, double *M, const double *D, int m, int n, int r, uint64_t seed) {
    int k = r + OVERSAMPLE;
    if (k > m) k = m;
    if (k > n) k = n;
    double one = 1.0, zero = 0.0, *Q = malloc((size_t)m * k * sizeof *Q), *B = malloc((size_t)k * n * sizeof *B);
    double *S = malloc((size_t)k * sizeof *S), *Ub = malloc((size_t)k * k * sizeof *Ub);
    double *Vt = malloc((size_t)k * n * sizeof *Vt);
    int *iw = malloc((size_t)8 * k * sizeof *iw), kept = -1, info = 0;
    if (!Q || !B || !S || !Ub || !Vt || !iw || !range_basis(Q, D, m, n, k, seed)) goto out;
    dgemm_("T", "N", &k, &n, &m, &one, Q, &m, D, &m, &zero, B, &k); /* B = Q^T D (k x n) */
    int lwork = -1;
    double wq;
    dgesdd_("S", &k, &n, B, &k, S, Ub, &k, Vt, &k, &wq, &lwork, iw, &info);
    lwork = (int)wq + 1;
    double *work = malloc((size_t)lwork * sizeof *work);
    if (!work) goto out;
    dgesdd_("S", &k, &n, B, &k, S, Ub, &k, Vt, &k, work, &lwork, iw, &info);
    free(work);
    if (info != 0) goto out;
    kept = 0;
    int rr = r < k ? r : k;
    for (int j = 0; j < rr; j++)
        if (S[j] > S[0] * 1e-12 && S[j] > 0) kept++;
    memset(L, 0, (size_t)m * r * sizeof *L);
    memset(M, 0, (size_t)n * r * sizeof *M);
    for (int j = 0; j < kept; j++) {
        double sq = sqrt(S[j]);
        for (int i = 0; i < m; i++) {
            double acc = 0;
            for (int l = 0; l < k; l++) acc += Q[(size_t)l * m + i] * Ub[(size_t)j * k + l];
            L[(size_t)j * m + i] = acc * sq;
        }
        for (int i = 0; i < n; i++) M[(size_t)j * n + i] = Vt[(size_t)i * k + j] * sq;
    }
out:
    free(Q);
    free(B);
    free(S);
    free(Ub);
    free(Vt);
    free(iw);
    return kept;
}

static double max_abs(const double *x, size_t n) {
    double m = 0;
    for (size_t i = 0; i < n; i++) m = fabs(x[i]) > m ? fabs(x[i]) : m;
    return m;
}

/* Rounds L, M to 16-bit integers with scales a, b, a b = 2^t, and checks the residual. */
static void quantize(cert_factors *f, const double *L, const double *M, const int64_t *delta) {
    const double lim = 32767.0;
    double ml = max_abs(L, f->m * f->rank), mm = max_abs(M, f->n * f->rank);
    f->residual_fits = 0;
    for (int t = CERT_MAX_SHIFT; t >= 0; t--) {
        /* b fills V's range; a = 2^t / b must keep U in range too */
        double b = mm > 0 ? lim / mm : 1.0, a = ldexp(1.0, t) / b;
        if (a * ml > lim) continue;
        for (uint64_t i = 0; i < f->m; i++)
            for (unsigned k = 0; k < f->rank; k++) f->U[i * f->rank + k] = (int16_t)lrint(L[k * f->m + i] * a);
        for (uint64_t j = 0; j < f->n; j++)
            for (unsigned k = 0; k < f->rank; k++) f->V[j * f->rank + k] = (int16_t)lrint(M[k * f->n + j] * b);
        f->shift = t;
        int fits = 1, exact = 1;
        for (uint64_t i = 0; i < f->m && fits; i++)
            for (uint64_t j = 0; j < f->n; j++) {
                int64_t r = cert_factors_residual(f, delta, i, j);
                exact &= r == 0;
                if (r < -((int64_t)1 << 31) || r >= ((int64_t)1 << 31)) {
                    fits = 0;
                    break;
                }
            }
        if (fits) {
            f->residual_fits = 1;
            f->exact = exact;
            return;
        }
    }
}

fti_status cert_lowrank_factor(cert_factors *out, const int64_t *delta, uint64_t m, uint64_t n, unsigned r_max,
                               uint64_t seed) {
    memset(out, 0, sizeof *out);
    out->m = m;
    out->n = n;
    if (m > (1u << 30) || n > (1u << 30) || m * n > ((uint64_t)1 << 30))
        return fti_fail(FTI_ERR_UNSUPPORTED, "matrix too large for a rank certificate");
    unsigned r = r_max;
    if (r > m) r = (unsigned)m;
    if (r > n) r = (unsigned)n;
    int nonzero = 0;
    for (uint64_t i = 0; i < m * n && !nonzero; i++) nonzero = delta[i] != 0;
    if (!nonzero || r == 0) { /* rank 0 */
        out->residual_fits = 1;
        out->exact = 1;
        return FTI_OK;
    }
    double *D = malloc(m * n * sizeof *D), *L = malloc(m * r * sizeof *L), *M = malloc(n * r * sizeof *M);
    fti_status st = FTI_OK;
    int saved = openblas_get_num_threads ? openblas_get_num_threads() : 0;
    if (!D || !L || !M) {
        st = fti_fail(FTI_ERR_NOMEM, "out of memory for a %llu x %llu factorisation", (unsigned long long)m,
                      (unsigned long long)n);
        goto out;
    }
    for (uint64_t i = 0; i < m; i++)
        for (uint64_t j = 0; j < n; j++) D[j * m + i] = (double)delta[i * n + j]; /* column-major */
    if (openblas_set_num_threads) openblas_set_num_threads(1); /* deterministic sums */
    int kept = truncated_svd(L, M, D, (int)m, (int)n, (int)r, seed);
    if (openblas_set_num_threads && saved > 0) openblas_set_num_threads(saved);
    if (kept < 0) {
        st = fti_fail(FTI_ERR_INTERNAL, "LAPACK failed on a %llu x %llu matrix", (unsigned long long)m,
                      (unsigned long long)n);
        goto out;
    }
    out->rank = (unsigned)kept;
    out->U = calloc(m * (kept ? kept : 1), sizeof *out->U);
    out->V = calloc(n * (kept ? kept : 1), sizeof *out->V);
    if (!out->U || !out->V) {
        st = fti_fail(FTI_ERR_NOMEM, "out of memory");
        goto out;
    }
    if (kept == 0) { /* R = Delta */
        out->residual_fits = 1;
        out->exact = 0;
        for (uint64_t i = 0; i < m * n; i++)
            if (delta[i] < -((int64_t)1 << 31) || delta[i] >= ((int64_t)1 << 31)) out->residual_fits = 0;
    } else {
        /* pack the kept columns contiguously (L, M hold r columns) */
        quantize(out, L, M, delta);
    }
out:
    free(D);
    free(L);
    free(M);
    if (st != FTI_OK) cert_factors_free(out);
    return st;
}

fti_status cert_lowrank_from(cert_factors *out, const int64_t *delta, uint64_t m, uint64_t n, const double *L,
                             const double *M, unsigned r) {
    memset(out, 0, sizeof *out);
    out->m = m;
    out->n = n;
    out->rank = r;
    out->U = calloc(m * (r ? r : 1), sizeof *out->U);
    out->V = calloc(n * (r ? r : 1), sizeof *out->V);
    if (!out->U || !out->V) {
        cert_factors_free(out);
        return fti_fail(FTI_ERR_NOMEM, "out of memory for rank-%u factors", r);
    }
    for (size_t i = 0; i < (size_t)(m + n) * r; i++)
        if (!isfinite(i < m * r ? L[i] : M[i - m * r])) {
            cert_factors_free(out);
            return fti_fail(FTI_ERR_FORMAT, "factor holds a non-finite value");
        }
    quantize(out, L, M, delta);
    return FTI_OK;
}
