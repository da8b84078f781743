/* Commitment: packing, Reed–Solomon encoding of every packed polynomial, one mixed-height
 * Merkle tree. */
#include <stdlib.h>

#include "ntt/ntt.h"
#include "pcs/pcs_commit.h"
#include "util/error.h"

const pcs_test_hooks *pcs_hooks;

static void free_tables(fe_t **t, size_t n) {
    if (!t) return;
    for (size_t i = 0; i < n; i++) free(t[i]);
    free(t);
}

static size_t codeword_bytes(const fti_pcs_params *pp, const fti_pcs_shape *shape, size_t i) {
    return ((size_t)1 << (shape->n_vars[i] + pp->log_blowup)) * sizeof(fe_t);
}

/* Encodes the tables whose codeword is missing (NULL); codewords[i] has 2^(n_i + R) elements in
 * bit-reversed order. */
static fti_status encode_missing(fe_t **cw, const fti_pcs_params *pp, const fti_pcs_shape *shape,
                                 const fe_t *const *tables) {
    for (size_t i = 0; i < shape->n_polys; i++) {
        if (cw[i]) continue;
        size_t len = codeword_bytes(pp, shape, i);
        if (!(cw[i] = aligned_alloc(64, len < 64 ? 64 : len)))
            return fti_fail(FTI_ERR_NOMEM, "out of memory for a codeword of 2^%u elements",
                            shape->n_vars[i] + pp->log_blowup);
        fti_status st = fti_rs_encode(cw[i], tables[i], shape->n_vars[i], pp->log_blowup);
        if (st != FTI_OK) return st;
    }
    return FTI_OK;
}

/* Encodes every table. */
static fti_status encode_all(fe_t ***out, const fti_pcs_params *pp, const fti_pcs_shape *shape,
                             const fe_t *const *tables) {
    fe_t **cw = calloc(shape->n_polys, sizeof *cw);
    if (!cw) return fti_fail(FTI_ERR_NOMEM, "out of memory");
    fti_status st = encode_missing(cw, pp, shape, tables);
    if (st != FTI_OK) {
        free_tables(cw, shape->n_polys);
        return st;
    }
    *out = cw;
    return FTI_OK;
}

/* The packed tables: the caller's, when they already sit in the layout; else copies. */
static fti_status packed_tables(const fe_t *const **out, fe_t ***owned, const fti_pcs_layout *L,
                                const fti_pcs_shape *pub, const fe_t *const *tables) {
    size_t np = L->n_packed;
    const fe_t **base = calloc(np ? np : 1, sizeof *base);
    int in_place = base != NULL;
    *owned = NULL;
    if (!base) return fti_fail(FTI_ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < pub->n_polys; i++)
        if (L->offset[i] == 0 && !base[L->packed[i]]) base[L->packed[i]] = tables[i];
    for (size_t i = 0; i < pub->n_polys && in_place; i++)
        in_place = base[L->packed[i]] && tables[i] == base[L->packed[i]] + L->offset[i];
    if (!in_place) {
        fe_t **copy = calloc(np ? np : 1, sizeof *copy);
        if (!copy) {
            free(base);
            return fti_fail(FTI_ERR_NOMEM, "out of memory");
        }
        for (size_t p = 0; p < np; p++)
            if (!(copy[p] = malloc(((size_t)1 << L->packed_vars[p]) * sizeof(fe_t)))) {
                free_tables(copy, np);
                free(base);
                return fti_fail(FTI_ERR_NOMEM, "out of memory for packed tables");
            }
        for (size_t i = 0; i < pub->n_polys; i++)
            memcpy(copy[L->packed[i]] + L->offset[i], tables[i], ((size_t)1 << pub->n_vars[i]) * sizeof(fe_t));
        for (size_t p = 0; p < np; p++) base[p] = copy[p];
        *owned = copy;
    }
    *out = (const fe_t *const *)base;
    return FTI_OK;
}

