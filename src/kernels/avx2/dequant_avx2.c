/* SPDX-License-Identifier: MIT */
/* AVX2 block dequantizers: dequant_x86.inc with an 8-lane float stage. Bit-identical to the
 * scalar decoders (same operations, same order, no FMA); tested by tests/test_quant.c. */
#if !defined(__AVX2__)
#    error "dequant_avx2.c must be compiled with the avx2 tier's flags"
#endif

#include <immintrin.h>
#include <stddef.h>
#include <stdint.h>

#define GK_DQ_ISA avx2

/* dst[0..8) = (float)(int8) bytes of `q8` (its low 8 bytes) * s. */
static inline void gk_dq_put8(float *dst, __m128i q8, __m256 s)
{
    _mm256_storeu_ps(dst, _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(q8)), s));
}

static inline void gk_dq_put32_scaled(float *dst, __m256i q, float s0, float s1)
{
    const __m128i lo = _mm256_castsi256_si128(q), hi = _mm256_extracti128_si256(q, 1);
    const __m256 v0 = _mm256_set1_ps(s0), v1 = _mm256_set1_ps(s1);
    gk_dq_put8(dst, lo, v0);
    gk_dq_put8(dst + 8, _mm_srli_si128(lo, 8), v0);
    gk_dq_put8(dst + 16, hi, v1);
    gk_dq_put8(dst + 24, _mm_srli_si128(hi, 8), v1);
}

static inline void gk_dq_put8_affine(float *dst, __m128i q8, __m256 scale, __m256 sub)
{
    const __m256 q = _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(q8));
    _mm256_storeu_ps(dst, _mm256_sub_ps(_mm256_mul_ps(q, scale), sub));
}

static inline void
gk_dq_put32_affine(float *dst, __m256i q, float scale0, float sub0, float scale1, float sub1)
{
    const __m128i lo = _mm256_castsi256_si128(q), hi = _mm256_extracti128_si256(q, 1);
    const __m256 vs0 = _mm256_set1_ps(scale0), vm0 = _mm256_set1_ps(sub0);
    const __m256 vs1 = _mm256_set1_ps(scale1), vm1 = _mm256_set1_ps(sub1);
    gk_dq_put8_affine(dst, lo, vs0, vm0);
    gk_dq_put8_affine(dst + 8, _mm_srli_si128(lo, 8), vs0, vm0);
    gk_dq_put8_affine(dst + 16, hi, vs1, vm1);
    gk_dq_put8_affine(dst + 24, _mm_srli_si128(hi, 8), vs1, vm1);
}

static inline void gk_dq_put8_scale_add(float *dst, __m128i q8, __m256 scale, __m256 add)
{
    const __m256 q = _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(q8));
    _mm256_storeu_ps(dst, _mm256_add_ps(_mm256_mul_ps(q, scale), add));
}

static inline void gk_dq_put32_scale_add(float *dst, __m256i q, float scale, float add)
{
    const __m128i lo = _mm256_castsi256_si128(q), hi = _mm256_extracti128_si256(q, 1);
    const __m256 vs = _mm256_set1_ps(scale), va = _mm256_set1_ps(add);
    gk_dq_put8_scale_add(dst, lo, vs, va);
    gk_dq_put8_scale_add(dst + 8, _mm_srli_si128(lo, 8), vs, va);
    gk_dq_put8_scale_add(dst + 16, hi, vs, va);
    gk_dq_put8_scale_add(dst + 24, _mm_srli_si128(hi, 8), vs, va);
}

static inline void gk_dq_put8_zero_point(float *dst, __m256i q32, float zero_point, float scale)
{
    const __m256 q = _mm256_cvtepi32_ps(q32);
    _mm256_storeu_ps(
        dst, _mm256_mul_ps(_mm256_sub_ps(q, _mm256_set1_ps(zero_point)), _mm256_set1_ps(scale)));
}

#include "kernels/avx2/dequant_x86.inc"
