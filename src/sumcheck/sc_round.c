/* Sum-check round kernels: the round polynomial's values g(0..d) and the folds that bind a
 * variable. Linear in the table size; see sumcheck_internal.h for the chunking. */
#include <stddef.h>
#include <string.h>

#include "sumcheck/sumcheck_internal.h"
#include "util/error.h"

#define SC_INLINE static inline __attribute__((always_inline))

/* The terms of one batch, split by where their factors live: base factors multiply in F,
 * ext factors in K, and the base product enters K once (ke_mul_fe). */
typedef struct {
    unsigned n_terms;
    unsigned nb[FTI_SC_TERM_BATCH], nk[FTI_SC_TERM_BATCH];
    uint8_t fb[FTI_SC_TERM_BATCH][FTI_SC_MAX_DEGREE];
    uint8_t fk[FTI_SC_TERM_BATCH][FTI_SC_MAX_DEGREE];
    ke_t coeff[FTI_SC_TERM_BATCH];
} sc_batch;

static void batch_init(sc_batch *b, const fti_sc_composite *c, const fti_sc_view *v, unsigned t0, unsigned t1) {
    b->n_terms = t1 - t0;
    for (unsigned t = 0; t < b->n_terms; t++) {
        const fti_sc_term *term = &c->terms[t0 + t];
        b->coeff[t] = term->coeff;
        b->nb[t] = b->nk[t] = 0;
        for (unsigned f = 0; f < term->n_factors; f++) {
            uint8_t m = term->factors[f];
            if (v->base[m]) b->fb[t][b->nb[t]++] = m;
            else b->fk[t][b->nk[t]++] = m;
        }
    }
}

/* Which tables some term reads (the others need no extrapolation). */
static unsigned used_tables(uint8_t *used, const fti_sc_composite *c) {
    uint8_t seen[FTI_SC_MAX_TABLES] = {0};
    unsigned n = 0;
    for (unsigned t = 0; t < c->n_terms; t++)
        for (unsigned f = 0; f < c->terms[t].n_factors; f++) seen[c->terms[t].factors[f]] = 1;
    for (unsigned m = 0; m < c->n_tables; m++)
        if (seen[m]) used[n++] = (uint8_t)m;
    return n;
}

/* Pairs handled together: a term's products over SC_SUB pairs are independent, which keeps
 * the multipliers busy (one pair's product chain alone is latency-bound). */
#define SC_SUB 16

/* Table values on SC_SUB consecutive pairs at X = 0..d: in F for base tables, else in K. */
typedef struct {
    fe_t f[FTI_SC_MAX_TABLES][FTI_SC_MAX_DEGREE + 1][SC_SUB];
    ke_t k[FTI_SC_MAX_TABLES][FTI_SC_MAX_DEGREE + 1][SC_SUB];
} sc_values;

/* v_0 = T[2j], v_1 = T[2j+1], v_x = v_{x-1} + (T[2j+1] - T[2j]) for pairs j0 .. j0 + len. */
SC_INLINE void extrapolate(sc_values *vals, const fti_sc_view *v, unsigned m, size_t j0, unsigned len, unsigned d) {
    if (v->base[m]) {
        const fe_t *t = v->base[m] + 2 * j0;
        fe_t(*out)[SC_SUB] = vals->f[m];
        for (unsigned j = 0; j < len; j++) {
            fe_t a = t[2 * j], b = t[2 * j + 1], step = fe_sub(b, a);
            out[0][j] = a;
            if (d >= 1) out[1][j] = b;
            for (unsigned x = 2; x <= d; x++) out[x][j] = fe_add(out[x - 1][j], step);
        }
    } else {
        const ke_t *t = v->ext[m] + 2 * j0;
        ke_t(*out)[SC_SUB] = vals->k[m];
        for (unsigned j = 0; j < len; j++) {
            ke_t a = t[2 * j], b = t[2 * j + 1], step = ke_sub(b, a);
            out[0][j] = a;
            if (d >= 1) out[1][j] = b;
            for (unsigned x = 2; x <= d; x++) out[x][j] = ke_add(out[x - 1][j], step);
        }
    }
}

/* Lazy accumulation. A term's products are summed without reducing the last multiplication:
 * each coefficient sums 128-bit products in a ke_acc (value lo + 2^128 hi, hi counting the
 * carries) and is reduced once per chunk. A pair adds at most 5 products per coefficient
 * (ke_mul_acc's middle one), so a chunk of FTI_SC_CHUNK pairs keeps hi <= 5 * 2^11, far below
 * the 2^31 that fe_reduce_wide accepts. */
typedef unsigned __int128 sc_u128;

/* acc += a b: ke_mul_acc from ext.h (ke_mul without its three reductions). */

/* acc += a b for b in F (b = 1: acc += a). */
SC_INLINE void ke_mul_fe_acc(ke_acc *acc, ke_t a, fe_t b) {
    for (unsigned i = 0; i < 3; i++) ke_acc_add(&acc[i], (sc_u128)a.c[i] * b);
}

