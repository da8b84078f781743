/* Policy resolution for certificates and the verdicts on certified statistics. */
#include "cert/cert_policy.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "util/error.h"

void cert_plan_free(cert_plan *p) {
    free(p->need);
    free(p->punit_of);
    if (p->punit_names)
        for (size_t i = 0; i < p->n_punits; i++) free(p->punit_names[i]);
    free(p->punit_names);
    free(p->req);
    free(p->tiles);
    free(p->tiles_first);
    free(p->tiles_n);
    free(p->hash_only);
    fti_policy_resolved_free(p->res);
    memset(p, 0, sizeof *p);
}

static uint64_t tensor_numel(const ftic_tensor *t) {
    uint64_t n = 1;
    for (unsigned d = 0; d < t->ndim; d++) n *= t->shape[d];
    return n;
}

typedef struct {
    char *name;
    size_t unit;
} named_unit;

static int cmp_named(const void *a, const void *b) {
    const named_unit *x = a, *y = b;
    int c = strcmp(x->name, y->name);
    return c ? c : (x->unit < y->unit ? -1 : x->unit > y->unit);
}

static int cmp_size(const void *a, const void *b) {
    size_t x = *(const size_t *)a, y = *(const size_t *)b;
    return x < y ? -1 : x > y;
}

/* Policy units of the committed units (numbered in order of first appearance) and their tiles.
 * Sorting keeps this O(n log n), also on hostile files with many units. */
static fti_status collect_punits(cert_plan *p, const ftic *base, size_t cap) {
    size_t nu = base->n_units, ng = 0;
    named_unit *nm = calloc(nu ? nu : 1, sizeof *nm);
    size_t *firsts = calloc(nu ? nu : 1, sizeof *firsts);
    char buf[FTIC_MAX_NAME];
    fti_status st = FTI_OK;
    if (!nm || !firsts) {
        st = fti_fail(FTI_ERR_NOMEM, "out of memory");
        goto out;
    }
    for (size_t u = 0; u < nu; u++) {
        ftic_unit_policy_name(buf, sizeof buf, &base->units[u]);
        if (!(nm[u].name = strdup(buf))) {
            st = fti_fail(FTI_ERR_NOMEM, "out of memory");
            goto out;
        }
        nm[u].unit = u;
    }
    qsort(nm, nu, sizeof *nm, cmp_named);
    for (size_t i = 0; i < nu; i++) /* the first unit of each name (lowest index: sorted first) */
        if (i == 0 || strcmp(nm[i - 1].name, nm[i].name)) firsts[ng++] = nm[i].unit;
    qsort(firsts, ng, sizeof *firsts, cmp_size);
    if (ng > cap) {
        st = fti_fail(FTI_ERR_INTERNAL, "too many policy units");
        goto out;
    }
    for (size_t k = 0; k < ng; k++) { /* punit k is the name of unit firsts[k] */
        ftic_unit_policy_name(buf, sizeof buf, &base->units[firsts[k]]);
        if (!(p->punit_names[k] = strdup(buf))) {
            st = fti_fail(FTI_ERR_NOMEM, "out of memory");
            goto out;
        }
    }
    p->n_punits = ng;
    /* walk the name groups; each group's punit is the index of its first unit in firsts */
    for (size_t i = 0; i < nu;) {
        size_t j = i, first = nm[i].unit, lo = 0, hi = ng;
        while (lo < hi) {
            size_t mid = (lo + hi) / 2;
            if (firsts[mid] < first) lo = mid + 1;
            else hi = mid;
        }
        for (; j < nu && !strcmp(nm[j].name, nm[i].name); j++) {
            p->punit_of[nm[j].unit] = lo;
            p->tiles_n[lo]++;
        }
        i = j;
    }
    p->n_committed_punits = p->n_punits;
    size_t at = 0;
    for (size_t pu = 0; pu < p->n_punits; pu++) {
        p->tiles_first[pu] = at;
        at += p->tiles_n[pu];
        p->tiles_n[pu] = 0;
    }
    for (size_t u = 0; u < nu; u++) {
        size_t pu = p->punit_of[u];
        p->tiles[p->tiles_first[pu] + p->tiles_n[pu]++] = u;
    }
out:
    if (nm)
        for (size_t u = 0; u < nu; u++) free(nm[u].name);
    free(nm);
    free(firsts);
    return st;
}

