/* Arena for large temporaries (NTT buffers, folding layers, sum-check tables).
 *
 * An arena is one reservation of `capacity` bytes made up front; allocations bump a pointer
 * (64-byte aligned) and are released together by rolling back to a mark. Components publish
 * a *_scratch_size() so that callers size the arena before starting, which makes the peak
 * memory of a proof known in advance and leaks impossible. Pages are only committed when
 * touched (mmap), so an over-estimate costs address space, not memory.
 *
 * Not thread-safe: allocate before a parallel region, use inside it. */
#ifndef FTI_UTIL_ARENA_H
#define FTI_UTIL_ARENA_H

#include <stddef.h>

#include "fti/fti.h"

typedef struct {
    unsigned char *base;
    size_t capacity;
    size_t used;
    size_t peak;
} fti_arena;

/* Reserves capacity bytes. Returns FTI_ERR_NOMEM if the reservation fails. */
FTI_MUST_CHECK fti_status fti_arena_init(fti_arena *a, size_t capacity);

/* Releases the reservation (a may be zero-initialised and never initialised). */
void fti_arena_free(fti_arena *a);

/* n bytes, 64-byte aligned, uninitialised; NULL (with fti_last_error set) if the arena
 * cannot hold them. */
void *fti_arena_alloc(fti_arena *a, size_t n);

/* Like fti_arena_alloc for count elements of size bytes, NULL on overflow. */
void *fti_arena_alloc_array(fti_arena *a, size_t count, size_t size);

/* A mark to roll back to, and the rollback (frees everything allocated after the mark). */
static inline size_t fti_arena_mark(const fti_arena *a) { return a->used; }
void fti_arena_reset(fti_arena *a, size_t mark);

/* Rounds n up to the arena's alignment: use it when summing up a *_scratch_size(). */
static inline size_t fti_arena_round(size_t n) { return (n + 63) & ~(size_t)63; }

#endif
