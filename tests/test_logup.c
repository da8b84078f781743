/* LogUp-GKR range check: completeness over many column sets (sizes 2^0..2^14, entries covering
 * 0 and 65535), claims checked against the true MLEs, serialisation; soundness: out-of-range
 * entries (the honest prover refuses, cheating provers are rejected), each verifier check made
 * to fail on its own by a tampered proof, every byte of a small proof flipped, truncation. */
#include <stdlib.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "field/field_avx512.h"
#include "logup/logup.h"
#include "logup/logup_internal.h"
#include "sumcheck/sumcheck.h"
#include "test.h"

#define MAXCOLS 8
#define TABLE ((size_t)1 << FTI_LOGUP_TABLE_BITS)

/* ---- scenarios ---- */

typedef struct {
    size_t n_cols;
    unsigned nv[MAXCOLS];
    fe_t *col[MAXCOLS];
    fe_t *m;
    ke_t alpha;
    fti_logup_columns cols;
} scen;

static ke_t rand_ke(void) {
    ke_t r = {{test_rand_below(FE_P), test_rand_below(FE_P), test_rand_below(FE_P)}};
    return r;
}

static void scen_bind(scen *S) {
    S->cols.n_cols = S->n_cols;
    S->cols.n_vars = S->nv;
    S->cols.cols = (const fe_t *const *)S->col;
}

/* Columns of the given sizes with random 16-bit entries; entries 0 and 65535 appear in the
 * first column when it has room. */
static void scen_init(scen *S, size_t n_cols, const unsigned *nv) {
    memset(S, 0, sizeof *S);
    S->n_cols = n_cols;
    for (size_t j = 0; j < n_cols; j++) {
        size_t n = (size_t)1 << nv[j];
        S->nv[j] = nv[j];
        S->col[j] = malloc(n * sizeof(fe_t));
        for (size_t x = 0; x < n; x++) S->col[j][x] = test_rand_below(TABLE);
    }
    if (n_cols && nv[0] >= 1) {
        S->col[0][0] = 0;
        S->col[0][1] = TABLE - 1;
    }
    S->m = calloc(TABLE, sizeof(fe_t));
    S->alpha = rand_ke();
    scen_bind(S);
}

static void scen_free(scen *S) {
    for (size_t j = 0; j < S->n_cols; j++) free(S->col[j]);
    free(S->m);
    memset(S, 0, sizeof *S);
}

static fti_status scen_prove(scen *S, fti_logup_proof *p, fti_logup_claims *c) {
    fti_transcript t;
    fti_transcript_init(&t, "test/logup");
    return fti_logup_prove(p, c, &t, &S->cols, S->m, S->alpha);
}

/* The verifier's verdict (LOGUP_ACCEPT or the failing check); claims freed unless wanted. */
static logup_verdict scen_verify_claims(scen *S, const fti_logup_proof *p, fti_logup_claims *c) {
    fti_transcript t;
    logup_verdict v;
    fti_transcript_init(&t, "test/logup");
    if (logup_verify_impl(&v, c, &t, &S->cols, S->alpha, p) != FTI_OK) return (logup_verdict)-1;
    return v;
}

static logup_verdict scen_verify(scen *S, const fti_logup_proof *p) {
    fti_logup_claims c;
    logup_verdict v = scen_verify_claims(S, p, &c);
    fti_logup_claims_free(&c);
    return v;
}

/* The claims are the true MLEs of the columns and of m at the claimed points. */
static int claims_true(const scen *S, const fti_logup_claims *c) {
    if (c->n_cols != S->n_cols) return 0;
    for (size_t j = 0; j < S->n_cols; j++)
        if (!ke_eq(c->values[j], fti_mle_eval_fe(S->col[j], S->nv[j], c->points[j]))) return 0;
    return ke_eq(c->m_value, fti_mle_eval_fe(S->m, FTI_LOGUP_TABLE_BITS, c->m_point));
}

static int claims_equal(const fti_logup_claims *a, const fti_logup_claims *b, const scen *S) {
    if (a->n_cols != b->n_cols || !ke_eq(a->m_value, b->m_value)) return 0;
    if (memcmp(a->m_point, b->m_point, sizeof a->m_point)) return 0;
    for (size_t j = 0; j < a->n_cols; j++) {
        if (!ke_eq(a->values[j], b->values[j])) return 0;
        if (S->nv[j] && memcmp(a->points[j], b->points[j], S->nv[j] * sizeof(ke_t))) return 0;
    }
    return 1;
}

