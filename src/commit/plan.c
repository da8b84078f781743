/* Planning a base commitment: which tensors are committed, their matrix views and quanta, the
 * units (GPT-2's fused c_attn split into q/k/v slices), and the blocks (one per numbered layer,
 * the rest grouped by size). */
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>

#include "commit/commit.h"
#include "model/encode.h"
#include "policy/arch.h"
#include "util/error.h"

#define BLOCK_TARGET ((uint64_t)1 << 25) /* values per size-grouped block */
#define BLOCK_MIN ((uint64_t)1 << 22)

unsigned ftic_tile_vars = FTIC_TILE_VARS;
size_t ftic_release_bytes = FTIC_RELEASE_BYTES;    /* smaller neighbouring layers share a block */

static unsigned ceil_log2(uint64_t x) {
    unsigned l = 0;
    while (l < 63 && ((uint64_t)1 << l) < x) l++;
    return l;
}

/* GPT-2's Conv1D weights are stored [in, out]. */
static int gpt2_conv1d(const char *name) {
    static const char *const pats[] = {"*attn.c_attn.weight", "*attn.c_proj.weight", "*mlp.c_fc.weight",
                                       "*mlp.c_proj.weight"};
    for (size_t i = 0; i < 4; i++)
        if (!fnmatch(pats[i], name, 0)) return 1;
    return 0;
}
static int gpt2_fused_qkv(const char *name) {
    return !fnmatch("*attn.c_attn.weight", name, 0) || !fnmatch("*attn.c_attn.bias", name, 0);
}

/* The out axis of a tensor: GPT-2 Conv1D layout, else the file's "layout" metadata, else first. */
static int out_axis_of(const fti_st_tensor *t, fti_arch arch) {
    if (t->ndim < 2) return 0;
    if (arch == FTI_ARCH_GPT2 && gpt2_conv1d(t->name)) return 1;
    const char *layout = fti_st_metadata_get(t->file, "layout");
    return fti_layout_out_axis(layout, t->ndim) == FTI_OUT_LAST;
}

static void tensor_rows_cols(const ftic_tensor *t, uint64_t *rows, uint64_t *cols) {
    uint64_t numel = 1;
    for (unsigned d = 0; d < t->ndim; d++) numel *= t->shape[d];
    if (t->ndim <= 1) {
        *rows = 1;
        *cols = numel;
    } else {
        *rows = t->shape[t->out_axis ? t->ndim - 1 : 0];
        *cols = numel / *rows;
    }
}

/* Policy-unit descriptions of the checkpoint's tensors, for architecture detection. */
static fti_arch detect_arch(const fti_ckpt *ck) {
    size_t n = fti_ckpt_count(ck);
    fti_policy_unit *u = calloc(n ? n : 1, sizeof *u);
    if (!u) return FTI_ARCH_UNKNOWN;
    for (size_t i = 0; i < n; i++) {
        const fti_st_tensor *t = fti_ckpt_tensor(ck, i);
        u[i].name = t->name;
        u[i].ndim = t->ndim;
        u[i].rows = t->ndim >= 2 ? t->shape[0] : 1;
        u[i].cols = t->ndim >= 2 ? t->numel / (t->shape[0] ? t->shape[0] : 1) : t->numel;
        u[i].dtype = fti_dtype_name(t->dtype);
    }
    fti_arch a = fti_arch_detect(u, n);
    free(u);
    return a;
}

static fti_status plan_tensors(ftic *c, const fti_ckpt *ck, fti_arch arch) {
    size_t n = fti_ckpt_count(ck);
    if (n == 0) return fti_fail(FTI_ERR_FORMAT, "%s: the checkpoint has no tensors", fti_ckpt_path(ck));
    c->tensors = calloc(n, sizeof *c->tensors);
    if (!c->tensors) return fti_fail(FTI_ERR_NOMEM, "out of memory");
    c->n_tensors = n;
    for (size_t i = 0; i < n; i++) {
        const fti_st_tensor *t = fti_ckpt_tensor(ck, i);
        ftic_tensor *m = &c->tensors[i];
        if (t->ndim > FTIC_MAX_NDIM)
            return fti_fail(FTI_ERR_UNSUPPORTED, "%s: tensor %s has %u dimensions (at most %d)", t->path, t->name,
                            t->ndim, FTIC_MAX_NDIM);
        if (!(m->name = strdup(t->name))) return fti_fail(FTI_ERR_NOMEM, "out of memory");
        m->dtype = t->dtype;
        m->ndim = t->ndim;
        for (unsigned d = 0; d < t->ndim; d++) m->shape[d] = t->shape[d];
        m->committed = fti_dtype_committable(t->dtype) && t->numel > 0;
        m->out_axis = m->committed ? out_axis_of(t, arch) : 0;
    }
    return FTI_OK;
}

