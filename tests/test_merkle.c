/* Mixed-height Merkle commitments: golden vectors from an independent python implementation
 * (tests/vectors/merkle_vectors.py), random shapes against a plain reference written here,
 * and an opening verifier that rejects every tampering without reading out of bounds. */
#include <omp.h>
#include <stdlib.h>
#include <string.h>

#include "merkle/merkle.h"
#include "merkle/merkle_internal.h"
#include "merkle/merkle_sha256x2.h"
#include "test.h"
#include "vectors/merkle_vectors.h"

#define MAX_M 8

typedef struct {
    fti_merkle_matrix_shape mats[MAX_M];
    fti_merkle_shape shape;
    uint8_t *data[MAX_M];
    const uint8_t *view[MAX_M];
    uint8_t seed[32];
} fixture;

static size_t matrix_len(const fti_merkle_matrix_shape *m) { return ((size_t)1 << m->log_rows) * m->row_bytes; }

/* Builds the matrices; data follow the vectors' formula (byte k of matrix m = (k*31 + m) mod
 * 251, seed byte j = (j*17 + 5) mod 256) or are random. Returns 0 on allocation failure. */
static int fixture_init(fixture *f, const fti_merkle_matrix_shape *mats, size_t n, size_t salt, int random) {
    memset(f, 0, sizeof *f);
    memcpy(f->mats, mats, n * sizeof *mats);
    f->shape = (fti_merkle_shape){n, f->mats, salt};
    for (int j = 0; j < 32; j++) f->seed[j] = (uint8_t)(j * 17 + 5);
    if (random) test_rand_bytes(f->seed, 32);
    for (size_t m = 0; m < n; m++) {
        size_t len = matrix_len(&mats[m]);
        if (!(f->data[m] = malloc(len))) return 0;
        for (size_t k = 0; k < len; k++) f->data[m][k] = (uint8_t)((k * 31 + m) % 251);
        if (random) test_rand_bytes(f->data[m], len);
        f->view[m] = f->data[m];
    }
    return 1;
}

static void fixture_free(fixture *f) {
    for (size_t m = 0; m < MAX_M; m++) free(f->data[m]);
    memset(f, 0, sizeof *f);
}

static unsigned height_of(const fixture *f) { return (unsigned)fti_merkle_height(&f->shape); }

/* ---- a plain reference of the layout: whole levels, one-shot SHA-256 of each input ---- */

static size_t ref_r(uint8_t *out, const fixture *f, unsigned l, uint64_t i) {
    size_t len = 0;
    for (size_t m = 0; m < f->shape.n_matrices; m++) {
        if (f->mats[m].log_rows != l) continue;
        memcpy(out + len, f->data[m] + i * f->mats[m].row_bytes, f->mats[m].row_bytes);
        len += f->mats[m].row_bytes;
    }
    if (len && f->shape.salt_bytes) {
        uint8_t in[18 + 32 + 12], d[32];
        memcpy(in, "fti/merkle/v1/salt", 18);
        memcpy(in + 18, f->seed, 32);
        for (int k = 0; k < 4; k++) in[50 + k] = (uint8_t)(l >> (8 * k));
        for (int k = 0; k < 8; k++) in[54 + k] = (uint8_t)(i >> (8 * k));
        SHA256(in, sizeof in, d);
        memcpy(out + len, d, f->shape.salt_bytes);
        len += f->shape.salt_bytes;
    }
    return len;
}

static void ref_root(fti_digest *root, const fixture *f) {
    unsigned L = height_of(f);
    size_t cap = 128 + 32;
    for (size_t m = 0; m < f->shape.n_matrices; m++) cap += f->mats[m].row_bytes;
    uint8_t *in = malloc(cap);
    fti_digest *lev = malloc(((size_t)1 << L) * sizeof *lev);
    for (uint64_t i = 0; i < ((uint64_t)1 << L); i++) {
        memset(in, 0, 64);
        strcpy((char *)in, "fti/merkle/v1/leaf");
        size_t n = 64 + ref_r(in + 64, f, L, i);
        fti_sha256(&lev[i], in, n);
    }
    for (unsigned l = L; l-- > 0;) {
        for (uint64_t i = 0; i < ((uint64_t)1 << l); i++) {
            memset(in, 0, 64);
            memcpy(in + 64, &lev[2 * i], 64);
            size_t r = ref_r(in + 128, f, l, i);
            strcpy((char *)in, r ? "fti/merkle/v1/inject" : "fti/merkle/v1/node");
            fti_sha256(&lev[i], in, 128 + r);
        }
    }
    *root = lev[0];
    free(lev);
    free(in);
}

