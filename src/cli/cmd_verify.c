/* fti verify --base B.ftic --tuned T.ftic --policy P.json CERT [--json] [--no-commitment-check]
 * Prints per unit the class, bound, certified value and PASS/FAIL, then the verdict with time
 * and certificate size. Exit 0 accept, 1 reject (including a malformed certificate), 2 usage or
 * input error. It reads no weights. */
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cert/certify.h"
#include "cli/cli.h"
#include "cli/progress.h"
#include "util/error.h"

static void verify_usage(FILE *f) {
    fprintf(f, "usage: fti verify --base BASE.ftic --tuned TUNED.ftic --policy POLICY.json CERT [--json]\n"
               "                  [--no-commitment-check]\n");
}

static void print_text(const fti_cert_report *rep, const ftic *base, int accept, double ms, size_t size,
                       const char *reason) {
    if (rep->units) {
        printf("%-48s %-16s %-34s %-40s %s\n", "unit", "class", "bound", "certified", "result");
        for (size_t u = 0; u < rep->n_units; u++) {
            const cert_verdict *v = &rep->units[u];
            printf("%-48s %-16s %-34s %-40s %s\n", rep->unit_names[u] ? rep->unit_names[u] : "?", v->cls, v->bound,
                   v->value, v->pass ? "PASS" : "FAIL");
        }
    }
    if (rep->hash_only_pass) {
        size_t k = 0;
        for (size_t t = 0; t < base->n_tensors; t++) {
            if (base->tensors[t].committed) continue;
            int pass = k < rep->n_hash_only && rep->hash_only_pass[k];
            printf("%-48s %-16s %-34s %-40s %s\n", base->tensors[t].name, "frozen (hash)", "bytes equal",
                   pass ? "equal" : "differ", pass ? "PASS" : "FAIL");
            k++;
        }
        if (!rep->global_pass) printf("global clauses: FAIL: %s\n", rep->global_reason);
    }
    printf("%s: %s (verified in %.1f ms, certificate %.1f kB)\n", accept ? "ACCEPT" : "REJECT",
           accept ? "the tuned model differs from the base only as the policy allows" : reason, ms, size / 1e3);
}

static void print_json(const fti_cert_report *rep, const ftic *base, int accept, double ms, size_t size,
                       const char *reason) {
    json_t *o = json_object(), *units = json_array();
    json_object_set_new(o, "verdict", json_string(accept ? "accept" : "reject"));
    if (!accept) json_object_set_new(o, "reason", json_string(reason));
    json_object_set_new(o, "verify_ms", json_real(ms));
    json_object_set_new(o, "certificate_bytes", json_integer((json_int_t)size));
    json_object_set_new(o, "proofs_ok", json_boolean(rep->proofs_ok));
    for (size_t u = 0; rep->units && u < rep->n_units; u++) {
        const cert_verdict *v = &rep->units[u];
        json_t *j = json_object();
        json_object_set_new(j, "unit", json_string(rep->unit_names[u] ? rep->unit_names[u] : "?"));
        json_object_set_new(j, "class", json_string(v->cls));
        json_object_set_new(j, "bound", json_string(v->bound));
        json_object_set_new(j, "certified", json_string(v->value));
        json_object_set_new(j, "pass", json_boolean(v->pass));
        json_array_append_new(units, j);
    }
    json_object_set_new(o, "units", units);
    json_object_set_new(o, "global_pass", json_boolean(rep->global_pass));
    char *s = json_dumps(o, JSON_INDENT(2) | JSON_REAL_PRECISION(17));
    if (s) puts(s);
    free(s);
    json_decref(o);
}

int cmd_verify(int argc, char **argv) {
    const char *bpath = NULL, *tpath = NULL, *ppath = NULL;
    int json = 0, check = 1, c;
    static const struct option opts[] = {{"base", required_argument, 0, 'b'},  {"tuned", required_argument, 0, 't'},
                                         {"policy", required_argument, 0, 'p'}, {"json", no_argument, 0, 'j'},
                                         {"no-commitment-check", no_argument, 0, 'n'}, {"help", no_argument, 0, 'h'},
                                         {0, 0, 0, 0}};
    optind = 1;
    while ((c = getopt_long(argc, argv, "b:t:p:jh", opts, NULL)) != -1) {
        switch (c) {
        case 'b': bpath = optarg; break;
        case 't': tpath = optarg; break;
        case 'p': ppath = optarg; break;
        case 'j': json = 1; break;
        case 'n': check = 0; break;
        case 'h': verify_usage(stdout); return 0;
        default: verify_usage(stderr); return 2;
        }
    }
    if (optind != argc - 1 || !bpath || !tpath || !ppath) {
        verify_usage(stderr);
        return 2;
    }
    ftic *base = NULL, *tuned = NULL;
    fti_policy *pol = NULL;
    fti_cert *cert = NULL;
    fti_cert_report rep;
    int accept = 0, rc = 2;
    memset(&rep, 0, sizeof rep);
    if (ftic_read_file(&base, bpath) != FTI_OK || ftic_read_file(&tuned, tpath) != FTI_OK ||
        fti_policy_load(&pol, ppath) != FTI_OK)
        goto out;
    double t0 = cli_now();
    fti_status st = fti_cert_read_file(&cert, argv[optind]);
    if (st == FTI_ERR_IO || st == FTI_ERR_NOMEM) goto out;
    char reason[300];
    if (st != FTI_OK) { /* a malformed certificate is a reject, not an input error */
        snprintf(reason, sizeof reason, "%s", fti_last_error());
    } else {
        if (fti_cert_verify(&accept, &rep, base, tuned, pol, cert, check) != FTI_OK) goto out;
        snprintf(reason, sizeof reason, "%s", rep.reject_reason[0] ? rep.reject_reason : "a bound or clause is violated");
    }
    double ms = (cli_now() - t0) * 1e3;
    size_t size = cert ? fti_cert_size(cert) : 0;
    if (json) print_json(&rep, base, accept, ms, size, reason);
    else print_text(&rep, base, accept, ms, size, reason);
    rc = accept ? 0 : 1;
out:
    if (rc == 2) fprintf(stderr, "fti: error: %s\n", fti_last_error());
    fti_cert_report_free(&rep);
    fti_cert_free(cert);
    fti_policy_free(pol);
    ftic_free(base);
    ftic_free(tuned);
    return rc;
}