/* Prove honestly, verify, compare claims; returns 1 if all is well. */
static int roundtrip(scen *S) {
    fti_logup_proof p;
    fti_logup_claims cp, cv;
    if (fti_logup_multiplicities(S->m, &S->cols) != FTI_OK) return 0;
    if (scen_prove(S, &p, &cp) != FTI_OK) return 0;
    int ok = scen_verify_claims(S, &p, &cv) == LOGUP_ACCEPT;
    ok = ok && claims_true(S, &cv) && claims_equal(&cp, &cv, S);
    if (ok) fti_logup_claims_free(&cv);
    fti_logup_claims_free(&cp);
    fti_logup_proof_free(&p);
    return ok;
}

/* The honest multiplicities, except that entries outside the table count as `as` (what a
 * cheating prover that wants its m to look honest would commit). */
static void count_as(scen *S, fe_t as) {
    memset(S->m, 0, TABLE * sizeof(fe_t));
    for (size_t j = 0; j < S->n_cols; j++)
        for (size_t x = 0; x < ((size_t)1 << S->nv[j]); x++) {
            fe_t v = S->col[j][x] < TABLE ? S->col[j][x] : as;
            S->m[v] = fe_add(S->m[v], 1);
        }
}

static fti_status prove_cheat(scen *S, fti_logup_proof *p, fti_logup_claims *c, const logup_cheat *ch) {
    fti_transcript t;
    fti_transcript_init(&t, "test/logup");
    return logup_prove_impl(p, c, &t, &S->cols, S->m, S->alpha, ch);
}

/* Serialises, parses back and verifies: the verdict, or -1 if the bytes do not parse or have
 * bytes left over. */
static int verify_bytes(scen *S, const uint8_t *b, size_t n) {
    fti_rbuf r;
    fti_logup_proof q;
    fti_rbuf_init(&r, b, n);
    if (fti_logup_proof_read(&q, &r, &S->cols) != FTI_OK) return -1;
    int v = fti_rbuf_remaining(&r) == 0 ? (int)scen_verify(S, &q) : -1;
    fti_logup_proof_free(&q);
    return v;
}

/* ---- completeness ---- */

static void test_logup__single_column_all_sizes(void) {
    for (unsigned n = 0; n <= 14; n++) {
        scen S;
        scen_init(&S, 1, &n);
        CHECK(roundtrip(&S));
        scen_free(&S);
    }
}

/* Random sets of 1..6 columns of 2^0..2^14 entries (small sizes more often). */
static void test_logup__many_column_sets(void) {
    for (int it = 0; it < 40; it++) {
        scen S;
        unsigned nv[6];
        size_t n_cols = 1 + test_rand_below(6);
        for (size_t j = 0; j < n_cols; j++) nv[j] = (unsigned)test_rand_below(1 + test_rand_below(15));
        scen_init(&S, n_cols, nv);
        CHECK(roundtrip(&S));
        scen_free(&S);
    }
}

/* Columns of one entry (trees of depth 0) alone and mixed with deeper ones, and columns deeper
 * than the table (their trees outlive it). */
static void test_logup__zero_variable_and_deep_columns(void) {
    static const unsigned sets[][4] = {{0}, {0, 0, 0}, {0, 5, 0, 1}, {2, 0}, {17, 0}, {16, 16, 3}, {18, 1}};
    static const size_t n[] = {1, 3, 4, 2, 2, 3, 2};
    for (size_t k = 0; k < sizeof n / sizeof n[0]; k++) {
        scen S;
        scen_init(&S, n[k], sets[k]);
        CHECK(roundtrip(&S));
        scen_free(&S);
    }
}

/* Every table value once (0 .. 65535 in random order), and columns of only 0 or only 65535. */
static void test_logup__extreme_entries(void) {
    static const unsigned nv[] = {16, 7, 9, 0, 0};
    scen S;
    scen_init(&S, 5, nv);
    for (size_t x = 0; x < TABLE; x++) S.col[0][x] = x;
    for (size_t x = TABLE - 1; x > 0; x--) { /* Fisher–Yates */
        size_t y = test_rand_below(x + 1);
        fe_t tmp = S.col[0][x];
        S.col[0][x] = S.col[0][y];
        S.col[0][y] = tmp;
    }
    for (size_t x = 0; x < 128; x++) S.col[1][x] = 0;
    for (size_t x = 0; x < 512; x++) S.col[2][x] = TABLE - 1;
    S.col[3][0] = 0;
    S.col[4][0] = TABLE - 1;
    CHECK(roundtrip(&S));
    scen_free(&S);
}

/* No columns: only the table, whose multiplicities must all be 0. */
static void test_logup__no_columns(void) {
    scen S;
    scen_init(&S, 0, NULL);
    CHECK(roundtrip(&S));
    scen_free(&S);
}

