/* Multilinear polynomial commitment: Basefold over Reed–Solomon codes.
 *
 * Polynomials. A multilinear polynomial f in n variables is given by its table of 2^n values on
 * {0,1}^n in F (see sumcheck.h for the variable order: X_0 is the lowest index bit). Basefold
 * reads the same table as the coefficient vector of the univariate F(X) = sum_j f[j] X^j and
 * commits to its Reed–Solomon codeword of length 2^(n+R) (rate 2^-R), in bit-reversed order.
 * Folding a codeword with challenge s (positions 2m, 2m+1 hold F(x), F(-x)):
 *     fold(a, b; x, s) = (1 - s) (a + b)/2 + s (a - b)/(2x)
 * gives the codeword of the polynomial whose table is f with X_0 bound to s. After n folds the
 * codeword is the constant f(s_0, ..., s_(n-1)).
 *
 * Commitment. Several polynomials of any sizes share one mixed-height Merkle tree (merkle.h):
 * polynomial i (n_i variables, codeword length 2^h_i, h_i = n_i + R) is a matrix whose rows are
 * groups of 2^g_i adjacent codeword positions, g_i = min(k, h_i), where 2^k is the folding arity.
 * The commitment is the root; its public shape is the list (n_i). Commitment is deterministic.
 *
 * Opening. Claims f_{c,i}(z) = y on polynomials of one or more commitments c (points z in K^n_i)
 * are proven together:
 *  0. Everything public is absorbed: parameters, every commitment's root and shape, every claim.
 *     Duplicate claims (same polynomial and point) must carry the same value (else rejected)
 *     and count once.
 *     Single-point mode: when every claim's point is a suffix of one point r* (so each claimed
 *     polynomial has one point), step 1 is skipped: r = r* preceded by zeros up to n variables
 *     (the leading coordinates of r do not matter: sum_(x_low) eq(r_low, x_low) = 1) and
 *     v_i = the claimed values. The mode is derived from the claims, by prover and verifier alike.
 *  1. Batching sum-check. n = the largest n_i among the commitments. Coefficients lambda_z
 *     (per distinct point) and nu_i (per claimed polynomial) are drawn. With t_i = n - n_i,
 *     polynomial i is viewed as a function of the last n_i of n variables; the sum-check over n
 *     variables proves
 *         sum_i nu_i sum_z lambda_z y_(i,z) = sum_x sum_i nu_i eq(0, x_low) W_i(x_high) f_i(x_high),
 *     W_i = sum_{z claimed for i} lambda_z eq(z, .),  x_low = the first t_i variables.
 *     It ends at a point r in K^n. The prover sends v_i = f_i(r_high_i) for each claimed i, and the
 *     verifier checks the final claim sum_i nu_i eq(0, r_low) W_i(r_high) v_i.
 *  2. Basefold. mu_i are drawn per claimed polynomial. With P(x) = sum_i mu_i f_i(x_high), the
 *     prover shows sum_x eq(r, x) P(x) = sum_i mu_i v_i by a sum-check whose challenges s_j also
 *     fold the running codeword: R_H = sum_{h_i = H} mu_i cw_i (H = n + R), and for h < H
 *         R_h = fold(R_(h+1); s_(H-h-1)) + sum_{h_i = h} mu_i cw_i     ("roll-in").
 *     After every k folds (while folds remain) the prover commits R_h in a Merkle tree whose rows
 *     are 2^k adjacent positions (fewer in the last layer) and absorbs its root before the next
 *     challenge. After n folds R_R is a constant c, sent in clear; the verifier checks the last
 *     sum-check claim equals eq(r, s) c.
 *  3. Queries. After proof-of-work grinding (pow_bits), n_queries coset indices q in
 *     [0, 2^(H - k_0)) are drawn (k_0 = min(k, n)). For each, every commitment's tree and every
 *     layer tree is opened at the matching row (one multi-opening per tree), and the verifier
 *     re-folds each query from the top, adding roll-ins, and checks each layer's committed values
 *     and finally c.
 * Soundness: SECURITY.md derives the error of each step and the parameter sets below.
 *
 * Parameter sets: "proven" (default) and "conjectured"; see fti_pcs_params_get. */
