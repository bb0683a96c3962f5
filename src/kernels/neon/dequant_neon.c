/* SPDX-License-Identifier: MIT */
/* NEON block dequantizers. Each computes exactly the scalar decoder's operations in the same
 * order (per sub-block products d * sc as scalar f32 products, then q * scale [- sub] per lane),
 * so outputs are bit-identical to src/quant's scalar decoders; the file is built without FP
 * contraction (no fmla/fmls). Tested by tests/test_quant.c under qemu-aarch64. */
#if !defined(__aarch64__)
#    error "dequant_neon.c is for AArch64"
#endif

#include <arm_neon.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "core/half.h"
#include "kernels/neon/blocks_neon.h"
#include "quant/blocks.h"

/* The four float32x4 of 16 signed bytes, in order. */
static inline void gk_dq_widen16(int8x16_t q, float32x4_t out[4])
{
    const int16x8_t lo = vmovl_s8(vget_low_s8(q)), hi = vmovl_s8(vget_high_s8(q));
    out[0] = vcvtq_f32_s32(vmovl_s16(vget_low_s16(lo)));
    out[1] = vcvtq_f32_s32(vmovl_s16(vget_high_s16(lo)));
    out[2] = vcvtq_f32_s32(vmovl_s16(vget_low_s16(hi)));
    out[3] = vcvtq_f32_s32(vmovl_s16(vget_high_s16(hi)));
}

/* dst[i] = (float)q[i] * s, i < 16. */
static inline void gk_dq_put16_scaled(float *dst, int8x16_t q, float s)
{
    float32x4_t v[4];
    gk_dq_widen16(q, v);
    const float32x4_t vs = vdupq_n_f32(s);
    for (int k = 0; k < 4; k++)
        vst1q_f32(dst + 4 * k, vmulq_f32(v[k], vs));
}

/* dst[i] = (float)q[i] * scale - sub, i < 16 (two roundings). */
static inline void gk_dq_put16_affine(float *dst, uint8x16_t q, float scale, float sub)
{
    float32x4_t v[4];
    gk_dq_widen16(vreinterpretq_s8_u8(q), v);
    const float32x4_t vs = vdupq_n_f32(scale), vm = vdupq_n_f32(sub);
    for (int k = 0; k < 4; k++)
        vst1q_f32(dst + 4 * k, vsubq_f32(vmulq_f32(v[k], vs), vm));
}

/* dst[i] = (float)q[i] * scale + add, i < 16 (two roundings). */
static inline void gk_dq_put16_scale_add(float *dst, uint8x16_t q, float scale, float add)
{
    float32x4_t v[4];
    gk_dq_widen16(vreinterpretq_s8_u8(q), v);
    const float32x4_t vs = vdupq_n_f32(scale), va = vdupq_n_f32(add);
    for (int k = 0; k < 4; k++)
        vst1q_f32(dst + 4 * k, vaddq_f32(vmulq_f32(v[k], vs), va));
}

void gk_dequant_q4_1_neon(const void *blocks, float *dst, size_t n_blocks)
{
    const gk_block_q4_1 *b = blocks;
    const uint8x16_t mask = vdupq_n_u8(0x0F);
    for (size_t i = 0; i < n_blocks; i++, dst += 32) {
        const float d = gk_f32_from_f16(b[i].d), m = gk_f32_from_f16(b[i].m);
        const uint8x16_t q = vld1q_u8(b[i].qs);
        gk_dq_put16_scale_add(dst, vandq_u8(q, mask), d, m);
        gk_dq_put16_scale_add(dst + 16, vshrq_n_u8(q, 4), d, m);
    }
}

void gk_dequant_q5_0_neon(const void *blocks, float *dst, size_t n_blocks)
{
    const gk_block_q5_0 *b = blocks;
    const uint8x16_t mask = vdupq_n_u8(0x0F);
    const int8x16_t bias = vdupq_n_s8(16);
    for (size_t i = 0; i < n_blocks; i++, dst += 32) {
        const float d = gk_f32_from_f16(b[i].d);
        const uint8x16_t q = vld1q_u8(b[i].qs);
        const uint8x16_t lo = vorrq_u8(vandq_u8(q, mask), gk_neon_q5_fifth_bits(b[i].qh, 0));
        const uint8x16_t hi = vorrq_u8(vshrq_n_u8(q, 4), gk_neon_q5_fifth_bits(b[i].qh, 1));
        gk_dq_put16_scaled(dst, vsubq_s8(vreinterpretq_s8_u8(lo), bias), d);
        gk_dq_put16_scaled(dst + 16, vsubq_s8(vreinterpretq_s8_u8(hi), bias), d);
    }
}

