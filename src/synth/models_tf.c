/* Transformer tensor lists: Llama, GPT-2, BERT and ViT, with Hugging Face names and shapes
 * (listed in synth.h). Helpers take a module name ("transformer.h.3.ln_1") and add its
 * ".weight" / ".bias". */
#include <math.h>
#include <stdio.h>

#include "synth/synth_internal.h"

#define STD 0.02        /* projections and embeddings (the HF initializer_range) */
#define NORM_NOISE 0.02 /* normalisation weights: 1 + noise */
#define BIAS_NOISE 0.01 /* biases: 0 + noise */

typedef char module_name[128];

static void layer_norm(fti_synth_list *l, uint64_t n, const char *m) {
    fti_synth_add_vec(l, n, 1.0, NORM_NOISE, "%s.weight", m);
    fti_synth_add_vec(l, n, 0.0, BIAS_NOISE, "%s.bias", m);
}

/* PyTorch Linear: weight [out, in], bias [out]. */
static void linear(fti_synth_list *l, uint64_t out, uint64_t in, double std, const char *m) {
    fti_synth_add_mat(l, out, in, std, "%s.weight", m);
    fti_synth_add_vec(l, out, 0.0, BIAS_NOISE, "%s.bias", m);
}

/* GPT-2's Conv1D: weight [in, out], bias [out]. */
static void conv1d(fti_synth_list *l, uint64_t in, uint64_t out, double std, const char *m) {
    fti_synth_add_mat(l, in, out, std, "%s.weight", m);
    fti_synth_add_vec(l, out, 0.0, BIAS_NOISE, "%s.bias", m);
}

void fti_synth_build_llama(fti_synth_list *l, const fti_synth_config *c) {
    uint64_t h = c->hidden, kv = c->hidden / c->heads * c->kv_heads, ff = c->intermediate;
    fti_synth_add_mat(l, c->vocab, h, STD, "model.embed_tokens.weight");
    for (uint64_t i = 0; i < c->layers; i++) {
        unsigned long long n = (unsigned long long)i;
        fti_synth_add_mat(l, h, h, STD, "model.layers.%llu.self_attn.q_proj.weight", n);
        fti_synth_add_mat(l, kv, h, STD, "model.layers.%llu.self_attn.k_proj.weight", n);
        fti_synth_add_mat(l, kv, h, STD, "model.layers.%llu.self_attn.v_proj.weight", n);
        fti_synth_add_mat(l, h, h, STD, "model.layers.%llu.self_attn.o_proj.weight", n);
        fti_synth_add_mat(l, ff, h, STD, "model.layers.%llu.mlp.gate_proj.weight", n);
        fti_synth_add_mat(l, ff, h, STD, "model.layers.%llu.mlp.up_proj.weight", n);
        fti_synth_add_mat(l, h, ff, STD, "model.layers.%llu.mlp.down_proj.weight", n);
        fti_synth_add_vec(l, h, 1.0, NORM_NOISE, "model.layers.%llu.input_layernorm.weight", n);
        fti_synth_add_vec(l, h, 1.0, NORM_NOISE, "model.layers.%llu.post_attention_layernorm.weight", n);
    }
    fti_synth_add_vec(l, h, 1.0, NORM_NOISE, "model.norm.weight");
    fti_synth_add_mat(l, c->vocab, h, STD, "lm_head.weight");
}

static const char *gpt2_module(char *m, unsigned long long layer, const char *sub) {
    snprintf(m, sizeof(module_name), "transformer.h.%llu.%s", layer, sub);
    return m;
}

void fti_synth_build_gpt2(fti_synth_list *l, const fti_synth_config *c) {
    uint64_t h = c->hidden;
    double proj_std = STD / sqrt(2.0 * (double)c->layers); /* GPT-2's scaled residual init */
    fti_synth_add_mat(l, c->vocab, h, STD, "transformer.wte.weight");
    fti_synth_add_mat(l, c->positions, h, 0.01, "transformer.wpe.weight");
    for (uint64_t i = 0; i < c->layers; i++) {
        module_name m;
        unsigned long long n = (unsigned long long)i;
        layer_norm(l, h, gpt2_module(m, n, "ln_1"));
        conv1d(l, h, 3 * h, STD, gpt2_module(m, n, "attn.c_attn"));
        conv1d(l, h, h, proj_std, gpt2_module(m, n, "attn.c_proj"));
        layer_norm(l, h, gpt2_module(m, n, "ln_2"));
        conv1d(l, h, 4 * h, STD, gpt2_module(m, n, "mlp.c_fc"));
        conv1d(l, 4 * h, h, proj_std, gpt2_module(m, n, "mlp.c_proj"));
    }
    layer_norm(l, h, "transformer.ln_f");
}

