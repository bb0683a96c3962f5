/* SPDX-License-Identifier: MIT */
/* NEON four-token quantized dot products (GK_QDOT4_FORMS in src/quant/qdot.h): gk_qgemm with
 * m > 1 decodes a weight block's codes and scales once and dots them with four activation rows;
 * the one-token kernels would decode the block once per token. Built twice, the second time
 * with SDOT (qdot_neon.h).
 *
 * Bits: each token's output is that of the format's one-token NEON kernel, which is the scalar
 * tier's (qdot_scalar.c). Per block and token the integer sums are exact (gk_qn_dot16), so their
 * order is free; the four tokens' sums are reduced into the four lanes of one vector (lane t:
 * token t) and the f32 steps run lane-wise, operation for operation those of the one-token kernel,
 * blocks in order: acc + (d_w d_x) isum for Q8_0 / Q4_0 (src/asm/aarch64/qdot_q32_neon.S, one sum
 * per row) and Q5_0 (gk_qn_row_q5_0, qdot_neon.c), gk_qdot_kquant_step for the K-quants, TQ2_0
 * and IQ4_XS. */
#include "kernels/neon/qdot_neon.h"

#include <string.h>

#include "kernels/neon/blocks_neon.h"
#include "quant/iq.h"
#include "quant/qdot.h"

enum { GK_QN4_T = GK_QDOT4_TOKENS };

/* The helpers are forced inline: each must become part of a kernel of its build, so that the
 * SDOT build's instructions stay in functions named _dotprod (tests/quant/check_dotprod_only.sh)
 * and each driver is specialised for its format's decoder. */
#define GK_QN4_INLINE static inline __attribute__((always_inline))

/* Lane t: the sum of the four int32 lanes of v[t], token t's exact block sum. */
GK_QN4_INLINE int32x4_t gk_qn4_sums(const int32x4_t v[GK_QN4_T])
{
    return vpaddq_s32(vpaddq_s32(v[0], v[1]), vpaddq_s32(v[2], v[3]));
}

/* An f16 scale as f32 by FCVT: exact, NaN quieted, so gk_f32_from_f16's bits (core/half.h)
 * without its branches. */
GK_QN4_INLINE float gk_qn4_f32_from_f16(gk_f16 h)
{
    return vgetq_lane_f32(vcvt_f32_f16(vreinterpret_f16_u16(vdup_n_u16(h.bits))), 0);
}

/* The four tokens' outputs of weight row r, lane t to y[t * ldy + r]. */
GK_QN4_INLINE void gk_qn4_store(float32x4_t acc, float *y, size_t ldy, size_t r)
{
    float out[GK_QN4_T];
    vst1q_f32(out, acc);
    for (int t = 0; t < GK_QN4_T; t++)
        y[t * ldy + r] = out[t];
}

/* ---- 32-value formats against Q8_0 -------------------------------------------------------- */

/* A block's 32 signed weight codes: elements 0..15 and 16..31. Every block starts with its f16
 * scale d_w. */
GK_QN4_INLINE int8x16x2_t gk_qn4_q8_0_codes(const void *block)
{
    const gk_block_q8_0 *b = block;
    return (int8x16x2_t){{vld1q_s8(b->qs), vld1q_s8(b->qs + 16)}};
}

/* Q4_0: element j < 16 is the low nibble of qs[j], j + 16 its high nibble, minus 8. */
GK_QN4_INLINE int8x16x2_t gk_qn4_q4_0_codes(const void *block)
{
    int8x16x2_t codes;
    gk_neon_q45_codes(((const gk_block_q4_0 *)block)->qs, NULL, 8, &codes.val[0], &codes.val[1]);
    return codes;
}

/* Q5_0: Q4_0's nibbles with bit j of qh as element j's fifth bit, minus 16. */
GK_QN4_INLINE int8x16x2_t gk_qn4_q5_0_codes(const void *block)
{
    const gk_block_q5_0 *b = block;
    int8x16x2_t codes;
    gk_neon_q45_codes(b->qs, b->qh, 16, &codes.val[0], &codes.val[1]);
    return codes;
}

/* gk_qn4_q32 widens the activation scales of a chunk of blocks to f32 once for a group of rows
 * (whose f32 sums wait in acc[] from one chunk to the next), not once per row. */
