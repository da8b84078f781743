/* Commitment: the tree's upper levels (fti_merkle_commit) or the root alone in bounded memory
 * (fti_merkle_root).
 *
 * Both hash the tree in chunks: a chunk is the subtree of 2^c leaves under one node of level
 * L - c, hashed bottom-up by one thread in a scratch area that stays in cache. Chunks are
 * independent, so they run in parallel and the result does not depend on the thread count.
 * The 2^(L-c) - 1 nodes above the chunks are then hashed level by level (commit) or merged
 * as chunks finish through a stack of pending left siblings (root), which keeps the root's
 * memory at a few chunks' worth whatever the height.
 *
 * A committed tree keeps levels 0 .. L - d only, d = min(MERKLE_DROPPED_LEVELS, L): the
 * bottom levels hold 7/8 of the digests (as many bytes as half the matrix data for 128-byte
 * rows), and merkle_open.c recomputes the few subtrees of 2^d leaves it needs. */
#include <omp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "merkle/merkle_internal.h"
#include "util/error.h"

#define CHUNK_LOG_MAX 10 /* 1024 leaves: a chunk's digests (32 KiB) stay in L1/L2 */
#define ROOT_BATCH 64    /* chunks hashed in parallel between two stack merges */
#define HUGE_NODES ((size_t)4 << 20) /* node arrays from this size are mapped with huge pages */

/* The node array. A large tree's is mapped with transparent huge pages: a 2^21-leaf tree has
 * 128 MiB of digests, and faulting it in 4 KiB pages costs as much as a third of the hashing. */
static fti_digest *nodes_alloc(size_t bytes) {
    if (bytes < HUGE_NODES) return malloc(bytes);
    void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) return NULL;
#ifdef MADV_HUGEPAGE
    (void)madvise(p, bytes, MADV_HUGEPAGE); /* advisory: without it, ordinary pages */
#endif
    return p;
}

static void nodes_free(fti_digest *p, size_t bytes) {
    if (!p) return;
    if (bytes < HUGE_NODES) free(p);
    else munmap(p, bytes);
}

/* log2 of the chunk size: at most CHUNK_LOG_MAX, small enough that there are at least 16
 * chunks to share between threads, and at least the number of dropped levels (which then
 * live in the chunk's scratch only). */
static unsigned chunk_log(unsigned L) {
    unsigned c = L <= 4 ? 0 : L - 4 < CHUNK_LOG_MAX ? L - 4 : CHUNK_LOG_MAX;
    return c > merkle_dropped_levels(L) ? c : merkle_dropped_levels(L);
}

/* Pairs (merkle_prover_hash_pair); in place, nodes k, k+1 are written after their children
 * 2k..2k+3 are read, and no later pair reads a position <= k + 1. */
void merkle_prover_subtree(const merkle_prover *p, unsigned top, uint64_t j, fti_digest *const *dst) {
    unsigned L = p->lay.height;
    uint64_t n = (uint64_t)1 << (L - top), base = j * n;
    for (uint64_t k = 0; k < n; k += 2) merkle_prover_hash_pair(&dst[L][k], p, L, base + k, n - k > 1, NULL);
    for (unsigned l = L; l-- > top;) {
        n >>= 1;
        base >>= 1;
        for (uint64_t k = 0; k < n; k += 2)
            merkle_prover_hash_pair(&dst[l][k], p, l, base + k, n - k > 1, &dst[l + 1][2 * k]);
    }
}

static fti_status check_data(const fti_merkle_shape *shape, const uint8_t *const *data, const uint8_t *seed) {
    if (!data) return fti_fail(FTI_ERR_ARG, "merkle: no matrix data");
    for (size_t m = 0; m < shape->n_matrices; m++)
        if (!data[m]) return fti_fail(FTI_ERR_ARG, "merkle: matrix %zu has no data", m);
    if (shape->salt_bytes && !seed) return fti_fail(FTI_ERR_ARG, "merkle: salted shape without a salt seed");
    return FTI_OK;
}

/* Copies the shape and the data pointers into t, so the tree does not borrow the caller's
 * shape arrays (only the matrix bytes). */
