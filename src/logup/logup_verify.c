/* The LogUp-GKR verifier: the checks listed in logup.h, in protocol order. Cost: O(depth^2)
 * extension operations plus O(n_cols depth). */
#include <stdlib.h>
#include <string.h>

#include "logup/logup_arith.h"
#include "logup/logup_internal.h"
#include "sumcheck/sumcheck.h" /* fti_eq_eval */
#include "util/error.h"

typedef struct {
    const fti_logup_columns *cols;
    const fti_logup_proof *proof;
    fti_transcript *t;
    fti_logup_claims *claims;
    ke_t alpha;
    size_t n_trees;
    ke_t *a, *b;        /* per tree: claims p(r_i), q(r_i) */
    ke_t *rho, *s;      /* r_i and the layer's sum-check challenges */
    ke_t *beta;
} verifier;

static int ke_canonical(ke_t x) {
    return fe_is_canonical(x.c[0]) && fe_is_canonical(x.c[1]) && fe_is_canonical(x.c[2]);
}

static int all_canonical(const ke_t *v, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (!ke_canonical(v[i])) return 0;
    return 1;
}

/* The proof has the shape the columns imply and only canonical values. */
static logup_verdict check_proof_shape(const fti_logup_proof *p, const fti_logup_columns *cols) {
    if (!p || p->n_trees != cols->n_cols + 1 || p->depth != logup_depth(cols) ||
        p->n_rounds != logup_rounds_offset(p->depth) || p->n_children != logup_children_offset(cols, p->depth) ||
        !p->roots || (p->n_rounds && !p->rounds) || (p->n_children && !p->children))
        return LOGUP_REJ_SHAPE;
    if (!all_canonical(p->roots, 2 * p->n_trees) || !all_canonical(p->rounds, p->n_rounds) ||
        !all_canonical(p->children, p->n_children))
        return LOGUP_REJ_ENCODING;
    return LOGUP_ACCEPT;
}

/* Every Q_j != 0, then sum_j P_j / Q_j == 0 as one fraction N / D (no inversion). */
static logup_verdict check_roots(const ke_t *roots, size_t n_trees) {
    ke_t N = ke_zero(), D = ke_one();
    for (size_t j = 0; j < n_trees; j++)
        if (ke_is_zero(roots[2 * j + 1])) return LOGUP_REJ_ROOT_ZERO;
    for (size_t j = 0; j < n_trees; j++) {
        N = lk_dot2(N, roots[2 * j + 1], roots[2 * j], D); /* N/D + P/Q = (N Q + P D) / (D Q) */
        D = ke_mul(D, roots[2 * j + 1]);
    }
    return ke_is_zero(N) ? LOGUP_ACCEPT : LOGUP_REJ_ROOT_SUM;
}

#define INV2 0x7FFFFFFF80000001ull /* 2^-1 mod p = (p + 1) / 2 */
#define INV6 0xD555555480000001ull /* 6^-1 mod p (logup_cubic_at is checked against fti_sc_interpolate) */

/* g(r) from g(0..3) (Lagrange on the nodes 0, 1, 2, 3):
 *   g(r) = -g0 (r-1)(r-2)(r-3)/6 + g1 r(r-2)(r-3)/2 - g2 r(r-1)(r-3)/2 + g3 r(r-1)(r-2)/6. */
ke_t logup_cubic_at(const ke_t g[4], ke_t r) {
    ke_t r1 = ke_sub(r, ke_one()), r2 = ke_sub(r, ke_from_fe(2)), r3 = ke_sub(r, ke_from_fe(3));
    ke_t r01 = ke_mul(r, r1), r23 = ke_mul(r2, r3);
    ke_t l0 = ke_mul_fe(ke_mul(r1, r23), fe_neg(INV6));
    ke_t l1 = ke_mul_fe(ke_mul(r, r23), INV2);
    ke_t l2 = ke_mul_fe(ke_mul(r01, r3), fe_neg(INV2));
    ke_t l3 = ke_mul_fe(ke_mul(r01, r2), INV6);
    lk_acc x;
    lk_zero(&x);
    lk_mul(&x, g[0], l0);
    lk_mul(&x, g[1], l1);
    lk_mul(&x, g[2], l2);
    lk_mul(&x, g[3], l3);
    return lk_reduce(&x);
}