static void test_logup__serialisation_roundtrip(void) {
    static const unsigned nv[] = {9, 0, 3, 17};
    scen S;
    fti_logup_proof p, q;
    fti_logup_claims c;
    fti_wbuf w, w2;
    fti_rbuf r;
    scen_init(&S, 4, nv);
    CHECK(fti_logup_multiplicities(S.m, &S.cols) == FTI_OK);
    CHECK(scen_prove(&S, &p, &c) == FTI_OK);
    fti_wbuf_init(&w);
    fti_logup_proof_write(&w, &p);
    CHECK(!w.oom && w.len == fti_logup_proof_size(&p));
    CHECK(verify_bytes(&S, w.data, w.len) == LOGUP_ACCEPT);
    fti_rbuf_init(&r, w.data, w.len);
    CHECK(fti_logup_proof_read(&q, &r, &S.cols) == FTI_OK && fti_rbuf_done(&r));
    fti_wbuf_init(&w2);
    fti_logup_proof_write(&w2, &q);
    CHECK(w2.len == w.len && !memcmp(w.data, w2.data, w.len));
    fti_wbuf_free(&w2);
    fti_logup_proof_free(&q);
    fti_wbuf_free(&w);
    fti_logup_claims_free(&c);
    fti_logup_proof_free(&p);
    scen_free(&S);
}

/* The same proof bytes on 1 and 2 threads (sizes large enough for the parallel paths). */
static void test_logup__deterministic_across_threads(void) {
#ifdef _OPENMP
    static const unsigned nv[] = {14, 13, 0};
    scen S;
    fti_wbuf w[2];
    int saved = omp_get_max_threads();
    scen_init(&S, 3, nv);
    CHECK(fti_logup_multiplicities(S.m, &S.cols) == FTI_OK);
    for (int k = 0; k < 2; k++) {
        fti_logup_proof p;
        fti_logup_claims c;
        omp_set_num_threads(k + 1);
        fti_wbuf_init(&w[k]);
        CHECK(scen_prove(&S, &p, &c) == FTI_OK);
        fti_logup_proof_write(&w[k], &p);
        fti_logup_claims_free(&c);
        fti_logup_proof_free(&p);
    }
    omp_set_num_threads(saved);
    CHECK(w[0].len == w[1].len && !memcmp(w[0].data, w[1].data, w[0].len));
    fti_wbuf_free(&w[0]);
    fti_wbuf_free(&w[1]);
    scen_free(&S);
#else
    test_skip("no OpenMP");
#endif
}

/* The AVX-512 kernels (when the CPU has them) and the scalar ones give the same proof. */
static void test_logup__simd_matches_scalar(void) {
    static const unsigned nv[] = {14, 11, 9, 3, 0};
    scen S;
    fti_wbuf w[2];
    scen_init(&S, 5, nv);
    CHECK(fti_logup_multiplicities(S.m, &S.cols) == FTI_OK);
    for (int k = 0; k < 2; k++) {
        fti_logup_proof p;
        fti_logup_claims c;
        fti_simd_enabled = k;
        fti_wbuf_init(&w[k]);
        fti_status st = scen_prove(&S, &p, &c);
        fti_simd_enabled = 1;
        CHECK(st == FTI_OK);
        fti_logup_proof_write(&w[k], &p);
        fti_logup_claims_free(&c);
        fti_logup_proof_free(&p);
    }
    CHECK(w[0].len == w[1].len && !memcmp(w[0].data, w[1].data, w[0].len));
    fti_wbuf_free(&w[0]);
    fti_wbuf_free(&w[1]);
    scen_free(&S);
}

/* ---- out-of-range entries ---- */

static const fe_t BAD[] = {TABLE, TABLE + 1, FE_P - 1};

/* A column set with the bad value v at (column 1, index x) and, if `several`, at more places. */
static void bad_scen(scen *S, fe_t v, int several) {
    static const unsigned nv[] = {6, 4, 0};
    scen_init(S, 3, nv);
    S->col[1][5] = v;
    if (several) {
        S->col[1][0] = v;
        S->col[1][15] = v;
        S->col[0][33] = v;
        S->col[2][0] = v;
    }
}

static void test_logup__multiplicities_refuse_out_of_range(void) {
    for (size_t k = 0; k < 3; k++) {
        scen S;
        bad_scen(&S, BAD[k], 0);
        CHECK(fti_logup_multiplicities(S.m, &S.cols) == FTI_ERR_RANGE);
        CHECK(strstr(fti_last_error(), "column 1 entry 5") != NULL);
        scen_free(&S);
    }
}

/* Given multiplicities that count the bad entry as an in-table value, the honest prover refuses
 * (its own root checks fail). */
