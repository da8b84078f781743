/* AVX-512 versions of the LogUp round kernels: eight pairs at a time, one lane per pair.
 *
 * Same arithmetic as logup_kernels.c, every value canonical between operations; since field
 * arithmetic is exact, the sums and the tables written are the scalar kernels' bit for bit (the
 * tests compare whole proofs with and without). The vector arithmetic (field/field_avx512.h) is
 * compiled with a target attribute (not -mavx512f) and chosen at run time when the CPU has
 * AVX-512F, as the NTT's kernels are.
 *
 * Layout. Tables hold ke_t (three coefficients, 24 bytes); eight consecutive ke_t are three
 * 512-bit words, split into one vector per coefficient by two permutes each (and merged back the
 * same way on stores). Pairs (y, y + half) make every stream contiguous. */
#include "field/field_avx512.h"
#include "logup/logup_prover.h"


#if FTI_HAVE_AVX512

#define AVX FTI_AVX
#define AVXI FTI_AVXI

/* The fused kernels read up to 16 streams at once, more than the hardware prefetcher follows:
 * each stream's lines PF_AHEAD ke_t ahead are requested explicitly (8 ke_t = 192 bytes = 3
 * lines per step). */
#define PF_AHEAD 64
AVXI static void pf_k(const ke_t *p) {
    const char *c = (const char *)(p + PF_AHEAD);
    _mm_prefetch(c, _MM_HINT_T0);
    _mm_prefetch(c + 64, _MM_HINT_T0);
    _mm_prefetch(c + 128, _MM_HINT_T0);
}

/* ---- shared pieces (as gen_eval and q_eval in logup_kernels.c) ---- */

AVXI static void gen_eval(vk *A, vk *B, vk w, const vk e[4], const vk o[4]) {
    vk d[4];
    for (int t = 0; t < 4; t++) d[t] = vk_sub(o[t], e[t]);
    *A = vk_add(*A, vk_mul(w, vk_add(vk_mul(e[0], e[3]), vk_mul(e[2], e[1]))));
    *B = vk_add(*B, vk_mul(w, vk_add(vk_mul(d[0], d[3]), vk_mul(d[2], d[1]))));
}

AVXI static void q_eval(vk *A, vk *B, vk w, const vk e[2], const vk o[2]) {
    *A = vk_add(*A, vk_mul(w, vk_mul(e[0], e[1])));
    *B = vk_add(*B, vk_mul(w, vk_mul(vk_sub(o[0], e[0]), vk_sub(o[1], e[1]))));
}

AVX static void out2(ke_t *out, vk A, vk B) {
    out[0] = vk_hsum(A);
    out[1] = vk_hsum(B);
}

/* ---- kernels ---- */

/* Table t of round k >= 2 at the pair (e, o): folds positions e and o of the previous round's
 * table (each against the one 2 half further) by r, writes them out and returns them. */
AVXI static void fold_pair(vk *ve, vk *vo, const logup_tables *tb, int t, size_t e, size_t o, vk r) {
    size_t far = 2 * tb->half;
    pf_k(tb->in[t] + e);
    pf_k(tb->in[t] + e + far);
    pf_k(tb->in[t] + o);
    pf_k(tb->in[t] + o + far);
    *ve = vk_fold(vk_load(tb->in[t] + e), vk_load(tb->in[t] + e + far), r);
    *vo = vk_fold(vk_load(tb->in[t] + o), vk_load(tb->in[t] + o + far), r);
    vk_store(tb->out[t] + e, *ve);
    vk_store(tb->out[t] + o, *vo);
}

/* F = P0 Q1 + Q0 P1' is taken product by product (tables 0 and 3, then 2 and 1) so that only
 * two tables' values are live at a time (32 vector registers hold about ten K vectors). */
