/* safetensors reader, checkpoints (single, sharded, directories) and LoRA adapters, on files
 * built here in test_tmpdir(): every valid shape of the format, and every hostile case listed
 * in src/model/safetensors.h as its own named case, checked for its status and for a one-line
 * message that names the file and the problem. */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "model/checkpoint.h"
#include "model/encode.h"
#include "model/lora.h"
#include "test.h"

/* ---- building files ---- */

static const char *tmp_path(const char *name) {
    static char buf[8][512];
    static int k;
    char *p = buf[k++ % 8];
    snprintf(p, 512, "%s/%s", test_tmpdir(), name);
    return p;
}

static void write_bytes(const char *path, const void *data, size_t len) {
    FILE *f = fopen(path, "wb");
    if (!f || fwrite(data, 1, len, f) != len || fclose(f) != 0) {
        perror(path);
        exit(1);
    }
}

/* A file with header h (its length as N) followed by data_len bytes 0, 1, 2, ... */
static const char *write_header(const char *name, const char *h, size_t data_len) {
    size_t n = strlen(h);
    unsigned char *buf = malloc(8 + n + data_len + 1);
    for (int i = 0; i < 8; i++) buf[i] = (unsigned char)((uint64_t)n >> (8 * i));
    memcpy(buf + 8, h, n);
    for (size_t i = 0; i < data_len; i++) buf[8 + n + i] = (unsigned char)i;
    const char *p = tmp_path(name);
    write_bytes(p, buf, 8 + n + data_len);
    free(buf);
    return p;
}

typedef struct {
    const char *name;
    const char *dtype;
    unsigned ndim;
    uint64_t shape[4];
    size_t nbytes;
    const void *data;
} tspec;

static size_t append(char *h, size_t o, size_t cap, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf(h + o, cap - o, fmt, ap);
    va_end(ap);
    return o + (size_t)k;
}

/* A valid file with tensors ts[0..n) laid out in that order, optional metadata JSON object
 * text, header padded with spaces to a multiple of 8 like the reference writer. */
static const char *write_st(const char *name, const tspec *ts, size_t n, const char *meta) {
    size_t cap = 4096 + n * 256, o = 0, off = 0, total = 0;
    char *h = malloc(cap);
    o = append(h, o, cap, "{");
    if (meta) o = append(h, o, cap, "\"__metadata__\":%s%s", meta, n ? "," : "");
    for (size_t i = 0; i < n; i++) {
        o = append(h, o, cap, "%s\"%s\":{\"dtype\":\"%s\",\"shape\":[", i ? "," : "", ts[i].name, ts[i].dtype);
        for (unsigned d = 0; d < ts[i].ndim; d++)
            o = append(h, o, cap, "%s%llu", d ? "," : "", (unsigned long long)ts[i].shape[d]);
        o = append(h, o, cap, "],\"data_offsets\":[%zu,%zu]}", off, off + ts[i].nbytes);
        off += ts[i].nbytes;
    }
    o = append(h, o, cap, "}");
    while (o % 8) h[o++] = ' ';
    h[o] = 0;
    total = 8 + o + off;
    unsigned char *buf = malloc(total + 1);
    for (int i = 0; i < 8; i++) buf[i] = (unsigned char)((uint64_t)o >> (8 * i));
    memcpy(buf + 8, h, o);
    off = 8 + o;
    for (size_t i = 0; i < n; i++) {
        if (ts[i].nbytes) memcpy(buf + off, ts[i].data, ts[i].nbytes);
        off += ts[i].nbytes;
    }
    const char *p = tmp_path(name);
    write_bytes(p, buf, total);
    free(buf);
    free(h);
    return p;
}

static void *read_all(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    fseek(f, 0, SEEK_END);
    *len = (size_t)ftell(f);
    fseek(f, 0, SEEK_SET);
    void *b = malloc(*len + 1);
    if (fread(b, 1, *len, f) != *len) *len = 0;
    fclose(f);
    return b;
}

/* Opening path (and parsing its bytes from memory) fails with `want`, and both messages are
 * one line naming the file and containing `needle`. */
static int rejects(const char *path, fti_status want, const char *needle) {
    fti_st_file *f = NULL;
    fti_status st = fti_st_open(&f, path);
    const char *m = fti_last_error();
    int ok = st == want && !f && strstr(m, path) && strstr(m, needle) && !strchr(m, '\n');
    if (!ok) fprintf(stderr, "  open: status %d (want %d), message: %s\n", st, want, m);
    fti_st_close(f);
    size_t len;
    void *buf = read_all(path, &len);
    st = fti_st_parse(&f, buf, len, path);
    m = fti_last_error();
    int ok2 = st == want && !f && strstr(m, path) && strstr(m, needle);
    if (!ok2) fprintf(stderr, "  parse: status %d (want %d), message: %s\n", st, want, m);
    fti_st_close(f);
    free(buf);
    return ok && ok2;
}

#define REJECT_HEADER(name, header, data_len, needle) \
    CHECK(rejects(write_header(name, header, data_len), FTI_ERR_FORMAT, needle))

static const char *T_OK = "{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}";

/* ---- valid files ---- */

static void test_st__valid_every_dtype(void) {
    static const struct {
        const char *dtype;
        fti_dtype dt;
        unsigned bits;
    } all[] = {{"BOOL", FTI_DT_BOOL, 8},       {"F4", FTI_DT_F4, 4},           {"F6_E2M3", FTI_DT_F6_E2M3, 6},
               {"F6_E3M2", FTI_DT_F6_E3M2, 6}, {"U8", FTI_DT_U8, 8},           {"I8", FTI_DT_I8, 8},
               {"F8_E5M2", FTI_DT_F8_E5M2, 8}, {"F8_E4M3", FTI_DT_F8_E4M3, 8}, {"F8_E8M0", FTI_DT_F8_E8M0, 8},
               {"I16", FTI_DT_I16, 16},        {"U16", FTI_DT_U16, 16},        {"F16", FTI_DT_F16, 16},
               {"BF16", FTI_DT_BF16, 16},      {"I32", FTI_DT_I32, 32},        {"U32", FTI_DT_U32, 32},
               {"F32", FTI_DT_F32, 32},        {"C64", FTI_DT_C64, 64},        {"F64", FTI_DT_F64, 64},
               {"I64", FTI_DT_I64, 64},        {"U64", FTI_DT_U64, 64}};
    enum { N = sizeof all / sizeof all[0] };
    tspec ts[N];
    char names[N][16];
    uint8_t data[N][64];
    for (int i = 0; i < N; i++) {
        snprintf(names[i], sizeof names[i], "t%02d_%s", N - i, all[i].dtype); /* reverse order on disk */
        test_rand_bytes(data[i], sizeof data[i]);
        ts[i] = (tspec){names[i], all[i].dtype, 2, {2, 4}, 8 * all[i].bits / 8, data[i]};
        CHECK_EQ_U64(fti_dtype_bits(all[i].dt), all[i].bits);
        CHECK(strcmp(fti_dtype_name(all[i].dt), all[i].dtype) == 0);
    }
    const char *p = write_st("dtypes.safetensors", ts, N, NULL);
    fti_st_file *f;
    CHECK(fti_st_open(&f, p) == FTI_OK);
    CHECK_EQ_U64(fti_st_count(f), N);
    for (size_t i = 0; i < N; i++) {
        const fti_st_tensor *t = fti_st_tensor_at(f, i);
        int k = N - 1 - (int)i; /* sorted by name: t01_U64 first */
        CHECK(strcmp(t->name, names[k]) == 0);
        CHECK(t->dtype == all[k].dt);
        CHECK(t->ndim == 2 && t->shape[0] == 2 && t->shape[1] == 4 && t->numel == 8);
        CHECK_EQ_U64(t->nbytes, ts[k].nbytes);
        CHECK(memcmp(t->data, data[k], t->nbytes) == 0);
        CHECK(fti_st_find(f, names[k]) == t);
        CHECK((fti_st_require_committable(t) == FTI_OK) == fti_dtype_committable(t->dtype));
    }
    CHECK(fti_st_find(f, "nope") == NULL);
    fti_st_close(f);
}