static fti_status add_one_unit(ftic *c, size_t *cap, const char *name, uint32_t tensor, uint32_t tile,
                               uint32_t n_tiles, uint64_t row0, uint64_t rows, uint64_t col0, uint64_t cols) {
    if (c->n_units == *cap) {
        size_t nc = *cap ? 2 * *cap : 64;
        ftic_unit *u = realloc(c->units, nc * sizeof *u);
        if (!u) return fti_fail(FTI_ERR_NOMEM, "out of memory");
        c->units = u;
        *cap = nc;
    }
    ftic_unit *u = &c->units[c->n_units];
    memset(u, 0, sizeof *u);
    if (!(u->name = strdup(name))) return fti_fail(FTI_ERR_NOMEM, "out of memory");
    c->n_units++;
    u->tensor = tensor;
    u->tile = tile;
    u->n_tiles = n_tiles;
    u->row0 = row0;
    u->rows = rows;
    u->col0 = col0;
    u->cols = cols;
    u->log_rows = ceil_log2(rows);
    u->log_cols = ceil_log2(cols);
    if (u->log_rows + u->log_cols > FTIC_MAX_UNIT_VARS)
        return fti_fail(FTI_ERR_UNSUPPORTED, "tensor %s: %llu x %llu pads to more than 2^%d entries", c->tensors[tensor].name,
                        (unsigned long long)rows, (unsigned long long)cols, FTIC_MAX_UNIT_VARS);
    return FTI_OK;
}

/* A unit, or its row tiles when its padded matrix exceeds 2^FTIC_TILE_VARS entries: tiles of
 * 2^(FTIC_TILE_VARS - log_cols) rows, named "NAME#k" (memory and PCS tables stay bounded). */
static fti_status add_unit(ftic *c, size_t *cap, const char *name, uint32_t tensor, uint64_t row0, uint64_t rows,
                           uint64_t col0, uint64_t cols) {
    unsigned lc = ceil_log2(cols), lr = ceil_log2(rows);
    if (lr + lc <= ftic_tile_vars || lc >= ftic_tile_vars)
        return add_one_unit(c, cap, name, tensor, 0, 1, row0, rows, col0, cols);
    uint64_t tile_rows = (uint64_t)1 << (ftic_tile_vars - lc), n_tiles = (rows + tile_rows - 1) / tile_rows;
    for (uint64_t k = 0; k < n_tiles; k++) {
        char tname[FTIC_MAX_NAME + 24];
        snprintf(tname, sizeof tname, "%s#%llu", name, (unsigned long long)k);
        uint64_t r0 = k * tile_rows, nr = rows - r0 < tile_rows ? rows - r0 : tile_rows;
        fti_status st = add_one_unit(c, cap, tname, tensor, (uint32_t)k, (uint32_t)n_tiles, row0 + r0, nr, col0, cols);
        if (st != FTI_OK) return st;
    }
    return FTI_OK;
}

/* Units: one per committed tensor; GPT-2's c_attn weight and bias as three slices along the
 * out dimension (rows of the weight's view, columns of the bias vector). */
