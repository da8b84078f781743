/* The certificate prover: statistics pass (and refusal), then the proof pass. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "cert/cert_aux.h"
#include "cert/cert_block.h"
#include "cert/certify.h"
#include "cert/lowrank.h"
#include "model/encode.h"
#include "util/buf.h"
#include "util/error.h"
#include "util/timing.h"

void fti_cert_write_statement(fti_wbuf *w, const fti_cert *c);

const cert_test_hooks *cert_hooks;

static fti_status cert_alloc(fti_cert **out, const ftic *base, const fti_digest *bid, const fti_digest *tid,
                             const fti_digest *ph) {
    fti_cert *c = calloc(1, sizeof *c);
    if (!c) return fti_fail(FTI_ERR_NOMEM, "out of memory");
    c->pp = base->pp;
    c->base_id = *bid;
    c->tuned_id = *tid;
    c->policy_hash = *ph;
    c->n_units = base->n_units;
    c->n_blocks = base->n_blocks;
    c->units = calloc(c->n_units, sizeof *c->units);
    c->proofs = calloc(c->n_blocks, sizeof *c->proofs);
    c->proof_len = calloc(c->n_blocks, sizeof *c->proof_len);
    if (!c->units || !c->proofs || !c->proof_len) {
        fti_cert_free(c);
        return fti_fail(FTI_ERR_NOMEM, "out of memory");
    }
    *out = c;
    return FTI_OK;
}

/* Changed entries of a unit (exact comparison of the encoded values). */
static uint64_t changed_entries(const fe_t *lo, const fe_t *lo2, const fe_t *hi, const fe_t *hi2, unsigned n) {
    uint64_t c = 0;
    size_t len = (size_t)1 << n;
#pragma omp parallel for schedule(static) reduction(+ : c) if (len >= 65536)
    for (size_t x = 0; x < len; x++) c += lo[x] != lo2[x] || hi[x] != hi2[x];
    return c;
}

typedef struct {
    char *text;
    size_t len, cap;
} lines;

static void add_line(lines *l, const char *s) {
    size_t n = strlen(s);
    if (l->len + n + 2 > l->cap) {
        size_t cap = (l->cap + n + 2) * 2;
        char *t = realloc(l->text, cap);
        if (!t) return;
        l->text = t;
        l->cap = cap;
    }
    memcpy(l->text + l->len, s, n);
    l->len += n;
    l->text[l->len++] = '\n';
    l->text[l->len] = 0;
}

/* The logical m x n part of a unit's Delta, row-major. */
static int64_t *delta_matrix(const ftic_unit *u, const fe_t *lo, const fe_t *lo2, const fe_t *hi, const fe_t *hi2) {
    int64_t *d = malloc(u->rows * u->cols * sizeof *d);
    if (!d) return NULL;
    for (uint64_t i = 0; i < u->rows; i++)
        for (uint64_t j = 0; j < u->cols; j++) d[i * u->cols + j] = cert_delta_at(lo, lo2, hi, hi2, j + ((size_t)i << u->log_cols));
    return d;
}

static uint64_t name_seed(const char *s) {
    uint64_t h = 0xcbf29ce484222325ull;
    for (; *s; s++) h = (h ^ (unsigned char)*s) * 0x100000001b3ull;
    return h;
}

/* Limb sums of R = 2^t Delta - U V^T over the unit's padded entries (padding: R = 0). */
static void residual_sums(uint64_t sums[5], const ftic_unit *bu, const cert_factors *f, const int64_t *delta) {
    uint64_t s[5] = {0, 0, 0, 0, 0};
    uint64_t real = bu->rows * bu->cols, pad = ((uint64_t)1 << ftic_unit_vars(bu)) - real;
    for (uint64_t i = 0; i < bu->rows; i++)
        for (uint64_t j = 0; j < bu->cols; j++) {
            uint64_t u = (uint64_t)(cert_factors_residual(f, delta, i, j) + ((int64_t)1 << 31));
            uint64_t l = u & 0xFFFF, h = u >> 16;
            s[0] += l * l;
            s[1] += l * h;
            s[2] += h * h;
            s[3] += l;
            s[4] += h;
        }
    s[2] += pad << 30; /* padding: lo = 0, hi = 2^15 */
    s[4] += pad << 15;
    memcpy(sums, s, sizeof s);
}

