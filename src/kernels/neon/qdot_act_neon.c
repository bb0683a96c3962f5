/* SPDX-License-Identifier: MIT */
/* NEON activation quantizers of the quantized dot products (src/quant/qdot.h), bit-exact with
 * the scalar ones (gk_quant_q8_0_scalar, gk_quant_q8_k_scalar). */
#include <arm_neon.h>
#include <string.h>

#include "core/half.h"
#include "quant/qdot.h"

/* One Q8_0 block's scale and codes from x[0, 32) (gk_quant_q8_0_scalar's bits); returns d. */
static inline float gk_qn_q8_0_codes_of(const float *x, gk_f16 *d_out, int8_t qs[32])
{
    float32x4_t v[8];
    float32x4_t m = vdupq_n_f32(0.0f);
    for (int u = 0; u < 8; u++) {
        v[u] = vld1q_f32(x + 4 * u);
        m = vmaxq_f32(m, vabsq_f32(v[u]));
    }
    const float d = vmaxvq_f32(m) / 127.0f;
    float id = d != 0.0f ? 1.0f / d : 0.0f;
    if (id - id != 0.0f) id = 0.0f; /* 1 / subnormal d overflowed: every code is 0 */
    d_out->bits = gk_f16_bits_from_f32(d);
    for (int u = 0; u < 8; u += 2) {
        /* FCVTAS rounds to nearest with ties away from zero: roundf */
        const int32x4_t a = vcvtaq_s32_f32(vmulq_n_f32(v[u], id));
        const int32x4_t b = vcvtaq_s32_f32(vmulq_n_f32(v[u + 1], id));
        const int16x8_t ab = vcombine_s16(vmovn_s32(a), vmovn_s32(b));
        vst1_s8(qs + 4 * u, vmovn_s16(ab));
    }
    return d;
}

void gk_qact_q8_0_neon(const float *x, void *xq, size_t n_blocks)
{
    gk_block_q8_0 *y = xq;
    for (size_t i = 0; i < n_blocks; i++, x += 32)
        gk_qn_q8_0_codes_of(x, &y[i].d, y[i].qs);
}

/* Q8_1: Q8_0's codes and s = f16((float)sum(codes) * d), as gk_quant_q8_1_scalar. */
void gk_qact_q8_1_neon(const float *x, void *xq, size_t n_blocks)
{
    gk_block_q8_1 *y = xq;
    for (size_t i = 0; i < n_blocks; i++, x += 32) {
        const float d = gk_qn_q8_0_codes_of(x, &y[i].d, y[i].qs);
        const int16x8_t pairs =
            vaddq_s16(vpaddlq_s8(vld1q_s8(y[i].qs)), vpaddlq_s8(vld1q_s8(y[i].qs + 16)));
        const int32_t sum = vaddlvq_s16(pairs);
        y[i].s.bits = gk_f16_bits_from_f32((float)sum * d);
    }
}

void gk_qact_q8_k_neon(const float *x, void *xq, size_t n_blocks)
{
    gk_block_q8_k *y = xq;
    for (size_t i = 0; i < n_blocks; i++, x += GK_QK_K) {
        float32x4_t m = vdupq_n_f32(0.0f);
        for (int j = 0; j < GK_QK_K; j += 4)
            m = vmaxq_f32(m, vabsq_f32(vld1q_f32(x + j)));
        const float amax = vmaxvq_f32(m);
        memset(&y[i], 0, sizeof y[i]);
        if (amax == 0.0f) continue;
        float max = 0.0f;
        for (int j = 0; j < GK_QK_K; j++) /* the first element of largest magnitude */
            if (x[j] == amax || x[j] == -amax) {
                max = x[j];
                break;
            }
        const float iscale = -127.0f / max;
        for (int j = 0; j < GK_QK_K; j += 8) {
            int16x8_t q16;
            int32x4_t q32[2];
            for (int u = 0; u < 2; u++) {
                /* gk_nearest_int's magic addition, at most 127 */
                const float32x4_t shifted = vaddq_f32(vmulq_n_f32(vld1q_f32(x + j + 4 * u), iscale),
                                                      vdupq_n_f32(12582912.0f));
                const int32x4_t v =
                    vsubq_s32(vandq_s32(vreinterpretq_s32_f32(shifted), vdupq_n_s32(0x007FFFFF)),
                              vdupq_n_s32(0x00400000));
                q32[u] = vminq_s32(v, vdupq_n_s32(127));
            }
            /* XTN keeps the low bits: the int8 conversion of the scalar quantizer */
            q16 = vcombine_s16(vmovn_s32(q32[0]), vmovn_s32(q32[1]));
            vst1_s8(y[i].qs + j, vmovn_s16(q16));
        }
        for (int g = 0; g < 16; g++)
            y[i].bsums[g] = (int16_t)vaddlvq_s8(vld1q_s8(y[i].qs + 16 * g));
        const float d = 1.0f / iscale;
        memcpy(&y[i].d, &d, sizeof d);
    }
}
