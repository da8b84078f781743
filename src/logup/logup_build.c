/* The fraction trees, bottom-up: stored layers and roots.
 *
 * A node over leaves l_1..l_n has q = prod (alpha - l_i) and p / q = sum 1/(alpha - l_i), so
 * p = dq/dalpha: over two leaves (s = l0 + l1, pr = l0 l1)
 *     q = alpha^2 - s alpha + pr,   p = 2 alpha - s,
 * and over four leaves, with e1..e4 their elementary symmetric functions,
 *     q = a^4 - e1 a^3 + e2 a^2 - e3 a + e4,   p = 4a^3 - 3 e1 a^2 + 2 e2 a - e3   (a = alpha).
 * The e's are base-field numbers, so the lowest stored layer of a column costs a few products
 * in F and seven K x F products per node instead of K x K products. */
#include "logup/logup_arith.h"
#include "logup/logup_prover.h"

#define PAR_MIN ((size_t)1 << 12)

void logup_consts_alpha(logup_consts *k, ke_t alpha) {
    k->a = alpha;
    k->a2 = ke_sqr(alpha);
    k->a3 = ke_mul(k->a2, alpha);
    k->a4 = ke_sqr(k->a2);
    k->neg_a = ke_neg(alpha);
    k->neg_a3 = ke_neg(k->a3);
    k->neg_3a2 = ke_neg(ke_mul_fe(k->a2, 3));
    k->two_a = ke_add(alpha, alpha);
    k->four_a3 = ke_mul_fe(k->a3, 4);
}

void logup_consts_gamma(logup_consts *k, ke_t gamma) {
    k->gamma = gamma;
    k->gamma_inv = ke_inv(gamma);
    ke_t ga = ke_mul(gamma, k->a);
    k->k[0] = ke_add(ke_mul_fe(k->a3, 4), ke_mul(gamma, k->a4));          /* 4a^3 + g a^4 */
    k->k[1] = ke_neg(ke_add(ke_mul_fe(k->a2, 3), ke_mul(gamma, k->a3)));  /* -(3a^2 + g a^3) */
    k->k[2] = ke_add(ke_add(k->a, k->a), ke_mul(gamma, k->a2));           /* 2a + g a^2 */
    k->k[3] = ke_neg(ke_add_fe(ga, 1));                                   /* -(1 + g a) */
    k->k[4] = gamma;
}

int logup_source(const logup_tree *tr, unsigned i) {
    if (!tr->col || i + 2 < tr->depth) return LOGUP_SRC_STORED;
    return i + 1 == tr->depth ? LOGUP_SRC_LEAVES : LOGUP_SRC_PAIRS;
}

/* ---- nodes ---- */

void logup_pair_node(ke_t *p, ke_t *q, fe_t l0, fe_t l1, const logup_consts *k) {
    fe_t s = fe_add(l0, l1), pr = fe_mul(l0, l1);
    lk_acc x;
    *p = ke_sub(k->two_a, ke_from_fe(s));          /* 2a - s */
    lk_init(&x, k->a2);                            /* a^2 - s a + pr */
    lk_mul_fe(&x, k->neg_a, s);
    lk_add_fe(&x, pr);
    *q = lk_reduce(&x);
}

void logup_quad_node(ke_t *p, ke_t *q, fe_t u0, fe_t u1, fe_t v0, fe_t v1, const logup_consts *k) {
    fe_t s0 = fe_add(u0, u1), pr0 = fe_mul(u0, u1), s1 = fe_add(v0, v1), pr1 = fe_mul(v0, v1);
    fe_t e1 = fe_add(s0, s1);
    fe_t e2 = fe_add(fe_add(pr0, pr1), fe_mul(s0, s1));
    fe_t e3 = fe_add(fe_mul(s0, pr1), fe_mul(s1, pr0));
    fe_t e4 = fe_mul(pr0, pr1);
    lk_acc xq, xp;
    lk_init(&xq, k->a4);                          /* q = a^4 - e1 a^3 + e2 a^2 - e3 a + e4 */
    lk_mul_fe(&xq, k->neg_a3, e1);
    lk_mul_fe(&xq, k->a2, e2);
    lk_mul_fe(&xq, k->neg_a, e3);
    lk_add_fe(&xq, e4);
    lk_init(&xp, k->four_a3);                     /* p = 4a^3 - 3 e1 a^2 + 2 e2 a - e3 */
    lk_mul_fe(&xp, k->neg_3a2, e1);
    lk_mul_fe(&xp, k->two_a, e2);
    lk_add_fe(&xp, fe_neg(e3));
    *q = lk_reduce(&xq);
    *p = lk_reduce(&xp);
}

void logup_tree_node(ke_t *p, ke_t *q, const logup_tree *tr, unsigned l, size_t z, const logup_consts *k) {
    if (tr->col && l == tr->depth) {
        *p = ke_one();
        *q = ke_sub(k->a, ke_from_fe(tr->col[z]));
    } else if (tr->col && l + 1 == tr->depth) {
        size_t h = (size_t)1 << l; /* node z of layer d-1 has leaves z and z + 2^(d-1) */
        logup_pair_node(p, q, tr->col[z], tr->col[z + h], k);
    } else {
        *p = tr->lp[l][z];
        *q = tr->lq[l][z];
    }
}

