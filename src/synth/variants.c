/* Fine-tune variants: the driver that opens the base, selects tensors, streams the edited copy
 * through the writer in the base's own shard layout, and writes the LoRA adapter (rules in
 * synth.h). */
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "synth/synth_num.h"
#include "synth/variant_internal.h"
#include "util/error.h"

static const char *const kind_names[FTI_VAR_COUNT] = {"lora",        "sparse",       "full",       "bitfit",
                                                      "norms",       "last-layers",  "tamper-entry", "tamper-rank"};

const char *fti_synth_kind_name(fti_synth_kind k) { return (unsigned)k < FTI_VAR_COUNT ? kind_names[k] : "?"; }

int fti_synth_kind_parse(fti_synth_kind *out, const char *name) {
    for (int k = 0; k < FTI_VAR_COUNT; k++)
        if (strcmp(name, kind_names[k]) == 0) {
            *out = (fti_synth_kind)k;
            return 1;
        }
    return 0;
}

void fti_synth_variant_init(fti_synth_variant *v, fti_synth_kind kind) {
    memset(v, 0, sizeof *v);
    v->kind = kind;
    v->rank = kind == FTI_VAR_TAMPER_RANK ? 9 : 8;
    v->alpha = 16;
    v->rel = kind == FTI_VAR_LORA ? 0.01 : 0.05;
    v->k = 16;
    v->last = 2;
    v->index = UINT64_MAX;
    v->fan_in_fan_out = -1;
    v->adapter_dtype = FTI_DT_F32;
}

static fti_status check_params(const fti_synth_variant *v) {
    const char *k = fti_synth_kind_name(v->kind);
    if ((unsigned)v->kind >= FTI_VAR_COUNT) return fti_fail(FTI_ERR_ARG, "variant: unknown kind %d", (int)v->kind);
    if (!(v->rel >= 0) || !isfinite(v->rel)) return fti_fail(FTI_ERR_ARG, "variant %s: rel must be a finite number >= 0", k);
    if (!isfinite(v->amount)) return fti_fail(FTI_ERR_ARG, "variant %s: amount must be finite", k);
    if ((v->kind == FTI_VAR_LORA || v->kind == FTI_VAR_TAMPER_RANK) && (v->rank < 1 || v->rank > (1u << 24)))
        return fti_fail(FTI_ERR_ARG, "variant %s: rank must be in [1, 2^24]", k);
    if (v->kind == FTI_VAR_LORA && (!(v->alpha > 0) || !isfinite(v->alpha)))
        return fti_fail(FTI_ERR_ARG, "variant lora: alpha must be positive");
    if (v->kind == FTI_VAR_LORA && !fti_synth_float_dtype(v->adapter_dtype))
        return fti_fail(FTI_ERR_ARG, "variant lora: the adapter dtype must be BF16, F16, F32 or F64");
    if (v->kind == FTI_VAR_SPARSE && v->k < 1) return fti_fail(FTI_ERR_ARG, "variant sparse: k must be >= 1");
    if (v->kind == FTI_VAR_LAST_LAYERS && v->last < 1) return fti_fail(FTI_ERR_ARG, "variant last-layers: last must be >= 1");
    return FTI_OK;
}

/* ---- context ---- */

static void ctx_close(var_ctx *c) {
    for (size_t i = 0; c->factors && i < c->n; i++) fti_var_factors_free(&c->factors[i]);
    free(c->factors);
    free(c->action);
    free(c->out);
    free(c->in);
    fti_ckpt_close(c->base);
}

static fti_status ctx_open(var_ctx *c, const char *base, const fti_synth_variant *v) {
    memset(c, 0, sizeof *c);
    c->v = v;
    fti_status st = fti_ckpt_open(&c->base, base);
    if (st != FTI_OK) return st;
    c->n = fti_ckpt_count(c->base);
    size_t m = c->n ? c->n : 1;
    c->in = calloc(m, sizeof *c->in);
    c->out = calloc(m, sizeof *c->out);
    c->action = calloc(m, sizeof *c->action);
    c->factors = calloc(m, sizeof *c->factors);
    if (!c->in || !c->out || !c->action || !c->factors) return fti_fail(FTI_ERR_NOMEM, "variant: out of memory");
    for (size_t i = 0; i < c->n; i++) {
        const fti_st_tensor *t = fti_ckpt_tensor(c->base, i);
        c->in[i] = t;
        c->out[i].name = t->name;
        c->out[i].dtype = t->dtype;
        c->out[i].ndim = t->ndim;
        if (t->ndim > FTI_SW_MAX_NDIM)
            return fti_fail(FTI_ERR_UNSUPPORTED, "%s: tensor %s has %u dimensions (the writer takes %d)", t->path, t->name,
                            t->ndim, FTI_SW_MAX_NDIM);
        memcpy(c->out[i].shape, t->shape, t->ndim * sizeof *t->shape);
    }
    c->stats.tensors = c->n;
    return FTI_OK;
}

