/* Exact decoding and the fixed-point encoding (src/model/encode.h) on synthetic edge cases,
 * checked against known answers and against the independent numpy/Fraction oracle
 * tests/oracle/encode_oracle.py: every F16 and BF16 bit pattern, F32/F64 edges (subnormals,
 * signed zeros, largest and smallest finite values), exact ties in both directions, values at
 * +-2^31 quanta, NaN and infinities with their index, the quantum rule, limbs and views. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "model/encode.h"
#include "model/safetensors.h"
#include "oracle/oracle_client.h"
#include "test.h"

/* ---- a small safetensors writer ---- */

#define STW_MAX 48
typedef struct {
    char name[64];
    const char *dtype;
    unsigned ndim;
    uint64_t shape[4];
    uint8_t *data;
    size_t nbytes;
} stw_tensor;

typedef struct {
    stw_tensor t[STW_MAX];
    size_t n;
} stw;

static void stw_add(stw *w, const char *name, const char *dtype, unsigned ndim, const uint64_t *shape, const void *data,
                    size_t nbytes) {
    stw_tensor *t = &w->t[w->n++];
    snprintf(t->name, sizeof t->name, "%s", name);
    t->dtype = dtype;
    t->ndim = ndim;
    memcpy(t->shape, shape, ndim * sizeof *shape);
    t->data = malloc(nbytes ? nbytes : 1);
    memcpy(t->data, data, nbytes);
    t->nbytes = nbytes;
}

static void stw_add_1d(stw *w, const char *name, const char *dtype, const void *data, size_t n, size_t elem) {
    uint64_t shape[1] = {n};
    stw_add(w, name, dtype, 1, shape, data, n * elem);
}

/* Writes the file and frees the tensors. */
static const char *stw_write(stw *w, const char *file) {
    static char path[8][512];
    static int k;
    char *p = path[k++ % 8];
    snprintf(p, 512, "%s/%s", test_tmpdir(), file);
    char *h = malloc(64 + w->n * 256);
    size_t o = 0, off = 0;
    o += (size_t)sprintf(h + o, "{");
    for (size_t i = 0; i < w->n; i++) {
        stw_tensor *t = &w->t[i];
        o += (size_t)sprintf(h + o, "%s\"%s\":{\"dtype\":\"%s\",\"shape\":[", i ? "," : "", t->name, t->dtype);
        for (unsigned d = 0; d < t->ndim; d++) o += (size_t)sprintf(h + o, "%s%llu", d ? "," : "", (unsigned long long)t->shape[d]);
        o += (size_t)sprintf(h + o, "],\"data_offsets\":[%zu,%zu]}", off, off + t->nbytes);
        off += t->nbytes;
    }
    o += (size_t)sprintf(h + o, "}");
    FILE *f = fopen(p, "wb");
    uint8_t len[8];
    for (int i = 0; i < 8; i++) len[i] = (uint8_t)((uint64_t)o >> (8 * i));
    fwrite(len, 1, 8, f);
    fwrite(h, 1, o, f);
    for (size_t i = 0; i < w->n; i++) {
        fwrite(w->t[i].data, 1, w->t[i].nbytes, f);
        free(w->t[i].data);
    }
    fclose(f);
    free(h);
    w->n = 0;
    return p;
}

/* ---- comparing a whole file with the oracle ---- */

/* Runs the oracle with args and compares each tensor of path with the C encoder's record.
 * force_s: quantum for every tensor (NULL: each tensor's own). */
static int compare_file(const char *path, const int32_t *force_s, fti_out_axis axis, int values, int exact) {
    char args[256];
    snprintf(args, sizeof args, "--axis %s%s%s", axis == FTI_OUT_LAST ? "last" : "first", values ? " --values" : "",
             exact ? " --exact" : "");
    if (force_s) snprintf(args + strlen(args), sizeof args - strlen(args), " --quantum %d", (int)*force_s);
    oracle_recs o;
    fti_st_file *f = NULL;
    int ok = oracle_run(&o, path, args) && fti_st_open(&f, path) == FTI_OK && o.n == fti_st_count(f);
    for (size_t i = 0; ok && i < fti_st_count(f); i++) {
        const fti_st_tensor *t = fti_st_tensor_at(f, i);
        oracle_rec c;
        ok = strcmp(o.r[i].name, t->name) == 0 && c_record(&c, t, NULL, force_s, axis, values) && rec_equal(&c, &o.r[i]);
        /* base values (own quantum) never exceed 2^30 in magnitude */
        for (size_t j = 0; ok && !force_s && j < c.nvalues; j++) ok = llabs(c.values[j]) <= (1ll << 30);
        free(c.values);
    }
    if (!ok) fprintf(stderr, "  compare_file(%s, %s) failed: %s\n", path, args, fti_last_error());
    fti_st_close(f);
    oracle_free(&o);
    return ok;
}

