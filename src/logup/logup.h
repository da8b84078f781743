/* Range check by LogUp with a GKR for the fractional sums: every entry of the given columns
 * (multilinear tables over F, of any sizes) lies in [0, 2^16).
 *
 * Identity. With the multiplicity table m (m[v] = number of entries equal to v, 2^16 entries,
 * committed by the caller BEFORE alpha is drawn) and a random alpha in K:
 *     sum_j sum_x 1/(alpha - col_j(x))  -  sum_v m(v)/(alpha - v)  =  0.
 * As rational functions in alpha this holds iff every entry is in the table: an entry l outside
 * [0, 2^16) leaves a pole at l with residue (count of l), which is nonzero because no value can
 * occur p times (at most FTI_LOGUP_MAX_COLS columns of 2^FTI_LOGUP_MAX_VARS entries: < 2^56
 * entries). m needs no range check of its own. Schwartz–Zippel: a false statement passes with
 * probability <= (N + 2^16)/|K| over alpha (N entries).
 *
 * GKR. Each column j is a binary tree of fractions p/q: leaves (p, q) = (1, alpha - col_j(x));
 * the table is one more tree with leaves (-m(v), alpha - v). A parent of children (p0, q0),
 * (p1, q1) is (p0 q1 + p1 q0, q0 q1). Layer i of a tree has 2^i nodes (layer 0 is the root);
 * node x of layer i has children x and x + 2^i in layer i+1 (the new variable is the highest).
 * The prover sends every tree's root (P_j, Q_j); the verifier checks Q_j != 0 and
 * sum_j P_j / Q_j == 0 (table included). Then, for i = 0, 1, ..., all trees deeper than i are
 * reduced from layer i to layer i+1 TOGETHER with shared randomness:
 *   claims p_j(r_i) = a_j, q_j(r_i) = b_j at a common point r_i in K^i; coefficients
 *   beta_j drawn; one sum-check (degree 3) over x in {0,1}^i of
 *     eq(r_i, x) * sum_j beta_j [ p_j(x,0) q_j(x,1) + p_j(x,1) q_j(x,0) + gamma q_j(x,0) q_j(x,1) ]
 *   with claim sum_j beta_j (a_j + gamma b_j) (gamma drawn once per layer); it ends at r' and the
 *   prover sends p_j(r',0), p_j(r',1), q_j(r',0), q_j(r',1) for each tree; the verifier checks
 *   the sum-check's final claim from them, draws t, and the next claims are at r_{i+1} = (r', t):
 *   p_j(r_{i+1}) = p_j(r',0) + t (p_j(r',1) - p_j(r',0)), same for q.
 * A tree whose depth is i+1 ends there: its claims are about its leaves at r_{i+1}:
 *   a column: p = 1 must hold (checked), and q = alpha - col_j(r_{i+1}) gives the evaluation
 *   claim col_j(r_{i+1}) = alpha - q, returned to the caller;
 *   the table: q must equal alpha - T(r) with T(x) = sum_b 2^b x_b (computed by the verifier),
 *   and p = -m(r) gives the claim m(r_16) = -p, returned to the caller.
 * The caller proves the returned claims with the PCS (they join its batched opening).
 * Columns with 0 variables (one entry) are trees of depth 0: their root is their leaf, so the
 * verifier checks P_j == 1 on the root and returns the claim col_j() = alpha - Q_j.
 *
 * Details the outline above leaves open, fixed here:
 *  - Sum-check rounds. Layer i's sum-check has i rounds; round k binds the HIGHEST free variable,
 *    X_{i-1-k} (the prover's pairs are then (y, y + half): contiguous halves of its tables), so
 *    r'[v] is the challenge of round i-1-v. Each round sends g(0), g(1), g(2), g(3) of its cubic g
 *    and the verifier checks g(0) + g(1) == claim, then claim = g(s) (interpolation on 0..3).
 *    The final claim must equal eq(r_i, r') * sum_j beta_j [p0 q1 + p1 q0 + gamma q0 q1] from
 *    the children. Layer 0 has no rounds (the claim is checked against the children directly).
 *  - Nonzero challenges. gamma, every round challenge and every t are drawn from K \ {0}: drawn
 *    from the label's challenge stream, redrawn from the same stream while zero. (The prover
 *    divides by gamma and by the point's coordinates; the bounds below change by a factor
 *    |K|/(|K|-1).) beta is drawn as is.
 *  - Shape binding. Before the roots the transcript absorbs the shape: "logup/shape" with
 *    u64 n_cols, then the n_vars as u64 little-endian in batches of 64 per absorption.
 *  - Transcript order: shape; "logup/roots" (P_0, Q_0, ..., P_table, Q_table); then per layer i:
 *    "logup/beta" (one stream, one element per tree alive at i, in tree order), "logup/gamma";
 *    per round "logup/round" (g(0..3)) then "logup/challenge"; "logup/children" (4 values per
 *    alive tree, in tree order); "logup/t". The caller absorbs what alpha depends on (the
 *    commitments to the columns and to m) and draws alpha ("logup/alpha") before calling.
 *
 * Soundness (beyond alpha above): layer i's sum-check errs with probability <= 3i/(|K|-1), the
 * batching by beta and gamma <= 2/|K|, and the line through the children (t) <= 1/(|K|-1); over
 * the <= 40 layers this is below 2^-180 for |K| = p^3. A prover that lies about a column's
 * entries but keeps every layer consistent is caught only by the returned claims: they must be
 * opened against the committed columns (tests/test_logup.c shows both).
 *
 * Prover cost. Memory: 24 bytes per column entry (each column of d >= 3 variables keeps its
 * layers 1 .. d-2 in K, 2^d - 4 values, and reuses that space for the sum-check tables of its
 * two lowest layers, which are never stored: a node over two leaves is read from the column as
 * (2 alpha - (l0 + l1), alpha^2 - (l0 + l1) alpha + l0 l1)), plus 6.3 MB for the table's tree and
 * O(sqrt(N)) scratch; the caller's columns (8 bytes per entry) and m are extra. Time, measured
 * by bench/bench_logup.c on the development machine (2-core AMD EPYC Zen 4 VM, AVX-512 kernels):
 * a column of 2^24 entries takes 79 ns per entry on one thread and 42 on two; 2^20 entries 91
 * and 75 (the table's tree is a fixed ~15 ms per call). Verification: 0.1-0.2 ms; proof: 22 kB
 * (2^20) to 31 kB (2^24). Proofs do not depend on the thread count or on whether the AVX-512
 * kernels run.
 *
 * Proof bytes: the roots (2 n_trees K elements), every layer's rounds (4 i per layer i), every
 * layer's children (4 per alive tree), each K element as 24 bytes (ext.h); no header: the sizes
 * follow from the column shapes. */
