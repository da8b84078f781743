/* A growing list of PCS evaluation claims with storage for their points (internal to the
 * certificate module). */
#ifndef FTI_CERT_CLAIMS_H
#define FTI_CERT_CLAIMS_H

#include "pcs/pcs.h"

typedef struct {
    size_t n, cap;
    fti_pcs_claim *claims;
    size_t n_pts, cap_pts;
    ke_t **pts; /* owned */
    int oom;
} claimset;

void claims_init(claimset *c);
void claims_free(claimset *c);
/* A fresh point of n elements owned by the set (NULL and oom on failure). */
ke_t *claims_point(claimset *c, unsigned n);
/* Adds f_(commitment, poly)(point) = value (point must stay alive: from claims_point or the
 * caller's storage). */
void claims_add(claimset *c, unsigned commitment, unsigned poly, const ke_t *point, ke_t value);

#endif
