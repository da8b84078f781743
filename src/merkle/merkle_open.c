/* Multi-openings: sizes, the prover's opening, and reading a row out of an opening. */
#include <stdlib.h>
#include <string.h>

#include "merkle/merkle_internal.h"
#include "util/error.h"

fti_status fti_merkle_opening_sizes(size_t *row_data_len, size_t *n_siblings, const fti_merkle_shape *shape,
                                    const uint64_t *indices, size_t n_indices) {
    merkle_layout lay;
    fti_status st;
    if (!row_data_len || !n_siblings) return fti_fail(FTI_ERR_ARG, "merkle: no output");
    if ((st = merkle_layout_init(&lay, shape)) != FTI_OK) return st;
    if (!merkle_indices_valid(&lay, indices, n_indices))
        return fti_fail(FTI_ERR_ARG, "merkle: indices must be non-empty, sorted, distinct and < 2^%u", lay.height);
    return merkle_sizes(row_data_len, n_siblings, &lay, indices, n_indices);
}

static int cmp_u64(const void *a, const void *b) {
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

/* Sorts and deduplicates indices in place; returns the new count. */
static size_t sort_unique(uint64_t *v, size_t n) {
    if (n == 0) return 0;
    qsort(v, n, sizeof *v, cmp_u64);
    size_t w = 1;
    for (size_t k = 1; k < n; k++)
        if (v[k] != v[w - 1]) v[w++] = v[k];
    return w;
}

/* Replaces S_l (sorted, distinct) by S_(l-1) in place; returns its size. */
static size_t parents(uint64_t *s, size_t n) {
    size_t w = 0;
    for (size_t k = 0; k < n; k++)
        if (w == 0 || s[w - 1] != s[k] >> 1) s[w++] = s[k] >> 1;
    return w;
}

static int find_index(const uint64_t *v, size_t n, uint64_t q, size_t *k) {
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (v[mid] < q) lo = mid + 1;
        else hi = mid;
    }
    *k = lo;
    return lo < n && v[lo] == q;
}

/* Appends R(l, i) for every i in S_l; returns the new write position. */
static size_t put_rows(uint8_t *rd, size_t pos, const merkle_prover *p, unsigned l, const uint64_t *s, size_t n) {
    size_t len = p->lay.r_len[l];
    if (!len) return pos;
    for (size_t k = 0; k < n; k++, pos += len) merkle_prover_write_r(rd + pos, p, l, s[k]);
    return pos;
}

/* Where the opening reads nodes: the tree's kept levels, and for the dropped ones (below
 * level deep) the subtrees under S_deep, recomputed. Subtree r (under the r-th node of
 * S_deep) starts at sub + r * 2^(d+1), its level l at offset 2^(l - deep) - 1. */
typedef struct {
    const fti_merkle_tree *t;
    const uint64_t *anc; /* S_deep */
    size_t n_anc;
    fti_digest *sub;
} node_source;

static size_t subtree_nodes(const fti_merkle_tree *t) { return (size_t)2 << (t->prover.lay.height - t->deep); }

static void recompute_dropped(const node_source *ns) {
    const fti_merkle_tree *t = ns->t;
    for (size_t r = 0; r < ns->n_anc; r++) {
        fti_digest *dst[FTI_MERKLE_MAX_HEIGHT + 1], *base = ns->sub + r * subtree_nodes(t);
        for (unsigned l = t->deep; l <= t->prover.lay.height; l++) dst[l] = base + (((size_t)1 << (l - t->deep)) - 1);
        merkle_prover_subtree(&t->prover, t->deep, ns->anc[r], dst);
    }
}

static const fti_digest *node_at(const node_source *ns, unsigned l, uint64_t i) {
    const fti_merkle_tree *t = ns->t;
    if (l <= t->deep) return &merkle_tree_level(t, l)[i];
    unsigned up = l - t->deep;
    size_t r;
    int found = find_index(ns->anc, ns->n_anc, i >> up, &r);
    FTI_VERIFY_CHECK(found); /* i's ancestor at level deep is in S_deep by construction */
    (void)found;
    return ns->sub + r * subtree_nodes(t) + (((size_t)1 << up) - 1) + (i & (((uint64_t)1 << up) - 1));
}

/* Walks S_L, ..., S_0 writing the canonical layout of merkle.h. cur holds S_L on entry. */
static void fill_opening(fti_merkle_opening *op, const node_source *ns, uint64_t *cur, size_t n) {
    const merkle_prover *p = &ns->t->prover;
    size_t pos = 0, sib = 0;
    pos = put_rows(op->row_data, pos, p, p->lay.height, cur, n);
    for (unsigned l = p->lay.height; l > 0; l--) {
        for (size_t k = 0; k < n; k++) {
            uint64_t i = cur[k];
            int has_left = k > 0 && cur[k - 1] == (i ^ 1), has_right = k + 1 < n && cur[k + 1] == (i ^ 1);
            if (!has_left && !has_right) op->siblings[sib++] = *node_at(ns, l, i ^ 1);
        }
        n = parents(cur, n);
        pos = put_rows(op->row_data, pos, p, l - 1, cur, n);
    }
    FTI_VERIFY_CHECK(pos == op->row_data_len && sib == op->n_siblings);
}

