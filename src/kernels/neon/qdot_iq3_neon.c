/* SPDX-License-Identifier: MIT */
/* NEON quantized dot products of IQ4_NL, IQ3_XXS, IQ3_S, TQ1_0, IQ1_S and IQ1_M
 * (src/quant/qdot.h), giving the bits of the scalar tier (src/quant/qdot_iq3_scalar.c, which
 * describes the layouts and the f32 steps); built twice, the second time with SDOT (qdot_neon.h).
 *
 * Byte products go through gk_qn_dot16 (SMULL/SMLAL and SADALP, or SDOT). Weight magnitudes are
 * at most 127 and activation codes lie in -127..127, so every integer sum is exact. Each block's
 * sum is reduced to a scalar and goes through the scalar tier's f32 steps, written the same way. */
#include "kernels/neon/qdot_neon.h"

#include <stdbool.h>
#include <string.h>

#include "core/half.h"
#include "quant/iq.h"
#include "quant/qdot.h"

/* The scalar tier's f32 steps (qdot_iq3_scalar.c): four partial sums, block i adding
 * (d_w * d_x) * (float)isum to acc[i % 4]; the result (acc[0] + acc[1]) + (acc[2] + acc[3]). */
static inline void gk_qn3_acc4_add(float acc[4], size_t i, float d_w, float d_x, int32_t isum)
{
    acc[i % 4] += d_w * d_x * (float)isum;
}

static inline float gk_qn3_acc4_result(const float acc[4])
{
    return (acc[0] + acc[1]) + (acc[2] + acc[3]);
}

/* ---- IQ4_NL against Q8_0 ------------------------------------------------------------------ */

static float gk_qn3_row_iq4_nl(const gk_block_iq4_nl *b, const gk_block_q8_0 *x, size_t n_blocks)
{
    const int8x16_t values = vld1q_s8(gk_iq4nl_values);
    float acc[4] = {0.0f, 0.0f, 0.0f, 0.0f};
    for (size_t i = 0; i < n_blocks; i++) {
        const uint8x16_t q = vld1q_u8(b[i].qs);
        const int8x16_t lo = vqtbl1q_s8(values, vandq_u8(q, vdupq_n_u8(0x0F)));
        const int8x16_t hi = vqtbl1q_s8(values, vshrq_n_u8(q, 4));
        int32x4_t s = gk_qn_dot16(vdupq_n_s32(0), lo, vld1q_s8(x[i].qs));
        s = gk_qn_dot16(s, hi, vld1q_s8(x[i].qs + 16));
        gk_qn3_acc4_add(acc, i, gk_f32_from_f16_bits(gk_iq_u16(b[i].d)), gk_f32_from_f16(x[i].d),
                        vaddvq_s32(s));
    }
    return gk_qn3_acc4_result(acc);
}

/* ---- IQ3_XXS and IQ3_S against Q8_K ------------------------------------------------------- */

/* The 16 values of grid entries e0..e3 (4 bytes each), value j negated where bit j % 8 of sign
 * byte j / 8 (s0, s1) is set, dotted with 16 activation bytes. */
static inline int32x4_t
gk_qn3_iq3_16(int32x4_t acc, const uint32_t e[4], uint8_t s0, uint8_t s1, const int8_t *xqs)
{
    const uint8x16_t bits = vreinterpretq_u8_u64(vdupq_n_u64(0x8040201008040201ull));
    const uint8x16_t minus = vtstq_u8(vcombine_u8(vdup_n_u8(s0), vdup_n_u8(s1)), bits);
    const uint8x16_t grid = vreinterpretq_u8_u32(vld1q_u32(e));
    /* (grid ^ m) - m negates where m is all ones */
    const int8x16_t w = vreinterpretq_s8_u8(vsubq_u8(veorq_u8(grid, minus), minus));
    return gk_qn_dot16(acc, w, vld1q_s8(xqs));
}

static float gk_qn3_row_iq3_xxs(const gk_block_iq3_xxs *b, const gk_block_q8_k *x, size_t n_blocks)
{
    float acc[4] = {0.0f, 0.0f, 0.0f, 0.0f};
    for (size_t i = 0; i < n_blocks; i++) {
        int32_t isum = 0;
        for (int g = 0; g < 8; g++) {
            const uint8_t *q = b[i].qs + 8 * g;
            const uint32_t word = gk_iq_u32(b[i].qs + 64 + 4 * g);
            int32x4_t s = vdupq_n_s32(0);
            for (int half = 0; half < 2; half++) {
                const uint32_t e[4] = {gk_iq3xxs_grid[q[4 * half]], gk_iq3xxs_grid[q[4 * half + 1]],
                                       gk_iq3xxs_grid[q[4 * half + 2]],
                                       gk_iq3xxs_grid[q[4 * half + 3]]};
                s = gk_qn3_iq3_16(s, e, gk_iq_ksigns[(word >> (14 * half)) & 127u],
                                  gk_iq_ksigns[(word >> (14 * half + 7)) & 127u],
                                  x[i].qs + 32 * g + 16 * half);
            }
            isum += (int32_t)(2 * (word >> 28) + 1) * vaddvq_s32(s);
        }
        gk_qn3_acc4_add(acc, i, gk_f32_from_f16_bits(gk_iq_u16(b[i].d)) * 0.25f, x[i].d, isum);
    }
    return gk_qn3_acc4_result(acc);
}

