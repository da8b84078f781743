/* Round kernels of the LogUp-GKR prover (see logup_prover.h for h, the eq split, the working
 * tables and why every round is a single pass).
 *
 * Every round sum runs over fixed chunks of the eq table's high index, each chunk's partial sums
 * go to their own slot and the slots are added in chunk order: the proof never depends on the
 * thread count (field addition is exact anyway). Within a chunk, a block of 2^lo_bits pairs is
 * summed against the low eq table with lazily reduced accumulators and scaled once by its high
 * eq weight. The fold kernels write the folded tables of their own pairs: chunks write disjoint
 * ranges, and no kernel writes a table it reads. */
#include "logup/logup_arith.h"
#include "logup/logup_prover.h"

#define CHUNKS 64
#define PAR_MIN ((size_t)1 << 12) /* rounds with fewer pairs run on one thread */
#define MAX_ACC 7

typedef logup_kctx kctx;
typedef logup_block_fn block_fn;

/* sums[a] = sum_y eq(y) term_a(y) over all 2^bits pairs; blocks of at least 8 pairs go to the
 * AVX-512 version of the kernel when there is one. */
static void run_blocks(ke_t *sums, unsigned nacc, logup_kernel kind, block_fn fn, const kctx *ctx,
                       const logup_eq *eq) {
    block_fn simd = eq->lo_bits >= 3 ? logup_avx512_block(kind) : NULL;
    if (simd) fn = simd;
    size_t n_hi = (size_t)1 << (eq->bits - eq->lo_bits), n_lo = (size_t)1 << eq->lo_bits;
    size_t n_chunks = n_hi < CHUNKS ? n_hi : CHUNKS, per = n_hi / n_chunks;
    ke_t part[CHUNKS][MAX_ACC];
#pragma omp parallel for schedule(dynamic, 1) if (((size_t)1 << eq->bits) >= PAR_MIN)
    for (size_t c = 0; c < n_chunks; c++) {
        lk_acc acc[MAX_ACC];
        ke_t blk[MAX_ACC];
        for (unsigned a = 0; a < nacc; a++) lk_zero(&acc[a]);
        for (size_t h = c * per; h < (c + 1) * per; h++) {
            fn(blk, ctx, h << eq->lo_bits, n_lo, eq->lo);
            for (unsigned a = 0; a < nacc; a++) lk_mul(&acc[a], eq->hi[h], blk[a]);
        }
        for (unsigned a = 0; a < nacc; a++) part[c][a] = lk_reduce(&acc[a]);
    }
    for (unsigned a = 0; a < nacc; a++) {
        sums[a] = ke_zero();
        for (size_t c = 0; c < n_chunks; c++) sums[a] = ke_add(sums[a], part[c][a]);
    }
}

/* ---- shared pieces ---- */

/* The kernels read up to 16 streams at once, more than the hardware prefetcher follows; each
 * stream's line PF_AHEAD values ahead is requested explicitly. */
#define PF_AHEAD 64
static inline void pf(const ke_t *p) { __builtin_prefetch(p + PF_AHEAD); }

/* a + r (b - a) */
static inline ke_t fold1(ke_t a, ke_t b, ke_t r) {
    lk_acc x;
    lk_init(&x, a);
    lk_mul(&x, r, ke_sub(b, a));
    return lk_reduce(&x);
}

/* Generic tables at the pair's low (e, X = 0) and high (o, X = 1) entries, in the order P0 P1' Q0 Q1:
 * F(0) = P0 Q1 + Q0 P1' at e, and the X^2 coefficient dP0 dQ1 + dQ0 dP1' (d = o - e). */
static inline void gen_eval(lk_acc *A, lk_acc *B, ke_t w, const ke_t e[4], const ke_t o[4]) {
    ke_t d[4];
    for (int t = 0; t < 4; t++) d[t] = ke_sub(o[t], e[t]);
    lk_mul(A, w, lk_dot2(e[0], e[3], e[2], e[1]));
    lk_mul(B, w, lk_dot2(d[0], d[3], d[2], d[1]));
}

/* U tables: U0 U1 at e and the X^2 coefficient dU0 dU1. */
static inline void q_eval(lk_acc *A, lk_acc *B, ke_t w, const ke_t e[2], const ke_t o[2]) {
    lk_mul(A, w, ke_mul(e[0], e[1]));
    lk_mul(B, w, ke_mul(ke_sub(o[0], e[0]), ke_sub(o[1], e[1])));
}

