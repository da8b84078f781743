/* Model commitments (.ftic) on synthetic checkpoints (src/synth, written into test_tmpdir()):
 * completeness (a built commitment checks, with both parameter sets), the certified ||W||^2 of
 * every unit against an independent recomputation from the weights (fti_encode_value, no limbs,
 * no proofs), determinism across thread counts, runs and shard layouts, GPT-2's fused c_attn,
 * row tiles, tuned commitments in a base's frame and their mismatches, hash-only tensors,
 * NaN / Inf weights, and hostile .ftic bytes: every structural rule of the parser, every
 * truncation, flipped bytes (a flip in the statement changes the commitment ID; a flip in a
 * proof makes ftic_check fail), tampered statement values, and a file of 100,000 units (the
 * parser stays near-linear). */
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cert/certify.h"
#include "commit/block_sc.h"
#include "commit/commit.h"
#include "field/field_avx512.h"
#include "model/encode.h"
#include "sumcheck/sumcheck.h"
#include "synth/st_write.h"
#include "synth/synth.h"
#include "test.h"
#include "util/error.h"

/* A path in the scratch directory: stem, a number, suffix (8 rotating buffers). */
static const char *tmp(const char *stem, int k, const char *suffix) {
    static char buf[8][512];
    static int slot;
    char *p = buf[slot++ % 8];
    snprintf(p, 512, "%s/%s%d%s", test_tmpdir(), stem, k, suffix);
    return p;
}

static int counter;

/* A synthetic model of arch / preset written to a fresh path (shards > 1: a directory). */
static const char *synth_model(fti_synth_arch arch, const char *preset, uint64_t seed, unsigned shards) {
    fti_synth_config cfg;
    fti_synth_output o = {FTI_DT_BF16, seed, 0, shards};
    const char *path = shards > 1 ? tmp("sharded", counter++, "") : tmp("model", counter++, ".safetensors");
    if (fti_synth_preset(&cfg, arch, preset) != FTI_OK || fti_synth_model_write(path, &cfg, &o) != FTI_OK) return NULL;
    return path;
}

/* A base commitment of the checkpoint at path (with proofs); *ck kept open if ck != NULL. */
static ftic *commit_base(const char *path, const char *params, fti_ckpt **ck_out) {
    fti_ckpt *ck = NULL;
    ftic *c = NULL;
    if (!path || fti_ckpt_open(&ck, path) != FTI_OK) return NULL;
    if (ftic_plan_base(&c, ck, fti_pcs_params_get(params)) != FTI_OK || ftic_build(c, ck, NULL, 1) != FTI_OK) {
        ftic_free(c);
        c = NULL;
    }
    if (ck_out && c) *ck_out = ck;
    else fti_ckpt_close(ck);
    return c;
}

/* A tuned commitment of the checkpoint at path in base's frame (with proofs). */
static ftic *commit_tuned(const char *path, const ftic *base, fti_ckpt **ck_out) {
    fti_ckpt *ck = NULL;
    ftic *c = NULL;
    fti_digest bid;
    if (fti_ckpt_open(&ck, path) != FTI_OK) return NULL;
    if (ftic_id(&bid, base) != FTI_OK || ftic_plan_tuned(&c, ck, base, &bid) != FTI_OK ||
        ftic_build(c, ck, NULL, 1) != FTI_OK) {
        ftic_free(c);
        c = NULL;
    }
    if (ck_out && c) *ck_out = ck;
    else fti_ckpt_close(ck);
    return c;
}

static int checks(const ftic *c) {
    int ok = -1;
    size_t bad = 0;
    if (ftic_check(&ok, &bad, c) != FTI_OK) return -1;
    return ok;
}

/* Exact sum of v^2 over the entries of unit u, recomputed from the checkpoint with
 * fti_encode_value and the matrix view rules of encode.h (no limbs, no padding, no proofs). */
static int direct_sum_sq(unsigned __int128 *out, const ftic *c, const ftic_unit *u, const fti_ckpt *ck) {
    const ftic_tensor *mt = &c->tensors[u->tensor];
    const fti_st_tensor *t = fti_ckpt_find(ck, mt->name);
    if (!t) return 0;
    uint64_t R = 1, C = t->numel;
    if (t->ndim >= 2) {
        R = t->shape[mt->out_axis ? t->ndim - 1 : 0];
        C = t->numel / R;
    }
    unsigned __int128 s = 0;
    for (uint64_t r = u->row0; r < u->row0 + u->rows; r++)
        for (uint64_t col = u->col0; col < u->col0 + u->cols; col++) {
            uint64_t flat = t->ndim >= 2 && mt->out_axis ? col * R + r : r * C + col;
            int64_t v;
            if (fti_encode_value(&v, t, u->quantum, flat) != FTI_OK) return 0;
            s += (unsigned __int128)((__int128)v * v);
        }
    *out = s;
    return 1;
}

static int sums_exact(const ftic *c, const fti_ckpt *ck) {
    for (size_t i = 0; i < c->n_units; i++) {
        unsigned __int128 d;
        if (!direct_sum_sq(&d, c, &c->units[i], ck) || d != ftic_unit_sum_sq(&c->units[i])) {
            fprintf(stderr, "  unit %s: certified sum of squares differs\n", c->units[i].name);
            return 0;
        }
    }
    return 1;
}

static int serialize(uint8_t **b, size_t *n, const ftic *c) { return ftic_serialize(b, n, c) == FTI_OK; }

/* ---- small hand-made checkpoints ---- */

typedef struct {
    const char *name;
    fti_dtype dt;
    unsigned ndim;
    uint64_t shape[4];
    int salt;        /* changes every value */
    uint64_t poison; /* index of a NaN / Inf (with poison_val), or 0 for none (index + 1) */
    double poison_val;
} tspec;

static fti_status fill_spec(void *ctx, size_t i, uint8_t *buf) {
    const tspec *s = &((const tspec *)ctx)[i];
    fti_sw_tensor t = {s->name, s->dt, s->ndim, {s->shape[0], s->shape[1], s->shape[2], s->shape[3]}};
    uint64_t nb = fti_sw_nbytes(&t), n = s->dt == FTI_DT_I64 ? nb / 8 : nb / 4;
    for (uint64_t j = 0; j < n; j++) {
        if (s->dt == FTI_DT_I64) {
            int64_t v = (int64_t)(j * 7) - 3 + s->salt;
            memcpy(buf + 8 * j, &v, 8);
        } else {
            float v = (float)((double)((j * 2654435761u + (uint64_t)s->salt * 97 + i * 13) % 1001) / 500.0 - 1.0);
            if (s->poison && j == s->poison - 1) v = (float)s->poison_val;
            memcpy(buf + 4 * j, &v, 4);
        }
    }
    return FTI_OK;
}