#define NEED_ORACLE()                                         \
    do {                                                      \
        if (!oracle_available()) {                            \
            test_skip(ORACLE_PYTHON " (with numpy) is absent"); \
            return;                                           \
        }                                                     \
    } while (0)

static uint32_t f32_bits(float x) {
    uint32_t w;
    memcpy(&w, &x, 4);
    return w;
}

/* The file of 16- and 32-bit edge cases. */
static const char *write_edges(void) {
    static stw w;
    uint16_t *p = malloc(65536 * 2);
    size_t n = 0;
    for (uint32_t b = 0; b < 65536; b++)
        if (((b >> 10) & 0x1f) != 0x1f) p[n++] = (uint16_t)b;
    stw_add_1d(&w, "f16_all", "F16", p, n, 2);
    n = 0;
    for (uint32_t b = 0; b < 65536; b++)
        if (((b >> 7) & 0xff) != 0xff) p[n++] = (uint16_t)b;
    stw_add_1d(&w, "bf16_all", "BF16", p, n, 2);
    n = 0;
    for (uint32_t b = 0; b < 65536; b++)
        if (((b >> 10) & 0x1f) < 8) p[n++] = (uint16_t)b; /* subnormals and the smallest normals */
    stw_add_1d(&w, "f16_small", "F16", p, n, 2);
    free(p);

    static const uint32_t edges[] = {0, 0x80000000u, 1, 0x80000001u, 0x007fffffu, 0x807fffffu, 0x00800000u,
                                     0x3f800000u, 0xbfc00000u, 0x7f7fffffu, 0xff7fffffu, 0x34000000u, 0x4b000001u};
    uint32_t *q = malloc(4096 * 4);
    n = 0;
    for (size_t i = 0; i < sizeof edges / 4; i++) q[n++] = edges[i];
    while (n < 3000) {
        uint32_t b = (uint32_t)test_rand();
        if (((b >> 23) & 0xff) != 0xff) q[n++] = b;
    }
    stw_add_1d(&w, "f32_wide", "F32", q, n, 4);
    for (n = 0; n < 4000; n++) /* exponents 110..135 only: a mix of left and right shifts */
        q[n] = (uint32_t)(test_rand() & 0x807fffffu) | (uint32_t)(110 + test_rand_below(26)) << 23;
    stw_add_1d(&w, "f32_narrow", "F32", q, n, 4);
    /* exact ties of quantum 2^-20 (the max 1000 fixes e = 10), and values just off them */
    n = 0;
    q[n++] = f32_bits(1000.0f);
    for (int k = -40; k <= 40; k++) {
        q[n++] = f32_bits(ldexpf((float)k + 0.5f, -20));
        q[n++] = f32_bits(ldexpf((float)k + 0.5f + 0x1p-10f, -20));
        q[n++] = f32_bits(ldexpf((float)k + 0.5f - 0x1p-10f, -20));
        q[n++] = f32_bits(ldexpf((float)k + 0.25f, -20));
    }
    stw_add_1d(&w, "f32_ties", "F32", q, n, 4);
    free(q);
    return stw_write(&w, "edges.safetensors");
}

static void test_encode__edges16_32_own_quantum(void) {
    NEED_ORACLE();
    CHECK(compare_file(write_edges(), NULL, FTI_OUT_FIRST, 1, 1));
}

static void test_encode__edges16_32_forced_quanta(void) {
    NEED_ORACLE();
    const char *p = write_edges();
    static const int32_t quanta[] = {-40, -24, -15, -3, 0, 7, 140};
    for (size_t i = 0; i < sizeof quanta / sizeof quanta[0]; i++)
        CHECK(compare_file(p, &quanta[i], FTI_OUT_FIRST, 1, quanta[i] == -24 || quanta[i] == 0));
}

