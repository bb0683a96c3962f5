/* SPDX-License-Identifier: MIT */
/* The scalar tier of the quantized dot products of IQ4_NL, IQ3_XXS, IQ3_S, TQ1_0, IQ1_S and
 * IQ1_M (src/quant/qdot.h): plain loops that define the arithmetic every tier reproduces bit
 * for bit. Each block is reduced to an exact int32 sum of integer weight codes times activation
 * codes; the f32 steps after it are a fixed sequence of single operations (this file is built
 * without FP contraction). The block layouts are those of src/quant/iq.h and blocks.h. */
#include <stdbool.h>

#include "core/half.h"
#include "quant/iq.h"
#include "quant/qdot.h"

/* The f32 steps of every kernel in this file: four partial sums, block i adding
 *   acc[i % 4] += (d_w * d_x) * (float)isum
 * (d_w the weight block's scale as its format defines it below, d_x the activation block's),
 * and the row's result (acc[0] + acc[1]) + (acc[2] + acc[3]). Four independent chains let a
 * SIMD tier reduce four blocks' sums together and keep the partial sums in four lanes, and
 * still give these bits. */
static inline void gk_qd_acc4_add(float acc[4], size_t i, float d_w, float d_x, int32_t isum)
{
    acc[i % 4] += d_w * d_x * (float)isum;
}

static inline float gk_qd_acc4_result(const float acc[4])
{
    return (acc[0] + acc[1]) + (acc[2] + acc[3]);
}

/* ---- IQ4_NL against Q8_0 ------------------------------------------------------------------ */

/* Element l < 16 of a block is the non-linear value of the low nibble of qs[l], element l + 16
 * that of its high nibble; |value| <= 127, so a block's sum is below 32 * 127 * 127 in size.
 * d_w is the block's f16 scale. */
static float gk_qd_row_iq4_nl(const void *w, const void *xq, size_t n_blocks)
{
    const gk_block_iq4_nl *b = w;
    const gk_block_q8_0 *x = xq;
    float acc[4] = {0.0f, 0.0f, 0.0f, 0.0f};
    for (size_t i = 0; i < n_blocks; i++) {
        int32_t isum = 0;
        for (int l = 0; l < 16; l++) {
            const uint8_t q = b[i].qs[l];
            isum +=
                gk_iq4nl_values[q & 0xF] * x[i].qs[l] + gk_iq4nl_values[q >> 4] * x[i].qs[16 + l];
        }
        gk_qd_acc4_add(acc, i, gk_f32_from_f16_bits(gk_iq_u16(b[i].d)), gk_f32_from_f16(x[i].d),
                       isum);
    }
    return gk_qd_acc4_result(acc);
}

/* ---- IQ3_XXS and IQ3_S against Q8_K ------------------------------------------------------- */

/* The sum over 8 consecutive values of grid byte * sign * activation code: bytes 0..3 of grid
 * entry a and then of entry b, value j negative where bit j of `signs` is set. */
static inline int32_t gk_qd_iq3_8(uint32_t a, uint32_t b, unsigned signs, const int8_t *xqs)
{
    int32_t sum = 0;
    for (int j = 0; j < 8; j++) {
        const int grid = (int)(((j < 4 ? a : b) >> (8 * (j % 4))) & 0xFF);
        sum += (signs >> j & 1 ? -grid : grid) * xqs[j];
    }
    return sum;
}

/* IQ3_XXS: group g (values 32 g..) has the scale s = top 4 bits of the u32 word at qs[64 + 4 g]
 * and the grid entries of qs[8 g + k]; values 8 l..8 l + 7 of the group take the sign bits
 * gk_iq_ksigns[(word >> 7 l) & 127]. value = d (2 s + 1) / 4 grid sign, so per super-block
 *   isum = sum over g of (2 s + 1) * (sum of grid * sign * xq over the group)
 * (|isum| <= 8 * 31 * 32 * 62 * 127 < 2^26) and d_w = d * 0.25f
 * (exact: a power of two times an f16 value). */
