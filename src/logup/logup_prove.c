/* The LogUp-GKR prover: builds the trees, then reduces layer after layer (logup.h). */
#include <stdlib.h>
#include <string.h>

#include "logup/logup_arith.h"
#include "logup/logup_prover.h"
#include "sumcheck/sumcheck.h"
#include "util/error.h"

typedef struct {
    const fti_logup_columns *cols;
    const logup_cheat *cheat;
    fti_transcript *t;
    fti_logup_proof *proof;
    fti_logup_claims *claims;
    size_t n_trees;
    logup_tree *trees;
    logup_consts k;
    ke_t *rho;           /* the current layer's point r_i (i elements) */
    ke_t *s;             /* the current layer's sum-check challenges */
    ke_t *beta;          /* per alive tree */
    ke_t *eq_lo, *eq_hi; /* eq weights of a round */
} prover;

/* ---- setup ---- */

static void tree_free(logup_tree *tr) {
    free(tr->block);
    tr->block = NULL;
    for (unsigned l = 0; l <= LOGUP_MAX_VARS; l++) tr->lp[l] = tr->lq[l] = NULL;
}

static fti_status tree_alloc(logup_tree *tr) {
    tr->block_len = logup_block_len(tr->depth, tr->col != NULL);
    if (tr->block_len && !(tr->block = malloc(tr->block_len * sizeof(ke_t))))
        return fti_fail(FTI_ERR_NOMEM, "logup: out of memory for a tree of depth %u", tr->depth);
    logup_tree_layout(tr);
    return FTI_OK;
}

/* The table's leaves (-m(v), alpha - v). */
static void table_leaves(logup_tree *tr, const fe_t *m, ke_t alpha) {
    for (size_t v = 0; v < ((size_t)1 << FTI_LOGUP_TABLE_BITS); v++) {
        tr->lp[tr->depth][v] = ke_from_fe(fe_neg(m[v]));
        tr->lq[tr->depth][v] = ke_sub(alpha, ke_from_fe((fe_t)v));
    }
}

static fti_status setup_trees(prover *P, const fe_t *m, ke_t alpha) {
    const fti_logup_columns *cols = P->cols;
    const logup_cheat *ch = P->cheat;
    P->trees = calloc(P->n_trees, sizeof(logup_tree));
    if (!P->trees) return fti_fail(FTI_ERR_NOMEM, "logup: out of memory");
    for (size_t j = 0; j < P->n_trees; j++) {
        logup_tree *tr = &P->trees[j];
        int explicit_leaves = j < cols->n_cols && ch && ch->leaves_p && ch->leaves_p[j];
        tr->depth = logup_tree_depth(cols, j);
        tr->col = j < cols->n_cols && !explicit_leaves ? cols->cols[j] : NULL;
        fti_status s = tree_alloc(tr);
        if (s != FTI_OK) return s;
        if (j == cols->n_cols) {
            table_leaves(tr, m, alpha);
        } else if (explicit_leaves) { /* a test's cheating leaves */
            memcpy(tr->lp[tr->depth], ch->leaves_p[j], sizeof(ke_t) << tr->depth);
            memcpy(tr->lq[tr->depth], ch->leaves_q[j], sizeof(ke_t) << tr->depth);
        }
        logup_tree_build(tr, &P->k);
    }
    return FTI_OK;
}

static fti_status alloc_scratch(prover *P, unsigned depth) {
    size_t eq_n = (size_t)1 << ((depth + 1) / 2);
    P->rho = malloc((depth + 1) * sizeof(ke_t));
    P->s = malloc((depth + 1) * sizeof(ke_t));
    P->beta = malloc(P->n_trees * sizeof(ke_t));
    P->eq_lo = malloc(eq_n * sizeof(ke_t));
    P->eq_hi = malloc(eq_n * sizeof(ke_t));
    if (!P->rho || !P->s || !P->beta || !P->eq_lo || !P->eq_hi)
        return fti_fail(FTI_ERR_NOMEM, "logup: out of memory");
    return FTI_OK;
}

static void prover_free(prover *P) {
    if (P->trees)
        for (size_t j = 0; j < P->n_trees; j++) tree_free(&P->trees[j]);
    free(P->trees);
    free(P->rho);
    free(P->s);
    free(P->beta);
    free(P->eq_lo);
    free(P->eq_hi);
}

