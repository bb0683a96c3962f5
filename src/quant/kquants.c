/* SPDX-License-Identifier: MIT */
/* The K-quants Q2_K..Q6_K and Q8_K (256-value super-blocks): scalar decoders (the reference
 * arithmetic of docs/formats.md, without FP contraction) and quantizers (ggml's reference
 * algorithms: without importance quantize_row_<t>_ref, with it quantize_row_<t>_impl; see
 * search.h). */
#include <math.h>
#include <string.h>

#include "core/half.h"
#include "quant/blocks.h"
#include "quant/search.h"
#include "scalar_ops/dequant_ref.h"

/* ---- decoders ------------------------------------------------------------------------- */

/* Q2_K: 16 groups of 16; group g of half h (128 values) takes its 2-bit codes from bits
 * 2 (g % 8 / 2).. of qs[32 h + 16 (g % 2) + l]. y = (d * sc) * q - (dmin * m). */
void gk_dequant_q2_k_scalar(const void *blocks, float *dst, size_t n_blocks)
{
    const gk_block_q2_k *b = blocks;
    for (size_t i = 0; i < n_blocks; i++) {
        const float d = gk_f32_from_f16(b[i].d), dmin = gk_f32_from_f16(b[i].dmin);
        for (int g = 0; g < 16; g++, dst += 16) {
            const uint8_t *q = b[i].qs + 32 * (g / 8) + 16 * (g % 2);
            const int shift = 2 * ((g % 8) / 2);
            const float dl = d * (float)(b[i].scales[g] & 0xF);
            const float ml = dmin * (float)(b[i].scales[g] >> 4);
            for (int l = 0; l < 16; l++)
                dst[l] = dl * (float)((q[l] >> shift) & 3) - ml;
        }
    }
}

/* Q3_K: codes (2 low bits as Q2_K, high bit in hmask bit g / 2 of hmask[16 (g % 2) + l]; a clear
 * high bit subtracts 4). y = (d * sc) * q with sc in -32..31. */
void gk_dequant_q3_k_scalar(const void *blocks, float *dst, size_t n_blocks)
{
    const gk_block_q3_k *b = blocks;
    for (size_t i = 0; i < n_blocks; i++) {
        const float d = gk_f32_from_f16(b[i].d);
        int8_t sc[16];
        gk_q3k_scales(b[i].scales, sc);
        for (int g = 0; g < 16; g++, dst += 16) {
            const uint8_t *q = b[i].qs + 32 * (g / 8) + 16 * (g % 2);
            const uint8_t *hm = b[i].hmask + 16 * (g % 2);
            const int shift = 2 * ((g % 8) / 2);
            const uint8_t hbit = (uint8_t)(1u << (g / 2));
            const float dl = d * (float)sc[g];
            for (int l = 0; l < 16; l++) {
                const int code = ((q[l] >> shift) & 3) - ((hm[l] & hbit) ? 0 : 4);
                dst[l] = dl * (float)code;
            }
        }
    }
}

/* The scalar tier of Q4_K is the reference the JIT lifts (one place for the format). */
void gk_dequant_q4_k_scalar(const void *blocks, float *dst, size_t n_blocks)
{
    gk_ref_dequant_q4_k(blocks, dst, n_blocks * GK_QK_K);
}

/* Q5_K: Q4_K plus a fifth bit: sub-block s takes bit s of qh[l]. */
void gk_dequant_q5_k_scalar(const void *blocks, float *dst, size_t n_blocks)
{
    const gk_block_q5_k *b = blocks;
    for (size_t i = 0; i < n_blocks; i++) {
        const float d = gk_f32_from_f16(b[i].d), dmin = gk_f32_from_f16(b[i].dmin);
        for (int s = 0; s < 8; s++, dst += 32) {
            uint8_t sc, m;
            gk_q4k_scale_min(b[i].scales, s, &sc, &m);
            const float d_sub = d * (float)sc, m_sub = dmin * (float)m;
            const uint8_t *q = b[i].qs + 32 * (s / 2);
            const int shift = 4 * (s % 2);
            for (int l = 0; l < 32; l++) {
                const int code = ((q[l] >> shift) & 0xF) | ((b[i].qh[l] >> s) & 1) << 4;
                dst[l] = d_sub * (float)code - m_sub;
            }
        }
    }
}

