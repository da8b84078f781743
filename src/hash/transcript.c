/* Fiat–Shamir transcript; the byte layout is specified in transcript.h. */
#include "hash/transcript.h"

#include <stdlib.h>

#include "util/error.h"

static void put_u64le(uint8_t out[8], uint64_t v) {
    for (int i = 0; i < 8; i++) out[i] = (uint8_t)(v >> (8 * i));
}
static uint64_t get_u64le(const uint8_t in[8]) {
    uint64_t v = 0;
    for (int i = 0; i < 8; i++) v |= (uint64_t)in[i] << (8 * i);
    return v;
}

static void frame(fti_transcript *t, uint8_t op, const char *label) {
    size_t n = strlen(label);
    FTI_VERIFY_CHECK(n <= 255);
    uint8_t hdr[2] = {op, (uint8_t)n};
    SHA256_Update(&t->h, hdr, 2);
    SHA256_Update(&t->h, label, n);
}

void fti_transcript_init(fti_transcript *t, const char *protocol) {
    static const char tag[] = "fti/transcript/v1";
    SHA256_Init(&t->h);
    SHA256_Update(&t->h, tag, sizeof tag - 1);
    fti_transcript_absorb(t, "protocol", protocol, strlen(protocol));
}

void fti_transcript_absorb(fti_transcript *t, const char *label, const void *data, size_t len) {
    uint8_t n[8];
    frame(t, 0x01, label);
    put_u64le(n, (uint64_t)len);
    SHA256_Update(&t->h, n, 8);
    if (len) SHA256_Update(&t->h, data, len);
}

void fti_transcript_absorb_u64(fti_transcript *t, const char *label, uint64_t v) {
    uint8_t b[8];
    put_u64le(b, v);
    fti_transcript_absorb(t, label, b, 8);
}

/* Field elements are absorbed as their canonical 8-byte encodings, framed as one datum. */
void fti_transcript_absorb_fes(fti_transcript *t, const char *label, const fe_t *v, size_t n) {
    uint8_t len[8], b[FE_BYTES];
    frame(t, 0x01, label);
    put_u64le(len, (uint64_t)n * FE_BYTES);
    SHA256_Update(&t->h, len, 8);
    for (size_t i = 0; i < n; i++) {
        fe_to_bytes(b, v[i]);
        SHA256_Update(&t->h, b, FE_BYTES);
    }
}

void fti_transcript_absorb_kes(fti_transcript *t, const char *label, const ke_t *v, size_t n) {
    uint8_t len[8], b[KE_BYTES];
    frame(t, 0x01, label);
    put_u64le(len, (uint64_t)n * KE_BYTES);
    SHA256_Update(&t->h, len, 8);
    for (size_t i = 0; i < n; i++) {
        ke_to_bytes(b, v[i]);
        SHA256_Update(&t->h, b, KE_BYTES);
    }
}

void fti_transcript_absorb_digest(fti_transcript *t, const char *label, const fti_digest *d) {
    fti_transcript_absorb(t, label, d->b, FTI_DIGEST_BYTES);
}

static void digest_so_far(const fti_transcript *t, uint8_t out[FTI_DIGEST_BYTES]) {
    SHA256_CTX copy = t->h;
    SHA256_Final(out, &copy);
}

void fti_transcript_stream(fti_transcript *t, const char *label, fti_stream *s) {
    frame(t, 0x02, label);
    digest_so_far(t, s->seed);
    s->counter = 0;
    s->pos = FTI_DIGEST_BYTES; /* empty: the first read generates block 0 */
}

void fti_stream_bytes(fti_stream *s, void *out, size_t n) {
    uint8_t *o = out;
    while (n) {
        if (s->pos == FTI_DIGEST_BYTES) {
            uint8_t in[FTI_DIGEST_BYTES + 4];
            memcpy(in, s->seed, FTI_DIGEST_BYTES);
            for (int i = 0; i < 4; i++) in[FTI_DIGEST_BYTES + i] = (uint8_t)(s->counter >> (8 * i));
            fti_digest d;
            fti_sha256(&d, in, sizeof in);
            memcpy(s->block, d.b, FTI_DIGEST_BYTES);
            s->counter++;
            s->pos = 0;
        }
        size_t take = FTI_DIGEST_BYTES - s->pos;
        if (take > n) take = n;
        memcpy(o, s->block + s->pos, take);
        s->pos += (unsigned)take;
        o += take;
        n -= take;
    }
}

