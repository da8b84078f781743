/* Hashing two nodes of one level at once with the two-way SHA-NI compression
 * (merkle_sha256x2.h). Nodes of one level have messages of the same length, so both lanes
 * run the same number of blocks.
 *
 * A node's message after its tag block is a list of pieces: the two children (inner nodes),
 * each attached row, the salt; then SHA-256 padding. Blocks lying inside one piece are
 * compressed straight from the matrix or the level array; only blocks that straddle pieces
 * or hold padding are assembled in a small scratch area. */
#include <string.h>

#include "merkle/merkle_internal.h"
#include "merkle/merkle_sha256x2.h"

#define GROUP 8 /* blocks gathered per call into the compression */

static int portable_only;

void merkle_set_portable_only(int on) { portable_only = on; }

static void ctx_words(uint32_t out[8], const SHA256_CTX *c) {
    for (int k = 0; k < 8; k++) out[k] = (uint32_t)c->h[k];
}

void merkle_prover_init_x2(merkle_prover *p, const uint8_t *salt_seed) {
    SHA256_CTX iv;
    p->x2 = !portable_only && merkle_sha256x2_available();
    SHA256_Init(&iv);
    ctx_words(p->iv, &iv);
    ctx_words(p->mid_leaf, &p->tags.leaf);
    ctx_words(p->mid_node, &p->tags.node);
    ctx_words(p->mid_inject, &p->tags.inject);
    if (p->lay.salt_bytes) {
        /* "fti/merkle/v1/salt" (18) || seed (32) || u32le l || u64le i: 62 bytes, then 0x80;
         * the second block is zeros and the bit length 496. */
        memcpy(p->salt_block, MERKLE_SALT_TAG, 18);
        memcpy(p->salt_block + 18, salt_seed, MERKLE_SALT_SEED_BYTES);
        p->salt_block[62] = 0x80;
    }
}

/* salt(l, i0) and salt(l, i1), both lanes at once. */
static void salts_x2(uint8_t out[2][FTI_DIGEST_BYTES], const merkle_prover *p, unsigned l, const uint64_t i[2]) {
    static const uint8_t last[64] = {[62] = 0x01, [63] = 0xf0}; /* 496 bits, big-endian */
    uint8_t first[2][64];
    uint32_t st[2][8];
    const uint8_t *b[2][2];
    for (int s = 0; s < 2; s++) {
        memcpy(first[s], p->salt_block, 64);
        for (int k = 0; k < 4; k++) first[s][50 + k] = (uint8_t)(l >> (8 * k));
        for (int k = 0; k < 8; k++) first[s][54 + k] = (uint8_t)(i[s] >> (8 * k));
        memcpy(st[s], p->iv, sizeof st[s]);
        b[s][0] = first[s];
        b[s][1] = last;
    }
    merkle_sha256x2_blocks(st[0], st[1], b[0], b[1], 2, out[0], out[1]);
}

typedef struct {
    const merkle_prover *p;
    unsigned l;
    uint64_t i;
    const fti_digest *children; /* NULL at the leaf level */
    const uint8_t *salt;        /* NULL when the node has none */
    size_t piece, off;          /* read position: piece number, offset inside it */
    int padded;                 /* the 0x80 byte has been emitted */
    uint64_t bits;              /* message length in bits, tag block included */
} node_msg;

/* Piece j: 0 the children, 1..k the attached rows in listing order, k+1 the salt. 0 past the
 * end. Pieces may be empty. */
static int piece_at(const node_msg *m, size_t j, const uint8_t **ptr, size_t *len) {
    const merkle_prover *p = m->p;
    size_t n_rows = p->first[m->l + 1] - p->first[m->l];
    if (j == 0) {
        *ptr = (const uint8_t *)m->children;
        *len = m->children ? 2 * FTI_DIGEST_BYTES : 0;
    } else if (j <= n_rows) {
        size_t mat = p->order[p->first[m->l] + j - 1], rb = p->lay.matrices[mat].row_bytes;
        *ptr = p->data[mat] + (size_t)m->i * rb;
        *len = rb;
    } else if (j == n_rows + 1) {
        *ptr = m->salt;
        *len = m->salt ? p->lay.salt_bytes : 0;
    } else {
        return 0;
    }
    return 1;
}

/* The next 64-byte block of the padded message: a pointer into a piece, or scratch. */
static const uint8_t *next_block(node_msg *m, uint8_t scratch[64]) {
    const uint8_t *ptr;
    size_t len, fill = 0;
    while (piece_at(m, m->piece, &ptr, &len)) {
        if (m->off == len) {
            m->piece++;
            m->off = 0;
            continue;
        }
        if (fill == 0 && len - m->off >= 64) { /* a whole block inside one piece: no copy */
            m->off += 64;
            return ptr + m->off - 64;
        }
        size_t take = len - m->off < 64 - fill ? len - m->off : 64 - fill;
        memcpy(scratch + fill, ptr + m->off, take);
        fill += take;
        m->off += take;
        if (fill == 64) return scratch;
    }
    /* Past the message: 0x80, zeros, and in the last block the 64-bit big-endian bit length. */
    if (!m->padded) {
        scratch[fill++] = 0x80;
        m->padded = 1;
    }
    memset(scratch + fill, 0, 64 - fill);
    if (fill <= 56)
        for (int k = 0; k < 8; k++) scratch[56 + k] = (uint8_t)(m->bits >> (56 - 8 * k));
    return scratch;
}

static const uint32_t *start_state(const merkle_prover *p, unsigned l, const fti_digest *children) {
    if (!children) return p->mid_leaf;
    return p->lay.r_len[l] ? p->mid_inject : p->mid_node;
}

