/* Which tensors a variant changes (rules in synth.h). */
#include <ctype.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "synth/synth_num.h"
#include "synth/variant_internal.h"
#include "util/error.h"

/* ---- names ---- */

/* Length of name without its last component (0 if it has a single component). */
static size_t module_len(const char *name) {
    const char *dot = strrchr(name, '.');
    return dot ? (size_t)(dot - name) : 0;
}

/* s[0..n) equals t, or ends with "." t. */
static int ends_component(const char *s, size_t n, const char *t) {
    size_t m = strlen(t);
    if (n == m) return strncmp(s, t, n) == 0;
    return n > m && s[n - m - 1] == '.' && strncmp(s + n - m, t, m) == 0;
}

int fti_var_pattern_match(const char *pattern, const char *name) {
    if (strpbrk(pattern, "*?[")) return fnmatch(pattern, name, 0) == 0;
    return ends_component(name, strlen(name), pattern) || ends_component(name, module_len(name), pattern);
}

static const char *last_component(const char *name) {
    const char *dot = strrchr(name, '.');
    return dot ? dot + 1 : name;
}

static int is_bias(const char *name) { return strncmp(last_component(name), "bias", 4) == 0; }

static int norm_component(const char *s, size_t n) {
    for (size_t i = 0; i + 4 <= n; i++)
        if (strncasecmp(s + i, "norm", 4) == 0) return 1;
    return (n == 2 && strncasecmp(s, "ln", 2) == 0) || (n > 3 && strncasecmp(s, "ln_", 3) == 0);
}

/* A weight or bias of a normalisation module: by its name, or a batch norm by its running_mean. */
static int is_norm_param(const fti_ckpt *ck, const char *name) {
    const char *leaf = last_component(name);
    if (strcmp(leaf, "weight") != 0 && strcmp(leaf, "bias") != 0) return 0;
    size_t m = module_len(name);
    for (size_t s = 0; s < m;) {
        size_t e = s;
        while (e < m && name[e] != '.') e++;
        if (norm_component(name + s, e - s)) return 1;
        s = e + 1;
    }
    char sib[512];
    if (!m || m + sizeof ".running_mean" > sizeof sib) return 0;
    snprintf(sib, sizeof sib, "%.*s.running_mean", (int)m, name);
    return fti_ckpt_find(ck, sib) != NULL;
}

/* Length of the layer prefix of name: up to and including its first all-digit component and
 * the dot after it; 0 if it has none. */
static size_t layer_prefix(const char *name) {
    for (const char *s = name; *s;) {
        const char *e = strchr(s, '.');
        if (!e) return 0;
        int digits = e > s;
        for (const char *p = s; p < e; p++) digits &= isdigit((unsigned char)*p) != 0;
        if (digits) return (size_t)(e + 1 - name);
        s = e + 1;
    }
    return 0;
}

/* strcmp, except that runs of digits compare as numbers ("layers.9." < "layers.10."). */
static int natural_cmp(const char *a, size_t na, const char *b, size_t nb) {
    size_t i = 0, j = 0;
    while (i < na && j < nb) {
        if (isdigit((unsigned char)a[i]) && isdigit((unsigned char)b[j])) {
            while (i < na && a[i] == '0') i++;
            while (j < nb && b[j] == '0') j++;
            size_t i1 = i, j1 = j;
            while (i1 < na && isdigit((unsigned char)a[i1])) i1++;
            while (j1 < nb && isdigit((unsigned char)b[j1])) j1++;
            if (i1 - i != j1 - j) return i1 - i < j1 - j ? -1 : 1;
            int c = strncmp(a + i, b + j, i1 - i);
            if (c) return c;
            i = i1, j = j1;
        } else {
            if (a[i] != b[j]) return (unsigned char)a[i] < (unsigned char)b[j] ? -1 : 1;
            i++, j++;
        }
    }
    return (i < na) - (j < nb);
}

/* ---- selection per kind ---- */

static int usable(const fti_st_tensor *t) { return fti_synth_float_dtype(t->dtype) && t->numel > 0; }

static int is_lora_target(const fti_st_tensor *t) {
    return usable(t) && t->ndim >= 2 && strcmp(last_component(t->name), "weight") == 0;
}

static int matches_any(const char *const *pats, size_t n, const char *name) {
    for (size_t i = 0; i < n; i++)
        if (fti_var_pattern_match(pats[i], name)) return 1;
    return 0;
}

static size_t select_by_patterns(var_ctx *c, const char *const *pats, size_t np, int (*ok)(const fti_st_tensor *),
                                 var_action act) {
    size_t k = 0;
    for (size_t i = 0; i < c->n; i++)
        if (ok(c->in[i]) && matches_any(pats, np, c->in[i]->name)) {
            c->action[i] = (uint8_t)act;
            k++;
        }
    return k;
}

static int is_matrix(const fti_st_tensor *t) { return usable(t) && t->ndim >= 2; }