static void test_logup__honest_prover_refuses_bad_entry(void) {
    for (size_t k = 0; k < 3; k++) {
        scen S;
        fti_logup_proof p;
        fti_logup_claims c;
        bad_scen(&S, BAD[k], 0);
        count_as(&S, 7);
        CHECK(scen_prove(&S, &p, &c) == FTI_ERR_ARG);
        scen_free(&S);
    }
}

/* A prover that runs the honest GKR on columns with bad entries, with multiplicities counting
 * them as in-table values: the roots do not cancel. */
static void cheat_counts(fe_t bad, int several) {
    static const fe_t as[] = {0, 7, TABLE - 1};
    for (size_t a = 0; a < 3; a++) {
        scen S;
        fti_logup_proof p;
        fti_logup_claims c;
        logup_cheat ch = {1, NULL, NULL};
        bad_scen(&S, bad, several);
        count_as(&S, as[a]);
        CHECK(prove_cheat(&S, &p, &c, &ch) == FTI_OK);
        CHECK(scen_verify(&S, &p) == LOGUP_REJ_ROOT_SUM);
        fti_logup_claims_free(&c);
        fti_logup_proof_free(&p);
        scen_free(&S);
    }
}

static void test_logup__cheat_entry_2_16_rejected(void) { cheat_counts(TABLE, 0); }
static void test_logup__cheat_entry_2_16_plus_1_rejected(void) { cheat_counts(TABLE + 1, 0); }
static void test_logup__cheat_entry_p_minus_1_rejected(void) { cheat_counts(FE_P - 1, 0); }
static void test_logup__cheat_several_bad_entries_rejected(void) {
    for (size_t k = 0; k < 3; k++) cheat_counts(BAD[k], 1);
}

/* Multiplicities adjusted by field elements (p - 1 = -1, p - 2^16, a random element) at one or
 * two values: no choice of m cancels a pole outside the table. */
static void test_logup__cheat_adjusted_multiplicities_rejected(void) {
    const fe_t adj[] = {FE_P - 1, FE_P - TABLE, 1 + test_rand_below(FE_P - 1)};
    for (size_t k = 0; k < 3; k++)
        for (size_t a = 0; a < 3; a++) {
            scen S;
            fti_logup_proof p;
            fti_logup_claims c;
            logup_cheat ch = {1, NULL, NULL};
            bad_scen(&S, BAD[k], 0);
            count_as(&S, 0);
            S.m[0] = fe_add(S.m[0], adj[a]);
            S.m[BAD[k] & 0xFFFF] = fe_sub(S.m[BAD[k] & 0xFFFF], adj[a]);
            CHECK(prove_cheat(&S, &p, &c, &ch) == FTI_OK);
            CHECK(scen_verify(&S, &p) == LOGUP_REJ_ROOT_SUM);
            fti_logup_claims_free(&c);
            fti_logup_proof_free(&p);
            scen_free(&S);
        }
}

/* Explicit leaves for column 1 of S: p = 1 and q = alpha - c except where `edit` says. */
typedef struct {
    ke_t *p, *q;
    const ke_t *pp[MAXCOLS], *qq[MAXCOLS];
} leaves;

static void leaves_init(leaves *L, scen *S, size_t j) {
    size_t n = (size_t)1 << S->nv[j];
    memset(L, 0, sizeof *L);
    L->p = malloc(n * sizeof(ke_t));
    L->q = malloc(n * sizeof(ke_t));
    for (size_t x = 0; x < n; x++) {
        L->p[x] = ke_one();
        L->q[x] = ke_sub(S->alpha, ke_from_fe(S->col[j][x]));
    }
    L->pp[j] = L->p;
    L->qq[j] = L->q;
}

static void leaves_free(leaves *L) {
    free(L->p);
    free(L->q);
}

/* The bad entry's leaf gets p = 0 (it drops out of the sum) and m counts only the good entries:
 * every layer is consistent, the roots cancel, and only the leaves' p == 1 check fails. */
static void test_logup__cheat_dropped_leaf_fails_leaf_check(void) {
    for (size_t k = 0; k < 3; k++) {
        scen S;
        fti_logup_proof p;
        fti_logup_claims c;
        leaves L;
        bad_scen(&S, BAD[k], 0);
        count_as(&S, 0);
        S.m[0] = fe_sub(S.m[0], 1); /* the bad entry is not counted at all */
        leaves_init(&L, &S, 1);
        L.p[5] = ke_zero();
        logup_cheat ch = {0, L.pp, L.qq};
        CHECK(prove_cheat(&S, &p, &c, &ch) == FTI_OK); /* the roots cancel: no need to skip checks */
        CHECK(scen_verify(&S, &p) == LOGUP_REJ_LEAF_P);
        fti_logup_claims_free(&c);
        fti_logup_proof_free(&p);
        leaves_free(&L);
        scen_free(&S);
    }
}