/* Layer i's sum-check rounds: *claim in, final claim out, r' in V->s (round k binds X_{i-1-k}). */
static logup_verdict check_rounds(verifier *V, unsigned i, ke_t *claim) {
    const ke_t *g = V->proof->rounds + logup_rounds_offset(i);
    for (unsigned k = 0; k < i; k++, g += 4) {
        if (!ke_eq(ke_add(g[0], g[1]), *claim)) return LOGUP_REJ_ROUND;
        fti_transcript_absorb_kes(V->t, LOGUP_LABEL_ROUND, g, 4);
        ke_t r = V->s[i - 1 - k] = logup_challenge_nonzero(V->t, LOGUP_LABEL_CHALLENGE); /* binds X_{i-1-k} */
        *claim = logup_cubic_at(g, r);
    }
    return LOGUP_ACCEPT;
}

/* A tree ending at layer i+1: its leaf checks and the claims it leaves to the caller. */
static logup_verdict leaf_checks(verifier *V, size_t j, unsigned n) {
    if (j < V->cols->n_cols) {
        if (!ke_eq(V->a[j], ke_one())) return LOGUP_REJ_LEAF_P;
        memcpy(V->claims->points[j], V->rho, n * sizeof(ke_t));
        V->claims->values[j] = ke_sub(V->alpha, V->b[j]);          /* col_j(r) = alpha - q */
        return LOGUP_ACCEPT;
    }
    if (!ke_eq(V->b[j], ke_sub(V->alpha, logup_table_mle(V->rho)))) return LOGUP_REJ_TABLE_Q;
    memcpy(V->claims->m_point, V->rho, n * sizeof(ke_t));
    V->claims->m_value = ke_neg(V->a[j]);                          /* m(r) = -p */
    return LOGUP_ACCEPT;
}

static logup_verdict verify_layer(verifier *V, unsigned i) {
    size_t n_alive = logup_alive(V->cols, i), a = 0;
    fti_transcript_challenge_kes(V->t, LOGUP_LABEL_BETA, V->beta, n_alive);
    ke_t gamma = logup_challenge_nonzero(V->t, LOGUP_LABEL_GAMMA);
    ke_t claim = ke_zero(); /* sum_j beta_j (a_j + gamma b_j) */
    for (size_t j = 0; j < V->n_trees; j++)
        if (logup_tree_depth(V->cols, j) > i)
            claim = ke_add(claim, ke_mul(V->beta[a++], ke_add(V->a[j], ke_mul(gamma, V->b[j]))));
    logup_verdict v = check_rounds(V, i, &claim);
    if (v != LOGUP_ACCEPT) return v;
    const ke_t *ch = V->proof->children + logup_children_offset(V->cols, i);
    fti_transcript_absorb_kes(V->t, LOGUP_LABEL_CHILDREN, ch, 4 * n_alive);
    ke_t sum = ke_zero(); /* sum_j beta_j (p0 q1 + p1 q0 + gamma q0 q1) */
    for (a = 0; a < n_alive; a++) {
        const ke_t *c = ch + 4 * a;
        ke_t f = ke_add(lk_dot2(c[0], c[3], c[1], c[2]), ke_mul(gamma, ke_mul(c[2], c[3])));
        sum = ke_add(sum, ke_mul(V->beta[a], f));
    }
    if (!ke_eq(claim, ke_mul(fti_eq_eval(V->rho, V->s, i), sum))) return LOGUP_REJ_LAYER;
    ke_t t = logup_challenge_nonzero(V->t, LOGUP_LABEL_T);
    memcpy(V->rho, V->s, i * sizeof(ke_t)); /* r_{i+1} = (r', t) */
    V->rho[i] = t;
    a = 0;
    for (size_t j = 0; j < V->n_trees; j++) {
        unsigned d = logup_tree_depth(V->cols, j);
        if (d <= i) continue;
        const ke_t *c = ch + 4 * a++;
        V->a[j] = ke_add(c[0], ke_mul(t, ke_sub(c[1], c[0])));   /* p(r', t) */
        V->b[j] = ke_add(c[2], ke_mul(t, ke_sub(c[3], c[2])));   /* q(r', t) */
        if (d == i + 1 && (v = leaf_checks(V, j, d)) != LOGUP_ACCEPT) return v;
    }
    return LOGUP_ACCEPT;
}