/* The policy-unit descriptions handed to the policy resolver (tiles' rows add up). */
static void describe_punit(fti_policy_unit *out, const cert_plan *p, size_t pu, const ftic *base) {
    const ftic_unit *u0 = &base->units[p->tiles[p->tiles_first[pu]]];
    const ftic_tensor *t = &base->tensors[u0->tensor];
    uint64_t rows = 0;
    for (size_t k = 0; k < p->tiles_n[pu]; k++) rows += base->units[p->tiles[p->tiles_first[pu] + k]].rows;
    *out = (fti_policy_unit){p->punit_names[pu], t->name, rows, u0->cols, t->ndim, FTI_ROLE_UNKNOWN,
                             fti_dtype_name(t->dtype)};
}

fti_status cert_plan_make(cert_plan *p, const ftic *base, const fti_policy *pol) {
    fti_status st = FTI_OK;
    memset(p, 0, sizeof *p);
    size_t nh = 0, nu = base->n_units;
    for (size_t t = 0; t < base->n_tensors; t++) nh += !base->tensors[t].committed;
    size_t cap = nu + nh;
    fti_policy_unit *units = calloc(cap, sizeof *units);
    p->need = calloc(nu, sizeof *p->need);
    p->punit_of = calloc(nu, sizeof *p->punit_of);
    p->punit_names = calloc(cap, sizeof *p->punit_names);
    p->req = calloc(cap, sizeof *p->req);
    p->tiles = calloc(nu, sizeof *p->tiles);
    p->tiles_first = calloc(cap, sizeof *p->tiles_first);
    p->tiles_n = calloc(cap, sizeof *p->tiles_n);
    p->hash_only = calloc(nh ? nh : 1, sizeof *p->hash_only);
    if (!units || !p->need || !p->punit_of || !p->punit_names || !p->req || !p->tiles || !p->tiles_first ||
        !p->tiles_n || !p->hash_only) {
        st = fti_fail(FTI_ERR_NOMEM, "out of memory");
        goto out;
    }
    p->n_units = nu;
    if ((st = collect_punits(p, base, cap)) != FTI_OK) goto out;
    for (size_t pu = 0; pu < p->n_committed_punits; pu++) describe_punit(&units[pu], p, pu, base);
    for (size_t t = 0; t < base->n_tensors; t++) {
        const ftic_tensor *m = &base->tensors[t];
        if (m->committed) continue;
        size_t pu = p->n_punits++;
        uint64_t numel = tensor_numel(m);
        p->hash_only[p->n_hash_only++] = t;
        if (!(p->punit_names[pu] = strdup(m->name))) {
            st = fti_fail(FTI_ERR_NOMEM, "out of memory");
            goto out;
        }
        units[pu] = (fti_policy_unit){p->punit_names[pu], m->name, 1, numel ? numel : 1, m->ndim, FTI_ROLE_UNKNOWN,
                                      fti_dtype_name(m->dtype)};
    }
    if ((st = fti_policy_resolve(&p->res, pol, units, p->n_punits)) != FTI_OK) goto out;
    for (size_t pu = 0; pu < p->n_punits; pu++) {
        const fti_unit_policy *up = &p->res->units[pu];
        p->req[pu] = up->req;
        const char *why = NULL;
        if (pu >= p->n_committed_punits && up->req.flags != FTI_REQ_FROZEN)
            why = "is bound by hash only: only frozen can be certified";
        else if (pu < p->n_committed_punits && (up->req.flags & FTI_REQ_RANK) && p->tiles_n[pu] > 1)
            why = "is committed in row tiles (larger than 2^24 entries): a rank bound needs it in one piece";
        if (why) {
            st = fti_fail(FTI_ERR_POLICY, "%s: rule %zu (%s): tensor %s (%s) %s", pol->source, up->rule,
                          up->rule < pol->n_rules ? pol->rules[up->rule].match : "*", p->punit_names[pu], units[pu].dtype,
                          why);
            goto out;
        }
    }
    for (size_t u = 0; u < nu; u++) p->need[u] = p->req[p->punit_of[u]].flags;
    /* total-norm groups need every changed member's exact ||Delta||^2 */
    for (size_t g = 0; g < p->res->n_groups; g++)
        for (size_t k = 0; k < p->res->groups[g].n; k++) {
            size_t pu = p->res->groups[g].units[k];
            if (pu >= p->n_committed_punits) continue;
            for (size_t j = 0; j < p->tiles_n[pu]; j++) {
                size_t u = p->tiles[p->tiles_first[pu] + j];
                if (!(p->need[u] & FTI_REQ_FROZEN)) p->need[u] |= FTI_REQ_NORM;
            }
        }
out:
    free(units);
    if (st != FTI_OK) cert_plan_free(p);
    return st;
}