static void test_st__valid_scalars_and_empty_tensors(void) {
    float one = 1.0f;
    double two = 2.0;
    tspec ts[] = {{"empty_a", "F32", 1, {0}, 0, NULL}, {"scalar", "F32", 0, {0}, 4, &one},
                  {"empty_b", "BF16", 2, {3, 0}, 0, NULL}, {"empty_c", "I8", 3, {0, 5, 7}, 0, NULL},
                  {"scalar64", "F64", 0, {0}, 8, &two}, {"empty_end", "F16", 1, {0}, 0, NULL}};
    const char *p = write_st("empty.safetensors", ts, 6, NULL);
    fti_st_file *f;
    CHECK(fti_st_open(&f, p) == FTI_OK);
    CHECK_EQ_U64(fti_st_count(f), 6);
    const fti_st_tensor *s = fti_st_find(f, "scalar"), *e = fti_st_find(f, "empty_c");
    CHECK(s && s->ndim == 0 && s->numel == 1 && s->nbytes == 4 && s->shape == NULL);
    CHECK(e && e->ndim == 3 && e->numel == 0 && e->nbytes == 0);
    double v;
    CHECK(fti_decode_f64(&v, s, 0, 1) == FTI_OK && v == 1.0);
    CHECK(fti_decode_f64(&v, fti_st_find(f, "scalar64"), 0, 1) == FTI_OK && v == 2.0);
    fti_st_close(f);
    /* a header with no tensor and no data is a valid, empty file */
    CHECK(fti_st_open(&f, write_header("none.safetensors", "{}      ", 0)) == FTI_OK);
    CHECK_EQ_U64(fti_st_count(f), 0);
    fti_st_close(f);
}

static void test_st__valid_metadata(void) {
    float x[2] = {1, 2};
    tspec ts[] = {{"w", "F32", 1, {2}, 8, x}};
    const char *p = write_st("meta.safetensors", ts, 1,
                             "{\"z\":\"last\",\"layout\":\"OIHW\",\"a\":\"\",\"utf8\":\"\\u00e9t\\u00e9\"}");
    fti_st_file *f;
    CHECK(fti_st_open(&f, p) == FTI_OK);
    CHECK_EQ_U64(fti_st_metadata_count(f), 4);
    const char *k, *v;
    fti_st_metadata_at(f, 0, &k, &v);
    CHECK(strcmp(k, "a") == 0 && strcmp(v, "") == 0);
    fti_st_metadata_at(f, 3, &k, &v);
    CHECK(strcmp(k, "z") == 0 && strcmp(v, "last") == 0);
    CHECK(strcmp(fti_st_metadata_get(f, "layout"), "OIHW") == 0);
    CHECK(strcmp(fti_st_metadata_get(f, "utf8"), "\xc3\xa9t\xc3\xa9") == 0);
    CHECK(fti_st_metadata_get(f, "missing") == NULL);
    fti_st_close(f);
}

static void test_st__parse_buffer_matches_open(void) {
    uint16_t x[6] = {1, 2, 3, 4, 5, 6};
    tspec ts[] = {{"b", "BF16", 2, {2, 3}, 12, x}, {"a", "F16", 1, {0}, 0, NULL}};
    const char *p = write_st("buf.safetensors", ts, 2, "{\"k\":\"v\"}");
    size_t len;
    uint8_t *buf = read_all(p, &len);
    fti_st_file *f, *g;
    CHECK(fti_st_open(&f, p) == FTI_OK);
    CHECK(fti_st_parse(&g, buf, len, "label") == FTI_OK);
    CHECK(strcmp(fti_st_path(g), "label") == 0);
    CHECK_EQ_U64(fti_st_count(f), fti_st_count(g));
    CHECK_EQ_U64(fti_st_header_len(f), fti_st_header_len(g));
    for (size_t i = 0; i < fti_st_count(f); i++) {
        const fti_st_tensor *a = fti_st_tensor_at(f, i), *b = fti_st_tensor_at(g, i);
        CHECK(strcmp(a->name, b->name) == 0 && a->offset == b->offset && a->nbytes == b->nbytes);
        CHECK(b->data == buf + b->offset && memcmp(a->data, b->data, a->nbytes) == 0);
        fti_st_release(b); /* no effect on a caller's buffer */
    }
    CHECK(memcmp(fti_st_find(g, "b")->data, x, 12) == 0);
    fti_st_close(f);
    fti_st_close(g);
    free(buf);
}

static void test_st__unsupported_dtype_values(void) {
    int8_t x[4] = {1, -2, 3, -4};
    tspec ts[] = {{"q.weight", "I8", 1, {4}, 4, x}};
    const char *p = write_st("i8.safetensors", ts, 1, NULL);
    fti_st_file *f;
    CHECK(fti_st_open(&f, p) == FTI_OK); /* reading works */
    const fti_st_tensor *t = fti_st_tensor_at(f, 0);
    CHECK(memcmp(t->data, x, 4) == 0);
    char want[600];
    snprintf(want, sizeof want, "%s: tensor q.weight has dtype I8, which fti cannot commit (only BF16, F16, F32, F64)",
             p);
    CHECK(fti_st_require_committable(t) == FTI_ERR_UNSUPPORTED);
    CHECK(strcmp(fti_last_error(), want) == 0);
    double d[4];
    int32_t s;
    CHECK(fti_decode_f64(d, t, 0, 4) == FTI_ERR_UNSUPPORTED && strcmp(fti_last_error(), want) == 0);
    CHECK(fti_quantum_exponent(&s, t) == FTI_ERR_UNSUPPORTED && strcmp(fti_last_error(), want) == 0);
    fti_st_close(f);
}