static ke_t acc_value(const ke_acc *acc) {
    ke_t r = {{ke_acc_reduce(acc[0]), ke_acc_reduce(acc[1]), ke_acc_reduce(acc[2])}};
    return r;
}

/* Term t's products at X = x over len pairs, added into acc (3 coefficients; an all-base term
 * uses acc[0] only). Base factors multiply in F; a term with ext factors enters K once. The
 * last multiplication of every product goes into the accumulator unreduced. */
SC_INLINE void term_products(ke_acc *acc, const sc_batch *b, unsigned t, const sc_values *vals, unsigned x,
                             unsigned len) {
    fe_t pf[SC_SUB];
    ke_t pk[SC_SUB];
    unsigned nb = b->nb[t], nk = b->nk[t];
    const uint8_t *fb = b->fb[t], *fk = b->fk[t];
    if (nk == 0 && nb <= 1) { /* a constant or a single base table */
        for (unsigned j = 0; j < len; j++) ke_acc_add(&acc[0], nb ? vals->f[fb[0]][x][j] : 1);
        return;
    }
    unsigned nb_reduced = nk == 0 ? nb - 1 : nb; /* an all-base term keeps its last factor */
    for (unsigned j = 0; j < len; j++) pf[j] = nb_reduced ? vals->f[fb[0]][x][j] : 1;
    for (unsigned f = 1; f < nb_reduced; f++)
        for (unsigned j = 0; j < len; j++) pf[j] = fe_mul(pf[j], vals->f[fb[f]][x][j]);
    if (nk == 0) {
        for (unsigned j = 0; j < len; j++) ke_acc_add(&acc[0], (sc_u128)pf[j] * vals->f[fb[nb - 1]][x][j]);
        return;
    }
    for (unsigned j = 0; j < len; j++) pk[j] = vals->k[fk[0]][x][j];
    unsigned nk_reduced = nb ? nk : nk - 1; /* without base factors the last K factor is lazy */
    for (unsigned f = 1; f < nk_reduced; f++)
        for (unsigned j = 0; j < len; j++) pk[j] = ke_mul(pk[j], vals->k[fk[f]][x][j]);
    if (nb)
        for (unsigned j = 0; j < len; j++) ke_mul_fe_acc(acc, pk[j], pf[j]);
    else if (nk > 1)
        for (unsigned j = 0; j < len; j++) ke_mul_acc(acc, pk[j], vals->k[fk[nk - 1]][x][j]);
    else
        for (unsigned j = 0; j < len; j++) ke_mul_fe_acc(acc, pk[j], 1);
}

/* One batch over pairs [j0, j1): out[x] += sum_t coeff_t sum_j prod_{f in t} P_f(x, j).
 * Sums of products are kept per term (in F for all-base terms) and meet the coefficient once. */
SC_INLINE void batch_sum(ke_t *out, const sc_batch *b, const uint8_t *used, unsigned n_used, const fti_sc_view *v,
                         size_t j0, size_t j1, unsigned d, int skip_one) {
    sc_values vals;
    ke_acc acc[FTI_SC_TERM_BATCH][FTI_SC_MAX_DEGREE + 1][3];
    memset(acc, 0, sizeof acc[0] * b->n_terms);
    for (size_t j = j0; j < j1; j += SC_SUB) {
        unsigned len = j1 - j < SC_SUB ? (unsigned)(j1 - j) : SC_SUB;
        for (unsigned u = 0; u < n_used; u++) extrapolate(&vals, v, used[u], j, len, d);
        for (unsigned t = 0; t < b->n_terms; t++)
            for (unsigned x = 0; x <= d; x++)
                if (!(skip_one && x == 1)) term_products(acc[t][x], b, t, &vals, x, len);
    }
    for (unsigned t = 0; t < b->n_terms; t++)
        for (unsigned x = 0; x <= d; x++) {
            ke_t s = b->nk[t] ? ke_mul(acc_value(acc[t][x]), b->coeff[t])
                              : ke_mul_fe(b->coeff[t], ke_acc_reduce(acc[t][x][0]));
            out[x] = ke_add(out[x], s);
        }
}

/* out[0..d] = the chunk [j0, j1)'s contribution to g(0..d). */
SC_INLINE void chunk_sum_d(ke_t *out, const fti_sc_composite *c, const fti_sc_view *v, size_t j0, size_t j1,
                           unsigned d, int skip_one) {
    uint8_t used[FTI_SC_MAX_TABLES];
    unsigned n_used = used_tables(used, c);
    sc_batch b;
    for (unsigned x = 0; x <= d; x++) out[x] = ke_zero();
    for (unsigned t0 = 0; t0 < c->n_terms; t0 += FTI_SC_TERM_BATCH) {
        unsigned t1 = c->n_terms - t0 > FTI_SC_TERM_BATCH ? t0 + FTI_SC_TERM_BATCH : c->n_terms;
        batch_init(&b, c, v, t0, t1);
        batch_sum(out, &b, used, n_used, v, j0, j1, d, skip_one);
    }
}

