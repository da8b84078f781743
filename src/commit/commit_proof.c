/* Range and norm proofs of a committed block (see commit_proof.h). */
#include "commit/commit_proof.h"

#include <stdlib.h>

#include "logup/logup.h"
#include "sumcheck/sumcheck.h"
#include "util/buf.h"
#include "util/error.h"

void ftic_limb_sums(uint64_t sums[5], const fe_t *lo, const fe_t *hi, unsigned n) {
    /* each term < 2^32 and at most 2^30 entries: every sum < 2^62, exact in 64 bits */
    uint64_t s[5] = {0, 0, 0, 0, 0};
    size_t len = (size_t)1 << n;
#pragma omp parallel for schedule(static) reduction(+ : s[:5]) if (len >= 65536)
    for (size_t x = 0; x < len; x++) {
        uint64_t l = lo[x], h = hi[x];
        s[0] += l * l;
        s[1] += l * h;
        s[2] += h * h;
        s[3] += l;
        s[4] += h;
    }
    memcpy(sums, s, sizeof s);
}

static void absorb_block(fti_transcript *t, const ftic *c, size_t b) {
    const ftic_block *bl = &c->blocks[b];
    fti_transcript_init(t, "fti/commitment-block/v1");
    uint64_t hdr[2] = {c->pp->id, (uint64_t)c->kind};
    fti_transcript_absorb(t, "header", hdr, sizeof hdr);
    fti_transcript_absorb_digest(t, "base-id", &c->base_id);
    fti_transcript_absorb(t, "label", bl->label, strlen(bl->label));
    for (uint32_t i = 0; i < bl->n_units; i++) {
        const ftic_unit *u = &c->units[bl->first_unit + i];
        fti_transcript_absorb_u64(t, "unit-vars", ftic_unit_vars(u));
        fti_transcript_absorb(t, "unit-sums", u->sums, sizeof u->sums);
    }
    fti_transcript_absorb_digest(t, "root", &bl->root);
}

/* The norm composite lo^2 + g lo hi + g^2 hi^2 + g^3 lo + g^4 hi over tables (lo, hi). */
static void norm_composite(fti_sc_term terms[5], fti_sc_composite *comp, ke_t g) {
    ke_t g2 = ke_mul(g, g), g3 = ke_mul(g2, g), g4 = ke_mul(g3, g);
    terms[0] = (fti_sc_term){ke_one(), 2, {0, 0}};
    terms[1] = (fti_sc_term){g, 2, {0, 1}};
    terms[2] = (fti_sc_term){g2, 2, {1, 1}};
    terms[3] = (fti_sc_term){g3, 1, {0}};
    terms[4] = (fti_sc_term){g4, 1, {1}};
    *comp = (fti_sc_composite){2, 5, terms};
}

static ke_t norm_claim(const uint64_t s[5], ke_t g) {
    ke_t acc = ke_zero(), pw = ke_one();
    for (int k = 0; k < 5; k++) {
        acc = ke_add(acc, ke_mul_fe(pw, fe_from_u64(s[k])));
        pw = ke_mul(pw, g);
    }
    return acc;
}

/* Claims of one block: the LogUp claims (columns, then m) and per unit lo(rho), hi(rho). */
typedef struct {
    size_t n;
    fti_pcs_claim *claims;
    ke_t *points; /* norm points, n_units * 30 */
} claim_list;

static fti_status claims_init(claim_list *cl, size_t n_units) {
    cl->n = 0;
    cl->claims = calloc(4 * n_units + 2, sizeof *cl->claims);
    cl->points = calloc(n_units * FTIC_MAX_UNIT_VARS + 1, sizeof *cl->points);
    if (!cl->claims || !cl->points) return fti_fail(FTI_ERR_NOMEM, "out of memory");
    return FTI_OK;
}

static void claims_free(claim_list *cl) {
    free(cl->claims);
    free(cl->points);
}

