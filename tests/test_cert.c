/* Certificates end to end on synthetic models (src/synth): completeness for each drift class,
 * the prover's refusals, and soundness: every verifier check made to fail by a tampered
 * certificate or a cheating prover (tests-only hooks); replay against other commitments and
 * policies; certified statistics against an independent recomputation from the weights. */
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>

#include "cert/certify.h"
#include "commit/commit.h"
#include "diff/diff.h"
#include "field/field_avx512.h"
#include "model/encode.h"
#include "synth/synth.h"
#include "test.h"
#include "util/error.h"

typedef struct {
    char base_path[512], tuned_path[512];
    fti_ckpt *bck, *tck;
    ftic *base, *tuned;
    fti_policy *pol;
    fti_cert *cert;
    char *refusal;
    fti_status prove_status;
} scen;

static void scen_free(scen *s) {
    fti_ckpt_close(s->bck);
    fti_ckpt_close(s->tck);
    ftic_free(s->base);
    ftic_free(s->tuned);
    fti_policy_free(s->pol);
    fti_cert_free(s->cert);
    free(s->refusal);
    memset(s, 0, sizeof *s);
}

static int counter;
static uint64_t base_seed = 7; /* the base model's seed (a replay test changes it) */

/* A micro model of arch, a variant of it, commitments with params, the policy text. */
static int scen_make(scen *s, fti_synth_arch arch, const char *preset, const fti_synth_variant *v, const char *policy,
                     const char *params) {
    memset(s, 0, sizeof *s);
    fti_synth_config cfg;
    fti_synth_output o = {FTI_DT_BF16, base_seed, 0, 0};
    int k = counter++;
    snprintf(s->base_path, sizeof s->base_path, "%s/base%d.safetensors", test_tmpdir(), k);
    snprintf(s->tuned_path, sizeof s->tuned_path, "%s/tuned%d.safetensors", test_tmpdir(), k);
    if (fti_synth_preset(&cfg, arch, preset) != FTI_OK || fti_synth_model_write(s->base_path, &cfg, &o) != FTI_OK)
        return 0;
    fti_synth_stats st;
    if (fti_synth_variant_write(&st, s->tuned_path, s->base_path, v) != FTI_OK) return 0;
    const fti_pcs_params *pp = fti_pcs_params_get(params);
    fti_digest bid;
    if (fti_ckpt_open(&s->bck, s->base_path) != FTI_OK || fti_ckpt_open(&s->tck, s->tuned_path) != FTI_OK) return 0;
    if (ftic_plan_base(&s->base, s->bck, pp) != FTI_OK || ftic_build(s->base, s->bck, NULL, 1) != FTI_OK) return 0;
    if (ftic_id(&bid, s->base) != FTI_OK || ftic_plan_tuned(&s->tuned, s->tck, s->base, &bid) != FTI_OK ||
        ftic_build(s->tuned, s->tck, NULL, 1) != FTI_OK)
        return 0;
    if (fti_policy_parse(&s->pol, policy, strlen(policy), "test-policy") != FTI_OK) return 0;
    s->prove_status = fti_cert_prove(&s->cert, &s->refusal, s->base, s->tuned, s->bck, s->tck, s->pol, NULL);
    return 1;
}

static int verify(scen *s, const fti_cert *c) {
    int accept = -1;
    fti_cert_report rep;
    if (fti_cert_verify(&accept, &rep, s->base, s->tuned, s->pol, c, 1) != FTI_OK) accept = -1;
    fti_cert_report_free(&rep);
    return accept;
}

/* Serialise, parse back and verify (parse failures are rejections). */
static int verify_bytes(scen *s, const uint8_t *b, size_t n) {
    fti_cert *c = NULL;
    if (fti_cert_parse(&c, b, n, "test") != FTI_OK) return 0;
    int r = verify(s, c);
    fti_cert_free(c);
    return r;
}

static void variant(fti_synth_variant *v, fti_synth_kind kind) {
    fti_synth_variant_init(v, kind);
    v->seed = 11;
}

static const char *POL_FULL = "{\"fti_policy\": 1, \"rules\": [{\"match\": \"*\", \"norm\": {\"rho\": 0.1}}]}";
static const char *POL_FROZEN = "{\"fti_policy\": 1, \"rules\": [{\"match\": \"*\", \"frozen\": {}}]}";
static const char *POL_LORA = "{\"fti_policy\": 1, \"rules\": [{\"match\": \"model.layers.*.self_attn.[qkvo]_proj.weight\","
                              " \"rank\": {\"r\": 8, \"residual\": {\"frobenius\": {\"relative\": 0.02}}}}]}";
