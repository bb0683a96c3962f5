/* SPDX-License-Identifier: MIT */
/* Test operators built with -mavx2 -mfma -ffp-contract=fast (VEX encodings, vfmadd*ss), outside
 * the baseline contract: the executor lifts the scalar VEX forms too. */
#include <math.h>

#include "jit/user_ops.h"

/* x + 0.044715 x^3 and a softplus: FMAs, VEX moves and a libm call */
void gk_test_fma_poly(const float *x, float *y, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const float v = x[i];
        y[i] = fmaf(v * v * v, 0.044715f, v) + logf(fmaf(-v, v, 1.0f) + expf(-v * v));
    }
}

/* a fused dot product accumulated in double */
double gk_test_fma_dot(const float *a, const float *b, size_t n)
{
    double acc = 0.0;
    for (size_t i = 0; i < n; i++)
        acc = fma((double)a[i], (double)b[i], acc);
    return acc;
}
