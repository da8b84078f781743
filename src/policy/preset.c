/* Presets: select units by what they are (arch.c), then write globs that match exactly the
 * selected units (globs.c). Contract in arch.h; the presets are described in docs/policy.md. */
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy/arch.h"
#include "policy/policy_internal.h"
#include "util/error.h"

static const char *const PRESET_NAMES[] = {"lora", "bitfit", "norms-only", "last-layers",
                                           "full-bounded"};

#define N_PRESETS (sizeof PRESET_NAMES / sizeof PRESET_NAMES[0])

const char *fti_preset_name(fti_preset_kind k) {
    return (unsigned)k < N_PRESETS ? PRESET_NAMES[k] : "unknown";
}

fti_status fti_preset_defaults(fti_preset_params *out, const char *name) {
    static const double rho[N_PRESETS] = {0, 1.0, 1.0, 0.5, 0.1}; /* by fti_preset_kind */
    for (unsigned k = 0; k < N_PRESETS; k++) {
        if (strcmp(name, PRESET_NAMES[k]) != 0) continue;
        out->kind = (fti_preset_kind)k;
        out->rank = 16;
        out->residual_rho = -1;
        out->layers = 2;
        out->rho = rho[k];
        return FTI_OK;
    }
    return fti_fail(FTI_ERR_ARG,
                    "unknown preset \"%s\" (presets: lora, bitfit, norms-only, last-layers, "
                    "full-bounded)", name);
}

double fti_preset_lora_residual(const char *dtype) {
    if (dtype && strcmp(dtype, "F16") == 0) return 0x1p-10;
    if (dtype && (strcmp(dtype, "F32") == 0 || strcmp(dtype, "F64") == 0)) return 0x1p-16;
    return 0x1p-7; /* BF16, and the loosest for anything unknown */
}

/* ---- presets ----------------------------------------------------------------------------- */

/* What the preset works on: the units, each classified once. */
typedef struct {
    const fti_policy_unit *units;
    fti_unit_class *cls;
    size_t n;
    fti_arch arch;
} model_view;

/* A preset's selection: one rule class (requirement + description) for the selected units. */
typedef struct {
    char *sel; /* per unit: 1 selected, 0 frozen */
    size_t n_selected;
    fti_requirement req;
    char what[256]; /* rule description */
} selection;

static void take(selection *s, size_t i) {
    s->sel[i] = 1;
    s->n_selected++;
}

/* "%g", or "2^-16" for a small power of two (the dtype defaults). */
static const char *fmt_bound(char buf[32], double v) {
    int e;
    if (v > 0 && frexp(v, &e) == 0.5 && e - 1 <= -3) snprintf(buf, 32, "2^%d", e - 1);
    else snprintf(buf, 32, "%g", v);
    return buf;
}

static int lora_target(const model_view *m, size_t i, uint64_t r, int attn_only) {
    const fti_policy_unit *u = &m->units[i];
    if (u->ndim < 2 || m->cls[i].embedding || (attn_only && !m->cls[i].attention)) return 0;
    return u->rows > r && u->cols > r; /* else rank r is vacuous: leave it frozen */
}

static void select_lora(selection *s, const fti_preset_params *pp, const model_view *m) {
    int attn_only = fti_arch_is_transformer(m->arch);
    for (size_t i = 0; i < m->n && !attn_only; i++) attn_only = lora_target(m, i, pp->rank, 1);
    double res = 0;
    for (size_t i = 0; i < m->n; i++) {
        if (!lora_target(m, i, pp->rank, attn_only)) continue;
        take(s, i);
        double d = fti_preset_lora_residual(m->units[i].dtype);
        if (d > res) res = d;
    }
    if (pp->residual_rho >= 0) res = pp->residual_rho;
    s->req.flags = FTI_REQ_RANK;
    s->req.r = pp->rank;
    s->req.residual.mode = res > 0 ? FTI_BOUND_REL : FTI_BOUND_NONE;
    s->req.residual.value = res;
    const char *target = attn_only ? "the attention projections" : "every weight matrix";
    char b[32];
    if (res > 0)
        snprintf(s->what, sizeof s->what,
                 "LoRA on %s: rank <= %llu plus a residual <= %s * ||W|| (rounding of merged weights)",
                 target, (unsigned long long)pp->rank, fmt_bound(b, res));
    else
        snprintf(s->what, sizeof s->what, "LoRA on %s: rank <= %llu exactly", target,
                 (unsigned long long)pp->rank);
}

