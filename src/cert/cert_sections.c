/* Sparse and rank sections of certificate blocks, and the limb-sum sum-check (cert_sections.h). */
#include "cert/cert_sections.h"

#include <stdlib.h>

#include "logup/logup.h"
#include "sumcheck/sumcheck.h"
#include "util/error.h"

enum { C_BASE = 0, C_TUNED = 1, C_AUX = 2 };

static const ftic_unit *u_base(const unit_ref *u) {
    return &u->ctx->base->units[u->ctx->base->blocks[u->b].first_unit + u->i];
}
static const fti_cert_unit *u_cert(const unit_ref *u) {
    return &u->ctx->cert->units[u->ctx->base->blocks[u->b].first_unit + u->i];
}

/* The four limb claims of the unit at pt (values lo, lo', hi, hi'). */
static void limb_claims(claimset *cs, uint32_t i, const ke_t *pt, const ke_t v[4]) {
    claims_add(cs, C_BASE, 2 * i, pt, v[0]);
    claims_add(cs, C_TUNED, 2 * i, pt, v[1]);
    claims_add(cs, C_BASE, 2 * i + 1, pt, v[2]);
    claims_add(cs, C_TUNED, 2 * i + 1, pt, v[3]);
}

/* Delta~ = (lo'~ - lo~) + 2^16 (hi'~ - hi~). */
static ke_t delta_from(const ke_t v[4]) {
    return ke_add(ke_sub(v[1], v[0]), ke_mul_fe(ke_sub(v[3], v[2]), 1u << 16));
}

static void limb_values(ke_t v[4], fe_t *const *tb, fe_t *const *tt, uint32_t i, unsigned n, const ke_t *pt) {
    v[0] = fti_mle_eval_fe(tb[2 * i], n, pt);
    v[1] = fti_mle_eval_fe(tt[2 * i], n, pt);
    v[2] = fti_mle_eval_fe(tb[2 * i + 1], n, pt);
    v[3] = fti_mle_eval_fe(tt[2 * i + 1], n, pt);
}

/* ---- high-degree product sum-check: sum_s prod_t T_t(s) ----
 * Round messages g(0..d), d = number of tables, absorbed as "cert/prod-round"; challenges
 * "cert/prod-challenge". Used where the degree exceeds the generic prover's limit. */

static ke_t interp_any(const ke_t *g, unsigned d, ke_t r) {
    /* g(r) = sum_i g_i prod_{j != i} (r - j) / (i - j) */
    ke_t acc = ke_zero();
    for (unsigned i = 0; i <= d; i++) {
        ke_t num = ke_one();
        fe_t den = 1;
        for (unsigned j = 0; j <= d; j++) {
            if (j == i) continue;
            num = ke_mul(num, ke_sub(r, ke_from_fe(j)));
            den = fe_mul(den, fe_sub(fe_from_u64(i), fe_from_u64(j)));
        }
        acc = ke_add(acc, ke_mul(g[i], ke_mul_fe(num, fe_inv(den))));
    }
    return acc;
}

static void prod_round(ke_t *g, ke_t *const *T, unsigned nt, size_t half) {
    unsigned d = nt;
    for (unsigned x = 0; x <= d; x++) g[x] = ke_zero();
    ke_t vals[64], step[64];
    for (size_t m = 0; m < half; m++) {
        for (unsigned t = 0; t < nt; t++) {
            vals[t] = T[t][2 * m];
            step[t] = ke_sub(T[t][2 * m + 1], T[t][2 * m]);
        }
        for (unsigned x = 0; x <= d; x++) {
            ke_t p = ke_one();
            for (unsigned t = 0; t < nt; t++) p = ke_mul(p, vals[t]);
            g[x] = ke_add(g[x], p);
            for (unsigned t = 0; t < nt; t++) vals[t] = ke_add(vals[t], step[t]);
        }
    }
}