static void test_encode__edges_f64(void) {
    NEED_ORACLE();
    static stw w;
    static const uint64_t edges[] = {0, 0x8000000000000000ull, 1, 0x800fffffffffffffull, 0x0010000000000000ull,
                                     0x3ff0000000000000ull, 0x7fefffffffffffffull, 0xffefffffffffffffull,
                                     0x3fefffffffffffffull, 0x4330000000000001ull};
    uint64_t *q = malloc(2048 * 8);
    size_t n = 0;
    for (size_t i = 0; i < sizeof edges / 8; i++) q[n++] = edges[i];
    while (n < 1500) {
        uint64_t b = test_rand();
        if (((b >> 52) & 0x7ff) != 0x7ff) q[n++] = b;
    }
    stw_add_1d(&w, "f64_wide", "F64", q, n, 8);
    for (n = 0; n < 1500; n++) q[n] = (test_rand() & 0x800fffffffffffffull) | (uint64_t)(1000 + test_rand_below(48)) << 52;
    stw_add_1d(&w, "f64_narrow", "F64", q, n, 8);
    for (n = 0; n < 300; n++) q[n] = (test_rand() & 0x800fffffffffffffull) | (uint64_t)test_rand_below(3) << 52;
    stw_add_1d(&w, "f64_subnormal", "F64", q, n, 8);
    n = 0;
    ((double *)q)[n++] = 1000.0; /* e = 10: quantum 2^-20; then exact ties and near-ties */
    for (int k = -40; k <= 40; k++) {
        ((double *)q)[n++] = ldexp(k + 0.5, -20);
        ((double *)q)[n++] = ldexp(k + 0.5 + 0x1p-40, -20);
        ((double *)q)[n++] = ldexp(k + 0.5 - 0x1p-40, -20);
    }
    stw_add_1d(&w, "f64_ties", "F64", q, n, 8);
    double up = 1.0 - 0x1p-40; /* e = 0, s = -30: rounds up to exactly 2^30 */
    stw_add_1d(&w, "f64_round_up", "F64", &up, 1, 8);
    const char *p = stw_write(&w, "edges64.safetensors");
    free(q);
    CHECK(compare_file(p, NULL, FTI_OUT_FIRST, 1, 1));
    static const int32_t quanta[] = {-1103, -1060, -30, 0, 950, 994};
    for (size_t i = 0; i < sizeof quanta / sizeof quanta[0]; i++) CHECK(compare_file(p, &quanta[i], FTI_OUT_FIRST, 1, 1));
    fti_st_file *f;
    int64_t v;
    CHECK(fti_st_open(&f, p) == FTI_OK);
    int32_t s;
    CHECK(fti_quantum_exponent(&s, fti_st_find(f, "f64_round_up")) == FTI_OK && s == -30);
    CHECK(fti_encode_value(&v, fti_st_find(f, "f64_round_up"), s, 0) == FTI_OK && v == (1ll << 30));
    fti_st_close(f);
}

/* ---- ties, limits, NaN: known answers and the oracle ---- */

static fti_st_tensor mem_tensor(const char *name, fti_dtype dt, const void *data, uint64_t n) {
    static uint64_t shape[1];
    shape[0] = n;
    return (fti_st_tensor){.name = name, .path = "mem", .dtype = dt, .ndim = 1, .shape = shape, .numel = n,
                           .nbytes = n * fti_dtype_bits(dt) / 8, .data = data};
}

static void test_encode__ties_to_even_known_answers(void) {
    static const float x[] = {0.5f, 1.5f, 2.5f, 3.5f, -0.5f, -1.5f, -2.5f, -3.5f, 0.49999997f, 0.50000006f, 2.5000002f};
    static const int64_t want[] = {0, 2, 2, 4, 0, -2, -2, -4, 0, 1, 3};
    fti_st_tensor t = mem_tensor("ties", FTI_DT_F32, x, 11);
    for (int i = 0; i < 11; i++) {
        int64_t v;
        CHECK(fti_encode_value(&v, &t, 0, (uint64_t)i) == FTI_OK);
        CHECK_EQ_U64(v, want[i]);
    }
    /* the same ties one binade down: x * 2^-1 with quantum 2^-1 */
    for (int i = 0; i < 8; i++) {
        float y = x[i] * 0.5f;
        fti_st_tensor u = mem_tensor("ties2", FTI_DT_F32, &y, 1);
        int64_t v;
        CHECK(fti_encode_value(&v, &u, -1, 0) == FTI_OK);
        CHECK_EQ_U64(v, want[i]);
    }
}

static void test_encode__signed_zero_and_limbs(void) {
    /* quantum 2^0: v = [-1, 0 (from -0), 1, 2^30, -2^30, 65535] */
    static const float x[] = {-1.0f, -0.0f, 1.0f, 0x1p30f, -0x1p30f, 65535.0f};
    uint64_t shape[2] = {2, 3};
    fti_st_tensor t = mem_tensor("limbs", FTI_DT_F32, x, 6);
    t.ndim = 2, t.shape = shape;
    static const uint16_t lo_w[] = {0xffff, 0, 1, 0, 0, 0xffff}, hi_w[] = {0x7fff, 0x8000, 0x8000, 0xc000, 0x4000, 0x8000};
    fti_view v;
    fe_t lo[8], hi[8];
    CHECK(fti_view_init(&v, &t, FTI_OUT_FIRST) == FTI_OK);
    CHECK(v.rows == 2 && v.cols == 3 && v.log_rows == 1 && v.log_cols == 2 && !v.transposed);
    CHECK(fti_encode_limbs(lo, hi, &t, &v, 0, 0, 2) == FTI_OK);
    for (int r = 0; r < 2; r++) {
        for (int c = 0; c < 3; c++) CHECK(lo[r * 4 + c] == lo_w[r * 3 + c] && hi[r * 4 + c] == hi_w[r * 3 + c]);
        CHECK(lo[r * 4 + 3] == 0 && hi[r * 4 + 3] == 0x8000); /* padding column: v = 0 */
    }
    /* out axis last: rows = 3, cols = 2, (r, c) = flat c*3 + r, one padding row */
    CHECK(fti_view_init(&v, &t, FTI_OUT_LAST) == FTI_OK);
    CHECK(v.rows == 3 && v.cols == 2 && v.log_rows == 2 && v.log_cols == 1 && v.transposed);
    CHECK(fti_encode_limbs(lo, hi, &t, &v, 0, 0, 4) == FTI_OK);
    for (int r = 0; r < 3; r++)
        for (int c = 0; c < 2; c++) CHECK(lo[r * 2 + c] == lo_w[c * 3 + r] && hi[r * 2 + c] == hi_w[c * 3 + r]);
    CHECK(lo[6] == 0 && hi[6] == 0x8000 && lo[7] == 0 && hi[7] == 0x8000);
    /* a window of the padding row alone */
    CHECK(fti_encode_limbs(lo, hi, &t, &v, 0, 3, 1) == FTI_OK && lo[0] == 0 && hi[1] == 0x8000);
    fti_enc_stats st;
    CHECK(fti_encode_stats(&st, &t, 0) == FTI_OK);
    CHECK(st.sum == 65535 && st.nonzero == 5);
    CHECK(st.sum_sq == (unsigned __int128)1 + 1 + 2 * ((unsigned __int128)1 << 60) + (unsigned __int128)65535 * 65535);
}