static void out2(ke_t *out, lk_acc *A, lk_acc *B) {
    out[0] = lk_reduce(A);
    out[1] = lk_reduce(B);
}

/* ---- round 0 on a column's leaves: p = 1, q = alpha - c ----
 * F = q0 + q1 + g q0 q1 = (2a + g a^2) - (1 + g a) s + g m  with s = c0 + c1, m = c0 c1
 *   = k2 + k3 s + k4 m;  its X^2 coefficient is g dc0 dc1 (dc = c(X = 1) - c(X = 0)). */
static void block_leaves0(ke_t *out, const kctx *x, size_t y0, size_t n, const ke_t *lo) {
    const fe_t *const *c = x->tb->c; /* c0 at X = 0, c0 at X = 1, c1 at X = 0, c1 at X = 1 */
    lk_acc S, M, D;
    lk_zero(&S);
    lk_zero(&M);
    lk_zero(&D);
    for (size_t j = 0; j < n; j++) {
        size_t y = y0 + j;
        fe_t a0 = c[0][y], a1 = c[1][y], b0 = c[2][y], b1 = c[3][y];
        lk_mul_fe(&S, lo[j], fe_add(a0, b0));
        lk_mul_fe(&M, lo[j], fe_mul(a0, b0));
        lk_mul_fe(&D, lo[j], fe_mul(fe_sub(a1, a0), fe_sub(b1, b0)));
    }
    out[0] = lk_reduce(&S);
    out[1] = lk_reduce(&M);
    out[2] = lk_reduce(&D);
}

/* ---- round 0 on nodes over two leaves ----
 * Child b of node x has two leaves: s_b, pr_b. The kernel reads them from eight streams
 * c[4 b + 2 h + l]: child b, half h (the pair's node at X = h), leaf l.
 * With e1..e4 the elementary symmetric functions of the four leaves,
 *   F = q' + g q  (q = q0 q1 = a^4 - e1 a^3 + e2 a^2 - e3 a + e4, p0 q1 + p1 q0 = dq/da)
 *     = k0 + k1 e1 + k2 e2 + k3 e3 + k4 e4.
 * Along X, s_b and pr_b are linear, so the X^2 coefficients are those of e2 = pr0 + pr1 + s0 s1,
 * e3 = s0 pr1 + s1 pr0 and e4 = pr0 pr1: ds0 ds1, ds0 dpr1 + ds1 dpr0 and dpr0 dpr1. */
static void block_pairs0(ke_t *out, const kctx *x, size_t y0, size_t n, const ke_t *lo) {
    const fe_t *const *c = x->tb->c;
    lk_acc acc[7];
    for (int a = 0; a < 7; a++) lk_zero(&acc[a]);
    for (size_t j = 0; j < n; j++) {
        size_t y = y0 + j;
        fe_t s0 = fe_add(c[0][y], c[1][y]), p0 = fe_mul(c[0][y], c[1][y]);
        fe_t s1 = fe_add(c[4][y], c[5][y]), p1 = fe_mul(c[4][y], c[5][y]);
        fe_t ds0 = fe_sub(fe_add(c[2][y], c[3][y]), s0), dp0 = fe_sub(fe_mul(c[2][y], c[3][y]), p0);
        fe_t ds1 = fe_sub(fe_add(c[6][y], c[7][y]), s1), dp1 = fe_sub(fe_mul(c[6][y], c[7][y]), p1);
        ke_t w = lo[j];
        lk_mul_fe(&acc[0], w, fe_add(s0, s1));                                   /* e1 */
        lk_mul_fe(&acc[1], w, fe_add(fe_add(p0, p1), fe_mul(s0, s1)));           /* e2 */
        lk_mul_fe(&acc[2], w, fe_add(fe_mul(s0, p1), fe_mul(s1, p0)));           /* e3 */
        lk_mul_fe(&acc[3], w, fe_mul(p0, p1));                                   /* e4 */
        lk_mul_fe(&acc[4], w, fe_mul(ds0, ds1));                                 /* X^2 of e2 */
        lk_mul_fe(&acc[5], w, fe_add(fe_mul(ds0, dp1), fe_mul(ds1, dp0)));       /* X^2 of e3 */
        lk_mul_fe(&acc[6], w, fe_mul(dp0, dp1));                                 /* X^2 of e4 */
    }
    for (int a = 0; a < 7; a++) out[a] = lk_reduce(&acc[a]);
}

