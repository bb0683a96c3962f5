/* SPDX-License-Identifier: MIT */
/* The 32-value GGUF formats Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, Q8_1: scalar decoders (the reference
 * arithmetic of docs/formats.md) and quantizers (ggml's reference algorithms, see search.h). */
#include <math.h>
#include <string.h>

#include "core/half.h"
#include "quant/blocks.h"
#include "quant/search.h"
#include "scalar_ops/dequant_ref.h"

enum { GK_QK32 = 32 };

/* ---- decoders ------------------------------------------------------------------------- */

void gk_dequant_q4_0_scalar(const void *blocks, float *dst, size_t n_blocks)
{
    const gk_block_q4_0 *b = blocks;
    for (size_t i = 0; i < n_blocks; i++, dst += GK_QK32) {
        const float d = gk_f32_from_f16(b[i].d);
        for (int j = 0; j < 16; j++) {
            dst[j] = (float)((b[i].qs[j] & 0xF) - 8) * d;
            dst[j + 16] = (float)((b[i].qs[j] >> 4) - 8) * d;
        }
    }
}

void gk_dequant_q4_1_scalar(const void *blocks, float *dst, size_t n_blocks)
{
    const gk_block_q4_1 *b = blocks;
    for (size_t i = 0; i < n_blocks; i++, dst += GK_QK32) {
        const float d = gk_f32_from_f16(b[i].d), m = gk_f32_from_f16(b[i].m);
        for (int j = 0; j < 16; j++) {
            dst[j] = (float)(b[i].qs[j] & 0xF) * d + m;
            dst[j + 16] = (float)(b[i].qs[j] >> 4) * d + m;
        }
    }
}

