/* The PCS verifier. It replays the transcript, checks both sum-checks round by round, checks
 * the Merkle openings against indices it derives itself, and re-folds every query. Any
 * inconsistency rejects (*ok stays 0); nothing in the proof is trusted for sizes or indices. */
#include <stdlib.h>

#include "ntt/ntt.h"
#include "pcs/pcs_internal.h"
#include "sumcheck/sumcheck.h"
#include "util/error.h"

typedef struct {
    const pcs_schedule *s;
    const fti_pcs_params *pp;
    const fti_pcs_public *comms;
    size_t n_comms;
    const fti_pcs_proof *proof;
    const ke_t *mu, *sch;           /* mu_i and the folding challenges s_j */
    fti_merkle_matrix_shape **cmat; /* per commitment */
    fti_merkle_shape *cshape;
    unsigned *cheight;
    fti_merkle_matrix_shape *lmat;  /* per layer (index l, 1-based) */
    fti_merkle_shape *lshape;
    fti_merkle_opening *views;      /* openings with the verifier's own indices */
    uint64_t **view_idx;
} vctx;

/* Phase 1's final claim: sum_i nu_i prod_{j < t_i}(1 - r_j) W_i(r_high) v_i. */
static ke_t phase1_expected(const pcs_schedule *s, const ke_t *lambda, const ke_t *nu, const ke_t *r,
                            const ke_t *v) {
    ke_t total = ke_zero();
    for (size_t i = 0; i < s->n_claimed; i++) {
        unsigned t = s->n - s->claimed[i].n_vars;
        ke_t low = ke_one();
        for (unsigned j = 0; j < t; j++) low = ke_mul(low, ke_sub(ke_one(), r[j]));
        ke_t W = ke_zero();
        for (size_t u = 0; u < s->n_uclaims; u++) {
            if (s->uclaims[u].claimed != i) continue;
            unsigned pi = s->uclaims[u].point;
            W = ke_add(W, ke_mul(lambda[pi], fti_eq_eval(s->points[pi], r + t, s->point_vars[pi])));
        }
        total = ke_add(total, ke_mul(ke_mul(nu[i], low), ke_mul(W, v[i])));
    }
    return total;
}

/* One sum-check round: g(0) + g(1) must equal the claim; returns 0 to reject. */
static int check_round(const ke_t g[3], ke_t *claim, ke_t challenge) {
    if (!ke_eq(ke_add(g[0], g[1]), *claim)) return 0;
    *claim = pcs_interp2(g, challenge);
    return 1;
}

static int verify_phase1(ke_t *r, fti_transcript *t, const pcs_schedule *s, const fti_pcs_proof *p) {
    int res = 0;
    if (s->single) { /* r is the common point; the evaluations are the claims (set by the reader) */
        memcpy(r, s->common, s->n * sizeof *r);
        for (size_t u = 0; u < s->n_uclaims; u++)
            if (!ke_eq(p->evals[s->uclaims[u].claimed], s->uclaims[u].value)) return 0;
        return 1;
    }
    ke_t *lambda = calloc(s->n_points + 1, sizeof *lambda), *nu = calloc(s->n_claimed + 1, sizeof *nu);
    if (!lambda || !nu) goto out;
    pcs_draw_batching(t, s, lambda, nu);
    ke_t claim = ke_zero();
    for (size_t u = 0; u < s->n_uclaims; u++) {
        const pcs_uclaim *c = &s->uclaims[u];
        claim = ke_add(claim, ke_mul(ke_mul(nu[c->claimed], lambda[c->point]), c->value));
    }
    for (unsigned j = 0; j < s->n; j++) {
        const ke_t *g = p->batch_rounds + 3 * j;
        fti_transcript_absorb_kes(t, "pcs/batch-round", g, 3);
        r[j] = fti_transcript_challenge_ke(t, "pcs/batch-challenge");
        if (!check_round(g, &claim, r[j])) goto out;
    }
    fti_transcript_absorb_kes(t, "pcs/evals", p->evals, s->n_claimed);
    res = ke_eq(claim, phase1_expected(s, lambda, nu, r, p->evals));
out:
    free(lambda);
    free(nu);
    return res;
}

