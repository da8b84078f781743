/* Helpers shared by the libFuzzer harnesses (fuzz_*.c): writing seed files and a small
 * deterministic generator for the fixed inputs a harness builds at start-up. */
#ifndef FTI_FUZZ_COMMON_H
#define FTI_FUZZ_COMMON_H

#include <stdint.h>
#include <stdio.h>

/* Writes n bytes of b to DIR/NAME; 1 on success. */
static inline int fuzz_write_file(const char *dir, const char *name, const uint8_t *b, size_t n) {
    char path[4200];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    if (!f) return 0;
    int ok = fwrite(b, 1, n, f) == n;
    return (fclose(f) == 0) & ok;
}

/* splitmix64 over the caller's state. */
static inline uint64_t fuzz_splitmix64(uint64_t *state) {
    uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

#endif
