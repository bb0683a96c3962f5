/* SPDX-License-Identifier: MIT */
/* NEON group kernels of the packed layouts (src/quant/qpack.h), every packed format.
 *
 * A 32-byte vector of a block column holds 4 bytes of each of the 8 rows: here two 16-byte
 * registers, rows 0..3 and rows 4..7, one row per 32-bit lane. The four bytes of a lane are
 * dotted with four activation codes (the same in every lane) into the lane's int32 sum: SDOT in
 * the build with the dot-product extension, SMULL + pairwise adds without it. The sums are exact
 * integers either way, and the f32 steps are those of the scalar kernels, so every build gives
 * the scalar tier's bits. */
#include <arm_neon.h>
#include <stdbool.h>
#include <string.h>

#include "core/half.h"
#include "quant/blocks.h"
#include "quant/iq.h"
#include "quant/qdot.h"
#include "quant/qpack.h"

#ifdef __ARM_FEATURE_DOTPROD
#    define GK_QPN_KERNEL(kern) gk_qdot8_##kern##_neon_dotprod
#else
#    define GK_QPN_KERNEL(kern) gk_qdot8_##kern##_neon
#endif

/* Eight rows: lanes of rows 0..3 and 4..7. */
typedef struct {
    int32x4_t r0, r4;
} gk_qpn_i32x8;

/* acc + in each 32-bit lane the dot product of its 4 bytes of w with the 4 bytes x4 (signed). */
static inline int32x4_t gk_qpn_dot4(int32x4_t acc, int8x16_t w, int8x16_t x4)
{
#ifdef __ARM_FEATURE_DOTPROD
    return vdotq_s32(acc, w, x4);
#else
    const int16x8_t lo = vmull_s8(vget_low_s8(w), vget_low_s8(x4));
    const int16x8_t hi = vmull_high_s8(w, x4);
    return vaddq_s32(acc, vpaddq_s32(vpaddlq_s16(lo), vpaddlq_s16(hi)));
#endif
}

/* The four activation codes at x in every lane. */
static inline int8x16_t gk_qpn_x4(const int8_t *x)
{
    int32_t v;
    memcpy(&v, x, sizeof v);
    return vreinterpretq_s8_s32(vdupq_n_s32(v));
}

/* The 8 rows' f16 values at p as f32 (rows 0..3, rows 4..7). */
static inline void gk_qpn_f16x8(const uint8_t *p, float32x4_t *r0, float32x4_t *r4)
{
    const float16x8_t h = vreinterpretq_f16_u8(vld1q_u8(p));
    *r0 = vcvt_f32_f16(vget_low_f16(h));
    *r4 = vcvt_high_f32_f16(h);
}

/* 8 bytes (one per row) widened to int32 lanes. */
static inline gk_qpn_i32x8 gk_qpn_u8x8(uint8x8_t v)
{
    const uint16x8_t w = vmovl_u8(v);
    return (gk_qpn_i32x8){vreinterpretq_s32_u32(vmovl_u16(vget_low_u16(w))),
                          vreinterpretq_s32_u32(vmovl_high_u16(w))};
}

/* Bit `from` of every byte of v moved to bit `to`, the other bits cleared. */
static inline uint8x16_t gk_qpn_bit_to(uint8x16_t v, int from, int to)
{
    return vandq_u8(vshlq_u8(v, vdupq_n_s8((int8_t)(to - from))), vdupq_n_u8((uint8_t)(1u << to)));
}

/* gk_qdot_kquant_step in each row's lane: acc + ((d dx) isum - (dmin dx) msum), dmin and msum
 * zero for the formats without a min (the scalar kernels' operations, signed zeros included). */
static inline void gk_qpn_kquant_step(float32x4_t acc[2],
                                      const float32x4_t d[2],
                                      const float32x4_t dmin[2],
                                      float dx,
                                      const int32x4_t isum[2],
                                      const int32x4_t msum[2])
{
    for (unsigned h = 0; h < 2; h++) {
        const float32x4_t scaled = vmulq_f32(vmulq_n_f32(d[h], dx), vcvtq_f32_s32(isum[h]));
        const float32x4_t mins = vmulq_f32(vmulq_n_f32(dmin[h], dx), vcvtq_f32_s32(msum[h]));
        acc[h] = vaddq_f32(acc[h], vsubq_f32(scaled, mins));
    }
}

/* The step with no min (dmin and msum zero), d the rows' f16 scales at the column's start. */
static inline void
gk_qpn_kquant_step_nomin(float32x4_t acc[2], const uint8_t *col, float dx, const int32x4_t isum[2])
{
    float32x4_t d[2];
    gk_qpn_f16x8(col, &d[0], &d[1]);
    const float32x4_t zero[2] = {vdupq_n_f32(0.0f), vdupq_n_f32(0.0f)};
    const int32x4_t izero[2] = {vdupq_n_s32(0), vdupq_n_s32(0)};
    gk_qpn_kquant_step(acc, d, zero, dx, isum, izero);
}

