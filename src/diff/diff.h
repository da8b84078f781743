/* fti diff: the plain (non-succinct) drift report between a base checkpoint and a tuned one.
 *
 * It tells a user which policy a fine-tune would pass (DESIGN.md sections 6, 7, 9) and serves the
 * proof tests as their oracle. Per tensor (sorted by name) and in total it measures, from the
 * exactly decoded values (encode.h: fti_decode_f64) of W (base) and W' (tuned), Delta = W' - W
 * computed in double precision (one correctly rounded subtraction per entry):
 *   ||W||_F, ||W'||_F, ||Delta||_F, ||Delta||_F / ||W||_F;
 *   changed = #{i : W'_i != W_i} (value comparison: +0 and -0 are equal), its fraction;
 *   max |Delta_i| and the first flat index where it occurs;
 *   for tensors of >= 2 dimensions, the numerical rank of Delta seen as a matrix (below).
 * Sums of squares are accumulated in scaled double-double arithmetic (relative error about
 * n * 2^-106 before the final rounding), so every norm is within an ulp or two of the exact
 * value of the square root of the exact sum.
 *
 * Matrix view. rows = the out axis (fti_layout_out_axis of the base file's "layout" metadata,
 * else the first axis), cols = the product of the other dimensions (encode.h, fti_view_init).
 * Singular values do not depend on which axis is chosen (a transpose), only the printed shape.
 *
 * Numerical rank ("rank"). A tuned tensor stored in a dtype with unit roundoff u (BF16 2^-8,
 * F16 2^-11, F32 2^-24, F64 2^-53) is W' = fl(W + Delta_true), so the stored difference is
 * Delta = Delta_true + E with |E_ij| <= ulp(W'_ij) / 2. Hence ||E||_F <= tol_F, where
 *     tol_F = sqrt( sum_ij (ulp(W'_ij) / 2)^2 )      (<= u * ||W'||_F),
 * computed exactly from the exponents of W' (ulp of a subnormal or zero: the dtype's least
 * subnormal). The reported rank is
 *     rank = min { r : sqrt( sum_{i>r} sigma_i(Delta)^2 ) <= tol_F }.
 * By Eckart-Young, a true update of rank r that was rounded to the dtype has rank <= r here
 * (its rank-r truncation is within ||E||_F <= tol_F of Delta), and "rank <= rank with a residual
 * of at most tol_F" always fits: exactly the pair a rank policy in residual mode states
 * (policy.h, FTI_REQ_RANK with a residual bound; tol_F / ||W||_F is at most u * ||W'|| / ||W||,
 * below fti_preset_lora_residual's default of 2u).
 *
 * Rank at a relative threshold ("rank@tol"): #{i : sigma_i > tol * sigma_1}, with tol from the
 * options or, by default, max(rows, cols) * 2^-52 (numpy.linalg.matrix_rank's default): the
 * rank of the double-precision Delta itself, rounding noise included.
 *
 * How the singular values are obtained. All-zero rows and columns of Delta are dropped first
 * (exactly: they carry no singular value), so sparse edits stay small. Then:
 *   SVD:    min(rows', cols') <= svd_limit (default 1024): every singular value by LAPACK dgesdd;
 *           both ranks are exact (up to dgesdd's backward error, ~1e-16 * sigma_1).
 *   SKETCH: otherwise a randomized range finder (Halko, Martinsson, Tropp 2011): Q = orth(A Omega)
 *           with a seeded Gaussian Omega of k columns and power iterations (2 for the first
 *           sketch, 1 for larger ones), B = Q^T A, and the residual R = A - Q B, whose norm is
 *           computed explicitly. Since A^T A = B^T B + R^T R, every
 *           figure gets proven bounds:  sigma_i(B) <= sigma_i(A) <= sqrt(sigma_i(B)^2 + ||R||^2),
 *           sigma_{k+1}(A) <= ||R||, and tail_r(B)^2 <= tail_r(A)^2 <= tail_r(B)^2 + ||R||_F^2
 *           (the right side is the error of the explicit rank-r approximation Q B_r). From them a
 *           bracket lo <= rank <= hi (and one for rank@tol). k starts at 64 and doubles up to
 *           sketch_max (default 256) until the rank bracket closes (lo == hi, then exact); the
 *           rank@tol bracket is reported as it then stands (after rounding, Delta's double-
 *           precision rank is full, which only a sketch of min(rows, cols) columns would show).
 *           A bracket left open ends in hi = min(rows', cols'): "rank >= lo (estimated)". The
 *           bounds hold up to the floating-point error of Q's orthogonality (~1e-15 relative).
 *           Cost per sketch ~ (2q + 3) * 2 m n k flops: 5632 x 2048 closes a rank-16 update in
 *           one 64-column sketch (~0.4 s); a full-rank one runs to 256 columns (~1.5 s, versus
 *           ~3-5 s for dgesdd) and reports ">= 256".
 *
 * Streaming: tensors are read one pair at a time and their pages released afterwards
 * (fti_ckpt_release), so memory stays at one tensor's Delta in float64 (for matrices) plus
 * per-thread chunk buffers and the sketch, never both checkpoints.
 * Threads: the decoding pass runs over fixed chunks of a tensor on `threads` OpenMP threads
 * and merges per-chunk results in chunk order (every figure of the pass is independent of the
 * thread count); the SVD and sketch use OpenBLAS's threads (set to `threads` as well, restored
 * afterwards). Output is identical run to run; across thread counts the singular values may
 * differ in the last bits (OpenBLAS's blocking), the ranks do not in practice.
 *
 * Tensors of other dtypes (integers, 8-bit and smaller floats) are compared element by element
 * on their bytes (sub-byte elements LSB first): only changed counts are reported for them.
 *
 * JSON (fti_diff_to_json), schema version 1; absent or non-finite numbers are null:
 * { "fti_diff": 1,
 *   "base": PATH, "tuned": PATH,
 *   "options": { "tol": X|null (null: default), "svd_limit": N, "sketch_max": N },
 *   "notes": [ STRING, ... ],                          (the tolerance formulas, as printed)
 *   "tensors": [ {
 *       "name": S, "dtype": S, "shape": [N, ...], "numel": N,
 *       "decoded": BOOL,                               (false: bytes compared only)
 *       "norm_base": X, "norm_tuned": X, "norm_delta": X, "rel_delta": X,
 *       "changed": N, "changed_fraction": X,
 *       "max_abs_delta": X, "max_abs_delta_index": N|null,
 *       "encoded": null | {                            (null: not decoded; see fti_diff_encoded)
 *           "quantum": S, "encodable": BOOL, "out_of_range_index": N|null,
 *           "changed": N|null, "delta_sq": "DECIMAL"|null, "norm_delta": X|null },
 *       "rank": null | {                               (null: fewer than 2 dims or not decoded)
 *           "rows": N, "cols": N, "out_axis": "first"|"last",
 *           "nonzero_rows": N, "nonzero_cols": N,
 *           "method": "zero"|"svd"|"sketch", "sketch_cols": N|null,
 *           "tol_round": X, "rank": N, "rank_hi": N, "exact": BOOL, "residual": X,
 *           "tol": X, "rank_at_tol": N, "rank_at_tol_hi": N, "rank_at_tol_exact": BOOL,
 *           "sigma_max": X, "sigma_max_exact": BOOL },
 *       "fits": { "frozen": BOOL, "sparse_k": N, "rank_r": N|null, "rank_exact": BOOL,
 *                 "rank_residual": X|null, "rank_residual_rel": X|null,
 *                 "norm_tau": X|null, "norm_rho": X|null } } ... ],
 *   "totals": { "tensors": N, "changed_tensors": N, "numel": N, "changed": N,
 *               "changed_fraction": X, "norm_base": X, "norm_tuned": X, "norm_delta": X,
 *               "rel_delta": X, "max_abs_delta": X } }
 * "rank" is the lower end of the bracket and "rank_hi" the upper ("exact": equal); "residual" is
 * sqrt(sum_{i > rank_hi} sigma_i^2) (an upper bound for a sketch). "fits" holds the smallest
 * parameters with which each class passes: sparse_k = changed; rank_r = max(1, rank_hi) with
 * rank_residual (its relative form divided by ||W||_F); norm_tau = ||Delta||_F,
 * norm_rho = ||Delta||_F / ||W||_F. Policies check the proof's fixed-point encoding (DESIGN.md 3),
 * which differs from these real values by the quantisation, so leave a margin.
 *
 * Conventions: outputs first; functions returning fti_status leave *out NULL on failure and set
 * fti_last_error() to one line naming the file and the problem:
 *   FTI_ERR_IO / FTI_ERR_FORMAT   a checkpoint cannot be opened or is malformed (checkpoint.h);
 *   FTI_ERR_MISMATCH  "<tuned>: tensors differ from <base>: missing in tuned (2): a, b; extra in
 *                      tuned (1): c; shape differs (1): d [3,4] vs [4,3]; dtype differs ..."
 *                      (at most 4 names per kind, then "...");
 *   FTI_ERR_RANGE     "<file>: tensor <name> has a NaN at index <i>" (or "an infinity"): the first
 *                      such element in flat order, the base's before the tuned's;
 *   FTI_ERR_NOMEM, FTI_ERR_INTERNAL (LAPACK failure, naming the tensor). */