static void test_st__quote_names(void) {
    char q[16];
    CHECK(strcmp(fti_st_quote(q, sizeof q, "a\nb\\c"), "a\\x0ab\\x5cc") == 0);
    CHECK(strcmp(fti_st_quote(q, sizeof q, "abcdefghijklmnopqrstuvwxyz"), "abcdefghijkl...") == 0);
    CHECK(strcmp(fti_st_quote(q, sizeof q, "abcdefghij\xc3\xa9\xc3\xa9\xc3\xa9"), "abcdefghij...") == 0);
}

/* ---- hostile files: the prefix ---- */

static void test_st__reject_file_shorter_than_8_bytes(void) {
    const char *p = tmp_path("short.safetensors");
    write_bytes(p, "\x04\0\0\0\0\0\0", 7);
    CHECK(rejects(p, FTI_ERR_FORMAT, "shorter than the 8-byte header length"));
    write_bytes(p, "", 0);
    CHECK(rejects(p, FTI_ERR_FORMAT, "file is 0 bytes"));
}

static void test_st__reject_header_length_zero(void) {
    const char *p = tmp_path("hlen0.safetensors");
    write_bytes(p, "\0\0\0\0\0\0\0\0{}", 10);
    CHECK(rejects(p, FTI_ERR_FORMAT, "header length is 0"));
}

static void test_st__reject_header_length_over_cap(void) {
    const char *p = tmp_path("hlenbig.safetensors");
    uint8_t b[16] = {0x01, 0xE1, 0xF5, 0x05, 0, 0, 0, 0, '{', '}'}; /* 100,000,001 */
    write_bytes(p, b, sizeof b);
    CHECK(rejects(p, FTI_ERR_FORMAT, "header length 100000001 exceeds the format's cap"));
    uint8_t c[16] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, '{', '}'};
    write_bytes(p, c, sizeof c);
    CHECK(rejects(p, FTI_ERR_FORMAT, "exceeds the format's cap"));
}

static void test_st__reject_header_length_beyond_file(void) {
    const char *p = tmp_path("hlenpast.safetensors");
    write_bytes(p, "\x10\0\0\0\0\0\0\0{}", 10);
    CHECK(rejects(p, FTI_ERR_FORMAT, "header length 16 runs past the end of the file (10 bytes)"));
}

/* ---- the header as JSON ---- */

static void test_st__reject_header_not_json(void) {
    REJECT_HEADER("notjson.safetensors", "{\"w\": nope}", 0, "header is not valid JSON");
    REJECT_HEADER("truncated.safetensors", "{\"w\":{\"dtype\":\"F32\"", 0, "header is not valid JSON");
    REJECT_HEADER("trailing.safetensors", "{} x", 0, "header is not valid JSON");
}

static void test_st__reject_header_with_nul_byte(void) {
    const char *p = tmp_path("nulbyte.safetensors");
    write_bytes(p, "\x04\0\0\0\0\0\0\0{}\0 ", 12);
    CHECK(rejects(p, FTI_ERR_FORMAT, "header is not valid JSON"));
}

static void test_st__reject_header_not_utf8(void) {
    REJECT_HEADER("utf8.safetensors", "{\"w\xff\":{\"dtype\":\"F32\",\"shape\":[],\"data_offsets\":[0,4]}}", 4,
                  "header is not valid JSON");
    REJECT_HEADER("utf8b.safetensors", "{\"__metadata__\":{\"k\":\"\xc3\"}}", 0, "header is not valid JSON");
}

static void test_st__reject_header_not_object(void) {
    REJECT_HEADER("array.safetensors", "[1, 2]", 0, "header is not a JSON object");
    REJECT_HEADER("scalar.safetensors", "42", 0, "header is not valid JSON");
}

static void test_st__reject_duplicate_tensor_names(void) {
    REJECT_HEADER("dup.safetensors",
                  "{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
                  "\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}",
                  8, "duplicate object key");
}

static void test_st__reject_duplicate_fields_and_metadata_keys(void) {
    REJECT_HEADER("dupfield.safetensors", "{\"w\":{\"dtype\":\"F32\",\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}",
                  4, "duplicate object key");
    REJECT_HEADER("dupmeta.safetensors", "{\"__metadata__\":{\"a\":\"1\",\"a\":\"2\"}}", 0, "duplicate object key");
    REJECT_HEADER("dupmeta2.safetensors", "{\"__metadata__\":{},\"__metadata__\":{}}", 0, "duplicate object key");
}

static void test_st__reject_entry_not_object(void) {
    REJECT_HEADER("entry.safetensors", "{\"w\":[\"F32\",[1],[0,4]]}", 4, "tensor w: entry is not an object");
    REJECT_HEADER("entry2.safetensors", "{\"w\":null}", 0, "tensor w: entry is not an object");
}

static void test_st__reject_unknown_field(void) {
    REJECT_HEADER("unknown.safetensors", "{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4],\"x\":1}}", 4,
                  "tensor w: unknown field \"x\"");
}

static void test_st__reject_missing_fields(void) {
    REJECT_HEADER("nodtype.safetensors", "{\"w\":{\"shape\":[1],\"data_offsets\":[0,4]}}", 4,
                  "tensor w: missing field \"dtype\"");
    REJECT_HEADER("noshape.safetensors", "{\"w\":{\"dtype\":\"F32\",\"data_offsets\":[0,4]}}", 4,
                  "tensor w: missing field \"shape\"");
    REJECT_HEADER("nooffsets.safetensors", "{\"w\":{\"dtype\":\"F32\",\"shape\":[1]}}", 4,
                  "tensor w: missing field \"data_offsets\"");
}

static void test_st__reject_unknown_dtype(void) {
    REJECT_HEADER("dtype.safetensors", "{\"w\":{\"dtype\":\"F128\",\"shape\":[1],\"data_offsets\":[0,16]}}", 16,
                  "tensor w: unknown dtype \"F128\"");
    REJECT_HEADER("dtypecase.safetensors", "{\"w\":{\"dtype\":\"f32\",\"shape\":[1],\"data_offsets\":[0,4]}}", 4,
                  "tensor w: unknown dtype \"f32\"");
    REJECT_HEADER("dtypenum.safetensors", "{\"w\":{\"dtype\":32,\"shape\":[1],\"data_offsets\":[0,4]}}", 4,
                  "tensor w: dtype is not a string");
}

static void test_st__reject_bad_shape(void) {
    REJECT_HEADER("shape1.safetensors", "{\"w\":{\"dtype\":\"F32\",\"shape\":4,\"data_offsets\":[0,16]}}", 16,
                  "tensor w: shape is not an array");
    REJECT_HEADER("shape2.safetensors", "{\"w\":{\"dtype\":\"F32\",\"shape\":[2,-2],\"data_offsets\":[0,16]}}", 16,
                  "tensor w: shape[1] is not a non-negative integer");
    REJECT_HEADER("shape3.safetensors", "{\"w\":{\"dtype\":\"F32\",\"shape\":[2.0],\"data_offsets\":[0,8]}}", 8,
                  "tensor w: shape[0] is not a non-negative integer");
    REJECT_HEADER("shape4.safetensors", "{\"w\":{\"dtype\":\"F32\",\"shape\":[\"2\"],\"data_offsets\":[0,8]}}", 8,
                  "tensor w: shape[0] is not a non-negative integer");
    REJECT_HEADER("shape5.safetensors", "{\"w\":{\"dtype\":\"F32\",\"shape\":[99999999999999999999],\"data_offsets\":[0,8]}}",
                  8, "header is not valid JSON");
}

