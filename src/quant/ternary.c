/* SPDX-License-Identifier: MIT */
/* The ternary GGUF formats TQ1_0 and TQ2_0 (values -d, 0, +d): scalar decoders and quantizers
 * (ggml's reference definitions, commit d99724f). */
#include <math.h>
#include <string.h>

#include "core/half.h"
#include "quant/blocks.h"
#include "quant/search.h"

/* The digits t in element order (gk_tq1_digits, blocks.h); y = (float)(t - 1) * d. */
void gk_dequant_tq1_0_scalar(const void *blocks, float *dst, size_t n_blocks)
{
    const gk_block_tq1_0 *b = blocks;
    for (size_t i = 0; i < n_blocks; i++, dst += GK_QK_K) {
        const float d = gk_f32_from_f16(b[i].d);
        uint8_t digit[GK_QK_K];
        gk_tq1_digits(&b[i], digit);
        for (int e = 0; e < GK_QK_K; e++)
            dst[e] = (float)(digit[e] - 1) * d;
    }
}

/* Value 128 h + 32 n + m sits in bits 2n..2n+1 of qs[32 h + m]; y = (float)(q - 1) * d. */
void gk_dequant_tq2_0_scalar(const void *blocks, float *dst, size_t n_blocks)
{
    const gk_block_tq2_0 *b = blocks;
    for (size_t i = 0; i < n_blocks; i++, dst += GK_QK_K) {
        const float d = gk_f32_from_f16(b[i].d);
        for (int v = 0; v < GK_QK_K; v++) {
            const int q = (b[i].qs[32 * (v / 128) + v % 32] >> (2 * ((v % 128) / 32))) & 3;
            dst[v] = (float)(q - 1) * d;
        }
    }
}

/* d = max |x|; each value rounds (half away from zero) to -1, 0 or +1 times d. */
static float gk_ternary_scale(const float *x, float *id)
{
    float amax = 0.0f;
    for (int j = 0; j < GK_QK_K; j++)
        amax = fmaxf(amax, fabsf(x[j]));
    *id = gk_safe_inverse(amax);
    return amax;
}

static inline int gk_trit(float x, float id)
{
    return (int)lroundf(x * id) + 1; /* -1, 0, 1 -> 0, 1, 2 */
}

/* Packs digits (most significant first) into the fixed-point byte gk_tq1_digit reads. */
static uint8_t gk_tq1_pack(const float *x, size_t stride, int n_digits, float id)
{
    unsigned q = 0;
    for (int n = 0; n < n_digits; n++)
        q = q * 3 + (unsigned)gk_trit(x[(size_t)n * stride], id);
    for (int n = n_digits; n < 5; n++)
        q *= 3; /* four-digit bytes: the first digit still is the most significant */
    return (uint8_t)((q * 256 + 242) / 243); /* ceiling of q * 256 / 3^5 */
}

void gk_quant_tq1_0_scalar(const float *src, void *blocks, size_t n_blocks, const float *importance)
{
    (void)importance; /* direct rounding */
    gk_block_tq1_0 *y = blocks;
    for (size_t i = 0; i < n_blocks; i++) {
        const float *x = src + i * GK_QK_K;
        float id;
        y[i].d = (gk_f16){gk_f16_bits_from_f32(gk_ternary_scale(x, &id))};
        for (int m = 0; m < 32; m++)
            y[i].qs[m] = gk_tq1_pack(x + m, 32, 5, id);
        for (int m = 0; m < 16; m++)
            y[i].qs[32 + m] = gk_tq1_pack(x + 160 + m, 16, 5, id);
        for (int j = 0; j < 4; j++)
            y[i].qh[j] = gk_tq1_pack(x + 240 + j, 4, 4, id);
    }
}

void gk_quant_tq2_0_scalar(const float *src, void *blocks, size_t n_blocks, const float *importance)
{
    (void)importance;
    gk_block_tq2_0 *y = blocks;
    for (size_t i = 0; i < n_blocks; i++) {
        const float *x = src + i * GK_QK_K;
        float id;
        y[i].d = (gk_f16){gk_f16_bits_from_f32(gk_ternary_scale(x, &id))};
        memset(y[i].qs, 0, sizeof y[i].qs);
        for (int v = 0; v < GK_QK_K; v++)
            y[i].qs[32 * (v / 128) + v % 32] |=
                (uint8_t)((gk_trit(x[v], id) & 3) << (2 * ((v % 128) / 32)));
    }
}
