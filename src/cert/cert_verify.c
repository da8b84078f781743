/* The certificate verifier: binding checks, block proofs, verdicts. It never reads weights. */
#include <stdio.h>
#include <stdlib.h>

#include "cert/cert_block.h"
#include "cert/certify.h"
#include "util/buf.h"
#include "util/error.h"

void fti_cert_write_statement(fti_wbuf *w, const fti_cert *c);

void fti_cert_report_free(fti_cert_report *r) {
    if (r->unit_names)
        for (size_t i = 0; i < r->n_units; i++) free(r->unit_names[i]);
    free(r->unit_names);
    free(r->units);
    free(r->hash_only_pass);
    memset(r, 0, sizeof *r);
}

/* The certificate names these commitments and this policy, and the tuned commitment is in the
 * base's frame. 0 with a reason otherwise. */
static int check_binding(fti_cert_report *rep, const ftic *base, const ftic *tuned, const fti_policy *pol,
                         const fti_cert *cert) {
    fti_digest bid, tid, ph;
    if (ftic_id(&bid, base) != FTI_OK || ftic_id(&tid, tuned) != FTI_OK || fti_policy_hash(&ph, pol) != FTI_OK) {
        snprintf(rep->reject_reason, sizeof rep->reject_reason, "out of memory");
        return 0;
    }
    const char *why = NULL;
    if (!fti_digest_eq(&cert->base_id, &bid)) why = "the certificate is for another base commitment";
    else if (!fti_digest_eq(&cert->tuned_id, &tid)) why = "the certificate is for another tuned commitment";
    else if (!fti_digest_eq(&cert->policy_hash, &ph)) why = "the certificate is for another policy";
    else if (cert->pp != base->pp || tuned->pp != base->pp) why = "parameter sets differ";
    else if (base->kind != FTIC_BASE || tuned->kind != FTIC_TUNED || !fti_digest_eq(&tuned->base_id, &bid))
        why = "the tuned commitment was not made in the frame of this base";
    else if (cert->n_units != base->n_units || tuned->n_units != base->n_units || cert->n_blocks != base->n_blocks ||
             tuned->n_blocks != base->n_blocks || tuned->n_tensors != base->n_tensors)
        why = "the certificate and the commitments do not have the same units and blocks";
    if (!why)
        for (size_t u = 0; u < base->n_units && !why; u++) {
            const ftic_unit *a = &base->units[u], *b = &tuned->units[u];
            if (strcmp(a->name, b->name) || a->log_rows != b->log_rows || a->log_cols != b->log_cols ||
                a->quantum != b->quantum || a->block != b->block)
                why = "the tuned commitment's units differ from the base's";
        }
    if (!why)
        for (size_t k = 0; k < base->n_blocks && !why; k++)
            if (base->blocks[k].first_unit != tuned->blocks[k].first_unit || base->blocks[k].n_units != tuned->blocks[k].n_units)
                why = "the tuned commitment's blocks differ from the base's";
    if (why) snprintf(rep->reject_reason, sizeof rep->reject_reason, "%s", why);
    return why == NULL;
}

static int verify_blocks(const cert_ctx *ctx, const fti_cert *cert) {
    fti_transcript t;
    fti_wbuf stmt;
    fti_wbuf_init(&stmt);
    fti_cert_write_statement(&stmt, cert);
    if (stmt.oom) return 0;
    fti_transcript_init(&t, "fti/certificate/v1");
    fti_transcript_absorb(&t, "statement", stmt.data, stmt.len);
    fti_wbuf_free(&stmt);
    for (size_t b = 0; b < cert->n_blocks; b++) {
        int ok = 0;
        if (cert_block_verify(&ok, &t, ctx, b, cert->proofs[b], cert->proof_len[b]) != FTI_OK || !ok) return 0;
    }
    return 1;
}

fti_status fti_cert_verify(int *accept, fti_cert_report *rep, const ftic *base, const ftic *tuned,
                           const fti_policy *pol, const fti_cert *cert, int check_commitments) {
    cert_plan plan;
    fti_status st;
    *accept = 0;
    memset(rep, 0, sizeof *rep);
    if (!check_binding(rep, base, tuned, pol, cert)) return FTI_OK;
    if ((st = cert_plan_make(&plan, base, pol)) != FTI_OK) return st;
    rep->n_units = plan.n_committed_punits;
    rep->units = calloc(rep->n_units + 1, sizeof *rep->units);
    rep->unit_names = calloc(rep->n_units + 1, sizeof *rep->unit_names);
    rep->n_hash_only = plan.n_hash_only;
    rep->hash_only_pass = calloc(plan.n_hash_only + 1, sizeof *rep->hash_only_pass);
    unsigned char *tchanged = calloc(base->n_tensors, 1);
    if (!rep->units || !rep->unit_names || !rep->hash_only_pass || !tchanged) {
        st = fti_fail(FTI_ERR_NOMEM, "out of memory");
        goto out;
    }
    int flags_ok = 1;
    for (size_t u = 0; u < base->n_units; u++) flags_ok &= cert->units[u].flags == plan.need[u];
    if (!flags_ok) {
        snprintf(rep->reject_reason, sizeof rep->reject_reason, "the certificate proves other classes than the policy requires");
        goto out;
    }
    if (check_commitments) {
        int ok1 = 0, ok2 = 0;
        size_t bad;
        if ((st = ftic_check(&ok1, &bad, base)) != FTI_OK || (st = ftic_check(&ok2, &bad, tuned)) != FTI_OK) goto out;
        rep->commitments_ok = ok1 && ok2;
        if (!rep->commitments_ok) {
            snprintf(rep->reject_reason, sizeof rep->reject_reason, "the %s commitment's own proofs do not verify",
                     ok1 ? "tuned" : "base");
            goto out;
        }
    }
    cert_ctx ctx = {base, tuned, &plan, cert, NULL};
    rep->proofs_ok = verify_blocks(&ctx, cert);
    fti_clear_error();
    int all = rep->proofs_ok;
    if (!rep->proofs_ok) snprintf(rep->reject_reason, sizeof rep->reject_reason, "a block proof does not verify");
    for (size_t pu = 0; pu < plan.n_committed_punits; pu++) {
        cert_judge_punit(&rep->units[pu], &plan, pu, base, cert);
        all &= rep->units[pu].pass;
        size_t n = strlen(plan.punit_names[pu]) + 1;
        if ((rep->unit_names[pu] = malloc(n))) memcpy(rep->unit_names[pu], plan.punit_names[pu], n);
    }
    for (size_t u = 0; u < base->n_units; u++) tchanged[base->units[u].tensor] |= cert_unit_changed(&cert->units[u]);
    for (size_t k = 0; k < plan.n_hash_only; k++) {
        size_t t = plan.hash_only[k];
        rep->hash_only_pass[k] = fti_digest_eq(&base->tensors[t].sha256, &tuned->tensors[t].sha256);
        all &= rep->hash_only_pass[k];
        tchanged[t] |= !rep->hash_only_pass[k];
    }
    rep->global_pass = cert_judge_global(rep->global_reason, sizeof rep->global_reason, &plan, pol, base, cert, tchanged);
    all &= rep->global_pass;
    *accept = all;
out:
    free(tchanged);
    cert_plan_free(&plan);
    return st;
}