/* Dispatch on d so that each instance has constant loop bounds over the points. */
static void chunk_sum(ke_t *out, const fti_sc_composite *c, const fti_sc_view *v, size_t j0, size_t j1, unsigned d,
                      int skip_one) {
    switch (d) {
    case 0: chunk_sum_d(out, c, v, j0, j1, 0, skip_one); break;
    case 1: chunk_sum_d(out, c, v, j0, j1, 1, skip_one); break;
    case 2: chunk_sum_d(out, c, v, j0, j1, 2, skip_one); break;
    case 3: chunk_sum_d(out, c, v, j0, j1, 3, skip_one); break;
    case 4: chunk_sum_d(out, c, v, j0, j1, 4, skip_one); break;
    case 5: chunk_sum_d(out, c, v, j0, j1, 5, skip_one); break;
    case 6: chunk_sum_d(out, c, v, j0, j1, 6, skip_one); break;
    case 7: chunk_sum_d(out, c, v, j0, j1, 7, skip_one); break;
    default: chunk_sum_d(out, c, v, j0, j1, FTI_SC_MAX_DEGREE, skip_one); break;
    }
}

void fti_sc_round_sum(ke_t *evals, ke_t *partials, const fti_sc_composite *c, unsigned d, const fti_sc_view *v,
                      size_t half, int skip_one) {
    FTI_VERIFY_CHECK(d <= FTI_SC_MAX_DEGREE && half > 0);
    size_t n_chunks = fti_sc_n_chunks(half);
    if (n_chunks == 1) {
        chunk_sum(evals, c, v, 0, half, d, skip_one);
        return;
    }
#pragma omp parallel for schedule(dynamic)
    for (size_t k = 0; k < n_chunks; k++) {
        size_t j1 = (k + 1) * FTI_SC_CHUNK < half ? (k + 1) * FTI_SC_CHUNK : half;
        chunk_sum(partials + k * (d + 1), c, v, k * FTI_SC_CHUNK, j1, d, skip_one);
    }
    for (unsigned x = 0; x <= d; x++) evals[x] = ke_zero();
    for (size_t k = 0; k < n_chunks; k++) /* fixed order: chunk 0, 1, ... */
        for (unsigned x = 0; x <= d; x++) evals[x] = ke_add(evals[x], partials[k * (d + 1) + x]);
}

void fti_sc_fold_fe(ke_t *out, const fe_t *in, size_t half, ke_t r) {
#pragma omp parallel for schedule(dynamic, FTI_SC_CHUNK) if (half >= FTI_SC_CHUNK)
    for (size_t j = 0; j < half; j++) {
        fe_t a = in[2 * j], step = fe_sub(in[2 * j + 1], a);
        out[j] = ke_add_fe(ke_mul_fe(r, step), a); /* a + r (b - a) */
    }
}

/* Outputs go through a small local buffer: stores into t could alias the next loads as far as
 * the compiler knows, which would serialise the iterations. */
static void fold_block(ke_t *t, size_t j0, size_t j1, ke_t r) {
    ke_t buf[SC_SUB];
    for (size_t j = j0; j < j1; j += SC_SUB) {
        unsigned len = j1 - j < SC_SUB ? (unsigned)(j1 - j) : SC_SUB;
        for (unsigned i = 0; i < len; i++) {
            ke_t a = t[2 * (j + i)];
            buf[i] = ke_add(a, ke_mul(r, ke_sub(t[2 * (j + i) + 1], a))); /* a + r (b - a) */
        }
        memcpy(t + j, buf, len * sizeof(ke_t));
    }
}

/* In place and in parallel. Output block k (outputs [kB, kB + B)) reads input blocks 2k and
 * 2k + 1 and overwrites input block k, which only output block floor(k/2) reads. So block 0
 * runs first (its writes trail its reads), then the waves [1, 2), [2, 4), [4, 8), ...: within a
 * wave no block reads what another writes, and every block's reader ran in an earlier wave.
 * All tables share the waves, so a round has one barrier per wave, not one per wave and table. */
void fti_sc_fold_ke(ke_t *const *tables, unsigned n_tables, size_t half, ke_t r) {
    const size_t B = FTI_SC_CHUNK;
    size_t n_blocks = (half + B - 1) / B;
    for (unsigned m = 0; m < n_tables; m++) fold_block(tables[m], 0, half < B ? half : B, r);
    if (n_blocks <= 1) return;
#pragma omp parallel
    for (size_t lo = 1; lo < n_blocks; lo *= 2) {
        size_t hi = 2 * lo < n_blocks ? 2 * lo : n_blocks;
#pragma omp for schedule(dynamic)
        for (size_t i = lo * n_tables; i < hi * n_tables; i++) { /* block i / n_tables of table i % n_tables */
            size_t k = i / n_tables;
            fold_block(tables[i % n_tables], k * B, (k + 1) * B < half ? (k + 1) * B : half, r);
        }
        /* implicit barrier: the next wave starts after this one */
    }
}