static float gk_qn3_row_iq3_s(const gk_block_iq3_s *b, const gk_block_q8_k *x, size_t n_blocks)
{
    float acc[4] = {0.0f, 0.0f, 0.0f, 0.0f};
    for (size_t i = 0; i < n_blocks; i++) {
        int32_t isum = 0;
        for (int g = 0; g < 8; g++) {
            const uint8_t *q = b[i].qs + 8 * g, *signs = b[i].signs + 4 * g;
            const unsigned h = b[i].qh[g];
            int32x4_t s = vdupq_n_s32(0);
            for (int half = 0; half < 2; half++) {
                uint32_t e[4];
                for (int k = 0; k < 4; k++) {
                    const unsigned index = 4 * (unsigned)half + (unsigned)k;
                    e[k] = gk_iq3s_grid[q[index] | ((h >> index) & 1u) << 8];
                }
                s = gk_qn3_iq3_16(s, e, signs[2 * half], signs[2 * half + 1],
                                  x[i].qs + 32 * g + 16 * half);
            }
            const int sc = (b[i].scales[g / 2] >> (4 * (g % 2))) & 0xF;
            isum += (2 * sc + 1) * vaddvq_s32(s);
        }
        gk_qn3_acc4_add(acc, i, gk_f32_from_f16_bits(gk_iq_u16(b[i].d)), x[i].d, isum);
    }
    return gk_qn3_acc4_result(acc);
}

/* ---- TQ1_0 against Q8_K -------------------------------------------------------------------- */

/* Digit of bytes s already shifted to it (times 3^n modulo 256): (3 s) >> 8, that is
 * [s >= 86] + [s >= 171]. */
static inline int8x16_t gk_qn3_tq1_digit(uint8x16_t s)
{
    const uint8x16_t ge86 = vcgeq_u8(s, vdupq_n_u8(86)), ge171 = vcgeq_u8(s, vdupq_n_u8(171));
    return vreinterpretq_s8_u8(vsubq_u8(vsubq_u8(vdupq_n_u8(0), ge86), ge171));
}

/* Element order as in the scalar tier; the digits (0..2) are dotted with the activation and the
 * -1 of every value comes out through the activation's group sums. */
static float gk_qn3_row_tq1_0(const gk_block_tq1_0 *b, const gk_block_q8_k *x, size_t n_blocks)
{
    static const uint8_t qh_pow3[16] = {1, 1, 1, 1, 3, 3, 3, 3, 9, 9, 9, 9, 27, 27, 27, 27};
    float acc[4] = {0.0f, 0.0f, 0.0f, 0.0f};
    for (size_t i = 0; i < n_blocks; i++) {
        const int8_t *xqs = x[i].qs;
        int32x4_t s = vdupq_n_s32(0);
        uint8x16_t q0 = vld1q_u8(b[i].qs), q1 = vld1q_u8(b[i].qs + 16), q2 = vld1q_u8(b[i].qs + 32);
        for (int n = 0; n < 5; n++) {
            s = gk_qn_dot16(s, gk_qn3_tq1_digit(q0), vld1q_s8(xqs + 32 * n));
            s = gk_qn_dot16(s, gk_qn3_tq1_digit(q1), vld1q_s8(xqs + 32 * n + 16));
            s = gk_qn_dot16(s, gk_qn3_tq1_digit(q2), vld1q_s8(xqs + 160 + 16 * n));
            q0 = vmulq_u8(q0, vdupq_n_u8(3));
            q1 = vmulq_u8(q1, vdupq_n_u8(3));
            q2 = vmulq_u8(q2, vdupq_n_u8(3));
        }
        uint32_t qh;
        memcpy(&qh, b[i].qh, sizeof qh);
        const uint8x16_t tail = vmulq_u8(vreinterpretq_u8_u32(vdupq_n_u32(qh)), vld1q_u8(qh_pow3));
        s = gk_qn_dot16(s, gk_qn3_tq1_digit(tail), vld1q_s8(xqs + 240));
        const int32_t total =
            vaddlvq_s16(vld1q_s16(x[i].bsums)) + vaddlvq_s16(vld1q_s16(x[i].bsums + 8));
        gk_qn3_acc4_add(acc, i, gk_f32_from_f16(b[i].d), x[i].d, vaddvq_s32(s) - total);
    }
    return gk_qn3_acc4_result(acc);
}

