/* fti policy init --preset NAME [--rank R] [--residual X] [--layers N] [--rho X] MODEL [-o OUT]
 * fti policy check POLICY MODEL     (resolve and print each unit's requirement)
 * fti policy hash POLICY            (the canonical hash bound into certificates)
 * MODEL is a checkpoint or a commitment (.ftic); units are the commitment's (fused GPT-2 c_attn
 * split into :q :k :v). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cert/cert_policy.h"
#include "cli/cli.h"
#include "commit/commit.h"
#include "policy/arch.h"
#include "util/error.h"

static void policy_usage(FILE *f) {
    fprintf(f, "usage: fti policy init --preset lora|bitfit|norms-only|last-layers|full-bounded [--rank R]\n"
               "                       [--residual X] [--layers N] [--rho X] MODEL [-o OUT.json]\n"
               "       fti policy check POLICY.json MODEL\n"
               "       fti policy hash POLICY.json\n"
               "MODEL is a checkpoint (file, directory or index) or a commitment (.ftic).\n");
}

/* The units of a model: from a commitment file, or planned from a checkpoint. */
static fti_status model_units(ftic **out, const char *path) {
    FILE *f = fopen(path, "rb");
    char magic[4] = {0};
    if (f) {
        size_t got = fread(magic, 1, 4, f);
        fclose(f);
        if (got == 4 && !memcmp(magic, FTIC_MAGIC, 4)) return ftic_read_file(out, path);
    }
    fti_ckpt *ck = NULL;
    fti_status st = fti_ckpt_open(&ck, path);
    if (st == FTI_OK) st = ftic_plan_base(out, ck, fti_pcs_params_get("proven"));
    fti_ckpt_close(ck);
    return st;
}

/* One policy unit per tensor or slice (the tiles of a large tensor collapse into it, rows added
 * up); names are kept in *names (free each, then the array). */
static fti_policy_unit *policy_units(const ftic *c, size_t *n, char ***names) {
    fti_policy_unit *u = calloc(c->n_units + 1, sizeof *u);
    char **nm = calloc(c->n_units + 1, sizeof *nm), buf[FTIC_MAX_NAME];
    size_t k = 0;
    if (!u || !nm) {
        free(u);
        free(nm);
        return NULL;
    }
    for (size_t i = 0; i < c->n_units; i++) {
        ftic_unit_policy_name(buf, sizeof buf, &c->units[i]);
        size_t j;
        for (j = 0; j < k && strcmp(nm[j], buf); j++) {
        }
        if (j < k) {
            u[j].rows += c->units[i].rows;
            continue;
        }
        const ftic_tensor *t = &c->tensors[c->units[i].tensor];
        nm[k] = strdup(buf);
        u[k] = (fti_policy_unit){nm[k], t->name, c->units[i].rows, c->units[i].cols, t->ndim, FTI_ROLE_UNKNOWN,
                                 fti_dtype_name(t->dtype)};
        k++;
    }
    *n = k;
    *names = nm;
    return u;
}

static void free_names(char **names, size_t n) {
    if (!names) return;
    for (size_t i = 0; i < n; i++) free(names[i]);
    free(names);
}

