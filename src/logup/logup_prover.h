/* The LogUp-GKR prover's trees and round kernels (internal to src/logup).
 *
 * Layer i's sum-check runs over x in {0,1}^i and binds X_0 first, so its round k sums over the
 * pairs (2y, 2y+1) of the current tables. With the sum-check's point rho = r_i, the summand is
 *     eq(rho, x) F(x),   F = p0 q1 + p1 q0 + gamma q0 q1   (p_b = p(x, b), q_b = q(x, b)).
 * Round k's polynomial factors as g(X) = pref * eq1(rho_k, X) * h(X) with
 *     h(X) = sum_y eq(rho_{k+1..}, y) F(s_0..s_{k-1}, X, y),   pref = prod_{k'<k} eq1(rho_k', s_k')
 * (the trick of Gruen): h has degree 2 and the kernels compute only h(0) and h(inf), its X^2
 * coefficient; the driver gets h(1) from the claim (rho_k != 0: challenges are nonzero). The eq
 * weights eq(rho_{k+1..}, y) are products lo[y mod 2^L] * hi[y >> L] of two tables of about
 * sqrt(pairs) entries: a kernel sums a block of 2^L pairs against lo and scales the block's sum
 * by hi once, so no table of eq values as large as the layer is ever built.
 *
 * Working tables (round k >= 1 has 2^(i-k) entries per table):
 *   generic: P0, P1' = P1 + gamma Q1, Q0, Q1, so that F = P0 Q1 + Q0 P1' (two products);
 *   q-only (the leaves' layer of a column, where p = 1): U_b = 1 + gamma Q_b, so that
 *     F = Q0 + Q1 + gamma Q0 Q1 = (U0 U1 - 1) / gamma  (one product).
 * Both transforms are affine in the tables, so they commute with folding.
 *
 * The prover is memory-bound (a K product costs less than moving the 48 bytes it reads), so
 * every round is ONE pass: round 0 reads the source; round k >= 1 reads the round k-1 tables
 * (for k = 1: the source again), folds them by s_{k-1} in registers, writes the folded tables and
 * sums them. Nothing is folded in a pass of its own.
 *
 * Memory. A tree owns one block of K values: its stored layers (largest first), and, in layer
 * i's sum-check, the work tables A (round 1's, n_tab 2^(i-1)) and B (round 2's, n_tab 2^(i-2);
 * rounds alternate A, B) placed where layers 1..i were: those are consumed by then. A column of
 * depth d >= 3 stores layers 1..d-2 (2^d - 4 values); its virtual layers need 3 2^(d-2). So the
 * block is max(2^d - 4, 3 2^(d-2)) values: 24 bytes per entry, allocated once. */
#ifndef FTI_LOGUP_PROVER_H
#define FTI_LOGUP_PROVER_H

#include "logup/logup_internal.h"

/* Constants of one layer: alpha's powers, and the coefficients of F over a node of four leaves
 * (see logup_kernels.c) for the layer's gamma. */
typedef struct {
    ke_t a, a2, a3, a4;
    ke_t neg_a, neg_a3, neg_3a2, two_a, four_a3; /* for the four-leaf nodes (logup_build.c) */
    ke_t gamma, gamma_inv;
    ke_t k[5]; /* k0 = 4a^3 + g a^4, k1 = -(3a^2 + g a^3), k2 = 2a + g a^2, k3 = -(1 + g a), k4 = g */
} logup_consts;

void logup_consts_alpha(logup_consts *k, ke_t alpha);
void logup_consts_gamma(logup_consts *k, ke_t gamma);

/* The eq weights of one round: pair y has weight lo[y & (2^lo_bits - 1)] * hi[y >> lo_bits];
 * there are 2^bits pairs. */
typedef struct {
    const ke_t *lo, *hi;
    unsigned lo_bits, bits;
} logup_eq;

enum { LOGUP_SRC_LEAVES, LOGUP_SRC_PAIRS, LOGUP_SRC_STORED };

typedef struct {
    unsigned depth;
    const fe_t *col;                         /* a column tree's entries; NULL: explicit tree */
    ke_t *block;                             /* stored layers and work tables */
    size_t block_len;                        /* K values in block */
    ke_t *lp[LOGUP_MAX_VARS + 1];            /* stored layers in block (index = layer), else NULL */
    ke_t *lq[LOGUP_MAX_VARS + 1];
    ke_t root_p, root_q;
    ke_t *cur[4];                            /* the current round's tables (rounds >= 1) */
    ke_t a, b;                               /* claims p(r_i), q(r_i) */
} logup_tree;

