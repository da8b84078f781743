/* fti prove --base BASE --tuned TUNED --policy P.json -o CERT
 *           [--base-commitment B.ftic] [--tuned-commitment T.ftic] [--adapter DIR]
 *           [--params NAME] [--quiet]
 * BASE and TUNED are checkpoints (files, directories or index files). With --adapter (a PEFT
 * LoRA directory, checked against BASE), rank units take their factors from the adapter. Without the commitment
 * files, both commitments' statements are recomputed first (roots only). Exit 0 with a
 * certificate; 1 when the update does not fit the policy (each violation listed, nothing
 * written); 2 on usage or input errors. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cert/certify.h"
#include "cli/cli.h"
#include "cli/progress.h"
#include "util/error.h"

static void prove_usage(FILE *f) {
    fprintf(f, "usage: fti prove --base BASE --tuned TUNED --policy POLICY.json -o CERT\n"
               "                 [--base-commitment BASE.ftic] [--tuned-commitment TUNED.ftic]\n"
               "                 [--adapter LORA_DIR] [--params proven|conjectured] [--quiet]\n");
}

typedef struct {
    const char *base, *tuned, *policy, *out, *base_c, *tuned_c, *params, *adapter;
    int quiet;
} prove_args;

static int parse_prove_args(prove_args *a, int argc, char **argv) {
    static const struct option opts[] = {
        {"base", required_argument, 0, 'b'},   {"tuned", required_argument, 0, 't'},
        {"policy", required_argument, 0, 'p'}, {"output", required_argument, 0, 'o'},
        {"base-commitment", required_argument, 0, 'B'}, {"tuned-commitment", required_argument, 0, 'T'},
        {"params", required_argument, 0, 'P'}, {"quiet", no_argument, 0, 'q'},
        {"adapter", required_argument, 0, 'A'},
        {"help", no_argument, 0, 'h'},         {0, 0, 0, 0}};
    int c;
    memset(a, 0, sizeof *a);
    a->params = "proven";
    optind = 1;
    while ((c = getopt_long(argc, argv, "b:t:p:o:qh", opts, NULL)) != -1) {
        switch (c) {
        case 'b': a->base = optarg; break;
        case 't': a->tuned = optarg; break;
        case 'p': a->policy = optarg; break;
        case 'o': a->out = optarg; break;
        case 'B': a->base_c = optarg; break;
        case 'T': a->tuned_c = optarg; break;
        case 'P': a->params = optarg; break;
        case 'A': a->adapter = optarg; break;
        case 'q': a->quiet = 1; break;
        case 'h': prove_usage(stdout); exit(0);
        default: return 0;
        }
    }
    return optind == argc && a->base && a->tuned && a->policy && a->out;
}

/* The base and tuned statements: from files, or recomputed (roots only). */
static fti_status statements(ftic **base, ftic **tuned, const prove_args *a, const fti_ckpt *bck,
                             const fti_ckpt *tck) {
    fti_status st;
    fti_digest bid;
    const fti_pcs_params *pp = fti_pcs_params_get(a->params);
    if (!pp || !strcmp(a->params, "test")) return fti_fail(FTI_ERR_ARG, "unknown parameter set '%s'", a->params);
    cli_progress prog;
    cli_progress_init(&prog, "commit", a->quiet);
    fti_progress cb = {cli_progress_report, &prog};
    if (a->base_c) st = ftic_read_file(base, a->base_c);
    else if ((st = ftic_plan_base(base, bck, pp)) == FTI_OK) st = ftic_build(*base, bck, &cb, 0);
    if (st != FTI_OK) return st;
    if ((st = ftic_id(&bid, *base)) != FTI_OK) return st;
    if (a->tuned_c) st = ftic_read_file(tuned, a->tuned_c);
    else if ((st = ftic_plan_tuned(tuned, tck, *base, &bid)) == FTI_OK) st = ftic_build(*tuned, tck, &cb, 0);
    cli_progress_done(&prog);
    return st;
}

int cmd_prove(int argc, char **argv) {
    prove_args a;
    if (!parse_prove_args(&a, argc, argv)) {
        prove_usage(stderr);
        return 2;
    }
    double t0 = cli_now();
    fti_ckpt *bck = NULL, *tck = NULL;
    ftic *base = NULL, *tuned = NULL;
    fti_policy *pol = NULL;
    fti_lora *lora = NULL;
    fti_cert *cert = NULL;
    char *refusal = NULL;
    int rc = 2;
    fti_status st;
    if ((st = fti_policy_load(&pol, a.policy)) != FTI_OK) goto out;
    if ((st = fti_ckpt_open(&bck, a.base)) != FTI_OK) goto out;
    if ((st = fti_ckpt_open(&tck, a.tuned)) != FTI_OK) goto out;
    if (a.adapter && ((st = fti_lora_open(&lora, a.adapter)) != FTI_OK || (st = fti_lora_check_base(lora, bck)) != FTI_OK))
        goto out;
    if ((st = statements(&base, &tuned, &a, bck, tck)) != FTI_OK) goto out;
    cli_progress prog;
    cli_progress_init(&prog, "prove", a.quiet);
    fti_progress cb = {cli_progress_report, &prog};
    fti_cert_prove_opts opts = {&cb, lora, 0, 0};
    st = fti_cert_prove_with(&cert, &refusal, base, tuned, bck, tck, pol, &opts);
    cli_progress_done(&prog);
    if (st != FTI_OK) goto out;
    if (refusal) {
        fprintf(stderr, "fti: refusing to prove: the update does not fit the policy %s:\n", a.policy);
        for (char *line = strtok(refusal, "\n"); line; line = strtok(NULL, "\n")) fprintf(stderr, "  %s\n", line);
        rc = 1;
        goto out;
    }
    if ((st = fti_cert_write_file(cert, a.out)) != FTI_OK) goto out;
    if (!a.quiet && lora)
        printf("rank factors: %zu units from adapter %s, %zu by SVD\n", opts.adapter_units, a.adapter,
               opts.svd_units);
    if (!a.quiet)
        printf("certificate -> %s: %zu units in %zu blocks, %.1f kB, %.2f s\n", a.out, cert->n_units, cert->n_blocks,
               fti_cert_size(cert) / 1e3, cli_now() - t0);
    rc = 0;
out:
    if (rc == 2) fprintf(stderr, "fti: error: %s\n", fti_last_error());
    free(refusal);
    fti_cert_free(cert);
    ftic_free(base);
    ftic_free(tuned);
    fti_policy_free(pol);
    fti_lora_close(lora);
    fti_ckpt_close(bck);
    fti_ckpt_close(tck);
    return rc;
}
