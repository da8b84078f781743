/* Per-block certificate proofs: frozen and norm sections and the block's opening. */
#include "cert/cert_block.h"
#include "cert/cert_aux.h"

#include <stdlib.h>

#include "cert/cert_sections.h"
#include "commit/commit.h"
#include "logup/logup.h"
#include "sumcheck/sumcheck.h"
#include "util/error.h"
#include "util/timing.h"

enum { C_BASE = 0, C_TUNED = 1, C_AUX = 2 };

void cert_delta_sums(uint64_t sums[3], const fe_t *lo, const fe_t *lo2, const fe_t *hi, const fe_t *hi2, unsigned n) {
    /* a, b in (-2^16, 2^16): a^2, b^2 < 2^32, |ab| < 2^32, at most 2^30 entries: exact in int64 */
    int64_t s_aa = 0, s_ab = 0, s_bb = 0;
    size_t len = (size_t)1 << n;
#pragma omp parallel for schedule(static) reduction(+ : s_aa, s_ab, s_bb) if (len >= 65536)
    for (size_t x = 0; x < len; x++) {
        int64_t a = (int64_t)lo2[x] - (int64_t)lo[x], b = (int64_t)hi2[x] - (int64_t)hi[x];
        s_aa += a * a;
        s_ab += a * b;
        s_bb += b * b;
    }
    sums[0] = fti_cert_field(s_aa);
    sums[1] = fti_cert_field(s_ab);
    sums[2] = fti_cert_field(s_bb);
}

static const ftic_unit *unit_of(const cert_ctx *ctx, size_t b, uint32_t i) {
    return &ctx->base->units[ctx->base->blocks[b].first_unit + i];
}
static size_t unit_index(const cert_ctx *ctx, size_t b, uint32_t i) { return ctx->base->blocks[b].first_unit + i; }

static unsigned block_max_vars(const cert_ctx *ctx, size_t b) {
    unsigned n = 0;
    for (uint32_t i = 0; i < ctx->base->blocks[b].n_units; i++)
        if (ftic_unit_vars(unit_of(ctx, b, i)) > n) n = ftic_unit_vars(unit_of(ctx, b, i));
    return n;
}

/* ---- norm composite over tables (lo, lo', hi, hi') = (0, 1, 2, 3) ----
 * A^2 + g AB + g^2 B^2 with A = t1 - t0, B = t3 - t2, expanded into products of tables. */
static void norm_composite(fti_sc_term terms[10], fti_sc_composite *comp, ke_t g) {
    ke_t one = ke_one(), two = ke_from_fe(2), g2 = ke_mul(g, g);
    ke_t m2 = ke_neg(two), mg = ke_neg(g), m2g2 = ke_neg(ke_mul(two, g2));
    terms[0] = (fti_sc_term){one, 2, {1, 1}};
    terms[1] = (fti_sc_term){m2, 2, {0, 1}};
    terms[2] = (fti_sc_term){one, 2, {0, 0}};
    terms[3] = (fti_sc_term){g, 2, {1, 3}};
    terms[4] = (fti_sc_term){mg, 2, {1, 2}};
    terms[5] = (fti_sc_term){mg, 2, {0, 3}};
    terms[6] = (fti_sc_term){g, 2, {0, 2}};
    terms[7] = (fti_sc_term){g2, 2, {3, 3}};
    terms[8] = (fti_sc_term){m2g2, 2, {2, 3}};
    terms[9] = (fti_sc_term){g2, 2, {2, 2}};
    *comp = (fti_sc_composite){4, 10, terms};
}

static ke_t norm_claim(const uint64_t s[3], ke_t g) {
    return ke_add(ke_from_fe(s[0]), ke_add(ke_mul_fe(g, s[1]), ke_mul_fe(ke_mul(g, g), s[2])));
}

/* The four claims lo, lo', hi, hi' of unit i at pt. */
static void add_limb_claims(claimset *cs, uint32_t i, const ke_t *pt, const ke_t v[4]) {
    claims_add(cs, C_BASE, 2 * i, pt, v[0]);
    claims_add(cs, C_TUNED, 2 * i, pt, v[1]);
    claims_add(cs, C_BASE, 2 * i + 1, pt, v[2]);
    claims_add(cs, C_TUNED, 2 * i + 1, pt, v[3]);
}

