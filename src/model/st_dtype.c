/* The safetensors dtype table: header spellings and element widths. */
#include <string.h>

#include "model/safetensors.h"

static const struct {
    const char *name;
    unsigned bits;
} DTYPES[FTI_DT_COUNT] = {
    [FTI_DT_BOOL] = {"BOOL", 8},        [FTI_DT_F4] = {"F4", 4},
    [FTI_DT_F6_E2M3] = {"F6_E2M3", 6},  [FTI_DT_F6_E3M2] = {"F6_E3M2", 6},
    [FTI_DT_U8] = {"U8", 8},            [FTI_DT_I8] = {"I8", 8},
    [FTI_DT_F8_E5M2] = {"F8_E5M2", 8},  [FTI_DT_F8_E4M3] = {"F8_E4M3", 8},
    [FTI_DT_F8_E8M0] = {"F8_E8M0", 8},  [FTI_DT_I16] = {"I16", 16},
    [FTI_DT_U16] = {"U16", 16},         [FTI_DT_F16] = {"F16", 16},
    [FTI_DT_BF16] = {"BF16", 16},       [FTI_DT_I32] = {"I32", 32},
    [FTI_DT_U32] = {"U32", 32},         [FTI_DT_F32] = {"F32", 32},
    [FTI_DT_C64] = {"C64", 64},         [FTI_DT_F64] = {"F64", 64},
    [FTI_DT_I64] = {"I64", 64},         [FTI_DT_U64] = {"U64", 64},
};

const char *fti_dtype_name(fti_dtype dt) {
    return (unsigned)dt < FTI_DT_COUNT ? DTYPES[dt].name : "?";
}

unsigned fti_dtype_bits(fti_dtype dt) {
    return (unsigned)dt < FTI_DT_COUNT ? DTYPES[dt].bits : 0;
}

int fti_dtype_parse(fti_dtype *out, const char *name) {
    for (unsigned i = 0; i < FTI_DT_COUNT; i++)
        if (strcmp(name, DTYPES[i].name) == 0) {
            *out = (fti_dtype)i;
            return 1;
        }
    return 0;
}

int fti_dtype_committable(fti_dtype dt) {
    return dt == FTI_DT_BF16 || dt == FTI_DT_F16 || dt == FTI_DT_F32 || dt == FTI_DT_F64;
}
