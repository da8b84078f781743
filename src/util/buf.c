#include "util/buf.h"

#include <stdlib.h>
#include <string.h>

void fti_wbuf_init(fti_wbuf *w) { memset(w, 0, sizeof *w); }

void fti_wbuf_free(fti_wbuf *w) {
    free(w->data);
    memset(w, 0, sizeof *w);
}

uint8_t *fti_wbuf_reserve(fti_wbuf *w, size_t n) {
    if (w->oom) return NULL;
    if (n > SIZE_MAX - w->len) goto fail;
    if (w->len + n > w->cap) {
        size_t cap = w->cap ? w->cap : 256;
        while (cap < w->len + n) {
            if (cap > SIZE_MAX / 2) goto fail;
            cap *= 2;
        }
        uint8_t *p = realloc(w->data, cap);
        if (!p) goto fail;
        w->data = p;
        w->cap = cap;
    }
    uint8_t *p = w->data + w->len;
    w->len += n;
    return p;
fail:
    w->oom = 1;
    return NULL;
}

void fti_wbuf_bytes(fti_wbuf *w, const void *p, size_t n) {
    uint8_t *d = fti_wbuf_reserve(w, n);
    if (d && n) memcpy(d, p, n);
}

void fti_wbuf_u8(fti_wbuf *w, uint8_t v) { fti_wbuf_bytes(w, &v, 1); }

void fti_wbuf_u32(fti_wbuf *w, uint32_t v) {
    uint8_t b[4];
    for (int i = 0; i < 4; i++) b[i] = (uint8_t)(v >> (8 * i));
    fti_wbuf_bytes(w, b, 4);
}

void fti_wbuf_u64(fti_wbuf *w, uint64_t v) {
    uint8_t b[8];
    for (int i = 0; i < 8; i++) b[i] = (uint8_t)(v >> (8 * i));
    fti_wbuf_bytes(w, b, 8);
}

void fti_wbuf_fe(fti_wbuf *w, fe_t v) {
    uint8_t b[FE_BYTES];
    fe_to_bytes(b, v);
    fti_wbuf_bytes(w, b, FE_BYTES);
}

void fti_wbuf_ke(fti_wbuf *w, ke_t v) {
    uint8_t b[KE_BYTES];
    ke_to_bytes(b, v);
    fti_wbuf_bytes(w, b, KE_BYTES);
}

void fti_wbuf_kes(fti_wbuf *w, const ke_t *v, size_t n) {
    for (size_t i = 0; i < n; i++) fti_wbuf_ke(w, v[i]);
}

void fti_wbuf_digest(fti_wbuf *w, const fti_digest *d) { fti_wbuf_bytes(w, d->b, FTI_DIGEST_BYTES); }

const uint8_t *fti_rbuf_bytes(fti_rbuf *r, size_t n) {
    if (r->bad || n > r->len - r->pos) {
        r->bad = 1;
        return NULL;
    }
    const uint8_t *p = r->data + r->pos;
    r->pos += n;
    return p;
}

uint8_t fti_rbuf_u8(fti_rbuf *r) {
    const uint8_t *p = fti_rbuf_bytes(r, 1);
    return p ? p[0] : 0;
}

uint32_t fti_rbuf_u32(fti_rbuf *r) {
    const uint8_t *p = fti_rbuf_bytes(r, 4);
    uint32_t v = 0;
    if (p)
        for (int i = 0; i < 4; i++) v |= (uint32_t)p[i] << (8 * i);
    return v;
}

uint64_t fti_rbuf_u64(fti_rbuf *r) {
    const uint8_t *p = fti_rbuf_bytes(r, 8);
    uint64_t v = 0;
    if (p)
        for (int i = 0; i < 8; i++) v |= (uint64_t)p[i] << (8 * i);
    return v;
}

uint64_t fti_rbuf_u64_max(fti_rbuf *r, uint64_t max) {
    uint64_t v = fti_rbuf_u64(r);
    if (v > max) {
        r->bad = 1;
        return 0;
    }
    return v;
}

fe_t fti_rbuf_fe(fti_rbuf *r) {
    const uint8_t *p = fti_rbuf_bytes(r, FE_BYTES);
    fe_t v = 0;
    if (p && !fe_from_bytes(&v, p)) {
        r->bad = 1;
        v = 0;
    }
    return v;
}

ke_t fti_rbuf_ke(fti_rbuf *r) {
    ke_t v = ke_zero();
    for (int i = 0; i < 3; i++) v.c[i] = fti_rbuf_fe(r);
    if (r->bad) v = ke_zero();
    return v;
}

void fti_rbuf_kes(fti_rbuf *r, ke_t *out, size_t n) {
    for (size_t i = 0; i < n; i++) out[i] = fti_rbuf_ke(r);
}

void fti_rbuf_digest(fti_rbuf *r, fti_digest *d) {
    const uint8_t *p = fti_rbuf_bytes(r, FTI_DIGEST_BYTES);
    if (p) memcpy(d->b, p, FTI_DIGEST_BYTES);
    else memset(d->b, 0, FTI_DIGEST_BYTES);
}
