/* Basefold PCS: completeness over sizes, mixed batches, several commitments and points;
 * soundness: wrong claims, each verifier check made to fail by a tampered proof or a cheating
 * prover (tests-only hooks), every byte of a small serialised proof flipped. */
#include <omp.h>
#include <stdlib.h>

#include "field/field_avx512.h"
#include "pcs/pcs_internal.h"
#include "pcs/pcs_kernels.h"
#include "sumcheck/sumcheck.h"
#include "test.h"

#define MAXC 3
#define MAXP 12
#define MAXCL 48

typedef struct {
    const fti_pcs_params *pp;
    size_t n_comms;
    size_t n_polys[MAXC];
    unsigned nv[MAXC][MAXP];
    fe_t *tables[MAXC][MAXP];
    fti_pcs_commitment *c[MAXC];
    fti_pcs_public pub[MAXC];
    size_t n_claims;
    fti_pcs_claim claims[MAXCL];
    ke_t *points[MAXCL];
} scen;

static ke_t rand_ke(void) {
    ke_t r = {{test_rand() % FE_P, test_rand() % FE_P, test_rand() % FE_P}};
    return r;
}

static void scen_free(scen *S) {
    for (size_t c = 0; c < S->n_comms; c++) {
        fti_pcs_commitment_free(S->c[c]);
        for (size_t i = 0; i < S->n_polys[c]; i++) free(S->tables[c][i]);
    }
    for (size_t i = 0; i < S->n_claims; i++) free(S->points[i]);
    memset(S, 0, sizeof *S);
}

/* Commitments with the given sizes (nv[c][i], terminated by n_polys) and random tables. */
static int scen_commit(scen *S) {
    for (size_t c = 0; c < S->n_comms; c++) {
        for (size_t i = 0; i < S->n_polys[c]; i++) {
            size_t n = (size_t)1 << S->nv[c][i];
            S->tables[c][i] = malloc(n * sizeof(fe_t));
            for (size_t x = 0; x < n; x++) S->tables[c][i][x] = test_rand() % FE_P;
        }
        fti_pcs_shape shape = {S->n_polys[c], S->nv[c]};
        if (fti_pcs_commit(&S->c[c], S->pp, &shape, (const fe_t *const *)S->tables[c]) != FTI_OK) return 0;
        S->pub[c].root = *fti_pcs_commitment_root(S->c[c]);
        S->pub[c].shape = *fti_pcs_commitment_shape(S->c[c]);
    }
    return 1;
}

/* A correct claim on (c, i) at a random point, or at the point of an earlier claim `share`
 * (when it has the same number of variables). */
static void scen_claim(scen *S, unsigned c, unsigned i, int share) {
    size_t k = S->n_claims++;
    unsigned n = S->nv[c][i];
    S->points[k] = malloc((n + 1) * sizeof(ke_t));
    if (share >= 0 && S->claims[share].point && S->nv[S->claims[share].commitment][S->claims[share].poly] == n)
        memcpy(S->points[k], S->claims[share].point, n * sizeof(ke_t));
    else
        for (unsigned j = 0; j < n; j++) S->points[k][j] = rand_ke();
    S->claims[k] = (fti_pcs_claim){c, i, S->points[k], fti_mle_eval_fe(S->tables[c][i], n, S->points[k])};
}

static fti_status scen_prove(scen *S, fti_pcs_proof *p) {
    fti_transcript t;
    fti_transcript_init(&t, "test/pcs");
    return fti_pcs_open(p, &t, S->pp, S->c, S->n_comms, S->claims, S->n_claims);
}

static int scen_verify(scen *S, const fti_pcs_proof *p) {
    fti_transcript t;
    int ok = -1;
    fti_transcript_init(&t, "test/pcs");
    if (fti_pcs_verify(&ok, &t, S->pp, S->pub, S->n_comms, S->claims, S->n_claims, p) != FTI_OK) return -1;
    return ok;
}

/* Serialises, parses back and verifies; returns 1 accept, 0 reject (parse failures reject). */
static int scen_verify_bytes(scen *S, const uint8_t *b, size_t n) {
    fti_rbuf r;
    fti_pcs_proof q;
    fti_rbuf_init(&r, b, n);
    if (fti_pcs_proof_read(&q, &r, S->pp, S->pub, S->n_comms, S->claims, S->n_claims) != FTI_OK) return 0;
    int ok = fti_rbuf_remaining(&r) == 0 ? scen_verify(S, &q) : 0;
    fti_pcs_proof_free(&q);
    return ok;
}

static void one_poly(scen *S, const fti_pcs_params *pp, unsigned n, unsigned n_claims) {
    memset(S, 0, sizeof *S);
    S->pp = pp;
    S->n_comms = 1;
    S->n_polys[0] = 1;
    S->nv[0][0] = n;
    scen_commit(S);
    for (unsigned k = 0; k < n_claims; k++) scen_claim(S, 0, 0, -1);
}

static void test_pcs__single_poly_all_sizes(void) {
    const fti_pcs_params *pp = fti_pcs_params_get("test");
    for (unsigned n = 0; n <= 13; n++) {
        scen S;
        fti_pcs_proof p;
        one_poly(&S, pp, n, 1 + n % 3);
        CHECK(scen_prove(&S, &p) == FTI_OK);
        CHECK(scen_verify(&S, &p) == 1);
        fti_pcs_proof_free(&p);
        scen_free(&S);
    }
}