/* Real factors L (rows x r) and M (cols x r), column-major, of a unit's Delta (in its integer
 * units) from the LoRA pair that adapts its tensor: the tensor holds P = scale B A (out x in,
 * row-major) or, when pair->transpose, P^T; the unit's matrix view is then P or P^T, which the
 * view's own orientation decides (checked against the dimensions). */
static fti_status adapter_factors(double **Lp, double **Mp, const fti_lora_pair *p, const ftic *base,
                                  const ftic_unit *bu) {
    const ftic_tensor *t = &base->tensors[bu->tensor];
    uint64_t numel = 1;
    for (unsigned d = 0; d < t->ndim; d++) numel *= t->shape[d];
    uint64_t R = t->ndim < 2 ? 1 : t->shape[t->out_axis ? t->ndim - 1 : 0], C = R ? numel / R : 0;
    int vt = t->out_axis && R > 1 && C > 1;
    int view_is_p = (p->transpose != 0) == vt;
    if (view_is_p ? (R != p->out || C != p->in) : (R != p->in || C != p->out))
        return fti_fail(FTI_ERR_MISMATCH, "%s: adapter module %s: factors %llu x %u x %llu do not match the %llu x %llu matrix of %s",
                        p->a->path, p->module, (unsigned long long)p->out, p->rank, (unsigned long long)p->in,
                        (unsigned long long)R, (unsigned long long)C, t->name);
    unsigned r = p->rank;
    double *A = malloc(p->in * r * sizeof *A), *B = malloc(p->out * r * sizeof *B);
    double *L = malloc(bu->rows * r * sizeof *L), *M = malloc(bu->cols * r * sizeof *M);
    fti_status st = FTI_OK;
    if (!A || !B || !L || !M) st = fti_fail(FTI_ERR_NOMEM, "out of memory for the factors of %s", p->module);
    if (st == FTI_OK) st = fti_decode_f64(A, p->a, 0, (size_t)p->in * r); /* A[k * in + j] */
    if (st == FTI_OK) st = fti_decode_f64(B, p->b, 0, (size_t)p->out * r); /* B[i * r + k] */
    for (size_t i = 0; st == FTI_OK && i < (size_t)p->in * r; i++)
        if (!isfinite(A[i])) st = fti_fail(FTI_ERR_RANGE, "%s: adapter module %s: lora_A holds a non-finite value", p->a->path, p->module);
    for (size_t i = 0; st == FTI_OK && i < (size_t)p->out * r; i++)
        if (!isfinite(B[i])) st = fti_fail(FTI_ERR_RANGE, "%s: adapter module %s: lora_B holds a non-finite value", p->b->path, p->module);
    if (st == FTI_OK) {
        double s = ldexp(p->scale, -bu->quantum); /* Delta's integer units: value / 2^quantum */
        for (unsigned k = 0; k < r; k++) {
            for (uint64_t i = 0; i < bu->rows; i++) {
                uint64_t x = bu->row0 + i;
                L[k * bu->rows + i] = view_is_p ? s * B[x * r + k] : A[k * p->in + x];
            }
            for (uint64_t j = 0; j < bu->cols; j++) {
                uint64_t y = bu->col0 + j;
                M[k * bu->cols + j] = view_is_p ? A[k * p->in + y] : s * B[y * r + k];
            }
        }
    }
    free(A);
    free(B);
    if (st != FTI_OK) {
        free(L);
        free(M);
        return st;
    }
    *Lp = L;
    *Mp = M;
    return FTI_OK;
}

/* Rank statistics of one unit (factors kept for the proof pass). Sets *why for a refusal.
 * Factors from the adapter's pair when pair is not NULL, else by truncated SVD. */