/* ---- prover ---- */

static fti_status prove_frozen(fti_wbuf *w, fti_transcript *t, claimset *cs, const cert_ctx *ctx, size_t b,
                               fe_t *const *tb) {
    unsigned nmax = block_max_vars(ctx, b);
    ke_t *r = claims_point(cs, nmax);
    if (!r) return fti_fail(FTI_ERR_NOMEM, "out of memory");
    fti_transcript_challenge_kes(t, "cert/frozen-r", r, nmax);
    for (uint32_t i = 0; i < ctx->base->blocks[b].n_units; i++) {
        if (!(ctx->plan->need[unit_index(ctx, b, i)] & FTI_REQ_FROZEN)) continue;
        unsigned n = ftic_unit_vars(unit_of(ctx, b, i));
        ke_t ab[2] = {fti_mle_eval_fe(tb[2 * i], n, r), fti_mle_eval_fe(tb[2 * i + 1], n, r)};
        fti_wbuf_kes(w, ab, 2);
        fti_transcript_absorb_kes(t, "cert/frozen-ab", ab, 2);
        ke_t v[4] = {ab[0], ab[0], ab[1], ab[1]};
        add_limb_claims(cs, i, r, v);
    }
    return FTI_OK;
}

static fti_status prove_norm_unit(fti_wbuf *w, fti_transcript *t, claimset *cs, uint32_t i, unsigned n,
                                  const fe_t *lo, const fe_t *lo2, const fe_t *hi, const fe_t *hi2) {
    fti_sc_term terms[10];
    fti_sc_composite comp;
    ke_t g = fti_transcript_challenge_ke(t, "cert/norm-g"), fin[4];
    norm_composite(terms, &comp, g);
    fti_sc_table tab[4] = {{lo, NULL}, {lo2, NULL}, {hi, NULL}, {hi2, NULL}};
    ke_t *pt = claims_point(cs, n);
    fti_arena arena;
    fti_sc_proof sp;
    if (!pt) return fti_fail(FTI_ERR_NOMEM, "out of memory");
    fti_status st = fti_arena_init(&arena, fti_sc_scratch_size(&comp, tab, n));
    if (st != FTI_OK) return st;
    if ((st = fti_sc_prove(&sp, pt, fin, &arena, t, &comp, tab, n)) == FTI_OK) {
        fti_wbuf_kes(w, sp.evals, 3 * (size_t)n);
        fti_wbuf_kes(w, fin, 4);
        fti_transcript_absorb_kes(t, "cert/norm-final", fin, 4);
        add_limb_claims(cs, i, pt, fin);
    }
    fti_arena_free(&arena);
    return st;
}

static fti_status prove_norms(fti_wbuf *w, fti_transcript *t, claimset *cs, const cert_ctx *ctx, size_t b,
                              fe_t *const *tb, fe_t *const *tt) {
    for (uint32_t i = 0; i < ctx->base->blocks[b].n_units; i++) {
        if (!(ctx->plan->need[unit_index(ctx, b, i)] & FTI_REQ_NORM)) continue;
        unsigned n = ftic_unit_vars(unit_of(ctx, b, i));
        fti_status st = prove_norm_unit(w, t, cs, i, n, tb[2 * i], tt[2 * i], tb[2 * i + 1], tt[2 * i + 1]);
        if (st != FTI_OK) return st;
    }
    return FTI_OK;
}

