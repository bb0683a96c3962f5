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

#endif /* GK_KERNELS_NEON_BLOCKS_NEON_H */
