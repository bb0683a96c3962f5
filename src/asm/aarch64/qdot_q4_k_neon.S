/* SPDX-License-Identifier: MIT */
/* gk_qdot_q4_k_neon: Q4_K weight rows dotted with one Q8_K activation row, AArch64 NEON.
 * Assembled twice (asm_defs.h): with the dot-product extension it is gk_qdot_q4_k_neon_dotprod.
 *
 * C prototype (src/quant/qdot.h, the arithmetic of src/quant/qdot_scalar.c):
 *   void gk_qdot_q4_k_neon(const void *w, size_t w_stride, const void *xq, size_t n_blocks,
 *                          float *y, size_t n_rows);
 *
 * Block layouts (src/quant/blocks.h): Q4_K (144 bytes) d f16 @0, dmin f16 @2, scales[12] @4,
 * qs[128] @16; Q8_K (292 bytes) d f32 @0, qs[256] int8 @4, bsums[16] int16 @260.
 *
 * Register map (AAPCS64; only caller-saved registers, no stack):
 *   x0  w: the current row's first block       x1  w_stride (bytes)
 *   x2  xq: the activation's first block        x3  n_blocks
 *   x4  y: the current output                   x5  rows left
 *   x9  the weight block, x10 the activation block, x8 blocks left in the row
 *   w11..w17  the scale words u0, u1, u2 and the decoded scales and mins
 *   v0   sc_lo | sc_hi | m_lo | m_hi as bytes; v2, v3  scales 0..3 / 4..7 as int32
 *   v4   mins as int16; v5, v6  the activation's 16-value sums, then min * pair sums
 *   v7   the row's f32 sum (lane 0); v16  scale * code * activation sums (int32)
 *   v17..v28  codes, activations and products; v29..v31  f32 scale temporaries
 *   v1   0x0F in every byte
 *
 * Per super-block: decode the scales and mins with integer operations (gk_q4k_scale_min's
 * layout); per sub-block the 32 products of codes (0..15) and activations (-127..127) through
 * SMULL/SMLAL into int16 lanes (four products per lane, at most 7620) and SADDLP into int32, or
 * two SDOTs (eight products per int32 lane), times the sub-block's scale (MLA by element); the
 * mins against pairs of the activation's 16-value sums; both reduced exactly, then the f32
 * steps of gk_qdot_kquant_step in its order:
 *   acc = acc + ((d * dx) * isum - (dmin * dx) * msum). */
#include "asm/asm_defs.h"

/* Sub-blocks 2p (low nibbles) and 2p + 1 (high nibbles) of pair p into v16, scaled by the int32
 * lanes \slo and \shi. */
.macro PAIR p, slo, shi
    add     x12, x9, #16 + 32 * \p
    ld1     {v17.16b, v18.16b}, [x12]
    add     x12, x10, #4 + 64 * \p
    ld1     {v19.16b, v20.16b, v21.16b, v22.16b}, [x12]
    and     v23.16b, v17.16b, v1.16b
    and     v24.16b, v18.16b, v1.16b
    ushr    v25.16b, v17.16b, #4
    ushr    v26.16b, v18.16b, #4
#ifdef __ARM_FEATURE_DOTPROD
    movi    v27.4s, #0
    movi    v28.4s, #0
    sdot    v27.4s, v23.16b, v19.16b
    sdot    v28.4s, v25.16b, v21.16b
    sdot    v27.4s, v24.16b, v20.16b
    sdot    v28.4s, v26.16b, v22.16b
    mla     v16.4s, v27.4s, \slo
    mla     v16.4s, v28.4s, \shi
#else
    smull   v27.8h, v23.8b, v19.8b
    smlal2  v27.8h, v23.16b, v19.16b
    smlal   v27.8h, v24.8b, v20.8b
    smlal2  v27.8h, v24.16b, v20.16b
    saddlp  v27.4s, v27.8h
    mla     v16.4s, v27.4s, \slo
    smull   v28.8h, v25.8b, v21.8b
    smlal2  v28.8h, v25.16b, v21.16b
    smlal   v28.8h, v26.8b, v22.8b
    smlal2  v28.8h, v26.16b, v22.16b
    saddlp  v28.4s, v28.8h
    mla     v16.4s, v28.4s, \shi
#endif
.endm

GK_ASM_FUNC(GK_ASM_NEON_DOT(gk_qdot_q4_k_neon))
    cbz     x5, 9f
    movi    v1.16b, #0x0F
1:  /* a row */
    movi    v7.4s, #0
    mov     x9, x0
    mov     x10, x2
    mov     x8, x3
    cbz     x8, 3f
2:  /* a super-block */
    /* scales 0..3 = u0 & 0x3F.., scales 4..7 = (u2 & 0x0F..) | ((u0 >> 6) & 0x03..) << 4,
     * mins 0..3 = u1 & 0x3F.., mins 4..7 = ((u2 >> 4) & 0x0F..) | ((u1 >> 6) & 0x03..) << 4 */
    ldr     w11, [x9, #4]
    ldr     w12, [x9, #8]
    ldr     w13, [x9, #12]
    and     w14, w11, #0x3F3F3F3F
    and     w15, w13, #0x0F0F0F0F
    lsr     w16, w11, #6
    and     w16, w16, #0x03030303
    orr     w15, w15, w16, lsl #4
    and     w16, w12, #0x3F3F3F3F
    lsr     w17, w13, #4
    and     w17, w17, #0x0F0F0F0F
    lsr     w12, w12, #6
    and     w12, w12, #0x03030303
    orr     w17, w17, w12, lsl #4
    mov     v0.s[0], w14
    mov     v0.s[1], w15
    mov     v0.s[2], w16
    mov     v0.s[3], w17
    uxtl    v2.8h, v0.8b
    uxtl2   v3.4s, v2.8h
    uxtl    v2.4s, v2.4h
    uxtl2   v4.8h, v0.16b
    /* msum = sum of min_s * (bsums[2s] + bsums[2s + 1]) */
    add     x12, x10, #260
    ld1     {v5.8h, v6.8h}, [x12]
    addp    v5.8h, v5.8h, v6.8h
    smull   v6.4s, v5.4h, v4.4h
    smlal2  v6.4s, v5.8h, v4.8h
    addv    s6, v6.4s
    /* isum */
    movi    v16.4s, #0
    PAIR    0, v2.s[0], v2.s[1]
    PAIR    1, v2.s[2], v2.s[3]
    PAIR    2, v3.s[0], v3.s[1]
    PAIR    3, v3.s[2], v3.s[3]
    addv    s16, v16.4s
    /* acc + ((d * dx) * isum - (dmin * dx) * msum) */
    scvtf   s16, s16
    scvtf   s6, s6
    ldr     h29, [x9]
    fcvt    s29, h29
    ldr     h30, [x9, #2]
    fcvt    s30, h30
    ldr     s31, [x10]
    fmul    s29, s29, s31
    fmul    s29, s29, s16
    fmul    s30, s30, s31
    fmul    s30, s30, s6
    fsub    s29, s29, s30
    fadd    s7, s7, s29
    add     x9, x9, #144
    add     x10, x10, #292
    subs    x8, x8, #1
    b.ne    2b
3:
    str     s7, [x4], #4
    add     x0, x0, x1
    subs    x5, x5, #1
    b.ne    1b
9:
    ret
GK_ASM_END(GK_ASM_NEON_DOT(gk_qdot_q4_k_neon))

GK_ASM_STACK_NOTE
