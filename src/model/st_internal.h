/* Internals shared by safetensors.c (mapping, accessors) and st_parse.c (header validation). */
#ifndef FTI_MODEL_ST_INTERNAL_H
#define FTI_MODEL_ST_INTERNAL_H

#include "model/safetensors.h"

typedef struct {
    const char *key;
    const char *value;
} fti_st_meta;

struct fti_st_file {
    char *path;
    const uint8_t *base; /* whole file image */
    uint64_t size;
    int mapped;          /* base is our mmap (unmap on close, madvise allowed) */
    uint64_t header_len; /* N */
    fti_st_tensor *tensors;
    size_t count;
    uint64_t *dims;      /* every tensor's shape, back to back */
    char *strings;       /* tensor names, metadata keys and values, NUL-terminated */
    fti_st_meta *meta;
    size_t meta_count;
};

/* Validates f->base[0 .. f->size) (f->path set, everything else zero) and fills the tables.
 * On failure the partly filled tables are left for fti_st_close to free. */
fti_status fti_st_parse_image(fti_st_file *f);

#endif