static fti_status rank_stats(fti_cert_unit *cu, cert_factors *f, char *why, size_t why_len, const ftic *base,
                             const ftic_unit *bu, const fti_lora_pair *pair, const fti_requirement *req,
                             const fe_t *lo, const fe_t *lo2, const fe_t *hi, const fe_t *hi2) {
    int64_t *d = delta_matrix(bu, lo, lo2, hi, hi2);
    if (!d) return fti_fail(FTI_ERR_NOMEM, "out of memory for unit %s", bu->name);
    unsigned r = req->r > 4096 ? 4096 : (unsigned)req->r;
    fti_status st;
    if (pair) {
        double *L = NULL, *M = NULL;
        st = adapter_factors(&L, &M, pair, base, bu);
        if (st == FTI_OK) st = cert_lowrank_from(f, d, bu->rows, bu->cols, L, M, pair->rank);
        free(L);
        free(M);
    } else {
        st = cert_lowrank_factor(f, d, bu->rows, bu->cols, r, name_seed(bu->name));
    }
    if (st == FTI_OK) {
        cu->rank = f->rank;
        cu->rank_log = cert_ceil_log2(f->rank ? f->rank : 1);
        cu->shift = f->shift;
        cu->residual = req->residual.mode != FTI_BOUND_NONE;
        if (!f->residual_fits)
            snprintf(why, why_len, "%s: rank: the residual of a rank-%u approximation does not fit 32 bits", bu->name, f->rank);
        else if (!cu->residual && !f->exact)
            snprintf(why, why_len, "%s: rank: not exactly of rank <= %llu with 16-bit factors (the policy allows no residual)",
                     bu->name, (unsigned long long)req->r);
        if (cu->residual) residual_sums(cu->r_sums, bu, f, d);
    }
    free(d);
    return st;
}

/* Pass A: per-unit statistics from the limbs of both models. */
static fti_status statistics(fti_cert *c, uint64_t *changed, cert_factors *factors, lines *why, const cert_plan *plan,
                             const ftic *base, const ftic *tuned, const fti_ckpt *bck, const fti_ckpt *tck,
                             fti_cert_prove_opts *o) {
    for (size_t b = 0; b < base->n_blocks; b++) {
        fe_t **tb = NULL, **tt = NULL;
        fti_status st = ftic_block_tables(&tb, base, b, bck);
        if (st == FTI_OK) st = ftic_block_tables(&tt, tuned, b, tck);
        for (uint32_t i = 0; st == FTI_OK && i < base->blocks[b].n_units; i++) {
            size_t u = base->blocks[b].first_unit + i;
            const ftic_unit *bu = &base->units[u];
            unsigned n = ftic_unit_vars(bu);
            fti_cert_unit *cu = &c->units[u];
            const fe_t *lo = tb[2 * i], *hi = tb[2 * i + 1], *lo2 = tt[2 * i], *hi2 = tt[2 * i + 1];
            cu->flags = plan->need[u];
            changed[u] = changed_entries(lo, lo2, hi, hi2, n);
            if (cu->flags & FTI_REQ_NORM) cert_delta_sums(cu->d_sums, lo, lo2, hi, hi2, n);
            if (cu->flags & FTI_REQ_SPARSE) {
                cu->sparse_count = changed[u];
                cu->sparse_log = cert_ceil_log2(changed[u] ? changed[u] : 1);
            }
            if (cu->flags & FTI_REQ_RANK) {
                char msg[400] = "";
                const fti_requirement *req = &plan->req[plan->punit_of[u]];
                const fti_lora_pair *pair = o->adapter ? fti_lora_find(o->adapter, base->tensors[bu->tensor].name) : NULL;
                if (pair && pair->rank > req->r) pair = NULL; /* more columns than allowed: SVD */
                st = rank_stats(cu, &factors[u], msg, sizeof msg, base, bu, pair, req, lo, lo2, hi, hi2);
                if (pair) o->adapter_units++;
                else o->svd_units++;
                if (msg[0]) add_line(why, msg);
            }
        }
        ftic_tables_free(tb, base, b);
        ftic_tables_free(tt, tuned, b);
        if (st != FTI_OK) return st;
    }
    return FTI_OK;
}