/* ---- the block ---- */

/* The highest stored layer number (the largest stored layer), or 0 if none. */
static unsigned top_layer(unsigned depth, int is_column) {
    if (!is_column) return depth;
    return depth >= 3 ? depth - 2 : 0;
}

size_t logup_block_len(unsigned depth, int is_column) {
    if (!is_column) return depth ? ((size_t)4 << depth) - 4 : 2; /* sum_{l=1..D} 2^(l+1) */
    if (depth < 3) return 0;
    size_t stored = ((size_t)1 << depth) - 4, work = (size_t)3 << (depth - 2);
    return stored > work ? stored : work;
}

/* Layers from the top down: layer l's p and q (2^l values each) follow layer l+1's. */
void logup_tree_layout(logup_tree *tr) {
    unsigned top = top_layer(tr->depth, tr->col != NULL);
    if (!tr->col && tr->depth == 0) {
        tr->lp[0] = tr->block;
        tr->lq[0] = tr->block + 1;
        return;
    }
    size_t off = 0;
    for (unsigned l = top; l >= 1; l--) {
        tr->lp[l] = tr->block + off;
        tr->lq[l] = tr->block + off + ((size_t)1 << l);
        off += (size_t)2 << l;
    }
}

/* ---- layers ---- */

/* Nodes in blocks of BLOCK (a multiple of 8, so the AVX-512 loops take whole blocks). */
#define BLOCK ((size_t)256)

static void quads_range(ke_t *p, ke_t *q, const fe_t *c, size_t n, size_t x0, size_t x1, const logup_consts *k) {
    for (size_t x = x0; x < x1; x++) logup_quad_node(&p[x], &q[x], c[x], c[x + 2 * n], c[x + n], c[x + 3 * n], k);
}

static void combine_range(ke_t *p, ke_t *q, const ke_t *cp, const ke_t *cq, size_t n, size_t x0, size_t x1) {
    for (size_t x = x0; x < x1; x++) {
        p[x] = lk_dot2(cp[x], cq[x + n], cp[x + n], cq[x]);
        q[x] = ke_mul(cq[x], cq[x + n]);
    }
}

/* Layer d-2 of a column (n = 2^(d-2) nodes): node x has children x and x + n in layer d-1,
 * whose leaves are (x, x + 2n) and (x + n, x + 3n). */
static void build_quads(ke_t *p, ke_t *q, const fe_t *c, size_t n, const logup_consts *k) {
    logup_quads_fn v = n >= 8 ? logup_avx512_quads() : NULL;
#pragma omp parallel for schedule(dynamic, 16) if (n >= PAR_MIN)
    for (size_t b = 0; b < n; b += BLOCK) {
        size_t e = b + BLOCK < n ? b + BLOCK : n;
        if (v) v(p, q, c, n, b, e, k);
        else quads_range(p, q, c, n, b, e, k);
    }
}

/* Layer l (n = 2^l nodes) from layer l+1: node x has children x and x + n;
 * p = p0 q1 + p1 q0, q = q0 q1. */
static void build_combine(ke_t *p, ke_t *q, const ke_t *cp, const ke_t *cq, size_t n) {
    logup_combine_fn v = n >= 8 ? logup_avx512_combine() : NULL;
#pragma omp parallel for schedule(dynamic, 16) if (n >= PAR_MIN)
    for (size_t b = 0; b < n; b += BLOCK) {
        size_t e = b + BLOCK < n ? b + BLOCK : n;
        if (v) v(p, q, cp, cq, n, b, e);
        else combine_range(p, q, cp, cq, n, b, e);
    }
}

/* Root of a column of depth <= 2 straight from its leaves. */
static void small_column_root(logup_tree *tr, const logup_consts *k) {
    const fe_t *c = tr->col;
    if (tr->depth == 0) {
        tr->root_p = ke_one();
        tr->root_q = ke_sub(k->a, ke_from_fe(c[0]));
    } else if (tr->depth == 1) {
        logup_pair_node(&tr->root_p, &tr->root_q, c[0], c[1], k);
    } else {
        logup_quad_node(&tr->root_p, &tr->root_q, c[0], c[2], c[1], c[3], k);
    }
}

void logup_tree_build(logup_tree *tr, const logup_consts *k) {
    unsigned top = top_layer(tr->depth, tr->col != NULL);
    if (tr->col && tr->depth <= 2) {
        small_column_root(tr, k);
        return;
    }
    if (!tr->col && tr->depth == 0) { /* an explicit leaf */
        tr->root_p = tr->lp[0][0];
        tr->root_q = tr->lq[0][0];
        return;
    }
    if (tr->col) build_quads(tr->lp[top], tr->lq[top], tr->col, (size_t)1 << top, k);
    for (unsigned l = top; l-- > 1;) build_combine(tr->lp[l], tr->lq[l], tr->lp[l + 1], tr->lq[l + 1], (size_t)1 << l);
    tr->root_p = lk_dot2(tr->lp[1][0], tr->lq[1][1], tr->lp[1][1], tr->lq[1][0]);
    tr->root_q = ke_mul(tr->lq[1][0], tr->lq[1][1]);
}