/* Q6_K: value v (0..255) of the block: half h = v / 128, r = v % 128, quarter k = r / 32,
 * l = r % 32; low nibble: ql[64 h + l + 32 (k % 2)] (low nibble for k < 2, high for k >= 2);
 * two high bits: bits 2k.. of qh[32 h + l]; code - 32; scale scales[8 h + 2 k + l / 16].
 * y = (d * sc) * q. */
void gk_dequant_q6_k_scalar(const void *blocks, float *dst, size_t n_blocks)
{
    const gk_block_q6_k *b = blocks;
    for (size_t i = 0; i < n_blocks; i++) {
        const float d = gk_f32_from_f16(b[i].d);
        for (int v = 0; v < GK_QK_K; v++) {
            const int h = v / 128, k = (v % 128) / 32, l = v % 32;
            const uint8_t low = b[i].ql[64 * h + l + 32 * (k % 2)] >> (4 * (k / 2));
            const uint8_t high = b[i].qh[32 * h + l] >> (2 * k);
            const int code = ((low & 0xF) | (high & 3) << 4) - 32;
            const float dl = d * (float)b[i].scales[8 * h + 2 * k + l / 16];
            dst[v] = dl * (float)code;
        }
        dst += GK_QK_K;
    }
}

/* Q8_K: y = d * q, d an f32. */
void gk_dequant_q8_k_scalar(const void *blocks, float *dst, size_t n_blocks)
{
    const gk_block_q8_k *b = blocks;
    for (size_t i = 0; i < n_blocks; i++, dst += GK_QK_K) {
        float d;
        memcpy(&d, &b[i].d, sizeof d);
        for (int j = 0; j < GK_QK_K; j++)
            dst[j] = d * (float)b[i].qs[j];
    }
}

/* ---- quantizer helpers ---------------------------------------------------------------- */

/* Packs 256 2-bit codes the Q2_K / Q3_K way: value 128 h + 32 k + l at bits 2k of
 * qs[32 h + l]. */
static void gk_pack_2bit(const uint8_t *L, uint8_t qs[64])
{
    for (int h = 0; h < 2; h++)
        for (int l = 0; l < 32; l++) {
            const uint8_t *c = L + 128 * h + l;
            qs[32 * h + l] = (uint8_t)(c[0] | c[32] << 2 | c[64] << 4 | c[96] << 6);
        }
}

/* Writes the eight 6-bit scales and mins of a Q4_K / Q5_K block (inverse of
 * gk_q4k_scale_min). */
static void gk_pack_q4k_scales(const uint8_t ls[8], const uint8_t lm[8], uint8_t scales[12])
{
    memset(scales, 0, 12);
    for (int j = 0; j < 8; j++) {
        if (j < 4) {
            scales[j] = ls[j];
            scales[j + 4] = lm[j];
        } else {
            scales[j + 4] = (uint8_t)((ls[j] & 0xF) | (lm[j] & 0xF) << 4);
            scales[j - 4] |= (uint8_t)((ls[j] >> 4) << 6);
            scales[j] |= (uint8_t)((lm[j] >> 4) << 6);
        }
    }
}

/* Final affine codes for the stored (rounded) scales: l = round((x + dmin m) / (d sc)). */
static void
gk_requantize_affine(const float *x, int n, float d_sub, float m_sub, int nmax, uint8_t *L)
{
    if (d_sub == 0.0f) return; /* keep the search's codes, as ggml does */
    for (int j = 0; j < n; j++)
        L[j] = (uint8_t)gk_clamp_int(gk_nearest_int((x[j] + m_sub) / d_sub), 0, nmax);
}

static float gk_sum_squares(const float *x, int n)
{
    float s = 0.0f;
    for (int j = 0; j < n; j++)
        s += x[j] * x[j];
    return s;
}

/* ---- Q2_K ------------------------------------------------------------------------------ */

