/* Synthetic checkpoints (src/synth): exact dtype rounding, the generator, the safetensors writer
 * (single, sharded, Hugging Face split), every architecture read back through checkpoint.h,
 * determinism across seeds and thread counts, and every fine-tune variant checked against its
 * claim by reading base and variant (and the LoRA adapter through lora.h) and comparing exactly. */
#include <float.h>
#include <jansson.h>
#include <math.h>
#include <omp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "model/checkpoint.h"
#include "model/encode.h"
#include "model/lora.h"
#include "synth/st_write.h"
#include "synth/synth.h"
#include "synth/synth_internal.h"
#include "synth/synth_num.h"
#include "test.h"

/* ---- helpers ---- */

static const char *tmp(const char *name) {
    static char buf[16][512];
    static int k;
    char *p = buf[k++ % 16];
    snprintf(p, 512, "%s/%s", test_tmpdir(), name);
    return p;
}

static const fti_synth_output OUT_BF16 = {.dtype = FTI_DT_BF16, .seed = 7};

/* Writes the micro preset of arch to dir (dtype and seed from o). */
static int write_micro(const char *dir, fti_synth_arch arch, const fti_synth_output *o) {
    fti_synth_config cfg;
    if (fti_synth_preset(&cfg, arch, "micro") != FTI_OK) return 0;
    fti_status st = fti_synth_model_write(dir, &cfg, o);
    if (st != FTI_OK) fprintf(stderr, "  write: %s\n", fti_last_error());
    return st == FTI_OK;
}

static fti_ckpt *open_ck(const char *path) {
    fti_ckpt *c = NULL;
    if (fti_ckpt_open(&c, path) != FTI_OK) fprintf(stderr, "  open %s: %s\n", path, fti_last_error());
    return c;
}

static double *values(const fti_st_tensor *t) {
    double *v = malloc((t->numel ? t->numel : 1) * sizeof *v);
    if (v && fti_decode_f64(v, t, 0, t->numel) != FTI_OK) {
        free(v);
        v = NULL;
    }
    return v;
}

static int same_desc(const fti_st_tensor *a, const fti_st_tensor *b) {
    if (strcmp(a->name, b->name) || a->dtype != b->dtype || a->ndim != b->ndim) return 0;
    for (unsigned d = 0; d < a->ndim; d++)
        if (a->shape[d] != b->shape[d]) return 0;
    return 1;
}

/* Number of entries whose values differ (+0 == -0), or UINT64_MAX on a decoding failure. */
static uint64_t count_diff(const fti_st_tensor *a, const fti_st_tensor *b) {
    double *x = values(a), *y = values(b);
    uint64_t n = x && y ? 0 : UINT64_MAX;
    for (uint64_t i = 0; x && y && i < a->numel; i++) n += x[i] != y[i];
    free(x);
    free(y);
    return n;
}

static int same_bytes(const fti_st_tensor *a, const fti_st_tensor *b) {
    return a->nbytes == b->nbytes && memcmp(a->data, b->data, a->nbytes) == 0;
}

typedef int (*name_pred)(const char *name);

/* Base and variant have the same tensors; those outside sel are bit-identical; returns how many
 * tensors in sel changed (-1 on a structural difference), and their changed entries in *entries. */
static long changed_only(const fti_ckpt *base, const fti_ckpt *var, name_pred sel, uint64_t *entries) {
    long changed = 0;
    *entries = 0;
    if (fti_ckpt_count(base) != fti_ckpt_count(var)) return -1;
    for (size_t i = 0; i < fti_ckpt_count(base); i++) {
        const fti_st_tensor *a = fti_ckpt_tensor(base, i), *b = fti_ckpt_tensor(var, i);
        if (!same_desc(a, b)) return -1;
        if (!sel(a->name)) {
            if (!same_bytes(a, b)) {
                fprintf(stderr, "  %s changed but should be frozen\n", a->name);
                return -1;
            }
            continue;
        }
        uint64_t d = count_diff(a, b);
        *entries += d;
        changed += d > 0;
    }
    return changed;
}

