/* LoRA adapters: classifying the adapter's tensors into factor pairs and extras, validating
 * their shapes, and checking them against a base checkpoint. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "model/lora_internal.h"
#include "util/error.h"

#define PREFIX "base_model.model."

typedef enum { KIND_A, KIND_B, KIND_EMB_A, KIND_EMB_B, KIND_EXTRA } factor_kind;

typedef struct {
    char *module; /* M, or for an extra the base tensor name */
    factor_kind kind;
    const fti_st_tensor *t;
} entry;

typedef struct {
    const fti_st_tensor *t;
    char *base_name;
} extra;

struct fti_lora {
    fti_lora_cfg cfg;
    fti_st_file *file;
    fti_lora_pair *pairs;
    size_t count;
    extra *extras;
    size_t nextras;
};

/* ---- names ---- */

static const char *kind_word[] = {"lora_A", "lora_B", "lora_embedding_A", "lora_embedding_B"};

/* Finds ".<word>" followed by ".weight" / ".<adapter>.weight" (factors) or "" / ".<adapter>"
 * (embedding factors) at the end of name; sets *mod_len to the module's length. */
static int match_factor(const char *name, factor_kind k, size_t *mod_len) {
    size_t wl = strlen(kind_word[k]);
    int emb = k == KIND_EMB_A || k == KIND_EMB_B;
    for (const char *p = strstr(name, kind_word[k]); p; p = strstr(p + 1, kind_word[k])) {
        if (p == name || p[-1] != '.' || (p[wl] != 0 && p[wl] != '.')) continue;
        const char *tail = p + wl, *dot; /* "" or ".x" or ".x.y" */
        int ok;
        if (emb) ok = *tail == 0 || (tail[1] && !strchr(tail + 1, '.'));
        else ok = strcmp(tail, ".weight") == 0 ||
                  (tail[0] == '.' && (dot = strchr(tail + 1, '.')) && dot > tail + 1 && strcmp(dot, ".weight") == 0);
        if (ok) {
            *mod_len = (size_t)(p - 1 - name);
            return 1;
        }
    }
    return 0;
}

/* name without "modules_to_save.<adapter>." (a PEFT wrapper around fully trained modules). */
static char *strip_wrapper(const char *name) {
    char *s = strdup(name), *p;
    if (s && (p = strstr(s, "modules_to_save.")) && (p == s || p[-1] == '.')) {
        char *adapter_end = strchr(p + strlen("modules_to_save."), '.');
        if (adapter_end) memmove(p, adapter_end + 1, strlen(adapter_end + 1) + 1);
    }
    return s;
}

static fti_status classify(entry *e, const fti_st_tensor *t) {
    const char *name = strncmp(t->name, PREFIX, strlen(PREFIX)) == 0 ? t->name + strlen(PREFIX) : t->name;
    char q[200];
    e->t = t;
    if (strstr(name, "lora_magnitude_vector"))
        return fti_fail(FTI_ERR_UNSUPPORTED, "%s: tensor %s is a DoRA magnitude; DoRA adapters are not supported",
                        t->path, fti_st_quote(q, sizeof q, t->name));
    for (factor_kind k = KIND_A; k < KIND_EXTRA; k++) {
        size_t n;
        if (!match_factor(name, k, &n)) continue;
        e->kind = k;
        e->module = strndup(name, n);
        return e->module ? FTI_OK : fti_fail(FTI_ERR_NOMEM, "%s: out of memory", t->path);
    }
    if (strstr(name, ".lora_"))
        return fti_fail(FTI_ERR_UNSUPPORTED, "%s: tensor %s is a LoRA tensor of a kind fti does not know", t->path,
                        fti_st_quote(q, sizeof q, t->name));
    e->kind = KIND_EXTRA;
    e->module = strip_wrapper(name);
    return e->module ? FTI_OK : fti_fail(FTI_ERR_NOMEM, "%s: out of memory", t->path);
}

static int by_module(const void *a, const void *b) {
    const entry *x = a, *y = b;
    int c = strcmp(x->module, y->module);
    return c ? c : (int)x->kind - (int)y->kind;
}

