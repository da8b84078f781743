/* The block sum-check of a commitment proof (block_sc.h). */
#include "commit/block_sc.h"

#include <stdlib.h>
#include <string.h>

#include "field/field_avx512.h"
#include "pcs/pcs_internal.h"
#include "pcs/pcs_kernels.h"
#include "sumcheck/sumcheck.h"
#include "util/error.h"

#define CHUNKS 64

typedef struct {
    ke_t g, g3, beta_m;
    ke_t *beta, *gamma;
} coeffs;

static int draw(coeffs *c, fti_transcript *t, const block_sc_statement *s) {
    c->beta = calloc(s->n_units + 1, sizeof *c->beta);
    c->gamma = calloc(s->n_units + 1, sizeof *c->gamma);
    if (!c->beta || !c->gamma) return 0;
    c->g = fti_transcript_challenge_ke(t, "commit/g");
    c->g3 = ke_mul(ke_mul(c->g, c->g), c->g);
    fti_transcript_challenge_kes(t, "commit/beta", c->beta, s->n_units);
    fti_transcript_challenge_kes(t, "commit/gamma", c->gamma, s->n_units);
    c->beta_m = fti_transcript_challenge_ke(t, "commit/beta-m");
    return 1;
}

static void coeffs_free(coeffs *c) {
    free(c->beta);
    free(c->gamma);
}

/* S_ll + 2g S_lh + g^2 S_hh + g^3 S_l + g^4 S_h */
static ke_t norm_poly(const uint64_t s[5], ke_t g) {
    ke_t acc = ke_zero(), pw = ke_one();
    const fe_t k[5] = {1, 2, 1, 1, 1};
    for (int i = 0; i < 5; i++) {
        acc = ke_add(acc, ke_mul_fe(pw, fe_mul(k[i], fe_from_u64(s[i]))));
        pw = ke_mul(pw, g);
    }
    return acc;
}

/* The term totals: unit u's beta (a + g b) + gamma normsum; the table's beta_m c. */
static ke_t unit_total(const block_sc_statement *s, const coeffs *c, size_t u) {
    return ke_add(ke_mul(c->beta[u], ke_add(s->a[u], ke_mul(c->g, s->b[u]))), ke_mul(c->gamma[u], norm_poly(s->sums[u], c->g)));
}

/* ---- prover ---- */

typedef struct {
    unsigned n, t;             /* variables, leading rounds it does not depend on */
    const fe_t *lo, *hi;       /* base tables (hi NULL for m) */
    const ke_t *rho;
    ke_t beta, gamma;
    ke_t S;                    /* its total (for the leading rounds) */
    ke_t pref, c;              /* prod (1 - r_j) of the leading rounds; eq(rho_(<l), r) */
    ke_t *M, *E;               /* after the first real round: M (K), and E = eq(rho_(>l), .) */
    ke_t msg[3];
} term;

/* M at base index x: lo + g hi (or the table m). */
static inline ke_t base_M(const term *tm, ke_t g, size_t x) {
    ke_t v = ke_from_fe(tm->lo[x]);
    return tm->hi ? ke_add(v, ke_mul_fe(g, tm->hi[x])) : v;
}

/* Sums over pairs y in [y0, y1), for X = 0 and 2, of E(y) M_X(y) and M_X(y) (M_X(y) + g^3) (the
 * latter if norm); the values at X = 1 follow from the term's claim. Products are accumulated
 * unreduced. */
static void sums_scalar(ke_t out[4], const term *tm, ke_t g, ke_t g3, size_t y0, size_t y1, int first, int norm) {
    ke_acc acc[4][3];
    memset(acc, 0, sizeof acc);
    for (size_t y = y0; y < y1; y++) {
        ke_t m0 = first ? base_M(tm, g, 2 * y) : tm->M[2 * y];
        ke_t m1 = first ? base_M(tm, g, 2 * y + 1) : tm->M[2 * y + 1];
        ke_t m2 = ke_sub(ke_add(m1, m1), m0), ey = tm->E[y];
        ke_mul_acc(acc[0], ey, m0);
        ke_mul_acc(acc[1], ey, m2);
        if (norm) {
            ke_mul_acc(acc[2], m0, ke_add(m0, g3));
            ke_mul_acc(acc[3], m2, ke_add(m2, g3));
        }
    }
    for (int k = 0; k < 4; k++) out[k] = ke_acc_result(acc[k]);
}

