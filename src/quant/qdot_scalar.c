/* SPDX-License-Identifier: MIT */
/* The scalar tier of the quantized dot products: plain loops that define the arithmetic every
 * tier reproduces (src/quant/qdot.h). Integer sums are exact (int32 cannot overflow: at most
 * 256 products of |q| <= 63 by |xq| <= 127 times a 6-bit scale per super-block); the f32 steps
 * are written one operation at a time (the library is built without FP contraction). */
#include "core/half.h"
#include "quant/iq.h"
#include "quant/qdot.h"

/* The row loop every scalar kernel shares: y[r] = <fmt>_row(weight row r, xq, n_blocks). */
#define GK_QDOT_SCALAR(fmt)                                                                      \
    void gk_qdot_##fmt##_scalar(const void *w, size_t w_stride, const void *xq, size_t n_blocks, \
                                float *y, size_t n_rows)                                         \
    {                                                                                            \
        for (size_t r = 0; r < n_rows; r++)                                                      \
            y[r] = gk_qd_row_##fmt((const char *)w + r * w_stride, xq, n_blocks);                \
    }

/* ---- 32-value formats against Q8_0 / Q8_1 ------------------------------------------------- */

/* sum over one block of code * xq; code(j) is the weight's signed integer code of element j. */
#define GK_QD_ISUM32(code, xqs)  \
    int32_t isum = 0;            \
    for (int j = 0; j < 32; j++) \
        isum += (int32_t)(code) * (xqs)[j];

static float gk_qd_row_q8_0(const void *w, const void *xq, size_t n_blocks)
{
    const gk_block_q8_0 *b = w;
    const gk_block_q8_0 *x = xq;
    float acc = 0.0f;
    for (size_t i = 0; i < n_blocks; i++) {
        GK_QD_ISUM32(b[i].qs[j], x[i].qs)
        acc += gk_f32_from_f16(b[i].d) * gk_f32_from_f16(x[i].d) * (float)isum;
    }
    return acc;
}

static float gk_qd_row_q4_0(const void *w, const void *xq, size_t n_blocks)
{
    const gk_block_q4_0 *b = w;
    const gk_block_q8_0 *x = xq;
    float acc = 0.0f;
    for (size_t i = 0; i < n_blocks; i++) {
        GK_QD_ISUM32(((j < 16 ? b[i].qs[j] & 0xF : b[i].qs[j - 16] >> 4) - 8), x[i].qs)
        acc += gk_f32_from_f16(b[i].d) * gk_f32_from_f16(x[i].d) * (float)isum;
    }
    return acc;
}

/* The fifth bit of element j of a Q5_0 / Q5_1 block: bit j of its little-endian qh word. */
static inline int gk_qd_q5_high(const uint8_t qh[4], int j)
{
    return (qh[j / 8] >> (j % 8)) & 1;
}

static float gk_qd_row_q5_0(const void *w, const void *xq, size_t n_blocks)
{
    const gk_block_q5_0 *b = w;
    const gk_block_q8_0 *x = xq;
    float acc = 0.0f;
    for (size_t i = 0; i < n_blocks; i++) {
        GK_QD_ISUM32(((j < 16 ? b[i].qs[j] & 0xF : b[i].qs[j - 16] >> 4) |
                      (gk_qd_q5_high(b[i].qh, j) << 4)) -
                         16,
                     x[i].qs)
        acc += gk_f32_from_f16(b[i].d) * gk_f32_from_f16(x[i].d) * (float)isum;
    }
    return acc;
}

/* With a min m: sum of (d q + m) x = d dx isum + m (dx sum(xq)), the last factor being Q8_1's s. */
static float gk_qd_row_q4_1(const void *w, const void *xq, size_t n_blocks)
{
    const gk_block_q4_1 *b = w;
    const gk_block_q8_1 *x = xq;
    float acc = 0.0f;
    for (size_t i = 0; i < n_blocks; i++) {
        GK_QD_ISUM32((j < 16 ? b[i].qs[j] & 0xF : b[i].qs[j - 16] >> 4), x[i].qs)
        acc += gk_f32_from_f16(b[i].d) * gk_f32_from_f16(x[i].d) * (float)isum +
               gk_f32_from_f16(b[i].m) * gk_f32_from_f16(x[i].s);
    }
    return acc;
}

