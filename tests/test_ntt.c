/* NTT over Goldilocks against independent references: direct evaluation (Horner, O(n^2) for
 * whole vectors), a textbook recursive FFT for mid sizes, round trips, linearity, the Basefold
 * fold property of RS codewords, thread-count independence, SIMD against scalar kernels. */
#include <omp.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ntt/ntt.h"
#include "ntt/ntt_arith.h"
#include "ntt/ntt_internal.h"
#include "test.h"

/* ---- references ---- */

static fe_t rand_fe(void) { return test_rand_below(FE_P); }
static fe_t rand_nonzero(void) { return 1 + test_rand_below(FE_P - 1); }

static fe_t *rand_vec(size_t n) {
    fe_t *v = malloc((n ? n : 1) * sizeof *v);
    for (size_t i = 0; i < n; i++) v[i] = rand_fe();
    return v;
}

static fe_t *copy_vec(const fe_t *a, size_t n) {
    fe_t *v = malloc((n ? n : 1) * sizeof *v);
    memcpy(v, a, n * sizeof *v);
    return v;
}

/* f(x) for f = sum_j a_j x^j (Horner). */
static fe_t horner(const fe_t *a, size_t n, fe_t x) {
    fe_t r = 0;
    for (size_t j = n; j-- > 0;) r = fe_add(fe_mul(r, x), a[j]);
    return r;
}

/* out[i] = f(s w^pos(i)), pos = identity or bit reversal: the definition, O(n^2). */
static void naive_eval(fe_t *out, const fe_t *a, unsigned k, fe_t s, int bitrev) {
    size_t n = (size_t)1 << k;
    fe_t w = fe_root_of_unity(k);
    for (size_t i = 0; i < n; i++) out[i] = horner(a, n, fe_mul(s, fe_pow(w, bitrev ? fti_bitrev(i, k) : i)));
}

/* Textbook recursive radix-2 FFT (even/odd split, natural order in and out) on the subgroup:
 * f(x) = E(x^2) + x O(x^2). Independent of the library's DIF/four-step structure. */
static void ref_fft(fe_t *a, size_t n, fe_t w) {
    if (n == 1) return;
    fe_t *e = malloc(n / 2 * sizeof *e), *o = malloc(n / 2 * sizeof *o);
    for (size_t j = 0; j < n / 2; j++) {
        e[j] = a[2 * j];
        o[j] = a[2 * j + 1];
    }
    fe_t w2 = fe_sqr(w);
    ref_fft(e, n / 2, w2);
    ref_fft(o, n / 2, w2);
    fe_t x = 1;
    for (size_t i = 0; i < n / 2; i++) {
        fe_t t = fe_mul(x, o[i]);
        a[i] = fe_add(e[i], t);
        a[i + n / 2] = fe_sub(e[i], t); /* x^(i + n/2) = -x^i */
        x = fe_mul(x, w);
    }
    free(e);
    free(o);
}

static int vec_eq(const fe_t *a, const fe_t *b, size_t n) { return memcmp(a, b, n * sizeof *a) == 0; }

static int all_canonical(const fe_t *a, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (a[i] >= FE_P) return 0;
    return 1;
}

/* ---- the NTT's redundant-representation arithmetic (ntt_arith.h) ---- */

typedef unsigned __int128 u128;

/* Any 64-bit value, often near 0, p or 2^64 where carries and borrows happen. */
static uint64_t rand_u64_edgy(void) {
    static const uint64_t edge[] = {0, 1, FE_EPSILON, FE_EPSILON + 1, FE_P - 1, FE_P, FE_P + 1, UINT64_MAX,
                                    UINT64_MAX - 1, 0x8000000000000000ull, 0xFFFFFFFEFFFFFFFFull};
    uint64_t r = test_rand();
    switch (test_rand() % 4) {
    case 0: return edge[test_rand() % (sizeof edge / sizeof edge[0])];
    case 1: return edge[test_rand() % (sizeof edge / sizeof edge[0])] - (r & 0xFFFF);
    case 2: return edge[test_rand() % (sizeof edge / sizeof edge[0])] + (r & 0xFFFF);
    default: return r;
    }
}