static const char *write_limits(void) {
    static stw w;
    const double q = 0x1p-20; /* quantum 2^-20 */
    double a[] = {(0x1p31 - 1) * q}, b[] = {-(0x1p31 - 1) * q}, c[] = {q, 2 * q, 3 * q, (0x1p31 - 0.5) * q},
           d[] = {-(0x1p31 - 0.5) * q}, e[] = {(0x1p31 - 1.5) * q}, f[] = {(0x1p31 - 0.5 - 0x1p-21) * q},
           g[] = {0x1p31 * q}, j[] = {-0x1p31 * q};
    float h[] = {(float)((0x1p31 - 128) * q)}, i32[] = {0, 0, (float)(0x1p31 * q)};
    uint16_t bf[] = {0x4500}; /* BF16 2^11 = 2^31 quanta */
    stw_add_1d(&w, "lim_a_max", "F64", a, 1, 8);
    stw_add_1d(&w, "lim_b_min", "F64", b, 1, 8);
    stw_add_1d(&w, "lim_c_tie_up", "F64", c, 4, 8);
    stw_add_1d(&w, "lim_d_tie_down", "F64", d, 1, 8);
    stw_add_1d(&w, "lim_e_tie_even", "F64", e, 1, 8);
    stw_add_1d(&w, "lim_f_below_tie", "F64", f, 1, 8);
    stw_add_1d(&w, "lim_g_exact", "F64", g, 1, 8);
    stw_add_1d(&w, "lim_h_f32_ok", "F32", h, 1, 4);
    stw_add_1d(&w, "lim_i_f32", "F32", i32, 3, 4);
    stw_add_1d(&w, "lim_j_neg", "F64", j, 1, 8);
    stw_add_1d(&w, "lim_k_bf16", "BF16", bf, 1, 2);
    return stw_write(&w, "limits.safetensors");
}

static void test_encode__limits_at_2_31_quanta(void) {
    const char *p = write_limits();
    fti_st_file *f;
    CHECK(fti_st_open(&f, p) == FTI_OK);
    static const struct {
        const char *name;
        int64_t v;         /* the last element's value, when ok */
        long long bad;     /* index of the error, or -1 */
    } want[] = {{"lim_a_max", 2147483647, -1}, {"lim_b_min", -2147483647, -1}, {"lim_c_tie_up", 0, 3},
                {"lim_d_tie_down", 0, 0},      {"lim_e_tie_even", 2147483646, -1}, {"lim_f_below_tie", 2147483647, -1},
                {"lim_g_exact", 0, 0},         {"lim_h_f32_ok", 2147483520, -1},  {"lim_i_f32", 0, 2},
                {"lim_j_neg", 0, 0},           {"lim_k_bf16", 0, 0}};
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        const fti_st_tensor *t = fti_st_find(f, want[i].name);
        fti_enc_stats st;
        CHECK(t);
        fti_status s = fti_encode_stats(&st, t, -20);
        if (want[i].bad < 0) {
            int64_t v;
            CHECK(s == FTI_OK);
            CHECK(fti_encode_value(&v, t, -20, t->numel - 1) == FTI_OK && v == want[i].v);
        } else {
            char needle[128];
            snprintf(needle, sizeof needle, "tensor %s drifts beyond the encodable range at index %lld (value ",
                     want[i].name, want[i].bad);
            CHECK(s == FTI_ERR_RANGE && strstr(fti_last_error(), needle) && strstr(fti_last_error(), p));
        }
    }
    CHECK(fti_encode_stats(&(fti_enc_stats){0}, fti_st_find(f, "lim_c_tie_up"), -20) == FTI_ERR_RANGE);
    CHECK(strstr(fti_last_error(), "at index 3 (value 2047.9999995231628, limit 2048)"));
    fti_st_close(f);
    if (oracle_available()) {
        int32_t s = -20;
        CHECK(compare_file(p, &s, FTI_OUT_FIRST, 1, 1));
    }
}

