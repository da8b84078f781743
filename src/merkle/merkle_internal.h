/* Pieces shared by the Merkle prover (merkle_commit.c, merkle_open.c) and verifier
 * (merkle_verify.c): the per-level view of a shape, the multi-opening size arithmetic and the
 * node hashes of merkle.h. Not part of the public contract. */
#ifndef FTI_MERKLE_INTERNAL_H
#define FTI_MERKLE_INTERNAL_H

#include "merkle/merkle.h"

#define MERKLE_SALT_SEED_BYTES 32
#define MERKLE_SALT_TAG "fti/merkle/v1/salt" /* raw bytes, not a padded tag block */

/* A validated shape seen level by level. Built without allocation, so the verifier and the
 * size functions can use it freely. */
typedef struct {
    unsigned height; /* L */
    size_t salt_bytes;
    size_t n_matrices;
    const fti_merkle_matrix_shape *matrices; /* borrowed */
    /* |R(l, i)|: rows of the matrices attached at l plus the salt; 0 if nothing is attached. */
    size_t r_len[FTI_MERKLE_MAX_HEIGHT + 1];
} merkle_layout;

/* Validates shape (see merkle.h: 1 <= n_matrices, log_rows <= FTI_MERKLE_MAX_HEIGHT,
 * row_bytes > 0, salt_bytes <= 32, every matrix and every R(l, i) of a size that fits size_t)
 * and fills lay. FTI_ERR_ARG (with a message) otherwise. */
fti_status merkle_layout_init(merkle_layout *lay, const fti_merkle_shape *shape);

/* Offset of matrix m's row inside R(log_rows(m), i). */
size_t merkle_layout_row_offset(const merkle_layout *lay, size_t m);

/* Checks that indices are sorted, distinct, < 2^L and not empty; 1 if so. */
int merkle_indices_valid(const merkle_layout *lay, const uint64_t *indices, size_t n);

/* For valid indices: counts[l] = |S_l| for l = 0..L (the sets of merkle.h). */
void merkle_level_counts(uint64_t counts[FTI_MERKLE_MAX_HEIGHT + 1], const merkle_layout *lay,
                         const uint64_t *indices, size_t n);

/* For valid indices: the canonical opening's sizes; FTI_ERR_ARG if row_data would overflow. */
fti_status merkle_sizes(size_t *row_data_len, size_t *n_siblings, const merkle_layout *lay,
                        const uint64_t *indices, size_t n);

/* Node hashing. The three tag blocks are compressed once into midstates that every node hash
 * starts from (a struct copy), so a tag costs nothing per node. */
typedef struct {
    SHA256_CTX leaf, node, inject;
} merkle_tags;

void merkle_tags_init(merkle_tags *t);

/* The node hash of merkle.h from contiguous bytes: children is NULL at the leaf level, else
 * the two child digests side by side; r holds R(l, i) (r_len bytes, possibly 0). */
void merkle_hash_bytes(fti_digest *out, const merkle_tags *t, const fti_digest *children, const uint8_t *r,
                       size_t r_len);

/* The prover's view: the layout, the matrix data, the salt seed, and for each level the list
 * of attached matrices (listing order), so hashing a node never scans every matrix. */
typedef struct {
    merkle_layout lay;
    merkle_tags tags;
    const uint8_t *const *data;
    size_t *order;                             /* matrix indices sorted by level (stable) */
    size_t first[FTI_MERKLE_MAX_HEIGHT + 2];   /* order[first[l] .. first[l + 1]) attached at l */
    SHA256_CTX salt;                           /* "fti/merkle/v1/salt" || seed, when salted */
    /* The two-way SHA-NI path (merkle_pair.c), when the CPU has it: */
    int x2;
    uint32_t iv[8], mid_leaf[8], mid_node[8], mid_inject[8]; /* states after each tag block */
    uint8_t salt_block[64]; /* first block of a salt message: tag, seed, (l, i) slot, padding */
} merkle_prover;

/* Builds a prover over a validated layout (lay is copied; its matrices pointer must stay
 * valid). FTI_ERR_NOMEM on allocation failure. */
fti_status merkle_prover_init(merkle_prover *p, const merkle_layout *lay, const uint8_t *const *data,
                              const uint8_t *salt_seed);
void merkle_prover_free(merkle_prover *p);

/* N(l, i) from the matrices: children NULL iff l == L. */
void merkle_prover_hash(fti_digest *out, const merkle_prover *p, unsigned l, uint64_t i,
                        const fti_digest *children);

/* N(l, i) and, if two, N(l, i + 1) into out[0] and out[1]; children (NULL iff l == L) holds
 * their children, side by side (4 digests if two). out may equal children (in-place hashing):
 * no output is written before the inputs that share its memory are read. Uses the two-way
 * SHA-NI path when available. */
void merkle_prover_hash_pair(fti_digest *out, const merkle_prover *p, unsigned l, uint64_t i, int two,
                             const fti_digest *children);

/* Sets up p's two-way path (called by merkle_prover_init once tags and salt are set). */
void merkle_prover_init_x2(merkle_prover *p, const uint8_t *salt_seed);

/* Tests only: 1 makes provers created afterwards use the portable (OpenSSL) path. */
void merkle_set_portable_only(int on);

/* Writes R(l, i) (rows, then salt) to out, which has lay.r_len[l] bytes. */
void merkle_prover_write_r(uint8_t *out, const merkle_prover *p, unsigned l, uint64_t i);

/* Hashes the subtree under node (top, j): for l = top..L, dst[l] receives the subtree's
 * 2^(l - top) nodes of level l. The dst[l] may all be one buffer (hashed in place). */
void merkle_prover_subtree(const merkle_prover *p, unsigned top, uint64_t j, fti_digest *const *dst);

/* How many bottom levels a committed tree does not keep (merkle_commit.c explains why). */
#define MERKLE_DROPPED_LEVELS 3
static inline unsigned merkle_dropped_levels(unsigned height) {
    return height < MERKLE_DROPPED_LEVELS ? height : MERKLE_DROPPED_LEVELS;
}

/* A committed tree (opaque in merkle.h). */
struct fti_merkle_tree {
    merkle_prover prover;              /* prover.lay.matrices points to `matrices` */
    fti_merkle_matrix_shape *matrices; /* owned copy of the shape */
    const uint8_t **data;              /* owned array of borrowed pointers */
    unsigned deep;                     /* deepest level kept: L - merkle_dropped_levels(L) */
    fti_digest *nodes;                 /* level l <= deep (2^l digests) starts at nodes + 2^l - 1 */
    size_t nodes_bytes;
};

static inline fti_digest *merkle_tree_level(const struct fti_merkle_tree *t, unsigned l) {
    return t->nodes + (((size_t)1 << l) - 1);
}

#endif
