/* fti: the command-line tool. A thin layer over libfti; each subcommand lives in its own file
 * (cmd_*.c) and returns the process exit status: 0 success/accept, 1 reject/refuse, 2 usage or
 * input error. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#if defined(__GLIBC__)
#include <malloc.h>
#endif

#include "cli/cli.h"
#include "cli/cmd_diff.h"
#include "fti/fti.h"

static const struct cli_command commands[] = {
    {"commit", "commit to a checkpoint's weights (a base, or a tuned model in a base's frame)", cmd_commit},
    {"prove", "prove that a tuned checkpoint differs from its base only as a policy allows", cmd_prove},
    {"verify", "check a certificate against two commitments and a policy", cmd_verify},
    {"diff", "report how a tuned checkpoint differs from its base: norms, changed entries, ranks", cmd_diff},
    {"policy", "write a policy from a preset, check one against a model, or hash it", cmd_policy},
    {"inspect", "summarise a commitment or certificate; --check verifies its proofs", cmd_inspect},
    {"demo", "run the end-to-end demonstration on an embedded default", cmd_demo},
    {"version", "print the version", cmd_version},
};

static void usage(FILE *f) {
    fprintf(f, "usage: fti COMMAND [ARGS]\n\ncommands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].help);
    fprintf(f, "\nRun `fti COMMAND --help` for a command's options.\n");
}

int cmd_version(int argc, char **argv) {
    (void)argc;
    (void)argv;
    printf("fti %s\n", fti_version());
    return 0;
}

/* The provers allocate and free tables of hundreds of megabytes per block. By default glibc maps
 * each one afresh and unmaps it on free, so the kernel zeroes every page again for the next
 * block (a third of the wall time of a 100M-parameter commitment went there). Serving them from
 * the heap and never trimming it reuses the pages; the peak stays that of the largest block. */
static void keep_freed_pages(void) {
#if defined(__GLIBC__)
    const char *e = getenv("FTI_MALLOC");
    if (e && !strcmp(e, "default")) return; /* glibc's defaults, for comparison */
    mallopt(M_MMAP_MAX, 0);
    mallopt(M_TRIM_THRESHOLD, -1);
    mallopt(M_TOP_PAD, 256 << 20);
#endif
}

int main(int argc, char **argv) {
    keep_freed_pages();
    if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? 2 : 0;
    }
    if (!strcmp(argv[1], "--version")) return cmd_version(0, NULL);
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (!strcmp(argv[1], commands[i].name)) return commands[i].run(argc - 1, argv + 1);
    fprintf(stderr, "fti: unknown command '%s'\n", argv[1]);
    usage(stderr);
    return 2;
}