AVX static void v_generic(ke_t *out, const logup_kctx *x, size_t y0, size_t n, const ke_t *lo) {
    const logup_tables *tb = x->tb;
    vk r = vk_set1(tb->r), A = vk_zero(), B = vk_zero();
    for (size_t j = 0; j < n; j += 8) {
        size_t e = y0 + j, o = e + tb->half;
        vk ae, ao, be, bo, f0, f2;
        fold_pair(&ae, &ao, tb, 0, e, o, r);
        fold_pair(&be, &bo, tb, 3, e, o, r);
        f0 = vk_mul(ae, be);                                   /* P0 Q1 */
        f2 = vk_mul(vk_sub(ao, ae), vk_sub(bo, be));
        fold_pair(&ae, &ao, tb, 2, e, o, r);
        fold_pair(&be, &bo, tb, 1, e, o, r);
        f0 = vk_add(f0, vk_mul(ae, be));                       /* + Q0 P1' */
        f2 = vk_add(f2, vk_mul(vk_sub(ao, ae), vk_sub(bo, be)));
        vk w = vk_load(lo + j);
        A = vk_add(A, vk_mul(w, f0));
        B = vk_add(B, vk_mul(w, f2));
    }
    out2(out, A, B);
}

AVX static void v_qonly(ke_t *out, const logup_kctx *x, size_t y0, size_t n, const ke_t *lo) {
    const logup_tables *tb = x->tb;
    vk r = vk_set1(tb->r), A = vk_zero(), B = vk_zero();
    for (size_t j = 0; j < n; j += 8) {
        size_t e = y0 + j, o = e + tb->half;
        vk ue[2], uo[2];
        for (int b = 0; b < 2; b++) fold_pair(&ue[b], &uo[b], tb, b, e, o, r);
        q_eval(&A, &B, vk_load(lo + j), ue, uo);
    }
    out2(out, A, B);
}

/* Round 0 on a stored layer, product by product as v_generic; P1' = P1 + g Q1 on the fly. */
AVX static void v_stored0(ke_t *out, const logup_kctx *x, size_t y0, size_t n, const ke_t *lo) {
    const logup_tables *tb = x->tb;
    vk g = vk_set1(x->k->gamma), A = vk_zero(), B = vk_zero();
    for (size_t j = 0; j < n; j += 8) {
        size_t e = y0 + j, o = e + tb->half;
        for (int t = 0; t < 4; t++) {
            pf_k(tb->in[t] + e);
            pf_k(tb->in[t] + o);
        }
        vk ae = vk_load(tb->in[0] + e), ao = vk_load(tb->in[0] + o);
        vk qe = vk_load(tb->in[3] + e), qo = vk_load(tb->in[3] + o);
        vk f0 = vk_mul(ae, qe), f2 = vk_mul(vk_sub(ao, ae), vk_sub(qo, qe));   /* P0 Q1 */
        ae = vk_load(tb->in[2] + e), ao = vk_load(tb->in[2] + o);
        vk be = vk_add(vk_load(tb->in[1] + e), vk_mul(g, qe));                 /* P1' */
        vk bo = vk_add(vk_load(tb->in[1] + o), vk_mul(g, qo));
        f0 = vk_add(f0, vk_mul(ae, be));                                       /* + Q0 P1' */
        f2 = vk_add(f2, vk_mul(vk_sub(ao, ae), vk_sub(bo, be)));
        vk w = vk_load(lo + j);
        A = vk_add(A, vk_mul(w, f0));
        B = vk_add(B, vk_mul(w, f2));
    }
    out2(out, A, B);
}

/* Round 1 on a stored layer: fold by r (position w folds w and w + 2 half), P1' = P1(r) + g Q1(r),
 * product by product as v_generic. */