/* ---- golden vectors ---- */

static void test_merkle__vector_roots(void) {
    for (size_t v = 0; v < MV_N_ROOTS; v++) {
        const merkle_root_vector *mv = &MV_ROOTS[v];
        fixture f;
        fti_merkle_tree *t = NULL;
        fti_digest want, got, ref;
        CHECK(fixture_init(&f, mv->matrices, mv->n_matrices, mv->salt_bytes, 0));
        memcpy(want.b, mv->root, 32);
        CHECK(fti_merkle_commit(&t, &f.shape, f.view, f.seed) == FTI_OK);
        CHECK(fti_digest_eq(fti_merkle_tree_root(t), &want));
        CHECK(fti_merkle_root(&got, &f.shape, f.view, f.seed) == FTI_OK);
        CHECK(fti_digest_eq(&got, &want));
        ref_root(&ref, &f);
        CHECK(fti_digest_eq(&ref, &want));
        fti_merkle_tree_free(t);
        fixture_free(&f);
    }
}

static void test_merkle__vector_openings(void) {
    for (size_t v = 0; v < MV_N_OPENINGS; v++) {
        const merkle_opening_vector *ov = &MV_OPENINGS[v];
        const merkle_root_vector *mv = &MV_ROOTS[ov->root_case];
        fixture f;
        fti_merkle_tree *t = NULL;
        fti_merkle_opening op;
        int ok = 0;
        CHECK(fixture_init(&f, mv->matrices, mv->n_matrices, mv->salt_bytes, 0));
        CHECK(fti_merkle_commit(&t, &f.shape, f.view, f.seed) == FTI_OK);
        CHECK(fti_merkle_open(&op, t, ov->indices, ov->n_indices) == FTI_OK);
        CHECK_EQ_U64(op.row_data_len, ov->row_data_len);
        CHECK_EQ_U64(op.n_siblings, ov->n_siblings);
        CHECK(memcmp(op.row_data, ov->row_data, ov->row_data_len) == 0);
        CHECK(memcmp(op.siblings, ov->siblings, 32 * ov->n_siblings) == 0);
        CHECK(fti_merkle_verify(&ok, fti_merkle_tree_root(t), &f.shape, &op) == FTI_OK && ok);
        fti_merkle_opening_free(&op);
        fti_merkle_tree_free(t);
        fixture_free(&f);
    }
}

/* ---- shapes and arguments ---- */

static void test_merkle__invalid_shapes_rejected(void) {
    static const fti_merkle_matrix_shape bad[][2] = {
        {{41, 1}, {0, 1}},         {{3, 0}, {0, 1}}, {{40, (size_t)1 << 25}, {0, 1}}, {{2, SIZE_MAX / 2}, {2, SIZE_MAX / 2}},
        {{0, SIZE_MAX / 2}, {0, 2}}, {{0, SIZE_MAX}, {0, 1}}};
    uint8_t byte = 0;
    const uint8_t *data[2] = {&byte, &byte};
    fti_digest root = {{0}};
    size_t a, b;
    uint64_t q = 0;
    int ok = 1;
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        fti_merkle_shape s = {2, bad[k], 0};
        fti_merkle_tree *t = NULL;
        CHECK(fti_merkle_height(&s) == -1);
        CHECK(fti_merkle_commit(&t, &s, data, NULL) == FTI_ERR_ARG && t == NULL);
        CHECK(fti_merkle_root(&root, &s, data, NULL) == FTI_ERR_ARG);
        CHECK(fti_merkle_opening_sizes(&a, &b, &s, &q, 1) == FTI_ERR_ARG);
    }
    fti_merkle_matrix_shape one = {0, 1};
    fti_merkle_shape none = {0, &one, 0}, salty = {1, &one, 33}, ok_salt = {1, &one, 16};
    fti_merkle_opening op = {1, &q, 1, &byte, 0, NULL};
    fti_merkle_tree *t = NULL;
    CHECK(fti_merkle_height(&none) == -1 && fti_merkle_height(&salty) == -1 && fti_merkle_height(NULL) == -1);
    CHECK(fti_merkle_verify(&ok, &root, &salty, &op) == FTI_ERR_ARG && ok == 0);
    CHECK(fti_merkle_commit(&t, &ok_salt, data, NULL) == FTI_ERR_ARG); /* salted without a seed */
    uint8_t seed[32] = {0};
    CHECK(fti_merkle_commit(&t, &ok_salt, NULL, seed) == FTI_ERR_ARG); /* no data */
    CHECK(fti_merkle_height(&ok_salt) == 0);
}

