/* Serialisation of opening proofs. Layout (all little-endian, field elements canonical):
 *   batch_rounds  3n  K elements          (absent in single-point mode)
 *   evals         n_claimed K elements   (absent in single-point mode: they are the claims)
 *   fold_rounds   3n  K elements
 *   layer_roots   n_layers digests
 *   final_value   K element
 *   pow_nonce     u64
 *   openings      for each commitment, then each layer:
 *                   u64 row_data_len, u64 n_siblings, row_data bytes, siblings (32 bytes each)
 * Every count is implied by the context (parameters, shapes, claims); the reader computes it,
 * bounds the opening lengths by what n_queries paths could need, and the verifier later checks
 * the exact lengths against the indices it derives. */
#include <stdlib.h>

#include "pcs/pcs_internal.h"
#include "util/error.h"

void fti_pcs_proof_write(fti_wbuf *w, const fti_pcs_proof *p) {
    if (!p->single) {
        fti_wbuf_kes(w, p->batch_rounds, 3 * (size_t)p->n_vars);
        fti_wbuf_kes(w, p->evals, p->n_claimed);
    }
    fti_wbuf_kes(w, p->fold_rounds, 3 * (size_t)p->n_vars);
    for (unsigned l = 0; l < p->n_layers; l++) fti_wbuf_digest(w, &p->layer_roots[l]);
    fti_wbuf_ke(w, p->final_value);
    fti_wbuf_u64(w, p->pow_nonce);
    for (size_t o = 0; o < p->n_openings; o++) {
        const fti_merkle_opening *op = &p->openings[o];
        fti_wbuf_u64(w, op->row_data_len);
        fti_wbuf_u64(w, op->n_siblings);
        fti_wbuf_bytes(w, op->row_data, op->row_data_len);
        for (size_t i = 0; i < op->n_siblings; i++) fti_wbuf_digest(w, &op->siblings[i]);
    }
}

size_t fti_pcs_proof_size(const fti_pcs_proof *p) {
    size_t n = ((p->single ? 3 : 6) * (size_t)p->n_vars + (p->single ? 0 : p->n_claimed) + 1) * KE_BYTES +
               (size_t)p->n_layers * FTI_DIGEST_BYTES + 8;
    for (size_t o = 0; o < p->n_openings; o++)
        n += 16 + p->openings[o].row_data_len + p->openings[o].n_siblings * FTI_DIGEST_BYTES;
    return n;
}

/* Upper bounds of one opening's lengths: every query reveals at most one row per matrix and
 * at most `height` siblings. */
static void opening_bounds(size_t *max_rows, size_t *max_sib, const fti_merkle_shape *shape, unsigned nq) {
    size_t row = shape->salt_bytes * (FTI_MERKLE_MAX_HEIGHT + 1);
    unsigned height = 0;
    for (size_t m = 0; m < shape->n_matrices; m++) {
        row += shape->matrices[m].row_bytes;
        if (shape->matrices[m].log_rows > height) height = shape->matrices[m].log_rows;
    }
    *max_rows = row * nq;
    *max_sib = (size_t)height * nq;
}

static fti_status read_opening(fti_merkle_opening *op, fti_rbuf *r, const fti_merkle_shape *shape, unsigned nq) {
    size_t max_rows, max_sib;
    opening_bounds(&max_rows, &max_sib, shape, nq);
    memset(op, 0, sizeof *op);
    op->row_data_len = fti_rbuf_u64_max(r, max_rows);
    op->n_siblings = fti_rbuf_u64_max(r, max_sib);
    if (r->bad) return FTI_ERR_FORMAT;
    const uint8_t *rows = fti_rbuf_bytes(r, op->row_data_len);
    const uint8_t *sib = fti_rbuf_bytes(r, op->n_siblings * FTI_DIGEST_BYTES);
    if (r->bad) return FTI_ERR_FORMAT;
    op->row_data = malloc(op->row_data_len ? op->row_data_len : 1);
    op->siblings = malloc(op->n_siblings ? op->n_siblings * sizeof(fti_digest) : 1);
    if (!op->row_data || !op->siblings) return fti_fail(FTI_ERR_NOMEM, "out of memory");
    memcpy(op->row_data, rows, op->row_data_len);
    memcpy(op->siblings, sib, op->n_siblings * FTI_DIGEST_BYTES);
    return FTI_OK;
}

