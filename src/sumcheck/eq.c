/* The eq polynomial and multilinear extensions of tables. */
#include "field/field_avx512.h"
#include "sumcheck/sumcheck_internal.h"
#include "util/error.h"

/* Step i of fti_eq_table on entries [x0, x1) of the first 2^i. */
static void eq_split(ke_t *out, size_t h, ke_t zi, size_t x0, size_t x1) {
    for (size_t x = x0; x < x1; x++) {
        ke_t hi = ke_mul(out[x], zi);
        out[x + h] = hi;
        out[x] = ke_sub(out[x], hi);
    }
}

#if FTI_HAVE_AVX512
FTI_AVX static void eq_split_avx512(ke_t *out, size_t h, ke_t zi, size_t x0, size_t x1) {
    size_t x8 = x0 + ((x1 - x0) & ~(size_t)7);
    vk z = vk_set1(zi);
    for (size_t x = x0; x < x8; x += 8) {
        vk e = vk_load(out + x), hi = vk_mul(e, z);
        vk_store(out + x + h, hi);
        vk_store(out + x, vk_sub(e, hi));
    }
    eq_split(out, h, zi, x8, x1);
}
#endif

/* Doubling: after step i, out[x] = eq(z_0..z_i, x) for x < 2^(i+1). Step i splits each entry
 * e = out[x] into out[x + 2^i] = e z_i (X_i = 1) and out[x] = e (1 - z_i) = e - e z_i.
 * 2^n multiplications in all. */
void fti_eq_table(ke_t *out, const ke_t *z, unsigned n) {
    void (*split)(ke_t *, size_t, ke_t, size_t, size_t) = eq_split;
#if FTI_HAVE_AVX512
    if (fti_simd_avx512()) split = eq_split_avx512;
#endif
    out[0] = ke_one();
    for (unsigned i = 0; i < n; i++) {
        size_t h = (size_t)1 << i;
#pragma omp parallel for schedule(dynamic) if (h >= 2 * FTI_SC_CHUNK)
        for (size_t x = 0; x < h; x += FTI_SC_CHUNK) split(out, h, z[i], x, h - x < FTI_SC_CHUNK ? h : x + FTI_SC_CHUNK);
    }
}

/* eq(a, b) = prod_i (a_i b_i + (1 - a_i)(1 - b_i)) = prod_i (1 - a_i - b_i + 2 a_i b_i). */
ke_t fti_eq_eval(const ke_t *a, const ke_t *b, unsigned n) {
    ke_t acc = ke_one();
    for (unsigned i = 0; i < n; i++) {
        ke_t ab = ke_mul(a[i], b[i]);
        ke_t f = ke_add_fe(ke_sub(ke_add(ab, ab), ke_add(a[i], b[i])), 1);
        acc = ke_mul(acc, f);
    }
    return acc;
}

static inline ke_t fold_fe(fe_t a, fe_t b, ke_t r) { return ke_add_fe(ke_mul_fe(r, fe_sub(b, a)), a); }
static inline ke_t fold_ke(ke_t a, ke_t b, ke_t r) { return ke_add(a, ke_mul(r, ke_sub(b, a))); }

/* The MLE at z of a table of 2^n entries, by folding X_0, X_1, ... in streaming order with
 * O(n) memory: a binary counter whose level l holds the fold (over X_0..X_{l-1}) of the last
 * complete block of 2^l entries not yet merged. Pair j gives a level-1 value, which merges
 * upwards while bit l-1 of j is set. 2^n - 1 folds in all, each a + z_l (b - a). */
static void counter_push(ke_t *stack, ke_t v, size_t j, const ke_t *z) {
    unsigned l = 1;
    for (; j & 1; j >>= 1, l++) v = fold_ke(stack[l], v, z[l]);
    stack[l] = v;
}

static ke_t stream_mle_fe_scalar(const fe_t *t, unsigned n, const ke_t *z) {
    ke_t stack[FTI_SC_MAX_VARS + 1];
    if (n == 0) return ke_from_fe(t[0]);
    for (size_t j = 0; j < ((size_t)1 << (n - 1)); j++) counter_push(stack, fold_fe(t[2 * j], t[2 * j + 1], z[0]), j, z);
    return stack[n];
}

