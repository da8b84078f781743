/* fti inspect FILE [--json] [--check]: a commitment (or, later, a certificate) for humans or
 * machines; --check verifies its proofs and internal consistency (exit 1 if they fail). */
#include <getopt.h>
#include <jansson.h>
#include <math.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/progress.h"
#include "commit/commit.h"
#include "util/error.h"

static void u128_str(char *out, size_t cap, unsigned __int128 v) {
    char tmp[48];
    int n = 0;
    do {
        tmp[n++] = (char)('0' + (int)(v % 10));
        v /= 10;
    } while (v && n < 47);
    size_t k = 0;
    while (n > 0 && k + 1 < cap) out[k++] = tmp[--n];
    out[k] = 0;
}

/* ||W||_F in real units from the exact sum of squares of the integers and the quantum. */
static double unit_norm(const ftic_unit *u) {
    return (double)sqrtl((long double)ftic_unit_sum_sq(u)) * ldexp(1.0, u->quantum);
}

static void shape_text(char *out, size_t cap, const ftic_tensor *t) {
    size_t at = (size_t)snprintf(out, cap, "[");
    for (unsigned d = 0; d < t->ndim && at < cap; d++)
        at += (size_t)snprintf(out + at, cap - at, d ? ",%llu" : "%llu", (unsigned long long)t->shape[d]);
    if (at < cap) snprintf(out + at, cap - at, "]");
}

static void print_commitment_text(const ftic *c, const char *idhex) {
    char hex[65];
    printf("fti commitment (version %u)\n", FTIC_VERSION);
    printf("  id:          %s\n", idhex);
    printf("  kind:        %s\n", c->kind == FTIC_BASE ? "base" : "tuned");
    if (c->kind == FTIC_TUNED) {
        fti_digest_hex(hex, &c->base_id);
        printf("  base:        %s\n", hex);
    }
    printf("  parameters:  %s (%u queries, rate 1/%u, %s): %.1f bits", c->pp->name, c->pp->n_queries,
           1u << c->pp->log_blowup, c->pp->regime, fti_pcs_security_bits(c->pp));
    if (strcmp(c->pp->name, "proven")) printf(" (%.1f bits proven)", fti_pcs_proven_bits(c->pp));
    printf("\n");
    size_t committed = 0;
    for (size_t i = 0; i < c->n_tensors; i++) committed += c->tensors[i].committed;
    printf("  tensors:     %zu (%zu committed, %zu bound by hash only)\n", c->n_tensors, committed,
           c->n_tensors - committed);
    printf("  units:       %zu in %zu blocks\n\n", c->n_units, c->n_blocks);
    printf("  %-48s %-14s %-6s %-9s %8s %12s\n", "unit", "shape", "dtype", "padded", "quantum", "||W||_F");
    for (size_t i = 0; i < c->n_units; i++) {
        const ftic_unit *u = &c->units[i];
        char sh[64], pad[32];
        shape_text(sh, sizeof sh, &c->tensors[u->tensor]);
        snprintf(pad, sizeof pad, "2^%u", ftic_unit_vars(u));
        printf("  %-48s %-14s %-6s %-9s %8s %12.6g\n", u->name, sh, fti_dtype_name(c->tensors[u->tensor].dtype), pad,
               "", unit_norm(u));
        (void)0;
    }
    for (size_t i = 0; i < c->n_tensors; i++)
        if (!c->tensors[i].committed) {
            fti_digest_hex(hex, &c->tensors[i].sha256);
            printf("  %-48s (hash only, %s) sha256 %s\n", c->tensors[i].name, fti_dtype_name(c->tensors[i].dtype), hex);
        }
    printf("\n  %-32s %6s %s\n", "block", "units", "root");
    for (size_t b = 0; b < c->n_blocks; b++) {
        fti_digest_hex(hex, &c->blocks[b].root);
        printf("  %-32s %6u %s\n", c->blocks[b].label, c->blocks[b].n_units, hex);
    }
}

