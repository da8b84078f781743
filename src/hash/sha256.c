#include "hash/sha256.h"

void fti_digest_hex(char out[2 * FTI_DIGEST_BYTES + 1], const fti_digest *d) {
    static const char hex[] = "0123456789abcdef";
    for (int i = 0; i < FTI_DIGEST_BYTES; i++) {
        out[2 * i] = hex[d->b[i] >> 4];
        out[2 * i + 1] = hex[d->b[i] & 15];
    }
    out[2 * FTI_DIGEST_BYTES] = 0;
}