enum { GK_QN4_CHUNK_BLOCKS = 64, GK_QN4_GROUP_ROWS = 16 };

/* The four tokens' d_x of activation block i, lane t: token t. */
GK_QN4_INLINE float32x4_t gk_qn4_q8_0_scales(const gk_block_q8_0 *const x[GK_QN4_T], size_t i)
{
    const uint16_t bits[GK_QN4_T] = {x[0][i].d.bits, x[1][i].d.bits, x[2][i].d.bits,
                                     x[3][i].d.bits};
    return vcvt_f32_f16(vreinterpret_f16_u16(vld1_u16(bits)));
}

/* Q8_0, Q4_0 and Q5_0 (the `codes` of their blocks): per block and token the exact sum of the 32
 * products, then sum + (d_w d_x) isum in each token's lane, one f32 sum per row and token. */
GK_QN4_INLINE void gk_qn4_q32(int8x16x2_t (*codes)(const void *block),
                              size_t block_bytes,
                              const void *w,
                              size_t w_stride,
                              const void *xq,
                              size_t xq_stride,
                              size_t n_blocks,
                              float *y,
                              size_t ldy,
                              size_t n_rows)
{
    const gk_block_q8_0 *x[GK_QN4_T];
    for (int t = 0; t < GK_QN4_T; t++)
        x[t] = (const gk_block_q8_0 *)((const char *)xq + t * xq_stride);
    float32x4_t d_x[GK_QN4_CHUNK_BLOCKS], acc[GK_QN4_GROUP_ROWS];
    for (size_t r0 = 0; r0 < n_rows; r0 += GK_QN4_GROUP_ROWS) {
        const size_t rows =
            n_rows - r0 < GK_QN4_GROUP_ROWS ? n_rows - r0 : (size_t)GK_QN4_GROUP_ROWS;
        for (size_t r = 0; r < rows; r++)
            acc[r] = vdupq_n_f32(0.0f);
        for (size_t i0 = 0; i0 < n_blocks; i0 += GK_QN4_CHUNK_BLOCKS) {
            const size_t nb =
                n_blocks - i0 < GK_QN4_CHUNK_BLOCKS ? n_blocks - i0 : (size_t)GK_QN4_CHUNK_BLOCKS;
            for (size_t i = 0; i < nb; i++)
                d_x[i] = gk_qn4_q8_0_scales(x, i0 + i);
            for (size_t r = 0; r < rows; r++) {
                const char *b = (const char *)w + (r0 + r) * w_stride + i0 * block_bytes;
                float32x4_t sum = acc[r];
                for (size_t i = 0; i < nb; i++, b += block_bytes) {
                    const int8x16x2_t wv = codes(b);
                    int32x4_t isum[GK_QN4_T];
                    for (int t = 0; t < GK_QN4_T; t++) {
                        const int8_t *xs = x[t][i0 + i].qs;
                        isum[t] = gk_qn_dot16(gk_qn_dot16(vdupq_n_s32(0), wv.val[0], vld1q_s8(xs)),
                                              wv.val[1], vld1q_s8(xs + 16));
                    }
                    gk_f16 d_w;
                    memcpy(&d_w, b, sizeof d_w);
                    const float32x4_t scale =
                        vmulq_f32(vdupq_n_f32(gk_qn4_f32_from_f16(d_w)), d_x[i]);
                    sum = vaddq_f32(sum, vmulq_f32(scale, vcvtq_f32_s32(gk_qn4_sums(isum))));
                }
                acc[r] = sum;
            }
        }
        for (size_t r = 0; r < rows; r++)
            gk_qn4_store(acc[r], y, ldy, r0 + r);
    }
}

/* ---- K-quants, TQ2_0 and IQ4_XS against Q8_K --------------------------------------------- */

/* A super-block's exact sums for the four tokens (lane t: token t) and its weight scales. */
struct gk_qn4_kblock {
    int32x4_t isum, msum;
    float d_w, dmin_w;
};

/* gk_qdot_kquant_step in each token's lane, the formats without a min included (dmin_w and msum
 * zero: the scalar step's operations, signed zeros included). */
