/* Packing polynomials into as few as the binary digits of their total size (pcs.h). */
#include <stdlib.h>

#include "pcs/pcs_internal.h"
#include "util/error.h"

unsigned fti_pcs_pack_max_vars = FTI_PCS_PACK_MAX_VARS;

void fti_pcs_layout_free(fti_pcs_layout *l) {
    free(l->packed_vars);
    free(l->packed);
    free(l->offset);
    memset(l, 0, sizeof *l);
}

typedef struct {
    unsigned n;
    size_t i;
} sized;

static int by_size_desc(const void *a, const void *b) {
    const sized *x = a, *y = b;
    if (x->n != y->n) return x->n > y->n ? -1 : 1;
    return x->i < y->i ? -1 : x->i > y->i;
}

fti_status fti_pcs_layout_make(fti_pcs_layout *l, const fti_pcs_shape *shape) {
    size_t n = shape->n_polys;
    memset(l, 0, sizeof *l);
    sized *order = malloc((n ? n : 1) * sizeof *order);
    l->packed = calloc(n ? n : 1, sizeof *l->packed);
    l->offset = calloc(n ? n : 1, sizeof *l->offset);
    l->packed_vars = calloc(64, sizeof *l->packed_vars);
    if (!order || !l->packed || !l->offset || !l->packed_vars) {
        free(order);
        fti_pcs_layout_free(l);
        return fti_fail(FTI_ERR_NOMEM, "out of memory");
    }
    uint64_t total = 0;
    for (size_t i = 0; i < n; i++) {
        if (shape->n_vars[i] > FTI_PCS_MAX_VARS) {
            free(order);
            fti_pcs_layout_free(l);
            return fti_fail(FTI_ERR_ARG, "polynomial %zu has %u variables (at most %d)", i, shape->n_vars[i],
                            FTI_PCS_MAX_VARS);
        }
        order[i] = (sized){shape->n_vars[i], i};
        total += (uint64_t)1 << shape->n_vars[i];
    }
    /* packed polynomials, largest first: one per polynomial above the cap, as many of the cap's
     * size as the smaller ones fill, then the binary digits of what remains; the cap bounds the
     * prover's tables (a packed polynomial is folded and summed as one) */
    uint64_t cap = (uint64_t)1 << fti_pcs_pack_max_vars, small = 0;
    size_t max_bins = 64;
    for (size_t i = 0; i < n; i++) {
        if (shape->n_vars[i] > fti_pcs_pack_max_vars) max_bins++;
        else small += (uint64_t)1 << shape->n_vars[i];
    }
    max_bins += small / cap;
    unsigned *bins = realloc(l->packed_vars, max_bins * sizeof *bins);
    if (!bins) {
        free(order);
        fti_pcs_layout_free(l);
        return fti_fail(FTI_ERR_NOMEM, "out of memory");
    }
    l->packed_vars = bins;
    qsort(order, n, sizeof *order, by_size_desc);
    for (size_t k = 0; k < n && order[k].n > fti_pcs_pack_max_vars; k++) bins[l->n_packed++] = order[k].n;
    for (uint64_t k = 0; k < small / cap; k++) bins[l->n_packed++] = fti_pcs_pack_max_vars;
    for (int b = (int)fti_pcs_pack_max_vars - 1; b >= 0; b--)
        if (((small % cap) >> b) & 1) bins[l->n_packed++] = (unsigned)b;
    (void)total;
    /* largest first: each bin's free space stays a multiple of the current size, so the bins
     * fill exactly in order */
    size_t bin = 0;
    uint64_t used = 0;
    for (size_t k = 0; k < n; k++) {
        uint64_t sz = (uint64_t)1 << order[k].n;
        if (used == ((uint64_t)1 << l->packed_vars[bin])) {
            bin++;
            used = 0;
        }
        l->packed[order[k].i] = (unsigned)bin;
        l->offset[order[k].i] = used;
        used += sz;
    }
    free(order);
    return FTI_OK;
}

/* ---- claims on the packed polynomials ---- */

fti_status pcs_pack_claims(pcs_packed *x, const fti_pcs_shape *const *shapes, size_t n_comms,
                           const fti_pcs_claim *claims, size_t n_claims) {
    fti_status st;
    memset(x, 0, sizeof *x);
    x->n_comms = n_comms;
    x->n_claims = n_claims;
    x->layouts = calloc(n_comms ? n_comms : 1, sizeof *x->layouts);
    x->shapes = calloc(n_comms ? n_comms : 1, sizeof *x->shapes);
    x->shape_ptrs = calloc(n_comms ? n_comms : 1, sizeof *x->shape_ptrs);
    x->claims = calloc(n_claims ? n_claims : 1, sizeof *x->claims);
    x->points = calloc(n_claims ? n_claims : 1, sizeof *x->points);
    if (!x->layouts || !x->shapes || !x->shape_ptrs || !x->claims || !x->points) {
        st = fti_fail(FTI_ERR_NOMEM, "out of memory");
        goto fail;
    }
    for (size_t c = 0; c < n_comms; c++) {
        if ((st = fti_pcs_layout_make(&x->layouts[c], shapes[c])) != FTI_OK) goto fail;
        x->shapes[c] = (fti_pcs_shape){x->layouts[c].n_packed, x->layouts[c].packed_vars};
        x->shape_ptrs[c] = &x->shapes[c];
    }
    for (size_t k = 0; k < n_claims; k++) {
        const fti_pcs_claim *cl = &claims[k];
        if (cl->commitment >= n_comms || cl->poly >= shapes[cl->commitment]->n_polys) {
            st = fti_fail(FTI_ERR_ARG, "claim %zu names a polynomial that does not exist", k);
            goto fail;
        }
        const fti_pcs_layout *L = &x->layouts[cl->commitment];
        unsigned ni = shapes[cl->commitment]->n_vars[cl->poly], p = L->packed[cl->poly], np = L->packed_vars[p];
        uint64_t slot = L->offset[cl->poly] >> ni;
        ke_t *pt = calloc(np + 1, sizeof *pt);
        if (!pt) {
            st = fti_fail(FTI_ERR_NOMEM, "out of memory");
            goto fail;
        }
        for (unsigned j = 0; j < ni; j++) pt[j] = cl->point[j];
        for (unsigned j = ni; j < np; j++) pt[j] = ke_from_fe((slot >> (j - ni)) & 1);
        x->points[k] = pt;
        x->claims[k] = (fti_pcs_claim){cl->commitment, p, pt, cl->value};
    }
    return FTI_OK;
fail:
    pcs_packed_free(x);
    return st;
}

void pcs_packed_free(pcs_packed *x) {
    if (x->layouts)
        for (size_t c = 0; c < x->n_comms; c++) fti_pcs_layout_free(&x->layouts[c]);
    if (x->points)
        for (size_t k = 0; k < x->n_claims; k++) free(x->points[k]);
    free(x->layouts);
    free(x->shapes);
    free(x->shape_ptrs);
    free(x->claims);
    free(x->points);
    memset(x, 0, sizeof *x);
}