/* ---- the 32-value family ---- */

static inline void gk_qpn_q32(gk_qtype t,
                              const uint8_t *col,
                              const void *xq,
                              const int32_t *xsum,
                              size_t n_blocks,
                              float *out)
{
    const struct gk_qpack_q32_layout lay = gk_qpack_q32_layout_of(t);
    const size_t x_bytes = lay.min ? sizeof(gk_block_q8_1) : sizeof(gk_block_q8_0);
    const uint8x16_t low_mask = vdupq_n_u8(0x0F);
    const int8x16_t values = vld1q_s8(gk_iq4nl_values);
    float32x4_t acc[2] = {vdupq_n_f32(0.0f), vdupq_n_f32(0.0f)};
    for (size_t b = 0; b < n_blocks; b++, col += lay.column) {
        const uint8_t *xb = (const uint8_t *)xq + b * x_bytes;
        const int8_t *x = (const int8_t *)(xb + x_bytes - 32);
        int32x4_t isum[2] = {vdupq_n_s32(0), vdupq_n_s32(0)};
        for (unsigned half = 0; half < 2; half++) { /* rows 0..3, rows 4..7 */
            const uint8x16_t fifth =
                lay.fifth ? vld1q_u8(col + lay.fifth + 16 * half) : vdupq_n_u8(0);
            for (unsigned h = 0; lay.bytes8 && h < 8; h++) { /* Q8_0: signed codes */
                const int8x16_t w = vld1q_s8((const int8_t *)col + lay.codes + 32 * h + 16 * half);
                isum[half] = gk_qpn_dot4(isum[half], w, gk_qpn_x4(x + 4 * h));
            }
            for (unsigned h = 0; !lay.bytes8 && h < 4; h++) {
                const uint8x16_t q = vld1q_u8(col + lay.codes + 32 * h + 16 * half);
                uint8x16_t lo = vandq_u8(q, low_mask), hi = vshrq_n_u8(q, 4);
                if (lay.fifth) { /* bits 2h, 2h + 1 of the row's byte j to bit 4 */
                    lo = vorrq_u8(lo, gk_qpn_bit_to(fifth, 2 * (int)h, 4));
                    hi = vorrq_u8(hi, gk_qpn_bit_to(fifth, 2 * (int)h + 1, 4));
                }
                const int8x16_t wl = lay.nl ? vqtbl1q_s8(values, lo) : vreinterpretq_s8_u8(lo);
                const int8x16_t wh = lay.nl ? vqtbl1q_s8(values, hi) : vreinterpretq_s8_u8(hi);
                isum[half] = gk_qpn_dot4(isum[half], wl, gk_qpn_x4(x + 4 * h));
                isum[half] = gk_qpn_dot4(isum[half], wh, gk_qpn_x4(x + 16 + 4 * h));
            }
            if (lay.offset) isum[half] = vsubq_s32(isum[half], vdupq_n_s32(lay.offset * xsum[b]));
        }
        gk_f16 d_x, s_x;
        memcpy(&d_x, xb, sizeof d_x);
        memcpy(&s_x, xb + 2, sizeof s_x);
        float32x4_t d[2], m[2];
        gk_qpn_f16x8(col, &d[0], &d[1]);
        if (lay.min) gk_qpn_f16x8(col + lay.mins, &m[0], &m[1]);
        for (unsigned half = 0; half < 2; half++) {
            /* fmaf(d_w d_x, isum, acc), then fmaf(m_w, s_x, acc) (qpack.h) */
            const float32x4_t dd = vmulq_n_f32(d[half], gk_f32_from_f16(d_x));
            acc[half] = vfmaq_f32(acc[half], dd, vcvtq_f32_s32(isum[half]));
            if (lay.min) acc[half] = vfmaq_n_f32(acc[half], m[half], gk_f32_from_f16(s_x));
        }
    }
    vst1q_f32(out, acc[0]);
    vst1q_f32(out + 4, acc[1]);
}