static const char *write_nonfinite(void) {
    static stw w;
    float a[] = {1, 2, 3, 4, 5, NAN, 7, INFINITY};
    uint16_t b[] = {0x0000, 0x3c00, 0x4000, 0x7c00, 0x7e00}; /* F16 +Inf at 3 */
    uint16_t c[] = {0xff80, 0x3f80};                         /* BF16 -Inf at 0 */
    double d[] = {1.0, -2.0, -NAN};
    float e[] = {0, 3e9f, NAN}; /* with quantum 2^0: out of range at 1 before the NaN */
    uint16_t g[] = {0x3c00, 0x7c01};                         /* F16 NaN with a small payload */
    stw_add_1d(&w, "nan_f32", "F32", a, 8, 4);
    stw_add_1d(&w, "inf_f16", "F16", b, 5, 2);
    stw_add_1d(&w, "ninf_bf16", "BF16", c, 2, 2);
    stw_add_1d(&w, "nan_f64", "F64", d, 3, 8);
    stw_add_1d(&w, "range_then_nan", "F32", e, 3, 4);
    stw_add_1d(&w, "nan_f16", "F16", g, 2, 2);
    return stw_write(&w, "nonfinite.safetensors");
}

static void test_encode__nan_and_inf_name_the_index(void) {
    const char *p = write_nonfinite();
    fti_st_file *f;
    int32_t s;
    uint32_t u[8];
    CHECK(fti_st_open(&f, p) == FTI_OK);
    CHECK(fti_quantum_exponent(&s, fti_st_find(f, "nan_f32")) == FTI_ERR_RANGE);
    CHECK(strstr(fti_last_error(), "tensor nan_f32 has a NaN at index 5") && strstr(fti_last_error(), p));
    CHECK(fti_quantum_exponent(&s, fti_st_find(f, "inf_f16")) == FTI_ERR_RANGE);
    CHECK(strstr(fti_last_error(), "tensor inf_f16 has an infinity at index 3"));
    CHECK(fti_quantum_exponent(&s, fti_st_find(f, "ninf_bf16")) == FTI_ERR_RANGE);
    CHECK(strstr(fti_last_error(), "tensor ninf_bf16 has an infinity at index 0"));
    CHECK(fti_quantum_exponent(&s, fti_st_find(f, "nan_f64")) == FTI_ERR_RANGE);
    CHECK(strstr(fti_last_error(), "tensor nan_f64 has a NaN at index 2"));
    CHECK(fti_encode_stats(&(fti_enc_stats){0}, fti_st_find(f, "range_then_nan"), 0) == FTI_ERR_RANGE);
    CHECK(strstr(fti_last_error(), "tensor range_then_nan drifts beyond the encodable range at index 1"));
    /* a run starting inside the tensor still names the flat index */
    CHECK(fti_encode_run(u, fti_st_find(f, "nan_f32"), 0, 3, 4) == FTI_ERR_RANGE);
    CHECK(strstr(fti_last_error(), "has a NaN at index 5"));
    CHECK(fti_encode_run(u, fti_st_find(f, "nan_f32"), 0, 0, 5) == FTI_OK && u[4] == 0x80000005u);
    double d[3];
    CHECK(fti_decode_f64(d, fti_st_find(f, "nan_f64"), 0, 3) == FTI_OK && d[0] == 1.0 && isnan(d[2]));
    fti_st_close(f);
    if (oracle_available()) {
        CHECK(compare_file(p, NULL, FTI_OUT_FIRST, 0, 1));
        int32_t z = 0;
        CHECK(compare_file(p, &z, FTI_OUT_FIRST, 0, 1));
    }
}

/* ---- the quantum rule ---- */

static int32_t quantum_of(fti_dtype dt, const void *data, uint64_t n) {
    fti_st_tensor t = mem_tensor("q", dt, data, n);
    int32_t s = 12345;
    if (fti_quantum_exponent(&s, &t) != FTI_OK) return 12345;
    return s;
}

