/* Batch inversion (Montgomery's trick) over F and K. Zeros are skipped and map to zero. */
#include <stdlib.h>

#include "field/ext.h"
#include "field/field.h"

void fe_batch_inv(fe_t *out, const fe_t *in, size_t n) {
    if (n == 0) return;
    fe_t *prefix = malloc(n * sizeof *prefix);
    if (!prefix) { /* fall back to one inversion each */
        for (size_t i = 0; i < n; i++) out[i] = fe_inv(in[i]);
        return;
    }
    fe_t acc = 1;
    for (size_t i = 0; i < n; i++) {
        prefix[i] = acc;                       /* product of the nonzero in[0..i) */
        if (in[i]) acc = fe_mul(acc, in[i]);
    }
    fe_t inv = fe_inv(acc);                    /* (prod of nonzero)^-1 */
    for (size_t i = n; i-- > 0;) {
        fe_t x = in[i];
        if (!x) { out[i] = 0; continue; }
        out[i] = fe_mul(inv, prefix[i]);       /* x^-1 = (prod_{<=i})^-1 * prod_{<i} */
        inv = fe_mul(inv, x);
    }
    free(prefix);
}

void ke_batch_inv(ke_t *out, const ke_t *in, size_t n) {
    if (n == 0) return;
    ke_t *prefix = malloc(n * sizeof *prefix);
    if (!prefix) {
        for (size_t i = 0; i < n; i++) out[i] = ke_inv(in[i]);
        return;
    }
    ke_t acc = ke_one();
    for (size_t i = 0; i < n; i++) {
        prefix[i] = acc;
        if (!ke_is_zero(in[i])) acc = ke_mul(acc, in[i]);
    }
    ke_t inv = ke_inv(acc);
    for (size_t i = n; i-- > 0;) {
        ke_t x = in[i];
        if (ke_is_zero(x)) { out[i] = ke_zero(); continue; }
        out[i] = ke_mul(inv, prefix[i]);
        inv = ke_mul(inv, x);
    }
    free(prefix);
}
