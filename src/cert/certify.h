/* Proving and verifying certificates (the library behind `fti prove` and `fti verify`). */
#ifndef FTI_CERT_CERTIFY_H
#define FTI_CERT_CERTIFY_H

#include "cert/cert.h"
#include "cert/cert_policy.h"
#include "commit/commit.h"
#include "model/lora.h"

/* Proves that tuned (in base's frame) satisfies pol. base and tuned are complete statements
 * (roots, sums; proofs not needed) whose IDs the certificate binds; bck, tck the checkpoints
 * they were made from (a mismatch is FTI_ERR_MISMATCH naming the block).
 * If the update does not fit the policy, no certificate is made: *cert = NULL and *refusal
 * holds one line per violation (unit, measured statistic, bound), to be freed. */
FTI_MUST_CHECK fti_status fti_cert_prove(fti_cert **cert, char **refusal, const ftic *base, const ftic *tuned,
                                         const fti_ckpt *bck, const fti_ckpt *tck, const fti_policy *pol,
                                         const fti_progress *progress);

/* Options of fti_cert_prove_with. */
typedef struct {
    const fti_progress *progress; /* or NULL */
    /* A LoRA adapter (or NULL): a rank unit whose tensor the adapter adapts, with a rank no
     * more than the policy allows, takes its factors from the adapter's B and A (rounded to 16
     * bits like any factors) instead of a truncated SVD of Delta. The certificate does not
     * depend on where the factors came from beyond their values; the adapter is not trusted
     * (a poor factorisation only makes a larger residual, which the policy judges). */
    const fti_lora *adapter;
    /* out: rank units factored from the adapter, and by SVD */
    size_t adapter_units, svd_units;
} fti_cert_prove_opts;

/* fti_cert_prove with options; o may be NULL. */
FTI_MUST_CHECK fti_status fti_cert_prove_with(fti_cert **cert, char **refusal, const ftic *base, const ftic *tuned,
                                              const fti_ckpt *bck, const fti_ckpt *tck, const fti_policy *pol,
                                              fti_cert_prove_opts *o);

/* Test-only hook (tests/test_cert.c builds cheating provers with it): called after the
 * statistics pass, before anything is proven; it may edit the certificate's statement, and it
 * may return 1 to skip the prover's own check against the policy. NULL in normal use. */
typedef struct {
    int (*edit_statement)(fti_cert *c, void *ctx);
    void *ctx;
} cert_test_hooks;
extern const cert_test_hooks *cert_hooks;

typedef struct {
    int proofs_ok;          /* every block proof verified */
    char reject_reason[256];/* why, when the certificate is rejected before or besides verdicts */
    size_t n_units;         /* committed policy units (tensors, slices) */
    cert_verdict *units;
    char **unit_names;
    size_t n_hash_only;
    int *hash_only_pass;    /* per hash-only tensor (plan order) */
    int global_pass;
    char global_reason[256];
    int commitments_ok;     /* both commitments' own proofs verified (when checked) */
} fti_cert_report;

void fti_cert_report_free(fti_cert_report *r);

/* Verifies cert against the two commitments and the policy. *accept = 0 first; 1 only if the
 * certificate binds these commitments and this policy, every proof verifies, every unit's
 * certified statistics satisfy its bounds and the global clauses hold. check_commitments
 * also verifies both commitments' range and norm proofs (needed for soundness unless they were
 * checked before). Returns FTI_OK unless it could not run. */
FTI_MUST_CHECK fti_status fti_cert_verify(int *accept, fti_cert_report *rep, const ftic *base, const ftic *tuned,
                                          const fti_policy *pol, const fti_cert *cert, int check_commitments);

#endif
