/* Policy objects: construction, validation shared with the parser, descriptions. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy/policy_internal.h"
#include "util/error.h"

/* "<source>: <head><i><tail> (<match>): <problem>" */
static fti_status vfail(const fti_policy *p, const char *head, const char *tail, size_t i,
                        const char *match, const char *fmt, va_list ap)
    __attribute__((format(printf, 6, 0)));
static fti_status vfail(const fti_policy *p, const char *head, const char *tail, size_t i,
                        const char *match, const char *fmt, va_list ap) {
    char problem[512];
    vsnprintf(problem, sizeof problem, fmt, ap);
    const char *src = p && p->source ? p->source : "policy";
    if (match)
        return fti_fail(FTI_ERR_POLICY, "%s: %s%zu%s (%s): %s", src, head, i, tail, match, problem);
    return fti_fail(FTI_ERR_POLICY, "%s: %s%zu%s: %s", src, head, i, tail, problem);
}

fti_status fti_policy_rule_fail(const fti_policy *p, size_t i, const char *match, const char *fmt,
                                ...) {
    va_list ap;
    va_start(ap, fmt);
    fti_status st = vfail(p, "rule ", "", i, match, fmt, ap);
    va_end(ap);
    return st;
}

fti_status fti_policy_group_fail(const fti_policy *p, size_t i, const char *match, const char *fmt,
                                 ...) {
    va_list ap;
    va_start(ap, fmt);
    fti_status st = vfail(p, "global.total_norm[", "]", i, match, fmt, ap);
    va_end(ap);
    return st;
}

const char *fti_bound_problem(const fti_bound *b, int allow_none) {
    switch (b->mode) {
    case FTI_BOUND_NONE: return allow_none ? NULL : "a bound is required";
    case FTI_BOUND_ABS:
    case FTI_BOUND_REL:
        return isfinite(b->value) && b->value >= 0 ? NULL : "a bound must be a finite number >= 0";
    }
    return "unknown bound mode";
}

const char *fti_requirement_problem(const fti_requirement *q) {
    const unsigned classes = FTI_REQ_SPARSE | FTI_REQ_RANK | FTI_REQ_NORM;
    if (q->flags & ~(classes | FTI_REQ_FROZEN)) return "unknown constraint class";
    if (!q->flags) return "no constraint (give one of frozen, sparse, rank, norm)";
    if ((q->flags & FTI_REQ_FROZEN) && (q->flags & classes))
        return "frozen cannot be combined with another class (a contradiction)";
    if ((q->flags & FTI_REQ_SPARSE) && q->k > (uint64_t)INT64_MAX)
        return "sparse.k must be an integer >= 0 (and < 2^63)";
    if (q->flags & FTI_REQ_RANK) {
        if (q->r < 1 || q->r > (uint64_t)INT64_MAX) return "rank.r must be an integer >= 1";
        if (fti_bound_problem(&q->residual, 1))
            return "rank.residual: a bound must be a finite number >= 0";
    }
    if ((q->flags & FTI_REQ_NORM) && fti_bound_problem(&q->norm, 0))
        return "norm needs exactly one of tau, rho: a finite number >= 0";
    return NULL;
}

/* The requirement with unused fields zeroed and -0.0 made +0.0, so that equal meanings have
 * equal bytes. */
static fti_requirement normalised(const fti_requirement *q) {
    fti_requirement n = fti_requirement_frozen();
    n.flags = q->flags;
    if (q->flags & FTI_REQ_SPARSE) n.k = q->k;
    if (q->flags & FTI_REQ_RANK) {
        n.r = q->r;
        n.residual = q->residual;
        n.residual.value = q->residual.mode == FTI_BOUND_NONE ? 0 : q->residual.value + 0.0;
    }
    if (q->flags & FTI_REQ_NORM) {
        n.norm = q->norm;
        n.norm.value += 0.0;
    }
    return n;
}

static char *dup_or_null(const char *s, int *failed) {
    if (!s) return NULL;
    char *d = strdup(s);
    if (!d) *failed = 1;
    return d;
}

fti_status fti_policy_new(fti_policy **out, const char *source) {
    *out = NULL;
    fti_policy *p = calloc(1, sizeof *p);
    if (!p) return fti_fail(FTI_ERR_NOMEM, "policy: out of memory");
    p->max_changed_tensors = -1;
    p->source = strdup(source ? source : "policy");
    if (!p->source) {
        free(p);
        return fti_fail(FTI_ERR_NOMEM, "policy: out of memory");
    }
    *out = p;
    return FTI_OK;
}

