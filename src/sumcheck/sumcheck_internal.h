/* Internal interface of the sum-check module (not part of the library's API).
 *
 * The prover is a state machine (init, then per round: round, bind) and the verifier's round is
 * a function of an explicit challenge, so that tests can drive both with chosen challenges:
 * tests/toy_sumcheck.c enumerates every challenge of the toy field, which the Fiat–Shamir
 * transcript cannot do. fti_sc_prove / fti_sc_verify (sumcheck.c) are these pieces plus the
 * transcript.
 *
 * Parallelism and determinism. A round's sum runs over fixed chunks of FTI_SC_CHUNK pairs;
 * each chunk's partial g(0..d) goes to its own slot and the slots are added in chunk order, so
 * the proof never depends on the thread count (field addition is exact anyway, so this is
 * belt and braces). Folds write disjoint outputs. Chunks are handed out dynamically, which keeps
 * both the results and the load balance independent of how the threads get scheduled. */
#ifndef FTI_SUMCHECK_INTERNAL_H
#define FTI_SUMCHECK_INTERNAL_H

#include "sumcheck/sumcheck.h"

/* Tables of at most 2^40 entries: every size computed below fits in size_t without checks. */
#define FTI_SC_MAX_VARS 40u
/* Pairs (T[2j], T[2j+1]) per chunk of a round's reduction; a round of one chunk runs on the
 * calling thread. 2^11 pairs of K values are 96 KiB per table: a chunk stays in L2. */
#define FTI_SC_CHUNK ((size_t)1 << 11)
/* Terms accumulated together in one pass over a chunk (their accumulators live on the stack);
 * composites with more terms take several passes. */
#define FTI_SC_TERM_BATCH 32u

#if FTI_SC_MAX_DEGREE >= FE_P
#error "Lagrange nodes 0..d must be distinct field elements"
#endif

/* ---- composite ---- */

/* FTI_OK if c is well formed: n_tables <= FTI_SC_MAX_TABLES, n_factors <= FTI_SC_MAX_DEGREE,
 * factor indices < n_tables, terms non-NULL when n_terms > 0. */
fti_status fti_sc_check_composite(const fti_sc_composite *c);

/* FTI_OK if tables[0..n_tables) are usable for 2^n_vars entries: exactly one of base/ext each,
 * distinct ext tables disjoint, n_tables <= FTI_SC_MAX_TABLES, n_vars <= FTI_SC_MAX_VARS. */
fti_status fti_sc_check_tables(const fti_sc_table *tables, unsigned n_tables, unsigned n_vars);

/* ---- verifier ---- */

/* Lagrange weights on the nodes 0..d:
 *   w_k = 1 / prod_{m != k} (k - m) = (-1)^(d-k) / (k! (d-k)!),
 * computed with one inversion (of d!) and d multiplications. */
typedef struct {
    unsigned degree;
    fe_t w[FTI_SC_MAX_DEGREE + 1];
} fti_sc_lagrange;

void fti_sc_lagrange_init(fti_sc_lagrange *l, unsigned degree);
/* g(r) = sum_k g(k) w_k prod_{m != k} (r - m), from prefix and suffix products of (r - m). */
ke_t fti_sc_lagrange_eval(const fti_sc_lagrange *l, const ke_t *evals, ke_t r);

/* One verifier round on g(0..d) = evals: returns 0 if g(0) + g(1) != claim (for d = 0, g is the
 * constant g(0) and the test is 2 g(0) == claim); else 1 with *next = g(r). */
int fti_sc_verify_round(ke_t *next, const fti_sc_lagrange *l, const ke_t *evals, ke_t claim, ke_t r);

/* ---- prover ---- */

/* The tables as the round kernels see them: table m is base[m] (in F, round 0 only) or ext[m]. */
typedef struct {
    unsigned n_tables;
    const fe_t *base[FTI_SC_MAX_TABLES];
    ke_t *ext[FTI_SC_MAX_TABLES];
} fti_sc_view;

