/* Shape validation, multi-opening size arithmetic and node hashing (layout in merkle.h). */
#include <limits.h>
#include <openssl/crypto.h>
#include <stdlib.h>
#include <string.h>

#include "merkle/merkle_internal.h"
#include "util/error.h"

fti_status merkle_layout_init(merkle_layout *lay, const fti_merkle_shape *shape) {
    memset(lay, 0, sizeof *lay);
    if (!shape || !shape->matrices || shape->n_matrices == 0)
        return fti_fail(FTI_ERR_ARG, "merkle: a shape needs at least one matrix");
    if (shape->salt_bytes > FTI_DIGEST_BYTES)
        return fti_fail(FTI_ERR_ARG, "merkle: salt_bytes %zu exceeds 32", shape->salt_bytes);
    lay->salt_bytes = shape->salt_bytes;
    lay->n_matrices = shape->n_matrices;
    lay->matrices = shape->matrices;
    for (size_t m = 0; m < shape->n_matrices; m++) {
        const fti_merkle_matrix_shape *ms = &shape->matrices[m];
        if (ms->log_rows > FTI_MERKLE_MAX_HEIGHT || ms->log_rows >= sizeof(size_t) * CHAR_BIT)
            return fti_fail(FTI_ERR_ARG, "merkle: matrix %zu has 2^%u rows (at most 2^%d)", m, ms->log_rows,
                            FTI_MERKLE_MAX_HEIGHT);
        /* The matrix (2^log_rows * row_bytes bytes) must be addressable. */
        if (ms->row_bytes == 0 || ms->row_bytes > (SIZE_MAX >> ms->log_rows))
            return fti_fail(FTI_ERR_ARG, "merkle: matrix %zu has an invalid row size %zu", m, ms->row_bytes);
        size_t *r = &lay->r_len[ms->log_rows];
        if (ms->row_bytes > SIZE_MAX - *r) return fti_fail(FTI_ERR_ARG, "merkle: rows too large at one level");
        *r += ms->row_bytes;
        if (ms->log_rows > lay->height) lay->height = ms->log_rows;
    }
    for (unsigned l = 0; l <= lay->height; l++) {
        /* Half the address space at most, so a node's message (tag, children, R, padding) has
         * a size_t length. Real rows are far smaller: they are in memory. */
        if (lay->r_len[l] > (SIZE_MAX >> 1) - lay->salt_bytes)
            return fti_fail(FTI_ERR_ARG, "merkle: rows too large at level %u", l);
        if (lay->r_len[l]) lay->r_len[l] += lay->salt_bytes;
    }
    return FTI_OK;
}

int fti_merkle_height(const fti_merkle_shape *shape) {
    merkle_layout lay;
    if (merkle_layout_init(&lay, shape) != FTI_OK) return -1;
    return (int)lay.height;
}

size_t merkle_layout_row_offset(const merkle_layout *lay, size_t m) {
    size_t off = 0;
    for (size_t j = 0; j < m; j++)
        if (lay->matrices[j].log_rows == lay->matrices[m].log_rows) off += lay->matrices[j].row_bytes;
    return off;
}

int merkle_indices_valid(const merkle_layout *lay, const uint64_t *indices, size_t n) {
    if (n == 0 || !indices) return 0;
    for (size_t k = 1; k < n; k++)
        if (indices[k] <= indices[k - 1]) return 0;
    return (indices[n - 1] >> lay->height) == 0;
}

/* Two consecutive sorted indices a < b fall in the same node of level l iff they agree above
 * bit L - l, i.e. iff bitlen(a ^ b) <= L - l. So |S_l| = 1 + #{k : bitlen(q_(k-1) ^ q_k) > L - l},
 * which a histogram of those bit lengths gives for every level in one pass. */
void merkle_level_counts(uint64_t counts[FTI_MERKLE_MAX_HEIGHT + 1], const merkle_layout *lay,
                         const uint64_t *indices, size_t n) {
    uint64_t hist[FTI_MERKLE_MAX_HEIGHT + 2] = {0};
    unsigned L = lay->height;
    for (size_t k = 1; k < n; k++) hist[64 - __builtin_clzll(indices[k] ^ indices[k - 1])]++;
    uint64_t above = 0; /* #{k : bitlen > L - l} */
    for (unsigned l = 0; l <= L; l++) {
        if (l > 0) above += hist[L - l + 1];
        counts[l] = 1 + above;
    }
}

fti_status merkle_sizes(size_t *row_data_len, size_t *n_siblings, const merkle_layout *lay,
                        const uint64_t *indices, size_t n) {
    uint64_t counts[FTI_MERKLE_MAX_HEIGHT + 1];
    merkle_level_counts(counts, lay, indices, n);
    size_t rows = 0, sibs = 0;
    for (unsigned l = 0; l <= lay->height; l++) {
        size_t add;
        if (__builtin_mul_overflow(counts[l], lay->r_len[l], &add) || __builtin_add_overflow(rows, add, &rows))
            return fti_fail(FTI_ERR_ARG, "merkle: opening too large");
        /* Each node of S_(l-1) has one or two children in S_l; those with one need a sibling:
         * #siblings at l = |S_(l-1)| - #pairs = 2 |S_(l-1)| - |S_l|. */
        if (l > 0) sibs += (size_t)(2 * counts[l - 1] - counts[l]);
    }
    *row_data_len = rows;
    *n_siblings = sibs;
    return FTI_OK;
}