static int same_stem(const model_view *m, size_t i, size_t j) {
    const fti_unit_class *a = &m->cls[i], *b = &m->cls[j];
    return a->layer >= 0 && b->layer >= 0 && a->layer_stem == b->layer_stem &&
           memcmp(m->units[i].name, m->units[j].name, a->layer_stem) == 0;
}

/* The lowest of the `layers` highest distinct layer numbers of unit i's stem. */
static long stem_threshold(const model_view *m, size_t i, uint64_t layers) {
    long thr = LONG_MAX;
    for (uint64_t k = 0; k < layers; k++) { /* step down to the next lower number */
        long next = -1;
        for (size_t j = 0; j < m->n; j++)
            if (same_stem(m, i, j) && m->cls[j].layer > next && m->cls[j].layer < thr) next = m->cls[j].layer;
        if (next < 0) break;
        thr = next;
    }
    return thr;
}

/* 1 if unit i's stem numbers more than one layer. */
static int stem_is_sequence(const model_view *m, size_t i) {
    for (size_t j = 0; j < m->n; j++)
        if (same_stem(m, i, j) && m->cls[j].layer != m->cls[i].layer) return 1;
    return 0;
}

/* Units in the last `layers` layers of their stem, and the head. Outside transformers, a stem
 * that numbers a single layer ("conv1" beside "layer1".."layer4") is no sequence: skipped. */
static fti_status select_last_layers(selection *s, uint64_t layers, const model_view *m) {
    long *thr = malloc((m->n ? m->n : 1) * sizeof *thr);
    if (!thr) return fti_fail(FTI_ERR_NOMEM, "preset: out of memory");
    for (size_t i = 0; i < m->n; i++) {
        size_t first = 0;
        while (first < i && !same_stem(m, i, first)) first++;
        if (m->cls[i].layer < 0) thr[i] = LONG_MAX;
        else if (first < i) thr[i] = thr[first];
        else if (!fti_arch_is_transformer(m->arch) && !stem_is_sequence(m, i)) thr[i] = LONG_MAX;
        else thr[i] = stem_threshold(m, i, layers);
        if (m->cls[i].head || m->cls[i].layer >= thr[i]) take(s, i);
    }
    free(thr);
    return FTI_OK;
}

/* Outside transformers, an unnumbered unit whose first component + '_' is a stem of numbered
 * units is that stem's layer 0 (Keras: "conv2d", then "conv2d_1"), not part of the head. */
static void unmark_keras_first_layers(model_view *m) {
    if (fti_arch_is_transformer(m->arch)) return;
    for (size_t i = 0; i < m->n; i++) {
        const char *name = m->units[i].name;
        size_t c0 = strcspn(name, "./:");
        for (size_t j = 0; m->cls[i].head && j < m->n; j++)
            if (m->cls[j].layer >= 0 && m->cls[j].layer_stem == c0 + 1 &&
                strncmp(m->units[j].name, name, c0) == 0 && m->units[j].name[c0] == '_')
                m->cls[i].head = 0;
    }
}

/* Every selected unit: ||Delta|| <= rho * ||W||. */
static void norm_rule(selection *s, double rho, const char *what) {
    s->req.flags = FTI_REQ_NORM;
    s->req.norm.mode = FTI_BOUND_REL;
    s->req.norm.value = rho;
    snprintf(s->what, sizeof s->what, "%s: norm <= %g * ||W||", what, rho);
}

static fti_status select_units(selection *s, const fti_preset_params *pp, const model_view *m) {
    char what[128];
    switch (pp->kind) {
    case FTI_PRESET_LORA: select_lora(s, pp, m); return FTI_OK;
    case FTI_PRESET_LAST_LAYERS:
        snprintf(what, sizeof what, "the last %llu numbered layers and the head",
                 (unsigned long long)pp->layers);
        norm_rule(s, pp->rho, what);
        return select_last_layers(s, pp->layers, m);
    case FTI_PRESET_BITFIT: norm_rule(s, pp->rho, "BitFit: every bias"); break;
    case FTI_PRESET_NORMS_ONLY: norm_rule(s, pp->rho, "the normalisation layers"); break;
    case FTI_PRESET_FULL_BOUNDED: norm_rule(s, pp->rho, "bounded full fine-tune: every tensor"); break;
    }
    for (size_t i = 0; i < m->n; i++)
        if (pp->kind == FTI_PRESET_FULL_BOUNDED || (pp->kind == FTI_PRESET_BITFIT && m->cls[i].bias) ||
            (pp->kind == FTI_PRESET_NORMS_ONLY && m->cls[i].norm))
            take(s, i);
    return FTI_OK;
}

