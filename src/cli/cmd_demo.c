/* fti demo: the embedded default. With no download it builds a small Llama-shaped base (4
 * layers, BF16) and four fine-tunes of it, commits to all of them, and for each proves and
 * verifies a certificate against a matching policy: a LoRA update merged into BF16 (its PEFT
 * adapter written beside it and given to the prover for the rank factors), a sparse
 * edit, a bounded full fine-tune, and a tampered model (one frozen tensor changed) that the
 * prover refuses. A forged certificate (another model's, and one with an edited statistic) is
 * rejected. Timings and sizes are printed. Files go to a temporary directory (--keep DIR keeps
 * them in DIR). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cert/certify.h"
#include "cli/cli.h"
#include "cli/progress.h"
#include "commit/commit.h"
#include "fti/fti.h"
#include "synth/synth.h"
#include "util/error.h"

int cli_error(void) {
    fprintf(stderr, "fti: error: %s\n", fti_last_error());
    return 2;
}

typedef struct {
    const char *name, *what, *policy;
    fti_synth_kind kind;
    int expect_accept;
} demo_case;

static const char POL_LORA[] =
    "{\"fti_policy\": 1, \"description\": \"LoRA rank 8 on attention, residual up to BF16 rounding\", \"rules\": ["
    "{\"match\": \"model.layers.*.self_attn.[qkvo]_proj.weight\", \"rank\": {\"r\": 8, \"residual\": {\"frobenius\": {\"relative\": 0.0078125}}}}]}";
static const char POL_SPARSE[] = "{\"fti_policy\": 1, \"rules\": [{\"match\": \"model.layers.2.mlp.down_proj.weight\", \"sparse\": {\"k\": 32}}]}";
static const char POL_FULL[] = "{\"fti_policy\": 1, \"rules\": [{\"match\": \"*\", \"norm\": {\"rho\": 0.05}}]}";
static const char POL_FROZEN_ATTN[] =
    "{\"fti_policy\": 1, \"rules\": [{\"match\": \"model.layers.*.mlp.*\", \"norm\": {\"rho\": 0.05}}]}";

static int write_text(const char *path, const char *text) {
    FILE *f = fopen(path, "w");
    if (!f) return 0;
    fputs(text, f);
    return fclose(f) == 0;
}

static fti_status commit_model(ftic **out, const char *ckpt, const ftic *base, const char *file, double *secs) {
    double t0 = cli_now();
    fti_ckpt *ck = NULL;
    fti_digest bid;
    fti_status st = fti_ckpt_open(&ck, ckpt);
    if (st == FTI_OK) {
        if (base) {
            if ((st = ftic_id(&bid, base)) == FTI_OK) st = ftic_plan_tuned(out, ck, base, &bid);
        } else {
            st = ftic_plan_base(out, ck, fti_pcs_params_get("proven"));
        }
    }
    if (st == FTI_OK) st = ftic_build(*out, ck, NULL, 1);
    if (st == FTI_OK) st = ftic_write_file(*out, file);
    fti_ckpt_close(ck);
    *secs = cli_now() - t0;
    return st;
}

static size_t file_size(const char *path) {
    struct stat sb;
    return stat(path, &sb) == 0 ? (size_t)sb.st_size : 0;
}

typedef struct {
    char dir[512];
    char base_ckpt[600], base_ftic[600];
    ftic *base;
    fti_cert *lora_cert; /* kept for the forgery checks */
    ftic *lora_tuned;
    fti_policy *lora_pol;
} demo_state;

static void variant_for(fti_synth_variant *v, fti_synth_kind kind) {
    fti_synth_variant_init(v, kind);
    v->seed = 2026;
    static const char *down[] = {"model.layers.2.mlp.down_proj.weight"};
    if (kind == FTI_VAR_SPARSE) {
        v->targets = down;
        v->ntargets = 1;
        v->k = 32;
    }
    if (kind == FTI_VAR_FULL) v->rel = 0.02;
    if (kind == FTI_VAR_TAMPER_ENTRY) v->tensor = "model.layers.1.self_attn.v_proj.weight";
}

