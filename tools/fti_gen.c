/* fti_gen: writes synthetic checkpoints (src/synth): base models of common architectures and
 * fine-tune variants of any checkpoint. Exit 0 on success, 1 if the work failed, 2 on bad usage
 * (with a one-line message). */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "synth/synth.h"

static const char usage_text[] =
    "usage: fti_gen model ARCH [--preset NAME] [SIZES] [--dtype bf16|f16|f32|f64]\n"
    "                  [--shards N | --max-shard-size BYTES] [--seed S] -o OUT\n"
    "       fti_gen variant KIND --base PATH [OPTIONS] [--seed S] -o OUT\n"
    "       fti_gen presets\n"
    "\n"
    "model: writes a base model with Hugging Face names, values drawn deterministically from S.\n"
    "  ARCH      llama gpt2 bert vit cnn mlp\n"
    "  --preset  a named size (default tiny; `fti_gen presets` lists them); SIZES override fields:\n"
    "            --hidden --intermediate --layers --heads --kv-heads --vocab --positions --image\n"
    "            --patch --channels --kernel --blocks --inputs --classes\n"
    "  --shards N            at most N shards (model-0000k-of-0000n.safetensors + index)\n"
    "  --max-shard-size B    Hugging Face split at B bytes (suffixes KB MB GB = 10^3.., KiB MiB GiB)\n"
    "  OUT       a directory, or a path ending in .safetensors for one file\n"
    "\n"
    "variant: writes a fine-tune of the checkpoint at --base (same names, dtypes, shards).\n"
    "  KIND      lora sparse full bitfit norms last-layers tamper-entry tamper-rank\n"
    "  --targets P,P,...     tensors to change: module names (q_proj) or globs (*.mlp.*)\n"
    "  --rank R              lora rank (8) / rank of the tamper-rank update (9)\n"
    "  --alpha A             lora_alpha (16); the update is (alpha / r) B A\n"
    "  --rel X               ||Delta||_F / ||W||_F (lora 0.01, others 0.05)\n"
    "  --k K                 sparse: entries changed per tensor (16)\n"
    "  --amount X            sparse, tamper-entry: change per entry (default: the tensor's rms)\n"
    "  --last N              last-layers: how many layers change (2)\n"
    "  --tensor NAME         tamper-*: the tensor to change\n"
    "  --index I             tamper-entry: flat index of the entry (default: from the seed)\n"
    "  --fan-in-fan-out 0|1  lora: base matrices are [in, out] (default: 1 for GPT-2 c_* modules)\n"
    "  --adapter-out DIR     lora: also write the PEFT adapter there (a directory of its own)\n"
    "  --adapter-dtype D     lora: the factors' dtype (f32)\n"
    "  --base-model NAME     lora: base_model_name_or_path in adapter_config.json (default --base)\n";

static int usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int usage_error(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "fti_gen: ");
    vfprintf(stderr, fmt, ap);
    fprintf(stderr, " (try fti_gen --help)\n");
    va_end(ap);
    return 2;
}

static int failure(void) {
    fprintf(stderr, "fti_gen: error: %s\n", fti_last_error());
    return 1;
}

/* ---- option values ---- */

static int parse_u64(uint64_t *out, const char *s) {
    char *end;
    errno = 0;
    if (!*s || *s == '-') return 0;
    unsigned long long v = strtoull(s, &end, 0);
    if (errno || *end) return 0;
    *out = v;
    return 1;
}

static int parse_double(double *out, const char *s) {
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || !*s || *end) return 0;
    *out = v;
    return 1;
}