/* The auxiliary range check: LogUp over the factor limb columns against the aux table m. */
static fti_status prove_aux_range(fti_wbuf *w, fti_transcript *t, claimset *cs, const aux_layout *a, fe_t *const *ta) {
    unsigned *nv = malloc(a->n_range * sizeof *nv);
    const fe_t **cols = malloc(a->n_range * sizeof *cols);
    fti_logup_proof lp;
    fti_logup_claims lc;
    fti_status st = FTI_OK;
    memset(&lp, 0, sizeof lp);
    memset(&lc, 0, sizeof lc);
    if (!nv || !cols) st = fti_fail(FTI_ERR_NOMEM, "out of memory");
    for (size_t k = 0; st == FTI_OK && k < a->n_range; k++) {
        nv[k] = a->n_vars[a->range_polys[k]];
        cols[k] = ta[a->range_polys[k]];
    }
    if (st == FTI_OK) {
        fti_logup_columns lcol = {a->n_range, nv, cols};
        ke_t alpha = fti_transcript_challenge_ke(t, "cert/aux-alpha");
        st = fti_logup_prove(&lp, &lc, t, &lcol, ta[a->m_index], alpha);
    }
    if (st == FTI_OK) {
        fti_logup_proof_write(w, &lp);
        for (size_t k = 0; k < a->n_range; k++) {
            ke_t *pt = claims_point(cs, nv[k]);
            if (!pt) break;
            if (nv[k]) memcpy(pt, lc.points[k], nv[k] * sizeof *pt);
            claims_add(cs, C_AUX, a->range_polys[k], pt, lc.values[k]);
        }
        ke_t *pm = claims_point(cs, FTI_LOGUP_TABLE_BITS);
        if (pm) {
            memcpy(pm, lc.m_point, sizeof lc.m_point);
            claims_add(cs, C_AUX, (unsigned)a->m_index, pm, lc.m_value);
        }
    }
    fti_logup_proof_free(&lp);
    fti_logup_claims_free(&lc);
    free(nv);
    free(cols);
    return st;
}

static fti_status prove_sections(fti_wbuf *w, fti_transcript *t, claimset *cs, const cert_ctx *ctx, size_t b,
                                 const aux_layout *a, fe_t *const *tb, fe_t *const *tt, fe_t *const *ta) {
    fti_status st;
    if ((st = prove_frozen(w, t, cs, ctx, b, tb)) != FTI_OK) return st;
    if ((st = prove_norms(w, t, cs, ctx, b, tb, tt)) != FTI_OK) return st;
    for (uint32_t i = 0; i < ctx->base->blocks[b].n_units; i++) {
        unit_ref u = {ctx, b, i, a};
        if ((ctx->plan->need[unit_index(ctx, b, i)] & FTI_REQ_SPARSE) &&
            (st = sparse_prove(w, t, cs, &u, tb, tt, ta)) != FTI_OK)
            return st;
    }
    for (uint32_t i = 0; i < ctx->base->blocks[b].n_units; i++) {
        unit_ref u = {ctx, b, i, a};
        if ((ctx->plan->need[unit_index(ctx, b, i)] & FTI_REQ_RANK) && (st = rank_prove(w, t, cs, &u, tb, tt, ta)) != FTI_OK)
            return st;
    }
    return FTI_OK;
}

fti_status cert_block_prove(fti_wbuf *w, fti_transcript *t, const cert_ctx *ctx, size_t b, fe_t *const *tb,
                            fe_t *const *tt, fti_pcs_commitment *pb, fti_pcs_commitment *pt) {
    claimset cs;
    fti_pcs_proof pp;
    aux_layout a;
    fe_t **ta = NULL;
    fti_pcs_commitment *pa = NULL;
    fti_status st;
    claims_init(&cs);
    memset(&pp, 0, sizeof pp);
    fti_transcript_absorb_u64(t, "cert/block", b);
    if ((st = aux_layout_make(&a, ctx, b)) != FTI_OK) return st;
    if (a.n_polys) {
        fti_pcs_shape shape = {a.n_polys, a.n_vars};
        const cert_factors *f = ctx->factors ? ctx->factors + ctx->base->blocks[b].first_unit : NULL;
        FTI_TIMED("cert/aux-tables", st = aux_tables_make(&ta, &a, ctx, b, tb, tt, f));
        if (st != FTI_OK) goto out;
        FTI_TIMED("cert/aux-commit", st = fti_pcs_commit(&pa, ctx->base->pp, &shape, (const fe_t *const *)ta));
        if (st != FTI_OK) goto out;
        fti_wbuf_digest(w, fti_pcs_commitment_root(pa));
        fti_transcript_absorb_digest(t, "cert/aux-root", fti_pcs_commitment_root(pa));
        ftic_release_large(pa, 0);
        if (a.m_index != SIZE_MAX) FTI_TIMED("cert/aux-range", st = prove_aux_range(w, t, &cs, &a, ta));
        if (st != FTI_OK) goto out;
    }
    FTI_TIMED("cert/sections", st = prove_sections(w, t, &cs, ctx, b, &a, tb, tt, ta));
    if (st != FTI_OK) goto out;
    if (cs.oom) {
        st = fti_fail(FTI_ERR_NOMEM, "out of memory");
        goto out;
    }
    fti_pcs_commitment *pcs[3] = {pb, pt, pa};
    FTI_TIMED("cert/pcs-open", st = fti_pcs_open(&pp, t, ctx->base->pp, pcs, pa ? 3 : 2, cs.claims, cs.n));
    if (st != FTI_OK) goto out;
    fti_pcs_proof_write(w, &pp);
out:
    fti_pcs_proof_free(&pp);
    fti_pcs_commitment_free(pa);
    aux_tables_free(ta, &a);
    aux_layout_free(&a);
    claims_free(&cs);
    return st;
}

