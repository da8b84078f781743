/* Byte buffers for proofs and files.
 *
 * Writer: appends little-endian integers, field elements and digests, growing as needed; an
 * allocation failure is sticky (w->oom) and checked once at the end.
 * Reader: untrusted bytes. Every read is bounds-checked; a read past the end, a non-canonical
 * field element or a length over its bound sets r->bad (sticky) and yields zeros, so parsers
 * can read a whole structure and check r->bad once (then also require fti_rbuf_done(r): no
 * trailing bytes). */
#ifndef FTI_UTIL_BUF_H
#define FTI_UTIL_BUF_H

#include <stddef.h>
#include <stdint.h>

#include "field/ext.h"
#include "hash/sha256.h"

typedef struct {
    uint8_t *data;
    size_t len, cap;
    int oom;
} fti_wbuf;

typedef struct {
    const uint8_t *data;
    size_t len, pos;
    int bad;
} fti_rbuf;

void fti_wbuf_init(fti_wbuf *w);
void fti_wbuf_free(fti_wbuf *w);
void fti_wbuf_bytes(fti_wbuf *w, const void *p, size_t n);
void fti_wbuf_u8(fti_wbuf *w, uint8_t v);
void fti_wbuf_u32(fti_wbuf *w, uint32_t v);
void fti_wbuf_u64(fti_wbuf *w, uint64_t v);
void fti_wbuf_fe(fti_wbuf *w, fe_t v);
void fti_wbuf_ke(fti_wbuf *w, ke_t v);
void fti_wbuf_kes(fti_wbuf *w, const ke_t *v, size_t n);
void fti_wbuf_digest(fti_wbuf *w, const fti_digest *d);
/* Reserves n bytes at the end and returns a pointer to them (NULL and oom on failure). */
uint8_t *fti_wbuf_reserve(fti_wbuf *w, size_t n);

static inline void fti_rbuf_init(fti_rbuf *r, const void *data, size_t len) {
    r->data = data;
    r->len = len;
    r->pos = 0;
    r->bad = 0;
}
/* Pointer to the next n bytes (NULL and bad if fewer remain). */
const uint8_t *fti_rbuf_bytes(fti_rbuf *r, size_t n);
uint8_t fti_rbuf_u8(fti_rbuf *r);
uint32_t fti_rbuf_u32(fti_rbuf *r);
uint64_t fti_rbuf_u64(fti_rbuf *r);
/* A u64 that must be <= max (else bad). */
uint64_t fti_rbuf_u64_max(fti_rbuf *r, uint64_t max);
fe_t fti_rbuf_fe(fti_rbuf *r);
ke_t fti_rbuf_ke(fti_rbuf *r);
void fti_rbuf_kes(fti_rbuf *r, ke_t *out, size_t n);
void fti_rbuf_digest(fti_rbuf *r, fti_digest *d);
static inline size_t fti_rbuf_remaining(const fti_rbuf *r) { return r->len - r->pos; }
/* 1 if nothing went wrong and every byte was consumed. */
static inline int fti_rbuf_done(const fti_rbuf *r) { return !r->bad && r->pos == r->len; }

#endif