static json_t *commitment_json(const ftic *c, const char *idhex) {
    char hex[65], num[48];
    json_t *o = json_object(), *units = json_array(), *tensors = json_array(), *blocks = json_array();
    json_object_set_new(o, "type", json_string("commitment"));
    json_object_set_new(o, "id", json_string(idhex));
    json_object_set_new(o, "kind", json_string(c->kind == FTIC_BASE ? "base" : "tuned"));
    if (c->kind == FTIC_TUNED) {
        fti_digest_hex(hex, &c->base_id);
        json_object_set_new(o, "base", json_string(hex));
    }
    json_object_set_new(o, "parameters", json_string(c->pp->name));
    for (size_t i = 0; i < c->n_tensors; i++) {
        const ftic_tensor *t = &c->tensors[i];
        json_t *j = json_object(), *shape = json_array();
        for (unsigned d = 0; d < t->ndim; d++) json_array_append_new(shape, json_integer((json_int_t)t->shape[d]));
        fti_digest_hex(hex, &t->sha256);
        json_object_set_new(j, "name", json_string(t->name));
        json_object_set_new(j, "dtype", json_string(fti_dtype_name(t->dtype)));
        json_object_set_new(j, "shape", shape);
        json_object_set_new(j, "committed", json_boolean(t->committed));
        json_object_set_new(j, "out_axis", json_string(t->out_axis ? "last" : "first"));
        json_object_set_new(j, "sha256", json_string(hex));
        json_array_append_new(tensors, j);
    }
    for (size_t i = 0; i < c->n_units; i++) {
        const ftic_unit *u = &c->units[i];
        json_t *j = json_object();
        json_object_set_new(j, "name", json_string(u->name));
        json_object_set_new(j, "tensor", json_string(c->tensors[u->tensor].name));
        json_object_set_new(j, "rows", json_integer((json_int_t)u->rows));
        json_object_set_new(j, "cols", json_integer((json_int_t)u->cols));
        json_object_set_new(j, "row0", json_integer((json_int_t)u->row0));
        json_object_set_new(j, "col0", json_integer((json_int_t)u->col0));
        json_object_set_new(j, "log_rows", json_integer(u->log_rows));
        json_object_set_new(j, "log_cols", json_integer(u->log_cols));
        json_object_set_new(j, "quantum_exponent", json_integer(u->quantum));
        json_object_set_new(j, "block", json_string(c->blocks[u->block].label));
        u128_str(num, sizeof num, ftic_unit_sum_sq(u));
        json_object_set_new(j, "sum_sq_int", json_string(num));
        json_object_set_new(j, "frobenius", json_real(unit_norm(u)));
        json_array_append_new(units, j);
    }
    for (size_t b = 0; b < c->n_blocks; b++) {
        json_t *j = json_object();
        fti_digest_hex(hex, &c->blocks[b].root);
        json_object_set_new(j, "label", json_string(c->blocks[b].label));
        json_object_set_new(j, "units", json_integer(c->blocks[b].n_units));
        json_object_set_new(j, "root", json_string(hex));
        json_object_set_new(j, "proof_bytes", json_integer((json_int_t)c->proof_len[b]));
        json_array_append_new(blocks, j);
    }
    json_object_set_new(o, "tensors", tensors);
    json_object_set_new(o, "units", units);
    json_object_set_new(o, "blocks", blocks);
    return o;
}

static void inspect_usage(FILE *f) { fprintf(f, "usage: fti inspect FILE [--json] [--check]\n"); }

int cmd_inspect(int argc, char **argv) {
    int json = 0, check = 0, c;
    static const struct option opts[] = {{"json", no_argument, 0, 'j'}, {"check", no_argument, 0, 'c'},
                                         {"help", no_argument, 0, 'h'}, {0, 0, 0, 0}};
    optind = 1;
    while ((c = getopt_long(argc, argv, "jch", opts, NULL)) != -1) {
        switch (c) {
        case 'j': json = 1; break;
        case 'c': check = 1; break;
        case 'h': inspect_usage(stdout); return 0;
        default: inspect_usage(stderr); return 2;
        }
    }
    if (optind != argc - 1) {
        inspect_usage(stderr);
        return 2;
    }
    const char *path = argv[optind];
    ftic *com = NULL;
    fti_digest id;
    char hex[65];
    if (ftic_read_file(&com, path) != FTI_OK || ftic_id(&id, com) != FTI_OK) {
        ftic_free(com);
        return cli_error();
    }
    fti_digest_hex(hex, &id);
    json_t *j = json ? commitment_json(com, hex) : NULL;
    if (!json) print_commitment_text(com, hex);
    int rc = 0;
    if (check) {
        double t0 = cli_now();
        int ok = 0;
        size_t bad = 0;
        if (ftic_check(&ok, &bad, com) != FTI_OK) {
            json_decref(j);
            ftic_free(com);
            return cli_error();
        }
        double ms = (cli_now() - t0) * 1e3;
        if (json) {
            json_object_set_new(j, "check", json_string(ok ? "ok" : "failed"));
            if (!ok) json_object_set_new(j, "failed_block", json_string(com->blocks[bad].label));
            json_object_set_new(j, "check_ms", json_real(ms));
        } else if (ok) {
            printf("\ncheck: OK: range proofs (every limb is 16-bit) and norm proofs of %zu blocks verified in %.1f ms\n",
                   com->n_blocks, ms);
        } else {
            printf("\ncheck: FAILED: the proof of block %s does not verify\n", com->blocks[bad].label);
        }
        rc = ok ? 0 : 1;
    }
    if (json) {
        char *s = json_dumps(j, JSON_INDENT(2) | JSON_REAL_PRECISION(17));
        if (s) puts(s);
        free(s);
        json_decref(j);
    }
    ftic_free(com);
    return rc;
}