static int write_specs(const char *path, const tspec *ts, size_t n) {
    fti_sw_tensor t[16];
    fti_sw_layout l;
    for (size_t i = 0; i < n; i++)
        t[i] = (fti_sw_tensor){ts[i].name, ts[i].dt, ts[i].ndim, {ts[i].shape[0], ts[i].shape[1], ts[i].shape[2], ts[i].shape[3]}};
    if (fti_sw_layout_single(&l, n, "x.safetensors") != FTI_OK) return 0;
    fti_status st = fti_sw_write(path, t, n, &l, NULL, 0, fill_spec, (void *)ts);
    fti_sw_layout_free(&l);
    return st == FTI_OK;
}

/* Six tensors: an I64 one and a zero-element one (both hash-only) and a scalar (a unit of 0
 * variables). The writer's data order differs from the name order, as in real files. */
static const tspec SMALL[] = {
    {"a.weight", FTI_DT_F32, 2, {4, 8}, 0, 0, 0},  {"b.bias", FTI_DT_F32, 1, {8}, 0, 0, 0},
    {"c.weight", FTI_DT_F32, 2, {3, 5}, 0, 0, 0},  {"d.steps", FTI_DT_I64, 1, {3}, 0, 0, 0},
    {"e.empty", FTI_DT_F32, 2, {0, 4}, 0, 0, 0},   {"f.scale", FTI_DT_F32, 0, {0}, 0, 0, 0},
};
enum { NSMALL = sizeof SMALL / sizeof SMALL[0] };

/* ---- completeness and exact norms ---- */

static void test_commit__checks_and_sum_sq_exact(void) {
    const fti_synth_arch archs[] = {FTI_SYNTH_LLAMA, FTI_SYNTH_CNN, FTI_SYNTH_VIT};
    for (size_t a = 0; a < 3; a++) {
        fti_ckpt *ck = NULL;
        ftic *c = commit_base(synth_model(archs[a], "micro", 3, 0), "test", &ck);
        CHECK(c);
        CHECK(c->kind == FTIC_BASE && c->n_units > 0 && c->n_blocks > 0);
        CHECK(checks(c) == 1);
        CHECK(sums_exact(c, ck));
        ftic_free(c);
        fti_ckpt_close(ck);
    }
}

/* The "proven" parameter set, through the file: write, read back, check, same ID. */
static void test_commit__proven_params_file_round_trip(void) {
    fti_ckpt *ck = NULL;
    ftic *c = commit_base(synth_model(FTI_SYNTH_MLP, "micro", 4, 0), "proven", &ck), *back = NULL;
    CHECK(c && !strcmp(c->pp->name, "proven"));
    const char *f = tmp("proven", 0, ".ftic");
    CHECK(ftic_write_file(c, f) == FTI_OK);
    CHECK(ftic_read_file(&back, f) == FTI_OK);
    fti_digest a, b;
    CHECK(ftic_id(&a, c) == FTI_OK && ftic_id(&b, back) == FTI_OK && fti_digest_eq(&a, &b));
    CHECK(checks(back) == 1);
    CHECK(sums_exact(back, ck));
    ftic_free(c);
    ftic_free(back);
    fti_ckpt_close(ck);
}

/* Without proofs the statement (hence the ID) is the same as with them. */
static void test_commit__statement_without_proofs_same_id(void) {
    const char *p = synth_model(FTI_SYNTH_MLP, "micro", 5, 0);
    ftic *full = commit_base(p, "test", NULL), *bare = NULL;
    fti_ckpt *ck = NULL;
    CHECK(full);
    CHECK(fti_ckpt_open(&ck, p) == FTI_OK);
    CHECK(ftic_plan_base(&bare, ck, fti_pcs_params_get("test")) == FTI_OK && ftic_build(bare, ck, NULL, 0) == FTI_OK);
    fti_digest a, b;
    CHECK(ftic_id(&a, full) == FTI_OK && ftic_id(&b, bare) == FTI_OK && fti_digest_eq(&a, &b));
    ftic_free(full);
    ftic_free(bare);
    fti_ckpt_close(ck);
}

/* ---- determinism ---- */

static void test_commit__deterministic_threads_runs_shards(void) {
    const char *p = synth_model(FTI_SYNTH_LLAMA, "micro", 6, 0);
    const char *sh = synth_model(FTI_SYNTH_LLAMA, "micro", 6, 3);
    CHECK(p && sh);
    int keep = omp_get_max_threads();
    enum { RUNS = 5 };
    uint8_t *b[RUNS + 1] = {NULL};
    size_t n[RUNS + 1];
    /* thread counts, repeated runs, codewords released while proving (run 2), and the scalar
     * kernels in place of the AVX-512 ones (where this CPU has them; else the last two runs repeat
     * the first ones) */
    const int threads[RUNS] = {1, 2, 2, 1, 2}, simd[RUNS] = {1, 1, 1, 0, 0};
    for (int k = 0; k < RUNS; k++) {
        omp_set_num_threads(threads[k]);
        fti_simd_enabled = simd[k];
        if (k == 2) ftic_release_bytes = 0; /* every block gives its codewords back while proving */
        ftic *c = commit_base(p, "test", NULL);
        int ok = c && serialize(&b[k], &n[k], c) && checks(c) == 1;
        ftic_free(c);
        fti_simd_enabled = 1;
        ftic_release_bytes = FTIC_RELEASE_BYTES;
        CHECK(ok);
    }
    omp_set_num_threads(keep);
    fti_ckpt *ck = NULL;
    CHECK(fti_ckpt_open(&ck, sh) == FTI_OK);
    CHECK(fti_ckpt_kind_of(ck) == FTI_CKPT_SHARDED && fti_ckpt_file_count(ck) == 3);
    fti_ckpt_close(ck);
    ftic *cs = commit_base(sh, "test", NULL), *c1 = NULL;
    CHECK(cs && serialize(&b[RUNS], &n[RUNS], cs));
    for (int k = 1; k <= RUNS; k++) CHECK(n[k] == n[0] && !memcmp(b[k], b[0], n[0]));
    CHECK(ftic_parse(&c1, b[0], n[0], "one file") == FTI_OK);
    fti_digest a, d;
    CHECK(ftic_id(&a, c1) == FTI_OK && ftic_id(&d, cs) == FTI_OK && fti_digest_eq(&a, &d));
    ftic_free(c1);
    ftic_free(cs);
    for (int k = 0; k <= RUNS; k++) free(b[k]);
}

/* ---- GPT-2: fused c_attn ---- */

static const char *POL_NORM_ALL = "{\"fti_policy\": 1, \"rules\": [{\"match\": \"*\", \"norm\": {\"rho\": 0.5}}]}";