void gk_dequant_q5_1_neon(const void *blocks, float *dst, size_t n_blocks)
{
    const gk_block_q5_1 *b = blocks;
    const uint8x16_t mask = vdupq_n_u8(0x0F);
    for (size_t i = 0; i < n_blocks; i++, dst += 32) {
        const float d = gk_f32_from_f16(b[i].d), m = gk_f32_from_f16(b[i].m);
        const uint8x16_t q = vld1q_u8(b[i].qs);
        gk_dq_put16_scale_add(dst, vorrq_u8(vandq_u8(q, mask), gk_neon_q5_fifth_bits(b[i].qh, 0)),
                              d, m);
        gk_dq_put16_scale_add(dst + 16,
                              vorrq_u8(vshrq_n_u8(q, 4), gk_neon_q5_fifth_bits(b[i].qh, 1)), d, m);
    }
}

void gk_dequant_q4_0_neon(const void *blocks, float *dst, size_t n_blocks)
{
    const gk_block_q4_0 *b = blocks;
    const uint8x16_t mask = vdupq_n_u8(0x0F);
    const int8x16_t eight = vdupq_n_s8(8);
    for (size_t i = 0; i < n_blocks; i++, dst += 32) {
        const float d = gk_f32_from_f16(b[i].d);
        const uint8x16_t q = vld1q_u8(b[i].qs);
        gk_dq_put16_scaled(dst, vsubq_s8(vreinterpretq_s8_u8(vandq_u8(q, mask)), eight), d);
        gk_dq_put16_scaled(dst + 16, vsubq_s8(vreinterpretq_s8_u8(vshrq_n_u8(q, 4)), eight), d);
    }
}

void gk_dequant_q8_0_neon(const void *blocks, float *dst, size_t n_blocks)
{
    const gk_block_q8_0 *b = blocks;
    for (size_t i = 0; i < n_blocks; i++, dst += 32) {
        const float d = gk_f32_from_f16(b[i].d);
        gk_dq_put16_scaled(dst, vld1q_s8(b[i].qs), d);
        gk_dq_put16_scaled(dst + 16, vld1q_s8(b[i].qs + 16), d);
    }
}

void gk_dequant_q8_k_neon(const void *blocks, float *dst, size_t n_blocks)
{
    const gk_block_q8_k *b = blocks;
    for (size_t i = 0; i < n_blocks; i++) {
        float d;
        memcpy(&d, &b[i].d, sizeof d);
        for (int j = 0; j < 256; j += 16, dst += 16)
            gk_dq_put16_scaled(dst, vld1q_s8(b[i].qs + j), d);
    }
}

/* Q2_K: half h, shift k: the 2-bit codes (qs[32 h + l] >> 2k) & 3 are groups 8h + 2k (l < 16)
 * and 8h + 2k + 1 (l >= 16). */
void gk_dequant_q2_k_neon(const void *blocks, float *dst, size_t n_blocks)
{
    const gk_block_q2_k *b = blocks;
    const uint8x16_t mask = vdupq_n_u8(3);
    for (size_t i = 0; i < n_blocks; i++) {
        const float d = gk_f32_from_f16(b[i].d), dmin = gk_f32_from_f16(b[i].dmin);
        for (int h = 0; h < 2; h++) {
            for (int k = 0; k < 4; k++, dst += 32) {
                const int8x16_t shift = vdupq_n_s8((int8_t)(-2 * k));
                for (int half = 0; half < 2; half++) {
                    const uint8_t sc = b[i].scales[8 * h + 2 * k + half];
                    const uint8x16_t q = vld1q_u8(b[i].qs + 32 * h + 16 * half);
                    gk_dq_put16_affine(dst + 16 * half, vandq_u8(vshlq_u8(q, shift), mask),
                                       d * (float)(sc & 0xF), dmin * (float)(sc >> 4));
                }
            }
        }
    }
}