static void test_encode__quantum_rule(void) {
    float a[] = {0.75f, -1.0f, 0.5f}, b[] = {0.99999994f}, c[] = {-3.0f, 2.0f}, z[] = {0.0f, -0.0f}, sub[] = {0x1p-149f};
    uint16_t h[] = {0x0001}, bf[] = {0x0001}, hmax[] = {0xfbff}; /* F16 2^-24, BF16 2^-133, F16 -65504 */
    double dmin[] = {0x1p-1074}, dmax[] = {0x1.fffffffffffffp1023}, two30[] = {0x1p30};
    CHECK_EQ_U64(quantum_of(FTI_DT_F32, a, 3), (uint64_t)-29);     /* max 1 = 2^0: e = 1 */
    CHECK_EQ_U64(quantum_of(FTI_DT_F32, b, 1), (uint64_t)-30);     /* just below 1: e = 0 */
    CHECK_EQ_U64(quantum_of(FTI_DT_F32, c, 2), (uint64_t)-28);     /* |-3| decides: e = 2 */
    CHECK_EQ_U64(quantum_of(FTI_DT_F32, z, 2), (uint64_t)FTI_QUANTUM_ALL_ZERO);
    CHECK_EQ_U64(quantum_of(FTI_DT_F32, z, 0), (uint64_t)FTI_QUANTUM_ALL_ZERO); /* zero elements */
    CHECK_EQ_U64(quantum_of(FTI_DT_F32, sub, 1), (uint64_t)(-148 - 30));
    CHECK_EQ_U64(quantum_of(FTI_DT_F16, h, 1), (uint64_t)(-23 - 30));
    CHECK_EQ_U64(quantum_of(FTI_DT_F16, hmax, 1), (uint64_t)(16 - 30));
    CHECK_EQ_U64(quantum_of(FTI_DT_BF16, bf, 1), (uint64_t)(-132 - 30));
    CHECK_EQ_U64(quantum_of(FTI_DT_F64, dmin, 1), (uint64_t)FTI_QUANTUM_MIN);
    CHECK_EQ_U64(quantum_of(FTI_DT_F64, dmax, 1), (uint64_t)FTI_QUANTUM_MAX);
    CHECK_EQ_U64(quantum_of(FTI_DT_F64, two30, 1), (uint64_t)1); /* e = 31 */
    /* a 0-d scalar */
    float five = 5.0f;
    fti_st_tensor t = {.name = "scalar", .path = "mem", .dtype = FTI_DT_F32, .ndim = 0, .numel = 1, .nbytes = 4, .data = (const uint8_t *)&five};
    int32_t s;
    int64_t v;
    fti_view view;
    CHECK(fti_quantum_exponent(&s, &t) == FTI_OK && s == -27);
    CHECK(fti_encode_value(&v, &t, s, 0) == FTI_OK && v == 5ll << 27);
    CHECK(fti_view_init(&view, &t, FTI_OUT_LAST) == FTI_OK && view.rows == 1 && view.cols == 1 && fti_view_padded_size(&view) == 1);
}

static void test_encode__decode_exact(void) {
    static const struct {
        fti_dtype dt;
        uint64_t bits;
        fti_fp_class cls;
        int neg;
        uint64_t mant;
        int32_t exp;
    } c[] = {{FTI_DT_F16, 0x0001, FTI_FP_FINITE, 0, 1, -24},        {FTI_DT_F16, 0x03ff, FTI_FP_FINITE, 0, 1023, -24},
             {FTI_DT_F16, 0x0400, FTI_FP_FINITE, 0, 1024, -24},     {FTI_DT_F16, 0x7bff, FTI_FP_FINITE, 0, 2047, 5},
             {FTI_DT_F16, 0x8000, FTI_FP_FINITE, 1, 0, 0},          {FTI_DT_F16, 0xfc00, FTI_FP_INF, 1, 0, 0},
             {FTI_DT_F16, 0x7c01, FTI_FP_NAN, 0, 0, 0},             {FTI_DT_BF16, 0x0001, FTI_FP_FINITE, 0, 1, -133},
             {FTI_DT_BF16, 0x3f80, FTI_FP_FINITE, 0, 128, -7},      {FTI_DT_BF16, 0x7f7f, FTI_FP_FINITE, 0, 255, 120},
             {FTI_DT_F32, 0x00000001, FTI_FP_FINITE, 0, 1, -149},   {FTI_DT_F32, 0xbf800000, FTI_FP_FINITE, 1, 1u << 23, -23},
             {FTI_DT_F32, 0x7fc00000, FTI_FP_NAN, 0, 0, 0},         {FTI_DT_F64, 1, FTI_FP_FINITE, 0, 1, -1074},
             {FTI_DT_F64, 0x7fefffffffffffffull, FTI_FP_FINITE, 0, (1ull << 53) - 1, 971},
             {FTI_DT_F64, 0x8000000000000000ull, FTI_FP_FINITE, 1, 0, 0}};
    for (size_t i = 0; i < sizeof c / sizeof c[0]; i++) {
        uint8_t b[8];
        for (int k = 0; k < 8; k++) b[k] = (uint8_t)(c[i].bits >> (8 * k)); /* little-endian file bytes */
        fti_fp x;
        fti_fp_decode(&x, c[i].dt, b);
        CHECK(x.cls == c[i].cls && x.neg == c[i].neg);
        if (x.cls == FTI_FP_FINITE) CHECK(x.mant == c[i].mant && x.exp == c[i].exp);
    }
    /* doubles: F32 patterns against the compiler's float -> double conversion */
    for (int i = 0; i < 10000; i++) {
        uint32_t w = (uint32_t)test_rand();
        float f;
        double d;
        memcpy(&f, &w, 4);
        fti_st_tensor t = mem_tensor("d", FTI_DT_F32, &w, 1);
        CHECK(fti_decode_f64(&d, &t, 0, 1) == FTI_OK);
        CHECK(isnan(f) ? isnan(d) : d == (double)f);
    }
}

