#include "util/error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static _Thread_local char last_error[1024];

fti_status fti_fail(fti_status s, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(last_error, sizeof last_error, fmt, ap);
    va_end(ap);
    return s;
}

void fti_clear_error(void) { last_error[0] = 0; }

void fti_error_prefix(const char *fmt, ...) {
    char prefix[512], old[sizeof last_error];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(prefix, sizeof prefix, fmt, ap);
    va_end(ap);
    memcpy(old, last_error, sizeof old);
    /* "prefix: old", truncated to the buffer */
    size_t np = strlen(prefix), no = strlen(old), cap = sizeof last_error - 1;
    if (np > cap) np = cap;
    memcpy(last_error, prefix, np);
    size_t at = np;
    for (const char *sep = ": "; *sep && at < cap; sep++) last_error[at++] = *sep;
    if (no > cap - at) no = cap - at;
    memcpy(last_error + at, old, no);
    last_error[at + no] = 0;
}

const char *fti_last_error(void) { return last_error; }

const char *fti_version(void) { return FTI_VERSION_STRING; }

const char *fti_status_name(fti_status s) {
    switch (s) {
    case FTI_OK: return "ok";
    case FTI_ERR_ARG: return "invalid argument";
    case FTI_ERR_IO: return "I/O error";
    case FTI_ERR_FORMAT: return "format error";
    case FTI_ERR_NOMEM: return "out of memory";
    case FTI_ERR_UNSUPPORTED: return "unsupported";
    case FTI_ERR_RANGE: return "value out of range";
    case FTI_ERR_POLICY: return "policy error";
    case FTI_ERR_MISMATCH: return "mismatch";
    case FTI_ERR_INTERNAL: return "internal error";
    }
    return "unknown status";
}