static void test_merkle__opening_sizes_checks_indices(void) {
    fti_merkle_matrix_shape mats[] = {{4, 10}, {2, 3}};
    fti_merkle_shape s = {2, mats, 0};
    size_t rd, ns;
    const uint64_t unsorted[] = {3, 1}, dup[] = {2, 2}, big[] = {1, 16}, good[] = {0, 1, 15};
    CHECK(fti_merkle_opening_sizes(&rd, &ns, &s, unsorted, 2) == FTI_ERR_ARG);
    CHECK(fti_merkle_opening_sizes(&rd, &ns, &s, dup, 2) == FTI_ERR_ARG);
    CHECK(fti_merkle_opening_sizes(&rd, &ns, &s, big, 2) == FTI_ERR_ARG);
    CHECK(fti_merkle_opening_sizes(&rd, &ns, &s, good, 0) == FTI_ERR_ARG);
    CHECK(fti_merkle_opening_sizes(&rd, &ns, &s, good, 3) == FTI_OK);
    /* S_4 = {0,1,15}, S_3 = {0,7}, S_2 = {0,3}, S_1 = {0,1}, S_0 = {0}:
     * rows 3*10 + 2*3; siblings 1 (14) + 2 (1, 6) + 2 (1, 2) + 0 (a pair). */
    CHECK_EQ_U64(rd, 36);
    CHECK_EQ_U64(ns, 5);
}

/* ---- completeness over random shapes ---- */

static void random_fixture(fixture *f, int *ok) {
    fti_merkle_matrix_shape mats[6];
    size_t n = 1 + test_rand_below(6), salts[] = {0, 16, 32};
    unsigned hmax = (unsigned)test_rand_below(13);
    for (size_t m = 0; m < n; m++) {
        mats[m].log_rows = (unsigned)test_rand_below(hmax + 1);
        mats[m].row_bytes = 1 + test_rand_below(test_rand_below(4) ? 40 : 200);
    }
    *ok = fixture_init(f, mats, n, salts[test_rand_below(3)], 1);
}

/* Opens a random multiset of leaves and checks the opening against the data. */
static void check_random_opening(const fixture *f, const fti_merkle_tree *t) {
    unsigned L = height_of(f);
    uint64_t q[40], leaves = (uint64_t)1 << L;
    size_t nq = 1 + test_rand_below(leaves < 40 ? leaves : 40), rd, ns;
    fti_merkle_opening op;
    int ok = 0;
    for (size_t k = 0; k < nq; k++) q[k] = test_rand_below(leaves);
    CHECK(fti_merkle_open(&op, t, q, nq) == FTI_OK);
    CHECK(fti_merkle_opening_sizes(&rd, &ns, &f->shape, op.indices, op.n_indices) == FTI_OK);
    CHECK(rd == op.row_data_len && ns == op.n_siblings);
    CHECK(fti_merkle_verify(&ok, fti_merkle_tree_root(t), &f->shape, &op) == FTI_OK && ok);
    for (size_t k = 0; k < op.n_indices; k++) {
        if (k) CHECK(op.indices[k] > op.indices[k - 1]);
        for (size_t m = 0; m < f->shape.n_matrices; m++) {
            const uint8_t *row = fti_merkle_opening_row(&op, &f->shape, m, op.indices[k]);
            uint64_t r = op.indices[k] >> (L - f->mats[m].log_rows);
            CHECK(row && memcmp(row, f->data[m] + r * f->mats[m].row_bytes, f->mats[m].row_bytes) == 0);
        }
    }
    for (size_t k = 0; k < nq; k++) { /* every requested index is there */
        int found = 0;
        for (size_t j = 0; j < op.n_indices; j++) found |= op.indices[j] == q[k];
        CHECK(found);
    }
    fti_merkle_opening_free(&op);
}

