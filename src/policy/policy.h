/* Drift policies: which change each committed unit of a model may undergo.
 *
 * A policy (docs/policy.md has the format with examples) is an ordered list of rules
 *   glob on unit names -> requirement (frozen | any of sparse(k), rank(r [+ residual]), norm)
 * plus global clauses (at most N tensors changed; total-norm bounds over groups of units).
 * The first matching rule wins; a unit no rule matches is frozen. Globs are fnmatch(3) with
 * flags 0: '*' also crosses '.', '/' and ':'.
 *
 * A *unit* is what the commitment layer commits: a tensor, or a named slice of a fused
 * tensor ("transformer.h.0.attn.c_attn.weight:q"). Units are described to this module by
 * fti_policy_unit; the module never sees weights.
 *
 * Life cycle: fti_policy_parse / fti_policy_load (or fti_policy_new + fti_policy_add_* for
 * generated policies) -> fti_policy_resolve against the model's units -> the proof layer reads
 * the per-unit requirements; fti_policy_hash gives the digest bound into certificates.
 *
 * Conventions: outputs first, then inputs; a length follows its buffer. Functions returning
 * fti_status set fti_last_error() on failure; policy problems are FTI_ERR_POLICY with the
 * message "<source>: rule <i> (<match>): <problem>" (rules are numbered from 0, as in the JSON
 * array) or "<source>: rule <i> (<match>) ... tensor <name> ...". Objects returned through
 * `**out` belong to the caller and are released with the matching *_free (NULL is allowed).
 *
 * Exact bounds: values are committed as integers v with value = v * 2^s (s is the unit's
 * quantum exponent). fti_policy_abs_bound, fti_policy_rel_ok* and fti_policy_group_ok turn the
 * policy's real-valued bounds into exact integer decisions: no floating-point rounding enters
 * any verdict. */
#ifndef FTI_POLICY_H
#define FTI_POLICY_H

#include <stddef.h>
#include <stdint.h>

#include "fti/fti.h"
#include "hash/sha256.h"

#define FTI_POLICY_VERSION 1

/* ---- requirements ------------------------------------------------------------------------ */

#define FTI_REQ_FROZEN 1u /* Delta = 0; never combined with another flag */
#define FTI_REQ_SPARSE 2u /* at most k nonzero entries */
#define FTI_REQ_RANK 4u   /* Delta = L + R, rank(L) <= r, R = 0 or ||R||_F bounded */
#define FTI_REQ_NORM 8u   /* ||Delta||_F bounded */

typedef enum {
    FTI_BOUND_NONE = 0, /* no bound (only for a rank residual: exact, R = 0) */
    FTI_BOUND_ABS = 1,  /* ||X||_F <= value, in the tensor's real units ("tau") */
    FTI_BOUND_REL = 2   /* ||X||_F <= value * ||W_base||_F ("rho") */
} fti_bound_mode;

typedef struct {
    fti_bound_mode mode;
    double value; /* finite, >= 0 (and +0.0, never -0.0) when mode != NONE; 0 when NONE */
} fti_bound;

/* What one unit must satisfy. Every flag set must hold (a combination is a conjunction). */
typedef struct {
    unsigned flags;     /* FTI_REQ_FROZEN alone, or a nonempty subset of SPARSE|RANK|NORM */
    uint64_t k;         /* SPARSE: the support bound */
    uint64_t r;         /* RANK: >= 1 */
    fti_bound residual; /* RANK: NONE (exact) or ABS/REL bound on ||R||_F */
    fti_bound norm;     /* NORM: ABS or REL (mode never NONE) */
} fti_requirement;

/* The requirement of an unmatched unit. */
static inline fti_requirement fti_requirement_frozen(void) {
    fti_requirement q = {FTI_REQ_FROZEN, 0, 0, {FTI_BOUND_NONE, 0}, {FTI_BOUND_NONE, 0}};
    return q;
}

/* A short human-readable form ("frozen", "rank<=16 + residual<=0.004*||W||", "norm<=0.5",
 * "sparse k<=1000 + norm<=0.1*||W||") into buf (always terminated, truncated if needed). */
void fti_requirement_describe(char *buf, size_t buf_len, const fti_requirement *q);

/* ---- policies ---------------------------------------------------------------------------- */