/* Mixed sizes in two commitments, several points per polynomial, shared points. */
static void mixed(scen *S, const fti_pcs_params *pp) {
    static const unsigned a[] = {3, 7, 7, 0, 5, 10, 1, 2};
    static const unsigned b[] = {10, 4, 9, 6};
    memset(S, 0, sizeof *S);
    S->pp = pp;
    S->n_comms = 2;
    S->n_polys[0] = 8;
    S->n_polys[1] = 4;
    memcpy(S->nv[0], a, sizeof a);
    memcpy(S->nv[1], b, sizeof b);
    scen_commit(S);
    for (unsigned i = 0; i < 8; i++) scen_claim(S, 0, i, -1);
    for (unsigned i = 0; i < 4; i++) scen_claim(S, 1, i, -1);
    scen_claim(S, 0, 5, -1);     /* a second point on the same polynomial */
    scen_claim(S, 1, 0, 5);      /* another polynomial at that point */
    scen_claim(S, 0, 2, 1);      /* same-size polynomials sharing a point */
    scen_claim(S, 0, 1, 1);      /* a duplicate claim (same poly, same point, same value) */
}

static void test_pcs__mixed_batch_two_commitments(void) {
    const char *names[] = {"test", "proven", "conjectured"};
    for (int k = 0; k < 3; k++) {
        scen S;
        fti_pcs_proof p;
        mixed(&S, fti_pcs_params_get(names[k]));
        CHECK(scen_prove(&S, &p) == FTI_OK);
        CHECK(scen_verify(&S, &p) == 1);
        fti_wbuf w;
        fti_wbuf_init(&w);
        fti_pcs_proof_write(&w, &p);
        CHECK(!w.oom && w.len == fti_pcs_proof_size(&p));
        CHECK(scen_verify_bytes(&S, w.data, w.len) == 1);
        fti_wbuf_free(&w);
        fti_pcs_proof_free(&p);
        scen_free(&S);
    }
}

/* A commitment whose polynomials are not all claimed (the rest are ignored but opened). */
static void test_pcs__unclaimed_polynomials(void) {
    scen S;
    fti_pcs_proof p;
    memset(&S, 0, sizeof S);
    S.pp = fti_pcs_params_get("test");
    S.n_comms = 1;
    S.n_polys[0] = 3;
    S.nv[0][0] = 9;
    S.nv[0][1] = 4;
    S.nv[0][2] = 6;
    scen_commit(&S);
    scen_claim(&S, 0, 1, -1);
    CHECK(scen_prove(&S, &p) == FTI_OK);
    CHECK(scen_verify(&S, &p) == 1);
    fti_pcs_proof_free(&p);
    scen_free(&S);
}

static void test_pcs__larger_sizes(void) {
    const unsigned sizes[] = {16, 18};
    for (int k = 0; k < 2; k++) {
        scen S;
        fti_pcs_proof p;
        one_poly(&S, fti_pcs_params_get("proven"), sizes[k], 2);
        CHECK(scen_prove(&S, &p) == FTI_OK);
        CHECK(scen_verify(&S, &p) == 1);
        fti_pcs_proof_free(&p);
        scen_free(&S);
    }
}

/* Deterministic: the same inputs give the same proof bytes. */
static void test_pcs__deterministic(void) {
    scen S;
    fti_pcs_proof p1, p2;
    fti_wbuf w1, w2;
    mixed(&S, fti_pcs_params_get("test"));
    CHECK(scen_prove(&S, &p1) == FTI_OK);
    CHECK(scen_prove(&S, &p2) == FTI_OK);
    fti_wbuf_init(&w1);
    fti_wbuf_init(&w2);
    fti_pcs_proof_write(&w1, &p1);
    fti_pcs_proof_write(&w2, &p2);
    CHECK(w1.len == w2.len && !memcmp(w1.data, w2.data, w1.len));
    fti_wbuf_free(&w1);
    fti_wbuf_free(&w2);
    fti_pcs_proof_free(&p1);
    fti_pcs_proof_free(&p2);
    scen_free(&S);
}

/* Single-point mode: claims at suffixes of one point skip the batching sum-check; the proof is
 * smaller, still binds every value, and a claim set that is not of that form is not confused
 * with one that is. (Packing puts several polynomials of one commitment in one packed
 * polynomial at different slots, so the mode arises with one polynomial per commitment.) */
