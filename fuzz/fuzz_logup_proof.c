/* libFuzzer harness for the LogUp-GKR proof reader and verifier (src/logup/logup.h).
 *
 * Fixed column shapes: four columns of 0, 1, 3 and 5 variables (plus the 16-variable table),
 * with in-range entries from a fixed generator, their multiplicities and a fixed alpha; at
 * start-up the honest proof is made once. The input is a serialised proof: fti_logup_proof_read
 * (sizes implied by the shapes) must consume all of it, the parsed proof must re-serialise to
 * exactly the input, and fti_logup_verify runs on it with the prover's transcript. Oracles: no
 * crash, leak or run failure; an accepted proof returns one claim per column (points of the
 * column's size) and, if it is the honest proof, exactly the honest claims, which are true
 * evaluations of the columns and of m. (An accepted proof other than the honest one is not by
 * itself a break, since its claims are left to the PCS, but it would be unexpected: reported.)
 *
 * Seeds: FTI_FUZZ_WRITE_SEEDS=DIR writes the honest proof (and a truncated one) into DIR.
 * Run: make fuzz && build/fuzz/fuzz_logup_proof -max_total_time=60 fuzz/corpus/logup_proof */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "logup/logup.h"
#include "sumcheck/sumcheck.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

enum { NCOL = 4 };
static const unsigned NV[NCOL] = {0, 1, 3, 5};

static fe_t *g_col[NCOL], *g_m;
static fti_logup_columns g_shapes; /* shapes only (the verifier's view) */
static ke_t g_alpha;
static fti_logup_claims g_claims;
static uint8_t *g_proof;
static size_t g_proof_len;

static uint64_t g_rng = 0x13198a2e03707344ULL;
static uint64_t next(void) { return fuzz_splitmix64(&g_rng); }

static void transcript(fti_transcript *t) { fti_transcript_init(t, "fuzz/logup"); }

static int build(void) {
    for (size_t j = 0; j < NCOL; j++) {
        size_t n = (size_t)1 << NV[j];
        if (!(g_col[j] = malloc(n * sizeof(fe_t)))) return 0;
        for (size_t x = 0; x < n; x++) g_col[j][x] = j == 3 && x < 4 ? (fe_t)(0xFFFF - x) : next() & 0xFFFF;
    }
    if (!(g_m = calloc((size_t)1 << FTI_LOGUP_TABLE_BITS, sizeof(fe_t)))) return 0;
    fti_logup_columns cols = {NCOL, NV, (const fe_t *const *)g_col};
    g_shapes = (fti_logup_columns){NCOL, NV, NULL};
    if (fti_logup_multiplicities(g_m, &cols) != FTI_OK) return 0;
    g_alpha = (ke_t){{next() % FE_P, next() % FE_P, next() % FE_P}};
    fti_logup_proof p;
    fti_transcript t;
    fti_wbuf w;
    transcript(&t);
    if (fti_logup_prove(&p, &g_claims, &t, &cols, g_m, g_alpha) != FTI_OK) return 0;
    fti_wbuf_init(&w);
    fti_logup_proof_write(&w, &p);
    fti_logup_proof_free(&p);
    if (w.oom) return 0;
    g_proof = w.data;
    g_proof_len = w.len;
    /* the honest claims are true evaluations */
    for (size_t j = 0; j < NCOL; j++) { /* (a column of one entry has no point: NULL + 0 is UB) */
        const ke_t *pt = g_claims.points[j] ? g_claims.points[j] : &g_alpha;
        if (!ke_eq(g_claims.values[j], fti_mle_eval_fe(g_col[j], NV[j], pt))) return 0;
    }
    return ke_eq(g_claims.m_value, fti_mle_eval_fe(g_m, FTI_LOGUP_TABLE_BITS, g_claims.m_point));
}

static int same_claims(const fti_logup_claims *a, const fti_logup_claims *b) {
    if (a->n_cols != b->n_cols || !ke_eq(a->m_value, b->m_value) ||
        memcmp(a->m_point, b->m_point, sizeof a->m_point))
        return 0;
    for (size_t j = 0; j < a->n_cols; j++)
        if (!ke_eq(a->values[j], b->values[j]) || (NV[j] && memcmp(a->points[j], b->points[j], NV[j] * sizeof(ke_t))))
            return 0;
    return 1;
}

/* 1 accept, 0 reject; *claims filled on accept. */
static int verify_bytes(const uint8_t *data, size_t size, fti_logup_claims *claims) {
    fti_rbuf r;
    fti_logup_proof p;
    memset(claims, 0, sizeof *claims);
    fti_rbuf_init(&r, data, size);
    if (fti_logup_proof_read(&p, &r, &g_shapes) != FTI_OK) return 0;
    int ok = 0;
    if (fti_rbuf_done(&r)) {
        fti_wbuf w;
        fti_wbuf_init(&w);
        fti_logup_proof_write(&w, &p);
        if (w.oom || w.len != size || memcmp(w.data, data, size) || fti_logup_proof_size(&p) != size) abort();
        fti_wbuf_free(&w);
        fti_transcript t;
        transcript(&t);
        fti_status st = fti_logup_verify(&ok, claims, &t, &g_shapes, g_alpha, &p);
        if (st != FTI_OK && st != FTI_ERR_NOMEM) abort();
        if (ok && claims->n_cols != NCOL) abort();
    }
    fti_logup_proof_free(&p);
    return ok;
}

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc, (void)argv;
    fti_logup_claims c;
    int ok = build() && verify_bytes(g_proof, g_proof_len, &c) == 1 && same_claims(&c, &g_claims);
    fti_logup_claims_free(&c);
    if (!ok) {
        fprintf(stderr, "fuzz_logup_proof: the honest proof does not verify\n");
        exit(1);
    }
    const char *dir = getenv("FTI_FUZZ_WRITE_SEEDS");
    if (dir && (!fuzz_write_file(dir, "honest.bin", g_proof, g_proof_len) || !fuzz_write_file(dir, "half.bin", g_proof, g_proof_len / 2)))
        exit(1);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    fti_logup_claims c;
    int ok = verify_bytes(data, size, &c);
    int honest = size == g_proof_len && !memcmp(data, g_proof, size);
    if (ok && honest && !same_claims(&c, &g_claims)) abort();
    if (ok && !honest) {
        fprintf(stderr, "fuzz_logup_proof: a proof other than the honest one was accepted\n");
        abort();
    }
    fti_logup_claims_free(&c);
    return 0;
}
