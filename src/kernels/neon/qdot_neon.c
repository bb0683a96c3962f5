/* SPDX-License-Identifier: MIT */
/* NEON quantized dot products of Q4_1, Q5_0, Q5_1, AWQ4/GPTQ4, the K-quants, TQ2_0 and IQ4_XS
 * (src/quant/qdot.h); built twice, the second time with SDOT (qdot_neon.h).
 *
 * Byte products go through gk_qn_dot16 (SMULL/SMLAL and SADALP, or SDOT), so every integer sum
 * is exact. Each block's sum is reduced to a scalar and scaled exactly as the scalar tier does,
 * so these kernels give the scalar tier's bits. */
#include "kernels/neon/qdot_neon.h"

#include "core/half.h"
#include "kernels/neon/blocks_neon.h"
#include "quant/iq.h"
#include "quant/qdot.h"

/* Q8_0, Q4_0, Q4_K and Q8_K: the hand-written kernels, src/asm/aarch64/qdot_q32_neon.S,
 * qdot_q4_k_neon.S and qdot_q8_k_neon.S (also built twice). */

/* ---- Q4_1, Q5_0, Q5_1 against Q8_0 / Q8_1 --------------------------------------------------- */

/* The exact sum of a 32-value block's codes (lo: elements 0..15, hi: 16..31, as bytes) times
 * its 32 activation codes. */
static inline int32_t gk_qn_block32(int8x16_t lo, int8x16_t hi, const int8_t *xqs)
{
    const int32x4_t sum = gk_qn_dot16(vdupq_n_s32(0), lo, vld1q_s8(xqs));
    return vaddvq_s32(gk_qn_dot16(sum, hi, vld1q_s8(xqs + 16)));
}

/* acc + (d_w d_x) isum per block, the scalar tier's order (qdot_scalar.c). */
static float gk_qn_row_q5_0(const gk_block_q5_0 *b, const gk_block_q8_0 *x, size_t n_blocks)
{
    float acc = 0.0f;
    for (size_t i = 0; i < n_blocks; i++) {
        int8x16_t lo, hi;
        gk_neon_q45_codes(b[i].qs, b[i].qh, 16, &lo, &hi);
        const int32_t isum = gk_qn_block32(lo, hi, x[i].qs);
        acc += gk_f32_from_f16(b[i].d) * gk_f32_from_f16(x[i].d) * (float)isum;
    }
    return acc;
}

/* With a min: acc + ((d_w d_x) isum + m_w s_x), s_x being Q8_1's d_x sum(xq). */
#define GK_QN_ROW_MIN(fmt, qh_of)                                                                  \
    static float gk_qn_row_##fmt(const gk_block_##fmt *b, const gk_block_q8_1 *x, size_t n_blocks) \
    {                                                                                              \
        float acc = 0.0f;                                                                          \
        for (size_t i = 0; i < n_blocks; i++) {                                                    \
            int8x16_t lo, hi;                                                                      \
            gk_neon_q45_codes(b[i].qs, qh_of(b[i]), 0, &lo, &hi);                                  \
            const int32_t isum = gk_qn_block32(lo, hi, x[i].qs);                                   \
            acc += gk_f32_from_f16(b[i].d) * gk_f32_from_f16(x[i].d) * (float)isum +               \
                   gk_f32_from_f16(b[i].m) * gk_f32_from_f16(x[i].s);                              \
        }                                                                                          \
        return acc;                                                                                \
    }
#define GK_QN_NO_QH(block) NULL
#define GK_QN_QH(block)    (block).qh
GK_QN_ROW_MIN(q4_1, GK_QN_NO_QH)
GK_QN_ROW_MIN(q5_1, GK_QN_QH)

/* ---- AWQ4 / GPTQ4 against Q8_0 -------------------------------------------------------------- */

/* Per 32-value chunk c, like the scalar tier: acc += (s dx_c) ((float)isum_c - z (float)xsum_c).
 * Byte b of a chunk holds elements 2b (low nibble) and 2b + 1 (high): LD2 splits the activation
 * into its even and odd elements to match. */
static float gk_qn_row_awq4(const gk_block_awq4 *b, const gk_block_q8_0 *x, size_t n_blocks)
{
    float acc = 0.0f;
    for (size_t i = 0; i < n_blocks; i++) {
        const float s = gk_f32_from_f16(b[i].scale), z = gk_f32_from_f16(b[i].zero_point);
        for (int c = 0; c < 4; c++) {
            const gk_block_q8_0 *xc = &x[4 * i + c];
            const uint8x16_t q = vld1q_u8((const uint8_t *)(b[i].qs + 4 * c));
            const int8x16x2_t xv = vld2q_s8(xc->qs);
            int32x4_t sum = gk_qn_dot16(
                vdupq_n_s32(0), vreinterpretq_s8_u8(vandq_u8(q, vdupq_n_u8(0x0F))), xv.val[0]);
            sum = gk_qn_dot16(sum, vreinterpretq_s8_u8(vshrq_n_u8(q, 4)), xv.val[1]);
            const int32_t isum = vaddvq_s32(sum);
            const int32_t xsum = (int32_t)vaddlvq_s8(xv.val[0]) + (int32_t)vaddlvq_s8(xv.val[1]);
            const float centred = (float)isum - z * (float)xsum;
            acc += s * gk_f32_from_f16(xc->d) * centred;
        }
    }
    return acc;
}

