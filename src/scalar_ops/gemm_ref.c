/* SPDX-License-Identifier: MIT */
/* Scalar reference of GEMM: the plain triple loop, one f32 accumulator per element of C, summed
 * over p in order (the test oracle is a double-precision sum; this is the JIT's input). */
#include "scalar_ops/ref.h"

void gk_ref_gemm_f32(const float *a, const float *b, float *c, size_t m, size_t n, size_t k)
{
    for (size_t i = 0; i < m; i++) {
        for (size_t j = 0; j < n; j++) {
            float sum = 0.0f;
            for (size_t p = 0; p < k; p++)
                sum += a[i * k + p] * b[p * n + j];
            c[i * n + j] = sum;
        }
    }
}
