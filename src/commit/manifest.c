/* The .ftic format: serialisation, parsing (untrusted bytes) and the commitment ID. */
#include "commit/manifest.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/buf.h"
#include "util/error.h"

void ftic_free(ftic *c) {
    if (!c) return;
    for (size_t i = 0; i < c->n_tensors; i++) free(c->tensors[i].name);
    for (size_t i = 0; i < c->n_units; i++) free(c->units[i].name);
    for (size_t i = 0; i < c->n_blocks; i++) {
        free(c->blocks[i].label);
        if (c->proofs) free(c->proofs[i]);
    }
    free(c->tensors);
    free(c->units);
    free(c->blocks);
    free(c->proofs);
    free(c->proof_len);
    free(c);
}

unsigned __int128 ftic_unit_sum_sq(const ftic_unit *u) {
    typedef unsigned __int128 u128;
    u128 n = (u128)1 << ftic_unit_vars(u);
    /* S_ll + 2^17 S_lh + 2^32 S_hh + 2^62 N - 2^32 S_l - 2^48 S_h: the sum of squares is
     * nonnegative, so computing positive and negative parts apart cannot wrap. */
    u128 pos = (u128)u->sums[0] + ((u128)u->sums[1] << 17) + ((u128)u->sums[2] << 32) + (n << 62);
    u128 neg = ((u128)u->sums[3] << 32) + ((u128)u->sums[4] << 48);
    return pos >= neg ? pos - neg : 0;
}

void ftic_block_shape(fti_pcs_shape *shape, unsigned *n_vars, const ftic *c, size_t b) {
    const ftic_block *bl = &c->blocks[b];
    for (uint32_t i = 0; i < bl->n_units; i++) {
        unsigned n = ftic_unit_vars(&c->units[bl->first_unit + i]);
        n_vars[2 * i] = n_vars[2 * i + 1] = n;
    }
    n_vars[2 * bl->n_units] = FTIC_TABLE_VARS;
    shape->n_polys = 2 * (size_t)bl->n_units + 1;
    shape->n_vars = n_vars;
}

void ftic_unit_policy_name(char *out, size_t cap, const ftic_unit *u) {
    size_t n = strlen(u->name);
    if (u->n_tiles > 1) {
        const char *hash = strrchr(u->name, '#');
        if (hash) n = (size_t)(hash - u->name);
    }
    if (n >= cap) n = cap - 1;
    memcpy(out, u->name, n);
    out[n] = 0;
}

long ftic_find_unit(const ftic *c, const char *name) {
    for (size_t i = 0; i < c->n_units; i++)
        if (!strcmp(c->units[i].name, name)) return (long)i;
    return -1;
}

/* ---- writing ---- */

static void put_str(fti_wbuf *w, const char *s) {
    size_t n = strlen(s);
    fti_wbuf_u32(w, (uint32_t)n);
    fti_wbuf_bytes(w, s, n);
}