/* ---- pairs ---- */

static fti_status check_shapes(const fti_lora_pair *p, const char *path) {
    const fti_st_tensor *a = p->a, *b = p->b;
    char q[200];
    fti_st_quote(q, sizeof q, p->module);
    if (a->ndim < 2 || b->ndim < 2 || (p->embedding && (a->ndim != 2 || b->ndim != 2)))
        return fti_fail(FTI_ERR_FORMAT, "%s: module %s: LoRA factors must be matrices (A has %u dimensions, B %u)",
                        path, q, a->ndim, b->ndim);
    if (a->shape[0] == 0 || a->shape[0] > (1u << 24) || b->shape[1] != a->shape[0])
        return fti_fail(FTI_ERR_FORMAT, "%s: module %s: A has %llu rows but B has %llu columns", path, q,
                        (unsigned long long)a->shape[0], (unsigned long long)b->shape[1]);
    for (unsigned i = 2; i < b->ndim; i++)
        if (b->shape[i] != 1)
            return fti_fail(FTI_ERR_FORMAT, "%s: module %s: B's dimension %u is %llu, not 1", path, q, i,
                            (unsigned long long)b->shape[i]);
    return FTI_OK;
}

static fti_status make_pair(fti_lora *l, fti_lora_pair *p, const entry *ea, const entry *eb) {
    const char *path = fti_st_path(l->file);
    char q[200];
    p->module = ea->module;
    p->a = ea->t;
    p->b = eb->t;
    p->embedding = ea->kind == KIND_EMB_A;
    fti_status st = fti_st_require_committable(p->a);
    if (st == FTI_OK) st = fti_st_require_committable(p->b);
    if (st == FTI_OK) st = check_shapes(p, path);
    if (st == FTI_OK) st = fti_lora_cfg_targets(&l->cfg, p->module, path);
    if (st != FTI_OK) return st;
    unsigned r;
    fti_lora_cfg_for(&l->cfg, p->module, &r, &p->alpha);
    p->rank = (unsigned)p->a->shape[0];
    if (p->rank != r)
        return fti_fail(FTI_ERR_FORMAT, "%s: module %s: factors have rank %u but adapter_config.json says r = %u", path,
                        fti_st_quote(q, sizeof q, p->module), p->rank, r);
    p->in = p->a->numel / p->rank;
    p->out = p->b->shape[0];
    p->scale = l->cfg.pub.use_rslora ? p->alpha / sqrt((double)p->rank) : p->alpha / (double)p->rank;
    p->transpose = p->embedding || l->cfg.pub.fan_in_fan_out;
    size_t n = strlen(p->module);
    char *bn = malloc(n + sizeof ".weight");
    if (!bn) return fti_fail(FTI_ERR_NOMEM, "%s: out of memory", path);
    memcpy(bn, p->module, n);
    memcpy(bn + n, ".weight", sizeof ".weight");
    p->base_name = bn;
    return FTI_OK;
}

/* A run of entries of one module: exactly {A, B} or {EMB_A, EMB_B}. */
static fti_status take_group(fti_lora *l, const entry *e, size_t n) {
    const char *path = fti_st_path(l->file);
    char q[200];
    fti_st_quote(q, sizeof q, e[0].module);
    for (size_t i = 1; i < n; i++)
        if (e[i].kind == e[i - 1].kind)
            return fti_fail(FTI_ERR_FORMAT, "%s: module %s has two %s tensors (one adapter per file)", path, q,
                            kind_word[e[i].kind]);
    int plain = n == 2 && e[0].kind == KIND_A && e[1].kind == KIND_B;
    int emb = n == 2 && e[0].kind == KIND_EMB_A && e[1].kind == KIND_EMB_B;
    if (!plain && !emb) {
        factor_kind have = e[0].kind, want = have == KIND_A ? KIND_B : have == KIND_B ? KIND_A
                                             : have == KIND_EMB_A ? KIND_EMB_B : KIND_EMB_A;
        return fti_fail(FTI_ERR_FORMAT, "%s: module %s has %s but no matching %s", path, q, kind_word[have],
                        n == 1 ? kind_word[want] : "pair");
    }
    fti_status st = make_pair(l, &l->pairs[l->count], &e[0], &e[1]);
    if (st == FTI_OK) l->count++; /* the pair now owns e[0].module */
    return st;
}