static fti_status tree_alloc(fti_merkle_tree *t, const merkle_layout *lay, const uint8_t *const *data,
                             const uint8_t *seed) {
    t->deep = lay->height - merkle_dropped_levels(lay->height);
    size_t n_nodes = ((size_t)2 << t->deep) - 1, bytes;
    if (__builtin_mul_overflow(n_nodes, sizeof(fti_digest), &bytes))
        return fti_fail(FTI_ERR_NOMEM, "merkle: tree of height %u too large", lay->height);
    t->matrices = calloc(lay->n_matrices, sizeof *t->matrices);
    t->data = calloc(lay->n_matrices, sizeof *t->data);
    t->nodes = nodes_alloc(bytes);
    t->nodes_bytes = t->nodes ? bytes : 0;
    if (!t->matrices || !t->data || !t->nodes) return fti_fail(FTI_ERR_NOMEM, "merkle: out of memory");
    memcpy(t->matrices, lay->matrices, lay->n_matrices * sizeof *t->matrices);
    memcpy(t->data, data, lay->n_matrices * sizeof *t->data);
    merkle_layout own = *lay;
    own.matrices = t->matrices;
    return merkle_prover_init(&t->prover, &own, (const uint8_t *const *)t->data, seed);
}

/* Levels above `deep` go to the tree; the dropped ones to the thread's scratch, in place. */
static void chunk_targets(fti_digest **dst, fti_merkle_tree *t, unsigned top, uint64_t j, fti_digest *mine) {
    for (unsigned l = top; l <= t->prover.lay.height; l++)
        dst[l] = l > t->deep ? mine : merkle_tree_level(t, l) + (j << (l - top));
}

static void hash_all_nodes(fti_merkle_tree *t, fti_digest *scratch, size_t chunk_nodes) {
    const merkle_prover *p = &t->prover;
    unsigned L = p->lay.height, top = L - chunk_log(L);
    int64_t n_chunks = (int64_t)1 << top;
#pragma omp parallel for schedule(static) if (n_chunks > 1)
    for (int64_t j = 0; j < n_chunks; j++) {
        fti_digest *dst[FTI_MERKLE_MAX_HEIGHT + 1];
        chunk_targets(dst, t, top, (uint64_t)j, scratch + (size_t)omp_get_thread_num() * chunk_nodes);
        merkle_prover_subtree(p, top, (uint64_t)j, dst);
    }
    for (unsigned l = top; l-- > 0;) {
        int64_t n = (int64_t)1 << l;
        fti_digest *lev = merkle_tree_level(t, l), *below = merkle_tree_level(t, l + 1);
#pragma omp parallel for schedule(static) if (n >= 256)
        for (int64_t k = 0; k < n; k += 2)
            merkle_prover_hash_pair(&lev[k], p, l, (uint64_t)k, n - k > 1, &below[2 * k]);
    }
}

fti_status fti_merkle_commit(fti_merkle_tree **out, const fti_merkle_shape *shape, const uint8_t *const *data,
                             const uint8_t *salt_seed) {
    merkle_layout lay;
    fti_merkle_tree *t = NULL;
    fti_digest *scratch = NULL;
    fti_status st;
    if (!out) return fti_fail(FTI_ERR_ARG, "merkle: no output");
    *out = NULL;
    if ((st = merkle_layout_init(&lay, shape)) != FTI_OK) goto out;
    if ((st = check_data(shape, data, salt_seed)) != FTI_OK) goto out;
    if (!(t = calloc(1, sizeof *t))) {
        st = fti_fail(FTI_ERR_NOMEM, "merkle: out of memory");
        goto out;
    }
    if ((st = tree_alloc(t, &lay, data, salt_seed)) != FTI_OK) goto out;
    size_t chunk_nodes = (size_t)1 << chunk_log(lay.height);
    scratch = calloc((size_t)omp_get_max_threads() * chunk_nodes, sizeof *scratch); /* threads * 32 KiB */
    if (!scratch) {
        st = fti_fail(FTI_ERR_NOMEM, "merkle: out of memory");
        goto out;
    }
    hash_all_nodes(t, scratch, chunk_nodes);
    *out = t;
    t = NULL;
out:
    free(scratch);
    fti_merkle_tree_free(t);
    return st;
}

