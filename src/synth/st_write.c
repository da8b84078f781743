/* safetensors writer: headers, data streaming and the shard index (contract in st_write.h). */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "synth/st_write.h"
#include "util/error.h"

fti_status fti_sw_mkdirs(const char *path) {
    char *p = strdup(path);
    if (!p) return fti_fail(FTI_ERR_NOMEM, "%s: out of memory", path);
    fti_status st = FTI_OK;
    /* create each prefix ending before a '/', then the whole path */
    for (char *s = p + 1;; s++) {
        if (*s && *s != '/') continue;
        char c = *s;
        *s = 0;
        if (mkdir(p, 0777) != 0 && errno != EEXIST) st = fti_fail(FTI_ERR_IO, "%s: cannot create directory: %s", p, strerror(errno));
        *s = c;
        if (!c || st != FTI_OK) break;
    }
    struct stat sb;
    if (st == FTI_OK && (stat(path, &sb) != 0 || !S_ISDIR(sb.st_mode)))
        st = fti_fail(FTI_ERR_IO, "%s: not a directory", path);
    free(p);
    return st;
}

/* ---- validation ---- */

static int cmp_str_ptr(const void *a, const void *b) {
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static fti_status check_names(const fti_sw_tensor *ts, size_t n) {
    const char **names = malloc((n ? n : 1) * sizeof *names);
    if (!names) return fti_fail(FTI_ERR_NOMEM, "writer: out of memory");
    for (size_t i = 0; i < n; i++) names[i] = ts[i].name;
    qsort(names, n, sizeof *names, cmp_str_ptr);
    fti_status st = FTI_OK;
    for (size_t i = 1; i < n && st == FTI_OK; i++)
        if (strcmp(names[i - 1], names[i]) == 0) st = fti_fail(FTI_ERR_ARG, "writer: tensor %s given twice", names[i]);
    free(names);
    return st;
}

static fti_status check_input(const fti_sw_tensor *ts, size_t n, const fti_sw_layout *l) {
    if (l->nfiles == 0 || (!l->index_name && l->nfiles != 1))
        return fti_fail(FTI_ERR_ARG, "writer: a layout of %zu files needs an index", l->nfiles);
    for (size_t f = 0; f < l->nfiles; f++)
        if (!l->files[f] || !l->files[f][0] || strchr(l->files[f], '/'))
            return fti_fail(FTI_ERR_ARG, "writer: shard %zu has no plain file name", f);
    for (size_t i = 0; i < n; i++) {
        if (!ts[i].name || !ts[i].name[0]) return fti_fail(FTI_ERR_ARG, "writer: tensor %zu has no name", i);
        if (strcmp(ts[i].name, "__metadata__") == 0) /* the format reserves that key */
            return fti_fail(FTI_ERR_ARG, "writer: a tensor cannot be called __metadata__");
        if (ts[i].ndim > FTI_SW_MAX_NDIM || fti_sw_nbytes(&ts[i]) == UINT64_MAX)
            return fti_fail(FTI_ERR_ARG, "writer: tensor %s has a bad shape or dtype", ts[i].name);
        if (l->file_of[i] >= l->nfiles) return fti_fail(FTI_ERR_ARG, "writer: tensor %s has no file", ts[i].name);
    }
    return check_names(ts, n);
}

/* ---- one file ---- */

typedef struct {
    const fti_sw_tensor *ts;
    const fti_sw_meta *meta;
    size_t nmeta;
    fti_sw_fill_fn fill;
    void *ctx;
    uint8_t *buf; /* the largest tensor's size */
} job;

/* The reference writer's data order: wider dtypes (by enum) first, then names. */
static int cmp_data_order(const void *a, const void *b, void *arg) {
    const fti_sw_tensor *x = (const fti_sw_tensor *)arg + *(const size_t *)a,
                        *y = (const fti_sw_tensor *)arg + *(const size_t *)b;
    if (x->dtype != y->dtype) return x->dtype > y->dtype ? -1 : 1;
    return strcmp(x->name, y->name);
}

static json_t *tensor_entry(const fti_sw_tensor *t, uint64_t begin, uint64_t end) {
    json_t *shape = json_array();
    for (unsigned d = 0; shape && d < t->ndim; d++) json_array_append_new(shape, json_integer((json_int_t)t->shape[d]));
    return json_pack("{s:[I,I],s:s,s:o}", "data_offsets", (json_int_t)begin, (json_int_t)end, "dtype",
                     fti_dtype_name(t->dtype), "shape", shape);
}

/* The padded header text of the tensors idx[0..k) (data in that order); *len its length. */
static char *build_header(const job *j, const size_t *idx, size_t k, size_t *len) {
    json_t *root = json_object(), *meta = NULL;
    uint64_t off = 0;
    int bad = !root;
    for (size_t i = 0; i < k && !bad; i++) {
        const fti_sw_tensor *t = &j->ts[idx[i]];
        uint64_t nb = fti_sw_nbytes(t);
        bad = json_object_set_new(root, t->name, tensor_entry(t, off, off + nb)) != 0;
        off += nb;
    }
    if (!bad && j->nmeta) {
        meta = json_object();
        for (size_t i = 0; meta && i < j->nmeta && !bad; i++)
            bad = json_object_set_new(meta, j->meta[i].key, json_string(j->meta[i].value)) != 0;
        bad = bad || json_object_set_new(root, "__metadata__", meta) != 0;
    }
    char *text = bad ? NULL : json_dumps(root, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(root);
    if (!text) return NULL;
    size_t n = strlen(text), padded = (n + 7) & ~(size_t)7;
    char *out = realloc(text, padded + 1);
    if (!out) {
        free(text);
        return NULL;
    }
    memset(out + n, ' ', padded - n);
    out[padded] = 0;
    *len = padded;
    return out;
}

static fti_status write_bytes(FILE *f, const void *p, size_t n, const char *path) {
    if (n && fwrite(p, 1, n, f) != n) return fti_fail(FTI_ERR_IO, "%s: cannot write: %s", path, strerror(errno));
    return FTI_OK;
}

static fti_status write_data(const job *j, FILE *f, const size_t *idx, size_t k, const char *path) {
    fti_status st = FTI_OK;
    for (size_t i = 0; i < k && st == FTI_OK; i++) {
        uint64_t nb = fti_sw_nbytes(&j->ts[idx[i]]);
        if (!nb) continue;
        st = j->fill(j->ctx, idx[i], j->buf);
        if (st == FTI_OK) st = write_bytes(f, j->buf, nb, path);
    }
    return st;
}

/* Writes the tensors idx[0..k) (reordered here) to path. */
static fti_status write_file(const job *j, size_t *idx, size_t k, const char *path) {
    qsort_r(idx, k, sizeof *idx, cmp_data_order, (void *)j->ts);
    size_t hlen = 0;
    char *header = build_header(j, idx, k, &hlen);
    if (!header) return fti_fail(FTI_ERR_NOMEM, "%s: cannot build the header", path);
    fti_status st = FTI_OK;
    FILE *f = fopen(path, "wb");
    if (!f) st = fti_fail(FTI_ERR_IO, "%s: cannot create: %s", path, strerror(errno));
    uint8_t len8[8];
    for (int b = 0; b < 8; b++) len8[b] = (uint8_t)((uint64_t)hlen >> (8 * b));
    if (st == FTI_OK) st = write_bytes(f, len8, 8, path);
    if (st == FTI_OK) st = write_bytes(f, header, hlen, path);
    if (st == FTI_OK) st = write_data(j, f, idx, k, path);
#ifdef FTI_VERIFY
    uint64_t data = 0;
    for (size_t i = 0; i < k; i++) data += fti_sw_nbytes(&j->ts[idx[i]]);
    FTI_VERIFY_CHECK(st != FTI_OK || (uint64_t)ftello(f) == 8 + hlen + data); /* the header's offsets hold */
#endif
    if (f && fclose(f) != 0 && st == FTI_OK) st = fti_fail(FTI_ERR_IO, "%s: cannot write: %s", path, strerror(errno));
    free(header);
    return st;
}

/* ---- the index ---- */

static fti_status write_index(const fti_sw_tensor *ts, size_t n, const fti_sw_layout *l, const char *path) {
    json_t *map = json_object();
    uint64_t total = 0;
    int bad = !map;
    for (size_t i = 0; i < n && !bad; i++) {
        bad = json_object_set_new(map, ts[i].name, json_string(l->files[l->file_of[i]])) != 0;
        total += fti_sw_nbytes(&ts[i]);
    }
    json_t *root = bad ? NULL : json_pack("{s:{s:I},s:o}", "metadata", "total_size", (json_int_t)total, "weight_map", map);
    if (!root) {
        if (bad) json_decref(map);
        return fti_fail(FTI_ERR_NOMEM, "%s: cannot build the index", path);
    }
    fti_status st = FTI_OK;
    FILE *f = fopen(path, "wb");
    if (!f) st = fti_fail(FTI_ERR_IO, "%s: cannot create: %s", path, strerror(errno));
    if (st == FTI_OK && (json_dumpf(root, f, JSON_INDENT(2) | JSON_SORT_KEYS) != 0 || fputc('\n', f) == EOF))
        st = fti_fail(FTI_ERR_IO, "%s: cannot write: %s", path, strerror(errno));
    if (f && fclose(f) != 0 && st == FTI_OK) st = fti_fail(FTI_ERR_IO, "%s: cannot write: %s", path, strerror(errno));
    json_decref(root);
    return st;
}

/* ---- driver ---- */

static int ends_with(const char *s, const char *suffix) {
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

/* The path of file name in out (or out itself when it names the single file). */
static char *file_path(const char *out, const char *name, int direct) {
    size_t n = strlen(out) + strlen(name) + 2;
    char *p = malloc(n);
    if (p) {
        if (direct) snprintf(p, n, "%s", out);
        else snprintf(p, n, "%s/%s", out, name);
    }
    return p;
}

static fti_status write_all(const job *j, size_t n, const fti_sw_layout *l, const char *out, int direct,
                            char **written) {
    fti_status st = FTI_OK;
    size_t *idx = malloc((n ? n : 1) * sizeof *idx);
    if (!idx) return fti_fail(FTI_ERR_NOMEM, "%s: out of memory", out);
    for (size_t f = 0; f < l->nfiles && st == FTI_OK; f++) {
        size_t k = 0;
        for (size_t i = 0; i < n; i++)
            if (l->file_of[i] == f) idx[k++] = i;
        written[f] = file_path(out, l->files[f], direct);
        st = written[f] ? write_file(j, idx, k, written[f]) : fti_fail(FTI_ERR_NOMEM, "%s: out of memory", out);
    }
    if (st == FTI_OK && l->index_name) {
        written[l->nfiles] = file_path(out, l->index_name, 0);
        st = written[l->nfiles] ? write_index(j->ts, n, l, written[l->nfiles])
                                : fti_fail(FTI_ERR_NOMEM, "%s: out of memory", out);
    }
    free(idx);
    return st;
}

static uint64_t largest(const fti_sw_tensor *ts, size_t n) {
    uint64_t m = 1;
    for (size_t i = 0; i < n; i++) {
        uint64_t b = fti_sw_nbytes(&ts[i]);
        if (b > m) m = b;
    }
    return m;
}

fti_status fti_sw_write(const char *out, const fti_sw_tensor *ts, size_t n, const fti_sw_layout *l,
                        const fti_sw_meta *meta, size_t nmeta, fti_sw_fill_fn fill, void *ctx) {
    fti_status st = check_input(ts, n, l);
    if (st != FTI_OK) return st;
    int direct = !l->index_name && ends_with(out, ".safetensors");
    if (!direct && (st = fti_sw_mkdirs(out)) != FTI_OK) return st;
    uint64_t max = largest(ts, n);
    job j = {ts, meta, nmeta, fill, ctx, max <= SIZE_MAX ? malloc((size_t)max) : NULL};
    char **written = calloc(l->nfiles + 1, sizeof *written);
    if (!j.buf || !written) st = fti_fail(FTI_ERR_NOMEM, "%s: out of memory for a %llu-byte tensor", out,
                                          (unsigned long long)max);
    if (st == FTI_OK) st = write_all(&j, n, l, out, direct, written);
    for (size_t f = 0; written && f <= l->nfiles; f++) {
        if (st != FTI_OK && written[f]) unlink(written[f]);
        free(written[f]);
    }
    free(written);
    free(j.buf);
    return st;
}