static void test_pcs__single_point_mode(void) {
    scen S;
    fti_pcs_proof p;
    static const unsigned a[] = {9};
    static const unsigned b[] = {6};
    memset(&S, 0, sizeof S);
    S.pp = fti_pcs_params_get("test");
    S.n_comms = 2;
    S.n_polys[0] = 1;
    S.n_polys[1] = 1;
    memcpy(S.nv[0], a, sizeof a);
    memcpy(S.nv[1], b, sizeof b);
    CHECK(scen_commit(&S));
    ke_t r[9];
    for (int i = 0; i < 9; i++) r[i] = rand_ke();
    for (unsigned c = 0; c < 2; c++)
        for (unsigned i = 0; i < S.n_polys[c]; i++) {
            unsigned n = S.nv[c][i];
            size_t k = S.n_claims++;
            S.points[k] = malloc((n + 1) * sizeof(ke_t));
            memcpy(S.points[k], r + (9 - n), n * sizeof(ke_t)); /* the suffix */
            S.claims[k] = (fti_pcs_claim){c, i, S.points[k], fti_mle_eval_fe(S.tables[c][i], n, S.points[k])};
        }
    CHECK(scen_prove(&S, &p) == FTI_OK);
    CHECK(p.single == 1);
    CHECK(scen_verify(&S, &p) == 1);
    fti_wbuf w;
    fti_wbuf_init(&w);
    fti_pcs_proof_write(&w, &p);
    CHECK(scen_verify_bytes(&S, w.data, w.len) == 1);
    for (size_t k = 0; k < S.n_claims; k++) { /* every value is still bound */
        ke_t v = S.claims[k].value;
        S.claims[k].value = ke_add(v, ke_one());
        CHECK(scen_verify(&S, &p) == 0);
        CHECK(scen_verify_bytes(&S, w.data, w.len) == 0);
        S.claims[k].value = v;
    }
    /* move one claim off the common point: no longer single-point; the proof does not fit */
    S.points[1][0] = ke_add(S.points[1][0], ke_one());
    S.claims[1].value = fti_mle_eval_fe(S.tables[1][0], 6, S.points[1]);
    CHECK(scen_verify(&S, &p) == 0);
    CHECK(scen_verify_bytes(&S, w.data, w.len) == 0);
    fti_pcs_proof q;
    CHECK(scen_prove(&S, &q) == FTI_OK && q.single == 0 && scen_verify(&S, &q) == 1);
    fti_pcs_proof_free(&q);
    fti_wbuf_free(&w);
    fti_pcs_proof_free(&p);
    scen_free(&S);
}

/* Packing: polynomials of one commitment share packed polynomials (their total size's binary
 * digits); a query opens one row per packed polynomial. Claims on every polynomial verify and
 * stay bound; the layout fills the packed polynomials exactly. */
static void test_pcs__packing_layout_and_claims(void) {
    static const unsigned sizes[] = {3, 7, 7, 0, 5, 10, 1, 2, 7, 7, 4, 4};
    fti_pcs_shape shape = {12, sizes};
    fti_pcs_layout L;
    CHECK(fti_pcs_layout_make(&L, &shape) == FTI_OK);
    uint64_t total = 0, packed = 0;
    for (size_t i = 0; i < 12; i++) {
        total += (uint64_t)1 << sizes[i];
        CHECK(L.offset[i] % ((uint64_t)1 << sizes[i]) == 0); /* aligned slots */
        CHECK(L.offset[i] + ((uint64_t)1 << sizes[i]) <= ((uint64_t)1 << L.packed_vars[L.packed[i]]));
        for (size_t j = 0; j < i; j++) /* no two slots overlap */
            if (L.packed[i] == L.packed[j])
                CHECK(L.offset[i] + ((uint64_t)1 << sizes[i]) <= L.offset[j] || L.offset[j] + ((uint64_t)1 << sizes[j]) <= L.offset[i]);
    }
    for (size_t p = 0; p < L.n_packed; p++) packed += (uint64_t)1 << L.packed_vars[p];
    CHECK(packed == total && L.n_packed == (size_t)__builtin_popcountll(total)); /* below the cap */
    fti_pcs_layout_free(&L);
    scen S;
    fti_pcs_proof p;
    memset(&S, 0, sizeof S);
    S.pp = fti_pcs_params_get("test");
    S.n_comms = 1;
    S.n_polys[0] = 12;
    memcpy(S.nv[0], sizes, sizeof sizes);
    CHECK(scen_commit(&S));
    for (unsigned i = 0; i < 12; i++) scen_claim(&S, 0, i, -1);
    CHECK(scen_prove(&S, &p) == FTI_OK);
    CHECK(scen_verify(&S, &p) == 1);
    for (size_t k = 0; k < S.n_claims; k++) {
        ke_t v = S.claims[k].value;
        S.claims[k].value = ke_add(v, ke_one());
        CHECK(scen_verify(&S, &p) == 0);
        S.claims[k].value = v;
    }
    /* the same tables committed from one packed allocation (in place) give the same root */
    CHECK(fti_pcs_layout_make(&L, &shape) == FTI_OK);
    fe_t **packs = calloc(L.n_packed, sizeof *packs);
    const fe_t *sub[12];
    for (size_t q = 0; q < L.n_packed; q++) packs[q] = malloc(sizeof(fe_t) << L.packed_vars[q]);
    for (size_t i = 0; i < 12; i++) {
        fe_t *dst = packs[L.packed[i]] + L.offset[i];
        memcpy(dst, S.tables[0][i], sizeof(fe_t) << sizes[i]);
        sub[i] = dst;
    }
    fti_pcs_commitment *c2 = NULL;
    CHECK(fti_pcs_commit(&c2, S.pp, &shape, sub) == FTI_OK);
    CHECK(fti_digest_eq(fti_pcs_commitment_root(c2), &S.pub[0].root));
    fti_pcs_commitment_free(c2);
    for (size_t q = 0; q < L.n_packed; q++) free(packs[q]);
    free(packs);
    fti_pcs_layout_free(&L);
    fti_pcs_proof_free(&p);
    scen_free(&S);
}

/* The packing cap: polynomials above it get packed polynomials of their own, smaller ones fill
 * packed polynomials of the cap's size, then the binary digits of the rest. */
