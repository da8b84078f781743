/* The prover's commitment object (internal to the PCS). */
#ifndef FTI_PCS_COMMIT_H
#define FTI_PCS_COMMIT_H

#include "pcs/pcs_internal.h"

struct fti_pcs_commitment {
    const fti_pcs_params *pp;
    /* the public shape: the polynomials as the caller sees them */
    size_t n_pub;
    unsigned *pub_vars;
    fti_pcs_shape pub_shape;
    fti_pcs_layout layout;
    /* the packed polynomials: what is encoded, committed and opened */
    fti_pcs_shape shape;
    const fe_t *const *tables;         /* packed tables (borrowed, or owned_tables) */
    fe_t **owned_tables;               /* when the caller's tables were not in place */
    fe_t **codewords;                  /* bit-reversed RS codewords, 2^(n_p + R) each; NULL if released */
    fti_merkle_matrix_shape *matrices;
    fti_merkle_shape mshape;
    fti_merkle_tree *tree;
};

/* Encodes the codewords again if they were released (fti_pcs_open calls it when it needs them). */
fti_status pcs_commitment_codewords(fti_pcs_commitment *c);

#endif