static fti_status build(fti_lora *l, entry *e, size_t n) {
    fti_status st = FTI_OK;
    qsort(e, n, sizeof *e, by_module);
    l->pairs = calloc(n ? n : 1, sizeof *l->pairs);
    l->extras = calloc(n ? n : 1, sizeof *l->extras);
    if (!l->pairs || !l->extras) return fti_fail(FTI_ERR_NOMEM, "%s: out of memory", fti_st_path(l->file));
    for (size_t i = 0; i < n && st == FTI_OK;) {
        size_t j = i + 1;
        if (e[i].kind == KIND_EXTRA) {
            l->extras[l->nextras].t = e[i].t;
            l->extras[l->nextras++].base_name = e[i].module;
            e[i].module = NULL;
            i = j;
            continue;
        }
        while (j < n && e[j].kind != KIND_EXTRA && strcmp(e[j].module, e[i].module) == 0) j++;
        st = take_group(l, e + i, j - i);
        if (st == FTI_OK) e[i].module = NULL; /* owned by the pair; the rest are freed by the caller */
        i = j;
    }
    return st;
}

/* ---- opening ---- */

static fti_status adapter_paths(char **cfg, char **st, const char *path) {
    struct stat sb;
    if (stat(path, &sb) != 0) return fti_fail(FTI_ERR_IO, "%s: cannot open adapter", path);
    size_t n;
    if (S_ISDIR(sb.st_mode)) {
        n = strlen(path);
    } else {
        const char *slash = strrchr(path, '/');
        n = slash ? (size_t)(slash - path) : 0;
    }
    const char *dir = n ? path : ".";
    if (!n) n = 1;
    *cfg = malloc(n + 32);
    *st = malloc(n + 32);
    if (!*cfg || !*st) return fti_fail(FTI_ERR_NOMEM, "%s: out of memory", path);
    snprintf(*cfg, n + 32, "%.*s/adapter_config.json", (int)n, dir);
    snprintf(*st, n + 32, "%.*s/adapter_model.safetensors", (int)n, dir);
    return FTI_OK;
}

static fti_status load_tensors(fti_lora *l) {
    size_t n = fti_st_count(l->file);
    entry *e = calloc(n ? n : 1, sizeof *e);
    fti_status st = e ? FTI_OK : fti_fail(FTI_ERR_NOMEM, "%s: out of memory", fti_st_path(l->file));
    for (size_t i = 0; st == FTI_OK && i < n; i++) st = classify(&e[i], fti_st_tensor_at(l->file, i));
    if (st == FTI_OK) st = build(l, e, n);
    for (size_t i = 0; e && i < n; i++) free(e[i].module);
    free(e);
    return st;
}

static int pair_by_base(const void *a, const void *b) {
    return strcmp(((const fti_lora_pair *)a)->base_name, ((const fti_lora_pair *)b)->base_name);
}

static int extra_by_base(const void *a, const void *b) {
    return strcmp(((const extra *)a)->base_name, ((const extra *)b)->base_name);
}

fti_status fti_lora_open(fti_lora **out, const char *path) {
    *out = NULL;
    char *cfg_path = NULL, *st_path = NULL;
    fti_lora *l = calloc(1, sizeof *l);
    fti_status st = l ? adapter_paths(&cfg_path, &st_path, path) : fti_fail(FTI_ERR_NOMEM, "%s: out of memory", path);
    if (st == FTI_OK) st = fti_lora_cfg_load(&l->cfg, cfg_path);
    if (st == FTI_OK) st = fti_st_open(&l->file, st_path);
    if (st == FTI_OK) st = load_tensors(l);
    if (st == FTI_OK) {
        qsort(l->pairs, l->count, sizeof *l->pairs, pair_by_base);
        qsort(l->extras, l->nextras, sizeof *l->extras, extra_by_base);
        *out = l;
    } else {
        fti_lora_close(l);
    }
    free(cfg_path);
    free(st_path);
    return st;
}

