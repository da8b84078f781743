/* Shard layouts for the safetensors writer (contract in st_write.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "synth/st_write.h"
#include "util/error.h"

uint64_t fti_sw_nbytes(const fti_sw_tensor *t) {
    unsigned bits = fti_dtype_bits(t->dtype);
    if (!bits || t->ndim > FTI_SW_MAX_NDIM) return UINT64_MAX;
    uint64_t n = 1;
    for (unsigned d = 0; d < t->ndim; d++) {
        if (t->shape[d] == 0) return 0;
        if (__builtin_mul_overflow(n, t->shape[d], &n)) return UINT64_MAX;
    }
    uint64_t b;
    if (__builtin_mul_overflow(n, (uint64_t)bits, &b) || b % 8) return UINT64_MAX;
    return b / 8;
}

fti_status fti_sw_layout_alloc(fti_sw_layout *out, size_t n, size_t nfiles) {
    memset(out, 0, sizeof *out);
    out->files = calloc(nfiles ? nfiles : 1, sizeof *out->files);
    out->file_of = calloc(n ? n : 1, sizeof *out->file_of);
    out->nfiles = nfiles;
    if (out->files && out->file_of) return FTI_OK;
    fti_sw_layout_free(out);
    return fti_fail(FTI_ERR_NOMEM, "shard layout: out of memory");
}

void fti_sw_layout_free(fti_sw_layout *l) {
    for (size_t i = 0; l->files && i < l->nfiles; i++) free(l->files[i]);
    free(l->files);
    free(l->file_of);
    free(l->index_name);
    memset(l, 0, sizeof *l);
}

fti_status fti_sw_layout_single(fti_sw_layout *out, size_t n, const char *file) {
    fti_status st = fti_sw_layout_alloc(out, n, 1);
    if (st != FTI_OK) return st;
    out->files[0] = strdup(file);
    if (out->files[0]) return FTI_OK;
    fti_sw_layout_free(out);
    return fti_fail(FTI_ERR_NOMEM, "shard layout: out of memory");
}

static int cmp_index_by_name(const void *a, const void *b, void *ts) {
    const fti_sw_tensor *t = ts;
    return strcmp(t[*(const size_t *)a].name, t[*(const size_t *)b].name);
}

/* Tensor indices in name order (NULL when out of memory). */
static size_t *name_order(const fti_sw_tensor *ts, size_t n) {
    size_t *ord = malloc((n ? n : 1) * sizeof *ord);
    if (!ord) return NULL;
    for (size_t i = 0; i < n; i++) ord[i] = i;
    qsort_r(ord, n, sizeof *ord, cmp_index_by_name, (void *)ts);
    return ord;
}

/* Hugging Face's split: assigns shard numbers in file_of (if not NULL) and returns the count. */
static size_t hf_split(size_t *file_of, const fti_sw_tensor *ts, const size_t *ord, size_t n, uint64_t max) {
    size_t shards = 0, open = SIZE_MAX; /* the open shard's number */
    uint64_t open_size = 0;
    for (size_t k = 0; k < n; k++) {
        uint64_t sz = fti_sw_nbytes(&ts[ord[k]]);
        size_t s;
        if (sz > max) { /* its own shard; the open one stays open */
            s = shards++;
        } else {
            if (open == SIZE_MAX || open_size + sz > max) {
                open = shards++;
                open_size = 0;
            }
            s = open;
            open_size += sz;
        }
        if (file_of) file_of[ord[k]] = s;
    }
    return shards ? shards : 1;
}

static fti_status name_shards(fti_sw_layout *l) {
    if (l->nfiles == 1) {
        l->files[0] = strdup("model.safetensors");
        return l->files[0] ? FTI_OK : fti_fail(FTI_ERR_NOMEM, "shard layout: out of memory");
    }
    l->index_name = strdup("model.safetensors.index.json");
    if (!l->index_name) return fti_fail(FTI_ERR_NOMEM, "shard layout: out of memory");
    for (size_t i = 0; i < l->nfiles; i++) {
        char name[64];
        snprintf(name, sizeof name, "model-%05zu-of-%05zu.safetensors", i + 1, l->nfiles);
        if (!(l->files[i] = strdup(name))) return fti_fail(FTI_ERR_NOMEM, "shard layout: out of memory");
    }
    return FTI_OK;
}

static fti_status check_sizes(const fti_sw_tensor *ts, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (fti_sw_nbytes(&ts[i]) == UINT64_MAX)
            return fti_fail(FTI_ERR_ARG, "tensor %s: size overflows or is not a whole number of bytes", ts[i].name);
    return FTI_OK;
}

static fti_status layout_by_limit(fti_sw_layout *out, const fti_sw_tensor *ts, size_t n, const size_t *ord,
                                  uint64_t max) {
    fti_status st = fti_sw_layout_alloc(out, n, hf_split(NULL, ts, ord, n, max));
    if (st != FTI_OK) return st;
    hf_split(out->file_of, ts, ord, n, max);
    st = name_shards(out);
    if (st != FTI_OK) fti_sw_layout_free(out);
    return st;
}

fti_status fti_sw_layout_max_size(fti_sw_layout *out, const fti_sw_tensor *ts, size_t n, uint64_t max_bytes) {
    memset(out, 0, sizeof *out);
    if (max_bytes == 0) return fti_fail(FTI_ERR_ARG, "shard layout: the maximum shard size must be positive");
    fti_status st = check_sizes(ts, n);
    if (st != FTI_OK) return st;
    size_t *ord = name_order(ts, n);
    if (!ord) return fti_fail(FTI_ERR_NOMEM, "shard layout: out of memory");
    st = layout_by_limit(out, ts, n, ord, max_bytes);
    free(ord);
    return st;
}

fti_status fti_sw_layout_count(fti_sw_layout *out, const fti_sw_tensor *ts, size_t n, unsigned shards) {
    memset(out, 0, sizeof *out);
    if (shards == 0) return fti_fail(FTI_ERR_ARG, "shard layout: the number of shards must be positive");
    fti_status st = check_sizes(ts, n);
    if (st != FTI_OK) return st;
    size_t *ord = name_order(ts, n);
    if (!ord) return fti_fail(FTI_ERR_NOMEM, "shard layout: out of memory");
    uint64_t total = 0;
    for (size_t i = 0; i < n; i++) total += fti_sw_nbytes(&ts[i]);
    /* bisection for the least limit in [1, max(total, 1)] giving <= shards files; at the upper
     * end everything fits one shard, so the invariant "hi works" holds from the start */
    uint64_t lo = 1, hi = total ? total : 1;
    while (lo < hi) {
        uint64_t mid = lo + (hi - lo) / 2;
        if (hf_split(NULL, ts, ord, n, mid) <= shards) hi = mid;
        else lo = mid + 1;
    }
    st = layout_by_limit(out, ts, n, ord, hi);
    free(ord);
    return st;
}