static void add_logup_claims(claim_list *cl, const fti_logup_claims *lc) {
    for (size_t j = 0; j < lc->n_cols; j++)
        cl->claims[cl->n++] = (fti_pcs_claim){0, (unsigned)j, lc->points[j], lc->values[j]};
    cl->claims[cl->n++] = (fti_pcs_claim){0, (unsigned)lc->n_cols, lc->m_point, lc->m_value};
}

static fti_status prove_norms(fti_wbuf *w, claim_list *cl, fti_transcript *t, const ftic *c, size_t b,
                              const fe_t *const *tables) {
    const ftic_block *bl = &c->blocks[b];
    for (uint32_t i = 0; i < bl->n_units; i++) {
        const ftic_unit *u = &c->units[bl->first_unit + i];
        unsigned n = ftic_unit_vars(u);
        fti_sc_term terms[5];
        fti_sc_composite comp;
        ke_t g = fti_transcript_challenge_ke(t, "norm/g"), fin[2];
        norm_composite(terms, &comp, g);
        fti_sc_table tab[2] = {{tables[2 * i], NULL}, {tables[2 * i + 1], NULL}};
        ke_t *pt = cl->points + (size_t)i * FTIC_MAX_UNIT_VARS;
        fti_arena arena;
        fti_sc_proof sp;
        fti_status st = fti_arena_init(&arena, fti_sc_scratch_size(&comp, tab, n));
        if (st != FTI_OK) return st;
        st = fti_sc_prove(&sp, pt, fin, &arena, t, &comp, tab, n);
        if (st == FTI_OK) {
            fti_wbuf_kes(w, sp.evals, 3 * (size_t)n);
            fti_wbuf_kes(w, fin, 2);
            fti_transcript_absorb_kes(t, "norm/final", fin, 2);
            cl->claims[cl->n++] = (fti_pcs_claim){0, 2 * i, pt, fin[0]};
            cl->claims[cl->n++] = (fti_pcs_claim){0, 2 * i + 1, pt, fin[1]};
        }
        fti_arena_free(&arena);
        if (st != FTI_OK) return st;
    }
    return FTI_OK;
}

fti_status ftic_block_prove(ftic *c, size_t b, const fe_t *const *tables, fti_pcs_commitment *pc) {
    const ftic_block *bl = &c->blocks[b];
    size_t nu = bl->n_units, ncols = 2 * nu;
    unsigned *nv = malloc((ncols + 1) * sizeof *nv);
    fti_transcript t;
    fti_wbuf w;
    fti_logup_proof lp;
    fti_logup_claims lc;
    fti_pcs_proof pp;
    claim_list cl = {0, NULL, NULL};
    fti_status st;
    memset(&lp, 0, sizeof lp);
    memset(&lc, 0, sizeof lc);
    memset(&pp, 0, sizeof pp);
    fti_wbuf_init(&w);
    if (!nv) return fti_fail(FTI_ERR_NOMEM, "out of memory");
    fti_pcs_shape shape;
    ftic_block_shape(&shape, nv, c, b);
    if ((st = claims_init(&cl, nu)) != FTI_OK) goto out;
    absorb_block(&t, c, b);
    ke_t alpha = fti_transcript_challenge_ke(&t, "logup/alpha");
    fti_logup_columns cols = {ncols, nv, tables};
    if ((st = fti_logup_prove(&lp, &lc, &t, &cols, tables[ncols], alpha)) != FTI_OK) goto out;
    fti_logup_proof_write(&w, &lp);
    add_logup_claims(&cl, &lc);
    if ((st = prove_norms(&w, &cl, &t, c, b, tables)) != FTI_OK) goto out;
    fti_pcs_commitment *pcs[1] = {pc};
    if ((st = fti_pcs_open(&pp, &t, c->pp, pcs, 1, cl.claims, cl.n)) != FTI_OK) goto out;
    fti_pcs_proof_write(&w, &pp);
    if (w.oom) {
        st = fti_fail(FTI_ERR_NOMEM, "out of memory");
        goto out;
    }
    free(c->proofs[b]);
    c->proofs[b] = w.data;
    c->proof_len[b] = w.len;
    w.data = NULL;
out:
    fti_wbuf_free(&w);
    fti_logup_proof_free(&lp);
    fti_logup_claims_free(&lc);
    fti_pcs_proof_free(&pp);
    claims_free(&cl);
    free(nv);
    return st;
}