static void test_ntt__redundant_arithmetic_vs_int128(void) {
    const u128 P = FE_P;
    for (int i = 0; i < 2000000; i++) {
        uint64_t a = rand_u64_edgy(), b = rand_u64_edgy();
        CHECK_EQ_U64(nt_canon(nt_add(a, b)), (uint64_t)(((u128)a + b) % P));
        CHECK_EQ_U64(nt_canon(nt_sub(a, b)), (uint64_t)(((u128)a + 2 * P - b % P) % P));
        CHECK_EQ_U64(nt_canon(nt_mul(a, b)), (uint64_t)((u128)a * b % P));
        CHECK(nt_canon(a) < FE_P && nt_canon(a) == a % FE_P);
    }
}

/* ---- small sizes against the definition ---- */

/* All four transforms of one random vector on the coset s H_k against naive_eval. */
static int check_four_transforms(unsigned k, fe_t s) {
    size_t n = (size_t)1 << k;
    fe_t *a = rand_vec(n), *want = malloc(n * sizeof *want), *want_br = malloc(n * sizeof *want_br);
    naive_eval(want, a, k, s, 0);
    naive_eval(want_br, a, k, s, 1);
    fe_t *x = copy_vec(a, n), *y = copy_vec(a, n), *u = copy_vec(want, n), *v = copy_vec(want_br, n);
    fti_ntt_forward(x, k, s);
    fti_ntt_forward_br(y, k, s);
    fti_ntt_inverse(u, k, s);
    fti_ntt_inverse_br(v, k, s);
    int ok = vec_eq(x, want, n) && vec_eq(y, want_br, n) && vec_eq(u, a, n) && vec_eq(v, a, n);
    free(a), free(want), free(want_br), free(x), free(y), free(u), free(v);
    return ok;
}

static void test_ntt__naive_dft_subgroup(void) {
    for (unsigned k = 0; k <= 10; k++) CHECK(check_four_transforms(k, 1));
}

static void test_ntt__naive_dft_cosets(void) {
    const fe_t fixed[] = {FE_GENERATOR, FE_P - 1, 2};
    for (unsigned k = 0; k <= 10; k++) {
        for (size_t i = 0; i < 3; i++) CHECK(check_four_transforms(k, fixed[i]));
        CHECK(check_four_transforms(k, rand_nonzero()));
    }
}

/* ---- mid and large sizes (the four-step path) ---- */

static void test_ntt__reference_fft_mid_sizes(void) {
    for (unsigned k = 11; k <= 17; k++) {
        size_t n = (size_t)1 << k;
        fe_t s = k % 2 ? rand_nonzero() : 1;
        fe_t *a = rand_vec(n), *want = malloc(n * sizeof *want), *got = copy_vec(a, n);
        fe_t p = 1; /* reference on the coset: transform of a_j s^j */
        for (size_t j = 0; j < n; j++, p = fe_mul(p, s)) want[j] = fe_mul(a[j], p);
        ref_fft(want, n, fe_root_of_unity(k));
        fti_ntt_forward(got, k, s);
        CHECK(vec_eq(got, want, n));
        memcpy(got, a, n * sizeof *got);
        fti_ntt_forward_br(got, k, s);
        for (size_t i = 0; i < n; i++) CHECK_EQ_U64(got[i], want[fti_bitrev(i, k)]);
        free(a), free(want), free(got);
    }
}

/* Horner at random positions of large transforms. */
static void test_ntt__spot_checks_large(void) {
    const unsigned ks[] = {18, 20, 21};
    for (size_t t = 0; t < 3; t++) {
        unsigned k = ks[t];
        size_t n = (size_t)1 << k;
        fe_t s = t ? rand_nonzero() : 1, w = fe_root_of_unity(k);
        fe_t *a = rand_vec(n), *br = copy_vec(a, n), *nat = copy_vec(a, n);
        fti_ntt_forward_br(br, k, s);
        fti_ntt_forward(nat, k, s);
        CHECK(all_canonical(br, n) && all_canonical(nat, n));
        for (int q = 0; q < 8; q++) {
            size_t i = test_rand_below(n);
            CHECK_EQ_U64(nat[i], horner(a, n, fe_mul(s, fe_pow(w, i))));
            CHECK_EQ_U64(br[i], horner(a, n, fe_mul(s, fe_pow(w, fti_bitrev(i, k)))));
        }
        free(a), free(br), free(nat);
    }
}