/* S_deep from the sorted indices, into anc (n entries of room); returns its size. */
static size_t ancestors(uint64_t *anc, const uint64_t *indices, size_t n, unsigned up) {
    memcpy(anc, indices, n * sizeof *anc);
    for (unsigned k = 0; k < up; k++) n = parents(anc, n);
    return n;
}

fti_status fti_merkle_open(fti_merkle_opening *op, const fti_merkle_tree *t, const uint64_t *indices,
                           size_t n_indices) {
    uint64_t *cur = NULL, *anc = NULL;
    node_source ns = {t, NULL, 0, NULL};
    fti_status st = FTI_OK;
    if (!op) return fti_fail(FTI_ERR_ARG, "merkle: no output");
    memset(op, 0, sizeof *op);
    if (!t || !indices || n_indices == 0) return fti_fail(FTI_ERR_ARG, "merkle: nothing to open");
    const merkle_layout *lay = &t->prover.lay;
    op->indices = calloc(n_indices, sizeof *op->indices);
    cur = calloc(n_indices, sizeof *cur);
    anc = calloc(n_indices, sizeof *anc);
    if (!op->indices || !cur || !anc) {
        st = fti_fail(FTI_ERR_NOMEM, "merkle: out of memory");
        goto out;
    }
    memcpy(op->indices, indices, n_indices * sizeof *indices);
    op->n_indices = sort_unique(op->indices, n_indices);
    if (!merkle_indices_valid(lay, op->indices, op->n_indices)) {
        st = fti_fail(FTI_ERR_ARG, "merkle: index out of range (tree of 2^%u leaves)", lay->height);
        goto out;
    }
    if ((st = merkle_sizes(&op->row_data_len, &op->n_siblings, lay, op->indices, op->n_indices)) != FTI_OK) goto out;
    op->row_data = malloc(op->row_data_len ? op->row_data_len : 1);
    op->siblings = calloc(op->n_siblings ? op->n_siblings : 1, sizeof *op->siblings); /* <= n * L digests */
    if (!op->row_data || !op->siblings) {
        st = fti_fail(FTI_ERR_NOMEM, "merkle: out of memory");
        goto out;
    }
    ns.anc = anc;
    ns.n_anc = ancestors(anc, op->indices, op->n_indices, lay->height - t->deep);
    ns.sub = calloc(ns.n_anc, subtree_nodes(t) * sizeof *ns.sub); /* <= n * 2^(d+1) digests */
    if (!ns.sub) {
        st = fti_fail(FTI_ERR_NOMEM, "merkle: out of memory");
        goto out;
    }
    recompute_dropped(&ns);
    memcpy(cur, op->indices, op->n_indices * sizeof *cur);
    fill_opening(op, &ns, cur, op->n_indices);
out:
    free(cur);
    free(anc);
    free(ns.sub);
    if (st != FTI_OK) fti_merkle_opening_free(op);
    return st;
}

void fti_merkle_opening_free(fti_merkle_opening *op) {
    if (!op) return;
    free(op->indices);
    free(op->row_data);
    free(op->siblings);
    memset(op, 0, sizeof *op);
}

/* Rank of S_l's node holding indices[k]: the number of distinct indices[j] >> shift, j < k. */
static size_t node_rank(const uint64_t *indices, size_t k, unsigned shift) {
    size_t r = 0;
    for (size_t j = 1; j <= k; j++) r += ((indices[j] ^ indices[j - 1]) >> shift) != 0;
    return r;
}

/* Offset of R(l, .) for S_l's first node: the levels L..l+1 come first. Sizes were checked
 * against the opening's lengths, so no sum overflows. */
static size_t level_offset(const merkle_layout *lay, const uint64_t *counts, unsigned l) {
    size_t off = 0;
    for (unsigned k = lay->height; k > l; k--) off += (size_t)counts[k] * lay->r_len[k];
    return off;
}

const uint8_t *fti_merkle_opening_row(const fti_merkle_opening *op, const fti_merkle_shape *shape, size_t m,
                                      uint64_t q) {
    merkle_layout lay;
    size_t rd_len, n_sib, k;
    uint64_t counts[FTI_MERKLE_MAX_HEIGHT + 1];
    if (!op || merkle_layout_init(&lay, shape) != FTI_OK || m >= lay.n_matrices) return NULL;
    /* Never trust the opening: its lengths must be exactly those of its indices. */
    if (!merkle_indices_valid(&lay, op->indices, op->n_indices) || !op->row_data ||
        merkle_sizes(&rd_len, &n_sib, &lay, op->indices, op->n_indices) != FTI_OK || rd_len != op->row_data_len)
        return NULL;
    if (!find_index(op->indices, op->n_indices, q, &k)) return NULL;
    unsigned l = lay.matrices[m].log_rows;
    merkle_level_counts(counts, &lay, op->indices, op->n_indices);
    size_t off = level_offset(&lay, counts, l) + node_rank(op->indices, k, lay.height - l) * lay.r_len[l] +
                 merkle_layout_row_offset(&lay, m);
    return op->row_data + off;
}
