/* fti_policy -> JSON: the canonical form (hashed) and the readable form (written by
 * `fti policy init`). One builder serves both; `canon` selects explicit defaults and drops
 * descriptions. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy/policy_internal.h"
#include "util/error.h"

/* Sets obj[key] = v (stealing v); clears *ok when v is NULL or the set fails. */
static void put(json_t *obj, const char *key, json_t *v, int *ok) {
    if (json_object_set_new(obj, key, v) != 0) *ok = 0;
}

static void put_description(json_t *obj, const char *d, int canon, int *ok) {
    if (d && !canon) put(obj, "description", json_string(d), ok);
}

/* {"tau": x} or {"rho": x}, merged into obj. */
static void put_tau_rho(json_t *obj, const fti_bound *b, int *ok) {
    put(obj, b->mode == FTI_BOUND_ABS ? "tau" : "rho", json_real(b->value), ok);
}

static json_t *residual_json(const fti_bound *b, int *ok) {
    if (b->mode == FTI_BOUND_NONE) return json_string("none");
    json_t *fro = json_object(), *res = json_object();
    if (fro) put(fro, b->mode == FTI_BOUND_ABS ? "absolute" : "relative", json_real(b->value), ok);
    if (res) put(res, "frobenius", fro, ok);
    else json_decref(fro);
    return res;
}

static void put_classes(json_t *obj, const fti_requirement *q, int canon, int *ok) {
    if (q->flags & FTI_REQ_FROZEN) put(obj, "frozen", json_object(), ok);
    if (q->flags & FTI_REQ_SPARSE) {
        json_t *s = json_object();
        if (s) put(s, "k", json_integer((json_int_t)q->k), ok);
        put(obj, "sparse", s, ok);
    }
    if (q->flags & FTI_REQ_RANK) {
        json_t *r = json_object();
        if (r) {
            put(r, "r", json_integer((json_int_t)q->r), ok);
            if (canon || q->residual.mode != FTI_BOUND_NONE)
                put(r, "residual", residual_json(&q->residual, ok), ok);
        }
        put(obj, "rank", r, ok);
    }
    if (q->flags & FTI_REQ_NORM) {
        json_t *n = json_object();
        if (n) put_tau_rho(n, &q->norm, ok);
        put(obj, "norm", n, ok);
    }
}

static json_t *rules_json(const fti_policy *p, int canon, int *ok) {
    json_t *arr = json_array();
    for (size_t i = 0; arr && i < p->n_rules; i++) {
        json_t *r = json_object();
        if (!r) break;
        put(r, "match", json_string(p->rules[i].match), ok);
        put_description(r, p->rules[i].description, canon, ok);
        put_classes(r, &p->rules[i].req, canon, ok);
        if (json_array_append_new(arr, r) != 0) *ok = 0;
    }
    return arr;
}

static json_t *global_json(const fti_policy *p, int canon, int *ok) {
    json_t *g = json_object(), *groups = json_array();
    for (size_t i = 0; groups && i < p->n_groups; i++) {
        json_t *o = json_object();
        if (!o) break;
        put(o, "match", json_string(p->groups[i].match), ok);
        put_description(o, p->groups[i].description, canon, ok);
        put_tau_rho(o, &p->groups[i].bound, ok);
        if (json_array_append_new(groups, o) != 0) *ok = 0;
    }
    if (!g) {
        json_decref(groups);
        return NULL;
    }
    if (p->max_changed_tensors >= 0)
        put(g, "max_changed_tensors", json_integer((json_int_t)p->max_changed_tensors), ok);
    else if (canon)
        put(g, "max_changed_tensors", json_null(), ok);
    if (canon || p->n_groups) put(g, "total_norm", groups, ok);
    else json_decref(groups);
    return g;
}

/* The policy as a JSON value, or NULL when out of memory. */
static json_t *policy_json(const fti_policy *p, int canon) {
    int ok = 1;
    json_t *root = json_object();
    if (!root) return NULL;
    put(root, "fti_policy", json_integer(FTI_POLICY_VERSION), &ok);
    put_description(root, p->description, canon, &ok);
    put(root, "rules", rules_json(p, canon, &ok), &ok);
    if (canon || p->max_changed_tensors >= 0 || p->n_groups)
        put(root, "global", global_json(p, canon, &ok), &ok);
    if (!ok) {
        json_decref(root);
        return NULL;
    }
    return root;
}

/* The fewest significant digits (<= 17) with which v reads back exactly. */
static int digits_for(double v) {
    char buf[40];
    int d = 1;
    for (; d < 17; d++) {
        snprintf(buf, sizeof buf, "%.*g", d, v);
        if (strtod(buf, NULL) == v) break;
    }
    return d;
}

static int max_int(int a, int b) { return a > b ? a : b; }

/* The fewest significant digits with which every bound of p reads back exactly. */
static int real_digits(const fti_policy *p) {
    int d = 1;
    for (size_t i = 0; i < p->n_rules; i++)
        d = max_int(d, max_int(digits_for(p->rules[i].req.norm.value),
                               digits_for(p->rules[i].req.residual.value)));
    for (size_t i = 0; i < p->n_groups; i++) d = max_int(d, digits_for(p->groups[i].bound.value));
    return d;
}

static fti_status dump(char **out, size_t *len, const fti_policy *p, int canon) {
    *out = NULL;
    json_t *root = policy_json(p, canon);
    if (!root) return fti_fail(FTI_ERR_NOMEM, "%s: out of memory", p->source);
    size_t flags = canon ? JSON_COMPACT | JSON_SORT_KEYS | JSON_ENSURE_ASCII | JSON_REAL_PRECISION(17)
                         : JSON_INDENT(2) | JSON_REAL_PRECISION(real_digits(p));
    char *s = json_dumps(root, flags);
    json_decref(root);
    if (!s) return fti_fail(FTI_ERR_NOMEM, "%s: out of memory", p->source);
    *len = strlen(s);
    if (!canon) { /* end with a newline, as a text file does */
        char *t = realloc(s, *len + 2);
        if (!t) {
            free(s);
            return fti_fail(FTI_ERR_NOMEM, "%s: out of memory", p->source);
        }
        s = t;
        s[(*len)++] = '\n';
        s[*len] = 0;
    }
    *out = s;
    return FTI_OK;
}

fti_status fti_policy_canonical(char **out, size_t *len, const fti_policy *p) {
    return dump(out, len, p, 1);
}

fti_status fti_policy_to_json(char **out, const fti_policy *p) {
    size_t len;
    return dump(out, &len, p, 0);
}

fti_status fti_policy_hash(fti_digest *out, const fti_policy *p) {
    char *s;
    size_t len;
    fti_status st = fti_policy_canonical(&s, &len, p);
    if (st) return st;
    fti_sha256(out, s, len);
    free(s);
    return FTI_OK;
}
