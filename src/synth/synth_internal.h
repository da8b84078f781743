/* Internals shared by the synth files: the tensor list of a model and its initialisers, and the
 * parallel fill and reduction helpers. */
#ifndef FTI_SYNTH_SYNTH_INTERNAL_H
#define FTI_SYNTH_SYNTH_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "synth/st_write.h"
#include "synth/synth.h"

/* Elements per chunk of a reduction: fixed, so sums do not depend on the thread count. */
#define FTI_SYNTH_CHUNK 65536
/* Below this many elements a loop runs on the calling thread: waking a team for a small tensor
 * costs more than it saves. Results never depend on it. */
#define FTI_SYNTH_PAR_MIN 32768

typedef enum {
    FTI_INIT_NORMAL,    /* mean + std * z */
    FTI_INIT_LOGNORMAL  /* exp(std * z): positive (batch-norm running variances) */
} fti_init_kind;

typedef struct {
    fti_sw_tensor t; /* t.name points at name */
    char name[160];
    fti_init_kind init;
    double mean, std;
} fti_synth_spec;

typedef struct {
    fti_synth_spec *v;
    size_t n, cap;
    fti_dtype dtype;
    int bad; /* sticky: out of memory or a name too long */
} fti_synth_list;

/* Appends a tensor of the list's dtype; shape has ndim entries; name printf-style. */
void fti_synth_add(fti_synth_list *l, fti_init_kind init, double mean, double std, unsigned ndim,
                   const uint64_t *shape, const char *fmt, ...) __attribute__((format(printf, 7, 8)));

/* Shorthands: a normal(0, std) matrix [rows, cols]; a vector [n] of mean + normal(0, std). */
void fti_synth_add_mat(fti_synth_list *l, uint64_t rows, uint64_t cols, double std, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
void fti_synth_add_vec(fti_synth_list *l, uint64_t n, double mean, double std, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/* Builds the tensor list of cfg (which passed fti_synth_check) into l (zeroed by the caller,
 * dtype set). FTI_ERR_NOMEM if the list could not be built. */
FTI_MUST_CHECK fti_status fti_synth_build(fti_synth_list *l, const fti_synth_config *cfg);
void fti_synth_list_free(fti_synth_list *l);

/* Per-architecture builders (models_tf.c, models_small.c). */
void fti_synth_build_llama(fti_synth_list *l, const fti_synth_config *c);
void fti_synth_build_gpt2(fti_synth_list *l, const fti_synth_config *c);
void fti_synth_build_bert(fti_synth_list *l, const fti_synth_config *c);
void fti_synth_build_vit(fti_synth_list *l, const fti_synth_config *c);
void fti_synth_build_cnn(fti_synth_list *l, const fti_synth_config *c);
void fti_synth_build_mlp(fti_synth_list *l, const fti_synth_config *c);

/* Fills n elements of dt at buf with the initialiser's values of stream key (in parallel). */
void fti_synth_fill(uint8_t *buf, fti_dtype dt, uint64_t n, uint64_t key, fti_init_kind init, double mean,
                    double std);

/* Sums over [0, n) computed in parallel chunks of FTI_SYNTH_CHUNK elements: fn adds the
 * FTI_SYNTH_NSUM sums of [i0, i1) into out (zeroed); the chunks' sums are then added in chunk
 * order, so the result does not depend on the thread count. */
#define FTI_SYNTH_NSUM 3
typedef void (*fti_synth_chunk_fn)(const void *arg, uint64_t i0, uint64_t i1, double out[FTI_SYNTH_NSUM]);
void fti_synth_reduce(double out[FTI_SYNTH_NSUM], uint64_t n, fti_synth_chunk_fn fn, const void *arg);

/* sum of z_i^2 over the first n standard normals of stream key. */
double fti_synth_normal_sumsq(uint64_t key, uint64_t n);

/* Product of the dimensions. */
uint64_t fti_synth_numel(unsigned ndim, const uint64_t *shape);

#endif
