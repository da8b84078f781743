/* The PEFT adapter of a LoRA variant: adapter_model.safetensors with the factors exactly as
 * merged, and adapter_config.json, in the layout model/lora.h reads. */
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "synth/synth_num.h"
#include "synth/variant_internal.h"
#include "util/error.h"

#define PREFIX "base_model.model."

typedef struct {
    const var_ctx *c;
    size_t *src;      /* per adapter tensor: the base tensor whose factors it holds */
    char **names;
    fti_sw_tensor *ts;
    size_t n;
} adapter;

static void adapter_free(adapter *ad) {
    for (size_t i = 0; ad->names && i < ad->n; i++) free(ad->names[i]);
    free(ad->names);
    free(ad->src);
    free(ad->ts);
}

/* A: [r, in] or [r, kernel dims...]; B: [out, r] (+ a 1 per extra kernel dimension). */
static void factor_shapes(fti_sw_tensor *a, fti_sw_tensor *b, const fti_st_tensor *w, const var_factors *f,
                          int transpose, fti_dtype dt) {
    a->dtype = b->dtype = dt;
    a->shape[0] = f->rank;
    b->shape[0] = f->out;
    b->shape[1] = f->rank;
    if (transpose || w->ndim == 2) {
        a->ndim = b->ndim = 2;
        a->shape[1] = f->in;
        return;
    }
    a->ndim = b->ndim = w->ndim;
    for (unsigned d = 1; d < w->ndim; d++) a->shape[d] = w->shape[d];
    for (unsigned d = 2; d < w->ndim; d++) b->shape[d] = 1;
}

static char *factor_name(const char *weight_name, const char *which) {
    size_t m = strlen(weight_name) - strlen(".weight"), n = sizeof PREFIX + m + 32;
    char *s = malloc(n);
    if (s) snprintf(s, n, PREFIX "%.*s.%s.weight", (int)m, weight_name, which);
    return s;
}

static fti_status build(adapter *ad, const var_ctx *c) {
    size_t pairs = 0;
    for (size_t i = 0; i < c->n; i++) pairs += c->action[i] == ACT_LORA;
    ad->c = c;
    ad->n = 2 * pairs;
    ad->src = calloc(ad->n, sizeof *ad->src);
    ad->names = calloc(ad->n, sizeof *ad->names);
    ad->ts = calloc(ad->n, sizeof *ad->ts);
    if (!ad->src || !ad->names || !ad->ts) return fti_fail(FTI_ERR_NOMEM, "adapter: out of memory");
    for (size_t i = 0, k = 0; i < c->n; i++) {
        if (c->action[i] != ACT_LORA) continue;
        ad->src[k] = ad->src[k + 1] = i;
        ad->names[k] = factor_name(c->in[i]->name, "lora_A");
        ad->names[k + 1] = factor_name(c->in[i]->name, "lora_B");
        if (!ad->names[k] || !ad->names[k + 1]) return fti_fail(FTI_ERR_NOMEM, "adapter: out of memory");
        factor_shapes(&ad->ts[k], &ad->ts[k + 1], c->in[i], &c->factors[i], c->fan_in_fan_out, c->v->adapter_dtype);
        ad->ts[k].name = ad->names[k];
        ad->ts[k + 1].name = ad->names[k + 1];
        k += 2;
    }
    return FTI_OK;
}

static fti_status fill_factor(void *ctx, size_t i, uint8_t *buf) {
    const adapter *ad = ctx;
    const var_factors *f = &ad->c->factors[ad->src[i]];
    fti_dtype dt = ad->c->v->adapter_dtype;
    const double *x = i % 2 ? f->b : f->a; /* A first, then B (adapter tensors come in pairs) */
    uint64_t n = (uint64_t)f->rank * (i % 2 ? f->out : f->in);
    unsigned w = fti_synth_width(dt);
    for (uint64_t k = 0; k < n; k++) fti_synth_store(buf + k * w, dt, x[k]);
    return FTI_OK;
}

/* The adapted modules' last name components, sorted and unique: each module ends with one, so
 * lora.h's target check (M == T or M ends with ".T") holds for every pair. */
static json_t *target_modules(const var_ctx *c) {
    json_t *set = json_object(), *list = json_array();
    for (size_t i = 0; set && i < c->n; i++) {
        if (c->action[i] != ACT_LORA) continue;
        const char *name = c->in[i]->name, *end = name + strlen(name) - strlen(".weight"), *s = end;
        while (s > name && s[-1] != '.') s--;
        char leaf[256];
        snprintf(leaf, sizeof leaf, "%.*s", (int)(end - s), s);
        json_object_set_new(set, leaf, json_true());
    }
    const char *key;
    json_t *val;
    json_object_foreach(set, key, val) json_array_append_new(list, json_string(key));
    json_decref(set);
    return list;
}

static fti_status write_config(const var_ctx *c, const char *path, const char *base_path) {
    const fti_synth_variant *v = c->v;
    json_t *alpha = v->alpha == floor(v->alpha) && fabs(v->alpha) < 1e15 ? json_integer((json_int_t)v->alpha)
                                                                           : json_real(v->alpha);
    json_t *cfg = json_pack("{s:s,s:s,s:b,s:b,s:o,s:f,s:s,s:i,s:o,s:n,s:b}", "base_model_name_or_path",
                            v->base_model ? v->base_model : base_path, "bias", "none", "fan_in_fan_out",
                            c->fan_in_fan_out, "inference_mode", 1, "lora_alpha", alpha, "lora_dropout", 0.0,
                            "peft_type", "LORA", "r", (int)v->rank, "target_modules", target_modules(c), "task_type",
                            "use_rslora", 0);
    if (!cfg) return fti_fail(FTI_ERR_NOMEM, "%s: cannot build the adapter config", path);
    int bad = json_dump_file(cfg, path, JSON_INDENT(2) | JSON_SORT_KEYS) != 0;
    json_decref(cfg);
    return bad ? fti_fail(FTI_ERR_IO, "%s: cannot write", path) : FTI_OK;
}

fti_status fti_var_write_adapter(const var_ctx *c, const char *base_path) {
    adapter ad = {0};
    fti_sw_layout lay = {0};
    char *path = malloc(strlen(c->v->adapter_out) + 32);
    fti_status st = path ? build(&ad, c) : fti_fail(FTI_ERR_NOMEM, "adapter: out of memory");
    if (st == FTI_OK) st = fti_sw_layout_single(&lay, ad.n, "adapter_model.safetensors");
    if (st == FTI_OK) {
        fti_sw_meta meta[1] = {{"format", "pt"}};
        st = fti_sw_write(c->v->adapter_out, ad.ts, ad.n, &lay, meta, 1, fill_factor, &ad);
    }
    if (st == FTI_OK) {
        sprintf(path, "%s/adapter_config.json", c->v->adapter_out);
        st = write_config(c, path, base_path);
    }
    fti_sw_layout_free(&lay);
    adapter_free(&ad);
    free(path);
    return st;
}