AVX static void v_stored1(ke_t *out, const logup_kctx *x, size_t y0, size_t n, const ke_t *lo) {
    const logup_tables *tb = x->tb;
    size_t far = 2 * tb->half;
    vk r = vk_set1(tb->r), g = vk_set1(x->k->gamma), A = vk_zero(), B = vk_zero();
    for (size_t j = 0; j < n; j += 8) {
        size_t e = y0 + j, o = e + tb->half;
        vk ae, ao, qe, qo, f0, f2;
        fold_pair(&ae, &ao, tb, 0, e, o, r);
        fold_pair(&qe, &qo, tb, 3, e, o, r);
        f0 = vk_mul(ae, qe);                                                   /* P0 Q1 */
        f2 = vk_mul(vk_sub(ao, ae), vk_sub(qo, qe));
        fold_pair(&ae, &ao, tb, 2, e, o, r);
        pf_k(tb->in[1] + e);
        pf_k(tb->in[1] + e + far);
        pf_k(tb->in[1] + o);
        pf_k(tb->in[1] + o + far);
        vk be = vk_add(vk_fold(vk_load(tb->in[1] + e), vk_load(tb->in[1] + e + far), r), vk_mul(g, qe));
        vk bo = vk_add(vk_fold(vk_load(tb->in[1] + o), vk_load(tb->in[1] + o + far), r), vk_mul(g, qo));
        vk_store(tb->out[1] + e, be);                                          /* P1' */
        vk_store(tb->out[1] + o, bo);
        f0 = vk_add(f0, vk_mul(ae, be));                                       /* + Q0 P1' */
        f2 = vk_add(f2, vk_mul(vk_sub(ao, ae), vk_sub(bo, be)));
        vk w = vk_load(lo + j);
        A = vk_add(A, vk_mul(w, f0));
        B = vk_add(B, vk_mul(w, f2));
    }
    out2(out, A, B);
}

/* U = (1 + g a) - g c0 - g r (c1 - c0), c0, c1 the leaves folded at X = 0 and X = 1 */
AVXI static vk leaf_u(vk A, vk ng, vk ngr, vf c0, vf c1) {
    return vk_add(A, vk_add(vk_mul_f(ng, c0), vk_mul_f(ngr, vf_sub(c1, c0))));
}

AVX static void v_leaves1(ke_t *out, const logup_kctx *x, size_t y0, size_t n, const ke_t *lo) {
    const logup_tables *tb = x->tb;
    const fe_t *const *c = tb->c;
    vk Ac = vk_set1(x->A), ng = vk_set1(ke_neg(x->k->gamma)), ngr = vk_set1(x->ngr), A = vk_zero(), B = vk_zero();
    for (size_t j = 0; j < n; j += 8) {
        size_t e = y0 + j, o = e + tb->half;
        vk ue[2], uo[2];
        for (int b = 0; b < 2; b++) {
            ue[b] = leaf_u(Ac, ng, ngr, vf_load(c[4 * b] + e), vf_load(c[4 * b + 2] + e));
            uo[b] = leaf_u(Ac, ng, ngr, vf_load(c[4 * b + 1] + e), vf_load(c[4 * b + 3] + e));
            vk_store(tb->out[b] + e, ue[b]);
            vk_store(tb->out[b] + o, uo[b]);
        }
        q_eval(&A, &B, vk_load(lo + j), ue, uo);
    }
    out2(out, A, B);
}

AVX static void v_leaves0(ke_t *out, const logup_kctx *x, size_t y0, size_t n, const ke_t *lo) {
    const fe_t *const *c = x->tb->c;
    vk S = vk_zero(), M = vk_zero(), D = vk_zero();
    for (size_t j = 0; j < n; j += 8) {
        size_t y = y0 + j;
        vf a0 = vf_load(c[0] + y), a1 = vf_load(c[1] + y), b0 = vf_load(c[2] + y), b1 = vf_load(c[3] + y);
        vk w = vk_load(lo + j);
        S = vk_add(S, vk_mul_f(w, vf_add(a0, b0)));
        M = vk_add(M, vk_mul_f(w, vf_mul(a0, b0)));
        D = vk_add(D, vk_mul_f(w, vf_mul(vf_sub(a1, a0), vf_sub(b1, b0))));
    }
    out[0] = vk_hsum(S);
    out[1] = vk_hsum(M);
    out[2] = vk_hsum(D);
}

