/* What a certificate must prove for each unit (the policy resolved against the base
 * commitment) and how the verifier judges the certified statistics against the bounds. Both
 * prover (to refuse early) and verifier use these.
 *
 * A policy speaks of "policy units": tensors, slices of fused tensors (GPT-2 c_attn:q), and
 * hash-only tensors. A committed unit is a policy unit or one row tile of it (NAME#k); the
 * verdict on a policy unit aggregates its tiles exactly: ||Delta||^2 and ||W||^2 add up, changed
 * counts add up; a rank bound needs a single tile. */
#ifndef FTI_CERT_POLICY_H
#define FTI_CERT_POLICY_H

#include "cert/cert.h"

typedef struct {
    size_t n_units;           /* committed units of the manifest */
    unsigned *need;           /* per committed unit: the flags to prove (its policy unit's, plus
                                 NORM for members of a total-norm group) */
    size_t *punit_of;         /* per committed unit: its policy unit */
    size_t n_punits;          /* committed policy units (first), then hash-only tensors */
    size_t n_committed_punits;
    char **punit_names;
    fti_requirement *req;     /* per policy unit, as the policy says (clamped) */
    size_t *tiles;            /* committed units of each committed policy unit, concatenated */
    size_t *tiles_first, *tiles_n;
    fti_policy_resolved *res; /* over the policy units */
    size_t n_hash_only;
    size_t *hash_only;        /* tensor indices of the hash-only tensors (policy units
                                 n_committed_punits + k) */
} cert_plan;

/* Resolves pol against base's units. FTI_ERR_POLICY names the rule and tensor (e.g. a class
 * other than frozen on a hash-only tensor, or a rank bound on a tiled tensor). */
FTI_MUST_CHECK fti_status cert_plan_make(cert_plan *p, const ftic *base, const fti_policy *pol);
void cert_plan_free(cert_plan *p);

typedef struct {
    int pass;
    char cls[48];    /* "frozen", "norm", "rank+norm", ... */
    char bound[96];  /* what the policy allows */
    char value[96];  /* what is certified */
} cert_verdict;

/* Judges policy unit pu from the certified statistics of its tiles (exact integer
 * comparisons). */
void cert_judge_punit(cert_verdict *v, const cert_plan *p, size_t pu, const ftic *base, const fti_cert *c);

/* Judges the global clauses. changed[t] (per manifest tensor) says whether tensor t is
 * certified changed. Writes a one-line reason for a failure. Returns 1 if they hold. */
int cert_judge_global(char *why, size_t why_len, const cert_plan *p, const fti_policy *pol, const ftic *base,
                      const fti_cert *c, const unsigned char *changed);

/* Whether a unit's statistics certify a change. */
int cert_unit_changed(const fti_cert_unit *st);

#endif
