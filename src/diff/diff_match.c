/* Checking that two checkpoints hold the same tensors (names, shapes, dtypes), with a one-line
 * message listing the differences (diff.h, FTI_ERR_MISMATCH). */
#include <stdio.h>
#include <string.h>

#include "diff/diff_internal.h"
#include "util/error.h"

#define LIST_MAX 4 /* names listed per kind of difference */

enum { MISSING, EXTRA, SHAPE, DTYPE, KINDS };
static const char *const kind_text[KINDS] = {"missing in tuned", "extra in tuned", "shape differs", "dtype differs"};

typedef struct {
    size_t count[KINDS];
    char text[KINDS][640];
} mismatch;

static void put_shape(char *buf, size_t cap, const fti_st_tensor *t) {
    size_t at = 0;
    at += (size_t)snprintf(buf, cap, "[");
    for (unsigned i = 0; i < t->ndim && at < cap; i++)
        at += (size_t)snprintf(buf + at, cap - at, "%s%llu", i ? "," : "", (unsigned long long)t->shape[i]);
    if (at < cap) snprintf(buf + at, cap - at, "]");
}

/* Records one difference; the first LIST_MAX of a kind are named (with details). */
static void note(mismatch *m, int kind, const fti_st_tensor *b, const fti_st_tensor *u) {
    char q[128], detail[200] = "", sb[80], su[80];
    size_t n = m->count[kind]++, len = strlen(m->text[kind]);
    if (n >= LIST_MAX) return;
    const fti_st_tensor *t = b ? b : u;
    if (kind == SHAPE) {
        put_shape(sb, sizeof sb, b), put_shape(su, sizeof su, u);
        snprintf(detail, sizeof detail, " %s vs %s", sb, su);
    } else if (kind == DTYPE) {
        snprintf(detail, sizeof detail, " %s vs %s", fti_dtype_name(b->dtype), fti_dtype_name(u->dtype));
    }
    snprintf(m->text[kind] + len, sizeof m->text[kind] - len, "%s%s%s", n ? ", " : "",
             fti_st_quote(q, sizeof q, t->name), detail);
}

static int same_shape(const fti_st_tensor *a, const fti_st_tensor *b) {
    if (a->ndim != b->ndim) return 0;
    for (unsigned i = 0; i < a->ndim; i++)
        if (a->shape[i] != b->shape[i]) return 0;
    return 1;
}

/* Walks both name-sorted lists together. */
static void collect(mismatch *m, const fti_ckpt *base, const fti_ckpt *tuned) {
    size_t i = 0, j = 0, nb = fti_ckpt_count(base), nt = fti_ckpt_count(tuned);
    while (i < nb || j < nt) {
        const fti_st_tensor *b = i < nb ? fti_ckpt_tensor(base, i) : NULL, *u = j < nt ? fti_ckpt_tensor(tuned, j) : NULL;
        int c = !b ? 1 : !u ? -1 : strcmp(b->name, u->name);
        if (c < 0) {
            note(m, MISSING, b, NULL), i++;
        } else if (c > 0) {
            note(m, EXTRA, NULL, u), j++;
        } else {
            if (!same_shape(b, u)) note(m, SHAPE, b, u);
            else if (b->dtype != u->dtype) note(m, DTYPE, b, u);
            i++, j++;
        }
    }
}

fti_status diff_match(const fti_ckpt *base, const fti_ckpt *tuned) {
    mismatch m;
    memset(&m, 0, sizeof m);
    collect(&m, base, tuned);
    char msg[1024];
    size_t at = 0;
    for (int k = 0; k < KINDS; k++) {
        if (!m.count[k] || at >= sizeof msg) continue;
        at += (size_t)snprintf(msg + at, sizeof msg - at, "%s%s (%zu): %s%s", at ? "; " : "", kind_text[k], m.count[k],
                               m.text[k], m.count[k] > LIST_MAX ? ", ..." : "");
    }
    if (!at) return FTI_OK;
    return fti_fail(FTI_ERR_MISMATCH, "%s: tensors differ from %s: %s", fti_ckpt_path(tuned), fti_ckpt_path(base), msg);
}
