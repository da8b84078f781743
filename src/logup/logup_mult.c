/* Multiplicities of the columns' entries in the table [0, 2^16). */
#include <stdlib.h>
#include <string.h>

#include "logup/logup_internal.h"
#include "util/error.h"

#define TABLE_SIZE ((size_t)1 << FTI_LOGUP_TABLE_BITS)

/* Counts col[0..n) into cnt; returns the index of the first entry >= 2^16, or n. */
static size_t count_column(uint64_t *cnt, const fe_t *col, size_t n) {
    for (size_t x = 0; x < n; x++) {
        if (col[x] >= TABLE_SIZE) return x;
        cnt[col[x]]++;
    }
    return n;
}

fti_status fti_logup_multiplicities(fe_t *m, const fti_logup_columns *cols) {
    fti_status s = logup_check_shape(cols, 1);
    if (s != FTI_OK) return s;
    if (!m) return fti_fail(FTI_ERR_ARG, "logup: no multiplicity table");
    /* counts stay below 2^56 < p (LOGUP_MAX_COLS columns of 2^LOGUP_MAX_VARS entries) */
    uint64_t *cnt = calloc(TABLE_SIZE, sizeof(uint64_t));
    if (!cnt) return fti_fail(FTI_ERR_NOMEM, "logup: out of memory for multiplicities");
    for (size_t j = 0; j < cols->n_cols; j++) {
        size_t n = (size_t)1 << cols->n_vars[j], bad = count_column(cnt, cols->cols[j], n);
        if (bad < n) {
            s = fti_fail(FTI_ERR_RANGE, "logup: column %zu entry %zu is %llu, outside [0, 2^16)", j, bad,
                         (unsigned long long)cols->cols[j][bad]);
            goto out;
        }
    }
    for (size_t v = 0; v < TABLE_SIZE; v++) m[v] = fe_from_u64(cnt[v]);
out:
    free(cnt);
    return s;
}