static void test_commit__gpt2_fused_qkv_units(void) {
    const char *p = synth_model(FTI_SYNTH_GPT2, "micro", 8, 0);
    fti_ckpt *ck = NULL, *tck = NULL;
    ftic *c = commit_base(p, "test", &ck);
    CHECK(c);
    CHECK(checks(c) == 1);
    CHECK(sums_exact(c, ck));
    size_t found = 0;
    for (int layer = 0; layer < 2; layer++) {
        char tw[128], tb[128], name[160];
        snprintf(tw, sizeof tw, "transformer.h.%d.attn.c_attn.weight", layer);
        snprintf(tb, sizeof tb, "transformer.h.%d.attn.c_attn.bias", layer);
        CHECK(ftic_find_unit(c, tw) < 0 && ftic_find_unit(c, tb) < 0); /* never the whole fused tensor */
        static const char *const part[3] = {"q", "k", "v"};
        for (int k = 0; k < 3; k++) {
            snprintf(name, sizeof name, "%s:%s", tw, part[k]);
            long w = ftic_find_unit(c, name);
            CHECK(w >= 0);
            const ftic_unit *u = &c->units[w];
            const ftic_tensor *t = &c->tensors[u->tensor];
            /* Conv1D [in, out] = [64, 192]: out axis last; q/k/v are thirds of the 192 rows */
            CHECK(!strcmp(t->name, tw) && t->out_axis == 1 && t->shape[0] == 64 && t->shape[1] == 192);
            CHECK(u->rows == 64 && u->row0 == (uint64_t)k * 64 && u->cols == 64 && u->col0 == 0);
            snprintf(name, sizeof name, "%s:%s", tb, part[k]);
            long bi = ftic_find_unit(c, name);
            CHECK(bi >= 0);
            u = &c->units[bi];
            CHECK(u->rows == 1 && u->row0 == 0 && u->cols == 64 && u->col0 == (uint64_t)k * 64);
            found += 2;
        }
    }
    CHECK(found == 12);
    /* a tuned commitment in the base frame, and a certificate over it */
    fti_synth_variant v;
    fti_synth_variant_init(&v, FTI_VAR_LORA);
    v.seed = 9;
    const char *tp = tmp("gpt2tuned", counter++, ".safetensors");
    CHECK(fti_synth_variant_write(NULL, tp, p, &v) == FTI_OK);
    ftic *t = commit_tuned(tp, c, &tck);
    CHECK(t);
    fti_digest bid;
    CHECK(ftic_id(&bid, c) == FTI_OK && t->kind == FTIC_TUNED && fti_digest_eq(&t->base_id, &bid));
    CHECK(t->n_units == c->n_units && t->n_blocks == c->n_blocks);
    for (size_t i = 0; i < c->n_units; i++) {
        const ftic_unit *a = &c->units[i], *b = &t->units[i];
        CHECK(!strcmp(a->name, b->name) && a->tensor == b->tensor && a->row0 == b->row0 && a->rows == b->rows &&
              a->col0 == b->col0 && a->cols == b->cols && a->quantum == b->quantum && a->block == b->block);
    }
    CHECK(checks(t) == 1);
    CHECK(sums_exact(t, tck));
    fti_policy *pol = NULL;
    fti_cert *cert = NULL;
    char *refusal = NULL;
    CHECK(fti_policy_parse(&pol, POL_NORM_ALL, strlen(POL_NORM_ALL), "p") == FTI_OK);
    CHECK(fti_cert_prove(&cert, &refusal, c, t, ck, tck, pol, NULL) == FTI_OK && cert && !refusal);
    int accept = 0;
    fti_cert_report rep;
    CHECK(fti_cert_verify(&accept, &rep, c, t, pol, cert, 1) == FTI_OK);
    fti_cert_report_free(&rep);
    CHECK(accept == 1);
    fti_cert_free(cert);
    fti_policy_free(pol);
    ftic_free(t);
    ftic_free(c);
    fti_ckpt_close(ck);
    fti_ckpt_close(tck);
}

/* Row tiles (a matrix over 2^ftic_tile_vars padded entries is committed as tiles "NAME#k"):
 * lowered here so that GPT-2 micro's matrices and fused q/k/v slices are tiled; the commitment
 * checks and every tile's certified sum of squares is exact (the independent recomputation
 * reads each tile's row window of the tensor's view). */
static void test_commit__tiled_units_check_and_sums_exact(void) {
    const char *p = synth_model(FTI_SYNTH_GPT2, "micro", 12, 0);
    fti_ckpt *ck = NULL;
    ftic_tile_vars = 10;
    ftic *c = commit_base(p, "test", &ck);
    ftic_tile_vars = FTIC_TILE_VARS;
    CHECK(c);
    size_t tiled = 0;
    for (size_t i = 0; i < c->n_units; i++) {
        const ftic_unit *u = &c->units[i];
        CHECK(ftic_unit_vars(u) <= 10 || u->log_cols >= 10);
        if (u->n_tiles > 1) {
            tiled++;
            CHECK(u->tile < u->n_tiles && strchr(u->name, '#'));
        }
    }
    long q0 = ftic_find_unit(c, "transformer.h.0.attn.c_attn.weight:q#0");
    long k1 = ftic_find_unit(c, "transformer.h.0.attn.c_attn.weight:k#1");
    CHECK(q0 >= 0 && k1 >= 0);
    CHECK(c->units[q0].row0 == 0 && c->units[k1].row0 == 64 + c->units[k1 - 1].rows); /* k's second tile */
    CHECK(tiled > 10);
    CHECK(checks(c) == 1);
    CHECK(sums_exact(c, ck));
    ftic_free(c);
    fti_ckpt_close(ck);
}

/* ---- tuned frame mismatches ---- */

static const char *plan_tuned_error(const ftic *base, const tspec *ts, size_t n) {
    static char msg[1200];
    const char *p = tmp("mismatch", counter++, ".safetensors");
    fti_ckpt *ck = NULL;
    ftic *t = NULL;
    fti_digest bid;
    msg[0] = 0;
    if (!write_specs(p, ts, n) || fti_ckpt_open(&ck, p) != FTI_OK || ftic_id(&bid, base) != FTI_OK) return NULL;
    fti_status st = ftic_plan_tuned(&t, ck, base, &bid);
    snprintf(msg, sizeof msg, "%s", st == FTI_ERR_MISMATCH ? fti_last_error() : "");
    ftic_free(t);
    fti_ckpt_close(ck);
    return st == FTI_ERR_MISMATCH ? msg : NULL;
}