#if FTI_HAVE_AVX512
/* The same value with the variables taken in another order (the MLE does not depend on it):
 * lane j of eight runs the counter over the entries 8i + j, i.e. over X_3 .. X_(n-1) with the
 * low three bits fixed to j (contiguous loads, no shuffles), then the eight lane values fold
 * over X_0, X_1, X_2. n >= 4. */
FTI_AVX static ke_t stream_mle_fe_avx512(const fe_t *t, unsigned n, const ke_t *z) {
    vk stack[FTI_SC_MAX_VARS + 1];
    ke_t lane[8];
    vk z3 = vk_set1(z[3]);
    for (size_t j = 0; j < ((size_t)1 << (n - 4)); j++) {
        vf a = vf_load(t + 16 * j), b = vf_load(t + 16 * j + 8);
        vk v = vk_add(vk_from_f(a), vk_mul_f(z3, vf_sub(b, a))); /* a + z_3 (b - a) */
        unsigned l = 1;
        for (size_t c = j; c & 1; c >>= 1, l++) v = vk_fold(stack[l], v, vk_set1(z[3 + l]));
        stack[l] = v;
    }
    vk_store(lane, stack[n - 3]);
    for (unsigned k = 0; k < 3; k++) /* X_k: lanes 2m, 2m + 1 (of those left) fold to m */
        for (unsigned m = 0; m < (4u >> k); m++) lane[m] = fold_ke(lane[2 * m], lane[2 * m + 1], z[k]);
    return lane[0];
}
#endif

static ke_t stream_mle_fe(const fe_t *t, unsigned n, const ke_t *z) {
#if FTI_HAVE_AVX512
    if (n >= 4 && fti_simd_avx512()) return stream_mle_fe_avx512(t, n, z);
#endif
    return stream_mle_fe_scalar(t, n, z);
}

static ke_t stream_mle_ke(const ke_t *t, unsigned n, const ke_t *z) {
    ke_t stack[FTI_SC_MAX_VARS + 1];
    if (n == 0) return t[0];
    for (size_t j = 0; j < ((size_t)1 << (n - 1)); j++) counter_push(stack, fold_ke(t[2 * j], t[2 * j + 1], z[0]), j, z);
    return stack[n];
}

/* Large tables: 2^k consecutive blocks (the top k variables fixed) are evaluated on the low
 * n - k variables in parallel, then their 2^k values are folded by the top variables. */
#define MLE_SPLIT_BITS 6u
#define MLE_SPLIT_MIN 16u /* tables of 2^16 entries and more are split */

static unsigned split_bits(unsigned n) { return n >= MLE_SPLIT_MIN ? MLE_SPLIT_BITS : 0; }

ke_t fti_mle_eval_fe(const fe_t *table, unsigned n, const ke_t *z) {
    FTI_VERIFY_CHECK(n <= FTI_SC_MAX_VARS);
    unsigned k = split_bits(n), low = n - k;
    ke_t blocks[1u << MLE_SPLIT_BITS];
#pragma omp parallel for schedule(dynamic) if (k > 0)
    for (size_t b = 0; b < ((size_t)1 << k); b++) blocks[b] = stream_mle_fe(table + (b << low), low, z);
    return stream_mle_ke(blocks, k, k ? z + low : z);
}

ke_t fti_mle_eval_ke(const ke_t *table, unsigned n, const ke_t *z) {
    FTI_VERIFY_CHECK(n <= FTI_SC_MAX_VARS);
    unsigned k = split_bits(n), low = n - k;
    ke_t blocks[1u << MLE_SPLIT_BITS];
#pragma omp parallel for schedule(dynamic) if (k > 0)
    for (size_t b = 0; b < ((size_t)1 << k); b++) blocks[b] = stream_mle_ke(table + (b << low), low, z);
    return stream_mle_ke(blocks, k, k ? z + low : z);
}