static void test_pcs__packing_cap(void) {
    static const unsigned sizes[] = {8, 6, 5, 5, 5, 5, 4, 3, 0, 7};
    fti_pcs_shape shape = {10, sizes};
    fti_pcs_layout L;
    unsigned saved = fti_pcs_pack_max_vars;
    fti_pcs_pack_max_vars = 6;
    fti_status st = fti_pcs_layout_make(&L, &shape);
    fti_pcs_pack_max_vars = saved;
    CHECK(st == FTI_OK);
    /* 2^8 and 2^7 alone; smaller: 64 + 4*32 + 16 + 8 + 1 = 217 = 3 * 64 + 16 + 8 + 1 */
    CHECK(L.n_packed == 8);
    const unsigned expect[] = {8, 7, 6, 6, 6, 4, 3, 0};
    for (size_t p = 0; p < 8; p++) CHECK(L.packed_vars[p] == expect[p]);
    fti_pcs_layout_free(&L);
    scen S;
    fti_pcs_proof p;
    memset(&S, 0, sizeof S);
    S.pp = fti_pcs_params_get("test");
    S.n_comms = 1;
    S.n_polys[0] = 10;
    memcpy(S.nv[0], sizes, sizeof sizes);
    fti_pcs_pack_max_vars = 6;
    int ok = scen_commit(&S);
    for (unsigned i = 0; ok && i < 10; i++) scen_claim(&S, 0, i, -1);
    ok = ok && scen_prove(&S, &p) == FTI_OK;
    int verified = ok ? scen_verify(&S, &p) : -1;
    fti_pcs_pack_max_vars = saved;
    CHECK(ok && verified == 1);
    fti_pcs_proof_free(&p);
    scen_free(&S);
}

/* ---- soundness: wrong claims ---- */

static void test_pcs__wrong_claim_rejected(void) {
    scen S;
    fti_pcs_proof p;
    mixed(&S, fti_pcs_params_get("test"));
    CHECK(scen_prove(&S, &p) == FTI_OK);
    for (size_t k = 0; k < S.n_claims; k++) {
        ke_t v = S.claims[k].value;
        S.claims[k].value = ke_add(v, ke_one());
        CHECK(scen_verify(&S, &p) == 0);
        S.claims[k].value = v;
    }
    CHECK(scen_verify(&S, &p) == 1);
    /* the prover refuses to prove a false claim */
    fti_pcs_proof q;
    S.claims[0].value = ke_add(S.claims[0].value, ke_one());
    CHECK(scen_prove(&S, &q) == FTI_ERR_INTERNAL);
    fti_pcs_proof_free(&p);
    scen_free(&S);
}

/* Two claims on one polynomial and point with different values: rejected, not an error. */
static void test_pcs__conflicting_duplicate_claims_rejected(void) {
    scen S;
    fti_pcs_proof p;
    one_poly(&S, fti_pcs_params_get("test"), 5, 1);
    scen_claim(&S, 0, 0, 0);
    CHECK(scen_prove(&S, &p) == FTI_OK);
    CHECK(scen_verify(&S, &p) == 1);
    S.claims[1].value = ke_add(S.claims[1].value, ke_one());
    CHECK(scen_verify(&S, &p) == 0);
    fti_pcs_proof_free(&p);
    scen_free(&S);
}

/* A proof for other commitments (another root) or another transcript is rejected. */
static void test_pcs__bound_to_roots_and_transcript(void) {
    scen S;
    fti_pcs_proof p;
    mixed(&S, fti_pcs_params_get("test"));
    CHECK(scen_prove(&S, &p) == FTI_OK);
    S.pub[1].root.b[7] ^= 1;
    CHECK(scen_verify(&S, &p) == 0);
    S.pub[1].root.b[7] ^= 1;
    fti_transcript t;
    int ok = -1;
    fti_transcript_init(&t, "test/pcs-other");
    CHECK(fti_pcs_verify(&ok, &t, S.pp, S.pub, S.n_comms, S.claims, S.n_claims, &p) == FTI_OK && ok == 0);
    fti_pcs_proof_free(&p);
    scen_free(&S);
}

/* ---- soundness: each check ---- */

static void test_pcs__tampered_batch_round(void) {
    scen S;
    fti_pcs_proof p;
    one_poly(&S, fti_pcs_params_get("test"), 8, 2);
    CHECK(scen_prove(&S, &p) == FTI_OK);
    for (unsigned i = 0; i < 3 * p.n_vars; i++) {
        ke_t v = p.batch_rounds[i];
        p.batch_rounds[i] = ke_add(v, ke_one());
        CHECK(scen_verify(&S, &p) == 0);
        p.batch_rounds[i] = v;
    }
    fti_pcs_proof_free(&p);
    scen_free(&S);
}

static void test_pcs__tampered_eval_fails_batch_final_check(void) {
    scen S;
    fti_pcs_proof p;
    mixed(&S, fti_pcs_params_get("test"));
    CHECK(scen_prove(&S, &p) == FTI_OK);
    for (unsigned i = 0; i < p.n_claimed; i++) {
        ke_t v = p.evals[i];
        p.evals[i] = ke_add(v, ke_one());
        CHECK(scen_verify(&S, &p) == 0);
        p.evals[i] = v;
    }
    fti_pcs_proof_free(&p);
    scen_free(&S);
}

