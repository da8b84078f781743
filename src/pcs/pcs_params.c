/* Parameter sets of the commitment scheme. Their derivation is in SECURITY.md; in short, at rate
 * rho = 1/2 with a cubic extension (|K| ~ 2^192) every algebraic error term (sum-check,
 * batching, folding) is below 2^-150 for codewords up to 2^32, so the security is set by the
 * query phase: bits = n_queries * query_bits + pow_bits >= 100.
 *  proven:      unique decoding radius delta = (1 - rho)/2 = 1/4, so one query is passed by a
 *               far word with probability <= 3/4: query_bits = log2(4/3) = 0.41504;
 *               203 * 0.41504 + 16 = 100.25 bits.
 *  conjectured: delta = 1 - sqrt(rho) - 1/256 (just inside the Johnson radius) with the
 *               conjecture that the correlated-agreement error there is as small as in the
 *               unique-decoding regime (|D|/|K| up to a small factor; the proven Johnson-regime
 *               bound of BCIKS20 is much larger). query_bits = -log2(0.70711 + 0.00391) =
 *               0.49211; 171 * 0.49211 + 16 = 100.15 bits. It does not rely on the withdrawn
 *               list-decoding-capacity conjecture.
 *  test:        few queries, for fast tests of the protocol logic only (about 16 bits). */
#include <math.h>
#include <string.h>

#include "pcs/pcs.h"

static const fti_pcs_params PARAMS[] = {
    {"proven", 1, 1, 4, 203, 16, 0.4150374992788438, "unique decoding, delta = (1 - rho)/2"},
    {"conjectured", 2, 1, 4, 171, 16, 0.4921120, "Johnson radius minus 1/256, conjectured agreement error"},
    {"test", 3, 1, 2, 12, 0, 0.4150374992788438, "unique decoding, test-only query count"},
};

const fti_pcs_params *fti_pcs_params_get(const char *name) {
    for (size_t i = 0; i < sizeof PARAMS / sizeof PARAMS[0]; i++)
        if (!strcmp(PARAMS[i].name, name)) return &PARAMS[i];
    return NULL;
}

const fti_pcs_params *fti_pcs_params_by_id(uint8_t id) {
    for (size_t i = 0; i < sizeof PARAMS / sizeof PARAMS[0]; i++)
        if (PARAMS[i].id == id) return &PARAMS[i];
    return NULL;
}

double fti_pcs_security_bits(const fti_pcs_params *pp) { return pp->n_queries * pp->query_bits + pp->pow_bits; }

double fti_pcs_proven_bits(const fti_pcs_params *pp) {
    /* unique decoding at rate 2^-R: delta = (1 - rho)/2 */
    double rho = 1.0 / (double)(1u << pp->log_blowup), delta = (1.0 - rho) / 2.0;
    return pp->n_queries * -log2(1.0 - delta) + pp->pow_bits;
}