/* ---- roots ---- */

/* The verifier's root checks: every Q_j != 0 and sum_j P_j / Q_j = N / D == 0, accumulated as
 * one fraction (N, D) <- (N Q_j + P_j D, D Q_j): no inversion. */
static int roots_cancel(const ke_t *roots, size_t n_trees) {
    ke_t N = ke_zero(), D = ke_one();
    for (size_t j = 0; j < n_trees; j++) {
        if (ke_is_zero(roots[2 * j + 1])) return 0;
        N = lk_dot2(N, roots[2 * j + 1], roots[2 * j], D);
        D = ke_mul(D, roots[2 * j + 1]);
    }
    return ke_is_zero(N);
}

static fti_status send_roots(prover *P) {
    ke_t *roots = P->proof->roots;
    for (size_t j = 0; j < P->n_trees; j++) {
        roots[2 * j] = P->trees[j].root_p;
        roots[2 * j + 1] = P->trees[j].root_q;
        P->trees[j].a = roots[2 * j];
        P->trees[j].b = roots[2 * j + 1];
    }
    if (!(P->cheat && P->cheat->skip_checks) && !roots_cancel(roots, P->n_trees))
        return fti_fail(FTI_ERR_ARG, "logup: the columns' fractions do not cancel against the table's (an entry "
                                     "outside [0, 2^16), or m is not the columns' multiplicities)");
    logup_absorb_shape(P->t, P->cols);
    fti_transcript_absorb_kes(P->t, LOGUP_LABEL_ROOTS, roots, 2 * P->n_trees);
    return FTI_OK;
}

/* ---- one round of layer i ---- */

/* Round k binds X_{i-1-k}; the pairs' eq weights are over X_0 .. X_{m-1}, m = i-1-k. */
static void round_eq(prover *P, logup_eq *eq, unsigned i, unsigned k) {
    unsigned bits = i - 1 - k, lo_bits = bits / 2;
    fti_eq_table(P->eq_lo, P->rho, lo_bits);                      /* rho_0 .. rho_{L-1} */
    fti_eq_table(P->eq_hi, P->rho + lo_bits, bits - lo_bits);    /* rho_L .. rho_{m-1} */
    eq->lo = P->eq_lo;
    eq->hi = P->eq_hi;
    eq->lo_bits = lo_bits;
    eq->bits = bits;
}

static unsigned n_tables(const logup_tree *tr, unsigned i) {
    return logup_source(tr, i) == LOGUP_SRC_LEAVES ? 2 : 4;
}

/* Where layer i's work tables go: the space of the consumed layers i..1, or the whole block
 * when the children are virtual (every stored layer is consumed by then). */
static ke_t *work_area(const logup_tree *tr, unsigned i) {
    return logup_source(tr, i) == LOGUP_SRC_STORED ? tr->lp[i] : tr->block;
}

/* The column streams of round k <= 1 (see logup_kernels.c): with n = 2^i nodes in layer i,
 * leaves, round 0: Q0 low/high, Q1 low/high (c[0..3]); round 1: the quarters of each half;
 * pairs, round 0: c[4b + 2h + l] = leaf l of child b at the pair's half h; round 1:
 * c[8b + 2q + l] = leaf l of child b in quarter q. Node z of layer d-1 has leaves z, z + 2n. */
static void column_streams(const fe_t **c, const logup_tree *tr, unsigned i, unsigned k, int src) {
    size_t n = (size_t)1 << i;
    if (src == LOGUP_SRC_LEAVES) {
        size_t part = k ? n / 4 : n / 2;
        for (unsigned b = 0; b < 2; b++)
            for (unsigned q = 0; q < (k ? 4u : 2u); q++) c[(k ? 4 : 2) * b + q] = tr->col + b * n + q * part;
        return;
    }
    size_t part = k ? n / 4 : n / 2;
    for (unsigned b = 0; b < 2; b++)
        for (unsigned q = 0; q < (k ? 4u : 2u); q++)
            for (unsigned l = 0; l < 2; l++) c[(k ? 8 : 4) * b + 2 * q + l] = tr->col + b * n + q * part + l * 2 * n;
}

