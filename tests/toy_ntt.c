/* The NTT code compiled over the toy field p = 257 (2-adicity 8) and checked exhaustively:
 * every size 2^0..2^8, every coset shift, every unit vector (the transforms are linear, so
 * this determines them completely), every input of size 2, all inputs of size 4 over a
 * 16-value alphabet, and rs_encode for every (log_n, log_blowup) that fits.
 *
 * In this configuration the leaf size is 2^2 and column blocks at most 2^3 rows
 * (ntt_internal.h), so sizes 2^3..2^8 run the four-step recursion, up to three levels deep. */
#include "field/batch_inv.c"
#include "field/simd.c" /* the SIMD switch (no AVX-512 kernels over the toy field) */
#include "ntt/bitrev.c"
#include "ntt/ntt.c"
#include "ntt/ntt_avx512.c" /* compiles to nothing over the toy field */
#include "ntt/ntt_scalar.c"
#include "ntt/rs.c"
#include "test.h"
#define FTI_VERSION_STRING "toy" /* error.c reports it; the library target defines it */
#include "util/error.c"

#define N_MAX 256 /* 2^FE_TWO_ADICITY */

typedef void (*transform_fn)(fe_t *, unsigned, fe_t);

/* What each transform computes, in terms of points x_i = s w^pos(i) (pos = i or bitrev(i)):
 *   forward:  out[i] = sum_j in[j] x_i^j
 *   inverse:  out[j] = 2^-k sum_i in[i] x_i^-j */
static void points(fe_t *x, unsigned k, fe_t s, int bitrev) {
    fe_t w = fe_root_of_unity(k);
    for (size_t i = 0; i < ((size_t)1 << k); i++) x[i] = fe_mul(s, fe_pow(w, bitrev ? fti_bitrev(i, k) : i));
}

static void naive_forward(fe_t *out, const fe_t *in, unsigned k, const fe_t *x) {
    size_t n = (size_t)1 << k;
    for (size_t i = 0; i < n; i++) {
        fe_t acc = 0;
        for (size_t j = n; j-- > 0;) acc = fe_add(fe_mul(acc, x[i]), in[j]); /* Horner */
        out[i] = acc;
    }
}

static void naive_inverse(fe_t *out, const fe_t *in, unsigned k, const fe_t *x) {
    size_t n = (size_t)1 << k;
    fe_t ninv = fe_inv((fe_t)n % FE_P);
    for (size_t j = 0; j < n; j++) out[j] = 0;
    for (size_t i = 0; i < n; i++) {
        fe_t xi_inv = fe_inv(x[i]), p = fe_mul(in[i], ninv);
        for (size_t j = 0; j < n; j++, p = fe_mul(p, xi_inv)) out[j] = fe_add(out[j], p);
    }
}

static const transform_fn FNS[4] = {fti_ntt_forward, fti_ntt_forward_br, fti_ntt_inverse, fti_ntt_inverse_br};

/* Compares transform f (0..3 as in FNS) of in against the naive formula at the points x. */
static int matches_naive_at(int f, const fe_t *in, unsigned k, fe_t s, const fe_t *x) {
    size_t n = (size_t)1 << k;
    fe_t got[N_MAX], want[N_MAX];
    memcpy(got, in, n * sizeof *got);
    FNS[f](got, k, s);
    (f < 2 ? naive_forward : naive_inverse)(want, in, k, x);
    return memcmp(got, want, n * sizeof *got) == 0;
}

static int matches_naive(int f, const fe_t *in, unsigned k, fe_t s) {
    fe_t x[N_MAX];
    points(x, k, s, f % 2);
    return matches_naive_at(f, in, k, s, x);
}

/* Unit vector e_j through all four transforms, every size and shift. The images are columns
 * of the transform matrices: forward out[i] = x_i^j, inverse out[m] = 2^-k x_j^-m. */
static void test_toy_ntt__unit_vectors_every_size_and_shift(void) {
    static fe_t want_pow[N_MAX], x[N_MAX], v[N_MAX];
    for (unsigned k = 0; k <= FE_TWO_ADICITY; k++) {
        size_t n = (size_t)1 << k;
        fe_t ninv = fe_inv((fe_t)n % FE_P);
        for (fe_t s = 1; s < FE_P; s++)
            for (int f = 0; f < 4; f++) {
                points(x, k, s, f % 2);
                for (size_t i = 0; i < n; i++) want_pow[i] = 1; /* x_i^j for j = 0 */
                for (size_t j = 0; j < n; j++) {
                    memset(v, 0, n * sizeof *v);
                    v[j] = 1;
                    FNS[f](v, k, s);
                    if (f < 2) {
                        for (size_t i = 0; i < n; i++) CHECK_EQ_U64(v[i], want_pow[i]);
                        for (size_t i = 0; i < n; i++) want_pow[i] = fe_mul(want_pow[i], x[i]);
                    } else {
                        fe_t xj_inv = fe_inv(x[j]), p = ninv;
                        for (size_t m = 0; m < n; m++, p = fe_mul(p, xj_inv)) CHECK_EQ_U64(v[m], p);
                    }
                }
            }
    }
}