static const char *POL_SPARSE = "{\"fti_policy\": 1, \"rules\": [{\"match\": \"model.layers.0.mlp.up_proj.weight\", \"sparse\": {\"k\": 5}}]}";

/* ---- completeness ---- */

static void test_cert__full_finetune_norm_accepted(void) {
    scen s;
    fti_synth_variant v;
    variant(&v, FTI_VAR_FULL);
    v.rel = 0.03;
    CHECK(scen_make(&s, FTI_SYNTH_LLAMA, "micro", &v, POL_FULL, "test"));
    CHECK(s.prove_status == FTI_OK && s.cert && !s.refusal);
    CHECK(verify(&s, s.cert) == 1);
    scen_free(&s);
}

/* The certified ||Delta||^2 equals the exact sum over entries of (v' - v)^2 recomputed here
 * from the checkpoints with the encoder (an independent path: no limbs, no proofs). */
static void test_cert__norm_statistics_exact(void) {
    scen s;
    fti_synth_variant v;
    variant(&v, FTI_VAR_FULL);
    v.rel = 0.03;
    CHECK(scen_make(&s, FTI_SYNTH_LLAMA, "micro", &v, POL_FULL, "test"));
    CHECK(s.cert);
    for (size_t u = 0; u < s.base->n_units; u++) {
        const ftic_unit *bu = &s.base->units[u];
        const fti_st_tensor *tb = fti_ckpt_find(s.bck, s.base->tensors[bu->tensor].name);
        const fti_st_tensor *tt = fti_ckpt_find(s.tck, s.base->tensors[bu->tensor].name);
        unsigned __int128 d2 = 0;
        for (uint64_t i = 0; i < tb->numel; i++) {
            int64_t a, b;
            CHECK(fti_encode_value(&a, tb, bu->quantum, i) == FTI_OK && fti_encode_value(&b, tt, bu->quantum, i) == FTI_OK);
            d2 += (unsigned __int128)((b - a) * (b - a));
        }
        CHECK(fti_cert_delta_sq(&s.cert->units[u]) == d2);
    }
    scen_free(&s);
}

static void test_cert__lora_rank_accepted(void) {
    scen s;
    fti_synth_variant v;
    variant(&v, FTI_VAR_LORA);
    v.rank = 4;
    CHECK(scen_make(&s, FTI_SYNTH_LLAMA, "micro", &v, POL_LORA, "test"));
    CHECK(s.prove_status == FTI_OK && s.cert);
    CHECK(verify(&s, s.cert) == 1);
    for (size_t u = 0; u < s.base->n_units; u++)
        if (s.cert->units[u].flags & FTI_REQ_RANK) CHECK(s.cert->units[u].rank <= 8 && s.cert->units[u].rank >= 4);
    scen_free(&s);
}

/* fti diff is the oracle: for honest updates the certified exact statistics (sum of squared
 * encoded changes, changed-entry counts) equal those fti diff computes on the files by its own
 * path (src/diff: decoding and quantising each pair of tensors, no limbs, no proofs). */
static void test_cert__statistics_agree_with_diff(void) {
    static const char *pol = "{\"fti_policy\": 1, \"rules\": [{\"match\": \"*\", \"norm\": {\"rho\": 0.1},"
                             " \"sparse\": {\"k\": 1000000}}]}";
    const fti_synth_kind kinds[] = {FTI_VAR_FULL, FTI_VAR_SPARSE, FTI_VAR_LORA};
    for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++) {
        scen s;
        fti_synth_variant v;
        variant(&v, kinds[k]);
        CHECK(scen_make(&s, FTI_SYNTH_LLAMA, "micro", &v, pol, "test"));
        CHECK(s.cert && !s.refusal);
        fti_diff_options o;
        fti_diff_options_init(&o);
        fti_diff_report *r = NULL;
        CHECK(fti_diff_ckpts(&r, s.bck, s.tck, &o) == FTI_OK && r);
        size_t compared = 0, changed = 0;
        for (size_t u = 0; s.cert && r && u < s.base->n_units; u++) {
            const ftic_unit *bu = &s.base->units[u];
            if (bu->n_tiles != 1 || bu->row0 || bu->col0) continue;
            const fti_diff_tensor *t = NULL;
            for (size_t i = 0; i < r->n; i++)
                if (!strcmp(r->t[i].name, bu->name)) t = &r->t[i];
            CHECK(t && t->enc.valid && t->enc.encodable && t->enc.quantum == bu->quantum);
            if (!t || !t->enc.valid) continue;
            CHECK(fti_cert_delta_sq(&s.cert->units[u]) == t->enc.delta_sq);
            CHECK(s.cert->units[u].sparse_count == t->enc.changed);
            compared++;
            changed += t->enc.changed > 0;
        }
        CHECK(compared == s.base->n_units && changed > 0);
        fti_diff_free(r);
        scen_free(&s);
    }
}