#ifndef FTI_DIFF_DIFF_H
#define FTI_DIFF_DIFF_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "fti/fti.h"
#include "model/checkpoint.h"
#include "model/encode.h"

#define FTI_DIFF_JSON_VERSION 1
#define FTI_DIFF_SVD_LIMIT 1024 /* exact SVD up to this min(rows, cols) */
#define FTI_DIFF_SKETCH_MAX 256 /* most sketch columns */
#define FTI_DIFF_SKETCH_MIN 64  /* first sketch size */

typedef struct {
    double tol;          /* rank@tol threshold relative to sigma_1, in [0, 1]; NaN: the default
                            max(rows, cols) * 2^-52 of each matrix */
    int threads;         /* >= 1; 0: OpenMP's default */
    uint64_t svd_limit;  /* exact SVD when min(rows', cols') <= svd_limit */
    uint64_t sketch_max; /* most sketch columns (>= 1) */
    /* Called after each tensor pair (may be NULL), on the calling thread, with tensors done and
     * total and bytes (of both checkpoints) done and total; the signature of fti_progress's
     * report (commit/commit.h), so the CLI's cli_progress_report fits. */
    void (*progress)(void *ctx, size_t done, size_t total, uint64_t bytes_done, uint64_t bytes_total);
    void *progress_ctx;
} fti_diff_options;

