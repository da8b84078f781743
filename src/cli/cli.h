/* Subcommands of the fti tool. Each takes (argc, argv) with argv[0] the command's name and
 * returns the exit status (0 ok/accept, 1 reject/refuse, 2 usage or input error). */
#ifndef FTI_CLI_H
#define FTI_CLI_H

#include <stdio.h>

struct cli_command {
    const char *name;
    const char *help;
    int (*run)(int argc, char **argv);
};

int cmd_version(int argc, char **argv);
int cmd_demo(int argc, char **argv);
int cmd_commit(int argc, char **argv);
int cmd_inspect(int argc, char **argv);
int cmd_prove(int argc, char **argv);
int cmd_policy(int argc, char **argv);
int cmd_verify(int argc, char **argv);

/* Prints "fti: error: MSG" (the library's last error) and returns 2. */
int cli_error(void);

#endif
