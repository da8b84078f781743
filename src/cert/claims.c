#include "cert/claims.h"

#include <stdlib.h>
#include <string.h>

void claims_init(claimset *c) { memset(c, 0, sizeof *c); }

void claims_free(claimset *c) {
    for (size_t i = 0; i < c->n_pts; i++) free(c->pts[i]);
    free(c->pts);
    free(c->claims);
    memset(c, 0, sizeof *c);
}

ke_t *claims_point(claimset *c, unsigned n) {
    if (c->n_pts == c->cap_pts) {
        size_t cap = c->cap_pts ? 2 * c->cap_pts : 32;
        ke_t **p = realloc(c->pts, cap * sizeof *p);
        if (!p) {
            c->oom = 1;
            return NULL;
        }
        c->pts = p;
        c->cap_pts = cap;
    }
    ke_t *pt = calloc(n + 1, sizeof *pt);
    if (!pt) {
        c->oom = 1;
        return NULL;
    }
    c->pts[c->n_pts++] = pt;
    return pt;
}

void claims_add(claimset *c, unsigned commitment, unsigned poly, const ke_t *point, ke_t value) {
    if (c->n == c->cap) {
        size_t cap = c->cap ? 2 * c->cap : 64;
        fti_pcs_claim *p = realloc(c->claims, cap * sizeof *p);
        if (!p) {
            c->oom = 1;
            return;
        }
        c->claims = p;
        c->cap = cap;
    }
    c->claims[c->n++] = (fti_pcs_claim){commitment, poly, point, value};
}