/* ---- IQ1_S and IQ1_M against Q8_K ---------------------------------------------------------- */

/* 16 values of grid entries e0, e1 (int8 -1, 0, 1) as the integers 8 grid + delta (delta +-1
 * per entry: minus0, minus1), dotted with 16 activation bytes. */
static inline int32x4_t
gk_qn3_iq1_16(int32x4_t acc, uint64_t e0, uint64_t e1, bool minus0, bool minus1, const int8_t *xqs)
{
    const int8x16_t grid = vcombine_s8(vcreate_s8(e0), vcreate_s8(e1));
    const int8x16_t delta = vcombine_s8(vdup_n_s8(minus0 ? -1 : 1), vdup_n_s8(minus1 ? -1 : 1));
    return gk_qn_dot16(acc, vaddq_s8(vshlq_n_s8(grid, 3), delta), vld1q_s8(xqs));
}

static float gk_qn3_row_iq1_s(const gk_block_iq1_s *b, const gk_block_q8_k *x, size_t n_blocks)
{
    float acc[4] = {0.0f, 0.0f, 0.0f, 0.0f};
    for (size_t i = 0; i < n_blocks; i++) {
        int32_t isum = 0;
        for (int g = 0; g < 8; g++) {
            const unsigned h = gk_iq_u16(b[i].qh + 2 * g);
            const uint8_t *q = b[i].qs + 4 * g;
            const bool minus = h & 0x8000u;
            int32x4_t s = vdupq_n_s32(0);
            for (int half = 0; half < 2; half++) {
                const int l = 2 * half;
                s = gk_qn3_iq1_16(s, gk_iq1s_grid[q[l] | ((h >> (3 * l)) & 7u) << 8],
                                  gk_iq1s_grid[q[l + 1] | ((h >> (3 * l + 3)) & 7u) << 8], minus,
                                  minus, x[i].qs + 32 * g + 16 * half);
            }
            isum += (int32_t)(2 * ((h >> 12) & 7u) + 1) * vaddvq_s32(s);
        }
        gk_qn3_acc4_add(acc, i, gk_f32_from_f16_bits(gk_iq_u16(b[i].d)) * 0.125f, x[i].d, isum);
    }
    return gk_qn3_acc4_result(acc);
}

static float gk_qn3_row_iq1_m(const gk_block_iq1_m *b, const gk_block_q8_k *x, size_t n_blocks)
{
    float acc[4] = {0.0f, 0.0f, 0.0f, 0.0f};
    for (size_t i = 0; i < n_blocks; i++) {
        int32_t isum = 0;
        for (int g = 0; g < 8; g++) {
            const unsigned sw = gk_iq_u16(b[i].scales + 2 * (g / 2)) >> (6 * (g % 2));
            const uint8_t *q = b[i].qs + 4 * g;
            for (int p = 0; p < 2; p++) {
                const unsigned h = b[i].qh[2 * g + p];
                const int32x4_t s =
                    gk_qn3_iq1_16(vdupq_n_s32(0), gk_iq1s_grid[q[2 * p] | (h & 7u) << 8],
                                  gk_iq1s_grid[q[2 * p + 1] | ((h >> 4) & 7u) << 8], h & 0x08u,
                                  h & 0x80u, x[i].qs + 32 * g + 16 * p);
                isum += (int32_t)(2 * ((sw >> (3 * p)) & 7u) + 1) * vaddvq_s32(s);
            }
        }
        gk_qn3_acc4_add(acc, i, gk_f32_from_f16_bits(gk_iq1_m_scale_bits(&b[i])) * 0.125f, x[i].d,
                        isum);
    }
    return gk_qn3_acc4_result(acc);
}

/* ---- the row loops ------------------------------------------------------------------------- */

#define GK_QN3_ROWS(fmt, wblock, xblock)                                                         \
    void GK_QN_KERNEL(fmt)(const void *w, size_t w_stride, const void *xq, size_t n_blocks,      \
                           float *y, size_t n_rows)                                              \
    {                                                                                            \
        for (size_t r = 0; r < n_rows; r++)                                                      \
            y[r] =                                                                               \
                gk_qn3_row_##fmt((const wblock *)(const void *)((const char *)w + r * w_stride), \
                                 (const xblock *)xq, n_blocks);                                  \
    }

GK_QN3_ROWS(iq4_nl, gk_block_iq4_nl, gk_block_q8_0)
GK_QN3_ROWS(iq3_xxs, gk_block_iq3_xxs, gk_block_q8_k)
GK_QN3_ROWS(iq3_s, gk_block_iq3_s, gk_block_q8_k)
GK_QN3_ROWS(tq1_0, gk_block_tq1_0, gk_block_q8_k)
GK_QN3_ROWS(iq1_s, gk_block_iq1_s, gk_block_q8_k)
GK_QN3_ROWS(iq1_m, gk_block_iq1_m, gk_block_q8_k)
