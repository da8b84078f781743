/* Exhaustive sum-check tests over the toy field p = 257 (K = F_257^3).
 *
 * The library's prover and verifier code is compiled here over the toy field and driven round
 * by round through sumcheck_internal.h with explicit challenges, all of them in F. (The
 * transcript is not used: enumeration needs chosen challenges, and its sampler, which rejects
 * 8-byte values >= p, would practically never return with p = 257.) Soundness is
 * measured against the bound n d / |S| for challenges drawn from S = F:
 *
 *   - one round, every strategy: for a false claim, every message g of degree <= 2 with
 *     g(0) + g(1) = claim (all p^2 of them) against every challenge r, through the verifier's
 *     round and final check: no g wins on more than d challenges;
 *   - n = 1, 2, 3 rounds: the best adaptive cheater, against all p^n challenge sequences.
 *     Why its strategy is the best: while the claim is false, the prover's message is
 *     g = h + delta q with h the honest round polynomial, delta = claim - (h(0) + h(1)) != 0
 *     and q(0) + q(1) = 1; the next claim is true iff q(r) = 0, and every false state is as
 *     good as any other (q -> delta q maps the choices of one state onto another's with the
 *     same roots), so the best play maximises the roots of q in every round: R = d of them
 *     (the one-round enumeration finds that maximum). It wins on exactly p^n - (p - R)^n
 *     sequences, which the test counts and compares with n d p^(n-1). Messages with
 *     coefficients outside F can only lose more: their other two coordinates must vanish at
 *     r as well.
 *   - completeness for every table of size 2 (and every challenge), and for random tables of
 *     size 4 (every challenge sequence) and 8 (a sample of them).
 *
 * Built without the library: the sources are included below. */
#ifndef FTI_VERSION_STRING
#define FTI_VERSION_STRING "toy" /* util/error.c reports it */
#endif

#include "field/batch_inv.c"
#include "hash/transcript.c"
#include "util/arena.c"
#include "util/error.c"
#include "sumcheck/eq.c"
#include "sumcheck/sc_round.c"
#include "sumcheck/sumcheck.c"

#include <stdlib.h>

#include "test.h"

#define P ((unsigned)FE_P)
#define D 2u

static ke_t kf(fe_t a) { return ke_from_fe(a); }

/* C = P0 P1 + 3 P2 + 5 P0^2: degree 2, several terms, a square. */
static const fti_sc_term TERMS[3] = {{{{1, 0, 0}}, 2, {0, 1}}, {{{3, 0, 0}}, 1, {2}}, {{{5, 0, 0}}, 2, {0, 0}}};
static const fti_sc_composite COMPOSITE = {3, 3, TERMS};

typedef struct {
    unsigned n;
    fe_t tab[3][8];
    fti_sc_table tables[3];
    fti_arena arena;
    fti_sc_lagrange lagrange;
    ke_t q[D + 1];       /* the cheater's difference polynomial: q(0) + q(1) = 1 */
    uint64_t accepted;   /* challenge sequences on which the cheater won */
} toy;

static void toy_init(toy *tc, unsigned n) {
    tc->n = n;
    for (unsigned m = 0; m < 3; m++) {
        for (unsigned x = 0; x < (1u << n); x++) tc->tab[m][x] = test_rand_below(P);
        tc->tables[m].base = tc->tab[m];
        tc->tables[m].ext = NULL;
    }
    if (fti_arena_init(&tc->arena, fti_sc_scratch_size(&COMPOSITE, tc->tables, n)) != FTI_OK) abort();
    fti_sc_lagrange_init(&tc->lagrange, D);
    tc->accepted = 0;
}

static ke_t true_sum(const toy *tc) {
    ke_t vals[3], s = ke_zero();
    for (unsigned x = 0; x < (1u << tc->n); x++) {
        for (unsigned m = 0; m < 3; m++) vals[m] = kf(tc->tab[m][x]);
        s = ke_add(s, fti_sc_eval(&COMPOSITE, vals));
    }
    return s;
}

