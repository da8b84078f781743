/* The .ftcert format: serialisation and parsing of untrusted bytes (layout in cert.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cert/cert.h"
#include "util/buf.h"
#include "util/error.h"

void fti_cert_free(fti_cert *c) {
    if (!c) return;
    if (c->proofs)
        for (size_t b = 0; b < c->n_blocks; b++) free(c->proofs[b]);
    free(c->proofs);
    free(c->proof_len);
    free(c->units);
    free(c);
}

unsigned __int128 fti_cert_delta_sq(const fti_cert_unit *u) {
    typedef __int128 i128;
    i128 v = (i128)fti_cert_signed(u->d_sums[0]) + (i128)fti_cert_signed(u->d_sums[1]) * ((i128)1 << 17) +
             (i128)fti_cert_signed(u->d_sums[2]) * ((i128)1 << 32);
    return v < 0 ? 0 : (unsigned __int128)v;
}

static void write_unit(fti_wbuf *w, const fti_cert_unit *u) {
    fti_wbuf_u8(w, (uint8_t)u->flags);
    if (u->flags & FTI_REQ_NORM)
        for (int k = 0; k < 3; k++) fti_wbuf_u64(w, u->d_sums[k]);
    if (u->flags & FTI_REQ_SPARSE) {
        fti_wbuf_u64(w, u->sparse_count);
        fti_wbuf_u8(w, (uint8_t)u->sparse_log);
    }
    if (u->flags & FTI_REQ_RANK) {
        fti_wbuf_u64(w, u->rank);
        fti_wbuf_u8(w, (uint8_t)u->rank_log);
        fti_wbuf_u32(w, (uint32_t)u->shift);
        fti_wbuf_u8(w, (uint8_t)(u->residual ? 1 : 0));
        if (u->residual)
            for (int k = 0; k < 5; k++) fti_wbuf_u64(w, u->r_sums[k]);
    }
}

/* The statement: header and per-unit statistics (absorbed into the transcript). */
void fti_cert_write_statement(fti_wbuf *w, const fti_cert *c);
void fti_cert_write_statement(fti_wbuf *w, const fti_cert *c) {
    fti_wbuf_bytes(w, FTCE_MAGIC, 4);
    fti_wbuf_u32(w, FTCE_VERSION);
    fti_wbuf_u8(w, c->pp->id);
    fti_wbuf_digest(w, &c->base_id);
    fti_wbuf_digest(w, &c->tuned_id);
    fti_wbuf_digest(w, &c->policy_hash);
    fti_wbuf_u32(w, (uint32_t)c->n_units);
    for (size_t i = 0; i < c->n_units; i++) write_unit(w, &c->units[i]);
}

fti_status fti_cert_serialize(uint8_t **out, size_t *len, const fti_cert *c) {
    fti_wbuf w;
    fti_wbuf_init(&w);
    fti_cert_write_statement(&w, c);
    fti_wbuf_u32(&w, (uint32_t)c->n_blocks);
    for (size_t b = 0; b < c->n_blocks; b++) {
        fti_wbuf_u64(&w, c->proof_len[b]);
        fti_wbuf_bytes(&w, c->proofs[b], c->proof_len[b]);
    }
    if (w.oom) {
        fti_wbuf_free(&w);
        return fti_fail(FTI_ERR_NOMEM, "out of memory");
    }
    *out = w.data;
    *len = w.len;
    return FTI_OK;
}

size_t fti_cert_size(const fti_cert *c) {
    uint8_t *d;
    size_t n = 0;
    if (fti_cert_serialize(&d, &n, c) == FTI_OK) free(d);
    return n;
}

fti_status fti_cert_write_file(const fti_cert *c, const char *path) {
    uint8_t *data;
    size_t len;
    fti_status st = fti_cert_serialize(&data, &len, c);
    if (st != FTI_OK) return st;
    char tmp[4200];
    if (snprintf(tmp, sizeof tmp, "%s.tmp", path) >= (int)sizeof tmp) {
        free(data);
        return fti_fail(FTI_ERR_ARG, "%s: path too long", path);
    }
    FILE *f = fopen(tmp, "wb");
    if (!f) {
        free(data);
        return fti_fail(FTI_ERR_IO, "%s: cannot create file", path);
    }
    int bad = fwrite(data, 1, len, f) != len;
    bad |= fclose(f) != 0;
    free(data);
    if (bad || rename(tmp, path) != 0) {
        remove(tmp);
        return fti_fail(FTI_ERR_IO, "%s: cannot write file", path);
    }
    return FTI_OK;
}

