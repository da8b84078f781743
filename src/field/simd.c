/* The run-time choice between the scalar and the AVX-512 kernels (field_avx512.h). */
#include <stdlib.h>
#include <string.h>

#include "field/field_avx512.h"

int fti_simd_enabled = 1;

/* FTI_SIMD=0 in the environment selects the scalar kernels (for comparisons and benchmarks);
 * read once, before main, so no thread ever writes the switch. */
__attribute__((constructor)) static void simd_from_env(void) {
    const char *s = getenv("FTI_SIMD");
    if (s && strcmp(s, "0") == 0) fti_simd_enabled = 0;
}

int fti_simd_avx512(void) {
#if FTI_HAVE_AVX512
    return fti_simd_enabled && __builtin_cpu_supports("avx512f");
#else
    return 0;
#endif
}
