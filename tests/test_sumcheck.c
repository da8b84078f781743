/* Sum-check, zero-check, eq and MLE helpers over Goldilocks.
 *
 * Completeness against brute-force sums over the cube; soundness by tampering with every part
 * of a proof and by cheating provers built from the internal round API; the eq/MLE helpers
 * against their defining formulas; determinism across thread counts; exact scratch sizes. */
#include <stdlib.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "field/field_avx512.h"
#include "sumcheck/sumcheck.h"
#include "sumcheck/sumcheck_internal.h"
#include "test.h"

/* ---- helpers ---- */

static fe_t rand_fe(void) { return test_rand_below(FE_P); }
static ke_t rand_ke(void) {
    ke_t r = {{rand_fe(), rand_fe(), rand_fe()}};
    return r;
}

/* Tables of 2^n entries; each is base (F) or ext (K). The originals stay intact; the prover
 * gets fresh copies of the ext tables (it folds them in place). */
typedef struct {
    unsigned n_tables, n_vars;
    fe_t *base[FTI_SC_MAX_TABLES];
    ke_t *ext[FTI_SC_MAX_TABLES];
    ke_t *work[FTI_SC_MAX_TABLES];
    fti_sc_table tab[FTI_SC_MAX_TABLES];
} tableset;

static size_t tsize(const tableset *ts) { return (size_t)1 << ts->n_vars; }

/* kinds: bit m set = table m is ext. */
static void ts_init(tableset *ts, unsigned n_tables, unsigned n_vars, unsigned kinds) {
    memset(ts, 0, sizeof *ts);
    ts->n_tables = n_tables;
    ts->n_vars = n_vars;
    for (unsigned m = 0; m < n_tables; m++) {
        if (kinds >> m & 1) {
            ts->ext[m] = malloc(tsize(ts) * sizeof(ke_t));
            ts->work[m] = malloc(tsize(ts) * sizeof(ke_t));
            for (size_t x = 0; x < tsize(ts); x++) ts->ext[m][x] = rand_ke();
        } else {
            ts->base[m] = malloc(tsize(ts) * sizeof(fe_t));
            for (size_t x = 0; x < tsize(ts); x++) ts->base[m][x] = rand_fe();
        }
    }
}

/* Fresh prover inputs: the ext copies restored from the originals. */
static const fti_sc_table *ts_tables(tableset *ts) {
    for (unsigned m = 0; m < ts->n_tables; m++) {
        ts->tab[m].base = ts->base[m];
        ts->tab[m].ext = ts->work[m];
        if (ts->ext[m]) memcpy(ts->work[m], ts->ext[m], tsize(ts) * sizeof(ke_t));
    }
    return ts->tab;
}

static void ts_free(tableset *ts) {
    for (unsigned m = 0; m < ts->n_tables; m++) free(ts->base[m]), free(ts->ext[m]), free(ts->work[m]);
}

static ke_t ts_entry(const tableset *ts, unsigned m, size_t x) {
    return ts->base[m] ? ke_from_fe(ts->base[m][x]) : ts->ext[m][x];
}

/* Test-local evaluation of the composite (independent of fti_sc_eval). */
static ke_t composite_at(const fti_sc_composite *c, const ke_t *vals) {
    ke_t s = ke_zero();
    for (unsigned t = 0; t < c->n_terms; t++) {
        ke_t p = ke_one();
        for (unsigned f = 0; f < c->terms[t].n_factors; f++) p = ke_mul(p, vals[c->terms[t].factors[f]]);
        s = ke_add(s, ke_mul(p, c->terms[t].coeff));
    }
    return s;
}

static ke_t brute_sum(const fti_sc_composite *c, const tableset *ts) {
    ke_t vals[FTI_SC_MAX_TABLES], s = ke_zero();
    for (size_t x = 0; x < tsize(ts); x++) {
        for (unsigned m = 0; m < ts->n_tables; m++) vals[m] = ts_entry(ts, m, x);
        s = ke_add(s, composite_at(c, vals));
    }
    return s;
}

/* eq(z, x) for a cube point x, straight from the definition. */
static ke_t eq_at(const ke_t *z, unsigned n, size_t x) {
    ke_t p = ke_one();
    for (unsigned i = 0; i < n; i++) p = ke_mul(p, (x >> i & 1) ? z[i] : ke_sub(ke_one(), z[i]));
    return p;
}

/* The MLE of table m at z by sum_x T[x] eq(z, x) (quadratic: small n only). */
static ke_t naive_mle(const tableset *ts, unsigned m, const ke_t *z) {
    ke_t s = ke_zero();
    for (size_t x = 0; x < tsize(ts); x++) s = ke_add(s, ke_mul(ts_entry(ts, m, x), eq_at(z, ts->n_vars, x)));
    return s;
}

static ke_t table_mle(const tableset *ts, unsigned m, const ke_t *z) {
    return ts->base[m] ? fti_mle_eval_fe(ts->base[m], ts->n_vars, z) : fti_mle_eval_ke(ts->ext[m], ts->n_vars, z);
}

/* A random composite of exactly the given degree: term 0 has `degree` factors (with a repeated
 * factor when degree >= 2), the others 0..degree factors. */
static void rand_composite(fti_sc_composite *c, fti_sc_term *terms, unsigned n_tables, unsigned n_terms,
                           unsigned degree) {
    for (unsigned t = 0; t < n_terms; t++) {
        terms[t].coeff = rand_ke();
        terms[t].n_factors = t == 0 ? degree : (unsigned)test_rand_below(degree + 1);
        for (unsigned f = 0; f < terms[t].n_factors; f++) terms[t].factors[f] = (uint8_t)test_rand_below(n_tables);
        if (t == 0 && degree >= 2) terms[t].factors[1] = terms[t].factors[0]; /* a square */
    }
    c->n_tables = n_tables;
    c->n_terms = n_terms;
    c->terms = terms;
}

