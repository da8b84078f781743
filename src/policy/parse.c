/* Policy JSON -> fti_policy (format in docs/policy.md). Strict: every key is known, every
 * value has the documented type and range, duplicate keys are rejected. */
#include <errno.h>
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy/policy_internal.h"
#include "util/error.h"

#define MAX_POLICY_BYTES (16u << 20)

static const char *const TOP_KEYS[] = {"fti_policy", "description", "rules", "global", NULL};
static const char *const RULE_KEYS[] = {"match", "description", "frozen", "sparse", "rank", "norm",
                                        NULL};
static const char *const GLOBAL_KEYS[] = {"max_changed_tensors", "total_norm", NULL};
static const char *const GROUP_KEYS[] = {"match", "description", "tau", "rho", NULL};

/* The first key of obj not in allowed, or NULL. */
static const char *unknown_key(json_t *obj, const char *const *allowed) {
    const char *key;
    json_t *v;
    json_object_foreach(obj, key, v) {
        const char *const *a = allowed;
        while (*a && strcmp(*a, key) != 0) a++;
        if (!*a) return key;
    }
    return NULL;
}

/* "a, b, c" from a NULL-terminated list. */
static const char *key_list(char *buf, size_t len, const char *const *keys) {
    size_t used = 0;
    buf[0] = 0;
    for (const char *const *k = keys; *k && used < len; k++) {
        int n = snprintf(buf + used, len - used, "%s%s", k == keys ? "" : ", ", *k);
        if (n < 0) break;
        used += (size_t)n;
    }
    return buf;
}

/* 1 if v is a finite number >= 0 (integer or real), stored in *out. */
static int get_bound_value(json_t *v, double *out) {
    if (!json_is_number(v)) return 0;
    *out = json_number_value(v);
    return isfinite(*out) && *out >= 0;
}

/* 1 if v is a JSON integer >= min, stored in *out. */
static int get_count(json_t *v, long long min, uint64_t *out) {
    if (!json_is_integer(v) || json_integer_value(v) < min) return 0;
    *out = (uint64_t)json_integer_value(v);
    return 1;
}

/* The "tau" (absolute) or "rho" (relative) member of obj, exactly one -> bound. */
static const char *get_tau_rho(json_t *obj, fti_bound *b) {
    json_t *tau = json_object_get(obj, "tau"), *rho = json_object_get(obj, "rho");
    if (!tau == !rho) return "needs exactly one of \"tau\" (absolute) or \"rho\" (relative)";
    b->mode = tau ? FTI_BOUND_ABS : FTI_BOUND_REL;
    if (!get_bound_value(tau ? tau : rho, &b->value))
        return tau ? "\"tau\" must be a finite number >= 0" : "\"rho\" must be a finite number >= 0";
    return NULL;
}

/* The parts of one rule being parsed: its position and name for messages. */
typedef struct {
    fti_policy *p;
    size_t i;
    const char *match;
} rule_ctx;

#define RULE_FAIL(c, ...) fti_policy_rule_fail((c)->p, (c)->i, (c)->match, __VA_ARGS__)

static fti_status parse_residual(const rule_ctx *c, json_t *v, fti_bound *res) {
    static const char shape[] = "rank.residual must be \"none\", {\"frobenius\": {\"absolute\": TAU}} "
                                "or {\"frobenius\": {\"relative\": RHO}}";
    res->mode = FTI_BOUND_NONE;
    res->value = 0;
    if (!v || (json_is_string(v) && strcmp(json_string_value(v), "none") == 0)) return FTI_OK;
    static const char *const RES_KEYS[] = {"frobenius", NULL};
    static const char *const FRO_KEYS[] = {"absolute", "relative", NULL};
    json_t *fro = json_is_object(v) ? json_object_get(v, "frobenius") : NULL;
    if (!fro || unknown_key(v, RES_KEYS) || !json_is_object(fro) || unknown_key(fro, FRO_KEYS) ||
        json_object_size(fro) != 1)
        return RULE_FAIL(c, "%s", shape);
    json_t *abs = json_object_get(fro, "absolute");
    res->mode = abs ? FTI_BOUND_ABS : FTI_BOUND_REL;
    if (!get_bound_value(abs ? abs : json_object_get(fro, "relative"), &res->value))
        return RULE_FAIL(c, "rank.residual.frobenius.%s must be a finite number >= 0",
                         abs ? "absolute" : "relative");
    return FTI_OK;
}

