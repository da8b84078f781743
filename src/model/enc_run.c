/* The hot loop: encoding runs of contiguous elements, integer arithmetic only.
 *
 * An element is x = (-1)^sign * m * 2^k (encode.h); at quantum 2^s, x / 2^s = m * 2^t with
 * t = k - s. For the formats with at most 24 significant bits (BF16, F16, F32) the product is
 * computed as a right shift of y = m * 2^32 by d = 32 - t, which is >= 1 whenever the result
 * can be in range (t <= 31), with round-half-to-even done by the carry trick
 *     rhe(y / 2^d) = (y + 2^(d-1) - 1 + bit_d(y)) >> d          (d >= 1)
 * (dropped bits above half carry; exactly half carries iff the kept lsb is odd; below, none).
 * y < 2^56, so the sum cannot wrap, and d is clamped to 63 (which already yields 0).
 * Everything that depends on the exponent field E alone (the hidden bit, d, 2^(d-1) - 1) is
 * computed once per call in a 256-entry table, so that the per-element work is a handful of
 * branch-free instructions, and every failure shows as r >= 2^31:
 *  - t > 31 clamps d to 1 (bias 0), so r = m * 2^31: >= 2^31 unless m = 0 (a zero, fine);
 *  - the all-ones exponent (NaN, Inf) gets d = 1 and bias 2^62, so r >= 2^61.
 * For large calls on the 16-bit formats a 65536-entry table maps every bit pattern straight to
 * u (built with the same per-element code), one load per element.
 * F64 (53 significant bits) uses the same arithmetic in 128 bits with y = m * 2^64, deriving d
 * per element (F64 checkpoints are rare). */
#include <stdlib.h>

#include "model/enc_internal.h"
#include "util/error.h"

typedef unsigned __int128 u128;

/* below this many elements per call, the 16-bit table costs more to build than it saves */
#define TABLE16_MIN_WORK ((uint64_t)1 << 19)

/* u = 2^31 + (-1)^sign r, in 32-bit two's complement (r < 2^31 when not flagged). */
static inline uint32_t offset_signed(uint32_t sign, uint64_t r) {
    uint32_t neg = 0u - sign;
    return 0x80000000u + (((uint32_t)r ^ neg) + sign);
}

/* One element given its exponent entry: m < 2^24 the significand (hidden bit included). */
static inline uint32_t enc_m(const fti_enc_exp *x, uint32_t sign, uint32_t m, uint32_t *bad) {
    uint64_t y = (uint64_t)m << 32;                           /* < 2^56 */
    uint64_t r = (y + x->bias + ((y >> x->d) & 1)) >> x->d;   /* < 2^63: no wrap */
    *bad |= (uint32_t)(r >> 31);                              /* < 2^32: no truncation to 0 */
    return offset_signed(sign, r);
}

/* F32, and BF16 as the upper half of an F32 pattern (same exponent field). */
static inline uint32_t enc_f32_bits(const fti_enc_exp *tab, uint32_t w, uint32_t *bad) {
    const fti_enc_exp *x = &tab[(w >> 23) & 0xff];
    return enc_m(x, w >> 31, (w & 0x7fffffu) | x->hidden, bad);
}

static inline uint32_t enc_f16_bits(const fti_enc_exp *tab, uint32_t w, uint32_t *bad) {
    const fti_enc_exp *x = &tab[(w >> 10) & 0x1f];
    return enc_m(x, w >> 15, (w & 0x3ffu) | x->hidden, bad);
}

/* F64: m < 2^53, t = k - s, in 128 bits. */
static inline uint32_t enc_f64_bits(int32_t s, uint64_t w, uint32_t *bad) {
    uint64_t e = (w >> 52) & 0x7ff, f = w & 0xfffffffffffffull;
    uint64_t m = e ? f | (1ull << 52) : f;
    int32_t t = (int32_t)(e ? e : 1) - 1075 - s;
    int32_t d = 64 - t;
    uint32_t over = (uint32_t)(t > 31) & (uint32_t)(m != 0);
    d = d < 1 ? 1 : d;
    d = d > 127 ? 127 : d; /* m 2^64 < 2^117 */
    u128 y = (u128)m << 64;
    u128 r = (y + (((u128)1 << (d - 1)) - 1) + ((y >> d) & 1)) >> d;
    *bad |= (uint32_t)(e == 0x7ff) | over | (uint32_t)(r >> 31 != 0);
    return offset_signed((uint32_t)(w >> 63), (uint64_t)r);
}

/* The per-exponent entry for field value e of a format with fbits fraction bits, ebits exponent
 * bits and the given bias, at quantum 2^s. */
static fti_enc_exp exp_entry(uint32_t e, unsigned fbits, unsigned ebits, int bias, int32_t s) {
    uint32_t emax = (1u << ebits) - 1;
    int32_t t = (int32_t)(e ? e : 1) - bias - (int32_t)fbits - s;
    int32_t d = 32 - t;
    d = d < 1 ? 1 : d > 63 ? 63 : d;
    fti_enc_exp x = {.bias = ((uint64_t)1 << (d - 1)) - 1, .hidden = e != 0 ? 1u << fbits : 0, .d = (uint32_t)d};
    if (e == emax) x = (fti_enc_exp){.bias = (uint64_t)1 << 62, .hidden = 0, .d = 1};
    return x;
}