/* ---- round 0 on a stored layer: in = P0 P1 Q0 Q1, P1' = P1 + g Q1 formed here ---- */
static void block_stored0(ke_t *out, const kctx *x, size_t y0, size_t n, const ke_t *lo) {
    const ke_t *const *in = x->tb->in;
    ke_t g = x->k->gamma;
    lk_acc A, B;
    lk_zero(&A);
    lk_zero(&B);
    for (size_t j = 0; j < n; j++) {
        size_t e = y0 + j, o = e + x->tb->half;
        for (int t = 0; t < 4; t++) {
            pf(in[t] + e);
            pf(in[t] + o);
        }
        ke_t ve[4] = {in[0][e], in[1][e], in[2][e], in[3][e]}, vo[4] = {in[0][o], in[1][o], in[2][o], in[3][o]};
        ve[1] = ke_add(ve[1], ke_mul(g, ve[3]));
        vo[1] = ke_add(vo[1], ke_mul(g, vo[3]));
        gen_eval(&A, &B, lo[j], ve, vo);
    }
    out2(out, &A, &B);
}

/* ---- round 1 from a column's leaves: U_b(r, w) = (1 + g a) - g c_b(r, w) ----
 * c_b(r, w) folds the leaves w and w + 2^(i-1) of half b (the column's half b is child b's
 * table): streams c[4 b + q] are the quarters q of half b, round 1's pair z reads position z of
 * each: U(z) folds quarters 0 and 2, U(z + half) quarters 1 and 3. */
static inline ke_t leaf_u(const kctx *x, fe_t c0, fe_t c1) {
    lk_acc acc;
    lk_init(&acc, x->A);
    lk_mul_fe(&acc, x->k->k[4], fe_neg(c0));   /* -g c(X = 0) */
    lk_mul_fe(&acc, x->ngr, fe_sub(c1, c0));   /* -g r (c(X = 1) - c(X = 0)) */
    return lk_reduce(&acc);
}

static void block_leaves1(ke_t *out, const kctx *x, size_t y0, size_t n, const ke_t *lo) {
    const logup_tables *tb = x->tb;
    const fe_t *const *c = tb->c;
    lk_acc A, B;
    lk_zero(&A);
    lk_zero(&B);
    for (size_t j = 0; j < n; j++) {
        size_t e = y0 + j, o = e + tb->half;
        ke_t ue[2] = {leaf_u(x, c[0][e], c[2][e]), leaf_u(x, c[4][e], c[6][e])};
        ke_t uo[2] = {leaf_u(x, c[1][e], c[3][e]), leaf_u(x, c[5][e], c[7][e])};
        for (int b = 0; b < 2; b++) {
            tb->out[b][e] = ue[b];
            tb->out[b][o] = uo[b];
        }
        q_eval(&A, &B, lo[j], ue, uo);
    }
    out2(out, &A, &B);
}

/* ---- round 1 from nodes over two leaves ----
 * Child b at (r, z): s_b(r) = s_e + r ds, pr_b(r) = pr_e + r dpr;
 *   P0 = 2a - s0(r),  Q_b = a^2 - a s_b(r) + pr_b(r),  P1' = P1 + g Q1 = k2 + k3 s1(r) + g pr1(r). */
static inline ke_t pair_q(const kctx *x, fe_t s, fe_t ds, fe_t pr, fe_t dpr) {
    lk_acc acc;
    lk_init(&acc, x->k->a2);
    lk_mul_fe(&acc, x->k->neg_a, s);
    lk_mul_fe(&acc, x->neg_ar, ds);
    lk_add_fe(&acc, pr);
    lk_mul_fe(&acc, x->tb->r, dpr);
    return lk_reduce(&acc);
}

/* The generic tables at (r, w) from the pair nodes: streams c[8 b + 2 q + l] hold leaf l of child
 * b at quarter q of the node range; position w (< 2^(i-1)) folds quarters q and q + 2, i.e. it
 * is the pair's w-th node in quarter qe (0 or 1) against quarter qe + 2. */