AVX static void v_pairs0(ke_t *out, const logup_kctx *x, size_t y0, size_t n, const ke_t *lo) {
    const fe_t *const *c = x->tb->c;
    vk acc[7];
    for (int a = 0; a < 7; a++) acc[a] = vk_zero();
    for (size_t j = 0; j < n; j += 8) {
        size_t y = y0 + j;
        vf l[8];
        for (int s = 0; s < 8; s++) l[s] = vf_load(c[s] + y);
        vf s0 = vf_add(l[0], l[1]), p0 = vf_mul(l[0], l[1]), s1 = vf_add(l[4], l[5]), p1 = vf_mul(l[4], l[5]);
        vf ds0 = vf_sub(vf_add(l[2], l[3]), s0), dp0 = vf_sub(vf_mul(l[2], l[3]), p0);
        vf ds1 = vf_sub(vf_add(l[6], l[7]), s1), dp1 = vf_sub(vf_mul(l[6], l[7]), p1);
        vf t[7] = {vf_add(s0, s1),                                            /* e1 */
                   vf_add(vf_add(p0, p1), vf_mul(s0, s1)),                    /* e2 */
                   vf_add(vf_mul(s0, p1), vf_mul(s1, p0)),                    /* e3 */
                   vf_mul(p0, p1),                                            /* e4 */
                   vf_mul(ds0, ds1),                                          /* X^2 of e2 */
                   vf_add(vf_mul(ds0, dp1), vf_mul(ds1, dp0)),                /* X^2 of e3 */
                   vf_mul(dp0, dp1)};                                         /* X^2 of e4 */
        vk w = vk_load(lo + j);
        for (int a = 0; a < 7; a++) acc[a] = vk_add(acc[a], vk_mul_f(w, t[a]));
    }
    for (int a = 0; a < 7; a++) out[a] = vk_hsum(acc[a]);
}

/* The generic tables at (r, w) from the two-leaf nodes (as pair_fold in logup_kernels.c). */
AVXI static void pair_fold(vk v[4], const logup_kctx *x, size_t z, unsigned qe) {
    const fe_t *const *c = x->tb->c;
    const fe_t *const *e0 = c + 2 * qe, *const *o0 = c + 2 * qe + 4;
    const fe_t *const *e1 = c + 8 + 2 * qe, *const *o1 = c + 12 + 2 * qe;
    const logup_consts *k = x->k;
    vf a = vf_load(e0[0] + z), b = vf_load(e0[1] + z), cc = vf_load(o0[0] + z), d = vf_load(o0[1] + z);
    vf s0 = vf_add(a, b), p0 = vf_mul(a, b);
    vf ds0 = vf_sub(vf_add(cc, d), s0), dp0 = vf_sub(vf_mul(cc, d), p0);
    a = vf_load(e1[0] + z), b = vf_load(e1[1] + z), cc = vf_load(o1[0] + z), d = vf_load(o1[1] + z);
    vf s1 = vf_add(a, b), p1 = vf_mul(a, b);
    vf ds1 = vf_sub(vf_add(cc, d), s1), dp1 = vf_sub(vf_mul(cc, d), p1);
    vk two_a = vk_set1(k->two_a), a2 = vk_set1(k->a2), na = vk_set1(k->neg_a), nar = vk_set1(x->neg_ar);
    vk rr = vk_set1(x->tb->r);
    v[0] = vk_add(two_a, vk_mul_f(vk_set1(x->neg_r), ds0)); /* 2a - s0 - r ds0 */
    v[0].c[0] = vf_sub(v[0].c[0], s0);
    v[1] = vk_add(vk_add(vk_set1(k->k[2]), vk_mul_f(vk_set1(k->k[3]), s1)),            /* k2 + k3 s1(r) + g pr1(r) */
                  vk_add(vk_mul_f(vk_set1(x->k3r), ds1),
                         vk_add(vk_mul_f(vk_set1(k->gamma), p1), vk_mul_f(vk_set1(x->gr), dp1))));
    for (int b2 = 0; b2 < 2; b2++) { /* Q_b = a^2 - a s_b(r) + pr_b(r) */
        vf s = b2 ? s1 : s0, ds = b2 ? ds1 : ds0, pr = b2 ? p1 : p0, dpr = b2 ? dp1 : dp0;
        vk q = vk_add(vk_add(a2, vk_mul_f(na, s)), vk_add(vk_mul_f(nar, ds), vk_mul_f(rr, dpr)));
        q.c[0] = vf_add(q.c[0], pr);
        v[2 + b2] = q;
    }
}

AVX static void v_pairs1(ke_t *out, const logup_kctx *x, size_t y0, size_t n, const ke_t *lo) {
    const logup_tables *tb = x->tb;
    vk A = vk_zero(), B = vk_zero();
    for (size_t j = 0; j < n; j += 8) {
        size_t e = y0 + j, o = e + tb->half;
        vk ve[4], vo[4];
        pair_fold(ve, x, e, 0);
        pair_fold(vo, x, e, 1);
        for (int t = 0; t < 4; t++) {
            vk_store(tb->out[t] + e, ve[t]);
            vk_store(tb->out[t] + o, vo[t]);
        }
        gen_eval(&A, &B, vk_load(lo + j), ve, vo);
    }
    out2(out, A, B);
}