static void test_ntt__round_trips(void) {
    const unsigned ks[] = {16, 20};
    for (size_t t = 0; t < 2; t++) {
        unsigned k = ks[t];
        size_t n = (size_t)1 << k;
        fe_t s = rand_nonzero();
        fe_t *a = rand_vec(n), *x = copy_vec(a, n);
        fti_ntt_forward(x, k, s);
        fti_ntt_inverse(x, k, s);
        CHECK(vec_eq(x, a, n));
        fti_ntt_forward_br(x, k, 1);
        fti_ntt_inverse_br(x, k, 1);
        CHECK(vec_eq(x, a, n));
        fti_ntt_inverse_br(x, k, s); /* evaluations -> coefficients -> evaluations */
        fti_ntt_forward_br(x, k, s);
        CHECK(vec_eq(x, a, n));
        free(a), free(x);
    }
}

/* F(a + c b) = F(a) + c F(b), for every transform, at a four-step size. */
static void test_ntt__linearity(void) {
    unsigned k = 14;
    size_t n = (size_t)1 << k;
    fe_t c = rand_fe(), s = rand_nonzero();
    void (*const fns[4])(fe_t *, unsigned, fe_t) = {fti_ntt_forward, fti_ntt_inverse, fti_ntt_forward_br,
                                                    fti_ntt_inverse_br};
    for (int f = 0; f < 4; f++) {
        fe_t *a = rand_vec(n), *b = rand_vec(n), *m = malloc(n * sizeof *m);
        for (size_t i = 0; i < n; i++) m[i] = fe_add(a[i], fe_mul(c, b[i]));
        fns[f](a, k, s);
        fns[f](b, k, s);
        fns[f](m, k, s);
        for (size_t i = 0; i < n; i++) CHECK_EQ_U64(m[i], fe_add(a[i], fe_mul(c, b[i])));
        free(a), free(b), free(m);
    }
}

/* Results must not depend on the number of OpenMP threads. */
static void test_ntt__thread_count_independent(void) {
    unsigned k = 19;
    size_t n = (size_t)1 << k;
    int saved = omp_get_max_threads();
    fe_t s = rand_nonzero();
    fe_t *a = rand_vec(n), *one = copy_vec(a, n), *many = copy_vec(a, n);
    omp_set_num_threads(1);
    fti_ntt_forward(one, k, s);
    omp_set_num_threads(saved > 1 ? saved : 2);
    fti_ntt_forward(many, k, s);
    omp_set_num_threads(saved);
    CHECK(vec_eq(one, many, n));
    free(a), free(one), free(many);
}

/* Transforms called from inside a parallel region, on distinct arrays (e.g. one polynomial per
 * thread), give the serial results. */
static void test_ntt__concurrent_calls(void) {
    enum { T = 4 };
    unsigned k = 16;
    size_t n = (size_t)1 << k;
    fe_t *in[T], *par[T], *cw[T];
    for (int t = 0; t < T; t++) {
        in[t] = rand_vec(n);
        par[t] = copy_vec(in[t], n);
        cw[t] = malloc(2 * n * sizeof *cw[t]);
    }
    int rs_ok = 1;
#pragma omp parallel for num_threads(2) reduction(&& : rs_ok)
    for (int t = 0; t < T; t++) {
        fti_ntt_forward(par[t], k, (fe_t)t + 1);
        rs_ok = rs_ok && fti_rs_encode(cw[t], in[t], k, 1) == FTI_OK;
    }
    CHECK(rs_ok);
    for (int t = 0; t < T; t++) {
        fe_t *want = copy_vec(in[t], n);
        fti_ntt_forward(want, k, (fe_t)t + 1);
        CHECK(vec_eq(par[t], want, n));
        memcpy(want, in[t], n * sizeof *want);
        fti_ntt_forward_br(want, k, 1);
        CHECK(vec_eq(cw[t], want, n)); /* block 0 of the codeword: the subgroup itself */
        free(want), free(in[t]), free(par[t]), free(cw[t]);
    }
}

/* The SIMD kernels (if this CPU has them) against the portable ones. */
static void test_ntt__simd_matches_scalar(void) {
    if (!ntt_set_simd(1)) {
        printf("  (no SIMD kernels on this CPU: nothing to compare)\n");
        return;
    }
    for (unsigned k = 0; k <= 18; k++) {
        size_t n = (size_t)1 << k;
        fe_t s = k % 3 ? rand_nonzero() : 1;
        fe_t *a = rand_vec(n);
        if (k == 5 || k == 13) /* values at the edges of [0, p) */
            for (size_t i = 0; i < n; i++) a[i] = i % 2 ? FE_P - 1 - (i % 5) : i % 7;
        if (k == 6 || k == 14)
            for (size_t i = 0; i < n; i++) a[i] = FE_P - 1;
        fe_t *x = copy_vec(a, n), *y = copy_vec(a, n);
        for (int f = 0; f < 2; f++) {
            ntt_set_simd(0);
            f ? fti_ntt_inverse_br(x, k, s) : fti_ntt_forward_br(x, k, s);
            ntt_set_simd(1);
            f ? fti_ntt_inverse_br(y, k, s) : fti_ntt_forward_br(y, k, s);
            CHECK(vec_eq(x, y, n));
        }
        CHECK(vec_eq(x, a, n));
        free(a), free(x), free(y);
    }
}