static int run_case(demo_state *s, const demo_case *c) {
    char ckpt[600], ftic_path[600], pol_path[600], cert_path[600], adapter[600];
    snprintf(ckpt, sizeof ckpt, "%s/%s.safetensors", s->dir, c->name);
    snprintf(ftic_path, sizeof ftic_path, "%s/%s.ftic", s->dir, c->name);
    snprintf(pol_path, sizeof pol_path, "%s/%s.policy.json", s->dir, c->name);
    snprintf(cert_path, sizeof cert_path, "%s/%s.ftcert", s->dir, c->name);
    snprintf(adapter, sizeof adapter, "%s/%s-adapter", s->dir, c->name);
    fti_synth_variant v;
    fti_synth_stats stats;
    variant_for(&v, c->kind);
    if (c->kind == FTI_VAR_LORA) v.adapter_out = adapter;
    fti_ckpt *bck = NULL, *tck = NULL;
    fti_lora *lora = NULL;
    ftic *tuned = NULL;
    fti_policy *pol = NULL;
    fti_cert *cert = NULL;
    char *refusal = NULL;
    double t_commit, t0;
    int ok = 0;
    if (fti_synth_variant_write(&stats, ckpt, s->base_ckpt, &v) != FTI_OK || !write_text(pol_path, c->policy) ||
        fti_policy_load(&pol, pol_path) != FTI_OK || commit_model(&tuned, ckpt, s->base, ftic_path, &t_commit) != FTI_OK ||
        fti_ckpt_open(&bck, s->base_ckpt) != FTI_OK || fti_ckpt_open(&tck, ckpt) != FTI_OK)
        goto out;
    if (v.adapter_out && (fti_lora_open(&lora, adapter) != FTI_OK || fti_lora_check_base(lora, bck) != FTI_OK)) goto out;
    printf("\n== %s: %s\n", c->name, c->what);
    printf("   %llu entries changed in %zu tensors (relative change %.4f); committed in %.2f s\n",
           (unsigned long long)stats.entries, stats.changed, stats.rel, t_commit);
    t0 = cli_now();
    fti_cert_prove_opts opts = {NULL, lora, 0, 0};
    if (fti_cert_prove_with(&cert, &refusal, s->base, tuned, bck, tck, pol, &opts) != FTI_OK) goto out;
    double t_prove = cli_now() - t0;
    if (lora) printf("   rank factors of %zu tensors taken from the PEFT adapter %s\n", opts.adapter_units, adapter);
    if (refusal) {
        printf("   prove: REFUSED in %.2f s (no certificate written):\n", t_prove);
        for (char *l = strtok(refusal, "\n"); l; l = strtok(NULL, "\n")) printf("     %s\n", l);
        ok = !c->expect_accept;
        goto out;
    }
    if (fti_cert_write_file(cert, cert_path) != FTI_OK) goto out;
    int accept = 0;
    fti_cert_report rep;
    t0 = cli_now();
    if (fti_cert_verify(&accept, &rep, s->base, tuned, pol, cert, 1) != FTI_OK) goto out;
    double t_verify = cli_now() - t0;
    size_t changed_units = 0;
    for (size_t u = 0; u < rep.n_units; u++) changed_units += strcmp(rep.units[u].cls, "frozen") != 0;
    printf("   prove: %.2f s, certificate %.1f kB; verify: %s in %.1f ms (%zu units, %zu not frozen)\n", t_prove,
           file_size(cert_path) / 1e3, accept ? "ACCEPT" : "REJECT", t_verify * 1e3, rep.n_units, changed_units);
    for (size_t u = 0, shown = 0; u < rep.n_units && shown < 4; u++)
        if (strcmp(rep.units[u].cls, "frozen")) {
            printf("     %-40s %-6s %-36s %s\n", rep.unit_names[u], rep.units[u].cls, rep.units[u].value,
                   rep.units[u].pass ? "PASS" : "FAIL");
            shown++;
        }
    fti_cert_report_free(&rep);
    ok = accept == c->expect_accept;
    if (c->kind == FTI_VAR_LORA) { /* keep for the forgeries */
        s->lora_cert = cert;
        s->lora_tuned = tuned;
        s->lora_pol = pol;
        cert = NULL;
        tuned = NULL;
        pol = NULL;
    }
out:
    free(refusal);
    fti_cert_free(cert);
    ftic_free(tuned);
    fti_policy_free(pol);
    fti_lora_close(lora);
    fti_ckpt_close(bck);
    fti_ckpt_close(tck);
    return ok;
}

/* Two forgeries: the LoRA certificate presented for another tuned model, and with a statistic
 * edited. Both must be rejected. */
