/* Mixed-height Merkle commitments with multi-openings.
 *
 * A tree commits to several matrices of bytes at once. Matrix m has 2^log_rows(m) rows of
 * row_bytes(m) bytes each (for Basefold: a row is a group of 2^g adjacent positions of a
 * bit-reversed codeword). The tree has height L = max log_rows: level L holds 2^L leaves,
 * level 0 the root. Matrices are attached at the level whose node count equals their row count
 * ("injected"), so one authentication path from leaf q opens every matrix at once, matrix m at
 * row q >> (L - log_rows(m)).
 *
 * Node hashes (SHA-256; TAG(x) is the ASCII string x zero-padded to one 64-byte block, whose
 * compression is precomputed, so tags cost nothing per hash):
 *   level L, node i:        SHA-256(TAG("fti/merkle/v1/leaf")   || R(L, i))
 *   level l < L, node i:    SHA-256(TAG("fti/merkle/v1/node")   || N(l+1, 2i) || N(l+1, 2i+1))
 *                           if no matrix is attached at level l, else
 *                           SHA-256(TAG("fti/merkle/v1/inject") || N(l+1, 2i) || N(l+1, 2i+1) || R(l, i))
 *   R(l, i) = row i of every matrix attached at level l, in the order the matrices are listed,
 *             followed by the salt of (l, i) when salt_bytes > 0.
 *   salt(l, i) = first salt_bytes of SHA-256("fti/merkle/v1/salt" || seed || u32le l || u64le i)
 *             (salt_bytes <= 32; the seed is the prover's secret, for hiding).
 * A tree whose matrices all have one row (L = 0) has root SHA-256(TAG(leaf) || R(0, 0)).
 * tests/vectors/merkle_vectors.py is an independent (hashlib) implementation of this layout.
 *
 * Multi-opening of a set of leaf indices Q (sorted, distinct, each < 2^L), canonical layout:
 *   S_L = Q; S_(l-1) = { i >> 1 : i in S_l }.
 *   row_data: for l = L down to 0, if matrices are attached at l: for each i in S_l ascending,
 *             R(l, i) (rows and salt).
 *   siblings: for l = L down to 1: for each i in S_l ascending whose sibling i ^ 1 is not in S_l,
 *             N(l, i ^ 1).
 * Shared nodes are sent once; the verifier recomputes everything else.
 *
 * What the root binds: for each level, the bytes R(l, i), not how they split into matrices and
 * salt (two matrices of 8-byte rows at one level commit exactly like one matrix of 16-byte
 * rows, and a 16-byte salt like 16 more row bytes). A verifier must therefore take the shape
 * from its own statement, never from the prover; an identifier meant to name a commitment on
 * its own should hash a canonical encoding of the shape together with the root.
 *
 * Speed: hashing pairs nodes of a level and runs them through a two-way interleaved SHA-NI
 * compression when the CPU has it (merkle_sha256x2.h, about 1.8x one stream on AMD Zen 4);
 * otherwise OpenSSL's SHA256_Update/Final from the tag midstates. Both give the same bytes. */
#ifndef FTI_MERKLE_H
#define FTI_MERKLE_H

#include <stddef.h>
#include <stdint.h>

#include "fti/fti.h"
#include "hash/sha256.h"

#define FTI_MERKLE_MAX_HEIGHT 40

typedef struct {
    unsigned log_rows; /* 2^log_rows rows, log_rows <= FTI_MERKLE_MAX_HEIGHT */
    size_t row_bytes;  /* > 0 */
} fti_merkle_matrix_shape;

typedef struct {
    size_t n_matrices; /* >= 1 */
    const fti_merkle_matrix_shape *matrices;
    size_t salt_bytes; /* 0 (no salt) to 32 */
} fti_merkle_shape;