void gk_quant_q2_k_scalar(const float *src, void *blocks, size_t n_blocks, const float *importance)
{
    gk_block_q2_k *y = blocks;
    for (size_t i = 0; i < n_blocks; i++) {
        const float *x = src + i * GK_QK_K;
        uint8_t L[GK_QK_K], Laux[16], Ls[16], Lm[16];
        float scales[16], mins[16], weight[16], sw[16];
        if (importance) {
            const float *qw_block = importance + i * GK_QK_K;
            const float sigma2 = gk_sum_squares(x, GK_QK_K) / (float)GK_QK_K;
            for (int g = 0; g < 16; g++) {
                const float *xg = x + 16 * g;
                for (int l = 0; l < 16; l++)
                    weight[l] = qw_block[16 * g + l] * sqrtf(sigma2 + xg[l] * xg[l]);
                sw[g] = 0.0f;
                for (int l = 0; l < 16; l++)
                    sw[g] += weight[l];
                scales[g] = gk_search_affine(16, 3, xg, weight, L + 16 * g, &mins[g], Laux, -0.9f,
                                             0.05f, 36, false);
            }
            const float dm = gk_search_positive(16, 15, scales, Ls, sw);
            const float mm = gk_search_positive(16, 15, mins, Lm, sw);
            y[i].d = gk_f16_from_f32(dm);
            y[i].dmin = gk_f16_from_f32(mm);
            for (int g = 0; g < 16; g++)
                y[i].scales[g] = (uint8_t)(Ls[g] | Lm[g] << 4);
        } else {
            float max_scale = 0.0f, max_min = 0.0f;
            for (int g = 0; g < 16; g++) {
                const float *xg = x + 16 * g;
                for (int l = 0; l < 16; l++)
                    weight[l] = fabsf(xg[l]);
                scales[g] = gk_search_affine(16, 3, xg, weight, L + 16 * g, &mins[g], Laux, -0.5f,
                                             0.1f, 15, true);
                if (scales[g] > max_scale) max_scale = scales[g];
                if (mins[g] > max_min) max_min = mins[g];
            }
            memset(y[i].scales, 0, sizeof y[i].scales);
            y[i].d = gk_f16_from_f32(0.0f);
            y[i].dmin = gk_f16_from_f32(0.0f);
            if (max_scale > 0.0f) {
                const float iscale = 15.0f / max_scale;
                for (int g = 0; g < 16; g++)
                    y[i].scales[g] = (uint8_t)gk_nearest_int(iscale * scales[g]);
                y[i].d = gk_f16_from_f32(max_scale / 15.0f);
            }
            if (max_min > 0.0f) {
                const float iscale = 15.0f / max_min;
                for (int g = 0; g < 16; g++)
                    y[i].scales[g] |= (uint8_t)(gk_nearest_int(iscale * mins[g]) << 4);
                y[i].dmin = gk_f16_from_f32(max_min / 15.0f);
            }
        }
        const float d = gk_f32_from_f16(y[i].d), dmin = gk_f32_from_f16(y[i].dmin);
        for (int g = 0; g < 16; g++) {
            const float d_sub = d * (float)(y[i].scales[g] & 0xF);
            const float m_sub = dmin * (float)(y[i].scales[g] >> 4);
            gk_requantize_affine(x + 16 * g, 16, d_sub, m_sub, 3, L + 16 * g);
        }
        gk_pack_2bit(L, y[i].qs);
    }
}

/* ---- Q3_K ------------------------------------------------------------------------------ */

/* Writes 6-bit scale code l (0..63) of group g into Q3_K's 12 scale bytes. */
static void gk_put_q3k_scale(uint8_t scales[12], int g, int l)
{
    if (g < 8)
        scales[g] |= (uint8_t)(l & 0xF);
    else
        scales[g - 8] |= (uint8_t)((l & 0xF) << 4);
    scales[8 + g % 4] |= (uint8_t)((l >> 4) << (2 * (g / 4)));
}

