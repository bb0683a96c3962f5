/* SPDX-License-Identifier: MIT */
/* AVX2 decoders of the IQ formats (gk_dequant_<fmt>_avx2): the shared format walk
 * (src/quant/iq_dequant_body.inc) with 8-lane helpers. Each lane does the scalar decoder's
 * binary32 operations in the same order (widen the grid byte, multiply by the scale, flip the
 * sign bit; or add delta, then multiply), so the outputs are bit-identical to it. */
#if !defined(__AVX2__)
#    error "dequant_iq_avx2.c must be compiled with -mavx2 (only src/kernels/avx2/ is)"
#endif

#include <immintrin.h>

#include "core/half.h"
#include "quant/iq.h"

/* Lane j holds 1 << j: selects sign bit j of a sign byte. */
static inline __m256i lane_bits(void)
{
    return _mm256_setr_epi32(1, 2, 4, 8, 16, 32, 64, 128);
}

/* The 8 grid bytes of `grid`, unsigned, as floats. */
static inline __m256 grid_u8_ps(uint64_t grid)
{
    return _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(_mm_cvtsi64_si128((long long)grid)));
}

static inline void put8_signed(float *y, __m256 scale, uint64_t grid, uint32_t signs)
{
    const __m256 v = _mm256_mul_ps(scale, grid_u8_ps(grid));
    const __m256i selected = _mm256_and_si256(_mm256_set1_epi32((int)signs), lane_bits());
    const __m256i sign_bit = _mm256_slli_epi32(_mm256_cmpeq_epi32(selected, lane_bits()), 31);
    _mm256_storeu_ps(y, _mm256_xor_ps(v, _mm256_castsi256_ps(sign_bit)));
}

static inline void put16_signed(
    float *y, float scale, uint64_t grid_a, uint32_t signs_a, uint64_t grid_b, uint32_t signs_b)
{
    const __m256 s = _mm256_set1_ps(scale);
    put8_signed(y, s, grid_a, signs_a);
    put8_signed(y + 8, s, grid_b, signs_b);
}

static inline void put8_iq1(float *y, __m256 scale, uint64_t grid, float delta)
{
    const __m256 g = _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_cvtsi64_si128((long long)grid)));
    _mm256_storeu_ps(y, _mm256_mul_ps(scale, _mm256_add_ps(g, _mm256_set1_ps(delta))));
}

static inline void
put16_iq1(float *y, float scale, uint64_t grid_a, float delta_a, uint64_t grid_b, float delta_b)
{
    const __m256 s = _mm256_set1_ps(scale);
    put8_iq1(y, s, grid_a, delta_a);
    put8_iq1(y + 8, s, grid_b, delta_b);
}

/* 8 int8 table values (the low 8 bytes of v) times the scale. */
static inline void put8_values(float *y, __m256 scale, __m128i v)
{
    _mm256_storeu_ps(y, _mm256_mul_ps(scale, _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(v))));
}

static inline void put32_iq4(float *y, float scale, const uint8_t *q)
{
    const __m128i table = _mm_loadu_si128((const __m128i *)(const void *)gk_iq4nl_values);
    const __m128i nibble = _mm_set1_epi8(15);
    const __m128i bytes = _mm_loadu_si128((const __m128i *)(const void *)q);
    const __m128i lo = _mm_shuffle_epi8(table, _mm_and_si128(bytes, nibble));
    const __m128i hi = _mm_shuffle_epi8(table, _mm_and_si128(_mm_srli_epi16(bytes, 4), nibble));
    const __m256 s = _mm256_set1_ps(scale);
    put8_values(y, s, lo);
    put8_values(y + 8, s, _mm_unpackhi_epi64(lo, lo));
    put8_values(y + 16, s, hi);
    put8_values(y + 24, s, _mm_unpackhi_epi64(hi, hi));
}

#define GK_IQ_TIER avx2
#include "quant/iq_dequant_body.inc"