static float gk_qd_row_iq3_xxs(const void *w, const void *xq, size_t n_blocks)
{
    const gk_block_iq3_xxs *b = w;
    const gk_block_q8_k *x = xq;
    float acc[4] = {0.0f, 0.0f, 0.0f, 0.0f};
    for (size_t i = 0; i < n_blocks; i++) {
        int32_t isum = 0;
        for (int g = 0; g < 8; g++) {
            const uint8_t *q = b[i].qs + 8 * g;
            const uint32_t word = gk_iq_u32(b[i].qs + 64 + 4 * g);
            int32_t sub = 0;
            for (int l = 0; l < 4; l++)
                sub +=
                    gk_qd_iq3_8(gk_iq3xxs_grid[q[2 * l]], gk_iq3xxs_grid[q[2 * l + 1]],
                                gk_iq_ksigns[(word >> (7 * l)) & 127u], x[i].qs + 32 * g + 8 * l);
            isum += (int32_t)(2 * (word >> 28) + 1) * sub;
        }
        const float d = gk_f32_from_f16_bits(gk_iq_u16(b[i].d)) * 0.25f;
        gk_qd_acc4_add(acc, i, d, x[i].d, isum);
    }
    return gk_qd_acc4_result(acc);
}

/* IQ3_S: group g has the scale s = nibble g % 2 of scales[g / 2] and the grid entries
 * qs[8 g + k] | (bit k of qh[g]) << 8; values 8 l.. of the group take the sign bits
 * signs[4 g + l]. value = d (2 s + 1) grid sign: isum as for IQ3_XXS (|isum| < 2^23), and d_w = d.
 */
static float gk_qd_row_iq3_s(const void *w, const void *xq, size_t n_blocks)
{
    const gk_block_iq3_s *b = w;
    const gk_block_q8_k *x = xq;
    float acc[4] = {0.0f, 0.0f, 0.0f, 0.0f};
    for (size_t i = 0; i < n_blocks; i++) {
        int32_t isum = 0;
        for (int g = 0; g < 8; g++) {
            const uint8_t *q = b[i].qs + 8 * g;
            int32_t sub = 0;
            for (int l = 0; l < 4; l++) {
                const unsigned k = 2 * (unsigned)l, high = b[i].qh[g];
                sub += gk_qd_iq3_8(gk_iq3s_grid[q[k] | ((high >> k & 1u) << 8)],
                                   gk_iq3s_grid[q[k + 1] | ((high >> (k + 1) & 1u) << 8)],
                                   b[i].signs[4 * g + l], x[i].qs + 32 * g + 8 * l);
            }
            const int s = (b[i].scales[g / 2] >> (4 * (g % 2))) & 0xF;
            isum += (2 * s + 1) * sub;
        }
        gk_qd_acc4_add(acc, i, gk_f32_from_f16_bits(gk_iq_u16(b[i].d)), x[i].d, isum);
    }
    return gk_qd_acc4_result(acc);
}

/* ---- TQ1_0 against Q8_K -------------------------------------------------------------------- */

/* Element 32 n + m (m < 32) is digit n of qs[m], element 160 + 16 n + m (m < 16) digit n of
 * qs[32 + m], element 240 + 4 n + j digit n of qh[j]; value (digit - 1) d. isum is the sum of
 * (digit - 1) * xq (|isum| <= 256 * 127), and d_w = d. */
static float gk_qd_row_tq1_0(const void *w, const void *xq, size_t n_blocks)
{
    const gk_block_tq1_0 *b = w;
    const gk_block_q8_k *x = xq;
    float acc[4] = {0.0f, 0.0f, 0.0f, 0.0f};
    for (size_t i = 0; i < n_blocks; i++) {
        uint8_t digit[GK_QK_K];
        gk_tq1_digits(&b[i], digit);
        int32_t isum = 0;
        for (int e = 0; e < GK_QK_K; e++)
            isum += (digit[e] - 1) * x[i].qs[e];
        gk_qd_acc4_add(acc, i, gk_f32_from_f16(b[i].d), x[i].d, isum);
    }
    return gk_qd_acc4_result(acc);
}

/* ---- IQ1_S and IQ1_M against Q8_K ---------------------------------------------------------- */

/* value = d (2 s + 1) (grid + delta) with grid in {-1, 0, 1} and delta = +-1/8 (gk_iq1_delta),
 * that is d / 8 times the integer (2 s + 1) (8 grid +- 1). The sum over 8 values of grid entry
 * e (byte j: value j as int8) with the delta's sign `minus` of (8 grid +- 1) * xq: */
static inline int32_t gk_qd_iq1_8(uint64_t e, bool minus, const int8_t *xqs)
{
    int32_t sum = 0;
    for (int j = 0; j < 8; j++)
        sum += (8 * (int8_t)(uint8_t)(e >> (8 * j)) + (minus ? -1 : 1)) * xqs[j];
    return sum;
}

