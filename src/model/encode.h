/* Exact decoding of floating-point tensors and their fixed-point encoding (DESIGN.md section 3).
 *
 * Decoding. An element of dtype BF16, F16, F32 or F64 (IEEE 754 binary16/32/64 and bfloat16,
 * little-endian) is decoded exactly as x = (-1)^neg * mant * 2^exp with an integer mant < 2^53:
 * normal numbers carry the hidden bit, subnormals do not; +0 and -0 have mant = 0 (neg kept);
 * all-ones exponents are classified FTI_FP_INF or FTI_FP_NAN. No floating-point arithmetic.
 *
 * Quantum. Per tensor, a power of two 2^s fixed by the BASE tensor W:
 *     e = floor(log2 max|W|) + 1,   s = e - 30,
 * computed exactly: for x = m 2^k with m > 0, floor(log2 x) = k + bitlen(m) - 1, so e is
 * k + bitlen(m) of the element of largest magnitude (found by comparing the IEEE bit patterns
 * without their sign, which orders magnitudes). Then |x| < 2^e for every base value, so
 * |x / 2^s| < 2^30 and every base value encodes to |v| <= 2^30 (= 2^30 only when rounding up).
 * An all-zero tensor (also a zero-element one) has no magnitude to go by: it gets
 * s = FTI_QUANTUM_ALL_ZERO = -30, the quantum of a tensor whose largest magnitude is in [0.5, 1)
 * (e = 0); a tuned tensor may then reach |x| < 2 (about 2^31 quanta of 2^-30).
 * A base tensor holding a NaN or an infinity has no quantum: FTI_ERR_RANGE.
 * Reachable quanta lie in [FTI_QUANTUM_MIN, FTI_QUANTUM_MAX] (F64 subnormals to F64's largest
 * finite value); the functions below reject an s outside it with FTI_ERR_ARG.
 *
 * Encoding. With quantum 2^s, x encodes to v = round-half-to-even(x / 2^s), computed from
 * (mant, exp) with integer shifts and an inspection of the dropped bits (bit-identical on every
 * machine). The tuned value must satisfy |v| < 2^31, else FTI_ERR_RANGE
 *   "<path>: tensor <name> drifts beyond the encodable range at index <i> (value <x>, limit <y>)"
 * (i the flat index in the tensor, y = 2^(31 + s)); NaN and infinities are FTI_ERR_RANGE
 *   "<path>: tensor <name> has a NaN at index <i>"   (or "an infinity").
 *
 * Limbs. u = v + 2^31 lies in [1, 2^32); lo = u mod 2^16, hi = u >> 16. Value 0 (and every
 * padding entry) is lo = 0, hi = 0x8000. The limb arrays handed to the commitment are fe_t (the
 * field element equal to the limb), so they can be hashed or transformed without conversion.
 *
 * Matrix view. A tensor with d >= 2 dimensions is viewed as a matrix with rows = the size of
 * its "out" axis and cols = the product of the other dimensions (in their order):
 *   FTI_OUT_FIRST: axis 0 (PyTorch [out, in], OIHW, OHWI, OIH): element (r, c) is flat r*cols + c;
 *   FTI_OUT_LAST:  axis d-1 (TF HWIO, Keras/ONNX-MatMul dense [in, out], GPT-2 Conv1D): the
 *                  transpose, element (r, c) is flat c*rows + r.
 * 1-D and 0-d tensors are row vectors (rows = 1, cols = numel), whatever the axis.
 * Padded layout: rows padded to 2^a, cols to 2^b (a, b the least with 2^a >= rows, 2^b >= cols;
 * a = 0 for rows <= 1), row-major with the column bits low: (r, c) sits at index r * 2^b + c.
 * A zero-element tensor is one padding entry per padded position (2^a x 2^b = 1 x 1 at least).
 *
 * Contract: outputs first; a tensor is an fti_st_tensor (safetensors.h; a caller may fill one
 * by hand for bytes from elsewhere: name, path, dtype, ndim, shape, numel, data are read).
 * Non-committable dtypes fail with fti_st_require_committable's FTI_ERR_UNSUPPORTED message.
 * Nothing here allocates except fti_encode_limbs' fixed-size stack tiles; all functions are
 * thread-safe (different threads may encode different row windows of one tensor). */
#ifndef FTI_MODEL_ENCODE_H
#define FTI_MODEL_ENCODE_H

#include <stddef.h>
#include <stdint.h>

#include "field/field.h"
#include "fti/fti.h"
#include "model/safetensors.h"

#define FTI_QUANTUM_BITS 30      /* s = e - 30 */
#define FTI_QUANTUM_ALL_ZERO (-30)
#define FTI_QUANTUM_MIN (-1103)  /* e = -1073: the least F64 subnormal, 2^-1074 */
#define FTI_QUANTUM_MAX 994      /* e = 1024: F64's largest finite value, < 2^1024 */
#define FTI_ENCODE_LIMIT_LOG 31  /* |v| < 2^31 */