static void transcript_with_claim(fti_transcript *t, ke_t claim) {
    fti_transcript_init(t, "test/sumcheck");
    fti_transcript_absorb_kes(t, "claim", &claim, 1);
}

/* A proof and everything around it, made with an arena of exactly fti_sc_scratch_size bytes. */
typedef struct {
    fti_arena arena;
    fti_sc_proof proof;
    ke_t claim;
    ke_t point[FTI_SC_MAX_VARS];
    ke_t finals[FTI_SC_MAX_TABLES];
} proved;

static void prove_exact(proved *pr, const fti_sc_composite *c, tableset *ts) {
    fti_transcript t;
    const fti_sc_table *tabs = ts_tables(ts);
    size_t need = fti_sc_scratch_size(c, tabs, ts->n_vars);
    pr->claim = brute_sum(c, ts);
    CHECK(fti_arena_init(&pr->arena, need) == FTI_OK);
    CHECK(pr->arena.capacity == fti_arena_round(need ? need : 64));
    pr->arena.capacity = need; /* exactly: no rounding slack */
    transcript_with_claim(&t, pr->claim);
    CHECK(fti_sc_prove(&pr->proof, pr->point, pr->finals, &pr->arena, &t, c, tabs, ts->n_vars) == FTI_OK);
    CHECK(pr->arena.peak <= need);
    CHECK(pr->arena.used == fti_arena_round((size_t)ts->n_vars * (fti_sc_degree(c) + 1) * sizeof(ke_t)));
    CHECK(pr->proof.n_vars == ts->n_vars && pr->proof.degree == fti_sc_degree(c));
}

/* Verifier's verdict plus the caller's final check against true openings at the point. */
static int verify_full(const fti_sc_composite *c, const tableset *ts, ke_t absorbed, ke_t claim, unsigned n_vars,
                       unsigned degree, const fti_sc_proof *proof) {
    fti_transcript t;
    ke_t point[FTI_SC_MAX_VARS + 1], final_claim, vals[FTI_SC_MAX_TABLES];
    int ok;
    transcript_with_claim(&t, absorbed);
    fti_sc_verify(&ok, point, &final_claim, &t, n_vars, degree, claim, proof);
    if (!ok) return 0;
    for (unsigned m = 0; m < ts->n_tables; m++) vals[m] = table_mle(ts, m, point);
    return ke_eq(final_claim, fti_sc_eval(c, vals));
}

/* ---- completeness ---- */

static void check_completeness(unsigned n, unsigned d, unsigned n_tables, unsigned kinds) {
    tableset ts;
    fti_sc_term terms[4];
    fti_sc_composite c;
    proved pr;
    ts_init(&ts, n_tables, n, kinds);
    rand_composite(&c, terms, n_tables, 1 + (unsigned)test_rand_below(4), d);
    prove_exact(&pr, &c, &ts);
    if (!test_failed) {
        fti_transcript t;
        ke_t point[FTI_SC_MAX_VARS + 1], final_claim;
        int ok;
        transcript_with_claim(&t, pr.claim);
        fti_sc_verify(&ok, point, &final_claim, &t, n, d, pr.claim, &pr.proof);
        CHECK(ok);
        for (unsigned i = 0; i < n; i++) CHECK(ke_eq(point[i], pr.point[i]));
        for (unsigned m = 0; m < n_tables; m++) CHECK(ke_eq(pr.finals[m], table_mle(&ts, m, point)));
        if (n <= 8)
            for (unsigned m = 0; m < n_tables; m++) CHECK(ke_eq(pr.finals[m], naive_mle(&ts, m, point)));
        CHECK(ke_eq(final_claim, fti_sc_eval(&c, pr.finals)));
        CHECK(ke_eq(final_claim, composite_at(&c, pr.finals)));
    }
    fti_arena_free(&pr.arena);
    ts_free(&ts);
}

static void test_sumcheck__completeness_sizes_and_degrees(void) {
    for (unsigned n = 0; n <= 14; n++)
        for (unsigned d = 1; d <= 6; d++) {
            unsigned n_tables = 1 + (unsigned)test_rand_below(5);
            check_completeness(n, d, n_tables, (unsigned)test_rand_below(1u << n_tables)); /* mixed kinds */
            if (test_failed) return;
        }
}

static void test_sumcheck__completeness_base_only_and_ext_only(void) {
    for (unsigned n = 0; n <= 13; n += 1)
        for (unsigned d = 1; d <= 6; d += 1) {
            check_completeness(n, d, 3, 0);    /* every table in F: round 0 in F */
            check_completeness(n, d, 3, 0x7);  /* every table in K */
            if (test_failed) return;
        }
}

static void test_sumcheck__completeness_max_degree_and_tables(void) {
    check_completeness(9, FTI_SC_MAX_DEGREE, FTI_SC_MAX_TABLES, 0xAAAA);
    check_completeness(12, FTI_SC_MAX_DEGREE, FTI_SC_MAX_TABLES, 0);
}

/* Constant terms (no factors) and a composite of degree 0. */
static void test_sumcheck__constant_terms(void) {
    tableset ts;
    fti_sc_term terms[2] = {{ke_from_fe(5), 0, {0}}, {ke_from_fe(3), 1, {0}}};
    fti_sc_composite c = {1, 1, terms};
    proved pr;
    ts_init(&ts, 1, 5, 0);
    prove_exact(&pr, &c, &ts); /* degree 0: sum = 5 * 32 */
    CHECK(ke_eq(pr.claim, ke_from_fe(160)));
    CHECK(verify_full(&c, &ts, pr.claim, pr.claim, 5, 0, &pr.proof));
    CHECK(!verify_full(&c, &ts, pr.claim, ke_from_fe(161), 5, 0, &pr.proof));
    fti_arena_free(&pr.arena);
    c.n_terms = 2; /* 5 + 3 P_0 */
    prove_exact(&pr, &c, &ts);
    CHECK(verify_full(&c, &ts, pr.claim, pr.claim, 5, 1, &pr.proof));
    fti_arena_free(&pr.arena);
    ts_free(&ts);
}