#ifndef FTI_PCS_H
#define FTI_PCS_H

#include <stddef.h>
#include <stdint.h>

#include "field/ext.h"
#include "fti/fti.h"
#include "hash/transcript.h"
#include "merkle/merkle.h"
#include "util/buf.h"

#define FTI_PCS_MAX_VARS 30 /* per polynomial: 2^30 values; codewords up to 2^32 at rate 1/4 */
#define FTI_PCS_PACK_MAX_VARS 24 /* packed polynomials hold at most 2^24 values (of smaller ones) */
/* The cap in force (FTI_PCS_PACK_MAX_VARS; tests lower it to exercise it on small inputs). */
extern unsigned fti_pcs_pack_max_vars;

typedef struct {
    const char *name;
    uint8_t id;             /* serialised in certificates */
    unsigned log_blowup;    /* R: rate 2^-R */
    unsigned log_arity;     /* k: variables folded per committed layer */
    unsigned n_queries;
    unsigned pow_bits;      /* proof-of-work grinding before the queries */
    double query_bits;      /* security of one query in this regime, -log2(1 - delta) */
    const char *regime;     /* e.g. "unique decoding (delta = (1 - rho)/2)" */
} fti_pcs_params;

/* "proven", "conjectured", or "test" (few queries: for fast tests only, never for real use).
 * NULL if unknown. fti_pcs_params_by_id looks up by the serialised id. */
const fti_pcs_params *fti_pcs_params_get(const char *name);
const fti_pcs_params *fti_pcs_params_by_id(uint8_t id);

/* Security in bits of a parameter set: in its own regime (conjectured for "conjectured"), and
 * what the proven unique-decoding bound gives for the same query count (SECURITY.md). */
double fti_pcs_security_bits(const fti_pcs_params *pp);
double fti_pcs_proven_bits(const fti_pcs_params *pp);

/* Public shape of a commitment: the number of variables of each polynomial. */
typedef struct {
    size_t n_polys;
    const unsigned *n_vars;
} fti_pcs_shape;

/* Packing. The polynomials of a commitment are not committed one by one: they are packed into
 * as few polynomials as the binary digits of their total size (sorted by size, largest first,
 * each packed polynomial filled completely: no padding), polynomial i occupying an aligned slot
 * of 2^n_i entries at `offset` in packed polynomial `packed`. Its variables are the low n_i of
 * the packed polynomial's and the slot number gives the high ones, so a claim f_i(z) = y is the
 * claim P(z, bits of offset >> n_i) = y on the packed polynomial P. A query then opens one row
 * per packed polynomial instead of one per polynomial. Prover and verifier derive the packing
 * from the shape. */
typedef struct {
    size_t n_packed;
    unsigned *packed_vars; /* per packed polynomial */
    unsigned *packed;      /* per polynomial: its packed polynomial */
    uint64_t *offset;      /* per polynomial: its slot's first entry */
} fti_pcs_layout;

FTI_MUST_CHECK fti_status fti_pcs_layout_make(fti_pcs_layout *l, const fti_pcs_shape *shape);
void fti_pcs_layout_free(fti_pcs_layout *l);

/* The Merkle shape of a commitment's PACKED polynomials (rows of 2^g_i field elements);
 * matrices[] must hold shape->n_polys entries, shape being the packed shape. Returns
 * FTI_ERR_ARG for an invalid shape. */
FTI_MUST_CHECK fti_status fti_pcs_merkle_shape(fti_merkle_shape *out, fti_merkle_matrix_shape *matrices,
                                               const fti_pcs_params *pp, const fti_pcs_shape *shape);

/* A prover's commitment: codewords and tree, borrowing the polynomials' tables (the caller
 * keeps them alive and unchanged until the commitment is freed). When the tables already sit in
 * the packed layout (tables[i] == base of its packed polynomial + offset, as a caller gets by
 * allocating with fti_pcs_layout_make), they are used in place; otherwise they are copied. */
typedef struct fti_pcs_commitment fti_pcs_commitment;

FTI_MUST_CHECK fti_status fti_pcs_commit(fti_pcs_commitment **out, const fti_pcs_params *pp,
                                         const fti_pcs_shape *shape, const fe_t *const *tables);
