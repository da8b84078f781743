/* Layout and prover tables of a block's auxiliary commitment (see cert_aux.h). */
#include "cert/cert_aux.h"

#include <stdlib.h>

#include "logup/logup.h"
#include "util/error.h"

ke_t cert_lt_mle(uint64_t c, const ke_t *rho, unsigned j) {
    if (j < 64 && c >= ((uint64_t)1 << j)) return ke_one();
    /* {s < c} is the union over the 1-bits i of c of the subcubes where s agrees with c above i
     * and has bit i = 0; each contributes prod_{l > i} eq1(c_l, rho_l) * (1 - rho_i). */
    ke_t acc = ke_zero(), prefix = ke_one(), one = ke_one();
    for (unsigned i = j; i-- > 0;) {
        int bit = (int)((c >> i) & 1);
        if (bit) acc = ke_add(acc, ke_mul(prefix, ke_sub(one, rho[i])));
        prefix = ke_mul(prefix, bit ? rho[i] : ke_sub(one, rho[i]));
    }
    return acc;
}

void aux_layout_free(aux_layout *a) {
    free(a->n_vars);
    free(a->first);
    free(a->range_polys);
    memset(a, 0, sizeof *a);
}

fti_status aux_layout_make(aux_layout *a, const cert_ctx *ctx, size_t b) {
    const ftic_block *bl = &ctx->base->blocks[b];
    memset(a, 0, sizeof *a);
    size_t cap = 4 * (size_t)bl->n_units + 1;
    a->n_vars = calloc(cap, sizeof *a->n_vars);
    a->first = calloc(bl->n_units, sizeof *a->first);
    a->range_polys = calloc(cap, sizeof *a->range_polys);
    if (!a->n_vars || !a->first || !a->range_polys) {
        aux_layout_free(a);
        return fti_fail(FTI_ERR_NOMEM, "out of memory");
    }
    a->m_index = SIZE_MAX;
    for (uint32_t i = 0; i < bl->n_units; i++) {
        size_t u = bl->first_unit + i;
        const ftic_unit *bu = &ctx->base->units[u];
        const fti_cert_unit *cu = &ctx->cert->units[u];
        unsigned need = ctx->plan->need[u];
        a->first[i] = SIZE_MAX;
        if (need & FTI_REQ_SPARSE) {
            unsigned n = ftic_unit_vars(bu), L = cert_ceil_log2(n ? n : 1);
            a->first[i] = a->n_polys;
            a->n_vars[a->n_polys++] = cu->sparse_log;
            a->n_vars[a->n_polys++] = cu->sparse_log + L;
        }
        if (need & FTI_REQ_RANK) {
            if (a->first[i] == SIZE_MAX) a->first[i] = a->n_polys;
            a->range_polys[a->n_range++] = (unsigned)a->n_polys;
            a->n_vars[a->n_polys++] = cu->rank_log + bu->log_rows;
            a->range_polys[a->n_range++] = (unsigned)a->n_polys;
            a->n_vars[a->n_polys++] = cu->rank_log + bu->log_cols;
            if (cu->residual) {
                a->range_polys[a->n_range++] = (unsigned)a->n_polys;
                a->n_vars[a->n_polys++] = ftic_unit_vars(bu);
                a->range_polys[a->n_range++] = (unsigned)a->n_polys;
                a->n_vars[a->n_polys++] = ftic_unit_vars(bu);
            }
        }
    }
    if (a->n_range) {
        a->m_index = a->n_polys;
        a->n_vars[a->n_polys++] = FTI_LOGUP_TABLE_BITS;
    }
    for (size_t p = 0; p < a->n_polys; p++)
        if (a->n_vars[p] > FTI_PCS_MAX_VARS) {
            aux_layout_free(a);
            return fti_fail(FTI_ERR_UNSUPPORTED, "an auxiliary polynomial of block %s is too large", bl->label);
        }
    return FTI_OK;
}

void aux_tables_free(fe_t **tables, const aux_layout *a) {
    if (!tables) return;
    for (size_t p = 0; p < a->n_polys; p++) free(tables[p]);
    free(tables);
}

/* delta and I of a sparse unit: the changed entries in index order. */
static void sparse_tables(fe_t *delta, fe_t *I, unsigned n, unsigned j, const fe_t *lo, const fe_t *lo2,
                          const fe_t *hi, const fe_t *hi2) {
    size_t slots = (size_t)1 << j, len = (size_t)1 << n, s = 0;
    unsigned L = cert_ceil_log2(n ? n : 1);
    memset(delta, 0, slots * sizeof *delta);
    memset(I, 0, (slots << L) * sizeof *I);
    for (size_t x = 0; x < len && s < slots; x++) {
        int64_t d = cert_delta_at(lo, lo2, hi, hi2, x);
        if (!d) continue;
        delta[s] = fe_from_i64(d);
        for (unsigned l = 0; l < n; l++) I[s + slots * l] = (x >> l) & 1;
        s++;
    }
}

