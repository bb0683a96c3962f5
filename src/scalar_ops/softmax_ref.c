/* SPDX-License-Identifier: MIT */
/* Scalar reference of SOFTMAX: per row, the maximum, the sum of expf(x - max) in double, then
 * expf(x - max) / sum; rows whose maximum is not finite take the documented special results. */
#include <math.h>

#include "core/half.h"
#include "scalar_ops/ref.h"

#define GK_EACH_SOFTMAX(op, family, src, dst, tol)                                    \
    GK_KSIG_SOFTMAX(gk_ref_##op, dst, dst)                                            \
    {                                                                                 \
        for (size_t r = 0; r < rows; r++) {                                           \
            const gk_ctype_##dst *xr = x + r * cols;                                  \
            gk_ctype_##dst *yr = y + r * cols;                                        \
            float m = -INFINITY;                                                      \
            size_t n_nan = 0, n_inf = 0;                                              \
            for (size_t i = 0; i < cols; i++) {                                       \
                const float v = gk_load_##dst(xr + i);                                \
                n_nan += isnan(v);                                                    \
                n_inf += v == INFINITY;                                               \
                if (v > m) m = v;                                                     \
            }                                                                         \
            if (n_nan || m == -INFINITY || n_inf) {                                   \
                for (size_t i = 0; i < cols; i++) {                                   \
                    const bool is_inf = gk_load_##dst(xr + i) == INFINITY;            \
                    gk_store_##dst(yr + i, n_nan            ? NAN                     \
                                           : m == -INFINITY ? 0.0f                    \
                                           : is_inf         ? 1.0f / (float)n_inf     \
                                                            : 0.0f);                          \
                }                                                                     \
                continue;                                                             \
            }                                                                         \
            double sum = 0.0;                                                         \
            for (size_t i = 0; i < cols; i++)                                         \
                sum += (double)expf(gk_load_##dst(xr + i) - m);                       \
            for (size_t i = 0; i < cols; i++)                                         \
                gk_store_##dst(yr + i, expf(gk_load_##dst(xr + i) - m) / (float)sum); \
        }                                                                             \
    }
#include "ops/each_op.inc"
