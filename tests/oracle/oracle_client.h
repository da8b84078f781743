/* Shared by tests/test_encode.c and tests/test_models_encode.c: runs tests/oracle/encode_oracle.py
 * (Debian's /usr/bin/python3, which has numpy) on a safetensors file, and computes the same
 * per-tensor record with the C encoder, so that the two can be compared field by field.
 *
 * A record is what the oracle prints (see its docstring): the quantum exponent, sum v, sum v^2,
 * the matrix view and the SHA-256 of the padded lo / hi limb arrays (little-endian uint16), or
 * the first bad element (nan / inf / range and its flat index), optionally every value. */
#ifndef FTI_TESTS_ORACLE_CLIENT_H
#define FTI_TESTS_ORACLE_CLIENT_H

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hash/sha256.h"
#include "model/encode.h"
#include "test.h"

#define ORACLE_PYTHON "/usr/bin/python3"
#define ORACLE_FN static __attribute__((unused)) /* each test uses a subset */

typedef struct {
    char kind; /* 'T' encoded, 'E' error */
    char name[512];
    int32_t s;
    __int128 sum;
    unsigned __int128 sumsq;
    uint64_t rows, cols;
    unsigned log_rows, log_cols;
    char hlo[65], hhi[65];
    char err[8]; /* nan, inf, range */
    uint64_t index;
    int64_t *values; /* malloc'd, when asked for */
    size_t nvalues;
} oracle_rec;

typedef struct {
    oracle_rec *r;
    size_t n;
} oracle_recs;

ORACLE_FN void oracle_free(oracle_recs *o) {
    for (size_t i = 0; i < o->n; i++) free(o->r[i].values);
    free(o->r);
    o->r = NULL;
    o->n = 0;
}

ORACLE_FN int oracle_available(void) { return access(ORACLE_PYTHON, X_OK) == 0; }

static __int128 parse_i128(const char *s) {
    int neg = *s == '-';
    unsigned __int128 x = 0;
    for (s += neg; *s >= '0' && *s <= '9'; s++) x = x * 10 + (unsigned)(*s - '0');
    return neg ? -(__int128)x : (__int128)x;
}

ORACLE_FN void fmt_i128(char *out, __int128 v) {
    char tmp[48];
    int k = 0, neg = v < 0;
    unsigned __int128 x = neg ? (unsigned __int128)0 - (unsigned __int128)v : (unsigned __int128)v;
    do tmp[k++] = (char)('0' + (int)(x % 10)), x /= 10;
    while (x);
    if (neg) *out++ = '-';
    while (k) *out++ = tmp[--k];
    *out = 0;
}

ORACLE_FN void parse_values(oracle_rec *r, char *list) {
    size_t cap = 1024;
    r->values = malloc(cap * sizeof *r->values);
    r->nvalues = 0;
    for (char *tok = strtok(list, " \n"); tok; tok = strtok(NULL, " \n")) {
        if (r->nvalues == cap) r->values = realloc(r->values, (cap *= 2) * sizeof *r->values);
        r->values[r->nvalues++] = strtoll(tok, NULL, 10);
    }
}

/* Splits line at tabs into at most max fields. */
ORACLE_FN int split_tabs(char *line, char **f, int max) {
    int n = 0;
    line[strcspn(line, "\n")] = 0;
    for (char *p = line; n < max;) {
        f[n++] = p;
        char *t = strchr(p, '\t');
        if (!t) break;
        *t = 0;
        p = t + 1;
    }
    return n;
}

ORACLE_FN int oracle_parse_line(oracle_recs *o, char *line) {
    char *f[12];
    int n = split_tabs(line, f, 12);
    if (n >= 3 && f[0][0] == 'V') {
        if (!o->n || strcmp(o->r[o->n - 1].name, f[1]) != 0) return 0;
        parse_values(&o->r[o->n - 1], f[2]);
        return 1;
    }
    o->r = realloc(o->r, (o->n + 1) * sizeof *o->r);
    oracle_rec *r = &o->r[o->n++];
    memset(r, 0, sizeof *r);
    r->kind = f[0][0];
    snprintf(r->name, sizeof r->name, "%s", n > 1 ? f[1] : "");
    if (r->kind == 'E' && n == 4) {
        snprintf(r->err, sizeof r->err, "%s", f[2]);
        r->index = strtoull(f[3], NULL, 10);
        return 1;
    }
    if (r->kind != 'T' || n != 11) return 0;
    r->s = (int32_t)strtol(f[2], NULL, 10);
    r->sum = parse_i128(f[3]);
    r->sumsq = (unsigned __int128)parse_i128(f[4]);
    r->rows = strtoull(f[5], NULL, 10);
    r->cols = strtoull(f[6], NULL, 10);
    r->log_rows = (unsigned)atoi(f[7]);
    r->log_cols = (unsigned)atoi(f[8]);
    snprintf(r->hlo, sizeof r->hlo, "%s", f[9]);
    snprintf(r->hhi, sizeof r->hhi, "%s", f[10]);
    return 1;
}