static void test_commit__tuned_frame_mismatch_listed(void) {
    const char *bp = tmp("frame", counter++, ".safetensors");
    CHECK(write_specs(bp, SMALL, NSMALL));
    ftic *base = commit_base(bp, "test", NULL);
    CHECK(base);
    tspec t[8];
    /* a missing tensor */
    memcpy(t, SMALL, sizeof SMALL);
    memmove(&t[1], &t[2], (NSMALL - 2) * sizeof *t); /* without b.bias */
    const char *m = plan_tuned_error(base, t, NSMALL - 1);
    CHECK(m && strstr(m, "b.bias missing in tuned") && strstr(m, "(1 difference)") && !strchr(m, '\n'));
    /* an extra tensor */
    memcpy(t, SMALL, sizeof SMALL);
    t[NSMALL] = (tspec){"f.extra", FTI_DT_F32, 1, {2}, 0, 0, 0};
    m = plan_tuned_error(base, t, NSMALL + 1);
    CHECK(m && strstr(m, "f.extra extra in tuned"));
    /* a shape change */
    memcpy(t, SMALL, sizeof SMALL);
    t[2].shape[0] = 5;
    t[2].shape[1] = 3;
    m = plan_tuned_error(base, t, NSMALL);
    CHECK(m && strstr(m, "c.weight: shape [3,5] in base, [5,3] in tuned"));
    /* a committed tensor replaced by one of a dtype that cannot be committed */
    memcpy(t, SMALL, sizeof SMALL);
    t[1].dt = FTI_DT_I64;
    m = plan_tuned_error(base, t, NSMALL);
    CHECK(m && strstr(m, "b.bias: dtype I64 in tuned cannot take the base's place"));
    /* all at once: each listed */
    memcpy(t, SMALL, sizeof SMALL);
    t[2].shape[1] = 6;
    t[1] = (tspec){"f.extra", FTI_DT_F32, 1, {2}, 0, 0, 0}; /* b.bias replaced */
    m = plan_tuned_error(base, t, NSMALL);
    CHECK(m && strstr(m, "(3 differences)") && strstr(m, "b.bias missing in tuned") &&
          strstr(m, "f.extra extra in tuned") && strstr(m, "c.weight: shape [3,5] in base, [3,6] in tuned"));
    CHECK(strstr(m, "does not match the base commitment"));
    /* a tuned commitment cannot serve as a base */
    const char *tp = tmp("frame", counter++, ".safetensors");
    CHECK(write_specs(tp, SMALL, NSMALL));
    ftic *tuned = commit_tuned(tp, base, NULL), *again = NULL;
    CHECK(tuned);
    fti_ckpt *ck = NULL;
    fti_digest tid;
    CHECK(fti_ckpt_open(&ck, tp) == FTI_OK && ftic_id(&tid, tuned) == FTI_OK);
    CHECK(ftic_plan_tuned(&again, ck, tuned, &tid) == FTI_ERR_ARG && !again);
    fti_ckpt_close(ck);
    ftic_free(tuned);
    ftic_free(base);
}

/* ---- hash-only tensors ---- */

static const char *POL_FROZEN = "{\"fti_policy\": 1, \"rules\": [{\"match\": \"*\", \"frozen\": {}}]}";

static void test_commit__hash_only_tensors(void) {
    const char *bp = tmp("hashonly", counter++, ".safetensors");
    const char *same = tmp("hashonly", counter++, ".safetensors");
    const char *changed = tmp("hashonly", counter++, ".safetensors");
    tspec t[8];
    memcpy(t, SMALL, sizeof SMALL);
    CHECK(write_specs(bp, t, NSMALL) && write_specs(same, t, NSMALL));
    t[3].salt = 1; /* every I64 value + 1 */
    CHECK(write_specs(changed, t, NSMALL));
    fti_ckpt *bck = NULL, *sck = NULL, *cck = NULL;
    ftic *base = commit_base(bp, "test", &bck);
    CHECK(base);
    CHECK(base->n_tensors == NSMALL && base->n_units == 4);
    for (size_t i = 0; i < base->n_tensors; i++) {
        int hash_only = !strcmp(base->tensors[i].name, "d.steps") || !strcmp(base->tensors[i].name, "e.empty");
        CHECK(base->tensors[i].committed == !hash_only);
        CHECK((ftic_find_unit(base, base->tensors[i].name) < 0) == hash_only);
    }
    /* the bytes' SHA-256 (the empty tensor's is that of no bytes) */
    const fti_st_tensor *st = fti_ckpt_find(bck, "d.steps");
    fti_digest d;
    SHA256_CTX h;
    SHA256_Init(&h);
    SHA256_Update(&h, st->data, st->nbytes);
    SHA256_Final(d.b, &h);
    CHECK(fti_digest_eq(&d, &base->tensors[3].sha256));
    SHA256_Init(&h);
    SHA256_Final(d.b, &h);
    CHECK(fti_digest_eq(&d, &base->tensors[4].sha256));
    CHECK(checks(base) == 1);
    ftic *ts = commit_tuned(same, base, &sck), *tc = commit_tuned(changed, base, &cck);
    CHECK(ts && tc && checks(ts) == 1 && checks(tc) == 1);
    CHECK(!fti_digest_eq(&ts->tensors[3].sha256, &tc->tensors[3].sha256));
    fti_policy *pol = NULL;
    CHECK(fti_policy_parse(&pol, POL_FROZEN, strlen(POL_FROZEN), "frozen") == FTI_OK);
    fti_cert *cert = NULL;
    char *refusal = NULL;
    fti_status pst = fti_cert_prove(&cert, &refusal, base, ts, bck, sck, pol, NULL);
    if (pst != FTI_OK || refusal) fprintf(stderr, "  prove: %d %s %s\n", (int)pst, fti_last_error(), refusal ? refusal : "");
    CHECK(pst == FTI_OK && cert && !refusal);
    int accept = 0;
    fti_cert_report rep;
    CHECK(fti_cert_verify(&accept, &rep, base, ts, pol, cert, 1) == FTI_OK);
    CHECK(accept == 1 && rep.n_hash_only == 2 && rep.hash_only_pass[0] && rep.hash_only_pass[1]);
    fti_cert_report_free(&rep);
    /* the certificate of the identical pair does not carry over to the changed one */
    CHECK(fti_cert_verify(&accept, &rep, base, tc, pol, cert, 1) == FTI_OK && accept == 0);
    fti_cert_report_free(&rep);
    fti_cert_free(cert);
    cert = NULL;
    CHECK(fti_cert_prove(&cert, &refusal, base, tc, bck, cck, pol, NULL) == FTI_OK && !cert && refusal);
    CHECK(strstr(refusal, "d.steps: frozen (bound by hash), but its bytes changed"));
    CHECK(!strstr(refusal, "a.weight") && !strstr(refusal, "e.empty"));
    free(refusal);
    fti_policy_free(pol);
    ftic_free(ts);
    ftic_free(tc);
    ftic_free(base);
    fti_ckpt_close(bck);
    fti_ckpt_close(sck);
    fti_ckpt_close(cck);
}

/* ---- NaN and infinities ---- */

