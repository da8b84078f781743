/* fti diff BASE TUNED [--json] [--tol X] [--threads N] [--svd-limit N] [--sketch-max N] [--quiet]
 *
 * The plain drift report (src/diff/diff.h): a table (or --json) of per-tensor norms, changed
 * entries and numerical ranks. Exit status 0 with the report; 2 on a usage error or when a
 * checkpoint cannot be read, the tensor sets differ or a value is NaN/infinite (one line on
 * stderr: "fti: error: <file>: <problem>"). Progress goes to stderr when it is a terminal. */
#ifndef FTI_CLI_CMD_DIFF_H
#define FTI_CLI_CMD_DIFF_H

int cmd_diff(int argc, char **argv);

#endif