static void pair_fold(ke_t v[4], const kctx *x, size_t z, unsigned qe) {
    const fe_t *const *c = x->tb->c;
    const fe_t *const *e0 = c + 2 * qe, *const *o0 = c + 2 * qe + 4;
    const fe_t *const *e1 = c + 8 + 2 * qe, *const *o1 = c + 12 + 2 * qe;
    fe_t s0 = fe_add(e0[0][z], e0[1][z]), p0 = fe_mul(e0[0][z], e0[1][z]);
    fe_t s1 = fe_add(e1[0][z], e1[1][z]), p1 = fe_mul(e1[0][z], e1[1][z]);
    fe_t ds0 = fe_sub(fe_add(o0[0][z], o0[1][z]), s0), dp0 = fe_sub(fe_mul(o0[0][z], o0[1][z]), p0);
    fe_t ds1 = fe_sub(fe_add(o1[0][z], o1[1][z]), s1), dp1 = fe_sub(fe_mul(o1[0][z], o1[1][z]), p1);
    lk_acc acc;
    lk_init(&acc, x->k->two_a); /* P0 */
    lk_add_fe(&acc, fe_neg(s0));
    lk_mul_fe(&acc, x->neg_r, ds0);
    v[0] = lk_reduce(&acc);
    lk_init(&acc, x->k->k[2]); /* P1' */
    lk_mul_fe(&acc, x->k->k[3], s1);
    lk_mul_fe(&acc, x->k3r, ds1);
    lk_mul_fe(&acc, x->k->gamma, p1);
    lk_mul_fe(&acc, x->gr, dp1);
    v[1] = lk_reduce(&acc);
    v[2] = pair_q(x, s0, ds0, p0, dp0);
    v[3] = pair_q(x, s1, ds1, p1, dp1);
}

static void block_pairs1(ke_t *out, const kctx *x, size_t y0, size_t n, const ke_t *lo) {
    ke_t *const *o4 = x->tb->out;
    lk_acc A, B;
    lk_zero(&A);
    lk_zero(&B);
    for (size_t j = 0; j < n; j++) {
        size_t e = y0 + j, o = e + x->tb->half;
        ke_t ve[4], vo[4];
        pair_fold(ve, x, e, 0);
        pair_fold(vo, x, e, 1);
        for (int t = 0; t < 4; t++) {
            o4[t][e] = ve[t];
            o4[t][o] = vo[t];
        }
        gen_eval(&A, &B, lo[j], ve, vo);
    }
    out2(out, &A, &B);
}

/* ---- round 1 from a stored layer: fold P0 P1 Q0 Q1, then P1' = P1(r) + g Q1(r) ----
 * Position w of the folded tables (length 2 half) folds w and w + 2 half of the stored ones. */
static void stored_fold(ke_t v[4], const kctx *x, size_t w) {
    const ke_t *const *in = x->tb->in;
    size_t far = 2 * x->tb->half;
    for (int t = 0; t < 4; t++) {
        pf(in[t] + w);
        pf(in[t] + w + far);
        v[t] = fold1(in[t][w], in[t][w + far], x->tb->r);
    }
    v[1] = ke_add(v[1], ke_mul(x->k->gamma, v[3]));
}

static void block_stored1(ke_t *out, const kctx *x, size_t y0, size_t n, const ke_t *lo) {
    ke_t *const *o4 = x->tb->out;
    lk_acc A, B;
    lk_zero(&A);
    lk_zero(&B);
    for (size_t j = 0; j < n; j++) {
        size_t e = y0 + j, o = e + x->tb->half;
        ke_t ve[4], vo[4];
        stored_fold(ve, x, e);
        stored_fold(vo, x, o);
        for (int t = 0; t < 4; t++) {
            o4[t][e] = ve[t];
            o4[t][o] = vo[t];
        }
        gen_eval(&A, &B, lo[j], ve, vo);
    }
    out2(out, &A, &B);
}

/* ---- rounds >= 2: fold the previous round's tables by r, sum ---- */
static void block_generic(ke_t *out, const kctx *x, size_t y0, size_t n, const ke_t *lo) {
    const ke_t *const *in = x->tb->in;
    ke_t *const *o4 = x->tb->out;
    ke_t r = x->tb->r;
    lk_acc A, B;
    lk_zero(&A);
    lk_zero(&B);
    size_t far = 2 * x->tb->half;
    for (size_t j = 0; j < n; j++) {
        size_t e = y0 + j, o = e + x->tb->half;
        ke_t ve[4], vo[4];
        for (int t = 0; t < 4; t++) {
            pf(in[t] + e);
            pf(in[t] + e + far);
            pf(in[t] + o);
            pf(in[t] + o + far);
            ve[t] = o4[t][e] = fold1(in[t][e], in[t][e + far], r);
            vo[t] = o4[t][o] = fold1(in[t][o], in[t][o + far], r);
        }
        gen_eval(&A, &B, lo[j], ve, vo);
    }
    out2(out, &A, &B);
}

