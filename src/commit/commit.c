/* The commitment pipeline: tuned planning, limb tables, building (commit + prove), checking. */
#include "commit/commit.h"

#include <stdio.h>
#include <stdlib.h>

#include "commit/commit_proof.h"
#include "logup/logup.h"
#include "model/encode.h"
#include "util/error.h"
#include "util/timing.h"

/* ---- tuned planning ---- */

typedef struct {
    char msg[900];
    size_t len, count;
} diffs;

/* Appends "a b" (separated from earlier notes by "; "), truncating when the message is full. */
static void note(diffs *d, const char *a, const char *b) {
    d->count++;
    if (d->len + 4 >= sizeof d->msg) return;
    int n = snprintf(d->msg + d->len, sizeof d->msg - d->len, "%s%s%s", d->count > 1 ? "; " : "", a, b);
    if (n > 0) d->len = d->len + (size_t)n < sizeof d->msg ? d->len + (size_t)n : sizeof d->msg - 1;
}

static void shape_str(char *out, size_t cap, unsigned ndim, const uint64_t *shape) {
    size_t at = 0;
    at += (size_t)snprintf(out, cap, "[");
    for (unsigned d = 0; d < ndim && at < cap; d++)
        at += (size_t)snprintf(out + at, cap - at, d ? ",%llu" : "%llu", (unsigned long long)shape[d]);
    if (at < cap) snprintf(out + at, cap - at, "]");
}

static void compare_sets(diffs *d, const fti_ckpt *ck, const ftic *base) {
    size_t nt = fti_ckpt_count(ck), i = 0, j = 0;
    while (i < base->n_tensors || j < nt) {
        const ftic_tensor *bt = i < base->n_tensors ? &base->tensors[i] : NULL;
        const fti_st_tensor *tt = j < nt ? fti_ckpt_tensor(ck, j) : NULL;
        int c = !bt ? 1 : !tt ? -1 : strcmp(bt->name, tt->name);
        if (c < 0) {
            note(d, bt->name, " missing in tuned");
            i++;
        } else if (c > 0) {
            note(d, tt->name, " extra in tuned");
            j++;
        } else {
            int same = bt->ndim == tt->ndim;
            for (unsigned k = 0; same && k < bt->ndim; k++) same = bt->shape[k] == tt->shape[k];
            if (!same) {
                char a[128], b[128], both[400];
                shape_str(a, sizeof a, bt->ndim, bt->shape);
                shape_str(b, sizeof b, tt->ndim, tt->shape);
                snprintf(both, sizeof both, ": shape %s in base, %s in tuned", a, b);
                note(d, bt->name, both);
            } else if (bt->committed != (fti_dtype_committable(tt->dtype) && tt->numel > 0)) {
                char why[100];
                snprintf(why, sizeof why, ": dtype %s in tuned cannot take the base's place", fti_dtype_name(tt->dtype));
                note(d, bt->name, why);
            }
            i++;
            j++;
        }
    }
}

fti_status ftic_plan_tuned(ftic **out, const fti_ckpt *ck, const ftic *base, const fti_digest *base_id) {
    diffs d;
    memset(&d, 0, sizeof d);
    *out = NULL;
    if (base->kind != FTIC_BASE) return fti_fail(FTI_ERR_ARG, "the --base commitment is itself a tuned commitment");
    compare_sets(&d, ck, base);
    if (d.count)
        return fti_fail(FTI_ERR_MISMATCH, "%s: the tuned checkpoint does not match the base commitment (%zu difference%s): %s",
                        fti_ckpt_path(ck), d.count, d.count > 1 ? "s" : "", d.msg);
    ftic *c = calloc(1, sizeof *c);
    if (!c) return fti_fail(FTI_ERR_NOMEM, "out of memory");
    c->pp = base->pp;
    c->kind = FTIC_TUNED;
    c->base_id = *base_id;
    c->n_tensors = base->n_tensors;
    c->n_units = base->n_units;
    c->n_blocks = base->n_blocks;
    c->tensors = calloc(c->n_tensors, sizeof *c->tensors);
    c->units = calloc(c->n_units, sizeof *c->units);
    c->blocks = calloc(c->n_blocks, sizeof *c->blocks);
    c->proofs = calloc(c->n_blocks, sizeof *c->proofs);
    c->proof_len = calloc(c->n_blocks, sizeof *c->proof_len);
    if (!c->tensors || !c->units || !c->blocks || !c->proofs || !c->proof_len) goto nomem;
    for (size_t i = 0; i < c->n_tensors; i++) {
        c->tensors[i] = base->tensors[i];
        c->tensors[i].dtype = fti_ckpt_tensor(ck, i)->dtype;
        if (!(c->tensors[i].name = strdup(base->tensors[i].name))) goto nomem;
    }
    for (size_t i = 0; i < c->n_units; i++) {
        c->units[i] = base->units[i];
        memset(c->units[i].sums, 0, sizeof c->units[i].sums);
        if (!(c->units[i].name = strdup(base->units[i].name))) goto nomem;
    }
    for (size_t b = 0; b < c->n_blocks; b++) {
        c->blocks[b] = base->blocks[b];
        memset(&c->blocks[b].root, 0, sizeof c->blocks[b].root);
        if (!(c->blocks[b].label = strdup(base->blocks[b].label))) goto nomem;
    }
    *out = c;
    return FTI_OK;
nomem:
    ftic_free(c);
    return fti_fail(FTI_ERR_NOMEM, "out of memory");
}