/* "5GB", "500MB", "2GiB", "123" */
static int parse_size(uint64_t *out, const char *s) {
    static const struct {
        const char *suffix;
        uint64_t mult;
    } units[] = {{"KiB", 1ULL << 10}, {"MiB", 1ULL << 20}, {"GiB", 1ULL << 30}, {"TiB", 1ULL << 40},
                 {"KB", 1000ULL},     {"MB", 1000000ULL},  {"GB", 1000000000ULL}, {"TB", 1000000000000ULL},
                 {"B", 1}};
    char *end;
    errno = 0;
    if (!*s || *s == '-') return 0;
    double v = strtod(s, &end);
    if (errno || end == s || !(v > 0)) return 0;
    uint64_t mult = 1;
    if (*end) {
        size_t u = 0, nu = sizeof units / sizeof units[0];
        while (u < nu && strcasecmp(end, units[u].suffix) != 0) u++;
        if (u == nu) return 0;
        mult = units[u].mult;
    }
    if (v * (double)mult >= 0x1p63) return 0;
    *out = (uint64_t)(v * (double)mult);
    return *out > 0;
}

static int parse_dtype(fti_dtype *out, const char *s) {
    static const struct {
        const char *name;
        fti_dtype dt;
    } dts[] = {{"bf16", FTI_DT_BF16}, {"f16", FTI_DT_F16}, {"f32", FTI_DT_F32}, {"f64", FTI_DT_F64}};
    for (size_t i = 0; i < sizeof dts / sizeof dts[0]; i++)
        if (strcasecmp(s, dts[i].name) == 0) {
            *out = dts[i].dt;
            return 1;
        }
    return 0;
}

/* ---- options table ---- */

typedef enum { OPT_U64, OPT_UINT, OPT_INT01, OPT_DOUBLE, OPT_STR, OPT_SIZE, OPT_DTYPE } opt_kind;

typedef struct {
    const char *name;
    opt_kind kind;
    void *dst;
    int *given; /* set to 1 when the option appears (may be NULL) */
} option;

static int set_option(const option *o, const char *val) {
    uint64_t u;
    switch (o->kind) {
    case OPT_U64: return parse_u64(o->dst, val);
    case OPT_UINT:
        if (!parse_u64(&u, val) || u > 0xffffffffu) return 0;
        *(unsigned *)o->dst = (unsigned)u;
        return 1;
    case OPT_INT01:
        if (strcmp(val, "0") && strcmp(val, "1")) return 0;
        *(int *)o->dst = val[0] == '1';
        return 1;
    case OPT_DOUBLE: return parse_double(o->dst, val);
    case OPT_STR: *(const char **)o->dst = val; return 1;
    case OPT_SIZE: return parse_size(o->dst, val);
    case OPT_DTYPE: return parse_dtype(o->dst, val);
    }
    return 0;
}

/* Parses argv[0..argc) against opts (n of them): "--name value" or "--name=value". */
static int parse_options(int argc, char **argv, const option *opts, size_t n) {
    for (int i = 0; i < argc; i++) {
        const char *arg = argv[i], *eq = strchr(arg, '='), *val;
        size_t len = eq ? (size_t)(eq - arg) : strlen(arg);
        size_t k = 0;
        while (k < n && !(strlen(opts[k].name) == len && strncmp(arg, opts[k].name, len) == 0)) k++;
        if (k == n) return usage_error("unknown option or argument %s", arg);
        if (eq) val = eq + 1;
        else if (i + 1 < argc) val = argv[++i];
        else return usage_error("option %s needs a value", opts[k].name);
        if (!set_option(&opts[k], val)) return usage_error("bad value for %s", opts[k].name);
        if (opts[k].given) *opts[k].given = 1;
    }
    return 0;
}

static double seconds_since(const struct timespec *t0) {
    struct timespec t1;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    return (double)(t1.tv_sec - t0->tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0->tv_nsec);
}

/* ---- model ---- */

