/* SPDX-License-Identifier: MIT */
/* The 2-bit codes of TQ2_0 against Q8_K activation bytes with AVX2: one definition for the
 * unpacked kernel (qdot_avx2.c) and the packed one (qpack_avx2.c). */
#ifndef GK_TQ2_AVX2_H
#define GK_TQ2_AVX2_H

#include <immintrin.h>

/* The four 2-bit codes in each byte of q (bits 2 l, 2 l + 1: code l), masked in place:
 * codes[0] and codes[2] are codes 0 and 2 (after one shift by 4), codes[1] and codes[3] are
 * codes 1 and 3 as 4 x code (masked without a shift). */
static inline __attribute__((always_inline)) void gk_avx2_tq2_split(__m256i q, __m256i codes[4])
{
    const __m256i bits01 = _mm256_set1_epi8(0x03), bits23 = _mm256_set1_epi8(0x0C);
    const __m256i q4 = _mm256_srli_epi16(q, 4);
    codes[0] = _mm256_and_si256(q, bits01);
    codes[1] = _mm256_and_si256(q, bits23);
    codes[2] = _mm256_and_si256(q4, bits01);
    codes[3] = _mm256_and_si256(q4, bits23);
}

/* Adds the products of the split codes (gk_avx2_tq2_split) with the activation bytes x[l] in the
 * same byte positions, as int16 pairs (vpmaddubsw: codes 0..3 unsigned): codes 0 and 2 to
 * *pairs, codes 1 and 3 (4 x code) to *pairs4, which the caller divides by 4 (exactly: each term
 * is a multiple of 4). A product pair is at most 2 * 3 * 127 = 762 (|x| <= 127, the activation
 * quantizers' range), so one call adds at most 2 * 762 = 1524 per lane to *pairs and
 * 4 * 1524 = 6096 to *pairs4. */
static inline __attribute__((always_inline)) void
gk_avx2_tq2_products(const __m256i codes[4], const __m256i x[4], __m256i *pairs, __m256i *pairs4)
{
    *pairs = _mm256_add_epi16(*pairs, _mm256_maddubs_epi16(codes[0], x[0]));
    *pairs4 = _mm256_add_epi16(*pairs4, _mm256_maddubs_epi16(codes[1], x[1]));
    *pairs = _mm256_add_epi16(*pairs, _mm256_maddubs_epi16(codes[2], x[2]));
    *pairs4 = _mm256_add_epi16(*pairs4, _mm256_maddubs_epi16(codes[3], x[3]));
}

/* Both steps for one q against one activation: gk_avx2_tq2_products of gk_avx2_tq2_split(q). */
static inline __attribute__((always_inline)) void
gk_avx2_tq2_codes(__m256i q, const __m256i x[4], __m256i *pairs, __m256i *pairs4)
{
    __m256i codes[4];
    gk_avx2_tq2_split(q, codes);
    gk_avx2_tq2_products(codes, x, pairs, pairs4);
}
#endif /* GK_TQ2_AVX2_H */