/* Round k's tables: the source (k <= 1) in tb->in / tb->c, the round k-1 tables (k >= 2) in
 * tb->in; the outputs (k >= 1) in A (k odd) or B (k even), 2^(i-k) values per table. */
static logup_kernel round_tables(logup_tables *tb, const logup_tree *tr, unsigned i, unsigned k) {
    size_t n = (size_t)1 << i, len = k ? (size_t)1 << (i - k) : 0;
    unsigned nt = n_tables(tr, i);
    int src = logup_source(tr, i);
    memset(tb, 0, sizeof *tb);
    tb->half = (size_t)1 << (i - 1 - k);
    if (k >= 1) {
        ke_t *area = work_area(tr, i) + (k % 2 ? 0 : (size_t)nt << (i - 1));
        FTI_VERIFY_CHECK(area + nt * len <= tr->block + tr->block_len);
        for (unsigned t = 0; t < nt; t++) tb->out[t] = area + t * len;
    }
    if (k >= 2) {
        for (unsigned t = 0; t < nt; t++) tb->in[t] = tr->cur[t];
        return nt == 2 ? LOGUP_K_QONLY : LOGUP_K_GENERIC;
    }
    if (src == LOGUP_SRC_STORED) {
        const ke_t *in[4] = {tr->lp[i + 1], tr->lp[i + 1] + n, tr->lq[i + 1], tr->lq[i + 1] + n};
        memcpy(tb->in, in, sizeof in);
        return k ? LOGUP_K_STORED1 : LOGUP_K_STORED0;
    }
    column_streams(tb->c, tr, i, k, src);
    if (src == LOGUP_SRC_LEAVES) return k ? LOGUP_K_LEAVES1 : LOGUP_K_LEAVES0;
    return k ? LOGUP_K_PAIRS1 : LOGUP_K_PAIRS0;
}

/* h(0), h(inf) of tree tr in round k of layer i (k >= 1: folding by r = s_{k-1} first). */
static void tree_round(ke_t h[2], logup_tree *tr, unsigned i, unsigned k, ke_t r, const logup_eq *eq,
                       const logup_consts *K) {
    logup_tables tb;
    logup_kernel kind = round_tables(&tb, tr, i, k);
    tb.r = r;
    logup_round(h, kind, &tb, eq, K);
    if (k >= 1) memcpy(tr->cur, tb.out, sizeof tr->cur);
}

/* g(X) = pref eq1(rho_k, X) h(X), h(X) = h0 + c1 X + h2 X^2 with h(1) from the claim:
 * hclaim = (1 - rho_k) h(0) + rho_k h(1). Returns the coefficients in hc[3]. */
static void round_message(ke_t g[4], ke_t hc[3], ke_t h0, ke_t h2, ke_t hclaim, ke_t rho_k, ke_t pref) {
    ke_t one_minus = ke_sub(ke_one(), rho_k);
    ke_t h1 = ke_mul(ke_sub(hclaim, ke_mul(one_minus, h0)), ke_inv(rho_k));
    hc[0] = h0;
    hc[1] = ke_sub(ke_sub(h1, h0), h2);
    hc[2] = h2;
    for (unsigned X = 0; X < 4; X++) {
        ke_t x = ke_from_fe(X);
        ke_t hx = ke_add(h0, ke_mul(x, ke_add(hc[1], ke_mul(x, h2))));
        g[X] = ke_mul(ke_mul(pref, lk_eq1(rho_k, x)), hx);
    }
}

/* The i rounds of layer i's sum-check over the alive trees; round k binds X_{i-1-k} (the
 * highest first, so pairs are (y, y + half): contiguous halves). Leaves r' in P->s (r'[v] is
 * X_v's challenge) and the last h(r) in *hclaim (the final claim divided by eq(rho, r')). */