static int cmd_model(int argc, char **argv) {
    if (argc < 1) return usage_error("model: which architecture?");
    fti_synth_arch arch;
    if (!fti_synth_arch_parse(&arch, argv[0])) return usage_error("model: unknown architecture %s", argv[0]);
    const char *preset = NULL, *out = NULL;
    fti_synth_config sizes = {0};
    fti_synth_output o = {.dtype = FTI_DT_BF16};
    const option opts[] = {
        {"--preset", OPT_STR, &preset, NULL},        {"-o", OPT_STR, &out, NULL},
        {"--dtype", OPT_DTYPE, &o.dtype, NULL},      {"--seed", OPT_U64, &o.seed, NULL},
        {"--shards", OPT_UINT, &o.shards, NULL},     {"--max-shard-size", OPT_SIZE, &o.max_shard_bytes, NULL},
        {"--hidden", OPT_U64, &sizes.hidden, NULL},  {"--intermediate", OPT_U64, &sizes.intermediate, NULL},
        {"--layers", OPT_U64, &sizes.layers, NULL},  {"--heads", OPT_U64, &sizes.heads, NULL},
        {"--kv-heads", OPT_U64, &sizes.kv_heads, NULL}, {"--vocab", OPT_U64, &sizes.vocab, NULL},
        {"--positions", OPT_U64, &sizes.positions, NULL}, {"--image", OPT_U64, &sizes.image, NULL},
        {"--patch", OPT_U64, &sizes.patch, NULL},    {"--channels", OPT_U64, &sizes.channels, NULL},
        {"--kernel", OPT_U64, &sizes.kernel, NULL},  {"--blocks", OPT_U64, &sizes.blocks, NULL},
        {"--inputs", OPT_U64, &sizes.inputs, NULL},  {"--classes", OPT_U64, &sizes.classes, NULL},
    };
    int rc = parse_options(argc - 1, argv + 1, opts, sizeof opts / sizeof opts[0]);
    if (rc) return rc;
    if (!out) return usage_error("model: no output (-o OUT)");
    if (o.shards && o.max_shard_bytes) return usage_error("model: give --shards or --max-shard-size, not both");
    fti_synth_config cfg;
    if (fti_synth_preset(&cfg, arch, preset) != FTI_OK) return usage_error("%s", fti_last_error());
    /* explicit sizes override the preset's fields */
    uint64_t *dst[] = {&cfg.hidden, &cfg.intermediate, &cfg.layers, &cfg.heads, &cfg.kv_heads, &cfg.vocab,
                       &cfg.positions, &cfg.image, &cfg.patch, &cfg.channels, &cfg.kernel, &cfg.blocks,
                       &cfg.inputs, &cfg.classes};
    const uint64_t src[] = {sizes.hidden, sizes.intermediate, sizes.layers, sizes.heads, sizes.kv_heads,
                            sizes.vocab, sizes.positions, sizes.image, sizes.patch, sizes.channels,
                            sizes.kernel, sizes.blocks, sizes.inputs, sizes.classes};
    for (size_t i = 0; i < sizeof src / sizeof src[0]; i++)
        if (src[i]) *dst[i] = src[i];
    if (fti_synth_check(&cfg) != FTI_OK) return usage_error("%s", fti_last_error());
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    fti_status st = fti_synth_model_write(out, &cfg, &o);
    if (st == FTI_ERR_ARG) return usage_error("%s", fti_last_error());
    if (st != FTI_OK) return failure();
    uint64_t params = fti_synth_param_count(&cfg);
    printf("wrote %s: %s, %zu tensors, %" PRIu64 " parameters (%.1f MB of %s) in %.2f s\n", out,
           fti_synth_arch_name(arch), fti_synth_tensor_count(&cfg), params,
           (double)params * fti_dtype_bits(o.dtype) / 8e6, fti_dtype_name(o.dtype), seconds_since(&t0));
    return 0;
}

/* ---- variant ---- */

/* Splits a comma-separated list in place (s is modified); *n patterns in a new array. */
static const char **split_list(char *s, size_t *n) {
    size_t cap = 1;
    for (const char *p = s; *p; p++) cap += *p == ',';
    const char **v = calloc(cap, sizeof *v);
    *n = 0;
    for (char *tok = strtok(s, ","); v && tok; tok = strtok(NULL, ",")) v[(*n)++] = tok;
    return v;
}