static void test_pcs__tampered_fold_round_and_final(void) {
    scen S;
    fti_pcs_proof p;
    one_poly(&S, fti_pcs_params_get("test"), 9, 1);
    CHECK(scen_prove(&S, &p) == FTI_OK);
    for (unsigned i = 0; i < 3 * p.n_vars; i++) {
        ke_t v = p.fold_rounds[i];
        p.fold_rounds[i] = ke_add(v, ke_one());
        CHECK(scen_verify(&S, &p) == 0);
        p.fold_rounds[i] = v;
    }
    ke_t c = p.final_value;
    p.final_value = ke_add(c, ke_one());
    CHECK(scen_verify(&S, &p) == 0);
    p.final_value = c;
    for (unsigned l = 0; l < p.n_layers; l++) {
        p.layer_roots[l].b[0] ^= 0x80;
        CHECK(scen_verify(&S, &p) == 0);
        p.layer_roots[l].b[0] ^= 0x80;
    }
    p.pow_nonce ^= 1;
    CHECK(scen_verify(&S, &p) == 0);
    p.pow_nonce ^= 1;
    CHECK(scen_verify(&S, &p) == 1);
    fti_pcs_proof_free(&p);
    scen_free(&S);
}

/* With 16 bits of grinding, a wrong nonce fails the proof-of-work check itself. */
static void test_pcs__grinding_checked(void) {
    scen S;
    fti_pcs_proof p;
    one_poly(&S, fti_pcs_params_get("proven"), 6, 1);
    CHECK(S.pp->pow_bits == 16);
    CHECK(scen_prove(&S, &p) == FTI_OK);
    int rejected = 0;
    for (uint64_t d = 1; d <= 16; d++) {
        p.pow_nonce += d;
        rejected += scen_verify(&S, &p) == 0;
        p.pow_nonce -= d;
    }
    CHECK(rejected == 16);
    fti_pcs_proof_free(&p);
    scen_free(&S);
}

static void test_pcs__tampered_openings(void) {
    scen S;
    fti_pcs_proof p;
    mixed(&S, fti_pcs_params_get("test"));
    CHECK(scen_prove(&S, &p) == FTI_OK);
    for (size_t o = 0; o < p.n_openings; o++) {
        fti_merkle_opening *op = &p.openings[o];
        for (size_t i = 0; i < op->row_data_len; i += 1 + op->row_data_len / 50) {
            op->row_data[i] ^= 1;
            CHECK(scen_verify(&S, &p) == 0);
            op->row_data[i] ^= 1;
        }
        for (size_t i = 0; i < op->n_siblings; i++) {
            op->siblings[i].b[31] ^= 1;
            CHECK(scen_verify(&S, &p) == 0);
            op->siblings[i].b[31] ^= 1;
        }
    }
    CHECK(scen_verify(&S, &p) == 1);
    fti_pcs_proof_free(&p);
    scen_free(&S);
}

/* Every byte of a small serialised proof flipped: rejected (or unparsable), never a crash. */
static void test_pcs__every_byte_flipped(void) {
    scen S;
    fti_pcs_proof p;
    fti_wbuf w;
    one_poly(&S, fti_pcs_params_get("test"), 5, 2);
    CHECK(scen_prove(&S, &p) == FTI_OK);
    fti_wbuf_init(&w);
    fti_pcs_proof_write(&w, &p);
    CHECK(scen_verify_bytes(&S, w.data, w.len) == 1);
    for (size_t i = 0; i < w.len; i++) {
        uint8_t b = w.data[i];
        w.data[i] = b ^ (uint8_t)(1u << (i % 8));
        CHECK(scen_verify_bytes(&S, w.data, w.len) == 0);
        w.data[i] = b;
    }
    /* truncations and an extra byte */
    for (size_t n = 0; n < w.len; n += 1 + w.len / 64) CHECK(scen_verify_bytes(&S, w.data, n) == 0);
    uint8_t *longer = malloc(w.len + 1);
    memcpy(longer, w.data, w.len);
    longer[w.len] = 0;
    CHECK(scen_verify_bytes(&S, longer, w.len + 1) == 0);
    free(longer);
    fti_wbuf_free(&w);
    fti_pcs_proof_free(&p);
    scen_free(&S);
}

/* >= 2000 sampled byte positions of a large proof (proven parameters, 2^14 and mixed). */
static void test_pcs__sampled_bytes_of_large_proof(void) {
    scen S;
    fti_pcs_proof p;
    fti_wbuf w;
    mixed(&S, fti_pcs_params_get("proven"));
    CHECK(scen_prove(&S, &p) == FTI_OK);
    fti_wbuf_init(&w);
    fti_pcs_proof_write(&w, &p);
    for (int k = 0; k < 2000; k++) {
        size_t i = test_rand_below(w.len);
        uint8_t b = w.data[i], d = (uint8_t)(1 + test_rand_below(255));
        w.data[i] = b ^ d;
        CHECK(scen_verify_bytes(&S, w.data, w.len) == 0);
        w.data[i] = b;
    }
    fti_wbuf_free(&w);
    fti_pcs_proof_free(&p);
    scen_free(&S);
}

/* ---- cheating provers ---- */

typedef struct {
    int mode;      /* 1: corrupt a codeword; 2: corrupt a layer; 3: non-canonical encoding */
    unsigned h;    /* layer to corrupt (codeword log-length) */
    size_t stride; /* corrupt positions x with x % stride == 0 */
} cheat;

static void cheat_encode(fe_t **cw, const fti_pcs_shape *shape, void *ctx) {
    cheat *c = ctx;
    size_t len = (size_t)2 << shape->n_vars[0];
    if (c->mode == 1)
        for (size_t x = 0; x < len; x += c->stride) cw[0][x] = fe_add(cw[0][x], 1);
    if (c->mode == 3)
        for (size_t x = 0; x < len; x++) cw[0][x] += FE_P; /* same residue, non-canonical bytes */
}

