/* Matrix views of tensors and the padded limb arrays the commitment hashes. */
#include <string.h>

#include "model/enc_internal.h"
#include "util/error.h"

#define PAD_LO 0u
#define PAD_HI 0x8000u /* u = 2^31, v = 0 */

static unsigned ceil_log2(uint64_t x) { return x <= 1 ? 0 : 64 - (unsigned)__builtin_clzll(x - 1); }

fti_status fti_view_init(fti_view *v, const fti_st_tensor *t, fti_out_axis axis) {
    memset(v, 0, sizeof *v);
    if (t->ndim < 2) {
        v->rows = 1;
        v->cols = t->numel;
    } else {
        unsigned out = axis == FTI_OUT_LAST ? t->ndim - 1 : 0;
        v->rows = t->shape[out];
        v->cols = 1;
        for (unsigned i = 0; i < t->ndim; i++)
            if (i != out && __builtin_mul_overflow(v->cols, t->shape[i], &v->cols))
                return fti_fail(FTI_ERR_UNSUPPORTED, "%s: tensor %s: matrix view overflows 64 bits", t->path,
                                QNAME(t));
        /* a one-row or one-column transpose is the identity: take the contiguous path */
        v->transposed = axis == FTI_OUT_LAST && v->rows > 1 && v->cols > 1;
    }
    v->log_rows = ceil_log2(v->rows);
    v->log_cols = ceil_log2(v->cols);
    if (v->log_rows + v->log_cols > 62)
        return fti_fail(FTI_ERR_UNSUPPORTED, "%s: tensor %s: padded matrix of 2^%u x 2^%u entries is too large",
                        t->path, QNAME(t), v->log_rows, v->log_cols);
    return FTI_OK;
}

fti_out_axis fti_layout_out_axis(const char *layout, unsigned ndim) {
    if (!layout) return FTI_OUT_FIRST;
    /* the earliest conv token named decides for kernels of 3 or more dimensions */
    static const struct {
        const char *token;
        fti_out_axis axis;
    } conv[] = {{"OIHW", FTI_OUT_FIRST}, {"OHWI", FTI_OUT_FIRST}, {"OIH", FTI_OUT_FIRST}, {"HWIO", FTI_OUT_LAST}};
    const char *best = NULL;
    fti_out_axis conv_axis = FTI_OUT_FIRST;
    for (size_t i = 0; i < sizeof conv / sizeof conv[0]; i++) {
        const char *p = strstr(layout, conv[i].token);
        if (p && (!best || p < best)) best = p, conv_axis = conv[i].axis;
    }
    if (ndim >= 3) return conv_axis;
    if (ndim == 2) {
        if (strstr(layout, "[out,in]") || strstr(layout, "[out, in]")) return FTI_OUT_FIRST;
        if (strstr(layout, "[in,out]") || strstr(layout, "[in, out]")) return FTI_OUT_LAST;
        return best ? conv_axis : FTI_OUT_FIRST;
    }
    return FTI_OUT_FIRST;
}

/* lo and hi are written in separate passes over short runs rather than interleaved: two
 * store streams at the same page offset (as two equal-sized arrays from malloc usually are)
 * run about ten times slower interleaved once they leave the cache (measured: 9.2 vs 0.8 ns
 * per element on the development machine). */
static inline void split(fe_t *lo, fe_t *hi, const uint32_t *u, size_t n) {
    for (size_t i = 0; i < n; i++) lo[i] = u[i] & 0xffffu;
    for (size_t i = 0; i < n; i++) hi[i] = u[i] >> 16;
}

static inline void pad(fe_t *lo, fe_t *hi, size_t n) {
    for (size_t i = 0; i < n; i++) lo[i] = PAD_LO;
    for (size_t i = 0; i < n; i++) hi[i] = PAD_HI;
}

/* Row r of the matrix is flat [r*cols, (r+1)*cols): encoded in L1-sized chunks. */
static fti_status rows_natural(fe_t *lo, fe_t *hi, const fti_enc_plan *p, const fti_view *v, uint64_t row0,
                               uint64_t nrows) {
    enum { CHUNK = 512 };
    uint32_t u[CHUNK];
    uint64_t width = (uint64_t)1 << v->log_cols;
    for (uint64_t i = 0; i < nrows; i++) {
        fe_t *rl = lo + i * width, *rh = hi + i * width;
        uint64_t flat = (row0 + i) * v->cols;
        for (uint64_t c = 0; c < v->cols; c += CHUNK) {
            size_t n = v->cols - c < CHUNK ? (size_t)(v->cols - c) : CHUNK;
            size_t ok = fti_enc_run_raw(p, u, flat + c, n);
            if (ok != n) return fti_enc_report(p->t, p->s, flat + c + ok);
            split(rl + c, rh + c, u, n);
        }
        pad(rl + v->cols, rh + v->cols, (size_t)(width - v->cols));
    }
    return FTI_OK;
}