static int run_variant(const fti_synth_variant *v, const char *base, const char *out) {
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    fti_synth_stats s;
    fti_status st = fti_synth_variant_write(&s, out, base, v);
    if (st == FTI_ERR_ARG) return usage_error("%s", fti_last_error()); /* parameters that do not fit the base */
    if (st != FTI_OK) return failure();
    printf("wrote %s: %s of %s: %zu tensors, %zu selected, %zu changed, %" PRIu64
           " entries changed, relative change %.6g, in %.2f s\n",
           out, fti_synth_kind_name(v->kind), base, s.tensors, s.selected, s.changed, s.entries, s.rel,
           seconds_since(&t0));
    if (v->adapter_out) printf("wrote %s: PEFT adapter (r = %u, alpha = %g)\n", v->adapter_out, v->rank, v->alpha);
    return 0;
}

static int cmd_variant(int argc, char **argv) {
    if (argc < 1) return usage_error("variant: which kind?");
    fti_synth_kind kind;
    if (!fti_synth_kind_parse(&kind, argv[0])) return usage_error("variant: unknown kind %s", argv[0]);
    fti_synth_variant v;
    fti_synth_variant_init(&v, kind);
    const char *base = NULL, *out = NULL, *targets = NULL;
    const option opts[] = {
        {"--base", OPT_STR, &base, NULL},           {"-o", OPT_STR, &out, NULL},
        {"--seed", OPT_U64, &v.seed, NULL},         {"--targets", OPT_STR, &targets, NULL},
        {"--rank", OPT_UINT, &v.rank, NULL},        {"--alpha", OPT_DOUBLE, &v.alpha, NULL},
        {"--rel", OPT_DOUBLE, &v.rel, NULL},        {"--k", OPT_U64, &v.k, NULL},
        {"--amount", OPT_DOUBLE, &v.amount, NULL},  {"--last", OPT_UINT, &v.last, NULL},
        {"--tensor", OPT_STR, &v.tensor, NULL},     {"--index", OPT_U64, &v.index, NULL},
        {"--fan-in-fan-out", OPT_INT01, &v.fan_in_fan_out, NULL},
        {"--adapter-out", OPT_STR, &v.adapter_out, NULL},
        {"--adapter-dtype", OPT_DTYPE, &v.adapter_dtype, NULL},
        {"--base-model", OPT_STR, &v.base_model, NULL},
    };
    int rc = parse_options(argc - 1, argv + 1, opts, sizeof opts / sizeof opts[0]);
    if (rc) return rc;
    if (!base) return usage_error("variant: no base checkpoint (--base PATH)");
    if (!out) return usage_error("variant: no output (-o OUT)");
    if (v.adapter_out && kind != FTI_VAR_LORA) return usage_error("variant: --adapter-out is for lora only");
    char *tcopy = targets ? strdup(targets) : NULL;
    const char **list = NULL;
    if (tcopy) {
        list = split_list(tcopy, &v.ntargets);
        v.targets = list;
    }
    rc = run_variant(&v, base, out);
    free(list);
    free(tcopy);
    return rc;
}

/* ---- presets ---- */

static int cmd_presets(void) {
    for (int a = 0; a < FTI_SYNTH_ARCH_COUNT; a++) {
        const char *name;
        for (size_t i = 0; (name = fti_synth_preset_name((fti_synth_arch)a, i)); i++) {
            fti_synth_config cfg;
            if (fti_synth_preset(&cfg, (fti_synth_arch)a, name) != FTI_OK) return failure();
            printf("%-6s %-9s %14" PRIu64 " parameters, %5zu tensors\n", fti_synth_arch_name((fti_synth_arch)a), name,
                   fti_synth_param_count(&cfg), fti_synth_tensor_count(&cfg));
        }
    }
    return 0;
}

int main(int argc, char **argv) {
    if (argc < 2) return usage_error("which command?");
    const char *cmd = argv[1];
    if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0) {
        fputs(usage_text, stdout);
        return 0;
    }
    if (strcmp(cmd, "model") == 0) return cmd_model(argc - 2, argv + 2);
    if (strcmp(cmd, "variant") == 0) return cmd_variant(argc - 2, argv + 2);
    if (strcmp(cmd, "presets") == 0) return cmd_presets();
    return usage_error("unknown command %s", cmd);
}