/* The source of layer i's children in tree tr. */
int logup_source(const logup_tree *tr, unsigned i);

/* ---- build (logup_build.c) ---- */

/* K values a tree's block needs. */
size_t logup_block_len(unsigned depth, int is_column);
/* Lays out the block (already allocated with logup_block_len values) and computes the stored
 * layers and the root. An explicit tree's leaves must be in lp/lq[depth] (set by
 * logup_tree_layout) before. */
void logup_tree_layout(logup_tree *tr);
void logup_tree_build(logup_tree *tr, const logup_consts *k);
/* Node z of layer l (l >= 1) of the tree, from wherever it lives (before it is consumed). */
void logup_tree_node(ke_t *p, ke_t *q, const logup_tree *tr, unsigned l, size_t z, const logup_consts *k);

/* ---- rounds (logup_kernels.c) ---- */

typedef enum {
    LOGUP_K_LEAVES0,  /* round 0 on a column's leaves (base field) */
    LOGUP_K_PAIRS0,   /* round 0 on nodes over two leaves (base field) */
    LOGUP_K_STORED0,  /* round 0 on a stored layer (P1' formed on the fly) */
    LOGUP_K_LEAVES1,  /* round 1: fold the leaves by r into U tables, sum */
    LOGUP_K_PAIRS1,   /* round 1: fold the two-leaf nodes by r into generic tables, sum */
    LOGUP_K_STORED1,  /* round 1: fold a stored layer by r into generic tables, sum */
    LOGUP_K_GENERIC,  /* round >= 2: fold generic tables by r, sum */
    LOGUP_K_QONLY     /* round >= 2: fold U tables by r, sum */
} logup_kernel;

/* Inputs and outputs of a round: in (K tables of the previous round or the stored layer's
 * P0 P1 Q0 Q1), c (a column's halves c[0..1] or quarters c[0..3]), out (the folded tables). */
typedef struct {
    const ke_t *in[4];
    const fe_t *c[16];
    ke_t *out[4];
    ke_t r;
    size_t half;      /* pairs in this round: pair y is (y, y + half) */
} logup_tables;

/* What a kernel's block function sees: the round's tables, the layer's constants and a few
 * products of them with the round's r. */
typedef struct {
    const logup_tables *tb;
    const logup_consts *k;
    ke_t gr, ngr, A;          /* gamma r, -gamma r, 1 + gamma alpha */
    ke_t neg_r, neg_ar, k3r;  /* -r, -alpha r, k3 r (the two-leaf nodes' fold) */
} logup_kctx;

/* A kernel's work on a block of pairs y0 .. y0+n-1: out[a] = sum_j lo[j] term_a(y0 + j) for its
 * terms, and the folded tables of those pairs written. */
typedef void (*logup_block_fn)(ke_t *out, const logup_kctx *x, size_t y0, size_t n, const ke_t *lo);

/* AVX-512 block functions (logup_avx512.c) for blocks of n >= 8 pairs, n a multiple of 8, or
 * NULL where there is none (or no AVX-512 on this CPU, or fti_simd_enabled == 0). Exact field
 * arithmetic: they give the same sums and tables as the scalar ones. */
logup_block_fn logup_avx512_block(logup_kernel kind);

/* The build's loops on nodes x0 .. x1-1 (x1 - x0 a multiple of 8), AVX-512 versions or NULL. */
typedef void (*logup_quads_fn)(ke_t *p, ke_t *q, const fe_t *c, size_t n, size_t x0, size_t x1,
                               const logup_consts *k);
typedef void (*logup_combine_fn)(ke_t *p, ke_t *q, const ke_t *cp, const ke_t *cq, size_t n, size_t x0, size_t x1);
logup_quads_fn logup_avx512_quads(void);
logup_combine_fn logup_avx512_combine(void);

/* h(0) and h(inf) of one tree's round; writes the folded tables for the fold kernels. */
void logup_round(ke_t h[2], logup_kernel kind, const logup_tables *tb, const logup_eq *eq, const logup_consts *k);

/* The node over two leaves and over four leaves (children (u0, u1), (v0, v1)). */
void logup_pair_node(ke_t *p, ke_t *q, fe_t l0, fe_t l1, const logup_consts *k);
void logup_quad_node(ke_t *p, ke_t *q, fe_t u0, fe_t u1, fe_t v0, fe_t v1, const logup_consts *k);

#endif