static float gk_qd_row_q5_1(const void *w, const void *xq, size_t n_blocks)
{
    const gk_block_q5_1 *b = w;
    const gk_block_q8_1 *x = xq;
    float acc = 0.0f;
    for (size_t i = 0; i < n_blocks; i++) {
        GK_QD_ISUM32(
            ((j < 16 ? b[i].qs[j] & 0xF : b[i].qs[j - 16] >> 4) | (gk_qd_q5_high(b[i].qh, j) << 4)),
            x[i].qs)
        acc += gk_f32_from_f16(b[i].d) * gk_f32_from_f16(x[i].d) * (float)isum +
               gk_f32_from_f16(b[i].m) * gk_f32_from_f16(x[i].s);
    }
    return acc;
}

/* ---- K-quants against Q8_K ---------------------------------------------------------------- */

/* sum over the 16 values of group g (elements 16 g ..) of code(l) * xq */
static inline int32_t gk_qd_group16(const int8_t *xqs, int g, const int8_t codes[16])
{
    int32_t s = 0;
    for (int l = 0; l < 16; l++)
        s += (int32_t)codes[l] * xqs[16 * g + l];
    return s;
}

static float gk_qd_row_q2_k(const void *w, const void *xq, size_t n_blocks)
{
    const gk_block_q2_k *b = w;
    const gk_block_q8_k *x = xq;
    float acc = 0.0f;
    for (size_t i = 0; i < n_blocks; i++) {
        int32_t isum = 0, msum = 0;
        for (int g = 0; g < 16; g++) {
            const uint8_t *q = b[i].qs + 32 * (g / 8) + 16 * (g % 2);
            const int shift = 2 * ((g % 8) / 2);
            int8_t codes[16];
            for (int l = 0; l < 16; l++)
                codes[l] = (int8_t)((q[l] >> shift) & 3);
            isum += (b[i].scales[g] & 0xF) * gk_qd_group16(x[i].qs, g, codes);
            msum += (b[i].scales[g] >> 4) * x[i].bsums[g];
        }
        acc = gk_qdot_kquant_step(acc, gk_f32_from_f16(b[i].d), gk_f32_from_f16(b[i].dmin), x[i].d,
                                  isum, msum);
    }
    return acc;
}

static float gk_qd_row_q3_k(const void *w, const void *xq, size_t n_blocks)
{
    const gk_block_q3_k *b = w;
    const gk_block_q8_k *x = xq;
    float acc = 0.0f;
    for (size_t i = 0; i < n_blocks; i++) {
        int8_t sc[16];
        gk_q3k_scales(b[i].scales, sc);
        int32_t isum = 0;
        for (int g = 0; g < 16; g++) {
            const uint8_t *q = b[i].qs + 32 * (g / 8) + 16 * (g % 2);
            const uint8_t *hm = b[i].hmask + 16 * (g % 2);
            const int shift = 2 * ((g % 8) / 2);
            const uint8_t hbit = (uint8_t)(1u << (g / 2));
            int8_t codes[16];
            for (int l = 0; l < 16; l++)
                codes[l] = (int8_t)(((q[l] >> shift) & 3) - ((hm[l] & hbit) ? 0 : 4));
            isum += sc[g] * gk_qd_group16(x[i].qs, g, codes);
        }
        acc = gk_qdot_kquant_step(acc, gk_f32_from_f16(b[i].d), 0.0f, x[i].d, isum, 0);
    }
    return acc;
}

/* Q4_K / Q5_K: eight sub-blocks of 32 with a 6-bit scale and min each; the code of element l of
 * sub-block s is a nibble of qs[32 (s / 2) + l] (low for even s), plus for Q5_K bit s of qh[l]
 * as its fifth bit. */
