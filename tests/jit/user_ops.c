/* SPDX-License-Identifier: MIT */
/* Operators a user might register, compiled like src/scalar_ops (-O1, no vectorization, no FP
 * contraction: see src/jit/README.md), for test_jit: two activations, the GEMM and quant-decode
 * shapes of the registry, and functions the executor must reject. */
#include "jit/user_ops.h"

#include "core/half.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

/* y = x + 1 */
void gk_test_plus_one(const float *x, float *y, size_t n)
{
    for (size_t i = 0; i < n; i++)
        y[i] = x[i] + 1.0f;
}

/* mish(x) = x tanh(softplus(x)) */
void gk_test_mish(const float *x, float *y, size_t n)
{
    for (size_t i = 0; i < n; i++)
        y[i] = x[i] * tanhf(log1pf(expf(x[i])));
}

/* squared ReLU: max(x, 0)^2 (NaN propagates) */
void gk_test_relu_squared(const float *x, float *y, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const float r = x[i] > 0.0f || isnan(x[i]) ? x[i] : 0.0f;
        y[i] = r * r;
    }
}

/* c = a b, row-major, a plain triple loop with one f32 accumulator */
void gk_test_gemm(const float *a, const float *b, float *c, size_t m, size_t n, size_t k)
{
    for (size_t i = 0; i < m; i++)
        for (size_t j = 0; j < n; j++) {
            float acc = 0.0f;
            for (size_t p = 0; p < k; p++)
                acc += a[i * k + p] * b[p * n + j];
            c[i * n + j] = acc;
        }
}

/* IEEE binary16 -> binary32 with integer operations only: the magnitude scaled by 2^112 is
 * exact for normal and subnormal halves; Inf and NaN keep an all-ones exponent. */
static float half_to_float(uint16_t h)
{
    const uint32_t sign = (uint32_t)(h & 0x8000u) << 16;
    const uint32_t em = h & 0x7FFFu;
    uint32_t bits = em << 13;
    float f;
    memcpy(&f, &bits, sizeof f);
    f *= 0x1p112f;
    if (em >= 0x7C00u) {
        bits = (em << 13) | 0x7F800000u;
        memcpy(&f, &bits, sizeof f);
    }
    memcpy(&bits, &f, sizeof bits);
    bits |= sign;
    memcpy(&f, &bits, sizeof f);
    return f;
}

/* A Q8_0-shaped block: f16 scale d, then 32 signed codes; y = code * d. */
void gk_test_dequant_q8(const void *blocks, float *y, size_t n)
{
    const unsigned char *p = blocks;
    for (size_t b = 0; b < n / GK_TEST_Q8_ELEMS; b++, p += GK_TEST_Q8_BYTES) {
        uint16_t d_bits;
        memcpy(&d_bits, p, sizeof d_bits);
        const float d = half_to_float(d_bits);
        for (size_t q = 0; q < GK_TEST_Q8_ELEMS; q++)
            y[b * GK_TEST_Q8_ELEMS + q] = (float)(signed char)p[2 + q] * d;
    }
}

/* The same block with the library's exact f16 conversion (core/half.h: branches per exponent
 * class, bsr and a shift by a computed count for subnormal scales). */
void gk_test_dequant_q8_half(const void *blocks, float *y, size_t n)
{
    const unsigned char *p = blocks;
    for (size_t b = 0; b < n / GK_TEST_Q8_ELEMS; b++, p += GK_TEST_Q8_BYTES) {
        uint16_t d_bits;
        memcpy(&d_bits, p, sizeof d_bits);
        const float d = gk_f32_from_f16_bits(d_bits);
        for (size_t q = 0; q < GK_TEST_Q8_ELEMS; q++)
            y[b * GK_TEST_Q8_ELEMS + q] = (float)(signed char)p[2 + q] * d;
    }
}

/* A rotation in the NEOX style whatever the flag says: x[i], x[i + half] rotated by the
 * cosine / sine pair of table[i], table[rot_dim + i], written as x c - y s and y c + x s. */
void gk_test_rope_halves(
    float *x, const float *table, size_t n_heads, size_t head_dim, size_t rot_dim, bool neox)
{
    (void)neox;
    const size_t half = rot_dim / 2;
    for (size_t h = 0; h < n_heads; h++)
        for (size_t i = 0; i < half; i++) {
            float *p = x + h * head_dim;
            const float a = p[i], b = p[i + half];
            const float c = table[i], s = table[rot_dim + i];
            p[i] = a * c - b * s;
            p[i + half] = b * c + a * s;
        }
}

/* Rejected: an exit out of the loop that depends on the running sum (not only on the element
 * at its position). */
double gk_test_sum_until(const float *x, size_t n)
{
    double total = 0.0;
    for (size_t i = 0; i < n; i++) {
        total += (double)x[i];
        if (total > 100.0) return total;
    }
    return total;
}

/* Rejected: pairs (j, rot_dim - 1 - j), which is neither partner rule of a PAIRWISE trace. */
void gk_test_rope_mirror(
    float *x, const float *table, size_t n_heads, size_t head_dim, size_t rot_dim, bool neox)
{
    (void)neox;
    for (size_t h = 0; h < n_heads; h++)
        for (size_t i = 0; i < rot_dim / 2; i++) {
            float *p = x + h * head_dim;
            const size_t k = rot_dim - 1 - i;
            const float a = p[i], b = p[k];
            p[i] = a * table[i] + b * table[rot_dim + i];
            p[k] = b * table[k] + a * table[rot_dim + k];
        }
}

/* Rejected: the operation is called through a pointer that could change. */
float (*volatile gk_test_indirect_fn)(float) = expf;

void gk_test_indirect(const float *x, float *y, size_t n)
{
    for (size_t i = 0; i < n; i++)
        y[i] = gk_test_indirect_fn(x[i]);
}

/* Rejected: sinf is not a function traces know. */
void gk_test_unknown_libm(const float *x, float *y, size_t n)
{
    for (size_t i = 0; i < n; i++)
        y[i] = sinf(x[i]);
}