typedef enum { FTI_FP_FINITE = 0, FTI_FP_INF, FTI_FP_NAN } fti_fp_class;

typedef struct {
    fti_fp_class cls;
    int neg;       /* sign bit (also for zeros, infinities and NaNs) */
    uint64_t mant; /* < 2^53; 0 for zeros (and meaningless for INF/NaN) */
    int32_t exp;   /* x = (-1)^neg * mant * 2^exp; 0 for zeros */
} fti_fp;

/* Decodes one element (the bytes at p) of a committable dtype. */
void fti_fp_decode(fti_fp *out, fti_dtype dt, const uint8_t *p);

/* Elements [first, first + count) of t as doubles, exactly (every BF16/F16/F32/F64 value is a
 * double); NaN and infinities pass through. FTI_ERR_ARG if the range is outside the tensor. */
FTI_MUST_CHECK fti_status fti_decode_f64(double *out, const fti_st_tensor *t, uint64_t first, size_t count);

/* The quantum exponent s of base tensor t (rules above). Errors: FTI_ERR_UNSUPPORTED (dtype),
 * FTI_ERR_RANGE (NaN/infinity, naming the first such index). */
FTI_MUST_CHECK fti_status fti_quantum_exponent(int32_t *s, const fti_st_tensor *t);

/* v for element `index` of t with quantum 2^s. Errors as for fti_encode_run. */
FTI_MUST_CHECK fti_status fti_encode_value(int64_t *v, const fti_st_tensor *t, int32_t s, uint64_t index);

/* u[i] = v + 2^31 for elements [first, first + count) of t (contiguous in memory), quantum 2^s.
 * Errors: FTI_ERR_ARG (range outside the tensor, s out of bounds), FTI_ERR_UNSUPPORTED,
 * FTI_ERR_RANGE (the first bad element in the run; u is then partly written). */
FTI_MUST_CHECK fti_status fti_encode_run(uint32_t *u, const fti_st_tensor *t, int32_t s, uint64_t first,
                                         size_t count);

typedef struct {
    __int128 sum;              /* sum of v */
    unsigned __int128 sum_sq;  /* sum of v^2, exact (< 2^62 per element) */
    uint64_t nonzero;          /* number of v != 0 */
} fti_enc_stats;

/* Exact statistics of t's encoding with quantum 2^s (over its numel elements; padding adds 0).
 * Errors as for fti_encode_run. */
FTI_MUST_CHECK fti_status fti_encode_stats(fti_enc_stats *out, const fti_st_tensor *t, int32_t s);

typedef enum { FTI_OUT_FIRST = 0, FTI_OUT_LAST = 1 } fti_out_axis;

typedef struct {
    uint64_t rows, cols;          /* the logical matrix */
    unsigned log_rows, log_cols;  /* padded to 2^log_rows x 2^log_cols */
    int transposed;               /* element (r, c) is flat c*rows + r (else r*cols + c) */
} fti_view;

/* The matrix view of t with the given out axis. FTI_ERR_UNSUPPORTED if the padded matrix would
 * have more than 2^62 entries (the commitment's own size limit is the caller's to enforce). */
FTI_MUST_CHECK fti_status fti_view_init(fti_view *v, const fti_st_tensor *t, fti_out_axis axis);

static inline uint64_t fti_view_padded_size(const fti_view *v) {
    return (uint64_t)1 << (v->log_rows + v->log_cols);
}

/* Guesses the out axis of an ndim-dimensional kernel from a layout description such as the
 * "layout" metadata of the models in shared/models ("ONNX (conv OIHW; MatMul weights [in,out])"):
 * for ndim >= 3 the first of OIHW, OHWI, OIH (-> FIRST) or HWIO (-> LAST) named; for ndim == 2
 * "[out,in]" (-> FIRST) or "[in,out]" (-> LAST) if named, else LAST when the conv layout is HWIO
 * (TF/Keras/tfjs dense kernels are [in, out]); FIRST (PyTorch) when nothing is recognised or
 * layout is NULL. A heuristic for files that describe themselves; policy may override it. */
fti_out_axis fti_layout_out_axis(const char *layout, unsigned ndim);

/* Fills rows [row0, row0 + nrows) of the padded matrix of t (view v, quantum 2^s):
 * lo[i], hi[i] for i in [0, nrows << v->log_cols), entry (r, c) at (r - row0) * 2^log_cols + c.
 * Any window of padded rows may be asked for (row0 + nrows <= 2^log_rows), so a tensor can be
 * encoded in slices by one or several threads. Errors as for fti_encode_run (FTI_ERR_ARG for a
 * window outside the padded matrix); on error the arrays are partly written. */
FTI_MUST_CHECK fti_status fti_encode_limbs(fe_t *lo, fe_t *hi, const fti_st_tensor *t, const fti_view *v, int32_t s,
                                           uint64_t row0, uint64_t nrows);

#endif