/* Blocks of RUN_BLOCK elements are encoded without branches; a block that flagged anything is
 * walked again element by element to find the first culprit. */
#define RUN_BLOCK 256
#define RUN_BODY(TYPE, LOAD, ENC, STORE)                                          \
    for (size_t i0 = 0; i0 < n; i0 += RUN_BLOCK) {                                \
        size_t i1 = n - i0 < RUN_BLOCK ? n : i0 + RUN_BLOCK;                      \
        uint32_t bad = 0;                                                         \
        for (size_t i = i0; i < i1; i++) {                                        \
            uint32_t x = ENC(p, LOAD(src + i * sizeof(TYPE)), &bad);              \
            STORE;                                                                \
        }                                                                         \
        if (!bad) continue;                                                       \
        for (size_t i = i0; i < i1; i++) {                                        \
            uint32_t b = 0;                                                       \
            (void)ENC(p, LOAD(src + i * sizeof(TYPE)), &b);                       \
            if (b) return i;                                                      \
        }                                                                         \
    }                                                                             \
    return n;
#define DEFINE_RUN(NAME, TYPE, LOAD, ENC)                                                  \
    static size_t NAME(const fti_enc_plan *p, uint32_t *u, const uint8_t *src, size_t n) { \
        RUN_BODY(TYPE, LOAD, ENC, u[i] = x)                                                \
    }

static inline uint32_t enc_f32(const fti_enc_plan *p, uint32_t w, uint32_t *bad) {
    return enc_f32_bits(p->exp, w, bad);
}
static inline uint32_t enc_bf16(const fti_enc_plan *p, uint16_t w, uint32_t *bad) {
    return enc_f32_bits(p->exp, (uint32_t)w << 16, bad);
}
static inline uint32_t enc_f16(const fti_enc_plan *p, uint16_t w, uint32_t *bad) {
    return enc_f16_bits(p->exp, w, bad);
}
static inline uint32_t enc_table16(const fti_enc_plan *p, uint16_t w, uint32_t *bad) {
    uint32_t u = p->table16[w];
    *bad |= (uint32_t)(u == 0);
    return u;
}
static inline uint32_t enc_f64(const fti_enc_plan *p, uint64_t w, uint32_t *bad) {
    return enc_f64_bits(p->s, w, bad);
}

DEFINE_RUN(run_f32, uint32_t, ld32, enc_f32)
DEFINE_RUN(run_bf16, uint16_t, ld16, enc_bf16)
DEFINE_RUN(run_f16, uint16_t, ld16, enc_f16)
DEFINE_RUN(run_table16, uint16_t, ld16, enc_table16)
DEFINE_RUN(run_f64, uint64_t, ld64, enc_f64)

static void build_table16(fti_enc_plan *p) {
    uint32_t *tab = malloc(65536 * sizeof *tab);
    if (!tab) return; /* the per-exponent path does the same work, slower */
    for (uint32_t w = 0; w < 65536; w++) {
        uint32_t bad = 0, u = p->t->dtype == FTI_DT_BF16 ? enc_bf16(p, (uint16_t)w, &bad) : enc_f16(p, (uint16_t)w, &bad);
        tab[w] = bad ? 0 : u;
    }
    p->table16 = tab;
}

void fti_enc_plan_init(fti_enc_plan *p, const fti_st_tensor *t, int32_t s, uint64_t work) {
    p->t = t;
    p->s = s;
    p->table16 = NULL;
    if (t->dtype == FTI_DT_F16)
        for (uint32_t e = 0; e < 32; e++) p->exp[e] = exp_entry(e, 10, 5, 15, s);
    else if (t->dtype == FTI_DT_F32 || t->dtype == FTI_DT_BF16)
        for (uint32_t e = 0; e < 256; e++) p->exp[e] = exp_entry(e, 23, 8, 127, s);
    if ((t->dtype == FTI_DT_F16 || t->dtype == FTI_DT_BF16) && work >= TABLE16_MIN_WORK) build_table16(p);
}

void fti_enc_plan_free(fti_enc_plan *p) {
    free(p->table16);
    p->table16 = NULL;
}

size_t fti_enc_run_raw(const fti_enc_plan *p, uint32_t *u, uint64_t first, size_t count) {
    const uint8_t *d = p->t->data;
    switch (p->t->dtype) {
    case FTI_DT_F32: return run_f32(p, u, d + first * 4, count);
    case FTI_DT_BF16: return p->table16 ? run_table16(p, u, d + first * 2, count) : run_bf16(p, u, d + first * 2, count);
    case FTI_DT_F16: return p->table16 ? run_table16(p, u, d + first * 2, count) : run_f16(p, u, d + first * 2, count);
    case FTI_DT_F64: return run_f64(p, u, d + first * 8, count);
    default: FTI_VERIFY_CHECK(0); return 0;
    }
}
