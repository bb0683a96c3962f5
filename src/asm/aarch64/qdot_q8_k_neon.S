/* SPDX-License-Identifier: MIT */
/* gk_qdot_q8_k_neon: Q8_K weight rows dotted with one Q8_K activation row, AArch64 NEON.
 * Assembled twice (asm_defs.h): with the dot-product extension it is gk_qdot_q8_k_neon_dotprod.
 *
 * C prototype (src/quant/qdot.h, the arithmetic of src/quant/qdot_scalar.c, bit for bit):
 *   void gk_qdot_q8_k_neon(const void *w, size_t w_stride, const void *xq, size_t n_blocks,
 *                          float *y, size_t n_rows);
 *
 * Block layout (src/quant/blocks.h, 292 bytes): d f32 @0, qs[256] int8 @4, bsums[16] int16 @260
 * (not needed: there is no min and no code offset).
 *
 * Register map (AAPCS64; only caller-saved registers, no stack):
 *   x0  w: the current row's first block       x1  w_stride (bytes)
 *   x2  xq: the activation's first block        x3  n_blocks
 *   x4  y: the current output                   x5  rows left
 *   x9  the weight block, x10 the activation block, x8 blocks left
 *   x11, x12  the code pointers; x13 64-byte steps left in the block
 *   v16..v19  weight codes; v20..v23  activation codes; v24, v25  int16 products (baseline)
 *   v26, v27  the block's int32 sums; v28..v30  f32 temporaries; v7  the row's sum (lane 0)
 *
 * Per 16 codes: SMULL + SMLAL2, two products per int16 lane (|w| <= 128, |x| <= 127: at most
 * 32512, exact), SADALP into int32; or one SDOT, four products per int32 lane. Per block, ADDV
 * gives the exact isum and the scalar tier's f32 step follows, operation by operation:
 *   acc + ((d_w * d_x) * (float)isum - (0 * d_x) * 0)
 * (the min term is kept: with d_x < 0 it turns a -0 product into +0, as the scalar code does). */
#include "asm/asm_defs.h"

/* Weight codes v\w times activation codes v\x into the int32 sums v\acc (v\tmp: products). */
.macro PAIR w, x, tmp, acc
#ifdef __ARM_FEATURE_DOTPROD
    sdot    v\acc\().4s, v\w\().16b, v\x\().16b
#else
    smull   v\tmp\().8h, v\w\().8b, v\x\().8b
    smlal2  v\tmp\().8h, v\w\().16b, v\x\().16b
    sadalp  v\acc\().4s, v\tmp\().8h
#endif
.endm

GK_ASM_FUNC(GK_ASM_NEON_DOT(gk_qdot_q8_k_neon))
    cbz     x5, 9f
1:  /* a row */
    movi    v7.4s, #0
    mov     x9, x0
    mov     x10, x2
    mov     x8, x3
    cbz     x8, 3f
2:  /* a block */
    movi    v26.4s, #0
    movi    v27.4s, #0
    add     x11, x9, #4
    add     x12, x10, #4
    mov     x13, #4
4:  /* 64 codes */
    ld1     {v16.16b, v17.16b, v18.16b, v19.16b}, [x11], #64
    ld1     {v20.16b, v21.16b, v22.16b, v23.16b}, [x12], #64
    PAIR    16, 20, 24, 26
    PAIR    17, 21, 25, 27
    PAIR    18, 22, 24, 26
    PAIR    19, 23, 25, 27
    subs    x13, x13, #1
    b.ne    4b
    add     v26.4s, v26.4s, v27.4s
    addv    s26, v26.4s
    scvtf   s26, s26
    /* the f32 step of gk_qdot_kquant_step */
    ldr     s28, [x9]
    ldr     s29, [x10]
    fmul    s30, s28, s29
    fmul    s30, s30, s26
    movi    v28.4s, #0
    fmul    s29, s28, s29
    fmul    s29, s29, s28
    fsub    s30, s30, s29
    fadd    s7, s7, s30
    add     x9, x9, #292
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
GK_ASM_END(GK_ASM_NEON_DOT(gk_qdot_q8_k_neon))

GK_ASM_STACK_NOTE
