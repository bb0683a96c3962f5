/* SPDX-License-Identifier: MIT */
/* Block-layout helpers shared by the NEON decoders (dequant_neon.c) and dot kernels
 * (qdot_neon.c). */
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

#endif /* GK_KERNELS_NEON_BLOCKS_NEON_H */
