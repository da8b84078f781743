/* libFuzzer harness for the safetensors parser and the encoder reading what it accepts.
 *
 * The input is a whole file image, parsed in memory (fti_st_parse: the same validation as
 * fti_st_open). Whatever is accepted is then walked the way the commitment walks a checkpoint:
 * names, shapes, metadata, and for committable tensors the quantum, the exact statistics and
 * (for small ones) the padded limbs in both views, so that any offset the parser lets through
 * is read back under ASan. Never crashes, never leaks; errors are expected outcomes.
 * Run: make fuzz && build/fuzz/fuzz_safetensors -max_total_time=60 fuzz/corpus/safetensors */
#include <stdlib.h>
#include <string.h>

#include "model/encode.h"
#include "model/safetensors.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void walk_tensor(const fti_st_tensor *t) {
    int32_t s;
    fti_enc_stats st;
    if (fti_st_require_committable(t) != FTI_OK || fti_quantum_exponent(&s, t) != FTI_OK) return;
    if (fti_encode_stats(&st, t, s) != FTI_OK) return;
    for (int axis = 0; axis < 2; axis++) {
        fti_view v;
        if (fti_view_init(&v, t, (fti_out_axis)axis) != FTI_OK || v.log_rows + v.log_cols > 14) continue;
        size_t n = (size_t)fti_view_padded_size(&v);
        fe_t *lo = malloc(n * sizeof *lo), *hi = malloc(n * sizeof *hi);
        if (lo && hi) (void)fti_encode_limbs(lo, hi, t, &v, s, 0, (uint64_t)1 << v.log_rows);
        free(lo);
        free(hi);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    fti_st_file *f;
    if (fti_st_parse(&f, data, size, "fuzz") != FTI_OK) return 0;
    for (size_t i = 0; i < fti_st_metadata_count(f); i++) {
        const char *k, *v;
        fti_st_metadata_at(f, i, &k, &v);
        if (fti_st_metadata_get(f, k) == NULL) abort(); /* every key is found again */
    }
    for (size_t i = 0; i < fti_st_count(f); i++) {
        const fti_st_tensor *t = fti_st_tensor_at(f, i);
        if (fti_st_find(f, t->name) != t) abort(); /* sorted, unique names */
        if (t->offset + t->nbytes > size) abort();  /* inside the image */
        walk_tensor(t);
    }
    fti_st_close(f);
    return 0;
}
