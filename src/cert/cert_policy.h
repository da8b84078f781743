/* What a certificate must prove for each unit (the policy resolved against the base
 * commitment's units) and how the verifier judges the certified statistics against the bounds.
 * Both prover (to refuse early) and verifier use these. */
#ifndef FTI_CERT_POLICY_H
#define FTI_CERT_POLICY_H

#include "cert/cert.h"

typedef struct {
    size_t n_units;           /* committed units of the manifest */
    fti_requirement *req;     /* per unit, as the policy says (clamped) */
    unsigned *need;           /* per unit: the flags to prove (req.flags, plus NORM for members
                                 of a total-norm group) */
    fti_policy_resolved *res; /* over the committed units, then the hash-only tensors */
    size_t n_hash_only;
    size_t *hash_only;        /* tensor indices of the hash-only tensors, in manifest order */
} cert_plan;

/* Resolves pol against base's units. FTI_ERR_POLICY names the rule and tensor (e.g. a class
 * other than frozen on a hash-only tensor). */
FTI_MUST_CHECK fti_status cert_plan_make(cert_plan *p, const ftic *base, const fti_policy *pol);
void cert_plan_free(cert_plan *p);

typedef struct {
    int pass;
    char cls[48];    /* "frozen", "norm", "rank+norm", ... */
    char bound[96];  /* what the policy allows */
    char value[96];  /* what is certified */
} cert_verdict;

/* Judges one unit's certified statistics (exact integer comparisons). */
void cert_judge_unit(cert_verdict *v, const fti_requirement *req, unsigned need, const fti_cert_unit *st,
                     const ftic_unit *bu);

/* Judges the global clauses. changed[t] (per manifest tensor) says whether tensor t is
 * certified changed. Writes a one-line reason for a failure. Returns 1 if they hold. */
int cert_judge_global(char *why, size_t why_len, const cert_plan *p, const fti_policy *pol, const ftic *base,
                      const fti_cert *c, const unsigned char *changed);

/* Whether a unit's statistics certify a change. */
int cert_unit_changed(const fti_cert_unit *st);

#endif