static fti_status prod_prove(fti_wbuf *w, fti_transcript *t, ke_t *const *T, unsigned nt, unsigned j, ke_t *rho) {
    ke_t g[65];
    if (nt > 63) return fti_fail(FTI_ERR_UNSUPPORTED, "product sum-check of degree %u", nt);
    for (unsigned round = 0; round < j; round++) {
        size_t half = (size_t)1 << (j - round - 1);
        prod_round(g, T, nt, half);
        fti_wbuf_kes(w, g, nt + 1);
        fti_transcript_absorb_kes(t, "cert/prod-round", g, nt + 1);
        ke_t r = rho[round] = fti_transcript_challenge_ke(t, "cert/prod-challenge");
        for (unsigned k = 0; k < nt; k++)
            for (size_t m = 0; m < half; m++) T[k][m] = ke_add(T[k][2 * m], ke_mul(r, ke_sub(T[k][2 * m + 1], T[k][2 * m])));
    }
    return FTI_OK;
}

/* Checks the rounds; *claim becomes the final claim prod_t T_t(rho). 0 to reject. */
static int prod_verify(fti_rbuf *r, fti_transcript *t, unsigned nt, unsigned j, ke_t *claim, ke_t *rho) {
    ke_t g[65];
    if (nt > 63) return 0;
    for (unsigned round = 0; round < j; round++) {
        fti_rbuf_kes(r, g, nt + 1);
        if (r->bad) return 0;
        fti_transcript_absorb_kes(t, "cert/prod-round", g, nt + 1);
        rho[round] = fti_transcript_challenge_ke(t, "cert/prod-challenge");
        if (!ke_eq(ke_add(g[0], g[1]), *claim)) return 0;
        *claim = interp_any(g, nt, rho[round]);
    }
    return 1;
}

/* ---- sparse ---- */

/* E_l(s) = I_l(s) (2 r_l - 1) + 1 - r_l = eq(I_l(s), r_l) */
static ke_t eq_bit(ke_t I, ke_t r) {
    ke_t one = ke_one();
    return ke_add(ke_mul(I, ke_sub(ke_add(r, r), one)), ke_sub(one, r));
}

static fti_status sparse_main(fti_wbuf *w, fti_transcript *t, claimset *cs, const unit_ref *u, const ke_t *r,
                              const fe_t *delta, const fe_t *I, unsigned n) {
    const fti_cert_unit *cu = u_cert(u);
    unsigned j = cu->sparse_log, nt = n + 2;
    size_t slots = (size_t)1 << j, p = u->aux->first[u->i];
    unsigned L = cert_ceil_log2(n ? n : 1);
    ke_t **T = calloc(nt, sizeof *T);
    fti_status st = FTI_OK;
    if (!T) return fti_fail(FTI_ERR_NOMEM, "out of memory");
    for (unsigned k = 0; k < nt && st == FTI_OK; k++)
        if (!(T[k] = malloc(slots * sizeof(ke_t)))) st = fti_fail(FTI_ERR_NOMEM, "out of memory");
    if (st == FTI_OK) {
        for (size_t s = 0; s < slots; s++) {
            T[0][s] = ke_from_fe(s < cu->sparse_count);
            T[1][s] = ke_from_fe(delta[s]);
            for (unsigned l = 0; l < n; l++) T[2 + l][s] = eq_bit(ke_from_fe(I[s + slots * l]), r[l]);
        }
        ke_t *rho = claims_point(cs, j);
        ke_t *fin = calloc(n + 1, sizeof *fin);
        if (!rho || !fin) st = fti_fail(FTI_ERR_NOMEM, "out of memory");
        if (st == FTI_OK) st = prod_prove(w, t, T, nt, j, rho);
        if (st == FTI_OK) {
            /* final values: delta(rho), I_l(rho) (the E_l are derived from them) */
            fin[0] = fti_mle_eval_fe(delta, j, rho);
            for (unsigned l = 0; l < n; l++) fin[1 + l] = fti_mle_eval_fe(I + slots * l, j, rho);
            fti_wbuf_kes(w, fin, n + 1);
            fti_transcript_absorb_kes(t, "cert/sparse-final", fin, n + 1);
            claims_add(cs, C_AUX, (unsigned)p, rho, fin[0]);
            for (unsigned l = 0; l < n; l++) {
                ke_t *pt = claims_point(cs, j + L);
                if (!pt) break;
                memcpy(pt, rho, j * sizeof *pt);
                for (unsigned bit = 0; bit < L; bit++) pt[j + bit] = ke_from_fe((l >> bit) & 1);
                claims_add(cs, C_AUX, (unsigned)p + 1, pt, fin[1 + l]);
            }
        }
        free(fin);
    }
    for (unsigned k = 0; k < nt; k++) free(T[k]);
    free(T);
    return st;
}

