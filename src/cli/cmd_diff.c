/* fti diff: option parsing and output around the library's report (src/diff/diff.h). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/cmd_diff.h"
#include "cli/progress.h"
#include "diff/diff.h"

static const char usage_text[] =
    "usage: fti diff BASE TUNED [--json] [--tol X] [--threads N] [--svd-limit N] [--sketch-max N] [--quiet]\n"
    "\n"
    "Reports, per tensor and in total, how TUNED differs from BASE: Frobenius norms of W and of\n"
    "Delta = W' - W (absolute and relative), changed entries, largest change, and for matrices the\n"
    "numerical rank of Delta, with the smallest policy parameters each tensor would pass.\n"
    "BASE and TUNED are safetensors files, sharded checkpoints (*.index.json) or directories.\n"
    "\n"
    "  --json          machine-readable output (schema in src/diff/diff.h)\n"
    "  --tol X         relative threshold of the rank@tol column, 0 <= X <= 1\n"
    "                  (default max(rows, cols) * 2^-52, numpy's matrix_rank default)\n"
    "  --threads N     threads for decoding and for OpenBLAS (default: all cores)\n"
    "  --svd-limit N   exact SVD when min(rows, cols) <= N, else a randomized sketch (default 1024)\n"
    "  --sketch-max N  most sketch columns (default 256)\n"
    "  --quiet         no progress line (it is shown only when stderr is a terminal)\n";

typedef struct {
    const char *base, *tuned;
    int json, quiet;
    fti_diff_options opts;
} diff_args;

static int usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int usage_error(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "fti diff: ");
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\n%.*s", (int)strcspn(usage_text, "\n") + 1, usage_text);
    return 2;
}

/* An unsigned integer in [lo, hi], the whole string. */
static int parse_uint(uint64_t *out, const char *s, uint64_t lo, uint64_t hi) {
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (!*s || *s == '-' || *end || errno || v < lo || v > hi) return 0;
    *out = v;
    return 1;
}

static int parse_tol(double *out, const char *s) {
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (!*s || *end || errno || !(v >= 0 && v <= 1)) return 0;
    *out = v;
    return 1;
}

static int is_value_option(const char *s) {
    return !strcmp(s, "--tol") || !strcmp(s, "--threads") || !strcmp(s, "--svd-limit") || !strcmp(s, "--sketch-max");
}

/* The value of one option taking a value; 0 ok, 2 usage error (reported). */
static int parse_value(diff_args *a, const char *opt, const char *val) {
    uint64_t v;
    if (!strcmp(opt, "--tol")) {
        if (!parse_tol(&a->opts.tol, val)) return usage_error("--tol wants a number in [0, 1], not '%s'", val);
    } else if (!strcmp(opt, "--threads")) {
        if (!parse_uint(&v, val, 1, 1024)) return usage_error("--threads wants 1 to 1024, not '%s'", val);
        a->opts.threads = (int)v;
    } else if (!strcmp(opt, "--svd-limit")) {
        if (!parse_uint(&a->opts.svd_limit, val, 0, 2147483647))
            return usage_error("--svd-limit wants a non-negative integer, not '%s'", val);
    } else if (!parse_uint(&a->opts.sketch_max, val, 1, 65536)) {
        return usage_error("--sketch-max wants 1 to 65536, not '%s'", val);
    }
    return 0;
}

/* Fills a from argv; 0 ok, 1 --help printed, 2 usage error (reported). */
static int parse_args(diff_args *a, int argc, char **argv) {
    const char *pos[2] = {NULL, NULL};
    int npos = 0, only_pos = 0;
    memset(a, 0, sizeof *a);
    fti_diff_options_init(&a->opts);
    for (int i = 1; i < argc; i++) {
        const char *s = argv[i];
        if (only_pos || s[0] != '-' || !s[1]) {
            if (npos == 2) return usage_error("unexpected argument '%s'", s);
            pos[npos++] = s;
        } else if (!strcmp(s, "--")) {
            only_pos = 1;
        } else if (!strcmp(s, "--help") || !strcmp(s, "-h")) {
            fputs(usage_text, stdout);
            return 1;
        } else if (!strcmp(s, "--json")) {
            a->json = 1;
        } else if (!strcmp(s, "--quiet") || !strcmp(s, "-q")) {
            a->quiet = 1;
        } else if (is_value_option(s)) {
            if (i + 1 >= argc) return usage_error("%s needs a value", s);
            if (parse_value(a, s, argv[++i])) return 2;
        } else {
            return usage_error("unknown option '%s'", s);
        }
    }
    if (npos < 2) return usage_error("needs BASE and TUNED");
    a->base = pos[0];
    a->tuned = pos[1];
    return 0;
}

/* ---- the command ----------------------------------------------------------------------------- */

static int emit(const diff_args *a, const fti_diff_report *r) {
    if (!a->json) return fti_diff_print(stdout, r) == FTI_OK ? 0 : cli_error();
    char *text = NULL;
    if (fti_diff_to_json(&text, r) != FTI_OK) return cli_error();
    fputs(text, stdout);
    free(text);
    return 0;
}

int cmd_diff(int argc, char **argv) {
    diff_args a;
    int rc = parse_args(&a, argc, argv);
    if (rc) return rc == 1 ? 0 : rc;
    cli_progress prog;
    cli_progress_init(&prog, "diff", a.quiet);
    a.opts.progress = cli_progress_report;
    a.opts.progress_ctx = &prog;
    fti_diff_report *r = NULL;
    fti_status st = fti_diff_paths(&r, a.base, a.tuned, &a.opts);
    cli_progress_done(&prog);
    if (st != FTI_OK) return cli_error();
    rc = emit(&a, r);
    fti_diff_free(r);
    if (rc == 0 && fflush(stdout) != 0) {
        fprintf(stderr, "fti: error: cannot write the report\n");
        rc = 2;
    }
    return rc;
}