static void test_st__reject_element_count_overflow(void) {
    REJECT_HEADER("ovf1.safetensors",
                  "{\"w\":{\"dtype\":\"U8\",\"shape\":[4294967296,4294967296],\"data_offsets\":[0,0]}}", 0,
                  "tensor w: element count overflows 64 bits");
    /* a zero dimension does not excuse an overflowing product of the others */
    REJECT_HEADER("ovf2.safetensors",
                  "{\"w\":{\"dtype\":\"U8\",\"shape\":[0,4294967296,4294967296],\"data_offsets\":[0,0]}}", 0,
                  "tensor w: element count overflows 64 bits");
}

static void test_st__reject_byte_length_overflow(void) {
    REJECT_HEADER("bovf.safetensors",
                  "{\"w\":{\"dtype\":\"F64\",\"shape\":[2305843009213693952],\"data_offsets\":[0,0]}}", 0,
                  "tensor w: byte length overflows");
}

static void test_st__reject_sub_byte_remainder(void) {
    REJECT_HEADER("f4odd.safetensors", "{\"w\":{\"dtype\":\"F4\",\"shape\":[3],\"data_offsets\":[0,1]}}", 1,
                  "tensor w: 3 elements of F4 do not fill whole bytes");
}

static void test_st__reject_bad_data_offsets(void) {
    REJECT_HEADER("off1.safetensors", "{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0]}}", 4,
                  "tensor w: data_offsets is not an array of two integers");
    REJECT_HEADER("off2.safetensors", "{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4,8]}}", 4,
                  "tensor w: data_offsets is not an array of two integers");
    REJECT_HEADER("off3.safetensors", "{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":{\"0\":4}}}", 4,
                  "tensor w: data_offsets is not an array of two integers");
    REJECT_HEADER("off4.safetensors", "{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[-4,0]}}", 4,
                  "tensor w: data_offsets are not non-negative integers");
    REJECT_HEADER("off5.safetensors", "{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4.0]}}", 4,
                  "tensor w: data_offsets are not non-negative integers");
}

static void test_st__reject_offsets_begin_after_end(void) {
    REJECT_HEADER("rev.safetensors", "{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,0]}}", 4,
                  "tensor w: data_offsets [4, 0] begin after they end");
}

static void test_st__reject_length_mismatch(void) {
    REJECT_HEADER("len.safetensors", "{\"w\":{\"dtype\":\"F32\",\"shape\":[2,2],\"data_offsets\":[0,12]}}", 12,
                  "tensor w: data_offsets [0, 12] hold 12 bytes but 4 elements of F32 take 16");
}

static void test_st__reject_offsets_beyond_data_region(void) {
    REJECT_HEADER("past.safetensors", "{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", 8,
                  "tensor w: data_offsets [4, 12] run past the data region (8 bytes)");
}

static void test_st__reject_overlapping_tensors(void) {
    REJECT_HEADER("overlap.safetensors",
                  "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                  "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}",
                  12, "tensor b: overlaps tensor a");
    REJECT_HEADER("same.safetensors",
                  "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                  "\"b\":{\"dtype\":\"U8\",\"shape\":[8],\"data_offsets\":[0,8]}}",
                  8, "overlaps tensor");
    /* an empty tensor inside another one also overlaps it */
    REJECT_HEADER("inside.safetensors",
                  "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                  "\"e\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[4,4]}}",
                  8, "tensor e: overlaps tensor a");
}

static void test_st__reject_hole_in_data_region(void) {
    REJECT_HEADER("hole1.safetensors", "{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", 8,
                  "tensor w: data region has a hole of 4 bytes before this tensor");
    REJECT_HEADER("hole2.safetensors",
                  "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
                  "\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[6,10]}}",
                  10, "tensor b: data region has a hole of 2 bytes");
    REJECT_HEADER("hole3.safetensors", "{}", 3, "3 trailing bytes"); /* no tensor, but data */
}

static void test_st__reject_trailing_bytes(void) {
    REJECT_HEADER("trail.safetensors", T_OK, 9, "1 trailing bytes after the last tensor's data");
}

static void test_st__reject_bad_metadata(void) {
    REJECT_HEADER("meta1.safetensors", "{\"__metadata__\":[\"a\"]}", 0, "__metadata__ is not an object of strings");
    REJECT_HEADER("meta2.safetensors", "{\"__metadata__\":{\"n\":1}}", 0,
                  "__metadata__ value of key \"n\" is not a string");
    REJECT_HEADER("meta3.safetensors", "{\"__metadata__\":{\"n\":{\"x\":\"y\"}}}", 0,
                  "__metadata__ value of key \"n\" is not a string");
    REJECT_HEADER("meta4.safetensors", "{\"__metadata__\":null}", 0, "__metadata__ is not an object");
}

static void test_st__reject_empty_tensor_name(void) {
    REJECT_HEADER("noname.safetensors", "{\"\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", 4,
                  "a tensor has an empty name");
}

static void test_st__reject_nul_in_tensor_name(void) {
    REJECT_HEADER("nulname.safetensors", "{\"a\\u0000b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}",
                  4, "header is not valid JSON");
}

static void test_st__message_escapes_control_characters(void) {
    const char *p = write_header("ctl.safetensors", "{\"a\\nb\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,5]}}", 5);
    CHECK(rejects(p, FTI_ERR_FORMAT, "tensor a\\x0ab: data_offsets [0, 5] hold 5 bytes"));
}

static void test_st__reject_missing_and_special_files(void) {
    fti_st_file *f;
    CHECK(fti_st_open(&f, tmp_path("does-not-exist.safetensors")) == FTI_ERR_IO);
    CHECK(strstr(fti_last_error(), "does-not-exist.safetensors: cannot open"));
    CHECK(fti_st_open(&f, test_tmpdir()) == FTI_ERR_IO);
    CHECK(strstr(fti_last_error(), "not a regular file"));
}

/* ---- checkpoints ---- */

#define NT 9
typedef struct {
    tspec ts[NT];
    char names[NT][32];
    uint8_t data[NT][96];
} model_spec;