typedef struct {
    char *match;       /* fnmatch pattern, nonempty */
    char *description; /* NULL if none; not part of the canonical form */
    fti_requirement req;
} fti_policy_rule;

typedef struct {
    char *match;
    char *description;
    fti_bound bound; /* ABS: sqrt(sum ||Delta_u||^2) <= tau; REL: <= rho * sqrt(sum ||W_u||^2) */
} fti_policy_group;

typedef struct {
    char *source;      /* the file name or label used in messages */
    char *description; /* NULL if none */
    size_t n_rules;
    fti_policy_rule *rules;
    int64_t max_changed_tensors; /* -1: no limit */
    size_t n_groups;
    fti_policy_group *groups;
} fti_policy;

/* Parses a policy from len bytes of JSON; source names it in messages (e.g. a path). Rejects
 * (FTI_ERR_POLICY) anything docs/policy.md does not define: invalid JSON, a version other than
 * FTI_POLICY_VERSION, unknown or duplicate keys anywhere, rules without match or constraint,
 * frozen combined with another class, out-of-range parameters. */
FTI_MUST_CHECK fti_status fti_policy_parse(fti_policy **out, const char *data, size_t len,
                                           const char *source);

/* fti_policy_parse on the contents of a file (FTI_ERR_IO if it cannot be read). */
FTI_MUST_CHECK fti_status fti_policy_load(fti_policy **out, const char *path);

void fti_policy_free(fti_policy *p);

/* An empty policy (no rules: everything frozen), for generators. */
FTI_MUST_CHECK fti_status fti_policy_new(fti_policy **out, const char *source);

/* Appends a rule / a total-norm group after checking it exactly as the parser does
 * (FTI_ERR_POLICY naming the would-be rule). Strings are copied; description may be NULL. */
FTI_MUST_CHECK fti_status fti_policy_add_rule(fti_policy *p, const char *match,
                                              const fti_requirement *req, const char *description);
FTI_MUST_CHECK fti_status fti_policy_add_group(fti_policy *p, const char *match,
                                               const fti_bound *bound, const char *description);

/* Replaces the policy's description (NULL removes it). */
FTI_MUST_CHECK fti_status fti_policy_set_description(fti_policy *p, const char *description);

/* ---- canonical form and hash ------------------------------------------------------------- */

/* The canonical serialisation: compact JSON, keys sorted, ASCII only, reals with 17
 * significant digits, every default explicit (residual "none", max_changed_tensors null,
 * total_norm []), bounds always reals, descriptions dropped. Two policies with the same
 * meaning as written (same rules in the same order with the same parameters) serialise to the
 * same bytes; it parses back to the same policy. *out is malloc'd (free()), NUL-terminated;
 * len excludes the terminator. */
FTI_MUST_CHECK fti_status fti_policy_canonical(char **out, size_t *len, const fti_policy *p);

/* SHA-256 of the canonical serialisation: the policy hash bound into certificates. */
FTI_MUST_CHECK fti_status fti_policy_hash(fti_digest *out, const fti_policy *p);

/* The policy as pretty JSON (2-space indent, keys in a fixed readable order, descriptions
 * kept, defaults omitted), newline-terminated: what `fti policy init` writes. free() it. */
FTI_MUST_CHECK fti_status fti_policy_to_json(char **out, const fti_policy *p);

/* ---- resolution against a model ---------------------------------------------------------- */

typedef enum {
    FTI_ROLE_UNKNOWN = 0, /* the name and shape decide */
    FTI_ROLE_LINEAR,      /* a dense weight matrix */
    FTI_ROLE_CONV,        /* a convolution kernel */
    FTI_ROLE_EMBEDDING,   /* token / position embeddings */
    FTI_ROLE_NORM,        /* a normalisation layer's parameter or statistic */
    FTI_ROLE_BIAS         /* a bias vector */
} fti_unit_role;

/* One committed unit, as the model layer describes it. Strings are borrowed. */
typedef struct {
    const char *name;   /* unique; a slice of a fused tensor is "TENSOR:SUFFIX" */
    const char *tensor; /* the checkpoint tensor it is (part of); NULL means name */
    uint64_t rows;      /* matrix view rows x cols when ndim >= 2 (conv: out x in*kh*kw); */
    uint64_t cols;      /*   a vector (ndim <= 1) has rows = 1 and cols = its length */
    unsigned ndim;      /* number of dimensions of the original tensor (0: scalar) */
    fti_unit_role role; /* a hint from the model layer; presets read it */
    const char *dtype;  /* "BF16", "F16", "F32", ... or NULL; presets read it */
} fti_policy_unit;