/* ---- limb tables ---- */

static const fe_t PAD_LO = 0, PAD_HI = 0x8000; /* v = 0: u = 2^31 */

static void fill_padding(fe_t *lo, fe_t *hi, size_t from, size_t to) {
    for (size_t x = from; x < to; x++) {
        lo[x] = PAD_LO;
        hi[x] = PAD_HI;
    }
}

/* Fills one unit's padded limb tables (2^n entries each). */
static fti_status unit_tables(fe_t *lo, fe_t *hi, const ftic *c, const ftic_unit *u, const fti_st_tensor *t) {
    const ftic_tensor *mt = &c->tensors[u->tensor];
    size_t padded = (size_t)1 << ftic_unit_vars(u);
    fti_status st = FTI_OK;
    if (mt->ndim <= 1) { /* a vector or a column slice of one: contiguous elements */
        uint32_t *tmp = malloc(u->cols * sizeof *tmp);
        if (!tmp) return fti_fail(FTI_ERR_NOMEM, "out of memory");
        st = fti_encode_run(tmp, t, u->quantum, u->col0, u->cols);
        for (size_t x = 0; st == FTI_OK && x < u->cols; x++) {
            lo[x] = tmp[x] & 0xFFFF;
            hi[x] = tmp[x] >> 16;
        }
        free(tmp);
        if (st == FTI_OK) fill_padding(lo, hi, u->cols, padded);
        return st;
    }
    fti_view v;
    if ((st = fti_view_init(&v, t, mt->out_axis ? FTI_OUT_LAST : FTI_OUT_FIRST)) != FTI_OK) return st;
    if (v.log_cols != u->log_cols || u->col0 != 0)
        return fti_fail(FTI_ERR_INTERNAL, "unit %s: view does not match the manifest", u->name);
    /* whole tensor: every padded row; a row slice: its rows, then padding */
    int whole = u->row0 == 0 && u->rows == v.rows && u->log_rows == v.log_rows;
    uint64_t nrows = whole ? ((uint64_t)1 << v.log_rows) : u->rows;
    uint64_t chunk = nrows / 64 + 1, bad_r0 = UINT64_MAX;
    char why[1024] = "";
#pragma omp parallel for schedule(dynamic, 1)
    for (uint64_t r0 = 0; r0 < nrows; r0 += chunk) {
        uint64_t k = r0 + chunk <= nrows ? chunk : nrows - r0;
        size_t off = (size_t)r0 << v.log_cols;
        fti_status s2 = fti_encode_limbs(lo + off, hi + off, t, &v, u->quantum, u->row0 + r0, k);
        if (s2 != FTI_OK) {
            /* the message is thread-local: keep the first failing window's, whichever thread ran it */
#pragma omp critical
            if (r0 < bad_r0) {
                bad_r0 = r0;
                st = s2;
                snprintf(why, sizeof why, "%s", fti_last_error());
            }
        }
    }
    if (st != FTI_OK) return fti_fail(st, "%s", why); /* re-raised on the calling thread */
    if (!whole) fill_padding(lo, hi, (size_t)u->rows << v.log_cols, padded);
    return st;
}

/* The tables of a block live in one buffer, laid out as the PCS packs them (pcs.h), so that
 * committing them needs no copy; the buffer's address is kept after the table pointers. */
void ftic_tables_free(fe_t **tables, const ftic *c, size_t b) {
    if (!tables) return;
    free(tables[2 * (size_t)c->blocks[b].n_units + 1]);
    free(tables);
}