static void test_merkle__random_shapes_complete(void) {
    for (int trial = 0; trial < 150; trial++) {
        fixture f;
        fti_merkle_tree *t = NULL;
        fti_digest root, ref;
        int ok;
        random_fixture(&f, &ok);
        CHECK(ok);
        CHECK(fti_merkle_commit(&t, &f.shape, f.view, f.seed) == FTI_OK);
        CHECK(fti_merkle_root(&root, &f.shape, f.view, f.seed) == FTI_OK);
        ref_root(&ref, &f);
        CHECK(fti_digest_eq(&root, fti_merkle_tree_root(t)) && fti_digest_eq(&root, &ref));
        for (int k = 0; k < 4 && !test_failed; k++) check_random_opening(&f, t);
        fti_merkle_tree_free(t);
        fixture_free(&f);
        if (test_failed) return;
    }
}

/* Heights around the chunk size and root() batches of more than 64 chunks, with injected
 * matrices at many levels, under 1 and 2 threads: every way gives the reference root. */
static void test_merkle__chunking_and_threads(void) {
    static const unsigned heights[] = {0, 1, 4, 5, 13, 14, 15, 17};
    int saved = omp_get_max_threads();
    for (size_t h = 0; h < sizeof heights / sizeof heights[0]; h++) {
        unsigned L = heights[h];
        fti_merkle_matrix_shape mats[] = {{L, 1}, {L / 2, 3}, {L ? L - 1 : 0, 2}, {0, 1}};
        fixture f;
        fti_digest ref, got;
        CHECK(fixture_init(&f, mats, 4, h % 2 ? 16 : 0, 1));
        ref_root(&ref, &f);
        for (int threads = 1; threads <= 2; threads++) {
            fti_merkle_tree *t = NULL;
            omp_set_num_threads(threads);
            CHECK(fti_merkle_commit(&t, &f.shape, f.view, f.seed) == FTI_OK);
            CHECK(fti_digest_eq(fti_merkle_tree_root(t), &ref));
            CHECK(fti_merkle_root(&got, &f.shape, f.view, f.seed) == FTI_OK && fti_digest_eq(&got, &ref));
            fti_merkle_tree_free(t);
        }
        fixture_free(&f);
    }
    omp_set_num_threads(saved);
}

static void test_merkle__open_sorts_and_dedups(void) {
    fti_merkle_matrix_shape mats[] = {{5, 9}, {3, 4}};
    fixture f;
    fti_merkle_tree *t = NULL;
    fti_merkle_opening a, b;
    const uint64_t messy[] = {17, 3, 17, 0, 31, 3}, clean[] = {0, 3, 17, 31}, out_of_range[] = {4, 32};
    CHECK(fixture_init(&f, mats, 2, 0, 1));
    CHECK(fti_merkle_commit(&t, &f.shape, f.view, NULL) == FTI_OK);
    CHECK(fti_merkle_open(&a, t, messy, 6) == FTI_OK);
    CHECK(fti_merkle_open(&b, t, clean, 4) == FTI_OK);
    CHECK(a.n_indices == 4 && memcmp(a.indices, clean, sizeof clean) == 0);
    CHECK(a.row_data_len == b.row_data_len && memcmp(a.row_data, b.row_data, a.row_data_len) == 0);
    CHECK(a.n_siblings == b.n_siblings && memcmp(a.siblings, b.siblings, 32 * a.n_siblings) == 0);
    fti_merkle_opening_free(&a);
    CHECK(fti_merkle_open(&a, t, out_of_range, 2) == FTI_ERR_ARG && a.indices == NULL);
    CHECK(fti_merkle_open(&a, t, clean, 0) == FTI_ERR_ARG);
    /* opening_row refuses what is not in the opening */
    CHECK(fti_merkle_opening_row(&b, &f.shape, 0, 1) == NULL);
    CHECK(fti_merkle_opening_row(&b, &f.shape, 2, 0) == NULL);
    CHECK(fti_merkle_opening_row(&b, &f.shape, 1, 17) != NULL);
    b.row_data_len--;
    CHECK(fti_merkle_opening_row(&b, &f.shape, 1, 17) == NULL);
    b.row_data_len++;
    fti_merkle_opening_free(&b);
    fti_merkle_tree_free(t);
    fixture_free(&f);
}