/* M_X (lo + g hi) at (2y, 2y + 1), bound to r. */
static void bind_base_scalar(ke_t *dst, const term *tm, ke_t g, ke_t r, size_t y0, size_t y1) {
    for (size_t y = y0; y < y1; y++) {
        ke_t m0 = base_M(tm, g, 2 * y), m1 = base_M(tm, g, 2 * y + 1);
        dst[y] = ke_add(m0, ke_mul(r, ke_sub(m1, m0)));
    }
}

#if FTI_HAVE_AVX512

/* As sums_scalar on eight pairs per step (pairs past the last multiple of eight go to it).
 * First round, M = l + g h with l, h in F: sum E M = sum E l + g sum E h, and
 * sum M (M + g^3) = S_ll + 2g S_lh + g^2 S_hh + g^3 (S_l + g S_h) over base-field sums, so no
 * K x K products are taken per pair. Later rounds: sum M (M + g^3) = sum M^2 + g^3 sum M. */
FTI_AVX static void sums_first_avx512(ke_t out[4], const term *tm, ke_t g, ke_t g3, size_t y0, size_t y8, int norm) {
    vk el[2] = {vk_zero(), vk_zero()}, eh[2] = {vk_zero(), vk_zero()};
    vf sq[2][5]; /* S_ll, S_lh, S_hh, S_l, S_h for X = 0, 2 */
    for (int x = 0; x < 2; x++)
        for (int i = 0; i < 5; i++) sq[x][i] = vf_zero();
    for (size_t y = y0; y < y8; y += 8) {
        vk e = vk_load(tm->E + y);
        vf l[2], h[2] = {vf_zero(), vf_zero()};
        vf_load_pairs(&l[0], &l[1], tm->lo + 2 * y);
        l[1] = vf_sub(vf_add(l[1], l[1]), l[0]); /* X = 2: 2 M(1) - M(0) */
        if (tm->hi) {
            vf_load_pairs(&h[0], &h[1], tm->hi + 2 * y);
            h[1] = vf_sub(vf_add(h[1], h[1]), h[0]);
        }
        for (int x = 0; x < 2; x++) {
            el[x] = vk_add(el[x], vk_mul_f(e, l[x]));
            if (tm->hi) eh[x] = vk_add(eh[x], vk_mul_f(e, h[x]));
            if (norm) {
                sq[x][0] = vf_add(sq[x][0], vf_mul(l[x], l[x]));
                sq[x][1] = vf_add(sq[x][1], vf_mul(l[x], h[x]));
                sq[x][2] = vf_add(sq[x][2], vf_mul(h[x], h[x]));
                sq[x][3] = vf_add(sq[x][3], l[x]);
                sq[x][4] = vf_add(sq[x][4], h[x]);
            }
        }
    }
    for (int x = 0; x < 2; x++) {
        out[x] = ke_add(vk_hsum(el[x]), ke_mul(g, vk_hsum(eh[x])));
        fe_t S[5];
        for (int i = 0; i < 5; i++) S[i] = vf_hsum(sq[x][i]);
        ke_t inner = ke_add(ke_mul_fe(g, fe_add(S[1], S[1])), ke_mul_fe(ke_mul(g, g), S[2])); /* 2g S_lh + g^2 S_hh */
        ke_t lin = ke_add_fe(ke_mul_fe(g, S[4]), S[3]);                                    /* S_l + g S_h */
        out[2 + x] = norm ? ke_add(ke_add_fe(inner, S[0]), ke_mul(g3, lin)) : ke_zero();
    }
}