/* Linearity, which the unit-vector test relies on: random vectors at every size. */
static void test_toy_ntt__random_vectors_every_size(void) {
    fe_t in[N_MAX];
    for (unsigned k = 0; k <= FE_TWO_ADICITY; k++)
        for (int rep = 0; rep < 20; rep++) {
            for (size_t i = 0; i < ((size_t)1 << k); i++) in[i] = test_rand_below(FE_P);
            fe_t s = 1 + test_rand_below(FE_P - 1);
            for (int f = 0; f < 4; f++) CHECK(matches_naive(f, in, k, s));
        }
}

static const fe_t SOME_SHIFTS[] = {1, FE_P - 1, FE_GENERATOR, 2, 128};
#define N_SHIFTS (sizeof SOME_SHIFTS / sizeof SOME_SHIFTS[0])

/* Every input of size 2 on every coset. The natural-order transforms run the bit-reversed ones
 * plus fti_bit_reverse, the identity at size 2: they get a few cosets only, to save time. */
static void test_toy_ntt__every_input_of_size_2(void) {
    for (fe_t s = 1; s < FE_P; s++)
        for (int f = 0; f < 4; f++) {
            if (f % 2 == 0 && s > 4 && s != FE_P - 1) continue;
            fe_t x[2];
            points(x, 1, s, f % 2);
            for (fe_t a = 0; a < FE_P; a++)
                for (fe_t b = 0; b < FE_P; b++) {
                    fe_t in[2] = {a, b};
                    CHECK(matches_naive_at(f, in, 1, s, x));
                }
        }
}

/* 16^4 inputs of size 4 over an alphabet holding 0, 1, -1, the edges of [0, p) and its middle. */
static void test_toy_ntt__inputs_of_size_4_over_an_alphabet(void) {
    static const fe_t alpha[16] = {0, 1, 2, 3, 7, 16, 64, 127, 128, 129, 200, 250, 254, 255, 256, 100};
    for (unsigned code = 0; code < 65536; code++) {
        fe_t in[4] = {alpha[code & 15], alpha[(code >> 4) & 15], alpha[(code >> 8) & 15], alpha[code >> 12]};
        for (size_t s = 0; s < N_SHIFTS; s++)
            for (int f = 0; f < 4; f++) CHECK(matches_naive(f, in, 2, SOME_SHIFTS[s]));
    }
}

static void test_toy_ntt__bit_reverse_every_size(void) {
    fe_t a[N_MAX];
    for (unsigned k = 0; k <= FE_TWO_ADICITY; k++) {
        for (size_t i = 0; i < ((size_t)1 << k); i++) a[i] = i;
        fti_bit_reverse(a, k);
        for (size_t i = 0; i < ((size_t)1 << k); i++) CHECK_EQ_U64(a[i], fti_bitrev(i, k));
    }
}

/* Every (log_n, log_blowup) with log_n + log_blowup <= 8: codeword[i] = f(w^bitrev(i)) at every
 * position; and one more bit is rejected. */
static void test_toy_ntt__rs_encode_every_shape(void) {
    fe_t f[N_MAX], cw[N_MAX], x[N_MAX], want[N_MAX];
    for (unsigned k = 0; k <= FE_TWO_ADICITY; k++)
        for (unsigned b = 0; k + b <= FE_TWO_ADICITY; b++)
            for (int rep = 0; rep < 4; rep++) {
                size_t n = (size_t)1 << k, N = (size_t)1 << (k + b);
                for (size_t j = 0; j < n; j++) f[j] = test_rand_below(FE_P);
                CHECK(fti_rs_encode(cw, f, k, b) == FTI_OK);
                points(x, k + b, 1, 1);
                for (size_t i = 0; i < N; i++) {
                    fe_t acc = 0;
                    for (size_t j = n; j-- > 0;) acc = fe_add(fe_mul(acc, x[i]), f[j]);
                    want[i] = acc;
                }
                CHECK(memcmp(cw, want, N * sizeof *cw) == 0);
            }
    for (unsigned k = 0; k <= FE_TWO_ADICITY + 1; k++) CHECK(fti_rs_encode(cw, f, k, FE_TWO_ADICITY + 1 - k) == FTI_ERR_ARG);
}

/* The random-vector and RS tests again through the in-place column path (taken when no buffer
 * can be allocated; rs_encode also exercises its out-of-place first pass there). */
static void test_toy_ntt__columns_in_place(void) {
    ntt_set_column_buffers(0);
    test_toy_ntt__random_vectors_every_size();
    test_toy_ntt__rs_encode_every_shape();
    ntt_set_column_buffers(1);
}

const struct test_case TEST_CASES[] = {
    TEST(test_toy_ntt__unit_vectors_every_size_and_shift),
    TEST(test_toy_ntt__random_vectors_every_size),
    TEST(test_toy_ntt__every_input_of_size_2),
    TEST(test_toy_ntt__inputs_of_size_4_over_an_alphabet),
    TEST(test_toy_ntt__bit_reverse_every_size),
    TEST(test_toy_ntt__rs_encode_every_shape),
    TEST(test_toy_ntt__columns_in_place),
    {0},
};
