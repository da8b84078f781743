/* fti diff: option parsing and output around the library's report (src/diff/diff.h). */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/cmd_diff.h"
#include "diff/diff.h"

static const char usage_text[] =
    "usage: fti diff BASE TUNED [--json] [--tol X] [--threads N] [--svd-limit N] [--sketch-max N]\n"
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
    "  --sketch-max N  most sketch columns (default 256)\n";

typedef struct {
    const char *base, *tuned;
    int json;
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

/* Fills a from argv; 0 ok, 1 --help printed, 2 usage error (reported). */
static int parse_args(diff_args *a, int argc, char **argv) {
    const char *pos[2] = {NULL, NULL};
    int npos = 0, only_pos = 0;
    uint64_t v;
    memset(a, 0, sizeof *a);
    fti_diff_options_init(&a->opts);
    for (int i = 1; i < argc; i++) {
        const char *s = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;
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
        } else if (!strcmp(s, "--tol") || !strcmp(s, "--threads") || !strcmp(s, "--svd-limit") ||
                   !strcmp(s, "--sketch-max")) {
            if (!val) return usage_error("%s needs a value", s);
            i++;
            if (!strcmp(s, "--tol") && !parse_tol(&a->opts.tol, val))
                return usage_error("--tol wants a number in [0, 1], not '%s'", val);
            if (!strcmp(s, "--threads")) {
                if (!parse_uint(&v, val, 1, 1024)) return usage_error("--threads wants 1 to 1024, not '%s'", val);
                a->opts.threads = (int)v;
            }
            if (!strcmp(s, "--svd-limit") && !parse_uint(&a->opts.svd_limit, val, 0, 2147483647))
                return usage_error("--svd-limit wants a non-negative integer, not '%s'", val);
            if (!strcmp(s, "--sketch-max") && !parse_uint(&a->opts.sketch_max, val, 1, 65536))
                return usage_error("--sketch-max wants 1 to 65536, not '%s'", val);
        } else {
            return usage_error("unknown option '%s'", s);
        }
    }
    if (npos < 2) return usage_error("needs BASE and TUNED");
    a->base = pos[0];
    a->tuned = pos[1];
    return 0;
}

/* ---- progress on a terminal ------------------------------------------------------------------ */

typedef struct {
    struct timespec t0;
    int shown;
} progress_state;

static double since(const struct timespec *t0) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)(t.tv_sec - t0->tv_sec) + 1e-9 * (double)(t.tv_nsec - t0->tv_nsec);
}

static void show_progress(void *ctx, const fti_diff_progress *p) {
    progress_state *s = ctx;
    double el = since(&s->t0), frac = p->bytes_total ? (double)p->bytes_done / (double)p->bytes_total : 1;
    if (el < 0.5 && p->done < p->total) return; /* quick runs print nothing */
    fprintf(stderr, "\r\033[Kdiff: %zu/%zu tensors, %.1f/%.1f MB, ETA %.0f s", p->done, p->total,
            (double)p->bytes_done / 1e6, (double)p->bytes_total / 1e6, frac > 0 ? el * (1 - frac) / frac : 0);
    fflush(stderr);
    s->shown = 1;
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
    progress_state ps = {{0, 0}, 0};
    clock_gettime(CLOCK_MONOTONIC, &ps.t0);
    if (isatty(STDERR_FILENO)) a.opts.progress = show_progress, a.opts.progress_ctx = &ps;
    fti_diff_report *r = NULL;
    fti_status st = fti_diff_paths(&r, a.base, a.tuned, &a.opts);
    if (ps.shown) fprintf(stderr, "\r\033[K");
    if (st != FTI_OK) return cli_error();
    rc = emit(&a, r);
    fti_diff_free(r);
    if (rc == 0 && fflush(stdout) != 0) {
        fprintf(stderr, "fti: error: cannot write the report\n");
        rc = 2;
    }
    return rc;
}