FTI_AVX static void sums_later_avx512(ke_t out[4], const term *tm, ke_t g3, size_t y0, size_t y8, int norm) {
    vk em[2] = {vk_zero(), vk_zero()}, sq[2] = {vk_zero(), vk_zero()}, sm[2] = {vk_zero(), vk_zero()};
    for (size_t y = y0; y < y8; y += 8) {
        vk e = vk_load(tm->E + y), m[2];
        vk_load_pairs(&m[0], &m[1], tm->M + 2 * y);
        m[1] = vk_sub(vk_add(m[1], m[1]), m[0]);
        for (int x = 0; x < 2; x++) {
            em[x] = vk_add(em[x], vk_mul(e, m[x]));
            if (norm) {
                sq[x] = vk_add(sq[x], vk_sqr(m[x]));
                sm[x] = vk_add(sm[x], m[x]);
            }
        }
    }
    for (int x = 0; x < 2; x++) {
        out[x] = vk_hsum(em[x]);
        out[2 + x] = norm ? ke_add(vk_hsum(sq[x]), ke_mul(g3, vk_hsum(sm[x]))) : ke_zero();
    }
}

/* m0 + r (m1 - m0) = l0 + g h0 + r (l1 - l0) + (r g)(h1 - h0): K x F products only. */
FTI_AVX static void bind_base_avx512(ke_t *dst, const term *tm, ke_t g, ke_t r, size_t y0, size_t y1) {
    size_t y8 = y0 + ((y1 - y0) & ~(size_t)7);
    vk vr = vk_set1(r), vg = vk_set1(g), vrg = vk_set1(ke_mul(r, g));
    for (size_t y = y0; y < y8; y += 8) {
        vf l0, l1;
        vf_load_pairs(&l0, &l1, tm->lo + 2 * y);
        vk m = vk_add(vk_from_f(l0), vk_mul_f(vr, vf_sub(l1, l0)));
        if (tm->hi) {
            vf h0, h1;
            vf_load_pairs(&h0, &h1, tm->hi + 2 * y);
            m = vk_add(m, vk_add(vk_mul_f(vg, h0), vk_mul_f(vrg, vf_sub(h1, h0))));
        }
        vk_store(dst + y, m);
    }
    bind_base_scalar(dst, tm, g, r, y8, y1);
}

#endif

static void chunk_sums(ke_t out[4], const term *tm, ke_t g, ke_t g3, size_t y0, size_t y1, int first, int norm,
                       int simd) {
#if FTI_HAVE_AVX512
    if (simd) {
        size_t y8 = y0 + ((y1 - y0) & ~(size_t)7);
        ke_t tail[4];
        if (first)
            sums_first_avx512(out, tm, g, g3, y0, y8, norm);
        else
            sums_later_avx512(out, tm, g3, y0, y8, norm);
        sums_scalar(tail, tm, g, g3, y8, y1, first, norm);
        for (int k = 0; k < 4; k++) out[k] = ke_add(out[k], tail[k]);
        return;
    }
#endif
    (void)simd;
    sums_scalar(out, tm, g, g3, y0, y1, first, norm);
}

static void bind_base(ke_t *dst, const term *tm, ke_t g, ke_t r, size_t y0, size_t y1, int simd) {
#if FTI_HAVE_AVX512
    if (simd) {
        bind_base_avx512(dst, tm, g, r, y0, y1);
        return;
    }
#endif
    (void)simd;
    bind_base_scalar(dst, tm, g, r, y0, y1);
}

/* The sums of chunk_sums over all pairs: fixed chunks, added in order. */
static void term_sums(ke_t e[2], ke_t q[2], const term *tm, ke_t g, ke_t g3, size_t half, int first) {
    ke_t part[CHUNKS][4];
    size_t chunk = (half + CHUNKS - 1) / CHUNKS;
    int norm = !ke_is_zero(tm->gamma), simd = fti_simd_avx512();
#pragma omp parallel for schedule(static) if (half >= 2048)
    for (int c = 0; c < CHUNKS; c++) {
        size_t lo = (size_t)c * chunk, hi = lo + chunk < half ? lo + chunk : half;
        chunk_sums(part[c], tm, g, g3, lo, lo < hi ? hi : lo, first, norm, simd);
    }
    e[0] = e[1] = q[0] = q[1] = ke_zero();
    for (int c = 0; c < CHUNKS; c++) {
        e[0] = ke_add(e[0], part[c][0]);
        e[1] = ke_add(e[1], part[c][1]);
        q[0] = ke_add(q[0], part[c][2]);
        q[1] = ke_add(q[1], part[c][3]);
    }
}

