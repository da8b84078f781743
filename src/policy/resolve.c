/* Resolution of a policy against a model's units: first matching rule per unit, the checks
 * that need the model (rules matching nothing or only shadowed units, rank on vectors, empty
 * groups), clamping of vacuous parameters, and the tensor index of each unit. */
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy/policy_internal.h"
#include "util/error.h"

/* Per-rule tallies gathered while assigning units. */
typedef struct {
    size_t matched;      /* units the pattern matches */
    size_t taken;        /* units for which the rule is the first match */
    size_t shadow_unit;  /* a matched unit taken by an earlier rule (when taken == 0) */
    size_t vacuous_k, vacuous_r, vacuous_unit_k, vacuous_unit_r;
} rule_tally;

static int glob(const char *pattern, const char *name) { return fnmatch(pattern, name, 0) == 0; }

static uint64_t entries(const fti_policy_unit *u) {
    uint64_t n;
    return __builtin_mul_overflow(u->rows, u->cols, &n) ? UINT64_MAX : n;
}

static const char *tensor_of(const fti_policy_unit *u) { return u->tensor ? u->tensor : u->name; }

/* Orders unit indices by name (by_tensor = 0) or tensor name (1); ties by index. */
typedef struct {
    const fti_policy_unit *units;
    int by_tensor;
} sort_ctx;

static const char *sort_key(const sort_ctx *c, size_t i) {
    return c->by_tensor ? tensor_of(&c->units[i]) : c->units[i].name;
}

static int cmp_index(const void *a, const void *b, void *arg) {
    size_t i = *(const size_t *)a, j = *(const size_t *)b;
    int c = strcmp(sort_key(arg, i), sort_key(arg, j));
    return c ? c : (i > j) - (i < j);
}

static void sorted_indices(size_t *idx, const sort_ctx *c, size_t n) {
    for (size_t i = 0; i < n; i++) idx[i] = i;
    qsort_r(idx, n, sizeof *idx, cmp_index, (void *)c);
}

static fti_status check_shapes(const fti_policy_unit *units, size_t n) {
    for (size_t i = 0; i < n; i++) {
        const fti_policy_unit *u = &units[i];
        if (!u->name || !u->name[0]) return fti_fail(FTI_ERR_ARG, "policy: unit %zu has no name", i);
        if (!u->rows || !u->cols || (u->ndim < 2 && u->rows != 1))
            return fti_fail(FTI_ERR_ARG, "policy: unit %s has an invalid shape", u->name);
    }
    return FTI_OK;
}

/* Rejects duplicate names; numbers the distinct tensors (in name order). */
static fti_status check_units(fti_policy_resolved *r, const fti_policy_unit *units, size_t n) {
    fti_status st = check_shapes(units, n);
    if (st) return st;
    size_t *idx = malloc((n ? n : 1) * sizeof *idx);
    if (!idx) return fti_fail(FTI_ERR_NOMEM, "policy: out of memory");
    sort_ctx by_name = {units, 0}, by_tensor = {units, 1};
    sorted_indices(idx, &by_name, n);
    for (size_t i = 1; i < n && !st; i++)
        if (strcmp(units[idx[i]].name, units[idx[i - 1]].name) == 0)
            st = fti_fail(FTI_ERR_ARG, "policy: duplicate unit name %s", units[idx[i]].name);
    sorted_indices(idx, &by_tensor, n);
    for (size_t i = 0; i < n && !st; i++) {
        if (i == 0 || strcmp(sort_key(&by_tensor, idx[i]), sort_key(&by_tensor, idx[i - 1])) != 0)
            r->n_tensors++;
        r->units[idx[i]].tensor = r->n_tensors - 1;
    }
    free(idx);
    return st;
}

/* Assigns unit u its rule, checks rank applicability, clamps vacuous parameters. */
static fti_status assign(fti_unit_policy *up, rule_tally *tally, const fti_policy *p,
                         const fti_policy_unit *u, size_t ui) {
    up->rule = FTI_POLICY_IMPLICIT;
    up->req = fti_requirement_frozen();
    for (size_t i = 0; i < p->n_rules; i++) {
        if (!glob(p->rules[i].match, u->name)) continue;
        tally[i].matched++;
        if (up->rule != FTI_POLICY_IMPLICIT) {
            tally[i].shadow_unit = ui;
            continue;
        }
        up->rule = i;
        up->req = p->rules[i].req;
        tally[i].taken++;
    }
    if (up->rule == FTI_POLICY_IMPLICIT) return FTI_OK;
    size_t i = up->rule;
    fti_requirement *q = &up->req;
    if ((q->flags & FTI_REQ_RANK) && u->ndim < 2)
        return fti_policy_rule_fail(p, i, p->rules[i].match,
                                    "rank needs a matrix, but tensor %s is %s", u->name,
                                    u->ndim ? "1-D" : "a scalar");
    uint64_t n = entries(u), side = u->rows < u->cols ? u->rows : u->cols;
    if ((q->flags & FTI_REQ_SPARSE) && q->k >= n) {
        if (!tally[i].vacuous_k++) tally[i].vacuous_unit_k = ui;
        q->k = n;
    }
    if ((q->flags & FTI_REQ_RANK) && q->r >= side) {
        if (!tally[i].vacuous_r++) tally[i].vacuous_unit_r = ui;
        q->r = side;
    }
    return FTI_OK;
}

