/* SPDX-License-Identifier: MIT */
/* The packed 6-bit scales of Q4_K / Q5_K blocks unpacked with AVX2 integer ops: one definition
 * for the AVX2 dot products (qdot_avx2.c) and the x86 dequantizers (dequant_x86.inc, compiled
 * for the AVX2 and AVX-512 tiers). */
#ifndef GK_KQUANT_SCALES_X86_H
#define GK_KQUANT_SCALES_X86_H

#include <immintrin.h>
#include <stdint.h>

/* The eight 6-bit scales (low 8 bytes) and mins (high 8 bytes) of a Q4_K / Q5_K block, from
 * its 12 scale bytes as three little-endian words u0, u1, u2: scales 0..3 are the low 6 bits of
 * u0's bytes, mins 0..3 those of u1's; scales 4..7 are u2's low nibbles with u0's top two bits
 * above them, mins 4..7 u2's high nibbles with u1's top two bits (gk_q4k_scale_min). */
static inline __m128i gk_x86_q4k_scales_mins(const uint8_t scales[12])
{
    /* 16 bytes: the 12 scale bytes and 4 of the codes that follow them in the block (unused) */
    const __m128i v = _mm_loadu_si128((const __m128i *)scales);
    /* lanes 0 and 1: sc_lo, m_lo and the top bits of scales / mins 4..7 from u0, u1 */
    const __m128i low = _mm_and_si128(v, _mm_set1_epi8(0x3F));
    const __m128i top = _mm_and_si128(_mm_srli_epi32(v, 2), _mm_set1_epi8(0x30));
    /* u2's low nibbles (lane 0) and high nibbles (lane 1) */
    const __m128i nibbles =
        _mm_and_si128(_mm_srlv_epi32(_mm_shuffle_epi32(v, 0xAA), _mm_setr_epi32(0, 4, 0, 0)),
                      _mm_set1_epi8(0x0F));
    return _mm_unpacklo_epi32(low, _mm_or_si128(top, nibbles));
}

#endif
