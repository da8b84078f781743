/* The schedule of an opening: which polynomials are claimed, the distinct points, the sizes of
 * the folding, and the public context absorbed into the transcript. Shared by prover and
 * verifier so that both derive exactly the same structure. */
#include <stdlib.h>

#include "pcs/pcs_internal.h"
#include "util/error.h"

unsigned pcs_tree_height(const fti_pcs_params *pp, const fti_pcs_shape *shape) {
    unsigned L = 0;
    for (size_t i = 0; i < shape->n_polys; i++) {
        unsigned h = shape->n_vars[i] + pp->log_blowup;
        unsigned lvl = h - pcs_group_log(pp->log_arity, h);
        if (lvl > L) L = lvl;
    }
    return L;
}

fti_status fti_pcs_merkle_shape(fti_merkle_shape *out, fti_merkle_matrix_shape *matrices,
                                const fti_pcs_params *pp, const fti_pcs_shape *shape) {
    if (shape->n_polys == 0) return fti_fail(FTI_ERR_ARG, "a commitment needs at least one polynomial");
    for (size_t i = 0; i < shape->n_polys; i++) {
        if (shape->n_vars[i] > FTI_PCS_MAX_VARS)
            return fti_fail(FTI_ERR_ARG, "polynomial %zu has %u variables (at most %d)", i, shape->n_vars[i],
                            FTI_PCS_MAX_VARS);
        unsigned h = shape->n_vars[i] + pp->log_blowup;
        if (h > FE_TWO_ADICITY) return fti_fail(FTI_ERR_ARG, "codeword of 2^%u exceeds the field's 2-adicity", h);
        unsigned g = pcs_group_log(pp->log_arity, h);
        matrices[i].log_rows = h - g;
        matrices[i].row_bytes = (size_t)FE_BYTES << g;
    }
    out->n_matrices = shape->n_polys;
    out->matrices = matrices;
    out->salt_bytes = 0;
    return FTI_OK;
}

static int cmp_claimed(const void *a, const void *b) {
    const pcs_claimed *x = a, *y = b;
    if (x->comm != y->comm) return x->comm < y->comm ? -1 : 1;
    return x->poly < y->poly ? -1 : x->poly > y->poly;
}

static int points_equal(const ke_t *a, const ke_t *b, unsigned n) {
    for (unsigned i = 0; i < n; i++)
        if (!ke_eq(a[i], b[i])) return 0;
    return 1;
}

static size_t find_claimed(const pcs_schedule *s, unsigned comm, unsigned poly) {
    size_t lo = 0, hi = s->n_claimed;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        const pcs_claimed *c = &s->claimed[mid];
        if (c->comm < comm || (c->comm == comm && c->poly < poly)) lo = mid + 1;
        else hi = mid;
    }
    return lo;
}

/* Distinct claimed polynomials, sorted. */
static fti_status collect_claimed(pcs_schedule *s, const fti_pcs_params *pp, const fti_pcs_shape *const *shapes,
                                  const fti_pcs_claim *claims, size_t n_claims) {
    pcs_claimed *all = calloc(n_claims ? n_claims : 1, sizeof *all);
    if (!all) return fti_fail(FTI_ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < n_claims; i++) {
        unsigned nv = shapes[claims[i].commitment]->n_vars[claims[i].poly];
        all[i] = (pcs_claimed){claims[i].commitment, claims[i].poly, nv, nv + pp->log_blowup};
    }
    qsort(all, n_claims, sizeof *all, cmp_claimed);
    size_t m = 0;
    for (size_t i = 0; i < n_claims; i++)
        if (m == 0 || cmp_claimed(&all[m - 1], &all[i]) != 0) all[m++] = all[i];
    s->claimed = all;
    s->n_claimed = m;
    return FTI_OK;
}

static fti_status collect_points(pcs_schedule *s, int *conflict, const fti_pcs_claim *claims, size_t n_claims) {
    s->points = calloc(n_claims ? n_claims : 1, sizeof *s->points);
    s->point_vars = calloc(n_claims ? n_claims : 1, sizeof *s->point_vars);
    s->uclaims = calloc(n_claims ? n_claims : 1, sizeof *s->uclaims);
    if (!s->points || !s->point_vars || !s->uclaims) return fti_fail(FTI_ERR_NOMEM, "out of memory");
    for (size_t i = 0; i < n_claims; i++) {
        size_t ci = find_claimed(s, claims[i].commitment, claims[i].poly);
        unsigned nv = s->claimed[ci].n_vars;
        size_t pi;
        for (pi = 0; pi < s->n_points; pi++)
            if (s->point_vars[pi] == nv && points_equal(s->points[pi], claims[i].point, nv)) break;
        if (pi == s->n_points) {
            s->points[pi] = claims[i].point;
            s->point_vars[pi] = nv;
            s->n_points++;
        }
        size_t u;
        for (u = 0; u < s->n_uclaims; u++)
            if (s->uclaims[u].claimed == ci && s->uclaims[u].point == pi) break;
        if (u < s->n_uclaims) {
            if (!ke_eq(s->uclaims[u].value, claims[i].value)) {
                *conflict = 1;
                return fti_fail(FTI_ERR_FORMAT, "two claims on one polynomial and point with different values");
            }
            continue;
        }
        s->uclaims[s->n_uclaims++] = (pcs_uclaim){(unsigned)ci, (unsigned)pi, claims[i].value};
    }
    return FTI_OK;
}

