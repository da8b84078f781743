/* libFuzzer harness for the PCS opening proof reader and verifier (src/pcs/pcs.h).
 *
 * At start-up the harness commits, once, to three polynomials of 4, 0 and 6 variables (tables
 * from a fixed generator, "test" parameters) and fixes five correct claims on them (two points
 * on the first, a duplicate claim, one on each of the others), then makes the honest opening.
 * The input is a serialised proof: fti_pcs_proof_read (sizes implied by the shape and claims)
 * must consume all of it, the parsed proof must re-serialise to exactly the input, and
 * fti_pcs_verify runs on it with the transcript the prover used. Oracles: no crash, leak or run
 * failure; only the honest proof is accepted (any other accepted proof would be a forgery or
 * malleability to investigate).
 *
 * Seeds: FTI_FUZZ_WRITE_SEEDS=DIR writes the honest proof (and a truncated one) into DIR.
 * Run: make fuzz && build/fuzz/fuzz_pcs_proof -max_total_time=60 fuzz/corpus/pcs_proof */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "pcs/pcs.h"
#include "sumcheck/sumcheck.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

enum { NP = 3, NC = 5 };
static const unsigned NV[NP] = {4, 0, 6};
static const unsigned CLAIM_POLY[NC] = {0, 0, 1, 2, 0};

static const fti_pcs_params *g_pp;
static fe_t *g_tab[NP];
static fti_pcs_commitment *g_com;
static fti_pcs_public g_pub;
static ke_t g_pts[NC][8];
static fti_pcs_claim g_claims[NC];
static uint8_t *g_proof;
static size_t g_proof_len;

static uint64_t g_rng = 0x243f6a8885a308d3ULL;
static uint64_t next(void) { return fuzz_splitmix64(&g_rng); }

static void transcript(fti_transcript *t) { fti_transcript_init(t, "fuzz/pcs"); }

static int build(void) {
    g_pp = fti_pcs_params_get("test");
    for (size_t i = 0; i < NP; i++) {
        size_t n = (size_t)1 << NV[i];
        if (!(g_tab[i] = malloc(n * sizeof(fe_t)))) return 0;
        for (size_t x = 0; x < n; x++) g_tab[i][x] = next() % FE_P;
    }
    fti_pcs_shape shape = {NP, NV};
    if (fti_pcs_commit(&g_com, g_pp, &shape, (const fe_t *const *)g_tab) != FTI_OK) return 0;
    g_pub.root = *fti_pcs_commitment_root(g_com);
    g_pub.shape = *fti_pcs_commitment_shape(g_com);
    for (size_t k = 0; k < NC; k++) {
        unsigned p = CLAIM_POLY[k];
        for (unsigned j = 0; j < NV[p]; j++)
            g_pts[k][j] = (ke_t){{next() % FE_P, next() % FE_P, next() % FE_P}};
        if (k == NC - 1) memcpy(g_pts[k], g_pts[0], sizeof g_pts[0]); /* a duplicate of claim 0 */
        g_claims[k] = (fti_pcs_claim){0, p, g_pts[k], fti_mle_eval_fe(g_tab[p], NV[p], g_pts[k])};
    }
    fti_pcs_proof proof;
    fti_transcript t;
    fti_wbuf w;
    transcript(&t);
    if (fti_pcs_open(&proof, &t, g_pp, &g_com, 1, g_claims, NC) != FTI_OK) return 0;
    fti_wbuf_init(&w);
    fti_pcs_proof_write(&w, &proof);
    fti_pcs_proof_free(&proof);
    if (w.oom) return 0;
    g_proof = w.data;
    g_proof_len = w.len;
    return 1;
}

/* 1 accept, 0 reject. */
static int verify_bytes(const uint8_t *data, size_t size) {
    fti_rbuf r;
    fti_pcs_proof p;
    fti_rbuf_init(&r, data, size);
    if (fti_pcs_proof_read(&p, &r, g_pp, &g_pub, 1, g_claims, NC) != FTI_OK) return 0;
    int ok = 0;
    if (fti_rbuf_remaining(&r) == 0) {
        fti_wbuf w;
        fti_wbuf_init(&w);
        fti_pcs_proof_write(&w, &p);
        if (w.oom || w.len != size || memcmp(w.data, data, size)) abort(); /* not canonical */
        if (fti_pcs_proof_size(&p) != size) abort();
        fti_wbuf_free(&w);
        fti_transcript t;
        transcript(&t);
        fti_status st = fti_pcs_verify(&ok, &t, g_pp, &g_pub, 1, g_claims, NC, &p);
        if (st != FTI_OK && st != FTI_ERR_NOMEM) abort();
    }
    fti_pcs_proof_free(&p);
    return ok;
}

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc, (void)argv;
    if (!build() || verify_bytes(g_proof, g_proof_len) != 1) {
        fprintf(stderr, "fuzz_pcs_proof: the honest proof does not verify\n");
        exit(1);
    }
    const char *dir = getenv("FTI_FUZZ_WRITE_SEEDS");
    if (dir && (!fuzz_write_file(dir, "honest.bin", g_proof, g_proof_len) || !fuzz_write_file(dir, "half.bin", g_proof, g_proof_len / 2)))
        exit(1);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (verify_bytes(data, size) && (size != g_proof_len || memcmp(data, g_proof, size))) {
        fprintf(stderr, "fuzz_pcs_proof: a proof other than the honest one was accepted\n");
        abort();
    }
    return 0;
}