void fti_policy_free(fti_policy *p) {
    if (!p) return;
    for (size_t i = 0; i < p->n_rules; i++) {
        free(p->rules[i].match);
        free(p->rules[i].description);
    }
    for (size_t i = 0; i < p->n_groups; i++) {
        free(p->groups[i].match);
        free(p->groups[i].description);
    }
    free(p->rules);
    free(p->groups);
    free(p->description);
    free(p->source);
    free(p);
}

static const char *match_problem(const char *match) {
    if (!match || !match[0]) return "\"match\" must be a nonempty string";
    if (strlen(match) > FTI_POLICY_MAX_MATCH) return "\"match\" is longer than 4096 bytes";
    return NULL;
}

fti_status fti_policy_add_rule(fti_policy *p, const char *match, const fti_requirement *req,
                               const char *description) {
    const char *problem = match_problem(match);
    if (problem) return fti_policy_rule_fail(p, p->n_rules, NULL, "%s", problem);
    if ((problem = fti_requirement_problem(req)))
        return fti_policy_rule_fail(p, p->n_rules, match, "%s", problem);
    fti_policy_rule *rules = realloc(p->rules, (p->n_rules + 1) * sizeof *rules);
    if (!rules) return fti_fail(FTI_ERR_NOMEM, "policy: out of memory");
    p->rules = rules;
    int failed = 0;
    fti_policy_rule r = {dup_or_null(match, &failed), dup_or_null(description, &failed),
                         normalised(req)};
    if (failed) {
        free(r.match);
        free(r.description);
        return fti_fail(FTI_ERR_NOMEM, "policy: out of memory");
    }
    p->rules[p->n_rules++] = r;
    return FTI_OK;
}

fti_status fti_policy_add_group(fti_policy *p, const char *match, const fti_bound *bound,
                                const char *description) {
    const char *problem = match_problem(match);
    if (problem) return fti_policy_group_fail(p, p->n_groups, NULL, "%s", problem);
    if (fti_bound_problem(bound, 0))
        return fti_policy_group_fail(p, p->n_groups, match,
                                     "needs exactly one of tau, rho: a finite number >= 0");
    fti_policy_group *groups = realloc(p->groups, (p->n_groups + 1) * sizeof *groups);
    if (!groups) return fti_fail(FTI_ERR_NOMEM, "policy: out of memory");
    p->groups = groups;
    int failed = 0;
    fti_policy_group g = {dup_or_null(match, &failed), dup_or_null(description, &failed),
                          {bound->mode, bound->value + 0.0}};
    if (failed) {
        free(g.match);
        free(g.description);
        return fti_fail(FTI_ERR_NOMEM, "policy: out of memory");
    }
    p->groups[p->n_groups++] = g;
    return FTI_OK;
}

fti_status fti_policy_set_description(fti_policy *p, const char *description) {
    int failed = 0;
    char *d = dup_or_null(description, &failed);
    if (failed) return fti_fail(FTI_ERR_NOMEM, "policy: out of memory");
    free(p->description);
    p->description = d;
    return FTI_OK;
}

void fti_policy_set_max_changed(fti_policy *p, int64_t n) { p->max_changed_tensors = n; }

/* Appends to buf[*used..]; stops quietly at the end of the buffer. */
static void appendf(char *buf, size_t len, size_t *used, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void appendf(char *buf, size_t len, size_t *used, const char *fmt, ...) {
    if (*used + 1 >= len) return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf + *used, len - *used, fmt, ap);
    va_end(ap);
    if (n > 0) *used = *used + (size_t)n < len ? *used + (size_t)n : len - 1;
}

static void append_bound(char *buf, size_t len, size_t *used, const char *what,
                         const fti_bound *b) {
    appendf(buf, len, used, b->mode == FTI_BOUND_REL ? "%s<=%g*||W||" : "%s<=%g", what, b->value);
}

void fti_requirement_describe(char *buf, size_t buf_len, const fti_requirement *q) {
    size_t used = 0;
    if (!buf_len) return;
    buf[0] = 0;
    if (q->flags & FTI_REQ_FROZEN) {
        appendf(buf, buf_len, &used, "frozen");
        return;
    }
    const char *sep = "";
    if (q->flags & FTI_REQ_SPARSE) {
        appendf(buf, buf_len, &used, "sparse k<=%llu", (unsigned long long)q->k);
        sep = " + ";
    }
    if (q->flags & FTI_REQ_RANK) {
        appendf(buf, buf_len, &used, "%srank<=%llu", sep, (unsigned long long)q->r);
        if (q->residual.mode != FTI_BOUND_NONE) {
            appendf(buf, buf_len, &used, " + ");
            append_bound(buf, buf_len, &used, "residual", &q->residual);
        }
        sep = " + ";
    }
    if (q->flags & FTI_REQ_NORM) {
        appendf(buf, buf_len, &used, "%s", sep);
        append_bound(buf, buf_len, &used, "norm", &q->norm);
    }
}
