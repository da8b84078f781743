/* Named model configurations (contract in synth.h). Parameter counts (incl. batch-norm running
 * statistics) are in the comments; `fti_gen presets` prints them and test_synth checks some. */
#include <stdio.h>
#include <string.h>

#include "synth/synth.h"
#include "util/error.h"

typedef struct {
    const char *name;
    fti_synth_config cfg;
} preset;

#define LLAMA(h, ff, l, hd, kv, v) {.arch = FTI_SYNTH_LLAMA, .hidden = h, .intermediate = ff, .layers = l, .heads = hd, .kv_heads = kv, .vocab = v}
#define GPT2(h, l, hd, v, pos) {.arch = FTI_SYNTH_GPT2, .hidden = h, .layers = l, .heads = hd, .vocab = v, .positions = pos}
#define BERT(h, ff, l, hd, v, pos) {.arch = FTI_SYNTH_BERT, .hidden = h, .intermediate = ff, .layers = l, .heads = hd, .vocab = v, .positions = pos}
#define VIT(h, ff, l, hd, img, p, ch, cl) {.arch = FTI_SYNTH_VIT, .hidden = h, .intermediate = ff, .layers = l, .heads = hd, .image = img, .patch = p, .channels = ch, .classes = cl}
#define CNN(w, st, bl, ch, k, cl) {.arch = FTI_SYNTH_CNN, .hidden = w, .layers = st, .blocks = bl, .channels = ch, .kernel = k, .classes = cl}
#define MLP(in, h, l, cl) {.arch = FTI_SYNTH_MLP, .inputs = in, .hidden = h, .layers = l, .classes = cl}

static const preset presets[] = {
    {"micro", LLAMA(64, 176, 2, 4, 2, 256)},          /* 125,248 */
    {"tiny", LLAMA(256, 688, 4, 4, 2, 2048)},         /* 3,950,848 */
    {"100M", LLAMA(640, 1728, 13, 10, 5, 32000)},     /* 100,082,560 */
    {"1B", LLAMA(2048, 5632, 22, 32, 4, 32000)},      /* 1,100,048,384 (TinyLlama-1.1B) */
    {"micro", GPT2(64, 2, 4, 256, 64)},               /* 120,576 */
    {"tiny", GPT2(256, 4, 4, 2048, 256)},             /* 3,749,376 */
    {"124M", GPT2(768, 12, 12, 50257, 1024)},         /* 124,439,808 (GPT-2 small) */
    {"micro", BERT(64, 256, 2, 4, 256, 64)},          /* 124,864 */
    {"tiny", BERT(256, 1024, 4, 4, 2048, 256)},       /* 3,815,680 */
    {"base", BERT(768, 3072, 12, 12, 30522, 512)},    /* 109,482,240 (bert-base-uncased) */
    {"micro", VIT(64, 256, 2, 4, 32, 8, 3, 10)},      /* 114,250 */
    {"tiny", VIT(192, 768, 4, 3, 64, 8, 3, 10)},      /* 1,831,498 */
    {"base", VIT(768, 3072, 12, 12, 224, 16, 3, 1000)}, /* 86,567,656 (vit-base-patch16-224) */
    {"micro", CNN(8, 2, 1, 3, 3, 10)},                /* 5,410 */
    {"tiny", CNN(32, 3, 2, 3, 3, 10)},                /* 700,890 */
    {"resnet18", CNN(64, 4, 2, 3, 7, 1000)},          /* 11,699,112 incl. running stats */
    {"micro", MLP(32, 64, 3, 10)},                    /* 6,922 */
    {"tiny", MLP(784, 512, 3, 10)},                   /* 669,706 */
    {"mnist", MLP(784, 1024, 4, 10)},                 /* 2,913,290 */
};

enum { NPRESETS = sizeof presets / sizeof presets[0] };

const char *fti_synth_preset_name(fti_synth_arch arch, size_t i) {
    for (size_t k = 0; k < NPRESETS; k++)
        if (presets[k].cfg.arch == arch && i-- == 0) return presets[k].name;
    return NULL;
}

fti_status fti_synth_preset(fti_synth_config *out, fti_synth_arch arch, const char *name) {
    if (!name) name = "tiny";
    for (size_t k = 0; k < NPRESETS; k++)
        if (presets[k].cfg.arch == arch && strcmp(presets[k].name, name) == 0) {
            *out = presets[k].cfg;
            return FTI_OK;
        }
    char known[128] = "";
    for (size_t i = 0, o = 0; fti_synth_preset_name(arch, i) && o < sizeof known; i++)
        o += (size_t)snprintf(known + o, sizeof known - o, "%s%s", i ? ", " : "", fti_synth_preset_name(arch, i));
    return fti_fail(FTI_ERR_ARG, "synth: %s has no preset \"%s\" (known: %s)", fti_synth_arch_name(arch), name, known);
}
