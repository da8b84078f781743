/* Two-way interleaved SHA-256 compression with SHA-NI (contract in merkle_sha256x2.h).
 *
 * SHA-NI keeps the state as two vectors, ABEF = (a, b, e, f) and CDGH = (c, d, g, h), high
 * lane first. sha256rnds2(cdgh, abef, wk) does two rounds with the message-plus-constant
 * words in the low half of wk; the next two rounds take the high half (shuffle 0x0E) with
 * the two state vectors' roles swapped. The schedule works on groups of four words,
 * M_g = W[4g .. 4g+3]; for g >= 4 (FIPS 180-4: W_t = s1(W_t-2) + W_t-7 + s0(W_t-15) + W_t-16):
 *   sha256msg1(M_(g-4), M_(g-3))       = W_t-16 + s0(W_t-15)
 *   + alignr(M_(g-1), M_(g-2), 4 bytes) = + W_t-7
 *   sha256msg2(that, M_(g-1))          = + s1(W_t-2), resolving the in-group dependencies. */
#include "merkle/merkle_sha256x2.h"

#if defined(__x86_64__)
#include <cpuid.h>
#include <immintrin.h>

int merkle_sha256x2_available(void) {
    unsigned a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d)) return 0;
    int ssse3 = (c >> 9) & 1, sse41 = (c >> 19) & 1;
    if (!__get_cpuid_count(7, 0, &a, &b, &c, &d)) return 0;
    return ssse3 && sse41 && ((b >> 29) & 1); /* CPUID.7.0:EBX[29] = SHA */
}

/* FIPS 180-4, section 4.2.2. */
static const uint32_t K256[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

#define SHA_TARGET __attribute__((target("sha,ssse3,sse4.1")))

/* a..h (memory order) -> ABEF, CDGH. */
SHA_TARGET static void load_state(__m128i *abef, __m128i *cdgh, const uint32_t st[8]) {
    __m128i dcba = _mm_loadu_si128((const __m128i *)&st[0]), hgfe = _mm_loadu_si128((const __m128i *)&st[4]);
    __m128i cdab = _mm_shuffle_epi32(dcba, 0xB1), efgh = _mm_shuffle_epi32(hgfe, 0x1B);
    *abef = _mm_alignr_epi8(cdab, efgh, 8);
    *cdgh = _mm_blend_epi16(efgh, cdab, 0xF0);
}

/* ABEF, CDGH -> a..h, and optionally the digest (each word byte-swapped). */
SHA_TARGET static void store_state(uint32_t st[8], uint8_t *digest, __m128i abef, __m128i cdgh) {
    const __m128i bswap = _mm_set_epi64x(0x0c0d0e0f08090a0bULL, 0x0405060700010203ULL);
    __m128i feba = _mm_shuffle_epi32(abef, 0x1B), dchg = _mm_shuffle_epi32(cdgh, 0xB1);
    __m128i dcba = _mm_blend_epi16(feba, dchg, 0xF0), hgfe = _mm_alignr_epi8(dchg, feba, 8);
    _mm_storeu_si128((__m128i *)&st[0], dcba);
    _mm_storeu_si128((__m128i *)&st[4], hgfe);
    if (digest) {
        _mm_storeu_si128((__m128i *)digest, _mm_shuffle_epi8(dcba, bswap));
        _mm_storeu_si128((__m128i *)(digest + 16), _mm_shuffle_epi8(hgfe, bswap));
    }
}

/* The message words of one block, big-endian. */
SHA_TARGET static void load_block(__m128i m[4], const uint8_t *block) {
    const __m128i bswap = _mm_set_epi64x(0x0c0d0e0f08090a0bULL, 0x0405060700010203ULL);
    for (int j = 0; j < 4; j++) m[j] = _mm_shuffle_epi8(_mm_loadu_si128((const __m128i *)(block + 16 * j)), bswap);
}

/* Next schedule group in place: m[g & 3] holds M_(g-4) on entry and M_g on return. */
#define SCHEDULE(m, g)                                                                                   \
    (m)[(g) & 3] = _mm_sha256msg2_epu32(                                                                 \
        _mm_add_epi32(_mm_sha256msg1_epu32((m)[(g) & 3], (m)[((g) + 1) & 3]),                            \
                      _mm_alignr_epi8((m)[((g) + 3) & 3], (m)[((g) + 2) & 3], 4)),                       \
        (m)[((g) + 3) & 3])

/* Four rounds 4g .. 4g+3. */
#define ROUNDS4(abef, cdgh, mg, k)                                            \
    do {                                                                      \
        __m128i wk_ = _mm_add_epi32((mg), (k));                               \
        (cdgh) = _mm_sha256rnds2_epu32((cdgh), (abef), wk_);                  \
        (abef) = _mm_sha256rnds2_epu32((abef), (cdgh), _mm_shuffle_epi32(wk_, 0x0E)); \
    } while (0)

SHA_TARGET void merkle_sha256x2_blocks(uint32_t st0[8], uint32_t st1[8], const uint8_t *const *b0,
                                       const uint8_t *const *b1, size_t n, uint8_t *d0, uint8_t *d1) {
    __m128i abef0, cdgh0, abef1, cdgh1, m0[4], m1[4];
    load_state(&abef0, &cdgh0, st0);
    load_state(&abef1, &cdgh1, st1);
    for (size_t b = 0; b < n; b++) {
        __m128i sa0 = abef0, sc0 = cdgh0, sa1 = abef1, sc1 = cdgh1;
        load_block(m0, b0[b]);
        load_block(m1, b1[b]);
        /* The two streams alternate instruction by instruction: independent chains that
         * the core overlaps. */
#pragma GCC unroll 16
        for (int g = 0; g < 16; g++) {
            __m128i k = _mm_loadu_si128((const __m128i *)&K256[4 * g]);
            if (g >= 4) {
                SCHEDULE(m0, g);
                SCHEDULE(m1, g);
            }
            ROUNDS4(abef0, cdgh0, m0[g & 3], k);
            ROUNDS4(abef1, cdgh1, m1[g & 3], k);
        }
        abef0 = _mm_add_epi32(abef0, sa0);
        cdgh0 = _mm_add_epi32(cdgh0, sc0);
        abef1 = _mm_add_epi32(abef1, sa1);
        cdgh1 = _mm_add_epi32(cdgh1, sc1);
    }
    store_state(st0, d0, abef0, cdgh0);
    store_state(st1, d1, abef1, cdgh1);
}

#else /* not x86-64: the portable path only */

#include <stdlib.h>

int merkle_sha256x2_available(void) { return 0; }

void merkle_sha256x2_blocks(uint32_t st0[8], uint32_t st1[8], const uint8_t *const *b0, const uint8_t *const *b1,
                            size_t n, uint8_t *d0, uint8_t *d1) {
    (void)st0, (void)st1, (void)b0, (void)b1, (void)n, (void)d0, (void)d1;
    abort(); /* never called: merkle_sha256x2_available() is 0 */
}

#endif
