/* Commitments and certificates on the real models of ../shared/models (every case is named
 * *models* and skips when the folder is absent): every model commits and its commitment
 * checks, with each unit's certified ||W||^2 equal to an independent recomputation; the genuine
 * base / further-trained pair human_faceres -> human_faceres_deep under a relative norm policy
 * (rho 0.3 accepted; rho 0.1 refused for exactly the tensors whose relative change, recomputed
 * here in doubles with fti_decode_f64, exceeds 0.1); a sparse edit and a tampered entry on a
 * real model (src/synth variants of the real file) certified or refused; the updates
 * practitioners make, written onto real bases by src/synth: LoRA merged into F32 weights with its
 * PEFT adapter (Conv1d and Linear modules; factors from the adapter), BitFit, a bounded full
 * fine-tune of an F16 TFLite model. The "test" parameter set is used except where a case says
 * otherwise. */
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cert/certify.h"
#include "commit/commit.h"
#include "model/encode.h"
#include "synth/synth.h"
#include "test.h"
#include "util/error.h"

static const char *models(void) {
    const char *d = test_models_dir();
    if (!d) test_skip("../shared/models is absent");
    return d;
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* The *.safetensors files of dir, sorted; NULL-terminated, malloc'd. */
static char **list_models(const char *dir) {
    DIR *d = opendir(dir);
    char **names = calloc(64, sizeof *names);
    size_t n = 0;
    for (struct dirent *e; names && d && (e = readdir(d)) && n < 63;) {
        size_t len = strlen(e->d_name);
        if (len > 12 && strcmp(e->d_name + len - 12, ".safetensors") == 0) names[n++] = strdup(e->d_name);
    }
    if (d) closedir(d);
    if (names) qsort(names, n, sizeof *names, cmp_str);
    return names;
}

static void free_list(char **names) {
    for (char **p = names; p && *p; p++) free(*p);
    free(names);
}

static const char *model_path(const char *name) {
    static char buf[4][1024];
    static int k;
    char *p = buf[k++ % 4];
    snprintf(p, 1024, "%s/%s", test_models_dir(), name);
    return p;
}

/* A base (base == NULL) or tuned commitment of path; proofs only if asked. */
static ftic *commit(const char *path, const ftic *base, const char *params, int proofs, fti_ckpt **ck_out) {
    fti_ckpt *ck = NULL;
    ftic *c = NULL;
    fti_digest bid;
    fti_status st = fti_ckpt_open(&ck, path);
    if (st == FTI_OK) {
        if (base) {
            st = ftic_id(&bid, base);
            if (st == FTI_OK) st = ftic_plan_tuned(&c, ck, base, &bid);
        } else {
            st = ftic_plan_base(&c, ck, fti_pcs_params_get(params));
        }
    }
    if (st == FTI_OK) st = ftic_build(c, ck, NULL, proofs);
    if (st != FTI_OK) {
        fprintf(stderr, "  commit %s: %s\n", path, fti_last_error());
        ftic_free(c);
        fti_ckpt_close(ck);
        return NULL;
    }
    if (ck_out) *ck_out = ck;
    else fti_ckpt_close(ck);
    return c;
}

static int checks(const ftic *c) {
    int ok = -1;
    size_t bad = 0;
    if (ftic_check(&ok, &bad, c) != FTI_OK) return -1;
    if (!ok) fprintf(stderr, "  block %s does not check\n", c->blocks[bad].label);
    return ok;
}

/* Exact sum of v^2 of every unit recomputed from the checkpoint with fti_encode_stats (units of
 * these models are whole tensors). */
static int sums_exact(const ftic *c, const fti_ckpt *ck) {
    for (size_t i = 0; i < c->n_units; i++) {
        const ftic_unit *u = &c->units[i];
        const fti_st_tensor *t = fti_ckpt_find(ck, c->tensors[u->tensor].name);
        fti_enc_stats s;
        if (!t || u->row0 || u->col0 || u->rows * u->cols != t->numel) return 0;
        if (fti_encode_stats(&s, t, u->quantum) != FTI_OK || s.sum_sq != ftic_unit_sum_sq(u)) {
            fprintf(stderr, "  %s: certified ||W||^2 differs\n", u->name);
            return 0;
        }
    }
    return 1;
}

static fti_policy *policy(const char *text) {
    fti_policy *p = NULL;
    if (fti_policy_parse(&p, text, strlen(text), "test-policy") != FTI_OK) {
        fprintf(stderr, "  policy: %s\n", fti_last_error());
        return NULL;
    }
    return p;
}

/* 1 accept, 0 reject, -1 error. */
static int verify(const ftic *b, const ftic *t, const fti_policy *pol, const fti_cert *cert) {
    int accept = 0;
    fti_cert_report rep;
    memset(&rep, 0, sizeof rep);
    if (fti_cert_verify(&accept, &rep, b, t, pol, cert, 1) != FTI_OK) accept = -1;
    fti_cert_report_free(&rep);
    return accept;
}

/* The genuine pair's commitments (with proofs), made once for the cases that need them and
 * freed at exit. */
static struct {
    int made;
    ftic *b, *t;
    fti_ckpt *bck, *tck;
} pair;

static void pair_free(void) {
    ftic_free(pair.b);
    ftic_free(pair.t);
    fti_ckpt_close(pair.bck);
    fti_ckpt_close(pair.tck);
    memset(&pair, 0, sizeof pair);
}

static int faceres_pair(void) {
    if (!pair.made) {
        pair.made = -1;
        pair.b = commit(model_path("human_faceres.safetensors"), NULL, "test", 1, &pair.bck);
        if (pair.b) pair.t = commit(model_path("human_faceres_deep.safetensors"), pair.b, NULL, 1, &pair.tck);
        if (pair.t) pair.made = 1;
        atexit(pair_free);
    }
    return pair.made == 1;
}

/* ---- every model ---- */

static void test_models_cert__commit_every_model_and_check(void) {
    const char *dir = models();
    if (!dir) return;
    char **names = list_models(dir);
    size_t n = 0, units = 0;
    CHECK(names && names[0]);
    for (char **p = names; *p; p++) {
        fti_ckpt *ck = NULL;
        ftic *c = NULL;
        if (!strcmp(*p, "human_faceres.safetensors")) { /* the pair's base, made once */
            CHECK(faceres_pair());
            c = pair.b;
            ck = pair.bck;
        } else {
            c = commit(model_path(*p), NULL, "test", 1, &ck);
        }
        CHECK(c);
        int ok = checks(c) == 1 && sums_exact(c, ck);
        /* round trip through the bytes: the same ID */
        uint8_t *b = NULL;
        size_t len = 0;
        ftic *back = NULL;
        fti_digest a, d;
        ok = ok && ftic_serialize(&b, &len, c) == FTI_OK && ftic_parse(&back, b, len, *p) == FTI_OK &&
             ftic_id(&a, c) == FTI_OK && ftic_id(&d, back) == FTI_OK && fti_digest_eq(&a, &d);
        units += c->n_units;
        free(b);
        ftic_free(back);
        if (c != pair.b) {
            ftic_free(c);
            fti_ckpt_close(ck);
        }
        if (!ok) fprintf(stderr, "  %s failed\n", *p);
        CHECK(ok);
        n++;
    }
    printf("  %zu models, %zu units committed and checked\n", n, units);
    free_list(names);
}

/* The "proven" parameter set once, on the F16 model (native half precision weights). */
static void test_models_cert__proven_params_f16_model(void) {
    if (!models()) return;
    fti_ckpt *ck = NULL;
    ftic *c = commit(model_path("mediapipe_selfie_general.safetensors"), NULL, "proven", 1, &ck);
    CHECK(c && !strcmp(c->pp->name, "proven"));
    CHECK(c->tensors[0].dtype == FTI_DT_F16);
    CHECK(checks(c) == 1 && sums_exact(c, ck));
    ftic_free(c);
    fti_ckpt_close(ck);
}

/* ---- the genuine pair ---- */

/* ||W' - W||_F / ||W||_F of a tensor, in doubles from the files (independent of the encoder). */
static double rel_change(const fti_st_tensor *a, const fti_st_tensor *b) {
    double *x = malloc(a->numel * sizeof *x), *y = malloc(a->numel * sizeof *y), w = 0, d = 0;
    if (!x || !y || fti_decode_f64(x, a, 0, a->numel) != FTI_OK || fti_decode_f64(y, b, 0, b->numel) != FTI_OK) {
        free(x);
        free(y);
        return NAN;
    }
    for (uint64_t i = 0; i < a->numel; i++) {
        w += x[i] * x[i];
        d += (y[i] - x[i]) * (y[i] - x[i]);
    }
    free(x);
    free(y);
    return w > 0 ? sqrt(d / w) : INFINITY;
}

static const char *POL_RHO_03 = "{\"fti_policy\": 1, \"rules\": [{\"match\": \"*\", \"norm\": {\"rho\": 0.3}}]}";
static const char *POL_RHO_01 = "{\"fti_policy\": 1, \"rules\": [{\"match\": \"*\", \"norm\": {\"rho\": 0.1}}]}";

static void test_models_cert__faceres_deep_norm_accepted(void) {
    if (!models()) return;
    CHECK(faceres_pair());
    const ftic *b = pair.b, *t = pair.t;
    CHECK(checks(t) == 1 && sums_exact(t, pair.tck));
    fti_policy *pol = policy(POL_RHO_03);
    fti_cert *cert = NULL;
    char *refusal = NULL;
    CHECK(pol && fti_cert_prove(&cert, &refusal, b, t, pair.bck, pair.tck, pol, NULL) == FTI_OK);
    if (refusal) fprintf(stderr, "  refused:\n%s", refusal);
    CHECK(cert && !refusal);
    CHECK(verify(b, t, pol, cert) == 1);
    /* every unit changed (the model was trained further) and each certified relative change is
     * that of the files, up to the encoding's rounding */
    for (size_t u = 0; u < b->n_units; u++) {
        const ftic_unit *bu = &b->units[u];
        double d2 = (double)fti_cert_delta_sq(&cert->units[u]), w2 = (double)ftic_unit_sum_sq(bu);
        double rel = rel_change(fti_ckpt_find(pair.bck, bu->name), fti_ckpt_find(pair.tck, bu->name));
        CHECK(d2 > 0 && fabs(sqrt(d2 / w2) - rel) <= 1e-4 * rel + 1e-7);
    }
    /* a certificate for this pair and policy only: not under rho = 0.1 */
    fti_policy *tight = policy(POL_RHO_01);
    CHECK(tight && verify(b, t, tight, cert) == 0);
    fti_policy_free(tight);
    fti_policy_free(pol);
    fti_cert_free(cert);
}

static void test_models_cert__faceres_deep_rho_01_refuses_exactly(void) {
    if (!models()) return;
    CHECK(faceres_pair());
    const ftic *b = pair.b, *t = pair.t;
    fti_ckpt *bck = pair.bck, *tck = pair.tck;
    fti_policy *pol = policy(POL_RHO_01);
    fti_cert *cert = NULL;
    char *refusal = NULL;
    CHECK(pol && fti_cert_prove(&cert, &refusal, b, t, bck, tck, pol, NULL) == FTI_OK);
    CHECK(!cert && refusal);
    size_t over = 0, under = 0, listed = 0;
    for (const char *l = refusal; *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : l + strlen(l)) listed++;
    for (size_t u = 0; u < b->n_units; u++) {
        const char *name = b->units[u].name;
        double rel = rel_change(fti_ckpt_find(bck, name), fti_ckpt_find(tck, name));
        CHECK(!isnan(rel));
        char line[600];
        snprintf(line, sizeof line, "%s: norm: measured", name);
        const char *at = strstr(refusal, line);
        int is_listed = at && (at == refusal || at[-1] == '\n');
        if (fabs(rel - 0.1) < 1e-4) continue; /* too close to the bound to judge in doubles */
        if (rel > 0.1) over++;
        else under++;
        if (is_listed != (rel > 0.1)) fprintf(stderr, "  %s: relative change %.6f, listed %d\n", name, rel, is_listed);
        CHECK(is_listed == (rel > 0.1));
    }
    CHECK(over > 0 && under > 0 && listed == over);
    printf("  %zu tensors over rho = 0.1 (refused), %zu under\n", over, under);
    free(refusal);
    fti_policy_free(pol);
}

/* ---- synthetic edits of a real model ---- */

static const char *SPARSE_T = "16k.decoder.rnn.weight_hh", *TAMPER_T = "16k.encoder.1.reparam_conv.weight";

static void test_models_cert__sparse_edit_and_tamper_on_real_model(void) {
    if (!models()) return;
    const char *base = model_path("silero_vad_v5.safetensors");
    char sp[600], tam[600], pol7[300], pol6[300];
    snprintf(sp, sizeof sp, "%s/silero_sparse.safetensors", test_tmpdir());
    snprintf(tam, sizeof tam, "%s/silero_tamper.safetensors", test_tmpdir());
    fti_synth_variant v;
    const char *targets[] = {SPARSE_T};
    fti_synth_variant_init(&v, FTI_VAR_SPARSE);
    v.seed = 21;
    v.targets = targets;
    v.ntargets = 1;
    v.k = 7;
    fti_synth_stats st;
    CHECK(fti_synth_variant_write(&st, sp, base, &v) == FTI_OK && st.changed == 1 && st.entries == 7);
    fti_synth_variant_init(&v, FTI_VAR_TAMPER_ENTRY);
    v.seed = 22;
    v.tensor = TAMPER_T;
    CHECK(fti_synth_variant_write(&st, tam, base, &v) == FTI_OK && st.changed == 1 && st.entries == 1);
    fti_ckpt *bck = NULL, *sck = NULL, *tck = NULL;
    ftic *b = commit(base, NULL, "test", 1, &bck), *s = NULL, *t = NULL;
    CHECK(b);
    CHECK((s = commit(sp, b, NULL, 1, &sck)) && (t = commit(tam, b, NULL, 1, &tck)));
    snprintf(pol7, sizeof pol7, "{\"fti_policy\": 1, \"rules\": [{\"match\": \"%s\", \"sparse\": {\"k\": 7}}]}", SPARSE_T);
    snprintf(pol6, sizeof pol6, "{\"fti_policy\": 1, \"rules\": [{\"match\": \"%s\", \"sparse\": {\"k\": 6}}]}", SPARSE_T);
    fti_policy *p7 = policy(pol7), *p6 = policy(pol6);
    CHECK(p7 && p6);
    /* the sparse edit: certified with k = 7 (and the count certified is 7) */
    fti_cert *cert = NULL;
    char *refusal = NULL;
    CHECK(fti_cert_prove(&cert, &refusal, b, s, bck, sck, p7, NULL) == FTI_OK && cert && !refusal);
    CHECK(verify(b, s, p7, cert) == 1);
    long u = ftic_find_unit(b, SPARSE_T);
    CHECK(u >= 0 && cert->units[u].sparse_count == 7);
    /* ... not against the tampered model, nor under k = 6 */
    CHECK(verify(b, t, p7, cert) == 0);
    CHECK(verify(b, s, p6, cert) == 0);
    fti_cert_free(cert);
    cert = NULL;
    CHECK(fti_cert_prove(&cert, &refusal, b, s, bck, sck, p6, NULL) == FTI_OK && !cert && refusal);
    CHECK(strstr(refusal, "16k.decoder.rnn.weight_hh: sparse") && strstr(refusal, "changed=7, allowed changed<=6"));
    free(refusal);
    refusal = NULL;
    /* the tamper: a frozen tensor changed in one entry, the prover refuses naming it alone */
    CHECK(fti_cert_prove(&cert, &refusal, b, t, bck, tck, p7, NULL) == FTI_OK && !cert && refusal);
    CHECK(!strcmp(refusal, "16k.encoder.1.reparam_conv.weight: frozen, but 1 entries changed\n") ||
          !strcmp(refusal, "16k.encoder.1.reparam_conv.weight: frozen, but 1 entries changed"));
    free(refusal);
    fti_policy_free(p7);
    fti_policy_free(p6);
    ftic_free(b);
    ftic_free(s);
    ftic_free(t);
    fti_ckpt_close(bck);
    fti_ckpt_close(sck);
    fti_ckpt_close(tck);
}

/* ---- updates practitioners make, on real bases ---- */

/* A real base, a variant of it written to tmp/NAME, and both commitments. */
typedef struct {
    fti_ckpt *bck, *tck;
    ftic *b, *t;
} real_pair;

static void real_pair_free(real_pair *p) {
    ftic_free(p->b);
    ftic_free(p->t);
    fti_ckpt_close(p->bck);
    fti_ckpt_close(p->tck);
    memset(p, 0, sizeof *p);
}

static int real_pair_make(real_pair *p, const char *model, const char *name, const fti_synth_variant *v) {
    char tuned[600];
    memset(p, 0, sizeof *p);
    snprintf(tuned, sizeof tuned, "%s/%s.safetensors", test_tmpdir(), name);
    if (fti_synth_variant_write(NULL, tuned, model_path(model), v) != FTI_OK) {
        fprintf(stderr, "  variant %s: %s\n", name, fti_last_error());
        return 0;
    }
    p->b = commit(model_path(model), NULL, "test", 1, &p->bck);
    if (p->b) p->t = commit(tuned, p->b, NULL, 1, &p->tck);
    return p->b && p->t;
}

/* LoRA (rank 4, scale 16/4) merged into the F32 weights of a real model with its PEFT adapter
 * (F32 factors): certified with the adapter's factors, every targeted unit of rank exactly 4;
 * the merged F32 weights round by at most 2^-24 relative and the factors' 16-bit rounding
 * costs about 2^-15 of ||Delta|| (Delta ~ 0.01 ||W||), so ||R|| < 10^-5 ||W||; frozen elsewhere.
 * The same pair with SVD factors (no adapter) is certified too. */
static void lora_adapter_case(const char *model, const char *target, size_t n_targets) {
    char dir[600], pol[800];
    snprintf(dir, sizeof dir, "%s/adapter_%.*s", test_tmpdir(), (int)strcspn(model, "."), model);
    const char *targets[] = {target};
    fti_synth_variant v;
    fti_synth_variant_init(&v, FTI_VAR_LORA);
    v.seed = 31;
    v.rank = 4;
    v.targets = targets;
    v.ntargets = 1;
    v.adapter_out = dir;
    real_pair p;
    CHECK(real_pair_make(&p, model, "lora_real", &v));
    snprintf(pol, sizeof pol,
             "{\"fti_policy\": 1, \"rules\": [{\"match\": \"%s\", \"rank\": {\"r\": 4, \"residual\": {\"frobenius\":"
             " {\"relative\": 0.00001}}}}, {\"match\": \"*\", \"frozen\": {}}]}", target);
    fti_policy *pol_r = policy(pol);
    fti_lora *l = NULL;
    CHECK(pol_r && fti_lora_open(&l, dir) == FTI_OK && fti_lora_check_base(l, p.bck) == FTI_OK);
    fti_cert_prove_opts o = {NULL, l, 0, 0};
    fti_cert *cert = NULL;
    char *refusal = NULL;
    CHECK(p.t && fti_cert_prove_with(&cert, &refusal, p.b, p.t, p.bck, p.tck, pol_r, &o) == FTI_OK);
    if (refusal) fprintf(stderr, "  refused:\n%s", refusal);
    CHECK(cert && !refusal && o.adapter_units == n_targets && o.svd_units == 0);
    CHECK(cert && verify(p.b, p.t, pol_r, cert) == 1);
    for (size_t u = 0; cert && u < p.b->n_units; u++)
        if (cert->units[u].flags & FTI_REQ_RANK) CHECK(cert->units[u].rank == 4);
    fti_cert_free(cert);
    cert = NULL;
    free(refusal);
    refusal = NULL;
    CHECK(fti_cert_prove(&cert, &refusal, p.b, p.t, p.bck, p.tck, pol_r, NULL) == FTI_OK && cert && !refusal);
    CHECK(cert && verify(p.b, p.t, pol_r, cert) == 1);
    fti_cert_free(cert);
    free(refusal);
    fti_lora_close(l);
    fti_policy_free(pol_r);
    real_pair_free(&p);
}

static void test_models_cert__lora_adapter_conv1d_real_model(void) {
    if (!models()) return;
    lora_adapter_case("silero_vad_v5.safetensors", "*.encoder.*.reparam_conv.weight", 8);
}

static void test_models_cert__lora_adapter_linear_real_model(void) {
    if (!models()) return;
    lora_adapter_case("gnubg_nets.safetensors", "*.hidden.weight", 6);
}

/* BitFit (every bias moved by 5% of its norm) on a real model: certified under "biases within
 * rho = 0.06, the rest frozen"; refused under rho = 0.04, naming only biases. */
static void test_models_cert__bitfit_real_model(void) {
    if (!models()) return;
    fti_synth_variant v;
    fti_synth_variant_init(&v, FTI_VAR_BITFIT);
    v.seed = 32;
    real_pair p;
    CHECK(real_pair_make(&p, "silero_vad_v5.safetensors", "bitfit_real", &v));
    fti_policy *ok = policy("{\"fti_policy\": 1, \"rules\": [{\"match\": \"*.bias*\", \"norm\": {\"rho\": 0.06}},"
                            " {\"match\": \"*\", \"frozen\": {}}]}");
    fti_policy *tight = policy("{\"fti_policy\": 1, \"rules\": [{\"match\": \"*.bias*\", \"norm\": {\"rho\": 0.04}},"
                               " {\"match\": \"*\", \"frozen\": {}}]}");
    fti_cert *cert = NULL;
    char *refusal = NULL;
    CHECK(ok && tight && p.t && fti_cert_prove(&cert, &refusal, p.b, p.t, p.bck, p.tck, ok, NULL) == FTI_OK);
    if (refusal) fprintf(stderr, "  refused:\n%s", refusal);
    CHECK(cert && !refusal && verify(p.b, p.t, ok, cert) == 1);
    size_t changed = 0;
    for (size_t u = 0; cert && u < p.b->n_units; u++)
        if (fti_cert_delta_sq(&cert->units[u]) > 0) {
            changed++;
            CHECK(strstr(p.b->units[u].name, ".bias") != NULL);
        }
    CHECK(changed >= 10);
    fti_cert_free(cert);
    cert = NULL;
    CHECK(fti_cert_prove(&cert, &refusal, p.b, p.t, p.bck, p.tck, tight, NULL) == FTI_OK && !cert && refusal);
    size_t lines = 0;
    for (char *l = refusal ? strtok(refusal, "\n") : NULL; l; l = strtok(NULL, "\n")) {
        lines++;
        CHECK(strstr(l, ".bias") && strstr(l, ": norm: measured"));
    }
    CHECK(lines == changed);
    free(refusal);
    fti_policy_free(ok);
    fti_policy_free(tight);
    real_pair_free(&p);
}

/* A bounded full fine-tune (every tensor by 2%) of a TFLite model (F16, OHWI convolutions):
 * certified under rho = 0.03, each certified relative change that of the files. */
static void test_models_cert__full_finetune_tflite_f16_model(void) {
    if (!models()) return;
    fti_synth_variant v;
    fti_synth_variant_init(&v, FTI_VAR_FULL);
    v.seed = 33;
    v.rel = 0.02;
    real_pair p;
    CHECK(real_pair_make(&p, "mediapipe_selfie_general.safetensors", "full_real", &v));
    fti_policy *pol = policy("{\"fti_policy\": 1, \"rules\": [{\"match\": \"*\", \"norm\": {\"rho\": 0.03}}]}");
    fti_cert *cert = NULL;
    char *refusal = NULL;
    CHECK(pol && p.t && fti_cert_prove(&cert, &refusal, p.b, p.t, p.bck, p.tck, pol, NULL) == FTI_OK);
    if (refusal) fprintf(stderr, "  refused:\n%s", refusal);
    CHECK(cert && !refusal && verify(p.b, p.t, pol, cert) == 1);
    for (size_t u = 0; cert && u < p.b->n_units; u++) {
        const ftic_unit *bu = &p.b->units[u];
        double d2 = (double)fti_cert_delta_sq(&cert->units[u]), w2 = (double)ftic_unit_sum_sq(bu);
        double rel = rel_change(fti_ckpt_find(p.bck, bu->name), fti_ckpt_find(p.tck, bu->name));
        if (w2 > 0) CHECK(fabs(sqrt(d2 / w2) - rel) <= 1e-4 * rel + 1e-7);
    }
    fti_cert_free(cert);
    free(refusal);
    fti_policy_free(pol);
    real_pair_free(&p);
}

const struct test_case TEST_CASES[] = {
    TEST(test_models_cert__commit_every_model_and_check),
    TEST(test_models_cert__proven_params_f16_model),
    TEST(test_models_cert__faceres_deep_norm_accepted),
    TEST(test_models_cert__faceres_deep_rho_01_refuses_exactly),
    TEST(test_models_cert__sparse_edit_and_tamper_on_real_model),
    TEST(test_models_cert__lora_adapter_conv1d_real_model),
    TEST(test_models_cert__lora_adapter_linear_real_model),
    TEST(test_models_cert__bitfit_real_model),
    TEST(test_models_cert__full_finetune_tflite_f16_model),
    {0}};
