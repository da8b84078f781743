/* Goldilocks F and its extension K against independent references: 128-bit integer arithmetic
 * for F, schoolbook polynomial arithmetic for K, Rabin's irreducibility test for X^3 - X - 1. */
#include "field/ext.h"
#include "field_ref.h"
#include "test.h"

typedef unsigned __int128 u128;
static const u128 P = FE_P;

static const uint64_t EDGE[] = {0, 1, 2, 0xFFFFFFFFull, 0x100000000ull, 0xFFFFFFFF00000000ull,
                                FE_P - 2, FE_P - 1, 0x7FFFFFFFFFFFFFFFull, 0x8000000000000000ull,
                                0xFFFFFFFEFFFFFFFFull, 0x00000001FFFFFFFEull};
#define N_EDGE (sizeof EDGE / sizeof EDGE[0])

static uint64_t rand_fe(void) {
    uint64_t x = test_rand();
    if (test_rand() % 4 == 0) x = EDGE[test_rand() % N_EDGE];
    return x % FE_P;
}

static void test_field__add_sub_mul_vs_int128(void) {
    for (int i = 0; i < 2000000; i++) {
        uint64_t a = rand_fe(), b = rand_fe();
        CHECK_EQ_U64(fe_add(a, b), (uint64_t)(((u128)a + b) % P));
        CHECK_EQ_U64(fe_sub(a, b), (uint64_t)(((u128)a + P - b) % P));
        CHECK_EQ_U64(fe_mul(a, b), (uint64_t)(((u128)a * b) % P));
        CHECK_EQ_U64(fe_neg(a), (uint64_t)((P - a) % P));
    }
    for (size_t i = 0; i < N_EDGE; i++)
        for (size_t j = 0; j < N_EDGE; j++) {
            uint64_t a = EDGE[i] % FE_P, b = EDGE[j] % FE_P;
            CHECK_EQ_U64(fe_add(a, b), (uint64_t)(((u128)a + b) % P));
            CHECK_EQ_U64(fe_sub(a, b), (uint64_t)(((u128)a + P - b) % P));
            CHECK_EQ_U64(fe_mul(a, b), (uint64_t)(((u128)a * b) % P));
        }
}

static void test_field__reduce128_any_input(void) {
    for (int i = 0; i < 1000000; i++) {
        u128 x = ((u128)test_rand() << 64) | test_rand();
        if (i < 64) x = ~(u128)0 >> i; /* all-ones patterns */
        CHECK_EQ_U64(fe_reduce128(x), (uint64_t)(x % P));
    }
    for (size_t i = 0; i < N_EDGE; i++)
        for (size_t j = 0; j < N_EDGE; j++) {
            u128 x = ((u128)EDGE[i] << 64) | EDGE[j];
            CHECK_EQ_U64(fe_reduce128(x), (uint64_t)(x % P));
        }
    CHECK_EQ_U64(fe_from_u64(UINT64_MAX), (uint64_t)(UINT64_MAX % FE_P));
    CHECK_EQ_U64(fe_from_u64(FE_P), 0);
}

static void test_field__inverse_and_pow(void) {
    CHECK_EQ_U64(fe_inv(0), 0);
    for (int i = 0; i < 20000; i++) {
        uint64_t a = rand_fe();
        if (!a) continue;
        CHECK_EQ_U64(fe_mul(a, fe_inv(a)), 1);
    }
    /* pow against repeated multiplication */
    for (int i = 0; i < 200; i++) {
        uint64_t a = rand_fe(), e = test_rand() % 300, r = 1;
        for (uint64_t k = 0; k < e; k++) r = (uint64_t)(((u128)r * a) % P);
        CHECK_EQ_U64(fe_pow(a, e), r);
    }
}

static void test_field__batch_inverse_with_zeros(void) {
    enum { N = 1000 };
    static fe_t in[N], out[N];
    for (int i = 0; i < N; i++) in[i] = (i % 7 == 3) ? 0 : rand_fe();
    fe_batch_inv(out, in, N);
    for (int i = 0; i < N; i++) CHECK_EQ_U64(out[i], in[i] ? fe_inv(in[i]) : 0);
    fe_batch_inv(in, in, N); /* aliasing */
    for (int i = 0; i < N; i++) CHECK_EQ_U64(in[i], out[i]);
}

static void test_field__canonical_encoding(void) {
    uint8_t b[8];
    fe_t x;
    const uint64_t bad[] = {FE_P, FE_P + 1, 0xFFFFFFFFFFFFFFFFull, 0xFFFFFFFF80000000ull};
    for (size_t i = 0; i < 4; i++) {
        for (int k = 0; k < 8; k++) b[k] = (uint8_t)(bad[i] >> (8 * k));
        CHECK(!fe_from_bytes(&x, b));
    }
    for (int i = 0; i < 10000; i++) {
        fe_t a = rand_fe();
        fe_to_bytes(b, a);
        CHECK(fe_from_bytes(&x, b) && x == a);
    }
    uint8_t kb[KE_BYTES];
    ke_t k = {{1, 2, 3}}, k2;
    ke_to_bytes(kb, k);
    CHECK(ke_from_bytes(&k2, kb) && ke_eq(k, k2));
    for (int c = 0; c < 3; c++) {
        ke_to_bytes(kb, k);
        for (int i = 0; i < 8; i++) kb[8 * c + i] = (uint8_t)(FE_P >> (8 * i));
        CHECK(!ke_from_bytes(&k2, kb));
    }
}

