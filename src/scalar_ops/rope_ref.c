/* SPDX-License-Identifier: MIT */
/* Scalar reference of the ROPE class: one token's heads rotated with a given table, pair by
 * pair, both elements read before either is written. */
#include <math.h>

#include "core/half.h"
#include "scalar_ops/ref.h"

#define GK_EACH_ROPE(op, family, src, dst, tol)                                         \
    GK_KSIG_ROPE(gk_ref_##op, dst, dst)                                                 \
    {                                                                                   \
        const size_t half = rot_dim / 2;                                                \
        for (size_t h = 0; h < n_heads; h++) {                                          \
            gk_ctype_##dst *head = x + h * head_dim;                                    \
            for (size_t i = 0; i < half; i++) {                                         \
                const size_t j = neox ? i : 2 * i, k = neox ? i + half : 2 * i + 1;     \
                const float xj = gk_load_##dst(head + j), xk = gk_load_##dst(head + k); \
                gk_store_##dst(head + j, fmaf(xj, table[j], xk * table[rot_dim + j]));  \
                gk_store_##dst(head + k, fmaf(xk, table[k], xj * table[rot_dim + k]));  \
            }                                                                           \
        }                                                                               \
    }
#include "ops/each_op.inc"