/* Q3_K: Q2_K's low bits; a clear bit 4h + k of hmask[l] subtracts 4. */
void gk_dequant_q3_k_neon(const void *blocks, float *dst, size_t n_blocks)
{
    const gk_block_q3_k *b = blocks;
    const uint8x16_t mask = vdupq_n_u8(3), four = vdupq_n_u8(4);
    for (size_t i = 0; i < n_blocks; i++) {
        const float d = gk_f32_from_f16(b[i].d);
        int8_t sc[16];
        gk_q3k_scales(b[i].scales, sc);
        for (int h = 0; h < 2; h++) {
            for (int k = 0; k < 4; k++, dst += 32) {
                const int8x16_t shift = vdupq_n_s8((int8_t)(-2 * k));
                const uint8x16_t bit = vdupq_n_u8((uint8_t)(1u << (4 * h + k)));
                for (int half = 0; half < 2; half++) {
                    const uint8x16_t q = vld1q_u8(b[i].qs + 32 * h + 16 * half);
                    const uint8x16_t hm = vld1q_u8(b[i].hmask + 16 * half);
                    const uint8x16_t low = vandq_u8(vshlq_u8(q, shift), mask);
                    const uint8x16_t minus = vbicq_u8(four, vtstq_u8(hm, bit)); /* 4 if clear */
                    const int8x16_t code = vreinterpretq_s8_u8(vsubq_u8(low, minus));
                    gk_dq_put16_scaled(dst + 16 * half, code, d * (float)sc[8 * h + 2 * k + half]);
                }
            }
        }
    }
}

/* Q4_K: sub-blocks 2j and 2j + 1 are the low and high nibbles of qs[32 j .. 32 j + 31]. */
void gk_dequant_q4_k_neon(const void *blocks, float *dst, size_t n_blocks)
{
    const gk_block_q4_k *b = blocks;
    const uint8x16_t mask = vdupq_n_u8(0x0F);
    for (size_t i = 0; i < n_blocks; i++) {
        const float d = gk_f32_from_f16(b[i].d), dmin = gk_f32_from_f16(b[i].dmin);
        for (int j = 0; j < 4; j++, dst += 64) {
            const uint8x16_t q0 = vld1q_u8(b[i].qs + 32 * j), q1 = vld1q_u8(b[i].qs + 32 * j + 16);
            uint8_t sc, m;
            gk_q4k_scale_min(b[i].scales, 2 * j, &sc, &m);
            float ds = d * (float)sc, ms = dmin * (float)m;
            gk_dq_put16_affine(dst, vandq_u8(q0, mask), ds, ms);
            gk_dq_put16_affine(dst + 16, vandq_u8(q1, mask), ds, ms);
            gk_q4k_scale_min(b[i].scales, 2 * j + 1, &sc, &m);
            ds = d * (float)sc;
            ms = dmin * (float)m;
            gk_dq_put16_affine(dst + 32, vshrq_n_u8(q0, 4), ds, ms);
            gk_dq_put16_affine(dst + 48, vshrq_n_u8(q1, 4), ds, ms);
        }
    }
}

/* Q5_K: Q4_K's nibbles plus 16 where bit s of qh[l] is set (s the sub-block). */
void gk_dequant_q5_k_neon(const void *blocks, float *dst, size_t n_blocks)
{
    const gk_block_q5_k *b = blocks;
    const uint8x16_t mask = vdupq_n_u8(0x0F), sixteen = vdupq_n_u8(0x10);
    for (size_t i = 0; i < n_blocks; i++) {
        const float d = gk_f32_from_f16(b[i].d), dmin = gk_f32_from_f16(b[i].dmin);
        const uint8x16_t qh[2] = {vld1q_u8(b[i].qh), vld1q_u8(b[i].qh + 16)};
        for (int s = 0; s < 8; s++, dst += 32) {
            uint8_t sc, m;
            gk_q4k_scale_min(b[i].scales, s, &sc, &m);
            const float ds = d * (float)sc, ms = dmin * (float)m;
            const uint8x16_t bit = vdupq_n_u8((uint8_t)(1u << s));
            for (int half = 0; half < 2; half++) {
                const uint8x16_t q = vld1q_u8(b[i].qs + 32 * (s / 2) + 16 * half);
                const uint8x16_t low = s % 2 ? vshrq_n_u8(q, 4) : vandq_u8(q, mask);
                const uint8x16_t high = vandq_u8(vtstq_u8(qh[half], bit), sixteen);
                gk_dq_put16_affine(dst + 16 * half, vorrq_u8(low, high), ds, ms);
            }
        }
    }
}

