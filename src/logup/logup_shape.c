/* Shapes, proof layout, challenges and the proof's serialisation.
 *
 * Serialised proof: the roots (2 n_trees K elements: P_0, Q_0, P_1, Q_1, ...), then every
 * layer's rounds (layer i: i rounds of g(0..3)), then every layer's children (layer i: for each
 * tree alive at i in tree order, p(r',0), p(r',1), q(r',0), q(r',1)); each K element as 24 bytes
 * (ke_to_bytes). No header: the sizes follow from the column shapes. */
#include <stdlib.h>
#include <string.h>

#include "logup/logup_internal.h"
#include "util/error.h"

fti_status logup_check_shape(const fti_logup_columns *cols, int need_data) {
    if (!cols || cols->n_cols > LOGUP_MAX_COLS || (cols->n_cols && !cols->n_vars))
        return fti_fail(FTI_ERR_ARG, "logup: malformed column set");
    for (size_t j = 0; j < cols->n_cols; j++) {
        if (cols->n_vars[j] > LOGUP_MAX_VARS)
            return fti_fail(FTI_ERR_ARG, "logup: column %zu has %u variables (at most %u)", j, cols->n_vars[j],
                            LOGUP_MAX_VARS);
        if (need_data && (!cols->cols || !cols->cols[j]))
            return fti_fail(FTI_ERR_ARG, "logup: column %zu has no entries", j);
    }
    return FTI_OK;
}

unsigned logup_tree_depth(const fti_logup_columns *cols, size_t j) {
    return j < cols->n_cols ? cols->n_vars[j] : FTI_LOGUP_TABLE_BITS;
}

unsigned logup_depth(const fti_logup_columns *cols) {
    unsigned d = FTI_LOGUP_TABLE_BITS;
    for (size_t j = 0; j < cols->n_cols; j++)
        if (cols->n_vars[j] > d) d = cols->n_vars[j];
    return d;
}

size_t logup_alive(const fti_logup_columns *cols, unsigned i) {
    size_t n = 0;
    for (size_t j = 0; j <= cols->n_cols; j++) n += logup_tree_depth(cols, j) > i;
    return n;
}

size_t logup_children_offset(const fti_logup_columns *cols, unsigned i) {
    size_t off = 0;
    for (unsigned l = 0; l < i; l++) off += 4 * logup_alive(cols, l);
    return off;
}

fti_status logup_proof_alloc(fti_logup_proof *p, const fti_logup_columns *cols) {
    memset(p, 0, sizeof *p);
    p->n_trees = cols->n_cols + 1;
    p->depth = logup_depth(cols);
    p->n_rounds = logup_rounds_offset(p->depth);
    p->n_children = logup_children_offset(cols, p->depth);
    p->roots = malloc(2 * p->n_trees * sizeof(ke_t));
    p->rounds = malloc((p->n_rounds + 1) * sizeof(ke_t));
    p->children = malloc((p->n_children + 1) * sizeof(ke_t));
    if (!p->roots || !p->rounds || !p->children) {
        fti_logup_proof_free(p);
        return fti_fail(FTI_ERR_NOMEM, "logup: out of memory for a proof");
    }
    return FTI_OK;
}

void fti_logup_proof_free(fti_logup_proof *p) {
    if (!p) return;
    free(p->roots);
    free(p->rounds);
    free(p->children);
    memset(p, 0, sizeof *p);
}

fti_status logup_claims_alloc(fti_logup_claims *c, const fti_logup_columns *cols) {
    memset(c, 0, sizeof *c);
    c->n_cols = cols->n_cols;
    c->points = calloc(cols->n_cols + 1, sizeof(ke_t *));
    c->values = calloc(cols->n_cols + 1, sizeof(ke_t));
    if (!c->points || !c->values) goto nomem;
    for (size_t j = 0; j < cols->n_cols; j++)
        if (cols->n_vars[j] && !(c->points[j] = malloc(cols->n_vars[j] * sizeof(ke_t)))) goto nomem;
    return FTI_OK;
nomem:
    fti_logup_claims_free(c);
    return fti_fail(FTI_ERR_NOMEM, "logup: out of memory for claims");
}

void fti_logup_claims_free(fti_logup_claims *c) {
    if (!c) return;
    if (c->points)
        for (size_t j = 0; j < c->n_cols; j++) free(c->points[j]);
    free(c->points);
    free(c->values);
    memset(c, 0, sizeof *c);
}

/* ---- transcript ---- */

void logup_absorb_shape(fti_transcript *t, const fti_logup_columns *cols) {
    uint8_t buf[8 * 64];
    size_t len = 0;
    fti_transcript_absorb_u64(t, LOGUP_LABEL_SHAPE, cols->n_cols);
    for (size_t j = 0; j < cols->n_cols; j++) { /* n_vars in batches of 64 under one label each */
        for (int b = 0; b < 8; b++) buf[len + b] = (uint8_t)((uint64_t)cols->n_vars[j] >> (8 * b));
        len += 8;
        if (len == sizeof buf || j + 1 == cols->n_cols) {
            fti_transcript_absorb(t, LOGUP_LABEL_SHAPE, buf, len);
            len = 0;
        }
    }
}

ke_t logup_challenge_nonzero(fti_transcript *t, const char *label) {
    fti_stream s;
    ke_t r;
    fti_transcript_stream(t, label, &s);
    do r = fti_stream_ke(&s);
    while (ke_is_zero(r));
    return r;
}

ke_t logup_table_mle(const ke_t *r) {
    ke_t acc = ke_zero();
    for (unsigned b = 0; b < FTI_LOGUP_TABLE_BITS; b++) acc = ke_add(acc, ke_mul_fe(r[b], (fe_t)1 << b));
    return acc;
}

/* ---- serialisation ---- */

void fti_logup_proof_write(fti_wbuf *w, const fti_logup_proof *p) {
    fti_wbuf_kes(w, p->roots, 2 * p->n_trees);
    fti_wbuf_kes(w, p->rounds, p->n_rounds);
    fti_wbuf_kes(w, p->children, p->n_children);
}

size_t fti_logup_proof_size(const fti_logup_proof *p) {
    return (2 * p->n_trees + p->n_rounds + p->n_children) * KE_BYTES;
}

fti_status fti_logup_proof_read(fti_logup_proof *p, fti_rbuf *r, const fti_logup_columns *cols) {
    memset(p, 0, sizeof *p);
    fti_status s = logup_check_shape(cols, 0);
    if (s != FTI_OK) return s;
    s = logup_proof_alloc(p, cols);
    if (s != FTI_OK) return s;
    size_t total = 2 * p->n_trees + p->n_rounds + p->n_children;
    if (fti_rbuf_remaining(r) / KE_BYTES < total) {
        fti_logup_proof_free(p);
        return fti_fail(FTI_ERR_FORMAT, "logup: truncated proof (%zu of %zu bytes)", fti_rbuf_remaining(r),
                        total * KE_BYTES);
    }
    fti_rbuf_kes(r, p->roots, 2 * p->n_trees);
    fti_rbuf_kes(r, p->rounds, p->n_rounds);
    fti_rbuf_kes(r, p->children, p->n_children);
    if (r->bad) {
        fti_logup_proof_free(p);
        return fti_fail(FTI_ERR_FORMAT, "logup: malformed proof (a non-canonical field element)");
    }
    return FTI_OK;
}