fe_t fti_stream_fe(fti_stream *s) {
#ifdef FTI_TOY_FIELD
    return fti_stream_index(s, FE_P); /* 8-byte rejection would almost never accept p = 257 */
#endif
    for (;;) {
        uint8_t b[8];
        fti_stream_bytes(s, b, 8);
        uint64_t x = get_u64le(b);
        if (x < FE_P) return x; /* rejection sampling: uniform on [0, p) */
    }
}

ke_t fti_stream_ke(fti_stream *s) {
    ke_t r;
    for (int i = 0; i < 3; i++) r.c[i] = fti_stream_fe(s);
    return r;
}

uint64_t fti_stream_index(fti_stream *s, uint64_t n) {
    FTI_VERIFY_CHECK(n > 0);
    uint64_t lim = UINT64_MAX - (UINT64_MAX % n + 1) % n; /* largest multiple of n, minus 1 */
    for (;;) {
        uint8_t b[8];
        fti_stream_bytes(s, b, 8);
        uint64_t x = get_u64le(b);
        if (x <= lim) return x % n;
    }
}

fe_t fti_transcript_challenge_fe(fti_transcript *t, const char *label) {
    fti_stream s;
    fti_transcript_stream(t, label, &s);
    return fti_stream_fe(&s);
}

ke_t fti_transcript_challenge_ke(fti_transcript *t, const char *label) {
    fti_stream s;
    fti_transcript_stream(t, label, &s);
    return fti_stream_ke(&s);
}

void fti_transcript_challenge_kes(fti_transcript *t, const char *label, ke_t *out, size_t n) {
    fti_stream s;
    fti_transcript_stream(t, label, &s);
    for (size_t i = 0; i < n; i++) out[i] = fti_stream_ke(&s);
}

void fti_transcript_challenge_indices(fti_transcript *t, const char *label, uint64_t n, uint64_t *out,
                                      size_t count) {
    fti_stream s;
    fti_transcript_stream(t, label, &s);
    for (size_t i = 0; i < count; i++) out[i] = fti_stream_index(&s, n);
}

static void grind_prefix(fti_transcript *t, unsigned bits, uint8_t g[FTI_DIGEST_BYTES]) {
    uint8_t hdr[2] = {0x04, (uint8_t)bits};
    SHA256_Update(&t->h, hdr, 2);
    digest_so_far(t, g);
}

/* 1 if SHA-256(g || u64le nonce) starts with `bits` zero bits. */
static int grind_ok(const SHA256_CTX *gctx, unsigned bits, uint64_t nonce) {
    uint8_t b[8], d[FTI_DIGEST_BYTES];
    SHA256_CTX c = *gctx;
    put_u64le(b, nonce);
    SHA256_Update(&c, b, 8);
    SHA256_Final(d, &c);
    uint64_t lead = 0;
    for (int i = 0; i < 8; i++) lead = (lead << 8) | d[i];
    return bits == 0 || (lead >> (64 - bits)) == 0;
}

uint64_t fti_transcript_grind(fti_transcript *t, unsigned bits) {
    uint8_t g[FTI_DIGEST_BYTES];
    SHA256_CTX gctx;
    FTI_VERIFY_CHECK(bits <= 40);
    grind_prefix(t, bits, g);
    SHA256_Init(&gctx);
    SHA256_Update(&gctx, g, sizeof g);
    uint64_t nonce = 0;
    while (!grind_ok(&gctx, bits, nonce)) nonce++;
    fti_transcript_absorb_u64(t, "pow-nonce", nonce);
    return nonce;
}

int fti_transcript_check_grind(fti_transcript *t, unsigned bits, uint64_t nonce) {
    uint8_t g[FTI_DIGEST_BYTES];
    SHA256_CTX gctx;
    if (bits > 40) return 0;
    grind_prefix(t, bits, g);
    SHA256_Init(&gctx);
    SHA256_Update(&gctx, g, sizeof g);
    int ok = grind_ok(&gctx, bits, nonce);
    fti_transcript_absorb_u64(t, "pow-nonce", nonce);
    return ok;
}
