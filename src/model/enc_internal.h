/* Internals of the encoder shared by encode.c (values, quantum, statistics) and enc_view.c
 * (matrix views and limbs). */
#ifndef FTI_MODEL_ENC_INTERNAL_H
#define FTI_MODEL_ENC_INTERNAL_H

#include <string.h>

#include "model/encode.h"

/* t's name escaped for a one-line message (a buffer living until the end of the statement). */
#define QNAME(t) fti_st_quote((char[256]){0}, 256, (t)->name)

/* ---- little-endian loads (the format is little-endian; the host may not be) ---- */

static inline uint16_t ld16(const uint8_t *p) {
    uint16_t x;
    memcpy(&x, p, 2);
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    x = __builtin_bswap16(x);
#endif
    return x;
}
static inline uint32_t ld32(const uint8_t *p) {
    uint32_t x;
    memcpy(&x, p, 4);
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    x = __builtin_bswap32(x);
#endif
    return x;
}
static inline uint64_t ld64(const uint8_t *p) {
    uint64_t x;
    memcpy(&x, p, 8);
#if __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    x = __builtin_bswap64(x);
#endif
    return x;
}

/* What the element encoder of a 16- or 32-bit format needs for one value E of the exponent
 * field at quantum 2^s (enc_run.c explains the arithmetic). */
typedef struct {
    uint64_t bias;   /* 2^(d-1) - 1; 2^62 for the all-ones exponent (NaN/Inf: forces r >= 2^31) */
    uint32_t hidden; /* the hidden bit for normal E, else 0 */
    uint32_t d;      /* right shift of m * 2^32, in [1, 63] */
} fti_enc_exp;

/* Everything one encoding call needs, built once per call: per-exponent constants, and for
 * large calls on 16-bit formats the full table of u for each bit pattern (0 marks a bad one:
 * valid u are >= 1). */
typedef struct {
    const fti_st_tensor *t;
    int32_t s;
    fti_enc_exp exp[256];
    uint32_t *table16; /* malloc'd, or NULL */
} fti_enc_plan;

/* Prepares encoding t at quantum 2^s for calls covering about `work` elements in all (a full
 * 16-bit table is only worth building for many). Never fails: without memory for the table it
 * uses the per-exponent path. */
void fti_enc_plan_init(fti_enc_plan *p, const fti_st_tensor *t, int32_t s, uint64_t work);
void fti_enc_plan_free(fti_enc_plan *p);

/* Encodes count contiguous elements of p->t starting at flat index first into u (v + 2^31),
 * with no argument checks (callers checked range, dtype and s). Returns count when all were
 * encoded, else the offset in [0, count) of the first element that is NaN, infinite or out
 * of range. */
size_t fti_enc_run_raw(const fti_enc_plan *p, uint32_t *u, uint64_t first, size_t count);

/* The FTI_ERR_RANGE message for the bad element at flat index i (NaN, infinity, or beyond
 * 2^31 quanta). */
fti_status fti_enc_report(const fti_st_tensor *t, int32_t s, uint64_t i);

/* Shared argument checks: committable dtype and s within [FTI_QUANTUM_MIN, FTI_QUANTUM_MAX]. */
fti_status fti_enc_check(const fti_st_tensor *t, int32_t s);

#endif