/* ---- verifier ---- */

static int verify_frozen(fti_rbuf *r, fti_transcript *t, claimset *cs, const cert_ctx *ctx, size_t b) {
    unsigned nmax = block_max_vars(ctx, b);
    ke_t *pt = claims_point(cs, nmax);
    if (!pt) return 0;
    fti_transcript_challenge_kes(t, "cert/frozen-r", pt, nmax);
    for (uint32_t i = 0; i < ctx->base->blocks[b].n_units; i++) {
        if (!(ctx->plan->need[unit_index(ctx, b, i)] & FTI_REQ_FROZEN)) continue;
        ke_t ab[2];
        fti_rbuf_kes(r, ab, 2);
        if (r->bad) return 0;
        fti_transcript_absorb_kes(t, "cert/frozen-ab", ab, 2);
        ke_t v[4] = {ab[0], ab[0], ab[1], ab[1]};
        add_limb_claims(cs, i, pt, v);
    }
    return 1;
}

static int verify_norm_unit(fti_rbuf *r, fti_transcript *t, claimset *cs, uint32_t i, unsigned n,
                            const uint64_t sums[3]) {
    fti_sc_term terms[10];
    fti_sc_composite comp;
    ke_t evals[3 * FTIC_MAX_UNIT_VARS], fin[4], final_claim;
    ke_t g = fti_transcript_challenge_ke(t, "cert/norm-g");
    norm_composite(terms, &comp, g);
    fti_rbuf_kes(r, evals, 3 * (size_t)n);
    fti_rbuf_kes(r, fin, 4);
    ke_t *pt = claims_point(cs, n);
    if (r->bad || !pt) return 0;
    fti_sc_proof sp = {n, 2, evals};
    int ok = 0;
    fti_sc_verify(&ok, pt, &final_claim, t, n, 2, norm_claim(sums, g), &sp);
    if (!ok || !ke_eq(final_claim, fti_sc_eval(&comp, fin))) return 0;
    fti_transcript_absorb_kes(t, "cert/norm-final", fin, 4);
    add_limb_claims(cs, i, pt, fin);
    return 1;
}

static int verify_norms(fti_rbuf *r, fti_transcript *t, claimset *cs, const cert_ctx *ctx, size_t b) {
    for (uint32_t i = 0; i < ctx->base->blocks[b].n_units; i++) {
        size_t u = unit_index(ctx, b, i);
        if (!(ctx->plan->need[u] & FTI_REQ_NORM)) continue;
        if (!verify_norm_unit(r, t, cs, i, ftic_unit_vars(unit_of(ctx, b, i)), ctx->cert->units[u].d_sums)) return 0;
    }
    return 1;
}

static int verify_aux_range(fti_rbuf *r, fti_transcript *t, claimset *cs, const aux_layout *a) {
    unsigned *nv = malloc(a->n_range * sizeof *nv);
    fti_logup_proof lp;
    fti_logup_claims lc;
    int ok = 0;
    memset(&lp, 0, sizeof lp);
    memset(&lc, 0, sizeof lc);
    if (!nv) return 0;
    for (size_t k = 0; k < a->n_range; k++) nv[k] = a->n_vars[a->range_polys[k]];
    fti_logup_columns lcol = {a->n_range, nv, NULL};
    ke_t alpha = fti_transcript_challenge_ke(t, "cert/aux-alpha");
    if (fti_logup_proof_read(&lp, r, &lcol) == FTI_OK && fti_logup_verify(&ok, &lc, t, &lcol, alpha, &lp) == FTI_OK && ok) {
        for (size_t k = 0; k < a->n_range; k++) {
            ke_t *pt = claims_point(cs, nv[k]);
            if (!pt) {
                ok = 0;
                break;
            }
            if (nv[k]) memcpy(pt, lc.points[k], nv[k] * sizeof *pt);
            claims_add(cs, C_AUX, a->range_polys[k], pt, lc.values[k]);
        }
        ke_t *pm = claims_point(cs, FTI_LOGUP_TABLE_BITS);
        if (pm) {
            memcpy(pm, lc.m_point, sizeof lc.m_point);
            claims_add(cs, C_AUX, (unsigned)a->m_index, pm, lc.m_value);
        } else {
            ok = 0;
        }
    } else {
        ok = 0;
    }
    fti_logup_proof_free(&lp);
    fti_logup_claims_free(&lc);
    free(nv);
    return ok;
}