/* Allocates the block's tables in the packed layout of its PCS shape. */
static fti_status alloc_packed(fe_t **tab, const ftic *c, size_t b) {
    size_t nt = 2 * (size_t)c->blocks[b].n_units + 1;
    unsigned *nv = malloc(nt * sizeof *nv);
    fti_pcs_layout L;
    fti_pcs_shape shape;
    fti_status st;
    if (!nv) return fti_fail(FTI_ERR_NOMEM, "out of memory");
    ftic_block_shape(&shape, nv, c, b);
    if ((st = fti_pcs_layout_make(&L, &shape)) != FTI_OK) {
        free(nv);
        return st;
    }
    uint64_t *start = calloc(L.n_packed + 1, sizeof *start), total = 0;
    for (size_t p = 0; start && p < L.n_packed; p++) {
        start[p] = total;
        total += (uint64_t)1 << L.packed_vars[p];
    }
    fe_t *buf = start ? malloc(total * sizeof(fe_t)) : NULL;
    if (!buf) {
        st = fti_fail(FTI_ERR_NOMEM, "out of memory for block %s (%llu entries)", c->blocks[b].label,
                      (unsigned long long)total);
    } else {
        for (size_t i = 0; i < nt; i++) tab[i] = buf + start[L.packed[i]] + L.offset[i];
        tab[nt] = buf;
    }
    free(start);
    fti_pcs_layout_free(&L);
    free(nv);
    return st;
}

fti_status ftic_block_tables(fe_t ***out, const ftic *c, size_t b, const fti_ckpt *ck) {
    const ftic_block *bl = &c->blocks[b];
    size_t nt = 2 * (size_t)bl->n_units + 1;
    fe_t **tab = calloc(nt + 1, sizeof *tab);
    fti_status st = FTI_OK;
    *out = NULL;
    if (!tab) return fti_fail(FTI_ERR_NOMEM, "out of memory");
    if ((st = alloc_packed(tab, c, b)) != FTI_OK) {
        free(tab);
        return st;
    }
    for (uint32_t i = 0; i < bl->n_units && st == FTI_OK; i++) {
        const ftic_unit *u = &c->units[bl->first_unit + i];
        const fti_st_tensor *t = fti_ckpt_find(ck, c->tensors[u->tensor].name);
        if (!t) {
            st = fti_fail(FTI_ERR_MISMATCH, "%s: tensor %s is missing", fti_ckpt_path(ck), c->tensors[u->tensor].name);
            break;
        }
        st = unit_tables(tab[2 * i], tab[2 * i + 1], c, u, t);
        fti_ckpt_release(t); /* its pages leave the process (the page cache keeps them): on a
                              * model larger than memory, RSS stays at a block's tables */
    }
    if (st == FTI_OK) {
        unsigned *nv = malloc((nt - 1) * sizeof *nv);
        if (!nv) {
            st = fti_fail(FTI_ERR_NOMEM, "out of memory");
        } else {
            for (uint32_t i = 0; i < bl->n_units; i++) nv[2 * i] = nv[2 * i + 1] = ftic_unit_vars(&c->units[bl->first_unit + i]);
            fti_logup_columns cols = {nt - 1, nv, (const fe_t *const *)tab};
            memset(tab[nt - 1], 0, ((size_t)1 << FTIC_TABLE_VARS) * sizeof(fe_t));
            st = fti_logup_multiplicities(tab[nt - 1], &cols);
            free(nv);
        }
    }
    if (st != FTI_OK) {
        ftic_tables_free(tab, c, b);
        return st;
    }
    *out = tab;
    return FTI_OK;
}

/* ---- building ---- */

static void hash_tensor(fti_digest *d, const fti_st_tensor *t) {
    SHA256_CTX h;
    SHA256_Init(&h);
    SHA256_Update(&h, t->data, t->nbytes);
    SHA256_Final(d->b, &h);
}

void ftic_release_large(fti_pcs_commitment *pc, size_t keep_bytes) {
    if (fti_pcs_commitment_codeword_bytes(pc) >= ftic_release_bytes) fti_pcs_commitment_release_codewords(pc, keep_bytes);
}