/* ---- soundness: a small opening, tampered every way ---- */

typedef struct {
    fixture f;
    fti_merkle_tree *t;
    fti_merkle_opening op;
    fti_digest root;
} small_case;

/* Three small trees: salted with injection at inner levels and the root, unsalted with an
 * empty level, and a one-leaf tree. */
static int small_case_init(small_case *c, int which) {
    static const fti_merkle_matrix_shape a[] = {{4, 16}, {2, 5}, {4, 3}, {0, 7}}, b[] = {{3, 24}, {1, 2}},
                                         z[] = {{0, 5}, {0, 2}};
    static const uint64_t qa[] = {3, 4, 9, 15}, qb[] = {2, 5}, qz[] = {0};
    const fti_merkle_matrix_shape *mats[] = {a, b, z};
    size_t nm[] = {4, 2, 2}, salt[] = {16, 0, 8}, nq[] = {4, 2, 1};
    const uint64_t *q[] = {qa, qb, qz};
    memset(c, 0, sizeof *c);
    if (!fixture_init(&c->f, mats[which], nm[which], salt[which], 1)) return 0;
    if (fti_merkle_commit(&c->t, &c->f.shape, c->f.view, c->f.seed) != FTI_OK) return 0;
    c->root = *fti_merkle_tree_root(c->t);
    return fti_merkle_open(&c->op, c->t, q[which], nq[which]) == FTI_OK;
}

static void small_case_free(small_case *c) {
    fti_merkle_opening_free(&c->op);
    fti_merkle_tree_free(c->t);
    fixture_free(&c->f);
}

static int accepts(const small_case *c, const fti_merkle_shape *s, const fti_merkle_opening *op) {
    int ok = 1;
    if (fti_merkle_verify(&ok, &c->root, s, op) != FTI_OK) return -1;
    return ok;
}

/* Every bit, then every byte set to several values, of buf must be caught. */
static int all_changes_rejected(const small_case *c, uint8_t *buf, size_t len) {
    static const uint8_t values[] = {0x00, 0xff, 0x5a};
    for (size_t k = 0; k < len; k++) {
        uint8_t save = buf[k];
        for (int bit = 0; bit < 8; bit++) {
            buf[k] = (uint8_t)(save ^ (1u << bit));
            if (accepts(c, &c->f.shape, &c->op) != 0) return 0;
        }
        for (size_t v = 0; v < sizeof values; v++) {
            buf[k] = (uint8_t)(values[v] == save ? save + 1 : values[v]);
            if (accepts(c, &c->f.shape, &c->op) != 0) return 0;
        }
        buf[k] = save;
    }
    return 1;
}

static void test_merkle__reject_every_flip(void) {
    for (int which = 0; which < 3; which++) {
        small_case c;
        CHECK(small_case_init(&c, which));
        CHECK(accepts(&c, &c.f.shape, &c.op) == 1);
        CHECK(all_changes_rejected(&c, c.op.row_data, c.op.row_data_len));
        CHECK(all_changes_rejected(&c, (uint8_t *)c.op.siblings, 32 * c.op.n_siblings));
        CHECK(accepts(&c, &c.f.shape, &c.op) == 1);
        small_case_free(&c);
    }
}

/* Verifies op with row_data and siblings copied into buffers of exactly the stated lengths
 * (so ASan sees any read past them), the copies grown by `extra` bytes / digests. */
