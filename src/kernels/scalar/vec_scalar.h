/* SPDX-License-Identifier: MIT */
/* The vector vocabulary, one lane wide. This header is the specification of the vocabulary every
 * tier implements (vec_avx2.h, vec_avx512.h, vec_neon.h):
 *   gk_vf                     a vector of GK_VLANES f32 lanes
 *   vf_load_<t>(p)            GK_VLANES elements of dtype <t> from p, widened to f32
 *   vf_store_<t>(p, v)        v rounded to dtype <t>, GK_VLANES elements to p
 *   vf_load_<t>_n(p, n)       the first n < GK_VLANES elements (other lanes 0); reads nothing
 *                             past p + n
 *   vf_store_<t>_n(p, v, n)   the first n < GK_VLANES lanes; writes nothing past p + n
 *   vf_add/vf_sub/vf_mul(a, b) lane-wise IEEE single-precision arithmetic
 * for <t> in f32, f16, bf16. Conversions are exactly those of src/core/half.h. */
#ifndef GK_KERNELS_VEC_SCALAR_H
#define GK_KERNELS_VEC_SCALAR_H

#include <stddef.h>

#include "core/half.h"
#include "gllmk/types.h"

#define GK_ISA_SUFFIX scalar
#define GK_VLANES     1

typedef float gk_vf;

static inline gk_vf vf_load_f32(const float *p)
{
    return gk_load_f32(p);
}

static inline void vf_store_f32(float *p, gk_vf v)
{
    gk_store_f32(p, v);
}

static inline gk_vf vf_load_f16(const gk_f16 *p)
{
    return gk_load_f16(p);
}

static inline void vf_store_f16(gk_f16 *p, gk_vf v)
{
    gk_store_f16(p, v);
}

static inline gk_vf vf_load_bf16(const gk_bf16 *p)
{
    return gk_load_bf16(p);
}

static inline void vf_store_bf16(gk_bf16 *p, gk_vf v)
{
    gk_store_bf16(p, v);
}

/* Arithmetic, lane by lane, IEEE single precision. */
static inline gk_vf vf_add(gk_vf a, gk_vf b)
{
    return a + b;
}

static inline gk_vf vf_sub(gk_vf a, gk_vf b)
{
    return a - b;
}

static inline gk_vf vf_mul(gk_vf a, gk_vf b)
{
    return a * b;
}

/* With one lane, a tail is always empty (n == 0): loads give 0, stores write nothing. */
#define GK_SCALAR_EMPTY_TAIL(t, ctype)                               \
    static inline gk_vf vf_load_##t##_n(const ctype *p, size_t n)    \
    {                                                                \
        (void)p;                                                     \
        (void)n;                                                     \
        return 0.0f;                                                 \
    }                                                                \
    static inline void vf_store_##t##_n(ctype *p, gk_vf v, size_t n) \
    {                                                                \
        (void)p;                                                     \
        (void)v;                                                     \
        (void)n;                                                     \
    }
GK_SCALAR_EMPTY_TAIL(f32, float)
GK_SCALAR_EMPTY_TAIL(f16, gk_f16)
GK_SCALAR_EMPTY_TAIL(bf16, gk_bf16)
#undef GK_SCALAR_EMPTY_TAIL

#endif /* GK_KERNELS_VEC_SCALAR_H */