static void cheat_fold(ke_t *R, unsigned h, void *ctx) {
    cheat *c = ctx;
    if (c->mode == 2 && h == c->h)
        for (size_t x = 0; x < ((size_t)1 << h); x += c->stride) R[x] = ke_add(R[x], ke_one());
}

static int prove_with_cheat(cheat *ch, unsigned n, int constant_table) {
    pcs_test_hooks hooks = {cheat_encode, cheat_fold, ch};
    scen S;
    fti_pcs_proof p;
    memset(&S, 0, sizeof S);
    S.pp = fti_pcs_params_get("test");
    S.n_comms = 1;
    S.n_polys[0] = 1;
    S.nv[0][0] = n;
    pcs_hooks = &hooks;
    int ok = -1;
    if (constant_table) { /* a table whose codeword is the constant 5 (small, so 5 + p fits) */
        S.tables[0][0] = calloc((size_t)1 << n, sizeof(fe_t));
        S.tables[0][0][0] = 5;
        fti_pcs_shape shape = {1, S.nv[0]};
        if (fti_pcs_commit(&S.c[0], S.pp, &shape, (const fe_t *const *)S.tables[0]) != FTI_OK) goto out;
        S.pub[0].root = *fti_pcs_commitment_root(S.c[0]);
        S.pub[0].shape = *fti_pcs_commitment_shape(S.c[0]);
    } else if (!scen_commit(&S)) {
        goto out;
    }
    scen_claim(&S, 0, 0, -1);
    if (scen_prove(&S, &p) == FTI_OK) {
        ok = scen_verify(&S, &p);
        fti_pcs_proof_free(&p);
    }
out:
    pcs_hooks = NULL;
    scen_free(&S);
    return ok;
}

/* A committed word that is not the encoding of the table: every position changed, so the
 * folded constant differs from the table's evaluation and the query checks fail. */
static void test_pcs__cheat_non_codeword_rejected(void) {
    cheat c = {1, 0, 1};
    CHECK(prove_with_cheat(&c, 8, 0) == 0);
    c.stride = 3; /* a third of the positions */
    CHECK(prove_with_cheat(&c, 8, 0) == 0);
}

/* A layer committed with wrong values at every position: the consistency check at the layer
 * boundary fails for every query. */
static void test_pcs__cheat_wrong_layer_rejected(void) {
    cheat c = {2, 0, 1};
    const fti_pcs_params *pp = fti_pcs_params_get("test");
    unsigned n = 8, H = n + pp->log_blowup;
    for (unsigned l = 1; l <= (n - 1) / pp->log_arity; l++) {
        c.h = H - l * pp->log_arity;
        CHECK(prove_with_cheat(&c, n, 0) == 0);
    }
}

/* Non-canonical encodings (x + p for x) in committed rows: only the canonicity check on
 * opened rows can catch them; it does. */
static void test_pcs__cheat_non_canonical_rows_rejected(void) {
    cheat c = {3, 0, 1};
    CHECK(prove_with_cheat(&c, 6, 1) == 0);
    c.mode = 0; /* the same commitment without the cheat is accepted */
    CHECK(prove_with_cheat(&c, 6, 1) == 1);
}

/* ---- vector kernels ---- */

/* A canonical element, often one that stresses carries (0, 1, p - 1, 2^32 - 1, ...). */
static fe_t edge_fe(void) {
    static const fe_t edge[] = {0, 1, 2, FE_P - 1, FE_P - 2, 0xffffffffull, 0x100000000ull, 0x8000000000000000ull,
                                FE_P - 0x100000000ull, 0xfffffffe00000001ull};
    return test_rand() % 3 == 0 ? edge[test_rand_below(sizeof edge / sizeof edge[0])] : test_rand() % FE_P;
}

static ke_t edge_ke(void) {
    ke_t r = {{edge_fe(), edge_fe(), edge_fe()}};
    return r;
}

static int ke_same(const ke_t *a, const ke_t *b, size_t n) { return !memcmp(a, b, n * sizeof(ke_t)); }

/* Every AVX-512 kernel against the scalar one on the same inputs (edge values, ranges that start
 * and end off a multiple of eight), and the scalar first fold against its definition (the fold of
 * the mu-combination of the codewords). */
