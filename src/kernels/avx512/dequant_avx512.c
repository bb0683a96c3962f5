/* SPDX-License-Identifier: MIT */
/* AVX-512 block dequantizers: the x86 unpacking of ../avx2/dequant_x86.inc (AVX2 integer ops,
 * which this tier's flags include) with a 16-lane float stage (Q4_K, Q5_K and TQ1_0 use the
 * include's own 8-lane stage on both tiers). Bit-identical to the scalar decoders (same
 * operations, same order, no FMA); tested by tests/test_quant.c where the CPU has AVX-512
 * (skipped otherwise). */
#if !defined(__AVX512F__) || !defined(__AVX2__)
#    error "dequant_avx512.c must be compiled with the avx512 tier's flags"
#endif

#include <immintrin.h>
#include <stddef.h>
#include <stdint.h>

#define GK_DQ_ISA avx512

/* dst[0..16) = (float)(int8) bytes of q16 * s. */
static inline void gk_dq_put16(float *dst, __m128i q16, __m512 s)
{
    _mm512_storeu_ps(dst, _mm512_mul_ps(_mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(q16)), s));
}

static inline void gk_dq_put32_scaled(float *dst, __m256i q, float s0, float s1)
{
    gk_dq_put16(dst, _mm256_castsi256_si128(q), _mm512_set1_ps(s0));
    gk_dq_put16(dst + 16, _mm256_extracti128_si256(q, 1), _mm512_set1_ps(s1));
}

static inline void gk_dq_put16_affine(float *dst, __m128i q16, __m512 scale, __m512 sub)
{
    const __m512 q = _mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(q16));
    _mm512_storeu_ps(dst, _mm512_sub_ps(_mm512_mul_ps(q, scale), sub));
}

static inline void
gk_dq_put32_affine(float *dst, __m256i q, float scale0, float sub0, float scale1, float sub1)
{
    gk_dq_put16_affine(dst, _mm256_castsi256_si128(q), _mm512_set1_ps(scale0),
                       _mm512_set1_ps(sub0));
    gk_dq_put16_affine(dst + 16, _mm256_extracti128_si256(q, 1), _mm512_set1_ps(scale1),
                       _mm512_set1_ps(sub1));
}

static inline void gk_dq_put16_scale_add(float *dst, __m128i q16, __m512 scale, __m512 add)
{
    const __m512 q = _mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(q16));
    _mm512_storeu_ps(dst, _mm512_add_ps(_mm512_mul_ps(q, scale), add));
}

static inline void gk_dq_put32_scale_add(float *dst, __m256i q, float scale, float add)
{
    const __m512 vs = _mm512_set1_ps(scale), va = _mm512_set1_ps(add);
    gk_dq_put16_scale_add(dst, _mm256_castsi256_si128(q), vs, va);
    gk_dq_put16_scale_add(dst + 16, _mm256_extracti128_si256(q, 1), vs, va);
}

static inline void gk_dq_put8_zero_point(float *dst, __m256i q32, float zero_point, float scale)
{
    const __m256 q = _mm256_cvtepi32_ps(q32);
    _mm256_storeu_ps(
        dst, _mm256_mul_ps(_mm256_sub_ps(q, _mm256_set1_ps(zero_point)), _mm256_set1_ps(scale)));
}

#include "kernels/avx2/dequant_x86.inc"
