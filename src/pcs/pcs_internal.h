/* Internals shared by the PCS prover and verifier: the schedule of an opening (sizes, layers,
 * claimed polynomials, distinct points), the folding formula, and the batched eq-weighted
 * sum-check engine used by both phases. */
#ifndef FTI_PCS_INTERNAL_H
#define FTI_PCS_INTERNAL_H

#include "pcs/pcs.h"

#if !defined(__BYTE_ORDER__) || __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "fti hashes field elements as they lie in memory, which must be little-endian"
/* Outgrown folding tables (pcs_open.c), kept for callers that still hold them. */
extern fe_t *inv2x_outgrown[FE_TWO_ADICITY + 1];

/* Test-only hooks through which tests/test_pcs.c builds cheating provers (a prover that commits
 * a non-codeword, folds wrongly, or commits non-canonical encodings). NULL in normal use; no
 * library code sets it. */
typedef struct {
    void (*after_encode)(fe_t **codewords, const fti_pcs_shape *shape, void *ctx); /* before the Merkle commit */
    void (*after_fold)(ke_t *R, unsigned h, void *ctx); /* after a fold and its roll-ins */
    void *ctx;
} pcs_test_hooks;
extern const pcs_test_hooks *pcs_hooks;

#endif

/* One claimed polynomial. */
typedef struct {
    unsigned comm, poly, n_vars;
    unsigned h;          /* codeword log-length n_vars + R */
} pcs_claimed;

/* One de-duplicated claim. */
typedef struct {
    unsigned claimed; /* index into schedule.claimed */
    unsigned point;   /* index into schedule.points */
    ke_t value;
} pcs_uclaim;

typedef struct {
    unsigned n;         /* variables of the largest polynomial of any commitment */
    unsigned H;         /* n + R */
    unsigned k;         /* log arity */
    unsigned k0;        /* folds in layer 0: min(k, n) */
    unsigned n_layers;  /* committed layer trees: floor((n - 1) / k) for n >= 1 */
    size_t n_claimed;
    pcs_claimed *claimed;      /* sorted by (comm, poly) */
    size_t n_points;
    const ke_t **points;       /* distinct (n_vars, values) */
    unsigned *point_vars;
    size_t n_uclaims;
    pcs_uclaim *uclaims;
    /* Single-point mode: every claim is at a suffix of one point (the common point, zeros in
     * front up to n variables); then the batching sum-check is skipped and phase 2 runs at it. */
    int single;
    ke_t *common;
} pcs_schedule;

/* Builds the schedule, checking the claims against the shapes. Returns FTI_ERR_ARG for claims
 * naming a missing commitment/polynomial, FTI_ERR_FORMAT (with *conflict set) for two claims
 * on the same polynomial and point with different values. */
FTI_MUST_CHECK fti_status pcs_schedule_build(pcs_schedule *s, int *conflict, const fti_pcs_params *pp,
                                             const fti_pcs_shape *const *shapes, size_t n_comms,
                                             const fti_pcs_claim *claims, size_t n_claims);
void pcs_schedule_free(pcs_schedule *s);

/* The packed form of an opening: each commitment's layout and packed shape, and the claims moved
 * to the packed polynomials (points extended by the slot bits). */
typedef struct {
    size_t n_comms;
    fti_pcs_layout *layouts;
    fti_pcs_shape *shapes;
    const fti_pcs_shape **shape_ptrs;
    size_t n_claims;
    fti_pcs_claim *claims;
    ke_t **points;
} pcs_packed;

FTI_MUST_CHECK fti_status pcs_pack_claims(pcs_packed *x, const fti_pcs_shape *const *shapes, size_t n_comms,
                                          const fti_pcs_claim *claims, size_t n_claims);
void pcs_packed_free(pcs_packed *x);

/* Layer l >= 1: codeword log-length and folds (k_l). */
static inline unsigned pcs_layer_h(const pcs_schedule *s, unsigned l) { return s->H - l * s->k; }
static inline unsigned pcs_layer_folds(const pcs_schedule *s, unsigned l) {
    unsigned done = l * s->k;
    return s->n - done < s->k ? s->n - done : s->k;
}
/* Group size exponent g = min(k, h) of a committed polynomial with codeword log-length h. */
static inline unsigned pcs_group_log(unsigned k, unsigned h) { return h < k ? h : k; }
/* Leaf level of a commitment's tree. */
unsigned pcs_tree_height(const fti_pcs_params *pp, const fti_pcs_shape *shape);

/* Absorbs the public context of an opening (parameters, commitments, claims). */
void pcs_absorb_context(fti_transcript *t, const fti_pcs_params *pp, const fti_digest *const *roots,
                        const fti_pcs_shape *const *shapes, size_t n_comms, const pcs_schedule *s);

/* Draws lambda_z (per point) and nu_i (per claimed polynomial) for phase 1. */
void pcs_draw_batching(fti_transcript *t, const pcs_schedule *s, ke_t *lambda, ke_t *nu);