void fti_lora_close(fti_lora *l) {
    if (!l) return;
    for (size_t i = 0; i < l->count; i++) {
        free((char *)l->pairs[i].module);
        free((char *)l->pairs[i].base_name);
    }
    for (size_t i = 0; i < l->nextras; i++) free(l->extras[i].base_name);
    free(l->pairs);
    free(l->extras);
    fti_st_close(l->file);
    fti_lora_cfg_free(&l->cfg);
    free(l);
}

const fti_lora_config *fti_lora_get_config(const fti_lora *l) { return &l->cfg.pub; }
const fti_st_file *fti_lora_file(const fti_lora *l) { return l->file; }
size_t fti_lora_count(const fti_lora *l) { return l->count; }
size_t fti_lora_extra_count(const fti_lora *l) { return l->nextras; }

const fti_lora_pair *fti_lora_pair_at(const fti_lora *l, size_t i) {
    FTI_VERIFY_CHECK(i < l->count);
    return &l->pairs[i];
}

const fti_lora_pair *fti_lora_find(const fti_lora *l, const char *base_name) {
    for (size_t i = 0; i < l->count; i++)
        if (strcmp(l->pairs[i].base_name, base_name) == 0) return &l->pairs[i];
    return NULL;
}

const fti_st_tensor *fti_lora_extra(const fti_lora *l, size_t i, const char **base_name) {
    FTI_VERIFY_CHECK(i < l->nextras);
    if (base_name) *base_name = l->extras[i].base_name;
    return l->extras[i].t;
}

/* ---- against the base ---- */

static void shape_str(char *out, size_t cap, const uint64_t *shape, unsigned nd) {
    size_t o = 0;
    o += (size_t)snprintf(out + o, cap - o, "[");
    for (unsigned i = 0; i < nd && o < cap; i++)
        o += (size_t)snprintf(out + o, cap - o, "%s%llu", i ? ", " : "", (unsigned long long)shape[i]);
    if (o < cap) snprintf(out + o, cap - o, "]");
}

static int base_shape_ok(const fti_lora_pair *p, const fti_st_tensor *w) {
    if (p->transpose) return w->ndim == 2 && p->a->ndim == 2 && w->shape[0] == p->in && w->shape[1] == p->out;
    if (w->ndim != p->a->ndim || w->shape[0] != p->out) return 0;
    for (unsigned i = 1; i < w->ndim; i++)
        if (w->shape[i] != p->a->shape[i]) return 0;
    return 1;
}

fti_status fti_lora_check_base(const fti_lora *l, const fti_ckpt *base) {
    char q[200], ws[160], as[160], bs[160];
    for (size_t i = 0; i < l->count; i++) {
        const fti_lora_pair *p = &l->pairs[i];
        const fti_st_tensor *w = fti_ckpt_find(base, p->base_name);
        fti_st_quote(q, sizeof q, p->base_name);
        if (!w)
            return fti_fail(FTI_ERR_MISMATCH, "%s: adapter targets %s, which %s does not have", fti_st_path(l->file),
                            q, fti_ckpt_path(base));
        fti_status st = fti_st_require_committable(w);
        if (st != FTI_OK) return st;
        if (!base_shape_ok(p, w)) {
            shape_str(ws, sizeof ws, w->shape, w->ndim);
            shape_str(as, sizeof as, p->a->shape, p->a->ndim);
            shape_str(bs, sizeof bs, p->b->shape, p->b->ndim);
            return fti_fail(FTI_ERR_MISMATCH, "%s: base tensor %s has shape %s, which LoRA factors A %s, B %s%s do not fit",
                            fti_st_path(l->file), q, ws, as, bs, p->transpose ? " (transposed)" : "");
        }
    }
    return FTI_OK;
}