/* p - 1 = 2^32 * 3 * 5 * 17 * 257 * 65537; 7 generates F* iff 7^((p-1)/q) != 1 for each q. */
static void test_field__generator_and_roots(void) {
    const uint64_t q[] = {2, 3, 5, 17, 257, 65537};
    uint64_t prod = 1ull << 32;
    for (int i = 1; i < 6; i++) prod *= q[i];
    CHECK_EQ_U64(prod, FE_P - 1);
    for (int i = 0; i < 6; i++) CHECK(fe_pow(FE_GENERATOR, (FE_P - 1) / q[i]) != 1);
    CHECK_EQ_U64(fe_pow(FE_GENERATOR, (FE_P - 1) >> 32), FE_ROOT_2ADIC);
    /* published Goldilocks constant (Plonky2, field/src/goldilocks_field.rs POWER_OF_TWO_GENERATOR) */
    CHECK_EQ_U64(FE_ROOT_2ADIC, 1753635133440165772ull);
    for (unsigned k = 0; k <= FE_TWO_ADICITY; k++) {
        fe_t w = fe_root_of_unity(k);
        CHECK_EQ_U64(fe_pow(w, 1ull << k), 1);
        if (k > 0) CHECK(fe_pow(w, 1ull << (k - 1)) == FE_P - 1); /* order exactly 2^k */
    }
}

static ke_t rand_ke(void) {
    ke_t r = {{rand_fe(), rand_fe(), rand_fe()}};
    return r;
}

static void test_ext__modulus_irreducible(void) {
    ref_poly m = ref_ext_modulus();
    CHECK(ref_cubic_irreducible(&m));
    /* the test itself rejects a reducible cubic: X^3 - X = X (X - 1)(X + 1) */
    ref_poly r = m;
    r.c[0] = 0;
    CHECK(!ref_cubic_irreducible(&r));
}

static void test_ext__mul_vs_schoolbook(void) {
    for (int i = 0; i < 200000; i++) {
        ke_t a = rand_ke(), b = rand_ke();
        ke_t x = ke_mul(a, b), y = ref_ke_mul(a, b);
        CHECK(ke_eq(x, y));
    }
}

static void test_ext__field_axioms_and_inverse(void) {
    for (int i = 0; i < 20000; i++) {
        ke_t a = rand_ke(), b = rand_ke(), c = rand_ke();
        CHECK(ke_eq(ke_mul(a, ke_add(b, c)), ke_add(ke_mul(a, b), ke_mul(a, c))));
        CHECK(ke_eq(ke_mul(ke_mul(a, b), c), ke_mul(a, ke_mul(b, c))));
        CHECK(ke_eq(ke_sub(ke_add(a, b), b), a));
        CHECK(ke_eq(ke_mul_fe(a, c.c[0]), ke_mul(a, ke_from_fe(c.c[0]))));
        if (!ke_is_zero(a)) CHECK(ke_eq(ke_mul(a, ke_inv(a)), ke_one()));
    }
    CHECK(ke_is_zero(ke_inv(ke_zero())));
    /* elements with zero constant or leading coefficients */
    for (int i = 0; i < 1000; i++) {
        ke_t a = rand_ke();
        a.c[i % 3] = 0;
        if (!ke_is_zero(a)) CHECK(ke_eq(ke_mul(a, ke_inv(a)), ke_one()));
    }
}

/* a^(p^3) = a for every a in K (order p^3), and a^(p^3 - 1) = 1 for a != 0. */
static void test_ext__frobenius_order(void) {
    for (int i = 0; i < 20; i++) {
        ke_t a = rand_ke(), r = a;
        for (int k = 0; k < 3; k++) r = ke_pow(r, FE_P);
        CHECK(ke_eq(r, a));
    }
}

static void test_ext__batch_inverse(void) {
    enum { N = 500 };
    static ke_t in[N], out[N];
    for (int i = 0; i < N; i++) in[i] = (i % 5 == 0) ? ke_zero() : rand_ke();
    ke_batch_inv(out, in, N);
    for (int i = 0; i < N; i++) CHECK(ke_eq(out[i], ke_inv(in[i])));
}

const struct test_case TEST_CASES[] = {
    TEST(test_field__add_sub_mul_vs_int128), TEST(test_field__reduce128_any_input),
    TEST(test_field__inverse_and_pow),       TEST(test_field__batch_inverse_with_zeros),
    TEST(test_field__canonical_encoding),    TEST(test_field__generator_and_roots),
    TEST(test_ext__modulus_irreducible),     TEST(test_ext__mul_vs_schoolbook),
    TEST(test_ext__field_axioms_and_inverse), TEST(test_ext__frobenius_order),
    TEST(test_ext__batch_inverse),           {0}};