static void make_model(model_spec *m) {
    static const char *dt[] = {"F32", "BF16", "F16", "F64", "I8"};
    static const unsigned bytes[] = {4, 2, 2, 8, 1};
    for (int i = 0; i < NT; i++) {
        int k = (int)test_rand_below(5);
        uint64_t r = 1 + test_rand_below(3), c = 1 + test_rand_below(4);
        snprintf(m->names[i], sizeof m->names[i], "layers.%d.%s", (i * 7) % NT, i % 2 ? "weight" : "bias");
        test_rand_bytes(m->data[i], sizeof m->data[i]);
        m->ts[i] = (tspec){m->names[i], dt[k], 2, {r, c}, r * c * bytes[k], m->data[i]};
    }
}

static int same_tensor(const fti_st_tensor *a, const fti_st_tensor *b) {
    if (strcmp(a->name, b->name) || a->dtype != b->dtype || a->ndim != b->ndim || a->nbytes != b->nbytes) return 0;
    for (unsigned d = 0; d < a->ndim; d++)
        if (a->shape[d] != b->shape[d]) return 0;
    return memcmp(a->data, b->data, a->nbytes) == 0;
}

static const char *mkdir_tmp(const char *name) {
    const char *p = tmp_path(name);
    mkdir(p, 0755);
    return p;
}

/* Writes m as shards (tensor i to shard i % 3) plus an index into directory dir. */
static void write_sharded(const char *dir, const model_spec *m, const char *index_extra) {
    char sub[3][600], idx[8192];
    size_t o = 0;
    for (int s = 0; s < 3; s++) {
        tspec part[NT];
        size_t n = 0;
        for (int i = s; i < NT; i += 3) part[n++] = m->ts[i];
        snprintf(sub[s], sizeof sub[s], "%s/model-%05d-of-00003.safetensors", strrchr(dir, '/') + 1, s + 1);
        write_st(sub[s], part, n, s == 0 ? "{\"shard\":\"first\"}" : NULL);
    }
    o = append(idx, o, sizeof idx, "{\"metadata\":{\"total_size\":123},%s\"weight_map\":{", index_extra);
    for (int i = 0; i < NT; i++)
        o = append(idx, o, sizeof idx, "%s\"%s\":\"model-%05d-of-00003.safetensors\"", i ? "," : "", m->names[i],
                   i % 3 + 1);
    append(idx, o, sizeof idx, "}}");
    char ipath[600];
    snprintf(ipath, sizeof ipath, "%s/model.safetensors.index.json", dir);
    write_bytes(ipath, idx, strlen(idx));
}

static void test_ckpt__sharded_equals_unsharded(void) {
    model_spec m;
    make_model(&m);
    const char *dir = mkdir_tmp("sharded");
    write_sharded(dir, &m, "");
    const char *single = write_st("single.safetensors", m.ts, NT, NULL);
    char ipath[600];
    snprintf(ipath, sizeof ipath, "%s/model.safetensors.index.json", dir);
    fti_ckpt *a, *b, *c;
    CHECK(fti_ckpt_open(&a, single) == FTI_OK);
    CHECK(fti_ckpt_open(&b, ipath) == FTI_OK);
    CHECK(fti_ckpt_open(&c, dir) == FTI_OK);
    CHECK(fti_ckpt_kind_of(a) == FTI_CKPT_FILE && fti_ckpt_kind_of(b) == FTI_CKPT_SHARDED);
    CHECK(fti_ckpt_kind_of(c) == FTI_CKPT_SHARDED && strstr(fti_ckpt_path(c), "model.safetensors.index.json"));
    CHECK_EQ_U64(fti_ckpt_count(a), NT);
    CHECK_EQ_U64(fti_ckpt_count(b), NT);
    CHECK_EQ_U64(fti_ckpt_file_count(b), 3);
    for (size_t i = 0; i < NT; i++) {
        const fti_st_tensor *x = fti_ckpt_tensor(a, i), *y = fti_ckpt_tensor(b, i), *z = fti_ckpt_tensor(c, i);
        CHECK(same_tensor(x, y) && same_tensor(x, z));
        CHECK(i == 0 || strcmp(fti_ckpt_tensor(b, i - 1)->name, y->name) < 0);
        CHECK(fti_ckpt_find(b, x->name) == y);
        fti_ckpt_release(y);
        CHECK(same_tensor(x, y)); /* released pages fault back in */
    }
    CHECK(fti_ckpt_find(b, "nope") == NULL);
    CHECK(strcmp(fti_st_metadata_get(fti_ckpt_file(b, 0), "shard"), "first") == 0);
    CHECK(fti_st_metadata_get(fti_ckpt_file(b, 1), "shard") == NULL);
    fti_ckpt_close(a);
    fti_ckpt_close(b);
    fti_ckpt_close(c);
}

static int ckpt_rejects(const char *path, fti_status want, const char *needle, const char *needle2) {
    fti_ckpt *c = NULL;
    fti_status st = fti_ckpt_open(&c, path);
    const char *m = fti_last_error();
    int ok = st == want && !c && strstr(m, needle) && (!needle2 || strstr(m, needle2)) && !strchr(m, '\n');
    if (!ok) fprintf(stderr, "  status %d (want %d), message: %s\n", st, want, m);
    fti_ckpt_close(c);
    return ok;
}

static const char *write_index(const char *dir, const char *json) {
    static char p[600];
    snprintf(p, sizeof p, "%s/model.safetensors.index.json", dir);
    write_bytes(p, json, strlen(json));
    return p;
}

static void test_ckpt__index_missing_shard(void) {
    const char *dir = mkdir_tmp("idx_missing");
    const char *ip = write_index(dir, "{\"weight_map\":{\"w\":\"absent.safetensors\"}}");
    CHECK(ckpt_rejects(ip, FTI_ERR_IO, "absent.safetensors: cannot open", NULL));
}

static void test_ckpt__index_tensor_in_two_shards(void) {
    float x[2] = {1, 2};
    tspec a[] = {{"w", "F32", 1, {2}, 8, x}, {"v", "F32", 1, {2}, 8, x}}, b[] = {{"w", "F32", 1, {2}, 8, x}};
    mkdir_tmp("idx_two");
    write_st("idx_two/a.safetensors", a, 2, NULL);
    write_st("idx_two/b.safetensors", b, 1, NULL);
    const char *ip = write_index(tmp_path("idx_two"), "{\"weight_map\":{\"w\":\"a.safetensors\",\"v\":\"a.safetensors\",\"x\":\"b.safetensors\"}}");
    CHECK(ckpt_rejects(ip, FTI_ERR_FORMAT, "tensor w is in two shards, a.safetensors and b.safetensors", ip));
}

static void test_ckpt__index_tensor_not_listed(void) {
    float x[2] = {1, 2};
    tspec a[] = {{"w", "F32", 1, {2}, 8, x}, {"extra", "F32", 1, {2}, 8, x}};
    mkdir_tmp("idx_unlisted");
    write_st("idx_unlisted/a.safetensors", a, 2, NULL);
    const char *ip = write_index(tmp_path("idx_unlisted"), "{\"weight_map\":{\"w\":\"a.safetensors\"}}");
    CHECK(ckpt_rejects(ip, FTI_ERR_FORMAT, "tensor extra of shard a.safetensors is not listed in the index", ip));
}