/* ---- rank factors from a LoRA adapter (fti prove --adapter) ---- */

/* ||R|| / ||W|| of a rank unit, from its certified statistics. */
static double residual_rel(const scen *s, size_t u) {
    const fti_cert_unit *cu = &s->cert->units[u];
    ftic_unit tmp;
    memset(&tmp, 0, sizeof tmp);
    tmp.log_rows = ftic_unit_vars(&s->base->units[u]);
    memcpy(tmp.sums, cu->r_sums, sizeof tmp.sums);
    double r2 = (double)ftic_unit_sum_sq(&tmp), w2 = (double)ftic_unit_sum_sq(&s->base->units[u]);
    return ldexp(sqrt(r2), -cu->shift) / sqrt(w2);
}

/* Proves s's pair again with the adapter at dir; returns the prove status. */
static fti_status reprove_with_adapter(scen *s, const char *dir, fti_cert_prove_opts *o) {
    fti_lora *l = NULL;
    fti_status st = fti_lora_open(&l, dir);
    if (st == FTI_OK) st = fti_lora_check_base(l, s->bck);
    fti_cert_free(s->cert);
    free(s->refusal);
    s->cert = NULL;
    s->refusal = NULL;
    memset(o, 0, sizeof *o);
    o->adapter = l;
    if (st == FTI_OK) st = fti_cert_prove_with(&s->cert, &s->refusal, s->base, s->tuned, s->bck, s->tck, s->pol, o);
    fti_lora_close(l);
    o->adapter = NULL;
    return st;
}

static const char *adapter_dir(const char *tag) {
    static char p[8][512];
    static int k;
    char *d = p[k++ % 8];
    snprintf(d, 512, "%s/adapter_%s_%d", test_tmpdir(), tag, counter);
    return d;
}

/* The merged model's Delta is scale B A plus the BF16 rounding of W' (at most half an ulp,
 * 2^-9 of |w'| relative), so with the adapter's own factors ||R|| <= 2^-9 ||W'|| ~ 0.00195 ||W||,
 * plus the factors' 16-bit rounding: under 0.0025 ||W||, and the certified rank is the
 * adapter's r. Every rank unit takes its factors from the adapter. */
static void test_cert__adapter_factors_llama(void) {
    scen s;
    fti_synth_variant v;
    variant(&v, FTI_VAR_LORA);
    v.rank = 8;
    v.adapter_out = adapter_dir("llama");
    CHECK(scen_make(&s, FTI_SYNTH_LLAMA, "micro", &v, POL_LORA, "test"));
    fti_cert_prove_opts o;
    CHECK(reprove_with_adapter(&s, v.adapter_out, &o) == FTI_OK && s.cert && !s.refusal);
    CHECK(verify(&s, s.cert) == 1);
    size_t ranked = 0;
    for (size_t u = 0; u < s.base->n_units; u++)
        if (s.cert->units[u].flags & FTI_REQ_RANK) {
            ranked++;
            CHECK(s.cert->units[u].rank == 8);
            CHECK(s.cert->units[u].residual && residual_rel(&s, u) < 0.0025);
        }
    CHECK(ranked > 0 && o.adapter_units == ranked && o.svd_units == 0);
    scen_free(&s);
}

/* GPT-2: Conv1D weights stored [in, out] (fan_in_fan_out), c_attn committed as q/k/v slices,
 * each taking its rows of the adapter's B. */
static void test_cert__adapter_factors_gpt2_fan_in_fan_out(void) {
    static const char *pol = "{\"fti_policy\": 1, \"rules\": [{\"match\": \"*attn.c_attn.weight*\", \"rank\": {\"r\": 4,"
                             " \"residual\": {\"frobenius\": {\"relative\": 0.02}}}}]}";
    scen s;
    fti_synth_variant v;
    variant(&v, FTI_VAR_LORA);
    v.rank = 4;
    v.adapter_out = adapter_dir("gpt2");
    CHECK(scen_make(&s, FTI_SYNTH_GPT2, "micro", &v, pol, "test"));
    fti_cert_prove_opts o;
    CHECK(reprove_with_adapter(&s, v.adapter_out, &o) == FTI_OK && s.cert && !s.refusal);
    CHECK(verify(&s, s.cert) == 1);
    size_t ranked = 0;
    for (size_t u = 0; u < s.base->n_units; u++)
        if (s.cert->units[u].flags & FTI_REQ_RANK) {
            ranked++;
            CHECK(strstr(s.base->units[u].name, "c_attn.weight:") != NULL);
            CHECK(s.cert->units[u].rank == 4 && residual_rel(&s, u) < 0.0025);
        }
    CHECK(ranked > 0 && ranked % 3 == 0 && o.adapter_units == ranked && o.svd_units == 0);
    scen_free(&s);
}