static int accepts_resized(const small_case *c, long extra_rows, long extra_sibs) {
    fti_merkle_opening m = c->op;
    m.row_data_len = (size_t)((long)c->op.row_data_len + extra_rows);
    m.n_siblings = (size_t)((long)c->op.n_siblings + extra_sibs);
    m.row_data = calloc(m.row_data_len + 1, 1);
    m.siblings = calloc(m.n_siblings + 1, sizeof *m.siblings);
    memcpy(m.row_data, c->op.row_data, m.row_data_len < c->op.row_data_len ? m.row_data_len : c->op.row_data_len);
    memcpy(m.siblings, c->op.siblings,
           (m.n_siblings < c->op.n_siblings ? m.n_siblings : c->op.n_siblings) * sizeof *m.siblings);
    int r = accepts(c, &c->f.shape, &m);
    free(m.row_data);
    free(m.siblings);
    return r;
}

static void test_merkle__reject_wrong_lengths(void) {
    for (int which = 0; which < 3; which++) {
        small_case c;
        CHECK(small_case_init(&c, which));
        CHECK(accepts_resized(&c, 0, 0) == 1);
        for (long d = -3; d <= 3; d++) {
            if (d == 0) continue;
            if ((long)c.op.row_data_len + d >= 0) CHECK(accepts_resized(&c, d, 0) == 0);
            if ((long)c.op.n_siblings + d >= 0) CHECK(accepts_resized(&c, 0, d) == 0);
            if ((long)c.op.n_siblings + d >= 0 && (long)c.op.row_data_len + 32 * d >= 0)
                CHECK(accepts_resized(&c, 32 * d, d) == 0);
        }
        CHECK(accepts_resized(&c, -(long)c.op.row_data_len, -(long)c.op.n_siblings) == 0);
        fti_merkle_opening m = c.op;
        m.row_data = NULL; /* lengths without buffers */
        CHECK(accepts(&c, &c.f.shape, &m) == 0);
        small_case_free(&c);
    }
}

/* Runs verify on op with its index list replaced by idx[0..n). */
static int accepts_indices(const small_case *c, const uint64_t *idx, size_t n) {
    fti_merkle_opening m = c->op;
    uint64_t *copy = malloc((n ? n : 1) * sizeof *copy);
    memcpy(copy, idx, n * sizeof *idx);
    m.indices = copy;
    m.n_indices = n;
    int r = accepts(c, &c->f.shape, &m);
    free(copy);
    return r;
}

static void test_merkle__reject_bad_indices(void) {
    small_case c;
    CHECK(small_case_init(&c, 0)); /* indices {3, 4, 9, 15} of 16 leaves */
    const uint64_t dup[] = {3, 4, 4, 15}, unsorted[] = {4, 3, 9, 15}, range[] = {3, 4, 9, 16},
                   huge[] = {3, 4, 9, UINT64_MAX}, swapped[] = {3, 4, 10, 15}, swapped2[] = {2, 4, 9, 15},
                   fewer[] = {3, 4, 9}, more[] = {3, 4, 9, 14, 15};
    CHECK(accepts_indices(&c, c.op.indices, c.op.n_indices) == 1);
    CHECK(accepts_indices(&c, dup, 4) == 0);
    CHECK(accepts_indices(&c, unsorted, 4) == 0);
    CHECK(accepts_indices(&c, range, 4) == 0);
    CHECK(accepts_indices(&c, huge, 4) == 0);
    CHECK(accepts_indices(&c, swapped, 4) == 0);
    CHECK(accepts_indices(&c, swapped2, 4) == 0);
    CHECK(accepts_indices(&c, fewer, 3) == 0);
    CHECK(accepts_indices(&c, more, 5) == 0);
    CHECK(accepts_indices(&c, dup, 0) == 0);
    for (uint64_t x = 0; x < 16; x++) { /* every single index against the opening of four */
        CHECK(accepts_indices(&c, &x, 1) == 0);
    }
    small_case_free(&c);
}