/* More terms than one accumulation batch. */
static void test_sumcheck__many_terms(void) {
    enum { N_TERMS = 3 * FTI_SC_TERM_BATCH + 5 };
    static fti_sc_term terms[N_TERMS];
    tableset ts;
    fti_sc_composite c;
    proved pr;
    ts_init(&ts, 4, 13, 0x5);
    rand_composite(&c, terms, 4, N_TERMS, 3);
    prove_exact(&pr, &c, &ts);
    CHECK(verify_full(&c, &ts, pr.claim, pr.claim, 13, 3, &pr.proof));
    fti_arena_free(&pr.arena);
    ts_free(&ts);
}

/* Two slots holding the same table (a square written as P_0 P_1 with P_1 = P_0) are folded once. */
static void test_sumcheck__aliased_tables(void) {
    for (unsigned kinds = 0; kinds < 2; kinds++) {
        tableset ts;
        fti_sc_term term = {ke_one(), 2, {0, 1}};
        fti_sc_composite c = {2, 1, &term};
        fti_sc_proof proof;
        fti_arena arena;
        fti_transcript t;
        ke_t point[12], finals[2];
        ts_init(&ts, 1, 12, kinds);
        fti_sc_table tabs[2];
        tabs[0] = ts_tables(&ts)[0];
        tabs[1] = tabs[0];
        ke_t claim = ke_zero();
        for (size_t x = 0; x < tsize(&ts); x++) claim = ke_add(claim, ke_sqr(ts_entry(&ts, 0, x)));
        fti_sc_term square = {ke_one(), 2, {0, 0}};
        fti_sc_composite c1 = {1, 1, &square};
        CHECK(fti_sc_scratch_size(&c, tabs, 12) == fti_sc_scratch_size(&c1, tabs, 12)); /* one fold buffer */
        CHECK(fti_arena_init(&arena, fti_sc_scratch_size(&c, tabs, 12)) == FTI_OK);
        transcript_with_claim(&t, claim);
        CHECK(fti_sc_prove(&proof, point, finals, &arena, &t, &c, tabs, 12) == FTI_OK);
        CHECK(ke_eq(finals[0], finals[1]));
        CHECK(ke_eq(finals[0], table_mle(&ts, 0, point)));
        int ok;
        ke_t vpoint[12], final_claim;
        transcript_with_claim(&t, claim);
        fti_sc_verify(&ok, vpoint, &final_claim, &t, 12, 2, claim, &proof);
        CHECK(ok && ke_eq(final_claim, ke_sqr(table_mle(&ts, 0, vpoint))));
        fti_arena_free(&arena);
        ts_free(&ts);
    }
}

static void test_sumcheck__bad_arguments(void) {
    tableset ts;
    fti_sc_term term = {ke_one(), 2, {0, 1}};
    fti_sc_composite c = {2, 1, &term};
    fti_sc_proof proof;
    fti_arena arena;
    fti_transcript t;
    ke_t point[8], finals[2];
    ts_init(&ts, 2, 8, 0x3);
    CHECK(fti_arena_init(&arena, 1 << 20) == FTI_OK);
    fti_transcript_init(&t, "test");
    fti_sc_table tabs[2];
    memcpy(tabs, ts_tables(&ts), sizeof tabs);
    term.factors[1] = 2; /* no table 2 */
    CHECK(fti_sc_prove(&proof, point, finals, &arena, &t, &c, tabs, 8) == FTI_ERR_ARG);
    CHECK(fti_sc_scratch_size(&c, tabs, 8) == 0);
    term.factors[1] = 1;
    term.n_factors = FTI_SC_MAX_DEGREE + 1;
    CHECK(fti_sc_prove(&proof, point, finals, &arena, &t, &c, tabs, 8) == FTI_ERR_ARG);
    term.n_factors = 2;
    tabs[1].base = ts.base[0] ? ts.base[0] : (const fe_t *)ts.work[0]; /* both base and ext */
    CHECK(fti_sc_prove(&proof, point, finals, &arena, &t, &c, tabs, 8) == FTI_ERR_ARG);
    tabs[1].base = NULL;
    tabs[1].ext = ts.work[0] + 3; /* overlaps table 0 */
    CHECK(fti_sc_prove(&proof, point, finals, &arena, &t, &c, tabs, 8) == FTI_ERR_ARG);
    tabs[1].ext = ts.work[1];
    CHECK(fti_sc_prove(&proof, point, finals, &arena, &t, &c, tabs, FTI_SC_MAX_VARS + 1) == FTI_ERR_ARG);
    CHECK(arena.used == 0);
    CHECK(fti_sc_prove(&proof, point, finals, &arena, &t, &c, tabs, 8) == FTI_OK);
    fti_arena_free(&arena);
    ts_free(&ts);
}