/* The adapter is not trusted: one that did not make this update (another seed) gives factors
 * that leave all of Delta in the residual, and the prover refuses under a tight residual
 * bound that the SVD's own factors meet. */
static void test_cert__adapter_wrong_factors_refused(void) {
    static const char *pol = "{\"fti_policy\": 1, \"rules\": [{\"match\": \"model.layers.*.self_attn.[qkvo]_proj.weight\","
                             " \"rank\": {\"r\": 8, \"residual\": {\"frobenius\": {\"relative\": 0.004}}}}]}";
    scen s;
    fti_synth_variant v, w;
    variant(&v, FTI_VAR_LORA);
    CHECK(scen_make(&s, FTI_SYNTH_LLAMA, "micro", &v, pol, "test"));
    CHECK(s.prove_status == FTI_OK && s.cert && !s.refusal); /* SVD factors fit */
    /* another LoRA of the same base, kept only for its adapter */
    variant(&w, FTI_VAR_LORA);
    w.seed = 99;
    w.adapter_out = adapter_dir("other");
    char other[600];
    snprintf(other, sizeof other, "%s/other%d.safetensors", test_tmpdir(), counter);
    CHECK(fti_synth_variant_write(NULL, other, s.base_path, &w) == FTI_OK);
    fti_cert_prove_opts o;
    CHECK(reprove_with_adapter(&s, w.adapter_out, &o) == FTI_OK && !s.cert && s.refusal);
    CHECK(strstr(s.refusal, "self_attn.q_proj.weight: rank") != NULL);
    CHECK(o.adapter_units > 0);
    scen_free(&s);
}

/* An adapter of a higher rank than the policy allows is not used: SVD factors instead. */
static void test_cert__adapter_above_budget_uses_svd(void) {
    static const char *pol = "{\"fti_policy\": 1, \"rules\": [{\"match\": \"model.layers.*.self_attn.[qkvo]_proj.weight\","
                             " \"rank\": {\"r\": 6, \"residual\": {\"frobenius\": {\"relative\": 0.02}}}}]}";
    scen s;
    fti_synth_variant v;
    variant(&v, FTI_VAR_LORA);
    v.rank = 8;
    v.adapter_out = adapter_dir("r8");
    CHECK(scen_make(&s, FTI_SYNTH_LLAMA, "micro", &v, pol, "test"));
    fti_cert_prove_opts o;
    CHECK(reprove_with_adapter(&s, v.adapter_out, &o) == FTI_OK && s.cert);
    CHECK(o.adapter_units == 0 && o.svd_units > 0);
    for (size_t u = 0; u < s.base->n_units; u++)
        if (s.cert->units[u].flags & FTI_REQ_RANK) CHECK(s.cert->units[u].rank <= 6);
    CHECK(verify(&s, s.cert) == 1);
    scen_free(&s);
}

static void test_cert__sparse_accepted_with_exact_count(void) {
    scen s;
    fti_synth_variant v;
    const char *targets[] = {"model.layers.0.mlp.up_proj.weight"};
    variant(&v, FTI_VAR_SPARSE);
    v.targets = targets;
    v.ntargets = 1;
    v.k = 5;
    CHECK(scen_make(&s, FTI_SYNTH_LLAMA, "micro", &v, POL_SPARSE, "test"));
    CHECK(s.prove_status == FTI_OK && s.cert);
    CHECK(verify(&s, s.cert) == 1);
    long u = ftic_find_unit(s.base, "model.layers.0.mlp.up_proj.weight");
    CHECK(u >= 0 && s.cert->units[u].sparse_count == 5);
    scen_free(&s);
}

static void test_cert__frozen_identical_model_accepted(void) {
    scen s;
    fti_synth_variant v;
    variant(&v, FTI_VAR_SPARSE); /* with k = ... no: use a bitfit of no biases -> unchanged */
    v.kind = FTI_VAR_FULL;
    v.rel = 0;
    CHECK(scen_make(&s, FTI_SYNTH_MLP, "micro", &v, POL_FROZEN, "test"));
    CHECK(s.prove_status == FTI_OK && s.cert);
    CHECK(verify(&s, s.cert) == 1);
    scen_free(&s);
}