/* Booleanity of I: zero-check of I^2 - I over its j + L variables. */
static void bool_composite(fti_sc_term terms[2], fti_sc_composite *c) {
    terms[0] = (fti_sc_term){ke_one(), 2, {0, 0}};
    terms[1] = (fti_sc_term){ke_neg(ke_one()), 1, {0}};
    *c = (fti_sc_composite){1, 2, terms};
}

static fti_status sparse_bool(fti_wbuf *w, fti_transcript *t, claimset *cs, unsigned aux_poly, const fe_t *I,
                              unsigned nv) {
    fti_sc_term terms[2];
    fti_sc_composite comp;
    bool_composite(terms, &comp);
    fti_sc_table tab[1] = {{I, NULL}};
    fti_arena arena;
    fti_sc_proof sp;
    ke_t fin[1], *pt = claims_point(cs, nv);
    if (!pt) return fti_fail(FTI_ERR_NOMEM, "out of memory");
    fti_status st = fti_arena_init(&arena, fti_zerocheck_scratch_size(&comp, tab, nv));
    if (st != FTI_OK) return st;
    if ((st = fti_zerocheck_prove(&sp, pt, fin, &arena, t, &comp, tab, nv)) == FTI_OK) {
        fti_wbuf_kes(w, sp.evals, 4 * (size_t)nv);
        fti_wbuf_kes(w, fin, 1);
        fti_transcript_absorb_kes(t, "cert/sparse-bool", fin, 1);
        claims_add(cs, C_AUX, aux_poly, pt, fin[0]);
    }
    fti_arena_free(&arena);
    return st;
}

fti_status sparse_prove(fti_wbuf *w, fti_transcript *t, claimset *cs, const unit_ref *u, fe_t *const *tb,
                        fe_t *const *tt, fe_t *const *ta) {
    unsigned n = ftic_unit_vars(u_base(u)), L = cert_ceil_log2(n ? n : 1);
    size_t p = u->aux->first[u->i];
    ke_t *r = claims_point(cs, n), v[4];
    if (!r) return fti_fail(FTI_ERR_NOMEM, "out of memory");
    fti_transcript_challenge_kes(t, "cert/sparse-r", r, n);
    limb_values(v, tb, tt, u->i, n, r);
    fti_wbuf_kes(w, v, 4);
    fti_transcript_absorb_kes(t, "cert/sparse-d", v, 4);
    limb_claims(cs, u->i, r, v);
    fti_status st = sparse_main(w, t, cs, u, r, ta[p], ta[p + 1], n);
    if (st == FTI_OK) st = sparse_bool(w, t, cs, (unsigned)p + 1, ta[p + 1], u_cert(u)->sparse_log + L);
    return st;
}