static fti_status plan_units(ftic *c, fti_arch arch) {
    size_t cap = 0;
    for (size_t i = 0; i < c->n_tensors; i++) {
        const ftic_tensor *t = &c->tensors[i];
        if (!t->committed) continue;
        uint64_t rows, cols;
        tensor_rows_cols(t, &rows, &cols);
        fti_status st;
        int split = arch == FTI_ARCH_GPT2 && gpt2_fused_qkv(t->name) && (t->ndim <= 1 ? cols : rows) % 3 == 0;
        if (!split) {
            if ((st = add_unit(c, &cap, t->name, (uint32_t)i, 0, rows, 0, cols)) != FTI_OK) return st;
            continue;
        }
        static const char *const part[3] = {"q", "k", "v"};
        for (int k = 0; k < 3; k++) {
            char name[FTIC_MAX_NAME + 8];
            snprintf(name, sizeof name, "%s:%s", t->name, part[k]);
            if (t->ndim <= 1) st = add_unit(c, &cap, name, (uint32_t)i, 0, 1, k * (cols / 3), cols / 3);
            else st = add_unit(c, &cap, name, (uint32_t)i, k * (rows / 3), rows / 3, 0, cols);
            if (st != FTI_OK) return st;
        }
    }
    if (c->n_units == 0) return fti_fail(FTI_ERR_UNSUPPORTED, "no tensor of the checkpoint can be committed");
    return FTI_OK;
}

/* Block label of a unit: its numbered layer's prefix ("model.layers.3"), or "" if none. */
static void layer_label(char *out, size_t cap, const ftic *c, const ftic_unit *u, fti_arch arch) {
    const ftic_tensor *t = &c->tensors[u->tensor];
    fti_policy_unit pu = {u->name, t->name, u->rows, u->cols, t->ndim, FTI_ROLE_UNKNOWN, fti_dtype_name(t->dtype)};
    fti_unit_class cls;
    fti_arch_classify(&cls, arch, &pu);
    size_t n = cls.layer >= 0 ? cls.layer_prefix : 0;
    if (n > 0 && u->name[n - 1] == '.') n--;
    if (n >= cap) n = cap - 1;
    memcpy(out, u->name, n);
    out[n] = 0;
}