static fti_status term_round(term *tm, unsigned j, const coeffs *cf, ke_t out[3]) {
    if (j < tm->t) { /* (1 - X) S: g(0) = S, g(1) = 0, g(2) = -S */
        ke_t ps = ke_mul(tm->pref, tm->S);
        out[0] = ke_add(out[0], ps);
        out[2] = ke_sub(out[2], ps);
        return FTI_OK;
    }
    unsigned l = j - tm->t;
    size_t half = (size_t)1 << (tm->n - l - 1);
    if (l == 0) { /* E = eq(rho_(>=1), .) */
        if (!(tm->E = malloc(half * sizeof(ke_t)))) return fti_fail(FTI_ERR_NOMEM, "out of memory");
        fti_eq_table(tm->E, tm->rho + 1, tm->n - 1);
    }
    ke_t e[2], q[2], w[3];
    term_sums(e, q, tm, cf->g, cf->g3, half, l == 0);
    pcs_eq1_at012(w, tm->rho[l]);
    ke_t bc = ke_mul(tm->beta, tm->c);
    tm->msg[0] = ke_add(ke_mul(bc, ke_mul(w[0], e[0])), ke_mul(tm->gamma, q[0]));
    tm->msg[1] = ke_sub(tm->S, tm->msg[0]); /* msg(0) + msg(1) = S */
    tm->msg[2] = ke_add(ke_mul(bc, ke_mul(w[2], e[1])), ke_mul(tm->gamma, q[1]));
    for (int x = 0; x < 3; x++) out[x] = ke_add(out[x], ke_mul(tm->pref, tm->msg[x]));
    return FTI_OK;
}

static fti_status term_bind(term *tm, unsigned j, ke_t r, ke_t g) {
    if (j < tm->t) {
        tm->pref = ke_mul(tm->pref, ke_sub(ke_one(), r));
        return FTI_OK;
    }
    unsigned l = j - tm->t;
    size_t half = (size_t)1 << (tm->n - l - 1);
    tm->S = pcs_interp2(tm->msg, r);
    tm->c = ke_mul(tm->c, pcs_eq1(tm->rho[l], r));
    if (l > 0) { /* M and E shrink in place */
        pcs_fold_lin_inplace(tm->M, r, half);
        pcs_sum_pairs_inplace(tm->E, half / 2);
        return FTI_OK;
    }
    if (!(tm->M = malloc(half * sizeof(ke_t)))) return fti_fail(FTI_ERR_NOMEM, "out of memory");
    int simd = fti_simd_avx512();
#pragma omp parallel for schedule(static) if (half > PCS_BLOCK)
    for (size_t y = 0; y < half; y += PCS_BLOCK) bind_base(tm->M, tm, g, r, y, half - y < PCS_BLOCK ? half : y + PCS_BLOCK, simd);
    pcs_sum_pairs_inplace(tm->E, half / 2);
    return FTI_OK;
}

