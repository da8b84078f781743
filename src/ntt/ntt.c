/* Number-theoretic transforms over F: twiddle tables, the four-step recursion, the public API.
 *
 * Roots. w_k = fe_root_of_unity(k) generates the subgroup H_k of order 2^k; field.h derives it
 * as FE_ROOT_2ADIC (a fixed generator of the 2-adic subgroup of order 2^FE_TWO_ADICITY, i.e.
 * FE_GENERATOR^((p-1)/2^FE_TWO_ADICITY)) squared FE_TWO_ADICITY - k times, so w_k^2 = w_{k-1}
 * and w_k^(2^(k-1)) = -1. The twiddle tables hold w_{2m}^j and w_{2m}^-j (ntt_internal.h); the
 * table for the largest m is built by repeated multiplication and every smaller one is read
 * off it (w_{2m}^j = w_{4m}^{2j}), so all tables agree with fe_root_of_unity exactly.
 *
 * Forward transform, bit-reversed output (DIF, Gentleman–Sande). For f = sum_j a_j X^j of
 * n = 2^k coefficients, split f = lo + X^(n/2) hi (halves of a). The first half of the
 * bit-reversed output holds f at the even powers w^(2e) (where x^(n/2) = 1: f = lo + hi), the
 * second half at w^(2e+1) = w * w^(2e) (where x^(n/2) = -1: f = lo - hi, evaluated on the coset
 * w H_{k-1}, i.e. with coefficient j scaled by w^j). Hence the butterfly
 * (a_j, a_{j+n/2}) -> (a_j + a_{j+n/2}, (a_j - a_{j+n/2}) w_n^j), then recursion on both halves.
 * A coset s H_k is the subgroup transform of (a_j s^j).
 *
 * Four-step split for large n = R C (R = 2^k1 rows, C = 2^k2 columns, a_{rC+c} at row r,
 * column c). Output position i = u C + v (u < R, v < C) holds f(s x) with
 * x = w_n^bitrev_k(i) = w_n^bitrev_k1(u) * w_C^bitrev_k2(v). Then
 *   f(s x) = sum_c (s x)^c g_c(s^C x^C),   g_c(Y) = sum_r a_{rC+c} Y^r,
 * and x^C = w_R^bitrev_k1(u). So:
 *   1. each column c: forward bit-reversed transform of size R on the coset s^C H_k1
 *      (row u now holds G[u][c] = g_c(s^C w_R^bitrev(u)));
 *   2. each row u: forward bit-reversed transform of size C on the coset
 *      sigma_u H_k2, sigma_u = s w_n^bitrev_k1(u): position v gets
 *      sum_c (sigma_u w_C^bitrev(v))^c G[u][c] = f(s x).
 * The inverse undoes the steps in reverse order (rows, then columns), each an inverse
 * transform on the same coset; the factors 1/C and 1/R multiply to 1/n.
 *
 * Every element's value is computed by the same operations whatever the number of threads,
 * so results do not depend on it. */
#include "field/field_avx512.h"
#include "ntt/ntt.h"

#include <omp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include "ntt/ntt_arith.h"
#include "ntt/ntt_internal.h"
#include "util/arena.h"
#include "util/error.h"

/* ---- tables ---- */

static ntt_tables tables;
static pthread_once_t tables_once = PTHREAD_ONCE_INIT;

static void tables_init(void) {
    size_t top = (size_t)1 << (NTT_TABLE_LOG - 1); /* the largest m */
    fe_t w = fe_root_of_unity(NTT_TABLE_LOG), wi = fe_inv(w);
    tables.fwd[top] = tables.inv[top] = 1;
    for (size_t j = 1; j < top; j++) {
        tables.fwd[top + j] = fe_mul(tables.fwd[top + j - 1], w);   /* w_{2top}^j */
        tables.inv[top + j] = fe_mul(tables.inv[top + j - 1], wi);  /* w_{2top}^-j */
    }
    for (size_t m = top >> 1; m >= 1; m >>= 1)
        for (size_t j = 0; j < m; j++) {
            tables.fwd[m + j] = tables.fwd[2 * m + 2 * j];           /* w_{2m}^j = w_{4m}^2j */
            tables.inv[m + j] = tables.inv[2 * m + 2 * j];
        }
    tables.fwd[0] = tables.inv[0] = 0; /* unused */
    fe_t half = fe_inv(2);
    tables.inv_pow2[0] = 1;
    for (unsigned k = 1; k <= FE_TWO_ADICITY; k++) tables.inv_pow2[k] = fe_mul(tables.inv_pow2[k - 1], half);
}

const ntt_tables *ntt_tables_get(void) {
    pthread_once(&tables_once, tables_init);
    return &tables;
}

/* ---- kernel dispatch ---- */

/* The AVX-512 kernels when fti_simd_avx512() says so (the one switch for every vector kernel). */
const ntt_kernels *ntt_kernels_get(void) {
#ifdef NTT_HAVE_AVX512
    if (fti_simd_avx512()) return &ntt_kernels_avx512;
#endif
    return &ntt_kernels_scalar;
}