/* Defaults: tol NaN, threads 0, svd_limit FTI_DIFF_SVD_LIMIT, sketch_max FTI_DIFF_SKETCH_MAX. */
void fti_diff_options_init(fti_diff_options *o);

typedef enum {
    FTI_RANK_NONE = 0, /* not a matrix (ndim < 2) or not decoded */
    FTI_RANK_ZERO,     /* Delta = 0 (or no entries): rank 0, nothing factorised */
    FTI_RANK_SVD,      /* exact: all singular values */
    FTI_RANK_SKETCH    /* bounds from a randomized sketch */
} fti_rank_method;

typedef struct {
    fti_rank_method method;
    uint64_t rows, cols;       /* the matrix view (rows = out axis) */
    fti_out_axis axis;
    uint64_t nz_rows, nz_cols; /* rows / cols of the view holding a nonzero entry of Delta */
    double tol_round;          /* tol_F above */
    uint64_t lo, hi;           /* lo <= rank <= hi; exact when equal */
    double residual;           /* sqrt(sum_{i>hi} sigma_i^2) (SKETCH: an upper bound) */
    double tol;                /* the relative threshold of rank@tol */
    uint64_t at_tol_lo, at_tol_hi;
    double sigma_max;          /* sigma_1 (SKETCH: a lower bound) */
    uint64_t sketch_cols;      /* SKETCH: columns of the final sketch, else 0 */
} fti_diff_rank;