static int cmp_str_ptr(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* Units by (block label, name); ctx is the sorted label array. */
static int cmp_label_then_name(const void *a, const void *b, void *ctx) {
    const ftic_unit *x = a, *y = b;
    char *const *labels = ctx;
    int c = strcmp(labels[x->block], labels[y->block]);
    return c ? c : strcmp(x->name, y->name);
}

/* Groups units into blocks and orders units by (block, name). */
static fti_status plan_blocks(ftic *c, fti_arch arch) {
    char **labels = calloc(c->n_units, sizeof *labels);
    fti_status st = FTI_OK;
    if (!labels) return fti_fail(FTI_ERR_NOMEM, "out of memory");
    /* layered units get their layer's label; the others "rest.K" by running size */
    uint64_t rest_size = 0;
    unsigned rest_k = 0;
    size_t rest_units = 0;
    for (size_t i = 0; i < c->n_units; i++) {
        char lab[FTIC_MAX_NAME];
        layer_label(lab, sizeof lab, c, &c->units[i], arch);
        if (!lab[0]) {
            uint64_t sz = (uint64_t)1 << ftic_unit_vars(&c->units[i]);
            if ((rest_size && rest_size + sz > BLOCK_TARGET) || rest_units == FTIC_MAX_BLOCK_UNITS) {
                rest_k++;
                rest_size = 0;
                rest_units = 0;
            }
            rest_size += sz;
            rest_units++;
            snprintf(lab, sizeof lab, "rest.%04u", rest_k);
        }
        if (!(labels[i] = strdup(lab))) {
            st = fti_fail(FTI_ERR_NOMEM, "out of memory");
            goto out;
        }
    }
    /* distinct labels, sorted */
    char **uniq = calloc(c->n_units, sizeof *uniq);
    size_t nb = 0;
    if (!uniq) {
        st = fti_fail(FTI_ERR_NOMEM, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < c->n_units; i++) {
        size_t b;
        for (b = 0; b < nb; b++)
            if (!strcmp(uniq[b], labels[i])) break;
        if (b == nb) uniq[nb++] = labels[i];
    }
    qsort(uniq, nb, sizeof *uniq, cmp_str_ptr);
    for (size_t i = 0; i < c->n_units; i++)
        for (size_t b = 0; b < nb; b++)
            if (!strcmp(uniq[b], labels[i])) c->units[i].block = (uint32_t)b;
    qsort_r(c->units, c->n_units, sizeof *c->units, cmp_label_then_name, uniq);
    c->blocks = calloc(nb, sizeof *c->blocks);
    if (!c->blocks) {
        free(uniq);
        st = fti_fail(FTI_ERR_NOMEM, "out of memory");
        goto out;
    }
    c->n_blocks = nb;
    for (size_t b = 0; b < nb; b++) c->blocks[b].label = strdup(uniq[b]);
    for (size_t i = 0; i < c->n_units; i++) {
        ftic_block *bl = &c->blocks[c->units[i].block];
        if (bl->n_units == 0) bl->first_unit = (uint32_t)i;
        bl->n_units++;
    }
    for (size_t b = 0; b < nb; b++)
        if (!c->blocks[b].label) st = fti_fail(FTI_ERR_NOMEM, "out of memory");
    free(uniq);
out:
    for (size_t i = 0; i < c->n_units; i++) free(labels[i]);
    free(labels);
    return st;
}

static uint64_t block_values(const ftic *c, const ftic_block *b) {
    uint64_t n = 0;
    for (uint32_t i = 0; i < b->n_units; i++) n += (uint64_t)1 << ftic_unit_vars(&c->units[b->first_unit + i]);
    return n;
}

/* Merges runs of neighbouring small blocks (fewer than BLOCK_MIN padded values) so that small
 * models do not pay one opening per tiny layer. A merged block is labelled "FIRST+K" (K more). */
static fti_status merge_small_blocks(ftic *c) {
    size_t out = 0;
    for (size_t b = 0; b < c->n_blocks;) {
        ftic_block acc = c->blocks[b];
        uint64_t size = block_values(c, &acc);
        size_t next = b + 1, merged = 0;
        while (next < c->n_blocks && size < BLOCK_MIN) {
            uint64_t add = block_values(c, &c->blocks[next]);
            if (size + add > BLOCK_TARGET || acc.n_units + c->blocks[next].n_units > FTIC_MAX_BLOCK_UNITS) break;
            size += add;
            acc.n_units += c->blocks[next].n_units;
            free(c->blocks[next].label);
            c->blocks[next].label = NULL;
            next++;
            merged++;
        }
        if (merged) {
            char lab[FTIC_MAX_NAME];
            snprintf(lab, sizeof lab, "%.*s+%zu", FTIC_MAX_NAME - 24, acc.label, merged);
            free(acc.label);
            if (!(acc.label = strdup(lab))) return fti_fail(FTI_ERR_NOMEM, "out of memory");
        }
        for (uint32_t i = 0; i < acc.n_units; i++) c->units[acc.first_unit + i].block = (uint32_t)out;
        c->blocks[out++] = acc;
        b = next;
    }
    c->n_blocks = out;
    return FTI_OK;
}

fti_status ftic_plan_base(ftic **out, const fti_ckpt *ck, const fti_pcs_params *pp) {
    fti_status st;
    ftic *c = calloc(1, sizeof *c);
    *out = NULL;
    if (!c) return fti_fail(FTI_ERR_NOMEM, "out of memory");
    c->pp = pp;
    c->kind = FTIC_BASE;
    fti_arch arch = detect_arch(ck);
    if ((st = plan_tensors(c, ck, arch)) != FTI_OK) goto fail;
    if ((st = plan_units(c, arch)) != FTI_OK) goto fail;
    if ((st = plan_blocks(c, arch)) != FTI_OK) goto fail;
    if ((st = merge_small_blocks(c)) != FTI_OK) goto fail;
    /* quanta from the base tensors */
    for (size_t i = 0; i < c->n_units; i++) {
        ftic_unit *u = &c->units[i];
        const fti_st_tensor *t = fti_ckpt_find(ck, c->tensors[u->tensor].name);
        st = fti_quantum_exponent(&u->quantum, t);
        fti_ckpt_release(t); /* read again block by block: not kept resident meanwhile */
        if (st != FTI_OK) goto fail;
    }
    c->proofs = calloc(c->n_blocks, sizeof *c->proofs);
    c->proof_len = calloc(c->n_blocks, sizeof *c->proof_len);
    if (!c->proofs || !c->proof_len) {
        st = fti_fail(FTI_ERR_NOMEM, "out of memory");
        goto fail;
    }
    *out = c;
    return FTI_OK;
fail:
    ftic_free(c);
    return st;
}
