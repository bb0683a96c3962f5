/* SPDX-License-Identifier: MIT */
/* gk_qdot_q8_0_neon, gk_qdot_q4_0_neon: Q8_0 / Q4_0 weight rows dotted with one Q8_0
 * activation row, AArch64 NEON. One family, one loop: the two differ only in how a block's 32
 * signed codes are loaded (the CODES macro). Assembled twice (asm_defs.h): with the dot-product
 * extension the kernels are gk_qdot_q8_0_neon_dotprod and gk_qdot_q4_0_neon_dotprod.
 *
 * C prototype (src/quant/qdot.h, the arithmetic of src/quant/qdot_scalar.c, bit for bit):
 *   void gk_qdot_<fmt>_neon(const void *w, size_t w_stride, const void *xq, size_t n_blocks,
 *                           float *y, size_t n_rows);
 *
 * Block layouts (src/quant/blocks.h): Q8_0 (34 bytes) d f16 @0, qs[32] int8 @2; Q4_0 (18 bytes)
 * d f16 @0, qs[16] @2 (element j < 16: low nibble of qs[j], j + 16: its high nibble), codes
 * nibble - 8.
 *
 * Register map (AAPCS64; only caller-saved registers, no stack):
 *   x0  w: the current row's first block       x1  w_stride (bytes)
 *   x2  xq: the activation's first block        x3  n_blocks
 *   x4  y: the current output                   x5  rows left
 *   x9  the weight block, x10 the activation block, x8 blocks left, x11 a temporary
 *   v16, v17  the weight codes; v18, v19  the activation codes; v20  int16 products (baseline)
 *   or the second half's int32 sums (SDOT); v21  int32 sums; v22..v24  f32 temporaries;
 *   v7  the row's f32 sum (lane 0); v1  0x0F in every byte; v2  8 in every byte
 *
 * Per block: the 32 products (|w| <= 128, |x| <= 127) through SMULL/SMLAL, two per int16 lane,
 * and SADDLP (baseline), or two SDOTs (four per int32 lane), then ADDV into the exact int32 sum,
 * then acc + (f16(d_w) * f16(d_x)) * (float)isum, the scalar tier's order. */
#include "asm/asm_defs.h"

/* v21.4s: int32 lanes whose sum is the 32 products of codes v16:v17 and activations v18:v19 */
.macro PRODUCTS
#ifdef __ARM_FEATURE_DOTPROD
    movi    v21.4s, #0
    movi    v20.4s, #0
    sdot    v21.4s, v16.16b, v18.16b
    sdot    v20.4s, v17.16b, v19.16b
    add     v21.4s, v21.4s, v20.4s
#else
    smull   v20.8h, v16.8b, v18.8b
    smlal2  v20.8h, v16.16b, v18.16b
    saddlp  v21.4s, v20.8h
    smull   v20.8h, v17.8b, v19.8b
    smlal2  v20.8h, v17.16b, v19.16b
    sadalp  v21.4s, v20.8h
#endif
.endm

.macro CODES_q8_0
    add     x11, x9, #2
    ld1     {v16.16b, v17.16b}, [x11]
.endm
.macro CODES_q4_0
    add     x11, x9, #2
    ld1     {v17.16b}, [x11]
    and     v16.16b, v17.16b, v1.16b
    ushr    v17.16b, v17.16b, #4
    sub     v16.16b, v16.16b, v2.16b
    sub     v17.16b, v17.16b, v2.16b
.endm

.macro QDOT32 fmt, bytes
GK_ASM_FUNC(GK_ASM_NEON_DOT(gk_qdot_\fmt\()_neon))
    cbz     x5, 9f
    movi    v1.16b, #0x0F
    movi    v2.16b, #8
1:  /* a row */
    movi    v7.4s, #0
    mov     x9, x0
    mov     x10, x2
    mov     x8, x3
    cbz     x8, 3f
2:  /* a block */
    CODES_\fmt
    add     x11, x10, #2
    ld1     {v18.16b, v19.16b}, [x11]
    PRODUCTS
    addv    s21, v21.4s
    scvtf   s21, s21
    ldr     h22, [x9]
    fcvt    s22, h22
    ldr     h23, [x10]
    fcvt    s23, h23
    fmul    s22, s22, s23
    fmul    s22, s22, s21
    fadd    s7, s7, s22
    add     x9, x9, #\bytes
    add     x10, x10, #34
    subs    x8, x8, #1
    b.ne    2b
3:
    str     s7, [x4], #4
    add     x0, x0, x1
    subs    x5, x5, #1
    b.ne    1b
9:
    ret
GK_ASM_END(GK_ASM_NEON_DOT(gk_qdot_\fmt\()_neon))
.endm

    QDOT32  q8_0, 34
    QDOT32  q4_0, 18

GK_ASM_STACK_NOTE