static int ends_with(const char *s, const char *suffix) {
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

static int files_equal(const char *p, const char *q) {
    FILE *f = fopen(p, "rb"), *g = fopen(q, "rb");
    int eq = f && g;
    while (eq) {
        int a = fgetc(f), b = fgetc(g);
        if (a != b) eq = 0;
        if (a == EOF || b == EOF) break;
    }
    if (f) fclose(f);
    if (g) fclose(g);
    return eq;
}

static const char *path_in(const char *dir, const char *file) {
    static char buf[8][600];
    static int k;
    char *p = buf[k++ % 8];
    snprintf(p, 600, "%s/%s", dir, file);
    return p;
}

/* ---- numbers ---- */

/* Reference rounding of x to a binary format with p significant bits, least normal exponent
 * emin and largest finite value below 2^(emax+1): via frexp and rint (ties to even in the
 * default rounding mode) on exactly scaled doubles; independent of synth_num.c's bit code. */
static double ref_round(double x, int p, int emin, int emax) {
    if (x == 0 || !isfinite(x)) return x;
    int e;
    frexp(x, &e); /* |x| in [2^(e-1), 2^e) */
    int q = (e - 1 < emin ? emin : e - 1) - (p - 1); /* quantum exponent */
    double r = ldexp(rint(ldexp(x, -q)), q);
    return fabs(r) >= ldexp(1.0, emax + 1) ? copysign(INFINITY, x) : r;
}

static int rounds_like_ref(fti_dtype dt, double x) {
    static const struct {
        fti_dtype dt;
        int p, emin, emax;
    } f[] = {{FTI_DT_BF16, 8, -126, 127}, {FTI_DT_F16, 11, -14, 15}, {FTI_DT_F32, 24, -126, 127}};
    for (size_t i = 0; i < 3; i++) {
        if (f[i].dt != dt) continue;
        double want = ref_round(x, f[i].p, f[i].emin, f[i].emax);
        double got = fti_synth_decode(dt, fti_synth_encode(dt, x));
        if (got == want && signbit(got) == signbit(want)) return 1;
        fprintf(stderr, "  %s(%a) = %a, want %a\n", fti_dtype_name(dt), x, got, want);
        return 0;
    }
    return 0;
}

/* A random double spanning the interesting exponents of the three formats. */
static double random_double(void) {
    double m = (double)(test_rand() >> 11) * 0x1p-53 + 0.5;
    int e = (int)test_rand_below(300) - 160;
    return (test_rand() & 1 ? -1 : 1) * ldexp(m, e);
}

static void test_synth__round_matches_reference(void) {
    const fti_dtype dts[] = {FTI_DT_BF16, FTI_DT_F16, FTI_DT_F32};
    for (int k = 0; k < 200000; k++) {
        double x = random_double();
        for (int d = 0; d < 3; d++) CHECK(rounds_like_ref(dts[d], x));
        float f = (float)x; /* the compiler's conversion is correctly rounded too */
        uint32_t fb;
        memcpy(&fb, &f, 4);
        CHECK_EQ_U64(fti_synth_encode(FTI_DT_F32, x), fb);
#ifdef __FLT16_MAX__
        _Float16 h = (_Float16)x;
        uint16_t hb;
        memcpy(&hb, &h, 2);
        CHECK_EQ_U64(fti_synth_encode(FTI_DT_F16, x), hb);
#endif
    }
}

/* Exact midpoints between neighbours go to the even one; one ulp/4 off goes to the nearer. */
static void test_synth__round_ties_to_even(void) {
    const fti_dtype dts[] = {FTI_DT_BF16, FTI_DT_F16, FTI_DT_F32};
    for (int d = 0; d < 3; d++) {
        fti_dtype dt = dts[d];
        unsigned bits = fti_dtype_bits(dt);
        for (int k = 0; k < 20000; k++) {
            uint64_t a = test_rand() & ((1ULL << (bits - 1)) - 1); /* positive */
            uint64_t b = a + 1;
            double x = fti_synth_decode(dt, a), y = fti_synth_decode(dt, b);
            if (!isfinite(x) || !isfinite(y)) continue;
            double mid = x + (y - x) / 2; /* exact: both have few significant bits */
            CHECK_EQ_U64(fti_synth_encode(dt, mid), (a & 1) ? b : a);
            CHECK_EQ_U64(fti_synth_encode(dt, -mid), ((a & 1) ? b : a) | 1ULL << (bits - 1));
            CHECK_EQ_U64(fti_synth_encode(dt, x + (y - x) / 4), a);
            CHECK_EQ_U64(fti_synth_encode(dt, x + 3 * (y - x) / 4), b);
        }
    }
}

static void test_synth__round_special_values(void) {
    CHECK_EQ_U64(fti_synth_encode(FTI_DT_BF16, 0.0), 0);
    CHECK_EQ_U64(fti_synth_encode(FTI_DT_BF16, -0.0), 0x8000);
    CHECK_EQ_U64(fti_synth_encode(FTI_DT_BF16, 1.0), 0x3f80);
    CHECK_EQ_U64(fti_synth_encode(FTI_DT_F16, 1.0), 0x3c00);
    CHECK_EQ_U64(fti_synth_encode(FTI_DT_F16, 65504.0), 0x7bff);
    CHECK_EQ_U64(fti_synth_encode(FTI_DT_F16, 65520.0), 0x7c00);   /* the midpoint to 2^16 overflows */
    CHECK_EQ_U64(fti_synth_encode(FTI_DT_F16, 65519.99), 0x7bff);
    CHECK_EQ_U64(fti_synth_encode(FTI_DT_F16, 0x1p-24), 1);       /* least subnormal */
    CHECK_EQ_U64(fti_synth_encode(FTI_DT_F16, 0x1p-25), 0);       /* tie to even (0) */
    CHECK_EQ_U64(fti_synth_encode(FTI_DT_F16, 0x1.8p-25), 1);
    CHECK_EQ_U64(fti_synth_encode(FTI_DT_F16, 0x1.ffcp-15), 0x0400); /* subnormal rounding up to least normal */
    CHECK_EQ_U64(fti_synth_encode(FTI_DT_BF16, INFINITY), 0x7f80);
    CHECK_EQ_U64(fti_synth_encode(FTI_DT_BF16, -INFINITY), 0xff80);
    CHECK(isnan(fti_synth_decode(FTI_DT_BF16, fti_synth_encode(FTI_DT_BF16, NAN))));
    CHECK_EQ_U64(fti_synth_encode(FTI_DT_BF16, 1e300), 0x7f80);
    CHECK_EQ_U64(fti_synth_encode(FTI_DT_F32, DBL_TRUE_MIN), 0);
    CHECK(fti_synth_decode(FTI_DT_F64, fti_synth_encode(FTI_DT_F64, M_PI)) == M_PI);
    /* decoding agrees with encode.h's exact decoder on every BF16 and F16 pattern */
    for (uint32_t b = 0; b < 65536; b++) {
        uint8_t p[2] = {(uint8_t)b, (uint8_t)(b >> 8)};
        const fti_dtype dts[] = {FTI_DT_BF16, FTI_DT_F16};
        for (int d = 0; d < 2; d++) {
            fti_fp fp;
            fti_fp_decode(&fp, dts[d], p);
            double want = fp.cls == FTI_FP_NAN ? NAN : fp.cls == FTI_FP_INF ? INFINITY : ldexp((double)fp.mant, fp.exp);
            if (fp.neg) want = -want;
            double got = fti_synth_decode(dts[d], b);
            CHECK((isnan(want) && isnan(got)) || (got == want && signbit(got) == signbit(want)));
            if (!isnan(got)) CHECK_EQ_U64(fti_synth_encode(dts[d], got), b); /* round trip */
        }
    }
}

static void test_synth__step_and_differs(void) {
    CHECK_EQ_U64(fti_synth_step(FTI_DT_BF16, 0x3f80, 1), 0x3f81);
    CHECK_EQ_U64(fti_synth_step(FTI_DT_BF16, 0x3f80, 0), 0x3f7f);
    CHECK_EQ_U64(fti_synth_step(FTI_DT_BF16, 0xbf80, 1), 0xbf7f); /* -1 upwards: smaller magnitude */
    CHECK_EQ_U64(fti_synth_step(FTI_DT_BF16, 0x0000, 1), 0x0001);
    CHECK_EQ_U64(fti_synth_step(FTI_DT_BF16, 0x8000, 0), 0x8001);
    CHECK_EQ_U64(fti_synth_step(FTI_DT_BF16, 0x7f80, 1), 0x7f80);
    CHECK(!fti_synth_differs(FTI_DT_F16, 0x0000, 0x8000));
    CHECK(fti_synth_differs(FTI_DT_F16, 0x0001, 0x8001));
    CHECK(!fti_synth_differs(FTI_DT_F32, 0x12345678, 0x12345678));
}

static void test_synth__generator_statistics(void) {
    uint64_t key = fti_synth_key(test_rand(), "init", "w");
    double s = 0, s2 = 0, s4 = 0;
    int tail = 0, beyond3 = 0;
    enum { N = 400000 };
    for (uint64_t i = 0; i < N; i++) {
        double z = fti_synth_normal(key, i);
        s += z, s2 += z * z, s4 += z * z * z * z;
        beyond3 += fabs(z) > 3;
        tail += fabs(z) > 3.7; /* the ziggurat's tail starts at 3.654 */
    }
    CHECK(fabs(s / N) < 0.01);
    CHECK(fabs(s2 / N - 1) < 0.02);
    CHECK(fabs(s4 / N - 3) < 0.1);          /* normal kurtosis */
    CHECK(beyond3 > 970 && beyond3 < 1190); /* P(|z| > 3) = 0.0027: 1080 expected */
    CHECK(tail > 45 && tail < 130);         /* P(|z| > 3.7) = 2.16e-4: 86 expected */
    uint64_t counter = 0, hist[7] = {0};
    for (int i = 0; i < 70000; i++) hist[fti_synth_below(key, &counter, 7)]++;
    for (int i = 0; i < 7; i++) CHECK(hist[i] > 9500 && hist[i] < 10500);
    CHECK(counter >= 70000);
    /* streams differ by seed, purpose and name, and ("ab","c") differs from ("a","bc") */
    CHECK(fti_synth_key(1, "init", "w") != fti_synth_key(2, "init", "w"));
    CHECK(fti_synth_key(1, "init", "w") != fti_synth_key(1, "noise", "w"));
    CHECK(fti_synth_key(1, "ab", "c") != fti_synth_key(1, "a", "bc"));
    /* the reduction gives the same bits for any thread count */
    int saved = omp_get_max_threads();
    omp_set_num_threads(1);
    double one = fti_synth_normal_sumsq(key, 3 * FTI_SYNTH_CHUNK + 5);
    omp_set_num_threads(3);
    double three = fti_synth_normal_sumsq(key, 3 * FTI_SYNTH_CHUNK + 5);
    omp_set_num_threads(saved);
    CHECK(memcmp(&one, &three, sizeof one) == 0);
}

/* ---- writer ---- */

static void test_synth__header_layout(void) {
    const char *dir = tmp("hdr");
    CHECK(write_micro(dir, FTI_SYNTH_MLP, &OUT_BF16));
    FILE *f = fopen(path_in(dir, "model.safetensors"), "rb");
    CHECK(f);
    uint8_t len8[8];
    CHECK(fread(len8, 1, 8, f) == 8);
    uint64_t n = 0;
    for (int i = 7; i >= 0; i--) n = n << 8 | len8[i];
    char *h = calloc(n + 1, 1);
    size_t got = fread(h, 1, n, f);
    fclose(f);
    CHECK(got == n && n % 8 == 0);
    size_t end = n;
    while (end && h[end - 1] == ' ') end--;
    CHECK(end > 0 && h[end - 1] == '}'); /* JSON, then spaces only */
    /* compact, keys sorted: __metadata__ first, tensors in byte order, members in order */
    const char *start = "{\"__metadata__\":{\"format\":\"pt\",\"fti_synth\":\"mlp ";
    CHECK(strncmp(h, start, strlen(start)) == 0);
    char *l0 = strstr(h, "\"layers.0.bias\""), *l0w = strstr(h, "\"layers.0.weight\""), *l1 = strstr(h, "\"layers.1.bias\"");
    CHECK(l0 && l0w && l1 && l0 < l0w && l0w < l1);
    CHECK(strstr(h, "\"layers.0.weight\":{\"data_offsets\":[") != NULL);
    free(h);
}

static void test_synth__hf_split_rule(void) {
    /* sizes 40, 10, 100 (over the limit), 30, 50 in name order a..e; limit 60:
     * a -> 0; b fits (50); c alone -> 1; d: 50 + 30 > 60 -> 2; e: 30 + 50 > 60 -> 3 */
    fti_sw_tensor ts[5] = {{"e", FTI_DT_U8, 1, {50}}, {"a", FTI_DT_U8, 1, {40}}, {"c", FTI_DT_U8, 1, {100}},
                           {"b", FTI_DT_U8, 1, {10}}, {"d", FTI_DT_U8, 1, {30}}};
    fti_sw_layout l;
    CHECK(fti_sw_layout_max_size(&l, ts, 5, 60) == FTI_OK);
    CHECK_EQ_U64(l.nfiles, 4);
    size_t want[5] = {3, 0, 1, 0, 2};
    for (int i = 0; i < 5; i++) CHECK_EQ_U64(l.file_of[i], want[i]);
    CHECK(strcmp(l.files[0], "model-00001-of-00004.safetensors") == 0);
    CHECK(strcmp(l.index_name, "model.safetensors.index.json") == 0);
    fti_sw_layout_free(&l);
    /* one shard: a plain model.safetensors without index */
    CHECK(fti_sw_layout_max_size(&l, ts, 5, 1000) == FTI_OK);
    CHECK(l.nfiles == 1 && !l.index_name && strcmp(l.files[0], "model.safetensors") == 0);
    fti_sw_layout_free(&l);
    for (unsigned n = 1; n <= 6; n++) {
        CHECK(fti_sw_layout_count(&l, ts, 5, n) == FTI_OK);
        CHECK(l.nfiles <= n && (n > 3 || l.nfiles == n)); /* limits 230, 150, 100 give 1, 2, 3 */
        fti_sw_layout_free(&l);
    }
    CHECK(fti_sw_layout_max_size(&l, ts, 5, 0) == FTI_ERR_ARG);
    CHECK(fti_sw_layout_count(&l, ts, 5, 0) == FTI_ERR_ARG);
}

static fti_status fill_ramp(void *ctx, size_t i, uint8_t *buf) {
    const fti_sw_tensor *ts = ctx;
    uint64_t n = fti_sw_nbytes(&ts[i]);
    for (uint64_t k = 0; k < n; k++) buf[k] = (uint8_t)(k + i);
    return FTI_OK;
}

static fti_status fill_fails(void *ctx, size_t i, uint8_t *buf) {
    (void)ctx, (void)buf;
    return i == 1 ? FTI_ERR_RANGE : FTI_OK;
}

static void test_synth__writer_mixed_dtypes_scalars_and_errors(void) {
    fti_sw_tensor ts[4] = {{"s", FTI_DT_F64, 0, {0}}, {"i", FTI_DT_I64, 1, {3}}, {"e", FTI_DT_F32, 2, {0, 4}},
                           {"h", FTI_DT_F16, 2, {2, 3}}};
    fti_sw_layout l;
    CHECK(fti_sw_layout_single(&l, 4, "x.safetensors") == FTI_OK);
    const char *file = tmp("mixed.safetensors");
    CHECK(fti_sw_write(file, ts, 4, &l, NULL, 0, fill_ramp, ts) == FTI_OK);
    fti_ckpt *c = open_ck(file);
    CHECK(c && fti_ckpt_count(c) == 4);
    const fti_st_tensor *s = fti_ckpt_find(c, "s"), *i64 = fti_ckpt_find(c, "i"), *h = fti_ckpt_find(c, "h");
    CHECK(s && s->ndim == 0 && s->nbytes == 8 && s->data[1] == 1);
    CHECK(i64 && i64->dtype == FTI_DT_I64 && i64->nbytes == 24 && i64->data[5] == 6);
    CHECK(h && h->nbytes == 12 && h->data[11] == 14);
    CHECK(fti_ckpt_find(c, "e")->numel == 0);
    /* the reference writer's data order: I64 before F64 before F32 before F16 (enum order, descending) */
    CHECK(i64->offset < s->offset && s->offset < h->offset);
    fti_ckpt_close(c);
    /* duplicate names; a failing fill removes the file */
    fti_sw_tensor dup[2] = {{"a", FTI_DT_U8, 1, {1}}, {"a", FTI_DT_U8, 1, {1}}};
    CHECK(fti_sw_write(tmp("dup.safetensors"), dup, 2, &l, NULL, 0, fill_ramp, dup) == FTI_ERR_ARG);
    const char *bad = tmp("fail.safetensors");
    CHECK(fti_sw_write(bad, ts, 4, &l, NULL, 0, fill_fails, NULL) == FTI_ERR_RANGE);
    struct stat sb;
    CHECK(stat(bad, &sb) != 0);
    fti_sw_layout_free(&l);
}

/* ---- architectures ---- */

static void test_synth__every_arch_reads_back(void) {
    const fti_dtype dts[] = {FTI_DT_BF16, FTI_DT_F16, FTI_DT_F32};
    for (int a = 0; a < FTI_SYNTH_ARCH_COUNT; a++)
        for (int d = 0; d < 3; d++) {
            char name[64];
            snprintf(name, sizeof name, "arch_%s_%s", fti_synth_arch_name((fti_synth_arch)a), fti_dtype_name(dts[d]));
            fti_synth_output o = {.dtype = dts[d], .seed = 3};
            CHECK(write_micro(tmp(name), (fti_synth_arch)a, &o));
            fti_synth_config cfg;
            CHECK(fti_synth_preset(&cfg, (fti_synth_arch)a, "micro") == FTI_OK);
            fti_synth_list l = {.dtype = dts[d]};
            CHECK(fti_synth_build(&l, &cfg) == FTI_OK);
            fti_ckpt *c = open_ck(tmp(name));
            CHECK(c && fti_ckpt_count(c) == l.n && fti_ckpt_kind_of(c) == FTI_CKPT_FILE);
            uint64_t params = 0;
            for (size_t i = 0; i < l.n; i++) {
                const fti_st_tensor *t = fti_ckpt_find(c, l.v[i].name);
                CHECK(t && t->dtype == dts[d] && t->ndim == l.v[i].t.ndim);
                for (unsigned k = 0; k < t->ndim; k++) CHECK_EQ_U64(t->shape[k], l.v[i].t.shape[k]);
                params += t->numel;
                CHECK(fti_st_require_committable(t) == FTI_OK);
                int32_t s;
                CHECK(fti_quantum_exponent(&s, t) == FTI_OK); /* finite everywhere */
            }
            CHECK_EQ_U64(params, fti_synth_param_count(&cfg));
            fti_synth_list_free(&l);
            fti_ckpt_close(c);
        }
}

/* Mean and standard deviation of a tensor's values. */
static void moments(const fti_st_tensor *t, double *mean, double *sd) {
    double *v = values(t), s = 0, s2 = 0;
    for (uint64_t i = 0; v && i < t->numel; i++) s += v[i], s2 += v[i] * v[i];
    *mean = s / (double)t->numel;
    *sd = sqrt(s2 / (double)t->numel - *mean * *mean);
    free(v);
}

static int has_shape(const fti_ckpt *c, const char *name, unsigned ndim, uint64_t d0, uint64_t d1, uint64_t d2,
                     uint64_t d3) {
    const fti_st_tensor *t = fti_ckpt_find(c, name);
    uint64_t want[4] = {d0, d1, d2, d3};
    if (!t || t->ndim != ndim) {
        fprintf(stderr, "  %s: missing or wrong rank\n", name);
        return 0;
    }
    for (unsigned k = 0; k < ndim; k++)
        if (t->shape[k] != want[k]) {
            fprintf(stderr, "  %s: dimension %u is %llu, want %llu\n", name, k, (unsigned long long)t->shape[k],
                    (unsigned long long)want[k]);
            return 0;
        }
    return 1;
}

static void test_synth__hugging_face_names_and_shapes(void) {
    const char *dir = tmp("names");
    fti_synth_config cfg = {.arch = FTI_SYNTH_LLAMA, .hidden = 64, .intermediate = 96, .layers = 3, .heads = 8, .kv_heads = 2, .vocab = 100};
    fti_synth_output o = {.dtype = FTI_DT_F32, .seed = 1};
    CHECK(fti_synth_model_write(path_in(dir, "llama"), &cfg, &o) == FTI_OK);
    fti_ckpt *c = open_ck(path_in(dir, "llama"));
    CHECK(c && fti_ckpt_count(c) == 3 + 9 * 3);
    CHECK(has_shape(c, "model.embed_tokens.weight", 2, 100, 64, 0, 0));
    CHECK(has_shape(c, "model.layers.2.self_attn.q_proj.weight", 2, 64, 64, 0, 0));
    CHECK(has_shape(c, "model.layers.2.self_attn.k_proj.weight", 2, 16, 64, 0, 0)); /* 2 kv heads of 8 */
    CHECK(has_shape(c, "model.layers.0.mlp.down_proj.weight", 2, 64, 96, 0, 0));
    CHECK(has_shape(c, "model.layers.1.post_attention_layernorm.weight", 1, 64, 0, 0, 0));
    CHECK(has_shape(c, "lm_head.weight", 2, 100, 64, 0, 0));
    double m, sd;
    moments(fti_ckpt_find(c, "model.layers.0.mlp.up_proj.weight"), &m, &sd);
    CHECK(fabs(m) < 0.002 && fabs(sd - 0.02) < 0.002);
    moments(fti_ckpt_find(c, "model.norm.weight"), &m, &sd);
    CHECK(fabs(m - 1) < 0.01 && sd > 0.01 && sd < 0.03);
    fti_ckpt_close(c);

    CHECK(write_micro(path_in(dir, "gpt2"), FTI_SYNTH_GPT2, &o));
    c = open_ck(path_in(dir, "gpt2"));
    CHECK(c && has_shape(c, "transformer.h.1.attn.c_attn.weight", 2, 64, 192, 0, 0)); /* Conv1D [in, 3 in] */
    CHECK(has_shape(c, "transformer.h.1.attn.c_attn.bias", 1, 192, 0, 0, 0));
    CHECK(has_shape(c, "transformer.h.0.mlp.c_proj.weight", 2, 256, 64, 0, 0));
    CHECK(has_shape(c, "transformer.wpe.weight", 2, 64, 64, 0, 0));
    CHECK(has_shape(c, "transformer.ln_f.bias", 1, 64, 0, 0, 0));
    moments(fti_ckpt_find(c, "transformer.h.0.ln_2.bias"), &m, &sd);
    CHECK(fabs(m) < 0.005 && sd < 0.02);
    fti_ckpt_close(c);

    CHECK(write_micro(path_in(dir, "bert"), FTI_SYNTH_BERT, &o));
    c = open_ck(path_in(dir, "bert"));
    CHECK(c && has_shape(c, "encoder.layer.1.attention.self.query.bias", 1, 64, 0, 0, 0));
    CHECK(has_shape(c, "encoder.layer.0.attention.output.LayerNorm.weight", 1, 64, 0, 0, 0));
    CHECK(has_shape(c, "encoder.layer.0.intermediate.dense.weight", 2, 256, 64, 0, 0));
    CHECK(has_shape(c, "embeddings.token_type_embeddings.weight", 2, 2, 64, 0, 0));
    CHECK(has_shape(c, "pooler.dense.weight", 2, 64, 64, 0, 0));
    fti_ckpt_close(c);

    CHECK(write_micro(path_in(dir, "vit"), FTI_SYNTH_VIT, &o));
    c = open_ck(path_in(dir, "vit"));
    CHECK(c && has_shape(c, "vit.embeddings.patch_embeddings.projection.weight", 4, 64, 3, 8, 8));
    CHECK(has_shape(c, "vit.embeddings.position_embeddings", 3, 1, 17, 64, 0));
    CHECK(has_shape(c, "vit.encoder.layer.1.attention.attention.value.weight", 2, 64, 64, 0, 0));
    CHECK(has_shape(c, "classifier.weight", 2, 10, 64, 0, 0));
    fti_ckpt_close(c);

    CHECK(write_micro(path_in(dir, "cnn"), FTI_SYNTH_CNN, &o));
    c = open_ck(path_in(dir, "cnn"));
    CHECK(c && has_shape(c, "conv1.weight", 4, 8, 3, 3, 3));
    CHECK(has_shape(c, "layer2.0.conv1.weight", 4, 16, 8, 3, 3));
    CHECK(has_shape(c, "layer2.0.downsample.0.weight", 4, 16, 8, 1, 1));
    CHECK(has_shape(c, "layer2.0.downsample.1.running_var", 1, 16, 0, 0, 0));
    CHECK(fti_ckpt_find(c, "layer1.0.downsample.0.weight") == NULL);
    CHECK(has_shape(c, "fc.weight", 2, 10, 16, 0, 0));
    double *rv = values(fti_ckpt_find(c, "bn1.running_var"));
    for (int i = 0; rv && i < 8; i++) CHECK(rv[i] > 0);
    free(rv);
    fti_ckpt_close(c);

    CHECK(write_micro(path_in(dir, "mlp"), FTI_SYNTH_MLP, &o));
    c = open_ck(path_in(dir, "mlp"));
    CHECK(c && has_shape(c, "layers.0.weight", 2, 64, 32, 0, 0) && has_shape(c, "layers.2.weight", 2, 10, 64, 0, 0));
    fti_ckpt_close(c);
}

static void test_synth__presets_and_checks(void) {
    fti_synth_config cfg;
    CHECK(fti_synth_preset(&cfg, FTI_SYNTH_LLAMA, "1B") == FTI_OK);
    CHECK_EQ_U64(fti_synth_param_count(&cfg), 1100048384ULL); /* TinyLlama-1.1B */
    CHECK(fti_synth_preset(&cfg, FTI_SYNTH_GPT2, "124M") == FTI_OK);
    CHECK_EQ_U64(fti_synth_param_count(&cfg), 124439808ULL);
    CHECK(fti_synth_preset(&cfg, FTI_SYNTH_BERT, "base") == FTI_OK);
    CHECK_EQ_U64(fti_synth_param_count(&cfg), 109482240ULL);
    CHECK(fti_synth_preset(&cfg, FTI_SYNTH_VIT, "base") == FTI_OK);
    CHECK_EQ_U64(fti_synth_param_count(&cfg), 86567656ULL);
    CHECK(fti_synth_preset(&cfg, FTI_SYNTH_LLAMA, "100M") == FTI_OK);
    CHECK(fti_synth_param_count(&cfg) > 99000000 && fti_synth_param_count(&cfg) < 101000000);
    for (int a = 0; a < FTI_SYNTH_ARCH_COUNT; a++) {
        const char *n;
        for (size_t i = 0; (n = fti_synth_preset_name((fti_synth_arch)a, i)); i++) {
            CHECK(fti_synth_preset(&cfg, (fti_synth_arch)a, n) == FTI_OK);
            CHECK(fti_synth_check(&cfg) == FTI_OK);
        }
        CHECK(fti_synth_preset(&cfg, (fti_synth_arch)a, "micro") == FTI_OK);
        CHECK(fti_synth_param_count(&cfg) < 130000);
    }
    CHECK(fti_synth_preset(&cfg, FTI_SYNTH_LLAMA, "huge") == FTI_ERR_ARG);
    CHECK(strstr(fti_last_error(), "micro, tiny, 100M, 1B") != NULL);
    CHECK(fti_synth_preset(&cfg, FTI_SYNTH_LLAMA, "micro") == FTI_OK);
    cfg.kv_heads = 3;
    CHECK(fti_synth_check(&cfg) == FTI_ERR_ARG && strstr(fti_last_error(), "kv_heads"));
    cfg.kv_heads = 2, cfg.hidden = 0;
    CHECK(fti_synth_check(&cfg) == FTI_ERR_ARG && strstr(fti_last_error(), "hidden"));
    CHECK(fti_synth_preset(&cfg, FTI_SYNTH_VIT, "micro") == FTI_OK);
    cfg.patch = 7;
    CHECK(fti_synth_check(&cfg) == FTI_ERR_ARG && strstr(fti_last_error(), "patch"));
    fti_synth_output o = {.dtype = FTI_DT_I8};
    CHECK(fti_synth_preset(&cfg, FTI_SYNTH_MLP, "micro") == FTI_OK);
    CHECK(fti_synth_model_write(tmp("i8"), &cfg, &o) == FTI_ERR_ARG);
}

/* ---- sharding and determinism ---- */

static void test_synth__sharded_equals_single(void) {
    fti_synth_output one = OUT_BF16, three = OUT_BF16, cap = OUT_BF16;
    three.shards = 3;
    cap.max_shard_bytes = 40000;
    CHECK(write_micro(tmp("sh1"), FTI_SYNTH_LLAMA, &one));
    CHECK(write_micro(tmp("sh3"), FTI_SYNTH_LLAMA, &three));
    CHECK(write_micro(tmp("shcap"), FTI_SYNTH_LLAMA, &cap));
    fti_ckpt *a = open_ck(tmp("sh1")), *b = open_ck(path_in(tmp("sh3"), "model.safetensors.index.json")),
             *c = open_ck(tmp("shcap"));
    CHECK(a && b && c);
    CHECK(fti_ckpt_kind_of(b) == FTI_CKPT_SHARDED && fti_ckpt_file_count(b) == 3);
    CHECK(fti_ckpt_kind_of(c) == FTI_CKPT_SHARDED && fti_ckpt_file_count(c) > 3);
    CHECK(ends_with(fti_st_path(fti_ckpt_file(b, 0)), "/model-00001-of-00003.safetensors"));
    for (size_t i = 0; i < fti_ckpt_count(a); i++) {
        const fti_st_tensor *x = fti_ckpt_tensor(a, i), *y = fti_ckpt_tensor(b, i), *z = fti_ckpt_tensor(c, i);
        CHECK(same_desc(x, y) && same_bytes(x, y) && same_desc(x, z) && same_bytes(x, z));
    }
    for (size_t f = 0; f < fti_ckpt_file_count(c); f++) /* only a tensor over the cap makes a shard bigger */
        CHECK(fti_st_file_size(fti_ckpt_file(c, f)) < 40000 + 4096 || fti_st_count(fti_ckpt_file(c, f)) == 1);
    /* the index: total_size is the sum of tensor bytes; weight_map names every tensor */
    json_error_t err;
    json_t *idx = json_load_file(path_in(tmp("sh3"), "model.safetensors.index.json"), 0, &err);
    CHECK(idx);
    uint64_t total = 0;
    for (size_t i = 0; i < fti_ckpt_count(a); i++) total += fti_ckpt_tensor(a, i)->nbytes;
    CHECK_EQ_U64(json_integer_value(json_object_get(json_object_get(idx, "metadata"), "total_size")), total);
    CHECK_EQ_U64(json_object_size(json_object_get(idx, "weight_map")), fti_ckpt_count(a));
    json_decref(idx);
    fti_ckpt_close(a);
    fti_ckpt_close(b);
    fti_ckpt_close(c);
}

static void test_synth__deterministic_any_thread_count(void) {
    int saved = omp_get_max_threads();
    fti_synth_config cfg = {.arch = FTI_SYNTH_MLP, .inputs = 300, .hidden = 700, .layers = 2, .classes = 5};
    fti_synth_output o = {.dtype = FTI_DT_F16, .seed = 11};
    omp_set_num_threads(1);
    CHECK(fti_synth_model_write(tmp("det1.safetensors"), &cfg, &o) == FTI_OK);
    omp_set_num_threads(3);
    CHECK(fti_synth_model_write(tmp("det3.safetensors"), &cfg, &o) == FTI_OK);
    o.seed = 12;
    CHECK(fti_synth_model_write(tmp("det_other.safetensors"), &cfg, &o) == FTI_OK);
    CHECK(files_equal(tmp("det1.safetensors"), tmp("det3.safetensors")));
    CHECK(!files_equal(tmp("det1.safetensors"), tmp("det_other.safetensors")));
    /* variants too: noise, LoRA and sparse edits */
    const fti_synth_kind kinds[] = {FTI_VAR_FULL, FTI_VAR_LORA, FTI_VAR_SPARSE};
    for (int k = 0; k < 3; k++) {
        fti_synth_variant v;
        fti_synth_variant_init(&v, kinds[k]);
        const char *t[] = {"layers.0"};
        v.targets = t, v.ntargets = 1, v.seed = 5;
        omp_set_num_threads(1);
        CHECK(fti_synth_variant_write(NULL, tmp("detv1.safetensors"), tmp("det1.safetensors"), &v) == FTI_OK);
        omp_set_num_threads(3);
        CHECK(fti_synth_variant_write(NULL, tmp("detv3.safetensors"), tmp("det1.safetensors"), &v) == FTI_OK);
        CHECK(files_equal(tmp("detv1.safetensors"), tmp("detv3.safetensors")));
    }
    omp_set_num_threads(saved);
}

/* ---- variants ---- */

static int sel_attn(const char *n) {
    return strstr(n, "self_attn.") && (strstr(n, "q_proj") || strstr(n, "k_proj") || strstr(n, "v_proj") || strstr(n, "o_proj"));
}
static int sel_all(const char *n) { (void)n; return 1; }

/* Half an ulp of x in dt (the rounding bound), from the format's precision and least exponent. */
static double half_ulp(fti_dtype dt, double x) {
    int p = dt == FTI_DT_BF16 ? 8 : dt == FTI_DT_F16 ? 11 : dt == FTI_DT_F32 ? 24 : 53;
    int emin = dt == FTI_DT_F16 ? -14 : dt == FTI_DT_F64 ? -1022 : -126, e;
    frexp(x, &e);
    return ldexp(1.0, (e - 1 < emin ? emin : e - 1) - p);
}

/* Checks one LoRA pair against base and tuned: W' = round(W + scale B A) entry by entry, and
 * returns ||scale B A||_F / ||W||_F (negative on failure). */
static double check_pair(const fti_lora_pair *p, const fti_st_tensor *w, const fti_st_tensor *w2) {
    double *a = values(p->a), *b = values(p->b), *x = values(w), *y = values(w2), dn = 0, wn = 0, res = -1;
    uint64_t bad = 0;
    for (uint64_t o = 0; a && b && x && y && o < p->out; o++)
        for (uint64_t c = 0; c < p->in; c++) {
            double d = 0;
            for (unsigned k = 0; k < p->rank; k++) d += b[o * p->rank + k] * a[k * p->in + c];
            d *= p->scale;
            uint64_t i = p->transpose ? c * p->out + o : o * p->in + c;
            double err = fabs(y[i] - (x[i] + d));
            if (err > half_ulp(w->dtype, y[i]) * (1 + 1e-9) + 1e-12 * fabs(d)) bad++;
            dn += d * d;
            wn += x[i] * x[i];
        }
    if (a && b && x && y && !bad) res = sqrt(dn / wn);
    if (bad) fprintf(stderr, "  %s: %llu entries beyond rounding of W + scale B A\n", w->name, (unsigned long long)bad);
    free(a), free(b), free(x), free(y);
    return res;
}

/* Runs a LoRA variant of base with an adapter and checks every claim. */
static int check_lora(const char *base, const char *tag, const fti_synth_variant *v0, size_t want_pairs,
                      int want_transpose, name_pred sel) {
    fti_synth_variant v = *v0;
    char out[64], ad[64];
    snprintf(out, sizeof out, "lora_%s", tag);
    snprintf(ad, sizeof ad, "adapter_%s", tag);
    v.adapter_out = tmp(ad);
    fti_synth_stats s;
    if (fti_synth_variant_write(&s, tmp(out), base, &v) != FTI_OK) {
        fprintf(stderr, "  variant: %s\n", fti_last_error());
        return 0;
    }
    fti_ckpt *b = open_ck(base), *t = open_ck(tmp(out));
    fti_lora *l = NULL;
    int ok = b && t && fti_lora_open(&l, v.adapter_out) == FTI_OK;
    if (!ok) fprintf(stderr, "  adapter: %s\n", fti_last_error());
    uint64_t entries;
    ok = ok && fti_lora_check_base(l, b) == FTI_OK && fti_lora_count(l) == want_pairs && s.selected == want_pairs;
    ok = ok && changed_only(b, t, sel, &entries) == (long)want_pairs && entries == s.entries;
    const fti_lora_config *cfg = ok ? fti_lora_get_config(l) : NULL;
    ok = ok && cfg->r == v.rank && cfg->alpha == v.alpha && cfg->fan_in_fan_out == want_transpose;
    for (size_t i = 0; ok && i < fti_lora_count(l); i++) {
        const fti_lora_pair *p = fti_lora_pair_at(l, i);
        ok = p->rank == v.rank && fabs(p->scale - v.alpha / v.rank) < 1e-15 && p->transpose == want_transpose &&
             p->a->dtype == v.adapter_dtype;
        double rel = ok ? check_pair(p, fti_ckpt_find(b, p->base_name), fti_ckpt_find(t, p->base_name)) : -1;
        ok = ok && fabs(rel - v.rel) < 1e-3 * v.rel;
        if (!ok) fprintf(stderr, "  pair %s: relative norm %g (want %g)\n", p->base_name, rel, v.rel);
    }
    fti_lora_close(l);
    fti_ckpt_close(b);
    fti_ckpt_close(t);
    return ok;
}

static void test_synth__variant_lora_llama(void) {
    CHECK(write_micro(tmp("lbase"), FTI_SYNTH_LLAMA, &OUT_BF16));
    fti_synth_variant v;
    fti_synth_variant_init(&v, FTI_VAR_LORA);
    v.rank = 4, v.alpha = 8, v.seed = 2;
    CHECK(check_lora(tmp("lbase"), "llama", &v, 8, 0, sel_attn)); /* default targets: q, k, v, o */
    /* factors in BF16 (then the merge uses the BF16 values) and a bigger relative norm */
    v.adapter_dtype = FTI_DT_BF16, v.rel = 0.05;
    CHECK(check_lora(tmp("lbase"), "llama_bf16", &v, 8, 0, sel_attn));
    /* the adapter does not change the merged model */
    fti_synth_variant_init(&v, FTI_VAR_LORA);
    v.rank = 4, v.alpha = 8, v.seed = 2;
    CHECK(fti_synth_variant_write(NULL, tmp("lora_noad"), tmp("lbase"), &v) == FTI_OK);
    CHECK(files_equal(path_in(tmp("lora_noad"), "model.safetensors"), path_in(tmp("lora_llama"), "model.safetensors")));
    /* the adapter gets a directory of its own */
    v.adapter_out = tmp("lbase");
    CHECK(fti_synth_variant_write(NULL, tmp("lora_x"), tmp("lbase"), &v) == FTI_ERR_ARG);
    v.adapter_out = tmp("lora_x");
    CHECK(fti_synth_variant_write(NULL, tmp("lora_x"), tmp("lbase"), &v) == FTI_ERR_ARG);
}

/* numerical rank via LAPACK: singular values of an m x n matrix (column-major, as the
 * transpose of the row-major data: the same singular values) */
extern void dgesvd_(const char *jobu, const char *jobvt, const int *m, const int *n, double *a, const int *lda,
                    double *s, double *u, const int *ldu, double *vt, const int *ldvt, double *work,
                    const int *lwork, int *info);

static int singular_values(double *s, double *a, int m, int n) {
    int lwork = -1, info, one = 1;
    double q;
    dgesvd_("N", "N", &n, &m, a, &n, s, NULL, &one, NULL, &one, &q, &lwork, &info);
    lwork = (int)q;
    double *work = malloc((size_t)lwork * sizeof *work);
    dgesvd_("N", "N", &n, &m, a, &n, s, NULL, &one, NULL, &one, work, &lwork, &info);
    free(work);
    return info == 0;
}

/* Singular values of W' - W of tensor name (as rows x rest), in s (min(rows, cols) of them). */
static int diff_spectrum(double *s, const char *base, const char *tuned, const char *name) {
    fti_ckpt *b = open_ck(base), *t = open_ck(tuned);
    const fti_st_tensor *x = b ? fti_ckpt_find(b, name) : NULL, *y = t ? fti_ckpt_find(t, name) : NULL;
    double *u = x ? values(x) : NULL, *w = y ? values(y) : NULL;
    int ok = u && w;
    for (uint64_t i = 0; ok && i < x->numel; i++) u[i] = w[i] - u[i];
    ok = ok && singular_values(s, u, (int)x->shape[0], (int)(x->numel / x->shape[0]));
    free(u), free(w);
    fti_ckpt_close(b);
    fti_ckpt_close(t);
    return ok;
}

static void test_synth__variant_lora_f32_has_rank_r(void) {
    fti_synth_output o = {.dtype = FTI_DT_F32, .seed = 4};
    CHECK(write_micro(tmp("lbase32"), FTI_SYNTH_LLAMA, &o));
    fti_synth_variant v;
    fti_synth_variant_init(&v, FTI_VAR_LORA);
    v.rank = 3, v.rel = 0.02;
    const char *t[] = {"model.layers.1.self_attn.q_proj.weight"};
    v.targets = t, v.ntargets = 1;
    CHECK(check_lora(tmp("lbase32"), "f32", &v, 1, 0, sel_attn));
    double s[64];
    CHECK(diff_spectrum(s, tmp("lbase32"), tmp("lora_f32"), t[0]));
    CHECK(s[2] > 0.05 * s[0]);   /* three real directions ... */
    CHECK(s[3] < 1e-5 * s[0]);   /* ... and F32 rounding beyond them */
}

static int sel_c_attn(const char *n) { return strstr(n, "c_attn.weight") != NULL; }
static int sel_conv(const char *n) { return strstr(n, "conv") && ends_with(n, ".weight") && !strstr(n, "downsample"); }

static void test_synth__variant_lora_gpt2_and_conv(void) {
    CHECK(write_micro(tmp("gbase"), FTI_SYNTH_GPT2, &OUT_BF16));
    fti_synth_variant v;
    fti_synth_variant_init(&v, FTI_VAR_LORA);
    v.rank = 2;
    CHECK(check_lora(tmp("gbase"), "gpt2", &v, 2, 1, sel_c_attn)); /* fan_in_fan_out found from c_attn */
    fti_synth_output o = {.dtype = FTI_DT_F16, .seed = 9};
    CHECK(write_micro(tmp("cbase"), FTI_SYNTH_CNN, &o));
    const char *t[] = {"conv1", "conv2"};
    fti_synth_variant_init(&v, FTI_VAR_LORA);
    v.targets = t, v.ntargets = 2, v.rank = 2;
    /* layerL.B.conv1/conv2 (the stem "conv1" too): 4-D kernels as out x in*kh*kw */
    CHECK(check_lora(tmp("cbase"), "conv", &v, 5, 0, sel_conv));
    fti_lora *l;
    CHECK(fti_lora_open(&l, tmp("adapter_conv")) == FTI_OK);
    const fti_lora_pair *p = fti_lora_find(l, "layer2.0.conv1.weight");
    CHECK(p && p->a->ndim == 4 && p->a->shape[1] == 8 && p->a->shape[3] == 3 && p->b->ndim == 4 && p->b->shape[3] == 1);
    fti_lora_close(l);
    /* mixing Conv1D and Linear modules needs an explicit fan_in_fan_out */
    const char *mix[] = {"c_attn", "wte"};
    fti_synth_variant_init(&v, FTI_VAR_LORA);
    v.targets = mix, v.ntargets = 2;
    CHECK(fti_synth_variant_write(NULL, tmp("mix"), tmp("gbase"), &v) == FTI_ERR_ARG);
}

static const char *sparse_targets[] = {"model.layers.0.mlp.down_proj.weight", "model.embed_tokens.weight"};
static int sel_sparse(const char *n) { return !strcmp(n, sparse_targets[0]) || !strcmp(n, sparse_targets[1]); }

static void test_synth__variant_sparse_exactly_k(void) {
    const fti_dtype dts[] = {FTI_DT_BF16, FTI_DT_F16, FTI_DT_F32};
    for (int d = 0; d < 3; d++) {
        fti_synth_output o = {.dtype = dts[d], .seed = 1};
        CHECK(write_micro(tmp("sbase"), FTI_SYNTH_LLAMA, &o));
        for (int tiny = 0; tiny < 2; tiny++) {
            fti_synth_variant v;
            fti_synth_variant_init(&v, FTI_VAR_SPARSE);
            v.targets = sparse_targets, v.ntargets = 2, v.k = 37, v.seed = (uint64_t)d;
            v.amount = tiny ? 1e-12 : 0; /* a change far below one ulp still changes the entry */
            fti_synth_stats s;
            CHECK(fti_synth_variant_write(&s, tmp("svar"), tmp("sbase"), &v) == FTI_OK);
            fti_ckpt *b = open_ck(tmp("sbase")), *t = open_ck(tmp("svar"));
            uint64_t entries;
            CHECK(changed_only(b, t, sel_sparse, &entries) == 2);
            CHECK_EQ_U64(entries, 74);
            CHECK(s.entries == 74 && s.changed == 2 && s.selected == 2);
            for (int k = 0; k < 2; k++)
                CHECK_EQ_U64(count_diff(fti_ckpt_find(b, sparse_targets[k]), fti_ckpt_find(t, sparse_targets[k])), 37);
            fti_ckpt_close(b);
            fti_ckpt_close(t);
        }
    }
    fti_synth_variant v;
    fti_synth_variant_init(&v, FTI_VAR_SPARSE);
    const char *norm[] = {"model.norm.weight"};
    v.targets = norm, v.ntargets = 1; /* vectors are not sparse targets by default rules: nothing selected */
    CHECK(fti_synth_variant_write(NULL, tmp("svar2"), tmp("sbase"), &v) == FTI_ERR_ARG);
    v.targets = sparse_targets, v.k = 1000000;
    CHECK(fti_synth_variant_write(NULL, tmp("svar2"), tmp("sbase"), &v) == FTI_ERR_ARG);
}

/* Each selected tensor's ||W' - W|| / ||W|| (from the files) is within tol of rel. */
static int check_relative(const char *base, const char *tuned, name_pred sel, double rel, double tol) {
    fti_ckpt *b = open_ck(base), *t = open_ck(tuned);
    int ok = b && t;
    for (size_t i = 0; ok && i < fti_ckpt_count(b); i++) {
        const fti_st_tensor *x = fti_ckpt_tensor(b, i), *y = fti_ckpt_tensor(t, i);
        if (!sel(x->name)) continue;
        double *u = values(x), *w = values(y), dn = 0, wn = 0;
        for (uint64_t k = 0; u && w && k < x->numel; k++) dn += (w[k] - u[k]) * (w[k] - u[k]), wn += u[k] * u[k];
        double r = sqrt(dn / wn);
        if (fabs(r - rel) > tol) {
            fprintf(stderr, "  %s: relative change %g, want %g +- %g\n", x->name, r, rel, tol);
            ok = 0;
        }
        free(u), free(w);
    }
    fti_ckpt_close(b);
    fti_ckpt_close(t);
    return ok;
}

static void test_synth__variant_full(void) {
    fti_synth_output o = {.dtype = FTI_DT_F32, .seed = 2};
    CHECK(write_micro(tmp("fbase"), FTI_SYNTH_BERT, &o));
    fti_synth_variant v;
    fti_synth_variant_init(&v, FTI_VAR_FULL);
    v.rel = 0.03;
    fti_synth_stats s;
    CHECK(fti_synth_variant_write(&s, tmp("fvar"), tmp("fbase"), &v) == FTI_OK);
    fti_ckpt *b = open_ck(tmp("fbase")), *t = open_ck(tmp("fvar"));
    uint64_t entries;
    CHECK(changed_only(b, t, sel_all, &entries) == (long)fti_ckpt_count(b));
    CHECK(s.changed == fti_ckpt_count(b) && fabs(s.rel - 0.03) < 1e-6);
    fti_ckpt_close(b);
    fti_ckpt_close(t);
    CHECK(check_relative(tmp("fbase"), tmp("fvar"), sel_all, 0.03, 1e-6));
    /* BF16: rounding moves the figure by a fraction of the BF16 precision (2^-8 relative) */
    CHECK(write_micro(tmp("fbase16"), FTI_SYNTH_BERT, &OUT_BF16));
    CHECK(fti_synth_variant_write(&s, tmp("fvar16"), tmp("fbase16"), &v) == FTI_OK);
    CHECK(check_relative(tmp("fbase16"), tmp("fvar16"), sel_all, 0.03, 0.004));
}

static int sel_bias(const char *n) { return ends_with(n, ".bias"); }
static int sel_norm(const char *n) {
    return (strstr(n, "LayerNorm") || strstr(n, "bn") || strstr(n, "downsample.1")) &&
           (ends_with(n, ".weight") || ends_with(n, ".bias"));
}

static void test_synth__variant_bitfit_and_norms(void) {
    CHECK(write_micro(tmp("bbase"), FTI_SYNTH_BERT, &OUT_BF16));
    fti_synth_variant v;
    fti_synth_variant_init(&v, FTI_VAR_BITFIT);
    v.rel = 0.2;
    fti_synth_stats s;
    CHECK(fti_synth_variant_write(&s, tmp("bvar"), tmp("bbase"), &v) == FTI_OK);
    fti_ckpt *b = open_ck(tmp("bbase")), *t = open_ck(tmp("bvar"));
    uint64_t entries;
    long biases = 0;
    for (size_t i = 0; b && i < fti_ckpt_count(b); i++) biases += sel_bias(fti_ckpt_tensor(b, i)->name);
    CHECK(biases > 10 && changed_only(b, t, sel_bias, &entries) == biases && (size_t)biases == s.selected);
    fti_ckpt_close(b);
    fti_ckpt_close(t);
    /* norms on a ResNet: batch-norm weights and biases (also downsample.1), not running statistics */
    CHECK(write_micro(tmp("nbase"), FTI_SYNTH_CNN, &OUT_BF16));
    fti_synth_variant_init(&v, FTI_VAR_NORMS);
    v.rel = 0.2;
    CHECK(fti_synth_variant_write(&s, tmp("nvar"), tmp("nbase"), &v) == FTI_OK);
    b = open_ck(tmp("nbase")), t = open_ck(tmp("nvar"));
    CHECK(changed_only(b, t, sel_norm, &entries) == 12 && s.selected == 12); /* 6 batch norms x 2 */
    fti_ckpt_close(b);
    fti_ckpt_close(t);
    /* and on Llama: the RMSNorm weights */
    CHECK(write_micro(tmp("nlbase"), FTI_SYNTH_LLAMA, &OUT_BF16));
    CHECK(fti_synth_variant_write(&s, tmp("nlvar"), tmp("nlbase"), &v) == FTI_OK);
    CHECK(s.selected == 5 && s.changed == 5);
    /* Llama has no bias: BitFit selects nothing */
    fti_synth_variant_init(&v, FTI_VAR_BITFIT);
    CHECK(fti_synth_variant_write(&s, tmp("nlvar2"), tmp("nlbase"), &v) == FTI_ERR_ARG);
}

static int sel_layer1(const char *n) { return strncmp(n, "model.layers.1.", 15) == 0; }
static int sel_last_cnn(const char *n) { return strncmp(n, "layer2.", 7) == 0; }

static void test_synth__variant_last_layers(void) {
    CHECK(write_micro(tmp("llbase"), FTI_SYNTH_LLAMA, &OUT_BF16));
    fti_synth_variant v;
    fti_synth_variant_init(&v, FTI_VAR_LAST_LAYERS);
    v.last = 1;
    fti_synth_stats s;
    CHECK(fti_synth_variant_write(&s, tmp("llvar"), tmp("llbase"), &v) == FTI_OK);
    fti_ckpt *b = open_ck(tmp("llbase")), *t = open_ck(tmp("llvar"));
    uint64_t entries;
    CHECK(changed_only(b, t, sel_layer1, &entries) == 9 && s.selected == 9);
    fti_ckpt_close(b);
    fti_ckpt_close(t);
    /* a ResNet's layers are its blocks: "layer2.0." is the last of micro's two stages */
    CHECK(write_micro(tmp("lcbase"), FTI_SYNTH_CNN, &OUT_BF16));
    CHECK(fti_synth_variant_write(&s, tmp("lcvar"), tmp("lcbase"), &v) == FTI_OK);
    b = open_ck(tmp("lcbase")), t = open_ck(tmp("lcvar"));
    CHECK(changed_only(b, t, sel_last_cnn, &entries) == 15); /* 3 kernels, 3 batch norms x 4 */
    fti_ckpt_close(b);
    fti_ckpt_close(t);
    v.last = 3; /* micro llama has 2 layers */
    CHECK(fti_synth_variant_write(&s, tmp("llvar2"), tmp("llbase"), &v) == FTI_ERR_ARG);
    /* natural order: layer 10 comes after layer 9 */
    fti_synth_config cfg = {.arch = FTI_SYNTH_MLP, .inputs = 4, .hidden = 4, .layers = 11, .classes = 2};
    CHECK(fti_synth_model_write(tmp("mlp11"), &cfg, &OUT_BF16) == FTI_OK);
    v.last = 2;
    CHECK(fti_synth_variant_write(&s, tmp("mlp11v"), tmp("mlp11"), &v) == FTI_OK);
    t = open_ck(tmp("mlp11v")), b = open_ck(tmp("mlp11"));
    CHECK(count_diff(fti_ckpt_find(b, "layers.10.weight"), fti_ckpt_find(t, "layers.10.weight")) > 0);
    CHECK(count_diff(fti_ckpt_find(b, "layers.9.bias"), fti_ckpt_find(t, "layers.9.bias")) > 0);
    CHECK(same_bytes(fti_ckpt_find(b, "layers.8.weight"), fti_ckpt_find(t, "layers.8.weight")));
    CHECK(same_bytes(fti_ckpt_find(b, "layers.1.weight"), fti_ckpt_find(t, "layers.1.weight")));
    fti_ckpt_close(b);
    fti_ckpt_close(t);
}

static const char *tamper_name = "model.layers.1.self_attn.v_proj.weight";
static int sel_tamper(const char *n) { return strcmp(n, tamper_name) == 0; }

static void test_synth__variant_tamper_entry(void) {
    CHECK(write_micro(tmp("tbase"), FTI_SYNTH_LLAMA, &OUT_BF16));
    for (int mode = 0; mode < 3; mode++) {
        fti_synth_variant v;
        fti_synth_variant_init(&v, FTI_VAR_TAMPER_ENTRY);
        v.tensor = tamper_name;
        if (mode == 1) v.index = 77, v.amount = -1e-9; /* rounds away: one ulp down instead */
        if (mode == 2) v.seed = 99;
        CHECK(fti_synth_variant_write(NULL, tmp("tvar"), tmp("tbase"), &v) == FTI_OK);
        fti_ckpt *b = open_ck(tmp("tbase")), *t = open_ck(tmp("tvar"));
        uint64_t entries;
        CHECK(changed_only(b, t, sel_tamper, &entries) == 1 && entries == 1);
        const fti_st_tensor *x = fti_ckpt_find(b, tamper_name), *y = fti_ckpt_find(t, tamper_name);
        if (mode == 1) {
            double u, w;
            CHECK(fti_decode_f64(&u, x, 77, 1) == FTI_OK && fti_decode_f64(&w, y, 77, 1) == FTI_OK);
            CHECK(w < u && u - w <= 2 * half_ulp(FTI_DT_BF16, u));
        }
        fti_ckpt_close(b);
        fti_ckpt_close(t);
    }
    fti_synth_variant v;
    fti_synth_variant_init(&v, FTI_VAR_TAMPER_ENTRY);
    v.tensor = "model.nothing";
    CHECK(fti_synth_variant_write(NULL, tmp("tvar2"), tmp("tbase"), &v) == FTI_ERR_ARG);
    CHECK(strstr(fti_last_error(), "model.nothing") != NULL);
    v.tensor = tamper_name, v.index = 1 << 20;
    CHECK(fti_synth_variant_write(NULL, tmp("tvar2"), tmp("tbase"), &v) == FTI_ERR_ARG);
}

static void test_synth__variant_tamper_rank(void) {
    fti_synth_output o = {.dtype = FTI_DT_F32, .seed = 3};
    CHECK(write_micro(tmp("rbase"), FTI_SYNTH_LLAMA, &o));
    fti_synth_variant v;
    fti_synth_variant_init(&v, FTI_VAR_TAMPER_RANK);
    v.tensor = "model.layers.0.mlp.gate_proj.weight"; /* 176 x 64 */
    v.rank = 5;
    fti_synth_stats s;
    CHECK(fti_synth_variant_write(&s, tmp("rvar"), tmp("rbase"), &v) == FTI_OK);
    CHECK(s.selected == 1 && s.changed == 1 && fabs(s.rel - 0.05) < 1e-5);
    double sv[64];
    CHECK(diff_spectrum(sv, tmp("rbase"), tmp("rvar"), v.tensor));
    CHECK(sv[4] > 0.999 * sv[0]);  /* five equal singular values */
    CHECK(sv[5] < 1e-5 * sv[0]);   /* nothing beyond them but F32 rounding */
    v.rank = 65;
    CHECK(fti_synth_variant_write(&s, tmp("rvar2"), tmp("rbase"), &v) == FTI_ERR_ARG);
    v.rank = 2, v.tensor = "model.norm.weight";
    CHECK(fti_synth_variant_write(&s, tmp("rvar2"), tmp("rbase"), &v) == FTI_ERR_ARG);
}

static void test_synth__variant_keeps_shards_and_metadata(void) {
    fti_synth_output o = OUT_BF16;
    o.shards = 3;
    CHECK(write_micro(tmp("shbase"), FTI_SYNTH_LLAMA, &o));
    fti_synth_variant v;
    fti_synth_variant_init(&v, FTI_VAR_LORA);
    CHECK(fti_synth_variant_write(NULL, tmp("shvar"), tmp("shbase"), &v) == FTI_OK);
    json_error_t err;
    json_t *a = json_load_file(path_in(tmp("shbase"), "model.safetensors.index.json"), 0, &err),
           *b = json_load_file(path_in(tmp("shvar"), "model.safetensors.index.json"), 0, &err);
    CHECK(a && b && json_equal(a, b)); /* same weight map and total size */
    json_decref(a);
    json_decref(b);
    fti_ckpt *t = open_ck(tmp("shvar"));
    CHECK(t && fti_ckpt_file_count(t) == 3);
    const char *m = fti_st_metadata_get(fti_ckpt_file(t, 0), "fti_synth");
    CHECK(m && strncmp(m, "lora seed=0 rank=8", 18) == 0);
    CHECK(strcmp(fti_st_metadata_get(fti_ckpt_file(t, 0), "format"), "pt") == 0);
    fti_ckpt_close(t);
    /* a variant never overwrites its base */
    CHECK(fti_synth_variant_write(NULL, tmp("shbase"), tmp("shbase"), &v) == FTI_ERR_ARG);
    CHECK(write_micro(tmp("same"), FTI_SYNTH_MLP, &OUT_BF16));
    fti_synth_variant_init(&v, FTI_VAR_FULL);
    CHECK(fti_synth_variant_write(NULL, tmp("same"), tmp("same"), &v) == FTI_ERR_ARG);
    CHECK(fti_synth_variant_write(NULL, path_in(tmp("same"), "model.safetensors"), tmp("same"), &v) == FTI_ERR_ARG);
    /* a single-file base written to a .safetensors path */
    CHECK(fti_synth_variant_write(NULL, tmp("single_out.safetensors"), tmp("same"), &v) == FTI_OK);
    t = open_ck(tmp("single_out.safetensors"));
    CHECK(t && fti_ckpt_kind_of(t) == FTI_CKPT_FILE);
    fti_ckpt_close(t);
}

static void test_synth__pattern_rules(void) {
    fti_synth_variant v;
    CHECK(write_micro(tmp("pbase"), FTI_SYNTH_LLAMA, &OUT_BF16));
    const char *glob[] = {"model.layers.*.mlp.*"};
    fti_synth_variant_init(&v, FTI_VAR_FULL);
    v.targets = glob, v.ntargets = 1;
    fti_synth_stats s;
    CHECK(fti_synth_variant_write(&s, tmp("pvar"), tmp("pbase"), &v) == FTI_OK && s.selected == 6);
    const char *parent[] = {"self_attn"}; /* a parent module selects nothing: name the module or use a glob */
    v.targets = parent;
    CHECK(fti_synth_variant_write(&s, tmp("pvar"), tmp("pbase"), &v) == FTI_ERR_ARG);
    const char *leaf[] = {"q_proj", "lm_head.weight"};
    v.targets = leaf, v.ntargets = 2;
    CHECK(fti_synth_variant_write(&s, tmp("pvar"), tmp("pbase"), &v) == FTI_OK && s.selected == 3);
    const char *none[] = {"nothing"};
    v.targets = none, v.ntargets = 1;
    CHECK(fti_synth_variant_write(&s, tmp("pvar"), tmp("pbase"), &v) == FTI_ERR_ARG);
    CHECK(strstr(fti_last_error(), "no tensor") != NULL);
}

/* ---- the tool ---- */

/* The fti_gen program beside this test program, or NULL. */
static const char *tool_path(void) {
    static char p[4096];
    ssize_t n = readlink("/proc/self/exe", p, sizeof p - 16);
    if (n <= 0) return NULL;
    p[n] = 0;
    char *slash = strrchr(p, '/');
    if (!slash) return NULL;
    strcpy(slash + 1, "fti_gen");
    return access(p, X_OK) == 0 ? p : NULL;
}

static int run_tool(const char *args) {
    char cmd[8192];
    snprintf(cmd, sizeof cmd, "%s %s >/dev/null 2>%s", tool_path(), args, tmp("tool_err.txt"));
    int rc = system(cmd);
    return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

static void test_synth__tool_usage_and_runs(void) {
    if (!tool_path()) {
        test_skip("fti_gen was not built beside test_synth");
        return;
    }
    char args[2048];
    CHECK(run_tool("--help") == 0);
    CHECK(run_tool("") == 2);
    CHECK(run_tool("model nosuch -o x") == 2);
    CHECK(run_tool("model llama --preset nope -o x") == 2);
    CHECK(run_tool("model llama --dtype f8 -o x") == 2);
    CHECK(run_tool("model llama --hidden") == 2);
    CHECK(run_tool("model llama --preset micro") == 2);
    CHECK(run_tool("variant lora -o x") == 2);
    size_t len;
    FILE *f = fopen(tmp("tool_err.txt"), "r");
    char line[512] = "";
    CHECK(f && fgets(line, sizeof line, f));
    len = strlen(line);
    CHECK(len > 0 && strstr(line, "fti_gen: ") == line && !fgets(line, sizeof line, f)); /* one line */
    fclose(f);
    snprintf(args, sizeof args, "model llama --preset micro --layers 3 --dtype f16 --max-shard-size 50KB --seed 4 -o %s",
             tmp("tool_model"));
    CHECK(run_tool(args) == 0);
    fti_ckpt *c = open_ck(tmp("tool_model"));
    CHECK(c && fti_ckpt_kind_of(c) == FTI_CKPT_SHARDED && fti_ckpt_find(c, "model.layers.2.mlp.up_proj.weight"));
    CHECK(fti_ckpt_tensor(c, 0)->dtype == FTI_DT_F16);
    fti_ckpt_close(c);
    snprintf(args, sizeof args, "variant lora --base %s --targets q_proj,v_proj --rank 2 --alpha 4 --adapter-out %s -o %s",
             tmp("tool_model"), tmp("tool_adapter"), tmp("tool_lora"));
    CHECK(run_tool(args) == 0);
    fti_lora *l;
    CHECK(fti_lora_open(&l, tmp("tool_adapter")) == FTI_OK);
    CHECK(fti_lora_count(l) == 6 && fti_lora_get_config(l)->alpha == 4);
    fti_lora_close(l);
    snprintf(args, sizeof args, "variant tamper-entry --base %s --tensor nope -o %s", tmp("tool_model"), tmp("tool_t"));
    CHECK(run_tool(args) == 2);
    snprintf(args, sizeof args, "variant sparse --base %s/none -o %s", tmp("tool_model"), tmp("tool_t"));
    CHECK(run_tool(args) == 1);
}

/* ---- real models ---- */

static const char *real_conv;
static int sel_real(const char *n) { return strcmp(n, real_conv) == 0; }

/* A sparse edit and a rank-3 update of a real network (F32, Paddle names, OIHW kernels). */
static void test_synth__models_variants_of_real_network(void) {
    const char *dir = test_models_dir();
    if (!dir) {
        test_skip("../shared/models is absent");
        return;
    }
    char base[4200], conv[256] = "";
    snprintf(base, sizeof base, "%s/ppocrv4_rec.safetensors", dir);
    fti_ckpt *b = open_ck(base);
    CHECK(b);
    for (size_t i = 0; i < fti_ckpt_count(b) && !conv[0]; i++) { /* the first 1x1 kernel with >= 32 x 32 */
        const fti_st_tensor *t = fti_ckpt_tensor(b, i);
        if (t->ndim == 4 && t->shape[0] >= 32 && t->shape[1] >= 32 && t->shape[2] == 1 && t->shape[3] == 1)
            snprintf(conv, sizeof conv, "%s", t->name);
    }
    size_t count = fti_ckpt_count(b);
    fti_ckpt_close(b);
    CHECK(conv[0]);
    const char *target = conv;
    fti_synth_variant v;
    fti_synth_variant_init(&v, FTI_VAR_SPARSE);
    v.targets = &target, v.ntargets = 1, v.k = 3;
    fti_synth_stats s;
    CHECK(fti_synth_variant_write(&s, tmp("real_sparse.safetensors"), base, &v) == FTI_OK);
    CHECK(s.entries == 3 && s.changed == 1 && s.tensors == count);
    b = open_ck(base);
    fti_ckpt *t = open_ck(tmp("real_sparse.safetensors"));
    uint64_t entries;
    real_conv = conv;
    CHECK(b && t && changed_only(b, t, sel_real, &entries) == 1 && entries == 3);
    const char *layout = fti_st_metadata_get(fti_ckpt_file(b, 0), "layout");
    CHECK(layout && strcmp(fti_st_metadata_get(fti_ckpt_file(t, 0), "layout"), layout) == 0); /* metadata kept */
    fti_ckpt_close(b);
    fti_ckpt_close(t);
    fti_synth_variant_init(&v, FTI_VAR_TAMPER_RANK);
    v.tensor = conv, v.rank = 3;
    CHECK(fti_synth_variant_write(&s, tmp("real_rank.safetensors"), base, &v) == FTI_OK);
    double sv[1024];
    CHECK(diff_spectrum(sv, base, tmp("real_rank.safetensors"), conv));
    CHECK(sv[2] > 0.999 * sv[0] && sv[3] < 1e-5 * sv[0]);
}

const struct test_case TEST_CASES[] = {
    TEST(test_synth__round_matches_reference),
    TEST(test_synth__round_ties_to_even),
    TEST(test_synth__round_special_values),
    TEST(test_synth__step_and_differs),
    TEST(test_synth__generator_statistics),
    TEST(test_synth__header_layout),
    TEST(test_synth__hf_split_rule),
    TEST(test_synth__writer_mixed_dtypes_scalars_and_errors),
    TEST(test_synth__every_arch_reads_back),
    TEST(test_synth__hugging_face_names_and_shapes),
    TEST(test_synth__presets_and_checks),
    TEST(test_synth__sharded_equals_single),
    TEST(test_synth__deterministic_any_thread_count),
    TEST(test_synth__variant_lora_llama),
    TEST(test_synth__variant_lora_f32_has_rank_r),
    TEST(test_synth__variant_lora_gpt2_and_conv),
    TEST(test_synth__variant_sparse_exactly_k),
    TEST(test_synth__variant_full),
    TEST(test_synth__variant_bitfit_and_norms),
    TEST(test_synth__variant_last_layers),
    TEST(test_synth__variant_tamper_entry),
    TEST(test_synth__variant_tamper_rank),
    TEST(test_synth__variant_keeps_shards_and_metadata),
    TEST(test_synth__pattern_rules),
    TEST(test_synth__tool_usage_and_runs),
    TEST(test_synth__models_variants_of_real_network),
    {0},
};