int sparse_verify(fti_rbuf *rb, fti_transcript *t, claimset *cs, const unit_ref *u) {
    const fti_cert_unit *cu = u_cert(u);
    unsigned n = ftic_unit_vars(u_base(u)), j = cu->sparse_log, L = cert_ceil_log2(n ? n : 1);
    size_t p = u->aux->first[u->i];
    ke_t *r = claims_point(cs, n), v[4];
    if (!r) return 0;
    fti_transcript_challenge_kes(t, "cert/sparse-r", r, n);
    fti_rbuf_kes(rb, v, 4);
    if (rb->bad) return 0;
    fti_transcript_absorb_kes(t, "cert/sparse-d", v, 4);
    limb_claims(cs, u->i, r, v);
    ke_t claim = delta_from(v), *rho = claims_point(cs, j);
    if (!rho || !prod_verify(rb, t, n + 2, j, &claim, rho)) return 0;
    ke_t *fin = calloc(n + 1, sizeof *fin);
    if (!fin) return 0;
    fti_rbuf_kes(rb, fin, n + 1);
    int ok = !rb->bad;
    if (ok) {
        fti_transcript_absorb_kes(t, "cert/sparse-final", fin, n + 1);
        ke_t prod = ke_mul(cert_lt_mle(cu->sparse_count, rho, j), fin[0]);
        for (unsigned l = 0; l < n; l++) prod = ke_mul(prod, eq_bit(fin[1 + l], r[l]));
        ok = ke_eq(prod, claim);
        claims_add(cs, C_AUX, (unsigned)p, rho, fin[0]);
        for (unsigned l = 0; ok && l < n; l++) {
            ke_t *pt = claims_point(cs, j + L);
            if (!pt) {
                ok = 0;
                break;
            }
            memcpy(pt, rho, j * sizeof *pt);
            for (unsigned bit = 0; bit < L; bit++) pt[j + bit] = ke_from_fe((l >> bit) & 1);
            claims_add(cs, C_AUX, (unsigned)p + 1, pt, fin[1 + l]);
        }
    }
    free(fin);
    if (!ok) return 0;
    /* booleanity */
    unsigned nv = j + L;
    ke_t *evals = calloc(4 * (size_t)nv + 1, sizeof *evals), *tau = calloc(nv + 1, sizeof *tau), *pt = claims_point(cs, nv);
    ke_t bfin, final_claim;
    ok = evals && tau && pt;
    if (ok) {
        fti_rbuf_kes(rb, evals, 4 * (size_t)nv);
        bfin = fti_rbuf_ke(rb);
        ok = !rb->bad;
    }
    if (ok) {
        fti_sc_proof sp = {nv, 3, evals};
        int zok = 0;
        fti_zerocheck_verify(&zok, tau, pt, &final_claim, t, nv, 2, &sp);
        ke_t c = ke_sub(ke_mul(bfin, bfin), bfin);
        ok = zok && ke_eq(final_claim, ke_mul(fti_eq_eval(tau, pt, nv), c));
        if (ok) {
            fti_transcript_absorb_kes(t, "cert/sparse-bool", &bfin, 1);
            claims_add(cs, C_AUX, (unsigned)p + 1, pt, bfin);
        }
    }
    free(evals);
    free(tau);
    return ok;
}

/* ---- limb sums ---- */

static void limbsum_composite(fti_sc_term terms[5], fti_sc_composite *comp, ke_t g) {
    ke_t g2 = ke_mul(g, g), g3 = ke_mul(g2, g), g4 = ke_mul(g3, g);
    terms[0] = (fti_sc_term){ke_one(), 2, {0, 0}};
    terms[1] = (fti_sc_term){g, 2, {0, 1}};
    terms[2] = (fti_sc_term){g2, 2, {1, 1}};
    terms[3] = (fti_sc_term){g3, 1, {0}};
    terms[4] = (fti_sc_term){g4, 1, {1}};
    *comp = (fti_sc_composite){2, 5, terms};
}