/* Ulimb, Vlimb and (with a residual) Rlo, Rhi of a rank unit. */
static void rank_tables(fe_t *const *out, const ftic_unit *bu, const fti_cert_unit *cu, const cert_factors *f,
                        const fe_t *lo, const fe_t *lo2, const fe_t *hi, const fe_t *hi2) {
    unsigned q = cu->rank_log, a = bu->log_rows, b = bu->log_cols;
    size_t cols = (size_t)1 << q;
    for (size_t x = 0; x < (cols << a); x++) out[0][x] = 1u << 15;
    for (size_t x = 0; x < (cols << b); x++) out[1][x] = 1u << 15;
    for (uint64_t i = 0; i < f->m; i++)
        for (unsigned k = 0; k < f->rank; k++) out[0][k + (i << q)] = (fe_t)(f->U[i * f->rank + k] + 32768);
    for (uint64_t jj = 0; jj < f->n; jj++)
        for (unsigned k = 0; k < f->rank; k++) out[1][k + (jj << q)] = (fe_t)(f->V[jj * f->rank + k] + 32768);
    if (!cu->residual) return;
    size_t len = (size_t)1 << (a + b);
    for (size_t x = 0; x < len; x++) { /* padding: R = 0, u = 2^31 */
        out[2][x] = 0;
        out[3][x] = 1u << 15;
    }
    int64_t *row = malloc(f->n * sizeof *row);
    if (!row) return; /* caller checks the residual sums against the statement */
    for (uint64_t i = 0; i < f->m; i++) {
        for (uint64_t jj = 0; jj < f->n; jj++) {
            size_t x = jj + ((size_t)i << b);
            row[jj] = cert_delta_at(lo, lo2, hi, hi2, x);
        }
        for (uint64_t jj = 0; jj < f->n; jj++) {
            int64_t acc = 0;
            for (unsigned k = 0; k < f->rank; k++) acc += (int64_t)f->U[i * f->rank + k] * f->V[jj * f->rank + k];
            uint64_t u = (uint64_t)(row[jj] * ((int64_t)1 << f->shift) - acc + ((int64_t)1 << 31));
            size_t x = jj + ((size_t)i << b);
            out[2][x] = u & 0xFFFF;
            out[3][x] = u >> 16;
        }
    }
    free(row);
}

fti_status aux_tables_make(fe_t ***tables, const aux_layout *a, const cert_ctx *ctx, size_t b, fe_t *const *tb,
                           fe_t *const *tt, const cert_factors *factors) {
    const ftic_block *bl = &ctx->base->blocks[b];
    fe_t **t = calloc(a->n_polys ? a->n_polys : 1, sizeof *t);
    *tables = NULL;
    if (!t) return fti_fail(FTI_ERR_NOMEM, "out of memory");
    for (size_t p = 0; p < a->n_polys; p++)
        if (!(t[p] = malloc(((size_t)1 << a->n_vars[p]) * sizeof(fe_t)))) {
            aux_tables_free(t, a);
            return fti_fail(FTI_ERR_NOMEM, "out of memory for auxiliary polynomials");
        }
    for (uint32_t i = 0; i < bl->n_units; i++) {
        size_t u = bl->first_unit + i, p = a->first[i];
        const ftic_unit *bu = &ctx->base->units[u];
        const fti_cert_unit *cu = &ctx->cert->units[u];
        unsigned need = ctx->plan->need[u];
        if (p == SIZE_MAX) continue;
        const fe_t *lo = tb[2 * i], *hi = tb[2 * i + 1], *lo2 = tt[2 * i], *hi2 = tt[2 * i + 1];
        if (need & FTI_REQ_SPARSE) {
            sparse_tables(t[p], t[p + 1], ftic_unit_vars(bu), cu->sparse_log, lo, lo2, hi, hi2);
            p += 2;
        }
        if (need & FTI_REQ_RANK) rank_tables(t + p, bu, cu, &factors[i], lo, lo2, hi, hi2);
    }
    if (a->m_index != SIZE_MAX) {
        unsigned *nv = malloc(a->n_range * sizeof *nv);
        const fe_t **cols = malloc(a->n_range * sizeof *cols);
        fti_status st = FTI_OK;
        if (!nv || !cols) st = fti_fail(FTI_ERR_NOMEM, "out of memory");
        for (size_t k = 0; st == FTI_OK && k < a->n_range; k++) {
            nv[k] = a->n_vars[a->range_polys[k]];
            cols[k] = t[a->range_polys[k]];
        }
        if (st == FTI_OK) {
            fti_logup_columns lc = {a->n_range, nv, cols};
            memset(t[a->m_index], 0, ((size_t)1 << FTI_LOGUP_TABLE_BITS) * sizeof(fe_t));
            st = fti_logup_multiplicities(t[a->m_index], &lc);
        }
        free(nv);
        free(cols);
        if (st != FTI_OK) {
            aux_tables_free(t, a);
            return st;
        }
    }
    *tables = t;
    return FTI_OK;
}
