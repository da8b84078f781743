/* Architecture detection and unit classification (contract in arch.h). Names are matched
 * component by component, case-insensitively; components are separated by '.', '/' or ':'. */
#include <ctype.h>
#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>

#include "policy/arch.h"

const char *fti_arch_name(fti_arch a) {
    switch (a) {
    case FTI_ARCH_UNKNOWN: break;
    case FTI_ARCH_LLAMA: return "llama";
    case FTI_ARCH_GPT2: return "gpt2";
    case FTI_ARCH_BERT: return "bert";
    case FTI_ARCH_VIT: return "vit";
    case FTI_ARCH_CNN: return "cnn";
    case FTI_ARCH_MLP: return "mlp";
    }
    return "unknown";
}

static int any_name(const fti_policy_unit *units, size_t n, const char *pattern) {
    for (size_t i = 0; i < n; i++)
        if (fnmatch(pattern, units[i].name, 0) == 0) return 1;
    return 0;
}

fti_arch fti_arch_detect(const fti_policy_unit *units, size_t n) {
    static const struct {
        fti_arch arch;
        const char *pattern;
    } marks[] = {
        {FTI_ARCH_LLAMA, "*layers.*.self_attn.[qkvo]_proj.weight"},
        {FTI_ARCH_LLAMA, "*layers.*.mlp.gate_proj.weight"},
        {FTI_ARCH_GPT2, "*h.*.attn.c_attn.weight*"},
        {FTI_ARCH_VIT, "*patch_embed*"},
        {FTI_ARCH_BERT, "*layer.*.attention.self.query.weight"},
        {FTI_ARCH_BERT, "*layer.*.attention.output.dense.weight"},
    };
    for (size_t m = 0; m < sizeof marks / sizeof marks[0]; m++)
        if (any_name(units, n, marks[m].pattern)) return marks[m].arch;
    int matrix = 0;
    for (size_t i = 0; i < n; i++) {
        if (units[i].ndim >= 3 || units[i].role == FTI_ROLE_CONV) return FTI_ARCH_CNN;
        matrix |= units[i].ndim == 2;
    }
    return matrix ? FTI_ARCH_MLP : FTI_ARCH_UNKNOWN;
}

/* ---- name components --------------------------------------------------------------------- */

static int is_sep(char c) { return c == '.' || c == '/' || c == ':'; }

/* Calls fn on every component [s, s+len) of name until it returns nonzero; returns that. */
static int each_component(const char *name, int (*fn)(const char *s, size_t len)) {
    const char *s = name;
    for (const char *p = name;; p++) {
        if (*p && !is_sep(*p)) continue;
        int r = p > s ? fn(s, (size_t)(p - s)) : 0;
        if (r || !*p) return r;
        s = p + 1;
    }
}

/* Case-insensitive: component equals word / starts with / ends with / contains it. */
static int ieq(const char *s, size_t len, const char *w) {
    return strlen(w) == len && strncasecmp(s, w, len) == 0;
}
static int istarts(const char *s, size_t len, const char *w) {
    size_t n = strlen(w);
    return n <= len && strncasecmp(s, w, n) == 0;
}
static int iends(const char *s, size_t len, const char *w) {
    size_t n = strlen(w);
    return n <= len && strncasecmp(s + len - n, w, n) == 0;
}
static int icontains(const char *s, size_t len, const char *w) {
    for (size_t n = strlen(w), i = 0; i + n <= len; i++)
        if (strncasecmp(s + i, w, n) == 0) return 1;
    return 0;
}

/* The last component of the tensor part of a name (before a ":slice" suffix). */
static void leaf(const char *name, const char **s, size_t *len) {
    const char *end = strchr(name, ':');
    if (!end) end = name + strlen(name);
    const char *b = end;
    while (b > name && b[-1] != '.' && b[-1] != '/') b--;
    *s = b;
    *len = (size_t)(end - b);
}