/* The message after the tag block as one contiguous piece, when it is one (the bulk of most
 * trees: leaves of a single unsalted matrix, inner nodes without injection). */
static const uint8_t *contiguous(const merkle_prover *p, unsigned l, uint64_t i, const fti_digest *children) {
    if (children) return p->lay.r_len[l] ? NULL : (const uint8_t *)children;
    if (p->first[l + 1] - p->first[l] != 1 || p->lay.salt_bytes) return NULL;
    size_t mat = p->order[p->first[l]];
    return p->data[mat] + (size_t)i * p->lay.matrices[mat].row_bytes;
}

/* Fast path: both messages contiguous, of len bytes after the tag. The whole blocks are
 * hashed in place; the tail and the padding (one or two blocks) go through scratch, and ride
 * in the same compression call as the last whole blocks (a call costs a state load/store). */
static void hash_contiguous_x2(uint8_t *dig[2], uint32_t st[2][8], const uint8_t *const src[2], size_t len) {
    size_t full = len / 64, tail = len % 64, n_last = tail + 9 <= 64 ? 1 : 2, total = full + n_last;
    uint64_t bits = 8 * (64 + (uint64_t)len);
    uint8_t last[2][128];
    const uint8_t *b[2][GROUP];
    /* Without a tail (the common case: 128-byte rows, inner nodes) both lanes share one
     * padding-only block. */
    for (int s = 0; s < (tail ? 2 : 1); s++) {
        memset(last[s], 0, sizeof last[s]); /* fixed size: inlined stores, not rep stos */
        if (tail) memcpy(last[s], src[s] + 64 * full, tail);
        last[s][tail] = 0x80;
        for (int k = 0; k < 8; k++) last[s][64 * n_last - 8 + k] = (uint8_t)(bits >> (56 - 8 * k));
    }
    if (!tail) memcpy(last[1], last[0], 64);
    for (size_t done = 0; done < total;) {
        size_t g = total - done < GROUP ? total - done : GROUP;
        for (size_t k = 0; k < g; k++) {
            size_t blk = done + k;
            for (int s = 0; s < 2; s++) b[s][k] = blk < full ? src[s] + 64 * blk : last[s] + 64 * (blk - full);
        }
        done += g;
        int end = done == total;
        merkle_sha256x2_blocks(st[0], st[1], b[0], b[1], g, end ? dig[0] : NULL, end ? dig[1] : NULL);
    }
}

/* General path: pieces walked block by block (next_block). */
static void hash_pieces_x2(uint8_t *dig[2], uint32_t st[2][8], node_msg m[2], size_t after_tag) {
    uint8_t scratch[2][GROUP][64];
    const uint8_t *blocks[2][GROUP];
    size_t n_blocks = (after_tag + 9 + 63) / 64; /* message, 0x80, 8-byte length */
    for (size_t b = 0; b < n_blocks; b += GROUP) {
        size_t g = n_blocks - b < GROUP ? n_blocks - b : GROUP;
        for (size_t k = 0; k < g; k++) {
            blocks[0][k] = next_block(&m[0], scratch[0][k]);
            blocks[1][k] = next_block(&m[1], scratch[1][k]);
        }
        int end = b + g == n_blocks;
        merkle_sha256x2_blocks(st[0], st[1], blocks[0], blocks[1], g, end ? dig[0] : NULL, end ? dig[1] : NULL);
    }
}

static void hash_pair_x2(fti_digest *out, const merkle_prover *p, unsigned l, uint64_t i, int two,
                         const fti_digest *children) {
    /* The digests are stored by the last compression call, after it has read every block, so
     * they may go straight to out even where out aliases children. */
    uint8_t salt[2][FTI_DIGEST_BYTES], unused[FTI_DIGEST_BYTES], *dig[2] = {out[0].b, two ? out[1].b : unused};
    uint32_t st[2][8];
    uint64_t idx[2] = {i, two ? i + 1 : i};
    const fti_digest *kids[2] = {children, children && two ? children + 2 : children};
    size_t after_tag = (children ? 2 * FTI_DIGEST_BYTES : 0) + p->lay.r_len[l];
    for (int s = 0; s < 2; s++) memcpy(st[s], start_state(p, l, children), sizeof st[s]);
    const uint8_t *src[2] = {contiguous(p, l, idx[0], kids[0]), contiguous(p, l, idx[1], kids[1])};
    if (src[0]) {
        hash_contiguous_x2(dig, st, src, after_tag);
    } else {
        int salted = p->lay.salt_bytes && p->lay.r_len[l];
        if (salted) salts_x2(salt, p, l, idx);
        node_msg m[2];
        for (int s = 0; s < 2; s++)
            m[s] = (node_msg){p, l, idx[s], kids[s], salted ? salt[s] : NULL, 0, 0, 0, 8 * (64 + (uint64_t)after_tag)};
        hash_pieces_x2(dig, st, m, after_tag);
    }
}

void merkle_prover_hash_pair(fti_digest *out, const merkle_prover *p, unsigned l, uint64_t i, int two,
                             const fti_digest *children) {
    if (p->x2) {
        hash_pair_x2(out, p, l, i, two, children);
        return;
    }
    /* Portable: N(l, i) reads children[0..1] before writing out[0]; N(l, i+1) reads only
     * children[2..3], which out[0] cannot alias. */
    merkle_prover_hash(&out[0], p, l, i, children);
    if (two) merkle_prover_hash(&out[1], p, l, i + 1, children ? children + 2 : NULL);
}