/* Swapping two rows or two siblings (same bytes, wrong places) is caught. */
static void test_merkle__reject_reordered_content(void) {
    small_case c;
    CHECK(small_case_init(&c, 0));
    size_t r = c.f.mats[0].row_bytes + c.f.mats[2].row_bytes + c.f.shape.salt_bytes; /* |R(L, .)| */
    uint8_t tmp[64];
    memcpy(tmp, c.op.row_data, r);
    memmove(c.op.row_data, c.op.row_data + r, r);
    memcpy(c.op.row_data + r, tmp, r);
    CHECK(accepts(&c, &c.f.shape, &c.op) == 0);
    memcpy(c.op.row_data + r, c.op.row_data, r);
    memcpy(c.op.row_data, tmp, r);
    CHECK(accepts(&c, &c.f.shape, &c.op) == 1);
    for (size_t a = 0; a < c.op.n_siblings; a++)
        for (size_t b = a + 1; b < c.op.n_siblings; b++) {
            fti_digest s = c.op.siblings[a];
            c.op.siblings[a] = c.op.siblings[b];
            c.op.siblings[b] = s;
            CHECK(accepts(&c, &c.f.shape, &c.op) == 0);
            c.op.siblings[b] = c.op.siblings[a];
            c.op.siblings[a] = s;
        }
    small_case_free(&c);
}

static void test_merkle__reject_wrong_root_or_shape(void) {
    for (int which = 0; which < 3; which++) {
        small_case c;
        CHECK(small_case_init(&c, which));
        for (int bit = 0; bit < 256; bit++) {
            c.root.b[bit / 8] ^= (uint8_t)(1u << (bit % 8));
            CHECK(accepts(&c, &c.f.shape, &c.op) == 0);
            c.root.b[bit / 8] ^= (uint8_t)(1u << (bit % 8));
        }
        fti_merkle_matrix_shape mats[MAX_M];
        fti_merkle_shape s = c.f.shape;
        s.matrices = mats;
        for (size_t m = 0; m < s.n_matrices; m++) {
            for (int d = -2; d <= 2; d++) {
                if (d == 0) continue;
                memcpy(mats, c.f.mats, sizeof mats);
                if ((long)mats[m].row_bytes + d > 0) {
                    mats[m].row_bytes = (size_t)((long)mats[m].row_bytes + d);
                    CHECK(accepts(&c, &s, &c.op) == 0);
                }
                memcpy(mats, c.f.mats, sizeof mats);
                if ((int)mats[m].log_rows + d >= 0) {
                    mats[m].log_rows = (unsigned)((int)mats[m].log_rows + d);
                    CHECK(accepts(&c, &s, &c.op) == 0);
                }
            }
        }
        memcpy(mats, c.f.mats, sizeof mats);
        static const size_t salts[] = {0, 1, 8, 16, 31, 32};
        for (size_t k = 0; k < sizeof salts / sizeof salts[0]; k++) {
            s.salt_bytes = salts[k];
            if (salts[k] != c.f.shape.salt_bytes) CHECK(accepts(&c, &s, &c.op) == 0);
        }
        s.salt_bytes = c.f.shape.salt_bytes;
        s.n_matrices--; /* a matrix fewer */
        if (s.n_matrices) CHECK(accepts(&c, &s, &c.op) == 0);
        s.n_matrices += 2; /* a matrix more */
        mats[s.n_matrices - 1] = (fti_merkle_matrix_shape){0, 1};
        CHECK(accepts(&c, &s, &c.op) == 0);
        small_case_free(&c);
    }
}

/* ---- the two hashing paths ---- */

/* The two-way SHA-NI compression against OpenSSL, for every message length up to 5 blocks
 * (padded here by hand, FIPS 180-4 section 5.1.1). Without SHA-NI there is nothing to test. */
