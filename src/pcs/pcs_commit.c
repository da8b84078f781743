/* Commitment: Reed–Solomon encoding of every polynomial and one mixed-height Merkle tree. */
#include <stdlib.h>

#include "ntt/ntt.h"
#include "pcs/pcs_commit.h"
#include "util/error.h"

const pcs_test_hooks *pcs_hooks;

static void free_codewords(fe_t **cw, size_t n) {
    if (!cw) return;
    for (size_t i = 0; i < n; i++) free(cw[i]);
    free(cw);
}

/* Encodes every table; codewords[i] has 2^(n_i + R) elements in bit-reversed order. */
static fti_status encode_all(fe_t ***out, const fti_pcs_params *pp, const fti_pcs_shape *shape,
                             const fe_t *const *tables) {
    fe_t **cw = calloc(shape->n_polys, sizeof *cw);
    if (!cw) return fti_fail(FTI_ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < shape->n_polys; i++) {
        size_t len = (size_t)1 << (shape->n_vars[i] + pp->log_blowup);
        cw[i] = aligned_alloc(64, len * sizeof(fe_t) < 64 ? 64 : len * sizeof(fe_t));
        if (!cw[i]) {
            free_codewords(cw, shape->n_polys);
            return fti_fail(FTI_ERR_NOMEM, "out of memory for a codeword of 2^%u elements",
                            shape->n_vars[i] + pp->log_blowup);
        }
        fti_status st = fti_rs_encode(cw[i], tables[i], shape->n_vars[i], pp->log_blowup);
        if (st != FTI_OK) {
            free_codewords(cw, shape->n_polys);
            return st;
        }
    }
    *out = cw;
    return FTI_OK;
}

fti_status fti_pcs_commit(fti_pcs_commitment **out, const fti_pcs_params *pp, const fti_pcs_shape *shape,
                          const fe_t *const *tables) {
    fti_status st;
    *out = NULL;
    fti_pcs_commitment *c = calloc(1, sizeof *c);
    if (!c) return fti_fail(FTI_ERR_NOMEM, "out of memory");
    c->pp = pp;
    c->n_polys = shape->n_polys;
    c->n_vars = malloc(shape->n_polys * sizeof *c->n_vars);
    c->matrices = malloc(shape->n_polys * sizeof *c->matrices);
    if (!c->n_vars || !c->matrices) {
        st = fti_fail(FTI_ERR_NOMEM, "out of memory");
        goto fail;
    }
    memcpy(c->n_vars, shape->n_vars, shape->n_polys * sizeof *c->n_vars);
    c->shape.n_polys = shape->n_polys;
    c->shape.n_vars = c->n_vars;
    c->tables = tables;
    if ((st = fti_pcs_merkle_shape(&c->mshape, c->matrices, pp, &c->shape)) != FTI_OK) goto fail;
    if ((st = encode_all(&c->codewords, pp, &c->shape, tables)) != FTI_OK) goto fail;
    if (pcs_hooks && pcs_hooks->after_encode) pcs_hooks->after_encode(c->codewords, &c->shape, pcs_hooks->ctx);
    if ((st = fti_merkle_commit(&c->tree, &c->mshape, (const uint8_t *const *)c->codewords, NULL)) != FTI_OK)
        goto fail;
    *out = c;
    return FTI_OK;
fail:
    fti_pcs_commitment_free(c);
    return st;
}

fti_status fti_pcs_commit_root(fti_digest *root, const fti_pcs_params *pp, const fti_pcs_shape *shape,
                               const fe_t *const *tables) {
    fti_merkle_matrix_shape *mat = malloc(shape->n_polys * sizeof *mat);
    fti_merkle_shape ms;
    fe_t **cw = NULL;
    fti_status st;
    if (!mat) return fti_fail(FTI_ERR_NOMEM, "out of memory");
    if ((st = fti_pcs_merkle_shape(&ms, mat, pp, shape)) != FTI_OK) goto out;
    if ((st = encode_all(&cw, pp, shape, tables)) != FTI_OK) goto out;
    st = fti_merkle_root(root, &ms, (const uint8_t *const *)cw, NULL);
out:
    free_codewords(cw, shape->n_polys);
    free(mat);
    return st;
}

void fti_pcs_commitment_free(fti_pcs_commitment *c) {
    if (!c) return;
    fti_merkle_tree_free(c->tree);
    free_codewords(c->codewords, c->n_polys);
    free(c->n_vars);
    free(c->matrices);
    free(c);
}

const fti_digest *fti_pcs_commitment_root(const fti_pcs_commitment *c) { return fti_merkle_tree_root(c->tree); }
const fti_pcs_shape *fti_pcs_commitment_shape(const fti_pcs_commitment *c) { return &c->shape; }