static int forgeries(demo_state *s) {
    char path[600];
    ftic *other = NULL;
    int rejected = 0, accept = 1;
    fti_cert_report rep;
    snprintf(path, sizeof path, "%s/full.ftic", s->dir);
    printf("\n== forged certificates\n");
    if (ftic_read_file(&other, path) == FTI_OK &&
        fti_cert_verify(&accept, &rep, s->base, other, s->lora_pol, s->lora_cert, 0) == FTI_OK) {
        printf("   the LoRA certificate presented for the full fine-tune: %s (%s)\n", accept ? "ACCEPT" : "REJECT",
               rep.reject_reason);
        rejected += !accept;
        fti_cert_report_free(&rep);
    }
    ftic_free(other);
    for (size_t u = 0; u < s->lora_cert->n_units; u++)
        if (s->lora_cert->units[u].flags & FTI_REQ_RANK) {
            s->lora_cert->units[u].rank = s->lora_cert->units[u].rank ? s->lora_cert->units[u].rank - 1 : 0;
            break;
        }
    accept = 1;
    if (fti_cert_verify(&accept, &rep, s->base, s->lora_tuned, s->lora_pol, s->lora_cert, 0) == FTI_OK) {
        printf("   the LoRA certificate claiming one rank less: %s (%s)\n", accept ? "ACCEPT" : "REJECT", rep.reject_reason);
        rejected += !accept;
        fti_cert_report_free(&rep);
    }
    return rejected == 2;
}

int cmd_demo(int argc, char **argv) {
    demo_state s;
    memset(&s, 0, sizeof s);
    const char *keep = argc == 3 && !strcmp(argv[1], "--keep") ? argv[2] : NULL;
    if (argc > 1 && !keep) {
        fprintf(stderr, "usage: fti demo [--keep DIR]\n");
        return 2;
    }
    if (keep) {
        snprintf(s.dir, sizeof s.dir, "%s", keep);
        mkdir(s.dir, 0755);
    } else {
        snprintf(s.dir, sizeof s.dir, "/tmp/fti-demo-XXXXXX");
        if (!mkdtemp(s.dir)) {
            perror("fti demo: mkdtemp");
            return 2;
        }
    }
    printf("fti %s demo: fine-tuning integrity certificates on a small Llama-shaped model\n", fti_version());
    fti_synth_config cfg = {.arch = FTI_SYNTH_LLAMA, .hidden = 128, .intermediate = 344, .layers = 4, .heads = 4,
                            .kv_heads = 2, .vocab = 512};
    fti_synth_output o = {FTI_DT_BF16, 1, 0, 0};
    double t_commit;
    int rc = 2;
    snprintf(s.base_ckpt, sizeof s.base_ckpt, "%s/base.safetensors", s.dir);
    snprintf(s.base_ftic, sizeof s.base_ftic, "%s/base.ftic", s.dir);
    if (fti_synth_model_write(s.base_ckpt, &cfg, &o) != FTI_OK || commit_model(&s.base, s.base_ckpt, NULL, s.base_ftic, &t_commit) != FTI_OK) {
        rc = cli_error();
        goto out;
    }
    fti_digest id;
    char hex[65];
    if (ftic_id(&id, s.base) != FTI_OK) goto out;
    fti_digest_hex(hex, &id);
    printf("base: %llu parameters (BF16, %zu tensors, %zu blocks), committed in %.2f s, %.1f kB, id %.16s...\n",
           (unsigned long long)fti_synth_param_count(&cfg), s.base->n_tensors, s.base->n_blocks, t_commit,
           file_size(s.base_ftic) / 1e3, hex);
    const demo_case cases[] = {
        {"lora", "LoRA rank 8 on q/k/v/o merged into BF16; policy: rank <= 8 + BF16-sized residual, rest frozen", POL_LORA,
         FTI_VAR_LORA, 1},
        {"sparse", "32 entries of one MLP matrix edited; policy: that matrix 32-sparse, rest frozen", POL_SPARSE,
         FTI_VAR_SPARSE, 1},
        {"full", "every tensor changed by 2% (bounded full fine-tune); policy: ||D|| <= 0.05 ||W|| everywhere", POL_FULL,
         FTI_VAR_FULL, 1},
        {"tampered", "one entry of a frozen attention matrix changed; policy: MLPs bounded, attention frozen",
         POL_FROZEN_ATTN, FTI_VAR_TAMPER_ENTRY, 0},
    };
    int all = 1;
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        if (!run_case(&s, &cases[k])) {
            all = 0;
            if (fti_last_error()[0]) fprintf(stderr, "fti: error: %s\n", fti_last_error());
        }
    }
    all = all && s.lora_cert && forgeries(&s);
    printf("\n%s%s%s\n", all ? "demo: every outcome as expected" : "demo: UNEXPECTED OUTCOME", keep ? "; files in " : "", keep ? s.dir : "");
    rc = all ? 0 : 1;
out:
    if (!keep && s.dir[0]) {
        char cmd[600];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", s.dir);
        if (system(cmd) != 0) fprintf(stderr, "fti demo: could not remove %s\n", s.dir);
    }
    fti_cert_free(s.lora_cert);
    ftic_free(s.lora_tuned);
    fti_policy_free(s.lora_pol);
    ftic_free(s.base);
    return rc;
}