static logup_verdict verify_all(verifier *V) {
    const fti_logup_proof *p = V->proof;
    logup_absorb_shape(V->t, V->cols);
    fti_transcript_absorb_kes(V->t, LOGUP_LABEL_ROOTS, p->roots, 2 * V->n_trees);
    logup_verdict v = check_roots(p->roots, V->n_trees);
    if (v != LOGUP_ACCEPT) return v;
    for (size_t j = 0; j < V->n_trees; j++) {
        V->a[j] = p->roots[2 * j];
        V->b[j] = p->roots[2 * j + 1];
    }
    for (size_t j = 0; j < V->cols->n_cols; j++) { /* columns of one entry: the root is the leaf */
        if (V->cols->n_vars[j] != 0) continue;
        if (!ke_eq(V->a[j], ke_one())) return LOGUP_REJ_LEAF_P;
        V->claims->values[j] = ke_sub(V->alpha, V->b[j]);
    }
    for (unsigned i = 0; i < p->depth; i++)
        if ((v = verify_layer(V, i)) != LOGUP_ACCEPT) return v;
    return LOGUP_ACCEPT;
}

fti_status logup_verify_impl(logup_verdict *verdict, fti_logup_claims *claims, fti_transcript *t,
                             const fti_logup_columns *cols, ke_t alpha, const fti_logup_proof *proof) {
    verifier V;
    memset(&V, 0, sizeof V);
    *verdict = LOGUP_REJ_SHAPE;
    memset(claims, 0, sizeof *claims);
    fti_status s = logup_check_shape(cols, 0);
    if (s != FTI_OK) return s;
    if (!t) return fti_fail(FTI_ERR_ARG, "logup: no transcript");
    if (!ke_canonical(alpha)) return fti_fail(FTI_ERR_ARG, "logup: alpha is not canonical");
    if ((*verdict = check_proof_shape(proof, cols)) != LOGUP_ACCEPT) return FTI_OK;
    V.cols = cols;
    V.proof = proof;
    V.t = t;
    V.claims = claims;
    V.alpha = alpha;
    V.n_trees = cols->n_cols + 1;
    if ((s = logup_claims_alloc(claims, cols)) != FTI_OK) return s;
    V.a = malloc(V.n_trees * sizeof(ke_t));
    V.b = malloc(V.n_trees * sizeof(ke_t));
    V.beta = malloc(V.n_trees * sizeof(ke_t));
    V.rho = malloc((proof->depth + 1) * sizeof(ke_t));
    V.s = malloc((proof->depth + 1) * sizeof(ke_t));
    if (!V.a || !V.b || !V.beta || !V.rho || !V.s) {
        s = fti_fail(FTI_ERR_NOMEM, "logup: out of memory");
        *verdict = LOGUP_REJ_SHAPE;
        goto out;
    }
    *verdict = verify_all(&V);
out:
    free(V.a);
    free(V.b);
    free(V.beta);
    free(V.rho);
    free(V.s);
    if (*verdict != LOGUP_ACCEPT || s != FTI_OK) fti_logup_claims_free(claims);
    return s;
}

fti_status fti_logup_verify(int *ok, fti_logup_claims *claims, fti_transcript *t, const fti_logup_columns *cols,
                            ke_t alpha, const fti_logup_proof *proof) {
    logup_verdict v;
    *ok = 0;
    fti_status s = logup_verify_impl(&v, claims, t, cols, alpha, proof);
    *ok = s == FTI_OK && v == LOGUP_ACCEPT;
    return s;
}