typedef struct {
    const fti_sc_composite *c;
    unsigned degree;
    unsigned n_vars;
    unsigned round;                     /* rounds bound so far */
    size_t half;                        /* current tables have 2 * half entries */
    fti_sc_view view;
    uint8_t src[FTI_SC_MAX_TABLES];     /* table m shares the buffer of table src[m] <= m */
    ke_t *fold0[FTI_SC_MAX_TABLES];     /* arena K tables receiving the first fold of base tables */
    ke_t *partials;                     /* n_chunks * (degree + 1) chunk sums */
    ke_t last[FTI_SC_MAX_DEGREE + 1];   /* this round's g(0..d) */
    ke_t claim;                         /* g_{i-1}(r_{i-1}): lets round i skip g(1) */
    fti_sc_lagrange lagrange;
} fti_sc_prover;

/* Arena bytes fti_sc_prove takes for these tables (n_tables of 2^n_vars entries) and a composite
 * of the given degree: the proof's n_vars (degree + 1) values plus the prover's scratch
 * (fti_sc_prover_init). 0 if the tables are malformed. */
size_t fti_sc_scratch_for(const fti_sc_table *tables, unsigned n_tables, unsigned n_vars, unsigned degree);

/* Checks the arguments (FTI_ERR_ARG: bad composite, a table without exactly one of base/ext,
 * overlapping ext tables, n_vars > FTI_SC_MAX_VARS) and takes its scratch from the arena
 * (FTI_ERR_NOMEM; the arena is then left as it was). c and tables must outlive the prover. */
FTI_MUST_CHECK fti_status fti_sc_prover_init(fti_sc_prover *p, fti_arena *arena, const fti_sc_composite *c,
                                             const fti_sc_table *tables, unsigned n_vars);
/* Round p->round's g(0..d) into evals (degree + 1 values). From round 1 on g(1) is not summed
 * but taken as claim - g(0), which holds for honest tables. */
void fti_sc_prover_round(fti_sc_prover *p, ke_t *evals);
/* Binds X_round = r: claim = g(r), every table folded. Call after fti_sc_prover_round. */
void fti_sc_prover_bind(fti_sc_prover *p, ke_t r);
/* After n_vars binds: the tables' values at the point (n_tables values). */
void fti_sc_prover_finals(const fti_sc_prover *p, ke_t *final_vals);

/* fti_sc_prove with the round messages written to caller-provided evals (n_vars * (d + 1)
 * values); the prover's scratch comes from the arena and is released before returning. */
FTI_MUST_CHECK fti_status fti_sc_prove_into(ke_t *evals, ke_t *point, ke_t *final_vals, fti_arena *arena,
                                            fti_transcript *t, const fti_sc_composite *c,
                                            const fti_sc_table *tables, unsigned n_vars);

/* ---- round kernels (sc_round.c) ---- */

/* Number of chunks of a round over `half` pairs. */
static inline size_t fti_sc_n_chunks(size_t half) { return (half + FTI_SC_CHUNK - 1) / FTI_SC_CHUNK; }

/* evals[x] = sum_{j < half} C(P(.., X = x, j)) for x = 0..d, where a table's value at X = x
 * on pair j is T[2j] + x (T[2j+1] - T[2j]). With skip_one, evals[1] is not computed (left 0).
 * partials: fti_sc_n_chunks(half) * (d + 1) slots of scratch. */
void fti_sc_round_sum(ke_t *evals, ke_t *partials, const fti_sc_composite *c, unsigned d, const fti_sc_view *v,
                      size_t half, int skip_one);

/* out[j] = in[2j] + r (in[2j+1] - in[2j]) for j < half (base table into a K table). */
void fti_sc_fold_fe(ke_t *out, const fe_t *in, size_t half, ke_t r);
/* The same in place on each of n_tables K tables: t[j] = t[2j] + r (t[2j+1] - t[2j]). */
void fti_sc_fold_ke(ke_t *const *tables, unsigned n_tables, size_t half, ke_t r);

#endif