static void test_pcs__kernels_avx512_match_scalar(void) {
    const pcs_kernels *S = &pcs_kernels_scalar, *V = pcs_kernels_avx512;
    enum { NB = 20, LEN = 1100 }; /* more than one batch of polynomials (16), stretch of E (512) */
    static fe_t *cw[NB], inv2x[LEN], in[2 * LEN], o1[2 * LEN], o2[2 * LEN];
    static ke_t T[2 * LEN], E[LEN], mu[NB], a[2 * LEN], b[2 * LEN];
    for (int i = 0; i < NB; i++) {
        cw[i] = malloc(2 * LEN * sizeof(fe_t));
        for (size_t x = 0; x < 2 * LEN; x++) cw[i][x] = edge_fe();
        mu[i] = edge_ke();
    }
    for (size_t x = 0; x < 2 * LEN; x++) T[x] = edge_ke(), in[x] = edge_fe();
    for (size_t x = 0; x < LEN; x++) inv2x[x] = edge_fe(), E[x] = edge_ke();
    ke_t s = edge_ke(), r = edge_ke();
    const fe_t *const *f = (const fe_t *const *)cw;
    /* the definition of the first fold */
    for (size_t m = 0; m < LEN; m++) {
        ke_t A = ke_zero(), B = ke_zero();
        for (int i = 0; i < NB; i++) A = ke_add(A, ke_mul_fe(mu[i], cw[i][2 * m])), B = ke_add(B, ke_mul_fe(mu[i], cw[i][2 * m + 1]));
        a[m] = pcs_fold(A, B, inv2x[m], s);
    }
    S->fold_first(b, f, mu, NB, inv2x, s, 0, LEN);
    CHECK(ke_same(a, b, LEN));
    if (!V || !fti_simd_avx512()) {
        for (int i = 0; i < NB; i++) free(cw[i]);
        test_skip("no AVX-512 on this CPU: only the scalar kernels checked");
        return;
    }
    static const size_t ranges[][2] = {{0, LEN}, {3, 3}, {3, 10}, {5, 13}, {1, 299}, {8, 16}, {7, 8}, {9, 1100}};
    int bad = 0;
    for (size_t k = 0; k < sizeof ranges / sizeof ranges[0]; k++) {
        size_t m0 = ranges[k][0], m1 = ranges[k][1], n = m1 - m0;
        for (size_t nb = 1; nb <= NB; nb += nb < 3 ? 1 : NB - 3) { /* 1, 2, 3, NB */
            memset(a, 0, sizeof a), memset(b, 0, sizeof b);
            S->fold_first(a, f, mu, nb, inv2x, s, m0, m1);
            V->fold_first(b, f, mu, nb, inv2x, s, m0, m1);
            bad |= !ke_same(a, b, LEN);
            memcpy(a, T, sizeof T), memcpy(b, T, sizeof T);
            S->roll_in(a, f, mu, nb, m0, m1);
            V->roll_in(b, f, mu, nb, m0, m1);
            bad |= !ke_same(a, b, 2 * LEN);
            memset(a, 0, sizeof a), memset(b, 0, sizeof b);
            S->fold_lin_base(a, f, mu, nb, r, m0, m1);
            V->fold_lin_base(b, f, mu, nb, r, m0, m1);
            bad |= !ke_same(a, b, LEN);
            for (int odd = 0; odd < 2; odd++) {
                size_t off = m0, len = n < LEN - off ? n : LEN - off;
                ke_t x = S->dot_pairs_base(E, f, mu, nb, off, odd, len), y = V->dot_pairs_base(E, f, mu, nb, off, odd, len);
                bad |= !ke_same(&x, &y, 1);
            }
        }
        memset(a, 0, sizeof a), memset(b, 0, sizeof b);
        S->fold(a, T, inv2x, s, m0, m1);
        V->fold(b, T, inv2x, s, m0, m1);
        bad |= !ke_same(a, b, LEN);
        memset(a, 0, sizeof a), memset(b, 0, sizeof b);
        S->fold_lin(a, T, r, m0, m1);
        V->fold_lin(b, T, r, m0, m1);
        bad |= !ke_same(a, b, LEN);
        memset(a, 0, sizeof a), memset(b, 0, sizeof b);
        S->sum_pairs(a, T, m0, m1);
        V->sum_pairs(b, T, m0, m1);
        bad |= !ke_same(a, b, LEN);
        for (int odd = 0; odd < 2; odd++) {
            ke_t x = S->dot_pairs(E + m0, T + 2 * m0, odd, n), y = V->dot_pairs(E + m0, T + 2 * m0, odd, n);
            bad |= !ke_same(&x, &y, 1);
        }
        fe_t c = edge_fe();
        memset(o1, 0, sizeof o1), memset(o2, 0, sizeof o2);
        S->scale(o1 + m0, in + m0, c, n);
        V->scale(o2 + m0, in + m0, c, n);
        bad |= memcmp(o1, o2, sizeof o1) != 0;
    }
    for (int i = 0; i < NB; i++) free(cw[i]);
    CHECK(!bad);
}

/* The in-place pairwise maps (ranges of increasing index, in parallel) against the scalar
 * out-of-place ones, for lengths around the vector width and the parallel block, SIMD on and off. */
static void test_pcs__inplace_maps_match_out_of_place(void) {
    static const size_t lens[] = {1, 2, 3, 7, 8, 9, 17, 100, PCS_BLOCK - 1, PCS_BLOCK + 5, 3 * PCS_BLOCK + 1};
    size_t max = 2 * (3 * PCS_BLOCK + 1);
    ke_t *T = malloc(max * sizeof(ke_t)), *ref = malloc(max * sizeof(ke_t)), *w = malloc(max * sizeof(ke_t));
    fe_t *inv2x = malloc(max * sizeof(fe_t));
    for (size_t x = 0; x < max; x++) T[x] = edge_ke(), inv2x[x] = edge_fe();
    ke_t s = edge_ke();
    int bad = 0;
    for (int simd = 0; simd < 2; simd++) {
        fti_simd_enabled = simd;
        for (size_t k = 0; k < sizeof lens / sizeof lens[0]; k++) {
            size_t len = lens[k];
            for (int op = 0; op < 3; op++) {
                memcpy(w, T, 2 * len * sizeof(ke_t));
                if (op == 0) pcs_kernels_scalar.fold(ref, T, inv2x, s, 0, len), pcs_fold_inplace(w, inv2x, s, len);
                if (op == 1) pcs_kernels_scalar.fold_lin(ref, T, s, 0, len), pcs_fold_lin_inplace(w, s, len);
                if (op == 2) pcs_kernels_scalar.sum_pairs(ref, T, 0, len), pcs_sum_pairs_inplace(w, len);
                bad |= !ke_same(ref, w, len);
            }
        }
    }
    fti_simd_enabled = 1;
    free(T), free(ref), free(w), free(inv2x);
    CHECK(!bad);
}