fti_status fti_pcs_proof_read(fti_pcs_proof *p, fti_rbuf *r, const fti_pcs_params *pp, const fti_pcs_public *pub_comms,
                              size_t n_comms, const fti_pcs_claim *pub_claims, size_t n_pub_claims) {
    fti_status st;
    pcs_schedule s;
    pcs_packed pk;
    int conflict;
    const fti_pcs_shape **pub_shapes = malloc((n_comms ? n_comms : 1) * sizeof *pub_shapes);
    fti_merkle_matrix_shape *mat = NULL;
    memset(p, 0, sizeof *p);
    memset(&s, 0, sizeof s);
    memset(&pk, 0, sizeof pk);
    if (!pub_shapes) return fti_fail(FTI_ERR_NOMEM, "out of memory");
    for (size_t c = 0; c < n_comms; c++) pub_shapes[c] = &pub_comms[c].shape;
    if ((st = pcs_pack_claims(&pk, pub_shapes, n_comms, pub_claims, n_pub_claims)) != FTI_OK) goto out;
    const fti_pcs_shape **shapes = pk.shape_ptrs;
    const fti_pcs_claim *claims = pk.claims;
    size_t n_claims = pk.n_claims;
    if ((st = pcs_schedule_build(&s, &conflict, pp, shapes, n_comms, claims, n_claims)) != FTI_OK) goto out;
    p->n_vars = s.n;
    p->n_claimed = (unsigned)s.n_claimed;
    p->n_layers = s.n_layers;
    p->n_openings = n_comms + s.n_layers;
    p->batch_rounds = calloc(3 * (size_t)s.n + 1, sizeof(ke_t));
    p->fold_rounds = calloc(3 * (size_t)s.n + 1, sizeof(ke_t));
    p->evals = calloc(s.n_claimed + 1, sizeof(ke_t));
    p->layer_roots = calloc(s.n_layers + 1, sizeof(fti_digest));
    p->openings = calloc(p->n_openings, sizeof(fti_merkle_opening));
    if (!p->batch_rounds || !p->fold_rounds || !p->evals || !p->layer_roots || !p->openings) {
        st = fti_fail(FTI_ERR_NOMEM, "out of memory");
        goto out;
    }
    p->single = s.single;
    if (s.single) {
        for (size_t u = 0; u < s.n_uclaims; u++) p->evals[s.uclaims[u].claimed] = s.uclaims[u].value;
    } else {
        fti_rbuf_kes(r, p->batch_rounds, 3 * (size_t)s.n);
        fti_rbuf_kes(r, p->evals, s.n_claimed);
    }
    fti_rbuf_kes(r, p->fold_rounds, 3 * (size_t)s.n);
    for (unsigned l = 0; l < s.n_layers; l++) fti_rbuf_digest(r, &p->layer_roots[l]);
    p->final_value = fti_rbuf_ke(r);
    p->pow_nonce = fti_rbuf_u64(r);
    for (size_t c = 0; c < n_comms && !r->bad; c++) {
        fti_merkle_shape ms;
        free(mat);
        mat = calloc(shapes[c]->n_polys, sizeof *mat);
        if (!mat) {
            st = fti_fail(FTI_ERR_NOMEM, "out of memory");
            goto out;
        }
        if ((st = fti_pcs_merkle_shape(&ms, mat, pp, shapes[c])) != FTI_OK) goto out;
        if ((st = read_opening(&p->openings[c], r, &ms, pp->n_queries)) == FTI_ERR_NOMEM) goto out;
    }
    for (unsigned l = 1; l <= s.n_layers && !r->bad; l++) {
        unsigned kl = pcs_layer_folds(&s, l);
        fti_merkle_matrix_shape lm = {pcs_layer_h(&s, l) - kl, (size_t)KE_BYTES << kl};
        fti_merkle_shape ls = {1, &lm, 0};
        if ((st = read_opening(&p->openings[n_comms + l - 1], r, &ls, pp->n_queries)) == FTI_ERR_NOMEM) goto out;
    }
    st = r->bad ? fti_fail(FTI_ERR_FORMAT, "malformed opening proof") : FTI_OK;
out:
    if (st != FTI_OK) fti_pcs_proof_free(p);
    pcs_schedule_free(&s);
    pcs_packed_free(&pk);
    free(pub_shapes);
    free(mat);
    return st;
}
