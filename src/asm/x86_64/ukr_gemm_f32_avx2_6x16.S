/* SPDX-License-Identifier: MIT */
/* gk_ukr_gemm_f32_avx2_6x16: the AVX2 + FMA f32 GEMM microkernel, a 6 x 16 tile of C.
 *
 * C prototype (src/kernels/kernel_decls.h, contract in src/core/gemm_kernels.h):
 *   void gk_ukr_gemm_f32_avx2_6x16(size_t k, const float *a, const float *b, float *c,
 *                                  size_t ldc, const struct gk_gemm_epilogue *ep);
 *
 * Register map (System V AMD64):
 *   rdi  k, the depth; counts down by 4 in the main loop (r10 = k mod 4 for the tail)
 *   rsi  a: packed A, 6 floats per depth step (24 bytes)
 *   rdx  b: packed B, 16 floats per depth step (64 bytes)
 *   rcx  c: row 0 of the tile, advanced row by row in the epilogue
 *   r8   ldc in elements, turned into bytes
 *   r9   ep: alpha at [r9], beta at [r9 + 4], bias pointer at [r9 + 8]
 *   ymm0..ymm11   accumulators: row i, columns 0-7 in ymm(2i), columns 8-15 in ymm(2i+1)
 *   ymm12, ymm13  the 16 floats of B at this depth step
 *   ymm14, ymm15  A elements broadcast (two alternate, so consecutive rows do not wait)
 * Only caller-saved registers are used; no stack.
 *
 * Loop outline: 4 depth steps per iteration (12 FMAs each: 2 ymm loads of B, 6 broadcasts of A,
 * 8 loads per 12 FMAs fit the 2 FMA + 3 load ports of Zen 3 / Haswell-class cores); one prefetch of
 * A 10 iterations ahead (A streams from L2, the B panel stays in L1); then the k mod 4 steps.
 * Epilogue: acc *= alpha; if beta != 0 (NaN counts as non-zero) acc = fma(beta, C, acc);
 * if bias, acc += bias[0..15]; store. */
#include "asm/asm_defs.h"

    .intel_syntax noprefix

.macro KSTEP ao, bo
    vmovups     ymm12, [rdx + \bo]
    vmovups     ymm13, [rdx + \bo + 32]
    vbroadcastss ymm14, [rsi + \ao]
    vbroadcastss ymm15, [rsi + \ao + 4]
    vfmadd231ps ymm0, ymm14, ymm12
    vfmadd231ps ymm1, ymm14, ymm13
    vfmadd231ps ymm2, ymm15, ymm12
    vfmadd231ps ymm3, ymm15, ymm13
    vbroadcastss ymm14, [rsi + \ao + 8]
    vbroadcastss ymm15, [rsi + \ao + 12]
    vfmadd231ps ymm4, ymm14, ymm12
    vfmadd231ps ymm5, ymm14, ymm13
    vfmadd231ps ymm6, ymm15, ymm12
    vfmadd231ps ymm7, ymm15, ymm13
    vbroadcastss ymm14, [rsi + \ao + 16]
    vbroadcastss ymm15, [rsi + \ao + 20]
    vfmadd231ps ymm8, ymm14, ymm12
    vfmadd231ps ymm9, ymm14, ymm13
    vfmadd231ps ymm10, ymm15, ymm12
    vfmadd231ps ymm11, ymm15, ymm13
.endm

/* One row of the epilogue: scale, optionally add beta * C and the bias (ymm12/13), store. */
.macro ROW lo, hi, beta, bias
    vmulps      ymm\lo, ymm\lo, ymm14
    vmulps      ymm\hi, ymm\hi, ymm14
.if \beta
    vfmadd231ps ymm\lo, ymm15, [rcx]
    vfmadd231ps ymm\hi, ymm15, [rcx + 32]
.endif
.if \bias
    vaddps      ymm\lo, ymm\lo, ymm12
    vaddps      ymm\hi, ymm\hi, ymm13
.endif
    vmovups     [rcx], ymm\lo
    vmovups     [rcx + 32], ymm\hi
    add         rcx, r8
.endm

.macro TILE beta, bias
    ROW 0, 1, \beta, \bias
    ROW 2, 3, \beta, \bias
    ROW 4, 5, \beta, \bias
    ROW 6, 7, \beta, \bias
    ROW 8, 9, \beta, \bias
    ROW 10, 11, \beta, \bias
    vzeroupper
    ret
.endm

GK_ASM_FUNC(gk_ukr_gemm_f32_avx2_6x16)
    vxorps      xmm0, xmm0, xmm0
    vxorps      xmm1, xmm1, xmm1
    vxorps      xmm2, xmm2, xmm2
    vxorps      xmm3, xmm3, xmm3
    vxorps      xmm4, xmm4, xmm4
    vxorps      xmm5, xmm5, xmm5
    vxorps      xmm6, xmm6, xmm6
    vxorps      xmm7, xmm7, xmm7
    vxorps      xmm8, xmm8, xmm8
    vxorps      xmm9, xmm9, xmm9
    vxorps      xmm10, xmm10, xmm10
    vxorps      xmm11, xmm11, xmm11
    shl         r8, 2
    /* The C tile is written at the end: start bringing its 6 rows (2 lines each) in now. */
    mov         rax, rcx
    prefetcht0  [rax]
    prefetcht0  [rax + 60]
    add         rax, r8
    prefetcht0  [rax]
    prefetcht0  [rax + 60]
    add         rax, r8
    prefetcht0  [rax]
    prefetcht0  [rax + 60]
    add         rax, r8
    prefetcht0  [rax]
    prefetcht0  [rax + 60]
    add         rax, r8
    prefetcht0  [rax]
    prefetcht0  [rax + 60]
    add         rax, r8
    prefetcht0  [rax]
    prefetcht0  [rax + 60]
    mov         r10, rdi
    and         r10, 3
    shr         rdi, 2
    jz          .Ltail
    .p2align 5
.Lloop4:
    prefetcht0  [rsi + 960]
    KSTEP       0, 0
    KSTEP       24, 64
    KSTEP       48, 128
    KSTEP       72, 192
    add         rsi, 96
    add         rdx, 256
    dec         rdi
    jnz         .Lloop4
.Ltail:
    test        r10, r10
    jz          .Lepilogue
.Lloop1:
    KSTEP       0, 0
    add         rsi, 24
    add         rdx, 64
    dec         r10
    jnz         .Lloop1
.Lepilogue:
    vbroadcastss ymm14, [r9]
    vmovss      xmm15, [r9 + 4]
    mov         rax, [r9 + 8]
    vxorps      xmm13, xmm13, xmm13
    vucomiss    xmm15, xmm13
    jp          .Lbeta            /* NaN beta: take the beta path */
    jne         .Lbeta
    test        rax, rax
    jnz         .Lnobeta_bias
    TILE        0, 0
.Lnobeta_bias:
    vmovups     ymm12, [rax]
    vmovups     ymm13, [rax + 32]
    TILE        0, 1
.Lbeta:
    vbroadcastss ymm15, xmm15
    test        rax, rax
    jnz         .Lbeta_bias
    TILE        1, 0
.Lbeta_bias:
    vmovups     ymm12, [rax]
    vmovups     ymm13, [rax + 32]
    TILE        1, 1
GK_ASM_END(gk_ukr_gemm_f32_avx2_6x16)

GK_ASM_STACK_NOTE