static int leaf_says_bias(const char *name) {
    const char *s;
    size_t n;
    leaf(name, &s, &n);
    return istarts(s, n, "bias") || ieq(s, n, "b") || ieq(s, n, "b_0") || ieq(s, n, "beta") ||
           iends(s, n, "_bias");
}

static int attention_component(const char *s, size_t n) {
    return icontains(s, n, "attn") || icontains(s, n, "attention");
}

static int norm_component(const char *s, size_t n) {
    return icontains(s, n, "norm") || ieq(s, n, "ln") || istarts(s, n, "ln_") ||
           istarts(s, n, "bn") || iends(s, n, "_bn") || icontains(s, n, "_bn_") ||
           ieq(s, n, "gamma") || ieq(s, n, "beta") || istarts(s, n, "moving_") ||
           istarts(s, n, "running_") || ieq(s, n, "num_batches_tracked");
}

static int embedding_component(const char *s, size_t n) {
    return icontains(s, n, "embed") || ieq(s, n, "wte") || ieq(s, n, "wpe") ||
           ieq(s, n, "cls_token") || ieq(s, n, "pos_embed");
}

/* ---- layer numbers ----------------------------------------------------------------------- */

static int all_digits(const char *s, size_t n) {
    if (!n || n > 9) return 0;
    for (size_t i = 0; i < n; i++)
        if (!isdigit((unsigned char)s[i])) return 0;
    return 1;
}

/* Transformers: "<container>.<N>." with container layers / layer / h / blocks / block. */
static void transformer_layer(fti_unit_class *c, const char *name) {
    static const char *const containers[] = {"layers", "layer", "h", "blocks", "block"};
    const char *s = name;
    while (*s) {
        const char *e = s;
        while (*e && !is_sep(*e)) e++;
        const char *d = *e ? e + 1 : e, *de = d;
        while (*de && !is_sep(*de)) de++;
        for (size_t k = 0; *e && k < sizeof containers / sizeof containers[0]; k++) {
            if (ieq(s, (size_t)(e - s), containers[k]) && all_digits(d, (size_t)(de - d)) && *de) {
                c->layer = strtol(d, NULL, 10);
                c->layer_stem = (size_t)(d - name);
                c->layer_prefix = (size_t)(de + 1 - name);
                return;
            }
        }
        s = *e ? e + 1 : e;
    }
}

static int is_token_sep(char c) { return is_sep(c) || c == '_'; }

/* Other families: the digits ending the first token that ends in digits ("features.12",
 * "layer4.1" -> 4, "conv2d_10", "fc2"). The prefix ends after those digits. */
static void generic_layer(fti_unit_class *c, const char *name) {
    for (const char *s = name; *s;) {
        const char *e = s;
        while (*e && !is_token_sep(*e)) e++;
        const char *d = e;
        while (d > s && isdigit((unsigned char)d[-1])) d--;
        if (d < e && e - d <= 9) {
            c->layer = strtol(d, NULL, 10);
            c->layer_stem = (size_t)(d - name);
            c->layer_prefix = (size_t)(e - name);
            return;
        }
        s = *e ? e + 1 : e;
    }
}

void fti_arch_classify(fti_unit_class *out, fti_arch arch, const fti_policy_unit *u) {
    memset(out, 0, sizeof *out);
    out->layer = -1;
    int vector = u->ndim <= 1;
    int named_bias = leaf_says_bias(u->name);
    out->bias = u->role == FTI_ROLE_BIAS || (vector && named_bias);
    out->norm = u->role == FTI_ROLE_NORM || (vector && each_component(u->name, norm_component));
    out->embedding = u->role == FTI_ROLE_EMBEDDING || each_component(u->name, embedding_component);
    out->attention = !vector && !named_bias && !out->embedding &&
                     each_component(u->name, attention_component);
    if (fti_arch_is_transformer(arch)) transformer_layer(out, u->name);
    else generic_layer(out, u->name);
    out->head = out->layer < 0 && !out->embedding;
}