GK_QN4_INLINE float32x4_t gk_qn4_kquant_step(float32x4_t acc,
                                             struct gk_qn4_kblock k,
                                             float32x4_t d_x)
{
    const float32x4_t scaled = vmulq_f32(vmulq_f32(vdupq_n_f32(k.d_w), d_x), vcvtq_f32_s32(k.isum));
    const float32x4_t mins =
        vmulq_f32(vmulq_f32(vdupq_n_f32(k.dmin_w), d_x), vcvtq_f32_s32(k.msum));
    return vaddq_f32(acc, vsubq_f32(scaled, mins));
}

/* The K-quant formats: `sums(weight block, the four tokens' activation blocks)` per super-block,
 * its f32 step in the four lanes of the row's accumulator. */
GK_QN4_INLINE void gk_qn4_kquant(
    struct gk_qn4_kblock (*sums)(const void *block, const gk_block_q8_k *const x[GK_QN4_T]),
    size_t block_bytes,
    const void *w,
    size_t w_stride,
    const void *xq,
    size_t xq_stride,
    size_t n_blocks,
    float *y,
    size_t ldy,
    size_t n_rows)
{
    for (size_t r = 0; r < n_rows; r++) {
        const char *b = (const char *)w + r * w_stride;
        float32x4_t acc = vdupq_n_f32(0.0f);
        for (size_t i = 0; i < n_blocks; i++, b += block_bytes) {
            const gk_block_q8_k *x[GK_QN4_T];
            for (int t = 0; t < GK_QN4_T; t++)
                x[t] = (const gk_block_q8_k *)((const char *)xq + t * xq_stride) + i;
            const float32x4_t d_x = {x[0]->d, x[1]->d, x[2]->d, x[3]->d};
            acc = gk_qn4_kquant_step(acc, sums(b, x), d_x);
        }
        gk_qn4_store(acc, y, ldy, r);
    }
}

/* Adds scale times the exact sum of group g's 16 codes (signed or unsigned bytes) times token
 * t's activations 16 g..16 g + 15 to isum[t]. */
GK_QN4_INLINE void gk_qn4_group16(int32x4_t isum[GK_QN4_T],
                                  uint8x16_t codes,
                                  int scale,
                                  const gk_block_q8_k *const x[GK_QN4_T],
                                  int g)
{
    for (int t = 0; t < GK_QN4_T; t++) {
        const int32x4_t sum =
            gk_qn_dot16(vdupq_n_s32(0), vreinterpretq_s8_u8(codes), vld1q_s8(x[t]->qs + 16 * g));
        isum[t] = vmlaq_n_s32(isum[t], sum, scale);
    }
}

/* Per token t, in the lanes of out[t]: the 16 signed 8-bit weights (one per group of 16) times
 * token t's group sums bsums (|product| <= 128 * 2032: exact). */
GK_QN4_INLINE void
gk_qn4_bsums_dot(int8x16_t weights, const gk_block_q8_k *const x[GK_QN4_T], int32x4_t out[GK_QN4_T])
{
    const int16x8_t lo = vmovl_s8(vget_low_s8(weights)), hi = vmovl_high_s8(weights);
    for (int t = 0; t < GK_QN4_T; t++) {
        const int16x8_t bs_lo = vld1q_s16(x[t]->bsums), bs_hi = vld1q_s16(x[t]->bsums + 8);
        out[t] = vmlal_high_s16(vmull_s16(vget_low_s16(bs_lo), vget_low_s16(lo)), bs_lo, lo);
        out[t] =
            vmlal_high_s16(vmlal_s16(out[t], vget_low_s16(bs_hi), vget_low_s16(hi)), bs_hi, hi);
    }
}

/* Q2_K (layout: qdot_scalar.c): group g's 2-bit codes times its 4-bit scale (low nibble of
 * scales[g]); msum is the sum of the groups' 4-bit mins (high nibbles) times the bsums. */
GK_QN4_INLINE struct gk_qn4_kblock gk_qn4_q2_k_sums(const void *block,
                                                    const gk_block_q8_k *const x[GK_QN4_T])
{
    const gk_block_q2_k *b = block;
    int32x4_t isum[GK_QN4_T], msum[GK_QN4_T];
    for (int t = 0; t < GK_QN4_T; t++)
        isum[t] = vdupq_n_s32(0);
    for (int g = 0; g < 16; g++)
        gk_qn4_group16(isum, gk_neon_q23_k_low(b->qs, g), b->scales[g] & 0xF, x, g);
    gk_qn4_bsums_dot(vreinterpretq_s8_u8(vshrq_n_u8(vld1q_u8(b->scales), 4)), x, msum);
    return (struct gk_qn4_kblock){gk_qn4_sums(isum), gk_qn4_sums(msum), gk_qn4_f32_from_f16(b->d),
                                  gk_qn4_f32_from_f16(b->dmin)};
}