static int policy_init(int argc, char **argv) {
    const char *preset = NULL, *out = NULL;
    double rho = -1, residual = -2;
    long long rank = -1, layers = -1;
    static const struct option opts[] = {{"preset", required_argument, 0, 'P'}, {"rank", required_argument, 0, 'r'},
                                         {"residual", required_argument, 0, 'R'}, {"layers", required_argument, 0, 'l'},
                                         {"rho", required_argument, 0, 'x'},      {"output", required_argument, 0, 'o'},
                                         {0, 0, 0, 0}};
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "o:", opts, NULL)) != -1) {
        switch (c) {
        case 'P': preset = optarg; break;
        case 'r': rank = atoll(optarg); break;
        case 'R': residual = atof(optarg); break;
        case 'l': layers = atoll(optarg); break;
        case 'x': rho = atof(optarg); break;
        case 'o': out = optarg; break;
        default: policy_usage(stderr); return 2;
        }
    }
    if (!preset || optind != argc - 1) {
        policy_usage(stderr);
        return 2;
    }
    fti_preset_params pp;
    ftic *m = NULL;
    fti_policy *pol = NULL;
    fti_arch arch;
    char *json = NULL, **names = NULL;
    size_t n = 0;
    fti_policy_unit *units = NULL;
    int rc = 2;
    if (fti_preset_defaults(&pp, preset) != FTI_OK) goto out;
    if (rank > 0) pp.rank = (uint64_t)rank;
    if (layers > 0) pp.layers = (uint64_t)layers;
    if (rho >= 0) pp.rho = rho;
    if (residual >= -1) pp.residual_rho = residual;
    if (model_units(&m, argv[optind]) != FTI_OK) goto out;
    if (!(units = policy_units(m, &n, &names))) goto out;
    if (fti_policy_preset(&pol, &arch, &pp, units, n) != FTI_OK) goto out;
    if (fti_policy_to_json(&json, pol) != FTI_OK) goto out;
    FILE *f = out ? fopen(out, "w") : stdout;
    if (!f) {
        fti_fail(FTI_ERR_IO, "%s: cannot create file", out);
        goto out;
    }
    fprintf(f, "%s\n", json);
    if (out) fclose(f);
    if (out) fprintf(stderr, "wrote %s policy for a %s model (%zu units) to %s\n", preset, fti_arch_name(arch), n, out);
    rc = 0;
out:
    if (rc) fprintf(stderr, "fti: error: %s\n", fti_last_error());
    free(json);
    free(units);
    free_names(names, n);
    fti_policy_free(pol);
    ftic_free(m);
    return rc;
}

static int policy_check(int argc, char **argv) {
    if (argc != 3) {
        policy_usage(stderr);
        return 2;
    }
    fti_policy *pol = NULL;
    ftic *m = NULL;
    cert_plan plan;
    memset(&plan, 0, sizeof plan);
    if (fti_policy_load(&pol, argv[1]) != FTI_OK || model_units(&m, argv[2]) != FTI_OK ||
        cert_plan_make(&plan, m, pol) != FTI_OK) {
        fti_policy_free(pol);
        ftic_free(m);
        return cli_error();
    }
    for (size_t w = 0; w < plan.res->n_warnings; w++) fprintf(stderr, "note: %s\n", plan.res->warnings[w]);
    for (size_t pu = 0; pu < plan.n_punits; pu++) {
        char d[160];
        fti_requirement_describe(d, sizeof d, &plan.req[pu]);
        printf("%-56s %s%s\n", plan.punit_names[pu], d, pu >= plan.n_committed_punits ? " (by hash)" : "");
    }
    cert_plan_free(&plan);
    fti_policy_free(pol);
    ftic_free(m);
    return 0;
}

static int policy_hash(int argc, char **argv) {
    fti_policy *pol = NULL;
    fti_digest h;
    char hex[65];
    if (argc != 2) {
        policy_usage(stderr);
        return 2;
    }
    if (fti_policy_load(&pol, argv[1]) != FTI_OK || fti_policy_hash(&h, pol) != FTI_OK) {
        fti_policy_free(pol);
        return cli_error();
    }
    fti_digest_hex(hex, &h);
    printf("%s\n", hex);
    fti_policy_free(pol);
    return 0;
}

int cmd_policy(int argc, char **argv) {
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
        policy_usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    if (!strcmp(argv[1], "init")) return policy_init(argc - 1, argv + 1);
    if (!strcmp(argv[1], "check")) return policy_check(argc - 1, argv + 1);
    if (!strcmp(argv[1], "hash")) return policy_hash(argc - 1, argv + 1);
    fprintf(stderr, "fti: unknown policy command '%s'\n", argv[1]);
    policy_usage(stderr);
    return 2;
}
