/* libFuzzer harness for the certificate parser (.ftcert) and verifier.
 *
 * At start-up the harness builds, once, a fixed pair of small commitments ("test" parameters)
 * and a policy that exercises every proof kind: a hand-made checkpoint of five tensors and a
 * tuned copy in which a.weight gets a rank-1 update (rank r <= 1 with a residual bound),
 * b.bias a small norm change (norm), c.weight two changed entries (sparse k <= 3 and norm),
 * the I64 tensor d.steps is bound by hash and e.weight is frozen, under a global
 * max_changed_tensors clause; and the honest certificate for them. The input is a certificate:
 * whatever fti_cert_parse accepts must re-serialise to exactly the input and is verified
 * against the fixed pair (fti_cert_verify, commitments checked once at start-up). Oracles:
 * no crash, leak or run failure, and no certificate other than the honest one accepted (the
 * prover is deterministic and every byte of its output is bound: an accepted variant would be
 * a forgery or malleability to investigate).
 *
 * Seeds: FTI_FUZZ_WRITE_SEEDS=DIR writes the honest certificate (and a truncated and a
 * statement-only one) into DIR at start-up (tests/vectors/make_fuzz_corpus.sh).
 * Run: make fuzz && build/fuzz/fuzz_cert -max_total_time=60 fuzz/corpus/cert */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuzz_common.h"
#include "cert/certify.h"
#include "commit/commit.h"
#include "synth/st_write.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* ---- the fixed pair ---- */

typedef struct {
    const char *name;
    fti_dtype dt;
    unsigned ndim;
    uint64_t shape[2];
} spec;

static const spec TENSORS[] = {{"a.weight", FTI_DT_F32, 2, {4, 8}}, {"b.bias", FTI_DT_F32, 1, {8}},
                               {"c.weight", FTI_DT_F32, 2, {3, 5}}, {"d.steps", FTI_DT_I64, 1, {3}},
                               {"e.weight", FTI_DT_F32, 2, {2, 2}}};
enum { NT = sizeof TENSORS / sizeof TENSORS[0] };

static const char POLICY[] =
    "{\"fti_policy\": 1, \"rules\": ["
    "{\"match\": \"a.weight\", \"rank\": {\"r\": 1, \"residual\": {\"frobenius\": {\"relative\": 0.01}}}},"
    "{\"match\": \"b.bias\", \"norm\": {\"rho\": 0.05}},"
    "{\"match\": \"c.weight\", \"sparse\": {\"k\": 3}, \"norm\": {\"rho\": 0.5}}],"
    " \"global\": {\"max_changed_tensors\": 3}}";

/* Base values; the tuned copy (tuned = 1) adds the updates described above. */
static double value(size_t i, uint64_t j, int tuned) {
    double x = (double)((j * 37 + i * 11) % 29) / 16.0 - 0.9;
    if (!tuned) return x;
    if (i == 0) { /* a.weight [4, 8]: + 0.01 u v^T */
        static const double u[4] = {1, 2, -1, 0.5};
        return x + 0.01 * u[j / 8] * (double)((int)(j % 8 % 3) - 1);
    }
    if (i == 1) return x * 1.01;
    if (i == 2 && (j == 1 || j == 7)) return x + 0.25;
    return x;
}

static fti_status fill(void *ctx, size_t i, uint8_t *buf) {
    int tuned = *(const int *)ctx;
    fti_sw_tensor t = {TENSORS[i].name, TENSORS[i].dt, TENSORS[i].ndim, {TENSORS[i].shape[0], TENSORS[i].shape[1]}};
    uint64_t nb = fti_sw_nbytes(&t), w = fti_dtype_bits(t.dtype) / 8;
    for (uint64_t j = 0; j < nb / w; j++) {
        if (t.dtype == FTI_DT_I64) {
            int64_t v = (int64_t)j * 3 - 1;
            memcpy(buf + 8 * j, &v, 8);
        } else {
            float f = (float)value(i, j, tuned);
            memcpy(buf + 4 * j, &f, 4);
        }
    }
    return FTI_OK;
}

static int write_model(const char *path, int tuned) {
    fti_sw_tensor t[NT];
    fti_sw_layout l;
    for (size_t i = 0; i < NT; i++)
        t[i] = (fti_sw_tensor){TENSORS[i].name, TENSORS[i].dt, TENSORS[i].ndim, {TENSORS[i].shape[0], TENSORS[i].shape[1]}};
    if (fti_sw_layout_single(&l, NT, "x.safetensors") != FTI_OK) return 0;
    fti_status st = fti_sw_write(path, t, NT, &l, NULL, 0, fill, &tuned);
    fti_sw_layout_free(&l);
    return st == FTI_OK;
}