static void block_qonly(ke_t *out, const kctx *x, size_t y0, size_t n, const ke_t *lo) {
    const ke_t *const *in = x->tb->in;
    ke_t *const *o2 = x->tb->out;
    ke_t r = x->tb->r;
    lk_acc A, B;
    lk_zero(&A);
    lk_zero(&B);
    size_t far = 2 * x->tb->half;
    for (size_t j = 0; j < n; j++) {
        size_t e = y0 + j, o = e + x->tb->half;
        ke_t ue[2], uo[2];
        for (int b = 0; b < 2; b++) {
            pf(in[b] + e);
            pf(in[b] + e + far);
            pf(in[b] + o);
            pf(in[b] + o + far);
            ue[b] = o2[b][e] = fold1(in[b][e], in[b][e + far], r);
            uo[b] = o2[b][o] = fold1(in[b][o], in[b][o + far], r);
        }
        q_eval(&A, &B, lo[j], ue, uo);
    }
    out2(out, &A, &B);
}

/* ---- dispatch ---- */

static void kctx_init(kctx *x, const logup_tables *tb, const logup_consts *k) {
    x->tb = tb;
    x->k = k;
    x->gr = ke_mul(k->gamma, tb->r);
    x->ngr = ke_neg(x->gr);
    x->A = ke_neg(k->k[3]);
    x->neg_r = ke_neg(tb->r);
    x->neg_ar = ke_mul(k->neg_a, tb->r);
    x->k3r = ke_mul(k->k[3], tb->r);
}

void logup_round(ke_t h[2], logup_kernel kind, const logup_tables *tb, const logup_eq *eq, const logup_consts *k) {
    kctx x;
    ke_t s[MAX_ACC];
    kctx_init(&x, tb, k);
    switch (kind) {
    case LOGUP_K_LEAVES0: /* sum_y eq(y) = 1, so the constant k2 enters once */
        run_blocks(s, 3, LOGUP_K_LEAVES0, block_leaves0, &x, eq);
        h[0] = ke_add(ke_add(k->k[2], ke_mul(k->k[3], s[0])), ke_mul(k->k[4], s[1]));
        h[1] = ke_mul(k->gamma, s[2]);
        return;
    case LOGUP_K_PAIRS0: {
        lk_acc h0, hi;
        run_blocks(s, 7, LOGUP_K_PAIRS0, block_pairs0, &x, eq);
        lk_init(&h0, k->k[0]);
        for (int a = 0; a < 4; a++) lk_mul(&h0, k->k[1 + a], s[a]);
        lk_zero(&hi);
        for (int a = 0; a < 3; a++) lk_mul(&hi, k->k[2 + a], s[4 + a]);
        h[0] = lk_reduce(&h0);
        h[1] = lk_reduce(&hi);
        return;
    }
    case LOGUP_K_STORED0: run_blocks(h, 2, LOGUP_K_STORED0, block_stored0, &x, eq); return;
    case LOGUP_K_PAIRS1: run_blocks(h, 2, LOGUP_K_PAIRS1, block_pairs1, &x, eq); return;
    case LOGUP_K_STORED1: run_blocks(h, 2, LOGUP_K_STORED1, block_stored1, &x, eq); return;
    case LOGUP_K_GENERIC: run_blocks(h, 2, LOGUP_K_GENERIC, block_generic, &x, eq); return;
    case LOGUP_K_LEAVES1: run_blocks(s, 2, LOGUP_K_LEAVES1, block_leaves1, &x, eq); break;
    case LOGUP_K_QONLY: run_blocks(s, 2, LOGUP_K_QONLY, block_qonly, &x, eq); break;
    }
    h[0] = ke_mul(ke_sub(s[0], ke_one()), k->gamma_inv); /* F = (U0 U1 - 1) / g; sum_y eq(y) = 1 */
    h[1] = ke_mul(s[1], k->gamma_inv);
}