/* Q6_K: quarter k of half h: low nibble from ql[64 h + 32 (k % 2) + l] (high nibble for k >= 2),
 * two high bits from bits 2k of qh[32 h + l]; code - 32; scales 8 h + 2 k (l < 16) and + 1. */
void gk_dequant_q6_k_neon(const void *blocks, float *dst, size_t n_blocks)
{
    const gk_block_q6_k *b = blocks;
    const uint8x16_t mask4 = vdupq_n_u8(0x0F), mask2 = vdupq_n_u8(0x03);
    const int8x16_t bias = vdupq_n_s8(32);
    for (size_t i = 0; i < n_blocks; i++) {
        const float d = gk_f32_from_f16(b[i].d);
        for (int h = 0; h < 2; h++) {
            for (int k = 0; k < 4; k++, dst += 32) {
                const int8_t *sc = b[i].scales + 8 * h + 2 * k;
                const int8x16_t qh_shift = vdupq_n_s8((int8_t)(-2 * k)); /* right shift by 2k */
                for (int half = 0; half < 2; half++) {
                    const uint8x16_t ql = vld1q_u8(b[i].ql + 64 * h + 32 * (k % 2) + 16 * half);
                    const uint8x16_t qh = vld1q_u8(b[i].qh + 32 * h + 16 * half);
                    const uint8x16_t low = k < 2 ? vandq_u8(ql, mask4) : vshrq_n_u8(ql, 4);
                    const uint8x16_t high = vandq_u8(vshlq_u8(qh, qh_shift), mask2);
                    const int8x16_t code =
                        vsubq_s8(vreinterpretq_s8_u8(vorrq_u8(low, vshlq_n_u8(high, 4))), bias);
                    gk_dq_put16_scaled(dst + 16 * half, code, d * (float)sc[half]);
                }
            }
        }
    }
}

/* TQ1_0 digit n of each byte q: ((uint8)(q * 3^n) * 3) >> 8 (the byte product wraps mod 256). */
static inline uint8x16_t gk_dq_tq1_digits(uint8x16_t q, uint8_t pow)
{
    const uint8x16_t t = vmulq_u8(q, vdupq_n_u8(pow));
    const uint16x8_t lo = vmull_u8(vget_low_u8(t), vdup_n_u8(3));
    const uint16x8_t hi = vmull_u8(vget_high_u8(t), vdup_n_u8(3));
    return vcombine_u8(vshrn_n_u16(lo, 8), vshrn_n_u16(hi, 8));
}

/* TQ1_0 (value order in src/quant/ternary.c): y = (float)(digit - 1) * d. */
void gk_dequant_tq1_0_neon(const void *blocks, float *dst, size_t n_blocks)
{
    const gk_block_tq1_0 *b = blocks;
    static const uint8_t pow3[5] = {1, 3, 9, 27, 81};
    const int8x16_t one = vdupq_n_s8(1);
    for (size_t i = 0; i < n_blocks; i++, dst += 256) {
        const float d = gk_f32_from_f16(b[i].d);
        for (int n = 0; n < 5; n++)
            for (int half = 0; half < 3;
                 half++) { /* 16-byte groups qs[0..16), [16..32), [32..48) */
                const uint8x16_t q = vld1q_u8(b[i].qs + 16 * half);
                const int8x16_t code =
                    vsubq_s8(vreinterpretq_s8_u8(gk_dq_tq1_digits(q, pow3[n])), one);
                float *out = half < 2 ? dst + 32 * n + 16 * half : dst + 160 + 16 * n;
                gk_dq_put16_scaled(out, code, d);
            }
        for (int n = 0; n < 4; n++)
            for (int j = 0; j < 4; j++) {
                const int digit = ((int)(uint8_t)(b[i].qh[j] * pow3[n]) * 3) >> 8;
                dst[240 + 4 * n + j] = (float)(digit - 1) * d;
            }
    }
}