/* The scratch bound is exact: one arena block less and the prover runs out (and says so). */
static void test_sumcheck__scratch_size_is_tight(void) {
    tableset ts;
    fti_sc_term terms[2];
    fti_sc_composite c;
    fti_sc_proof proof;
    fti_arena arena;
    fti_transcript t;
    ke_t point[15], finals[3];
    ts_init(&ts, 3, 15, 0x4);
    rand_composite(&c, terms, 3, 2, 3);
    size_t need = fti_sc_scratch_size(&c, ts_tables(&ts), 15);
    /* two base folds of 2^14 K values, the messages, the 8 chunk sums */
    CHECK(need == 2 * fti_arena_round(((size_t)1 << 14) * sizeof(ke_t)) + fti_arena_round(15 * 4 * sizeof(ke_t)) +
                      fti_arena_round(8 * 4 * sizeof(ke_t)));
    CHECK(fti_arena_init(&arena, need) == FTI_OK);
    arena.capacity = need - 64;
    fti_transcript_init(&t, "test");
    CHECK(fti_sc_prove(&proof, point, finals, &arena, &t, &c, ts_tables(&ts), 15) == FTI_ERR_NOMEM);
    CHECK(arena.used == 0);
    fti_transcript fresh;
    fti_transcript_init(&fresh, "test"); /* nothing was absorbed */
    CHECK(ke_eq(fti_transcript_challenge_ke(&t, "x"), fti_transcript_challenge_ke(&fresh, "x")));
    arena.capacity = need;
    CHECK(fti_sc_prove(&proof, point, finals, &arena, &t, &c, ts_tables(&ts), 15) == FTI_OK);
    fti_arena_free(&arena);
    ts_free(&ts);
}

/* Same proof bytes whatever the thread count (tables large enough for many chunks). */
static void test_sumcheck__deterministic_across_threads(void) {
#ifdef _OPENMP
    tableset ts;
    fti_sc_term terms[3];
    fti_sc_composite c;
    proved a, b;
    int threads = omp_get_max_threads();
    ts_init(&ts, 3, 16, 0x2);
    rand_composite(&c, terms, 3, 3, 3);
    omp_set_num_threads(1);
    prove_exact(&a, &c, &ts);
    omp_set_num_threads(4);
    prove_exact(&b, &c, &ts);
    omp_set_num_threads(threads);
    CHECK(memcmp(a.proof.evals, b.proof.evals, 16 * 4 * sizeof(ke_t)) == 0);
    CHECK(memcmp(a.finals, b.finals, 3 * sizeof(ke_t)) == 0);
    fti_arena_free(&a.arena);
    fti_arena_free(&b.arena);
    ts_free(&ts);
#else
    test_skip("built without OpenMP");
#endif
}

/* The in-place parallel fold against an out-of-place one, across block boundaries, for one
 * table and for several folded together. */
static void test_sumcheck__fold_in_place(void) {
    const size_t B = FTI_SC_CHUNK;
    const size_t halves[] = {1, 2, 3, B - 1, B, B + 1, 2 * B, 3 * B + 7, 8 * B, 13 * B + 5};
    for (size_t h = 0; h < sizeof halves / sizeof halves[0]; h++)
        for (unsigned n_tables = 1; n_tables <= 3; n_tables += 2) {
            size_t half = halves[h];
            ke_t *t[3], *want[3], r = rand_ke();
            for (unsigned m = 0; m < n_tables; m++) {
                t[m] = malloc(2 * half * sizeof(ke_t));
                want[m] = malloc(half * sizeof(ke_t));
                for (size_t i = 0; i < 2 * half; i++) t[m][i] = rand_ke();
                for (size_t j = 0; j < half; j++)
                    want[m][j] = ke_add(t[m][2 * j], ke_mul(r, ke_sub(t[m][2 * j + 1], t[m][2 * j])));
            }
            fti_sc_fold_ke(t, n_tables, half, r);
            int same = 1;
            for (unsigned m = 0; m < n_tables; m++) {
                same &= memcmp(t[m], want[m], half * sizeof(ke_t)) == 0;
                free(t[m]);
                free(want[m]);
            }
            CHECK(same);
        }
}

/* ---- soundness ---- */

static void test_sumcheck__wrong_claim_rejected(void) {
    for (unsigned n = 1; n <= 10; n++) {
        tableset ts;
        fti_sc_term terms[3];
        fti_sc_composite c;
        proved pr;
        ts_init(&ts, 3, n, 0x1);
        rand_composite(&c, terms, 3, 3, 2 + n % 3);
        prove_exact(&pr, &c, &ts);
        unsigned d = fti_sc_degree(&c);
        ke_t wrong = ke_add_fe(pr.claim, 1);
        CHECK(verify_full(&c, &ts, pr.claim, pr.claim, n, d, &pr.proof));
        CHECK(!verify_full(&c, &ts, wrong, wrong, n, d, &pr.proof));     /* claim absorbed and checked */
        CHECK(!verify_full(&c, &ts, pr.claim, wrong, n, d, &pr.proof));  /* only checked */
        fti_arena_free(&pr.arena);
        ts_free(&ts);
    }
}

/* Every single round value changed (each coefficient of K, +1 and a random value): rejected,
 * by a round check or, in the last round, by the caller's final check. */
static void test_sumcheck__tampered_round_values_rejected(void) {
    tableset ts;
    fti_sc_term terms[2];
    fti_sc_composite c;
    proved pr;
    const unsigned n = 5, d = 3;
    ts_init(&ts, 3, n, 0x2);
    rand_composite(&c, terms, 3, 2, d);
    prove_exact(&pr, &c, &ts);
    CHECK(verify_full(&c, &ts, pr.claim, pr.claim, n, d, &pr.proof));
    for (unsigned pos = 0; pos < n * (d + 1); pos++)
        for (unsigned k = 0; k < 4; k++) {
            ke_t saved = pr.proof.evals[pos];
            if (k < 3) pr.proof.evals[pos].c[k] = fe_add(saved.c[k], 1);
            else pr.proof.evals[pos] = rand_ke();
            int accepted = verify_full(&c, &ts, pr.claim, pr.claim, n, d, &pr.proof);
            pr.proof.evals[pos] = saved;
            CHECK(!accepted);
        }
    fti_arena_free(&pr.arena);
    ts_free(&ts);
}

/* A non-canonical value (p standing for 0) is refused before any arithmetic, although the
 * field code would reduce it and the proof would otherwise pass (g = 0 proves a zero sum). */
