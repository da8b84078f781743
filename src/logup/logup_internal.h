/* Internal interface of the LogUp-GKR module (not part of the library's API).
 *
 * Files: logup_shape.c (shapes, proof layout, challenges, proof I/O), logup_mult.c
 * (multiplicities), logup_build.c (the trees, bottom-up), logup_kernels.c (round kernels),
 * logup_avx512.c (their AVX-512 versions), logup_prove.c (the layered sum-checks),
 * logup_verify.c. logup_prover.h is the prover's own interface (trees, kernels, memory).
 *
 * Tree sources. A column tree of depth d never stores its two lowest layers: the leaves
 * (p, q) = (1, alpha - c[x]) are read from the column, and a node of layer d-1 is
 *     (p, q) = (2 alpha - s, alpha^2 - s alpha + pr),  s = l0 + l1, pr = l0 l1,
 * computed from its two leaves l0, l1 when needed. Layers 1 .. d-2 are stored in K; each is read
 * by exactly one layer's sum-check. An explicit tree (the table, or a test's cheating column)
 * stores all of its layers including the leaves. */
#ifndef FTI_LOGUP_INTERNAL_H
#define FTI_LOGUP_INTERNAL_H

#include "logup/logup.h"

/* The shape limits of logup.h: fewer than 2^56 < p entries in all (the residue argument), and
 * every size below fits in size_t. */
#define LOGUP_MAX_VARS FTI_LOGUP_MAX_VARS
#define LOGUP_MAX_COLS FTI_LOGUP_MAX_COLS

#define LOGUP_LABEL_SHAPE "logup/shape"
#define LOGUP_LABEL_ROOTS "logup/roots"
#define LOGUP_LABEL_BETA "logup/beta"
#define LOGUP_LABEL_GAMMA "logup/gamma"
#define LOGUP_LABEL_ROUND "logup/round"
#define LOGUP_LABEL_CHALLENGE "logup/challenge"
#define LOGUP_LABEL_CHILDREN "logup/children"
#define LOGUP_LABEL_T "logup/t"

/* ---- shapes and proof layout (logup_shape.c) ---- */

/* FTI_OK if cols is a valid shape (n_cols <= LOGUP_MAX_COLS, every n_vars <= LOGUP_MAX_VARS);
 * with need_data, also every column's entries non-NULL. */
fti_status logup_check_shape(const fti_logup_columns *cols, int need_data);
/* Depth of tree j (j == n_cols: the table). */
unsigned logup_tree_depth(const fti_logup_columns *cols, size_t j);
/* Depth of the proof: max(16, deepest column). */
unsigned logup_depth(const fti_logup_columns *cols);
/* Trees alive at layer i (depth > i). */
size_t logup_alive(const fti_logup_columns *cols, unsigned i);
/* Offsets (in K elements) of layer i's rounds and children in the proof arrays, and totals. */
static inline size_t logup_rounds_offset(unsigned i) { return i ? (size_t)2 * i * (i - 1) : 0; } /* 4 sum i' */
size_t logup_children_offset(const fti_logup_columns *cols, unsigned i);
/* Allocates a proof of the right shape (values uninitialised). */
fti_status logup_proof_alloc(fti_logup_proof *p, const fti_logup_columns *cols);
/* Allocates claims for the shape (points uninitialised). */
fti_status logup_claims_alloc(fti_logup_claims *c, const fti_logup_columns *cols);

/* Absorbs the shape: u64 n_cols, then u64 n_vars per column. */
void logup_absorb_shape(fti_transcript *t, const fti_logup_columns *cols);
/* A challenge in K \ {0} (zeros are redrawn from the label's stream): the prover divides by the
 * challenges (the point coordinates) and by gamma. */
ke_t logup_challenge_nonzero(fti_transcript *t, const char *label);

/* The identity table's MLE T(r) = sum_b 2^b r_b over FTI_LOGUP_TABLE_BITS variables. */
ke_t logup_table_mle(const ke_t *r);

/* ---- prover (logup_prove.c) ---- */

/* Test-only deviations through which tests/test_logup.c builds cheating provers. */
typedef struct {
    int skip_checks;              /* do not refuse when the roots fail the verifier's checks */
    const ke_t *const *leaves_p;  /* per column: NULL, or explicit leaves (p, q) (2^n_vars each) */
    const ke_t *const *leaves_q;  /*   replacing (1, alpha - col) */
} logup_cheat;

/* fti_logup_prove with an optional cheat (NULL: the honest prover). */
fti_status logup_prove_impl(fti_logup_proof *proof, fti_logup_claims *claims, fti_transcript *t,
                            const fti_logup_columns *cols, const fe_t *m, ke_t alpha, const logup_cheat *cheat);

/* ---- verifier (logup_verify.c) ---- */

/* Which check rejected a proof (tests name the check they expect to fail). */
typedef enum {
    LOGUP_ACCEPT = 0,
    LOGUP_REJ_SHAPE,      /* the proof's shape is not the columns' */
    LOGUP_REJ_ENCODING,   /* a value is not a canonical field element */
    LOGUP_REJ_ROOT_ZERO,  /* a root Q_j == 0 */
    LOGUP_REJ_ROOT_SUM,   /* sum_j P_j / Q_j != 0 */
    LOGUP_REJ_ROUND,      /* a sum-check round with g(0) + g(1) != claim */
    LOGUP_REJ_LAYER,      /* a layer's final claim != the value from the children */
    LOGUP_REJ_LEAF_P,     /* a column's leaf claim p != 1 */
    LOGUP_REJ_TABLE_Q     /* the table's leaf claim q != alpha - T(r) */
} logup_verdict;

/* g(r) for the cubic given by g(0), g(1), g(2), g(3). */
ke_t logup_cubic_at(const ke_t g[4], ke_t r);

/* fti_logup_verify reporting the failing check; FTI_OK and *verdict set when it could run. */
fti_status logup_verify_impl(logup_verdict *verdict, fti_logup_claims *claims, fti_transcript *t,
                             const fti_logup_columns *cols, ke_t alpha, const fti_logup_proof *proof);

#endif