void gk_quant_q3_k_scalar(const float *src, void *blocks, size_t n_blocks, const float *importance)
{
    gk_block_q3_k *y = blocks;
    for (size_t i = 0; i < n_blocks; i++) {
        const float *x = src + i * GK_QK_K;
        int8_t L[GK_QK_K];
        float scales[16];
        memset(y[i].scales, 0, sizeof y[i].scales);
        if (importance) {
            const float *qw_block = importance + i * GK_QK_K;
            const float sigma2 = 2.0f * gk_sum_squares(x, GK_QK_K) / (float)GK_QK_K;
            float weight[16], sw[16];
            int8_t Ls[16];
            for (int g = 0; g < 16; g++) {
                const float *xg = x + 16 * g;
                for (int l = 0; l < 16; l++)
                    weight[l] = qw_block[16 * g + l] * sqrtf(sigma2 + xg[l] * xg[l]);
                sw[g] = 0.0f;
                for (int l = 0; l < 16; l++)
                    sw[g] += weight[l];
                scales[g] = gk_search_symmetric(16, 4, xg, L + 16 * g, weight);
            }
            const float d_block = gk_search_symmetric(16, 32, scales, Ls, sw);
            for (int g = 0; g < 16; g++)
                gk_put_q3k_scale(y[i].scales, g, Ls[g]);
            y[i].d = gk_f16_from_f32(d_block);
        } else {
            float max_scale = 0.0f, amax = 0.0f;
            for (int g = 0; g < 16; g++) {
                scales[g] = gk_search_q3(16, 4, x + 16 * g, L + 16 * g);
                if (fabsf(scales[g]) > amax) {
                    amax = fabsf(scales[g]);
                    max_scale = scales[g];
                }
            }
            y[i].d = gk_f16_from_f32(0.0f);
            if (max_scale != 0.0f) {
                const float iscale = -32.0f / max_scale;
                for (int g = 0; g < 16; g++) {
                    /* ggml narrows the rounded value to int8 before clamping */
                    const int l = (int8_t)gk_nearest_int(iscale * scales[g]);
                    gk_put_q3k_scale(y[i].scales, g, gk_clamp_int(l, -32, 31) + 32);
                }
                y[i].d = gk_f16_from_f32(1.0f / iscale);
            }
        }
        int8_t sc[16];
        gk_q3k_scales(y[i].scales, sc);
        const float d = gk_f32_from_f16(y[i].d);
        for (int g = 0; g < 16; g++) {
            const float d_sub = d * (float)sc[g];
            if (d_sub == 0.0f) continue;
            for (int l = 0; l < 16; l++) {
                const int q = gk_nearest_int(x[16 * g + l] / d_sub);
                L[16 * g + l] = (int8_t)(gk_clamp_int(q, -4, 3) + 4);
            }
        }
        /* High bits: value v's bit goes to hmask[v % 32], bit v / 32. */
        uint8_t low[GK_QK_K];
        memset(y[i].hmask, 0, sizeof y[i].hmask);
        for (int v = 0; v < GK_QK_K; v++) {
            int l = L[v];
            if (l > 3) {
                y[i].hmask[v % 32] |= (uint8_t)(1u << (v / 32));
                l -= 4;
            }
            low[v] = (uint8_t)l;
        }
        gk_pack_2bit(low, y[i].qs);
    }
}

/* ---- Q4_K and Q5_K (same scales; Q5_K adds a fifth code bit) ------------------------------ */

/* Searches the eight (scale, min) pairs of one super-block and stores them in the block's d,
 * dmin, scales; leaves the final codes in L. */