static int verify_sections(fti_rbuf *r, fti_transcript *t, claimset *cs, const cert_ctx *ctx, size_t b,
                           const aux_layout *a) {
    if (!verify_frozen(r, t, cs, ctx, b) || !verify_norms(r, t, cs, ctx, b)) return 0;
    for (uint32_t i = 0; i < ctx->base->blocks[b].n_units; i++) {
        unit_ref u = {ctx, b, i, a};
        if ((ctx->plan->need[unit_index(ctx, b, i)] & FTI_REQ_SPARSE) && !sparse_verify(r, t, cs, &u)) return 0;
    }
    for (uint32_t i = 0; i < ctx->base->blocks[b].n_units; i++) {
        unit_ref u = {ctx, b, i, a};
        if ((ctx->plan->need[unit_index(ctx, b, i)] & FTI_REQ_RANK) && !rank_verify(r, t, cs, &u)) return 0;
    }
    return 1;
}

fti_status cert_block_verify(int *ok, fti_transcript *t, const cert_ctx *ctx, size_t b, const uint8_t *proof,
                             size_t len) {
    claimset cs;
    fti_pcs_proof pp;
    fti_rbuf r;
    aux_layout a;
    fti_status st = FTI_OK;
    unsigned nv_b[2 * FTIC_MAX_BLOCK_UNITS + 1], nv_t[2 * FTIC_MAX_BLOCK_UNITS + 1];
    fti_pcs_public pub[3];
    *ok = 0;
    claims_init(&cs);
    memset(&pp, 0, sizeof pp);
    fti_rbuf_init(&r, proof, len);
    fti_transcript_absorb_u64(t, "cert/block", b);
    if ((st = aux_layout_make(&a, ctx, b)) != FTI_OK) {
        claims_free(&cs);
        return st == FTI_ERR_NOMEM ? st : FTI_OK;
    }
    if (a.n_polys) {
        fti_rbuf_digest(&r, &pub[2].root);
        if (r.bad) goto out;
        pub[2].shape = (fti_pcs_shape){a.n_polys, a.n_vars};
        fti_transcript_absorb_digest(t, "cert/aux-root", &pub[2].root);
        if (a.m_index != SIZE_MAX && !verify_aux_range(&r, t, &cs, &a)) goto out;
    }
    if (!verify_sections(&r, t, &cs, ctx, b, &a)) goto out;
    if (cs.oom) {
        st = fti_fail(FTI_ERR_NOMEM, "out of memory");
        goto out;
    }
    ftic_block_shape(&pub[0].shape, nv_b, ctx->base, b);
    ftic_block_shape(&pub[1].shape, nv_t, ctx->tuned, b);
    pub[0].root = ctx->base->blocks[b].root;
    pub[1].root = ctx->tuned->blocks[b].root;
    size_t nc = a.n_polys ? 3 : 2;
    if (fti_pcs_proof_read(&pp, &r, ctx->base->pp, pub, nc, cs.claims, cs.n) != FTI_OK || fti_rbuf_remaining(&r))
        goto out;
    st = fti_pcs_verify(ok, t, ctx->base->pp, pub, nc, cs.claims, cs.n, &pp);
out:
    fti_pcs_proof_free(&pp);
    aux_layout_free(&a);
    claims_free(&cs);
    if (st != FTI_ERR_NOMEM) {
        fti_clear_error();
        st = FTI_OK;
    }
    return st;
}