/* Q3_K (layout: qdot_scalar.c): group g's codes (-4..3) times its signed 6-bit scale. */
GK_QN4_INLINE struct gk_qn4_kblock gk_qn4_q3_k_sums(const void *block,
                                                    const gk_block_q8_k *const x[GK_QN4_T])
{
    const gk_block_q3_k *b = block;
    int8_t sc[16];
    gk_q3k_scales(b->scales, sc);
    int32x4_t isum[GK_QN4_T];
    for (int t = 0; t < GK_QN4_T; t++)
        isum[t] = vdupq_n_s32(0);
    for (int g = 0; g < 16; g++)
        gk_qn4_group16(isum, gk_neon_q3_k_codes(b->qs, b->hmask, g), sc[g], x, g);
    return (struct gk_qn4_kblock){gk_qn4_sums(isum), vdupq_n_s32(0), gk_qn4_f32_from_f16(b->d),
                                  0.0f};
}

/* TQ2_0 (layout: qdot_scalar.c): values -1..1 without a scale per group; the K-quants' step. */
GK_QN4_INLINE struct gk_qn4_kblock gk_qn4_tq2_0_sums(const void *block,
                                                     const gk_block_q8_k *const x[GK_QN4_T])
{
    const gk_block_tq2_0 *b = block;
    int32x4_t isum[GK_QN4_T];
    for (int t = 0; t < GK_QN4_T; t++)
        isum[t] = vdupq_n_s32(0);
    for (int h = 0; h < 2; h++)
        for (int half = 0; half < 2; half++)
            for (int l = 0; l < 4; l++) {
                const int8x16_t codes = gk_neon_tq2_0_codes(b->qs, h, half, l);
                for (int t = 0; t < GK_QN4_T; t++)
                    isum[t] = gk_qn_dot16(isum[t], codes,
                                          vld1q_s8(x[t]->qs + 128 * h + 32 * l + 16 * half));
            }
    return (struct gk_qn4_kblock){gk_qn4_sums(isum), vdupq_n_s32(0), gk_qn4_f32_from_f16(b->d),
                                  0.0f};
}

/* The scales (bytes 0..7) and mins (bytes 8..15) of a Q4_K / Q5_K block, gk_q4k_scale_min's
 * values, from the three little-endian words u0, u1, u2 of its 12 bytes: scales 0..3 are the low
 * 6 bits of u0's bytes, scales 4..7 the low nibbles of u2's with u0's top 2 bits above them; the
 * mins likewise from u1 and the high nibbles of u2. */
GK_QN4_INLINE void gk_qn4_q4k_scales_mins(const uint8_t packed[12], uint8_t out[16])
{
    uint32_t u[3];
    memcpy(u, packed, sizeof u);
    const uint32_t words[4] = {
        u[0] & 0x3F3F3F3Fu,
        (u[2] & 0x0F0F0F0Fu) | ((u[0] >> 6) & 0x03030303u) << 4,
        u[1] & 0x3F3F3F3Fu,
        ((u[2] >> 4) & 0x0F0F0F0Fu) | ((u[1] >> 6) & 0x03030303u) << 4,
    };
    memcpy(out, words, sizeof words);
}

/* Q4_K / Q5_K (layout: qdot_scalar.c): sub-blocks 2p and 2p + 1 take the low and the high
 * nibbles of qs[32 p + l], Q5_K (qh not NULL) bit s of qh[l] as sub-block s's fifth bit; isum is
 * the sum of scale * codes * activations, msum that of min * the activation's pair of 16-value
 * sums. */