/* One encoder layer of BERT (post-norm) or ViT (pre-norm); the names differ by family:
 * sub[] are the module names after the layer prefix. */
enum { SUB_Q, SUB_K, SUB_V, SUB_ATTN_OUT, SUB_NORM1, SUB_INTER, SUB_OUT, SUB_NORM2, SUB_COUNT };

static void encoder_layer(fti_synth_list *l, const fti_synth_config *c, const char *prefix,
                          const char *const sub[SUB_COUNT], int pre_norm) {
    uint64_t h = c->hidden, ff = c->intermediate;
    module_name m[SUB_COUNT];
    for (int s = 0; s < SUB_COUNT; s++) {
        int n = snprintf(m[s], sizeof m[s], "%s.%s", prefix, sub[s]);
        l->bad |= n < 0 || (size_t)n >= sizeof m[s]; /* a cut name would collide */
    }
    if (pre_norm) layer_norm(l, h, m[SUB_NORM1]);
    linear(l, h, h, STD, m[SUB_Q]);
    linear(l, h, h, STD, m[SUB_K]);
    linear(l, h, h, STD, m[SUB_V]);
    linear(l, h, h, STD, m[SUB_ATTN_OUT]);
    if (!pre_norm) layer_norm(l, h, m[SUB_NORM1]);
    if (pre_norm) layer_norm(l, h, m[SUB_NORM2]);
    linear(l, ff, h, STD, m[SUB_INTER]);
    linear(l, h, ff, STD, m[SUB_OUT]);
    if (!pre_norm) layer_norm(l, h, m[SUB_NORM2]);
}

void fti_synth_build_bert(fti_synth_list *l, const fti_synth_config *c) {
    static const char *const sub[SUB_COUNT] = {
        "attention.self.query", "attention.self.key",  "attention.self.value", "attention.output.dense",
        "attention.output.LayerNorm", "intermediate.dense", "output.dense",   "output.LayerNorm"};
    uint64_t h = c->hidden;
    fti_synth_add_mat(l, c->vocab, h, STD, "embeddings.word_embeddings.weight");
    fti_synth_add_mat(l, c->positions, h, STD, "embeddings.position_embeddings.weight");
    fti_synth_add_mat(l, 2, h, STD, "embeddings.token_type_embeddings.weight");
    layer_norm(l, h, "embeddings.LayerNorm");
    for (uint64_t i = 0; i < c->layers; i++) {
        module_name p;
        snprintf(p, sizeof p, "encoder.layer.%llu", (unsigned long long)i);
        encoder_layer(l, c, p, sub, 0);
    }
    linear(l, h, h, STD, "pooler.dense");
}

void fti_synth_build_vit(fti_synth_list *l, const fti_synth_config *c) {
    static const char *const sub[SUB_COUNT] = {
        "attention.attention.query", "attention.attention.key", "attention.attention.value",
        "attention.output.dense",    "layernorm_before",        "intermediate.dense",
        "output.dense",              "layernorm_after"};
    uint64_t h = c->hidden, side = c->image / c->patch;
    uint64_t cls[3] = {1, 1, h}, pos[3] = {1, side * side + 1, h}, proj[4] = {h, c->channels, c->patch, c->patch};
    fti_synth_add(l, FTI_INIT_NORMAL, 0.0, STD, 3, cls, "vit.embeddings.cls_token");
    fti_synth_add(l, FTI_INIT_NORMAL, 0.0, STD, 3, pos, "vit.embeddings.position_embeddings");
    fti_synth_add(l, FTI_INIT_NORMAL, 0.0, STD, 4, proj, "vit.embeddings.patch_embeddings.projection.weight");
    fti_synth_add_vec(l, h, 0.0, BIAS_NOISE, "vit.embeddings.patch_embeddings.projection.bias");
    for (uint64_t i = 0; i < c->layers; i++) {
        module_name p;
        snprintf(p, sizeof p, "vit.encoder.layer.%llu", (unsigned long long)i);
        encoder_layer(l, c, p, sub, 1);
    }
    layer_norm(l, h, "vit.layernorm");
    linear(l, c->classes, h, STD, "classifier");
}