/* ---- K-quants against Q8_K ---------------------------------------------------------------- */

/* The exact sum of 16 codes (unsigned or signed bytes) times 16 activation codes. */
static inline int32_t gk_qn_group16(uint8x16_t codes, const int8_t *xqs)
{
    return vaddvq_s32(gk_qn_dot16(vdupq_n_s32(0), vreinterpretq_s8_u8(codes), vld1q_s8(xqs)));
}

/* Q2_K / Q3_K (layout: qdot_scalar.c): group g's 2-bit codes are bits 2 ((g % 8) / 2) of
 * qs[32 (g / 8) + 16 (g % 2) + l]; Q3_K subtracts 4 where bit g / 2 of hmask[16 (g % 2) + l]
 * is clear (codes -4..3: products with the activation stay far inside int16). */
static float gk_qn_row_q2_k(const gk_block_q2_k *b, const gk_block_q8_k *x, size_t n_blocks)
{
    float acc = 0.0f;
    for (size_t i = 0; i < n_blocks; i++) {
        int32_t isum = 0, msum = 0;
        for (int g = 0; g < 16; g++) {
            isum += (b[i].scales[g] & 0xF) *
                    gk_qn_group16(gk_neon_q23_k_low(b[i].qs, g), x[i].qs + 16 * g);
            msum += (b[i].scales[g] >> 4) * x[i].bsums[g];
        }
        acc = gk_qdot_kquant_step(acc, gk_f32_from_f16(b[i].d), gk_f32_from_f16(b[i].dmin), x[i].d,
                                  isum, msum);
    }
    return acc;
}

/* TQ2_0 (layout: qdot_scalar.c): element 128 h + 32 l + m has the 2-bit code of bits 2 l.. of
 * qs[32 h + m], value code - 1; the f32 step is the K-quants'. */
static float gk_qn_row_tq2_0(const gk_block_tq2_0 *b, const gk_block_q8_k *x, size_t n_blocks)
{
    float acc = 0.0f;
    for (size_t i = 0; i < n_blocks; i++) {
        int32x4_t sum = vdupq_n_s32(0);
        for (int h = 0; h < 2; h++)
            for (int half = 0; half < 2; half++)
                for (int l = 0; l < 4; l++)
                    sum = gk_qn_dot16(sum, gk_neon_tq2_0_codes(b[i].qs, h, half, l),
                                      vld1q_s8(x[i].qs + 128 * h + 32 * l + 16 * half));
        acc = gk_qdot_kquant_step(acc, gk_f32_from_f16(b[i].d), 0.0f, x[i].d, vaddvq_s32(sum), 0);
    }
    return acc;
}

static float gk_qn_row_q3_k(const gk_block_q3_k *b, const gk_block_q8_k *x, size_t n_blocks)
{
    float acc = 0.0f;
    for (size_t i = 0; i < n_blocks; i++) {
        int8_t sc[16];
        gk_q3k_scales(b[i].scales, sc);
        int32_t isum = 0;
        for (int g = 0; g < 16; g++)
            isum +=
                sc[g] * gk_qn_group16(gk_neon_q3_k_codes(b[i].qs, b[i].hmask, g), x[i].qs + 16 * g);
        acc = gk_qdot_kquant_step(acc, gk_f32_from_f16(b[i].d), 0.0f, x[i].d, isum, 0);
    }
    return acc;
}

/* Q5_K (layout: qdot_scalar.c): sub-block s takes the nibbles of qs[32 (s / 2) + l] (low for
 * even s) and bit s of qh[l] as the fifth bit. */
static float gk_qn_row_q5_k(const gk_block_q5_k *b, const gk_block_q8_k *x, size_t n_blocks)
{
    const uint8x16_t low_mask = vdupq_n_u8(0x0F), one = vdupq_n_u8(1);
    float acc = 0.0f;
    for (size_t i = 0; i < n_blocks; i++) {
        int32_t isum = 0, msum = 0;
        for (int s = 0; s < 8; s++) {
            uint8_t sc, m;
            gk_q4k_scale_min(b[i].scales, s, &sc, &m);
            int32_t sub = 0;
            for (int half = 0; half < 2; half++) {
                const uint8x16_t q = vld1q_u8(b[i].qs + 32 * (s / 2) + 16 * half);
                const uint8x16_t low = s % 2 ? vshrq_n_u8(q, 4) : vandq_u8(q, low_mask);
                const uint8x16_t qh = vld1q_u8(b[i].qh + 16 * half);
                const uint8x16_t fifth =
                    vshlq_n_u8(vandq_u8(vshlq_u8(qh, vdupq_n_s8((int8_t)-s)), one), 4);
                sub += gk_qn_group16(vorrq_u8(low, fifth), x[i].qs + 32 * s + 16 * half);
            }
            isum += sc * sub;
            msum += m * (x[i].bsums[2 * s] + x[i].bsums[2 * s + 1]);
        }
        acc = gk_qdot_kquant_step(acc, gk_f32_from_f16(b[i].d), gk_f32_from_f16(b[i].dmin), x[i].d,
                                  isum, msum);
    }
    return acc;
}