static void test_commit__nan_inf_named_one_line(void) {
    static const struct {
        double val;
        const char *what;
    } bad[] = {{NAN, "has a NaN at index 5"}, {INFINITY, "has an infinity at index 5"}, {-INFINITY, "has an infinity at index 5"}};
    for (size_t k = 0; k < 3; k++) {
        tspec t[8];
        memcpy(t, SMALL, sizeof SMALL);
        t[2].poison = 6;
        t[2].poison_val = bad[k].val;
        const char *p = tmp("nan", counter++, ".safetensors");
        CHECK(write_specs(p, t, NSMALL));
        fti_ckpt *ck = NULL;
        ftic *c = NULL;
        CHECK(fti_ckpt_open(&ck, p) == FTI_OK);
        CHECK(ftic_plan_base(&c, ck, fti_pcs_params_get("test")) == FTI_ERR_RANGE && !c);
        const char *m = fti_last_error();
        CHECK(strstr(m, "tensor c.weight") && strstr(m, bad[k].what) && strstr(m, p) && !strchr(m, '\n'));
        fti_ckpt_close(ck);
    }
    /* a NaN in a tuned model (the base is fine): the build fails the same way */
    const char *bp = tmp("nanbase", counter++, ".safetensors"), *tp = tmp("nantuned", counter++, ".safetensors");
    tspec t[8];
    memcpy(t, SMALL, sizeof SMALL);
    CHECK(write_specs(bp, t, NSMALL));
    t[0].poison = 3;
    t[0].poison_val = NAN;
    CHECK(write_specs(tp, t, NSMALL));
    ftic *base = commit_base(bp, "test", NULL), *tc = NULL;
    CHECK(base);
    fti_ckpt *ck = NULL;
    fti_digest bid;
    CHECK(fti_ckpt_open(&ck, tp) == FTI_OK && ftic_id(&bid, base) == FTI_OK);
    CHECK(ftic_plan_tuned(&tc, ck, base, &bid) == FTI_OK);
    CHECK(ftic_build(tc, ck, NULL, 1) == FTI_ERR_RANGE);
    const char *m = fti_last_error();
    if (!strstr(m, "tensor a.weight has a NaN at index 2")) fprintf(stderr, "  message: %s\n", m);
    CHECK(strstr(m, "tensor a.weight has a NaN at index 2") && !strchr(m, '\n'));
    ftic_free(tc);
    ftic_free(base);
    fti_ckpt_close(ck);
}

/* ---- hostile bytes ---- */

/* A small valid commitment file's bytes, and its statement length. */
typedef struct {
    ftic *c;
    uint8_t *b;
    size_t n, stmt;
    fti_digest id;
} small_file;

static int small_make(small_file *s) {
    memset(s, 0, sizeof *s);
    const char *p = tmp("small", counter++, ".safetensors");
    uint8_t *st = NULL;
    if (!write_specs(p, SMALL, NSMALL) || !(s->c = commit_base(p, "test", NULL))) return 0;
    if (!serialize(&s->b, &s->n, s->c) || ftic_statement(&st, &s->stmt, s->c) != FTI_OK) return 0;
    int same = s->stmt < s->n && !memcmp(st, s->b, s->stmt);
    free(st);
    return same && ftic_id(&s->id, s->c) == FTI_OK;
}

static void small_free(small_file *s) {
    ftic_free(s->c);
    free(s->b);
}

/* ftic_parse fails with FTI_ERR_FORMAT, one line naming the source, containing needle. */
static int rejects(const uint8_t *b, size_t n, const char *needle) {
    ftic *c = NULL;
    fti_status st = ftic_parse(&c, b, n, "hostile.ftic");
    const char *m = fti_last_error();
    int ok = st == FTI_ERR_FORMAT && !c && !strncmp(m, "hostile.ftic: ", 14) && !strchr(m, '\n') &&
             (!needle || strstr(m, needle));
    if (!ok) fprintf(stderr, "  parse: status %d, message '%s' (wanted '%s')\n", (int)st, m, needle ? needle : "");
    ftic_free(c);
    return ok;
}

/* Serialises an edited copy of s's commitment and expects a parse failure naming needle. */
typedef void (*edit_fn)(ftic *c);
static int edited_rejects(const small_file *s, edit_fn edit, const char *needle) {
    ftic *c = NULL;
    uint8_t *b = NULL;
    size_t n = 0;
    if (ftic_parse(&c, s->b, s->n, "valid") != FTI_OK) return 0;
    edit(c);
    int ok = serialize(&b, &n, c) && rejects(b, n, needle);
    free(b);
    ftic_free(c);
    return ok;
}

static void swap_tensors(ftic *c) {
    ftic_tensor t = c->tensors[0];
    c->tensors[0] = c->tensors[1];
    c->tensors[1] = t;
}
static void unit_beyond_rows(ftic *c) { c->units[0].row0 = c->units[0].rows; }
static void unit_beyond_cols(ftic *c) { c->units[0].cols += 1; }
static void unit_wrong_padding(ftic *c) { c->units[0].log_cols += 1; }
static void unit_on_hash_only(ftic *c) { c->units[0].tensor = 3; } /* d.steps */
static void unit_no_tensor(ftic *c) { c->units[0].tensor = 99; }
static void limb_sum_p(ftic *c) { c->units[1].sums[2] = FE_P; }
static void limb_sum_max(ftic *c) { c->units[0].sums[4] = UINT64_MAX; }
static void block_short(ftic *c) { c->blocks[c->n_blocks - 1].n_units -= 1; }
static void block_long(ftic *c) { c->blocks[c->n_blocks - 1].n_units += 1; }
static void block_skips(ftic *c) { c->blocks[0].first_unit = 1; }
static void base_names_base(ftic *c) { c->base_id.b[7] = 1; }
static void unknown_kind(ftic *c) { c->kind = (ftic_kind)2; }
static void quantum_out(ftic *c) { c->units[0].quantum = 995; }
static void dtype_unknown(ftic *c) { c->tensors[0].dtype = FTI_DT_COUNT; }
static void hash_only_committed(ftic *c) { c->tensors[3].committed = 1; } /* I64 */
static void units_unsorted(ftic *c) { c->units[0].block = 1; }
static void unit_name_repeated(ftic *c) {
    free(c->units[1].name);
    c->units[1].name = strdup(c->units[0].name);
}