static void test_sumcheck__non_canonical_value_rejected(void) {
    ke_t evals[2] = {ke_zero(), ke_zero()}, point[1], final_claim;
    fti_sc_proof proof = {1, 1, evals};
    fti_transcript t;
    int ok;
    fti_transcript_init(&t, "test");
    fti_sc_verify(&ok, point, &final_claim, &t, 1, 1, ke_zero(), &proof);
    CHECK(ok && ke_is_zero(final_claim));
    for (unsigned k = 0; k < 3; k++) {
        evals[k % 2].c[k] = FE_P;
        fti_transcript_init(&t, "test");
        fti_sc_verify(&ok, point, &final_claim, &t, 1, 1, ke_zero(), &proof);
        CHECK(!ok);
        evals[k % 2].c[k] = 0;
    }
}

/* A wrong final value passes the rounds (they never see it) but not the caller's checks: the
 * composite of the claimed values against the final claim, and the opening of the table. */
static void test_sumcheck__tampered_final_value_caught_by_caller(void) {
    tableset ts;
    fti_sc_term terms[2];
    fti_sc_composite c;
    proved pr;
    ts_init(&ts, 3, 7, 0x0);
    rand_composite(&c, terms, 3, 2, 3);
    terms[0].factors[2] = 2; /* every table is a factor of term 0 */
    terms[0].factors[0] = terms[0].factors[1] = 0;
    terms[1].n_factors = 1, terms[1].factors[0] = 1;
    prove_exact(&pr, &c, &ts);
    fti_transcript t;
    ke_t point[7], final_claim;
    int ok;
    transcript_with_claim(&t, pr.claim);
    fti_sc_verify(&ok, point, &final_claim, &t, 7, 3, pr.claim, &pr.proof);
    CHECK(ok);
    CHECK(ke_eq(final_claim, fti_sc_eval(&c, pr.finals)));
    for (unsigned m = 0; m < 3; m++) {
        ke_t saved = pr.finals[m];
        pr.finals[m] = ke_add_fe(saved, 1);
        CHECK(!ke_eq(final_claim, fti_sc_eval(&c, pr.finals)));  /* the caller's composite check */
        CHECK(!ke_eq(pr.finals[m], table_mle(&ts, m, point)));   /* the opening of P_m at r */
        pr.finals[m] = saved;
    }
    fti_arena_free(&pr.arena);
    ts_free(&ts);
}

/* A proof is accepted only for the shape the verifier expects. */
static void test_sumcheck__wrong_shape_rejected(void) {
    tableset ts;
    fti_sc_term terms[2];
    fti_sc_composite c;
    proved pr;
    const unsigned n = 6, d = 3;
    ts_init(&ts, 2, n, 0x1);
    rand_composite(&c, terms, 2, 2, d);
    prove_exact(&pr, &c, &ts);
    CHECK(verify_full(&c, &ts, pr.claim, pr.claim, n, d, &pr.proof));
    CHECK(!verify_full(&c, &ts, pr.claim, pr.claim, n - 1, d, &pr.proof));
    CHECK(!verify_full(&c, &ts, pr.claim, pr.claim, n + 1, d, &pr.proof));
    CHECK(!verify_full(&c, &ts, pr.claim, pr.claim, n, d - 1, &pr.proof));
    CHECK(!verify_full(&c, &ts, pr.claim, pr.claim, n, d + 1, &pr.proof));
    /* the same values relabelled as another shape: n - 1 rounds, or degree d + 1 ... */
    fti_sc_proof other = pr.proof;
    other.n_vars = n - 1;
    CHECK(!verify_full(&c, &ts, pr.claim, pr.claim, n, d, &other));
    CHECK(!verify_full(&c, &ts, pr.claim, pr.claim, n - 1, d, &other));
    other = pr.proof; /* labels that disagree with the expected shape, values untouched */
    other.degree = d + 1;
    CHECK(!verify_full(&c, &ts, pr.claim, pr.claim, n, d, &other));
    other = pr.proof;
    other.n_vars = n + 1;
    CHECK(!verify_full(&c, &ts, pr.claim, pr.claim, n, d, &other));
    other = pr.proof;
    other.degree = d + 1;
    other.n_vars = n * (d + 1) / (d + 2);
    CHECK(!verify_full(&c, &ts, pr.claim, pr.claim, n, d, &other));
    other = pr.proof;
    other.degree = FTI_SC_MAX_DEGREE + 1;
    CHECK(!verify_full(&c, &ts, pr.claim, pr.claim, n, FTI_SC_MAX_DEGREE + 1, &other));
    other = pr.proof;
    other.evals = NULL;
    CHECK(!verify_full(&c, &ts, pr.claim, pr.claim, n, d, &other));
    fti_arena_free(&pr.arena);
    ts_free(&ts);
}

/* A cheating prover on the honest tables, with the transcript: rounds < lie_round honest, round
 * lie_round sends h + q with q(0) + q(1) = delta (delta = false claim - true claim, or 0 with q
 * = X(X - 1) to lie about a true claim), and every later round stays consistent by sending
 * h_i + e_i X, where e_i = claim_i - (h_i(0) + h_i(1)) is the error carried along. All round
 * checks pass by construction; the error at the end is e_n = q(r_k) prod_{i>k} r_i, nonzero
 * unless a challenge hits a root: the caller's final check catches it. */