/* The same certificate bytes on every run, with 1 or 2 threads, with codewords released while
 * proving, and with the scalar kernels in place of the AVX-512 ones (where this CPU has them). */
static void test_cert__deterministic_bytes(void) {
    const fti_synth_kind kinds[] = {FTI_VAR_FULL, FTI_VAR_LORA};
    const char *pols[] = {POL_FULL, POL_LORA};
    const fti_synth_arch archs[] = {FTI_SYNTH_MLP, FTI_SYNTH_LLAMA};
    const int threads[] = {2, 1, 2, 1}, simd[] = {1, 1, 0, 0}, release[] = {0, 1, 0, 0};
    int keep = omp_get_max_threads();
    for (int t = 0; t < 2; t++) {
        scen s;
        fti_synth_variant v;
        variant(&v, kinds[t]);
        CHECK(scen_make(&s, archs[t], "micro", &v, pols[t], "test"));
        CHECK(s.cert);
        uint8_t *a;
        size_t na;
        CHECK(fti_cert_serialize(&a, &na, s.cert) == FTI_OK);
        for (int k = 0; k < 4; k++) {
            fti_cert *again = NULL;
            char *ref = NULL;
            omp_set_num_threads(threads[k]);
            fti_simd_enabled = simd[k];
            if (release[k]) ftic_release_bytes = 0; /* codewords given back while the sections are proved */
            fti_status st = fti_cert_prove(&again, &ref, s.base, s.tuned, s.bck, s.tck, s.pol, NULL);
            fti_simd_enabled = 1;
            ftic_release_bytes = FTIC_RELEASE_BYTES;
            omp_set_num_threads(keep);
            uint8_t *b = NULL;
            size_t nb = 0;
            int same = st == FTI_OK && again && fti_cert_serialize(&b, &nb, again) == FTI_OK && na == nb &&
                       !memcmp(a, b, na);
            free(b);
            free(ref);
            fti_cert_free(again);
            CHECK(same);
        }
        free(a);
        scen_free(&s);
    }
}

/* Tensors larger than the tile size are committed as row tiles; a policy on the tensor is
 * judged on its tiles together: norms and changed counts add up exactly, and a rank bound on a
 * tiled tensor is refused as a policy error. */
static void test_cert__tiled_tensors_aggregate(void) {
    scen s;
    fti_synth_variant v;
    const char *targets[] = {"model.layers.0.mlp.up_proj.weight"};
    ftic_tile_vars = 10; /* micro up_proj (176 x 64 -> 256 x 64 = 2^14) becomes 16 tiles */
    variant(&v, FTI_VAR_SPARSE);
    v.targets = targets;
    v.ntargets = 1;
    v.k = 5;
    const char *pol = "{\"fti_policy\": 1, \"rules\": [{\"match\": \"model.layers.0.mlp.up_proj.weight\", \"sparse\": {\"k\": 5},"
                      " \"norm\": {\"rho\": 0.5}}]}";
    int made = scen_make(&s, FTI_SYNTH_LLAMA, "micro", &v, pol, "test");
    ftic_tile_vars = FTIC_TILE_VARS;
    CHECK(made && s.prove_status == FTI_OK && s.cert);
    CHECK(ftic_find_unit(s.base, "model.layers.0.mlp.up_proj.weight#3") >= 0);
    fti_cert_report rep;
    int accept = 0;
    CHECK(fti_cert_verify(&accept, &rep, s.base, s.tuned, s.pol, s.cert, 1) == FTI_OK && accept == 1);
    int found = 0;
    for (size_t u = 0; u < rep.n_units; u++)
        if (!strcmp(rep.unit_names[u], "model.layers.0.mlp.up_proj.weight")) found = strstr(rep.units[u].value, "changed=5") != NULL;
    fti_cert_report_free(&rep);
    CHECK(found);
    /* the tiles' changed counts add up to 5 and each tile certifies its own */
    uint64_t sum = 0;
    for (size_t u = 0; u < s.base->n_units; u++)
        if (!strncmp(s.base->units[u].name, "model.layers.0.mlp.up_proj.weight#", 34)) sum += s.cert->units[u].sparse_count;
    CHECK(sum == 5);
    /* a rank bound on the tiled tensor is a policy error */
    cert_plan plan;
    fti_policy *rp = NULL;
    const char *rpol = "{\"fti_policy\": 1, \"rules\": [{\"match\": \"model.layers.0.mlp.up_proj.weight\", \"rank\": {\"r\": 2}}]}";
    CHECK(fti_policy_parse(&rp, rpol, strlen(rpol), "p") == FTI_OK);
    CHECK(cert_plan_make(&plan, s.base, rp) == FTI_ERR_POLICY && strstr(fti_last_error(), "row tiles"));
    fti_policy_free(rp);
    scen_free(&s);
}