static fti_status build_block(ftic *c, size_t b, const fti_ckpt *ck, int with_proofs) {
    const ftic_block *bl = &c->blocks[b];
    fe_t **tab = NULL;
    fti_pcs_commitment *pc = NULL;
    unsigned *nv = malloc((2 * (size_t)bl->n_units + 1) * sizeof *nv);
    fti_status st;
    if (!nv) return fti_fail(FTI_ERR_NOMEM, "out of memory");
    FTI_TIMED("commit/encode", st = ftic_block_tables(&tab, c, b, ck));
    if (st != FTI_OK) goto out;
    for (uint32_t i = 0; i < bl->n_units; i++) {
        ftic_unit *u = &c->units[bl->first_unit + i];
        ftic_limb_sums(u->sums, tab[2 * i], tab[2 * i + 1], ftic_unit_vars(u));
    }
    fti_pcs_shape shape;
    ftic_block_shape(&shape, nv, c, b);
    FTI_TIMED("commit/pcs-commit", st = fti_pcs_commit(&pc, c->pp, &shape, (const fe_t *const *)tab));
    if (st != FTI_OK) goto out;
    c->blocks[b].root = *fti_pcs_commitment_root(pc);
    /* keeps half: the LogUp prover needs 1.5 times the codewords' memory */
    if (with_proofs) ftic_release_large(pc, fti_pcs_commitment_codeword_bytes(pc) / 2);
    if (with_proofs) FTI_TIMED("commit/prove", st = ftic_block_prove(c, b, (const fe_t *const *)tab, pc));
out:
    fti_pcs_commitment_free(pc);
    ftic_tables_free(tab, c, b);
    free(nv);
    return st;
}

fti_status ftic_build(ftic *c, const fti_ckpt *ck, const fti_progress *progress, int with_proofs) {
    uint64_t total = 0, done = 0;
    for (size_t i = 0; i < c->n_tensors; i++) total += fti_ckpt_find(ck, c->tensors[i].name)->nbytes;
    char *hashed = calloc(c->n_tensors, 1);
    if (!hashed) return fti_fail(FTI_ERR_NOMEM, "out of memory");
    fti_status st = FTI_OK;
    size_t units_done = 0;
    for (size_t b = 0; b < c->n_blocks && st == FTI_OK; b++) {
        const ftic_block *bl = &c->blocks[b];
        if ((st = build_block(c, b, ck, with_proofs)) != FTI_OK) break;
        for (uint32_t i = 0; i < bl->n_units; i++) {
            uint32_t ti = c->units[bl->first_unit + i].tensor;
            if (hashed[ti]) continue;
            const fti_st_tensor *t = fti_ckpt_find(ck, c->tensors[ti].name);
            hash_tensor(&c->tensors[ti].sha256, t);
            fti_ckpt_release(t);
            hashed[ti] = 1;
            done += t->nbytes;
        }
        units_done += bl->n_units;
        if (progress && progress->report) progress->report(progress->ctx, units_done, c->n_units, done, total);
    }
    for (size_t i = 0; i < c->n_tensors && st == FTI_OK; i++) {
        if (hashed[i]) continue;
        const fti_st_tensor *t = fti_ckpt_find(ck, c->tensors[i].name);
        hash_tensor(&c->tensors[i].sha256, t);
        fti_ckpt_release(t);
    }
    free(hashed);
    return st;
}

fti_status ftic_check(int *ok, size_t *bad_block, const ftic *c) {
    *ok = 0;
    *bad_block = 0;
    /* blocks are independent (each proof has its own transcript): checked in parallel, then
     * judged in block order, so the verdict and the first bad block do not depend on timing */
    int *res = malloc((c->n_blocks ? c->n_blocks : 1) * sizeof *res);
    if (!res) return fti_fail(FTI_ERR_NOMEM, "out of memory");
#pragma omp parallel for schedule(dynamic) if (c->n_blocks > 1)
    for (size_t b = 0; b < c->n_blocks; b++) {
        int bok = 0;
        fti_status st = ftic_block_verify(&bok, c, b);
        res[b] = st != FTI_OK ? -1 : bok;
    }
    fti_status st = FTI_OK;
    size_t b = 0;
    while (b < c->n_blocks && res[b] == 1) b++;
    if (b < c->n_blocks && res[b] < 0) {
        int bok = 0;
        st = ftic_block_verify(&bok, c, b); /* again on this thread, for its error message */
        if (st == FTI_OK) st = fti_fail(FTI_ERR_INTERNAL, "block %s: verification is not repeatable", c->blocks[b].label);
    } else if (b < c->n_blocks) {
        *bad_block = b;
    } else {
        *ok = 1;
    }
    free(res);
    return st;
}
