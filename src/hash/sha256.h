/* SHA-256 (OpenSSL libcrypto, SHA-NI accelerated on x86) and the digest type. */
#ifndef FTI_HASH_SHA256_H
#define FTI_HASH_SHA256_H

#include <openssl/sha.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define FTI_DIGEST_BYTES 32

typedef struct {
    uint8_t b[FTI_DIGEST_BYTES];
} fti_digest;

static inline void fti_sha256(fti_digest *out, const void *data, size_t len) { SHA256(data, len, out->b); }
static inline int fti_digest_eq(const fti_digest *a, const fti_digest *b) {
    return memcmp(a->b, b->b, FTI_DIGEST_BYTES) == 0;
}

/* Lower-case hex of a digest into out (65 bytes with the terminator). */
void fti_digest_hex(char out[2 * FTI_DIGEST_BYTES + 1], const fti_digest *d);

#endif
