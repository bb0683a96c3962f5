/* SPDX-License-Identifier: MIT */
/* gllm-kernels: basic public types — status codes, element types, export macro, version. */
#ifndef GLLMK_TYPES_H
#define GLLMK_TYPES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define GK_VERSION_MAJOR  0
#define GK_VERSION_MINOR  1
#define GK_VERSION_PATCH  0
#define GK_VERSION_STRING "0.1.0"

/* GK_API marks the exported symbols; everything else in the library is hidden. */
#if defined(GK_BUILDING_LIBRARY) && defined(__GNUC__)
#    define GK_API __attribute__((visibility("default")))
#else
#    define GK_API
#endif

/* Result of every public call. Values are fixed forever: new codes are appended. */
typedef enum gk_status {
    GK_OK = 0,
    GK_EINVAL = 1,    /* a bad argument: NULL, bad stride, bad block count, foreign packed buffer */
    GK_ENOMEM = 2,    /* an allocation failed */
    GK_EOVERFLOW = 3, /* a size product overflows size_t */
    GK_EALIAS = 4,    /* buffers overlap where the contract forbids it */
    GK_EUNSUPPORTED =
        5,            /* op/type/format/ISA combination not available, or not liftable by the JIT */
    GK_EANALYSIS = 6, /* the JIT could not analyse an operator */
    GK_ECOMPILE = 7,  /* the JIT could not compile a layer */
    GK_EINTERNAL = 8  /* an internal invariant broke: always a bug, please report it */
} gk_status;

/* IEEE 754 binary16, stored as its bit pattern. A struct, so that f16 and bf16 arrays cannot be
 * mixed up silently; an array of gk_f16 has the same layout as an array of uint16_t. */
typedef struct gk_f16 {
    uint16_t bits;
} gk_f16;

/* bfloat16 (the upper half of an IEEE binary32), stored as its bit pattern. */
typedef struct gk_bf16 {
    uint16_t bits;
} gk_bf16;

/* Element types of tensors. Values are fixed forever. */
typedef enum gk_dtype { GK_DTYPE_F32 = 0, GK_DTYPE_F16 = 1, GK_DTYPE_BF16 = 2 } gk_dtype;

/* How RoPE pairs the elements it rotates (values fixed forever):
 * GK_ROPE_NORM  adjacent pairs (x[2i], x[2i+1]) (GPT-J; llama.cpp's "normal" mode);
 * GK_ROPE_NEOX  halves (x[i], x[i + rot_dim/2]) (GPT-NeoX). */
typedef enum gk_rope_style { GK_ROPE_NORM = 0, GK_ROPE_NEOX = 2 } gk_rope_style;

#ifdef __cplusplus
}
#endif

#endif /* GLLMK_TYPES_H */
