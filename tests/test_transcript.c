/* Fiat–Shamir transcript: golden vectors from an independent hashlib implementation
 * (tests/vectors/transcript_vectors.py), rejection sampling, grinding, domain separation. */
#include "hash/transcript.h"
#include "test.h"
#include "vectors/transcript_vectors.h"

static void run_golden_script(fti_transcript *t, fe_t *c_fe, ke_t *c_ke, uint64_t idx[5], uint8_t raw[70]) {
    static const uint8_t zero = 0;
    uint8_t bytes[100];
    for (int i = 0; i < 100; i++) bytes[i] = (uint8_t)i;
    fe_t fes[4] = {0, 1, FE_P - 1, 12345};
    ke_t kes[2] = {{{7, 8, 9}}, {{FE_P - 2, 0, 1}}};
    fti_digest d;
    fti_sha256(&d, "abc", 3);
    fti_transcript_init(t, "fti/test");
    fti_transcript_absorb(t, "empty", &zero, 0);
    fti_transcript_absorb(t, "bytes", bytes, 100);
    fti_transcript_absorb_u64(t, "u64", 0x0123456789ABCDEFull);
    fti_transcript_absorb_fes(t, "fes", fes, 4);
    fti_transcript_absorb_kes(t, "kes", kes, 2);
    fti_transcript_absorb_digest(t, "digest", &d);
    *c_fe = fti_transcript_challenge_fe(t, "c1");
    *c_ke = fti_transcript_challenge_ke(t, "c2");
    fti_stream s;
    fti_transcript_stream(t, "c3", &s);
    const uint64_t ns[5] = {1, 2, 1000, 1u << 20, 205891132094649ull /* 3^30 */};
    for (int i = 0; i < 5; i++) idx[i] = fti_stream_index(&s, ns[i]);
    fti_transcript_stream(t, "raw", &s);
    fti_stream_bytes(&s, raw, 70);
}

static void test_transcript__golden_vectors(void) {
    fti_transcript t;
    fe_t c_fe;
    ke_t c_ke;
    uint64_t idx[5];
    uint8_t raw[70];
    run_golden_script(&t, &c_fe, &c_ke, idx, raw);
    CHECK_EQ_U64(c_fe, TV_C_FE);
    for (int i = 0; i < 3; i++) CHECK_EQ_U64(c_ke.c[i], TV_C_KE[i]);
    for (int i = 0; i < 5; i++) CHECK_EQ_U64(idx[i], TV_IDX[i]);
    CHECK(memcmp(raw, TV_RAW, 70) == 0);
    uint64_t nonce = fti_transcript_grind(&t, 8);
    CHECK_EQ_U64(nonce, TV_NONCE);
    CHECK_EQ_U64(fti_transcript_challenge_fe(&t, "after-grind"), TV_C_AFTER);
}

/* A stream whose next 8 bytes encode a value >= p must skip it (no reduction mod p). */
static void test_transcript__fe_rejects_out_of_range(void) {
    const uint64_t bad[] = {FE_P, FE_P + 1, UINT64_MAX};
    for (int b = 0; b < 3; b++) {
        fti_stream s;
        memset(&s, 0, sizeof s);
        s.counter = 1; /* pretend block 0 is loaded */
        s.pos = 0;
        for (int i = 0; i < 8; i++) s.block[i] = (uint8_t)(bad[b] >> (8 * i));
        for (int i = 0; i < 8; i++) s.block[8 + i] = (uint8_t)((uint64_t)42 >> (8 * i));
        CHECK_EQ_U64(fti_stream_fe(&s), 42);
        CHECK_EQ_U64(s.pos, 16);
    }
}

/* Index sampling rejects the top partial interval: for n = 3, 2^64 - 1 = 0 (mod 3) lies in it. */
static void test_transcript__index_rejects_biased_tail(void) {
    fti_stream s;
    memset(&s, 0, sizeof s);
    s.counter = 1;
    memset(s.block, 0xff, 8); /* 2^64 - 1: in the rejected tail [2^64 - 1, 2^64) for n = 3 */
    s.block[8] = 5;           /* then 5 -> 5 mod 3 = 2 */
    CHECK_EQ_U64(fti_stream_index(&s, 3), 2);
    memset(&s, 0, sizeof s);
    s.counter = 1;
    memset(s.block, 0xff, 8); /* accepted for n = 2^20 (divides 2^64) */
    CHECK_EQ_U64(fti_stream_index(&s, 1u << 20), (1u << 20) - 1);
}