/* Transposed view: column c of the window is flat [c*rows + row0, c*rows + row0 + nrows),
 * contiguous in the file. Tiles of TILE_R rows x TILE_C columns are encoded column by column
 * into a small buffer (32 KiB), then written out row by row (each row gathered from the tile
 * in L1, then split like a natural row): few enough source streams for the prefetchers, 512
 * contiguous bytes per output row. (Measured against 32 x 128, 32 x 256, 64 x 128 and
 * 256 x 32 tiles: within noise of the last two, clearly better than the first two.) */
#define TILE_R 128
#define TILE_C 64
static fti_status rows_transposed(fe_t *lo, fe_t *hi, const fti_enc_plan *p, const fti_view *v, uint64_t row0,
                                  uint64_t nrows) {
    uint32_t tile[TILE_C][TILE_R], row[TILE_C];
    uint64_t width = (uint64_t)1 << v->log_cols;
    for (uint64_t r0 = 0; r0 < nrows; r0 += TILE_R) {
        size_t nr = nrows - r0 < TILE_R ? (size_t)(nrows - r0) : TILE_R;
        for (uint64_t c0 = 0; c0 < v->cols; c0 += TILE_C) {
            size_t nc = v->cols - c0 < TILE_C ? (size_t)(v->cols - c0) : TILE_C;
            for (size_t j = 0; j < nc; j++) {
                uint64_t flat = (c0 + j) * v->rows + row0 + r0;
                size_t ok = fti_enc_run_raw(p, tile[j], flat, nr);
                if (ok != nr) return fti_enc_report(p->t, p->s, flat + ok);
            }
            for (size_t r = 0; r < nr; r++) {
                for (size_t j = 0; j < nc; j++) row[j] = tile[j][r]; /* gather in L1, then split as rows */
                split(lo + (r0 + r) * width + c0, hi + (r0 + r) * width + c0, row, nc);
            }
        }
        for (size_t r = 0; r < nr; r++)
            pad(lo + (r0 + r) * width + v->cols, hi + (r0 + r) * width + v->cols, (size_t)(width - v->cols));
    }
    return FTI_OK;
}

static fti_status check_window(const fti_st_tensor *t, const fti_view *v, uint64_t row0, uint64_t nrows) {
    uint64_t prows = (uint64_t)1 << v->log_rows, total;
    if (__builtin_mul_overflow(v->rows, v->cols, &total) || total != t->numel || v->rows > prows ||
        v->cols > ((uint64_t)1 << v->log_cols))
        return fti_fail(FTI_ERR_ARG, "%s: tensor %s: view %llux%llu does not fit its %llu elements", t->path, QNAME(t),
                        (unsigned long long)v->rows, (unsigned long long)v->cols, (unsigned long long)t->numel);
    if (row0 > prows || nrows > prows - row0)
        return fti_fail(FTI_ERR_ARG, "%s: tensor %s: rows [%llu, +%llu) outside the padded 2^%u", t->path, QNAME(t),
                        (unsigned long long)row0, (unsigned long long)nrows, v->log_rows);
    return FTI_OK;
}

fti_status fti_encode_limbs(fe_t *lo, fe_t *hi, const fti_st_tensor *t, const fti_view *v, int32_t s, uint64_t row0,
                            uint64_t nrows) {
    fti_status st = fti_enc_check(t, s);
    if (st == FTI_OK) st = check_window(t, v, row0, nrows);
    if (st != FTI_OK) return st;
    uint64_t width = (uint64_t)1 << v->log_cols;
    uint64_t real_end = row0 + nrows < v->rows ? row0 + nrows : v->rows;
    uint64_t nreal = real_end > row0 ? real_end - row0 : 0;
    if (nreal) {
        fti_enc_plan plan;
        fti_enc_plan_init(&plan, t, s, nreal * v->cols);
        st = v->transposed ? rows_transposed(lo, hi, &plan, v, row0, nreal) : rows_natural(lo, hi, &plan, v, row0, nreal);
        fti_enc_plan_free(&plan);
        if (st != FTI_OK) return st;
    }
    pad(lo + nreal * width, hi + nreal * width, (size_t)((nrows - nreal) * width));
    return FTI_OK;
}
