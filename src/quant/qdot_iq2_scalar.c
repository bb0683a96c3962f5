/* SPDX-License-Identifier: MIT */
/* The scalar tier of the IQ2 dot products (IQ2_XXS, IQ2_XS, IQ2_S against Q8_K): the reference
 * arithmetic the SIMD tiers reproduce bit for bit (src/quant/qdot.h).
 *
 * Every IQ2 weight is ((d * (0.5f + s)) * 0.25f) * grid_byte, signed (src/quant/iq.h), that is
 * (d / 8) * (2 s + 1) * (+-grid_byte) with 2 s + 1 in 1..31 and grid bytes 8, 25 or 43. The sums
 * are kept in eight lanes, the layout of a 256-bit SIMD register: weight e of a super-block
 * belongs to lane (e % 32) / 4. Per super-block and lane, the integer sum of
 * (2 s + 1) * (+-grid_byte) * xq is exact in int32 (at most 32 * 31 * 43 * 127 < 2^23 in
 * magnitude); then in f32, with dd = (d * 0.125f) * d_x (d * 0.125f is exact: a power-of-two
 * scaling of a widened f16, far from f32 underflow):
 *   acc[lane] = acc[lane] + dd * (float)isum[lane]
 * and the row's result is ((acc0 + acc4) + (acc2 + acc6)) + ((acc1 + acc5) + (acc3 + acc7)).
 * Keeping lanes spares the SIMD tiers a horizontal sum per super-block. */
#include "core/half.h"
#include "quant/iq.h"
#include "quant/qdot.h"

enum { GK_QD_IQ2_LANES = 8 };

/* The 8 weights of octet k (weights 8 k..) of a super-block: grid entry, sign bits (bit j set:
 * weight j negative) and the scale 2 s + 1, added into the lanes they belong to. */
static inline void gk_qd_iq2_octet(int32_t isum[GK_QD_IQ2_LANES],
                                   int k,
                                   uint64_t grid,
                                   unsigned signs,
                                   int32_t scale,
                                   const int8_t *xqs)
{
    for (int j = 0; j < 8; j++) {
        const int e = 8 * k + j;
        const int32_t g = (int32_t)((grid >> (8 * j)) & 0xFF);
        isum[(e % 32) / 4] += scale * ((signs >> j) & 1 ? -g : g) * xqs[e];
    }
}

/* The f32 steps of one super-block, and the row's final sum of the lanes. */
static inline void gk_qd_iq2_step(float acc[GK_QD_IQ2_LANES],
                                  const int32_t isum[GK_QD_IQ2_LANES],
                                  const uint8_t d[2],
                                  float d_x)
{
    const float dd = gk_f32_from_f16_bits(gk_iq_u16(d)) * 0.125f * d_x;
    for (int l = 0; l < GK_QD_IQ2_LANES; l++)
        acc[l] = acc[l] + dd * (float)isum[l];
}

static inline float gk_qd_iq2_lanes_sum(const float acc[GK_QD_IQ2_LANES])
{
    return ((acc[0] + acc[4]) + (acc[2] + acc[6])) + ((acc[1] + acc[5]) + (acc[3] + acc[7]));
}

/* IQ2_XXS: group g (32 weights) is qs[8 g ..]: four grid indices, then the little-endian word w
 * with the four 7-bit sign codes (through gk_iq_ksigns) and the scale s in its top 4 bits. */
static float gk_qd_row_iq2_xxs(const void *w, const void *xq, size_t n_blocks)
{
    const gk_block_iq2_xxs *b = w;
    const gk_block_q8_k *x = xq;
    float acc[GK_QD_IQ2_LANES] = {0};
    for (size_t i = 0; i < n_blocks; i++) {
        int32_t isum[GK_QD_IQ2_LANES] = {0};
        for (int g = 0; g < 8; g++) {
            const uint8_t *q = b[i].qs + 8 * g;
            const uint32_t word = gk_iq_u32(q + 4);
            for (int l = 0; l < 4; l++)
                gk_qd_iq2_octet(isum, 4 * g + l, gk_iq2xxs_grid[q[l]],
                                gk_iq_ksigns[(word >> (7 * l)) & 127],
                                (int32_t)(2 * (word >> 28) + 1), x[i].qs);
        }
        gk_qd_iq2_step(acc, isum, b[i].d, x[i].d);
    }
    return gk_qd_iq2_lanes_sum(acc);
}

/* The scale 2 s + 1 of octet k of an IQ2_XS / IQ2_S block: scales[k / 4] holds s of octets
 * 4 g, 4 g + 1 in its low nibble, of 4 g + 2, 4 g + 3 in its high nibble. */
static inline int32_t gk_qd_iq2_half_scale(const uint8_t scales[8], int k)
{
    return (int32_t)(2 * ((scales[k / 4] >> (4 * ((k % 4) / 2))) & 15) + 1);
}

/* IQ2_XS: octet k (0..31) is the little-endian u16 at qs[2 k]: grid index in bits 0-8, sign
 * code in bits 9-15. */
static float gk_qd_row_iq2_xs(const void *w, const void *xq, size_t n_blocks)
{
    const gk_block_iq2_xs *b = w;
    const gk_block_q8_k *x = xq;
    float acc[GK_QD_IQ2_LANES] = {0};
    for (size_t i = 0; i < n_blocks; i++) {
        int32_t isum[GK_QD_IQ2_LANES] = {0};
        for (int k = 0; k < 32; k++) {
            const uint16_t code = gk_iq_u16(b[i].qs + 2 * k);
            gk_qd_iq2_octet(isum, k, gk_iq2xs_grid[code & 511], gk_iq_ksigns[code >> 9],
                            gk_qd_iq2_half_scale(b[i].scales, k), x[i].qs);
        }
        gk_qd_iq2_step(acc, isum, b[i].d, x[i].d);
    }
    return gk_qd_iq2_lanes_sum(acc);
}

/* IQ2_S: octet k (0..31) has the grid index qs[k] | (bits 2 (k % 4).. of qh[k / 4]) << 8 and
 * the sign byte qs[32 + k]. */
static float gk_qd_row_iq2_s(const void *w, const void *xq, size_t n_blocks)
{
    const gk_block_iq2_s *b = w;
    const gk_block_q8_k *x = xq;
    float acc[GK_QD_IQ2_LANES] = {0};
    for (size_t i = 0; i < n_blocks; i++) {
        int32_t isum[GK_QD_IQ2_LANES] = {0};
        for (int k = 0; k < 32; k++) {
            const unsigned index = b[i].qs[k] | ((b[i].qh[k / 4] >> (2 * (k % 4))) & 3u) << 8;
            gk_qd_iq2_octet(isum, k, gk_iq2s_grid[index], b[i].qs[32 + k],
                            gk_qd_iq2_half_scale(b[i].scales, k), x[i].qs);
        }
        gk_qd_iq2_step(acc, isum, b[i].d, x[i].d);
    }
    return gk_qd_iq2_lanes_sum(acc);
}

#define GK_QDOT_IQ2_SCALAR(fmt)                                                                  \
    void gk_qdot_##fmt##_scalar(const void *w, size_t w_stride, const void *xq, size_t n_blocks, \
                                float *y, size_t n_rows)                                         \
    {                                                                                            \
        for (size_t r = 0; r < n_rows; r++)                                                      \
            y[r] = gk_qd_row_##fmt((const char *)w + r * w_stride, xq, n_blocks);                \
    }
GK_QDOT_IQ2_SCALAR(iq2_xxs)
GK_QDOT_IQ2_SCALAR(iq2_xs)
GK_QDOT_IQ2_SCALAR(iq2_s)