static void test_ckpt__index_tensor_not_in_shard(void) {
    float x[2] = {1, 2};
    tspec a[] = {{"w", "F32", 1, {2}, 8, x}};
    mkdir_tmp("idx_notin");
    write_st("idx_notin/a.safetensors", a, 1, NULL);
    const char *ip = write_index(tmp_path("idx_notin"), "{\"weight_map\":{\"w\":\"a.safetensors\",\"ghost\":\"a.safetensors\"}}");
    CHECK(ckpt_rejects(ip, FTI_ERR_FORMAT, "maps tensor ghost to shard a.safetensors, which does not contain it", ip));
}

static void test_ckpt__index_maps_to_wrong_shard(void) {
    float x[2] = {1, 2};
    tspec a[] = {{"w", "F32", 1, {2}, 8, x}}, b[] = {{"v", "F32", 1, {2}, 8, x}};
    mkdir_tmp("idx_wrong");
    write_st("idx_wrong/a.safetensors", a, 1, NULL);
    write_st("idx_wrong/b.safetensors", b, 1, NULL);
    const char *ip = write_index(tmp_path("idx_wrong"), "{\"weight_map\":{\"w\":\"b.safetensors\",\"v\":\"a.safetensors\"}}");
    CHECK(ckpt_rejects(ip, FTI_ERR_FORMAT, "tensor w is in shard a.safetensors but the index maps it to b.safetensors",
                       NULL));
}

static void test_ckpt__index_malformed(void) {
    const char *dir = mkdir_tmp("idx_bad");
    CHECK(ckpt_rejects(write_index(dir, "{\"weight_map\":"), FTI_ERR_FORMAT, "index is not valid JSON", NULL));
    CHECK(ckpt_rejects(write_index(dir, "[]"), FTI_ERR_FORMAT, "index is not a JSON object", NULL));
    CHECK(ckpt_rejects(write_index(dir, "{\"metadata\":{}}"), FTI_ERR_FORMAT, "no \"weight_map\" object", NULL));
    CHECK(ckpt_rejects(write_index(dir, "{\"metadata\":3,\"weight_map\":{}}"), FTI_ERR_FORMAT, "\"metadata\" is not", NULL));
    CHECK(ckpt_rejects(write_index(dir, "{\"weight_map\":{\"w\":3}}"), FTI_ERR_FORMAT, "not a relative shard file name", NULL));
    CHECK(ckpt_rejects(write_index(dir, "{\"weight_map\":{\"w\":\"../x.safetensors\"}}"), FTI_ERR_FORMAT,
                       "tensor w is not a relative shard file name", NULL));
    CHECK(ckpt_rejects(write_index(dir, "{\"weight_map\":{\"w\":\"/etc/passwd\"}}"), FTI_ERR_FORMAT,
                       "not a relative shard file name", NULL));
    CHECK(ckpt_rejects(write_index(dir, "{\"weight_map\":{\"w\":\"a.st\",\"w\":\"b.st\"}}"), FTI_ERR_FORMAT,
                       "duplicate object key", NULL));
    CHECK(ckpt_rejects(write_index(dir, "{\"weight_map\":{\"\":\"a.st\"}}"), FTI_ERR_FORMAT, "empty tensor name", NULL));
}

static void test_ckpt__bad_shard_names_the_shard(void) {
    const char *dir = mkdir_tmp("idx_badshard");
    write_header("idx_badshard/s.safetensors", "{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", 5);
    CHECK(ckpt_rejects(write_index(dir, "{\"weight_map\":{\"w\":\"s.safetensors\"}}"), FTI_ERR_FORMAT,
                       "idx_badshard/s.safetensors: 1 trailing bytes", NULL));
}

static void test_ckpt__directory_resolution(void) {
    float x[2] = {1, 2};
    tspec a[] = {{"w", "F32", 1, {2}, 8, x}};
    fti_ckpt *c;
    const char *d1 = mkdir_tmp("dir_single");
    write_st("dir_single/model.safetensors", a, 1, NULL);
    write_st("dir_single/notes.safetensors", a, 1, NULL); /* other names are not candidates */
    CHECK(fti_ckpt_open(&c, d1) == FTI_OK && fti_ckpt_kind_of(c) == FTI_CKPT_FILE && fti_ckpt_count(c) == 1);
    CHECK(strstr(fti_ckpt_path(c), "dir_single/model.safetensors"));
    fti_ckpt_close(c);

    const char *d2 = mkdir_tmp("dir_adapter");
    write_st("dir_adapter/adapter_model.safetensors", a, 1, NULL);
    CHECK(fti_ckpt_open(&c, d2) == FTI_OK && fti_ckpt_kind_of(c) == FTI_CKPT_ADAPTER);
    fti_ckpt_close(c);

    const char *d3 = mkdir_tmp("dir_both");
    write_st("dir_both/model.safetensors", a, 1, NULL);
    write_st("dir_both/adapter_model.safetensors", a, 1, NULL);
    CHECK(ckpt_rejects(d3, FTI_ERR_ARG, "ambiguous checkpoint directory: it holds adapter_model.safetensors and "
                                        "model.safetensors; name the file to use", d3));

    const char *d4 = mkdir_tmp("dir_two_indexes");
    write_index(d4, "{\"weight_map\":{}}");
    write_bytes(tmp_path("dir_two_indexes/other.safetensors.index.json"), "{\"weight_map\":{}}", 17);
    CHECK(ckpt_rejects(d4, FTI_ERR_ARG, "ambiguous", "other.safetensors.index.json"));
    CHECK(fti_ckpt_open(&c, write_index(d4, "{\"weight_map\":{}}")) == FTI_OK && fti_ckpt_count(c) == 0);
    fti_ckpt_close(c);

    const char *d5 = mkdir_tmp("dir_empty");
    write_st("dir_empty/weights.safetensors", a, 1, NULL);
    CHECK(ckpt_rejects(d5, FTI_ERR_IO, "no checkpoint in this directory", d5));
    CHECK(ckpt_rejects(tmp_path("no_such_dir"), FTI_ERR_IO, "cannot open", "no_such_dir"));
}

/* Resident file-backed memory of this process, in KiB (VmRSS's RssFile line). */
static long rss_file_kb(void) {
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long kb = -1;
    while (f && fgets(line, sizeof line, f))
        if (sscanf(line, "RssFile: %ld kB", &kb) == 1) break;
    if (f) fclose(f);
    return kb;
}

