/* safetensors header validation: the rules listed in safetensors.h, in the order a file is read.
 *
 * Two passes over the parsed JSON: the first only sizes the tables (tensor count, total shape
 * length, string bytes), the second validates each member and fills them. Then the offsets are
 * checked for an exact tiling of the data region, and the tables sorted by name. */
#include <jansson.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/st_internal.h"
#include "util/error.h"

#define META_KEY "__metadata__"

/* FTI_ERR_FORMAT "<path>: <message>". */
__attribute__((format(printf, 2, 3))) static fti_status bad(const fti_st_file *f, const char *fmt, ...) {
    char msg[768];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return fti_fail(FTI_ERR_FORMAT, "%s: %s", f->path, msg);
}

/* FTI_ERR_FORMAT "<path>: tensor <name>: <message>". */
__attribute__((format(printf, 3, 4))) static fti_status bad_tensor(const fti_st_file *f, const char *name,
                                                                  const char *fmt, ...) {
    char msg[640], q[200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return fti_fail(FTI_ERR_FORMAT, "%s: tensor %s: %s", f->path, fti_st_quote(q, sizeof q, name), msg);
}

static uint64_t load_le64(const uint8_t *p) {
    uint64_t x = 0;
    for (int i = 7; i >= 0; i--) x = (x << 8) | p[i];
    return x;
}

/* The 8-byte prefix: 0 < N <= cap and 8 + N <= size. */
static fti_status check_prefix(fti_st_file *f) {
    if (f->size < 8)
        return bad(f, "file is %llu bytes, shorter than the 8-byte header length", (unsigned long long)f->size);
    uint64_t n = load_le64(f->base);
    if (n == 0) return bad(f, "header length is 0");
    if (n > FTI_ST_MAX_HEADER)
        return bad(f, "header length %llu exceeds the format's cap of %u bytes", (unsigned long long)n,
                   FTI_ST_MAX_HEADER);
    if (n > f->size - 8)
        return bad(f, "header length %llu runs past the end of the file (%llu bytes)", (unsigned long long)n,
                   (unsigned long long)f->size);
    f->header_len = n;
    return FTI_OK;
}

/* Adds a to *acc; 0 on overflow. */
static int add_size(size_t *acc, size_t a) { return !__builtin_add_overflow(*acc, a, acc); }

/* Pass 1: how much to allocate. Types are not checked here (pass 2 does), only counted. */
static fti_status size_tables(fti_st_file *f, json_t *root, size_t *ndims, size_t *nstrings) {
    const char *key;
    json_t *val;
    int ok = 1;
    *ndims = *nstrings = 0;
    json_object_foreach(root, key, val) {
        ok &= add_size(nstrings, strlen(key) + 1);
        if (strcmp(key, META_KEY) == 0) {
            const char *mk;
            json_t *mv;
            if (!json_is_object(val)) continue;
            json_object_foreach(val, mk, mv) {
                ok &= add_size(nstrings, strlen(mk) + 1);
                if (json_is_string(mv)) ok &= add_size(nstrings, json_string_length(mv) + 1);
                f->meta_count++;
            }
            continue;
        }
        json_t *shape = json_is_object(val) ? json_object_get(val, "shape") : NULL;
        if (json_is_array(shape)) ok &= add_size(ndims, json_array_size(shape));
        f->count++;
    }
    if (!ok) return bad(f, "header too large");
    return FTI_OK;
}

/* Copies s into the string pool at *cursor. */
static const char *pool_put(char **cursor, const char *s, size_t len) {
    char *p = *cursor;
    memcpy(p, s, len);
    p[len] = 0;
    *cursor = p + len + 1;
    return p;
}

static fti_status parse_metadata(fti_st_file *f, json_t *obj, char **pool) {
    const char *k;
    json_t *v;
    size_t i = 0;
    if (!json_is_object(obj)) return bad(f, "__metadata__ is not an object of strings");
    json_object_foreach(obj, k, v) {
        if (!json_is_string(v)) {
            char q[128];
            return bad(f, "__metadata__ value of key \"%s\" is not a string", fti_st_quote(q, sizeof q, k));
        }
        f->meta[i].key = pool_put(pool, k, strlen(k));
        f->meta[i].value = pool_put(pool, json_string_value(v), json_string_length(v));
        i++;
    }
    return FTI_OK;
}

/* Every member of a tensor entry must be one of the three known fields. */
static fti_status check_fields(const fti_st_file *f, const char *name, json_t *entry) {
    const char *k;
    json_t *v;
    if (!json_is_object(entry)) return bad_tensor(f, name, "entry is not an object");
    json_object_foreach(entry, k, v) {
        if (strcmp(k, "dtype") && strcmp(k, "shape") && strcmp(k, "data_offsets")) {
            char q[128];
            return bad_tensor(f, name, "unknown field \"%s\"", fti_st_quote(q, sizeof q, k));
        }
    }
    static const char *const required[] = {"dtype", "shape", "data_offsets"};
    for (int i = 0; i < 3; i++)
        if (!json_object_get(entry, required[i])) return bad_tensor(f, name, "missing field \"%s\"", required[i]);
    return FTI_OK;
}

static fti_status parse_dtype(const fti_st_file *f, fti_st_tensor *t, json_t *v) {
    if (!json_is_string(v)) return bad_tensor(f, t->name, "dtype is not a string");
    if (!fti_dtype_parse(&t->dtype, json_string_value(v))) {
        char q[64];
        return bad_tensor(f, t->name, "unknown dtype \"%s\"", fti_st_quote(q, sizeof q, json_string_value(v)));
    }
    return FTI_OK;
}

/* Shape into *dims (advanced by ndim), numel and nbytes, every product checked. The product of
 * the non-zero dimensions must fit in 64 bits even when a zero dimension makes numel 0, so that
 * later matrix views (products of some dimensions) cannot overflow either. */
static fti_status parse_shape(const fti_st_file *f, fti_st_tensor *t, json_t *v, uint64_t **dims) {
    if (!json_is_array(v)) return bad_tensor(f, t->name, "shape is not an array");
    size_t nd = json_array_size(v);
    if (nd > 1024) return bad_tensor(f, t->name, "shape has %zu dimensions (at most 1024)", nd);
    uint64_t prod = 1;
    int zero = 0;
    t->ndim = (unsigned)nd;
    t->shape = nd ? *dims : NULL;
    for (size_t i = 0; i < nd; i++) {
        json_t *d = json_array_get(v, i);
        if (!json_is_integer(d) || json_integer_value(d) < 0)
            return bad_tensor(f, t->name, "shape[%zu] is not a non-negative integer", i);
        uint64_t x = (uint64_t)json_integer_value(d);
        (*dims)[i] = x;
        if (x == 0) zero = 1;
        else if (__builtin_mul_overflow(prod, x, &prod))
            return bad_tensor(f, t->name, "element count overflows 64 bits");
    }
    *dims += nd;
    t->numel = zero ? 0 : prod;
    uint64_t bits;
    if (__builtin_mul_overflow(t->numel, (uint64_t)fti_dtype_bits(t->dtype), &bits) || bits / 8 > SIZE_MAX)
        return bad_tensor(f, t->name, "byte length overflows");
    if (bits % 8)
        return bad_tensor(f, t->name, "%llu elements of %s do not fill whole bytes", (unsigned long long)t->numel,
                          fti_dtype_name(t->dtype));
    t->nbytes = bits / 8;
    return FTI_OK;
}

/* data_offsets: [begin, end], 0 <= begin <= end <= data size, end - begin == nbytes. Sets
 * t->offset (from the file start) and t->data. */
static fti_status parse_offsets(const fti_st_file *f, fti_st_tensor *t, json_t *v) {
    if (!json_is_array(v) || json_array_size(v) != 2)
        return bad_tensor(f, t->name, "data_offsets is not an array of two integers");
    json_t *jb = json_array_get(v, 0), *je = json_array_get(v, 1);
    if (!json_is_integer(jb) || !json_is_integer(je) || json_integer_value(jb) < 0 || json_integer_value(je) < 0)
        return bad_tensor(f, t->name, "data_offsets are not non-negative integers");
    uint64_t b = (uint64_t)json_integer_value(jb), e = (uint64_t)json_integer_value(je);
    uint64_t data_start = 8 + f->header_len, data_size = f->size - data_start;
    if (b > e)
        return bad_tensor(f, t->name, "data_offsets [%llu, %llu] begin after they end", (unsigned long long)b,
                          (unsigned long long)e);
    if (e - b != t->nbytes)
        return bad_tensor(f, t->name, "data_offsets [%llu, %llu] hold %llu bytes but %llu elements of %s take %llu",
                          (unsigned long long)b, (unsigned long long)e, (unsigned long long)(e - b),
                          (unsigned long long)t->numel, fti_dtype_name(t->dtype), (unsigned long long)t->nbytes);
    if (e > data_size)
        return bad_tensor(f, t->name, "data_offsets [%llu, %llu] run past the data region (%llu bytes)",
                          (unsigned long long)b, (unsigned long long)e, (unsigned long long)data_size);
    t->offset = data_start + b;
    t->data = f->base + t->offset;
    return FTI_OK;
}

static fti_status parse_tensor(fti_st_file *f, fti_st_tensor *t, json_t *entry, uint64_t **dims) {
    if (t->name[0] == 0) return bad(f, "a tensor has an empty name");
    fti_status st = check_fields(f, t->name, entry);
    if (st == FTI_OK) st = parse_dtype(f, t, json_object_get(entry, "dtype"));
    if (st == FTI_OK) st = parse_shape(f, t, json_object_get(entry, "shape"), dims);
    if (st == FTI_OK) st = parse_offsets(f, t, json_object_get(entry, "data_offsets"));
    return st;
}

/* Pass 2: validate every member and fill the tables (allocated by the caller). */
static fti_status fill_tables(fti_st_file *f, json_t *root) {
    const char *key;
    json_t *val;
    char *pool = f->strings;
    uint64_t *dims = f->dims;
    size_t i = 0;
    json_object_foreach(root, key, val) {
        fti_status st;
        if (strcmp(key, META_KEY) == 0) {
            st = parse_metadata(f, val, &pool);
        } else {
            fti_st_tensor *t = &f->tensors[i++];
            t->name = pool_put(&pool, key, strlen(key));
            t->path = f->path;
            t->file = f;
            st = parse_tensor(f, t, val, &dims);
        }
        if (st != FTI_OK) return st;
    }
    return FTI_OK;
}

static int by_offset(const void *a, const void *b) {
    const fti_st_tensor *x = *(const fti_st_tensor *const *)a, *y = *(const fti_st_tensor *const *)b;
    if (x->offset != y->offset) return x->offset < y->offset ? -1 : 1;
    if (x->nbytes != y->nbytes) return x->nbytes < y->nbytes ? -1 : 1; /* empty ones first */
    return strcmp(x->name, y->name);
}

/* Sorted by offset, the tensors must tile [data start, file end) exactly. */
static fti_status check_tiling(fti_st_file *f) {
    fti_status st = FTI_OK;
    const fti_st_tensor **order = malloc((f->count ? f->count : 1) * sizeof *order);
    if (!order) return fti_fail(FTI_ERR_NOMEM, "%s: out of memory", f->path);
    for (size_t i = 0; i < f->count; i++) order[i] = &f->tensors[i];
    qsort(order, f->count, sizeof *order, by_offset);
    uint64_t pos = 8 + f->header_len;
    const fti_st_tensor *prev = NULL;
    for (size_t i = 0; i < f->count && st == FTI_OK; i++) {
        const fti_st_tensor *t = order[i];
        char q[200];
        if (t->offset < pos)
            st = bad_tensor(f, t->name, "overlaps tensor %s", fti_st_quote(q, sizeof q, prev->name));
        else if (t->offset > pos)
            st = bad_tensor(f, t->name, "data region has a hole of %llu bytes before this tensor",
                            (unsigned long long)(t->offset - pos));
        pos = t->offset + t->nbytes;
        prev = t;
    }
    if (st == FTI_OK && pos < f->size)
        st = bad(f, "%llu trailing bytes after the last tensor's data", (unsigned long long)(f->size - pos));
    free(order);
    return st;
}

static int by_name(const void *a, const void *b) {
    return strcmp(((const fti_st_tensor *)a)->name, ((const fti_st_tensor *)b)->name);
}

static int by_key(const void *a, const void *b) {
    return strcmp(((const fti_st_meta *)a)->key, ((const fti_st_meta *)b)->key);
}

/* Restores the shape pointers' meaning after sorting: they point into f->dims, unaffected. */
static void sort_tables(fti_st_file *f) {
    qsort(f->tensors, f->count, sizeof *f->tensors, by_name);
    qsort(f->meta, f->meta_count, sizeof *f->meta, by_key);
    for (size_t i = 1; i < f->count; i++) FTI_VERIFY_CHECK(strcmp(f->tensors[i - 1].name, f->tensors[i].name) < 0);
}

static fti_status load_json(fti_st_file *f, json_t **root) {
    json_error_t err;
    *root = json_loadb((const char *)f->base + 8, (size_t)f->header_len, JSON_REJECT_DUPLICATES, &err);
    if (!*root) return bad(f, "header is not valid JSON: %s (at byte %d of the header)", err.text, err.position);
    if (!json_is_object(*root)) return bad(f, "header is not a JSON object");
    return FTI_OK;
}

static fti_status alloc_tables(fti_st_file *f, size_t ndims, size_t nstrings) {
    f->tensors = calloc(f->count ? f->count : 1, sizeof *f->tensors);
    f->dims = calloc(ndims ? ndims : 1, sizeof *f->dims);
    f->strings = malloc(nstrings ? nstrings : 1);
    f->meta = calloc(f->meta_count ? f->meta_count : 1, sizeof *f->meta);
    if (!f->tensors || !f->dims || !f->strings || !f->meta) return fti_fail(FTI_ERR_NOMEM, "%s: out of memory", f->path);
    return FTI_OK;
}

fti_status fti_st_parse_image(fti_st_file *f) {
    json_t *root = NULL;
    size_t ndims, nstrings;
    fti_status st = check_prefix(f);
    if (st == FTI_OK) st = load_json(f, &root);
    if (st == FTI_OK) st = size_tables(f, root, &ndims, &nstrings);
    if (st == FTI_OK) st = alloc_tables(f, ndims, nstrings);
    if (st == FTI_OK) st = fill_tables(f, root);
    if (st == FTI_OK) st = check_tiling(f);
    if (st == FTI_OK) sort_tables(f);
    json_decref(root);
    return st;
}