/* The in-place column path (taken when no buffer can be allocated) gives the same results. */
static void test_ntt__columns_in_place(void) {
    const unsigned ks[] = {13, 16, 20};
    for (size_t t = 0; t < 3; t++) {
        unsigned k = ks[t];
        size_t n = (size_t)1 << k;
        fe_t s = rand_nonzero();
        fe_t *a = rand_vec(n), *x = copy_vec(a, n), *y = copy_vec(a, n);
        fti_ntt_forward_br(x, k, s);
        ntt_set_column_buffers(0);
        fti_ntt_forward_br(y, k, s);
        CHECK(vec_eq(x, y, n));
        fti_ntt_inverse_br(y, k, s);
        fe_t *cw_buf = malloc(2 * n * sizeof *cw_buf), *cw_inplace = malloc(2 * n * sizeof *cw_inplace);
        CHECK(fti_rs_encode(cw_inplace, a, k, 1) == FTI_OK); /* out of place, no buffer */
        ntt_set_column_buffers(1);
        CHECK(vec_eq(y, a, n));
        CHECK(fti_rs_encode(cw_buf, a, k, 1) == FTI_OK);
        CHECK(vec_eq(cw_buf, cw_inplace, 2 * n));
        free(a), free(x), free(y), free(cw_buf), free(cw_inplace);
    }
}

/* ---- bit reversal ---- */

static void test_ntt__bitrev(void) {
    CHECK_EQ_U64(fti_bitrev(1, 1), 1);
    CHECK_EQ_U64(fti_bitrev(1, 3), 4);
    CHECK_EQ_U64(fti_bitrev(6, 3), 3);
    CHECK_EQ_U64(fti_bitrev(1, 32), 0x80000000u);
    CHECK_EQ_U64(fti_bitrev(0x12345, 20), 0xA2C48);
    for (unsigned k = 0; k <= 21; k++) { /* naive (< 2^10) and blocked paths */
        size_t n = (size_t)1 << k;
        fe_t *a = malloc(n * sizeof *a);
        for (size_t i = 0; i < n; i++) a[i] = i;
        fti_bit_reverse(a, k);
        for (size_t i = 0; i < n; i++) CHECK_EQ_U64(a[i], fti_bitrev(i, k));
        fti_bit_reverse(a, k);
        for (size_t i = 0; i < n; i++) CHECK_EQ_U64(a[i], i);
        free(a);
    }
}

/* ---- Reed–Solomon encoding ---- */

static void test_ntt__rs_encode_vs_direct(void) {
    const unsigned cases[][2] = {{0, 1}, {0, 2}, {0, 3}, {1, 1}, {1, 3}, {2, 2}, {3, 1}, {4, 3},
                                 {6, 2}, {8, 1}, {9, 3}, {0, 12}, {2, 14}, {13, 1}, {12, 2}, {16, 1}};
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        unsigned k = cases[c][0], b = cases[c][1];
        size_t n = (size_t)1 << k, N = (size_t)1 << (k + b);
        fe_t w = fe_root_of_unity(k + b);
        fe_t *f = rand_vec(n), *cw = malloc(N * sizeof *cw), *f2 = copy_vec(f, n);
        CHECK(fti_rs_encode(cw, f, k, b) == FTI_OK);
        CHECK(vec_eq(f, f2, n)); /* input untouched */
        int every = N * n <= ((size_t)1 << 22);
        for (size_t q = 0; q < (every ? N : 64); q++) {
            size_t i = every ? q : test_rand_below(N);
            CHECK_EQ_U64(cw[i], horner(f, n, fe_pow(w, fti_bitrev(i, k + b))));
        }
        free(f), free(cw), free(f2);
    }
}

/* Positions 2i, 2i+1 hold f(x), f(-x); folding with r, (f(x) + f(-x))/2 + r (f(x) - f(-x))/(2x)
 * = fe(x^2) + r fo(x^2), gives the codeword of the folded polynomial fe + r fo (Basefold). */