/* ---- the build ---- */

/* Layer d-2 nodes x0 .. x1-1 of a column (as logup_quad_node over leaves x, x + 2n, x + n, x + 3n). */
AVX static void v_quads(ke_t *p, ke_t *q, const fe_t *c, size_t n, size_t x0, size_t x1, const logup_consts *k) {
    vk a4 = vk_set1(k->a4), na3 = vk_set1(k->neg_a3), a2 = vk_set1(k->a2), na = vk_set1(k->neg_a);
    vk f3 = vk_set1(k->four_a3), n3a2 = vk_set1(k->neg_3a2), ta = vk_set1(k->two_a);
    for (size_t x = x0; x < x1; x += 8) {
        vf u0 = vf_load(c + x), u1 = vf_load(c + x + 2 * n), v0 = vf_load(c + x + n), v1 = vf_load(c + x + 3 * n);
        vf s0 = vf_add(u0, u1), pr0 = vf_mul(u0, u1), s1 = vf_add(v0, v1), pr1 = vf_mul(v0, v1);
        vf e1 = vf_add(s0, s1), e2 = vf_add(vf_add(pr0, pr1), vf_mul(s0, s1));
        vf e3 = vf_add(vf_mul(s0, pr1), vf_mul(s1, pr0)), e4 = vf_mul(pr0, pr1);
        vk vq = vk_add(vk_add(a4, vk_mul_f(na3, e1)), vk_add(vk_mul_f(a2, e2), vk_mul_f(na, e3)));
        vq.c[0] = vf_add(vq.c[0], e4);                                     /* a^4 - e1 a^3 + e2 a^2 - e3 a + e4 */
        vk vp = vk_add(vk_add(f3, vk_mul_f(n3a2, e1)), vk_mul_f(ta, e2));
        vp.c[0] = vf_sub(vp.c[0], e3);                                     /* 4a^3 - 3 e1 a^2 + 2 e2 a - e3 */
        vk_store(q + x, vq);
        vk_store(p + x, vp);
    }
}

/* Layer nodes x0 .. x1-1 from children x, x + n: p = p0 q1 + p1 q0, q = q0 q1. */
AVX static void v_combine(ke_t *p, ke_t *q, const ke_t *cp, const ke_t *cq, size_t n, size_t x0, size_t x1) {
    for (size_t x = x0; x < x1; x += 8) {
        vk p0 = vk_load(cp + x), p1 = vk_load(cp + x + n), q0 = vk_load(cq + x), q1 = vk_load(cq + x + n);
        vk_store(p + x, vk_add(vk_mul(p0, q1), vk_mul(p1, q0)));
        vk_store(q + x, vk_mul(q0, q1));
    }
}

static int have_avx512(void) { return fti_simd_avx512(); }

logup_quads_fn logup_avx512_quads(void) { return have_avx512() ? v_quads : NULL; }
logup_combine_fn logup_avx512_combine(void) { return have_avx512() ? v_combine : NULL; }

logup_block_fn logup_avx512_block(logup_kernel kind) {
    if (!have_avx512()) return NULL;
    switch (kind) {
    case LOGUP_K_LEAVES0: return v_leaves0;
    case LOGUP_K_PAIRS0: return v_pairs0;
    case LOGUP_K_STORED0: return v_stored0;
    case LOGUP_K_LEAVES1: return v_leaves1;
    case LOGUP_K_PAIRS1: return v_pairs1;
    case LOGUP_K_STORED1: return v_stored1;
    case LOGUP_K_GENERIC: return v_generic;
    case LOGUP_K_QONLY: return v_qonly;
    }
    return NULL;
}

#else

logup_block_fn logup_avx512_block(logup_kernel kind) {
    (void)kind;
    return NULL;
}
logup_quads_fn logup_avx512_quads(void) { return NULL; }
logup_combine_fn logup_avx512_combine(void) { return NULL; }

#endif