static void test_ckpt__streaming_bounded_rss(void) {
    enum { NTENS = 12, NELEM = 1 << 20 }; /* 12 tensors of 4 MiB */
    if (rss_file_kb() < 0) {
        test_skip("no RssFile in /proc/self/status");
        return;
    }
    float *x = malloc((size_t)NELEM * 4);
    for (int i = 0; i < NELEM; i++) x[i] = (float)i;
    tspec ts[NTENS];
    char names[NTENS][16];
    for (int i = 0; i < NTENS; i++) {
        snprintf(names[i], sizeof names[i], "t%02d", i);
        ts[i] = (tspec){names[i], "F32", 1, {NELEM}, (size_t)NELEM * 4, x};
    }
    const char *p = write_st("big.safetensors", ts, NTENS, NULL);
    free(x);
    fti_ckpt *c;
    CHECK(fti_ckpt_open(&c, p) == FTI_OK);
    long base = rss_file_kb(), peak = base;
    double sum = 0;
    for (size_t i = 0; i < fti_ckpt_count(c); i++) {
        const fti_st_tensor *t = fti_ckpt_tensor(c, i);
        fti_ckpt_prefetch(t);
        for (uint64_t j = 0; j < t->nbytes; j += 4096) sum += t->data[j];
        long now = rss_file_kb();
        peak = now > peak ? now : peak;
        fti_ckpt_release(t);
    }
    fti_ckpt_close(c);
    /* 48 MiB read; at most about two tensors (8 MiB) resident at once, plus slack */
    fprintf(stderr, "  RssFile grew by at most %ld KiB over 48 MiB streamed (checksum %g)\n", peak - base, sum);
    CHECK(peak - base < 12 * 1024);
}

/* ---- LoRA adapters ---- */

static const char *write_adapter(const char *dir, const char *config, const tspec *ts, size_t n) {
    char p[600];
    mkdir_tmp(dir);
    snprintf(p, sizeof p, "%s/adapter_config.json", tmp_path(dir));
    write_bytes(p, config, strlen(config));
    snprintf(p, sizeof p, "%s/adapter_model.safetensors", dir);
    write_st(p, ts, n, NULL);
    return tmp_path(dir);
}

static void test_lora__pairs_and_scales(void) {
    float a[2 * 3], b[4 * 2], e_a[2 * 5], e_b[3 * 2], head[4];
    for (int i = 0; i < 6; i++) a[i] = (float)i * 0.25f;
    for (int i = 0; i < 8; i++) b[i] = (float)i - 3.5f;
    memset(e_a, 0, sizeof e_a);
    memset(e_b, 0, sizeof e_b);
    memset(head, 0, sizeof head);
    tspec ts[] = {{"base_model.model.layers.0.q_proj.lora_A.weight", "F32", 2, {2, 3}, sizeof a, a},
                  {"base_model.model.layers.0.q_proj.lora_B.weight", "F32", 2, {4, 2}, sizeof b, b},
                  {"base_model.model.layers.0.v_proj.lora_A.default.weight", "F32", 2, {2, 3}, sizeof a, a},
                  {"base_model.model.layers.0.v_proj.lora_B.default.weight", "F32", 2, {4, 2}, sizeof b, b},
                  {"base_model.model.embed.lora_embedding_A", "F32", 2, {2, 5}, sizeof e_a, e_a},
                  {"base_model.model.embed.lora_embedding_B", "F32", 2, {3, 2}, sizeof e_b, e_b},
                  {"base_model.model.score.modules_to_save.default.weight", "F32", 2, {1, 4}, sizeof head, head}};
    const char *dir = write_adapter("lora_ok",
                                    "{\"peft_type\":\"LORA\",\"r\":2,\"lora_alpha\":8,\"use_rslora\":false,"
                                    "\"target_modules\":[\"q_proj\",\"v_proj\",\"embed\"],\"fan_in_fan_out\":false,"
                                    "\"base_model_name_or_path\":\"tiny\",\"alpha_pattern\":{\"v_proj\":2.0}}",
                                    ts, 7);
    fti_lora *l;
    CHECK(fti_lora_open(&l, dir) == FTI_OK);
    const fti_lora_config *cfg = fti_lora_get_config(l);
    CHECK(cfg->r == 2 && cfg->alpha == 8 && cfg->target_count == 3 && strcmp(cfg->base_model, "tiny") == 0);
    CHECK_EQ_U64(fti_lora_count(l), 3);
    const fti_lora_pair *q = fti_lora_find(l, "layers.0.q_proj.weight"), *v = fti_lora_find(l, "layers.0.v_proj.weight"),
                        *e = fti_lora_find(l, "embed.weight");
    CHECK(q && v && e);
    CHECK(strcmp(q->module, "layers.0.q_proj") == 0 && q->rank == 2 && q->in == 3 && q->out == 4);
    CHECK(q->scale == 4.0 && !q->transpose && v->scale == 1.0 && v->alpha == 2.0);
    CHECK(e->embedding && e->transpose && e->in == 5 && e->out == 3);
    CHECK(strcmp(fti_lora_pair_at(l, 0)->base_name, "embed.weight") == 0);
    double av[6];
    CHECK(fti_decode_f64(av, q->a, 0, q->a->numel) == FTI_OK && av[5] == 1.25);
    CHECK_EQ_U64(fti_lora_extra_count(l), 1);
    const char *bn;
    CHECK(fti_lora_extra(l, 0, &bn) && strcmp(bn, "score.weight") == 0);

    /* against a base checkpoint: shapes fit, then one that does not */
    float w[4 * 3] = {0}, ew[5 * 3] = {0};
    tspec base[] = {{"layers.0.q_proj.weight", "F32", 2, {4, 3}, sizeof w, w},
                    {"layers.0.v_proj.weight", "F32", 2, {4, 3}, sizeof w, w},
                    {"embed.weight", "F32", 2, {5, 3}, sizeof ew, ew}};
    fti_ckpt *c;
    CHECK(fti_ckpt_open(&c, write_st("lora_base.safetensors", base, 3, NULL)) == FTI_OK);
    CHECK(fti_lora_check_base(l, c) == FTI_OK);
    fti_ckpt_close(c);
    base[1].shape[0] = 3, base[1].nbytes = 36;
    CHECK(fti_ckpt_open(&c, write_st("lora_base2.safetensors", base, 3, NULL)) == FTI_OK);
    CHECK(fti_lora_check_base(l, c) == FTI_ERR_MISMATCH);
    CHECK(strstr(fti_last_error(), "base tensor layers.0.v_proj.weight has shape [3, 3]"));
    fti_ckpt_close(c);
    CHECK(fti_ckpt_open(&c, write_st("lora_base3.safetensors", base, 1, NULL)) == FTI_OK);
    CHECK(fti_lora_check_base(l, c) == FTI_ERR_MISMATCH && strstr(fti_last_error(), "embed.weight"));
    fti_ckpt_close(c);
    fti_lora_close(l);
}