void fti_merkle_tree_rebind(fti_merkle_tree *t, const uint8_t *const *data) {
    memcpy(t->data, data, t->prover.lay.n_matrices * sizeof *t->data);
}

void fti_merkle_tree_free(fti_merkle_tree *t) {
    if (!t) return;
    merkle_prover_free(&t->prover);
    nodes_free(t->nodes, t->nodes_bytes);
    free(t->data);
    free(t->matrices);
    free(t);
}

const fti_digest *fti_merkle_tree_root(const fti_merkle_tree *t) { return &t->nodes[0]; }

/* Pushes node (lev, idx) onto the stack of pending left siblings, merging while it is a right
 * child. Nodes arrive in index order, so when idx is odd its left sibling is on top. */
static void stack_push(fti_digest *stack, size_t *depth, const merkle_prover *p, unsigned lev, uint64_t idx,
                       const fti_digest *node) {
    size_t d = *depth;
    stack[d] = *node;
    while (idx & 1) {
        /* stack[d - 1], stack[d] are the children, side by side; the parent replaces the left. */
        merkle_prover_hash(&stack[d - 1], p, lev - 1, idx >> 1, &stack[d - 1]);
        d--;
        lev--;
        idx >>= 1;
    }
    *depth = d + 1;
}

/* Hashes chunks [start, start + count) in parallel, one scratch area per thread, into roots. */
static void hash_chunk_batch(fti_digest *roots, fti_digest *scratch, size_t chunk_nodes, const merkle_prover *p,
                             unsigned top, uint64_t start, int64_t count) {
#pragma omp parallel for schedule(static) if (count > 1)
    for (int64_t jj = 0; jj < count; jj++) {
        fti_digest *mine = scratch + (size_t)omp_get_thread_num() * chunk_nodes;
        fti_digest *dst[FTI_MERKLE_MAX_HEIGHT + 1];
        for (unsigned l = 0; l <= FTI_MERKLE_MAX_HEIGHT; l++) dst[l] = mine;
        merkle_prover_subtree(p, top, start + (uint64_t)jj, dst);
        roots[jj] = mine[0];
    }
}

fti_status fti_merkle_root(fti_digest *root, const fti_merkle_shape *shape, const uint8_t *const *data,
                           const uint8_t *salt_seed) {
    merkle_layout lay;
    merkle_prover p = {0};
    fti_digest *scratch = NULL, *roots = NULL, stack[FTI_MERKLE_MAX_HEIGHT + 2];
    fti_status st;
    if (!root) return fti_fail(FTI_ERR_ARG, "merkle: no output");
    if ((st = merkle_layout_init(&lay, shape)) != FTI_OK) goto out;
    if ((st = check_data(shape, data, salt_seed)) != FTI_OK) goto out;
    if ((st = merkle_prover_init(&p, &lay, data, salt_seed)) != FTI_OK) goto out;
    unsigned c = chunk_log(lay.height), top = lay.height - c;
    uint64_t n_chunks = (uint64_t)1 << top;
    size_t chunk_nodes = (size_t)1 << c, n_threads = (size_t)omp_get_max_threads();
    int64_t batch = n_chunks < ROOT_BATCH ? (int64_t)n_chunks : ROOT_BATCH;
    scratch = calloc(n_threads * chunk_nodes, sizeof *scratch); /* small: threads * 32 KiB */
    roots = calloc((size_t)batch, sizeof *roots);
    if (!scratch || !roots) {
        st = fti_fail(FTI_ERR_NOMEM, "merkle: out of memory");
        goto out;
    }
    size_t depth = 0;
    for (uint64_t start = 0; start < n_chunks; start += (uint64_t)batch) {
        hash_chunk_batch(roots, scratch, chunk_nodes, &p, top, start, batch);
        for (int64_t jj = 0; jj < batch; jj++) stack_push(stack, &depth, &p, top, start + (uint64_t)jj, &roots[jj]);
    }
    FTI_VERIFY_CHECK(depth == 1);
    *root = stack[0];
out:
    free(scratch);
    free(roots);
    merkle_prover_free(&p);
    return st;
}