#define GK_QD_ROW_Q45K(fmt, fifth_bit)                                                          \
    static float gk_qd_row_##fmt(const void *w, const void *xq, size_t n_blocks)                \
    {                                                                                           \
        const gk_block_##fmt *b = w;                                                            \
        const gk_block_q8_k *x = xq;                                                            \
        float acc = 0.0f;                                                                       \
        for (size_t i = 0; i < n_blocks; i++) {                                                 \
            int32_t isum = 0, msum = 0;                                                         \
            for (int s = 0; s < 8; s++) {                                                       \
                uint8_t sc, m;                                                                  \
                gk_q4k_scale_min(b[i].scales, s, &sc, &m);                                      \
                const uint8_t *q = b[i].qs + 32 * (s / 2);                                      \
                int32_t sub = 0;                                                                \
                for (int l = 0; l < 32; l++) {                                                  \
                    const int code = ((s % 2 ? q[l] >> 4 : q[l] & 0xF) | (fifth_bit));          \
                    sub += code * x[i].qs[32 * s + l];                                          \
                }                                                                               \
                isum += sc * sub;                                                               \
                msum += m * (x[i].bsums[2 * s] + x[i].bsums[2 * s + 1]);                        \
            }                                                                                   \
            acc = gk_qdot_kquant_step(acc, gk_f32_from_f16(b[i].d), gk_f32_from_f16(b[i].dmin), \
                                      x[i].d, isum, msum);                                      \
        }                                                                                       \
        return acc;                                                                             \
    }
GK_QD_ROW_Q45K(q4_k, 0)
GK_QD_ROW_Q45K(q5_k, ((b[i].qh[l] >> s) & 1) << 4)

/* Q6_K: sixteen groups of 16 with a signed 8-bit scale; element 128 h + 32 k + l (k = 0..3,
 * l = 0..31) has the 4 low bits from ql[64 h + l + 32 (k % 2)] (low nibble for k < 2) and the
 * 2 high bits from bits 2 k.. of qh[32 h + l], minus 32; its group is 8 h + 2 k + l / 16. */
static float gk_qd_row_q6_k(const void *w, const void *xq, size_t n_blocks)
{
    const gk_block_q6_k *b = w;
    const gk_block_q8_k *x = xq;
    float acc = 0.0f;
    for (size_t i = 0; i < n_blocks; i++) {
        int32_t isum = 0;
        for (int h = 0; h < 2; h++)
            for (int k = 0; k < 4; k++)
                for (int half = 0; half < 2; half++) {
                    int32_t sub = 0;
                    for (int l = 16 * half; l < 16 * half + 16; l++) {
                        const uint8_t lo = b[i].ql[64 * h + l + 32 * (k % 2)];
                        const int low = k < 2 ? lo & 0xF : lo >> 4;
                        const int high = (b[i].qh[32 * h + l] >> (2 * k)) & 3;
                        sub += (low | (high << 4)) * x[i].qs[128 * h + 32 * k + l];
                    }
                    /* the -32 offset of the codes, through the activation's group sums */
                    sub -= 32 * x[i].bsums[8 * h + 2 * k + half];
                    isum += b[i].scales[8 * h + 2 * k + half] * sub;
                }
        acc = gk_qdot_kquant_step(acc, gk_f32_from_f16(b[i].d), 0.0f, x[i].d, isum, 0);
    }
    return acc;
}

/* Q8_K against Q8_K (weights stored at 8 bits with an f32 scale): the plain integer sum of the
 * 256 products, then the K-quants' f32 step (no min). */
static float gk_qd_row_q8_k(const void *w, const void *xq, size_t n_blocks)
{
    const gk_block_q8_k *b = w;
    const gk_block_q8_k *x = xq;
    float acc = 0.0f;
    for (size_t i = 0; i < n_blocks; i++) {
        int32_t isum = 0;
        for (int e = 0; e < GK_QK_K; e++)
            isum += b[i].qs[e] * x[i].qs[e];
        acc = gk_qdot_kquant_step(acc, b[i].d, 0.0f, x[i].d, isum, 0);
    }
    return acc;
}

/* ---- ternary and 128-value formats --------------------------------------------------------- */

/* TQ2_0 against Q8_K: element 128 h + 32 l + m has code (qs[32 h + m] >> 2 l) & 3, value
 * (code - 1) d; the f32 step is the K-quants'. */
