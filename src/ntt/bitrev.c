/* Bit-reversal permutation, cache-blocked.
 *
 * Write an index of k >= 2Q bits as i = (x, b, y): x the top Q bits, y the low Q bits, b the
 * k - 2Q middle bits. Then bitrev_k(i) = (bitrev_Q(y), bitrev(b), bitrev_Q(x)), so the
 * permutation exchanges the block B_b = {(x, b, y)} with B_bitrev(b), transposing it on the way
 * (new a[(x, b, y)] = old a[(br(y), br(b), br(x))]). A block is 2^Q rows of 2^Q contiguous
 * elements: it is copied to a buffer a row at a time and written back a row at a time, so every
 * cache line is read and written once (a naive loop of swaps touches a new line per element
 * for large k). Pairs of blocks are independent: OpenMP splits them between threads. */
#include <omp.h>
#include <string.h>

#include "ntt/ntt.h"
#include "ntt/ntt_internal.h"

#define BR_Q 5u                        /* blocks of 32 x 32 elements, 8 KiB */
#define BR_S ((size_t)1 << BR_Q)

static void swap_naive(fe_t *a, unsigned k) {
    size_t n = (size_t)1 << k;
    for (size_t i = 0; i < n; i++) {
        size_t j = fti_bitrev(i, k);
        if (i < j) {
            fe_t t = a[i];
            a[i] = a[j];
            a[j] = t;
        }
    }
}

/* buf[x S + y] = a[(x, b, y)]. */
static void load_block(fe_t *buf, const fe_t *a, unsigned k, size_t b) {
    for (size_t x = 0; x < BR_S; x++)
        memcpy(buf + x * BR_S, a + (x << (k - BR_Q)) + (b << BR_Q), BR_S * sizeof *a);
}

/* a[(x, b, y)] = buf[br(y) S + br(x)], buf holding block bitrev(b). */
static void store_block(fe_t *a, const fe_t *buf, unsigned k, size_t b, const unsigned char *br) {
    for (size_t x = 0; x < BR_S; x++) {
        fe_t *row = a + (x << (k - BR_Q)) + (b << BR_Q);
        for (size_t y = 0; y < BR_S; y++) row[y] = buf[br[y] * BR_S + br[x]];
    }
}

void fti_bit_reverse(fe_t *a, unsigned log_n) {
    if (log_n < 2 * BR_Q) {
        swap_naive(a, log_n);
        return;
    }
    unsigned mid = log_n - 2 * BR_Q;
    unsigned char br[BR_S];
    for (size_t y = 0; y < BR_S; y++) br[y] = (unsigned char)fti_bitrev(y, BR_Q);
    size_t blocks = (size_t)1 << mid;
#pragma omp parallel for schedule(dynamic, 64) if (log_n >= NTT_PAR_LOG && !omp_in_parallel())
    for (size_t b = 0; b < blocks; b++) {
        size_t b2 = fti_bitrev(b, mid);
        if (b2 < b) continue; /* the pair is handled at b2 */
        fe_t buf1[BR_S * BR_S], buf2[BR_S * BR_S];
        load_block(buf1, a, log_n, b);
        if (b2 == b) {
            store_block(a, buf1, log_n, b, br);
        } else {
            load_block(buf2, a, log_n, b2);
            store_block(a, buf2, log_n, b, br);
            store_block(a, buf1, log_n, b2, br);
        }
    }
}
