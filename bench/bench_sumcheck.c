/* Sum-check benchmarks: the prover at 2^22 and 2^24 entries for
 *   prod2  P0 P1        (degree 2, two base tables),
 *   prod3  P0 P1 P2     (degree 3, three base tables),
 *   eq2    eq(tau, .) P0 P1 (degree 3, the eq table in K, as in a zero-check or an opening),
 * on one thread and on all OpenMP threads; the verifier; the proof size; eq_table and MLE
 * evaluation. Best of a few runs, wall clock. Figures include the arena's page faults of the
 * first fold (the arena is reused, so only the first run pays them).
 *   usage: bench_sumcheck [name-filter] */
#include <omp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "sumcheck/sumcheck.h"

static uint64_t rng = 0x9E3779B97F4A7C15ull;
static fe_t rand_fe(void) {
    rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17; /* xorshift64 */
    return rng % FE_P;
}
static ke_t rand_ke(void) {
    ke_t r = {{rand_fe(), rand_fe(), rand_fe()}};
    return r;
}

static void *xmalloc(size_t n) {
    void *p = malloc(n);
    if (!p) {
        perror("malloc");
        exit(1);
    }
    return p;
}

typedef struct {
    const char *label;
    unsigned n_base; /* base tables P0.. */
    int with_eq;     /* an eq table (K) as the last table */
} shape;

static const shape SHAPES[] = {{"prod2", 2, 0}, {"prod3", 3, 0}, {"eq2", 2, 1}};

/* Everything one prover run needs; the eq table is restored before each run (it is folded in
 * place). */
typedef struct {
    unsigned n;
    fti_sc_term term;
    fti_sc_composite c;
    fe_t *base[3];
    ke_t *eq, *eq_copy;
    fti_sc_table tables[4];
    fti_arena arena;
    fti_sc_proof proof;
    ke_t point[32], finals[4];
} setup;

static void setup_init(setup *s, const shape *sh, unsigned n) {
    size_t size = (size_t)1 << n;
    memset(s, 0, sizeof *s);
    s->n = n;
    unsigned m = 0;
    for (; m < sh->n_base; m++) {
        s->base[m] = xmalloc(size * sizeof(fe_t));
        for (size_t x = 0; x < size; x++) s->base[m][x] = rand_fe();
        s->tables[m].base = s->base[m];
        s->term.factors[m] = (uint8_t)m;
    }
    if (sh->with_eq) {
        ke_t tau[32];
        for (unsigned i = 0; i < n; i++) tau[i] = rand_ke();
        s->eq = xmalloc(size * sizeof(ke_t));
        s->eq_copy = xmalloc(size * sizeof(ke_t));
        fti_eq_table(s->eq_copy, tau, n);
        s->tables[m].ext = s->eq;
        s->term.factors[m] = (uint8_t)m;
        m++;
    }
    s->term.coeff = ke_one();
    s->term.n_factors = m;
    s->c.n_tables = m;
    s->c.n_terms = 1;
    s->c.terms = &s->term;
    if (fti_arena_init(&s->arena, fti_sc_scratch_size(&s->c, s->tables, n)) != FTI_OK) {
        fprintf(stderr, "arena: %s\n", fti_last_error());
        exit(1);
    }
}

static void setup_free(setup *s) {
    for (unsigned m = 0; m < 3; m++) free(s->base[m]);
    free(s->eq);
    free(s->eq_copy);
    fti_arena_free(&s->arena);
}

/* One prover run (the proof stays in the arena until the next run); seconds. */
static double prove_once(setup *s) {
    fti_transcript t;
    if (s->eq) memcpy(s->eq, s->eq_copy, ((size_t)1 << s->n) * sizeof(ke_t));
    fti_arena_reset(&s->arena, 0);
    fti_transcript_init(&t, "bench/sumcheck");
    double t0 = bench_now();
    if (fti_sc_prove(&s->proof, s->point, s->finals, &s->arena, &t, &s->c, s->tables, s->n) != FTI_OK) {
        fprintf(stderr, "prove: %s\n", fti_last_error());
        exit(1);
    }
    return bench_now() - t0;
}