static fti_status add_warning(fti_policy_resolved *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static fti_status add_warning(fti_policy_resolved *r, const char *fmt, ...) {
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    char **w = realloc(r->warnings, (r->n_warnings + 1) * sizeof *w);
    if (!w) return fti_fail(FTI_ERR_NOMEM, "policy: out of memory");
    r->warnings = w;
    if (!(w[r->n_warnings] = strdup(buf))) return fti_fail(FTI_ERR_NOMEM, "policy: out of memory");
    r->n_warnings++;
    return FTI_OK;
}

/* Rules that match nothing or only units taken earlier are errors; vacuous parameters are
 * warnings. */
static fti_status check_rules(fti_policy_resolved *r, const fti_policy *p, const rule_tally *t,
                              const fti_policy_unit *units) {
    fti_status st = FTI_OK;
    for (size_t i = 0; i < p->n_rules && !st; i++) {
        const char *m = p->rules[i].match;
        if (!t[i].matched)
            return fti_fail(FTI_ERR_POLICY, "%s: rule %zu (%s) matches no tensor", p->source, i, m);
        if (!t[i].taken) {
            size_t u = t[i].shadow_unit, j = r->units[u].rule;
            return fti_fail(FTI_ERR_POLICY,
                            "%s: rule %zu (%s) is shadowed: every tensor it matches is taken by an "
                            "earlier rule (e.g. %s by rule %zu (%s))",
                            p->source, i, m, units[u].name, j, p->rules[j].match);
        }
        if (t[i].vacuous_k) {
            const fti_policy_unit *u = &units[t[i].vacuous_unit_k];
            st = add_warning(r, "%s: rule %zu (%s): k = %llu is at least the size of %zu of its %zu "
                                "tensors (e.g. %s, %llu entries): sparse is vacuous there",
                             p->source, i, m, (unsigned long long)p->rules[i].req.k, t[i].vacuous_k,
                             t[i].taken, u->name, (unsigned long long)entries(u));
        }
        if (!st && t[i].vacuous_r) {
            const fti_policy_unit *u = &units[t[i].vacuous_unit_r];
            st = add_warning(r, "%s: rule %zu (%s): r = %llu is at least min(rows, cols) of %zu of "
                                "its %zu tensors (e.g. %s, %llu x %llu): rank is vacuous there",
                             p->source, i, m, (unsigned long long)p->rules[i].req.r, t[i].vacuous_r,
                             t[i].taken, u->name, (unsigned long long)u->rows,
                             (unsigned long long)u->cols);
        }
    }
    return st;
}

static fti_status resolve_groups(fti_policy_resolved *r, const fti_policy *p,
                                 const fti_policy_unit *units, size_t n) {
    if (!p->n_groups) return FTI_OK;
    if (!(r->groups = calloc(p->n_groups, sizeof *r->groups)))
        return fti_fail(FTI_ERR_NOMEM, "policy: out of memory");
    r->n_groups = p->n_groups;
    for (size_t g = 0; g < p->n_groups; g++) {
        fti_group_members *m = &r->groups[g];
        if (!(m->units = malloc((n ? n : 1) * sizeof *m->units)))
            return fti_fail(FTI_ERR_NOMEM, "policy: out of memory");
        for (size_t i = 0; i < n; i++)
            if (glob(p->groups[g].match, units[i].name)) m->units[m->n++] = i;
        if (!m->n)
            return fti_fail(FTI_ERR_POLICY, "%s: global.total_norm[%zu] (%s) matches no tensor",
                            p->source, g, p->groups[g].match);
    }
    return FTI_OK;
}

fti_status fti_policy_resolve(fti_policy_resolved **out, const fti_policy *p,
                              const fti_policy_unit *units, size_t n_units) {
    rule_tally *tally = NULL;
    fti_status st = FTI_ERR_NOMEM;
    *out = NULL;
    fti_policy_resolved *r = calloc(1, sizeof *r);
    if (!r) goto nomem;
    r->n_units = n_units;
    if (!(r->units = calloc(n_units ? n_units : 1, sizeof *r->units))) goto nomem;
    if (!(tally = calloc(p->n_rules ? p->n_rules : 1, sizeof *tally))) goto nomem;
    if ((st = check_units(r, units, n_units))) goto out;
    for (size_t u = 0; u < n_units; u++)
        if ((st = assign(&r->units[u], tally, p, &units[u], u))) goto out;
    if ((st = check_rules(r, p, tally, units))) goto out;
    st = resolve_groups(r, p, units, n_units);
    goto out;
nomem:
    st = fti_fail(FTI_ERR_NOMEM, "policy: out of memory");
out:
    free(tally);
    if (st) fti_policy_resolved_free(r);
    else *out = r;
    return st;
}

void fti_policy_resolved_free(fti_policy_resolved *r) {
    if (!r) return;
    for (size_t g = 0; g < r->n_groups; g++) free(r->groups[g].units);
    for (size_t i = 0; i < r->n_warnings; i++) free(r->warnings[i]);
    free(r->groups);
    free(r->warnings);
    free(r->units);
    free(r);
}