/* Challenges depend on every absorbed byte, on labels, on order and on framing. */
static void test_transcript__domain_separation(void) {
    fti_transcript a, b;
    fe_t base;
    fti_transcript_init(&a, "p");
    fti_transcript_absorb(&a, "x", "ab", 2);
    base = fti_transcript_challenge_fe(&a, "c");
    /* other protocol */
    fti_transcript_init(&b, "q");
    fti_transcript_absorb(&b, "x", "ab", 2);
    CHECK(fti_transcript_challenge_fe(&b, "c") != base);
    /* other label */
    fti_transcript_init(&b, "p");
    fti_transcript_absorb(&b, "y", "ab", 2);
    CHECK(fti_transcript_challenge_fe(&b, "c") != base);
    /* same bytes split differently */
    fti_transcript_init(&b, "p");
    fti_transcript_absorb(&b, "x", "a", 1);
    fti_transcript_absorb(&b, "x", "b", 1);
    CHECK(fti_transcript_challenge_fe(&b, "c") != base);
    /* other challenge label */
    fti_transcript_init(&b, "p");
    fti_transcript_absorb(&b, "x", "ab", 2);
    CHECK(fti_transcript_challenge_fe(&b, "d") != base);
    /* two challenges in a row differ */
    fti_transcript_init(&b, "p");
    fti_transcript_absorb(&b, "x", "ab", 2);
    CHECK(fti_transcript_challenge_fe(&b, "c") == base);
    CHECK(fti_transcript_challenge_fe(&b, "c") != base);
    /* every single-bit change of the data changes the challenge */
    for (int bit = 0; bit < 16; bit++) {
        char d[2] = {'a', 'b'};
        d[bit / 8] ^= (char)(1 << (bit % 8));
        fti_transcript_init(&b, "p");
        fti_transcript_absorb(&b, "x", d, 2);
        CHECK(fti_transcript_challenge_fe(&b, "c") != base);
    }
}

static void test_transcript__grinding(void) {
    for (unsigned bits = 0; bits <= 12; bits += 4) {
        fti_transcript p, v;
        fti_transcript_init(&p, "g");
        fti_transcript_absorb_u64(&p, "bits", bits);
        v = p;
        uint64_t nonce = fti_transcript_grind(&p, bits);
        CHECK(fti_transcript_check_grind(&v, bits, nonce));
        CHECK(fti_transcript_challenge_fe(&p, "c") == fti_transcript_challenge_fe(&v, "c"));
        /* the prover returns the least valid nonce: all smaller ones fail */
        fti_transcript_init(&p, "g");
        fti_transcript_absorb_u64(&p, "bits", bits);
        for (uint64_t n = 0; n < nonce; n++) {
            fti_transcript w = p;
            CHECK(!fti_transcript_check_grind(&w, bits, n));
        }
    }
    fti_transcript w;
    fti_transcript_init(&w, "g");
    CHECK(!fti_transcript_check_grind(&w, 41, 0)); /* more bits than supported */
}

/* Challenge sampling is uniform enough: a chi-square-free sanity check on the low bits. */
static void test_transcript__challenges_spread(void) {
    fti_transcript t;
    fti_transcript_init(&t, "spread");
    int counts[16] = {0};
    for (int i = 0; i < 16000; i++) counts[fti_transcript_challenge_fe(&t, "c") & 15]++;
    for (int i = 0; i < 16; i++) CHECK(counts[i] > 800 && counts[i] < 1200);
}

const struct test_case TEST_CASES[] = {TEST(test_transcript__golden_vectors),
                                       TEST(test_transcript__fe_rejects_out_of_range),
                                       TEST(test_transcript__index_rejects_biased_tail),
                                       TEST(test_transcript__domain_separation),
                                       TEST(test_transcript__grinding),
                                       TEST(test_transcript__challenges_spread),
                                       {0}};