fti_status limbsum_prove(fti_wbuf *w, fti_transcript *t, claimset *cs, unsigned comm, unsigned lo_poly,
                         const fe_t *lo, const fe_t *hi, unsigned n) {
    fti_sc_term terms[5];
    fti_sc_composite comp;
    ke_t g = fti_transcript_challenge_ke(t, "cert/limb-g"), fin[2], *pt = claims_point(cs, n);
    if (!pt) return fti_fail(FTI_ERR_NOMEM, "out of memory");
    limbsum_composite(terms, &comp, g);
    fti_sc_table tab[2] = {{lo, NULL}, {hi, NULL}};
    fti_arena arena;
    fti_sc_proof sp;
    fti_status st = fti_arena_init(&arena, fti_sc_scratch_size(&comp, tab, n));
    if (st != FTI_OK) return st;
    if ((st = fti_sc_prove(&sp, pt, fin, &arena, t, &comp, tab, n)) == FTI_OK) {
        fti_wbuf_kes(w, sp.evals, 3 * (size_t)n);
        fti_wbuf_kes(w, fin, 2);
        fti_transcript_absorb_kes(t, "cert/limb-final", fin, 2);
        claims_add(cs, comm, lo_poly, pt, fin[0]);
        claims_add(cs, comm, lo_poly + 1, pt, fin[1]);
    }
    fti_arena_free(&arena);
    return st;
}

int limbsum_verify(fti_rbuf *r, fti_transcript *t, claimset *cs, unsigned comm, unsigned lo_poly, unsigned n,
                   const uint64_t sums[5]) {
    fti_sc_term terms[5];
    fti_sc_composite comp;
    ke_t evals[3 * FTI_PCS_MAX_VARS + 3], fin[2], final_claim;
    ke_t g = fti_transcript_challenge_ke(t, "cert/limb-g"), *pt = claims_point(cs, n);
    if (!pt || n > FTI_PCS_MAX_VARS) return 0;
    limbsum_composite(terms, &comp, g);
    fti_rbuf_kes(r, evals, 3 * (size_t)n);
    fti_rbuf_kes(r, fin, 2);
    if (r->bad) return 0;
    ke_t claim = ke_zero(), pw = ke_one();
    for (int k = 0; k < 5; k++) {
        claim = ke_add(claim, ke_mul_fe(pw, sums[k]));
        pw = ke_mul(pw, g);
    }
    fti_sc_proof sp = {n, 2, evals};
    int ok = 0;
    fti_sc_verify(&ok, pt, &final_claim, t, n, 2, claim, &sp);
    if (!ok || !ke_eq(final_claim, fti_sc_eval(&comp, fin))) return 0;
    fti_transcript_absorb_kes(t, "cert/limb-final", fin, 2);
    claims_add(cs, comm, lo_poly, pt, fin[0]);
    claims_add(cs, comm, lo_poly + 1, pt, fin[1]);
    return 1;
}

/* ---- rank ---- */

/* T_z[k] = sum_i eq(z, i) (limb[k + 2^q i] - 2^15): the factor's row-MLE at z for each column k. */
static fti_status fold_rows(ke_t *out, const fe_t *limb, unsigned q, unsigned a, const ke_t *z) {
    size_t cols = (size_t)1 << q, rows = (size_t)1 << a;
    ke_t *eq = malloc(rows * sizeof *eq);
    if (!eq) return fti_fail(FTI_ERR_NOMEM, "out of memory");
    fti_eq_table(eq, z, a);
    for (size_t k = 0; k < cols; k++) out[k] = ke_zero();
    for (size_t i = 0; i < rows; i++)
        for (size_t k = 0; k < cols; k++)
            out[k] = ke_add(out[k], ke_mul_fe(eq[i], fe_sub(limb[k + (i << q)], 1u << 15)));
    free(eq);
    return FTI_OK;
}

static void rank_composite(fti_sc_term term[1], fti_sc_composite *c) {
    term[0] = (fti_sc_term){ke_one(), 3, {0, 1, 2}};
    *c = (fti_sc_composite){3, 1, term};
}