/* Runs the oracle on file with extra arguments; 1 on success. */
ORACLE_FN int oracle_run(oracle_recs *o, const char *file, const char *args) {
    char cmd[2048];
    snprintf(cmd, sizeof cmd, "%s '%s/tests/oracle/encode_oracle.py' '%s' %s", ORACLE_PYTHON, test_source_dir(), file,
             args);
    memset(o, 0, sizeof *o);
    FILE *p = popen(cmd, "r");
    if (!p) return 0;
    char *line = NULL;
    size_t cap = 0;
    int ok = 1;
    while (getline(&line, &cap, p) > 0) ok &= oracle_parse_line(o, line);
    free(line);
    int rc = pclose(p);
    if (rc != 0 || !ok) fprintf(stderr, "  oracle failed (exit %d): %s\n", rc, cmd);
    return rc == 0 && ok;
}

ORACLE_FN const oracle_rec *oracle_find(const oracle_recs *o, const char *name) {
    for (size_t i = 0; i < o->n; i++)
        if (strcmp(o->r[i].name, name) == 0) return &o->r[i];
    return NULL;
}

/* ---- the C side ---- */

/* An fti error message as an 'E' record: kind and index parsed from the message. */
ORACLE_FN int rec_from_error(oracle_rec *r, fti_status st) {
    const char *m = fti_last_error(), *at = strstr(m, "at index ");
    if (st != FTI_ERR_RANGE || !at) {
        fprintf(stderr, "  unexpected error %d: %s\n", st, m);
        return 0;
    }
    r->kind = 'E';
    snprintf(r->err, sizeof r->err, "%s",
             strstr(m, "has a NaN") ? "nan" : strstr(m, "has an infinity") ? "inf" : strstr(m, "drifts beyond") ? "range" : "?");
    r->index = strtoull(at + strlen("at index "), NULL, 10);
    return 1;
}

ORACLE_FN void hex_digest(char out[65], const uint16_t *limbs, size_t n) {
    fti_digest d;
    fti_sha256(&d, limbs, n * sizeof *limbs); /* little-endian host assumed by the tests */
    fti_digest_hex(out, &d);
}

/* Limbs of the whole padded matrix, then hashed; also encodes it again in windows of random
 * sizes and checks that every window agrees. */
ORACLE_FN int rec_limbs(oracle_rec *r, const fti_st_tensor *t, const fti_view *v, int32_t s) {
    uint64_t n = fti_view_padded_size(v), width = (uint64_t)1 << v->log_cols;
    fe_t *lo = malloc(n * sizeof *lo), *hi = malloc(n * sizeof *hi);
    uint16_t *l16 = malloc(n * sizeof *l16), *h16 = malloc(n * sizeof *h16);
    int ok = lo && hi && l16 && h16 && fti_encode_limbs(lo, hi, t, v, s, 0, (uint64_t)1 << v->log_rows) == FTI_OK;
    for (uint64_t i = 0; ok && i < n; i++) {
        ok = lo[i] < 65536 && hi[i] < 65536;
        l16[i] = (uint16_t)lo[i];
        h16[i] = (uint16_t)hi[i];
    }
    for (uint64_t r0 = 0; ok && r0 < ((uint64_t)1 << v->log_rows);) {
        uint64_t nr = 1 + test_rand_below(((uint64_t)1 << v->log_rows) - r0);
        ok = fti_encode_limbs(lo, hi, t, v, s, r0, nr) == FTI_OK;
        for (uint64_t i = 0; ok && i < nr * width; i++) ok = lo[i] == l16[r0 * width + i] && hi[i] == h16[r0 * width + i];
        r0 += nr;
    }
    if (ok) {
        hex_digest(r->hlo, l16, n);
        hex_digest(r->hhi, h16, n);
    } else {
        fprintf(stderr, "  limbs of %s: %s\n", t->name, fti_last_error());
    }
    free(lo), free(hi), free(l16), free(h16);
    return ok;
}