#define GK_QPN_Q32(kern, NAME)                                                       \
    void GK_QPN_KERNEL(kern)(const void *group, const void *xq, const int32_t *xsum, \
                             size_t n_blocks, float *out)                            \
    {                                                                                \
        gk_qpn_q32(GK_QTYPE_##NAME, group, xq, xsum, n_blocks, out);                 \
    }
GK_QPN_Q32(q4_0, Q4_0)
GK_QPN_Q32(q8_0, Q8_0)
GK_QPN_Q32(q4_1, Q4_1)
GK_QPN_Q32(q5_0, Q5_0)
GK_QPN_Q32(q5_1, Q5_1)
GK_QPN_Q32(iq4_nl, IQ4_NL)

/* ---- Q4_K and Q5_K ---- */

static inline void
gk_qpn_q45_k(const uint8_t *col, const gk_block_q8_k *x, size_t n_blocks, bool five, float *out)
{
    const size_t column = five ? GK_QPACK_Q5_K_COLUMN : GK_QPACK_Q4_K_COLUMN;
    const uint8x16_t low_mask = vdupq_n_u8(0x0F);
    float32x4_t acc[2] = {vdupq_n_f32(0.0f), vdupq_n_f32(0.0f)};
    for (size_t b = 0; b < n_blocks; b++, col += column) {
        int32x4_t isum[2] = {vdupq_n_s32(0), vdupq_n_s32(0)};
        int32x4_t msum[2] = {vdupq_n_s32(0), vdupq_n_s32(0)};
        for (unsigned p = 0; p < 4; p++) {
            /* sub-blocks 2p (low nibbles) and 2p + 1 (high nibbles) */
            const gk_qpn_i32x8 scale_lo = gk_qpn_u8x8(vld1_u8(col + 32 + 16 * p));
            const gk_qpn_i32x8 scale_hi = gk_qpn_u8x8(vld1_u8(col + 40 + 16 * p));
            int32x4_t part_lo[2] = {vdupq_n_s32(0), vdupq_n_s32(0)};
            int32x4_t part_hi[2] = {vdupq_n_s32(0), vdupq_n_s32(0)};
            for (unsigned g = 0; g < 8; g++) {
                const int8x16_t x_lo = gk_qpn_x4(x[b].qs + 64 * p + 4 * g);
                const int8x16_t x_hi = gk_qpn_x4(x[b].qs + 64 * p + 32 + 4 * g);
                for (unsigned half = 0; half < 2; half++) {
                    const uint8x16_t q = vld1q_u8(col + 160 + 256 * p + 32 * g + 16 * half);
                    uint8x16_t lo = vandq_u8(q, low_mask), hi = vshrq_n_u8(q, 4);
                    if (five) { /* the fifth bits: bits 2p and 2p + 1 of qh */
                        const uint8x16_t qh =
                            vld1q_u8(col + GK_QPACK_Q4_K_COLUMN + 32 * g + 16 * half);
                        lo = vorrq_u8(lo, gk_qpn_bit_to(qh, 2 * (int)p, 4));
                        hi = vorrq_u8(hi, gk_qpn_bit_to(qh, 2 * (int)p + 1, 4));
                    }
                    part_lo[half] = gk_qpn_dot4(part_lo[half], vreinterpretq_s8_u8(lo), x_lo);
                    part_hi[half] = gk_qpn_dot4(part_hi[half], vreinterpretq_s8_u8(hi), x_hi);
                }
            }
            isum[0] =
                vmlaq_s32(vmlaq_s32(isum[0], part_lo[0], scale_lo.r0), part_hi[0], scale_hi.r0);
            isum[1] =
                vmlaq_s32(vmlaq_s32(isum[1], part_lo[1], scale_lo.r4), part_hi[1], scale_hi.r4);
            /* mins of sub-blocks 2p and 2p + 1 (byte 96 + 16 p + 2 r + e) by their 32-value sums */
            const uint8x8x2_t mins = vld2_u8(col + 96 + 16 * p);
            for (unsigned e = 0; e < 2; e++) {
                const gk_qpn_i32x8 m = gk_qpn_u8x8(mins.val[e]);
                const int32_t xs = x[b].bsums[4 * p + 2 * e] + x[b].bsums[4 * p + 2 * e + 1];
                msum[0] = vmlaq_n_s32(msum[0], m.r0, xs);
                msum[1] = vmlaq_n_s32(msum[1], m.r4, xs);
            }
        }
        float32x4_t d[2], dmin[2];
        gk_qpn_f16x8(col, &d[0], &d[1]);
        gk_qpn_f16x8(col + 16, &dmin[0], &dmin[1]);
        gk_qpn_kquant_step(acc, d, dmin, x[b].d, isum, msum);
    }
    vst1q_f32(out, acc[0]);
    vst1q_f32(out + 4, acc[1]);
}

GK_QDOT8_SHARED(GK_QPN_KERNEL(q4_k), gk_qpn_q45_k, false)

GK_QDOT8_SHARED(GK_QPN_KERNEL(q5_k), gk_qpn_q45_k, true)

/* ---- Q6_K ---- */

void GK_QPN_KERNEL(q6_k)(
    const void *group, const void *xq, const int32_t *xsum, size_t n_blocks, float *out)
{
    (void)xsum;
    const uint8_t *col = group;
    const gk_block_q8_k *x = xq;
    const uint8x16_t six = vdupq_n_u8(0x3F), two = vdupq_n_u8(0x03);
    float32x4_t acc[2] = {vdupq_n_f32(0.0f), vdupq_n_f32(0.0f)};
    for (size_t b = 0; b < n_blocks; b++, col += GK_QPACK_Q6_K_COLUMN) {
        int32x4_t isum[2] = {vdupq_n_s32(0), vdupq_n_s32(0)};
        int32x4_t offset[2] = {vdupq_n_s32(0), vdupq_n_s32(0)};
        for (unsigned sub = 0; sub < 16; sub++) {
            /* sub-block 8 h + 2 c + e: code c of the groups u = 8 h + 4 e .. + 3 */
            const unsigned h = sub / 8, c = sub % 8 / 2, e = sub % 2;
            int32x4_t part[2] = {vdupq_n_s32(0), vdupq_n_s32(0)};
            for (unsigned g = 4 * e; g < 4 * e + 4; g++) {
                const int8x16_t x4 = gk_qpn_x4(x[b].qs + 128 * h + 32 * c + 4 * g);
                for (unsigned half = 0; half < 2; half++) {
                    const uint8_t *v = col + 144 + 96 * (8 * h + g) + 16 * half;
                    uint8x16_t code;
                    if (c < 3) {
                        code = vandq_u8(vld1q_u8(v + 32 * c), six);
                    } else { /* the top bit pairs of the three vectors */
                        code = vorrq_u8(
                            vshrq_n_u8(vld1q_u8(v), 6),
                            vorrq_u8(
                                vandq_u8(vshrq_n_u8(vld1q_u8(v + 32), 4), vshlq_n_u8(two, 2)),
                                vandq_u8(vshrq_n_u8(vld1q_u8(v + 64), 2), vshlq_n_u8(two, 4))));
                    }
                    part[half] = gk_qpn_dot4(part[half], vreinterpretq_s8_u8(code), x4);
                }
            }
            const int16x8_t w =
                vmovl_s8(vreinterpret_s8_u8(vld2_u8(col + 16 + 16 * (sub / 2)).val[e]));
            const gk_qpn_i32x8 sc = {vmovl_s16(vget_low_s16(w)), vmovl_high_s16(w)};
            isum[0] = vmlaq_s32(isum[0], part[0], sc.r0);
            isum[1] = vmlaq_s32(isum[1], part[1], sc.r4);
            offset[0] = vmlaq_n_s32(offset[0], sc.r0, x[b].bsums[sub]);
            offset[1] = vmlaq_n_s32(offset[1], sc.r4, x[b].bsums[sub]);
        }
        /* the codes' -32 through the activation's group sums, exactly */
        isum[0] = vsubq_s32(isum[0], vshlq_n_s32(offset[0], 5));
        isum[1] = vsubq_s32(isum[1], vshlq_n_s32(offset[1], 5));
        gk_qpn_kquant_step_nomin(acc, col, x[b].d, isum);
    }
    vst1q_f32(out, acc[0]);
    vst1q_f32(out + 4, acc[1]);
}

/* ---- Q2_K and Q3_K ---- */

static inline void
gk_qpn_q23_k(const uint8_t *col, const gk_block_q8_k *x, size_t n_blocks, bool three, float *out)
{
    const size_t column = three ? GK_QPACK_Q3_K_COLUMN : GK_QPACK_Q2_K_COLUMN;
    const size_t scales_at = three ? 16 : 32, codes_at = scales_at + 128;
    const uint8x16_t two_bits = vdupq_n_u8(3);
    float32x4_t acc[2] = {vdupq_n_f32(0.0f), vdupq_n_f32(0.0f)};
    for (size_t b = 0; b < n_blocks; b++, col += column) {
        int32x4_t isum[2] = {vdupq_n_s32(0), vdupq_n_s32(0)};
        int32x4_t msum[2] = {vdupq_n_s32(0), vdupq_n_s32(0)};
        for (unsigned sub = 0; sub < 16; sub++) {
            /* sub-block 8 h + 2 t + e: bits 2 t of the code units 8 h + 4 e + u, u = 0..3 */
            const unsigned h = sub / 8, t = sub % 8 / 2, e = sub % 2;
            int32x4_t part[2] = {vdupq_n_s32(0), vdupq_n_s32(0)};
            for (unsigned u = 0; u < 4; u++) {
                const int8x16_t x4 = gk_qpn_x4(x[b].qs + 16 * sub + 4 * u);
                for (unsigned half = 0; half < 2; half++) {
                    const uint8x16_t v =
                        vld1q_u8(col + codes_at + 32 * (8 * h + 4 * e + u) + 16 * half);
                    uint8x16_t code =
                        vandq_u8(vshlq_u8(v, vdupq_n_s8((int8_t)(-2 * (int)t))), two_bits);
                    if (three) { /* the high bit 4 h + t to bit 2: codes stored + 4 */
                        const uint8x16_t hm =
                            vld1q_u8(col + codes_at + 512 + 32 * (4 * e + u) + 16 * half);
                        code = vorrq_u8(code, gk_qpn_bit_to(hm, 4 * (int)h + (int)t, 2));
                    }
                    part[half] = gk_qpn_dot4(part[half], vreinterpretq_s8_u8(code), x4);
                }
            }
            /* the scale (Q2_K: and min) of sub-block `sub` of every row */
            const uint8x8_t raw = vld2_u8(col + scales_at + 16 * (sub / 2)).val[e];
            int32x4_t sc[2], m[2];
            if (three) {
                const int16x8_t w = vmovl_s8(vreinterpret_s8_u8(raw));
                sc[0] = m[0] = vmovl_s16(vget_low_s16(w));
                sc[1] = m[1] = vmovl_high_s16(w);
            } else {
                const gk_qpn_i32x8 lo = gk_qpn_u8x8(vand_u8(raw, vdup_n_u8(0x0F)));
                const gk_qpn_i32x8 hi = gk_qpn_u8x8(vshr_n_u8(raw, 4));
                sc[0] = lo.r0;
                sc[1] = lo.r4;
                m[0] = hi.r0;
                m[1] = hi.r4;
            }
            for (unsigned half = 0; half < 2; half++) {
                isum[half] = vmlaq_s32(isum[half], part[half], sc[half]);
                msum[half] = vmlaq_n_s32(msum[half], m[half], x[b].bsums[sub]);
            }
        }
        float32x4_t d[2], dmin[2] = {vdupq_n_f32(0.0f), vdupq_n_f32(0.0f)};
        gk_qpn_f16x8(col, &d[0], &d[1]);
        if (three) { /* codes stored + 4: isum - 4 sum(scale * bsum); no min */
            const int32x4_t zero[2] = {vdupq_n_s32(0), vdupq_n_s32(0)};
            isum[0] = vsubq_s32(isum[0], vshlq_n_s32(msum[0], 2));
            isum[1] = vsubq_s32(isum[1], vshlq_n_s32(msum[1], 2));
            gk_qpn_kquant_step(acc, d, dmin, x[b].d, isum, zero);
        } else {
            gk_qpn_f16x8(col + 16, &dmin[0], &dmin[1]);
            gk_qpn_kquant_step(acc, d, dmin, x[b].d, isum, msum);
        }
    }
    vst1q_f32(out, acc[0]);
    vst1q_f32(out + 4, acc[1]);
}

GK_QDOT8_SHARED(GK_QPN_KERNEL(q2_k), gk_qpn_q23_k, false)

GK_QDOT8_SHARED(GK_QPN_KERNEL(q3_k), gk_qpn_q23_k, true)

/* ---- TQ2_0 ---- */

void GK_QPN_KERNEL(tq2_0)(
    const void *group, const void *xq, const int32_t *xsum, size_t n_blocks, float *out)
{
    (void)xsum;
    const uint8_t *col = group;
    const gk_block_q8_k *x = xq;
    const uint8x16_t two_bits = vdupq_n_u8(3);
    float32x4_t acc[2] = {vdupq_n_f32(0.0f), vdupq_n_f32(0.0f)};
    for (size_t b = 0; b < n_blocks; b++, col += GK_QPACK_TQ2_0_COLUMN) {
        /* codes 0..2 taken unsigned, their -1 through the activation's sum */
        int32x4_t isum[2] = {vdupq_n_s32(0), vdupq_n_s32(0)};
        for (unsigned u = 0; u < 16; u++)
            for (unsigned half = 0; half < 2; half++) {
                const uint8x16_t v = vld1q_u8(col + 16 + 32 * u + 16 * half);
                for (unsigned l = 0; l < 4; l++) {
                    const uint8x16_t code =
                        vandq_u8(vshlq_u8(v, vdupq_n_s8((int8_t)(-2 * (int)l))), two_bits);
                    isum[half] =
                        gk_qpn_dot4(isum[half], vreinterpretq_s8_u8(code),
                                    gk_qpn_x4(x[b].qs + 128 * (u / 8) + 32 * l + 4 * (u % 8)));
                }
            }
        int32_t x_sum = 0;
        for (unsigned g = 0; g < 16; g++)
            x_sum += x[b].bsums[g];
        isum[0] = vsubq_s32(isum[0], vdupq_n_s32(x_sum));
        isum[1] = vsubq_s32(isum[1], vdupq_n_s32(x_sum));
        gk_qpn_kquant_step_nomin(acc, col, x[b].d, isum);
    }
    vst1q_f32(out, acc[0]);
    vst1q_f32(out + 4, acc[1]);
}

/* ---- IQ4_XS ---- */

void GK_QPN_KERNEL(iq4_xs)(
    const void *group, const void *xq, const int32_t *xsum, size_t n_blocks, float *out)
{
    (void)xsum;
    const uint8_t *col = group;
    const gk_block_q8_k *x = xq;
    const uint8x16_t low_mask = vdupq_n_u8(0x0F);
    const int8x16_t values = vld1q_s8(gk_iq4nl_values);
    float32x4_t acc[2] = {vdupq_n_f32(0.0f), vdupq_n_f32(0.0f)};
    for (size_t b = 0; b < n_blocks; b++, col += GK_QPACK_IQ4_XS_COLUMN) {
        int32x4_t isum[2] = {vdupq_n_s32(0), vdupq_n_s32(0)};
        for (unsigned sub = 0; sub < 8; sub++) {
            int32x4_t part[2] = {vdupq_n_s32(0), vdupq_n_s32(0)};
            for (unsigned g = 0; g < 4; g++) {
                const int8x16_t x_lo = gk_qpn_x4(x[b].qs + 32 * sub + 4 * g);
                const int8x16_t x_hi = gk_qpn_x4(x[b].qs + 32 * sub + 16 + 4 * g);
                for (unsigned half = 0; half < 2; half++) {
                    const uint8x16_t q = vld1q_u8(col + 80 + 128 * sub + 32 * g + 16 * half);
                    part[half] =
                        gk_qpn_dot4(part[half], vqtbl1q_s8(values, vandq_u8(q, low_mask)), x_lo);
                    part[half] =
                        gk_qpn_dot4(part[half], vqtbl1q_s8(values, vshrq_n_u8(q, 4)), x_hi);
                }
            }
            /* the rows' signed scales (ls - 32) */
            const int16x8_t w = vmovl_s8(vreinterpret_s8_u8(vld1_u8(col + 16 + 8 * sub)));
            isum[0] = vmlaq_s32(isum[0], part[0], vmovl_s16(vget_low_s16(w)));
            isum[1] = vmlaq_s32(isum[1], part[1], vmovl_high_s16(w));
        }
        gk_qpn_kquant_step_nomin(acc, col, x[b].d, isum);
    }
    vst1q_f32(out, acc[0]);
    vst1q_f32(out + 4, acc[1]);
}

/* ---- the grid formats IQ1_S .. IQ3_S (qpack.h) ---- */

/* The rows' scales 2 s + 1 of the weights 16 sub .. 16 sub + 15 (a nibble of byte
 * 16 + 8 (sub / 2) + r). */
static inline gk_qpn_i32x8 gk_qpn_iq_scale(const uint8_t *col, unsigned sub)
{
    const uint8x8_t s = vld1_u8(col + 16 + 8 * (sub / 2));
    const uint8x8_t nibble = sub % 2 ? vshr_n_u8(s, 4) : vand_u8(s, vdup_n_u8(0x0F));
    return gk_qpn_u8x8(vadd_u8(vshl_n_u8(nibble, 1), vdup_n_u8(1)));
}

/* gk_qpack_iq_step per lane: acc + ((d factor) d_x) isum, d the rows' f16 scales at col. */
static inline void gk_qpn_iq_step(
    float32x4_t acc[2], const uint8_t *col, float factor, float dx, const int32x4_t isum[2])
{
    float32x4_t d[2];
    gk_qpn_f16x8(col, &d[0], &d[1]);
    for (unsigned h = 0; h < 2; h++) {
        const float32x4_t dd = vmulq_n_f32(vmulq_n_f32(d[h], factor), dx);
        acc[h] = vaddq_f32(acc[h], vmulq_f32(dd, vcvtq_f32_s32(isum[h])));
    }
}

/* IQ1_S and IQ1_M, the IQ1 layout (group: weights per delta, 32 or 8): per row and sub-block,
 * 8 * sum of c * xq less the halves' (7 + 2 n) X, selected by the delta sign bit; the exact
 * integers of the scalar kernel. */
static inline void gk_qpn_iq1(const uint8_t *col,
                              const gk_block_q8_k *x,
                              const int32_t *xsum,
                              size_t n_blocks,
                              unsigned group,
                              float *out)
{
    const size_t column = gk_qpack_iq1_column(group);
    const uint8x16_t two_bits = vdupq_n_u8(3);
    float32x4_t acc[2] = {vdupq_n_f32(0.0f), vdupq_n_f32(0.0f)};
    for (size_t b = 0; b < n_blocks; b++, col += column, xsum += GK_QPACK_IQ1_XSUM) {
        /* the rows' sign bits, one 32-bit lane a row: IQ1_M the two words (bit 15 - a, h = 0;
         * 31 - a, h = 1), IQ1_S its byte (bit 7 - a / 2 for both halves) */
        uint32x4_t signs[2];
        if (group == 8) {
            signs[0] = vreinterpretq_u32_u8(vld1q_u8(col + 592)); /* little-endian words */
            signs[1] = vreinterpretq_u32_u8(vld1q_u8(col + 608));
        } else {
            const uint16x8_t bytes = vmovl_u8(vld1_u8(col + 592));
            signs[0] = vmovl_u16(vget_low_u16(bytes));
            signs[1] = vmovl_u16(vget_high_u16(bytes));
        }
        int32x4_t isum[2] = {vdupq_n_s32(0), vdupq_n_s32(0)};
        for (unsigned a = 0; a < 16; a++) { /* the weights 16 a .. 16 a + 15 */
            const gk_qpn_i32x8 sc = gk_qpn_iq_scale(col, a);
            for (unsigned half = 0; half < 2; half++) {
                const uint8x16_t q = vld1q_u8(col + 80 + 32 * a + 16 * half);
                int32x4_t codes = vdupq_n_s32(0);
                for (unsigned l = 0; l < 4; l++) {
                    const int8x16_t c = vreinterpretq_s8_u8(
                        vandq_u8(vshlq_u8(q, vdupq_n_s8((int8_t)(-2 * (int)l))), two_bits));
                    codes = gk_qpn_dot4(codes, c, gk_qpn_x4(x[b].qs + 16 * a + 4 * l));
                }
                int32x4_t part = vshlq_n_s32(codes, 3);
                for (unsigned h = 0; h < 2; h++) {
                    const uint32_t bit = group == 8 ? 1u << (15 - a + 16 * h) : 1u << (7 - a / 2);
                    /* -(7 + 2 n) X_2a+h: half h of xsum's words a and 16 + a */
                    const int32_t minus7 = (int16_t)(uint16_t)((uint32_t)xsum[a] >> (16 * h));
                    const int32_t minus9 = (int16_t)(uint16_t)((uint32_t)xsum[16 + a] >> (16 * h));
                    part = vaddq_s32(part, vbslq_s32(vtstq_u32(signs[half], vdupq_n_u32(bit)),
                                                     vdupq_n_s32(minus9), vdupq_n_s32(minus7)));
                }
                isum[half] = vmlaq_s32(isum[half], part, half ? sc.r4 : sc.r0);
            }
        }
        gk_qpn_iq_step(acc, col, 0.125f, x[b].d, isum);
    }
    vst1q_f32(out, acc[0]);
    vst1q_f32(out + 4, acc[1]);
}

/* IQ2, the sign-magnitude layout (t: which format). */
static inline void
gk_qpn_iq_sm(const uint8_t *col, const gk_block_q8_k *x, size_t n_blocks, gk_qtype t, float *out)
{
    const struct gk_qpack_iq iq = gk_qpack_iq_of(t);
    const uint8x16_t two_bits = vdupq_n_u8(3);
    const int8x16_t magnitudes = vld1q_s8(iq.values);
    float32x4_t acc[2] = {vdupq_n_f32(0.0f), vdupq_n_f32(0.0f)};
    for (size_t b = 0; b < n_blocks; b++, col += GK_QPACK_IQ_SM_COLUMN) {
        int32x4_t isum[2] = {vdupq_n_s32(0), vdupq_n_s32(0)};
        for (unsigned a = 0; a < 16; a++) { /* the weights 16 a .. 16 a + 15 */
            int32x4_t part[2] = {vdupq_n_s32(0), vdupq_n_s32(0)};
            for (unsigned half = 0; half < 2; half++) {
                const uint8x16_t q = vld1q_u8(col + 80 + 32 * a + 16 * half);
                const uint8x16_t signs = vld1q_u8(col + 592 + 32 * (a / 2) + 16 * half);
                for (unsigned l = 0; l < 4; l++) {
                    const uint8x16_t index =
                        vandq_u8(vshlq_u8(q, vdupq_n_s8((int8_t)(-2 * (int)l))), two_bits);
                    /* negative where the sign bit 4 (a % 2) + l is set: (m ^ -1) - (-1) = -m */
                    const int8x16_t negative = vreinterpretq_s8_u8(
                        vtstq_u8(signs, vdupq_n_u8((uint8_t)(1u << (4 * (a % 2) + l)))));
                    const int8x16_t w =
                        vsubq_s8(veorq_s8(vqtbl1q_s8(magnitudes, index), negative), negative);
                    part[half] = gk_qpn_dot4(part[half], w, gk_qpn_x4(x[b].qs + 16 * a + 4 * l));
                }
            }
            const gk_qpn_i32x8 sc = gk_qpn_iq_scale(col, a);
            isum[0] = vmlaq_s32(isum[0], part[0], sc.r0);
            isum[1] = vmlaq_s32(isum[1], part[1], sc.r4);
        }
        gk_qpn_iq_step(acc, col, iq.factor, x[b].d, isum);
    }
    vst1q_f32(out, acc[0]);
    vst1q_f32(out + 4, acc[1]);
}

/* IQ3_XXS and IQ3_S, the 4-bit layout (t: which format). */
static inline void
gk_qpn_iq_grid(const uint8_t *col, const gk_block_q8_k *x, size_t n_blocks, gk_qtype t, float *out)
{
    const struct gk_qpack_iq iq = gk_qpack_iq_of(t);
    const uint8x16_t low_mask = vdupq_n_u8(0x0F);
    const int8x16_t values = vld1q_s8(iq.values);
    float32x4_t acc[2] = {vdupq_n_f32(0.0f), vdupq_n_f32(0.0f)};
    for (size_t b = 0; b < n_blocks; b++, col += GK_QPACK_IQ_GRID_COLUMN) {
        int32x4_t isum[2] = {vdupq_n_s32(0), vdupq_n_s32(0)};
        for (unsigned g = 0; g < 8; g++) {
            /* weights 32 g + 0..15 (low nibbles) and 32 g + 16..31 (high nibbles) */
            int32x4_t part_lo[2] = {vdupq_n_s32(0), vdupq_n_s32(0)};
            int32x4_t part_hi[2] = {vdupq_n_s32(0), vdupq_n_s32(0)};
            for (unsigned u = 0; u < 4; u++) {
                const int8x16_t x_lo = gk_qpn_x4(x[b].qs + 32 * g + 4 * u);
                const int8x16_t x_hi = gk_qpn_x4(x[b].qs + 32 * g + 16 + 4 * u);
                for (unsigned half = 0; half < 2; half++) {
                    const uint8x16_t q = vld1q_u8(col + 80 + 128 * g + 32 * u + 16 * half);
                    part_lo[half] =
                        gk_qpn_dot4(part_lo[half], vqtbl1q_s8(values, vandq_u8(q, low_mask)), x_lo);
                    part_hi[half] =
                        gk_qpn_dot4(part_hi[half], vqtbl1q_s8(values, vshrq_n_u8(q, 4)), x_hi);
                }
            }
            const gk_qpn_i32x8 lo = gk_qpn_iq_scale(col, 2 * g),
                               hi = gk_qpn_iq_scale(col, 2 * g + 1);
            isum[0] = vmlaq_s32(vmlaq_s32(isum[0], part_lo[0], lo.r0), part_hi[0], hi.r0);
            isum[1] = vmlaq_s32(vmlaq_s32(isum[1], part_lo[1], lo.r4), part_hi[1], hi.r4);
        }
        gk_qpn_iq_step(acc, col, iq.factor, x[b].d, isum);
    }
    vst1q_f32(out, acc[0]);
    vst1q_f32(out + 4, acc[1]);
}

GK_QDOT8_SHARED_XSUM(GK_QPN_KERNEL(iq1_s), gk_qpn_iq1, 32)

GK_QDOT8_SHARED_XSUM(GK_QPN_KERNEL(iq1_m), gk_qpn_iq1, 8)

GK_QDOT8_SHARED(GK_QPN_KERNEL(iq2_xxs), gk_qpn_iq_sm, GK_QTYPE_IQ2_XXS)

GK_QDOT8_SHARED(GK_QPN_KERNEL(iq2_xs), gk_qpn_iq_sm, GK_QTYPE_IQ2_XS)

GK_QDOT8_SHARED(GK_QPN_KERNEL(iq2_s), gk_qpn_iq_sm, GK_QTYPE_IQ2_S)

GK_QDOT8_SHARED(GK_QPN_KERNEL(iq3_xxs), gk_qpn_iq_grid, GK_QTYPE_IQ3_XXS)

GK_QDOT8_SHARED(GK_QPN_KERNEL(iq3_s), gk_qpn_iq_grid, GK_QTYPE_IQ3_S)
