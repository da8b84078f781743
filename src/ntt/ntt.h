/* Number-theoretic transforms over F on the 2-adic subgroups H_k = <w_k>, w_k =
 * fe_root_of_unity(k) (order 2^k, k <= FE_TWO_ADICITY), and their cosets s*H_k.
 *
 * A polynomial f(X) = sum_{j<n} a_j X^j, n = 2^k, is held by its coefficient vector a in
 * natural order. Its evaluations on H_k are held either in natural order (position i holds
 * f(w_k^i)) or in bit-reversed order (position i holds f(w_k^bitrev_k(i))). In bit-reversed
 * order positions 2i and 2i+1 hold f(x) and f(-x) for one x, which is what FRI/Basefold folding
 * reads. All transforms are in place, deterministic, and use OpenMP threads for large sizes
 * (the result does not depend on the thread count).
 *
 * Sizes up to 2^FE_TWO_ADICITY are accepted (memory permitting); log_n = 0 is the identity.
 *
 * Contract common to the transforms below:
 *  - a holds 2^log_n canonical elements (< p); the output is canonical.
 *  - shift is a canonical nonzero element (1 for the subgroup itself); for the inverse
 *    transforms, the same shift as the forward transform being undone.
 *  - log_n > FE_TWO_ADICITY or an invalid shift is a programming error: the call prints a
 *    message and aborts (these functions return nothing; no input data can cause it).
 *  - Threads: sizes >= 2^15 run on all OpenMP threads (omp_get_max_threads()); called from
 *    inside a parallel region, on the calling thread only. Calls on distinct arrays may run
 *    concurrently.
 *  - Memory: besides a, each thread allocates one temporary of at most 512 KiB for sizes above
 *    2^12; if that allocation fails the transform still completes, in place and more slowly.
 *  - Speed: O(n log n); AVX-512 kernels are used when the CPU has AVX-512F (chosen at run
 *    time), portable C otherwise. See bench/bench_ntt.c.
 */
#ifndef FTI_NTT_H
#define FTI_NTT_H

#include "field/field.h"
#include "fti/fti.h"

/* Natural-order coefficients -> natural-order evaluations on shift * H_log_n
 * (shift = 1 for the subgroup itself): a[i] becomes f(shift * w^i). Costs a bit-reversal pass
 * on top of fti_ntt_forward_br. */
void fti_ntt_forward(fe_t *a, unsigned log_n, fe_t shift);
/* Natural-order evaluations on shift * H_log_n -> natural-order coefficients. */
void fti_ntt_inverse(fe_t *a, unsigned log_n, fe_t shift);

/* Natural-order coefficients -> bit-reversed-order evaluations on shift * H_log_n
 * (position i holds f(shift * w^bitrev(i))). No permutation pass. */
void fti_ntt_forward_br(fe_t *a, unsigned log_n, fe_t shift);
/* Bit-reversed-order evaluations on shift * H_log_n -> natural-order coefficients. */
void fti_ntt_inverse_br(fe_t *a, unsigned log_n, fe_t shift);

/* Permutes a (length 2^log_n) to bit-reversed order (an involution). log_n <= 63. */
void fti_bit_reverse(fe_t *a, unsigned log_n);
/* The low log_n bits of i in reverse order (log_n <= 64). */
static inline uint64_t fti_bitrev(uint64_t i, unsigned log_n) {
    if (log_n == 0) return 0;
    i = ((i >> 1) & 0x5555555555555555ull) | ((i & 0x5555555555555555ull) << 1);
    i = ((i >> 2) & 0x3333333333333333ull) | ((i & 0x3333333333333333ull) << 2);
    i = ((i >> 4) & 0x0F0F0F0F0F0F0F0Full) | ((i & 0x0F0F0F0F0F0F0F0Full) << 4);
    i = __builtin_bswap64(i);
    return i >> (64 - log_n);
}

/* Reed–Solomon encoding for Basefold: coeffs (length 2^log_n, natural order) ->
 * codeword (length 2^(log_n + log_blowup)), codeword[i] = f(w^bitrev(i)) with w =
 * fe_root_of_unity(log_n + log_blowup). coeffs and codeword must not overlap.
 * Computed as 2^log_blowup transforms of size 2^log_n, no zero padding: block j of the
 * codeword (positions [j 2^log_n, (j+1) 2^log_n)) is the bit-reversed evaluation of f on the
 * coset w^bitrev_{log_blowup}(j) * H_log_n. log_n = 0 and log_blowup = 0 are allowed.
 * Returns FTI_ERR_ARG if log_n + log_blowup > FE_TWO_ADICITY (with fti_last_error set). */
FTI_MUST_CHECK fti_status fti_rs_encode(fe_t *codeword, const fe_t *coeffs, unsigned log_n, unsigned log_blowup);

#endif