static void write_statement(fti_wbuf *w, const ftic *c) {
    fti_wbuf_bytes(w, FTIC_MAGIC, 4);
    fti_wbuf_u32(w, FTIC_VERSION);
    fti_wbuf_u8(w, c->pp->id);
    fti_wbuf_u8(w, (uint8_t)c->kind);
    fti_wbuf_digest(w, &c->base_id);
    fti_wbuf_u32(w, (uint32_t)c->n_tensors);
    for (size_t i = 0; i < c->n_tensors; i++) {
        const ftic_tensor *t = &c->tensors[i];
        put_str(w, t->name);
        fti_wbuf_u8(w, (uint8_t)t->dtype);
        fti_wbuf_u8(w, (uint8_t)t->ndim);
        for (unsigned d = 0; d < t->ndim; d++) fti_wbuf_u64(w, t->shape[d]);
        fti_wbuf_u8(w, (uint8_t)(t->committed ? 1 : 0));
        fti_wbuf_u8(w, (uint8_t)t->out_axis);
        fti_wbuf_digest(w, &t->sha256);
    }
    fti_wbuf_u32(w, (uint32_t)c->n_units);
    for (size_t i = 0; i < c->n_units; i++) {
        const ftic_unit *u = &c->units[i];
        put_str(w, u->name);
        fti_wbuf_u32(w, u->tensor);
        fti_wbuf_u32(w, u->tile);
        fti_wbuf_u32(w, u->n_tiles);
        fti_wbuf_u64(w, u->row0);
        fti_wbuf_u64(w, u->rows);
        fti_wbuf_u64(w, u->col0);
        fti_wbuf_u64(w, u->cols);
        fti_wbuf_u8(w, (uint8_t)u->log_rows);
        fti_wbuf_u8(w, (uint8_t)u->log_cols);
        fti_wbuf_u32(w, (uint32_t)u->quantum);
        fti_wbuf_u32(w, u->block);
        for (int k = 0; k < 5; k++) fti_wbuf_u64(w, u->sums[k]);
    }
    fti_wbuf_u32(w, (uint32_t)c->n_blocks);
    for (size_t b = 0; b < c->n_blocks; b++) {
        put_str(w, c->blocks[b].label);
        fti_wbuf_u32(w, c->blocks[b].first_unit);
        fti_wbuf_u32(w, c->blocks[b].n_units);
        fti_wbuf_digest(w, &c->blocks[b].root);
    }
}

fti_status ftic_statement(uint8_t **out, size_t *len, const ftic *c) {
    fti_wbuf w;
    fti_wbuf_init(&w);
    write_statement(&w, c);
    if (w.oom) {
        fti_wbuf_free(&w);
        return fti_fail(FTI_ERR_NOMEM, "out of memory");
    }
    *out = w.data;
    *len = w.len;
    return FTI_OK;
}

fti_status ftic_id(fti_digest *id, const ftic *c) {
    uint8_t *s = NULL;
    size_t n = 0;
    fti_status st = ftic_statement(&s, &n, c);
    if (st != FTI_OK) return st;
    static const char tag[] = "fti/commitment-id/v1";
    SHA256_CTX h;
    SHA256_Init(&h);
    SHA256_Update(&h, tag, sizeof tag - 1);
    SHA256_Update(&h, s, n);
    SHA256_Final(id->b, &h);
    free(s);
    return FTI_OK;
}