/* ---- the prover refuses ---- */

static void test_cert__refuses_frozen_change(void) {
    scen s;
    fti_synth_variant v;
    variant(&v, FTI_VAR_TAMPER_ENTRY);
    v.tensor = "model.layers.1.mlp.down_proj.weight";
    CHECK(scen_make(&s, FTI_SYNTH_LLAMA, "micro", &v, POL_FROZEN, "test"));
    CHECK(s.prove_status == FTI_OK && !s.cert && s.refusal);
    CHECK(strstr(s.refusal, "model.layers.1.mlp.down_proj.weight: frozen, but 1 entries changed"));
    scen_free(&s);
}

static void test_cert__refuses_rank_above_budget(void) {
    scen s;
    fti_synth_variant v;
    variant(&v, FTI_VAR_TAMPER_RANK);
    v.tensor = "model.layers.0.self_attn.q_proj.weight";
    v.rank = 12;
    v.rel = 0.2;
    CHECK(scen_make(&s, FTI_SYNTH_LLAMA, "micro", &v, POL_LORA, "test"));
    CHECK(s.prove_status == FTI_OK && !s.cert && s.refusal);
    CHECK(strstr(s.refusal, "model.layers.0.self_attn.q_proj.weight: rank"));
    scen_free(&s);
}

static void test_cert__refuses_sparse_k_plus_one(void) {
    scen s;
    fti_synth_variant v;
    const char *targets[] = {"model.layers.0.mlp.up_proj.weight"};
    variant(&v, FTI_VAR_SPARSE);
    v.targets = targets;
    v.ntargets = 1;
    v.k = 6;
    CHECK(scen_make(&s, FTI_SYNTH_LLAMA, "micro", &v, POL_SPARSE, "test"));
    CHECK(s.prove_status == FTI_OK && !s.cert && s.refusal && strstr(s.refusal, "changed=6, allowed changed<=5"));
    scen_free(&s);
}

/* ---- soundness: cheating provers ---- */

typedef struct {
    int mode;
} cheat;

/* Understates what the statement certifies and skips the prover's own check. */
static int cheat_edit(fti_cert *c, void *ctx) {
    cheat *ch = ctx;
    for (size_t u = 0; u < c->n_units; u++) {
        fti_cert_unit *cu = &c->units[u];
        if (ch->mode == 1 && (cu->flags & FTI_REQ_NORM) && cu->d_sums[0]) cu->d_sums[0] -= 1; /* S_aa one less */
        if (ch->mode == 2 && (cu->flags & FTI_REQ_SPARSE) && cu->sparse_count) cu->sparse_count--; /* k list */
        if (ch->mode == 3 && (cu->flags & FTI_REQ_RANK) && cu->rank) cu->rank--; /* forged factors */
        if (ch->mode == 4 && (cu->flags & FTI_REQ_RANK) && cu->residual) cu->r_sums[0] = 0; /* hide the residual */
        if (ch->mode == 5 && (cu->flags & FTI_REQ_NORM)) cu->d_sums[1] = fti_cert_field(-1); /* wrapped sum */
    }
    return 1;
}

static int run_cheat(int mode, fti_synth_kind kind, const char *policy) {
    cheat ch = {mode};
    cert_test_hooks hooks = {cheat_edit, &ch};
    scen s;
    fti_synth_variant v;
    const char *targets[] = {"model.layers.0.mlp.up_proj.weight"};
    variant(&v, kind);
    if (kind == FTI_VAR_SPARSE) {
        v.targets = targets;
        v.ntargets = 1;
        v.k = 5;
    }
    if (kind == FTI_VAR_LORA) v.rank = 8;
    cert_hooks = &hooks;
    int made = scen_make(&s, FTI_SYNTH_LLAMA, "micro", &v, policy, "test");
    cert_hooks = NULL;
    int r = made && s.cert ? verify(&s, s.cert) : -2;
    scen_free(&s);
    return r;
}