/* The honest prover after binding prefix[0..i), with round i's polynomial in h. */
static void prover_at(fti_sc_prover *p, ke_t *h, toy *tc, const ke_t *prefix, unsigned i) {
    fti_arena_reset(&tc->arena, 0);
    if (fti_sc_prover_init(p, &tc->arena, &COMPOSITE, tc->tables, tc->n) != FTI_OK) abort();
    for (unsigned k = 0; k < i; k++) {
        fti_sc_prover_round(p, h);
        fti_sc_prover_bind(p, prefix[k]);
    }
    fti_sc_prover_round(p, h);
}

/* Table m's two entries in the last round (base tables are still in F when n = 1). */
static void last_pair(const fti_sc_prover *p, unsigned m, ke_t *a, ke_t *b) {
    if (p->view.base[m]) *a = kf(p->view.base[m][0]), *b = kf(p->view.base[m][1]);
    else *a = p->view.ext[m][0], *b = p->view.ext[m][1];
}

/* C(P(prefix, r)) for every r in F, from the last round's pairs. */
static void final_values(ke_t *out, const fti_sc_prover *p) {
    ke_t a[3], b[3], vals[3];
    for (unsigned m = 0; m < 3; m++) last_pair(p, m, &a[m], &b[m]);
    for (unsigned r = 0; r < P; r++) {
        for (unsigned m = 0; m < 3; m++) vals[m] = ke_add(a[m], ke_mul(kf(r), ke_sub(b[m], a[m])));
        out[r] = fti_sc_eval(&COMPOSITE, vals);
    }
}

/* The cheater's message for `claim`: honest if the claim is true, else h + delta q. */
static void cheat_message(ke_t *g, const toy *tc, const ke_t *h, ke_t claim) {
    ke_t delta = ke_sub(claim, ke_add(h[0], h[1]));
    for (unsigned x = 0; x <= D; x++) g[x] = ke_add(h[x], ke_mul(delta, tc->q[x]));
}

/* Every challenge sequence from round i on; claim is the verifier's current claim. */
static void cheat_dfs(toy *tc, ke_t *prefix, unsigned i, ke_t claim) {
    fti_sc_prover p;
    ke_t h[D + 1], g[D + 1], next, finals[P];
    prover_at(&p, h, tc, prefix, i);
    cheat_message(g, tc, h, claim);
    if (i + 1 == tc->n) final_values(finals, &p);
    for (unsigned r = 0; r < P; r++) {
        if (!fti_sc_verify_round(&next, &tc->lagrange, g, claim, kf(r))) abort(); /* g sums to the claim */
        if (i + 1 == tc->n) {
            tc->accepted += ke_eq(next, finals[r]); /* the final check */
        } else {
            prefix[i] = kf(r);
            cheat_dfs(tc, prefix, i + 1, next);
        }
    }
}

/* One round, every message: for the false claim S + 1 on n = 1, counts for each g with
 * g(0) + g(1) = claim the challenges that pass the verifier's round and final check. Returns
 * the largest count; the winning g gives the cheater's q = g - h (delta = 1). */
static unsigned best_single_round(toy *tc, uint64_t *total) {
    fti_sc_prover p;
    ke_t h[D + 1], finals[P], claim = ke_add_fe(true_sum(tc), 1), g[D + 1], next;
    unsigned best = 0;
    prover_at(&p, h, tc, NULL, 0);
    final_values(finals, &p);
    *total = 0;
    for (unsigned a = 0; a < P; a++)
        for (unsigned b = 0; b < P; b++) {
            g[0] = kf(a), g[1] = ke_sub(claim, g[0]), g[2] = kf(b);
            unsigned wins = 0;
            for (unsigned r = 0; r < P; r++) {
                if (!fti_sc_verify_round(&next, &tc->lagrange, g, claim, kf(r))) abort();
                wins += ke_eq(next, finals[r]);
            }
            *total += wins;
            if (wins > best) {
                best = wins;
                for (unsigned x = 0; x <= D; x++) tc->q[x] = ke_sub(g[x], h[x]);
            }
        }
    return best;
}

static uint64_t pow_u64(uint64_t b, unsigned e) {
    uint64_t r = 1;
    while (e--) r *= b;
    return r;
}