/* A committed tree: the node digests of every level but the bottom three (they hold 7/8 of
 * the digests; an opening recomputes the few subtrees of 8 leaves it needs from the data),
 * plus borrowed pointers to the matrix data (the caller keeps the data alive and unchanged
 * while the tree is used for openings). Memory: 2^(L-2) * 32 bytes, e.g. 16 MiB for 2^21
 * leaves. The tree copies the shape and, when salted, keeps the seed (wiped on free). */
typedef struct fti_merkle_tree fti_merkle_tree;

/* Returns the tree height L of a shape, or -1 if the shape is invalid. */
int fti_merkle_height(const fti_merkle_shape *shape);

/* Commits. data[m] points to matrix m, row-major (2^log_rows * row_bytes bytes). salt_seed is
 * 32 bytes when shape->salt_bytes > 0, else ignored (may be NULL). Hashing is parallel (OpenMP)
 * and deterministic. */
FTI_MUST_CHECK fti_status fti_merkle_commit(fti_merkle_tree **out, const fti_merkle_shape *shape,
                                            const uint8_t *const *data, const uint8_t *salt_seed);
/* The root alone, without keeping the nodes (for committing data larger than memory would
 * allow twice). */
FTI_MUST_CHECK fti_status fti_merkle_root(fti_digest *root, const fti_merkle_shape *shape,
                                          const uint8_t *const *data, const uint8_t *salt_seed);
void fti_merkle_tree_free(fti_merkle_tree *t);
/* Points the tree at another copy of its matrices, byte for byte the committed ones (e.g.
 * recomputed after their memory was given back); openings read rows from it. */
void fti_merkle_tree_rebind(fti_merkle_tree *t, const uint8_t *const *data);
const fti_digest *fti_merkle_tree_root(const fti_merkle_tree *t);

typedef struct {
    size_t n_indices;
    uint64_t *indices;      /* sorted, distinct leaf indices */
    size_t row_data_len;
    uint8_t *row_data;      /* canonical layout above */
    size_t n_siblings;
    fti_digest *siblings;   /* canonical layout above */
} fti_merkle_opening;

/* The sizes of an opening of the given indices (at least one; sorted, distinct, < 2^L), so
 * that a parser reads exactly that many bytes. Returns FTI_ERR_ARG for an invalid shape or
 * index list (or sizes that overflow size_t). */
FTI_MUST_CHECK fti_status fti_merkle_opening_sizes(size_t *row_data_len, size_t *n_siblings,
                                                   const fti_merkle_shape *shape,
                                                   const uint64_t *indices, size_t n_indices);

/* Opens the tree at the given leaf indices (at least one, each < 2^L, any order, duplicates
 * allowed; the opening holds them sorted and distinct). Allocates the opening's arrays (free
 * with fti_merkle_opening_free); on failure *op is left empty. */
FTI_MUST_CHECK fti_status fti_merkle_open(fti_merkle_opening *op, const fti_merkle_tree *t,
                                          const uint64_t *indices, size_t n_indices);
void fti_merkle_opening_free(fti_merkle_opening *op);

/* Verifies an opening against root and shape. Sets *ok to 0 first, then to 1 iff the indices
 * are non-empty, sorted, distinct and in range, the lengths match the shape exactly and the
 * recomputed root equals root. The opening's contents may be hostile; its arrays must only
 * really hold the lengths it states (the parser's job). Returns FTI_OK unless it could not run
 * (FTI_ERR_NOMEM; FTI_ERR_ARG for NULL arguments or an invalid shape). */
FTI_MUST_CHECK fti_status fti_merkle_verify(int *ok, const fti_digest *root, const fti_merkle_shape *shape,
                                            const fti_merkle_opening *op);

/* The row of matrix m that the opening reveals for leaf index q (q must be one of
 * op->indices), or NULL if it is not there or the opening's indices or row_data length do not
 * fit the shape. The row has shape->matrices[m].row_bytes bytes. Cost O(n_indices + L). */
const uint8_t *fti_merkle_opening_row(const fti_merkle_opening *op, const fti_merkle_shape *shape, size_t m,
                                      uint64_t q);

#endif