static void test_cert__cheat_understated_norm_rejected(void) { CHECK(run_cheat(1, FTI_VAR_FULL, POL_FULL) == 0); }
static void test_cert__cheat_wrapped_norm_sum_rejected(void) { CHECK(run_cheat(5, FTI_VAR_FULL, POL_FULL) == 0); }
static void test_cert__cheat_k_plus_one_with_k_list_rejected(void) { CHECK(run_cheat(2, FTI_VAR_SPARSE, POL_SPARSE) == 0); }
static void test_cert__cheat_rank_plus_one_forged_factors_rejected(void) { CHECK(run_cheat(3, FTI_VAR_LORA, POL_LORA) == 0); }
static void test_cert__cheat_hidden_residual_rejected(void) { CHECK(run_cheat(4, FTI_VAR_LORA, POL_LORA) == 0); }

/* ---- soundness: tampering and replay ---- */

static void test_cert__statistics_edited_rejected(void) {
    scen s;
    fti_synth_variant v;
    variant(&v, FTI_VAR_FULL);
    CHECK(scen_make(&s, FTI_SYNTH_MLP, "micro", &v, POL_FULL, "test"));
    CHECK(s.cert);
    for (size_t u = 0; u < s.cert->n_units; u++) {
        fti_cert_unit *cu = &s.cert->units[u];
        for (int k = 0; k < 3; k++) {
            uint64_t old = cu->d_sums[k];
            cu->d_sums[k] = fe_add(old, 1);
            CHECK(verify(&s, s.cert) == 0);
            cu->d_sums[k] = old;
        }
    }
    CHECK(verify(&s, s.cert) == 1);
    scen_free(&s);
}

static void test_cert__replay_other_pair_policy_base_rejected(void) {
    scen a, b;
    fti_synth_variant v;
    variant(&v, FTI_VAR_FULL);
    CHECK(scen_make(&a, FTI_SYNTH_MLP, "micro", &v, POL_FULL, "test") && a.cert);
    v.seed = 12;
    base_seed = 8; /* another base and its tuned model */
    int made = scen_make(&b, FTI_SYNTH_MLP, "micro", &v, POL_FULL, "test");
    base_seed = 7;
    CHECK(made && b.cert);
    CHECK(verify(&b, a.cert) == 0); /* a's certificate against b's pair */
    ftic *kt = a.tuned; /* another tuned model of a's base: a's base with b's tuned is no pair, */
    a.tuned = b.tuned;  /* and b's tuned names b's base */
    CHECK(verify(&a, a.cert) == 0);
    a.tuned = kt;
    /* another policy (same semantics, different bound) */
    fti_policy *other = NULL;
    const char *p2 = "{\"fti_policy\": 1, \"rules\": [{\"match\": \"*\", \"norm\": {\"rho\": 0.2}}]}";
    CHECK(fti_policy_parse(&other, p2, strlen(p2), "other") == FTI_OK);
    fti_policy *keep = a.pol;
    a.pol = other;
    CHECK(verify(&a, a.cert) == 0);
    a.pol = keep;
    fti_policy_free(other);
    /* another base: a's tuned commitment is in a's base frame only */
    ftic *kb = a.base;
    a.base = b.base;
    CHECK(verify(&a, a.cert) == 0);
    a.base = kb;
    CHECK(verify(&a, a.cert) == 1);
    scen_free(&a);
    scen_free(&b);
}

/* Every byte of a small certificate flipped (and sampled positions of a larger one): rejected
 * or unparsable, never accepted, never a crash. */
static void test_cert__every_byte_flipped(void) {
    scen s;
    fti_synth_variant v;
    variant(&v, FTI_VAR_FULL);
    CHECK(scen_make(&s, FTI_SYNTH_MLP, "micro", &v, POL_FROZEN, "test"));
    fti_cert_free(s.cert);
    s.cert = NULL;
    free(s.refusal);
    s.refusal = NULL;
    /* a small certificate: identical models under a frozen policy */
    fti_ckpt_close(s.tck);
    ftic_free(s.tuned);
    fti_digest bid;
    CHECK(fti_ckpt_open(&s.tck, s.base_path) == FTI_OK && ftic_id(&bid, s.base) == FTI_OK);
    CHECK(ftic_plan_tuned(&s.tuned, s.tck, s.base, &bid) == FTI_OK && ftic_build(s.tuned, s.tck, NULL, 1) == FTI_OK);
    CHECK(fti_cert_prove(&s.cert, &s.refusal, s.base, s.tuned, s.bck, s.tck, s.pol, NULL) == FTI_OK && s.cert);
    uint8_t *b;
    size_t n;
    CHECK(fti_cert_serialize(&b, &n, s.cert) == FTI_OK);
    CHECK(verify_bytes(&s, b, n) == 1);
    size_t step = n > 6000 ? n / 3000 : 1;
    for (size_t i = 0; i < n; i += step) {
        b[i] ^= (uint8_t)(1u << (i % 8));
        CHECK(verify_bytes(&s, b, n) == 0);
        b[i] ^= (uint8_t)(1u << (i % 8));
    }
    for (size_t len = 0; len < n; len += 1 + n / 50) CHECK(verify_bytes(&s, b, len) == 0);
    free(b);
    scen_free(&s);
}

