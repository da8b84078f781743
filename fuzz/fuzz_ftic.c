/* libFuzzer harness for the commitment file parser (.ftic) and the commitment checker.
 *
 * The input is a whole commitment file, parsed in memory (ftic_parse: the same checks as
 * ftic_read_file). Whatever is accepted must re-serialise to exactly the input (the parser is
 * canonical, so a commitment ID never stands for two different files' statements), have unique
 * unit names, and then go through ftic_check (every block's range and norm proof), which must
 * never crash, leak or fail to run. Errors are expected outcomes.
 *
 * Seeds: FTI_FUZZ_WRITE_SEEDS=DIR makes the harness write its seeds (a base commitment of a
 * small hand-made checkpoint and a tuned commitment in its frame, "test" parameters) into DIR
 * at start-up; tests/vectors/make_fuzz_corpus.sh does that for every harness.
 * Run: make fuzz && build/fuzz/fuzz_ftic -max_total_time=60 fuzz/corpus/ftic */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "commit/commit.h"
#include "synth/st_write.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* ---- seeds ---- */

typedef struct {
    const char *name;
    fti_dtype dt;
    unsigned ndim;
    uint64_t shape[2];
} spec;

static const spec TENSORS[] = {{"a.weight", FTI_DT_F32, 2, {4, 8}}, {"b.bias", FTI_DT_F32, 1, {8}},
                               {"c.steps", FTI_DT_I64, 1, {3}},      {"d.weight", FTI_DT_BF16, 2, {3, 5}},
                               {"e.scale", FTI_DT_F32, 0, {0, 0}}}; /* a scalar: a unit of 0 variables */
enum { NT = sizeof TENSORS / sizeof TENSORS[0] };

static fti_status fill(void *ctx, size_t i, uint8_t *buf) {
    int salt = *(const int *)ctx;
    fti_sw_tensor t = {TENSORS[i].name, TENSORS[i].dt, TENSORS[i].ndim, {TENSORS[i].shape[0], TENSORS[i].shape[1]}};
    uint64_t nb = fti_sw_nbytes(&t), w = fti_dtype_bits(t.dtype) / 8;
    for (uint64_t j = 0; j < nb / w; j++) {
        float f = (float)((double)((j * 37 + i * 11 + (uint64_t)salt * (j == 2)) % 29) / 16.0 - 0.9);
        uint32_t u;
        memcpy(&u, &f, 4);
        if (t.dtype == FTI_DT_I64) {
            int64_t v = (int64_t)j - 1;
            memcpy(buf + 8 * j, &v, 8);
        } else if (t.dtype == FTI_DT_BF16) {
            uint16_t h = (uint16_t)(u >> 16);
            memcpy(buf + 2 * j, &h, 2);
        } else {
            memcpy(buf + 4 * j, &u, 4);
        }
    }
    return FTI_OK;
}

static int write_model(const char *path, int salt) {
    fti_sw_tensor t[NT];
    fti_sw_layout l;
    for (size_t i = 0; i < NT; i++)
        t[i] = (fti_sw_tensor){TENSORS[i].name, TENSORS[i].dt, TENSORS[i].ndim, {TENSORS[i].shape[0], TENSORS[i].shape[1]}};
    if (fti_sw_layout_single(&l, NT, "x.safetensors") != FTI_OK) return 0;
    fti_status st = fti_sw_write(path, t, NT, &l, NULL, 0, fill, &salt);
    fti_sw_layout_free(&l);
    return st == FTI_OK;
}

static int save(const char *dir, const char *name, const ftic *c) {
    char path[4200];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    return ftic_write_file(c, path) == FTI_OK;
}

/* Writes a base and a tuned commitment (one entry changed) into dir. */
static int write_seeds(const char *dir) {
    char tmpl[] = "/tmp/fti-fuzz-XXXXXX", bp[64], tp[64];
    if (!mkdtemp(tmpl)) return 0;
    snprintf(bp, sizeof bp, "%s/base.safetensors", tmpl);
    snprintf(tp, sizeof tp, "%s/tuned.safetensors", tmpl);
    fti_ckpt *bck = NULL, *tck = NULL;
    ftic *b = NULL, *t = NULL;
    fti_digest bid;
    int ok = write_model(bp, 0) && write_model(tp, 5) && fti_ckpt_open(&bck, bp) == FTI_OK &&
             fti_ckpt_open(&tck, tp) == FTI_OK && ftic_plan_base(&b, bck, fti_pcs_params_get("test")) == FTI_OK &&
             ftic_build(b, bck, NULL, 1) == FTI_OK && ftic_id(&bid, b) == FTI_OK &&
             ftic_plan_tuned(&t, tck, b, &bid) == FTI_OK && ftic_build(t, tck, NULL, 1) == FTI_OK &&
             save(dir, "base.ftic", b) && save(dir, "tuned.ftic", t);
    if (!ok) fprintf(stderr, "fuzz_ftic: cannot write seeds: %s\n", fti_last_error());
    ftic_free(b);
    ftic_free(t);
    fti_ckpt_close(bck);
    fti_ckpt_close(tck);
    remove(bp);
    remove(tp);
    rmdir(tmpl);
    return ok;
}

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc, (void)argv;
    const char *dir = getenv("FTI_FUZZ_WRITE_SEEDS");
    if (dir && !write_seeds(dir)) exit(1);
    return 0;
}

/* ---- the target ---- */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    ftic *c = NULL;
    if (ftic_parse(&c, data, size, "fuzz") != FTI_OK) return 0;
    uint8_t *back = NULL;
    size_t n = 0;
    fti_digest id;
    if (ftic_serialize(&back, &n, c) != FTI_OK || ftic_id(&id, c) != FTI_OK) abort();
    if (n != size || memcmp(back, data, n)) abort(); /* not canonical */
    free(back);
    for (size_t i = 0; i < c->n_units; i++) {
        if (ftic_find_unit(c, c->units[i].name) != (long)i) abort(); /* names unique */
        (void)ftic_unit_sum_sq(&c->units[i]);
    }
    int ok = 0;
    size_t bad = 0;
    fti_status st = ftic_check(&ok, &bad, c);
    if (st != FTI_OK && st != FTI_ERR_NOMEM) abort(); /* a malformed proof is a verdict, not an error */
    if (st == FTI_OK && !ok && bad >= c->n_blocks) abort();
    ftic_free(c);
    return 0;
}