static int cheat_once(const fti_sc_composite *c, tableset *ts, ke_t delta, unsigned lie_round, uint64_t seed) {
    unsigned n = ts->n_vars, d = fti_sc_degree(c);
    fti_arena arena;
    fti_sc_prover p;
    fti_transcript tp;
    ke_t claim = ke_add(brute_sum(c, ts), delta), err = ke_zero(), g[FTI_SC_MAX_DEGREE + 1], point[16];
    fti_sc_proof proof = {n, d, malloc((size_t)n * (d + 1) * sizeof(ke_t))};
    if (fti_arena_init(&arena, fti_sc_scratch_size(c, ts_tables(ts), n)) != FTI_OK ||
        fti_sc_prover_init(&p, &arena, c, ts_tables(ts), n) != FTI_OK)
        abort();
    transcript_with_claim(&tp, claim);
    fti_transcript_absorb_u64(&tp, "seed", seed);
    for (unsigned i = 0; i < n; i++) {
        fti_sc_prover_round(&p, g); /* honest h_i */
        for (unsigned x = 0; x <= d; x++) {
            ke_t xx = ke_from_fe(x);
            if (i == lie_round) /* q = delta X + X(X - 1) */
                g[x] = ke_add(g[x], ke_add(ke_mul(delta, xx), ke_mul(xx, ke_sub(xx, ke_one()))));
            else if (i > lie_round)
                g[x] = ke_add(g[x], ke_mul(err, xx));
        }
        memcpy(proof.evals + (size_t)i * (d + 1), g, (d + 1) * sizeof(ke_t));
        fti_transcript_absorb_kes(&tp, "sumcheck/round", g, d + 1);
        point[i] = fti_transcript_challenge_ke(&tp, "sumcheck/challenge");
        ke_t r = point[i];
        if (i == lie_round) err = ke_add(ke_mul(delta, r), ke_mul(r, ke_sub(r, ke_one())));
        else if (i > lie_round) err = ke_mul(err, r);
        fti_sc_prover_bind(&p, r);
    }
    fti_arena_free(&arena);
    /* the verifier: rounds, then the final check against true openings */
    fti_transcript tv;
    ke_t vpoint[16], final_claim, vals[FTI_SC_MAX_TABLES];
    int ok;
    transcript_with_claim(&tv, claim);
    fti_transcript_absorb_u64(&tv, "seed", seed);
    fti_sc_verify(&ok, vpoint, &final_claim, &tv, n, d, claim, &proof);
    free(proof.evals);
    if (!ok) return -1; /* never: the rounds are consistent */
    for (unsigned m = 0; m < ts->n_tables; m++) vals[m] = table_mle(ts, m, vpoint);
    return ke_eq(final_claim, fti_sc_eval(c, vals));
}

static void test_sumcheck__cheating_prover_caught(void) {
    tableset ts;
    fti_sc_term terms[2];
    fti_sc_composite c;
    const unsigned n = 6;
    ts_init(&ts, 3, n, 0x4);
    rand_composite(&c, terms, 3, 2, 2);
    int accepted = 0, round_failures = 0, trials = 0;
    for (unsigned lie = 0; lie < n; lie++)
        for (uint64_t seed = 0; seed < 40; seed++, trials++) {
            ke_t delta = lie == 0 ? ke_one() : ke_zero(); /* a false claim can only lie in round 0 */
            int v = cheat_once(&c, &ts, delta, lie, seed);
            if (v < 0) round_failures++;
            else accepted += v;
        }
    CHECK_EQ_U64(round_failures, 0); /* every round check passed ... */
    CHECK_EQ_U64(accepted, 0);       /* ... and the final check caught all 240 */
    CHECK_EQ_U64(trials, 240);
    ts_free(&ts);
}

/* Verifying after absorbing a different claim changes every challenge: rejected. */
static void test_sumcheck__transcript_binds_claim(void) {
    tableset ts;
    fti_sc_term terms[2];
    fti_sc_composite c;
    proved pr;
    ts_init(&ts, 2, 8, 0x2);
    rand_composite(&c, terms, 2, 2, 2);
    prove_exact(&pr, &c, &ts);
    CHECK(verify_full(&c, &ts, pr.claim, pr.claim, 8, 2, &pr.proof));
    CHECK(!verify_full(&c, &ts, ke_add_fe(pr.claim, 1), pr.claim, 8, 2, &pr.proof));
    /* even the rounds fail (n >= 2): the second round's claim moves with r_0 */
    fti_transcript t;
    ke_t point[8], final_claim;
    int ok;
    transcript_with_claim(&t, ke_add_fe(pr.claim, 1));
    fti_sc_verify(&ok, point, &final_claim, &t, 8, 2, pr.claim, &pr.proof);
    CHECK(!ok);
    fti_arena_free(&pr.arena);
    ts_free(&ts);
}

/* ---- zero-check ---- */

/* Table 0 boolean, table 2 = table 0 * table 1 pointwise: C = P0^2 - P0 + 7 (P0 P1 - P2)
 * vanishes on the cube. bad_index >= 0 breaks one entry (P0 = 2 there). ext: tables 1, 2 in K.
 * *accepted: the verifier's rounds and the final check eq(tau, r) C(P(r)) with true openings. */
