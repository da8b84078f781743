/* Range and norm proofs of a committed block (see commit_proof.h). */
#include "commit/commit_proof.h"

#include <stdlib.h>

#include "commit/block_sc.h"
#include "logup/logup.h"
#include "util/buf.h"
#include "util/error.h"
#include "util/timing.h"

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

/* Everything one block's proof needs besides the transcript. */
typedef struct {
    size_t nu;
    unsigned *nv;        /* per polynomial: 2 per unit, then 16 (m) */
    uint64_t (*sums)[5];
    ke_t *a, *b;         /* LogUp claims per unit: lo(rho), hi(rho) */
    ke_t *rounds, *r, *finals;
    fti_pcs_claim *claims;
    size_t n_claims;
    block_sc_statement s;
    const ke_t **rho;
} block_ctx;

static fti_status ctx_init(block_ctx *x, const ftic *c, size_t b) {
    const ftic_block *bl = &c->blocks[b];
    memset(x, 0, sizeof *x);
    x->nu = bl->n_units;
    x->nv = malloc((2 * x->nu + 1) * sizeof *x->nv);
    x->sums = malloc((x->nu + 1) * sizeof *x->sums);
    x->a = calloc(x->nu + 1, sizeof *x->a);
    x->b = calloc(x->nu + 1, sizeof *x->b);
    x->rho = calloc(x->nu + 1, sizeof *x->rho);
    x->claims = calloc(2 * x->nu + 1, sizeof *x->claims);
    if (!x->nv || !x->sums || !x->a || !x->b || !x->rho || !x->claims) return fti_fail(FTI_ERR_NOMEM, "out of memory");
    fti_pcs_shape shape;
    ftic_block_shape(&shape, x->nv, c, b);
    unsigned n = FTIC_TABLE_VARS;
    for (size_t i = 0; i < x->nu; i++) {
        memcpy(x->sums[i], c->units[bl->first_unit + i].sums, sizeof x->sums[i]);
        if (x->nv[2 * i] > n) n = x->nv[2 * i];
    }
    x->rounds = calloc(3 * (size_t)n + 1, sizeof *x->rounds);
    x->r = calloc(n + 1, sizeof *x->r);
    x->finals = calloc(2 * x->nu + 1, sizeof *x->finals);
    if (!x->rounds || !x->r || !x->finals) return fti_fail(FTI_ERR_NOMEM, "out of memory");
    x->s.n = n;
    return FTI_OK;
}

static void ctx_free(block_ctx *x) {
    free(x->nv);
    free(x->sums);
    free(x->a);
    free(x->b);
    free(x->rho);
    free(x->claims);
    free(x->rounds);
    free(x->r);
    free(x->finals);
}

/* The block sum-check's statement from the LogUp claims (column 2i is lo, 2i+1 hi of unit i). */
static void statement_from_logup(block_ctx *x, const fti_logup_claims *lc) {
    for (size_t i = 0; i < x->nu; i++) {
        x->rho[i] = lc->points[2 * i];
        x->a[i] = lc->values[2 * i];
        x->b[i] = lc->values[2 * i + 1]; /* lo and hi have one size, hence one LogUp point */
    }
    x->s.n_units = x->nu;
    x->s.rho = x->rho;
    x->s.a = x->a;
    x->s.b = x->b;
    x->s.sums = (const uint64_t(*)[5])x->sums;
    x->s.rho_m = lc->m_point;
    x->s.c_m = lc->m_value;
}

/* The PCS claims: every polynomial at its suffix of the block sum-check's point. */
static void final_claims(block_ctx *x) {
    x->n_claims = 0;
    for (size_t i = 0; i < x->nu; i++) {
        const ke_t *pt = x->r + (x->s.n - x->nv[2 * i]);
        x->claims[x->n_claims++] = (fti_pcs_claim){0, (unsigned)(2 * i), pt, x->finals[2 * i]};
        x->claims[x->n_claims++] = (fti_pcs_claim){0, (unsigned)(2 * i + 1), pt, x->finals[2 * i + 1]};
    }
    x->claims[x->n_claims++] = (fti_pcs_claim){0, (unsigned)(2 * x->nu), x->r + (x->s.n - FTIC_TABLE_VARS),
                                               x->finals[2 * x->nu]};
}

/* Unit sizes for the block sum-check (one per unit). */
static unsigned *unit_vars(const block_ctx *x) {
    unsigned *v = malloc((x->nu + 1) * sizeof *v);
    if (v)
        for (size_t i = 0; i < x->nu; i++) v[i] = x->nv[2 * i];
    return v;
}