/* (y, x) as one point of the unit's b + a variables (columns low). */
static ke_t *rank_point(claimset *cs, const ke_t *y, unsigned b, const ke_t *x, unsigned a) {
    ke_t *pt = claims_point(cs, a + b);
    if (pt) {
        memcpy(pt, y, b * sizeof *pt);
        memcpy(pt + b, x, a * sizeof *pt);
    }
    return pt;
}

/* (rho, z): a factor's point (columns k low, then its rows). */
static ke_t *factor_point(claimset *cs, const ke_t *rho, unsigned q, const ke_t *z, unsigned a) {
    return rank_point(cs, rho, q, z, a);
}

fti_status rank_prove(fti_wbuf *w, fti_transcript *t, claimset *cs, const unit_ref *u, fe_t *const *tb,
                      fe_t *const *tt, fe_t *const *ta) {
    const ftic_unit *bu = u_base(u);
    const fti_cert_unit *cu = u_cert(u);
    unsigned a = bu->log_rows, b = bu->log_cols, q = cu->rank_log;
    size_t p = u->aux->first[u->i] + ((u->ctx->plan->need[u->ctx->base->blocks[u->b].first_unit + u->i] & FTI_REQ_SPARSE) ? 2 : 0);
    ke_t *x = claims_point(cs, a), *y = claims_point(cs, b);
    if (!x || !y) return fti_fail(FTI_ERR_NOMEM, "out of memory");
    fti_transcript_challenge_kes(t, "cert/rank-x", x, a);
    fti_transcript_challenge_kes(t, "cert/rank-y", y, b);
    ke_t *P = rank_point(cs, y, b, x, a), v[6];
    if (!P) return fti_fail(FTI_ERR_NOMEM, "out of memory");
    limb_values(v, tb, tt, u->i, a + b, P);
    unsigned nv = 4;
    if (cu->residual) {
        v[4] = fti_mle_eval_fe(ta[p + 2], a + b, P);
        v[5] = fti_mle_eval_fe(ta[p + 3], a + b, P);
        nv = 6;
    }
    fti_wbuf_kes(w, v, nv);
    fti_transcript_absorb_kes(t, "cert/rank-d", v, nv);
    limb_claims(cs, u->i, P, v);
    if (cu->residual) {
        claims_add(cs, C_AUX, (unsigned)p + 2, P, v[4]);
        claims_add(cs, C_AUX, (unsigned)p + 3, P, v[5]);
    }
    size_t cols = (size_t)1 << q;
    fe_t *sel = malloc(cols * sizeof *sel);
    ke_t *Ux = malloc(cols * sizeof *Ux), *Vy = malloc(cols * sizeof *Vy), fin[3];
    fti_status st = (sel && Ux && Vy) ? FTI_OK : fti_fail(FTI_ERR_NOMEM, "out of memory");
    if (st == FTI_OK) st = fold_rows(Ux, ta[p], q, a, x);
    if (st == FTI_OK) st = fold_rows(Vy, ta[p + 1], q, b, y);
    if (st == FTI_OK) {
        for (size_t k = 0; k < cols; k++) sel[k] = k < cu->rank;
        fti_sc_term term[1];
        fti_sc_composite comp;
        rank_composite(term, &comp);
        fti_sc_table tab[3] = {{sel, NULL}, {NULL, Ux}, {NULL, Vy}};
        fti_arena arena;
        fti_sc_proof sp;
        ke_t *rho = claims_point(cs, q);
        if (!rho) st = fti_fail(FTI_ERR_NOMEM, "out of memory");
        if (st == FTI_OK) st = fti_arena_init(&arena, fti_sc_scratch_size(&comp, tab, q));
        if (st == FTI_OK) {
            if ((st = fti_sc_prove(&sp, rho, fin, &arena, t, &comp, tab, q)) == FTI_OK) {
                fti_wbuf_kes(w, sp.evals, 4 * (size_t)q);
                fti_wbuf_kes(w, fin + 1, 2);
                fti_transcript_absorb_kes(t, "cert/rank-final", fin + 1, 2);
                ke_t *pu = factor_point(cs, rho, q, x, a), *pv = factor_point(cs, rho, q, y, b);
                if (pu && pv) {
                    claims_add(cs, C_AUX, (unsigned)p, pu, ke_add_fe(fin[1], 1u << 15));
                    claims_add(cs, C_AUX, (unsigned)p + 1, pv, ke_add_fe(fin[2], 1u << 15));
                }
            }
            fti_arena_free(&arena);
        }
    }
    free(sel);
    free(Ux);
    free(Vy);
    if (st == FTI_OK && cu->residual) st = limbsum_prove(w, t, cs, C_AUX, (unsigned)p + 2, ta[p + 2], ta[p + 3], a + b);
    return st;
}