/* Reads and checks the norm sum-checks; adds their claims. 0 to reject. */
static int verify_norms(fti_rbuf *r, claim_list *cl, fti_transcript *t, const ftic *c, size_t b) {
    const ftic_block *bl = &c->blocks[b];
    ke_t evals[3 * FTIC_MAX_UNIT_VARS];
    for (uint32_t i = 0; i < bl->n_units; i++) {
        const ftic_unit *u = &c->units[bl->first_unit + i];
        unsigned n = ftic_unit_vars(u);
        fti_sc_term terms[5];
        fti_sc_composite comp;
        ke_t g = fti_transcript_challenge_ke(t, "norm/g"), fin[2], final_claim;
        norm_composite(terms, &comp, g);
        fti_rbuf_kes(r, evals, 3 * (size_t)n);
        fti_rbuf_kes(r, fin, 2);
        if (r->bad) return 0;
        ke_t *pt = cl->points + (size_t)i * FTIC_MAX_UNIT_VARS;
        fti_sc_proof sp = {n, 2, evals};
        int ok = 0;
        fti_sc_verify(&ok, pt, &final_claim, t, n, 2, norm_claim(u->sums, g), &sp);
        if (!ok || !ke_eq(final_claim, fti_sc_eval(&comp, fin))) return 0;
        fti_transcript_absorb_kes(t, "norm/final", fin, 2);
        cl->claims[cl->n++] = (fti_pcs_claim){0, 2 * i, pt, fin[0]};
        cl->claims[cl->n++] = (fti_pcs_claim){0, 2 * i + 1, pt, fin[1]};
    }
    return 1;
}

fti_status ftic_block_verify(int *ok, const ftic *c, size_t b) {
    const ftic_block *bl = &c->blocks[b];
    size_t nu = bl->n_units, ncols = 2 * nu;
    unsigned *nv = malloc((ncols + 1) * sizeof *nv);
    fti_transcript t;
    fti_rbuf r;
    fti_logup_proof lp;
    fti_logup_claims lc;
    fti_pcs_proof pp;
    claim_list cl = {0, NULL, NULL};
    fti_status st;
    int lok = 0;
    *ok = 0;
    memset(&lp, 0, sizeof lp);
    memset(&lc, 0, sizeof lc);
    memset(&pp, 0, sizeof pp);
    if (!nv) return fti_fail(FTI_ERR_NOMEM, "out of memory");
    fti_pcs_shape shape;
    ftic_block_shape(&shape, nv, c, b);
    if ((st = claims_init(&cl, nu)) != FTI_OK) goto out;
    fti_rbuf_init(&r, c->proofs[b], c->proof_len[b]);
    absorb_block(&t, c, b);
    ke_t alpha = fti_transcript_challenge_ke(&t, "logup/alpha");
    fti_logup_columns cols = {ncols, nv, NULL};
    if (fti_logup_proof_read(&lp, &r, &cols) != FTI_OK) goto out; /* malformed: reject */
    if ((st = fti_logup_verify(&lok, &lc, &t, &cols, alpha, &lp)) != FTI_OK || !lok) goto out;
    add_logup_claims(&cl, &lc);
    if (!verify_norms(&r, &cl, &t, c, b)) goto out;
    fti_pcs_public pub = {bl->root, shape};
    if (fti_pcs_proof_read(&pp, &r, c->pp, &pub, 1, cl.claims, cl.n) != FTI_OK) goto out;
    if (fti_rbuf_remaining(&r) != 0) goto out;
    st = fti_pcs_verify(ok, &t, c->pp, &pub, 1, cl.claims, cl.n, &pp);
out:
    fti_logup_proof_free(&lp);
    fti_logup_claims_free(&lc);
    fti_pcs_proof_free(&pp);
    claims_free(&cl);
    free(nv);
    fti_clear_error();
    return st == FTI_ERR_NOMEM ? st : FTI_OK;
}