int cert_unit_changed(const fti_cert_unit *st) {
    if (st->flags & FTI_REQ_FROZEN) return 0;
    if ((st->flags & FTI_REQ_NORM) && fti_cert_delta_sq(st) == 0) return 0;
    if ((st->flags & FTI_REQ_SPARSE) && st->sparse_count == 0) return 0;
    if ((st->flags & FTI_REQ_RANK) && st->rank == 0 && !st->residual) return 0;
    return 1;
}

/* ||X||_F in real units from an exact sum of squares in units of 4^e. */
static double real_norm(unsigned __int128 sq, int e) { return (double)sqrtl((long double)sq) * ldexp(1.0, e); }

static void fmt_bound(char *out, size_t cap, const char *what, const fti_bound *b) {
    if (b->mode == FTI_BOUND_ABS) snprintf(out, cap, "%s<=%.6g", what, b->value);
    else if (b->mode == FTI_BOUND_REL) snprintf(out, cap, "%s<=%.6g*||W||", what, b->value);
    else snprintf(out, cap, "%s", what);
}

static void append(char *out, size_t cap, const char *s) {
    size_t n = strlen(out);
    if (n && n + 2 < cap) {
        out[n++] = ' ';
        out[n] = 0;
    }
    snprintf(out + n, cap - n, "%s", s);
}

/* Exact aggregates over a policy unit's tiles (same quantum: one tensor). */
typedef struct {
    unsigned __int128 d2, w2;
    uint64_t changed;
    int quantum;
} punit_agg;

static void aggregate(punit_agg *a, const cert_plan *p, size_t pu, const ftic *base, const fti_cert *c) {
    memset(a, 0, sizeof *a);
    for (size_t k = 0; k < p->tiles_n[pu]; k++) {
        size_t u = p->tiles[p->tiles_first[pu] + k];
        const fti_cert_unit *cu = &c->units[u];
        a->quantum = base->units[u].quantum;
        a->w2 += ftic_unit_sum_sq(&base->units[u]);
        if (cu->flags & FTI_REQ_NORM) a->d2 += fti_cert_delta_sq(cu);
        if (cu->flags & FTI_REQ_SPARSE) a->changed += cu->sparse_count;
    }
}

static int judge_norm(char *val, char *bnd, size_t cap, const fti_requirement *req, const punit_agg *a) {
    double dn = real_norm(a->d2, a->quantum), wn = real_norm(a->w2, a->quantum);
    char t[96];
    snprintf(t, sizeof t, "||D||=%.6g (%.4g of ||W||)", dn, wn > 0 ? dn / wn : 0.0);
    append(val, cap, t);
    fmt_bound(t, sizeof t, "||D||", &req->norm);
    append(bnd, cap, t);
    if (req->norm.mode == FTI_BOUND_ABS) return a->d2 <= fti_policy_abs_bound(req->norm.value, a->quantum);
    if (req->norm.mode == FTI_BOUND_REL) return fti_policy_rel_ok(a->d2, a->w2, req->norm.value);
    return 1; /* only needed by a group clause */
}

static unsigned __int128 residual_sq(const fti_cert_unit *st, unsigned n_vars) {
    ftic_unit tmp;
    memset(&tmp, 0, sizeof tmp);
    tmp.log_rows = n_vars;
    memcpy(tmp.sums, st->r_sums, sizeof tmp.sums);
    return ftic_unit_sum_sq(&tmp);
}

static int judge_rank(char *val, char *bnd, size_t cap, const fti_requirement *req, const fti_cert_unit *st,
                      const ftic_unit *bu) {
    char t[96];
    int ok = st->rank <= req->r;
    snprintf(t, sizeof t, "rank=%llu", (unsigned long long)st->rank);
    append(val, cap, t);
    snprintf(t, sizeof t, "rank<=%llu", (unsigned long long)req->r);
    append(bnd, cap, t);
    if (req->residual.mode == FTI_BOUND_NONE) {
        append(bnd, cap, "exact");
        return ok && !st->residual;
    }
    unsigned __int128 r2 = st->residual ? residual_sq(st, ftic_unit_vars(bu)) : 0, w2 = ftic_unit_sum_sq(bu);
    double rn = real_norm(r2, bu->quantum - st->shift), wn = real_norm(w2, bu->quantum);
    snprintf(t, sizeof t, "||R||=%.4g (%.4g of ||W||)", rn, wn > 0 ? rn / wn : 0.0);
    append(val, cap, t);
    fmt_bound(t, sizeof t, "||R||", &req->residual);
    append(bnd, cap, t);
    if (req->residual.mode == FTI_BOUND_ABS)
        return ok && r2 <= fti_policy_abs_bound(req->residual.value, bu->quantum - st->shift);
    return ok && fti_policy_rel_ok_exp(r2, -2 * st->shift, w2, req->residual.value);
}

