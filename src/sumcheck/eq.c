/* The eq polynomial and multilinear extensions of tables. */
#include "sumcheck/sumcheck_internal.h"
#include "util/error.h"

/* Doubling: after step i, out[x] = eq(z_0..z_i, x) for x < 2^(i+1). Step i splits each entry
 * e = out[x] into out[x + 2^i] = e z_i (X_i = 1) and out[x] = e (1 - z_i) = e - e z_i.
 * 2^n multiplications in all. */
void fti_eq_table(ke_t *out, const ke_t *z, unsigned n) {
    out[0] = ke_one();
    for (unsigned i = 0; i < n; i++) {
        size_t h = (size_t)1 << i;
        ke_t zi = z[i];
#pragma omp parallel for schedule(dynamic, FTI_SC_CHUNK) if (h >= FTI_SC_CHUNK)
        for (size_t x = 0; x < h; x++) {
            ke_t hi = ke_mul(out[x], zi);
            out[x + h] = hi;
            out[x] = ke_sub(out[x], hi);
        }
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

static ke_t stream_mle_fe(const fe_t *t, unsigned n, const ke_t *z) {
    ke_t stack[FTI_SC_MAX_VARS + 1];
    if (n == 0) return ke_from_fe(t[0]);
    for (size_t j = 0; j < ((size_t)1 << (n - 1)); j++) counter_push(stack, fold_fe(t[2 * j], t[2 * j + 1], z[0]), j, z);
    return stack[n];
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
