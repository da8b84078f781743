/* Synthetic checkpoints: deterministic base models of common architectures and fine-tune
 * variants of any checkpoint, for `fti demo`, tests and benchmarks (and tools/fti_gen).
 *
 * Base models. An architecture config (or a named preset) gives Hugging Face / torchvision
 * tensor names and shapes; values come from the counter-based generator of synth_num.h keyed by
 * (seed, "init", tensor name), scaled like real initialisations, rounded to the output dtype:
 *   projections, embeddings, heads   normal(0, 0.02)   (GPT-2: c_proj 0.02 / sqrt(2 layers);
 *                                    MLP: 1 / sqrt(fan_in); convolutions: sqrt(2 / fan_in))
 *   normalisation weights            1 + normal(0, 0.02)
 *   biases                           normal(0, 0.01)
 *   batch-norm running_mean / _var   normal(0, 0.1) / exp(normal(0, 0.2))
 * Names per architecture (N a layer number, L a stage, B a block):
 *   llama  model.embed_tokens.weight [vocab, hidden]; model.layers.N.self_attn.{q,k,v,o}_proj.weight
 *          ([hidden | kv_heads * hidden / heads, hidden]); model.layers.N.mlp.{gate,up,down}_proj.weight;
 *          model.layers.N.{input_layernorm,post_attention_layernorm}.weight; model.norm.weight;
 *          lm_head.weight [vocab, hidden]
 *   gpt2   transformer.{wte,wpe}.weight; transformer.h.N.ln_1.{weight,bias};
 *          transformer.h.N.attn.c_attn.{weight [hidden, 3 hidden],bias}; .attn.c_proj.{weight,bias};
 *          .ln_2.*; .mlp.c_fc.{weight [hidden, 4 hidden],bias}; .mlp.c_proj.*; transformer.ln_f.*
 *          (Conv1D layout [in, out]; lm_head is tied to wte and not stored, as in HF files)
 *   bert   embeddings.{word,position,token_type}_embeddings.weight; embeddings.LayerNorm.*;
 *          encoder.layer.N.attention.self.{query,key,value}.{weight,bias};
 *          encoder.layer.N.attention.output.{dense,LayerNorm}.*; encoder.layer.N.intermediate.dense.*;
 *          encoder.layer.N.output.{dense,LayerNorm}.*; pooler.dense.*
 *   vit    (HF ViTForImageClassification) vit.embeddings.{cls_token [1,1,hidden],
 *          position_embeddings [1, patches + 1, hidden]}; vit.embeddings.patch_embeddings.projection.
 *          {weight [hidden, channels, patch, patch] (OIHW), bias}; vit.encoder.layer.N.attention.
 *          attention.{query,key,value}.*; ...attention.output.dense.*; ...intermediate.dense.*;
 *          ...output.dense.*; ...{layernorm_before,layernorm_after}.*; vit.layernorm.*; classifier.*
 *   cnn    (torchvision ResNet with basic blocks) conv1.weight [hidden, channels, kernel, kernel];
 *          bn1.{weight,bias,running_mean,running_var}; layerL.B.{conv1,conv2}.weight (3x3, OIHW);
 *          layerL.B.{bn1,bn2}.*; layerL.0.downsample.{0.weight (1x1), 1.*} where the width
 *          changes; fc.{weight [classes, width], bias}. Stage L (1-based) has width hidden * 2^(L-1).
 *   mlp    layers.N.{weight [out, in], bias}: inputs -> hidden -> ... -> classes (layers Linears)
 *
 * Variants. fti_synth_variant_write reads a base checkpoint (checkpoint.h: a file, a directory
 * or a sharded index) and writes a fine-tuned copy with the same tensor names, dtypes, shapes,
 * shard files and __metadata__ (plus a "fti_synth" entry describing the variant). Tensors a
 * variant does not select are copied bit for bit. What each kind guarantees after rounding:
 *   lora          for each selected matrix W (out x in; conv kernels as out x in*kh*kw):
 *                 A (r x in) normal with standard deviation 1/sqrt(in), B (out x r) normal scaled so that
 *                 ||scale B A||_F = rel ||W||_F, scale = alpha / r; A and B are rounded to the
 *                 adapter dtype first, then W' = round(W + scale * sum_k B[o,k] A[k,c]) computed
 *                 in double: W' - W = scale B A + (rounding, at most half an ulp of W' per entry).
 *                 fan_in_fan_out (GPT-2 Conv1D, W stored [in, out]) adds the transpose.
 *                 With adapter_out, the PEFT adapter holding exactly these A and B (lora.h), in a
 *                 directory of its own (not the variant's or the base's: a directory holding a
 *                 model and an adapter is ambiguous to fti_ckpt_open).
 *   sparse        exactly k entries (distinct, chosen from the seed) of each selected tensor
 *                 change value; each moves by +-amount (sign from the seed) rounded, and by one
 *                 ulp where the rounding would have cancelled the change.
 *   full          every selected tensor: W' = round(W + c N), N standard normal noise,
 *                 c = rel ||W||_F / ||N||_F (so ||W' - W|| / ||W|| = rel up to rounding).
 *   bitfit        as full, on the biases only (last name component starting with "bias").
 *   norms         as full, on normalisation weights and biases only (a module whose name has a
 *                 component containing "norm", or "ln"/"ln_*", or a batch norm, recognised by a
 *                 running_mean sibling); running statistics stay.
 *   last-layers   as full, on every tensor of the last `last` numbered layers; the layer of a
 *                 tensor is its name up to its first all-digit component ("model.layers.21.",
 *                 "layer4.1."), layers ordered naturally (digit runs as numbers); embeddings and
 *                 heads outside numbered layers stay.
 *   tamper-entry  exactly one entry (index, or one chosen from the seed) of tensor `tensor`
 *                 changes, by amount (one ulp more if rounding would cancel it).
 *   tamper-rank   tensor `tensor` (as a matrix rows x rest) gets Delta = c B A with A's rows and
 *                 B's columns orthonormal (Gram-Schmidt of normal draws), so all `rank`
 *                 singular values of Delta equal c = rel ||W||_F / sqrt(rank); W' = round(W + Delta).
 * Selected tensors must have a float dtype (BF16, F16, F32, F64); others are never selected by
 * the name rules and are an error when named. An all-zero W uses sqrt(numel) for ||W||_F.
 * amount = 0 means the tensor's root mean square (so the edit stays inside the encodable range
 * of DESIGN.md section 3: |w'| <= 2 max|W|).
 *
 * Targets. A pattern T selects tensor name N if T has a glob character (*?[) and fnmatch(T, N)
 * matches; otherwise if N == T, or N ends with "." T, or N's module (N without its last
 * component) equals T or ends with "." T (so "q_proj" selects "model.layers.0.self_attn.q_proj.weight").
 * LoRA considers only ".weight" tensors of >= 2 dimensions. Defaults when no pattern is given:
 *   lora  the first family present of {q_proj,k_proj,v_proj,o_proj}, {c_attn}, {query,key,value}
 *   full  every float tensor;  sparse: every float tensor of >= 2 dimensions.
 *
 * Determinism: the same inputs and seed give the same bytes, whatever the thread count
 * (OpenMP loops over counter-based draws; reductions in fixed chunks summed in order).
 * Memory: one output tensor, plus for lora the factors, at a time; base pages are released
 * after each tensor (fti_ckpt_release).
 *
 * Contract: outputs first; every fti_status result sets fti_last_error() on failure. */
