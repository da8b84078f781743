/* The prover's commitment object (internal to the PCS). */
#ifndef FTI_PCS_COMMIT_H
#define FTI_PCS_COMMIT_H

#include "pcs/pcs_internal.h"

struct fti_pcs_commitment {
    const fti_pcs_params *pp;
    size_t n_polys;
    unsigned *n_vars;
    fti_pcs_shape shape;
    const fe_t *const *tables;         /* borrowed hypercube tables */
    fe_t **codewords;                  /* bit-reversed RS codewords, 2^(n_i + R) each */
    fti_merkle_matrix_shape *matrices;
    fti_merkle_shape mshape;
    fti_merkle_tree *tree;
};

#endif