static float gk_qd_row_tq2_0(const void *w, const void *xq, size_t n_blocks)
{
    const gk_block_tq2_0 *b = w;
    const gk_block_q8_k *x = xq;
    float acc = 0.0f;
    for (size_t i = 0; i < n_blocks; i++) {
        int32_t isum = 0;
        for (int e = 0; e < GK_QK_K; e++) {
            const int code = (b[i].qs[32 * (e / 128) + e % 32] >> (2 * ((e % 128) / 32))) & 3;
            isum += (code - 1) * x[i].qs[e];
        }
        acc = gk_qdot_kquant_step(acc, gk_f32_from_f16(b[i].d), 0.0f, x[i].d, isum, 0);
    }
    return acc;
}

/* AWQ4 / GPTQ4 against Q8_0: a 128-value block (scale s, zero point z) spans four activation
 * blocks c; sum of (q - z) s dx_c xq = s dx_c (isum_c - z xsum_c), in f32 per chunk. */
static float gk_qd_row_awq4(const void *w, const void *xq, size_t n_blocks)
{
    const gk_block_awq4 *b = w;
    const gk_block_q8_0 *x = xq;
    float acc = 0.0f;
    for (size_t i = 0; i < n_blocks; i++) {
        const float s = gk_f32_from_f16(b[i].scale), z = gk_f32_from_f16(b[i].zero_point);
        for (int c = 0; c < 4; c++) {
            const gk_block_q8_0 *xc = &x[4 * i + c];
            int32_t isum = 0, xsum = 0;
            for (int j = 0; j < 32; j++) {
                const int e = 32 * c + j;
                isum += (int32_t)((b[i].qs[e / 8] >> (4 * (e % 8))) & 0xF) * xc->qs[j];
                xsum += xc->qs[j];
            }
            const float centred = (float)isum - z * (float)xsum;
            acc += s * gk_f32_from_f16(xc->d) * centred;
        }
    }
    return acc;
}

/* IQ4_XS against Q8_K: eight sub-blocks of 32 with a 6-bit scale ls (low nibble from scales_l,
 * two high bits from scales_h) offset by 32; element l < 16 of sub-block s is the non-linear
 * value of the low nibble of qs[16 s + l], element l + 16 that of its high nibble. */
static float gk_qd_row_iq4_xs(const void *w, const void *xq, size_t n_blocks)
{
    const gk_block_iq4_xs *b = w;
    const gk_block_q8_k *x = xq;
    float acc = 0.0f;
    for (size_t i = 0; i < n_blocks; i++) {
        int32_t isum = 0;
        for (int s = 0; s < 8; s++) {
            int32_t sub = 0;
            for (int l = 0; l < 16; l++) {
                const uint8_t q = b[i].qs[16 * s + l];
                sub += gk_iq4nl_values[q & 0xF] * x[i].qs[32 * s + l] +
                       gk_iq4nl_values[q >> 4] * x[i].qs[32 * s + 16 + l];
            }
            isum += gk_iq4_xs_scale(&b[i], s) * sub;
        }
        const gk_f16 d = {(uint16_t)(b[i].d[0] | b[i].d[1] << 8)};
        acc = gk_qdot_kquant_step(acc, gk_f32_from_f16(d), 0.0f, x[i].d, isum, 0);
    }
    return acc;
}

GK_QDOT_SCALAR(q4_0)
GK_QDOT_SCALAR(q4_1)
GK_QDOT_SCALAR(q5_0)
GK_QDOT_SCALAR(q5_1)
GK_QDOT_SCALAR(q8_0)
GK_QDOT_SCALAR(q2_k)
GK_QDOT_SCALAR(q3_k)
GK_QDOT_SCALAR(q4_k)
GK_QDOT_SCALAR(q5_k)
GK_QDOT_SCALAR(q6_k)
GK_QDOT_SCALAR(q8_k)
GK_QDOT_SCALAR(tq2_0)
GK_QDOT_SCALAR(awq4)
GK_QDOT_SCALAR(iq4_xs)