#ifndef FTI_SYNTH_SYNTH_H
#define FTI_SYNTH_SYNTH_H

#include <stddef.h>
#include <stdint.h>

#include "fti/fti.h"
#include "model/safetensors.h"

typedef enum {
    FTI_SYNTH_LLAMA,
    FTI_SYNTH_GPT2,
    FTI_SYNTH_BERT,
    FTI_SYNTH_VIT,
    FTI_SYNTH_CNN,
    FTI_SYNTH_MLP,
    FTI_SYNTH_ARCH_COUNT
} fti_synth_arch;

/* Which fields an architecture reads (others are ignored):
 *   llama hidden intermediate layers heads kv_heads vocab
 *   gpt2  hidden layers heads vocab positions            (feed-forward is 4 * hidden)
 *   bert  hidden intermediate layers heads vocab positions
 *   vit   hidden intermediate layers heads image patch channels classes
 *   cnn   hidden (stem width) layers (stages) blocks channels kernel (stem) classes
 *   mlp   inputs hidden layers (Linear layers, >= 1) classes */
typedef struct {
    fti_synth_arch arch;
    uint64_t hidden, intermediate, layers, heads, kv_heads, vocab, positions;
    uint64_t image, patch, channels, kernel, blocks, inputs, classes;
} fti_synth_config;

/* "llama", "gpt2", "bert", "vit", "cnn", "mlp" (and "?" out of range). */
const char *fti_synth_arch_name(fti_synth_arch a);
/* 1 and *out set if name is one of the above. */
int fti_synth_arch_parse(fti_synth_arch *out, const char *name);

/* The preset called name (NULL: "tiny") of arch. Every arch has "micro" (at most about 0.13M
 * parameters, for unit tests: milliseconds to write) and "tiny" (0.7M to 4M, for the demo);
 * larger ones, with the parameter counts of the real models they copy:
 *   llama "100M" (100,082,560), "1B" (TinyLlama-1.1B shapes, 1,100,048,384);
 *   gpt2 "124M" (124,439,808); bert "base" (109,482,240); vit "base" (86,567,656);
 *   cnn "resnet18" (11,699,112 with running statistics); mlp "mnist" (2,913,290).
 * FTI_ERR_ARG for an unknown name, listing the known ones. */