/* The kind's tensors: the user's patterns, else the default. */
static size_t select_targets(var_ctx *c, var_action act) {
    static const char *const q[] = {"q_proj", "k_proj", "v_proj", "o_proj"}, *const g[] = {"c_attn"},
                             *const b[] = {"query", "key", "value"}, *const all[] = {"*"};
    static const struct {
        const char *const *p;
        size_t n;
    } lora_families[] = {{q, 4}, {g, 1}, {b, 3}};
    const fti_synth_variant *v = c->v;
    int lora = act == ACT_LORA;
    int (*ok)(const fti_st_tensor *) = lora ? is_lora_target : act == ACT_SPARSE ? is_matrix : usable;
    if (v->ntargets) return select_by_patterns(c, v->targets, v->ntargets, ok, act);
    if (!lora) return select_by_patterns(c, all, 1, ok, act);
    for (size_t f = 0; f < sizeof lora_families / sizeof lora_families[0]; f++) {
        size_t k = select_by_patterns(c, lora_families[f].p, lora_families[f].n, ok, act);
        if (k) return k;
    }
    return 0;
}

static size_t select_by_rule(var_ctx *c, int bias) {
    size_t k = 0;
    for (size_t i = 0; i < c->n; i++) {
        const fti_st_tensor *t = c->in[i];
        if (usable(t) && (bias ? is_bias(t->name) : is_norm_param(c->base, t->name))) {
            c->action[i] = ACT_NOISE;
            k++;
        }
    }
    return k;
}

static int cmp_layer(const void *a, const void *b) {
    const char *x = *(const char *const *)a, *y = *(const char *const *)b;
    return natural_cmp(x, layer_prefix(x), y, layer_prefix(y));
}

/* Every usable tensor whose layer is one of the last v->last layers. */
static fti_status select_last_layers(var_ctx *c, size_t *count) {
    const char **names = malloc((c->n ? c->n : 1) * sizeof *names);
    size_t m = 0, layers = 0;
    if (!names) return fti_fail(FTI_ERR_NOMEM, "variant: out of memory");
    for (size_t i = 0; i < c->n; i++)
        if (layer_prefix(c->in[i]->name)) names[m++] = c->in[i]->name;
    qsort(names, m, sizeof *names, cmp_layer);
    const char *first = NULL; /* the first name of the earliest selected layer */
    for (size_t i = m; i-- > 0;) {
        if (i + 1 == m || cmp_layer(&names[i], &names[i + 1]) != 0) layers++;
        if (layers <= c->v->last) first = names[i];
    }
    fti_status st = FTI_OK;
    if (layers < c->v->last)
        st = fti_fail(FTI_ERR_ARG, "variant last-layers: %u layers asked for, but the base has %zu numbered layers",
                      c->v->last, layers);
    *count = 0;
    for (size_t i = 0; st == FTI_OK && first && i < c->n; i++) {
        const fti_st_tensor *t = c->in[i];
        if (usable(t) && layer_prefix(t->name) && cmp_layer(&t->name, &first) >= 0) {
            c->action[i] = ACT_NOISE;
            (*count)++;
        }
    }
    free(names);
    return st;
}

static fti_status select_named(var_ctx *c, var_action act, size_t *count) {
    const char *name = c->v->tensor;
    if (!name) return fti_fail(FTI_ERR_ARG, "variant %s: which tensor? (tensor is not set)", fti_synth_kind_name(c->v->kind));
    for (size_t i = 0; i < c->n; i++) {
        const fti_st_tensor *t = c->in[i];
        if (strcmp(t->name, name) != 0) continue;
        if (!usable(t) || (act == ACT_RANK && t->ndim < 2))
            return fti_fail(FTI_ERR_ARG, "variant %s: tensor %s is not a non-empty float %s", fti_synth_kind_name(c->v->kind),
                            name, act == ACT_RANK ? "matrix" : "tensor");
        c->action[i] = (uint8_t)act;
        *count = 1;
        return FTI_OK;
    }
    return fti_fail(FTI_ERR_ARG, "variant %s: the base has no tensor %s", fti_synth_kind_name(c->v->kind), name);
}

fti_status fti_var_select(var_ctx *c) {
    size_t k = 0;
    fti_status st = FTI_OK;
    switch (c->v->kind) {
    case FTI_VAR_LORA: k = select_targets(c, ACT_LORA); break;
    case FTI_VAR_SPARSE: k = select_targets(c, ACT_SPARSE); break;
    case FTI_VAR_FULL: k = select_targets(c, ACT_NOISE); break;
    case FTI_VAR_BITFIT: k = select_by_rule(c, 1); break;
    case FTI_VAR_NORMS: k = select_by_rule(c, 0); break;
    case FTI_VAR_LAST_LAYERS: st = select_last_layers(c, &k); break;
    case FTI_VAR_TAMPER_ENTRY: st = select_named(c, ACT_ENTRY, &k); break;
    case FTI_VAR_TAMPER_RANK: st = select_named(c, ACT_RANK, &k); break;
    default: return fti_fail(FTI_ERR_ARG, "variant: unknown kind %d", (int)c->v->kind);
    }
    if (st == FTI_OK && k == 0)
        st = fti_fail(FTI_ERR_ARG, "variant %s: no tensor of the base is selected%s", fti_synth_kind_name(c->v->kind),
                      c->v->ntargets ? " by the given targets" : "");
    c->stats.selected = k;
    return st;
}
