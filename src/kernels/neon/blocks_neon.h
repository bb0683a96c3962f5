/* SPDX-License-Identifier: MIT */
/* Block-layout helpers shared by the NEON decoders (dequant_neon.c) and dot kernels
 * (qdot_neon.c, qdot4_neon.c). */
#ifndef GK_KERNELS_NEON_BLOCKS_NEON_H
#define GK_KERNELS_NEON_BLOCKS_NEON_H

#include <arm_neon.h>
#include <stdint.h>

/* Q5_0 / Q5_1's fifth bits: 0x10 in byte i where bit 16 half + i of the little-endian u32 at p
 * (the block's qh) is set, i.e. for elements 0..15 (half 0) or 16..31 (half 1). */
static inline uint8x16_t gk_neon_q5_fifth_bits(const uint8_t *p, int half)
{
    static const uint8_t bit_of[16] = {1, 2, 4, 8, 16, 32, 64, 128, 1, 2, 4, 8, 16, 32, 64, 128};
    const uint8x16_t spread = vcombine_u8(vdup_n_u8(p[2 * half]), vdup_n_u8(p[2 * half + 1]));
    return vandq_u8(vtstq_u8(spread, vld1q_u8(bit_of)), vdupq_n_u8(0x10));
}

/* A Q4_0 / Q4_1 / Q5_0 / Q5_1 block's 32 codes less `offset` (Q4_0: 8, Q5_0: 16, the others 0),
 * as bytes: the low nibbles of qs are elements 0..15 (*lo), the high ones 16..31 (*hi); with qh
 * (Q5_0 / Q5_1; NULL for the others), its bits give each code its fifth bit. */
static inline void
gk_neon_q45_codes(const uint8_t qs[16], const uint8_t *qh, int offset, int8x16_t *lo, int8x16_t *hi)
{
    const uint8x16_t q = vld1q_u8(qs);
    uint8x16_t l = vandq_u8(q, vdupq_n_u8(0x0F)), h = vshrq_n_u8(q, 4);
    if (qh) {
        l = vorrq_u8(l, gk_neon_q5_fifth_bits(qh, 0));
        h = vorrq_u8(h, gk_neon_q5_fifth_bits(qh, 1));
    }
    *lo = vsubq_s8(vreinterpretq_s8_u8(l), vdupq_n_s8((int8_t)offset));
    *hi = vsubq_s8(vreinterpretq_s8_u8(h), vdupq_n_s8((int8_t)offset));
}

/* Q2_K / Q3_K's 2-bit codes of group g (0..15; layout: qdot_scalar.c), as bytes: bits
 * 2 ((g % 8) / 2) of qs[32 (g / 8) + 16 (g % 2) + l], l = 0..15. */
static inline uint8x16_t gk_neon_q23_k_low(const uint8_t qs[64], int g)
{
    const uint8x16_t q = vld1q_u8(qs + 32 * (g / 8) + 16 * (g % 2));
    return vandq_u8(vshlq_u8(q, vdupq_n_s8((int8_t)(-2 * ((g % 8) / 2)))), vdupq_n_u8(3));
}

/* Q3_K's codes of group g (-4..3, as bytes): the 2-bit codes less 4 where bit g / 2 of
 * hmask[16 (g % 2) + l] is clear. */
static inline uint8x16_t gk_neon_q3_k_codes(const uint8_t qs[64], const uint8_t hmask[32], int g)
{
    const uint8x16_t hm = vld1q_u8(hmask + 16 * (g % 2));
    const uint8x16_t clear =
        vceqq_u8(vandq_u8(hm, vdupq_n_u8((uint8_t)(1u << (g / 2)))), vdupq_n_u8(0));
    return vsubq_u8(gk_neon_q23_k_low(qs, g), vandq_u8(clear, vdupq_n_u8(4)));
}

/* TQ2_0's values (-1..1) of elements 128 h + 32 l + 16 half + m, m = 0..15 (layout:
 * qdot_scalar.c): the 2-bit codes of bits 2 l.. of qs[32 h + 16 half + m], less 1. */
static inline int8x16_t gk_neon_tq2_0_codes(const uint8_t qs[64], int h, int half, int l)
{
    const uint8x16_t q = vld1q_u8(qs + 32 * h + 16 * half);
    const uint8x16_t code = vandq_u8(vshlq_u8(q, vdupq_n_s8((int8_t)(-2 * l))), vdupq_n_u8(3));
    return vsubq_s8(vreinterpretq_s8_u8(code), vdupq_n_s8(1));
}

#endif /* GK_KERNELS_NEON_BLOCKS_NEON_H */
