/* SPDX-License-Identifier: MIT */
/* NEON decoders of the IQ formats (gk_dequant_<fmt>_neon): the shared format walk
 * (src/quant/iq_dequant_body.inc) with 4-lane helpers. Each lane does the scalar decoder's
 * binary32 operations in the same order (widen, multiply by the scale, flip the sign bit; or
 * add delta, then multiply), so the outputs are bit-identical to it. */
#if !defined(__ARM_NEON) || !defined(__aarch64__)
#    error "dequant_iq_neon.c is for AArch64 with NEON (src/kernels/neon/)"
#endif

#include <arm_neon.h>

#include "core/half.h"
#include "quant/iq.h"

/* v with the sign bit flipped in the lanes where `negative` is all ones. */
static inline float32x4_t flip_sign(float32x4_t v, int16x4_t negative)
{
    const uint32x4_t sign_bit =
        vandq_u32(vreinterpretq_u32_s32(vmovl_s16(negative)), vdupq_n_u32(0x80000000u));
    return vreinterpretq_f32_u32(veorq_u32(vreinterpretq_u32_f32(v), sign_bit));
}

static inline void put8_signed(float *y, float32x4_t scale, uint64_t grid, uint32_t signs)
{
    static const uint8_t bit_of_lane[8] = {1, 2, 4, 8, 16, 32, 64, 128};
    const uint16x8_t g = vmovl_u8(vcreate_u8(grid));
    const float32x4_t v0 = vmulq_f32(scale, vcvtq_f32_u32(vmovl_u16(vget_low_u16(g))));
    const float32x4_t v1 = vmulq_f32(scale, vcvtq_f32_u32(vmovl_u16(vget_high_u16(g))));
    const uint8x8_t set = vtst_u8(vdup_n_u8((uint8_t)signs), vld1_u8(bit_of_lane));
    const int16x8_t negative = vmovl_s8(vreinterpret_s8_u8(set));
    vst1q_f32(y, flip_sign(v0, vget_low_s16(negative)));
    vst1q_f32(y + 4, flip_sign(v1, vget_high_s16(negative)));
}

static inline void put16_signed(
    float *y, float scale, uint64_t grid_a, uint32_t signs_a, uint64_t grid_b, uint32_t signs_b)
{
    const float32x4_t s = vdupq_n_f32(scale);
    put8_signed(y, s, grid_a, signs_a);
    put8_signed(y + 8, s, grid_b, signs_b);
}

static inline void put8_iq1(float *y, float32x4_t scale, uint64_t grid, float delta)
{
    const int16x8_t g = vmovl_s8(vcreate_s8(grid));
    const float32x4_t dv = vdupq_n_f32(delta);
    const float32x4_t g0 = vcvtq_f32_s32(vmovl_s16(vget_low_s16(g)));
    const float32x4_t g1 = vcvtq_f32_s32(vmovl_s16(vget_high_s16(g)));
    vst1q_f32(y, vmulq_f32(scale, vaddq_f32(g0, dv)));
    vst1q_f32(y + 4, vmulq_f32(scale, vaddq_f32(g1, dv)));
}

static inline void
put16_iq1(float *y, float scale, uint64_t grid_a, float delta_a, uint64_t grid_b, float delta_b)
{
    const float32x4_t s = vdupq_n_f32(scale);
    put8_iq1(y, s, grid_a, delta_a);
    put8_iq1(y + 8, s, grid_b, delta_b);
}

/* 16 int8 table values times the scale. */
static inline void put16_values(float *y, float32x4_t scale, int8x16_t v)
{
    const int16x8_t lo = vmovl_s8(vget_low_s8(v)), hi = vmovl_s8(vget_high_s8(v));
    vst1q_f32(y, vmulq_f32(scale, vcvtq_f32_s32(vmovl_s16(vget_low_s16(lo)))));
    vst1q_f32(y + 4, vmulq_f32(scale, vcvtq_f32_s32(vmovl_s16(vget_high_s16(lo)))));
    vst1q_f32(y + 8, vmulq_f32(scale, vcvtq_f32_s32(vmovl_s16(vget_low_s16(hi)))));
    vst1q_f32(y + 12, vmulq_f32(scale, vcvtq_f32_s32(vmovl_s16(vget_high_s16(hi)))));
}

static inline void put32_iq4(float *y, float scale, const uint8_t *q)
{
    const int8x16_t table = vld1q_s8(gk_iq4nl_values);
    const uint8x16_t bytes = vld1q_u8(q);
    const float32x4_t s = vdupq_n_f32(scale);
    put16_values(y, s, vqtbl1q_s8(table, vandq_u8(bytes, vdupq_n_u8(15))));
    put16_values(y + 16, s, vqtbl1q_s8(table, vshrq_n_u8(bytes, 4)));
}

#define GK_IQ_TIER neon
#include "quant/iq_dequant_body.inc"