void cert_judge_punit(cert_verdict *v, const cert_plan *p, size_t pu, const ftic *base, const fti_cert *c) {
    const fti_requirement *req = &p->req[pu];
    size_t u0 = p->tiles[p->tiles_first[pu]];
    unsigned need = p->need[u0];
    memset(v, 0, sizeof *v);
    v->pass = 1;
    for (size_t k = 0; k < p->tiles_n[pu]; k++) {
        size_t u = p->tiles[p->tiles_first[pu] + k];
        v->pass &= c->units[u].flags == p->need[u];
    }
    if (need & FTI_REQ_FROZEN) {
        snprintf(v->cls, sizeof v->cls, "frozen");
        snprintf(v->bound, sizeof v->bound, "D=0");
        snprintf(v->value, sizeof v->value, v->pass ? "unchanged" : "proves the wrong class");
        return;
    }
    if (need & FTI_REQ_SPARSE) append(v->cls, sizeof v->cls, "sparse");
    if (need & FTI_REQ_RANK) append(v->cls, sizeof v->cls, "rank");
    if (req->flags & FTI_REQ_NORM) append(v->cls, sizeof v->cls, "norm");
    else if (need & FTI_REQ_NORM) append(v->cls, sizeof v->cls, "(group norm)");
    for (char *ch = v->cls; *ch; ch++)
        if (*ch == ' ') *ch = '+';
    if (!v->pass) {
        snprintf(v->value, sizeof v->value, "proves the wrong class");
        return;
    }
    punit_agg a;
    aggregate(&a, p, pu, base, c);
    if (need & FTI_REQ_SPARSE) {
        char t[64];
        snprintf(t, sizeof t, "changed=%llu", (unsigned long long)a.changed);
        append(v->value, sizeof v->value, t);
        snprintf(t, sizeof t, "changed<=%llu", (unsigned long long)req->k);
        append(v->bound, sizeof v->bound, t);
        v->pass &= a.changed <= req->k;
    }
    if (need & FTI_REQ_RANK) /* single tile (cert_plan_make) */
        v->pass &= judge_rank(v->value, v->bound, sizeof v->value, req, &c->units[u0], &base->units[u0]);
    if (need & FTI_REQ_NORM) v->pass &= judge_norm(v->value, v->bound, sizeof v->value, req, &a);
}

int cert_judge_global(char *why, size_t why_len, const cert_plan *p, const fti_policy *pol, const ftic *base,
                      const fti_cert *c, const unsigned char *changed) {
    why[0] = 0;
    if (pol->max_changed_tensors >= 0) {
        size_t n = 0;
        for (size_t t = 0; t < base->n_tensors; t++) n += changed[t];
        if ((int64_t)n > pol->max_changed_tensors) {
            snprintf(why, why_len, "%zu tensors changed, the policy allows at most %lld", n,
                     (long long)pol->max_changed_tensors);
            return 0;
        }
    }
    for (size_t g = 0; g < p->res->n_groups; g++) {
        const fti_group_members *gm = &p->res->groups[g];
        fti_u128 *d2 = calloc(gm->n, sizeof *d2), *w2 = calloc(gm->n, sizeof *w2);
        int *s = calloc(gm->n, sizeof *s), ok = 0;
        size_t m = 0;
        if (!d2 || !w2 || !s) {
            free(d2);
            free(w2);
            free(s);
            snprintf(why, why_len, "out of memory");
            return 0;
        }
        for (size_t k = 0; k < gm->n; k++) {
            size_t pu = gm->units[k];
            if (pu >= p->n_committed_punits) continue; /* hash-only: frozen, contributes 0 */
            punit_agg a;
            aggregate(&a, p, pu, base, c);
            d2[m] = a.d2;
            w2[m] = a.w2;
            s[m] = a.quantum;
            m++;
        }
        fti_status st = m ? fti_policy_group_ok(&ok, &pol->groups[g].bound, d2, w2, s, m) : FTI_OK;
        if (!m) ok = 1;
        free(d2);
        free(w2);
        free(s);
        if (st != FTI_OK || !ok) {
            snprintf(why, why_len, "total norm of group %zu (%s) exceeds its bound", g, pol->groups[g].match);
            return 0;
        }
    }
    return 1;
}