static void test_commit__hostile_bytes_rejected(void) {
    small_file s;
    CHECK(small_make(&s));
    CHECK(s.c->n_blocks >= 1);
    ftic *ok = NULL;
    CHECK(ftic_parse(&ok, s.b, s.n, "valid") == FTI_OK);
    ftic_free(ok);
    uint8_t *b = malloc(s.n + 16);
    CHECK(b);
    memcpy(b, s.b, s.n);
    /* header */
    b[0] = 'X';
    CHECK(rejects(b, s.n, "bad magic"));
    b[0] = 'F';
    b[4] = 2;
    CHECK(rejects(b, s.n, "unsupported commitment version 2"));
    b[4] = 1;
    b[8] = 77;
    CHECK(rejects(b, s.n, "unknown parameter set 77"));
    b[8] = s.b[8];
    /* the first tensor: u32 length at 46, name "a.weight" at 50, dtype at 58, ndim at 59 */
    CHECK(!memcmp(b + 50, "a.weight", 8));
    b[51] = 0;
    CHECK(rejects(b, s.n, "a tensor name contains a NUL byte"));
    b[51] = '.';
    b[46] = 0;
    CHECK(rejects(b, s.n, "a tensor name has length 0"));
    b[46] = 8;
    b[59] = FTIC_MAX_NDIM + 1;
    CHECK(rejects(b, s.n, "tensor a.weight has 9 dimensions"));
    b[59] = 2;
    CHECK(!memcmp(b, s.b, s.n));
    /* trailing bytes */
    b[s.n] = 0;
    CHECK(rejects(b, s.n + 1, "1 trailing bytes"));
    CHECK(rejects(b, 0, NULL));
    /* every truncation */
    for (size_t len = 0; len < s.n; len++) {
        int r = rejects(b, len, NULL);
        if (!r) fprintf(stderr, "  truncation at %zu of %zu\n", len, s.n);
        CHECK(r);
    }
    free(b);
    /* structural rules, each on a re-serialised edit */
    CHECK(edited_rejects(&s, swap_tensors, "tensor names not sorted and unique"));
    CHECK(edited_rejects(&s, unit_beyond_rows, "does not fit its tensor"));
    CHECK(edited_rejects(&s, unit_beyond_cols, "does not fit its tensor"));
    CHECK(edited_rejects(&s, unit_wrong_padding, "wrong or too large padded size"));
    CHECK(edited_rejects(&s, unit_on_hash_only, "names no committed tensor"));
    CHECK(edited_rejects(&s, unit_no_tensor, "names no committed tensor"));
    CHECK(edited_rejects(&s, limb_sum_p, "limb sum is not a field element"));
    CHECK(edited_rejects(&s, limb_sum_max, "limb sum is not a field element"));
    CHECK(edited_rejects(&s, block_short, "blocks do not cover every unit") ||
          edited_rejects(&s, block_short, "is not in block"));
    CHECK(edited_rejects(&s, block_long, "does not cover the next units"));
    CHECK(edited_rejects(&s, block_skips, "does not cover the next units"));
    CHECK(edited_rejects(&s, base_names_base, "a base commitment names a base"));
    CHECK(edited_rejects(&s, unknown_kind, "unknown commitment kind 2"));
    CHECK(edited_rejects(&s, quantum_out, "quantum"));
    CHECK(edited_rejects(&s, dtype_unknown, "unknown dtype"));
    CHECK(edited_rejects(&s, hash_only_committed, "cannot be committed"));
    CHECK(edited_rejects(&s, unit_name_repeated, "repeated"));
    CHECK(edited_rejects(&s, units_unsorted, "units not ordered by block"));
    small_free(&s);
}

/* Marks the statement bytes the block proofs' transcripts absorb, found in the statement by
 * their values (so that the marking does not depend on the other fields' layout): the parameter
 * set and kind (bytes 8, 9), the base ID (bytes 10..41), each unit's limb sums (5 u64 LE),
 * each block's label (searched with its u32 length) and root. 0 if a value is not found exactly once. */
static int mark_bound(uint8_t *bound, const uint8_t *stmt, size_t n, const ftic *c) {
    uint8_t key[4 + FTIC_MAX_NAME];
    memset(bound, 0, n);
    memset(bound + 8, 1, 2 + 32);
    for (size_t i = 0; i < c->n_units + 2 * c->n_blocks; i++) {
        size_t len, skip = 0; /* bytes of the key not marked (a label's length) */
        if (i < c->n_units) {
            for (int k = 0; k < 5; k++)
                for (int j = 0; j < 8; j++) key[8 * k + j] = (uint8_t)(c->units[i].sums[k] >> (8 * j));
            len = 40;
        } else if (i < c->n_units + c->n_blocks) {
            memcpy(key, c->blocks[i - c->n_units].root.b, 32);
            len = 32;
        } else {
            const char *l = c->blocks[i - c->n_units - c->n_blocks].label;
            uint32_t ll = (uint32_t)strlen(l);
            for (int j = 0; j < 4; j++) key[j] = (uint8_t)(ll >> (8 * j));
            memcpy(key + 4, l, ll);
            len = 4 + ll;
            skip = 4;
        }
        const uint8_t *at = memmem(stmt, n, key, len);
        if (!at || memmem(at + 1, n - (size_t)(at + 1 - stmt), key, len)) return 0;
        memset(bound + (at - stmt) + skip, 1, len - skip);
    }
    return 1;
}

/* Flipped bytes of a valid file. What must hold, position by position:
 *  - in the statement (up to the block roots): the parse fails, or the parsed commitment
 *    re-serialises to exactly the flipped bytes (the parser is canonical), hence has another ID:
 *    a commitment ID never stands for two different statements. If the byte is one the block
 *    proofs bind (mark_bound), ftic_check also fails; other statement bytes (a tensor's SHA-256,
 *    dtype, name, a unit's quantum or offset) may leave the proofs valid: the new ID is then
 *    another commitment, and a certificate names the ID it is about;
 *  - in a block's proof length: the parse fails (the lengths no longer tile the file);
 *  - in a block's proof bytes: the parse succeeds with the same ID, and ftic_check fails.
 * So no flip leaves the ID unchanged and the check passing. Every statement byte is flipped,
 * and `proof_samples` sampled proof bytes. */
static void flip_sweep(const small_file *s, size_t proof_samples) {
    uint8_t *b = malloc(s->n), *bound = calloc(s->stmt, 1);
    size_t *len_at = calloc(s->c->n_blocks, sizeof *len_at);
    CHECK(b && bound && len_at);
    memcpy(b, s->b, s->n);
    CHECK(mark_bound(bound, s->b, s->stmt, s->c));
    for (size_t k = 0, at = s->stmt; k < s->c->n_blocks; k++) {
        len_at[k] = at;
        at += 8 + s->c->proof_len[k];
    }
    size_t parsed_stmt = 0, still_valid = 0, bound_failed = 0, proof_flips = 0;
    for (size_t k = 0; k < s->stmt + proof_samples; k++) {
        size_t i = k < s->stmt ? k : s->stmt + test_rand_below(s->n - s->stmt);
        int in_len = 0;
        for (size_t j = 0; j < s->c->n_blocks; j++) in_len |= i >= len_at[j] && i < len_at[j] + 8;
        uint8_t old = b[i], x = (uint8_t)(1 + test_rand_below(255));
        b[i] ^= x;
        ftic *c = NULL;
        fti_digest id;
        fti_status st = ftic_parse(&c, b, s->n, "flipped");
        if (i < s->stmt) {
            if (st == FTI_OK) {
                uint8_t *r = NULL;
                size_t rn = 0;
                int canon = serialize(&r, &rn, c) && rn == s->n && !memcmp(r, b, s->n);
                free(r);
                if (!canon) fprintf(stderr, "  byte %zu (statement): parse is not canonical\n", i);
                CHECK(canon);
                CHECK(ftic_id(&id, c) == FTI_OK && !fti_digest_eq(&id, &s->id));
                parsed_stmt++;
                int ok = checks(c);
                if (bound[i] && ok != 0) fprintf(stderr, "  byte %zu (bound statement) flipped by %02x: check %d\n", i, x, ok);
                CHECK(!bound[i] || ok == 0);
                bound_failed += bound[i];
                still_valid += ok == 1;
            } else {
                CHECK(st == FTI_ERR_FORMAT);
            }
        } else if (in_len) {
            CHECK(st == FTI_ERR_FORMAT);
        } else {
            CHECK(st == FTI_OK);
            CHECK(ftic_id(&id, c) == FTI_OK && fti_digest_eq(&id, &s->id));
            int ok = checks(c);
            if (ok != 0) fprintf(stderr, "  byte %zu (proof) flipped by %02x: check %d\n", i, x, ok);
            CHECK(ok == 0);
            proof_flips++;
        }
        ftic_free(c);
        b[i] = old;
    }
    CHECK(checks(s->c) == 1);
    CHECK(parsed_stmt > 0 && bound_failed > 0 && proof_flips > proof_samples / 2);
    printf("  %s: %zu statement bytes flipped (%zu parsed with new IDs: %zu bound ones failed the check, %zu still "
           "valid), %zu proof bytes flipped (check failed)\n",
           s->c->kind == FTIC_BASE ? "base" : "tuned", s->stmt, parsed_stmt, bound_failed, still_valid, proof_flips);
    free(len_at);
    free(bound);
    free(b);
}

