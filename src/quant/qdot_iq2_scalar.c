/* SPDX-License-Identifier: MIT */
/* The scalar tier of the IQ2 dot products (IQ2_XXS, IQ2_XS, IQ2_S against Q8_K): the reference
 * arithmetic the SIMD tiers reproduce bit for bit (src/quant/qdot.h).
 *
 * Every IQ2 weight is ((d * (0.5f + s)) * 0.25f) * grid_byte, signed (src/quant/iq.h), that is
 * (d / 8) * (2 s + 1) * (+-grid_byte) with 2 s + 1 in 1..31 and grid bytes 8, 25 or 43. Per
 * super-block the kernel sums (2 s + 1) * (+-grid_byte) * xq exactly in int32 (at most
 * 256 * 31 * 43 * 127 < 2^26 in magnitude), then does the K-quants' f32 step with the weight
 * scale d * 0.125f (exact: a power-of-two scaling of a widened f16, far from f32 underflow):
 *   acc = gk_qdot_kquant_step(acc, d * 0.125f, 0, d_x, isum, 0). */
#include "core/half.h"
#include "quant/iq.h"
#include "quant/qdot.h"

/* sum over the 8 weights of one grid entry of (+-grid byte j) * x[j], byte j negative where bit
 * j of signs is set */
static inline int32_t gk_qd_iq2_octet(uint64_t grid, unsigned signs, const int8_t *x)
{
    int32_t s = 0;
    for (int j = 0; j < 8; j++) {
        const int32_t g = (int32_t)((grid >> (8 * j)) & 0xFF);
        s += ((signs >> j) & 1 ? -g : g) * x[j];
    }
    return s;
}

/* IQ2_XXS: group g (32 weights) is qs[8 g ..]: four grid indices, then the little-endian word w
 * with the four 7-bit sign codes (through gk_iq_ksigns) and the scale s in its top 4 bits. */
static float gk_qd_row_iq2_xxs(const void *w, const void *xq, size_t n_blocks)
{
    const gk_block_iq2_xxs *b = w;
    const gk_block_q8_k *x = xq;
    float acc = 0.0f;
    for (size_t i = 0; i < n_blocks; i++) {
        int32_t isum = 0;
        for (int g = 0; g < 8; g++) {
            const uint8_t *q = b[i].qs + 8 * g;
            const uint32_t word = gk_iq_u32(q + 4);
            int32_t sub = 0;
            for (int l = 0; l < 4; l++)
                sub += gk_qd_iq2_octet(gk_iq2xxs_grid[q[l]], gk_iq_ksigns[(word >> (7 * l)) & 127],
                                       x[i].qs + 32 * g + 8 * l);
            isum += (int32_t)(2 * (word >> 28) + 1) * sub;
        }
        acc = gk_qdot_kquant_step(acc, gk_f32_from_f16_bits(gk_iq_u16(b[i].d)) * 0.125f, 0.0f,
                                  x[i].d, isum, 0);
    }
    return acc;
}

/* IQ2_XS: the 8 weights k (0..31) are the little-endian u16 at qs[2 k]: grid index in bits 0-8,
 * sign code in bits 9-15; scales[g] holds the scale of weights 32 g .. + 15 in its low nibble,
 * of the next 16 in its high nibble. */
static float gk_qd_row_iq2_xs(const void *w, const void *xq, size_t n_blocks)
{
    const gk_block_iq2_xs *b = w;
    const gk_block_q8_k *x = xq;
    float acc = 0.0f;
    for (size_t i = 0; i < n_blocks; i++) {
        int32_t isum = 0;
        for (int h = 0; h < 16; h++) { /* 16 weights: octets 2 h and 2 h + 1 */
            int32_t sub = 0;
            for (int k = 2 * h; k < 2 * h + 2; k++) {
                const uint16_t code = gk_iq_u16(b[i].qs + 2 * k);
                sub += gk_qd_iq2_octet(gk_iq2xs_grid[code & 511], gk_iq_ksigns[code >> 9],
                                       x[i].qs + 8 * k);
            }
            isum += (int32_t)(2 * ((b[i].scales[h / 2] >> (4 * (h % 2))) & 15) + 1) * sub;
        }
        acc = gk_qdot_kquant_step(acc, gk_f32_from_f16_bits(gk_iq_u16(b[i].d)) * 0.125f, 0.0f,
                                  x[i].d, isum, 0);
    }
    return acc;
}

/* IQ2_S: octet k (0..31) has the grid index qs[k] | (bits 2 (k % 4).. of qh[k / 4]) << 8 and
 * the sign byte qs[32 + k]; scales as IQ2_XS. */
static float gk_qd_row_iq2_s(const void *w, const void *xq, size_t n_blocks)
{
    const gk_block_iq2_s *b = w;
    const gk_block_q8_k *x = xq;
    float acc = 0.0f;
    for (size_t i = 0; i < n_blocks; i++) {
        int32_t isum = 0;
        for (int h = 0; h < 16; h++) {
            int32_t sub = 0;
            for (int k = 2 * h; k < 2 * h + 2; k++) {
                const unsigned index = b[i].qs[k] | ((b[i].qh[k / 4] >> (2 * (k % 4))) & 3u) << 8;
                sub += gk_qd_iq2_octet(gk_iq2s_grid[index], b[i].qs[32 + k], x[i].qs + 8 * k);
            }
            isum += (int32_t)(2 * ((b[i].scales[h / 2] >> (4 * (h % 2))) & 15) + 1) * sub;
        }
        acc = gk_qdot_kquant_step(acc, gk_f32_from_f16_bits(gk_iq_u16(b[i].d)) * 0.125f, 0.0f,
                                  x[i].d, isum, 0);
    }
    return acc;
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
