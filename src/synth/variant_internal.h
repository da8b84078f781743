/* Internals of the fine-tune variants (contract in synth.h): tensor selection (select.c), the
 * per-tensor edits (var_edit.c, var_lowrank.c), the PEFT adapter (adapter.c), and the driver
 * (variants.c) that ties them to the writer. */
#ifndef FTI_SYNTH_VARIANT_INTERNAL_H
#define FTI_SYNTH_VARIANT_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "model/checkpoint.h"
#include "synth/st_write.h"
#include "synth/synth.h"

typedef enum { ACT_COPY = 0, ACT_NOISE, ACT_LORA, ACT_SPARSE, ACT_ENTRY, ACT_RANK } var_action;

/* A low-rank update in the tensor's stored orientation: the tensor is viewed as a matrix
 * rows x cols (rows = its first dimension) and Delta = scale * U V with U rows x rank and
 * V rank x cols, summed over k in order. For LoRA, U V is B A (or, for fan_in_fan_out, A^T B^T)
 * and a, b keep the factors as the adapter stores them. */
typedef struct {
    unsigned rank;
    uint64_t rows, cols;
    double scale;
    double *u, *v;    /* owned */
    uint64_t in, out; /* LoRA: A is rank x in, B is out x rank */
    double *a, *b;    /* LoRA only (owned), the adapter's values */
} var_factors;

typedef struct {
    const fti_synth_variant *v;
    fti_ckpt *base;
    size_t n;
    const fti_st_tensor **in; /* base tensors, in the checkpoint's (name) order */
    fti_sw_tensor *out;       /* the same descriptions, for the writer */
    uint8_t *action;          /* var_action per tensor */
    var_factors *factors;     /* per tensor (zeroed unless ACT_LORA / ACT_RANK) */
    int fan_in_fan_out;       /* resolved for LoRA */
    fti_synth_stats stats;
    double d2, w2;            /* sums of squares of W' - W and of W over selected tensors */
} var_ctx;

/* ---- select.c ---- */

/* 1 if pattern selects tensor name (rules in synth.h). */
int fti_var_pattern_match(const char *pattern, const char *name);
/* Fills c->action for c->v's kind. FTI_ERR_ARG when nothing is selected or a named tensor is
 * unusable. */
FTI_MUST_CHECK fti_status fti_var_select(var_ctx *c);

/* ---- var_edit.c: each edits buf (a copy of t's bytes) in place ---- */

/* Sum of squares of t's values (fixed chunks). FTI_ERR_RANGE if t holds a NaN or infinity. */
FTI_MUST_CHECK fti_status fti_var_sumsq(double *out, const fti_st_tensor *t);
/* ||W|| to scale by: sqrt(sumsq), or sqrt(numel) for an all-zero tensor. */
double fti_var_ref_norm(double sumsq, uint64_t numel);

FTI_MUST_CHECK fti_status fti_var_noise(uint8_t *buf, const fti_st_tensor *t, const fti_synth_variant *v);
FTI_MUST_CHECK fti_status fti_var_sparse(uint8_t *buf, const fti_st_tensor *t, const fti_synth_variant *v);
FTI_MUST_CHECK fti_status fti_var_entry(uint8_t *buf, const fti_st_tensor *t, const fti_synth_variant *v);
/* Adds f's update to every entry: buf = round(W + scale U V). */
FTI_MUST_CHECK fti_status fti_var_apply_lowrank(uint8_t *buf, const fti_st_tensor *t, const var_factors *f);
/* Counts entries of buf whose value differs from t's, and adds sums of squares of the exact
 * differences and of W to c. */
void fti_var_account(var_ctx *c, const fti_st_tensor *t, const uint8_t *buf);

/* ---- var_lowrank.c ---- */

/* The LoRA factors of t (rules in synth.h). */
FTI_MUST_CHECK fti_status fti_var_lora_factors(var_factors *f, const fti_st_tensor *t, const fti_synth_variant *v,
                                               int fan_in_fan_out);
/* The orthonormal rank-v->rank update of t. */
FTI_MUST_CHECK fti_status fti_var_rank_factors(var_factors *f, const fti_st_tensor *t, const fti_synth_variant *v);
void fti_var_factors_free(var_factors *f);

/* ---- adapter.c ---- */

/* Writes v->adapter_out/adapter_model.safetensors and adapter_config.json from c's LoRA factors. */
FTI_MUST_CHECK fti_status fti_var_write_adapter(const var_ctx *c, const char *base_path);

#endif