/* Single-point mode: every distinct point is a suffix of the longest one. */
static fti_status detect_single(pcs_schedule *s) {
    s->single = 0;
    if (s->n_points == 0) return FTI_OK;
    size_t longest = 0;
    for (size_t p = 1; p < s->n_points; p++)
        if (s->point_vars[p] > s->point_vars[longest]) longest = p;
    unsigned L = s->point_vars[longest];
    for (size_t p = 0; p < s->n_points; p++) {
        unsigned k = s->point_vars[p];
        if (!points_equal(s->points[p], s->points[longest] + (L - k), k)) return FTI_OK;
    }
    if (!(s->common = calloc(s->n + 1, sizeof *s->common))) return fti_fail(FTI_ERR_NOMEM, "out of memory");
    for (unsigned i = 0; i < L; i++) s->common[s->n - L + i] = s->points[longest][i];
    s->single = 1;
    return FTI_OK;
}

fti_status pcs_schedule_build(pcs_schedule *s, int *conflict, const fti_pcs_params *pp,
                              const fti_pcs_shape *const *shapes, size_t n_comms, const fti_pcs_claim *claims,
                              size_t n_claims) {
    fti_status st;
    memset(s, 0, sizeof *s);
    *conflict = 0;
    if (n_comms == 0) return fti_fail(FTI_ERR_ARG, "an opening needs at least one commitment");
    if (pp->log_arity < 1 || pp->log_arity > 6 || pp->log_blowup < 1 || pp->n_queries < 1)
        return fti_fail(FTI_ERR_ARG, "invalid commitment parameters");
    s->n = 0;
    for (size_t c = 0; c < n_comms; c++) {
        if (shapes[c]->n_polys == 0) return fti_fail(FTI_ERR_ARG, "commitment %zu has no polynomial", c);
        for (size_t i = 0; i < shapes[c]->n_polys; i++) {
            unsigned nv = shapes[c]->n_vars[i];
            if (nv > FTI_PCS_MAX_VARS || nv + pp->log_blowup > FE_TWO_ADICITY)
                return fti_fail(FTI_ERR_ARG, "commitment %zu polynomial %zu is too large (2^%u)", c, i, nv);
            if (nv > s->n) s->n = nv;
        }
    }
    for (size_t i = 0; i < n_claims; i++)
        if (claims[i].commitment >= n_comms || claims[i].poly >= shapes[claims[i].commitment]->n_polys)
            return fti_fail(FTI_ERR_ARG, "claim %zu names a polynomial that does not exist", i);
    s->H = s->n + pp->log_blowup;
    s->k = pp->log_arity;
    s->k0 = s->n < s->k ? s->n : s->k;
    s->n_layers = s->n ? (s->n - 1) / s->k : 0;
    if ((st = collect_claimed(s, pp, shapes, claims, n_claims)) != FTI_OK) goto fail;
    if ((st = collect_points(s, conflict, claims, n_claims)) != FTI_OK) goto fail;
    if ((st = detect_single(s)) != FTI_OK) goto fail;
    return FTI_OK;
fail:
    pcs_schedule_free(s);
    return st;
}

void pcs_schedule_free(pcs_schedule *s) {
    free(s->common);
    free(s->claimed);
    free(s->points);
    free(s->point_vars);
    free(s->uclaims);
    memset(s, 0, sizeof *s);
}

void pcs_absorb_context(fti_transcript *t, const fti_pcs_params *pp, const fti_digest *const *roots,
                        const fti_pcs_shape *const *shapes, size_t n_comms, const pcs_schedule *s) {
    uint64_t par[5] = {pp->id, pp->log_blowup, pp->log_arity, pp->n_queries, pp->pow_bits};
    fti_transcript_absorb(t, "pcs/params", par, sizeof par);
    fti_transcript_absorb_u64(t, "pcs/n-commitments", n_comms);
    for (size_t c = 0; c < n_comms; c++) {
        fti_transcript_absorb_digest(t, "pcs/root", roots[c]);
        fti_transcript_absorb_u64(t, "pcs/n-polys", shapes[c]->n_polys);
        for (size_t i = 0; i < shapes[c]->n_polys; i++) fti_transcript_absorb_u64(t, "pcs/n-vars", shapes[c]->n_vars[i]);
    }
    fti_transcript_absorb_u64(t, "pcs/single-point", (uint64_t)s->single);
    fti_transcript_absorb_u64(t, "pcs/n-claims", s->n_uclaims);
    for (size_t u = 0; u < s->n_uclaims; u++) {
        const pcs_uclaim *c = &s->uclaims[u];
        const pcs_claimed *p = &s->claimed[c->claimed];
        uint64_t id[2] = {p->comm, p->poly};
        fti_transcript_absorb(t, "pcs/claim-poly", id, sizeof id);
        fti_transcript_absorb_kes(t, "pcs/claim-point", s->points[c->point], s->point_vars[c->point]);
        fti_transcript_absorb_kes(t, "pcs/claim-value", &c->value, 1);
    }
}

void pcs_draw_batching(fti_transcript *t, const pcs_schedule *s, ke_t *lambda, ke_t *nu) {
    fti_transcript_challenge_kes(t, "pcs/lambda", lambda, s->n_points);
    fti_transcript_challenge_kes(t, "pcs/nu", nu, s->n_claimed);
}

ke_t pcs_interp2(const ke_t g[3], ke_t s) {
    static const fe_t INV2 = (FE_P + 1) / 2;
    ke_t one = ke_one(), two = ke_from_fe(2);
    ke_t sm1 = ke_sub(s, one), sm2 = ke_sub(s, two);
    ke_t t0 = ke_mul_fe(ke_mul(ke_mul(g[0], sm1), sm2), INV2);
    ke_t t1 = ke_mul(ke_mul(g[1], s), sm2);
    ke_t t2 = ke_mul_fe(ke_mul(ke_mul(g[2], s), sm1), INV2);
    return ke_add(ke_sub(t0, t1), t2);
}