/* Checks that class `name` holds an object whose keys are all in `keys`. */
static fti_status class_object(const rule_ctx *c, const char *name, json_t *v,
                               const char *const *keys) {
    char list[128];
    if (!json_is_object(v)) return RULE_FAIL(c, "\"%s\" must be an object", name);
    const char *bad = unknown_key(v, keys);
    if (bad && keys[0])
        return RULE_FAIL(c, "%s: unknown key \"%s\" (expected %s)", name, bad,
                         key_list(list, sizeof list, keys));
    if (bad) return RULE_FAIL(c, "%s takes no parameters: write \"%s\": {}", name, name);
    return FTI_OK;
}

static fti_status parse_classes(const rule_ctx *c, json_t *rule, fti_requirement *q) {
    static const char *const NO_KEYS[] = {NULL};
    static const char *const SPARSE_KEYS[] = {"k", NULL};
    static const char *const RANK_KEYS[] = {"r", "residual", NULL};
    static const char *const NORM_KEYS[] = {"tau", "rho", NULL};
    json_t *v;
    fti_status st;
    *q = fti_requirement_frozen();
    q->flags = 0;
    if ((v = json_object_get(rule, "frozen"))) {
        if ((st = class_object(c, "frozen", v, NO_KEYS))) return st;
        q->flags |= FTI_REQ_FROZEN;
    }
    if ((v = json_object_get(rule, "sparse"))) {
        if ((st = class_object(c, "sparse", v, SPARSE_KEYS))) return st;
        json_t *k = json_object_get(v, "k");
        if (!k) return RULE_FAIL(c, "sparse needs \"k\"");
        if (!get_count(k, 0, &q->k)) return RULE_FAIL(c, "sparse.k must be an integer >= 0");
        q->flags |= FTI_REQ_SPARSE;
    }
    if ((v = json_object_get(rule, "rank"))) {
        if ((st = class_object(c, "rank", v, RANK_KEYS))) return st;
        json_t *r = json_object_get(v, "r");
        if (!r) return RULE_FAIL(c, "rank needs \"r\"");
        if (!get_count(r, 1, &q->r)) return RULE_FAIL(c, "rank.r must be an integer >= 1");
        if ((st = parse_residual(c, json_object_get(v, "residual"), &q->residual))) return st;
        q->flags |= FTI_REQ_RANK;
    }
    if ((v = json_object_get(rule, "norm"))) {
        if ((st = class_object(c, "norm", v, NORM_KEYS))) return st;
        const char *problem = get_tau_rho(v, &q->norm);
        if (problem) return RULE_FAIL(c, "norm %s", problem);
        q->flags |= FTI_REQ_NORM;
    }
    return FTI_OK;
}

/* A description is optional, and a string when present. */
static const char *get_description(json_t *obj, const char **out) {
    json_t *d = json_object_get(obj, "description");
    *out = NULL;
    if (!d) return NULL;
    if (!json_is_string(d)) return "\"description\" must be a string";
    *out = json_string_value(d);
    return NULL;
}

static fti_status parse_rule(fti_policy *p, size_t i, json_t *rule) {
    rule_ctx c = {p, i, NULL};
    char list[128];
    if (!json_is_object(rule)) return RULE_FAIL(&c, "must be an object");
    json_t *m = json_object_get(rule, "match");
    if (!m) return RULE_FAIL(&c, "no \"match\" (every rule names the tensors it applies to)");
    if (!json_is_string(m) || !json_string_value(m)[0])
        return RULE_FAIL(&c, "\"match\" must be a nonempty string");
    c.match = json_string_value(m);
    const char *bad = unknown_key(rule, RULE_KEYS), *desc;
    if (bad)
        return RULE_FAIL(&c, "unknown key \"%s\" (expected %s)", bad,
                         key_list(list, sizeof list, RULE_KEYS));
    const char *problem = get_description(rule, &desc);
    if (problem) return RULE_FAIL(&c, "%s", problem);
    fti_requirement q;
    fti_status st = parse_classes(&c, rule, &q);
    if (st) return st;
    return fti_policy_add_rule(p, c.match, &q, desc);
}