int ntt_set_simd(int enable) {
    fti_simd_enabled = enable;
    return ntt_kernels_get() != &ntt_kernels_scalar;
}

static int buffers_enabled = 1;

void ntt_set_column_buffers(int enable) { buffers_enabled = enable; }

/* ---- the four-step recursion ---- */

static unsigned split_rows_log(unsigned k) {
    unsigned k1 = k / 2;
    return k1 < NTT_COL_MAX_LOG ? k1 : NTT_COL_MAX_LOG;
}

/* Copies rows of `lanes` elements between strided layouts (the gather and scatter of a column
 * block when no scaling is needed). */
static void copy_rows(fe_t *dst, size_t dst_stride, const fe_t *src, size_t src_stride, size_t rows, size_t lanes) {
    for (size_t r = 0; r < rows; r++) memcpy(dst + r * dst_stride, src + r * src_stride, lanes * sizeof *dst);
}

/* Transforms columns [c0, c0 + lanes) of the R x C matrix src into the same columns of a
 * (src == a: in place; otherwise the two do not overlap), through the contiguous buffer buf
 * (R x lanes, L2-resident), or directly in a if buf is NULL (no memory: correct, but strided
 * rows share cache sets, so slow for large C). Forward: rows scaled by s^r first (coset s),
 * then DIF. Inverse (s the inverse shift; src == a): DIT, then rows scaled by 2^-k1 s^r. */
static void column_block(fe_t *a, const fe_t *src, fe_t *buf, unsigned k1, size_t C, size_t c0, size_t lanes,
                         fe_t s, int forward, const ntt_kernels *kn, const ntt_tables *t) {
    size_t R = (size_t)1 << k1;
    fe_t *col = a + c0, *work = buf ? buf : col;
    const fe_t *in = src + c0;
    size_t stride = buf ? lanes : C;
    if (!buf && src != a) { /* no buffer to gather into: copy, then work in place */
        copy_rows(col, C, in, C, R, lanes);
        in = col;
    }
    if (forward) {
        if (s != 1) kn->scale_rows(work, stride, in, C, R, lanes, 1, s);
        else if (buf) copy_rows(buf, lanes, in, C, R, lanes);
        kn->lanes_dif(work, k1, lanes, stride, t);
        if (buf) copy_rows(col, C, buf, lanes, R, lanes);
    } else {
        if (buf) copy_rows(buf, lanes, in, C, R, lanes);
        kn->lanes_dit(work, k1, lanes, stride, t);
        kn->scale_rows(col, C, work, stride, R, lanes, t->inv_pow2[k1], s);
    }
}

/* Column blocks up to this many elements use a buffer on the stack (no allocation for the many
 * small transforms of the toy tests and of recursive rows). */
#define SMALL_BLOCK 512u

/* Step 1 of the forward split (or the last step of the inverse): the size-R transforms of all
 * C columns, `lanes` columns at a time, the blocks shared between the threads. */
static void columns(fe_t *a, const fe_t *src, unsigned k1, unsigned k2, fe_t s, int forward, int parallel) {
    const ntt_kernels *kn = ntt_kernels_get();
    const ntt_tables *t = ntt_tables_get();
    size_t R = (size_t)1 << k1, C = (size_t)1 << k2;
    size_t lanes = C < NTT_LANES ? C : NTT_LANES;
    if (!parallel && R * lanes <= SMALL_BLOCK) {
        _Alignas(64) fe_t small[SMALL_BLOCK];
        fe_t *buf = buffers_enabled ? small : NULL;
        for (size_t c0 = 0; c0 < C; c0 += lanes) column_block(a, src, buf, k1, C, c0, lanes, s, forward, kn, t);
        return;
    }
#pragma omp parallel if (parallel)
    {
        /* One buffer per thread; NULL (no memory, or disabled by the test hook): in place. */
        fe_t *buf = buffers_enabled ? aligned_alloc(64, fti_arena_round(R * lanes * sizeof *buf)) : NULL;
#pragma omp for schedule(static)
        for (size_t c0 = 0; c0 < C; c0 += lanes) column_block(a, src, buf, k1, C, c0, lanes, s, forward, kn, t);
        free(buf);
    }
}

/* Step 2 of the forward split for row u: the row's transform on the coset s w_n^bitrev(u). */
static void forward_row(fe_t *a, unsigned k1, unsigned k2, size_t u, fe_t shift, fe_t w) {
    fe_t sigma = fe_mul(shift, fe_pow(w, fti_bitrev(u, k1)));
    ntt_forward_br(a + (u << k2), k2, sigma, 0);
}

/* The inverse of forward_row (sigma^-1 = s^-1 (w_n^-1)^bitrev(u)). */
static void inverse_row(fe_t *a, unsigned k1, unsigned k2, size_t u, fe_t shift_inv, fe_t w_inv) {
    fe_t sigma_inv = fe_mul(shift_inv, fe_pow(w_inv, fti_bitrev(u, k1)));
    ntt_inverse_br(a + (u << k2), k2, sigma_inv, 0);
}