static inline uint32_t gk_load_u32le(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

void gk_dequant_q5_0_scalar(const void *blocks, float *dst, size_t n_blocks)
{
    const gk_block_q5_0 *b = blocks;
    for (size_t i = 0; i < n_blocks; i++, dst += GK_QK32) {
        const float d = gk_f32_from_f16(b[i].d);
        const uint32_t qh = gk_load_u32le(b[i].qh);
        for (int j = 0; j < 16; j++) {
            const int lo = (int)((b[i].qs[j] & 0xF) | ((qh >> j) & 1) << 4);
            const int hi = (int)((b[i].qs[j] >> 4) | ((qh >> (j + 16)) & 1) << 4);
            dst[j] = (float)(lo - 16) * d;
            dst[j + 16] = (float)(hi - 16) * d;
        }
    }
}

void gk_dequant_q5_1_scalar(const void *blocks, float *dst, size_t n_blocks)
{
    const gk_block_q5_1 *b = blocks;
    for (size_t i = 0; i < n_blocks; i++, dst += GK_QK32) {
        const float d = gk_f32_from_f16(b[i].d), m = gk_f32_from_f16(b[i].m);
        const uint32_t qh = gk_load_u32le(b[i].qh);
        for (int j = 0; j < 16; j++) {
            const int lo = (int)((b[i].qs[j] & 0xF) | ((qh >> j) & 1) << 4);
            const int hi = (int)((b[i].qs[j] >> 4) | ((qh >> (j + 16)) & 1) << 4);
            dst[j] = (float)lo * d + m;
            dst[j + 16] = (float)hi * d + m;
        }
    }
}

/* The scalar tier of Q8_0 is the reference the JIT lifts (one place for the format). */
void gk_dequant_q8_0_scalar(const void *blocks, float *dst, size_t n_blocks)
{
    gk_ref_dequant_q8_0(blocks, dst, n_blocks * GK_QK32);
}

void gk_dequant_q8_1_scalar(const void *blocks, float *dst, size_t n_blocks)
{
    const gk_block_q8_1 *b = blocks;
    for (size_t i = 0; i < n_blocks; i++, dst += GK_QK32) {
        const float d = gk_f32_from_f16(b[i].d);
        for (int j = 0; j < GK_QK32; j++)
            dst[j] = (float)b[i].qs[j] * d;
    }
}

/* ---- quantizers ----------------------------------------------------------------------- */

/* ggml's weights for a 32-value block with importance: qw * sqrt(sigma2 + x^2), sigma2 the mean
 * square (ggml takes it over the row; this API has no rows, so over the block). */
static void gk_importance_weights(const float *x, const float *qw, float *weight)
{
    float sum_x2 = 0.0f;
    for (int j = 0; j < GK_QK32; j++)
        sum_x2 += x[j] * x[j];
    const float sigma2 = sum_x2 / (float)GK_QK32;
    for (int j = 0; j < GK_QK32; j++)
        weight[j] = qw[j] * sqrtf(sigma2 + x[j] * x[j]);
}

/* The value of largest magnitude (first on ties). */
static float gk_extreme(const float *x, int n)
{
    float amax = 0.0f, max = 0.0f;
    for (int j = 0; j < n; j++) {
        if (amax < fabsf(x[j])) {
            amax = fabsf(x[j]);
            max = x[j];
        }
    }
    return max;
}

void gk_quant_q4_0_scalar(const float *src, void *blocks, size_t n_blocks, const float *importance)
{
    gk_block_q4_0 *y = blocks;
    for (size_t i = 0; i < n_blocks; i++) {
        const float *x = src + i * GK_QK32;
        if (importance) {
            float weight[GK_QK32];
            int8_t L[GK_QK32];
            gk_importance_weights(x, importance + i * GK_QK32, weight);
            y[i].d = gk_f16_from_f32(gk_search_symmetric(GK_QK32, 8, x, L, weight));
            for (int j = 0; j < 16; j++)
                y[i].qs[j] = (uint8_t)(L[j] | L[j + 16] << 4);
            continue;
        }
        /* The extreme value maps to code 0 (-8 d); codes round half up from the offset 8.5. */
        const float d = gk_extreme(x, GK_QK32) / -8.0f;
        const float id = gk_safe_inverse(d);
        y[i].d = gk_f16_from_f32(d);
        for (int j = 0; j < 16; j++) {
            const int lo = gk_clamp_int((int)(x[j] * id + 8.5f), 0, 15);
            const int hi = gk_clamp_int((int)(x[j + 16] * id + 8.5f), 0, 15);
            y[i].qs[j] = (uint8_t)(lo | hi << 4);
        }
    }
}

static void gk_minmax(const float *x, int n, float *min_out, float *max_out)
{
    float min = x[0], max = x[0];
    for (int j = 1; j < n; j++) {
        if (x[j] < min) min = x[j];
        if (x[j] > max) max = x[j];
    }
    *min_out = min;
    *max_out = max;
}

/* Q4_1 / Q5_1 codes with importance: the affine search (ggml: make_qkx3_quants). */
static float gk_affine_weighted(const float *x, const float *qw, int nmax, uint8_t *L, float *m)
{
    float weight[GK_QK32], neg_min;
    uint8_t Laux[GK_QK32];
    gk_importance_weights(x, qw, weight);
    const float d =
        gk_search_affine(GK_QK32, nmax, x, weight, L, &neg_min, Laux, -0.9f, 0.05f, 36, false);
    *m = -neg_min;
    return d;
}

void gk_quant_q4_1_scalar(const float *src, void *blocks, size_t n_blocks, const float *importance)
{
    gk_block_q4_1 *y = blocks;
    for (size_t i = 0; i < n_blocks; i++) {
        const float *x = src + i * GK_QK32;
        if (importance) {
            uint8_t L[GK_QK32];
            float m;
            const float d = gk_affine_weighted(x, importance + i * GK_QK32, 15, L, &m);
            y[i].d = gk_f16_from_f32(d);
            y[i].m = gk_f16_from_f32(m);
            for (int j = 0; j < 16; j++)
                y[i].qs[j] = (uint8_t)(L[j] | L[j + 16] << 4);
            continue;
        }
        float min, max;
        gk_minmax(x, GK_QK32, &min, &max);
        const float d = (max - min) / 15.0f;
        const float id = gk_safe_inverse(d);
        y[i].d = gk_f16_from_f32(d);
        y[i].m = gk_f16_from_f32(min);
        for (int j = 0; j < 16; j++) {
            const int lo = gk_clamp_int((int)((x[j] - min) * id + 0.5f), 0, 15);
            const int hi = gk_clamp_int((int)((x[j + 16] - min) * id + 0.5f), 0, 15);
            y[i].qs[j] = (uint8_t)(lo | hi << 4);
        }
    }
}

/* Packs 32 five-bit codes: low nibbles into qs (element j and j + 16 share byte j), the fifth
 * bits into the little-endian u32 qh (bit j for element j). */
static void gk_pack_q5(const int *codes, uint8_t qs[16], uint8_t qh_bytes[4])
{
    uint32_t qh = 0;
    for (int j = 0; j < 16; j++) {
        qs[j] = (uint8_t)((codes[j] & 0xF) | (codes[j + 16] & 0xF) << 4);
        qh |= (uint32_t)((codes[j] >> 4) & 1) << j;
        qh |= (uint32_t)((codes[j + 16] >> 4) & 1) << (j + 16);
    }
    for (int k = 0; k < 4; k++)
        qh_bytes[k] = (uint8_t)(qh >> (8 * k));
}

void gk_quant_q5_0_scalar(const float *src, void *blocks, size_t n_blocks, const float *importance)
{
    gk_block_q5_0 *y = blocks;
    for (size_t i = 0; i < n_blocks; i++) {
        const float *x = src + i * GK_QK32;
        int codes[GK_QK32];
        if (importance) {
            float weight[GK_QK32];
            int8_t L[GK_QK32];
            gk_importance_weights(x, importance + i * GK_QK32, weight);
            y[i].d = gk_f16_from_f32(gk_search_symmetric(GK_QK32, 16, x, L, weight));
            for (int j = 0; j < GK_QK32; j++)
                codes[j] = L[j];
        } else {
            const float d = gk_extreme(x, GK_QK32) / -16.0f;
            const float id = gk_safe_inverse(d);
            y[i].d = gk_f16_from_f32(d);
            for (int j = 0; j < GK_QK32; j++)
                codes[j] = gk_clamp_int((int)(x[j] * id + 16.5f), 0, 31);
        }
        gk_pack_q5(codes, y[i].qs, y[i].qh);
    }
}

void gk_quant_q5_1_scalar(const float *src, void *blocks, size_t n_blocks, const float *importance)
{
    gk_block_q5_1 *y = blocks;
    for (size_t i = 0; i < n_blocks; i++) {
        const float *x = src + i * GK_QK32;
        int codes[GK_QK32];
        if (importance) {
            uint8_t L[GK_QK32];
            float m;
            const float d = gk_affine_weighted(x, importance + i * GK_QK32, 31, L, &m);
            y[i].d = gk_f16_from_f32(d);
            y[i].m = gk_f16_from_f32(m);
            for (int j = 0; j < GK_QK32; j++)
                codes[j] = L[j];
        } else {
            float min, max;
            gk_minmax(x, GK_QK32, &min, &max);
            const float d = (max - min) / 31.0f;
            const float id = gk_safe_inverse(d);
            y[i].d = gk_f16_from_f32(d);
            y[i].m = gk_f16_from_f32(min);
            for (int j = 0; j < GK_QK32; j++)
                codes[j] = gk_clamp_int((int)((x[j] - min) * id + 0.5f), 0, 31);
        }
        gk_pack_q5(codes, y[i].qs, y[i].qh);
    }
}

/* Q8_0 exactly as ggml defines it (it quantizes activations): d = amax / 127 rounded to f16,
 * codes roundf(x / d) with the unrounded d's reciprocal. */
void gk_quant_q8_0_scalar(const float *src, void *blocks, size_t n_blocks, const float *importance)
{
    (void)importance; /* direct rounding: nothing to steer */
    gk_block_q8_0 *y = blocks;
    for (size_t i = 0; i < n_blocks; i++) {
        const float *x = src + i * GK_QK32;
        float amax = 0.0f;
        for (int j = 0; j < GK_QK32; j++)
            amax = fmaxf(amax, fabsf(x[j]));
        const float d = amax / 127.0f;
        const float id = gk_safe_inverse(d);
        y[i].d = gk_f16_from_f32(d);
        for (int j = 0; j < GK_QK32; j++)
            y[i].qs[j] = (int8_t)roundf(x[j] * id);
    }
}

/* Q8_1: Q8_0's codes plus s = f16(sum(codes) * d) (ggml's quantize_row_q8_1_ref). */
void gk_quant_q8_1_scalar(const float *src, void *blocks, size_t n_blocks, const float *importance)
{
    (void)importance;
    gk_block_q8_1 *y = blocks;
    for (size_t i = 0; i < n_blocks; i++) {
        const float *x = src + i * GK_QK32;
        float amax = 0.0f;
        for (int j = 0; j < GK_QK32; j++)
            amax = fmaxf(amax, fabsf(x[j]));
        const float d = amax / 127.0f;
        const float id = gk_safe_inverse(d);
        y[i].d = gk_f16_from_f32(d);
        int sum = 0;
        for (int j = 0; j < GK_QK32; j++) {
            y[i].qs[j] = (int8_t)roundf(x[j] * id);
            sum += y[i].qs[j];
        }
        y[i].s = gk_f16_from_f32((float)sum * d);
    }
}
