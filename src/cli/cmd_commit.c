/* fti commit MODEL -o OUT.ftic [--params NAME] [--quiet]
 * fti commit --base BASE.ftic TUNED -o OUT.ftic [--quiet] */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/progress.h"
#include "commit/commit.h"
#include "util/error.h"

static void commit_usage(FILE *f) {
    fprintf(f,
            "usage: fti commit MODEL -o OUT.ftic [--params proven|conjectured] [--quiet]\n"
            "       fti commit --base BASE.ftic TUNED -o OUT.ftic [--quiet]\n"
            "MODEL is a .safetensors file, a sharded checkpoint's index, or a directory holding one.\n");
}

int cmd_commit(int argc, char **argv) {
    const char *out = NULL, *base_path = NULL, *params = "proven";
    int quiet = 0;
    static const struct option opts[] = {{"output", required_argument, 0, 'o'}, {"base", required_argument, 0, 'b'},
                                         {"params", required_argument, 0, 'p'}, {"quiet", no_argument, 0, 'q'},
                                         {"help", no_argument, 0, 'h'},         {0, 0, 0, 0}};
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "o:b:p:qh", opts, NULL)) != -1) {
        switch (c) {
        case 'o': out = optarg; break;
        case 'b': base_path = optarg; break;
        case 'p': params = optarg; break;
        case 'q': quiet = 1; break;
        case 'h': commit_usage(stdout); return 0;
        default: commit_usage(stderr); return 2;
        }
    }
    if (optind != argc - 1 || !out) {
        commit_usage(stderr);
        return 2;
    }
    const char *model = argv[optind];
    const fti_pcs_params *pp = fti_pcs_params_get(params);
    if (!pp || !strcmp(params, "test")) {
        fprintf(stderr, "fti: error: unknown parameter set '%s' (proven or conjectured)\n", params);
        return 2;
    }
    double t0 = cli_now();
    fti_ckpt *ck = NULL;
    ftic *base = NULL, *com = NULL;
    fti_digest base_id, id;
    fti_status st;
    int rc = 2;
    if ((st = fti_ckpt_open(&ck, model)) != FTI_OK) goto out;
    if (base_path) {
        if ((st = ftic_read_file(&base, base_path)) != FTI_OK) goto out;
        if ((st = ftic_id(&base_id, base)) != FTI_OK) goto out;
        if ((st = ftic_plan_tuned(&com, ck, base, &base_id)) != FTI_OK) goto out;
    } else {
        if ((st = ftic_plan_base(&com, ck, pp)) != FTI_OK) goto out;
    }
    cli_progress prog;
    cli_progress_init(&prog, "commit", quiet);
    fti_progress cb = {cli_progress_report, &prog};
    st = ftic_build(com, ck, &cb, 1);
    cli_progress_done(&prog);
    if (st != FTI_OK) goto out;
    if ((st = ftic_write_file(com, out)) != FTI_OK) goto out;
    if ((st = ftic_id(&id, com)) != FTI_OK) goto out;
    char hex[65];
    fti_digest_hex(hex, &id);
    size_t committed = 0;
    for (size_t i = 0; i < com->n_tensors; i++) committed += com->tensors[i].committed;
    if (!quiet) {
        for (size_t i = 0; i < com->n_tensors; i++)
            if (!com->tensors[i].committed)
                fprintf(stderr, "fti: note: tensor %s (%s) is bound by its SHA-256 only: fti cannot encode its dtype or it is empty\n",
                        com->tensors[i].name, fti_dtype_name(com->tensors[i].dtype));
        printf("%s: %zu tensors (%zu committed, %zu units in %zu blocks)\n", model, com->n_tensors, committed,
               com->n_units, com->n_blocks);
        if (!strcmp(com->pp->name, "proven"))
            printf("parameters: proven, %.1f bits of security\n", fti_pcs_security_bits(com->pp));
        else
            printf("parameters: %s, %.1f bits if its conjecture holds (%.1f bits proven; see SECURITY.md)\n",
                   com->pp->name, fti_pcs_security_bits(com->pp), fti_pcs_proven_bits(com->pp));
        printf("commitment %s -> %s (%.2f s)\n", hex, out, cli_now() - t0);
    }
    rc = 0;
out:
    if (rc != 0) fprintf(stderr, "fti: error: %s\n", fti_last_error());
    ftic_free(com);
    ftic_free(base);
    fti_ckpt_close(ck);
    return rc;
}