FTI_MUST_CHECK fti_status fti_synth_preset(fti_synth_config *out, fti_synth_arch arch, const char *name);
/* Preset i (in [0, count)) of arch: its name, NULL past the end. */
const char *fti_synth_preset_name(fti_synth_arch arch, size_t i);

/* FTI_OK if cfg describes a buildable model (positive sizes, heads dividing hidden, kv_heads
 * dividing heads, patch dividing image, fewer than 2^31 elements per tensor, ...); else
 * FTI_ERR_ARG naming the field. */
FTI_MUST_CHECK fti_status fti_synth_check(const fti_synth_config *cfg);

/* Number of parameters (elements of all tensors) and of tensors. cfg must pass fti_synth_check. */
uint64_t fti_synth_param_count(const fti_synth_config *cfg);
size_t fti_synth_tensor_count(const fti_synth_config *cfg);

typedef struct {
    fti_dtype dtype;          /* BF16, F16 or F32 (F64 also works) */
    uint64_t seed;
    uint64_t max_shard_bytes; /* > 0: Hugging Face split at this size (st_write.h) */
    unsigned shards;          /* else > 1: at most this many shards; else one file */
} fti_synth_output;

/* Writes the model to out: a directory (model.safetensors, or shards and their index), or, when
 * unsharded and out ends in ".safetensors", that file. __metadata__ holds "format": "pt" and
 * "fti_synth": a description of the config, dtype and seed. */
FTI_MUST_CHECK fti_status fti_synth_model_write(const char *out, const fti_synth_config *cfg,
                                                const fti_synth_output *o);

typedef enum {
    FTI_VAR_LORA,
    FTI_VAR_SPARSE,
    FTI_VAR_FULL,
    FTI_VAR_BITFIT,
    FTI_VAR_NORMS,
    FTI_VAR_LAST_LAYERS,
    FTI_VAR_TAMPER_ENTRY,
    FTI_VAR_TAMPER_RANK,
    FTI_VAR_COUNT
} fti_synth_kind;

/* "lora", "sparse", "full", "bitfit", "norms", "last-layers", "tamper-entry", "tamper-rank". */
const char *fti_synth_kind_name(fti_synth_kind k);
int fti_synth_kind_parse(fti_synth_kind *out, const char *name);

typedef struct {
    fti_synth_kind kind;
    uint64_t seed;
    const char *const *targets; /* patterns (see Targets); NULL / 0: the kind's default */
    size_t ntargets;
    unsigned rank;            /* lora r; tamper-rank: the update's rank */
    double alpha;             /* lora_alpha (scale = alpha / rank) */
    double rel;               /* ||Delta||_F / ||W||_F (lora, full, bitfit, norms, last-layers, tamper-rank) */
    uint64_t k;               /* sparse: entries per tensor */
    double amount;            /* sparse, tamper-entry: the change per entry; 0: the tensor's rms */
    unsigned last;            /* last-layers: how many */
    const char *tensor;       /* tamper-*: the tensor's full name */
    uint64_t index;           /* tamper-entry: flat index, or UINT64_MAX: from the seed */
    int fan_in_fan_out;       /* lora: 1 base matrices are [in, out], 0 [out, in], -1 auto
                                 (1 iff the modules are GPT-2 Conv1D, named c_*) */
    const char *adapter_out;  /* lora: write the PEFT adapter to this directory (NULL: none) */
    fti_dtype adapter_dtype;  /* lora: the factors' dtype (BF16, F16, F32, F64) */
    const char *base_model;   /* adapter_config's base_model_name_or_path (NULL: the base path) */
} fti_synth_variant;

/* Defaults: seed 0, no targets, rank 8 (tamper-rank 9), alpha 16, rel 0.01 (lora) or 0.05,
 * k 16, amount 0, last 2, tensor NULL, index UINT64_MAX, fan_in_fan_out -1, no adapter,
 * adapter dtype F32. */
void fti_synth_variant_init(fti_synth_variant *v, fti_synth_kind kind);

typedef struct {
    size_t tensors;    /* written */
    size_t selected;   /* selected by the variant */
    size_t changed;    /* with at least one entry of a different value */
    uint64_t entries;  /* entries of a different value, over all tensors */
    double rel;        /* ||W' - W||_F / ||W||_F over the selected tensors (W' - W exact) */
} fti_synth_stats;

/* Writes the variant v of the checkpoint at base to out (a directory; or a ".safetensors" path
 * when the base is a single file). stats may be NULL.
 * Errors: those of fti_ckpt_open and the writer; FTI_ERR_ARG for bad parameters, a pattern
 * selecting nothing, a named tensor that is missing or not a float tensor, k > numel,
 * rank > min(rows, cols), a value that rounds to infinity. */
FTI_MUST_CHECK fti_status fti_synth_variant_write(fti_synth_stats *stats, const char *out, const char *base,
                                                  const fti_synth_variant *v);

#endif
