/* SPDX-License-Identifier: MIT */
/* Scalar references of the element-wise classes UNARY, SCALE and AXPY: one element at a time in
 * single precision; f16 and bf16 elements are widened exactly and the f32 result is rounded once
 * to the element type. The UNARY math of each family is gk_ref_math_<family>. */
#include <math.h>

#include "core/half.h"
#include "scalar_ops/ref.h"

/* relu(x) = x for x > 0 and for NaN, +0 otherwise (so relu(-0) = +0). */
static float gk_ref_math_relu(float x)
{
    return (x > 0.0f || isnan(x)) ? x : 0.0f;
}

#define GK_REF_UNARY(op, family, src, dst)                                     \
    GK_SIG_UNARY(gk_ref_##op, src, dst)                                        \
    {                                                                          \
        for (size_t i = 0; i < n; i++)                                         \
            gk_store_##dst(y + i, gk_ref_math_##family(gk_load_##dst(x + i))); \
    }

#define GK_REF_SCALE(op, family, src, dst)                   \
    GK_SIG_SCALE(gk_ref_##op, src, dst)                      \
    {                                                        \
        for (size_t i = 0; i < n; i++)                       \
            gk_store_##dst(x + i, gk_load_##dst(x + i) * s); \
    }

#define GK_REF_AXPY(op, family, src, dst)                                               \
    GK_SIG_AXPY(gk_ref_##op, src, dst)                                                  \
    {                                                                                   \
        for (size_t i = 0; i < n; i++)                                                  \
            gk_store_##dst(y + i, fmaf(a, gk_load_##dst(x + i), gk_load_##dst(y + i))); \
    }

#define GK_EACH_UNARY(op, family, src, dst, tol) GK_REF_UNARY(op, family, src, dst)
#define GK_EACH_SCALE(op, family, src, dst, tol) GK_REF_SCALE(op, family, src, dst)
#define GK_EACH_AXPY(op, family, src, dst, tol)  GK_REF_AXPY(op, family, src, dst)
#include "ops/each_op.inc"