/* fan_in_fan_out for LoRA: as asked, or 1 iff every adapted module is a GPT-2 Conv1D (c_*). */
static fti_status resolve_fan_in_fan_out(var_ctx *c) {
    size_t conv1d = 0, total = 0;
    for (size_t i = 0; i < c->n; i++) {
        if (c->action[i] != ACT_LORA) continue;
        const char *name = c->in[i]->name, *end = name + strlen(name) - strlen(".weight"), *s = end;
        while (s > name && s[-1] != '.') s--;
        conv1d += strncmp(s, "c_", 2) == 0;
        total++;
    }
    if (c->v->fan_in_fan_out >= 0) c->fan_in_fan_out = c->v->fan_in_fan_out;
    else if (conv1d && conv1d != total)
        return fti_fail(FTI_ERR_ARG, "variant lora: the targets mix GPT-2 Conv1D modules (c_*) with others; "
                                     "set fan_in_fan_out or narrow the targets");
    else c->fan_in_fan_out = conv1d > 0;
    return FTI_OK;
}

/* ---- per tensor ---- */

static fti_status edit(var_ctx *c, size_t i, uint8_t *buf) {
    const fti_st_tensor *t = c->in[i];
    var_factors *f = &c->factors[i];
    fti_status st = FTI_OK;
    switch ((var_action)c->action[i]) {
    case ACT_COPY: break;
    case ACT_NOISE: st = fti_var_noise(buf, t, c->v); break;
    case ACT_SPARSE: st = fti_var_sparse(buf, t, c->v); break;
    case ACT_ENTRY: st = fti_var_entry(buf, t, c->v); break;
    case ACT_LORA: st = fti_var_lora_factors(f, t, c->v, c->fan_in_fan_out); break;
    case ACT_RANK: st = fti_var_rank_factors(f, t, c->v); break;
    }
    if (st == FTI_OK && (c->action[i] == ACT_LORA || c->action[i] == ACT_RANK)) {
        st = fti_var_apply_lowrank(buf, t, f);
        /* keep LoRA factors for the adapter only; U and V are no longer needed */
        free(f->u);
        free(f->v);
        f->u = f->v = NULL;
        if (c->action[i] == ACT_RANK || !c->v->adapter_out) fti_var_factors_free(f);
    }
    return st;
}

static fti_status fill_variant(void *ctx, size_t i, uint8_t *buf) {
    var_ctx *c = ctx;
    const fti_st_tensor *t = c->in[i];
    memcpy(buf, t->data, t->nbytes);
    fti_status st = edit(c, i, buf);
    if (st == FTI_OK && c->action[i] != ACT_COPY) fti_var_account(c, t, buf);
    fti_ckpt_release(t); /* bounded RSS on checkpoints larger than memory */
    return st;
}

/* ---- layout, metadata, safety ---- */

static const char *base_name(const char *path) {
    const char *s = strrchr(path, '/');
    return s ? s + 1 : path;
}

static fti_status base_layout(fti_sw_layout *l, const var_ctx *c) {
    if (fti_ckpt_kind_of(c->base) != FTI_CKPT_SHARDED) return fti_sw_layout_single(l, c->n, "model.safetensors");
    size_t nf = fti_ckpt_file_count(c->base);
    fti_status st = fti_sw_layout_alloc(l, c->n, nf);
    if (st != FTI_OK) return st;
    int bad = !(l->index_name = strdup(base_name(fti_ckpt_path(c->base))));
    for (size_t f = 0; f < nf; f++) bad |= !(l->files[f] = strdup(base_name(fti_st_path(fti_ckpt_file(c->base, f)))));
    for (size_t i = 0; i < c->n; i++)
        for (size_t f = 0; f < nf; f++)
            if (c->in[i]->file == fti_ckpt_file(c->base, f)) l->file_of[i] = f;
    if (!bad) return FTI_OK;
    fti_sw_layout_free(l);
    return fti_fail(FTI_ERR_NOMEM, "variant: out of memory");
}

static void describe(char *out, size_t cap, const fti_synth_variant *v) {
    snprintf(out, cap, "%s seed=%llu rank=%u alpha=%g rel=%g k=%llu amount=%g last=%u tensor=%s index=%lld",
             fti_synth_kind_name(v->kind), (unsigned long long)v->seed, v->rank, v->alpha, v->rel,
             (unsigned long long)v->k, v->amount, v->last, v->tensor ? v->tensor : "-",
             v->index == UINT64_MAX ? -1LL : (long long)v->index);
}