/* >= 2000 sampled byte positions (random value flips) of a certificate with every kind of
 * section: rank with residual and aux commitment, sparse, norm and frozen units. Each is
 * rejected or unparsable, never accepted, never a crash. */
static void test_cert__sampled_bytes_flipped_all_sections(void) {
    static const char *pol =
        "{\"fti_policy\": 1, \"rules\": [{\"match\": \"layers.0.weight\", \"rank\": {\"r\": 4, \"residual\": {\"frobenius\":"
        " {\"relative\": 0.5}}}}, {\"match\": \"layers.1.weight\", \"sparse\": {\"k\": 100000}},"
        " {\"match\": \"layers.2.*\", \"norm\": {\"rho\": 0.5}}, {\"match\": \"*\", \"frozen\": {}}]}";
    scen s;
    fti_synth_variant v;
    static const char *targets[] = {"layers.0.weight", "layers.1.weight", "layers.2.*"};
    variant(&v, FTI_VAR_FULL);
    v.targets = targets;
    v.ntargets = 3;
    v.rel = 0.01;
    CHECK(scen_make(&s, FTI_SYNTH_MLP, "micro", &v, pol, "test"));
    if (s.refusal) fprintf(stderr, "  refused:\n%s", s.refusal);
    CHECK(s.cert && !s.refusal);
    uint8_t *b = NULL;
    size_t n = 0;
    CHECK(s.cert && fti_cert_serialize(&b, &n, s.cert) == FTI_OK);
    CHECK(b && verify_bytes(&s, b, n) == 1);
    size_t flags = 0;
    for (size_t u = 0; s.cert && u < s.cert->n_units; u++) flags |= s.cert->units[u].flags;
    CHECK((flags & FTI_REQ_RANK) && (flags & FTI_REQ_SPARSE) && (flags & FTI_REQ_NORM) && (flags & FTI_REQ_FROZEN));
    size_t accepted = 0;
    for (int k = 0; b && k < 2000; k++) {
        size_t i = test_rand_below(n);
        uint8_t x = (uint8_t)(1 + test_rand_below(255));
        b[i] ^= x;
        int r = verify_bytes(&s, b, n);
        if (r != 0) {
            fprintf(stderr, "  byte %zu ^ %02x: verify gave %d\n", i, x, r);
            accepted++;
        }
        b[i] ^= x;
    }
    CHECK(accepted == 0);
    free(b);
    scen_free(&s);
}

const struct test_case TEST_CASES[] = {
    TEST(test_cert__full_finetune_norm_accepted),
    TEST(test_cert__norm_statistics_exact),
    TEST(test_cert__lora_rank_accepted),
    TEST(test_cert__statistics_agree_with_diff),
    TEST(test_cert__adapter_factors_llama),
    TEST(test_cert__adapter_factors_gpt2_fan_in_fan_out),
    TEST(test_cert__adapter_wrong_factors_refused),
    TEST(test_cert__adapter_above_budget_uses_svd),
    TEST(test_cert__sparse_accepted_with_exact_count),
    TEST(test_cert__frozen_identical_model_accepted),
    TEST(test_cert__deterministic_bytes),
    TEST(test_cert__tiled_tensors_aggregate),
    TEST(test_cert__refuses_frozen_change),
    TEST(test_cert__refuses_rank_above_budget),
    TEST(test_cert__refuses_sparse_k_plus_one),
    TEST(test_cert__cheat_understated_norm_rejected),
    TEST(test_cert__cheat_wrapped_norm_sum_rejected),
    TEST(test_cert__cheat_k_plus_one_with_k_list_rejected),
    TEST(test_cert__cheat_rank_plus_one_forged_factors_rejected),
    TEST(test_cert__cheat_hidden_residual_rejected),
    TEST(test_cert__statistics_edited_rejected),
    TEST(test_cert__replay_other_pair_policy_base_rejected),
    TEST(test_cert__every_byte_flipped),
    TEST(test_cert__sampled_bytes_flipped_all_sections),
    {0}};
