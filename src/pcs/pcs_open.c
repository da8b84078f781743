/* The PCS prover: batching sum-check, Basefold folding with roll-ins, queries. */
#include <pthread.h>
#include <stdlib.h>

#include "ntt/ntt.h"
#include "pcs/pcs_commit.h"
#include "pcs/pcs_kernels.h"
#include "sumcheck/sumcheck.h"
#include "util/error.h"
#include "util/timing.h"

/* ---- grouping ---- */

/* Sorted point indices claimed for claimed polynomial ci (returns the count). */
static size_t point_set(const pcs_schedule *s, size_t ci, unsigned *out) {
    size_t n = 0;
    for (size_t u = 0; u < s->n_uclaims; u++)
        if (s->uclaims[u].claimed == ci) {
            size_t k = n++;
            while (k > 0 && out[k - 1] > s->uclaims[u].point) {
                out[k] = out[k - 1];
                k--;
            }
            out[k] = s->uclaims[u].point;
        }
    return n;
}

typedef struct {
    size_t n_groups;
    pcs_group *g;
    /* storage the groups point into */
    const ke_t **wpoints;
    ke_t *wcoef;
    ke_t *psums; /* per weight point: its claimed sum */
    const fe_t **polys;
    ke_t *coefs;
} group_set;

static void group_set_free(group_set *gs) {
    for (size_t i = 0; i < gs->n_groups; i++) pcs_group_free(&gs->g[i]);
    free(gs->g);
    free(gs->wpoints);
    free(gs->wcoef);
    free(gs->psums);
    free(gs->polys);
    free(gs->coefs);
    memset(gs, 0, sizeof *gs);
}

static fti_status group_set_alloc(group_set *gs, size_t n_groups, size_t n_wpoints, size_t n_polys) {
    memset(gs, 0, sizeof *gs);
    gs->g = calloc(n_groups ? n_groups : 1, sizeof *gs->g);
    gs->wpoints = calloc(n_wpoints ? n_wpoints : 1, sizeof *gs->wpoints);
    gs->wcoef = calloc(n_wpoints ? n_wpoints : 1, sizeof *gs->wcoef);
    gs->psums = calloc(n_wpoints ? n_wpoints : 1, sizeof *gs->psums);
    gs->polys = calloc(n_polys ? n_polys : 1, sizeof *gs->polys);
    gs->coefs = calloc(n_polys ? n_polys : 1, sizeof *gs->coefs);
    if (!gs->g || !gs->wpoints || !gs->wcoef || !gs->psums || !gs->polys || !gs->coefs) {
        group_set_free(gs);
        return fti_fail(FTI_ERR_NOMEM, "out of memory");
    }
    return FTI_OK;
}

static const fe_t *claimed_table(fti_pcs_commitment *const *comms, const pcs_claimed *c) {
    return comms[c->comm]->tables[c->poly];
}

/* Phase 1 groups: claimed polynomials with the same size and the same set of points share
 * W = sum_z lambda_z eq(z, .); their tables combine with coefficients nu_i. */