static void test_commit__flipped_bytes(void) {
    small_file s, t;
    CHECK(small_make(&s));
    flip_sweep(&s, 2000);
    /* a tuned commitment (same weights) in s's frame: its base ID is bound too */
    memset(&t, 0, sizeof t);
    const char *p = tmp("smalltuned", counter++, ".safetensors");
    uint8_t *st = NULL;
    CHECK(write_specs(p, SMALL, NSMALL) && (t.c = commit_tuned(p, s.c, NULL)));
    CHECK(serialize(&t.b, &t.n, t.c) && ftic_statement(&st, &t.stmt, t.c) == FTI_OK && ftic_id(&t.id, t.c) == FTI_OK);
    free(st);
    flip_sweep(&t, 300);
    small_free(&t);
    small_free(&s);
}

/* Statement values the proofs bind: a unit's limb sum, a block root, a block label, the kind,
 * a tuned commitment's base ID. Each edit makes ftic_check fail. */
static void test_commit__tampered_statement_values_fail_check(void) {
    small_file s;
    CHECK(small_make(&s));
    ftic *c = s.c;
    CHECK(checks(c) == 1);
    for (size_t u = 0; u < c->n_units; u++)
        for (int k = 0; k < 5; k++) {
            uint64_t old = c->units[u].sums[k];
            c->units[u].sums[k] = old ? old - 1 : 1;
            CHECK(checks(c) == 0);
            c->units[u].sums[k] = old;
        }
    /* sums whose sum of squares is the same: S_ll + 2^17 and S_lh - 1 */
    uint64_t l0 = c->units[0].sums[0], l1 = c->units[0].sums[1];
    unsigned __int128 sq = ftic_unit_sum_sq(&c->units[0]);
    CHECK(l1 > 0);
    c->units[0].sums[0] = l0 + (1u << 17);
    c->units[0].sums[1] = l1 - 1;
    CHECK(ftic_unit_sum_sq(&c->units[0]) == sq);
    CHECK(checks(c) == 0);
    c->units[0].sums[0] = l0;
    c->units[0].sums[1] = l1;
    for (size_t b = 0; b < c->n_blocks; b++) {
        c->blocks[b].root.b[b % 32] ^= 0x10;
        CHECK(checks(c) == 0);
        c->blocks[b].root.b[b % 32] ^= 0x10;
        char *lab = c->blocks[b].label;
        c->blocks[b].label = strdup("rest.9999");
        CHECK(checks(c) == 0);
        free(c->blocks[b].label);
        c->blocks[b].label = lab;
    }
    c->kind = FTIC_TUNED;
    CHECK(checks(c) == 0);
    c->kind = FTIC_BASE;
    CHECK(checks(c) == 1);
    small_free(&s);
}

/* A hostile file with many units (100,000 one-entry slices of one tensor, in blocks of 4096):
 * the parser's checks stay near-linear (unit names are checked distinct by sorting, not by
 * comparing every pair, which took minutes on a 20 MB file), and a repeated name is still
 * found. CPU time is measured (not wall time), with a wide margin for sanitizer builds. */
static void test_commit__many_units_parse_in_near_linear_time(void) {
    const size_t n = 100000, per = FTIC_MAX_BLOCK_UNITS;
    ftic *c = calloc(1, sizeof *c), *back = NULL;
    CHECK(c);
    c->pp = fti_pcs_params_get("test");
    c->kind = FTIC_BASE;
    c->n_tensors = 1;
    c->tensors = calloc(1, sizeof *c->tensors);
    c->n_blocks = (n + per - 1) / per;
    c->units = calloc(n, sizeof *c->units);
    c->blocks = calloc(c->n_blocks, sizeof *c->blocks);
    c->proofs = calloc(c->n_blocks, sizeof *c->proofs);
    c->proof_len = calloc(c->n_blocks, sizeof *c->proof_len);
    CHECK(c->tensors && c->units && c->blocks && c->proofs && c->proof_len);
    c->tensors[0] = (ftic_tensor){strdup("w"), FTI_DT_F32, 2, {n, 1}, 1, 0, {{0}}};
    char name[32];
    for (size_t i = 0; i < n; i++) {
        ftic_unit *u = &c->units[i];
        snprintf(name, sizeof name, "u%07zu", i);
        u->name = strdup(name);
        u->row0 = i;
        u->rows = u->cols = 1;
        u->n_tiles = 1;
        u->block = (uint32_t)(i / per);
        c->n_units = i + 1;
    }
    for (size_t b = 0; b < c->n_blocks; b++) {
        snprintf(name, sizeof name, "b%04zu", b);
        c->blocks[b].label = strdup(name);
        c->blocks[b].first_unit = (uint32_t)(b * per);
        c->blocks[b].n_units = (uint32_t)(b + 1 < c->n_blocks ? per : n - b * per);
        c->proofs[b] = malloc(1);
    }
    uint8_t *bytes = NULL;
    size_t len = 0;
    CHECK(serialize(&bytes, &len, c));
    clock_t t0 = clock();
    fti_status st = ftic_parse(&back, bytes, len, "many-units");
    double secs = (double)(clock() - t0) / CLOCKS_PER_SEC;
    printf("  %zu units (%.1f MB): parsed in %.2f s cpu\n", n, len / 1e6, secs);
    CHECK(st == FTI_OK && back && back->n_units == n);
    CHECK(secs < 10);
    ftic_free(back);
    free(bytes);
    /* the same with one name repeated (the last unit named like the first) */
    free(c->units[n - 1].name);
    c->units[n - 1].name = strdup("u0000000");
    CHECK(serialize(&bytes, &len, c));
    t0 = clock();
    CHECK(rejects(bytes, len, "unit name u0000000 repeated"));
    CHECK((double)(clock() - t0) / CLOCKS_PER_SEC < 10);
    free(bytes);
    ftic_free(c);
}