void ntt_forward_br_from(fe_t *a, const fe_t *src, unsigned k, fe_t shift, int parallel) {
    if (k <= NTT_LEAF_LOG) {
        const ntt_kernels *kn = ntt_kernels_get();
        if (src != a) memcpy(a, src, sizeof *a << k);
        if (shift != 1) kn->scale_powers(a, (size_t)1 << k, 1, shift); /* a_j s^j */
        kn->leaf_dif(a, k, ntt_tables_get());
        return;
    }
    unsigned k1 = split_rows_log(k), k2 = k - k1;
    size_t R = (size_t)1 << k1;
    fe_t w = fe_root_of_unity(k);
    columns(a, src, k1, k2, fe_pow(shift, (uint64_t)1 << k2), 1, parallel); /* step 1, coset s^C */
    if (parallel) {
#pragma omp parallel for schedule(static)
        for (size_t u = 0; u < R; u++) forward_row(a, k1, k2, u, shift, w);
    } else {
        for (size_t u = 0; u < R; u++) forward_row(a, k1, k2, u, shift, w);
    }
}

void ntt_forward_br(fe_t *a, unsigned k, fe_t shift, int parallel) { ntt_forward_br_from(a, a, k, shift, parallel); }

void ntt_inverse_br(fe_t *a, unsigned k, fe_t shift_inv, int parallel) {
    if (k <= NTT_LEAF_LOG) {
        const ntt_kernels *kn = ntt_kernels_get();
        const ntt_tables *t = ntt_tables_get();
        kn->leaf_dit(a, k, t);
        kn->scale_powers(a, (size_t)1 << k, t->inv_pow2[k], shift_inv); /* a_j 2^-k s^-j */
        return;
    }
    unsigned k1 = split_rows_log(k), k2 = k - k1;
    size_t R = (size_t)1 << k1;
    fe_t w_inv = fe_inv(fe_root_of_unity(k));
    if (parallel) {
#pragma omp parallel for schedule(static)
        for (size_t u = 0; u < R; u++) inverse_row(a, k1, k2, u, shift_inv, w_inv);
    } else {
        for (size_t u = 0; u < R; u++) inverse_row(a, k1, k2, u, shift_inv, w_inv);
    }
    columns(a, a, k1, k2, fe_pow(shift_inv, (uint64_t)1 << k2), 0, parallel); /* coset s^-C */
}

/* ---- public API ---- */

/* Sizes beyond the 2-adic subgroup and a zero shift are contract violations (programming
 * errors, never caused by input data): abort with a message rather than return garbage. */
static void check_args(const char *fn, unsigned log_n, fe_t shift) {
    if (log_n <= FE_TWO_ADICITY && shift != 0 && shift < FE_P) return;
    fprintf(stderr, "fti: %s: invalid arguments (log_n = %u, max %u; shift = %llu, must be in [1, p))\n", fn,
            log_n, FE_TWO_ADICITY, (unsigned long long)shift);
    abort();
}

/* Verify build: every output of a public transform is canonical. */
static void verify_canonical(const fe_t *a, unsigned log_n) {
#ifdef FTI_VERIFY
    for (size_t i = 0; i < ((size_t)1 << log_n); i++) FTI_VERIFY_CHECK(a[i] < FE_P);
#else
    (void)a, (void)log_n;
#endif
}

/* Large transforms use all threads, unless called from inside a parallel region (the caller
 * already parallelises; nested teams would oversubscribe the cores). */
static int wants_parallel(unsigned log_n) { return log_n >= NTT_PAR_LOG && !omp_in_parallel(); }

void fti_ntt_forward_br(fe_t *a, unsigned log_n, fe_t shift) {
    check_args("fti_ntt_forward_br", log_n, shift);
    ntt_forward_br(a, log_n, shift, wants_parallel(log_n));
    verify_canonical(a, log_n);
}

void fti_ntt_inverse_br(fe_t *a, unsigned log_n, fe_t shift) {
    check_args("fti_ntt_inverse_br", log_n, shift);
    ntt_inverse_br(a, log_n, fe_inv(shift), wants_parallel(log_n));
    verify_canonical(a, log_n);
}

void fti_ntt_forward(fe_t *a, unsigned log_n, fe_t shift) {
    check_args("fti_ntt_forward", log_n, shift);
    ntt_forward_br(a, log_n, shift, wants_parallel(log_n));
    fti_bit_reverse(a, log_n);
    verify_canonical(a, log_n);
}

void fti_ntt_inverse(fe_t *a, unsigned log_n, fe_t shift) {
    check_args("fti_ntt_inverse", log_n, shift);
    fti_bit_reverse(a, log_n);
    ntt_inverse_br(a, log_n, fe_inv(shift), wants_parallel(log_n));
    verify_canonical(a, log_n);
}
