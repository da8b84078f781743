/* Portable NTT kernels (any field configuration); see ntt_internal.h for their contracts. */
#include "ntt/ntt_arith.h"
#include "ntt/ntt_internal.h"

/* DIF stages of half-size m = n/2 .. 2 over a contiguous block; the last stage (m = 1, twiddle
 * w_2^0 = 1) has no multiplication and canonicalises. */
static void leaf_dif(fe_t *a, unsigned k, const ntt_tables *t) {
    size_t n = (size_t)1 << k;
    for (size_t m = n >> 1; m >= 2; m >>= 1)
        for (size_t b = 0; b < n; b += 2 * m)
            for (size_t j = 0; j < m; j++) nt_dif(&a[b + j], &a[b + j + m], t->fwd[m + j]);
    if (n == 1) a[0] = nt_canon(a[0]);
    for (size_t b = 0; n >= 2 && b < n; b += 2) {
        uint64_t x = a[b], y = a[b + 1];
        a[b] = nt_canon(nt_add(x, y));
        a[b + 1] = nt_canon(nt_sub(x, y));
    }
}

/* DIT stages in the reverse order of leaf_dif, with inverse twiddles: m = 1 (no
 * multiplication), then m = 2 .. n/2. */
static void leaf_dit(fe_t *a, unsigned k, const ntt_tables *t) {
    size_t n = (size_t)1 << k;
    for (size_t b = 0; n >= 2 && b < n; b += 2) {
        uint64_t x = a[b], y = a[b + 1];
        a[b] = nt_add(x, y);
        a[b + 1] = nt_sub(x, y);
    }
    for (size_t m = 2; m < n; m <<= 1)
        for (size_t b = 0; b < n; b += 2 * m)
            for (size_t j = 0; j < m; j++) nt_dit(&a[b + j], &a[b + j + m], t->inv[m + j]);
    for (size_t i = 0; i < n; i++) a[i] = nt_canon(a[i]);
}

/* Row butterfly on `lanes` lanes: rows x and y, one twiddle. */
static void lanes_dif_rows(fe_t *x, fe_t *y, size_t lanes, uint64_t w) {
    for (size_t l = 0; l < lanes; l++) nt_dif(&x[l], &y[l], w);
}
static void lanes_dit_rows(fe_t *x, fe_t *y, size_t lanes, uint64_t w) {
    for (size_t l = 0; l < lanes; l++) nt_dit(&x[l], &y[l], w);
}

static void canon_rows(fe_t *a, size_t rows, size_t lanes, size_t stride) {
    for (size_t r = 0; r < rows; r++)
        for (size_t l = 0; l < lanes; l++) a[r * stride + l] = nt_canon(a[r * stride + l]);
}

static void lanes_dif(fe_t *a, unsigned k, size_t lanes, size_t stride, const ntt_tables *t) {
    size_t rows = (size_t)1 << k;
    for (size_t m = rows >> 1; m >= 1; m >>= 1)
        for (size_t b = 0; b < rows; b += 2 * m)
            for (size_t j = 0; j < m; j++)
                lanes_dif_rows(a + (b + j) * stride, a + (b + j + m) * stride, lanes, t->fwd[m + j]);
    canon_rows(a, rows, lanes, stride);
}

static void lanes_dit(fe_t *a, unsigned k, size_t lanes, size_t stride, const ntt_tables *t) {
    size_t rows = (size_t)1 << k;
    for (size_t m = 1; m < rows; m <<= 1)
        for (size_t b = 0; b < rows; b += 2 * m)
            for (size_t j = 0; j < m; j++)
                lanes_dit_rows(a + (b + j) * stride, a + (b + j + m) * stride, lanes, t->inv[m + j]);
    canon_rows(a, rows, lanes, stride);
}

/* a[i] *= c r^i. Eight interleaved power chains (step r^8) so that the multiplications of
 * consecutive elements do not wait for each other. */
static void scale_powers(fe_t *a, size_t n, fe_t c, fe_t r) {
    uint64_t pw[8];
    pw[0] = c;
    for (int l = 1; l < 8; l++) pw[l] = nt_mul(pw[l - 1], r); /* pw[l] = c r^l */
    uint64_t r2 = nt_mul(r, r), r4 = nt_mul(r2, r2), r8 = nt_mul(r4, r4);
    size_t i = 0;
    for (; i + 8 <= n; i += 8)
        for (int l = 0; l < 8; l++) {
            a[i + l] = nt_canon(nt_mul(a[i + l], pw[l]));
            pw[l] = nt_mul(pw[l], r8);                       /* c r^(i + 8 + l) */
        }
    for (int l = 0; i < n; i++, l++) a[i] = nt_canon(nt_mul(a[i], pw[l]));
}

static void scale_rows(fe_t *dst, size_t dst_stride, const fe_t *src, size_t src_stride, size_t rows, size_t lanes,
                       fe_t c, fe_t s) {
    uint64_t p = c;
    for (size_t r = 0; r < rows; r++, p = nt_mul(p, s))                  /* p = c s^r */
        for (size_t l = 0; l < lanes; l++) dst[r * dst_stride + l] = nt_canon(nt_mul(src[r * src_stride + l], p));
}

const ntt_kernels ntt_kernels_scalar = {leaf_dif, leaf_dit, lanes_dif, lanes_dit, scale_powers, scale_rows};