GK_QN4_INLINE struct gk_qn4_kblock gk_qn4_q45_k(gk_f16 d,
                                                gk_f16 dmin,
                                                const uint8_t scales[12],
                                                const uint8_t *qs,
                                                const uint8_t *qh,
                                                const gk_block_q8_k *const x[GK_QN4_T])
{
    uint8_t sm[16];
    gk_qn4_q4k_scales_mins(scales, sm);
    const uint8x16_t low_mask = vdupq_n_u8(0x0F), fifth_bit = vdupq_n_u8(0x10);
    uint8x16_t high[2] = {vdupq_n_u8(0), vdupq_n_u8(0)};
    if (qh) {
        high[0] = vld1q_u8(qh);
        high[1] = vld1q_u8(qh + 16);
    }
    int32x4_t isum[GK_QN4_T];
    for (int t = 0; t < GK_QN4_T; t++)
        isum[t] = vdupq_n_s32(0);
    for (int p = 0; p < 4; p++) {
        int8x16_t codes[2][2]; /* [sub-block 2p + s][half] */
        for (int half = 0; half < 2; half++) {
            const uint8x16_t q = vld1q_u8(qs + 32 * p + 16 * half);
            uint8x16_t lo = vandq_u8(q, low_mask), hi = vshrq_n_u8(q, 4);
            if (qh) { /* bit s of qh to bit 4 */
                lo = vorrq_u8(
                    lo, vandq_u8(vshlq_u8(high[half], vdupq_n_s8((int8_t)(4 - 2 * p))), fifth_bit));
                hi = vorrq_u8(
                    hi, vandq_u8(vshlq_u8(high[half], vdupq_n_s8((int8_t)(3 - 2 * p))), fifth_bit));
            }
            codes[0][half] = vreinterpretq_s8_u8(lo);
            codes[1][half] = vreinterpretq_s8_u8(hi);
        }
        for (int t = 0; t < GK_QN4_T; t++)
            for (int s = 0; s < 2; s++) {
                const int8_t *xs = x[t]->qs + 64 * p + 32 * s;
                const int32x4_t sub =
                    gk_qn_dot16(gk_qn_dot16(vdupq_n_s32(0), codes[s][0], vld1q_s8(xs)), codes[s][1],
                                vld1q_s8(xs + 16));
                isum[t] = vmlaq_n_s32(isum[t], sub, sm[2 * p + s]);
            }
    }
    /* mins (0..63) times the sums of the activation's pairs of 16-value sums (|sum| <= 4064) */
    const int16x8_t mins = vreinterpretq_s16_u16(vmovl_u8(vld1_u8(sm + 8)));
    int32x4_t msum[GK_QN4_T];
    for (int t = 0; t < GK_QN4_T; t++) {
        const int16x8_t pairs = vpaddq_s16(vld1q_s16(x[t]->bsums), vld1q_s16(x[t]->bsums + 8));
        msum[t] = vmlal_high_s16(vmull_s16(vget_low_s16(pairs), vget_low_s16(mins)), pairs, mins);
    }
    return (struct gk_qn4_kblock){gk_qn4_sums(isum), gk_qn4_sums(msum), gk_qn4_f32_from_f16(d),
                                  gk_qn4_f32_from_f16(dmin)};
}

GK_QN4_INLINE struct gk_qn4_kblock gk_qn4_q4_k_sums(const void *block,
                                                    const gk_block_q8_k *const x[GK_QN4_T])
{
    const gk_block_q4_k *b = block;
    return gk_qn4_q45_k(b->d, b->dmin, b->scales, b->qs, NULL, x);
}

GK_QN4_INLINE struct gk_qn4_kblock gk_qn4_q5_k_sums(const void *block,
                                                    const gk_block_q8_k *const x[GK_QN4_T])
{
    const gk_block_q5_k *b = block;
    return gk_qn4_q45_k(b->d, b->dmin, b->scales, b->qs, b->qh, x);
}

/* Q6_K (layout: qdot_scalar.c): per half h and run k, 32 unsigned 6-bit codes in two groups of
 * 16 with a signed 8-bit scale each; the -32 offset of the codes comes out through the
 * activation's group sums: isum = sum of scale * codes * activations - 32 sum of scale * bsums. */