fti_status block_sc_prove(ke_t *rounds, ke_t *r, ke_t *finals, fti_transcript *t, const block_sc_statement *s,
                          const fe_t *const *tables) {
    size_t nt = s->n_units + 1;
    term *tm = calloc(nt, sizeof *tm);
    coeffs cf = {0};
    fti_status st = FTI_OK;
    if (!tm || !draw(&cf, t, s)) {
        st = fti_fail(FTI_ERR_NOMEM, "out of memory");
        goto out;
    }
    for (size_t u = 0; u < nt; u++) {
        int is_m = u == s->n_units;
        unsigned n = is_m ? 16 : s->n_vars[u];
        tm[u] = (term){n, s->n - n, tables[2 * u], is_m ? NULL : tables[2 * u + 1], is_m ? s->rho_m : s->rho[u],
                       is_m ? cf.beta_m : cf.beta[u], is_m ? ke_zero() : cf.gamma[u],
                       is_m ? ke_mul(cf.beta_m, s->c_m) : unit_total(s, &cf, u), ke_one(), ke_one(), NULL, NULL, {{{0}}}};
    }
    for (unsigned j = 0; j < s->n; j++) {
        ke_t *g = rounds + 3 * (size_t)j;
        g[0] = g[1] = g[2] = ke_zero();
        for (size_t u = 0; u < nt && st == FTI_OK; u++) st = term_round(&tm[u], j, &cf, g);
        if (st != FTI_OK) goto out;
        fti_transcript_absorb_kes(t, "commit/round", g, 3);
        r[j] = fti_transcript_challenge_ke(t, "commit/challenge");
        for (size_t u = 0; u < nt && st == FTI_OK; u++) st = term_bind(&tm[u], j, r[j], cf.g);
        if (st != FTI_OK) goto out;
    }
    for (size_t u = 0; u < s->n_units; u++) {
        const ke_t *pt = r + (s->n - s->n_vars[u]);
        finals[2 * u] = fti_mle_eval_fe(tables[2 * u], s->n_vars[u], pt);
        finals[2 * u + 1] = fti_mle_eval_fe(tables[2 * u + 1], s->n_vars[u], pt);
        /* the prover's own check: the folded M must be lo + g hi at the point */
        ke_t m = s->n_vars[u] ? tm[u].M[0] : base_M(&tm[u], cf.g, 0);
        if (!ke_eq(m, ke_add(finals[2 * u], ke_mul(cf.g, finals[2 * u + 1])))) {
            st = fti_fail(FTI_ERR_INTERNAL, "block sum-check: folded tables disagree");
            goto out;
        }
    }
    finals[2 * s->n_units] = fti_mle_eval_fe(tables[2 * s->n_units], 16, r + (s->n - 16));
    fti_transcript_absorb_kes(t, "commit/final", finals, 2 * s->n_units + 1);
out:
    if (tm)
        for (size_t u = 0; u < nt; u++) {
            free(tm[u].M);
            free(tm[u].E);
        }
    free(tm);
    coeffs_free(&cf);
    return st;
}

/* ---- verifier ---- */

/* prod_{j < t} (1 - r_j) */
static ke_t leading(const ke_t *r, unsigned t) {
    ke_t p = ke_one();
    for (unsigned j = 0; j < t; j++) p = ke_mul(p, ke_sub(ke_one(), r[j]));
    return p;
}

int block_sc_verify(ke_t *r, fti_transcript *t, const block_sc_statement *s, const ke_t *rounds, const ke_t *finals) {
    coeffs cf = {0};
    int ok = 0;
    if (!draw(&cf, t, s)) goto out;
    ke_t claim = ke_mul(cf.beta_m, s->c_m);
    for (size_t u = 0; u < s->n_units; u++) claim = ke_add(claim, unit_total(s, &cf, u));
    for (unsigned j = 0; j < s->n; j++) {
        const ke_t *g = rounds + 3 * (size_t)j;
        fti_transcript_absorb_kes(t, "commit/round", g, 3);
        r[j] = fti_transcript_challenge_ke(t, "commit/challenge");
        if (!ke_eq(ke_add(g[0], g[1]), claim)) goto out;
        claim = pcs_interp2(g, r[j]);
    }
    fti_transcript_absorb_kes(t, "commit/final", finals, 2 * s->n_units + 1);
    ke_t expect = ke_zero();
    for (size_t u = 0; u < s->n_units; u++) {
        unsigned n = s->n_vars[u];
        const ke_t *pt = r + (s->n - n);
        ke_t M = ke_add(finals[2 * u], ke_mul(cf.g, finals[2 * u + 1]));
        ke_t term_v = ke_add(ke_mul(cf.beta[u], ke_mul(fti_eq_eval(s->rho[u], pt, n), M)),
                             ke_mul(cf.gamma[u], ke_mul(M, ke_add(M, cf.g3))));
        expect = ke_add(expect, ke_mul(leading(r, s->n - n), term_v));
    }
    const ke_t *pm = r + (s->n - 16);
    expect = ke_add(expect, ke_mul(leading(r, s->n - 16),
                                   ke_mul(cf.beta_m, ke_mul(fti_eq_eval(s->rho_m, pm, 16), finals[2 * s->n_units]))));
    ok = ke_eq(expect, claim);
out:
    coeffs_free(&cf);
    return ok;
}