static void gk_quant_q45k_scales(const float *x,
                                 const float *qw_block,
                                 int nmax,
                                 gk_f16 *d_out,
                                 gk_f16 *dmin_out,
                                 uint8_t scales_out[12],
                                 uint8_t L[GK_QK_K])
{
    float scales[8], mins[8], weights[32];
    uint8_t Laux[32], Ls[8], Lm[8];
    if (qw_block) {
        const float sigma2 = 2.0f * gk_sum_squares(x, GK_QK_K) / (float)GK_QK_K;
        float sw[8];
        for (int s = 0; s < 8; s++) {
            const float *xs = x + 32 * s;
            for (int l = 0; l < 32; l++)
                weights[l] = qw_block[32 * s + l] * sqrtf(sigma2 + xs[l] * xs[l]);
            sw[s] = 0.0f;
            for (int l = 0; l < 32; l++)
                sw[s] += weights[l];
            scales[s] = gk_search_affine(32, nmax, xs, weights, L + 32 * s, &mins[s], Laux, -0.9f,
                                         0.05f, 36, false);
        }
        const float d_block = gk_search_positive(8, 63, scales, Ls, sw);
        const float m_block = gk_search_positive(8, 63, mins, Lm, sw);
        for (int s = 0; s < 8; s++) {
            if (Ls[s] > 63) Ls[s] = 63;
            if (Lm[s] > 63) Lm[s] = 63;
        }
        *d_out = gk_f16_from_f32(d_block);
        *dmin_out = gk_f16_from_f32(m_block);
    } else {
        /* ggml's unweighted search differs between Q4_K (rmin -1, 20 steps) and Q5_K (-0.5,
         * 15 steps). */
        const float rmin = nmax == 15 ? -1.0f : -0.5f;
        const int nstep = nmax == 15 ? 20 : 15;
        float max_scale = 0.0f, max_min = 0.0f;
        for (int s = 0; s < 8; s++) {
            const float *xs = x + 32 * s;
            const float av_x = sqrtf(gk_sum_squares(xs, 32) / 32.0f);
            for (int l = 0; l < 32; l++)
                weights[l] = av_x + fabsf(xs[l]);
            scales[s] = gk_search_affine(32, nmax, xs, weights, L + 32 * s, &mins[s], Laux, rmin,
                                         0.1f, nstep, false);
            if (scales[s] > max_scale) max_scale = scales[s];
            if (mins[s] > max_min) max_min = mins[s];
        }
        const float inv_scale = max_scale > 0.0f ? 63.0f / max_scale : 0.0f;
        const float inv_min = max_min > 0.0f ? 63.0f / max_min : 0.0f;
        for (int s = 0; s < 8; s++) {
            /* ggml narrows to uint8 before taking the minimum with 63 */
            const uint8_t ls = (uint8_t)gk_nearest_int(inv_scale * scales[s]);
            const uint8_t lm = (uint8_t)gk_nearest_int(inv_min * mins[s]);
            Ls[s] = ls < 63 ? ls : 63;
            Lm[s] = lm < 63 ? lm : 63;
        }
        *d_out = gk_f16_from_f32(max_scale / 63.0f);
        *dmin_out = gk_f16_from_f32(max_min / 63.0f);
    }
    gk_pack_q4k_scales(Ls, Lm, scales_out);
    const float d = gk_f32_from_f16(*d_out), dmin = gk_f32_from_f16(*dmin_out);
    for (int s = 0; s < 8; s++) {
        uint8_t sc, m;
        gk_q4k_scale_min(scales_out, s, &sc, &m);
        gk_requantize_affine(x + 32 * s, 32, d * (float)sc, dmin * (float)m, nmax, L + 32 * s);
    }
}

void gk_quant_q4_k_scalar(const float *src, void *blocks, size_t n_blocks, const float *importance)
{
    gk_block_q4_k *y = blocks;
    for (size_t i = 0; i < n_blocks; i++) {
        uint8_t L[GK_QK_K];
        gk_quant_q45k_scales(src + i * GK_QK_K, importance ? importance + i * GK_QK_K : NULL, 15,
                             &y[i].d, &y[i].dmin, y[i].scales, L);
        for (int h = 0; h < 4; h++)
            for (int l = 0; l < 32; l++)
                y[i].qs[32 * h + l] = (uint8_t)(L[64 * h + l] | L[64 * h + 32 + l] << 4);
    }
}

void gk_quant_q5_k_scalar(const float *src, void *blocks, size_t n_blocks, const float *importance)
{
    gk_block_q5_k *y = blocks;
    for (size_t i = 0; i < n_blocks; i++) {
        uint8_t L[GK_QK_K];
        gk_quant_q45k_scales(src + i * GK_QK_K, importance ? importance + i * GK_QK_K : NULL, 31,
                             &y[i].d, &y[i].dmin, y[i].scales, L);
        memset(y[i].qh, 0, sizeof y[i].qh);
        for (int h = 0; h < 4; h++)
            for (int l = 0; l < 32; l++) {
                const int lo = L[64 * h + l], hi = L[64 * h + 32 + l];
                y[i].qs[32 * h + l] = (uint8_t)((lo & 0xF) | (hi & 0xF) << 4);
                y[i].qh[l] |= (uint8_t)(((lo >> 4) << (2 * h)) | ((hi >> 4) << (2 * h + 1)));
            }
    }
}