static void layer_rounds(prover *P, unsigned i, ke_t *hclaim_io) {
    ke_t hclaim = *hclaim_io, pref = ke_one();
    ke_t *rounds = P->proof->rounds + logup_rounds_offset(i);
    for (unsigned k = 0; k < i; k++) {
        logup_eq eq;
        ke_t h0 = ke_zero(), h2 = ke_zero(), hc[3], rho_k = P->rho[i - 1 - k];
        size_t a = 0;
        round_eq(P, &eq, i, k);
        for (size_t j = 0; j < P->n_trees; j++) {
            if (P->trees[j].depth <= i) continue;
            ke_t h[2];
            tree_round(h, &P->trees[j], i, k, k ? P->s[i - k] : ke_zero(), &eq, &P->k);
            h0 = ke_add(h0, ke_mul(P->beta[a], h[0]));
            h2 = ke_add(h2, ke_mul(P->beta[a], h[1]));
            a++;
        }
        round_message(rounds + 4 * k, hc, h0, h2, hclaim, rho_k, pref);
        fti_transcript_absorb_kes(P->t, LOGUP_LABEL_ROUND, rounds + 4 * k, 4);
        ke_t r = P->s[i - 1 - k] = logup_challenge_nonzero(P->t, LOGUP_LABEL_CHALLENGE);
        hclaim = ke_add(hc[0], ke_mul(r, ke_add(hc[1], ke_mul(r, hc[2])))); /* h(r) */
        pref = ke_mul(pref, lk_eq1(rho_k, r));
    }
    *hclaim_io = hclaim;
}

/* The children of layer i's node at r' (tables of two entries folded by the last challenge,
 * which binds X_0):
 * c = p(r',0), p(r',1), q(r',0), q(r',1). */
static void tree_children(ke_t c[4], const logup_tree *tr, unsigned i, ke_t r, const logup_consts *K) {
    ke_t v[4];
    if (i <= 1) { /* from the child layer's nodes: P0 = p(z), P1 = p(z + 2^i), z < 2^i */
        size_t n = (size_t)1 << i;
        ke_t p[4], q[4];
        for (size_t z = 0; z < 2 * n; z++) logup_tree_node(&p[z], &q[z], tr, i + 1, z, K);
        for (int b = 0; b < 2; b++) {
            c[b] = i ? ke_add(p[2 * b], ke_mul(r, ke_sub(p[2 * b + 1], p[2 * b]))) : p[b];
            c[2 + b] = i ? ke_add(q[2 * b], ke_mul(r, ke_sub(q[2 * b + 1], q[2 * b]))) : q[b];
        }
        return;
    }
    unsigned nt = n_tables(tr, i);
    for (unsigned t = 0; t < nt; t++) v[t] = ke_add(tr->cur[t][0], ke_mul(r, ke_sub(tr->cur[t][1], tr->cur[t][0])));
    if (nt == 2) { /* p = 1, Q_b = (U_b - 1) / gamma */
        c[0] = c[1] = ke_one();
        c[2] = ke_mul(ke_sub(v[0], ke_one()), K->gamma_inv);
        c[3] = ke_mul(ke_sub(v[1], ke_one()), K->gamma_inv);
    } else { /* P1 = P1' - gamma Q1 */
        c[0] = v[0];
        c[1] = ke_sub(v[1], ke_mul(K->gamma, v[3]));
        c[2] = v[2];
        c[3] = v[3];
    }
}

#ifdef FTI_VERIFY
/* sum_j beta_j (p0 q1 + p1 q0 + gamma q0 q1) over the layer's children. */
static ke_t children_claim(const ke_t *ch, const ke_t *beta, size_t n_alive, ke_t gamma) {
    ke_t acc = ke_zero();
    for (size_t a = 0; a < n_alive; a++) {
        const ke_t *c = ch + 4 * a;
        ke_t f = ke_add(lk_dot2(c[0], c[3], c[1], c[2]), ke_mul(gamma, ke_mul(c[2], c[3])));
        acc = ke_add(acc, ke_mul(beta[a], f));
    }
    return acc;
}
#endif

/* A tree ending at layer i+1: its leaf claims at rho (i+1 elements) go to the caller. */
static void leaf_claims(prover *P, size_t j, unsigned n) {
    logup_tree *tr = &P->trees[j];
    if (j < P->cols->n_cols) {
        memcpy(P->claims->points[j], P->rho, n * sizeof(ke_t));
        P->claims->values[j] = ke_sub(P->k.a, tr->b);          /* col_j(r) = alpha - q */
        FTI_VERIFY_CHECK(P->cheat || ke_eq(tr->a, ke_one()));
    } else {
        memcpy(P->claims->m_point, P->rho, n * sizeof(ke_t));
        P->claims->m_value = ke_neg(tr->a);                   /* m(r) = -p */
        FTI_VERIFY_CHECK(ke_eq(tr->b, ke_sub(P->k.a, logup_table_mle(P->rho))));
    }
    tree_free(tr);
}