int rank_verify(fti_rbuf *r, fti_transcript *t, claimset *cs, const unit_ref *u) {
    const ftic_unit *bu = u_base(u);
    const fti_cert_unit *cu = u_cert(u);
    unsigned a = bu->log_rows, b = bu->log_cols, q = cu->rank_log;
    size_t p = u->aux->first[u->i] + ((u->ctx->plan->need[u->ctx->base->blocks[u->b].first_unit + u->i] & FTI_REQ_SPARSE) ? 2 : 0);
    ke_t *x = claims_point(cs, a), *y = claims_point(cs, b);
    if (!x || !y) return 0;
    fti_transcript_challenge_kes(t, "cert/rank-x", x, a);
    fti_transcript_challenge_kes(t, "cert/rank-y", y, b);
    ke_t *P = rank_point(cs, y, b, x, a), v[6];
    unsigned nv = cu->residual ? 6 : 4;
    if (!P) return 0;
    fti_rbuf_kes(r, v, nv);
    if (r->bad) return 0;
    fti_transcript_absorb_kes(t, "cert/rank-d", v, nv);
    limb_claims(cs, u->i, P, v);
    ke_t claim = ke_mul_fe(delta_from(v), (fe_t)1 << cu->shift); /* shift <= 30 */
    if (cu->residual) {
        claims_add(cs, C_AUX, (unsigned)p + 2, P, v[4]);
        claims_add(cs, C_AUX, (unsigned)p + 3, P, v[5]);
        /* R = Rlo + 2^16 Rhi - 2^31 */
        ke_t R = ke_sub(ke_add(v[4], ke_mul_fe(v[5], 1u << 16)), ke_from_fe((fe_t)1 << 31));
        claim = ke_sub(claim, R);
    }
    ke_t evals[4 * 21], fin[2], final_claim, *rho = claims_point(cs, q);
    if (!rho || q > 20) return 0;
    fti_rbuf_kes(r, evals, 4 * (size_t)q);
    fti_rbuf_kes(r, fin, 2);
    if (r->bad) return 0;
    fti_sc_proof sp = {q, 3, evals};
    int ok = 0;
    fti_sc_verify(&ok, rho, &final_claim, t, q, 3, claim, &sp);
    if (!ok) return 0;
    ke_t expect = ke_mul(cert_lt_mle(cu->rank, rho, q), ke_mul(fin[0], fin[1]));
    if (!ke_eq(final_claim, expect)) return 0;
    fti_transcript_absorb_kes(t, "cert/rank-final", fin, 2);
    ke_t *pu = factor_point(cs, rho, q, x, a), *pv = factor_point(cs, rho, q, y, b);
    if (!pu || !pv) return 0;
    claims_add(cs, C_AUX, (unsigned)p, pu, ke_add_fe(fin[0], 1u << 15));
    claims_add(cs, C_AUX, (unsigned)p + 1, pv, ke_add_fe(fin[1], 1u << 15));
    if (cu->residual && !limbsum_verify(r, t, cs, C_AUX, (unsigned)p + 2, a + b, cu->r_sums)) return 0;
    return 1;
}
