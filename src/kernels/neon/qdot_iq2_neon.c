/* SPDX-License-Identifier: MIT */
/* NEON dot products of the IQ2 formats (IQ2_XXS, IQ2_XS, IQ2_S) against Q8_K, bit-exact with the
 * scalar tier (src/quant/qdot_iq2_scalar.c: exact int32 sums in eight lanes, weight e of a
 * super-block in lane (e % 32) / 4, then the f32 steps per lane and the final sum of the lanes).
 *
 * Per 16 weights: two 8-byte grid entries make the weight bytes (8, 25 or 43, so they fit int8),
 * negated where their sign bit is set (VTST against each byte's bit); the products with the
 * activation bytes summed in fours into the four int32 lanes of 4 consecutive weights, the lane
 * layout of the scalar tier (SMULL: int16 products of at most 43 * 127, ADDP sums neighbours, at
 * most 10922, and SADDLP sums neighbours again; or one SDOT, whose lanes are exactly these sums:
 * the file is built twice, qdot_neon.h); the lanes are multiplied by the scale 2 s + 1 and
 * accumulated. */
#include "kernels/neon/qdot_neon.h"

#include "core/half.h"
#include "quant/iq.h"
#include "quant/qdot.h"

/* The 16 weight bytes of two grid entries with the signs of sign bytes s0 (first 8) and s1. */
static inline int8x16_t gk_qn2_weights(uint64_t grid0, uint64_t grid1, unsigned s0, unsigned s1)
{
    const uint8x16_t bits = vreinterpretq_u8_u64(vdupq_n_u64(0x8040201008040201ull));
    const uint8x16_t negative =
        vtstq_u8(vcombine_u8(vdup_n_u8((uint8_t)s0), vdup_n_u8((uint8_t)s1)), bits);
    const int8x16_t grid =
        vreinterpretq_s8_u64(vcombine_u64(vcreate_u64(grid0), vcreate_u64(grid1)));
    return vbslq_s8(negative, vnegq_s8(grid), grid);
}

/* lanes + scale * (the sums of products of 4 consecutive weights w and activations x) */
static inline int32x4_t gk_qn2_dot16(int32x4_t lanes, int8x16_t w, const int8_t *x, int32_t scale)
{
    const int8x16_t xv = vld1q_s8(x);
#ifdef __ARM_FEATURE_DOTPROD
    return vmlaq_n_s32(lanes, vdotq_s32(vdupq_n_s32(0), w, xv), scale);
#else
    const int16x8_t lo = vmull_s8(vget_low_s8(w), vget_low_s8(xv));
    const int16x8_t hi = vmull_s8(vget_high_s8(w), vget_high_s8(xv));
    return vmlaq_n_s32(lanes, vpaddlq_s16(vpaddq_s16(lo, hi)), scale);
#endif
}

/* The f32 steps of one super-block on the eight lanes (acc[0]: lanes 0-3, acc[1]: lanes 4-7). */
static inline void
gk_qn2_step(float32x4_t acc[2], const int32x4_t isum[2], const uint8_t d[2], float d_x)
{
    const float dd = gk_f32_from_f16_bits(gk_iq_u16(d)) * 0.125f * d_x;
    acc[0] = vaddq_f32(acc[0], vmulq_n_f32(vcvtq_f32_s32(isum[0]), dd));
    acc[1] = vaddq_f32(acc[1], vmulq_n_f32(vcvtq_f32_s32(isum[1]), dd));
}

/* ((a0 + a4) + (a2 + a6)) + ((a1 + a5) + (a3 + a7)), the scalar tier's order */
static inline float gk_qn2_lanes_sum(const float32x4_t acc[2])
{
    const float32x4_t s = vaddq_f32(acc[0], acc[1]);
    const float32x2_t t = vadd_f32(vget_low_f32(s), vget_high_f32(s));
    return vget_lane_f32(t, 0) + vget_lane_f32(t, 1);
}

