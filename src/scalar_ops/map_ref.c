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

/* The transcendental activations as the plain libm formulas. The kernels are held to 2 ULP of the
 * correctly rounded result (tests/test_activations.c); these references are bounded there only
 * where a one-line float formula can be (distance from the correctly rounded result, glibc):
 *   exp 1 ULP, tanh 3 ULP, silu 4 ULP for x >= -88, gelu 10 ULP for x >= -2,
 *   gelu_erf 10 ULP for x >= -2.5; below those points they are not bounded. */

/* e^x (libm expf). */
static float gk_ref_math_exp(float x)
{
    return expf(x);
}

/* tanh(x) (libm tanhf). */
static float gk_ref_math_tanh(float x)
{
    return tanhf(x);
}

/* x / (1 + e^-x). Below x = -88.7, e^-x overflows and the reference returns -0 where the result
 * is a tiny normal or subnormal number (and NaN at -Inf). */
static float gk_ref_math_silu(float x)
{
    return x / (1.0f + expf(-x));
}

/* gelu, tanh approximation: 0.5 x (1 + tanh(u)) = x / (1 + e^-2u), u = sqrt(2/pi) (x + 0.044715
 * x^3), in the logistic form (no cancellation). For x < 0 the error grows with |2u| (the rounding
 * of the argument): tens of ULP near x = -10. */
static float gk_ref_math_gelu(float x)
{
    return x / (1.0f + expf(-1.5957691216f * (x + 0.044715f * x * x * x)));
}

/* gelu, exact form: x Phi(x) = 0.5 x erfc(-x / sqrt2). For x < 0 the error grows with x^2 (the
 * rounding of the argument of erfc): tens of ULP near x = -10. */
static float gk_ref_math_gelu_erf(float x)
{
    return 0.5f * x * erfcf(-0.70710678f * x);
}

#define GK_REF_UNARY(op, family, src, dst)                                     \
    GK_KSIG_UNARY(gk_ref_##op, src, dst)                                       \
    {                                                                          \
        for (size_t i = 0; i < n; i++)                                         \
            gk_store_##dst(y + i, gk_ref_math_##family(gk_load_##dst(x + i))); \
    }

#define GK_REF_SCALE(op, family, src, dst)                   \
    GK_KSIG_SCALE(gk_ref_##op, src, dst)                     \
    {                                                        \
        for (size_t i = 0; i < n; i++)                       \
            gk_store_##dst(x + i, gk_load_##dst(x + i) * s); \
    }

#define GK_REF_AXPY(op, family, src, dst)                                               \
    GK_KSIG_AXPY(gk_ref_##op, src, dst)                                                 \
    {                                                                                   \
        for (size_t i = 0; i < n; i++)                                                  \
            gk_store_##dst(y + i, fmaf(a, gk_load_##dst(x + i), gk_load_##dst(y + i))); \
    }

#define GK_EACH_UNARY(op, family, src, dst, tol) GK_REF_UNARY(op, family, src, dst)
#define GK_EACH_SCALE(op, family, src, dst, tol) GK_REF_SCALE(op, family, src, dst)
#define GK_EACH_AXPY(op, family, src, dst, tol)  GK_REF_AXPY(op, family, src, dst)
#include "ops/each_op.inc"