/* ---- Q6_K ------------------------------------------------------------------------------ */

void gk_quant_q6_k_scalar(const float *src, void *blocks, size_t n_blocks, const float *importance)
{
    gk_block_q6_k *y = blocks;
    for (size_t i = 0; i < n_blocks; i++) {
        const float *x = src + i * GK_QK_K;
        int8_t L[GK_QK_K];
        float scales[16], max_scale = 0.0f, max_abs_scale = 0.0f;
        for (int g = 0; g < 16; g++) {
            const float *qw = importance ? importance + i * GK_QK_K + 16 * g : NULL;
            scales[g] = gk_search_symmetric(16, 32, x + 16 * g, L + 16 * g, qw);
            if (fabsf(scales[g]) > max_abs_scale) {
                max_abs_scale = fabsf(scales[g]);
                max_scale = scales[g];
            }
        }
        if (max_abs_scale < GK_GROUP_MAX_EPS) {
            memset(&y[i], 0, sizeof y[i]);
            continue;
        }
        const float iscale = -128.0f / max_scale;
        y[i].d = gk_f16_from_f32(1.0f / iscale);
        for (int g = 0; g < 16; g++) {
            const int l = gk_nearest_int(iscale * scales[g]);
            y[i].scales[g] = (int8_t)(l < 127 ? l : 127);
        }
        const float d = gk_f32_from_f16(y[i].d);
        for (int g = 0; g < 16; g++) {
            const float d_sub = d * (float)y[i].scales[g];
            if (d_sub == 0.0f) continue;
            for (int l = 0; l < 16; l++) {
                const int q = gk_nearest_int(x[16 * g + l] / d_sub);
                L[16 * g + l] = (int8_t)(gk_clamp_int(q, -32, 31) + 32);
            }
        }
        for (int h = 0; h < 2; h++)
            for (int l = 0; l < 32; l++) {
                const int8_t *c = L + 128 * h + l;
                y[i].ql[64 * h + l] = (uint8_t)((c[0] & 0xF) | (c[64] & 0xF) << 4);
                y[i].ql[64 * h + 32 + l] = (uint8_t)((c[32] & 0xF) | (c[96] & 0xF) << 4);
                y[i].qh[32 * h + l] = (uint8_t)((c[0] >> 4) | (c[32] >> 4) << 2 |
                                                (c[64] >> 4) << 4 | (c[96] >> 4) << 6);
            }
    }
}

/* ---- Q8_K: exactly as ggml defines it (it quantizes activations) -------------------------- */

void gk_quant_q8_k_scalar(const float *src, void *blocks, size_t n_blocks, const float *importance)
{
    (void)importance; /* direct rounding */
    gk_block_q8_k *y = blocks;
    for (size_t i = 0; i < n_blocks; i++) {
        const float *x = src + i * GK_QK_K;
        float max = 0.0f, amax = 0.0f;
        for (int j = 0; j < GK_QK_K; j++) {
            if (fabsf(x[j]) > amax) {
                amax = fabsf(x[j]);
                max = x[j];
            }
        }
        memset(&y[i], 0, sizeof y[i]);
        if (amax == 0.0f) continue; /* d = 0, all codes and sums 0 */
        /* -127 / max (not -128): the extreme value maps to -127, every code fits int8. */
        const float iscale = -127.0f / max;
        for (int j = 0; j < GK_QK_K; j++) {
            const int v = gk_nearest_int(iscale * x[j]);
            y[i].qs[j] = (int8_t)(v < 127 ? v : 127);
        }
        for (int g = 0; g < 16; g++) {
            int sum = 0;
            for (int l = 0; l < 16; l++)
                sum += y[i].qs[16 * g + l];
            y[i].bsums[g] = (int16_t)sum;
        }
        const float d = 1.0f / iscale;
        memcpy(&y[i].d, &d, sizeof d);
    }
}