fti_status ftic_serialize(uint8_t **out, size_t *len, const ftic *c) {
    fti_wbuf w;
    fti_wbuf_init(&w);
    write_statement(&w, c);
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

fti_status ftic_write_file(const ftic *c, const char *path) {
    uint8_t *data;
    size_t len;
    fti_status st = ftic_serialize(&data, &len, c);
    if (st != FTI_OK) return st;
    /* write to a temporary name and rename, so a failed run never leaves half a file */
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

/* ---- parsing ---- */

typedef struct {
    fti_rbuf r;
    const char *src;
    char why[200];
} parser;

/* Records why parsing failed (the first reason wins) and returns 0. */
static int bad(parser *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int bad(parser *p, const char *fmt, ...) {
    if (!p->why[0]) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(p->why, sizeof p->why, fmt, ap);
        va_end(ap);
    }
    p->r.bad = 1;
    return 0;
}

static char *get_str(parser *p, const char *what) {
    uint32_t n = fti_rbuf_u32(&p->r);
    if (p->r.bad) return NULL;
    if (n == 0 || n > FTIC_MAX_NAME) {
        bad(p, "%s has length %u", what, n);
        return NULL;
    }
    const uint8_t *b = fti_rbuf_bytes(&p->r, n);
    if (!b) return NULL;
    if (memchr(b, 0, n)) {
        bad(p, "%s contains a NUL byte", what);
        return NULL;
    }
    char *s = malloc(n + 1);
    if (!s) {
        bad(p, "out of memory");
        return NULL;
    }
    memcpy(s, b, n);
    s[n] = 0;
    return s;
}

static int parse_header(parser *p, ftic *c) {
    const uint8_t *magic = fti_rbuf_bytes(&p->r, 4);
    if (!magic || memcmp(magic, FTIC_MAGIC, 4)) return bad(p, "not an fti commitment (bad magic)");
    uint32_t version = fti_rbuf_u32(&p->r);
    if (version != FTIC_VERSION) return bad(p, "unsupported commitment version %u", version);
    uint8_t pid = fti_rbuf_u8(&p->r);
    c->pp = fti_pcs_params_by_id(pid);
    if (!c->pp) return bad(p, "unknown parameter set %u", pid);
    uint8_t kind = fti_rbuf_u8(&p->r);
    if (kind > 1) return bad(p, "unknown commitment kind %u", kind);
    c->kind = (ftic_kind)kind;
    fti_rbuf_digest(&p->r, &c->base_id);
    static const fti_digest zero;
    if (c->kind == FTIC_BASE && !fti_digest_eq(&c->base_id, &zero)) return bad(p, "a base commitment names a base");
    return !p->r.bad;
}

static int parse_tensor(parser *p, ftic_tensor *t, const ftic_tensor *prev) {
    if (!(t->name = get_str(p, "a tensor name"))) return 0;
    if (prev && strcmp(prev->name, t->name) >= 0) return bad(p, "tensor names not sorted and unique at '%s'", t->name);
    uint8_t dt = fti_rbuf_u8(&p->r);
    if (dt >= FTI_DT_COUNT) return bad(p, "tensor %s: unknown dtype %u", t->name, dt);
    t->dtype = (fti_dtype)dt;
    t->ndim = fti_rbuf_u8(&p->r);
    if (t->ndim > FTIC_MAX_NDIM) return bad(p, "tensor %s has %u dimensions", t->name, t->ndim);
    for (unsigned d = 0; d < t->ndim; d++) t->shape[d] = fti_rbuf_u64_max(&p->r, (uint64_t)1 << 40);
    uint8_t flags = fti_rbuf_u8(&p->r), axis = fti_rbuf_u8(&p->r);
    if (flags > 1 || axis > 1) return bad(p, "tensor %s: bad flags", t->name);
    t->committed = flags & 1;
    t->out_axis = axis;
    if (t->committed && !fti_dtype_committable(t->dtype))
        return bad(p, "tensor %s: dtype %s cannot be committed", t->name, fti_dtype_name(t->dtype));
    fti_rbuf_digest(&p->r, &t->sha256);
    return !p->r.bad;
}

/* Matrix view rows and cols of a tensor (rows = the out axis; 1 x numel for ndim <= 1). */
static void tensor_matrix(const ftic_tensor *t, uint64_t *rows, uint64_t *cols) {
    uint64_t numel = 1;
    for (unsigned d = 0; d < t->ndim; d++) numel *= t->shape[d];
    if (t->ndim <= 1) {
        *rows = 1;
        *cols = numel;
        return;
    }
    *rows = t->shape[t->out_axis ? t->ndim - 1 : 0];
    *cols = *rows ? numel / *rows : 0;
}

static unsigned ceil_log2(uint64_t x) {
    unsigned l = 0;
    while (l < 63 && ((uint64_t)1 << l) < x) l++;
    return l;
}

static int parse_unit(parser *p, ftic *c, ftic_unit *u, const ftic_unit *prev) {
    if (!(u->name = get_str(p, "a unit name"))) return 0;
    u->tensor = fti_rbuf_u32(&p->r);
    u->tile = fti_rbuf_u32(&p->r);
    u->n_tiles = fti_rbuf_u32(&p->r);
    u->row0 = fti_rbuf_u64(&p->r);
    u->rows = fti_rbuf_u64(&p->r);
    u->col0 = fti_rbuf_u64(&p->r);
    u->cols = fti_rbuf_u64(&p->r);
    u->log_rows = fti_rbuf_u8(&p->r);
    u->log_cols = fti_rbuf_u8(&p->r);
    u->quantum = (int32_t)fti_rbuf_u32(&p->r);
    u->block = fti_rbuf_u32(&p->r);
    for (int k = 0; k < 5; k++) u->sums[k] = fti_rbuf_u64(&p->r);
    if (p->r.bad) return 0;
    if (u->tensor >= c->n_tensors || !c->tensors[u->tensor].committed)
        return bad(p, "unit %s names no committed tensor", u->name);
    if (u->n_tiles == 0 || u->tile >= u->n_tiles || (u->n_tiles > 1 && !strchr(u->name, '#')))
        return bad(p, "unit %s has a bad tile number", u->name);
    uint64_t rows, cols;
    tensor_matrix(&c->tensors[u->tensor], &rows, &cols);
    if (u->rows == 0 || u->row0 > rows || u->rows > rows - u->row0 || u->cols == 0 || u->col0 > cols ||
        u->cols > cols - u->col0)
        return bad(p, "unit %s does not fit its tensor's %llu x %llu view", u->name, (unsigned long long)rows,
                   (unsigned long long)cols);
    if (u->log_rows != ceil_log2(u->rows) || u->log_cols != ceil_log2(u->cols) ||
        u->log_rows + u->log_cols > FTIC_MAX_UNIT_VARS)
        return bad(p, "unit %s has a wrong or too large padded size", u->name);
    if (u->quantum < -1103 || u->quantum > 994) return bad(p, "unit %s has quantum 2^%d out of range", u->name, u->quantum);
    if (prev && (u->block < prev->block)) return bad(p, "units not ordered by block at %s", u->name);
    for (int k = 0; k < 5; k++)
        if (u->sums[k] >= FE_P) return bad(p, "unit %s: limb sum is not a field element", u->name);
    return 1;
}

static int parse_blocks(parser *p, ftic *c) {
    uint32_t nb = fti_rbuf_u32(&p->r);
    if (p->r.bad) return 0;
    if (nb == 0 || nb > c->n_units) return bad(p, "bad block count %u", nb);
    c->blocks = calloc(nb, sizeof *c->blocks);
    if (!c->blocks) return bad(p, "out of memory");
    c->n_blocks = nb;
    uint32_t next = 0;
    for (uint32_t b = 0; b < nb; b++) {
        ftic_block *bl = &c->blocks[b];
        if (!(bl->label = get_str(p, "a block label"))) return 0;
        bl->first_unit = fti_rbuf_u32(&p->r);
        bl->n_units = fti_rbuf_u32(&p->r);
        fti_rbuf_digest(&p->r, &bl->root);
        if (p->r.bad) return 0;
        if (bl->first_unit != next || bl->n_units == 0 || bl->n_units > FTIC_MAX_BLOCK_UNITS ||
            bl->n_units > c->n_units - next)
            return bad(p, "block %u does not cover the next units", b);
        for (uint32_t i = 0; i < bl->n_units; i++)
            if (c->units[next + i].block != b) return bad(p, "unit %s is not in block %u", c->units[next + i].name, b);
        next += bl->n_units;
    }
    if (next != c->n_units) return bad(p, "blocks do not cover every unit");
    return 1;
}

static int parse_proofs(parser *p, ftic *c) {
    c->proofs = calloc(c->n_blocks, sizeof *c->proofs);
    c->proof_len = calloc(c->n_blocks, sizeof *c->proof_len);
    if (!c->proofs || !c->proof_len) return bad(p, "out of memory");
    for (size_t b = 0; b < c->n_blocks; b++) {
        uint64_t n = fti_rbuf_u64_max(&p->r, fti_rbuf_remaining(&p->r) >= 8 ? fti_rbuf_remaining(&p->r) - 8 : 0);
        const uint8_t *d = fti_rbuf_bytes(&p->r, n);
        if (!d) return bad(p, "block %zu's proof is truncated", b);
        if (!(c->proofs[b] = malloc(n ? n : 1))) return bad(p, "out of memory");
        memcpy(c->proofs[b], d, n);
        c->proof_len[b] = n;
    }
    if (fti_rbuf_remaining(&p->r)) return bad(p, "%zu trailing bytes", fti_rbuf_remaining(&p->r));
    return 1;
}

static int cmp_name_ptr(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* Unit names are distinct (sorted copy of the pointers: O(n log n), also for hostile files). */
static int units_distinct(parser *p, const ftic *c) {
    char **names = malloc(c->n_units * sizeof *names);
    if (!names) return bad(p, "out of memory");
    for (size_t i = 0; i < c->n_units; i++) names[i] = c->units[i].name;
    qsort(names, c->n_units, sizeof *names, cmp_name_ptr);
    int ok = 1;
    for (size_t i = 1; i < c->n_units && ok; i++)
        if (!strcmp(names[i - 1], names[i])) ok = bad(p, "unit name %s repeated", names[i]);
    free(names);
    return ok;
}

static int parse_all(parser *p, ftic *c) {
    if (!parse_header(p, c)) return 0;
    uint32_t nt = fti_rbuf_u32(&p->r);
    if (p->r.bad || nt == 0 || nt > FTIC_MAX_TENSORS) return bad(p, "bad tensor count %u", nt);
    if (!(c->tensors = calloc(nt, sizeof *c->tensors))) return bad(p, "out of memory");
    for (uint32_t i = 0; i < nt; i++) {
        c->n_tensors = i + 1;
        if (!parse_tensor(p, &c->tensors[i], i ? &c->tensors[i - 1] : NULL)) return 0;
    }
    uint32_t nu = fti_rbuf_u32(&p->r);
    if (p->r.bad || nu == 0 || nu > FTIC_MAX_TENSORS * 4u) return bad(p, "bad unit count %u", nu);
    if (!(c->units = calloc(nu, sizeof *c->units))) return bad(p, "out of memory");
    for (uint32_t i = 0; i < nu; i++) {
        c->n_units = i + 1;
        if (!parse_unit(p, c, &c->units[i], i ? &c->units[i - 1] : NULL)) return 0;
    }
    if (!units_distinct(p, c)) return 0;
    if (!parse_blocks(p, c)) return 0;
    return parse_proofs(p, c);
}

fti_status ftic_parse(ftic **out, const uint8_t *data, size_t len, const char *source) {
    parser p;
    memset(&p, 0, sizeof p);
    fti_rbuf_init(&p.r, data, len);
    p.src = source;
    *out = NULL;
    ftic *c = calloc(1, sizeof *c);
    if (!c) return fti_fail(FTI_ERR_NOMEM, "out of memory");
    if (!parse_all(&p, c)) {
        ftic_free(c);
        return fti_fail(FTI_ERR_FORMAT, "%s: %s", source, p.why[0] ? p.why : "truncated commitment file");
    }
    *out = c;
    return FTI_OK;
}

fti_status ftic_read_file(ftic **out, const char *path) {
    FILE *f = fopen(path, "rb");
    *out = NULL;
    if (!f) return fti_fail(FTI_ERR_IO, "%s: cannot open file", path);
    uint8_t *data = NULL;
    size_t len = 0, cap = 0;
    for (;;) {
        if (len == cap) {
            cap = cap ? 2 * cap : 1 << 16;
            if (cap > ((size_t)1 << 34)) { /* 16 GiB: no commitment is that large */
                free(data);
                fclose(f);
                return fti_fail(FTI_ERR_FORMAT, "%s: file too large for a commitment", path);
            }
            uint8_t *d = realloc(data, cap);
            if (!d) {
                free(data);
                fclose(f);
                return fti_fail(FTI_ERR_NOMEM, "%s: out of memory", path);
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
    fti_status st = ftic_parse(out, data, len, path);
    free(data);
    return st;
}
