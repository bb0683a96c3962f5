/* SPDX-License-Identifier: MIT */
/* Scalar references of the row-wise normalisations: row statistics summed in double, the result
 * formed in single precision from the double scale. */
#include <math.h>

#include "core/half.h"
#include "scalar_ops/ref.h"

#define GK_EACH_RMS_NORM(op, family, src, dst, tol)                                       \
    GK_KSIG_RMS_NORM(gk_ref_##op, dst, dst)                                               \
    {                                                                                     \
        for (size_t r = 0; r < rows; r++) {                                               \
            const gk_ctype_##dst *xr = x + r * cols;                                      \
            double sum_sq = 0.0;                                                          \
            for (size_t i = 0; i < cols; i++)                                             \
                sum_sq += (double)gk_load_##dst(xr + i) * (double)gk_load_##dst(xr + i);  \
            const float scale = (float)(1.0 / sqrt(sum_sq / (double)cols + (double)eps)); \
            for (size_t i = 0; i < cols; i++) {                                           \
                const float w_i = w ? gk_load_##dst(w + i) : 1.0f;                        \
                gk_store_##dst(y + r * cols + i, gk_load_##dst(xr + i) * scale * w_i);    \
            }                                                                             \
        }                                                                                 \
    }

#define GK_EACH_LAYER_NORM(op, family, src, dst, tol)                                         \
    GK_KSIG_LAYER_NORM(gk_ref_##op, dst, dst)                                                 \
    {                                                                                         \
        for (size_t r = 0; r < rows; r++) {                                                   \
            const gk_ctype_##dst *xr = x + r * cols;                                          \
            double sum = 0.0, sum_sq = 0.0;                                                   \
            for (size_t i = 0; i < cols; i++)                                                 \
                sum += (double)gk_load_##dst(xr + i);                                         \
            const double mean = sum / (double)cols;                                           \
            for (size_t i = 0; i < cols; i++) {                                               \
                const double d = (double)gk_load_##dst(xr + i) - mean;                        \
                sum_sq += d * d;                                                              \
            }                                                                                 \
            const double rstd = 1.0 / sqrt(sum_sq / (double)cols + (double)eps);              \
            for (size_t i = 0; i < cols; i++) {                                               \
                const float g = gamma ? gk_load_##dst(gamma + i) : 1.0f;                      \
                const float b = beta ? gk_load_##dst(beta + i) : 0.0f;                        \
                const float centred = (float)(((double)gk_load_##dst(xr + i) - mean) * rstd); \
                gk_store_##dst(y + r * cols + i, centred * g + b);                            \
            }                                                                                 \
        }                                                                                     \
    }
#include "ops/each_op.inc"
