/* Two independent SHA-256 compressions at once, with the x86 SHA extensions (SHA-NI).
 *
 * Why: one SHA-256 stream is a chain of dependent sha256rnds2 instructions, so a core's SHA
 * unit sits idle between them. Interleaving two messages fills those gaps: measured on AMD
 * Zen 4, 1.8x the throughput of OpenSSL's one-stream SHA-NI code. A Merkle tree has
 * millions of independent equal-length messages per level, so it can always pair them.
 *
 * This is only the compression function (FIPS 180-4, section 6.2.2, written from the
 * standard and the instruction definitions); padding and midstates are the caller's. The
 * portable path (any CPU) is OpenSSL's SHA256_Update/Final, and the tests check both paths
 * against the same vectors. */
#ifndef FTI_MERKLE_SHA256X2_H
#define FTI_MERKLE_SHA256X2_H

#include <stddef.h>
#include <stdint.h>

/* 1 if this CPU has SHA-NI, SSSE3 and SSE4.1 (and the library was built for x86-64). */
int merkle_sha256x2_available(void);

/* For k = 0..n-1: compresses block b0[k] (64 bytes) into st0 and block b1[k] into st1.
 * States are the eight words a..h of FIPS 180-4. When d0 and d1 are not NULL, the final
 * states are also written to them as digests (32 bytes, big-endian words): doing it here
 * avoids reloading freshly stored vectors. Only call when available. */
void merkle_sha256x2_blocks(uint32_t st0[8], uint32_t st1[8], const uint8_t *const *b0, const uint8_t *const *b1,
                            size_t n, uint8_t *d0, uint8_t *d1);

#endif
