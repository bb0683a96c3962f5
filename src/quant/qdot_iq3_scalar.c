/* SPDX-License-Identifier: MIT */
/* The scalar tier of the quantized dot products of IQ4_NL, IQ3_XXS, IQ3_S, TQ1_0, IQ1_S and
 * IQ1_M (src/quant/qdot.h): plain loops that define the arithmetic every tier reproduces bit
 * for bit. Each block is reduced to an exact int32 sum of integer weight codes times activation
 * codes; the f32 steps after it are a fixed sequence of single operations (this file is built
 * without FP contraction). The block layouts are those of src/quant/iq.h and blocks.h. */
#include "core/half.h"
#include "quant/iq.h"
#include "quant/qdot.h"

/* ---- IQ4_NL against Q8_0 ------------------------------------------------------------------ */

/* Element l < 16 of a block is the non-linear value of the low nibble of qs[l], element l + 16
 * that of its high nibble; |value| <= 127, so a block's sum is below 32 * 127 * 127 in size.
 *
 * The f32 steps: four partial sums, block i going to acc[i % 4] as
 *   acc[i % 4] += (d_w * d_x) * (float)isum,
 * and the row's result (acc[0] + acc[1]) + (acc[2] + acc[3]). Four independent chains let a
 * SIMD tier keep them in four lanes and still give these bits. */
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
        const float d = gk_f32_from_f16_bits(gk_iq_u16(b[i].d)) * gk_f32_from_f16(x[i].d);
        acc[i % 4] += d * (float)isum;
    }
    return (acc[0] + acc[1]) + (acc[2] + acc[3]);
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