static void test_toy_sumcheck__one_round_every_strategy(void) {
    toy tc;
    uint64_t total;
    toy_init(&tc, 1);
    unsigned best = best_single_round(&tc, &total);
    fti_arena_free(&tc.arena);
    CHECK_EQ_U64(best, D); /* the Schwartz–Zippel bound d/p is met exactly */
    /* each r lets exactly p^2 / p = p messages win (g(r) fixed, g(0) + g(1) fixed: a line) */
    CHECK_EQ_U64(total, (uint64_t)P * P);
}

static void test_toy_sumcheck__best_cheater_all_challenges(void) {
    toy tc;
    uint64_t total;
    ke_t q[D + 1], prefix[FTI_SC_MAX_VARS];
    toy_init(&tc, 1);
    unsigned roots = best_single_round(&tc, &total); /* finds q with `roots` roots in F */
    fti_arena_free(&tc.arena);
    for (unsigned x = 0; x <= D; x++) q[x] = tc.q[x];
    for (unsigned n = 1; n <= 3; n++) {
        toy_init(&tc, n);
        for (unsigned x = 0; x <= D; x++) tc.q[x] = q[x];
        cheat_dfs(&tc, prefix, 0, ke_add_fe(true_sum(&tc), 1));
        fti_arena_free(&tc.arena);
        uint64_t all = pow_u64(P, n);
        printf("  n = %u: the best cheater wins %" PRIu64 " of %" PRIu64 " challenge sequences (%.5f <= n d / p = %.5f)\n",
               n, tc.accepted, all, (double)tc.accepted / all, (double)n * D / P);
        CHECK_EQ_U64(tc.accepted, all - pow_u64(P - roots, n));
        CHECK(tc.accepted <= (uint64_t)n * D * pow_u64(P, n - 1));
    }
}

/* A true claim with the honest prover passes for every table of size 2 and every challenge:
 * the round check, then the final check against P0(r) = a + r (b - a). The prover's own final
 * value (bind, then finals) is compared at one random challenge per table. */
static const fti_sc_term SQUARE_TERMS[3] = {{{{1, 0, 0}}, 2, {0, 0}}, {{{5, 0, 0}}, 1, {0}}, {{{7, 0, 0}}, 0, {0}}};
static const fti_sc_composite SQUARE = {1, 3, SQUARE_TERMS}; /* P0^2 + 5 P0 + 7 */

static void test_toy_sumcheck__complete_all_tables_of_size_2(void) {
    const fti_sc_composite *c = &SQUARE;
    fti_arena arena;
    fti_sc_lagrange l;
    fe_t tab[2];
    fti_sc_table table = {tab, NULL};
    uint64_t passed = 0, binds_ok = 0;
    CHECK(fti_arena_init(&arena, fti_sc_scratch_size(c, &table, 1)) == FTI_OK);
    fti_sc_lagrange_init(&l, 2);
    for (unsigned a = 0; a < P; a++)
        for (unsigned b = 0; b < P; b++) {
            fti_sc_prover p;
            ke_t g[3], next, fin, v0 = kf(a), v1 = kf(b);
            ke_t claim = ke_add(fti_sc_eval(c, &v0), fti_sc_eval(c, &v1));
            tab[0] = a, tab[1] = b;
            fti_arena_reset(&arena, 0);
            if (fti_sc_prover_init(&p, &arena, c, &table, 1) != FTI_OK) abort();
            fti_sc_prover_round(&p, g);
            for (unsigned r = 0; r < P; r++) {
                ke_t p0 = ke_add(v0, ke_mul(kf(r), ke_sub(v1, v0)));
                passed += fti_sc_verify_round(&next, &l, g, claim, kf(r)) && ke_eq(next, fti_sc_eval(c, &p0));
            }
            ke_t r = kf(test_rand_below(P));
            fti_sc_prover_bind(&p, r);
            fti_sc_prover_finals(&p, &fin);
            binds_ok += ke_eq(fin, ke_add(v0, ke_mul(r, ke_sub(v1, v0))));
        }
    fti_arena_free(&arena);
    CHECK_EQ_U64(passed, (uint64_t)P * P * P);
    CHECK_EQ_U64(binds_ok, (uint64_t)P * P);
}