static fti_status phase1_groups(group_set *gs, const pcs_schedule *s, fti_pcs_commitment *const *comms,
                                const ke_t *lambda, const ke_t *nu) {
    size_t nc = s->n_claimed;
    unsigned *sets = malloc((nc ? nc : 1) * (s->n_points ? s->n_points : 1) * sizeof *sets);
    size_t *set_len = malloc((nc ? nc : 1) * sizeof *set_len), *group_of = malloc((nc ? nc : 1) * sizeof *group_of);
    fti_status st = FTI_OK;
    if (!sets || !set_len || !group_of) {
        st = fti_fail(FTI_ERR_NOMEM, "out of memory");
        goto out;
    }
    size_t n_groups = 0, n_wpoints = 0;
    size_t *leader = malloc((nc ? nc : 1) * sizeof *leader);
    if (!leader) {
        st = fti_fail(FTI_ERR_NOMEM, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < nc; i++) {
        unsigned *si = sets + i * s->n_points;
        set_len[i] = point_set(s, i, si);
        size_t g;
        for (g = 0; g < n_groups; g++) {
            size_t l = leader[g];
            if (s->claimed[l].n_vars == s->claimed[i].n_vars && set_len[l] == set_len[i] &&
                !memcmp(sets + l * s->n_points, si, set_len[i] * sizeof *si))
                break;
        }
        if (g == n_groups) {
            leader[n_groups++] = i;
            n_wpoints += set_len[i];
        }
        group_of[i] = g;
    }
    if ((st = group_set_alloc(gs, n_groups, n_wpoints, nc)) != FTI_OK) {
        free(leader);
        goto out;
    }
    gs->n_groups = n_groups;
    size_t wp = 0, pp_ = 0;
    for (size_t g = 0; g < n_groups; g++) {
        pcs_group *G = &gs->g[g];
        size_t l = leader[g];
        G->n_vars = s->claimed[l].n_vars;
        G->t = s->n - G->n_vars;
        G->low = NULL;
        G->n_points = set_len[l];
        G->wpoints = gs->wpoints + wp;
        G->wcoef = gs->wcoef + wp;
        G->point_sums = gs->psums + wp;
        size_t wp0 = wp;
        for (size_t z = 0; z < set_len[l]; z++) {
            unsigned pi = sets[l * s->n_points + z];
            gs->wpoints[wp] = s->points[pi];
            gs->wcoef[wp] = lambda[pi];
            gs->psums[wp] = ke_zero();
            wp++;
        }
        G->polys = gs->polys + pp_;
        G->coefs = gs->coefs + pp_;
        for (size_t i = 0; i < nc; i++) {
            if (group_of[i] != g) continue;
            gs->polys[pp_] = claimed_table(comms, &s->claimed[i]);
            gs->coefs[pp_] = nu[i];
            pp_++;
            G->n_polys++;
            /* point z's sum: lambda_z sum_i nu_i y_(i,z) */
            for (size_t u = 0; u < s->n_uclaims; u++) {
                if (s->uclaims[u].claimed != i) continue;
                for (size_t z = 0; z < set_len[l]; z++)
                    if (sets[l * s->n_points + z] == s->uclaims[u].point)
                        gs->psums[wp0 + z] = ke_add(gs->psums[wp0 + z],
                                                    ke_mul(ke_mul(nu[i], lambda[s->uclaims[u].point]), s->uclaims[u].value));
            }
        }
    }
    free(leader);
out:
    free(sets);
    free(set_len);
    free(group_of);
    return st;
}

/* Phase 2 groups: claimed polynomials of the same size, weight eq(r_high, .), low part r_low. */
static fti_status phase2_groups(group_set *gs, const pcs_schedule *s, fti_pcs_commitment *const *comms,
                                const ke_t *r, const ke_t *mu, const ke_t *v) {
    fti_status st;
    unsigned n_sizes = 0;
    for (unsigned m = 0; m <= s->n; m++)
        for (size_t i = 0; i < s->n_claimed; i++)
            if (s->claimed[i].n_vars == m) {
                n_sizes++;
                break;
            }
    if ((st = group_set_alloc(gs, n_sizes, n_sizes, s->n_claimed)) != FTI_OK) return st;
    size_t g = 0, pp_ = 0;
    for (unsigned m = 0; m <= s->n; m++) {
        pcs_group *G = &gs->g[g];
        size_t first = pp_;
        ke_t sum = ke_zero();
        for (size_t i = 0; i < s->n_claimed; i++) {
            if (s->claimed[i].n_vars != m) continue;
            gs->polys[pp_] = claimed_table(comms, &s->claimed[i]);
            gs->coefs[pp_] = mu[i];
            sum = ke_add(sum, ke_mul(mu[i], v[i]));
            pp_++;
        }
        if (pp_ == first) continue;
        G->n_vars = m;
        G->t = s->n - m;
        G->low = r;
        G->n_points = 1;
        gs->wpoints[g] = r + G->t;
        gs->wcoef[g] = ke_one();
        gs->psums[g] = sum;
        G->wpoints = gs->wpoints + g;
        G->wcoef = gs->wcoef + g;
        G->point_sums = gs->psums + g;
        G->polys = gs->polys + first;
        G->coefs = gs->coefs + first;
        G->n_polys = pp_ - first;
        g++;
    }
    gs->n_groups = g;
    return FTI_OK;
}

static fti_status groups_round(group_set *gs, unsigned j, ke_t out[3]) {
    out[0] = out[1] = out[2] = ke_zero();
    for (size_t g = 0; g < gs->n_groups; g++) {
        fti_status st = pcs_group_round(&gs->g[g], j, out);
        if (st != FTI_OK) return st;
    }
    return FTI_OK;
}

static void groups_bind(group_set *gs, unsigned j, ke_t s) {
    for (size_t g = 0; g < gs->n_groups; g++) pcs_group_bind(&gs->g[g], j, s);
}

/* ---- folding ---- */

typedef struct {
    const pcs_schedule *s;
    fti_pcs_commitment *const *comms;
    const ke_t *mu;
    const fe_t *inv2x_shared; /* 1/(2 w_H^bitrev_(H-1)(m)) for m < 2^(H-1): serves every level */
    /* the claimed polynomials' codewords and mu grouped by codeword log-length h: entries
     * lvl_start[h] .. lvl_start[h + 1] - 1 */
    const fe_t **lvl_cw;
    ke_t *lvl_mu;
    size_t lvl_start[FE_TWO_ADICITY + 2];
    ke_t *cur;        /* running codeword R_h, 2^h elements (NULL before the first fold) */
    unsigned h;
    /* the folds that are not committed as layers, in place where they can be (allocated at its
     * first and largest use; fresh buffers would cost a page fault per 4 KiB each time) */
    ke_t *work;
    ke_t **layer_cw;  /* committed layer codewords (owned) */
    fti_merkle_tree **layer_tree;
    fti_merkle_matrix_shape *layer_mat;
    fti_merkle_shape *layer_shape;
} folder;

/* The table inv2x[m] = 1/(2 x_m) = (1/2) w_H^-bitrev_(H-1)(m) for m < 2^(H-1). The table of a
 * larger H serves every smaller one (w_H^(2^(H-h) b) = w_h^b, and bitrev_(H-1)(m) =
 * 2^(H-h) bitrev_(h-1)(m) for m < 2^(h-1)), so one table, grown when needed, is kept for the
 * process (outgrown ones are not freed: at most twice the largest in all).
 * Bit j of m adds 2^(H-2-j) to bitrev_(H-1)(m), so the entries m + 2^j (m < 2^j) are the first
 * 2^j times w_H^-2^(H-2-j): the table is written in order, one multiplication per entry. */
fe_t *inv2x_outgrown[FE_TWO_ADICITY + 1]; /* outgrown tables: reachable, never freed */

static void inv2x_fill(fe_t *t, unsigned H) {
    static const fe_t INV2 = (FE_P + 1) / 2;
    fe_t pw[FE_TWO_ADICITY]; /* pw[i] = w_H^-2^i */
    const pcs_kernels *k = pcs_kernels_get();
    t[0] = INV2;
    if (H < 2) return;
    pw[0] = fe_inv(fe_root_of_unity(H));
    for (unsigned i = 1; i + 2 <= H; i++) pw[i] = fe_sqr(pw[i - 1]);
    for (unsigned j = 0; j + 2 <= H; j++) {
        size_t h = (size_t)1 << j;
        fe_t c = pw[H - 2 - j];
#pragma omp parallel for schedule(static) if (h > PCS_BLOCK)
        for (size_t x = 0; x < h; x += PCS_BLOCK) k->scale(t + h + x, t + x, c, h - x < PCS_BLOCK ? h - x : PCS_BLOCK);
    }
}

static const fe_t *inv2x_table(unsigned H) {
    static fe_t *table;
    static unsigned table_H;
    static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
    pthread_mutex_lock(&lock);
    if (!table || table_H < H) {
        fe_t *t = malloc(((size_t)1 << (H - 1)) * sizeof *t);
        if (t) {
            inv2x_fill(t, H);
            if (table) inv2x_outgrown[table_H] = table; /* a caller may still hold it */
            table = t;
            table_H = H;
        }
    }
    const fe_t *r = table && table_H >= H ? table : NULL;
    pthread_mutex_unlock(&lock);
    return r;
}

/* Groups the claimed polynomials' codewords and mu by codeword length. */
static fti_status folder_levels(folder *f) {
    const pcs_schedule *s = f->s;
    size_t pos[FE_TWO_ADICITY + 2];
    f->lvl_cw = malloc((s->n_claimed + 1) * sizeof *f->lvl_cw);
    f->lvl_mu = malloc((s->n_claimed + 1) * sizeof *f->lvl_mu);
    if (!f->lvl_cw || !f->lvl_mu) return fti_fail(FTI_ERR_NOMEM, "out of memory");
    memset(f->lvl_start, 0, sizeof f->lvl_start);
    for (size_t i = 0; i < s->n_claimed; i++) f->lvl_start[s->claimed[i].h + 1]++;
    for (unsigned h = 1; h <= FE_TWO_ADICITY + 1; h++) f->lvl_start[h] += f->lvl_start[h - 1];
    memcpy(pos, f->lvl_start, sizeof pos);
    for (size_t i = 0; i < s->n_claimed; i++) {
        const pcs_claimed *c = &s->claimed[i];
        size_t k = pos[c->h]++;
        f->lvl_cw[k] = f->comms[c->comm]->codewords[c->poly];
        f->lvl_mu[k] = f->mu[i];
    }
    return FTI_OK;
}

static fti_status folder_init(folder *f, const pcs_schedule *s, fti_pcs_commitment *const *comms, const ke_t *mu) {
    memset(f, 0, sizeof *f);
    f->s = s;
    f->comms = comms;
    f->mu = mu;
    f->h = s->H;
    fti_status st = folder_levels(f);
    if (st != FTI_OK) return st;
    size_t nl = s->n_layers + 1;
    f->layer_cw = calloc(nl, sizeof *f->layer_cw);
    f->layer_tree = calloc(nl, sizeof *f->layer_tree);
    f->layer_mat = calloc(nl, sizeof *f->layer_mat);
    f->layer_shape = calloc(nl, sizeof *f->layer_shape);
    if (!f->layer_cw || !f->layer_tree || !f->layer_mat || !f->layer_shape)
        return fti_fail(FTI_ERR_NOMEM, "out of memory");
    if (s->H && !(f->inv2x_shared = inv2x_table(s->H))) return fti_fail(FTI_ERR_NOMEM, "out of memory");
    return FTI_OK;
}

static void folder_free(folder *f) {
    if (!f->s) return;
    if (f->cur == f->work) f->cur = NULL;
    if (f->layer_cw)
        for (unsigned l = 0; l <= f->s->n_layers; l++) {
            if (f->layer_cw[l] == f->cur) f->cur = NULL;
            free(f->layer_cw[l]);
            fti_merkle_tree_free(f->layer_tree[l]);
        }
    free(f->cur);
    free(f->work);
    free(f->lvl_cw);
    free(f->lvl_mu);
    free(f->layer_cw);
    free(f->layer_tree);
    free(f->layer_mat);
    free(f->layer_shape);
    memset(f, 0, sizeof *f);
}

static size_t block_end(size_t x, size_t len) { return len - x < PCS_BLOCK ? len : x + PCS_BLOCK; }

/* Adds mu_i cw_i for claimed polynomials whose codewords have length 2^h. */
static void roll_in(folder *f, ke_t *R, unsigned h) {
    size_t len = (size_t)1 << h, i0 = f->lvl_start[h], n = f->lvl_start[h + 1] - i0;
    const pcs_kernels *k = pcs_kernels_get();
    if (n == 0) return;
#pragma omp parallel for schedule(static) if (len > PCS_BLOCK)
    for (size_t x = 0; x < len; x += PCS_BLOCK) k->roll_in(R, f->lvl_cw + i0, f->lvl_mu + i0, n, x, block_end(x, len));
}

/* The first fold reads the base-field codewords of size 2^H directly, without forming R_H in K. */
static void fold_first(folder *f, ke_t *out, ke_t s) {
    unsigned H = f->s->H;
    size_t half = (size_t)1 << (H - 1), i0 = f->lvl_start[H], n = f->lvl_start[H + 1] - i0;
    const pcs_kernels *k = pcs_kernels_get();
#pragma omp parallel for schedule(static) if (half > PCS_BLOCK)
    for (size_t m = 0; m < half; m += PCS_BLOCK)
        k->fold_first(out, f->lvl_cw + i0, f->lvl_mu + i0, n, f->inv2x_shared, s, m, block_end(m, half));
}

/* One fold by s. A fold that is to be committed as a layer (the queries read it at the end) gets
 * a buffer of its own; the others go to the work buffer, in place if the input is there. */
static fti_status fold_step(folder *f, ke_t s, int layer) {
    size_t half = (size_t)1 << (f->h - 1);
    ke_t *next = layer ? malloc(half * sizeof *next) : f->work ? f->work : (f->work = malloc(half * sizeof *next));
    if (!next) return fti_fail(FTI_ERR_NOMEM, "out of memory for a folded codeword");
    if (!f->cur) {
        fold_first(f, next, s);
    } else if (next == f->cur) {
        pcs_fold_inplace(next, f->inv2x_shared, s, half);
    } else {
        const ke_t *R = f->cur;
        const pcs_kernels *k = pcs_kernels_get();
#pragma omp parallel for schedule(static) if (half > PCS_BLOCK)
        for (size_t m = 0; m < half; m += PCS_BLOCK) k->fold(next, R, f->inv2x_shared, s, m, block_end(m, half));
    }
    f->cur = next;
    f->h--;
    roll_in(f, f->cur, f->h);
    if (pcs_hooks && pcs_hooks->after_fold) pcs_hooks->after_fold(f->cur, f->h, pcs_hooks->ctx);
    return FTI_OK;
}

/* R_H for an opening without folds (n = 0): sum of the constant codewords. */
static fti_status top_codeword(folder *f) {
    size_t len = (size_t)1 << f->s->H;
    f->cur = calloc(len, sizeof *f->cur);
    if (!f->cur) return fti_fail(FTI_ERR_NOMEM, "out of memory");
    roll_in(f, f->cur, f->s->H);
    return FTI_OK;
}

static fti_status commit_layer(folder *f, unsigned l, fti_digest *root) {
    unsigned kl = pcs_layer_folds(f->s, l);
    f->layer_mat[l].log_rows = f->h - kl;
    f->layer_mat[l].row_bytes = (size_t)KE_BYTES << kl;
    f->layer_shape[l] = (fti_merkle_shape){1, &f->layer_mat[l], 0};
    const uint8_t *data = (const uint8_t *)f->cur;
    fti_status st = fti_merkle_commit(&f->layer_tree[l], &f->layer_shape[l], &data, NULL);
    if (st != FTI_OK) return st;
    f->layer_cw[l] = f->cur;
    *root = *fti_merkle_tree_root(f->layer_tree[l]);
    return FTI_OK;
}

/* ---- proof assembly ---- */

static fti_status proof_alloc(fti_pcs_proof *p, const pcs_schedule *s, size_t n_comms) {
    memset(p, 0, sizeof *p);
    p->n_vars = s->n;
    p->n_claimed = (unsigned)s->n_claimed;
    p->n_layers = s->n_layers;
    p->single = s->single;
    p->batch_rounds = calloc(3 * (size_t)s->n + 1, sizeof(ke_t));
    p->fold_rounds = calloc(3 * (size_t)s->n + 1, sizeof(ke_t));
    p->evals = calloc(s->n_claimed + 1, sizeof(ke_t));
    p->layer_roots = calloc(s->n_layers + 1, sizeof(fti_digest));
    p->n_openings = n_comms + s->n_layers;
    p->openings = calloc(p->n_openings, sizeof(fti_merkle_opening));
    if (!p->batch_rounds || !p->fold_rounds || !p->evals || !p->layer_roots || !p->openings)
        return fti_fail(FTI_ERR_NOMEM, "out of memory");
    return FTI_OK;
}

/* The claim value of each claimed polynomial (single-point mode: one point each). */
static void single_point_evals(fti_pcs_proof *p, ke_t *r, const pcs_schedule *s) {
    memcpy(r, s->common, s->n * sizeof *r);
    for (size_t u = 0; u < s->n_uclaims; u++) p->evals[s->uclaims[u].claimed] = s->uclaims[u].value;
}

static fti_status phase1(fti_pcs_proof *p, ke_t *r, fti_transcript *t, const pcs_schedule *s,
                         fti_pcs_commitment *const *comms) {
    fti_status st;
    if (s->single) {
        single_point_evals(p, r, s);
        return FTI_OK;
    }
    group_set gs;
    memset(&gs, 0, sizeof gs);
    ke_t *lambda = calloc(s->n_points + 1, sizeof *lambda), *nu = calloc(s->n_claimed + 1, sizeof *nu);
    if (!lambda || !nu) {
        st = fti_fail(FTI_ERR_NOMEM, "out of memory");
        goto out_nogs;
    }
    pcs_draw_batching(t, s, lambda, nu);
    if ((st = phase1_groups(&gs, s, comms, lambda, nu)) != FTI_OK) goto out_nogs;
    for (unsigned j = 0; j < s->n; j++) {
        ke_t *g = p->batch_rounds + 3 * j;
        if ((st = groups_round(&gs, j, g)) != FTI_OK) goto out;
        fti_transcript_absorb_kes(t, "pcs/batch-round", g, 3);
        r[j] = fti_transcript_challenge_ke(t, "pcs/batch-challenge");
        groups_bind(&gs, j, r[j]);
    }
    for (size_t g = 0; g < gs.n_groups; g++)
        if (!pcs_group_consistent(&gs.g[g])) {
            st = fti_fail(FTI_ERR_INTERNAL, "a claimed evaluation is not the polynomial's value");
            goto out;
        }
    double t0 = fti_time_now();
    for (size_t i = 0; i < s->n_claimed; i++) {
        const pcs_claimed *c = &s->claimed[i];
        p->evals[i] = fti_mle_eval_fe(claimed_table(comms, c), c->n_vars, r + (s->n - c->n_vars));
    }
    fti_timing_add("pcs/evals", fti_time_now() - t0);
    fti_transcript_absorb_kes(t, "pcs/evals", p->evals, s->n_claimed);
out:
    group_set_free(&gs);
out_nogs:
    free(lambda);
    free(nu);
    return st;
}

static fti_status phase2(fti_pcs_proof *p, folder *f, fti_transcript *t, const pcs_schedule *s,
                         fti_pcs_commitment *const *comms, const ke_t *r, const ke_t *mu) {
    fti_status st;
    group_set gs;
    memset(&gs, 0, sizeof gs);
    if ((st = phase2_groups(&gs, s, comms, r, mu, p->evals)) != FTI_OK) return st;
    for (unsigned j = 0; j < s->n; j++) {
        ke_t *g = p->fold_rounds + 3 * j;
        FTI_TIMED(j == 0 ? "pcs/phase2-round0" : "pcs/phase2-round", st = groups_round(&gs, j, g));
        if (st != FTI_OK) goto out;
        fti_transcript_absorb_kes(t, "pcs/fold-round", g, 3);
        ke_t sj = fti_transcript_challenge_ke(t, "pcs/fold-challenge");
        FTI_TIMED(j == 0 ? "pcs/phase2-bind0" : "pcs/phase2-bind", groups_bind(&gs, j, sj));
        int layer = (j + 1) % s->k == 0 && j + 1 < s->n;
        FTI_TIMED(j == 0 ? "pcs/phase2-fold0" : "pcs/phase2-fold", st = fold_step(f, sj, layer));
        if (st != FTI_OK) goto out;
        if (layer) {
            unsigned l = (j + 1) / s->k;
            FTI_TIMED("pcs/phase2-layer", st = commit_layer(f, l, &p->layer_roots[l - 1]));
            if (st != FTI_OK) goto out;
            fti_transcript_absorb_digest(t, "pcs/layer-root", &p->layer_roots[l - 1]);
        }
    }
    if (!f->cur && (st = top_codeword(f)) != FTI_OK) goto out;
    p->final_value = f->cur[0];
    for (size_t x = 1; x < ((size_t)1 << f->h) && !pcs_hooks; x++) /* a test's cheating prover goes on */
        if (!ke_eq(f->cur[x], p->final_value)) {
            st = fti_fail(FTI_ERR_INTERNAL, "folded codeword is not constant");
            goto out;
        }
    fti_transcript_absorb_kes(t, "pcs/final", &p->final_value, 1);
out:
    group_set_free(&gs);
    return st;
}

static fti_status open_queries(fti_pcs_proof *p, folder *f, fti_transcript *t, const pcs_schedule *s,
                               fti_pcs_commitment *const *comms, size_t n_comms, const fti_pcs_params *pp) {
    fti_status st = FTI_OK;
    uint64_t *q = malloc(pp->n_queries * sizeof *q), *idx = malloc(pp->n_queries * sizeof *idx);
    if (!q || !idx) {
        st = fti_fail(FTI_ERR_NOMEM, "out of memory");
        goto out;
    }
    p->pow_nonce = fti_transcript_grind(t, pp->pow_bits);
    fti_transcript_challenge_indices(t, "pcs/queries", (uint64_t)1 << (s->H - s->k0), q, pp->n_queries);
    for (size_t c = 0; c < n_comms; c++) {
        unsigned L = pcs_tree_height(pp, &comms[c]->shape);
        for (unsigned i = 0; i < pp->n_queries; i++) idx[i] = (q[i] << s->k0) >> (s->H - L);
        if ((st = fti_merkle_open(&p->openings[c], comms[c]->tree, idx, pp->n_queries)) != FTI_OK) goto out;
    }
    for (unsigned l = 1; l <= s->n_layers; l++) {
        unsigned shift = l * s->k + pcs_layer_folds(s, l);
        for (unsigned i = 0; i < pp->n_queries; i++) idx[i] = (q[i] << s->k0) >> shift;
        if ((st = fti_merkle_open(&p->openings[n_comms + l - 1], f->layer_tree[l], idx, pp->n_queries)) != FTI_OK)
            goto out;
    }
out:
    free(q);
    free(idx);
    return st;
}

fti_status fti_pcs_open(fti_pcs_proof *proof, fti_transcript *t, const fti_pcs_params *pp,
                        fti_pcs_commitment *const *comms, size_t n_comms, const fti_pcs_claim *pub_claims,
                        size_t n_pub_claims) {
    fti_status st;
    pcs_schedule s;
    pcs_packed pk;
    folder f;
    int conflict;
    const fti_pcs_shape **shapes = malloc((n_comms ? n_comms : 1) * sizeof *shapes);
    const fti_pcs_shape **pub_shapes = malloc((n_comms ? n_comms : 1) * sizeof *pub_shapes);
    const fti_digest **roots = malloc((n_comms ? n_comms : 1) * sizeof *roots);
    ke_t *r = NULL, *mu = NULL;
    memset(proof, 0, sizeof *proof);
    memset(&f, 0, sizeof f);
    memset(&s, 0, sizeof s);
    memset(&pk, 0, sizeof pk);
    if (!shapes || !pub_shapes || !roots) {
        st = fti_fail(FTI_ERR_NOMEM, "out of memory");
        goto out;
    }
    for (size_t c = 0; c < n_comms; c++) {
        if (comms[c]->pp != pp) {
            st = fti_fail(FTI_ERR_ARG, "commitment %zu was made with other parameters", c);
            goto out;
        }
        shapes[c] = &comms[c]->shape;
        pub_shapes[c] = &comms[c]->pub_shape;
        roots[c] = fti_merkle_tree_root(comms[c]->tree);
    }
    /* everything below works on the packed polynomials */
    if ((st = pcs_pack_claims(&pk, pub_shapes, n_comms, pub_claims, n_pub_claims)) != FTI_OK) goto out;
    const fti_pcs_claim *claims = pk.claims;
    size_t n_claims = pk.n_claims;
    if ((st = pcs_schedule_build(&s, &conflict, pp, shapes, n_comms, claims, n_claims)) != FTI_OK) goto out;
    if ((st = proof_alloc(proof, &s, n_comms)) != FTI_OK) goto out;
    r = calloc(s.n + 1, sizeof *r);
    mu = calloc(s.n_claimed + 1, sizeof *mu);
    if (!r || !mu) {
        st = fti_fail(FTI_ERR_NOMEM, "out of memory");
        goto out;
    }
    pcs_absorb_context(t, pp, roots, shapes, n_comms, &s);
    FTI_TIMED("pcs/phase1", st = phase1(proof, r, t, &s, comms));
    if (st != FTI_OK) goto out;
    fti_transcript_challenge_kes(t, "pcs/mu", mu, s.n_claimed);
    for (size_t c = 0; c < n_comms && st == FTI_OK; c++) FTI_TIMED("pcs/re-encode", st = pcs_commitment_codewords(comms[c]));
    if (st != FTI_OK) goto out;
    FTI_TIMED("pcs/folder-init", st = folder_init(&f, &s, comms, mu));
    if (st != FTI_OK) goto out;
    FTI_TIMED("pcs/phase2", st = phase2(proof, &f, t, &s, comms, r, mu));
    if (st != FTI_OK) goto out;
    FTI_TIMED("pcs/queries", st = open_queries(proof, &f, t, &s, comms, n_comms, pp));
out:
    if (st != FTI_OK) fti_pcs_proof_free(proof);
    folder_free(&f);
    pcs_schedule_free(&s);
    pcs_packed_free(&pk);
    free(shapes);
    free(pub_shapes);
    free(roots);
    free(r);
    free(mu);
    return st;
}

void fti_pcs_proof_free(fti_pcs_proof *p) {
    free(p->batch_rounds);
    free(p->fold_rounds);
    free(p->evals);
    free(p->layer_roots);
    if (p->openings)
        for (size_t i = 0; i < p->n_openings; i++) fti_merkle_opening_free(&p->openings[i]);
    free(p->openings);
    memset(p, 0, sizeof *p);
}