static fti_status parse_group(fti_policy *p, size_t i, json_t *g) {
    char list[128];
    if (!json_is_object(g)) return fti_policy_group_fail(p, i, NULL, "must be an object");
    json_t *m = json_object_get(g, "match");
    if (!m || !json_is_string(m) || !json_string_value(m)[0])
        return fti_policy_group_fail(p, i, NULL, "needs \"match\", a nonempty string");
    const char *match = json_string_value(m), *desc;
    const char *bad = unknown_key(g, GROUP_KEYS);
    if (bad)
        return fti_policy_group_fail(p, i, match, "unknown key \"%s\" (expected %s)", bad,
                                     key_list(list, sizeof list, GROUP_KEYS));
    const char *problem = get_description(g, &desc);
    fti_bound b;
    if (!problem) problem = get_tau_rho(g, &b);
    if (problem) return fti_policy_group_fail(p, i, match, "%s", problem);
    return fti_policy_add_group(p, match, &b, desc);
}

static fti_status parse_global(fti_policy *p, json_t *g) {
    char list[128];
    if (!json_is_object(g)) return fti_fail(FTI_ERR_POLICY, "%s: \"global\" must be an object", p->source);
    const char *bad = unknown_key(g, GLOBAL_KEYS);
    if (bad)
        return fti_fail(FTI_ERR_POLICY, "%s: global: unknown key \"%s\" (expected %s)", p->source, bad,
                        key_list(list, sizeof list, GLOBAL_KEYS));
    json_t *mc = json_object_get(g, "max_changed_tensors");
    uint64_t n;
    if (mc && !json_is_null(mc)) {
        if (!get_count(mc, 0, &n))
            return fti_fail(FTI_ERR_POLICY, "%s: global.max_changed_tensors must be an integer >= 0",
                            p->source);
        fti_policy_set_max_changed(p, (int64_t)n);
    }
    json_t *tn = json_object_get(g, "total_norm");
    if (!tn) return FTI_OK;
    if (!json_is_array(tn))
        return fti_fail(FTI_ERR_POLICY, "%s: global.total_norm must be an array", p->source);
    for (size_t i = 0; i < json_array_size(tn); i++) {
        fti_status st = parse_group(p, i, json_array_get(tn, i));
        if (st) return st;
    }
    return FTI_OK;
}

static fti_status parse_root(fti_policy *p, json_t *root) {
    char list[128];
    const char *src = p->source;
    if (!json_is_object(root)) return fti_fail(FTI_ERR_POLICY, "%s: a policy is a JSON object", src);
    json_t *ver = json_object_get(root, "fti_policy");
    if (!ver) return fti_fail(FTI_ERR_POLICY, "%s: not an fti policy (no \"fti_policy\" version)", src);
    if (!json_is_integer(ver) || json_integer_value(ver) != FTI_POLICY_VERSION)
        return fti_fail(FTI_ERR_POLICY, "%s: unsupported policy version (\"fti_policy\" must be %d)",
                        src, FTI_POLICY_VERSION);
    const char *bad = unknown_key(root, TOP_KEYS), *desc;
    if (bad)
        return fti_fail(FTI_ERR_POLICY, "%s: unknown key \"%s\" (expected %s)", src, bad,
                        key_list(list, sizeof list, TOP_KEYS));
    if (get_description(root, &desc)) return fti_fail(FTI_ERR_POLICY, "%s: \"description\" must be a string", src);
    fti_status st = fti_policy_set_description(p, desc);
    if (st) return st;
    json_t *rules = json_object_get(root, "rules");
    if (!rules || !json_is_array(rules))
        return fti_fail(FTI_ERR_POLICY, "%s: \"rules\" must be an array (it may be empty)", src);
    for (size_t i = 0; i < json_array_size(rules); i++)
        if ((st = parse_rule(p, i, json_array_get(rules, i)))) return st;
    json_t *g = json_object_get(root, "global");
    return g ? parse_global(p, g) : FTI_OK;
}

