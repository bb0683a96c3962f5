/* SPDX-License-Identifier: MIT */
/* AVX-512 (F, BW, DQ, VL) decoders of the IQ formats (gk_dequant_<fmt>_avx512): the shared
 * format walk (src/quant/iq_dequant_body.inc) with 16-lane helpers; sign bits are applied with
 * a masked XOR of the sign bit, so every lane does the scalar decoder's binary32 operations in
 * the same order and the outputs are bit-identical to it. Needs no VBMI. */
#if !defined(__AVX512F__) || !defined(__AVX512BW__)
#    error "dequant_iq_avx512.c must be compiled with -mavx512f -mavx512bw (src/kernels/avx512/)"
#endif

#include <immintrin.h>

#include "core/half.h"
#include "quant/iq.h"

static inline void put16_signed(
    float *y, float scale, uint64_t grid_a, uint32_t signs_a, uint64_t grid_b, uint32_t signs_b)
{
    const __m128i bytes = _mm_set_epi64x((long long)grid_b, (long long)grid_a);
    const __m512 v =
        _mm512_mul_ps(_mm512_set1_ps(scale), _mm512_cvtepi32_ps(_mm512_cvtepu8_epi32(bytes)));
    const __mmask16 negative = (__mmask16)(signs_a | (signs_b << 8));
    const __m512i bits = _mm512_castps_si512(v);
    _mm512_storeu_ps(y, _mm512_castsi512_ps(_mm512_mask_xor_epi32(
                            bits, negative, bits, _mm512_set1_epi32((int)0x80000000u))));
}

static inline void
put16_iq1(float *y, float scale, uint64_t grid_a, float delta_a, uint64_t grid_b, float delta_b)
{
    const __m128i bytes = _mm_set_epi64x((long long)grid_b, (long long)grid_a);
    const __m512 g = _mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(bytes));
    const __m512 delta =
        _mm512_mask_blend_ps((__mmask16)0xFF00u, _mm512_set1_ps(delta_a), _mm512_set1_ps(delta_b));
    _mm512_storeu_ps(y, _mm512_mul_ps(_mm512_set1_ps(scale), _mm512_add_ps(g, delta)));
}

static inline void put32_iq4(float *y, float scale, const uint8_t *q)
{
    const __m128i table = _mm_loadu_si128((const __m128i *)(const void *)gk_iq4nl_values);
    const __m128i nibble = _mm_set1_epi8(15);
    const __m128i bytes = _mm_loadu_si128((const __m128i *)(const void *)q);
    const __m128i lo = _mm_shuffle_epi8(table, _mm_and_si128(bytes, nibble));
    const __m128i hi = _mm_shuffle_epi8(table, _mm_and_si128(_mm_srli_epi16(bytes, 4), nibble));
    const __m512 s = _mm512_set1_ps(scale);
    _mm512_storeu_ps(y, _mm512_mul_ps(s, _mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(lo))));
    _mm512_storeu_ps(y + 16, _mm512_mul_ps(s, _mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(hi))));
}

#define GK_IQ_TIER avx512
#include "quant/iq_dequant_body.inc"