static void test_ntt__rs_fold_property(void) {
    unsigned k = 10, b = 2, K = k + b;
    size_t n = (size_t)1 << k, N = (size_t)1 << K;
    fe_t w = fe_root_of_unity(K), r = rand_fe(), half = fe_inv(2);
    fe_t *f = rand_vec(n), *cw = malloc(N * sizeof *cw), *g = malloc(n / 2 * sizeof *g),
         *cg = malloc(N / 2 * sizeof *cg);
    CHECK(fti_rs_encode(cw, f, k, b) == FTI_OK);
    for (size_t j = 0; j < n / 2; j++) g[j] = fe_add(f[2 * j], fe_mul(r, f[2 * j + 1]));
    CHECK(fti_rs_encode(cg, g, k - 1, b) == FTI_OK);
    for (size_t i = 0; i < N / 2; i++) {
        fe_t x = fe_pow(w, fti_bitrev(2 * i, K));
        CHECK_EQ_U64(fe_pow(w, fti_bitrev(2 * i + 1, K)), fe_neg(x));
        CHECK_EQ_U64(cw[2 * i + 1], horner(f, n, fe_neg(x)));
        fe_t ev = fe_mul(fe_add(cw[2 * i], cw[2 * i + 1]), half);
        fe_t od = fe_mul(fe_sub(cw[2 * i], cw[2 * i + 1]), fe_mul(half, fe_inv(x)));
        CHECK_EQ_U64(cg[i], fe_add(ev, fe_mul(r, od)));
    }
    free(f), free(cw), free(g), free(cg);
}

static void test_ntt__rs_rejects_too_large(void) {
    fe_t one = 1, out = 0;
    CHECK(fti_rs_encode(&out, &one, 0, FE_TWO_ADICITY + 1) == FTI_ERR_ARG);
    CHECK(fti_rs_encode(&out, &one, FE_TWO_ADICITY + 1, 0) == FTI_ERR_ARG);
    CHECK(fti_rs_encode(&out, &one, 20, FE_TWO_ADICITY - 19) == FTI_ERR_ARG);
    CHECK(fti_rs_encode(&out, &one, 1u << 31, 1u << 31) == FTI_ERR_ARG); /* the sum wraps */
    CHECK(fti_rs_encode(&out, &one, (unsigned)-1, 2) == FTI_ERR_ARG);
    CHECK(strstr(fti_last_error(), "rs_encode") != NULL);
    CHECK(fti_rs_encode(&out, &one, 0, 0) == FTI_OK && out == 1);
}

/* A transform beyond 2^FE_TWO_ADICITY, or with shift 0, aborts (a programming error). */
static int dies_with_abort(void (*fn)(fe_t *, unsigned, fe_t), unsigned k, fe_t s) {
    fflush(stdout), fflush(stderr);
    pid_t pid = fork();
    if (pid == 0) {
        fe_t x = 0;
        if (!freopen("/dev/null", "w", stderr)) _exit(2);
        fn(&x, k, s);
        _exit(0);
    }
    int st = 0;
    waitpid(pid, &st, 0);
    return WIFSIGNALED(st) && WTERMSIG(st) == SIGABRT;
}

static void test_ntt__transform_too_large_aborts(void) {
    CHECK(dies_with_abort(fti_ntt_forward, FE_TWO_ADICITY + 1, 1));
    CHECK(dies_with_abort(fti_ntt_inverse_br, 40, 1));
    CHECK(dies_with_abort(fti_ntt_inverse, 3, 0));
}

const struct test_case TEST_CASES[] = {
    TEST(test_ntt__redundant_arithmetic_vs_int128),
    TEST(test_ntt__naive_dft_subgroup),
    TEST(test_ntt__naive_dft_cosets),
    TEST(test_ntt__reference_fft_mid_sizes),
    TEST(test_ntt__spot_checks_large),
    TEST(test_ntt__round_trips),
    TEST(test_ntt__linearity),
    TEST(test_ntt__thread_count_independent),
    TEST(test_ntt__concurrent_calls),
    TEST(test_ntt__simd_matches_scalar),
    TEST(test_ntt__columns_in_place),
    TEST(test_ntt__bitrev),
    TEST(test_ntt__rs_encode_vs_direct),
    TEST(test_ntt__rs_fold_property),
    TEST(test_ntt__rs_rejects_too_large),
    TEST(test_ntt__transform_too_large_aborts),
    {0},
};