ORACLE_FN int rec_values(oracle_rec *r, const fti_st_tensor *t, int32_t s) {
    uint32_t *u = malloc((t->numel ? t->numel : 1) * sizeof *u);
    int ok = u && fti_encode_run(u, t, s, 0, t->numel) == FTI_OK;
    r->values = malloc((t->numel ? t->numel : 1) * sizeof *r->values);
    r->nvalues = t->numel;
    for (uint64_t i = 0; ok && i < t->numel; i++) r->values[i] = (int64_t)u[i] - ((int64_t)1 << 31);
    for (int k = 0; ok && k < 8 && t->numel; k++) { /* single-value access agrees */
        uint64_t i = test_rand_below(t->numel);
        int64_t v;
        ok = fti_encode_value(&v, t, s, i) == FTI_OK && v == r->values[i];
    }
    free(u);
    return ok;
}

/* The C record of t: quantum from base (or from t itself when base is NULL) unless force_s
 * is set; view with the given axis. */
ORACLE_FN int c_record(oracle_rec *r, const fti_st_tensor *t, const fti_st_tensor *base, const int32_t *force_s,
                    fti_out_axis axis, int with_values) {
    memset(r, 0, sizeof *r);
    snprintf(r->name, sizeof r->name, "%s", t->name);
    fti_status st = FTI_OK;
    fti_enc_stats stats;
    fti_view v;
    if (force_s) r->s = *force_s;
    else st = fti_quantum_exponent(&r->s, base ? base : t);
    if (st == FTI_OK) st = fti_encode_stats(&stats, t, r->s);
    if (st != FTI_OK) return rec_from_error(r, st);
    r->kind = 'T';
    r->sum = stats.sum;
    r->sumsq = stats.sum_sq;
    if (fti_view_init(&v, t, axis) != FTI_OK) return 0;
    r->rows = v.rows, r->cols = v.cols, r->log_rows = v.log_rows, r->log_cols = v.log_cols;
    return rec_limbs(r, t, &v, r->s) && (!with_values || rec_values(r, t, r->s));
}

ORACLE_FN int rec_equal(const oracle_rec *c, const oracle_rec *o) {
    char a[48], b[48];
    int ok = c->kind == o->kind;
    if (ok && c->kind == 'E') ok = strcmp(c->err, o->err) == 0 && c->index == o->index;
    if (ok && c->kind == 'T')
        ok = c->s == o->s && c->sum == o->sum && c->sumsq == o->sumsq && c->rows == o->rows && c->cols == o->cols &&
             c->log_rows == o->log_rows && c->log_cols == o->log_cols && !strcmp(c->hlo, o->hlo) &&
             !strcmp(c->hhi, o->hhi);
    if (ok && o->values) ok = c->values && c->nvalues == o->nvalues &&
                              memcmp(c->values, o->values, c->nvalues * sizeof *c->values) == 0;
    if (!ok) {
        fprintf(stderr, "  %s: C %c s=%d err=%s@%llu", c->name, c->kind, (int)c->s, c->err, (unsigned long long)c->index);
        fmt_i128(a, c->sum), fmt_i128(b, (__int128)c->sumsq);
        fprintf(stderr, " sum=%s sumsq=%s %llux%llu lo=%.12s hi=%.12s\n", a, b, (unsigned long long)c->rows,
                (unsigned long long)c->cols, c->hlo, c->hhi);
        fmt_i128(a, o->sum), fmt_i128(b, (__int128)o->sumsq);
        fprintf(stderr, "  %*s  oracle %c s=%d err=%s@%llu sum=%s sumsq=%s %llux%llu lo=%.12s hi=%.12s\n",
                (int)strlen(c->name), "", o->kind, (int)o->s, o->err, (unsigned long long)o->index, a, b,
                (unsigned long long)o->rows, (unsigned long long)o->cols, o->hlo, o->hhi);
        for (size_t i = 0; o->values && c->values && i < c->nvalues && i < o->nvalues; i++)
            if (c->values[i] != o->values[i]) {
                fprintf(stderr, "  first value difference at %zu: C %lld, oracle %lld\n", i, (long long)c->values[i],
                        (long long)o->values[i]);
                break;
            }
    }
    return ok;
}

#endif