/* eq1(a, X) = a X + (1 - a)(1 - X) at X = 0, 1, 2: 1 - a, a, 3a - 1. */
static inline void pcs_eq1_at012(ke_t out[3], ke_t a) {
    ke_t one = ke_one();
    out[0] = ke_sub(one, a);
    out[1] = a;
    out[2] = ke_sub(ke_add(ke_add(a, a), a), one);
}
static inline ke_t pcs_eq1(ke_t a, ke_t x) { /* 1 - a - x + 2ax */
    ke_t ax = ke_mul(a, x);
    return ke_add(ke_sub(ke_sub(ke_one(), a), x), ke_add(ax, ax));
}

/* g(s) for the degree-2 polynomial given by g(0), g(1), g(2):
 * g(s) = g0 (s-1)(s-2)/2 - g1 s(s-2) + g2 s(s-1)/2. */
ke_t pcs_interp2(const ke_t g[3], ke_t s);

/* fold(a, b; x, s) = (a + b)/2 + s ((a - b) * inv2x - (a + b)/2), inv2x = 1/(2x). */
static inline ke_t pcs_fold(ke_t a, ke_t b, fe_t inv2x, ke_t s) {
    static const fe_t INV2 = (FE_P + 1) / 2;
    ke_t sum = ke_mul_fe(ke_add(a, b), INV2);
    ke_t odd = ke_mul_fe(ke_sub(a, b), inv2x);
    return ke_add(sum, ke_mul(s, ke_sub(odd, sum)));
}

/* ---- the batched eq-weighted sum-check engine (prover side) ----
 * Proves sum_x sum_g G_g(x) with G_g(x) = eq(a_g, x_low) W_g(x_high) F_g(x_high), where
 * F_g = sum_i coef_i f_i over base tables of n_g variables, W_g = sum_z c_z eq(z, .), x_low the
 * first t_g = n - n_g variables. Rounds are degree 2 (three values).
 *
 * The prover never forms W: for each point z it keeps E_z = eq(z_(>l), .) over the unbound
 * variables beyond the current one and the scalar c_z eq(z_(<l), r_(<l)), so that round l's
 * part of point z is g_z(X) = c_z eq1(z_l, X) h_z(X) with h_z linear. It computes only
 * h_z(0) = sum_y E_z(y) F(2y) (one multiplication per pair) and takes g_z(1) from the claim
 * S_z that it tracks per point (S_z <- g_z(r) after each round). E_z for the next variable is
 * the pairwise sum of E_z (eq1(z, 0) + eq1(z, 1) = 1). Folding F and summing for the next
 * round share one pass. */
typedef struct {
    unsigned n_vars;          /* n_g */
    unsigned t;               /* n - n_g leading rounds where G_g does not depend on the table */
    const ke_t *low;          /* a_g: t values, or NULL for all zero */
    size_t n_points;          /* W_g = sum_z wcoef[z] eq(wpoints[z], .) */
    const ke_t *const *wpoints;
    const ke_t *wcoef;
    const ke_t *point_sums;   /* per point: wcoef[z] sum_x eq(z, x) F(x), as claimed */
    size_t n_polys;
    const fe_t *const *polys;
    const ke_t *coefs;
    /* state */
    ke_t pref;                /* prod of eq1(a_j, r_j) over the leading rounds so far */
    ke_t *F;                  /* folded combination (after the first real round) */
    size_t F_len;
    ke_t **E;                 /* per point: E_z, over the point's local variables only */
    unsigned *n_loc;          /* per point: variables before its boolean tail (a packed slot) */
    uint64_t *slot;           /* per point: the boolean tail as an integer */
    ke_t *c, *S, *h0;         /* per point: running scalar, claim, this round's h_z(0) */
    ke_t (*msg)[3];           /* per point: this round's g_z(0), g_z(1), g_z(2) */
    int pending;              /* a fold by the last challenge is still to apply to F */
    ke_t last_r;
} pcs_group;

/* Round j: adds the group's contribution to g[0..2] (FTI_ERR_NOMEM). */
FTI_MUST_CHECK fti_status pcs_group_round(pcs_group *g, unsigned j, ke_t out[3]);
/* Binds variable j to s. */
void pcs_group_bind(pcs_group *g, unsigned j, ke_t s);
/* After the last round: 1 if the claimed sums were consistent with the tables (the prover's
 * own check before it publishes anything built on them). */
int pcs_group_consistent(const pcs_group *g);
void pcs_group_free(pcs_group *g);

/* Outgrown folding tables (pcs_open.c), kept for callers that still hold them. */
extern fe_t *inv2x_outgrown[FE_TWO_ADICITY + 1];

/* Test-only hooks through which tests/test_pcs.c builds cheating provers (a prover that commits
 * a non-codeword, folds wrongly, or commits non-canonical encodings). NULL in normal use; no
 * library code sets it. */
typedef struct {
    void (*after_encode)(fe_t **codewords, const fti_pcs_shape *shape, void *ctx); /* before the Merkle commit */
    void (*after_fold)(ke_t *R, unsigned h, void *ctx); /* after a fold and its roll-ins */
    void *ctx;
} pcs_test_hooks;
extern const pcs_test_hooks *pcs_hooks;

#endif
