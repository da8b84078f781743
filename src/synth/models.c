/* Synthetic base models: tensor lists, their initial values, checks and the model writer
 * (contract in synth.h; the per-architecture lists are in models_tf.c and models_small.c). */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "synth/synth_internal.h"
#include "synth/synth_num.h"
#include "util/error.h"

static const char *const arch_names[FTI_SYNTH_ARCH_COUNT] = {"llama", "gpt2", "bert", "vit", "cnn", "mlp"};

const char *fti_synth_arch_name(fti_synth_arch a) {
    return (unsigned)a < FTI_SYNTH_ARCH_COUNT ? arch_names[a] : "?";
}

int fti_synth_arch_parse(fti_synth_arch *out, const char *name) {
    for (int a = 0; a < FTI_SYNTH_ARCH_COUNT; a++)
        if (strcmp(name, arch_names[a]) == 0) {
            *out = (fti_synth_arch)a;
            return 1;
        }
    return 0;
}

/* ---- tensor lists ---- */

uint64_t fti_synth_numel(unsigned ndim, const uint64_t *shape) {
    uint64_t n = 1;
    for (unsigned d = 0; d < ndim; d++) n *= shape[d];
    return n;
}

static void add_va(fti_synth_list *l, fti_init_kind init, double mean, double std, unsigned ndim,
                   const uint64_t *shape, const char *fmt, va_list ap) {
    if (l->bad) return;
    if (l->n == l->cap) {
        size_t cap = l->cap ? 2 * l->cap : 64;
        fti_synth_spec *v = realloc(l->v, cap * sizeof *v);
        if (!v) {
            l->bad = 1;
            return;
        }
        l->v = v;
        l->cap = cap;
    }
    fti_synth_spec *s = &l->v[l->n];
    memset(s, 0, sizeof *s);
    int len = vsnprintf(s->name, sizeof s->name, fmt, ap);
    if (len < 0 || (size_t)len >= sizeof s->name || ndim > FTI_SW_MAX_NDIM) {
        l->bad = 1;
        return;
    }
    s->init = init;
    s->mean = mean;
    s->std = std;
    s->t.dtype = l->dtype;
    s->t.ndim = ndim;
    memcpy(s->t.shape, shape, ndim * sizeof *shape);
    l->n++;
}

void fti_synth_add(fti_synth_list *l, fti_init_kind init, double mean, double std, unsigned ndim,
                   const uint64_t *shape, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    add_va(l, init, mean, std, ndim, shape, fmt, ap);
    va_end(ap);
}

void fti_synth_add_mat(fti_synth_list *l, uint64_t rows, uint64_t cols, double std, const char *fmt, ...) {
    uint64_t shape[2] = {rows, cols};
    va_list ap;
    va_start(ap, fmt);
    add_va(l, FTI_INIT_NORMAL, 0.0, std, 2, shape, fmt, ap);
    va_end(ap);
}

void fti_synth_add_vec(fti_synth_list *l, uint64_t n, double mean, double std, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    add_va(l, FTI_INIT_NORMAL, mean, std, 1, &n, fmt, ap);
    va_end(ap);
}

void fti_synth_list_free(fti_synth_list *l) {
    free(l->v);
    memset(l, 0, sizeof *l);
}

fti_status fti_synth_build(fti_synth_list *l, const fti_synth_config *cfg) {
    static void (*const builders[FTI_SYNTH_ARCH_COUNT])(fti_synth_list *, const fti_synth_config *) = {
        fti_synth_build_llama, fti_synth_build_gpt2, fti_synth_build_bert,
        fti_synth_build_vit,   fti_synth_build_cnn,  fti_synth_build_mlp};
    builders[cfg->arch](l, cfg);
    if (l->bad) return fti_fail(FTI_ERR_NOMEM, "synth: cannot build the tensor list of a %s model",
                                fti_synth_arch_name(cfg->arch));
    /* the list's entries no longer move: point each description at its name */
    for (size_t i = 0; i < l->n; i++) l->v[i].t.name = l->v[i].name;
    return FTI_OK;
}

/* ---- checks and counts ---- */

#define DIM_MAX ((uint64_t)1 << 24)

static fti_status need(uint64_t v, const char *field, fti_synth_arch a) {
    if (v >= 1 && v <= DIM_MAX) return FTI_OK;
    return fti_fail(FTI_ERR_ARG, "synth: %s needs %s in [1, %llu] (got %llu)", fti_synth_arch_name(a), field,
                    (unsigned long long)DIM_MAX, (unsigned long long)v);
}

