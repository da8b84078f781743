/* LoRA adapters in the PEFT layout: a directory holding
 *
 *   adapter_config.json        { "peft_type": "LORA",               (optional; else unsupported)
 *                                "r": 16, "lora_alpha": 32,         (alpha may be fractional)
 *                                "target_modules": ["q_proj", ...] or "<regex>" or "all-linear",
 *                                "fan_in_fan_out": false,           (GPT-2 Conv1D: base is [in, out])
 *                                "use_rslora": false,               (scale alpha/sqrt(r), not alpha/r)
 *                                "rank_pattern": {"<pattern>": r}, "alpha_pattern": {...},
 *                                "base_model_name_or_path": "...", ... other keys ignored }
 *   adapter_model.safetensors  for each adapted module M (M as named in the base model):
 *                                "base_model.model.M.lora_A[.<adapter>].weight"   r x in (x kernel)
 *                                "base_model.model.M.lora_B[.<adapter>].weight"   out x r (x 1 x 1)
 *                              embeddings: "...M.lora_embedding_A[.<adapter>]" r x num_embeddings,
 *                                          "...M.lora_embedding_B[.<adapter>]" dim x r.
 *
 * Each (A, B) pair becomes one fti_lora_pair for base tensor "M.weight" with
 *   delta(M.weight) = scale * B A          (as an out x in matrix, reshaped to the base shape)
 * or its transpose when `transpose` is set (fan_in_fan_out, embeddings), where
 *   scale = alpha / r   or   alpha / sqrt(r) (use_rslora),
 * r and alpha taken from rank_pattern / alpha_pattern when a pattern matches M (PEFT's rule: the
 * first pattern P, in file order, with M matching the regular expression "(.*\.)?(P)", matched
 * here as a POSIX extended regex), else the config's. The "base_model.model." prefix is removed
 * when present.
 *
 * Validation (FTI_ERR_FORMAT naming the file and the module): config members of the right
 * types, r >= 1, alpha > 0; every module has exactly one A and one B (one adapter per file);
 * A is r x in..., B is out x r followed only by 1s, with the same r, equal to the config's r;
 * a module matches target_modules (list: M == T or M ends with ".T"; string: a POSIX extended
 * regex matching all of M; "all-linear": any). FTI_ERR_UNSUPPORTED: a peft_type other than
 * LORA, DoRA (use_dora or lora_magnitude_vector tensors), factors of a non-committable dtype.
 * Tensors that are not LoRA factors (e.g. modules_to_save heads, biases) are kept as "extra"
 * tensors: full replacements of base tensors, listed separately for the policy to judge.
 *
 * Factor values: fti_decode_f64(out, pair->a, 0, pair->a->numel) (encode.h), exact. */
#ifndef FTI_MODEL_LORA_H
#define FTI_MODEL_LORA_H

#include <stddef.h>

#include "model/checkpoint.h"
#include "model/safetensors.h"

typedef struct {
    unsigned r;           /* the config's default rank */
    double alpha;         /* the config's default lora_alpha */
    int use_rslora;
    int fan_in_fan_out;
    const char *base_model;         /* base_model_name_or_path, or NULL */
    const char *target_regex;       /* target_modules as a string (or "all-linear"), or NULL */
    const char *const *target_list; /* target_modules as a list, or NULL */
    size_t target_count;
} fti_lora_config;

typedef struct {
    const char *module;      /* M */
    const char *base_name;   /* "M.weight" */
    const fti_st_tensor *a;  /* r x in (... kernel dims) */
    const fti_st_tensor *b;  /* out x r (x 1 ...) */
    unsigned rank;
    uint64_t in;             /* product of A's dimensions after the first */
    uint64_t out;            /* B's first dimension */
    double alpha;            /* after alpha_pattern */
    double scale;            /* alpha / rank, or alpha / sqrt(rank) */
    int transpose;           /* the base tensor holds (scale B A)^T: fan_in_fan_out or embedding */
    int embedding;           /* lora_embedding_A / _B */
} fti_lora_pair;

typedef struct fti_lora fti_lora;

/* Opens an adapter: path is the adapter directory, or either of its two files. */
FTI_MUST_CHECK fti_status fti_lora_open(fti_lora **out, const char *path);
void fti_lora_close(fti_lora *l); /* l may be NULL */

const fti_lora_config *fti_lora_get_config(const fti_lora *l);
/* The adapter's safetensors file (for its metadata, paths in messages). */
const fti_st_file *fti_lora_file(const fti_lora *l);

/* Pairs sorted by base_name. */
size_t fti_lora_count(const fti_lora *l);
const fti_lora_pair *fti_lora_pair_at(const fti_lora *l, size_t i);
const fti_lora_pair *fti_lora_find(const fti_lora *l, const char *base_name);

/* Non-LoRA tensors of the adapter file, sorted, with the base tensor name each replaces
 * (the tensor name without "base_model.model." and without an adapter segment
 * "modules_to_save.<adapter>."). */
size_t fti_lora_extra_count(const fti_lora *l);
const fti_st_tensor *fti_lora_extra(const fti_lora *l, size_t i, const char **base_name);

/* Checks every pair against a base checkpoint: the base tensor exists, is committable, and has
 * the shape the factors imply ([out, in...] as A's trailing dimensions; [in, out] when
 * transposed). FTI_ERR_MISMATCH naming the module and both shapes. */
FTI_MUST_CHECK fti_status fti_lora_check_base(const fti_lora *l, const fti_ckpt *base);

#endif