/* Q6_K (layout: qdot_scalar.c): per half h and run k, 32 unsigned 6-bit codes in two groups of
 * 16; the -32 offset comes out through the activation's group sums. */
static float gk_qn_row_q6_k(const gk_block_q6_k *b, const gk_block_q8_k *x, size_t n_blocks)
{
    const uint8x16_t low_mask = vdupq_n_u8(0x0F), two_bits = vdupq_n_u8(3);
    float acc = 0.0f;
    for (size_t i = 0; i < n_blocks; i++) {
        int32_t isum = 0;
        for (int h = 0; h < 2; h++)
            for (int k = 0; k < 4; k++)
                for (int half = 0; half < 2; half++) {
                    const uint8x16_t lo = vld1q_u8(b[i].ql + 64 * h + 32 * (k % 2) + 16 * half);
                    const uint8x16_t low = k < 2 ? vandq_u8(lo, low_mask) : vshrq_n_u8(lo, 4);
                    const uint8x16_t qh = vld1q_u8(b[i].qh + 32 * h + 16 * half);
                    const uint8x16_t high =
                        vandq_u8(vshlq_u8(qh, vdupq_n_s8((int8_t)(-2 * k))), two_bits);
                    const uint8x16_t codes = vorrq_u8(low, vshlq_n_u8(high, 4));
                    const int g = 8 * h + 2 * k + half;
                    const int32x4_t sub =
                        gk_qn_dot16(vdupq_n_s32(0), vreinterpretq_s8_u8(codes),
                                    vld1q_s8(x[i].qs + 128 * h + 32 * k + 16 * half));
                    isum += b[i].scales[g] * (vaddvq_s32(sub) - 32 * x[i].bsums[g]);
                }
        acc = gk_qdot_kquant_step(acc, gk_f32_from_f16(b[i].d), 0.0f, x[i].d, isum, 0);
    }
    return acc;
}

#define GK_QN_ROWS(fmt, xblock)                                                             \
    void GK_QN_KERNEL(fmt)(const void *w, size_t w_stride, const void *xq, size_t n_blocks, \
                           float *y, size_t n_rows)                                         \
    {                                                                                       \
        for (size_t r = 0; r < n_rows; r++)                                                 \
            y[r] = gk_qn_row_##fmt((const void *)((const char *)w + r * w_stride),          \
                                   (const xblock *)xq, n_blocks);                           \
    }
GK_QN_ROWS(q4_1, gk_block_q8_1)
GK_QN_ROWS(q5_0, gk_block_q8_0)
GK_QN_ROWS(q5_1, gk_block_q8_1)
GK_QN_ROWS(awq4, gk_block_q8_0)
GK_QN_ROWS(q2_k, gk_block_q8_k)
GK_QN_ROWS(q3_k, gk_block_q8_k)
GK_QN_ROWS(tq2_0, gk_block_q8_k)
GK_QN_ROWS(q5_k, gk_block_q8_k)
GK_QN_ROWS(q6_k, gk_block_q8_k)

/* ---- IQ formats --------------------------------------------------------------------------- */

/* IQ4_XS (layout: qdot_scalar.c): per sub-block the 32 nibbles index the 16 non-linear values
 * with TBL; |value| <= 127, so two products per int16 lane stay exact. */
static float gk_qn_row_iq4_xs(const gk_block_iq4_xs *b, const gk_block_q8_k *x, size_t n_blocks)
{
    const int8x16_t values = vld1q_s8(gk_iq4nl_values);
    const uint8x16_t low_mask = vdupq_n_u8(0x0F);
    float acc = 0.0f;
    for (size_t i = 0; i < n_blocks; i++) {
        int32_t isum = 0;
        for (int s = 0; s < 8; s++) {
            const uint8x16_t q = vld1q_u8(b[i].qs + 16 * s);
            const int8x16_t lo = vqtbl1q_s8(values, vandq_u8(q, low_mask));
            const int8x16_t hi = vqtbl1q_s8(values, vshrq_n_u8(q, 4));
            int32x4_t sub = gk_qn_dot16(vdupq_n_s32(0), lo, vld1q_s8(x[i].qs + 32 * s));
            sub = gk_qn_dot16(sub, hi, vld1q_s8(x[i].qs + 32 * s + 16));
            isum += gk_iq4_xs_scale(&b[i], s) * vaddvq_s32(sub);
        }
        const gk_f16 d = {(uint16_t)(b[i].d[0] | b[i].d[1] << 8)};
        acc = gk_qdot_kquant_step(acc, gk_f32_from_f16(d), 0.0f, x[i].d, isum, 0);
    }
    return acc;
}

GK_QN_ROWS(iq4_xs, gk_block_q8_k)