static void test_lora__rslora_regex_targets_and_fan_in_fan_out(void) {
    uint16_t a[16 * 3] = {0}, b[2 * 16] = {0};
    tspec ts[] = {{"base_model.model.h.0.attn.c_attn.lora_A.weight", "BF16", 2, {16, 3}, sizeof a, a},
                  {"base_model.model.h.0.attn.c_attn.lora_B.weight", "BF16", 2, {2, 16}, sizeof b, b}};
    const char *dir = write_adapter("lora_rs",
                                    "{\"r\":16,\"lora_alpha\":8,\"use_rslora\":true,\"fan_in_fan_out\":true,"
                                    "\"target_modules\":\".*\\\\.(c_attn|c_proj)\"}",
                                    ts, 2);
    fti_lora *l;
    CHECK(fti_lora_open(&l, dir) == FTI_OK);
    const fti_lora_pair *p = fti_lora_pair_at(l, 0);
    CHECK(p->scale == 2.0 && p->transpose && p->rank == 16);
    fti_lora_close(l);
    /* the same through a path to one of its files */
    char cfg[600];
    snprintf(cfg, sizeof cfg, "%s/adapter_config.json", dir);
    CHECK(fti_lora_open(&l, cfg) == FTI_OK);
    fti_lora_close(l);
}

static int lora_rejects(const char *dir, fti_status want, const char *needle) {
    fti_lora *l = NULL;
    fti_status st = fti_lora_open(&l, dir);
    int ok = st == want && !l && strstr(fti_last_error(), needle);
    if (!ok) fprintf(stderr, "  status %d (want %d): %s\n", st, want, fti_last_error());
    fti_lora_close(l);
    return ok;
}

static void test_lora__rejects(void) {
    float a[2 * 3] = {0}, b[4 * 2] = {0};
    tspec pair[] = {{"base_model.model.m.lora_A.weight", "F32", 2, {2, 3}, sizeof a, a},
                    {"base_model.model.m.lora_B.weight", "F32", 2, {4, 2}, sizeof b, b}};
    const char *good = "{\"r\":2,\"lora_alpha\":4,\"target_modules\":[\"m\"]}";
    CHECK(lora_rejects(write_adapter("lr_onlyA", good, pair, 1), FTI_ERR_FORMAT, "module m has lora_A but no matching lora_B"));
    CHECK(lora_rejects(write_adapter("lr_rank", "{\"r\":4,\"lora_alpha\":4}", pair, 2), FTI_ERR_FORMAT,
                       "factors have rank 2 but adapter_config.json says r = 4"));
    CHECK(lora_rejects(write_adapter("lr_target", "{\"r\":2,\"lora_alpha\":4,\"target_modules\":[\"q\"]}", pair, 2),
                       FTI_ERR_FORMAT, "module m is not among target_modules"));
    CHECK(lora_rejects(write_adapter("lr_noalpha", "{\"r\":2}", pair, 2), FTI_ERR_FORMAT, "lora_alpha is missing"));
    CHECK(lora_rejects(write_adapter("lr_r0", "{\"r\":0,\"lora_alpha\":1}", pair, 2), FTI_ERR_FORMAT, "r is missing"));
    CHECK(lora_rejects(write_adapter("lr_dora", "{\"r\":2,\"lora_alpha\":4,\"use_dora\":true}", pair, 2),
                       FTI_ERR_UNSUPPORTED, "DoRA"));
    CHECK(lora_rejects(write_adapter("lr_ia3", "{\"peft_type\":\"IA3\",\"r\":2,\"lora_alpha\":4}", pair, 2),
                       FTI_ERR_UNSUPPORTED, "peft_type is not LORA"));
    tspec mism[] = {pair[0], {"base_model.model.m.lora_B.weight", "F32", 2, {2, 4}, sizeof b, b}};
    CHECK(lora_rejects(write_adapter("lr_shape", good, mism, 2), FTI_ERR_FORMAT, "A has 2 rows but B has 4 columns"));
    tspec two[] = {pair[0], pair[1], {"base_model.model.m.lora_A.other.weight", "F32", 2, {2, 3}, sizeof a, a}};
    CHECK(lora_rejects(write_adapter("lr_two", good, two, 3), FTI_ERR_FORMAT, "module m has two lora_A tensors"));
    int8_t qa[6] = {0};
    tspec i8[] = {{"base_model.model.m.lora_A.weight", "I8", 2, {2, 3}, 6, qa}, pair[1]};
    CHECK(lora_rejects(write_adapter("lr_i8", good, i8, 2), FTI_ERR_UNSUPPORTED, "has dtype I8"));
    CHECK(lora_rejects(tmp_path("lr_none"), FTI_ERR_IO, "lr_none"));
}

const struct test_case TEST_CASES[] = {
    TEST(test_st__valid_every_dtype),
    TEST(test_st__valid_scalars_and_empty_tensors),
    TEST(test_st__valid_metadata),
    TEST(test_st__parse_buffer_matches_open),
    TEST(test_st__unsupported_dtype_values),
    TEST(test_st__quote_names),
    TEST(test_st__reject_file_shorter_than_8_bytes),
    TEST(test_st__reject_header_length_zero),
    TEST(test_st__reject_header_length_over_cap),
    TEST(test_st__reject_header_length_beyond_file),
    TEST(test_st__reject_header_not_json),
    TEST(test_st__reject_header_with_nul_byte),
    TEST(test_st__reject_header_not_utf8),
    TEST(test_st__reject_header_not_object),
    TEST(test_st__reject_duplicate_tensor_names),
    TEST(test_st__reject_duplicate_fields_and_metadata_keys),
    TEST(test_st__reject_entry_not_object),
    TEST(test_st__reject_unknown_field),
    TEST(test_st__reject_missing_fields),
    TEST(test_st__reject_unknown_dtype),
    TEST(test_st__reject_bad_shape),
    TEST(test_st__reject_element_count_overflow),
    TEST(test_st__reject_byte_length_overflow),
    TEST(test_st__reject_sub_byte_remainder),
    TEST(test_st__reject_bad_data_offsets),
    TEST(test_st__reject_offsets_begin_after_end),
    TEST(test_st__reject_length_mismatch),
    TEST(test_st__reject_offsets_beyond_data_region),
    TEST(test_st__reject_overlapping_tensors),
    TEST(test_st__reject_hole_in_data_region),
    TEST(test_st__reject_trailing_bytes),
    TEST(test_st__reject_bad_metadata),
    TEST(test_st__reject_empty_tensor_name),
    TEST(test_st__reject_nul_in_tensor_name),
    TEST(test_st__message_escapes_control_characters),
    TEST(test_st__reject_missing_and_special_files),
    TEST(test_ckpt__sharded_equals_unsharded),
    TEST(test_ckpt__index_missing_shard),
    TEST(test_ckpt__index_tensor_in_two_shards),
    TEST(test_ckpt__index_tensor_not_listed),
    TEST(test_ckpt__index_tensor_not_in_shard),
    TEST(test_ckpt__index_maps_to_wrong_shard),
    TEST(test_ckpt__index_malformed),
    TEST(test_ckpt__bad_shard_names_the_shard),
    TEST(test_ckpt__directory_resolution),
    TEST(test_ckpt__streaming_bounded_rss),
    TEST(test_lora__pairs_and_scales),
    TEST(test_lora__rslora_regex_targets_and_fan_in_fan_out),
    TEST(test_lora__rejects),
    {0},
};