static void tag_ctx(SHA256_CTX *ctx, const char *tag) {
    uint8_t block[64] = {0};
    memcpy(block, tag, strlen(tag));
    SHA256_Init(ctx);
    SHA256_Update(ctx, block, sizeof block);
}

void merkle_tags_init(merkle_tags *t) {
    tag_ctx(&t->leaf, "fti/merkle/v1/leaf");
    tag_ctx(&t->node, "fti/merkle/v1/node");
    tag_ctx(&t->inject, "fti/merkle/v1/inject");
}

static const SHA256_CTX *start_ctx(const merkle_tags *t, const fti_digest *children, size_t r_len) {
    if (!children) return &t->leaf;
    return r_len ? &t->inject : &t->node;
}

void merkle_hash_bytes(fti_digest *out, const merkle_tags *t, const fti_digest *children, const uint8_t *r,
                       size_t r_len) {
    SHA256_CTX c = *start_ctx(t, children, r_len);
    if (children) SHA256_Update(&c, children, 2 * FTI_DIGEST_BYTES);
    if (r_len) SHA256_Update(&c, r, r_len);
    SHA256_Final(out->b, &c);
}

fti_status merkle_prover_init(merkle_prover *p, const merkle_layout *lay, const uint8_t *const *data,
                              const uint8_t *salt_seed) {
    memset(p, 0, sizeof *p);
    p->lay = *lay;
    p->data = data;
    merkle_tags_init(&p->tags);
    p->order = calloc(lay->n_matrices, sizeof *p->order);
    if (!p->order) return fti_fail(FTI_ERR_NOMEM, "merkle: out of memory");
    /* Counting sort by level, stable, so rows are hashed in listing order within a level. */
    for (size_t m = 0; m < lay->n_matrices; m++) p->first[lay->matrices[m].log_rows + 1]++;
    for (unsigned l = 0; l <= FTI_MERKLE_MAX_HEIGHT; l++) p->first[l + 1] += p->first[l];
    size_t next[FTI_MERKLE_MAX_HEIGHT + 1];
    memcpy(next, p->first, sizeof next);
    for (size_t m = 0; m < lay->n_matrices; m++) p->order[next[lay->matrices[m].log_rows]++] = m;
    if (lay->salt_bytes) {
        SHA256_Init(&p->salt);
        SHA256_Update(&p->salt, MERKLE_SALT_TAG, sizeof MERKLE_SALT_TAG - 1);
        SHA256_Update(&p->salt, salt_seed, MERKLE_SALT_SEED_BYTES);
    }
    merkle_prover_init_x2(p, salt_seed);
    return FTI_OK;
}

void merkle_prover_free(merkle_prover *p) {
    free(p->order);
    p->order = NULL;
    OPENSSL_cleanse(&p->salt, sizeof p->salt); /* these two hold the secret seed */
    OPENSSL_cleanse(p->salt_block, sizeof p->salt_block);
}

/* salt(l, i) = SHA-256("fti/merkle/v1/salt" || seed || u32le l || u64le i). */
static void salt_of(uint8_t out[FTI_DIGEST_BYTES], const merkle_prover *p, unsigned l, uint64_t i) {
    uint8_t b[12];
    for (int k = 0; k < 4; k++) b[k] = (uint8_t)(l >> (8 * k));
    for (int k = 0; k < 8; k++) b[4 + k] = (uint8_t)(i >> (8 * k));
    SHA256_CTX c = p->salt;
    SHA256_Update(&c, b, sizeof b);
    SHA256_Final(out, &c);
}

void merkle_prover_hash(fti_digest *out, const merkle_prover *p, unsigned l, uint64_t i,
                        const fti_digest *children) {
    SHA256_CTX c = *start_ctx(&p->tags, children, p->lay.r_len[l]);
    if (children) SHA256_Update(&c, children, 2 * FTI_DIGEST_BYTES);
    for (size_t k = p->first[l]; k < p->first[l + 1]; k++) {
        size_t m = p->order[k], rb = p->lay.matrices[m].row_bytes;
        SHA256_Update(&c, p->data[m] + (size_t)i * rb, rb);
    }
    if (p->lay.salt_bytes && p->lay.r_len[l]) {
        uint8_t s[FTI_DIGEST_BYTES];
        salt_of(s, p, l, i);
        SHA256_Update(&c, s, p->lay.salt_bytes);
    }
    SHA256_Final(out->b, &c);
}

void merkle_prover_write_r(uint8_t *out, const merkle_prover *p, unsigned l, uint64_t i) {
    for (size_t k = p->first[l]; k < p->first[l + 1]; k++) {
        size_t m = p->order[k], rb = p->lay.matrices[m].row_bytes;
        memcpy(out, p->data[m] + (size_t)i * rb, rb);
        out += rb;
    }
    if (p->lay.salt_bytes && p->lay.r_len[l]) {
        uint8_t s[FTI_DIGEST_BYTES];
        salt_of(s, p, l, i);
        memcpy(out, s, p->lay.salt_bytes);
    }
}