#define FTI_POLICY_IMPLICIT ((size_t)-1) /* rule index of a unit no rule matched */

typedef struct {
    size_t rule;         /* the first matching rule, or FTI_POLICY_IMPLICIT (frozen) */
    size_t tensor;       /* index of the unit's tensor among the distinct tensors */
    fti_requirement req; /* clamped: k <= rows*cols, r <= min(rows, cols) (equality: vacuous) */
} fti_unit_policy;

typedef struct {
    size_t n;      /* >= 1 */
    size_t *units; /* indices into the unit list, ascending */
} fti_group_members;

typedef struct {
    size_t n_units;
    fti_unit_policy *units; /* parallel to the unit list */
    size_t n_tensors;
    size_t n_groups;
    fti_group_members *groups; /* parallel to policy->groups */
    size_t n_warnings;
    char **warnings; /* one-line notes (vacuous parameters); the CLI prints them */
} fti_policy_resolved;

/* Assigns every unit its requirement. Fails with FTI_ERR_POLICY when a rule matches no unit,
 * when every unit a rule matches is taken by earlier rules (shadowed), when rank applies to a
 * unit of fewer than 2 dimensions, or when a total-norm group matches no unit; FTI_ERR_ARG for
 * invalid units (NULL/empty/duplicate names, zero sizes). k larger than a unit's entry count
 * and r larger than min(rows, cols) are allowed (vacuous), clamped, and noted in warnings. */
FTI_MUST_CHECK fti_status fti_policy_resolve(fti_policy_resolved **out, const fti_policy *p,
                                             const fti_policy_unit *units, size_t n_units);

void fti_policy_resolved_free(fti_policy_resolved *r);

/* ---- exact bounds ------------------------------------------------------------------------ */

typedef unsigned __int128 fti_u128;

#define FTI_POLICY_BOUND_MAX (~(fti_u128)0) /* 2^128 - 1 */

/* B = floor((tau / 2^s)^2), exactly (tau decomposed into its 53-bit integer mantissa and
 * exponent; 128-bit integer arithmetic), saturating at FTI_POLICY_BOUND_MAX. For an integer
 * sum of squares S < 2^128 of entries in units of 2^s:  sqrt(S) * 2^s <= tau  <=>  S <= B.
 * tau = +inf gives FTI_POLICY_BOUND_MAX; tau NaN or negative gives 0 (the strictest bound). */
fti_u128 fti_policy_abs_bound(double tau, int s);

/* Exactly decides delta2 <= rho^2 * w2 (i.e. ||Delta||_F <= rho * ||W||_F when both sums of
 * squares are in the same units). rho NaN or negative: 0; rho = +inf: 1. */
int fti_policy_rel_ok(fti_u128 delta2, fti_u128 w2, double rho);

/* Exactly decides x * 2^e <= rho^2 * w2, for |e| <= 4096 (else 0). For a residual R committed
 * in units 2^-t of Delta's: fti_policy_rel_ok_exp(R2, -2t, W2, rho). */
int fti_policy_rel_ok_exp(fti_u128 x, int e, fti_u128 w2, double rho);

/* Exactly decides a total-norm clause over n units with sums of squares delta2[i] (and, for a
 * relative bound, w2[i]) in units 4^s[i]:
 *   ABS:  sum delta2[i] * 4^s[i] <= tau^2
 *   REL:  sum delta2[i] * 4^s[i] <= rho^2 * sum w2[i] * 4^s[i].
 * *ok is set to 0 first. FTI_ERR_ARG for a bound of mode NONE or n > 2^32; FTI_ERR_RANGE if
 * max s - min s > FTI_POLICY_MAX_S_SPAN (the internal integers would not fit). w2 may be NULL
 * for ABS. */
#define FTI_POLICY_MAX_S_SPAN 700
FTI_MUST_CHECK fti_status fti_policy_group_ok(int *ok, const fti_bound *bound,
                                              const fti_u128 *delta2, const fti_u128 *w2,
                                              const int *s, size_t n);

#endif