/* ---- the block sum-check's verifier, check by check ---- */

enum { BSC_UNITS = 2 };
typedef struct {
    unsigned nv[BSC_UNITS];
    fe_t *tab[2 * BSC_UNITS + 1];
    ke_t rho_u[BSC_UNITS][16], rho_m[16], a[BSC_UNITS], b[BSC_UNITS];
    uint64_t sums[BSC_UNITS][5];
    const ke_t *rho[BSC_UNITS];
    block_sc_statement st;
    ke_t rounds[3 * 16], r[16], finals[2 * BSC_UNITS + 1];
} bsc_case;

static ke_t bsc_rand_ke(void) {
    ke_t k = {{test_rand() % FE_P, test_rand() % FE_P, test_rand() % FE_P}};
    return k;
}

/* Two units of 16-bit limbs (3 and 5 variables) and a multiplicity table, with their exact sums
 * and the LogUp-style claims; proves. */
static int bsc_make(bsc_case *k) {
    memset(k, 0, sizeof *k);
    k->nv[0] = 3, k->nv[1] = 5;
    for (int u = 0; u < BSC_UNITS; u++) {
        size_t n = (size_t)1 << k->nv[u];
        fe_t *lo = k->tab[2 * u] = malloc(n * sizeof(fe_t)), *hi = k->tab[2 * u + 1] = malloc(n * sizeof(fe_t));
        for (size_t x = 0; x < n; x++) {
            lo[x] = test_rand() & 0xFFFF, hi[x] = test_rand() & 0xFFFF;
            k->sums[u][0] += lo[x] * lo[x], k->sums[u][1] += lo[x] * hi[x], k->sums[u][2] += hi[x] * hi[x];
            k->sums[u][3] += lo[x], k->sums[u][4] += hi[x];
        }
        for (unsigned j = 0; j < k->nv[u]; j++) k->rho_u[u][j] = bsc_rand_ke();
        k->rho[u] = k->rho_u[u];
        k->a[u] = fti_mle_eval_fe(lo, k->nv[u], k->rho_u[u]);
        k->b[u] = fti_mle_eval_fe(hi, k->nv[u], k->rho_u[u]);
    }
    fe_t *m = k->tab[2 * BSC_UNITS] = malloc(((size_t)1 << 16) * sizeof(fe_t));
    for (size_t x = 0; x < ((size_t)1 << 16); x++) m[x] = test_rand() & 0xFF;
    for (unsigned j = 0; j < 16; j++) k->rho_m[j] = bsc_rand_ke();
    k->st = (block_sc_statement){BSC_UNITS, k->nv, 16, k->rho, k->a, k->b, (const uint64_t(*)[5])k->sums, k->rho_m,
                                 fti_mle_eval_fe(m, 16, k->rho_m)};
    fti_transcript t;
    fti_transcript_init(&t, "test/block-sc");
    return block_sc_prove(k->rounds, k->r, k->finals, &t, &k->st, (const fe_t *const *)k->tab) == FTI_OK;
}

static int bsc_verify(bsc_case *k) {
    fti_transcript t;
    ke_t r[16];
    fti_transcript_init(&t, "test/block-sc");
    return block_sc_verify(r, &t, &k->st, k->rounds, k->finals);
}

static void bsc_free(bsc_case *k) {
    for (int i = 0; i < 2 * BSC_UNITS + 1; i++) free(k->tab[i]);
}

/* Each check of block_sc_verify made to fail alone: a round whose g(0) + g(1) is not the running
 * claim (round 0, and round 1 after a round 0 tampered with its sum kept); a last round whose
 * sums hold but whose g(2) moves the final claim, and a wrong final value (the closing equality);
 * a stated limb sum or LogUp claim off by one (round 0 against the recomputed initial claim). */
static void test_commit__block_sumcheck_each_check(void) {
    bsc_case k;
    CHECK(bsc_make(&k));
    CHECK(bsc_verify(&k) == 1);
    ke_t one = ke_one();
    int bad = 0;
    ke_t save = k.rounds[0];
    k.rounds[0] = ke_add(save, one); /* round 0: g(0) + g(1) != claim */
    bad |= bsc_verify(&k) != 0;
    k.rounds[0] = save;
    ke_t s0 = k.rounds[0], s1 = k.rounds[1]; /* round 0 sum kept: round 1 fails */
    k.rounds[0] = ke_add(s0, one), k.rounds[1] = ke_sub(s1, one);
    bad |= bsc_verify(&k) != 0;
    k.rounds[0] = s0, k.rounds[1] = s1;
    save = k.rounds[3 * 15 + 2]; /* last round's g(2): every round sum holds, the final check fails */
    k.rounds[3 * 15 + 2] = ke_add(save, one);
    bad |= bsc_verify(&k) != 0;
    k.rounds[3 * 15 + 2] = save;
    for (int i = 0; i < 2 * BSC_UNITS + 1; i++) { /* a final value */
        save = k.finals[i];
        k.finals[i] = ke_add(save, one);
        bad |= bsc_verify(&k) != 0;
        k.finals[i] = save;
    }
    for (int u = 0; u < BSC_UNITS; u++)
        for (int j = 0; j < 5; j++) { /* a stated sum */
            k.sums[u][j]++;
            bad |= bsc_verify(&k) != 0;
            k.sums[u][j]--;
        }
    save = k.a[1]; /* a LogUp claim */
    k.a[1] = ke_add(save, one);
    bad |= bsc_verify(&k) != 0;
    k.a[1] = save;
    CHECK(bsc_verify(&k) == 1); /* everything restored */
    bsc_free(&k);
    CHECK(!bad);
}

const struct test_case TEST_CASES[] = {
    TEST(test_commit__block_sumcheck_each_check),
    TEST(test_commit__checks_and_sum_sq_exact),
    TEST(test_commit__proven_params_file_round_trip),
    TEST(test_commit__statement_without_proofs_same_id),
    TEST(test_commit__deterministic_threads_runs_shards),
    TEST(test_commit__gpt2_fused_qkv_units),
    TEST(test_commit__tiled_units_check_and_sums_exact),
    TEST(test_commit__tuned_frame_mismatch_listed),
    TEST(test_commit__hash_only_tensors),
    TEST(test_commit__nan_inf_named_one_line),
    TEST(test_commit__hostile_bytes_rejected),
    TEST(test_commit__flipped_bytes),
    TEST(test_commit__tampered_statement_values_fail_check),
    TEST(test_commit__many_units_parse_in_near_linear_time),
    {0}};
