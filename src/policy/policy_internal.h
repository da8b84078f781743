/* Helpers shared by the policy module's files (not part of its contract). */
#ifndef FTI_POLICY_INTERNAL_H
#define FTI_POLICY_INTERNAL_H

#include <stdarg.h>

#include "policy/arch.h"
#include "policy/policy.h"

#define FTI_POLICY_MAX_MATCH 4096 /* bytes of a glob */

/* fti_fail(FTI_ERR_POLICY, "<source>: rule <i> (<match>): <problem>"); match may be NULL
 * (then "<source>: rule <i>: <problem>"). */
fti_status fti_policy_rule_fail(const fti_policy *p, size_t i, const char *match, const char *fmt,
                                ...) __attribute__((format(printf, 4, 5)));

/* The same for total-norm group i: "<source>: global.total_norm[<i>] (<match>): <problem>". */
fti_status fti_policy_group_fail(const fti_policy *p, size_t i, const char *match, const char *fmt,
                                 ...) __attribute__((format(printf, 4, 5)));

/* NULL if the requirement is well-formed (see fti_requirement in policy.h), else a static
 * description of the problem. */
const char *fti_requirement_problem(const fti_requirement *q);

/* NULL if b is a well-formed bound (mode NONE only when allow_none), else the problem. */
const char *fti_bound_problem(const fti_bound *b, int allow_none);

/* Sets max_changed_tensors (-1 or 0..INT64_MAX). */
void fti_policy_set_max_changed(fti_policy *p, int64_t n);

/* Globs (rule patterns) that together match exactly the units with selected[i] != 0 among
 * units[0..n) (cls: their classes): none matches an unselected unit and each matches some
 * selected unit no earlier glob matches. *out is malloc'd; release with
 * fti_policy_globs_free. */
FTI_MUST_CHECK fti_status fti_policy_globs(char ***out, size_t *n_out, const fti_policy_unit *units,
                                           const fti_unit_class *cls, const char *selected, size_t n);
void fti_policy_globs_free(char **globs, size_t n);

#endif