/* A consistent lie: the prover runs the GKR on leaves where the bad entry is replaced by an
 * in-table value. The verifier accepts, but the claim it returns for the column is not the
 * committed column's MLE, so the PCS opening the caller does next fails. */
static void test_logup__cheat_substituted_entry_caught_by_claims(void) {
    for (size_t k = 0; k < 3; k++) {
        scen S;
        fti_logup_proof p;
        fti_logup_claims cp, cv;
        leaves L;
        bad_scen(&S, BAD[k], 0);
        count_as(&S, 9);
        leaves_init(&L, &S, 1);
        L.q[5] = ke_sub(S.alpha, ke_from_fe(9));
        logup_cheat ch = {0, L.pp, L.qq};
        CHECK(prove_cheat(&S, &p, &cp, &ch) == FTI_OK);
        CHECK(scen_verify_claims(&S, &p, &cv) == LOGUP_ACCEPT);
        CHECK(ke_eq(cv.values[0], fti_mle_eval_fe(S.col[0], S.nv[0], cv.points[0])));
        CHECK(!ke_eq(cv.values[1], fti_mle_eval_fe(S.col[1], S.nv[1], cv.points[1])));
        CHECK(ke_eq(cv.m_value, fti_mle_eval_fe(S.m, FTI_LOGUP_TABLE_BITS, cv.m_point)));
        fti_logup_claims_free(&cv);
        fti_logup_claims_free(&cp);
        fti_logup_proof_free(&p);
        leaves_free(&L);
        scen_free(&S);
    }
}

/* A proof made for other columns of the same shape verifies (the verifier never reads
 * entries), but the claims it returns differ from the verifier's columns' MLEs. */
static void test_logup__other_columns_caught_by_claims(void) {
    static const unsigned nv[] = {8, 0, 12};
    scen A, B;
    fti_logup_proof p;
    fti_logup_claims cp, cv;
    scen_init(&A, 3, nv);
    scen_init(&B, 3, nv);
    B.alpha = A.alpha;
    for (size_t j = 0; j < 3; j++) memcpy(B.col[j], A.col[j], sizeof(fe_t) << nv[j]);
    B.col[2][77] = (A.col[2][77] + 1) % TABLE; /* one entry differs */
    CHECK(fti_logup_multiplicities(A.m, &A.cols) == FTI_OK);
    CHECK(scen_prove(&A, &p, &cp) == FTI_OK);
    CHECK(scen_verify_claims(&B, &p, &cv) == LOGUP_ACCEPT);
    CHECK(ke_eq(cv.values[0], fti_mle_eval_fe(B.col[0], nv[0], cv.points[0])));
    CHECK(!ke_eq(cv.values[2], fti_mle_eval_fe(B.col[2], nv[2], cv.points[2])));
    CHECK(ke_eq(cv.values[2], fti_mle_eval_fe(A.col[2], nv[2], cv.points[2])));
    fti_logup_claims_free(&cv);
    fti_logup_claims_free(&cp);
    fti_logup_proof_free(&p);
    scen_free(&A);
    scen_free(&B);
}

/* ---- each verifier check on its own ---- */

/* An honest proof of a small column set: columns of 3, 1 and 0 variables (depth 16). */
static void small_proof(scen *S, fti_logup_proof *p) {
    static const unsigned nv[] = {3, 1, 0};
    fti_logup_claims c;
    scen_init(S, 3, nv);
    if (fti_logup_multiplicities(S->m, &S->cols) != FTI_OK || scen_prove(S, p, &c) != FTI_OK) {
        memset(p, 0, sizeof *p);
        return;
    }
    fti_logup_claims_free(&c);
}

static void test_logup__tampered_root_fails_sum(void) {
    scen S;
    fti_logup_proof p;
    small_proof(&S, &p);
    CHECK(p.roots && scen_verify(&S, &p) == LOGUP_ACCEPT);
    for (size_t i = 0; i < 2 * p.n_trees; i++) {
        ke_t v = p.roots[i];
        p.roots[i] = ke_add(v, ke_one());
        CHECK(scen_verify(&S, &p) == LOGUP_REJ_ROOT_SUM);
        p.roots[i] = v;
    }
    fti_logup_proof_free(&p);
    scen_free(&S);
}

