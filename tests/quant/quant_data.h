/* SPDX-License-Identifier: MIT */
/* The data sets of the quantization-quality checks, reproducible from a seed: standard normal
 * values and a heavy-tailed set (Student's t with 3 degrees of freedom). The same generator
 * produced the ggml reference figures quoted in tests/test_quant.c. */
#ifndef GK_TEST_QUANT_DATA_H
#define GK_TEST_QUANT_DATA_H

#include <math.h>
#include <stddef.h>

#include "common/gk_test.h"

/* N(0, 1) by the Box-Muller transform of two uniforms, u1 in (0, 1], u2 in [0, 1). */
static inline double gkq_normal(gk_rng *rng)
{
    const double u1 = ((double)(gk_rng_u64(rng) >> 11) + 1.0) * 0x1.0p-53;
    const double u2 = (double)(gk_rng_u64(rng) >> 11) * 0x1.0p-53;
    return sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
}

static inline void gkq_fill_normal(float *x, size_t n, uint64_t seed)
{
    gk_rng rng = gk_rng_seeded(seed);
    for (size_t i = 0; i < n; i++)
        x[i] = (float)gkq_normal(&rng);
}

/* Student's t, 3 degrees of freedom: z0 / sqrt((z1^2 + z2^2 + z3^2) / 3). */
static inline void gkq_fill_heavy(float *x, size_t n, uint64_t seed)
{
    gk_rng rng = gk_rng_seeded(seed);
    for (size_t i = 0; i < n; i++) {
        const double z0 = gkq_normal(&rng), z1 = gkq_normal(&rng), z2 = gkq_normal(&rng),
                     z3 = gkq_normal(&rng);
        x[i] = (float)(z0 / sqrt((z1 * z1 + z2 * z2 + z3 * z3) / 3.0));
    }
}

#endif /* GK_TEST_QUANT_DATA_H */