/* The base's first file's metadata with "fti_synth" set to desc (meta has count + 1 slots). */
static size_t make_meta(fti_sw_meta *meta, const var_ctx *c, const char *desc) {
    const fti_st_file *f = fti_ckpt_file(c->base, 0);
    size_t n = 0;
    for (size_t i = 0; i < fti_st_metadata_count(f); i++) {
        fti_st_metadata_at(f, i, &meta[n].key, &meta[n].value);
        if (strcmp(meta[n].key, "fti_synth") != 0) n++;
    }
    meta[n].key = "fti_synth";
    meta[n].value = desc;
    return n + 1;
}

/* Refuses to write over a file of the base (it is mapped while the copy is written). */
static fti_status check_not_base(const var_ctx *c, const fti_sw_layout *l, const char *out) {
    char a[PATH_MAX], b[PATH_MAX], p[PATH_MAX + 256];
    int direct = !l->index_name && strlen(out) > 12 && strcmp(out + strlen(out) - 12, ".safetensors") == 0;
    for (size_t f = 0; f < l->nfiles; f++) {
        if (direct) snprintf(p, sizeof p, "%s", out);
        else snprintf(p, sizeof p, "%s/%s", out, l->files[f]);
        if (!realpath(p, a)) continue; /* does not exist yet */
        for (size_t k = 0; k < fti_ckpt_file_count(c->base); k++)
            if (realpath(fti_st_path(fti_ckpt_file(c->base, k)), b) && strcmp(a, b) == 0)
                return fti_fail(FTI_ERR_ARG, "%s: writing the variant there would overwrite its base", p);
    }
    return FTI_OK;
}

static fti_status write_variant(var_ctx *c, const char *out) {
    fti_sw_layout lay = {0};
    char desc[512];
    size_t nmeta_base = fti_ckpt_file_count(c->base) ? fti_st_metadata_count(fti_ckpt_file(c->base, 0)) : 0;
    fti_sw_meta *meta = calloc(nmeta_base + 1, sizeof *meta);
    fti_status st = meta ? base_layout(&lay, c) : fti_fail(FTI_ERR_NOMEM, "variant: out of memory");
    if (st == FTI_OK) st = check_not_base(c, &lay, out);
    if (st == FTI_OK) {
        describe(desc, sizeof desc, c->v);
        size_t nmeta = fti_ckpt_file_count(c->base) ? make_meta(meta, c, desc) : 0;
        st = fti_sw_write(out, c->out, c->n, &lay, meta, nmeta, fill_variant, c);
    }
    fti_sw_layout_free(&lay);
    free(meta);
    return st;
}

/* 1 if paths a and b name the same existing directory, or are the same string. */
static int same_dir(const char *a, const char *b) {
    char ra[PATH_MAX], rb[PATH_MAX];
    if (strcmp(a, b) == 0) return 1;
    return realpath(a, ra) && realpath(b, rb) && strcmp(ra, rb) == 0;
}

/* The adapter directory must be neither the variant's nor the base's directory. */
static fti_status check_adapter_dir(const fti_synth_variant *v, const char *out, const char *base) {
    if (!v->adapter_out || v->kind != FTI_VAR_LORA) return FTI_OK;
    if (same_dir(v->adapter_out, out) || same_dir(v->adapter_out, base))
        return fti_fail(FTI_ERR_ARG, "%s: the adapter needs a directory of its own (not the model's)", v->adapter_out);
    return FTI_OK;
}

fti_status fti_synth_variant_write(fti_synth_stats *stats, const char *out, const char *base,
                                   const fti_synth_variant *v) {
    var_ctx c;
    fti_status st = check_params(v);
    if (st == FTI_OK) st = check_adapter_dir(v, out, base);
    if (st != FTI_OK) return st;
    st = ctx_open(&c, base, v);
    if (st == FTI_OK) st = fti_var_select(&c);
    if (st == FTI_OK && v->kind == FTI_VAR_LORA) st = resolve_fan_in_fan_out(&c);
    if (st == FTI_OK) st = write_variant(&c, out);
    if (st == FTI_OK && v->kind == FTI_VAR_LORA && v->adapter_out) st = fti_var_write_adapter(&c, base);
    c.stats.rel = c.w2 > 0 ? sqrt(c.d2 / c.w2) : 0;
    if (st == FTI_OK && stats) *stats = c.stats;
    ctx_close(&c);
    return st;
}
