/* Tensor lists of the small families: a torchvision-style ResNet with basic blocks, and a plain
 * multi-layer perceptron (names and shapes in synth.h). */
#include <math.h>
#include <stdio.h>

#include "synth/synth_internal.h"

/* A conv kernel [out, in, k, k] (OIHW) with He initialisation: std sqrt(2 / fan_in). */
static void conv(fti_synth_list *l, uint64_t out, uint64_t in, uint64_t k, const char *m) {
    uint64_t shape[4] = {out, in, k, k};
    fti_synth_add(l, FTI_INIT_NORMAL, 0.0, sqrt(2.0 / (double)(in * k * k)), 4, shape, "%s.weight", m);
}

/* BatchNorm2d: affine weight and bias, then the running statistics (buffers torchvision saves). */
static void batch_norm(fti_synth_list *l, uint64_t n, const char *m) {
    fti_synth_add_vec(l, n, 1.0, 0.02, "%s.weight", m);
    fti_synth_add_vec(l, n, 0.0, 0.01, "%s.bias", m);
    fti_synth_add_vec(l, n, 0.0, 0.1, "%s.running_mean", m);
    fti_synth_add(l, FTI_INIT_LOGNORMAL, 0.0, 0.2, 1, &n, "%s.running_var", m);
}

/* "layer<s>.<b>.<sub>" into m (96 bytes). */
static const char *block_module(char *m, uint64_t s, uint64_t b, const char *sub) {
    snprintf(m, 96, "layer%llu.%llu.%s", (unsigned long long)s, (unsigned long long)b, sub);
    return m;
}

/* Basic block b of stage s (1-based) from `in` channels to `width`; a downsample branch (1x1
 * conv + batch norm) where the width changes, as torchvision has. */
static void basic_block(fti_synth_list *l, uint64_t s, uint64_t b, uint64_t in, uint64_t width) {
    char m[96];
    conv(l, width, in, 3, block_module(m, s, b, "conv1"));
    batch_norm(l, width, block_module(m, s, b, "bn1"));
    conv(l, width, width, 3, block_module(m, s, b, "conv2"));
    batch_norm(l, width, block_module(m, s, b, "bn2"));
    if (in == width) return;
    conv(l, width, in, 1, block_module(m, s, b, "downsample.0"));
    batch_norm(l, width, block_module(m, s, b, "downsample.1"));
}

void fti_synth_build_cnn(fti_synth_list *l, const fti_synth_config *c) {
    uint64_t width = c->hidden;
    conv(l, width, c->channels, c->kernel, "conv1");
    batch_norm(l, width, "bn1");
    for (uint64_t s = 1; s <= c->layers; s++) {
        uint64_t in = width;
        width = c->hidden << (s - 1);
        for (uint64_t b = 0; b < c->blocks; b++) basic_block(l, s, b, b ? width : in, width);
    }
    fti_synth_add_mat(l, c->classes, width, 0.01, "fc.weight");
    fti_synth_add_vec(l, c->classes, 0.0, 0.01, "fc.bias");
}

void fti_synth_build_mlp(fti_synth_list *l, const fti_synth_config *c) {
    for (uint64_t i = 0; i < c->layers; i++) {
        uint64_t in = i ? c->hidden : c->inputs, out = i + 1 < c->layers ? c->hidden : c->classes;
        fti_synth_add_mat(l, out, in, 1.0 / sqrt((double)in), "layers.%llu.weight", (unsigned long long)i);
        fti_synth_add_vec(l, out, 0.0, 0.01, "layers.%llu.bias", (unsigned long long)i);
    }
}