/* Whole proofs: the same bytes with the AVX-512 kernels or the scalar ones, with 1 or 2 threads,
 * at sizes where the prover's loops run in parallel blocks. */
static void test_pcs__proof_same_simd_and_threads(void) {
    scen S;
    memset(&S, 0, sizeof S);
    S.pp = fti_pcs_params_get("test");
    S.n_comms = 2;
    S.n_polys[0] = 3;
    S.n_polys[1] = 2;
    static const unsigned a[] = {16, 13, 5}, b[] = {15, 16};
    memcpy(S.nv[0], a, sizeof a);
    memcpy(S.nv[1], b, sizeof b);
    CHECK(scen_commit(&S));
    for (unsigned i = 0; i < 3; i++) scen_claim(&S, 0, i, -1);
    scen_claim(&S, 1, 0, -1);
    scen_claim(&S, 1, 1, 0);
    scen_claim(&S, 0, 0, -1);
    const int threads[] = {2, 1, 2, 1}, simd[] = {1, 1, 0, 0};
    int keep = omp_get_max_threads(), bad = 0;
    fti_wbuf w[4];
    for (int k = 0; k < 4; k++) {
        fti_pcs_proof p;
        omp_set_num_threads(threads[k]);
        fti_simd_enabled = simd[k];
        fti_wbuf_init(&w[k]);
        fti_status st = scen_prove(&S, &p);
        fti_simd_enabled = 1;
        omp_set_num_threads(keep);
        bad |= st != FTI_OK;
        if (st != FTI_OK) continue;
        fti_pcs_proof_write(&w[k], &p);
        if (k == 0) bad |= scen_verify(&S, &p) != 1;
        fti_pcs_proof_free(&p);
    }
    for (int k = 1; k < 4; k++) bad |= w[k].len != w[0].len || memcmp(w[k].data, w[0].data, w[0].len) != 0;
    for (int k = 0; k < 4; k++) fti_wbuf_free(&w[k]);
    scen_free(&S);
    CHECK(!bad);
}

/* Codewords given back after committing (all of them, or all but a budget) and encoded again by
 * the opening: the same proof bytes as with the codewords held throughout (the Merkle openings
 * read the new copies). */
static void test_pcs__released_codewords_same_proof(void) {
    scen S;
    fti_pcs_proof p;
    fti_wbuf w[2];
    mixed(&S, fti_pcs_params_get("test"));
    for (int k = 0; k < 2; k++) {
        if (k == 1)
            for (size_t c = 0; c < S.n_comms; c++) {
                size_t bytes = fti_pcs_commitment_codeword_bytes(S.c[c]);
                fti_pcs_commitment_release_codewords(S.c[c], c == 0 ? 0 : bytes / 2);
                CHECK(bytes > 0 && fti_pcs_commitment_codeword_bytes(S.c[c]) == bytes);
            }
        fti_wbuf_init(&w[k]);
        CHECK(scen_prove(&S, &p) == FTI_OK);
        CHECK(scen_verify(&S, &p) == 1);
        fti_pcs_proof_write(&w[k], &p);
        fti_pcs_proof_free(&p);
    }
    int same = w[0].len == w[1].len && !memcmp(w[0].data, w[1].data, w[0].len);
    fti_wbuf_free(&w[0]);
    fti_wbuf_free(&w[1]);
    scen_free(&S);
    CHECK(same);
}

const struct test_case TEST_CASES[] = {
    TEST(test_pcs__single_poly_all_sizes),
    TEST(test_pcs__mixed_batch_two_commitments),
    TEST(test_pcs__unclaimed_polynomials),
    TEST(test_pcs__larger_sizes),
    TEST(test_pcs__deterministic),
    TEST(test_pcs__single_point_mode),
    TEST(test_pcs__packing_layout_and_claims),
    TEST(test_pcs__packing_cap),
    TEST(test_pcs__wrong_claim_rejected),
    TEST(test_pcs__conflicting_duplicate_claims_rejected),
    TEST(test_pcs__bound_to_roots_and_transcript),
    TEST(test_pcs__tampered_batch_round),
    TEST(test_pcs__tampered_eval_fails_batch_final_check),
    TEST(test_pcs__tampered_fold_round_and_final),
    TEST(test_pcs__grinding_checked),
    TEST(test_pcs__tampered_openings),
    TEST(test_pcs__every_byte_flipped),
    TEST(test_pcs__sampled_bytes_of_large_proof),
    TEST(test_pcs__cheat_non_codeword_rejected),
    TEST(test_pcs__cheat_wrong_layer_rejected),
    TEST(test_pcs__cheat_non_canonical_rows_rejected),
    TEST(test_pcs__kernels_avx512_match_scalar),
    TEST(test_pcs__inplace_maps_match_out_of_place),
    TEST(test_pcs__proof_same_simd_and_threads),
    TEST(test_pcs__released_codewords_same_proof),
    {0}};