/* IQ2_XXS (layout: qdot_iq2_scalar.c): one scale per 32 weights. */
static inline void
gk_qn2_iq2_xxs_block(const gk_block_iq2_xxs *b, const gk_block_q8_k *x, int32x4_t isum[2])
{
    for (int g = 0; g < 8; g++) {
        const uint8_t *q = b->qs + 8 * g;
        const uint32_t word = gk_iq_u32(q + 4);
        const int32_t scale = (int32_t)(2 * (word >> 28) + 1);
        for (int h = 0; h < 2; h++) {
            const int8x16_t w = gk_qn2_weights(
                gk_iq2xxs_grid[q[2 * h]], gk_iq2xxs_grid[q[2 * h + 1]],
                gk_iq_ksigns[(word >> (14 * h)) & 127], gk_iq_ksigns[(word >> (14 * h + 7)) & 127]);
            isum[h] = gk_qn2_dot16(isum[h], w, x->qs + 32 * g + 16 * h, scale);
        }
    }
}

/* The scale 2 s + 1 of the half h (16 weights) of group g of an IQ2_XS / IQ2_S block. */
static inline int32_t gk_qn2_half_scale(const uint8_t scales[8], int g, int h)
{
    return (int32_t)(2 * ((scales[g] >> (4 * h)) & 15) + 1);
}

/* IQ2_XS: octet k is the little-endian u16 at qs[2 k] (grid index, sign code). */
static inline void
gk_qn2_iq2_xs_block(const gk_block_iq2_xs *b, const gk_block_q8_k *x, int32x4_t isum[2])
{
    for (int g = 0; g < 8; g++)
        for (int h = 0; h < 2; h++) {
            const uint16_t c0 = gk_iq_u16(b->qs + 8 * g + 4 * h);
            const uint16_t c1 = gk_iq_u16(b->qs + 8 * g + 4 * h + 2);
            const int8x16_t w = gk_qn2_weights(gk_iq2xs_grid[c0 & 511], gk_iq2xs_grid[c1 & 511],
                                               gk_iq_ksigns[c0 >> 9], gk_iq_ksigns[c1 >> 9]);
            isum[h] = gk_qn2_dot16(isum[h], w, x->qs + 32 * g + 16 * h,
                                   gk_qn2_half_scale(b->scales, g, h));
        }
}

/* IQ2_S: octet k has the grid index qs[k] | (bits 2 (k % 4).. of qh[k / 4]) << 8, signs qs[32 + k].
 */
static inline void
gk_qn2_iq2_s_block(const gk_block_iq2_s *b, const gk_block_q8_k *x, int32x4_t isum[2])
{
    for (int g = 0; g < 8; g++)
        for (int h = 0; h < 2; h++) {
            const int k = 4 * g + 2 * h;
            const unsigned high = b->qh[g] >> (4 * h);
            const int8x16_t w = gk_qn2_weights(gk_iq2s_grid[b->qs[k] | (high & 3u) << 8],
                                               gk_iq2s_grid[b->qs[k + 1] | (high & 0xCu) << 6],
                                               b->qs[32 + k], b->qs[32 + k + 1]);
            isum[h] = gk_qn2_dot16(isum[h], w, x->qs + 32 * g + 16 * h,
                                   gk_qn2_half_scale(b->scales, g, h));
        }
}

/* One weight row at a time, one sequential stream. */
#define GK_QN2_ROWS(fmt)                                                                    \
    void GK_QN_KERNEL(fmt)(const void *w, size_t w_stride, const void *xq, size_t n_blocks, \
                           float *y, size_t n_rows)                                         \
    {                                                                                       \
        const gk_block_q8_k *x = xq;                                                        \
        for (size_t r = 0; r < n_rows; r++) {                                               \
            const gk_block_##fmt *b = (const void *)((const char *)w + r * w_stride);       \
            float32x4_t acc[2] = {vdupq_n_f32(0.0f), vdupq_n_f32(0.0f)};                    \
            for (size_t i = 0; i < n_blocks; i++) {                                         \
                int32x4_t isum[2] = {vdupq_n_s32(0), vdupq_n_s32(0)};                       \
                gk_qn2_##fmt##_block(&b[i], &x[i], isum);                                   \
                gk_qn2_step(acc, isum, b[i].d, x[i].d);                                     \
            }                                                                               \
            y[r] = gk_qn2_lanes_sum(acc);                                                   \
        }                                                                                   \
    }
GK_QN2_ROWS(iq2_xxs)
GK_QN2_ROWS(iq2_xs)
GK_QN2_ROWS(iq2_s)