#ifndef FTI_LOGUP_H
#define FTI_LOGUP_H

#include <stddef.h>
#include <stdint.h>

#include "field/ext.h"
#include "fti/fti.h"
#include "hash/transcript.h"
#include "util/buf.h"

#define FTI_LOGUP_TABLE_BITS 16
#define FTI_LOGUP_MAX_VARS 40u              /* variables per column */
#define FTI_LOGUP_MAX_COLS ((size_t)1 << 16) /* columns per call */

/* A column set. Shapes beyond the limits above are refused (FTI_ERR_ARG). */
typedef struct {
    size_t n_cols;
    const unsigned *n_vars;   /* per column */
    const fe_t *const *cols;  /* prover only: 2^n_vars canonical entries each */
} fti_logup_columns;

/* Multiplicities m[v] (2^16 entries) of the columns' entries; FTI_ERR_RANGE naming the column
 * and index of the first entry outside [0, 2^16) (the honest prover refuses). */
FTI_MUST_CHECK fti_status fti_logup_multiplicities(fe_t *m, const fti_logup_columns *cols);

/* A parsed proof. */
typedef struct {
    size_t n_trees;          /* n_cols + 1 (the table is the last tree) */
    unsigned depth;          /* max over trees (16 or the deepest column) */
    ke_t *roots;             /* n_trees * 2: (P_j, Q_j) */
    ke_t *rounds;            /* per layer i (0..depth-1): i sum-check rounds of 4 values (g(0..3)) */
    ke_t *children;          /* per layer i: 4 values per tree alive at layer i (depth_j > i) */
    size_t n_rounds;         /* elements of rounds: 4 sum_i i = 2 depth (depth - 1) */
    size_t n_children;       /* elements of children: 4 sum_i (trees alive at layer i) */
} fti_logup_proof;

/* Evaluation claims the range check leaves to the PCS. points[j] has n_vars[j] elements
 * (the column's own point, coordinate v for variable X_v; NULL for a column of one entry);
 * the table's claim is m(m_point) = m_value (16 elements). Owned by the struct (free with
 * fti_logup_claims_free, which accepts a zeroed struct). */
typedef struct {
    size_t n_cols;
    ke_t **points;
    ke_t *values;
    ke_t m_point[FTI_LOGUP_TABLE_BITS];
    ke_t m_value;
} fti_logup_claims;

/* Proves that every entry of cols is in the table, given its multiplicities m and alpha (drawn
 * by the caller after committing to the columns and to m). Outputs the proof and the claims the
 * verifier will return (points and values: the caller's PCS opening proves them). Refuses with
 * FTI_ERR_ARG when the roots would fail the verifier's checks (an entry outside the table, or m
 * not the columns' multiplicities, or alpha a root of a denominator); FTI_ERR_NOMEM. On failure
 * *proof and *claims are empty. Deterministic: the same inputs give the same proof. */
FTI_MUST_CHECK fti_status fti_logup_prove(fti_logup_proof *proof, fti_logup_claims *claims, fti_transcript *t,
                                          const fti_logup_columns *cols, const fe_t *m, ke_t alpha);
/* Sets *ok = 0 first; on success *ok = 1 and *claims holds what the PCS must prove (on reject
 * *claims is empty). Needs only the shapes of cols. Returns FTI_ERR_ARG for a shape beyond the
 * limits or a non-canonical alpha, FTI_ERR_NOMEM; a malformed proof is a reject, not an error. */
FTI_MUST_CHECK fti_status fti_logup_verify(int *ok, fti_logup_claims *claims, fti_transcript *t,
                                           const fti_logup_columns *cols, ke_t alpha,
                                           const fti_logup_proof *proof);

void fti_logup_proof_free(fti_logup_proof *p);
void fti_logup_claims_free(fti_logup_claims *c);
void fti_logup_proof_write(fti_wbuf *w, const fti_logup_proof *p);
/* Bytes fti_logup_proof_write appends. */
size_t fti_logup_proof_size(const fti_logup_proof *p);
/* Reads a proof whose sizes follow from the column shapes; rejects anything else
 * (FTI_ERR_FORMAT: too few bytes, a non-canonical element). Bytes after the proof are left
 * unread: the caller checks that its buffer ends there. */
FTI_MUST_CHECK fti_status fti_logup_proof_read(fti_logup_proof *p, fti_rbuf *r, const fti_logup_columns *cols);

#endif
