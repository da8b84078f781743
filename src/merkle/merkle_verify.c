/* Verification of a multi-opening. The opening is untrusted: its index list is checked, its
 * lengths must equal those the shape and indices imply, and every read goes through a
 * bounds-checked cursor besides (a second line of defence, should the size arithmetic and
 * the walk below ever disagree). */
#include <stdlib.h>
#include <string.h>

#include "merkle/merkle_internal.h"
#include "util/error.h"

typedef struct {
    const uint8_t *rows;
    size_t rows_left;
    const fti_digest *sibs;
    size_t sibs_left;
} reader;

static const uint8_t *take_rows(reader *r, size_t len) {
    if (len > r->rows_left) return NULL;
    const uint8_t *p = r->rows;
    r->rows += len;
    r->rows_left -= len;
    return p;
}

static const fti_digest *take_sibling(reader *r) {
    if (r->sibs_left == 0) return NULL;
    r->sibs_left--;
    return r->sibs++;
}

/* Replaces the known nodes of level l (idx/dig[0..*n), sorted) by those of level l-1, taking
 * missing siblings and level l-1's rows from the reader. 0 if the opening runs short. */
static int climb(uint64_t *idx, fti_digest *dig, size_t *n, const merkle_layout *lay, const merkle_tags *tags,
                 unsigned l, reader *r) {
    size_t w = 0;
    for (size_t k = 0; k < *n;) {
        uint64_t i = idx[k];
        fti_digest pair[2];
        if (!(i & 1) && k + 1 < *n && idx[k + 1] == (i | 1)) { /* both children known */
            pair[0] = dig[k];
            pair[1] = dig[k + 1];
            k += 2;
        } else {
            const fti_digest *s = take_sibling(r);
            if (!s) return 0;
            pair[i & 1] = dig[k];
            pair[!(i & 1)] = *s;
            k += 1;
        }
        const uint8_t *rows = take_rows(r, lay->r_len[l - 1]);
        if (!rows) return 0;
        /* w <= k - 1: writing position w never clobbers a node still to be read. */
        merkle_hash_bytes(&dig[w], tags, pair, rows, lay->r_len[l - 1]);
        idx[w++] = i >> 1;
    }
    *n = w;
    return 1;
}

/* Recomputes the root from a structurally checked opening; 0 if it runs short or long. */
static int recompute_root(fti_digest *root, uint64_t *idx, fti_digest *dig, const merkle_layout *lay,
                          const fti_merkle_opening *op) {
    merkle_tags tags;
    reader r = {op->row_data, op->row_data_len, op->siblings, op->n_siblings};
    size_t n = op->n_indices;
    merkle_tags_init(&tags);
    memcpy(idx, op->indices, n * sizeof *idx);
    for (size_t k = 0; k < n; k++) {
        const uint8_t *rows = take_rows(&r, lay->r_len[lay->height]);
        if (!rows) return 0;
        merkle_hash_bytes(&dig[k], &tags, NULL, rows, lay->r_len[lay->height]);
    }
    for (unsigned l = lay->height; l > 0; l--)
        if (!climb(idx, dig, &n, lay, &tags, l, &r)) return 0;
    if (n != 1 || r.rows_left || r.sibs_left) return 0;
    *root = dig[0];
    return 1;
}

/* 1 if the opening's indices and lengths are exactly those the shape implies. */
static int well_formed(const merkle_layout *lay, const fti_merkle_opening *op) {
    size_t rd_len, n_sib;
    if (!merkle_indices_valid(lay, op->indices, op->n_indices)) return 0;
    if (merkle_sizes(&rd_len, &n_sib, lay, op->indices, op->n_indices) != FTI_OK) return 0;
    if (rd_len != op->row_data_len || n_sib != op->n_siblings) return 0;
    return (rd_len == 0 || op->row_data) && (n_sib == 0 || op->siblings);
}

fti_status fti_merkle_verify(int *ok, const fti_digest *root, const fti_merkle_shape *shape,
                             const fti_merkle_opening *op) {
    merkle_layout lay;
    uint64_t *idx = NULL;
    fti_digest *dig = NULL, got;
    fti_status st;
    if (!ok) return fti_fail(FTI_ERR_ARG, "merkle: no verdict output");
    *ok = 0;
    if (!root || !op) return fti_fail(FTI_ERR_ARG, "merkle: no root or opening");
    if ((st = merkle_layout_init(&lay, shape)) != FTI_OK) return st;
    if (!well_formed(&lay, op)) return FTI_OK;
    idx = calloc(op->n_indices, sizeof *idx);
    dig = calloc(op->n_indices, sizeof *dig);
    if (!idx || !dig) {
        st = fti_fail(FTI_ERR_NOMEM, "merkle: out of memory");
        goto out;
    }
    if (recompute_root(&got, idx, dig, &lay, op)) *ok = fti_digest_eq(&got, root);
out:
    free(idx);
    free(dig);
    return st;
}