static void zerocheck_case(int *accepted, unsigned n, long bad_index, int ext) {
    tableset ts;
    fti_sc_term terms[4] = {{ke_one(), 2, {0, 0}}, {ke_from_fe(FE_P - 1), 1, {0}}, {ke_from_fe(7), 2, {0, 1}},
                            {ke_from_fe(FE_P - 7), 1, {2}}};
    fti_sc_composite c = {3, 4, terms};
    fti_arena arena;
    fti_sc_proof proof;
    fti_transcript t;
    ke_t point[16], finals[3], tau[16], vpoint[16], final_claim, vals[3];
    *accepted = 0;
    ts_init(&ts, 3, n, ext ? 0x6 : 0);
    for (size_t x = 0; x < tsize(&ts); x++) {
        ts.base[0][x] = test_rand() & 1;
        ke_t prod = ke_mul(ts_entry(&ts, 0, x), ts_entry(&ts, 1, x));
        if (ext) ts.ext[2][x] = prod;
        else ts.base[2][x] = prod.c[0];
    }
    if (bad_index >= 0) ts.base[0][bad_index] = 2;
    size_t need = fti_zerocheck_scratch_size(&c, ts_tables(&ts), n);
    CHECK(fti_arena_init(&arena, need) == FTI_OK);
    arena.capacity = need; /* exactly the announced size */
    fti_transcript_init(&t, "test/zerocheck");
    CHECK(fti_zerocheck_prove(&proof, point, finals, &arena, &t, &c, ts_tables(&ts), n) == FTI_OK);
    CHECK(proof.degree == 3 && proof.n_vars == n);
    fti_transcript_init(&t, "test/zerocheck");
    fti_zerocheck_verify(accepted, tau, vpoint, &final_claim, &t, n, 2, &proof);
    if (*accepted) {
        for (unsigned i = 0; i < n; i++) CHECK(ke_eq(vpoint[i], point[i]));
        for (unsigned m = 0; m < 3; m++) vals[m] = table_mle(&ts, m, vpoint);
        for (unsigned m = 0; m < 3; m++) CHECK(ke_eq(vals[m], finals[m]));
        *accepted = ke_eq(final_claim, ke_mul(fti_eq_eval(tau, vpoint, n), fti_sc_eval(&c, vals)));
    }
    fti_arena_free(&arena);
    ts_free(&ts);
}

static void test_zerocheck__vanishing_composite_passes(void) {
    for (unsigned n = 0; n <= 12; n++)
        for (int ext = 0; ext < 2; ext++) {
            int ok;
            zerocheck_case(&ok, n, -1, ext);
            CHECK(ok);
        }
}

static void test_zerocheck__one_nonzero_entry_fails(void) {
    for (unsigned n = 0; n <= 12; n++)
        for (int ext = 0; ext < 2; ext++) {
            int ok;
            zerocheck_case(&ok, n, (long)test_rand_below((uint64_t)1 << n), ext);
            CHECK(!ok);
        }
}

/* The announced scratch size is exact, and running short leaves arena and transcript as they were. */
static void test_zerocheck__scratch_size_is_tight(void) {
    tableset ts;
    fti_sc_term terms[2];
    fti_sc_composite c;
    fti_arena arena;
    fti_sc_proof proof;
    fti_transcript t, fresh;
    ke_t point[13], finals[3];
    ts_init(&ts, 3, 13, 0x1);
    rand_composite(&c, terms, 3, 2, 2);
    size_t need = fti_zerocheck_scratch_size(&c, ts_tables(&ts), 13);
    CHECK(fti_arena_init(&arena, need) == FTI_OK);
    arena.capacity = need - 64;
    fti_transcript_init(&t, "test");
    fti_transcript_init(&fresh, "test");
    CHECK(fti_zerocheck_prove(&proof, point, finals, &arena, &t, &c, ts_tables(&ts), 13) == FTI_ERR_NOMEM);
    CHECK(arena.used == 0);
    CHECK(ke_eq(fti_transcript_challenge_ke(&t, "x"), fti_transcript_challenge_ke(&fresh, "x")));
    arena.capacity = need;
    CHECK(fti_zerocheck_prove(&proof, point, finals, &arena, &t, &c, ts_tables(&ts), 13) == FTI_OK);
    CHECK(arena.peak <= need);
    fti_arena_free(&arena);
    ts_free(&ts);
}

static void test_zerocheck__bad_shapes(void) {
    fti_sc_term term = {ke_one(), FTI_SC_MAX_DEGREE, {0}};
    fti_sc_composite c = {1, 1, &term};
    fti_sc_table tab = {NULL, NULL};
    fe_t one = 1;
    tab.base = &one;
    fti_arena arena;
    fti_sc_proof proof;
    fti_transcript t;
    ke_t point[1], finals[1], tau[1], final_claim;
    int ok;
    CHECK(fti_arena_init(&arena, 4096) == FTI_OK);
    fti_transcript_init(&t, "test");
    CHECK(fti_zerocheck_prove(&proof, point, finals, &arena, &t, &c, &tab, 0) == FTI_ERR_ARG); /* no room */
    term.n_factors = 1;
    CHECK(fti_zerocheck_prove(&proof, point, finals, &arena, &t, &c, &tab, 0) == FTI_OK);
    fti_transcript_init(&t, "test");
    fti_zerocheck_verify(&ok, tau, point, &final_claim, &t, 0, FTI_SC_MAX_DEGREE, &proof);
    CHECK(!ok);
    fti_transcript_init(&t, "test");
    fti_zerocheck_verify(&ok, tau, point, &final_claim, &t, 0, 1, &proof);
    CHECK(ok && ke_is_zero(final_claim)); /* C = P0 = 1 != 0: only the caller's check fails */
    CHECK(!ke_eq(final_claim, fti_sc_eval(&c, finals)));
    fti_arena_free(&arena);
}

/* ---- eq, MLE, interpolation ---- */

static void test_eq__table_eval_and_brute_force_agree(void) {
    for (unsigned n = 0; n <= 12; n++) {
        ke_t z[12] = {{{0}}}, bits[12];
        ke_t *tab = malloc(((size_t)1 << n) * sizeof(ke_t));
        for (unsigned i = 0; i < n; i++) z[i] = rand_ke();
        fti_eq_table(tab, z, n);
        ke_t sum = ke_zero();
        for (size_t x = 0; x < ((size_t)1 << n); x++) {
            for (unsigned i = 0; i < n; i++) bits[i] = ke_from_fe(x >> i & 1);
            int ok = ke_eq(tab[x], eq_at(z, n, x)) && ke_eq(tab[x], fti_eq_eval(z, bits, n)) &&
                     ke_eq(tab[x], fti_eq_eval(bits, z, n));
            sum = ke_add(sum, tab[x]);
            if (!ok) free(tab);
            CHECK(ok);
        }
        free(tab);
        CHECK(ke_eq(sum, ke_one())); /* sum_x eq(z, x) = 1 */
    }
    /* a large table (parallel doubling) spot-checked */
    const unsigned n = 17;
    ke_t z[17];
    ke_t *tab = malloc(((size_t)1 << n) * sizeof(ke_t));
    for (unsigned i = 0; i < n; i++) z[i] = rand_ke();
    fti_eq_table(tab, z, n);
    int ok = 1;
    for (int k = 0; k < 200; k++) {
        size_t x = test_rand_below((uint64_t)1 << n);
        ok &= ke_eq(tab[x], eq_at(z, n, x));
    }
    free(tab);
    CHECK(ok);
}

