/* libfti: succinct certificates that a fine-tuned model differs from its base only within a
 * policy-defined drift class.
 *
 * Conventions for every function in this header:
 *  - names start with fti_; handles are opaque and created/destroyed in pairs;
 *  - arguments go context, outputs, inputs; a buffer's length follows the buffer;
 *  - every function returns an fti_status; FTI_OK is 0. A verification verdict is never a
 *    status: verifiers set an `int *accept` out-parameter (to 0 first) and return FTI_OK when
 *    they could run at all;
 *  - on failure, fti_last_error() gives a one-line message naming the file and the problem.
 */
#ifndef FTI_FTI_H
#define FTI_FTI_H

#ifdef __cplusplus
extern "C" {
#endif

#define FTI_MUST_CHECK __attribute__((warn_unused_result))

typedef enum {
    FTI_OK = 0,
    FTI_ERR_ARG = 1,         /* invalid argument (programming error or bad option) */
    FTI_ERR_IO = 2,          /* a file could not be opened, read, mapped or written */
    FTI_ERR_FORMAT = 3,      /* malformed or hostile input bytes */
    FTI_ERR_NOMEM = 4,       /* allocation failed or an arena was exhausted */
    FTI_ERR_UNSUPPORTED = 5, /* well-formed input that fti does not handle (e.g. int8 tensors) */
    FTI_ERR_RANGE = 6,       /* a value that cannot be encoded (NaN, Inf, out of range) */
    FTI_ERR_POLICY = 7,      /* a policy that is malformed or does not fit the model */
    FTI_ERR_MISMATCH = 8,    /* inputs that do not belong together (shapes, commitments) */
    FTI_ERR_INTERNAL = 9     /* an invariant failed: a bug */
} fti_status;

/* The library's version, "MAJOR.MINOR.PATCH". */
const char *fti_version(void);

/* The message of the last error on this thread ("" if none). Valid until the next call into
 * the library on this thread. */
const char *fti_last_error(void);

/* A short name for a status ("format error", ...). */
const char *fti_status_name(fti_status s);

#ifdef __cplusplus
}
#endif
#endif