static const char *params_problem(const fti_preset_params *pp) {
    if ((unsigned)pp->kind > FTI_PRESET_FULL_BOUNDED) return "unknown preset";
    if (pp->kind == FTI_PRESET_LORA)
        return pp->rank < 1 || pp->rank > (uint64_t)INT64_MAX ? "rank must be >= 1"
               : isnan(pp->residual_rho) || isinf(pp->residual_rho) ? "residual must be finite"
                                                                    : NULL;
    if (pp->kind == FTI_PRESET_LAST_LAYERS && pp->layers < 1) return "layers must be >= 1";
    return isfinite(pp->rho) && pp->rho >= 0 ? NULL : "rho must be a finite number >= 0";
}

/* Writes the rules for the selection into p. */
static fti_status write_rules(fti_policy *p, const selection *s, const model_view *m) {
    char **globs = NULL;
    size_t n_globs = 0;
    fti_status st = fti_policy_globs(&globs, &n_globs, m->units, m->cls, s->sel, m->n);
    for (size_t i = 0; i < n_globs && !st; i++)
        st = fti_policy_add_rule(p, globs[i], &s->req, s->what);
    if (!st && s->n_selected < m->n) {
        fti_requirement frozen = fti_requirement_frozen();
        st = fti_policy_add_rule(p, "*", &frozen, "everything else is frozen");
    }
    fti_policy_globs_free(globs, n_globs);
    return st;
}

fti_status fti_policy_preset(fti_policy **out, fti_arch *arch_out, const fti_preset_params *pp,
                             const fti_policy_unit *units, size_t n) {
    fti_policy *p = NULL;
    selection s = {NULL, 0, fti_requirement_frozen(), ""};
    model_view m = {units, NULL, n, FTI_ARCH_UNKNOWN};
    char source[64], desc[512];
    *out = NULL;
    const char *problem = params_problem(pp);
    if (problem) return fti_fail(FTI_ERR_ARG, "preset %s: %s", fti_preset_name(pp->kind), problem);
    for (size_t i = 0; i < n; i++)
        if (!units[i].name || !units[i].name[0])
            return fti_fail(FTI_ERR_ARG, "preset: unit %zu has no name", i);
    m.arch = fti_arch_detect(units, n);
    if (arch_out) *arch_out = m.arch;
    snprintf(source, sizeof source, "preset %s", fti_preset_name(pp->kind));
    fti_status st = fti_policy_new(&p, source);
    if (st) goto out;
    s.sel = malloc((n ? n : 1) * sizeof *s.sel);
    m.cls = malloc((n ? n : 1) * sizeof *m.cls);
    if (!s.sel || !m.cls) {
        st = fti_fail(FTI_ERR_NOMEM, "preset: out of memory");
        goto out;
    }
    for (size_t i = 0; i < n; i++) {
        s.sel[i] = 0;
        fti_arch_classify(&m.cls[i], m.arch, &units[i]);
    }
    unmark_keras_first_layers(&m);
    if ((st = select_units(&s, pp, &m))) goto out;
    if (!s.n_selected) {
        st = fti_fail(FTI_ERR_POLICY, "preset %s: nothing to select in this %s model (%zu tensors)",
                      fti_preset_name(pp->kind), fti_arch_name(m.arch), n);
        goto out;
    }
    snprintf(desc, sizeof desc,
             "fti preset %s for a %s model (%zu tensors): %s. Tensors no rule matches are frozen.",
             fti_preset_name(pp->kind), fti_arch_name(m.arch), n, s.what);
    if (!(st = fti_policy_set_description(p, desc))) st = write_rules(p, &s, &m);
out:
    free(s.sel);
    free(m.cls);
    if (st) fti_policy_free(p);
    else *out = p;
    return st;
}