static void test_logup__root_q_zero_rejected(void) {
    scen S;
    fti_logup_proof p;
    small_proof(&S, &p);
    CHECK(p.roots);
    for (size_t j = 0; j < p.n_trees; j++) {
        ke_t v = p.roots[2 * j + 1];
        p.roots[2 * j + 1] = ke_zero();
        CHECK(scen_verify(&S, &p) == LOGUP_REJ_ROOT_ZERO);
        p.roots[2 * j + 1] = v;
    }
    fti_logup_proof_free(&p);
    scen_free(&S);
}

/* Roots changed so that they still cancel (P_j += d Q_j, P_table -= d Q_table): the first
 * layer's check fails. */
static void test_logup__tampered_roots_that_cancel_fail_layer(void) {
    scen S;
    fti_logup_proof p;
    small_proof(&S, &p);
    CHECK(p.roots);
    size_t tb = p.n_trees - 1;
    for (size_t j = 0; j < tb; j++) {
        ke_t d = rand_ke(), pj = p.roots[2 * j], pt = p.roots[2 * tb];
        p.roots[2 * j] = ke_add(pj, ke_mul(d, p.roots[2 * j + 1]));
        p.roots[2 * tb] = ke_sub(pt, ke_mul(d, p.roots[2 * tb + 1]));
        CHECK(scen_verify(&S, &p) == (S.nv[j] == 0 ? LOGUP_REJ_LEAF_P : LOGUP_REJ_LAYER));
        p.roots[2 * j] = pj;
        p.roots[2 * tb] = pt;
    }
    CHECK(scen_verify(&S, &p) == LOGUP_ACCEPT);
    fti_logup_proof_free(&p);
    scen_free(&S);
}

/* A column of one entry is its own leaf: a root (2, 2 q) keeps P / Q and the sum, and only the
 * leaf check p == 1 catches it. */
static void test_logup__zero_variable_column_leaf_check(void) {
    scen S;
    fti_logup_proof p;
    small_proof(&S, &p);
    CHECK(p.roots && S.nv[2] == 0);
    ke_t P = p.roots[4], Q = p.roots[5];
    p.roots[4] = ke_add(P, P);
    p.roots[5] = ke_add(Q, Q);
    CHECK(scen_verify(&S, &p) == LOGUP_REJ_LEAF_P);
    fti_logup_proof_free(&p);
    scen_free(&S);
}

/* Every value of every round: g(0) or g(1) fails that round's check; g(2) or g(3) changes the
 * next claim, so the next round's check fails, or the layer's final check after its last round. */
static void test_logup__tampered_round_every_position(void) {
    scen S;
    fti_logup_proof p;
    small_proof(&S, &p);
    CHECK(p.rounds);
    for (unsigned i = 1; i < p.depth; i++)
        for (unsigned k = 0; k < i; k++)
            for (unsigned x = 0; x < 4; x++) {
                ke_t *g = p.rounds + logup_rounds_offset(i) + 4 * k + x, v = *g;
                *g = ke_add(v, ke_one());
                logup_verdict want = x < 2 || k + 1 < i ? LOGUP_REJ_ROUND : LOGUP_REJ_LAYER;
                CHECK(scen_verify(&S, &p) == want);
                *g = v;
            }
    CHECK(scen_verify(&S, &p) == LOGUP_ACCEPT);
    fti_logup_proof_free(&p);
    scen_free(&S);
}

static void test_logup__tampered_child_every_position(void) {
    scen S;
    fti_logup_proof p;
    small_proof(&S, &p);
    CHECK(p.children);
    for (size_t i = 0; i < p.n_children; i++) {
        ke_t v = p.children[i];
        p.children[i] = ke_add(v, ke_one());
        CHECK(scen_verify(&S, &p) == LOGUP_REJ_LAYER);
        p.children[i] = v;
    }
    fti_logup_proof_free(&p);
    scen_free(&S);
}

static void test_logup__wrong_alpha_fails_table_check(void) {
    scen S;
    fti_logup_proof p;
    small_proof(&S, &p);
    CHECK(p.roots);
    S.alpha = ke_add(S.alpha, ke_one());
    CHECK(scen_verify(&S, &p) == LOGUP_REJ_TABLE_Q);
    fti_logup_proof_free(&p);
    scen_free(&S);
}

/* The verifier's transcript in another state (another protocol, or something more absorbed):
 * other challenges, and the first round after the first layer fails. */
static void test_logup__other_transcript_rejected(void) {
    scen S;
    fti_logup_proof p;
    fti_logup_claims c;
    fti_transcript t;
    logup_verdict v;
    small_proof(&S, &p);
    CHECK(p.roots);
    fti_transcript_init(&t, "test/logup-other");
    CHECK(logup_verify_impl(&v, &c, &t, &S.cols, S.alpha, &p) == FTI_OK && v == LOGUP_REJ_ROUND);
    fti_transcript_init(&t, "test/logup");
    fti_transcript_absorb_u64(&t, "extra", 1);
    CHECK(logup_verify_impl(&v, &c, &t, &S.cols, S.alpha, &p) == FTI_OK && v == LOGUP_REJ_ROUND);
    fti_logup_proof_free(&p);
    scen_free(&S);
}