/* Index of the element of the top-level "rules" array containing byte offset pos, or -1.
 * A scanner that only tracks strings, nesting, and the key read last at depth 1 (which names
 * the value opened next at that depth). */
static long rule_at(const char *data, size_t len, size_t pos) {
    int depth = 0, in_rules = 0;
    long rule = -1;
    const char *key = "";
    size_t key_len = 0;
    for (size_t i = 0; i < pos && i < len; i++) {
        char ch = data[i];
        if (ch == '"') {
            size_t j = i + 1;
            while (j < len && data[j] != '"') j += data[j] == '\\' ? 2 : 1;
            if (depth == 1) key = data + i + 1, key_len = j - i - 1;
            i = j;
        } else if (ch == '{' || ch == '[') {
            depth++;
            if (depth == 2 && ch == '[' && key_len == 5 && memcmp(key, "rules", 5) == 0) in_rules = 1;
            if (depth == 3 && in_rules) rule++;
        } else if (ch == '}' || ch == ']') {
            if (depth == 2) in_rules = 0;
            depth--;
        }
    }
    return in_rules ? rule : -1;
}

/* The message for a document jansson rejected: a duplicate key inside a rule names the rule. */
static fti_status json_problem(const fti_policy *p, const char *data, size_t len,
                               const json_error_t *err) {
    long rule = -1;
    if (json_error_code(err) == json_error_duplicate_key && err->position > 0)
        rule = rule_at(data, len, (size_t)err->position);
    if (rule < 0)
        return fti_fail(FTI_ERR_POLICY, "%s: not a valid policy: %s (line %d, column %d)",
                        p->source, err->text, err->line, err->column);
    json_t *loose = json_loadb(data, len, 0, NULL);
    json_t *m = json_object_get(json_array_get(json_object_get(loose, "rules"), (size_t)rule), "match");
    fti_status st = fti_policy_rule_fail(p, (size_t)rule, json_is_string(m) ? json_string_value(m) : NULL,
                                         "%s (a class or parameter may appear once; line %d)",
                                         err->text, err->line);
    json_decref(loose);
    return st;
}

fti_status fti_policy_parse(fti_policy **out, const char *data, size_t len, const char *source) {
    fti_policy *p = NULL;
    json_t *root = NULL;
    json_error_t err;
    *out = NULL;
    fti_status st = fti_policy_new(&p, source);
    if (st) goto out;
    root = json_loadb(data, len, JSON_REJECT_DUPLICATES, &err);
    st = root ? parse_root(p, root) : json_problem(p, data, len, &err);
out:
    json_decref(root);
    if (st) fti_policy_free(p);
    else *out = p;
    return st;
}

fti_status fti_policy_load(fti_policy **out, const char *path) {
    char *buf = NULL;
    size_t n = 0;
    fti_status st = FTI_OK;
    *out = NULL;
    FILE *f = fopen(path, "rb");
    if (!f) return fti_fail(FTI_ERR_IO, "%s: %s", path, strerror(errno));
    buf = malloc(MAX_POLICY_BYTES + 1);
    if (!buf) {
        st = fti_fail(FTI_ERR_NOMEM, "%s: out of memory", path);
        goto out;
    }
    n = fread(buf, 1, MAX_POLICY_BYTES + 1, f);
    if (ferror(f)) st = fti_fail(FTI_ERR_IO, "%s: read error", path);
    else if (n > MAX_POLICY_BYTES) st = fti_fail(FTI_ERR_POLICY, "%s: larger than 16 MiB", path);
    else st = fti_policy_parse(out, buf, n, path);
out:
    free(buf);
    fclose(f);
    return st;
}