fti_status fti_pcs_commit(fti_pcs_commitment **out, const fti_pcs_params *pp, const fti_pcs_shape *shape,
                          const fe_t *const *tables) {
    fti_status st;
    *out = NULL;
    fti_pcs_commitment *c = calloc(1, sizeof *c);
    if (!c) return fti_fail(FTI_ERR_NOMEM, "out of memory");
    c->pp = pp;
    if (shape->n_polys == 0) {
        st = fti_fail(FTI_ERR_ARG, "a commitment needs at least one polynomial");
        goto fail;
    }
    c->n_pub = shape->n_polys;
    if (!(c->pub_vars = malloc(shape->n_polys * sizeof *c->pub_vars))) {
        st = fti_fail(FTI_ERR_NOMEM, "out of memory");
        goto fail;
    }
    memcpy(c->pub_vars, shape->n_vars, shape->n_polys * sizeof *c->pub_vars);
    c->pub_shape = (fti_pcs_shape){shape->n_polys, c->pub_vars};
    if ((st = fti_pcs_layout_make(&c->layout, &c->pub_shape)) != FTI_OK) goto fail;
    c->shape = (fti_pcs_shape){c->layout.n_packed, c->layout.packed_vars};
    if (!(c->matrices = malloc(c->shape.n_polys * sizeof *c->matrices))) {
        st = fti_fail(FTI_ERR_NOMEM, "out of memory");
        goto fail;
    }
    if ((st = fti_pcs_merkle_shape(&c->mshape, c->matrices, pp, &c->shape)) != FTI_OK) goto fail;
    if ((st = packed_tables(&c->tables, &c->owned_tables, &c->layout, &c->pub_shape, tables)) != FTI_OK) goto fail;
    if ((st = encode_all(&c->codewords, pp, &c->shape, c->tables)) != FTI_OK) goto fail;
    if (pcs_hooks && pcs_hooks->after_encode) pcs_hooks->after_encode(c->codewords, &c->shape, pcs_hooks->ctx);
    if ((st = fti_merkle_commit(&c->tree, &c->mshape, (const uint8_t *const *)c->codewords, NULL)) != FTI_OK)
        goto fail;
    *out = c;
    return FTI_OK;
fail:
    fti_pcs_commitment_free(c);
    return st;
}

void fti_pcs_commitment_release_codewords(fti_pcs_commitment *c, size_t keep_bytes) {
    if (!c->codewords) return;
    size_t held = 0;
    for (size_t i = 0; i < c->shape.n_polys; i++)
        if (c->codewords[i]) held += codeword_bytes(c->pp, &c->shape, i);
    for (size_t i = c->shape.n_polys; i-- > 0 && held > keep_bytes;) /* from the last */
        if (c->codewords[i]) {
            held -= codeword_bytes(c->pp, &c->shape, i);
            free(c->codewords[i]);
            c->codewords[i] = NULL;
        }
}

size_t fti_pcs_commitment_codeword_bytes(const fti_pcs_commitment *c) {
    size_t n = 0;
    for (size_t i = 0; i < c->shape.n_polys; i++) n += codeword_bytes(c->pp, &c->shape, i);
    return n;
}

/* The same codewords as at commit time: the encoding is deterministic and the tables are the
 * caller's, unchanged (fti_pcs_commitment_release_codewords); a test hook that altered them then
 * alters them again. */
fti_status pcs_commitment_codewords(fti_pcs_commitment *c) {
    size_t missing = 0;
    for (size_t i = 0; i < c->shape.n_polys; i++) missing += !c->codewords[i];
    if (!missing) return FTI_OK;
    int hook = pcs_hooks && pcs_hooks->after_encode; /* tests: it alters whole sets of codewords */
    if (hook && missing != c->shape.n_polys) return fti_fail(FTI_ERR_INTERNAL, "a test hook with partly released codewords");
    fti_status st = encode_missing(c->codewords, c->pp, &c->shape, c->tables);
    if (st != FTI_OK) return st;
    if (hook) pcs_hooks->after_encode(c->codewords, &c->shape, pcs_hooks->ctx);
#if FTI_VERIFY
    fti_digest again;
    FTI_VERIFY_CHECK(fti_merkle_root(&again, &c->mshape, (const uint8_t *const *)c->codewords, NULL) == FTI_OK &&
                     fti_digest_eq(&again, fti_merkle_tree_root(c->tree)));
#endif
    fti_merkle_tree_rebind(c->tree, (const uint8_t *const *)c->codewords);
    return FTI_OK;
}

fti_status fti_pcs_commit_root(fti_digest *root, const fti_pcs_params *pp, const fti_pcs_shape *shape,
                               const fe_t *const *tables) {
    fti_pcs_commitment *c = NULL;
    fti_status st = fti_pcs_commit(&c, pp, shape, tables);
    if (st == FTI_OK) *root = *fti_merkle_tree_root(c->tree);
    fti_pcs_commitment_free(c);
    return st;
}

void fti_pcs_commitment_free(fti_pcs_commitment *c) {
    if (!c) return;
    fti_merkle_tree_free(c->tree);
    free_tables(c->codewords, c->shape.n_polys);
    free_tables(c->owned_tables, c->shape.n_polys);
    free((void *)c->tables);
    free(c->matrices);
    fti_pcs_layout_free(&c->layout);
    free(c->pub_vars);
    free(c);
}

const fti_digest *fti_pcs_commitment_root(const fti_pcs_commitment *c) { return fti_merkle_tree_root(c->tree); }
const fti_pcs_shape *fti_pcs_commitment_shape(const fti_pcs_commitment *c) { return &c->pub_shape; }
