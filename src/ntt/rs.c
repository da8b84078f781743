/* Reed–Solomon encoding for Basefold, as 2^b coset transforms without zero padding.
 *
 * Codeword size N = 2^(k+b), w = w_{k+b}. Index i = j 2^k + v (block j < 2^b, v < 2^k) has
 * bitrev_{k+b}(i) = bitrev_k(v) 2^b + bitrev_b(j), so
 *   codeword[i] = f(w^bitrev(i)) = f(w^bitrev_b(j) * (w^(2^b))^bitrev_k(v))
 *               = f(c_j * w_k^bitrev_k(v)),   c_j = w_{k+b}^bitrev_b(j):
 * block j is the bit-reversed evaluation of f on the coset c_j H_k, one transform of size 2^k.
 * (Padding f to 2^(k+b) coefficients would transform 2^b times as many points, most of the
 * work spent on zeros, and give the same codeword.) */
#include <omp.h>
#include <stdint.h>

#include "ntt/ntt.h"
#include "ntt/ntt_internal.h"
#include "util/error.h"

fti_status fti_rs_encode(fe_t *codeword, const fe_t *coeffs, unsigned log_n, unsigned log_blowup) {
    if (log_n > FE_TWO_ADICITY || log_blowup > FE_TWO_ADICITY - log_n)
        return fti_fail(FTI_ERR_ARG, "rs_encode: codeword of 2^(%u + %u) points exceeds the 2-adic subgroup (2^%u)",
                        log_n, log_blowup, FE_TWO_ADICITY);
    size_t n = (size_t)1 << log_n, blocks = (size_t)1 << log_blowup;
    FTI_VERIFY_CHECK((uintptr_t)(codeword + (n << log_blowup)) <= (uintptr_t)coeffs ||
                     (uintptr_t)(coeffs + n) <= (uintptr_t)codeword); /* no overlap */
    fe_t w = fe_root_of_unity(log_n + log_blowup);
    /* Large blocks parallelise inside the transform; many small ones across blocks; none if
     * the caller is already running in parallel. */
    int top = !omp_in_parallel();
    int inner = top && log_n >= NTT_PAR_LOG;
    int outer = top && !inner && log_n + log_blowup >= NTT_PAR_LOG;
#pragma omp parallel for schedule(static) if (outer)
    for (size_t j = 0; j < blocks; j++) {
        fe_t c_j = fe_pow(w, fti_bitrev(j, log_blowup));
        ntt_forward_br_from(codeword + j * n, coeffs, log_n, c_j, inner);
    }
    return FTI_OK;
}