fti_status ftic_block_prove(ftic *c, size_t b, const fe_t *const *tables, fti_pcs_commitment *pc) {
    block_ctx x;
    fti_transcript t;
    fti_wbuf w;
    fti_logup_proof lp;
    fti_logup_claims lc;
    fti_pcs_proof pp;
    unsigned *uv = NULL;
    fti_status st;
    memset(&lp, 0, sizeof lp);
    memset(&lc, 0, sizeof lc);
    memset(&pp, 0, sizeof pp);
    fti_wbuf_init(&w);
    if ((st = ctx_init(&x, c, b)) != FTI_OK) goto out;
    absorb_block(&t, c, b);
    ke_t alpha = fti_transcript_challenge_ke(&t, "logup/alpha");
    fti_logup_columns cols = {2 * x.nu, x.nv, tables};
    FTI_TIMED("commit/logup", st = fti_logup_prove(&lp, &lc, &t, &cols, tables[2 * x.nu], alpha));
    if (st != FTI_OK) goto out;
    fti_logup_proof_write(&w, &lp);
    statement_from_logup(&x, &lc);
    if (!(uv = unit_vars(&x))) {
        st = fti_fail(FTI_ERR_NOMEM, "out of memory");
        goto out;
    }
    x.s.n_vars = uv;
    FTI_TIMED("commit/block-sumcheck", st = block_sc_prove(x.rounds, x.r, x.finals, &t, &x.s, tables));
    if (st != FTI_OK) goto out;
    fti_wbuf_kes(&w, x.rounds, 3 * (size_t)x.s.n);
    fti_wbuf_kes(&w, x.finals, 2 * x.nu + 1);
    final_claims(&x);
    fti_pcs_commitment *pcs[1] = {pc};
    FTI_TIMED("commit/pcs-open", st = fti_pcs_open(&pp, &t, c->pp, pcs, 1, x.claims, x.n_claims));
    if (st != FTI_OK) goto out;
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
    ctx_free(&x);
    free(uv);
    return st;
}

fti_status ftic_block_verify(int *ok, const ftic *c, size_t b) {
    const ftic_block *bl = &c->blocks[b];
    block_ctx x;
    fti_transcript t;
    fti_rbuf r;
    fti_logup_proof lp;
    fti_logup_claims lc;
    fti_pcs_proof pp;
    unsigned *uv = NULL;
    fti_status st;
    int lok = 0;
    *ok = 0;
    memset(&lp, 0, sizeof lp);
    memset(&lc, 0, sizeof lc);
    memset(&pp, 0, sizeof pp);
    if ((st = ctx_init(&x, c, b)) != FTI_OK) goto out;
    fti_rbuf_init(&r, c->proofs[b], c->proof_len[b]);
    absorb_block(&t, c, b);
    ke_t alpha = fti_transcript_challenge_ke(&t, "logup/alpha");
    fti_logup_columns cols = {2 * x.nu, x.nv, NULL};
    if (fti_logup_proof_read(&lp, &r, &cols) != FTI_OK) goto out; /* malformed: reject */
    if ((st = fti_logup_verify(&lok, &lc, &t, &cols, alpha, &lp)) != FTI_OK || !lok) goto out;
    statement_from_logup(&x, &lc);
    if (!(uv = unit_vars(&x))) {
        st = fti_fail(FTI_ERR_NOMEM, "out of memory");
        goto out;
    }
    x.s.n_vars = uv;
    fti_rbuf_kes(&r, x.rounds, 3 * (size_t)x.s.n);
    fti_rbuf_kes(&r, x.finals, 2 * x.nu + 1);
    if (r.bad || !block_sc_verify(x.r, &t, &x.s, x.rounds, x.finals)) goto out;
    final_claims(&x);
    fti_pcs_shape shape;
    ftic_block_shape(&shape, x.nv, c, b);
    fti_pcs_public pub = {bl->root, shape};
    if (fti_pcs_proof_read(&pp, &r, c->pp, &pub, 1, x.claims, x.n_claims) != FTI_OK) goto out;
    if (fti_rbuf_remaining(&r) != 0) goto out;
    st = fti_pcs_verify(ok, &t, c->pp, &pub, 1, x.claims, x.n_claims, &pp);
out:
    fti_logup_proof_free(&lp);
    fti_logup_claims_free(&lc);
    fti_pcs_proof_free(&pp);
    ctx_free(&x);
    free(uv);
    if (st != FTI_ERR_NOMEM) {
        fti_clear_error();
        st = FTI_OK;
    }
    return st;
}