GK_QN4_INLINE struct gk_qn4_kblock gk_qn4_q6_k_sums(const void *block,
                                                    const gk_block_q8_k *const x[GK_QN4_T])
{
    const gk_block_q6_k *b = block;
    const uint8x16_t low_mask = vdupq_n_u8(0x0F), two_bits = vdupq_n_u8(3);
    int32x4_t isum[GK_QN4_T];
    for (int t = 0; t < GK_QN4_T; t++)
        isum[t] = vdupq_n_s32(0);
    for (int h = 0; h < 2; h++)
        for (int k = 0; k < 4; k++)
            for (int half = 0; half < 2; half++) {
                const uint8x16_t lo = vld1q_u8(b->ql + 64 * h + 32 * (k % 2) + 16 * half);
                const uint8x16_t low = k < 2 ? vandq_u8(lo, low_mask) : vshrq_n_u8(lo, 4);
                const uint8x16_t qh = vld1q_u8(b->qh + 32 * h + 16 * half);
                const uint8x16_t high =
                    vandq_u8(vshlq_u8(qh, vdupq_n_s8((int8_t)(-2 * k))), two_bits);
                const int g = 8 * h + 2 * k + half; /* elements 16 g.. */
                gk_qn4_group16(isum, vorrq_u8(low, vshlq_n_u8(high, 4)), b->scales[g], x, g);
            }
    int32x4_t offset[GK_QN4_T];
    gk_qn4_bsums_dot(vld1q_s8(b->scales), x, offset);
    const int32x4_t sums = vsubq_s32(gk_qn4_sums(isum), vshlq_n_s32(gk_qn4_sums(offset), 5));
    return (struct gk_qn4_kblock){sums, vdupq_n_s32(0), gk_qn4_f32_from_f16(b->d), 0.0f};
}

/* IQ4_XS (layout: qdot_scalar.c): per sub-block of 32 the nibbles index the 16 non-linear values
 * (TBL), times the sub-block's signed 6-bit scale. */
GK_QN4_INLINE struct gk_qn4_kblock gk_qn4_iq4_xs_sums(const void *block,
                                                      const gk_block_q8_k *const x[GK_QN4_T])
{
    const gk_block_iq4_xs *b = block;
    const int8x16_t values = vld1q_s8(gk_iq4nl_values);
    const uint8x16_t low_mask = vdupq_n_u8(0x0F);
    int32x4_t isum[GK_QN4_T];
    for (int t = 0; t < GK_QN4_T; t++)
        isum[t] = vdupq_n_s32(0);
    for (int s = 0; s < 8; s++) {
        const uint8x16_t q = vld1q_u8(b->qs + 16 * s);
        const int8x16_t lo = vqtbl1q_s8(values, vandq_u8(q, low_mask));
        const int8x16_t hi = vqtbl1q_s8(values, vshrq_n_u8(q, 4));
        const int scale = gk_iq4_xs_scale(b, s);
        for (int t = 0; t < GK_QN4_T; t++) {
            const int8_t *xs = x[t]->qs + 32 * s;
            const int32x4_t sub =
                gk_qn_dot16(gk_qn_dot16(vdupq_n_s32(0), lo, vld1q_s8(xs)), hi, vld1q_s8(xs + 16));
            isum[t] = vmlaq_n_s32(isum[t], sub, scale);
        }
    }
    const gk_f16 d = {(uint16_t)(b->d[0] | b->d[1] << 8)};
    return (struct gk_qn4_kblock){gk_qn4_sums(isum), vdupq_n_s32(0), gk_qn4_f32_from_f16(d), 0.0f};
}

/* ---- the kernels -------------------------------------------------------------------------- */

/* gk_qdot4_<fmt>_neon[_dotprod]: the driver `body` with the format's block decoder `part`. */
#define GK_QN4(fmt, body, part)                                                                   \
    void GK_QN4_KERNEL(fmt)(const void *w, size_t w_stride, const void *xq, size_t xq_stride,     \
                            size_t n_blocks, float *y, size_t ldy, size_t n_rows)                 \
    {                                                                                             \
        body(gk_qn4_##fmt##_##part, sizeof(gk_block_##fmt), w, w_stride, xq, xq_stride, n_blocks, \
             y, ldy, n_rows);                                                                     \
    }
GK_QN4(q8_0, gk_qn4_q32, codes)
GK_QN4(q4_0, gk_qn4_q32, codes)
GK_QN4(q5_0, gk_qn4_q32, codes)
GK_QN4(q2_k, gk_qn4_kquant, sums)
GK_QN4(q3_k, gk_qn4_kquant, sums)
GK_QN4(tq2_0, gk_qn4_kquant, sums)
GK_QN4(q4_k, gk_qn4_kquant, sums)
GK_QN4(q5_k, gk_qn4_kquant, sums)
GK_QN4(q6_k, gk_qn4_kquant, sums)
GK_QN4(iq4_xs, gk_qn4_kquant, sums)
#undef GK_QN4