static double best_prove_ms(setup *s, int reps) {
    double best = 1e30;
    for (int r = 0; r < reps; r++) {
        double t = prove_once(s);
        if (t < best) best = t;
    }
    return best * 1e3;
}

/* The verifier on the last proof: the claim is g_0(0) + g_0(1), the final check included. */
static double verify_us(setup *s, int *ok) {
    fti_transcript t;
    ke_t point[32], final_claim;
    unsigned d = s->proof.degree;
    ke_t claim = ke_add(s->proof.evals[0], s->proof.evals[1]);
    double best = 1e30;
    for (int r = 0; r < 200; r++) {
        double t0 = bench_now();
        fti_transcript_init(&t, "bench/sumcheck");
        fti_sc_verify(ok, point, &final_claim, &t, s->n, d, claim, &s->proof);
        *ok = *ok && ke_eq(final_claim, fti_sc_eval(&s->c, s->finals));
        double el = bench_now() - t0;
        if (el < best) best = el;
    }
    return best * 1e6;
}

static void bench_shape(const char *filter, const shape *sh, unsigned n, int all_threads) {
    char name[96], vname[96];
    int threads = all_threads ? omp_get_num_procs() : 1;
    snprintf(name, sizeof name, "sc_prove_%s_2^%u_%dt", sh->label, n, threads);
    snprintf(vname, sizeof vname, "sc_verify_%s_2^%u", sh->label, n);
    int want_verify = all_threads && bench_selected(filter, vname);
    if (!bench_selected(filter, name) && !want_verify) return;
    setup s;
    setup_init(&s, sh, n);
    omp_set_num_threads(threads);
    prove_once(&s); /* warm-up: page faults of the arena */
    if (bench_selected(filter, name)) bench_print(name, best_prove_ms(&s, n >= 24 ? 2 : 3), "ms");
    if (want_verify) {
        int ok;
        bench_print(vname, verify_us(&s, &ok), "us");
        if (!ok) fprintf(stderr, "%s: the proof did not verify\n", vname);
        snprintf(vname, sizeof vname, "sc_proof_bytes_%s_2^%u", sh->label, n);
        bench_print(vname, (double)s.proof.n_vars * (s.proof.degree + 1) * KE_BYTES, "B");
    }
    setup_free(&s);
}

static void bench_helpers(const char *filter, unsigned n) {
    char name[96];
    size_t size = (size_t)1 << n;
    ke_t z[32];
    for (unsigned i = 0; i < n; i++) z[i] = rand_ke();
    omp_set_num_threads(omp_get_num_procs());
    snprintf(name, sizeof name, "eq_table_2^%u_%dt", n, omp_get_num_procs());
    if (bench_selected(filter, name)) {
        ke_t *eq = xmalloc(size * sizeof(ke_t));
        fti_eq_table(eq, z, n);
        double t0 = bench_now();
        fti_eq_table(eq, z, n);
        bench_print(name, (bench_now() - t0) * 1e3, "ms");
        free(eq);
    }
    snprintf(name, sizeof name, "mle_eval_fe_2^%u_%dt", n, omp_get_num_procs());
    if (bench_selected(filter, name)) {
        fe_t *t = xmalloc(size * sizeof(fe_t));
        for (size_t x = 0; x < size; x++) t[x] = rand_fe();
        double t0 = bench_now();
        bench_consume(fti_mle_eval_fe(t, n, z).c[0]);
        bench_print(name, (bench_now() - t0) * 1e3, "ms");
        free(t);
    }
}

int main(int argc, char **argv) {
    const char *filter = argc > 1 ? argv[1] : NULL;
    const unsigned sizes[] = {22, 24};
    for (unsigned k = 0; k < 2; k++)
        for (unsigned i = 0; i < sizeof SHAPES / sizeof SHAPES[0]; i++) {
            bench_shape(filter, &SHAPES[i], sizes[k], 0);
            bench_shape(filter, &SHAPES[i], sizes[k], 1);
        }
    bench_helpers(filter, 24);
    return 0;
}
