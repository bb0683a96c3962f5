/* SPDX-License-Identifier: MIT */
/* Scalar references of the BINARY ops: out[i] = a[i] (op) b[i] in IEEE single precision; f16 and
 * bf16 operands are widened exactly, and the f32 result is rounded once to the element type. */
#include <math.h>

#include "core/half.h"
#include "scalar_ops/ref.h"

#define GK_REF_MATH_vec_add(x, y) ((x) + (y))
#define GK_REF_MATH_vec_sub(x, y) ((x) - (y))
#define GK_REF_MATH_vec_mul(x, y) ((x) * (y))
/* silu(x) y: the silu of map_ref.c (x / (1 + e^-x), plain expf), rounded, times y; within 4 ULP of
 * the correctly rounded result for x >= -88 (tests/test_activations.c). */
#define GK_REF_MATH_swiglu(x, y) ((x) / (1.0f + expf(-(x))) * (y))

#define GK_REF_BINARY(op, family, src, dst)                                 \
    GK_KSIG_BINARY(gk_ref_##op, dst, dst)                                   \
    {                                                                       \
        for (size_t i = 0; i < n; i++) {                                    \
            const float x = gk_load_##dst(a + i), y = gk_load_##dst(b + i); \
            gk_store_##dst(out + i, GK_REF_MATH_##family(x, y));            \
        }                                                                   \
    }

#define GK_EACH_BINARY(op, family, src, dst, tol) GK_REF_BINARY(op, family, src, dst)
#include "ops/each_op.inc"