/* Random tables of 4 and 8 entries, base and ext, every challenge sequence (all of F^2; a
 * sample of F^3), the whole protocol: rounds, final values, final check. */
static void complete_sequence(int *ok, fti_arena *arena, const fti_sc_table *orig, ke_t ext_copy[3][8],
                              const ke_t ext_orig[3][8], unsigned n, const ke_t *r, ke_t claim) {
    fti_sc_table tables[3];
    fti_sc_prover p;
    fti_sc_lagrange l;
    ke_t g[3], finals[3];
    for (unsigned m = 0; m < 3; m++) {
        tables[m] = orig[m];
        if (orig[m].ext) {
            for (unsigned x = 0; x < (1u << n); x++) ext_copy[m][x] = ext_orig[m][x];
            tables[m].ext = ext_copy[m];
        }
    }
    fti_arena_reset(arena, 0);
    fti_sc_lagrange_init(&l, 2);
    *ok = fti_sc_prover_init(&p, arena, &COMPOSITE, tables, n) == FTI_OK;
    for (unsigned i = 0; i < n && *ok; i++) {
        fti_sc_prover_round(&p, g);
        *ok = fti_sc_verify_round(&claim, &l, g, claim, r[i]);
        fti_sc_prover_bind(&p, r[i]);
    }
    if (!*ok) return;
    fti_sc_prover_finals(&p, finals);
    for (unsigned m = 0; m < 3; m++) {
        ke_t want = orig[m].base ? fti_mle_eval_fe(orig[m].base, n, r) : fti_mle_eval_ke(ext_orig[m], n, r);
        *ok = *ok && ke_eq(finals[m], want);
    }
    *ok = *ok && ke_eq(claim, fti_sc_eval(&COMPOSITE, finals));
}

static void test_toy_sumcheck__complete_random_tables_all_challenges(void) {
    for (unsigned n = 2; n <= 3; n++)
        for (unsigned kinds = 0; kinds < 8; kinds += 5) { /* all base; tables 0 and 2 in K */
            fe_t base[3][8];
            ke_t ext[3][8], copy[3][8], vals[3];
            fti_sc_table tables[3];
            fti_arena arena;
            for (unsigned m = 0; m < 3; m++) {
                for (unsigned x = 0; x < 8; x++) {
                    base[m][x] = test_rand_below(P);
                    ext[m][x] = (ke_t){{test_rand_below(P), test_rand_below(P), test_rand_below(P)}};
                }
                tables[m].base = kinds >> m & 1 ? NULL : base[m];
                tables[m].ext = kinds >> m & 1 ? copy[m] : NULL;
            }
            ke_t claim = ke_zero();
            for (unsigned x = 0; x < (1u << n); x++) {
                for (unsigned m = 0; m < 3; m++) vals[m] = tables[m].base ? kf(base[m][x]) : ext[m][x];
                claim = ke_add(claim, fti_sc_eval(&COMPOSITE, vals));
            }
            CHECK(fti_arena_init(&arena, fti_sc_scratch_size(&COMPOSITE, tables, n)) == FTI_OK);
            uint64_t count = n == 2 ? (uint64_t)P * P : 8000, passed = 0;
            for (uint64_t s = 0; s < count; s++) {
                ke_t r[3] = {kf(s % P), kf(s / P % P), kf(test_rand_below(P))};
                int ok;
                complete_sequence(&ok, &arena, tables, copy, (const ke_t(*)[8])ext, n, r, claim);
                passed += ok;
            }
            fti_arena_free(&arena);
            CHECK_EQ_U64(passed, count);
        }
}

const struct test_case TEST_CASES[] = {
    TEST(test_toy_sumcheck__one_round_every_strategy),
    TEST(test_toy_sumcheck__best_cheater_all_challenges),
    TEST(test_toy_sumcheck__complete_all_tables_of_size_2),
    TEST(test_toy_sumcheck__complete_random_tables_all_challenges),
    {0}};
