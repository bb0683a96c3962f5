/* SPDX-License-Identifier: MIT */
/* Scalar references of the reductions (REDUCE, DOT): one element at a time, summed in double (a
 * single f32 accumulator would lose about 1e-4 relative by n = 10^8); the maximum is exact and is
 * NaN if any element is NaN. Each returns the double the entry point stores as a float. */
#include <math.h>

#include "core/half.h"
#include "scalar_ops/ref.h"

#define GK_REF_TERM_vec_sum(v)         (double)(v)
#define GK_REF_TERM_vec_sum_squares(v) ((double)(v) * (double)(v))

#define GK_REF_SUM(op, family, dst)                              \
    GK_KSIG_REDUCE(gk_ref_##op, dst, dst)                        \
    {                                                            \
        double total = 0.0;                                      \
        for (size_t i = 0; i < n; i++)                           \
            total += GK_REF_TERM_##family(gk_load_##dst(x + i)); \
        return total;                                            \
    }

#define GK_REF_MAX(op, dst)                       \
    GK_KSIG_REDUCE(gk_ref_##op, dst, dst)         \
    {                                             \
        float m = -INFINITY;                      \
        for (size_t i = 0; i < n; i++) {          \
            const float v = gk_load_##dst(x + i); \
            if (isnan(v)) return (double)v;       \
            if (v > m) m = v;                     \
        }                                         \
        return (double)m;                         \
    }

#define GK_REF_REDUCE_vec_sum(op, dst)         GK_REF_SUM(op, vec_sum, dst)
#define GK_REF_REDUCE_vec_sum_squares(op, dst) GK_REF_SUM(op, vec_sum_squares, dst)
#define GK_REF_REDUCE_vec_max(op, dst)         GK_REF_MAX(op, dst)

#define GK_EACH_REDUCE(op, family, src, dst, tol) GK_REF_REDUCE_##family(op, dst)
#define GK_EACH_DOT(op, family, src, dst, tol)                                    \
    GK_KSIG_DOT(gk_ref_##op, dst, dst)                                            \
    {                                                                             \
        double total = 0.0;                                                       \
        for (size_t i = 0; i < n; i++)                                            \
            total += (double)gk_load_##dst(a + i) * (double)gk_load_##dst(b + i); \
        return total;                                                             \
    }
#include "ops/each_op.inc"
