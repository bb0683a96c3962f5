/* SPDX-License-Identifier: MIT */
/* Scalar references of the BINARY ops: out[i] = a[i] (op) b[i] in IEEE single precision; f16 and
 * bf16 operands are widened exactly, and the f32 result is rounded once to the element type. */
#include "core/half.h"
#include "scalar_ops/ref.h"

static inline float gk_ref_load_f32(const float *p)
{
    return *p;
}

static inline void gk_ref_store_f32(float *p, float v)
{
    *p = v;
}

static inline float gk_ref_load_f16(const gk_f16 *p)
{
    return gk_f32_from_f16_bits(p->bits);
}

static inline void gk_ref_store_f16(gk_f16 *p, float v)
{
    p->bits = gk_f16_bits_from_f32(v);
}

static inline float gk_ref_load_bf16(const gk_bf16 *p)
{
    return gk_f32_from_bf16_bits(p->bits);
}

static inline void gk_ref_store_bf16(gk_bf16 *p, float v)
{
    p->bits = gk_bf16_bits_from_f32(v);
}

#define GK_REF_MATH_vec_add(x, y) ((x) + (y))
#define GK_REF_MATH_vec_sub(x, y) ((x) - (y))
#define GK_REF_MATH_vec_mul(x, y) ((x) * (y))

#define GK_REF_BINARY(op, family, dst)                                              \
    GK_SIG_BINARY(gk_ref_##op, dst, dst)                                            \
    {                                                                               \
        for (size_t i = 0; i < n; i++) {                                            \
            const float x = gk_ref_load_##dst(a + i), y = gk_ref_load_##dst(b + i); \
            gk_ref_store_##dst(out + i, GK_REF_MATH_##family(x, y));                \
        }                                                                           \
    }

#define GK_REF_CVT(op, family, dst)           /* in cvt_ref.c */
#define GK_OP(op, family, sig, src, dst, tol) GK_REF_##sig(op, family, dst)
#include "ops/ops.def"
#undef GK_OP