static ftic *g_base, *g_tuned;
static fti_policy *g_pol;
static uint8_t *g_cert;
static size_t g_cert_len;

static int checks(const ftic *c) {
    int ok = 0;
    size_t bad = 0;
    return ftic_check(&ok, &bad, c) == FTI_OK && ok;
}

static int build(void) {
    char tmpl[] = "/tmp/fti-fuzz-XXXXXX", bp[64], tp[64];
    if (!mkdtemp(tmpl)) return 0;
    snprintf(bp, sizeof bp, "%s/base.safetensors", tmpl);
    snprintf(tp, sizeof tp, "%s/tuned.safetensors", tmpl);
    fti_ckpt *bck = NULL, *tck = NULL;
    fti_cert *cert = NULL;
    char *refusal = NULL;
    fti_digest bid;
    int ok = write_model(bp, 0) && write_model(tp, 1) && fti_ckpt_open(&bck, bp) == FTI_OK &&
             fti_ckpt_open(&tck, tp) == FTI_OK && ftic_plan_base(&g_base, bck, fti_pcs_params_get("test")) == FTI_OK &&
             ftic_build(g_base, bck, NULL, 1) == FTI_OK && ftic_id(&bid, g_base) == FTI_OK &&
             ftic_plan_tuned(&g_tuned, tck, g_base, &bid) == FTI_OK && ftic_build(g_tuned, tck, NULL, 1) == FTI_OK &&
             checks(g_base) && checks(g_tuned) &&
             fti_policy_parse(&g_pol, POLICY, sizeof POLICY - 1, "fuzz-policy") == FTI_OK &&
             fti_cert_prove(&cert, &refusal, g_base, g_tuned, bck, tck, g_pol, NULL) == FTI_OK && cert &&
             fti_cert_serialize(&g_cert, &g_cert_len, cert) == FTI_OK;
    if (!ok) fprintf(stderr, "fuzz_cert: cannot build the fixed pair: %s%s\n", fti_last_error(), refusal ? refusal : "");
    fti_cert_free(cert);
    free(refusal);
    fti_ckpt_close(bck);
    fti_ckpt_close(tck);
    remove(bp);
    remove(tp);
    rmdir(tmpl);
    return ok;
}

static int verify_bytes(const uint8_t *data, size_t size, int *accept);

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc, (void)argv;
    int accept = 0;
    if (!build() || !verify_bytes(g_cert, g_cert_len, &accept) || !accept) {
        fprintf(stderr, "fuzz_cert: the honest certificate does not verify\n");
        exit(1);
    }
    const char *dir = getenv("FTI_FUZZ_WRITE_SEEDS");
    if (dir) {
        fti_cert *c = NULL;
        size_t stmt = 0;
        if (fti_cert_parse(&c, g_cert, g_cert_len, "seed") != FTI_OK) exit(1);
        for (size_t b = 0; b < c->n_blocks; b++) stmt += 8 + c->proof_len[b];
        stmt = g_cert_len - stmt - 4; /* everything before the block count */
        fti_cert_free(c);
        if (!fuzz_write_file(dir, "honest.ftcert", g_cert, g_cert_len) || !fuzz_write_file(dir, "statement.ftcert", g_cert, stmt) ||
            !fuzz_write_file(dir, "half.ftcert", g_cert, g_cert_len / 2))
            exit(1);
    }
    return 0;
}

/* ---- the target ---- */

/* Parses and verifies; 0 if the verifier could not run. */
static int verify_bytes(const uint8_t *data, size_t size, int *accept) {
    fti_cert *c = NULL;
    *accept = 0;
    if (fti_cert_parse(&c, data, size, "fuzz") != FTI_OK) return 1;
    uint8_t *back = NULL;
    size_t n = 0;
    if (fti_cert_serialize(&back, &n, c) != FTI_OK) abort();
    if (n != size || memcmp(back, data, n)) abort(); /* not canonical */
    free(back);
    fti_cert_report rep;
    memset(&rep, 0, sizeof rep);
    fti_status st = fti_cert_verify(accept, &rep, g_base, g_tuned, g_pol, c, 0);
    if (st == FTI_OK && *accept && (!rep.proofs_ok || !rep.global_pass)) abort();
    for (size_t u = 0; rep.units && u < rep.n_units; u++)
        if (*accept && !rep.units[u].pass) abort();
    fti_cert_report_free(&rep);
    fti_cert_free(c);
    return st == FTI_OK || st == FTI_ERR_NOMEM;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    int accept = 0;
    if (!verify_bytes(data, size, &accept)) abort();
    if (accept && (size != g_cert_len || memcmp(data, g_cert, size))) {
        fprintf(stderr, "fuzz_cert: a certificate other than the honest one was accepted\n");
        abort();
    }
    return 0;
}
