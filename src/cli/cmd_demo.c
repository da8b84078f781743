/* fti demo: until the model layer exists, a self-demonstration of the proof primitives. */
#include <stdio.h>

#include "cli/cli.h"
#include "fti/fti.h"

int cli_error(void) {
    fprintf(stderr, "fti: error: %s\n", fti_last_error());
    return 2;
}

int cmd_demo(int argc, char **argv) {
    (void)argc;
    (void)argv;
    printf("fti %s demo\n", fti_version());
    return 0;
}