/* TQ2_0: value 128 h + 32 k + m is ((qs[32 h + m] >> 2k) & 3) - 1, times d. */
void gk_dequant_tq2_0_neon(const void *blocks, float *dst, size_t n_blocks)
{
    const gk_block_tq2_0 *b = blocks;
    const uint8x16_t mask = vdupq_n_u8(3);
    const int8x16_t one = vdupq_n_s8(1);
    for (size_t i = 0; i < n_blocks; i++) {
        const float d = gk_f32_from_f16(b[i].d);
        for (int h = 0; h < 2; h++) {
            for (int k = 0; k < 4; k++, dst += 32) {
                const int8x16_t shift = vdupq_n_s8((int8_t)(-2 * k));
                for (int half = 0; half < 2; half++) {
                    const uint8x16_t q = vld1q_u8(b[i].qs + 32 * h + 16 * half);
                    const int8x16_t code = vreinterpretq_s8_u8(vandq_u8(vshlq_u8(q, shift), mask));
                    gk_dq_put16_scaled(dst + 16 * half, vsubq_s8(code, one), d);
                }
            }
        }
    }
}

/* AWQ4 / GPTQ4: element 8 w + j is bits 4j..4j+3 of the little-endian word w;
 * value = ((float)q - zero_point) * scale. */
/* SQUEEZE: value = lut[code], the f16 entry converted exactly. TBL picks the two bytes of each
 * code's entry from the 32-byte table (indices 2 code, 2 code + 1), eight values at a time. */
void gk_dequant_squeeze_neon(const void *blocks, float *dst, size_t n_blocks)
{
    const gk_block_squeeze *b = blocks;
    for (size_t i = 0; i < n_blocks; i++) {
        const uint8_t *table = (const uint8_t *)b[i].lut;
        const uint8x16x2_t lut = {{vld1q_u8(table), vld1q_u8(table + 16)}};
        for (int j = 0; j < 128; j += 8) {
            const uint8x8_t q = vld1_u8(b[i].qs + j); /* 16 codes, low nibble first */
            const uint8x8x2_t codes = vzip_u8(vand_u8(q, vdup_n_u8(0x0F)), vshr_n_u8(q, 4));
            for (int h = 0; h < 2; h++, dst += 8) {
                const uint8x8_t first = vshl_n_u8(codes.val[h], 1);
                const uint8x8x2_t idx = vzip_u8(first, vadd_u8(first, vdup_n_u8(1)));
                const float16x8_t v =
                    vreinterpretq_f16_u8(vqtbl2q_u8(lut, vcombine_u8(idx.val[0], idx.val[1])));
                vst1q_f32(dst, vcvt_f32_f16(vget_low_f16(v)));
                vst1q_f32(dst + 4, vcvt_high_f32_f16(v));
            }
        }
    }
}

void gk_dequant_awq4_neon(const void *blocks, float *dst, size_t n_blocks)
{
    const gk_block_awq4 *b = blocks;
    static const int32_t shift_lo[4] = {0, -4, -8, -12}, shift_hi[4] = {-16, -20, -24, -28};
    const int32x4_t sl = vld1q_s32(shift_lo), sh = vld1q_s32(shift_hi);
    const uint32x4_t mask = vdupq_n_u32(0xF);
    for (size_t i = 0; i < n_blocks; i++) {
        const float32x4_t scale = vdupq_n_f32(gk_f32_from_f16(b[i].scale));
        const float32x4_t zero_point = vdupq_n_f32(gk_f32_from_f16(b[i].zero_point));
        for (int w = 0; w < 16; w++, dst += 8) {
            uint32_t word;
            memcpy(&word, &b[i].qs[w], sizeof word);
            const uint32x4_t v = vdupq_n_u32(word);
            const float32x4_t q0 = vcvtq_f32_u32(vandq_u32(vshlq_u32(v, sl), mask));
            const float32x4_t q1 = vcvtq_f32_u32(vandq_u32(vshlq_u32(v, sh), mask));
            vst1q_f32(dst, vmulq_f32(vsubq_f32(q0, zero_point), scale));
            vst1q_f32(dst + 4, vmulq_f32(vsubq_f32(q1, zero_point), scale));
        }
    }
}
