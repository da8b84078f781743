/* The auxiliary commitment of a certificate block (internal): the polynomials the prover adds
 * for sparse and rank units, in block order of the units:
 *   SPARSE unit (n variables, 2^j slots):  delta (j vars); I (j + L vars, L = ceil log2 max(n,1)),
 *       I(s, l) = bit l of slot s's index, at position s + 2^j l;
 *   RANK unit (a row, b column variables, 2^q factor columns): Ulimb (q + a vars, entry (i, k) at
 *       k + 2^q i, U + 2^15), Vlimb (q + b vars), and with a residual Rlo, Rhi (b + a vars,
 *       the unit's layout, limbs of R + 2^31);
 *   then, if any RANK unit: the multiplicity table m of the range check of every Ulimb, Vlimb,
 *   Rlo, Rhi (16 vars).
 * Both sides derive this layout from the manifest and the certificate's statistics. */
#ifndef FTI_CERT_AUX_H
#define FTI_CERT_AUX_H

#include "cert/cert_block.h"
#include "cert/lowrank.h"

typedef struct {
    size_t n_polys;
    unsigned *n_vars;
    size_t *first;         /* per unit of the block: its first aux polynomial, or SIZE_MAX */
    size_t m_index;        /* the multiplicity table, or SIZE_MAX */
    size_t n_range;
    unsigned *range_polys; /* aux polynomials in the range check, in order */
} aux_layout;

FTI_MUST_CHECK fti_status aux_layout_make(aux_layout *a, const cert_ctx *ctx, size_t b);
void aux_layout_free(aux_layout *a);

static inline unsigned cert_ceil_log2(uint64_t x) {
    unsigned l = 0;
    while (l < 63 && ((uint64_t)1 << l) < x) l++;
    return l;
}

/* Prover: the aux tables of block b from the limb tables of both models and the factors of
 * its rank units (factors[i] for unit i of the block; unused entries ignored). */
FTI_MUST_CHECK fti_status aux_tables_make(fe_t ***tables, const aux_layout *a, const cert_ctx *ctx, size_t b,
                                          fe_t *const *tb, fe_t *const *tt, const cert_factors *factors);
void aux_tables_free(fe_t **tables, const aux_layout *a);

/* Delta of unit (lo, lo', hi, hi') at padded index x: (lo' + 2^16 hi') - (lo + 2^16 hi). */
static inline int64_t cert_delta_at(const fe_t *lo, const fe_t *lo2, const fe_t *hi, const fe_t *hi2, size_t x) {
    return ((int64_t)lo2[x] + ((int64_t)hi2[x] << 16)) - ((int64_t)lo[x] + ((int64_t)hi[x] << 16));
}

/* The MLE of [s < c] over j variables at rho (1 when c >= 2^j). */
ke_t cert_lt_mle(uint64_t c, const ke_t *rho, unsigned j);

#endif
