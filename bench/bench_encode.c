/* Encoding throughput (src/model/encode.h), one core, in MB/s of checkpoint bytes read:
 *   quantum_*        fti_quantum_exponent (the max-magnitude scan of a base tensor)
 *   run_*            fti_encode_run into u = v + 2^31 (uint32)
 *   stats_*          fti_encode_stats (sum v, sum v^2)
 *   limbs_*_first    fti_encode_limbs, out axis first (contiguous rows), whole matrix
 *   limbs_*_last     the same with out axis last (the transposed view)
 * on a 2048 x 2048 tensor of Gaussian-like weights (sigma 0.02) in BF16, F16 and F32.
 * Best of 5 runs. Note: the limbs are fe_t, 16 output bytes per value, so the limbs figures are
 * bounded by memory bandwidth long before the arithmetic.
 *   usage: bench_encode [name-filter] */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include "bench.h"
#include "model/encode.h"

#define ROWS 2048
#define COLS 2048
#define N ((uint64_t)ROWS * COLS)

static uint64_t rng = 88172645463325252ull;
static double gauss(void) { /* Irwin-Hall, 4 uniforms: enough for a weight-like spread */
    double s = 0;
    for (int i = 0; i < 4; i++) {
        rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
        s += (double)(rng >> 11) * 0x1p-53;
    }
    return (s - 2.0) * 1.7320508;
}

static void fill(uint8_t *p, fti_dtype dt) {
    for (uint64_t i = 0; i < N; i++) {
        float f = (float)(gauss() * 0.02);
        uint32_t w;
        memcpy(&w, &f, 4);
        if (dt == FTI_DT_F32) {
            memcpy(p + 4 * i, &w, 4);
        } else if (dt == FTI_DT_BF16) {
            uint16_t h = (uint16_t)((w + 0x7fff + ((w >> 16) & 1)) >> 16); /* round to nearest even */
            memcpy(p + 2 * i, &h, 2);
        } else {
            _Float16 h = (_Float16)f;
            memcpy(p + 2 * i, &h, 2);
        }
    }
}

typedef struct {
    const fti_st_tensor *t;
    int32_t s;
    uint32_t *u;
    fe_t *lo, *hi;
    fti_view view[2];
} ctx;

static int op_quantum(ctx *c, int k) { return fti_quantum_exponent(&c->s, c->t) != FTI_OK; }
static int op_run(ctx *c, int k) { return fti_encode_run(c->u, c->t, c->s, 0, N) != FTI_OK; }
static int op_stats(ctx *c, int k) {
    fti_enc_stats st;
    int bad = fti_encode_stats(&st, c->t, c->s) != FTI_OK;
    bench_consume((unsigned long long)st.sum_sq);
    return bad;
}
static int op_limbs(ctx *c, int k) {
    return fti_encode_limbs(c->lo, c->hi, c->t, &c->view[k], c->s, 0, (uint64_t)1 << c->view[k].log_rows) != FTI_OK;
}

static void run(const char *filter, const char *name, ctx *c, int (*op)(ctx *, int), int k) {
    if (!bench_selected(filter, name)) return;
    double best = 1e30;
    for (int r = 0; r < 5; r++) {
        double t0 = bench_now();
        if (op(c, k)) {
            fprintf(stderr, "%s: %s\n", name, fti_last_error());
            exit(1);
        }
        double dt = bench_now() - t0;
        best = dt < best ? dt : best;
    }
    bench_print(name, (double)c->t->nbytes / best / 1e6, "MB/s");
}

int main(int argc, char **argv) {
    const char *filter = argc > 1 ? argv[1] : NULL;
    static const fti_dtype dts[] = {FTI_DT_BF16, FTI_DT_F16, FTI_DT_F32};
    uint64_t shape[2] = {ROWS, COLS};
    uint8_t *data = malloc(N * 4);
    ctx c = {.u = malloc(N * 4), .lo = malloc(N * 8), .hi = malloc(N * 8 + 64)};
    if (!data || !c.u || !c.lo || !c.hi) return 1;
    c.hi += 8; /* keep lo and hi at different page offsets (see enc_view.c) */
    for (size_t k = 0; k < sizeof dts / sizeof dts[0]; k++) {
        fti_st_tensor t = {.name = "w", .path = "bench", .dtype = dts[k], .ndim = 2, .shape = shape,
                           .numel = N, .nbytes = N * fti_dtype_bits(dts[k]) / 8, .data = data};
        char name[64];
        const char *dn = fti_dtype_name(dts[k]);
        fill(data, dts[k]);
        c.t = &t;
        if (fti_quantum_exponent(&c.s, &t) != FTI_OK || fti_view_init(&c.view[0], &t, FTI_OUT_FIRST) != FTI_OK ||
            fti_view_init(&c.view[1], &t, FTI_OUT_LAST) != FTI_OK)
            return 1;
        snprintf(name, sizeof name, "encode_quantum_%s", dn), run(filter, name, &c, op_quantum, 0);
        snprintf(name, sizeof name, "encode_run_%s", dn), run(filter, name, &c, op_run, 0);
        snprintf(name, sizeof name, "encode_stats_%s", dn), run(filter, name, &c, op_stats, 0);
        snprintf(name, sizeof name, "encode_limbs_%s_first", dn), run(filter, name, &c, op_limbs, 0);
        snprintf(name, sizeof name, "encode_limbs_%s_last", dn), run(filter, name, &c, op_limbs, 1);
    }
    free(data), free(c.u), free(c.lo), free(c.hi - 8);
    return 0;
}