static int read_unit(fti_rbuf *r, fti_cert_unit *u) {
    u->flags = fti_rbuf_u8(r);
    unsigned f = u->flags;
    if (f == 0 || (f & ~(unsigned)(FTI_REQ_FROZEN | FTI_REQ_SPARSE | FTI_REQ_RANK | FTI_REQ_NORM)) ||
        ((f & FTI_REQ_FROZEN) && f != FTI_REQ_FROZEN))
        return 0;
    if (f & FTI_REQ_NORM)
        for (int k = 0; k < 3; k++)
            if ((u->d_sums[k] = fti_rbuf_u64(r)) >= FE_P) return 0;
    if (f & FTI_REQ_SPARSE) {
        u->sparse_count = fti_rbuf_u64(r);
        u->sparse_log = fti_rbuf_u8(r);
        if (u->sparse_log > 30 || u->sparse_count > ((uint64_t)1 << u->sparse_log)) return 0;
    }
    if (f & FTI_REQ_RANK) {
        u->rank = fti_rbuf_u64(r);
        u->rank_log = fti_rbuf_u8(r);
        u->shift = (int32_t)fti_rbuf_u32(r);
        uint8_t res = fti_rbuf_u8(r);
        if (u->rank_log > 20 || u->rank > ((uint64_t)1 << u->rank_log) || res > 1 || u->shift < 0 || u->shift > 30)
            return 0;
        u->residual = res;
        if (res)
            for (int k = 0; k < 5; k++)
                if ((u->r_sums[k] = fti_rbuf_u64(r)) >= FE_P) return 0;
    }
    return !r->bad;
}

fti_status fti_cert_parse(fti_cert **out, const uint8_t *data, size_t len, const char *source) {
    fti_rbuf r;
    const char *why = "truncated certificate";
    fti_rbuf_init(&r, data, len);
    *out = NULL;
    fti_cert *c = calloc(1, sizeof *c);
    if (!c) return fti_fail(FTI_ERR_NOMEM, "out of memory");
    const uint8_t *magic = fti_rbuf_bytes(&r, 4);
    if (!magic || memcmp(magic, FTCE_MAGIC, 4)) {
        why = "not an fti certificate (bad magic)";
        goto bad;
    }
    if (fti_rbuf_u32(&r) != FTCE_VERSION) {
        why = "unsupported certificate version";
        goto bad;
    }
    if (!(c->pp = fti_pcs_params_by_id(fti_rbuf_u8(&r)))) {
        why = "unknown parameter set";
        goto bad;
    }
    fti_rbuf_digest(&r, &c->base_id);
    fti_rbuf_digest(&r, &c->tuned_id);
    fti_rbuf_digest(&r, &c->policy_hash);
    uint32_t nu = fti_rbuf_u32(&r);
    if (r.bad || nu == 0 || nu > FTIC_MAX_TENSORS * 4u || nu > len) {
        why = "bad unit count";
        goto bad;
    }
    if (!(c->units = calloc(nu, sizeof *c->units))) goto nomem;
    c->n_units = nu;
    for (uint32_t i = 0; i < nu; i++)
        if (!read_unit(&r, &c->units[i])) {
            why = "malformed unit statistics";
            goto bad;
        }
    uint32_t nb = fti_rbuf_u32(&r);
    if (r.bad || nb == 0 || nb > nu) {
        why = "bad block count";
        goto bad;
    }
    c->proofs = calloc(nb, sizeof *c->proofs);
    c->proof_len = calloc(nb, sizeof *c->proof_len);
    if (!c->proofs || !c->proof_len) goto nomem;
    c->n_blocks = nb;
    for (uint32_t b = 0; b < nb; b++) {
        uint64_t n = fti_rbuf_u64_max(&r, fti_rbuf_remaining(&r));
        const uint8_t *p = fti_rbuf_bytes(&r, n);
        if (!p) {
            why = "truncated block proof";
            goto bad;
        }
        if (!(c->proofs[b] = malloc(n ? n : 1))) goto nomem;
        memcpy(c->proofs[b], p, n);
        c->proof_len[b] = n;
    }
    if (fti_rbuf_remaining(&r)) {
        why = "trailing bytes";
        goto bad;
    }
    *out = c;
    return FTI_OK;
bad:
    fti_cert_free(c);
    return fti_fail(FTI_ERR_FORMAT, "%s: %s", source, why);
nomem:
    fti_cert_free(c);
    return fti_fail(FTI_ERR_NOMEM, "out of memory");
}

fti_status fti_cert_read_file(fti_cert **out, const char *path) {
    FILE *f = fopen(path, "rb");
    *out = NULL;
    if (!f) return fti_fail(FTI_ERR_IO, "%s: cannot open file", path);
    uint8_t *data = NULL;
    size_t len = 0, cap = 0;
    for (;;) {
        if (len == cap) {
            cap = cap ? 2 * cap : 1 << 16;
            uint8_t *d = cap <= ((size_t)1 << 34) ? realloc(data, cap) : NULL;
            if (!d) {
                free(data);
                fclose(f);
                return fti_fail(FTI_ERR_FORMAT, "%s: too large for a certificate", path);
            }
            data = d;
        }
        size_t got = fread(data + len, 1, cap - len, f);
        len += got;
        if (got == 0) break;
    }
    int err = ferror(f);
    fclose(f);
    if (err) {
        free(data);
        return fti_fail(FTI_ERR_IO, "%s: read error", path);
    }
    fti_status st = fti_cert_parse(out, data, len, path);
    free(data);
    return st;
}
