/* Internals of the NTT shared by the files of src/ntt (not part of the library's contract).
 *
 * Structure of a transform of n = 2^k points (see ntt.c for the derivation):
 *   - k <= NTT_LEAF_LOG: a "leaf", radix-2 passes over the contiguous block (fits in L1/L2),
 *     preceded (forward) or followed (inverse) by the coset scaling a_j *= s^j;
 *   - larger: the four-step split n = R * C, R = 2^k1 rows of C = 2^k2 columns,
 *     k1 = min(k/2, NTT_COL_MAX_LOG). The column transforms are done NTT_LANES columns at a
 *     time ("lanes": adjacent columns gathered into a contiguous R x NTT_LANES buffer, each
 *     butterfly acting on whole rows with one twiddle); the row transforms recurse, each on its
 *     own coset. 2^24 points: one column pass and one row pass over memory.
 *
 * Twiddle tables (ntt_tables): fwd[m + j] = w_{2m}^j and inv[m + j] = w_{2m}^-j for every
 * power of two m < 2^NTT_TABLE_LOG and 0 <= j < m, where w_{2m} = fe_root_of_unity(log2 2m).
 * The stage of half-size m reads the contiguous slice [m, 2m), whatever the transform size.
 */
#ifndef FTI_NTT_INTERNAL_H
#define FTI_NTT_INTERNAL_H

#include <stddef.h>

#include "field/field.h"

#ifdef FTI_TOY_FIELD
/* Tiny leaves and columns so that the exhaustive toy tests (sizes <= 2^8) run every path of
 * the four-step recursion, several levels deep. */
#define NTT_LEAF_LOG 2u
#define NTT_COL_MAX_LOG 3u
#else
/* 2^12 points = 32 KiB: a leaf stays in L1/L2; a column block of 2^12 rows x 16 lanes is
 * 512 KiB and stays in L2. */
#define NTT_LEAF_LOG 12u
#define NTT_COL_MAX_LOG 12u
#endif
#define NTT_TABLE_LOG (NTT_LEAF_LOG > NTT_COL_MAX_LOG ? NTT_LEAF_LOG : NTT_COL_MAX_LOG)
/* Columns gathered per lane block (16 elements = two cache lines per row). */
#define NTT_LANES 16u

typedef struct {
    _Alignas(64) fe_t fwd[(size_t)1 << NTT_TABLE_LOG]; /* aligned: SIMD loads of [m, 2m), m >= 8 */
    _Alignas(64) fe_t inv[(size_t)1 << NTT_TABLE_LOG];
    fe_t inv_pow2[FE_TWO_ADICITY + 1]; /* inv_pow2[k] = 2^-k */
} ntt_tables;

/* The tables, computed on first use (thread-safe, pthread_once). */
const ntt_tables *ntt_tables_get(void);

/* Kernels. Every kernel takes canonical values (< p) and returns canonical values; inside, the
 * scalar kernels work on redundant representatives (ntt_arith.h). */
typedef struct {
    /* Radix-2 DIF over a[0, 2^k): natural in, bit-reversed out (the forward transform on
     * H_k). */
    void (*leaf_dif)(fe_t *a, unsigned k, const ntt_tables *t);
    /* Radix-2 DIT over a[0, 2^k) with inverse twiddles: bit-reversed in, natural out,
     * unscaled (2^k times the inverse transform on H_k). */
    void (*leaf_dit)(fe_t *a, unsigned k, const ntt_tables *t);
    /* The same over 2^k rows of `lanes` elements each, rows `stride` elements apart: every
     * butterfly acts on two whole rows with one twiddle. */
    void (*lanes_dif)(fe_t *a, unsigned k, size_t lanes, size_t stride, const ntt_tables *t);
    void (*lanes_dit)(fe_t *a, unsigned k, size_t lanes, size_t stride, const ntt_tables *t);
    /* a[i] = c r^i a[i] for i < n. */
    void (*scale_powers)(fe_t *a, size_t n, fe_t c, fe_t r);
    /* Row i of dst = c s^i (row i of src), for `rows` rows of `lanes` elements; rows are
     * dst_stride and src_stride elements apart. dst and src are the same
     * array with the same stride (in place) or do not overlap. */
    void (*scale_rows)(fe_t *dst, size_t dst_stride, const fe_t *src, size_t src_stride, size_t rows,
                       size_t lanes, fe_t c, fe_t s);
} ntt_kernels;

extern const ntt_kernels ntt_kernels_scalar;
#if !defined(FTI_TOY_FIELD) && defined(__x86_64__)
#define NTT_HAVE_AVX512 1
extern const ntt_kernels ntt_kernels_avx512;
#endif

/* The kernels used by the transforms: AVX-512 when the CPU has it and it is enabled. */
const ntt_kernels *ntt_kernels_get(void);

/* Test hook: sets fti_simd_enabled (field/field_avx512.h: the switch of every vector kernel) to
 * enable (1, default) or disable (0). Not thread-safe: call it while no transform is running.
 * Returns whether the NTT's SIMD kernels are now in use. */
int ntt_set_simd(int enable);

/* Test hook: with 0, column blocks are transformed in place instead of through a buffer (the
 * path taken when a buffer cannot be allocated). Same caveats as ntt_set_simd. */
void ntt_set_column_buffers(int enable);

/* The transforms with explicit control of OpenMP parallelism (parallel = 0: this thread
 * only), for callers that parallelise at a coarser level (fti_rs_encode). */
void ntt_forward_br(fe_t *a, unsigned k, fe_t shift, int parallel);
void ntt_inverse_br(fe_t *a, unsigned k, fe_t shift_inv, int parallel);
/* ntt_forward_br of src (2^k elements) into a, out of place: src is read, never written, and
 * the first pass reads it directly (no separate copy). src == a is in place; otherwise they
 * must not overlap. */
void ntt_forward_br_from(fe_t *a, const fe_t *src, unsigned k, fe_t shift, int parallel);

/* Transforms of at least 2^NTT_PAR_LOG points use all OpenMP threads. */
#define NTT_PAR_LOG 15u

#endif