static int verify_phase2(ke_t *sch, fti_transcript *t, const pcs_schedule *s, const fti_pcs_proof *p,
                         const ke_t *r, const ke_t *mu) {
    ke_t claim = ke_zero();
    for (size_t i = 0; i < s->n_claimed; i++) claim = ke_add(claim, ke_mul(mu[i], p->evals[i]));
    for (unsigned j = 0; j < s->n; j++) {
        const ke_t *g = p->fold_rounds + 3 * j;
        fti_transcript_absorb_kes(t, "pcs/fold-round", g, 3);
        sch[j] = fti_transcript_challenge_ke(t, "pcs/fold-challenge");
        if (!check_round(g, &claim, sch[j])) return 0;
        if ((j + 1) % s->k == 0 && j + 1 < s->n)
            fti_transcript_absorb_digest(t, "pcs/layer-root", &p->layer_roots[(j + 1) / s->k - 1]);
    }
    fti_transcript_absorb_kes(t, "pcs/final", &p->final_value, 1);
    return ke_eq(claim, ke_mul(fti_eq_eval(r, sch, s->n), p->final_value));
}

/* ---- query phase ---- */

static int cmp_u64(const void *a, const void *b) {
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* Sorted distinct (q << k0) >> shift over the queries. */
static size_t query_indices(uint64_t *out, const uint64_t *q, unsigned nq, unsigned k0, unsigned shift) {
    for (unsigned i = 0; i < nq; i++) out[i] = (q[i] << k0) >> shift;
    qsort(out, nq, sizeof *out, cmp_u64);
    size_t m = 0;
    for (unsigned i = 0; i < nq; i++)
        if (m == 0 || out[m - 1] != out[i]) out[m++] = out[i];
    return m;
}

/* Verifies opening `o` of a tree with the given shape at the verifier's indices. */
static int check_opening(vctx *v, size_t o, const fti_digest *root, const fti_merkle_shape *shape,
                         const uint64_t *q, unsigned shift) {
    const fti_merkle_opening *src = &v->proof->openings[o];
    fti_merkle_opening *view = &v->views[o];
    *view = *src;
    view->indices = v->view_idx[o];
    view->n_indices = query_indices(view->indices, q, v->pp->n_queries, v->s->k0, shift);
    int ok = 0;
    if (fti_merkle_verify(&ok, root, shape, view) != FTI_OK) return 0;
    return ok;
}

/* Reads n field elements of a committed row starting at element `off`. */
static int read_fe_row(ke_t *out, const uint8_t *row, size_t off, size_t n) {
    for (size_t j = 0; j < n; j++) {
        fe_t x;
        if (!fe_from_bytes(&x, row + FE_BYTES * (off + j))) return 0;
        out[j] = ke_from_fe(x);
    }
    return 1;
}

/* Adds mu_i cw_i[p0 .. p0 + len) for claimed polynomials of codeword log-length h. */
static int add_roll_ins(vctx *v, ke_t *vals, uint64_t q, unsigned h, uint64_t p0, size_t len) {
    const pcs_schedule *s = v->s;
    ke_t tmp[1u << 6];
    for (size_t i = 0; i < s->n_claimed; i++) {
        const pcs_claimed *c = &s->claimed[i];
        if (c->h != h) continue;
        unsigned g = pcs_group_log(s->k, h);
        uint64_t leaf = (q << s->k0) >> (s->H - v->cheight[c->comm]);
        const uint8_t *row = fti_merkle_opening_row(&v->views[c->comm], &v->cshape[c->comm], c->poly, leaf);
        uint64_t row_start = (p0 >> g) << g;
        if (!row || len > sizeof tmp / sizeof tmp[0] || p0 - row_start + len > ((size_t)1 << g)) return 0;
        if (!read_fe_row(tmp, row, p0 - row_start, len)) return 0;
        for (size_t j = 0; j < len; j++) vals[j] = ke_add(vals[j], ke_mul(v->mu[i], tmp[j]));
    }
    return 1;
}

/* Folds vals (len values at positions p0.. of the codeword of log-length h) once with s. */
static void fold_vals(ke_t *vals, size_t len, uint64_t p0, unsigned h, ke_t s) {
    static const fe_t INV2 = (FE_P + 1) / 2;
    fe_t winv = fe_inv(fe_root_of_unity(h));
    /* pair m sits at folded position a + m, a = p0/2 aligned to len/2, so
     * bitrev_(h-1)(a + m) = bitrev_(h-1)(a) + bitrev_(h-1)(m): x_m^-1 = x_a^-1 * w^-bitrev(m). */
    fe_t xa_inv = fe_pow(winv, fti_bitrev(p0 >> 1, h - 1));
    for (size_t m = 0; m < len / 2; m++) {
        fe_t xinv = fe_mul(xa_inv, fe_pow(winv, fti_bitrev(m, h - 1)));
        vals[m] = pcs_fold(vals[2 * m], vals[2 * m + 1], fe_mul(INV2, xinv), s);
    }
}

/* Loads the committed row of layer l that holds position p0 (log-length h_l). */
static int load_layer_row(vctx *v, ke_t *vals, unsigned l, uint64_t p0, ke_t expect) {
    const pcs_schedule *s = v->s;
    unsigned kl = pcs_layer_folds(s, l);
    size_t o = v->n_comms + l - 1;
    uint64_t qrow = p0 >> kl;
    const uint8_t *row = fti_merkle_opening_row(&v->views[o], &v->lshape[l], 0, qrow);
    if (!row) return 0;
    for (size_t j = 0; j < ((size_t)1 << kl); j++)
        if (!ke_from_bytes(&vals[j], row + KE_BYTES * j)) return 0;
    return ke_eq(vals[p0 - (qrow << kl)], expect);
}

static int check_query(vctx *v, uint64_t q) {
    const pcs_schedule *s = v->s;
    ke_t vals[1u << 6];
    uint64_t p0 = q << s->k0;
    size_t len = (size_t)1 << s->k0;
    unsigned h = s->H, layer = 0;
    for (size_t j = 0; j < len; j++) vals[j] = ke_zero();
    if (!add_roll_ins(v, vals, q, h, p0, len)) return 0;
    if (s->n == 0) return ke_eq(vals[0], v->proof->final_value);
    for (unsigned t = 0; t < s->n; t++) {
        fold_vals(vals, len, p0, h, v->sch[t]);
        p0 >>= 1;
        len >>= 1;
        h--;
        if (!add_roll_ins(v, vals, q, h, p0, len)) return 0;
        if (len > 1) continue;
        if (t == s->n - 1) return ke_eq(vals[0], v->proof->final_value);
        layer++;
        ke_t expect = vals[0];
        if (!load_layer_row(v, vals, layer, p0, expect)) return 0;
        unsigned kl = pcs_layer_folds(s, layer);
        len = (size_t)1 << kl;
        p0 = (p0 >> kl) << kl;
    }
    return 0; /* not reached: the loop ends at t = n - 1 */
}

static fti_status vctx_alloc(vctx *v) {
    size_t no = v->n_comms + v->s->n_layers;
    v->cmat = calloc(v->n_comms, sizeof *v->cmat);
    v->cshape = calloc(v->n_comms, sizeof *v->cshape);
    v->cheight = calloc(v->n_comms, sizeof *v->cheight);
    v->lmat = calloc(v->s->n_layers + 1, sizeof *v->lmat);
    v->lshape = calloc(v->s->n_layers + 1, sizeof *v->lshape);
    v->views = calloc(no, sizeof *v->views);
    v->view_idx = calloc(no, sizeof *v->view_idx);
    if (!v->cmat || !v->cshape || !v->cheight || !v->lmat || !v->lshape || !v->views || !v->view_idx)
        return fti_fail(FTI_ERR_NOMEM, "out of memory");
    for (size_t o = 0; o < no; o++)
        if (!(v->view_idx[o] = malloc(v->pp->n_queries * sizeof(uint64_t)))) return fti_fail(FTI_ERR_NOMEM, "out of memory");
    for (size_t c = 0; c < v->n_comms; c++) {
        if (!(v->cmat[c] = calloc(v->comms[c].shape.n_polys, sizeof **v->cmat)))
            return fti_fail(FTI_ERR_NOMEM, "out of memory");
        fti_status st = fti_pcs_merkle_shape(&v->cshape[c], v->cmat[c], v->pp, &v->comms[c].shape);
        if (st != FTI_OK) return st;
        v->cheight[c] = pcs_tree_height(v->pp, &v->comms[c].shape);
    }
    for (unsigned l = 1; l <= v->s->n_layers; l++) {
        unsigned kl = pcs_layer_folds(v->s, l);
        v->lmat[l].log_rows = pcs_layer_h(v->s, l) - kl;
        v->lmat[l].row_bytes = (size_t)KE_BYTES << kl;
        v->lshape[l] = (fti_merkle_shape){1, &v->lmat[l], 0};
    }
    return FTI_OK;
}

static void vctx_free(vctx *v) {
    size_t no = v->n_comms + (v->s ? v->s->n_layers : 0);
    if (v->cmat)
        for (size_t c = 0; c < v->n_comms; c++) free(v->cmat[c]);
    if (v->view_idx)
        for (size_t o = 0; o < no; o++) free(v->view_idx[o]);
    free(v->cmat);
    free(v->cshape);
    free(v->cheight);
    free(v->lmat);
    free(v->lshape);
    free(v->views);
    free(v->view_idx);
}

static int verify_queries(vctx *v, fti_transcript *t) {
    const pcs_schedule *s = v->s;
    const fti_pcs_params *pp = v->pp;
    int res = 0;
    uint64_t *q = malloc(pp->n_queries * sizeof *q);
    if (!q) return 0;
    if (!fti_transcript_check_grind(t, pp->pow_bits, v->proof->pow_nonce)) goto out;
    fti_transcript_challenge_indices(t, "pcs/queries", (uint64_t)1 << (s->H - s->k0), q, pp->n_queries);
    for (size_t c = 0; c < v->n_comms; c++)
        if (!check_opening(v, c, &v->comms[c].root, &v->cshape[c], q, s->H - v->cheight[c])) goto out;
    for (unsigned l = 1; l <= s->n_layers; l++)
        if (!check_opening(v, v->n_comms + l - 1, &v->proof->layer_roots[l - 1], &v->lshape[l], q,
                           l * s->k + pcs_layer_folds(s, l)))
            goto out;
    for (unsigned i = 0; i < pp->n_queries; i++)
        if (!check_query(v, q[i])) goto out;
    res = 1;
out:
    free(q);
    return res;
}

fti_status fti_pcs_verify(int *ok, fti_transcript *t, const fti_pcs_params *pp, const fti_pcs_public *pub_comms,
                          size_t n_comms, const fti_pcs_claim *pub_claims, size_t n_pub_claims, const fti_pcs_proof *proof) {
    fti_status st = FTI_OK;
    pcs_schedule s;
    pcs_packed pk;
    int conflict = 0;
    vctx v;
    ke_t *r = NULL, *mu = NULL, *sch = NULL;
    const fti_pcs_shape **pub_shapes = calloc(n_comms ? n_comms : 1, sizeof *pub_shapes);
    const fti_digest **roots = calloc(n_comms ? n_comms : 1, sizeof *roots);
    fti_pcs_public *comms = calloc(n_comms ? n_comms : 1, sizeof *comms);
    *ok = 0;
    memset(&v, 0, sizeof v);
    memset(&s, 0, sizeof s);
    memset(&pk, 0, sizeof pk);
    if (!pub_shapes || !roots || !comms) {
        st = fti_fail(FTI_ERR_NOMEM, "out of memory");
        goto out;
    }
    for (size_t c = 0; c < n_comms; c++) pub_shapes[c] = &pub_comms[c].shape;
    /* the packed polynomials, as the prover committed them */
    st = pcs_pack_claims(&pk, pub_shapes, n_comms, pub_claims, n_pub_claims);
    if (st != FTI_OK) goto out;
    for (size_t c = 0; c < n_comms; c++) {
        comms[c].root = pub_comms[c].root;
        comms[c].shape = pk.shapes[c];
        roots[c] = &comms[c].root;
    }
    st = pcs_schedule_build(&s, &conflict, pp, pk.shape_ptrs, n_comms, pk.claims, pk.n_claims);
    if (st != FTI_OK) {
        if (conflict) st = FTI_OK; /* contradictory claims: a reject, not an error */
        goto out;
    }
    /* the proof must have exactly the structure this context implies */
    if (proof->n_vars != s.n || proof->n_claimed != s.n_claimed || proof->n_layers != s.n_layers ||
        proof->n_openings != n_comms + s.n_layers || proof->single != s.single)
        goto out;
    r = calloc(s.n + 1, sizeof *r);
    sch = calloc(s.n + 1, sizeof *sch);
    mu = calloc(s.n_claimed + 1, sizeof *mu);
    if (!r || !sch || !mu) {
        st = fti_fail(FTI_ERR_NOMEM, "out of memory");
        goto out;
    }
    pcs_absorb_context(t, pp, roots, pk.shape_ptrs, n_comms, &s);
    if (!verify_phase1(r, t, &s, proof)) goto out;
    fti_transcript_challenge_kes(t, "pcs/mu", mu, s.n_claimed);
    if (!verify_phase2(sch, t, &s, proof, r, mu)) goto out;
    v = (vctx){.s = &s, .pp = pp, .comms = comms, .n_comms = n_comms, .proof = proof, .mu = mu, .sch = sch};
    if ((st = vctx_alloc(&v)) != FTI_OK) goto out;
    *ok = verify_queries(&v, t);
out:
    vctx_free(&v);
    pcs_schedule_free(&s);
    pcs_packed_free(&pk);
    free(pub_shapes);
    free(roots);
    free(comms);
    free(r);
    free(mu);
    free(sch);
    return st;
}