/* Refusal lines for every violation; returns the number. */
static size_t judge_all(lines *out, const fti_cert *c, const uint64_t *changed, const cert_plan *plan,
                        const ftic *base, const ftic *tuned, const fti_policy *pol) {
    size_t bad = 0;
    char line[600];
    unsigned char *tchanged = calloc(base->n_tensors, 1);
    if (!tchanged) return 1;
    for (size_t pu = 0; pu < plan->n_committed_punits; pu++) {
        uint64_t n_changed = 0;
        for (size_t k = 0; k < plan->tiles_n[pu]; k++) n_changed += changed[plan->tiles[plan->tiles_first[pu] + k]];
        size_t u0 = plan->tiles[plan->tiles_first[pu]];
        if (plan->need[u0] & FTI_REQ_FROZEN) {
            if (n_changed) {
                snprintf(line, sizeof line, "%s: frozen, but %llu entries changed", plan->punit_names[pu],
                         (unsigned long long)n_changed);
                add_line(out, line);
                bad++;
            }
            continue;
        }
        cert_verdict v;
        cert_judge_punit(&v, plan, pu, base, c);
        tchanged[base->units[u0].tensor] |= n_changed != 0;
        if (!v.pass) {
            snprintf(line, sizeof line, "%s: %s: measured %s, allowed %s", plan->punit_names[pu], v.cls, v.value, v.bound);
            add_line(out, line);
            bad++;
        }
    }
    for (size_t k = 0; k < plan->n_hash_only; k++) {
        size_t t = plan->hash_only[k];
        if (!fti_digest_eq(&base->tensors[t].sha256, &tuned->tensors[t].sha256)) {
            snprintf(line, sizeof line, "%s: frozen (bound by hash), but its bytes changed", base->tensors[t].name);
            add_line(out, line);
            bad++;
            tchanged[t] = 1;
        }
    }
    char why[256];
    if (!cert_judge_global(why, sizeof why, plan, pol, base, c, tchanged)) {
        snprintf(line, sizeof line, "policy: %s", why);
        add_line(out, line);
        bad++;
    }
    free(tchanged);
    return bad;
}

/* Pass B: recommit both models block by block (checking the roots) and prove. */
static fti_status prove_blocks(fti_cert *c, const cert_ctx *ctx, const fti_ckpt *bck, const fti_ckpt *tck,
                               const fti_progress *progress) {
    fti_transcript t;
    fti_wbuf stmt;
    fti_wbuf_init(&stmt);
    fti_cert_write_statement(&stmt, c);
    if (stmt.oom) return fti_fail(FTI_ERR_NOMEM, "out of memory");
    fti_transcript_init(&t, "fti/certificate/v1");
    fti_transcript_absorb(&t, "statement", stmt.data, stmt.len);
    fti_wbuf_free(&stmt);
    const ftic *base = ctx->base, *tuned = ctx->tuned;
    size_t done = 0;
    for (size_t b = 0; b < base->n_blocks; b++) {
        fe_t **tb = NULL, **tt = NULL;
        fti_pcs_commitment *pb = NULL, *pt = NULL;
        unsigned nv[2 * FTIC_MAX_BLOCK_UNITS + 1];
        fti_pcs_shape shape;
        fti_wbuf w;
        fti_wbuf_init(&w);
        ftic_block_shape(&shape, nv, base, b);
        fti_status st;
        FTI_TIMED("cert/encode", st = ftic_block_tables(&tb, base, b, bck));
        if (st == FTI_OK) FTI_TIMED("cert/encode", st = ftic_block_tables(&tt, tuned, b, tck));
        /* a large block's codewords are given back until the opening encodes them again (the
         * base's before the tuned ones are made): the peak is then the tables and one model's
         * codewords, not both models' through every proof */
        if (st == FTI_OK) FTI_TIMED("cert/pcs-commit", st = fti_pcs_commit(&pb, base->pp, &shape, (const fe_t *const *)tb));
        if (st == FTI_OK) ftic_release_large(pb, 0);
        if (st == FTI_OK) FTI_TIMED("cert/pcs-commit", st = fti_pcs_commit(&pt, base->pp, &shape, (const fe_t *const *)tt));
        if (st == FTI_OK) ftic_release_large(pt, 0);
        if (st == FTI_OK && !fti_digest_eq(fti_pcs_commitment_root(pb), &base->blocks[b].root))
            st = fti_fail(FTI_ERR_MISMATCH, "%s: block %s does not match the base commitment", fti_ckpt_path(bck),
                          base->blocks[b].label);
        if (st == FTI_OK && !fti_digest_eq(fti_pcs_commitment_root(pt), &tuned->blocks[b].root))
            st = fti_fail(FTI_ERR_MISMATCH, "%s: block %s does not match the tuned commitment", fti_ckpt_path(tck),
                          tuned->blocks[b].label);
        if (st == FTI_OK) FTI_TIMED("cert/block-prove", st = cert_block_prove(&w, &t, ctx, b, tb, tt, pb, pt));
        if (st == FTI_OK && w.oom) st = fti_fail(FTI_ERR_NOMEM, "out of memory");
        if (st == FTI_OK) {
            c->proofs[b] = w.data;
            c->proof_len[b] = w.len;
            w.data = NULL;
        }
        fti_wbuf_free(&w);
        fti_pcs_commitment_free(pb);
        fti_pcs_commitment_free(pt);
        ftic_tables_free(tb, base, b);
        ftic_tables_free(tt, tuned, b);
        if (st != FTI_OK) return st;
        done += base->blocks[b].n_units;
        if (progress && progress->report) progress->report(progress->ctx, done, base->n_units, 0, 0);
    }
    return FTI_OK;
}

