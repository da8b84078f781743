#include "util/arena.h"

#include <stdint.h>
#include <sys/mman.h>

#include "util/error.h"

fti_status fti_arena_init(fti_arena *a, size_t capacity) {
    a->base = NULL;
    a->capacity = a->used = a->peak = 0;
    capacity = fti_arena_round(capacity ? capacity : 64);
    void *p = mmap(NULL, capacity, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED)
        return fti_fail(FTI_ERR_NOMEM, "cannot reserve an arena of %zu bytes", capacity);
    a->base = p;
    a->capacity = capacity;
    return FTI_OK;
}

void fti_arena_free(fti_arena *a) {
    if (a->base) munmap(a->base, a->capacity);
    a->base = NULL;
    a->capacity = a->used = a->peak = 0;
}

void *fti_arena_alloc(fti_arena *a, size_t n) {
    size_t need = fti_arena_round(n);
    if (need < n || need > a->capacity - a->used) {
        fti_fail(FTI_ERR_NOMEM, "arena exhausted: %zu bytes requested, %zu of %zu in use", n, a->used,
                 a->capacity);
        return NULL;
    }
    void *p = a->base + a->used;
    a->used += need;
    if (a->used > a->peak) a->peak = a->used;
    return p;
}

void *fti_arena_alloc_array(fti_arena *a, size_t count, size_t size) {
    if (size && count > SIZE_MAX / size) {
        fti_fail(FTI_ERR_NOMEM, "arena allocation of %zu x %zu bytes overflows", count, size);
        return NULL;
    }
    return fti_arena_alloc(a, count * size);
}

void fti_arena_reset(fti_arena *a, size_t mark) {
    FTI_VERIFY_CHECK(mark <= a->used);
    a->used = mark;
}