/* The root only (memory: the codewords, not the tree). */
FTI_MUST_CHECK fti_status fti_pcs_commit_root(fti_digest *root, const fti_pcs_params *pp, const fti_pcs_shape *shape,
                                              const fe_t *const *tables);
void fti_pcs_commitment_free(fti_pcs_commitment *c);
/* Frees codewords (2^R times the tables' memory in all) until at most keep_bytes of them are held,
 * and keeps the Merkle tree: for a prover that runs long proofs between committing and opening.
 * fti_pcs_open encodes the freed ones again, after its first phase, from the tables given to
 * fti_pcs_commit, which must still be there, unchanged. */
void fti_pcs_commitment_release_codewords(fti_pcs_commitment *c, size_t keep_bytes);
/* The bytes the codewords take (whether held or released). */
size_t fti_pcs_commitment_codeword_bytes(const fti_pcs_commitment *c);
const fti_digest *fti_pcs_commitment_root(const fti_pcs_commitment *c);
const fti_pcs_shape *fti_pcs_commitment_shape(const fti_pcs_commitment *c);

/* The verifier's view of a commitment. */
typedef struct {
    fti_digest root;
    fti_pcs_shape shape;
} fti_pcs_public;

/* A claim f(point) = value on polynomial `poly` of commitment `commitment` (indices into the
 * arrays given to open/verify); point has that polynomial's n_vars elements. */
typedef struct {
    unsigned commitment;
    unsigned poly;
    const ke_t *point;
    ke_t value;
} fti_pcs_claim;

/* A parsed opening proof. Sizes are implied by the parameters, the shapes and the claims, and
 * checked by fti_pcs_proof_read. */
typedef struct {
    unsigned n_vars;          /* n */
    unsigned n_claimed;       /* claimed polynomials (after de-duplication) */
    unsigned n_layers;        /* committed layer trees */
    int single;               /* single-point mode: no batch rounds, no evals */
    ke_t *batch_rounds;       /* n * 3 (none in single-point mode) */
    ke_t *evals;              /* n_claimed: v_i, in (commitment, poly) order (the claims' values in
                                 single-point mode, not serialised) */
    ke_t *fold_rounds;        /* n * 3 */
    fti_digest *layer_roots;  /* n_layers */
    ke_t final_value;         /* c */
    uint64_t pow_nonce;
    size_t n_openings;        /* commitments + layers */
    fti_merkle_opening *openings; /* per commitment, then per layer (indices not serialised) */
} fti_pcs_proof;

void fti_pcs_proof_free(fti_pcs_proof *p);

/* Proves the claims (values must be correct; the prover checks and refuses otherwise with
 * FTI_ERR_INTERNAL). Uses the transcript as described above. */
FTI_MUST_CHECK fti_status fti_pcs_open(fti_pcs_proof *proof, fti_transcript *t, const fti_pcs_params *pp,
                                       fti_pcs_commitment *const *comms, size_t n_comms,
                                       const fti_pcs_claim *claims, size_t n_claims);

/* Verifies. Sets *ok = 0 first and to 1 only if every check passes. Returns FTI_OK unless it
 * could not run (no memory, or arguments that are the caller's error). */
FTI_MUST_CHECK fti_status fti_pcs_verify(int *ok, fti_transcript *t, const fti_pcs_params *pp,
                                         const fti_pcs_public *comms, size_t n_comms,
                                         const fti_pcs_claim *claims, size_t n_claims,
                                         const fti_pcs_proof *proof);

/* Serialisation (inside certificates; no header of its own). Reading needs the context that
 * fixes the sizes and rejects anything else: wrong counts, lengths over their bounds,
 * non-canonical field elements. (Trailing bytes are the caller's to check.) */
void fti_pcs_proof_write(fti_wbuf *w, const fti_pcs_proof *p);
FTI_MUST_CHECK fti_status fti_pcs_proof_read(fti_pcs_proof *p, fti_rbuf *r, const fti_pcs_params *pp,
                                             const fti_pcs_public *comms, size_t n_comms,
                                             const fti_pcs_claim *claims, size_t n_claims);
/* Serialised size in bytes. */
size_t fti_pcs_proof_size(const fti_pcs_proof *p);

#endif