/* eq(a, b) for two random points against the product formula; symmetric. */
static void test_eq__eval_random_points(void) {
    ke_t a[9], b[9];
    for (unsigned i = 0; i < 9; i++) a[i] = rand_ke(), b[i] = rand_ke();
    ke_t want = ke_one();
    for (unsigned i = 0; i < 9; i++)
        want = ke_mul(want, ke_add(ke_mul(a[i], b[i]), ke_mul(ke_sub(ke_one(), a[i]), ke_sub(ke_one(), b[i]))));
    CHECK(ke_eq(fti_eq_eval(a, b, 9), want));
    CHECK(ke_eq(fti_eq_eval(b, a, 9), want));
    CHECK(ke_eq(fti_eq_eval(a, b, 0), ke_one()));
}

static void test_mle__eval_vs_naive(void) {
    const unsigned sizes[] = {0, 1, 2, 3, 5, 8, 11, 16, 17};
    for (unsigned s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
        unsigned n = sizes[s];
        tableset ts;
        ke_t z[17];
        ts_init(&ts, 2, n, 0x2);
        for (unsigned i = 0; i < n; i++) z[i] = rand_ke();
        for (unsigned m = 0; m < 2; m++) {
            ke_t want = naive_mle(&ts, m, z);
            CHECK(ke_eq(table_mle(&ts, m, z), want));
        }
        /* at a cube point the MLE is the entry */
        size_t x = test_rand_below((uint64_t)1 << n);
        for (unsigned i = 0; i < n; i++) z[i] = ke_from_fe(x >> i & 1);
        for (unsigned m = 0; m < 2; m++) CHECK(ke_eq(table_mle(&ts, m, z), ts_entry(&ts, m, x)));
        ts_free(&ts);
    }
}

/* The two tests above again with the scalar kernels (the default run takes the AVX-512 ones
 * where this CPU has them), so both are held to the naive references. */
static void test_eq_mle__scalar_kernels(void) {
    fti_simd_enabled = 0;
    test_eq__table_eval_and_brute_force_agree();
    if (!test_failed) test_mle__eval_vs_naive();
    fti_simd_enabled = 1;
}

static ke_t horner(const ke_t *coef, unsigned d, ke_t x) {
    ke_t acc = coef[d];
    for (unsigned k = d; k-- > 0;) acc = ke_add(ke_mul(acc, x), coef[k]);
    return acc;
}

static void test_sumcheck__interpolate_vs_horner(void) {
    for (unsigned d = 0; d <= FTI_SC_MAX_DEGREE; d++)
        for (int trial = 0; trial < 50; trial++) {
            ke_t coef[FTI_SC_MAX_DEGREE + 1], evals[FTI_SC_MAX_DEGREE + 1];
            for (unsigned k = 0; k <= d; k++) coef[k] = rand_ke();
            for (unsigned k = 0; k <= d; k++) evals[k] = horner(coef, d, ke_from_fe(k));
            ke_t r = rand_ke();
            CHECK(ke_eq(fti_sc_interpolate(evals, d, r), horner(coef, d, r)));
            for (unsigned k = 0; k <= d; k++) CHECK(ke_eq(fti_sc_interpolate(evals, d, ke_from_fe(k)), evals[k]));
            ke_t big = ke_from_fe(FE_P - 1 - trial); /* nodes near p wrap: -1, -2, ... */
            CHECK(ke_eq(fti_sc_interpolate(evals, d, big), horner(coef, d, big)));
        }
}

const struct test_case TEST_CASES[] = {
    TEST(test_sumcheck__completeness_sizes_and_degrees),
    TEST(test_sumcheck__completeness_base_only_and_ext_only),
    TEST(test_sumcheck__completeness_max_degree_and_tables),
    TEST(test_sumcheck__constant_terms),
    TEST(test_sumcheck__many_terms),
    TEST(test_sumcheck__aliased_tables),
    TEST(test_sumcheck__bad_arguments),
    TEST(test_sumcheck__scratch_size_is_tight),
    TEST(test_sumcheck__deterministic_across_threads),
    TEST(test_sumcheck__fold_in_place),
    TEST(test_sumcheck__wrong_claim_rejected),
    TEST(test_sumcheck__tampered_round_values_rejected),
    TEST(test_sumcheck__tampered_final_value_caught_by_caller),
    TEST(test_sumcheck__non_canonical_value_rejected),
    TEST(test_sumcheck__wrong_shape_rejected),
    TEST(test_sumcheck__cheating_prover_caught),
    TEST(test_sumcheck__transcript_binds_claim),
    TEST(test_sumcheck__interpolate_vs_horner),
    TEST(test_zerocheck__vanishing_composite_passes),
    TEST(test_zerocheck__one_nonzero_entry_fails),
    TEST(test_zerocheck__scratch_size_is_tight),
    TEST(test_zerocheck__bad_shapes),
    TEST(test_eq__table_eval_and_brute_force_agree),
    TEST(test_eq__eval_random_points),
    TEST(test_mle__eval_vs_naive),
    TEST(test_eq_mle__scalar_kernels),
    {0}};
