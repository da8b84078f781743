/* Architecture detection from unit names and shapes, and policy presets.
 *
 * Detection looks for each family's characteristic names (fnmatch patterns, first hit wins):
 *   llama  *layers.*.self_attn.[qkvo]_proj.weight or *layers.*.mlp.gate_proj.weight
 *          (Llama, Mistral, Qwen, ...)
 *   gpt2   *h.*.attn.c_attn.weight* (the fused c_attn, committed whole or as :q :k :v slices)
 *   vit    *patch_embed* (HF ViT/DeiT "patch_embeddings", timm "patch_embed")
 *   bert   *layer.*.attention.self.query.weight or *layer.*.attention.output.dense.weight
 *   cnn    any unit of 3 or more dimensions, or with role FTI_ROLE_CONV
 *   mlp    any matrix (and nothing above)
 *   unknown otherwise (no matrix at all)
 * The presets (docs/policy.md) select units by what each unit is, which the names tell
 * (fti_arch_classify): attention projections, normalisation parameters, biases, embeddings,
 * the numbered layer it belongs to, and the head (what comes after the numbered layers).
 * A preset's rules are globs derived from the selected names (layer numbers generalised to
 * '*', sibling names merged into [..] classes) and each glob is checked to match only selected
 * units, so the generated policy always resolves on the model it was made from. */
#ifndef FTI_POLICY_ARCH_H
#define FTI_POLICY_ARCH_H

#include "policy/policy.h"

typedef enum {
    FTI_ARCH_UNKNOWN = 0,
    FTI_ARCH_LLAMA,
    FTI_ARCH_GPT2,
    FTI_ARCH_BERT,
    FTI_ARCH_VIT,
    FTI_ARCH_CNN,
    FTI_ARCH_MLP
} fti_arch;

/* "unknown", "llama", "gpt2", "bert", "vit", "cnn", "mlp". */
const char *fti_arch_name(fti_arch a);

fti_arch fti_arch_detect(const fti_policy_unit *units, size_t n);

static inline int fti_arch_is_transformer(fti_arch a) {
    return a == FTI_ARCH_LLAMA || a == FTI_ARCH_GPT2 || a == FTI_ARCH_BERT || a == FTI_ARCH_VIT;
}

/* What one unit is. Name components are split at '.', '/' and ':'; comparisons ignore case. */
typedef struct {
    unsigned attention : 1; /* a matrix of an attention block ("attn"/"attention" in its name),
                               not a bias or buffer named like one */
    unsigned norm : 1;      /* a vector of a normalisation layer (LayerNorm, RMSNorm, BatchNorm
                               weights, biases and running statistics) */
    unsigned bias : 1;      /* a vector named bias / b / b_0 / beta / bias_* (incl. norm biases) */
    unsigned embedding : 1; /* token / position / patch embeddings */
    unsigned head : 1;      /* outside the numbered layers and not an embedding */
    long layer;             /* the layer number, -1 when the unit is in no numbered layer */
    size_t layer_stem;      /* bytes of the name before the number ("model.layers.", "conv2d_") */
    size_t layer_prefix;    /* bytes of the name naming its layer ("model.layers.3."), or 0 */
} fti_unit_class;

/* Classifies u. Transformers number layers by a "layers", "layer", "h", "blocks" or "block"
 * component followed by a number component; other families by the digits ending the first
 * token of the name that ends in digits (tokens split also at '_': "features.12.conv" -> 12,
 * "layer4.1.conv2" -> 4, "conv2d_10.w_0" -> 10, "fc2.weight" -> 2). Each stem (the name
 * before the number) counts its own layers: Keras and Paddle number each layer type apart
 * ("dense_2" after "block_16"). The head is what lies outside the numbered layers, except
 * embeddings and, outside transformers, a unit whose first component followed by '_' is a
 * stem of numbered units (Keras names the first "conv2d" and the next "conv2d_1"): the preset
 * sees that, fti_arch_classify (one unit at a time) does not. */
void fti_arch_classify(fti_unit_class *out, fti_arch arch, const fti_policy_unit *u);

/* ---- presets ----------------------------------------------------------------------------- */

typedef enum {
    FTI_PRESET_LORA = 0,     /* attention projections rank <= rank (+ residual); rest frozen */
    FTI_PRESET_BITFIT,       /* biases: norm <= rho * ||b||; rest frozen */
    FTI_PRESET_NORMS_ONLY,   /* normalisation parameters: norm <= rho * ||w||; rest frozen */
    FTI_PRESET_LAST_LAYERS,  /* the last `layers` numbered layers + head: norm <= rho * ||W|| */
    FTI_PRESET_FULL_BOUNDED  /* every unit: norm <= rho * ||W|| */
} fti_preset_kind;

typedef struct {
    fti_preset_kind kind;
    uint64_t rank;       /* lora: the rank bound (default 16) */
    double residual_rho; /* lora: residual bound relative to ||W||; < 0 (default): from the
                            dtype (fti_preset_lora_residual); 0: exact (no residual) */
    uint64_t layers;     /* last-layers: how many numbered layers (default 2) */
    double rho;          /* the relative norm bound of the other presets (defaults: bitfit 1,
                            norms-only 1, last-layers 0.5, full-bounded 0.1) */
} fti_preset_params;

/* The preset called name ("lora", "bitfit", "norms-only", "last-layers", "full-bounded") with
 * its default parameters. FTI_ERR_ARG (listing the names) for any other name. */
FTI_MUST_CHECK fti_status fti_preset_defaults(fti_preset_params *out, const char *name);

const char *fti_preset_name(fti_preset_kind k);

/* The default LoRA residual bound relative to ||W|| for weights stored as dtype: twice the
 * unit roundoff of the format, but not below 2^-16 (the resolution of the prover's 16-bit
 * factors): BF16 2^-7, F16 2^-10, F32 and wider 2^-16; unknown or NULL: 2^-7. */
double fti_preset_lora_residual(const char *dtype);

/* Generates the preset's policy for the units (source "preset NAME" in messages), with a
 * description at the top and on every rule; *arch (may be NULL) receives the detected family.
 * FTI_ERR_POLICY if the preset selects nothing in this model (e.g. bitfit without biases);
 * FTI_ERR_ARG for invalid parameters. */
FTI_MUST_CHECK fti_status fti_policy_preset(fti_policy **out, fti_arch *arch,
                                            const fti_preset_params *params,
                                            const fti_policy_unit *units, size_t n);

#endif
