/* Fiat–Shamir transcript over SHA-256.
 *
 * One transcript per proof. Every absorption is framed and labelled, so that no two different
 * sequences of (label, data) give the same hash input:
 *   init(protocol):          H = SHA-256 context; update("fti/transcript/v1"); absorb("protocol", protocol)
 *   absorb(label, data):     update(0x01 || u8 |label| || label || u64le |data| || data)
 *   challenge(label):        update(0x02 || u8 |label| || label); seed = SHA-256 digest of H so far
 *                            (H itself continues); the challenge stream is
 *                            SHA-256(seed || u32le 0) || SHA-256(seed || u32le 1) || ...
 *   field element:           next 8 stream bytes little-endian, rejected and redrawn while >= p
 *                            (no modular bias); an extension element is three of them.
 *   index in [0, n):         next 8 stream bytes, rejected while >= 2^64 - (2^64 mod n), then mod n.
 *   grind(bits):             update(0x04 || u8 bits); g = digest of H; the prover finds the least
 *                            nonce with SHA-256(g || u64le nonce) starting with `bits` zero bits;
 *                            then absorb("pow-nonce", u64le nonce).
 * tests/vectors/transcript_vectors.py is an independent (hashlib) implementation of this layout
 * and generates tests/vectors/transcript_vectors.h.
 * Labels are at most 255 bytes. */
#ifndef FTI_HASH_TRANSCRIPT_H
#define FTI_HASH_TRANSCRIPT_H

#include <stddef.h>
#include <stdint.h>

#include "field/ext.h"
#include "hash/sha256.h"

typedef struct {
    SHA256_CTX h;
} fti_transcript;

/* A challenge stream (internal; exposed for the rejection-sampling tests). */
typedef struct {
    uint8_t seed[FTI_DIGEST_BYTES];
    uint8_t block[FTI_DIGEST_BYTES];
    uint32_t counter; /* index of the next block to generate */
    unsigned pos;     /* bytes of `block` already consumed */
} fti_stream;

void fti_transcript_init(fti_transcript *t, const char *protocol);

void fti_transcript_absorb(fti_transcript *t, const char *label, const void *data, size_t len);
void fti_transcript_absorb_u64(fti_transcript *t, const char *label, uint64_t v);
void fti_transcript_absorb_fes(fti_transcript *t, const char *label, const fe_t *v, size_t n);
void fti_transcript_absorb_kes(fti_transcript *t, const char *label, const ke_t *v, size_t n);
void fti_transcript_absorb_digest(fti_transcript *t, const char *label, const fti_digest *d);

/* Starts a challenge stream under label (the framing above). */
void fti_transcript_stream(fti_transcript *t, const char *label, fti_stream *s);
void fti_stream_bytes(fti_stream *s, void *out, size_t n);
fe_t fti_stream_fe(fti_stream *s);
ke_t fti_stream_ke(fti_stream *s);
uint64_t fti_stream_index(fti_stream *s, uint64_t n); /* uniform in [0, n), n > 0 */

/* One challenge each (a stream of its own). */
fe_t fti_transcript_challenge_fe(fti_transcript *t, const char *label);
ke_t fti_transcript_challenge_ke(fti_transcript *t, const char *label);
void fti_transcript_challenge_kes(fti_transcript *t, const char *label, ke_t *out, size_t n);
void fti_transcript_challenge_indices(fti_transcript *t, const char *label, uint64_t n, uint64_t *out,
                                      size_t count);

/* Proof of work: the prover's search (returns the nonce, absorbed) and the verifier's check
 * (absorbs the nonce; returns 1 if it has `bits` leading zero bits). bits <= 40. */
uint64_t fti_transcript_grind(fti_transcript *t, unsigned bits);
int fti_transcript_check_grind(fti_transcript *t, unsigned bits, uint64_t nonce);

#endif
