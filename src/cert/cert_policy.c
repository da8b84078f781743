/* Policy resolution for certificates and the verdicts on certified statistics. */
#include "cert/cert_policy.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "util/error.h"

void cert_plan_free(cert_plan *p) {
    free(p->req);
    free(p->need);
    free(p->hash_only);
    fti_policy_resolved_free(p->res);
    memset(p, 0, sizeof *p);
}

static uint64_t tensor_numel(const ftic_tensor *t) {
    uint64_t n = 1;
    for (unsigned d = 0; d < t->ndim; d++) n *= t->shape[d];
    return n;
}

fti_status cert_plan_make(cert_plan *p, const ftic *base, const fti_policy *pol) {
    fti_status st = FTI_OK;
    memset(p, 0, sizeof *p);
    size_t nh = 0;
    for (size_t t = 0; t < base->n_tensors; t++) nh += !base->tensors[t].committed;
    size_t n = base->n_units + nh;
    fti_policy_unit *units = calloc(n, sizeof *units);
    p->req = calloc(base->n_units, sizeof *p->req);
    p->need = calloc(base->n_units, sizeof *p->need);
    p->hash_only = calloc(nh ? nh : 1, sizeof *p->hash_only);
    if (!units || !p->req || !p->need || !p->hash_only) {
        st = fti_fail(FTI_ERR_NOMEM, "out of memory");
        goto out;
    }
    p->n_units = base->n_units;
    for (size_t i = 0; i < base->n_units; i++) {
        const ftic_unit *u = &base->units[i];
        const ftic_tensor *t = &base->tensors[u->tensor];
        units[i] = (fti_policy_unit){u->name, t->name, u->rows, u->cols, t->ndim, FTI_ROLE_UNKNOWN,
                                     fti_dtype_name(t->dtype)};
    }
    for (size_t t = 0, k = base->n_units; t < base->n_tensors; t++) {
        const ftic_tensor *m = &base->tensors[t];
        if (m->committed) continue;
        p->hash_only[p->n_hash_only++] = t;
        units[k++] = (fti_policy_unit){m->name, m->name, 1, tensor_numel(m), m->ndim, FTI_ROLE_UNKNOWN,
                                       fti_dtype_name(m->dtype)};
    }
    if ((st = fti_policy_resolve(&p->res, pol, units, n)) != FTI_OK) goto out;
    for (size_t i = 0; i < p->n_hash_only; i++) {
        const fti_unit_policy *up = &p->res->units[base->n_units + i];
        if (up->req.flags != FTI_REQ_FROZEN) {
            st = fti_fail(FTI_ERR_POLICY, "%s: rule %zu (%s): tensor %s has dtype %s, which fti binds by hash only: only frozen can be certified",
                          pol->source, up->rule, pol->rules[up->rule].match, units[base->n_units + i].name,
                          units[base->n_units + i].dtype);
            goto out;
        }
    }
    for (size_t i = 0; i < base->n_units; i++) {
        p->req[i] = p->res->units[i].req;
        p->need[i] = p->req[i].flags;
    }
    /* total-norm groups need every changed member's exact ||Delta||^2 */
    for (size_t g = 0; g < p->res->n_groups; g++)
        for (size_t k = 0; k < p->res->groups[g].n; k++) {
            size_t u = p->res->groups[g].units[k];
            if (u < base->n_units && !(p->need[u] & FTI_REQ_FROZEN)) p->need[u] |= FTI_REQ_NORM;
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

static int judge_norm(char *val, char *bnd, size_t cap, const fti_requirement *req, const fti_cert_unit *st,
                      const ftic_unit *bu) {
    unsigned __int128 d2 = fti_cert_delta_sq(st), w2 = ftic_unit_sum_sq(bu);
    double dn = real_norm(d2, bu->quantum), wn = real_norm(w2, bu->quantum);
    char t[96];
    snprintf(t, sizeof t, "||D||=%.6g (%.4g of ||W||)", dn, wn > 0 ? dn / wn : 0.0);
    append(val, cap, t);
    fmt_bound(t, sizeof t, "||D||", &req->norm);
    append(bnd, cap, t);
    if (req->norm.mode == FTI_BOUND_ABS) return d2 <= fti_policy_abs_bound(req->norm.value, bu->quantum);
    if (req->norm.mode == FTI_BOUND_REL) return fti_policy_rel_ok(d2, w2, req->norm.value);
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
        ok = ok && !st->residual;
        append(bnd, cap, "exact");
        return ok;
    }
    unsigned __int128 r2 = st->residual ? residual_sq(st, ftic_unit_vars(bu)) : 0;
    double rn = real_norm(r2, bu->quantum - st->shift);
    snprintf(t, sizeof t, "||R||=%.4g", rn);
    append(val, cap, t);
    fmt_bound(t, sizeof t, "||R||", &req->residual);
    append(bnd, cap, t);
    if (req->residual.mode == FTI_BOUND_ABS) return ok && r2 <= fti_policy_abs_bound(req->residual.value, bu->quantum - st->shift);
    return ok && fti_policy_rel_ok_exp(r2, -2 * st->shift, ftic_unit_sum_sq(bu), req->residual.value);
}

void cert_judge_unit(cert_verdict *v, const fti_requirement *req, unsigned need, const fti_cert_unit *st,
                     const ftic_unit *bu) {
    memset(v, 0, sizeof *v);
    v->pass = st->flags == need;
    if (need & FTI_REQ_FROZEN) {
        snprintf(v->cls, sizeof v->cls, "frozen");
        snprintf(v->bound, sizeof v->bound, "D=0");
        snprintf(v->value, sizeof v->value, "unchanged");
        return;
    }
    if (need & FTI_REQ_SPARSE) append(v->cls, sizeof v->cls, "sparse");
    if (need & FTI_REQ_RANK) append(v->cls, sizeof v->cls, "rank");
    if (req->flags & FTI_REQ_NORM) append(v->cls, sizeof v->cls, "norm");
    else if (need & FTI_REQ_NORM) append(v->cls, sizeof v->cls, "(group norm)");
    for (char *c = v->cls; *c; c++)
        if (*c == ' ') *c = '+';
    if (!v->pass) {
        snprintf(v->value, sizeof v->value, "proves the wrong class");
        return;
    }
    if (need & FTI_REQ_SPARSE) {
        char t[64];
        snprintf(t, sizeof t, "changed=%llu", (unsigned long long)st->sparse_count);
        append(v->value, sizeof v->value, t);
        snprintf(t, sizeof t, "changed<=%llu", (unsigned long long)req->k);
        append(v->bound, sizeof v->bound, t);
        v->pass &= st->sparse_count <= req->k;
    }
    if (need & FTI_REQ_RANK) v->pass &= judge_rank(v->value, v->bound, sizeof v->value, req, st, bu);
    if (need & FTI_REQ_NORM) v->pass &= judge_norm(v->value, v->bound, sizeof v->value, req, st, bu);
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
            size_t u = gm->units[k];
            if (u >= base->n_units) continue; /* a hash-only tensor: frozen, contributes 0 */
            d2[m] = (c->units[u].flags & FTI_REQ_NORM) ? fti_cert_delta_sq(&c->units[u]) : 0;
            w2[m] = ftic_unit_sum_sq(&base->units[u]);
            s[m] = base->units[u].quantum;
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