/* IQ1_S: group g's u16 word h = qh[2 g..]: the top index bits of its l-th 8 values in bits
 * 3 l.., s in bits 12..14, the delta's sign in bit 15; the index low bits are qs[4 g + l].
 * isum = sum over g of (2 s + 1) * (sum of its four 8-value runs), |isum| <= 8 * 15 * 32 * 9 *
 * 127 < 2^23; and d_w = d * 0.125f (exact). */
static float gk_qd_row_iq1_s(const void *w, const void *xq, size_t n_blocks)
{
    const gk_block_iq1_s *b = w;
    const gk_block_q8_k *x = xq;
    float acc[4] = {0.0f, 0.0f, 0.0f, 0.0f};
    for (size_t i = 0; i < n_blocks; i++) {
        int32_t isum = 0;
        for (int g = 0; g < 8; g++) {
            const unsigned h = gk_iq_u16(b[i].qh + 2 * g);
            int32_t sub = 0;
            for (int l = 0; l < 4; l++) {
                const unsigned index = b[i].qs[4 * g + l] | ((h >> (3 * l)) & 7u) << 8;
                sub += gk_qd_iq1_8(gk_iq1s_grid[index], h & 0x8000u, x[i].qs + 32 * g + 8 * l);
            }
            isum += (int32_t)(2 * ((h >> 12) & 7u) + 1) * sub;
        }
        const float d = gk_f32_from_f16_bits(gk_iq_u16(b[i].d)) * 0.125f;
        gk_qd_acc4_add(acc, i, d, x[i].d, isum);
    }
    return gk_qd_acc4_result(acc);
}

/* IQ1_M: the 16-value half p (0, 1) of group g has the 3-bit scale bits 6 (g % 2) + 3 p.. of
 * the u16 scales word g / 2, and the qh byte 2 g + p: its low nibble for the first 8 values,
 * its high nibble for the second, each 3 index bits and the delta's sign (bit 3). isum as for
 * IQ1_S per half, and d_w = d * 0.125f, d the f16 assembled from the top
 * nibbles of the scale words. */
static float gk_qd_row_iq1_m(const void *w, const void *xq, size_t n_blocks)
{
    const gk_block_iq1_m *b = w;
    const gk_block_q8_k *x = xq;
    float acc[4] = {0.0f, 0.0f, 0.0f, 0.0f};
    for (size_t i = 0; i < n_blocks; i++) {
        int32_t isum = 0;
        for (int g = 0; g < 8; g++) {
            const unsigned sw = gk_iq_u16(b[i].scales + 2 * (g / 2)) >> (6 * (g % 2));
            for (int p = 0; p < 2; p++) {
                const unsigned h = b[i].qh[2 * g + p];
                int32_t sub = 0;
                for (int r = 0; r < 2; r++) {
                    const unsigned nib = h >> (4 * r);
                    const unsigned index = b[i].qs[4 * g + 2 * p + r] | (nib & 7u) << 8;
                    sub += gk_qd_iq1_8(gk_iq1s_grid[index], nib & 8u,
                                       x[i].qs + 32 * g + 16 * p + 8 * r);
                }
                isum += (int32_t)(2 * ((sw >> (3 * p)) & 7u) + 1) * sub;
            }
        }
        const float d = gk_f32_from_f16_bits(gk_iq1_m_scale_bits(&b[i])) * 0.125f;
        gk_qd_acc4_add(acc, i, d, x[i].d, isum);
    }
    return gk_qd_acc4_result(acc);
}

/* ---- the row loops ------------------------------------------------------------------------- */

#define GK_QDOT_IQ3_SCALAR(fmt)                                                                  \
    void gk_qdot_##fmt##_scalar(const void *w, size_t w_stride, const void *xq, size_t n_blocks, \
                                float *y, size_t n_rows)                                         \
    {                                                                                            \
        for (size_t r = 0; r < n_rows; r++)                                                      \
            y[r] = gk_qd_row_##fmt((const char *)w + r * w_stride, xq, n_blocks);                \
    }

GK_QDOT_IQ3_SCALAR(iq4_nl)
GK_QDOT_IQ3_SCALAR(iq3_xxs)
GK_QDOT_IQ3_SCALAR(iq3_s)
GK_QDOT_IQ3_SCALAR(tq1_0)
GK_QDOT_IQ3_SCALAR(iq1_s)
GK_QDOT_IQ3_SCALAR(iq1_m)