fti_status fti_cert_prove(fti_cert **cert, char **refusal, const ftic *base, const ftic *tuned, const fti_ckpt *bck,
                          const fti_ckpt *tck, const fti_policy *pol, const fti_progress *progress) {
    fti_cert_prove_opts o = {progress, NULL, 0, 0};
    return fti_cert_prove_with(cert, refusal, base, tuned, bck, tck, pol, &o);
}

fti_status fti_cert_prove_with(fti_cert **cert, char **refusal, const ftic *base, const ftic *tuned,
                               const fti_ckpt *bck, const fti_ckpt *tck, const fti_policy *pol,
                               fti_cert_prove_opts *o) {
    fti_cert_prove_opts none = {NULL, NULL, 0, 0};
    if (!o) o = &none;
    o->adapter_units = o->svd_units = 0;
    const fti_progress *progress = o->progress;
    fti_digest bid, tid, ph;
    cert_plan plan;
    fti_cert *c = NULL;
    uint64_t *changed = NULL;
    cert_factors *factors = NULL;
    lines ref = {NULL, 0, 0};
    fti_status st;
    *cert = NULL;
    *refusal = NULL;
    if ((st = ftic_id(&bid, base)) != FTI_OK || (st = ftic_id(&tid, tuned)) != FTI_OK ||
        (st = fti_policy_hash(&ph, pol)) != FTI_OK)
        return st;
    if (base->kind != FTIC_BASE || tuned->kind != FTIC_TUNED || !fti_digest_eq(&tuned->base_id, &bid))
        return fti_fail(FTI_ERR_MISMATCH, "the tuned commitment was not made in the frame of this base");
    if ((st = cert_plan_make(&plan, base, pol)) != FTI_OK) return st;
    if ((st = cert_alloc(&c, base, &bid, &tid, &ph)) != FTI_OK) goto out;
    changed = calloc(base->n_units, sizeof *changed);
    factors = calloc(base->n_units, sizeof *factors);
    if (!changed || !factors) {
        st = fti_fail(FTI_ERR_NOMEM, "out of memory");
        goto out;
    }
    if ((st = statistics(c, changed, factors, &ref, &plan, base, tuned, bck, tck, o)) != FTI_OK) goto out;
    int skip_judge = cert_hooks && cert_hooks->edit_statement && cert_hooks->edit_statement(c, cert_hooks->ctx);
    if (!skip_judge && (judge_all(&ref, c, changed, &plan, base, tuned, pol) || ref.len)) {
        *refusal = ref.text;
        ref.text = NULL;
        goto out; /* FTI_OK: the prover refuses, which is not an error */
    }
    cert_ctx ctx = {base, tuned, &plan, c, factors};
    if ((st = prove_blocks(c, &ctx, bck, tck, progress)) != FTI_OK) goto out;
    *cert = c;
    c = NULL;
out:
    free(ref.text);
    free(changed);
    if (factors)
        for (size_t u = 0; u < base->n_units; u++) cert_factors_free(&factors[u]);
    free(factors);
    fti_cert_free(c);
    cert_plan_free(&plan);
    return st;
}
