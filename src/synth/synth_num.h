/* Numbers for synthetic checkpoints: a counter-based pseudo-random generator and exact
 * rounding of doubles to the floating-point dtypes of safetensors.
 *
 * Generator. Every value is a pure function of (key, counter): key = H(seed, purpose, tensor
 * name), and the counter is the element's index. So a tensor's values depend neither on which
 * other tensors exist, nor on their order, nor on how many threads fill it; a parallel loop
 * over any partition of the indices gives the same bytes. The mixing function is the
 * SplitMix64 finaliser applied to key + counter * golden-ratio increment (the SplitMix64
 * stream starting at key); keys are themselves mixed, so two streams overlap only with
 * probability about 2^-30 for 2^32-element tensors. Not cryptographic: these are test weights.
 *
 * Normals come from a 256-layer ziggurat (exact in distribution): element i of a stream uses
 * outputs 4i .. 4i+3 (one in 99% of cases), then, in the rare case it needs more, a stream of its
 * own. The wedge and tail tests call the C library's exp and log, so bytes are reproducible on
 * one machine and libm; the fast path (about 99%) uses no libm at all.
 *
 * Rounding. fti_synth_encode rounds a double to BF16 / F16 / F32 / F64 directly (never via
 * float, so no double rounding), to nearest with ties to even, with subnormals and overflow to
 * infinity as IEEE 754 prescribes; NaN becomes a quiet NaN. Pure integer arithmetic. */
#ifndef FTI_SYNTH_SYNTH_NUM_H
#define FTI_SYNTH_SYNTH_NUM_H

#include <stdint.h>

#include "model/safetensors.h"

/* ---- generator ---- */

/* The key of the stream (seed, purpose, name); purpose and name are NUL-terminated (name may
 * be ""). */
uint64_t fti_synth_key(uint64_t seed, const char *purpose, const char *name);

static inline uint64_t fti_synth_mix64(uint64_t z) {
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* The counter-th 64-bit output of stream key. */
static inline uint64_t fti_synth_u64(uint64_t key, uint64_t counter) {
    return fti_synth_mix64(key + counter * 0x9e3779b97f4a7c15ULL);
}

/* A uniform double in [0, 1) with 53 random bits. */
static inline double fti_synth_uniform(uint64_t key, uint64_t counter) {
    return (double)(fti_synth_u64(key, counter) >> 11) * 0x1p-53;
}

/* A uniform integer in [0, n) (n > 0), unbiased by rejection: reads outputs *counter,
 * *counter + 1, ... and advances *counter past those it used. */
uint64_t fti_synth_below(uint64_t key, uint64_t *counter, uint64_t n);

/* Standard normal number i of stream key. Thread-safe. */
double fti_synth_normal(uint64_t key, uint64_t i);

/* Builds the ziggurat's tables (done by the first fti_synth_normal; calling it before a parallel
 * region keeps that one-time work out of it). */
void fti_synth_normal_init(void);

/* ---- dtypes ---- */

/* 1 for the dtypes handled here: BF16, F16, F32, F64. */
int fti_synth_float_dtype(fti_dtype dt);

/* Bytes per element of a float dtype (2, 4 or 8). Inline: it sits in every element loop. */
static inline unsigned fti_synth_width(fti_dtype dt) {
    return dt == FTI_DT_BF16 || dt == FTI_DT_F16 ? 2 : dt == FTI_DT_F32 ? 4 : 8;
}

/* The bit pattern of x rounded to dt (a float dtype), ties to even. */
uint64_t fti_synth_encode(fti_dtype dt, double x);

/* The value of bit pattern bits of dt, exactly. */
double fti_synth_decode(fti_dtype dt, uint64_t bits);

/* Little-endian load and store of one element's bit pattern (any alignment, any host order). */
static inline uint64_t fti_synth_get(const uint8_t *p, fti_dtype dt) {
    uint64_t v = 0;
    for (unsigned i = fti_synth_width(dt); i-- > 0;) v = v << 8 | p[i];
    return v;
}

static inline void fti_synth_put(uint8_t *p, fti_dtype dt, uint64_t bits) {
    for (unsigned i = 0, n = fti_synth_width(dt); i < n; i++, bits >>= 8) p[i] = (uint8_t)bits;
}

static inline void fti_synth_store(uint8_t *p, fti_dtype dt, double x) {
    fti_synth_put(p, dt, fti_synth_encode(dt, x));
}

/* The neighbour of bits in dt: the next larger value (up = 1) or next smaller (up = 0).
 * From a zero it is the least subnormal of that sign; from -least subnormal upwards it is -0,
 * whose value is 0 (different from the start). Infinities and NaN are returned unchanged. */
uint64_t fti_synth_step(fti_dtype dt, uint64_t bits, int up);

/* 1 if the two bit patterns of dt hold different values (+0 and -0 are equal; NaN never
 * occurs in what this module writes and counts as different from everything). */
int fti_synth_differs(fti_dtype dt, uint64_t a, uint64_t b);

#endif
