/* SPDX-License-Identifier: MIT */
/* gk_ukr_gemm_f32_neon_8x12: the AArch64 Advanced SIMD f32 GEMM microkernel, an 8 x 12 tile of C.
 *
 * C prototype (src/kernels/kernel_decls.h, contract in src/core/gemm_kernels.h):
 *   void gk_ukr_gemm_f32_neon_8x12(size_t k, const float *a, const float *b, float *c,
 *                                  size_t ldc, const struct gk_gemm_epilogue *ep);
 *
 * Register map (AAPCS64):
 *   x0   k, the depth; counts down by 2 in the main loop (x9 = k mod 2 for the tail)
 *   x1   a: packed A, 8 floats per depth step (32 bytes)
 *   x2   b: packed B, 12 floats per depth step (48 bytes)
 *   x3   c: row 0 of the tile, advanced row by row in the epilogue
 *   x4   ldc in elements, turned into bytes
 *   x5   ep: alpha at [x5], beta at [x5, #4], bias pointer at [x5, #8]
 *   v0, v1     A: rows 0-3 and 4-7 at this depth step (used by element: fmla by lane)
 *   v2-v4      B: columns 0-3, 4-7, 8-11 at this depth step
 *   v5-v7      the bias in the epilogue
 *   v8-v31     accumulators: row i, columns 4q..4q+3 in v(8 + 3i + q)
 * d8-d15 (the low halves of v8-v15) are callee-saved: stored on the stack on entry.
 *
 * Loop outline: 2 depth steps per iteration, 24 FMAs each (by-element fmla from v0/v1 lanes),
 * A and B loaded with post-increment. Epilogue: acc *= alpha; if beta != 0 (NaN counts as
 * non-zero) acc = fma(beta, C, acc); if bias, acc += bias[0..11]; store. */
#include "asm/asm_defs.h"


.macro KSTEP
    ld1         {v0.4s, v1.4s}, [x1], #32
    ld1         {v2.4s, v3.4s, v4.4s}, [x2], #48
    fmla        v8.4s,  v2.4s, v0.s[0]
    fmla        v9.4s,  v3.4s, v0.s[0]
    fmla        v10.4s, v4.4s, v0.s[0]
    fmla        v11.4s, v2.4s, v0.s[1]
    fmla        v12.4s, v3.4s, v0.s[1]
    fmla        v13.4s, v4.4s, v0.s[1]
    fmla        v14.4s, v2.4s, v0.s[2]
    fmla        v15.4s, v3.4s, v0.s[2]
    fmla        v16.4s, v4.4s, v0.s[2]
    fmla        v17.4s, v2.4s, v0.s[3]
    fmla        v18.4s, v3.4s, v0.s[3]
    fmla        v19.4s, v4.4s, v0.s[3]
    fmla        v20.4s, v2.4s, v1.s[0]
    fmla        v21.4s, v3.4s, v1.s[0]
    fmla        v22.4s, v4.4s, v1.s[0]
    fmla        v23.4s, v2.4s, v1.s[1]
    fmla        v24.4s, v3.4s, v1.s[1]
    fmla        v25.4s, v4.4s, v1.s[1]
    fmla        v26.4s, v2.4s, v1.s[2]
    fmla        v27.4s, v3.4s, v1.s[2]
    fmla        v28.4s, v4.4s, v1.s[2]
    fmla        v29.4s, v2.4s, v1.s[3]
    fmla        v30.4s, v3.4s, v1.s[3]
    fmla        v31.4s, v4.4s, v1.s[3]
.endm

/* One row of the epilogue: v0 = alpha (all lanes), v1.s[0] = beta, v5-v7 = bias. */
.macro ROW q0, q1, q2, beta, bias
    fmul        v\q0\().4s, v\q0\().4s, v0.4s
    fmul        v\q1\().4s, v\q1\().4s, v0.4s
    fmul        v\q2\().4s, v\q2\().4s, v0.4s
.if \beta
    ld1         {v2.4s, v3.4s, v4.4s}, [x3]
    fmla        v\q0\().4s, v2.4s, v1.s[0]
    fmla        v\q1\().4s, v3.4s, v1.s[0]
    fmla        v\q2\().4s, v4.4s, v1.s[0]
.endif
.if \bias
    fadd        v\q0\().4s, v\q0\().4s, v5.4s
    fadd        v\q1\().4s, v\q1\().4s, v6.4s
    fadd        v\q2\().4s, v\q2\().4s, v7.4s
.endif
    st1         {v\q0\().4s, v\q1\().4s, v\q2\().4s}, [x3]
    add         x3, x3, x4
.endm

.macro TILE beta, bias
    ROW 8, 9, 10, \beta, \bias
    ROW 11, 12, 13, \beta, \bias
    ROW 14, 15, 16, \beta, \bias
    ROW 17, 18, 19, \beta, \bias
    ROW 20, 21, 22, \beta, \bias
    ROW 23, 24, 25, \beta, \bias
    ROW 26, 27, 28, \beta, \bias
    ROW 29, 30, 31, \beta, \bias
    ldp         d8, d9, [sp, #0]
    ldp         d10, d11, [sp, #16]
    ldp         d12, d13, [sp, #32]
    ldp         d14, d15, [sp, #48]
    add         sp, sp, #64
    ret
.endm

GK_ASM_FUNC(gk_ukr_gemm_f32_neon_8x12)
    sub         sp, sp, #64
    stp         d8, d9, [sp, #0]
    stp         d10, d11, [sp, #16]
    stp         d12, d13, [sp, #32]
    stp         d14, d15, [sp, #48]
    .irp r, 8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
    movi        v\r\().4s, #0
    .endr
    lsl         x4, x4, #2
    and         x9, x0, #1
    lsr         x0, x0, #1
    cbz         x0, 2f
1:
    prfm        pldl1keep, [x1, #512]
    KSTEP
    KSTEP
    subs        x0, x0, #1
    b.ne        1b
2:
    cbz         x9, 3f
    KSTEP
3:
    ld1r        {v0.4s}, [x5]
    ldr         s1, [x5, #4]
    ldr         x6, [x5, #8]
    fcmp        s1, #0.0
    b.ne        5f                /* not equal, or unordered (NaN beta): the beta path */
    cbnz        x6, 4f
    TILE        0, 0
4:
    ld1         {v5.4s, v6.4s, v7.4s}, [x6]
    TILE        0, 1
5:
    cbnz        x6, 6f
    TILE        1, 0
6:
    ld1         {v5.4s, v6.4s, v7.4s}, [x6]
    TILE        1, 1
GK_ASM_END(gk_ukr_gemm_f32_neon_8x12)

GK_ASM_STACK_NOTE