/* Delta in the proof's fixed point (DESIGN.md section 3, encode.h): v = round(x / 2^s) with the
 * base tensor's quantum 2^s, Delta_q = v' - v. What a certificate states about a tensor is about
 * Delta_q: changes below half a quantum vanish, and the norm is sqrt(delta_sq) * 2^s. */
typedef struct {
    int valid;                  /* 0: not decoded, or the base has no quantum */
    int32_t quantum;            /* s */
    int encodable;              /* every tuned value has |v'| < 2^31 */
    uint64_t out_of_range;      /* !encodable: the first flat index beyond the range */
    uint64_t changed;           /* #{v' != v} (encodable only) */
    unsigned __int128 delta_sq; /* sum (v' - v)^2, exact (encodable only) */
} fti_diff_encoded;

typedef struct {
    char *name;
    fti_dtype dtype;
    unsigned ndim;
    uint64_t *shape;  /* ndim entries (NULL for a scalar) */
    uint64_t numel;
    int decoded;      /* 1: BF16/F16/F32/F64, every figure below; 0: only changed */
    double norm_base, norm_tuned, norm_delta;
    double rel_delta; /* norm_delta / norm_base; 0 if Delta = 0; +inf if only W = 0 */
    uint64_t changed;
    double max_abs_delta;
    uint64_t max_index; /* first flat index of max_abs_delta (0 when Delta = 0) */
    fti_diff_rank rank;
    fti_diff_encoded enc;
} fti_diff_tensor;

typedef struct {
    size_t tensors, changed_tensors;
    uint64_t numel, changed;
    double norm_base, norm_tuned, norm_delta, rel_delta, max_abs_delta; /* decoded tensors */
} fti_diff_totals;

typedef struct {
    char *base, *tuned; /* the files opened (fti_ckpt_path) */
    fti_diff_options opts;
    size_t n;
    fti_diff_tensor *t; /* sorted by name */
    fti_diff_totals total;
} fti_diff_report;

/* The smallest class parameters with which a tensor passes (see "fits" above). */
typedef struct {
    int frozen;
    uint64_t sparse_k;
    int has_rank;          /* 0 for vectors and undecoded tensors */
    uint64_t rank_r;       /* max(1, rank.hi) */
    int rank_exact;
    double rank_residual, rank_residual_rel;
    double norm_tau, norm_rho; /* NaN when not decoded */
} fti_diff_fits;

/* Opens both checkpoints (checkpoint.h: a file, an index or a directory) and diffs them. */
FTI_MUST_CHECK fti_status fti_diff_paths(fti_diff_report **out, const char *base, const char *tuned,
                                         const fti_diff_options *opts);

/* Diffs two open checkpoints (borrowed; their tensors' pages are released as they are done). */
FTI_MUST_CHECK fti_status fti_diff_ckpts(fti_diff_report **out, const fti_ckpt *base, const fti_ckpt *tuned,
                                         const fti_diff_options *opts);

void fti_diff_free(fti_diff_report *r); /* r may be NULL */

void fti_diff_fits_of(fti_diff_fits *out, const fti_diff_tensor *t);

/* The report as JSON (schema above; 2-space indent, reals with 17 significant digits),
 * newline-terminated; *out is malloc'd (free()). FTI_ERR_NOMEM. */
FTI_MUST_CHECK fti_status fti_diff_to_json(char **out, const fti_diff_report *r);

/* The human report: an aligned table (one line per tensor), the totals and the notes. */
FTI_MUST_CHECK fti_status fti_diff_print(FILE *f, const fti_diff_report *r);

/* The notes printed under the table and stored in the JSON: note i (i < count), or NULL. The
 * text depends only on the options. */
size_t fti_diff_note_count(void);
void fti_diff_note(char *buf, size_t cap, size_t i, const fti_diff_options *o);

#endif