static void prove_layer(prover *P, unsigned i) {
    size_t n_alive = logup_alive(P->cols, i), a = 0;
    fti_transcript_challenge_kes(P->t, LOGUP_LABEL_BETA, P->beta, n_alive);
    logup_consts_gamma(&P->k, logup_challenge_nonzero(P->t, LOGUP_LABEL_GAMMA));
    ke_t hclaim = ke_zero();
    for (size_t j = 0; j < P->n_trees; j++)
        if (P->trees[j].depth > i)
            hclaim = ke_add(hclaim, ke_mul(P->beta[a++], ke_add(P->trees[j].a, ke_mul(P->k.gamma, P->trees[j].b))));
    layer_rounds(P, i, &hclaim);
    ke_t *ch = P->proof->children + logup_children_offset(P->cols, i);
    a = 0;
    for (size_t j = 0; j < P->n_trees; j++)
        if (P->trees[j].depth > i) tree_children(ch + 4 * a++, &P->trees[j], i, i ? P->s[0] : ke_zero(), &P->k);
#ifdef FTI_VERIFY
    FTI_VERIFY_CHECK(ke_eq(hclaim, children_claim(ch, P->beta, n_alive, P->k.gamma)));
#endif
    fti_transcript_absorb_kes(P->t, LOGUP_LABEL_CHILDREN, ch, 4 * n_alive);
    ke_t t = logup_challenge_nonzero(P->t, LOGUP_LABEL_T);
    memcpy(P->rho, P->s, i * sizeof(ke_t)); /* r_{i+1} = (r', t) */
    P->rho[i] = t;
    a = 0;
    for (size_t j = 0; j < P->n_trees; j++) {
        logup_tree *tr = &P->trees[j];
        if (tr->depth <= i) continue;
        const ke_t *c = ch + 4 * a++;
        tr->a = ke_add(c[0], ke_mul(t, ke_sub(c[1], c[0])));
        tr->b = ke_add(c[2], ke_mul(t, ke_sub(c[3], c[2])));
        if (tr->depth == i + 1) leaf_claims(P, j, i + 1);
    }
}

fti_status logup_prove_impl(fti_logup_proof *proof, fti_logup_claims *claims, fti_transcript *t,
                            const fti_logup_columns *cols, const fe_t *m, ke_t alpha, const logup_cheat *cheat) {
    prover P;
    memset(&P, 0, sizeof P);
    memset(proof, 0, sizeof *proof);
    memset(claims, 0, sizeof *claims);
    fti_status s = logup_check_shape(cols, 1);
    if (s != FTI_OK) return s;
    if (!m || !t) return fti_fail(FTI_ERR_ARG, "logup: missing multiplicities or transcript");
    P.cols = cols;
    P.cheat = cheat;
    P.t = t;
    P.proof = proof;
    P.claims = claims;
    P.n_trees = cols->n_cols + 1;
    logup_consts_alpha(&P.k, alpha);
    unsigned depth = logup_depth(cols);
    if ((s = logup_proof_alloc(proof, cols)) != FTI_OK || (s = logup_claims_alloc(claims, cols)) != FTI_OK ||
        (s = alloc_scratch(&P, depth)) != FTI_OK || (s = setup_trees(&P, m, alpha)) != FTI_OK ||
        (s = send_roots(&P)) != FTI_OK)
        goto out;
    for (size_t j = 0; j < cols->n_cols; j++) /* columns of one entry: the root is the leaf */
        if (cols->n_vars[j] == 0) claims->values[j] = ke_sub(alpha, P.trees[j].root_q);
    for (unsigned i = 0; i < depth; i++) prove_layer(&P, i);
out:
    prover_free(&P);
    if (s != FTI_OK) {
        fti_logup_proof_free(proof);
        fti_logup_claims_free(claims);
    }
    return s;
}

fti_status fti_logup_prove(fti_logup_proof *proof, fti_logup_claims *claims, fti_transcript *t,
                           const fti_logup_columns *cols, const fe_t *m, ke_t alpha) {
    return logup_prove_impl(proof, claims, t, cols, m, alpha, NULL);
}