/* Non-canonical values in an in-memory proof are rejected before any arithmetic. */
static void test_logup__non_canonical_values_rejected(void) {
    scen S;
    fti_logup_proof p;
    small_proof(&S, &p);
    CHECK(p.roots);
    ke_t *slots[3] = {&p.roots[1], &p.rounds[7], &p.children[2]};
    for (int k = 0; k < 3; k++) {
        ke_t v = *slots[k];
        slots[k]->c[k] += FE_P; /* same residue when it fits, non-canonical bytes */
        if (slots[k]->c[k] < FE_P) slots[k]->c[k] = UINT64_MAX;
        CHECK(scen_verify(&S, &p) == LOGUP_REJ_ENCODING);
        *slots[k] = v;
    }
    fti_logup_proof_free(&p);
    scen_free(&S);
}

/* A proof for one shape against another shape: rejected (in memory), unparsable (bytes). */
static void test_logup__other_shape_rejected(void) {
    scen S, T;
    fti_logup_proof p;
    fti_wbuf w;
    static const unsigned nv[] = {4, 1, 0}, nv2[] = {3, 1};
    small_proof(&S, &p);
    CHECK(p.roots);
    scen_init(&T, 3, nv);
    T.alpha = S.alpha;
    CHECK(scen_verify(&T, &p) == LOGUP_REJ_SHAPE);
    fti_wbuf_init(&w);
    fti_logup_proof_write(&w, &p);
    CHECK(verify_bytes(&T, w.data, w.len) == -1);
    scen_free(&T);
    scen_init(&T, 2, nv2);
    T.alpha = S.alpha;
    CHECK(scen_verify(&T, &p) == LOGUP_REJ_SHAPE);
    CHECK(verify_bytes(&T, w.data, w.len) == -1);
    fti_wbuf_free(&w);
    scen_free(&T);
    fti_logup_proof_free(&p);
    scen_free(&S);
}

/* Every byte of a small serialised proof flipped: unparsable or rejected, never a crash;
 * truncations and a trailing byte: unparsable. */
static void test_logup__every_byte_flipped(void) {
    static const unsigned nv[] = {1};
    scen S;
    fti_logup_proof p;
    fti_logup_claims c;
    fti_wbuf w;
    scen_init(&S, 1, nv);
    CHECK(fti_logup_multiplicities(S.m, &S.cols) == FTI_OK);
    CHECK(scen_prove(&S, &p, &c) == FTI_OK);
    fti_wbuf_init(&w);
    fti_logup_proof_write(&w, &p);
    CHECK(verify_bytes(&S, w.data, w.len) == LOGUP_ACCEPT);
    for (size_t i = 0; i < w.len; i++) {
        uint8_t b = w.data[i];
        w.data[i] = b ^ (uint8_t)(1u << (i % 8));
        CHECK(verify_bytes(&S, w.data, w.len) != LOGUP_ACCEPT);
        w.data[i] = b;
    }
    for (size_t n = 0; n < w.len; n += 1 + w.len / 97) CHECK(verify_bytes(&S, w.data, n) == -1);
    CHECK(verify_bytes(&S, w.data, w.len - 1) == -1);
    uint8_t *longer = malloc(w.len + 1);
    memcpy(longer, w.data, w.len);
    longer[w.len] = 0;
    CHECK(verify_bytes(&S, longer, w.len + 1) == -1);
    free(longer);
    fti_wbuf_free(&w);
    fti_logup_claims_free(&c);
    fti_logup_proof_free(&p);
    scen_free(&S);
}

/* The public verifier: accepts an honest proof with the prover's claims; on reject its claims
 * are empty. */
static void test_logup__public_verify(void) {
    scen S;
    fti_logup_proof p;
    fti_logup_claims c, v;
    fti_transcript t;
    int ok = 0;
    static const unsigned nv[] = {5, 0};
    scen_init(&S, 2, nv);
    CHECK(fti_logup_multiplicities(S.m, &S.cols) == FTI_OK);
    CHECK(scen_prove(&S, &p, &c) == FTI_OK);
    fti_transcript_init(&t, "test/logup");
    CHECK(fti_logup_verify(&ok, &v, &t, &S.cols, S.alpha, &p) == FTI_OK && ok == 1);
    CHECK(claims_equal(&c, &v, &S) && claims_true(&S, &v));
    fti_logup_claims_free(&v);
    p.children[0] = ke_add(p.children[0], ke_one());
    fti_transcript_init(&t, "test/logup");
    CHECK(fti_logup_verify(&ok, &v, &t, &S.cols, S.alpha, &p) == FTI_OK && ok == 0);
    CHECK(v.points == NULL && v.values == NULL);
    fti_logup_claims_free(&v);
    fti_logup_claims_free(&c);
    fti_logup_proof_free(&p);
    scen_free(&S);
}