/* Calls covering 2^19 elements or more of BF16/F16 go through a 65536-entry table: it must agree
 * with the per-exponent path (small calls), with the oracle, and find NaNs at their index. */
static void test_encode__table16_path(void) {
    enum { N = 1 << 19 };
    static stw w;
    uint16_t *x = malloc(N * 2);
    uint32_t *u = malloc(N * 4), *u2 = malloc(N * 4);
    const char *dts[] = {"BF16", "F16"};
    for (int k = 0; k < 2; k++) {
        uint32_t emask = k ? 0x7c00 : 0x7f80;
        for (uint32_t i = 0, b = 0; i < N; b++) {
            uint16_t y = (uint16_t)(b * 40503u); /* every pattern once per 65536, shuffled */
            if ((y & emask) != emask) x[i++] = y;
        }
        char name[32];
        snprintf(name, sizeof name, "big_%s", dts[k]);
        stw_add_1d(&w, name, dts[k], x, N, 2);
        x[300000] = (uint16_t)(emask | 1); /* a NaN */
        snprintf(name, sizeof name, "big_nan_%s", dts[k]);
        stw_add_1d(&w, name, dts[k], x, N, 2);
    }
    const char *p = stw_write(&w, "table16.safetensors");
    fti_st_file *f;
    CHECK(fti_st_open(&f, p) == FTI_OK);
    for (int k = 0; k < 2; k++) {
        char name[32];
        snprintf(name, sizeof name, "big_%s", dts[k]);
        const fti_st_tensor *t = fti_st_find(f, name);
        int32_t s;
        CHECK(fti_quantum_exponent(&s, t) == FTI_OK);
        for (int32_t ds = -12; ds <= 12; ds += 6) {
            CHECK(fti_encode_run(u, t, s + ds, 0, N) == FTI_OK || ds < 0);
            if (ds < 0) continue; /* smaller quanta overflow: both paths must say so alike (below) */
            for (uint64_t i0 = 0; i0 < N; i0 += 1000) {
                size_t n = N - i0 < 1000 ? (size_t)(N - i0) : 1000;
                CHECK(fti_encode_run(u2 + i0, t, s + ds, i0, n) == FTI_OK);
            }
            CHECK(memcmp(u, u2, N * 4) == 0);
        }
        /* an overflow found by the table path names the same index as the per-exponent path */
        fti_status big = fti_encode_run(u, t, s - 3, 0, N);
        char m1[512], m2[512];
        snprintf(m1, sizeof m1, "%s", fti_last_error());
        fti_status small = FTI_OK;
        for (uint64_t i0 = 0; i0 < N && small == FTI_OK; i0 += 1000)
            small = fti_encode_run(u2, t, s - 3, i0, N - i0 < 1000 ? (size_t)(N - i0) : 1000);
        snprintf(m2, sizeof m2, "%s", fti_last_error());
        CHECK(big == FTI_ERR_RANGE && small == FTI_ERR_RANGE && strcmp(m1, m2) == 0);
        snprintf(name, sizeof name, "big_nan_%s", dts[k]);
        CHECK(fti_encode_stats(&(fti_enc_stats){0}, fti_st_find(f, name), s) == FTI_ERR_RANGE);
        CHECK(strstr(fti_last_error(), "has a NaN at index 300000"));
    }
    fti_st_close(f);
    free(x), free(u), free(u2);
    if (oracle_available()) CHECK(compare_file(p, NULL, FTI_OUT_FIRST, 0, 0));
}

/* ---- views ---- */

static void test_encode__views_against_oracle(void) {
    NEED_ORACLE();
    static stw w;
    static const struct {
        const char *name;
        unsigned nd;
        uint64_t shape[4];
    } shapes[] = {{"v2d", 2, {3, 5}},         {"v3d", 3, {5, 3, 2}},    {"v4d", 4, {2, 3, 4, 5}}, {"v1d", 1, {7}},
                  {"v0d", 0, {0}},            {"vempty_r", 2, {0, 4}},  {"vempty_c", 2, {4, 0}},  {"vrow", 2, {1, 6}},
                  {"vcol", 2, {6, 1}},        {"vtiles", 2, {300, 70}}, {"vtiles3", 3, {70, 3, 300}},
                  {"vpow2", 2, {64, 32}}};
    float *x = malloc(70 * 3 * 300 * 4);
    for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++) {
        uint64_t n = 1;
        for (unsigned d = 0; d < shapes[i].nd; d++) n *= shapes[i].shape[d];
        for (uint64_t k = 0; k < n; k++) x[k] = (float)((double)(int64_t)test_rand() * 0x1p-66);
        stw_add(&w, shapes[i].name, i % 2 ? "F32" : "F32", shapes[i].nd, shapes[i].shape, x, n * 4);
    }
    free(x);
    const char *p = stw_write(&w, "views.safetensors");
    CHECK(compare_file(p, NULL, FTI_OUT_FIRST, 0, 0));
    CHECK(compare_file(p, NULL, FTI_OUT_LAST, 0, 0));
}

