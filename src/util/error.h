/* Internal error reporting: a thread-local one-line message behind fti_last_error(). */
#ifndef FTI_UTIL_ERROR_H
#define FTI_UTIL_ERROR_H

#include "fti/fti.h"

/* Records a message (printf-style) and returns s, so that callers can write
 *   return fti_fail(FTI_ERR_FORMAT, "%s: header length %llu exceeds 100 MB", path, n); */
fti_status fti_fail(fti_status s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Clears the message. */
void fti_clear_error(void);

/* Prefixes the current message with "prefix: " (e.g. a file name added by an outer layer). */
void fti_error_prefix(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Invariant checks compiled only in the verify build (make check); see STYLE.md. */
#ifdef FTI_VERIFY
#include <stdio.h>
#include <stdlib.h>
#define FTI_VERIFY_CHECK(cond)                                                      \
    do {                                                                            \
        if (!(cond)) {                                                              \
            fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__, __LINE__, #cond); \
            abort();                                                                \
        }                                                                           \
    } while (0)
#else
#define FTI_VERIFY_CHECK(cond) ((void)0)
#endif

#endif