#define NEED(field) \
    if ((st = need(c->field, #field, c->arch)) != FTI_OK) return st

static fti_status check_fields(const fti_synth_config *c) {
    fti_status st;
    NEED(hidden);
    NEED(layers);
    switch (c->arch) {
    case FTI_SYNTH_LLAMA: NEED(intermediate); NEED(heads); NEED(kv_heads); NEED(vocab); break;
    case FTI_SYNTH_GPT2: NEED(heads); NEED(vocab); NEED(positions); break;
    case FTI_SYNTH_BERT: NEED(intermediate); NEED(heads); NEED(vocab); NEED(positions); break;
    case FTI_SYNTH_VIT: NEED(intermediate); NEED(heads); NEED(image); NEED(patch); NEED(channels); NEED(classes); break;
    case FTI_SYNTH_CNN: NEED(blocks); NEED(channels); NEED(kernel); NEED(classes); break;
    case FTI_SYNTH_MLP: NEED(inputs); NEED(classes); break;
    default: return fti_fail(FTI_ERR_ARG, "synth: unknown architecture %d", (int)c->arch);
    }
    return FTI_OK;
}

static fti_status check_relations(const fti_synth_config *c) {
    const char *a = fti_synth_arch_name(c->arch);
    int attn = c->arch == FTI_SYNTH_LLAMA || c->arch == FTI_SYNTH_GPT2 || c->arch == FTI_SYNTH_BERT ||
               c->arch == FTI_SYNTH_VIT;
    if (attn && c->hidden % c->heads)
        return fti_fail(FTI_ERR_ARG, "synth: %s: heads (%llu) must divide hidden (%llu)", a,
                        (unsigned long long)c->heads, (unsigned long long)c->hidden);
    if (c->arch == FTI_SYNTH_LLAMA && c->heads % c->kv_heads)
        return fti_fail(FTI_ERR_ARG, "synth: llama: kv_heads (%llu) must divide heads (%llu)",
                        (unsigned long long)c->kv_heads, (unsigned long long)c->heads);
    if (c->arch == FTI_SYNTH_VIT && c->image % c->patch)
        return fti_fail(FTI_ERR_ARG, "synth: vit: patch (%llu) must divide image (%llu)",
                        (unsigned long long)c->patch, (unsigned long long)c->image);
    if (c->arch == FTI_SYNTH_CNN && c->layers > 12)
        return fti_fail(FTI_ERR_ARG, "synth: cnn: at most 12 stages (widths double per stage)");
    if (c->layers > 4096) return fti_fail(FTI_ERR_ARG, "synth: %s: at most 4096 layers", a);
    return FTI_OK;
}

/* Every tensor below 2^34 elements, and the whole model below 2^40. */
static fti_status check_sizes(const fti_synth_config *c) {
    fti_synth_list l = {.dtype = FTI_DT_F32};
    fti_status st = fti_synth_build(&l, c);
    uint64_t total = 0;
    for (size_t i = 0; st == FTI_OK && i < l.n; i++) {
        const fti_sw_tensor *t = &l.v[i].t;
        long double n = 1;
        for (unsigned d = 0; d < t->ndim; d++) n *= (long double)t->shape[d];
        if (n >= 0x1p34L) st = fti_fail(FTI_ERR_ARG, "synth: tensor %s would have %.3Lg elements (limit 2^34)", l.v[i].name, n);
        total += (uint64_t)n;
        if (st == FTI_OK && total >= ((uint64_t)1 << 40)) st = fti_fail(FTI_ERR_ARG, "synth: the model would exceed 2^40 parameters");
    }
    fti_synth_list_free(&l);
    return st;
}

fti_status fti_synth_check(const fti_synth_config *cfg) {
    fti_status st = check_fields(cfg);
    if (st == FTI_OK) st = check_relations(cfg);
    if (st == FTI_OK) st = check_sizes(cfg);
    return st;
}

uint64_t fti_synth_param_count(const fti_synth_config *cfg) {
    fti_synth_list l = {.dtype = FTI_DT_F32};
    uint64_t total = 0;
    if (fti_synth_build(&l, cfg) == FTI_OK)
        for (size_t i = 0; i < l.n; i++) total += fti_synth_numel(l.v[i].t.ndim, l.v[i].t.shape);
    fti_synth_list_free(&l);
    return total;
}

size_t fti_synth_tensor_count(const fti_synth_config *cfg) {
    fti_synth_list l = {.dtype = FTI_DT_F32};
    size_t n = fti_synth_build(&l, cfg) == FTI_OK ? l.n : 0;
    fti_synth_list_free(&l);
    return n;
}

/* ---- writing ---- */

typedef struct {
    const fti_synth_list *l;
    uint64_t seed;
} model_job;

static fti_status fill_tensor(void *ctx, size_t i, uint8_t *buf) {
    const model_job *j = ctx;
    const fti_synth_spec *s = &j->l->v[i];
    uint64_t key = fti_synth_key(j->seed, "init", s->name);
    fti_synth_fill(buf, s->t.dtype, fti_synth_numel(s->t.ndim, s->t.shape), key, s->init, s->mean, s->std);
    return FTI_OK;
}

/* "llama hidden=64 ... dtype=BF16 seed=7": the fields the config sets (zero fields are unused). */
static void describe(char *out, size_t cap, const fti_synth_config *c, const fti_synth_output *o) {
    const struct {
        const char *name;
        uint64_t v;
    } f[] = {{"hidden", c->hidden},     {"intermediate", c->intermediate}, {"layers", c->layers},
             {"heads", c->heads},       {"kv_heads", c->kv_heads},         {"vocab", c->vocab},
             {"positions", c->positions}, {"image", c->image},             {"patch", c->patch},
             {"channels", c->channels}, {"kernel", c->kernel},             {"blocks", c->blocks},
             {"inputs", c->inputs},     {"classes", c->classes}};
    size_t n = (size_t)snprintf(out, cap, "%s", fti_synth_arch_name(c->arch));
    for (size_t i = 0; i < sizeof f / sizeof f[0] && n < cap; i++)
        if (f[i].v) n += (size_t)snprintf(out + n, cap - n, " %s=%llu", f[i].name, (unsigned long long)f[i].v);
    if (n < cap) snprintf(out + n, cap - n, " dtype=%s seed=%llu", fti_dtype_name(o->dtype), (unsigned long long)o->seed);
}

static fti_status make_layout(fti_sw_layout *lay, const fti_synth_list *l, const fti_synth_output *o) {
    fti_sw_tensor *ts = malloc((l->n ? l->n : 1) * sizeof *ts);
    if (!ts) return fti_fail(FTI_ERR_NOMEM, "synth: out of memory");
    for (size_t i = 0; i < l->n; i++) ts[i] = l->v[i].t;
    fti_status st;
    if (o->max_shard_bytes) st = fti_sw_layout_max_size(lay, ts, l->n, o->max_shard_bytes);
    else if (o->shards > 1) st = fti_sw_layout_count(lay, ts, l->n, o->shards);
    else st = fti_sw_layout_single(lay, l->n, "model.safetensors");
    free(ts);
    return st;
}

static fti_status write_list(const char *out, const fti_synth_list *l, const fti_synth_config *cfg,
                             const fti_synth_output *o) {
    fti_sw_layout lay = {0};
    fti_sw_tensor *ts = malloc((l->n ? l->n : 1) * sizeof *ts);
    fti_status st = ts ? make_layout(&lay, l, o) : fti_fail(FTI_ERR_NOMEM, "synth: out of memory");
    if (st == FTI_OK) {
        char desc[512];
        describe(desc, sizeof desc, cfg, o);
        fti_sw_meta meta[2] = {{"format", "pt"}, {"fti_synth", desc}};
        for (size_t i = 0; i < l->n; i++) ts[i] = l->v[i].t;
        model_job j = {l, o->seed};
        st = fti_sw_write(out, ts, l->n, &lay, meta, 2, fill_tensor, &j);
    }
    fti_sw_layout_free(&lay);
    free(ts);
    return st;
}

fti_status fti_synth_model_write(const char *out, const fti_synth_config *cfg, const fti_synth_output *o) {
    if (!fti_synth_float_dtype(o->dtype))
        return fti_fail(FTI_ERR_ARG, "synth: dtype %s is not a float dtype (BF16, F16, F32, F64)", fti_dtype_name(o->dtype));
    fti_status st = fti_synth_check(cfg);
    if (st != FTI_OK) return st;
    fti_synth_list l = {.dtype = o->dtype};
    st = fti_synth_build(&l, cfg);
    if (st == FTI_OK) st = write_list(out, &l, cfg, o);
    fti_synth_list_free(&l);
    return st;
}
