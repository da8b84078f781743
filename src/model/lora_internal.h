/* Internals shared by lora.c (tensors and pairs) and lora_config.c (adapter_config.json). */
#ifndef FTI_MODEL_LORA_INTERNAL_H
#define FTI_MODEL_LORA_INTERNAL_H

#include <jansson.h>

#include "model/lora.h"

typedef struct {
    fti_lora_config pub;  /* strings borrowed from root */
    json_t *root;
    json_t *rank_pattern; /* borrowed from root, or NULL */
    json_t *alpha_pattern;
    const char **targets; /* the list behind pub.target_list */
} fti_lora_cfg;

/* Loads and validates adapter_config.json at path (FTI_ERR_IO/FORMAT/UNSUPPORTED). On failure
 * c must still be freed. */
fti_status fti_lora_cfg_load(fti_lora_cfg *c, const char *path);
void fti_lora_cfg_free(fti_lora_cfg *c);

/* r and alpha for module, after rank_pattern / alpha_pattern. */
void fti_lora_cfg_for(const fti_lora_cfg *c, const char *module, unsigned *r, double *alpha);

/* FTI_OK if module is among the target modules (path names the adapter in messages). */
fti_status fti_lora_cfg_targets(const fti_lora_cfg *c, const char *module, const char *path);

#endif