static void test_encode__layout_axis_rule(void) {
    static const struct {
        const char *layout;
        unsigned nd;
        fti_out_axis want;
    } c[] = {
        {"[out,in] (hidden.weight transposed from stored [in][hidden])", 2, FTI_OUT_FIRST},
        {"tfjs graph-model (BN folded into conv: *merged_input HWIO kernels, depthwise *_bn/mul,sub vectors)", 4, FTI_OUT_LAST},
        {"tfjs graph-model (BN folded into conv: *merged_input HWIO kernels)", 2, FTI_OUT_LAST},
        {"tfjs graph-model (BN folded into conv: *merged_input HWIO kernels)", 1, FTI_OUT_FIRST},
        {"TFLite (conv OHWI, depthwise 1HWC)", 4, FTI_OUT_FIRST},
        {"tfjs/Keras (conv HWIO, depthwise HWC1, dense [in,out]); BN not folded", 4, FTI_OUT_LAST},
        {"tfjs/Keras (conv HWIO, depthwise HWC1, dense [in,out]); BN not folded", 2, FTI_OUT_LAST},
        {"ONNX (conv OIHW; MatMul weights [in,out])", 4, FTI_OUT_FIRST},
        {"ONNX (conv OIHW; MatMul weights [in,out])", 2, FTI_OUT_LAST},
        {"ONNX/PyTorch (Conv1d [out,in,k], LSTM [4H,in])", 3, FTI_OUT_FIRST},
        {"ONNX/PyTorch (Conv1d [out,in,k], LSTM [4H,in])", 2, FTI_OUT_FIRST},
        {NULL, 2, FTI_OUT_FIRST},
    };
    for (size_t i = 0; i < sizeof c / sizeof c[0]; i++) CHECK(fti_layout_out_axis(c[i].layout, c[i].nd) == c[i].want);
}

static void test_encode__argument_errors(void) {
    float x[6] = {1, 2, 3, 4, 5, 6};
    uint64_t shape[2] = {2, 3};
    fti_st_tensor t = mem_tensor("args", FTI_DT_F32, x, 6);
    t.ndim = 2, t.shape = shape;
    uint32_t u[8];
    fe_t lo[16], hi[16];
    fti_view v;
    CHECK(fti_encode_run(u, &t, FTI_QUANTUM_MAX + 1, 0, 1) == FTI_ERR_ARG);
    CHECK(fti_encode_run(u, &t, FTI_QUANTUM_MIN - 1, 0, 1) == FTI_ERR_ARG);
    CHECK(fti_encode_run(u, &t, 0, 5, 2) == FTI_ERR_ARG && strstr(fti_last_error(), "mem: tensor args"));
    CHECK(fti_encode_run(u, &t, 0, 6, 0) == FTI_OK);
    CHECK(fti_view_init(&v, &t, FTI_OUT_FIRST) == FTI_OK);
    CHECK(fti_encode_limbs(lo, hi, &t, &v, 0, 1, 2) == FTI_ERR_ARG);
    v.cols = 4; /* a view that does not belong to the tensor */
    CHECK(fti_encode_limbs(lo, hi, &t, &v, 0, 0, 2) == FTI_ERR_ARG);
    t.dtype = FTI_DT_I32;
    CHECK(fti_encode_run(u, &t, 0, 0, 1) == FTI_ERR_UNSUPPORTED && strstr(fti_last_error(), "has dtype I32"));
}

const struct test_case TEST_CASES[] = {
    TEST(test_encode__decode_exact),
    TEST(test_encode__quantum_rule),
    TEST(test_encode__ties_to_even_known_answers),
    TEST(test_encode__signed_zero_and_limbs),
    TEST(test_encode__limits_at_2_31_quanta),
    TEST(test_encode__nan_and_inf_name_the_index),
    TEST(test_encode__layout_axis_rule),
    TEST(test_encode__argument_errors),
    TEST(test_encode__edges16_32_own_quantum),
    TEST(test_encode__edges16_32_forced_quanta),
    TEST(test_encode__edges_f64),
    TEST(test_encode__views_against_oracle),
    TEST(test_encode__table16_path),
    {0},
};