static void test_merkle__sha256x2_matches_openssl(void) {
    if (!merkle_sha256x2_available()) {
        printf("  (no SHA-NI on this CPU: only the portable path is used)\n");
        return;
    }
    uint8_t msg[2][320], pad[2][320 + 128], dig[2][32];
    for (size_t len = 0; len <= 300; len++) {
        size_t n_blocks = (len + 9 + 63) / 64;
        const uint8_t *b[2][8];
        uint32_t st[2][8] = {{0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab,
                              0x5be0cd19}};
        memcpy(st[1], st[0], sizeof st[0]);
        for (int s = 0; s < 2; s++) {
            test_rand_bytes(msg[s], len);
            memset(pad[s], 0, sizeof pad[s]);
            memcpy(pad[s], msg[s], len);
            pad[s][len] = 0x80;
            for (int k = 0; k < 8; k++) pad[s][64 * n_blocks - 1 - k] = (uint8_t)((8 * (uint64_t)len) >> (8 * k));
            for (size_t k = 0; k < n_blocks; k++) b[s][k] = pad[s] + 64 * k;
        }
        merkle_sha256x2_blocks(st[0], st[1], b[0], b[1], n_blocks, dig[0], dig[1]);
        for (int s = 0; s < 2; s++) {
            fti_digest want;
            fti_sha256(&want, msg[s], len);
            CHECK(memcmp(dig[s], want.b, 32) == 0);
        }
    }
}

/* Everything the golden and random tests check, again with the portable (OpenSSL) path,
 * which must agree byte for byte with the fast one. */
static void test_merkle__portable_path_agrees(void) {
    for (int trial = 0; trial < 30 && !test_failed; trial++) {
        fixture f;
        fti_merkle_tree *fast = NULL, *slow = NULL;
        fti_merkle_opening a, b;
        fti_digest root;
        int ok;
        random_fixture(&f, &ok);
        CHECK(ok);
        uint64_t q[8], leaves = (uint64_t)1 << height_of(&f);
        for (int k = 0; k < 8; k++) q[k] = test_rand_below(leaves);
        merkle_set_portable_only(0);
        CHECK(fti_merkle_commit(&fast, &f.shape, f.view, f.seed) == FTI_OK);
        merkle_set_portable_only(1);
        CHECK(fti_merkle_commit(&slow, &f.shape, f.view, f.seed) == FTI_OK);
        CHECK(fti_merkle_root(&root, &f.shape, f.view, f.seed) == FTI_OK);
        CHECK(fti_merkle_open(&a, slow, q, 8) == FTI_OK);
        merkle_set_portable_only(0);
        CHECK(fti_merkle_open(&b, fast, q, 8) == FTI_OK);
        CHECK(fti_digest_eq(fti_merkle_tree_root(fast), fti_merkle_tree_root(slow)));
        CHECK(fti_digest_eq(fti_merkle_tree_root(fast), &root));
        CHECK(a.row_data_len == b.row_data_len && memcmp(a.row_data, b.row_data, a.row_data_len) == 0);
        CHECK(a.n_siblings == b.n_siblings && memcmp(a.siblings, b.siblings, 32 * a.n_siblings) == 0);
        fti_merkle_opening_free(&a);
        fti_merkle_opening_free(&b);
        fti_merkle_tree_free(fast);
        fti_merkle_tree_free(slow);
        fixture_free(&f);
    }
    merkle_set_portable_only(1);
    for (size_t v = 0; v < MV_N_ROOTS && !test_failed; v++) {
        fixture f;
        fti_digest want, got;
        CHECK(fixture_init(&f, MV_ROOTS[v].matrices, MV_ROOTS[v].n_matrices, MV_ROOTS[v].salt_bytes, 0));
        memcpy(want.b, MV_ROOTS[v].root, 32);
        CHECK(fti_merkle_root(&got, &f.shape, f.view, f.seed) == FTI_OK && fti_digest_eq(&got, &want));
        fixture_free(&f);
    }
    merkle_set_portable_only(0);
}

const struct test_case TEST_CASES[] = {
    TEST(test_merkle__vector_roots),
    TEST(test_merkle__vector_openings),
    TEST(test_merkle__invalid_shapes_rejected),
    TEST(test_merkle__opening_sizes_checks_indices),
    TEST(test_merkle__random_shapes_complete),
    TEST(test_merkle__chunking_and_threads),
    TEST(test_merkle__open_sorts_and_dedups),
    TEST(test_merkle__reject_every_flip),
    TEST(test_merkle__reject_wrong_lengths),
    TEST(test_merkle__reject_bad_indices),
    TEST(test_merkle__reject_reordered_content),
    TEST(test_merkle__reject_wrong_root_or_shape),
    TEST(test_merkle__sha256x2_matches_openssl),
    TEST(test_merkle__portable_path_agrees),
    {0},
};