/* ---- helpers and arguments ---- */

static void test_logup__cubic_interpolation(void) {
    for (int it = 0; it < 20; it++) {
        ke_t g[4] = {rand_ke(), rand_ke(), rand_ke(), rand_ke()}, r = rand_ke();
        CHECK(ke_eq(logup_cubic_at(g, r), fti_sc_interpolate(g, 3, r)));
        for (unsigned x = 0; x < 4; x++) CHECK(ke_eq(logup_cubic_at(g, ke_from_fe(x)), g[x]));
    }
}

static void test_logup__bad_arguments(void) {
    unsigned big = FTI_LOGUP_MAX_VARS + 1, ok_nv = 2;
    fe_t col[4] = {1, 2, 3, 4}, m[1];
    const fe_t *cp[1] = {col}, *none[1] = {NULL};
    fti_logup_columns too_deep = {1, &big, cp}, no_data = {1, &ok_nv, none};
    fti_logup_proof p;
    fti_logup_claims c;
    fti_transcript t;
    int ok = 1;
    fti_transcript_init(&t, "x");
    CHECK(fti_logup_multiplicities(m, NULL) == FTI_ERR_ARG);
    CHECK(fti_logup_multiplicities(m, &too_deep) == FTI_ERR_ARG);
    CHECK(fti_logup_multiplicities(m, &no_data) == FTI_ERR_ARG);
    CHECK(fti_logup_prove(&p, &c, &t, &no_data, m, ke_one()) == FTI_ERR_ARG);
    CHECK(fti_logup_prove(&p, &c, &t, &too_deep, m, ke_one()) == FTI_ERR_ARG);
    CHECK(fti_logup_verify(&ok, &c, &t, &too_deep, ke_one(), &p) == FTI_ERR_ARG && ok == 0);
    fti_logup_columns too_many = {FTI_LOGUP_MAX_COLS + 1, &ok_nv, cp};
    CHECK(fti_logup_multiplicities(m, &too_many) == FTI_ERR_ARG);
    ke_t bad_alpha = {{FE_P, 0, 0}};
    fti_logup_columns one = {1, &ok_nv, cp};
    CHECK(fti_logup_verify(&ok, &c, &t, &one, bad_alpha, &p) == FTI_ERR_ARG && ok == 0);
}

const struct test_case TEST_CASES[] = {
    TEST(test_logup__single_column_all_sizes),
    TEST(test_logup__many_column_sets),
    TEST(test_logup__zero_variable_and_deep_columns),
    TEST(test_logup__extreme_entries),
    TEST(test_logup__no_columns),
    TEST(test_logup__serialisation_roundtrip),
    TEST(test_logup__deterministic_across_threads),
    TEST(test_logup__simd_matches_scalar),
    TEST(test_logup__multiplicities_refuse_out_of_range),
    TEST(test_logup__honest_prover_refuses_bad_entry),
    TEST(test_logup__cheat_entry_2_16_rejected),
    TEST(test_logup__cheat_entry_2_16_plus_1_rejected),
    TEST(test_logup__cheat_entry_p_minus_1_rejected),
    TEST(test_logup__cheat_several_bad_entries_rejected),
    TEST(test_logup__cheat_adjusted_multiplicities_rejected),
    TEST(test_logup__cheat_dropped_leaf_fails_leaf_check),
    TEST(test_logup__cheat_substituted_entry_caught_by_claims),
    TEST(test_logup__other_columns_caught_by_claims),
    TEST(test_logup__tampered_root_fails_sum),
    TEST(test_logup__root_q_zero_rejected),
    TEST(test_logup__tampered_roots_that_cancel_fail_layer),
    TEST(test_logup__zero_variable_column_leaf_check),
    TEST(test_logup__tampered_round_every_position),
    TEST(test_logup__tampered_child_every_position),
    TEST(test_logup__wrong_alpha_fails_table_check),
    TEST(test_logup__other_transcript_rejected),
    TEST(test_logup__non_canonical_values_rejected),
    TEST(test_logup__other_shape_rejected),
    TEST(test_logup__every_byte_flipped),
    TEST(test_logup__public_verify),
    TEST(test_logup__cubic_interpolation),
    TEST(test_logup__bad_arguments),
    {0}};
