/* SPDX-License-Identifier: MIT */
/* gk_ukr_gemm_f32_avx512_14x32: the AVX-512F f32 GEMM microkernel, a 14 x 32 tile of C.
 *
 * C prototype (src/kernels/kernel_decls.h, contract in src/core/gemm_kernels.h):
 *   void gk_ukr_gemm_f32_avx512_14x32(size_t k, const float *a, const float *b, float *c,
 *                                     size_t ldc, const struct gk_gemm_epilogue *ep);
 *
 * Register map (System V AMD64):
 *   rdi  k, the depth; counts down by 4 in the main loop (r10 = k mod 4 for the tail)
 *   rsi  a: packed A, 14 floats per depth step (56 bytes)
 *   rdx  b: packed B, 32 floats per depth step (128 bytes)
 *   rcx  c: row 0 of the tile, advanced row by row in the epilogue
 *   r8   ldc in elements, turned into bytes
 *   r9   ep: alpha at [r9], beta at [r9 + 4], bias pointer at [r9 + 8]
 *   zmm0..zmm27   accumulators: row i, columns 0-15 in zmm(2i), columns 16-31 in zmm(2i+1)
 *   zmm28, zmm29  the 32 floats of B at this depth step
 *   zmm30, zmm31  A elements broadcast (alternating rows)
 * Only caller-saved registers are used (every zmm is caller-saved in the SysV ABI); no stack.
 *
 * Loop outline: 4 depth steps per iteration (28 FMAs each: 2 zmm loads of B, 14 broadcasts of
 * A); one prefetch of A ahead per iteration; then the k mod 4 steps. 28 independent accumulators
 * cover the 4-cycle FMA latency on 2 FMA ports with room to spare.
 * Epilogue: acc *= alpha; if beta != 0 (NaN counts as non-zero) acc = fma(beta, C, acc);
 * if bias, acc += bias[0..31]; store. */
#include "asm/asm_defs.h"

    .intel_syntax noprefix


.macro KSTEP ao, bo
    vmovups     zmm28, [rdx + \bo]
    vmovups     zmm29, [rdx + \bo + 64]
    vbroadcastss zmm30, [rsi + \ao]
    vbroadcastss zmm31, [rsi + \ao + 4]
    vfmadd231ps zmm0, zmm30, zmm28
    vfmadd231ps zmm1, zmm30, zmm29
    vfmadd231ps zmm2, zmm31, zmm28
    vfmadd231ps zmm3, zmm31, zmm29
    vbroadcastss zmm30, [rsi + \ao + 8]
    vbroadcastss zmm31, [rsi + \ao + 12]
    vfmadd231ps zmm4, zmm30, zmm28
    vfmadd231ps zmm5, zmm30, zmm29
    vfmadd231ps zmm6, zmm31, zmm28
    vfmadd231ps zmm7, zmm31, zmm29
    vbroadcastss zmm30, [rsi + \ao + 16]
    vbroadcastss zmm31, [rsi + \ao + 20]
    vfmadd231ps zmm8, zmm30, zmm28
    vfmadd231ps zmm9, zmm30, zmm29
    vfmadd231ps zmm10, zmm31, zmm28
    vfmadd231ps zmm11, zmm31, zmm29
    vbroadcastss zmm30, [rsi + \ao + 24]
    vbroadcastss zmm31, [rsi + \ao + 28]
    vfmadd231ps zmm12, zmm30, zmm28
    vfmadd231ps zmm13, zmm30, zmm29
    vfmadd231ps zmm14, zmm31, zmm28
    vfmadd231ps zmm15, zmm31, zmm29
    vbroadcastss zmm30, [rsi + \ao + 32]
    vbroadcastss zmm31, [rsi + \ao + 36]
    vfmadd231ps zmm16, zmm30, zmm28
    vfmadd231ps zmm17, zmm30, zmm29
    vfmadd231ps zmm18, zmm31, zmm28
    vfmadd231ps zmm19, zmm31, zmm29
    vbroadcastss zmm30, [rsi + \ao + 40]
    vbroadcastss zmm31, [rsi + \ao + 44]
    vfmadd231ps zmm20, zmm30, zmm28
    vfmadd231ps zmm21, zmm30, zmm29
    vfmadd231ps zmm22, zmm31, zmm28
    vfmadd231ps zmm23, zmm31, zmm29
    vbroadcastss zmm30, [rsi + \ao + 48]
    vbroadcastss zmm31, [rsi + \ao + 52]
    vfmadd231ps zmm24, zmm30, zmm28
    vfmadd231ps zmm25, zmm30, zmm29
    vfmadd231ps zmm26, zmm31, zmm28
    vfmadd231ps zmm27, zmm31, zmm29
.endm

/* One row of the epilogue: scale by alpha (zmm30), optionally add beta (zmm31) * C and the bias
 * (zmm28/29), store. */
.macro ROW lo, hi, beta, bias
    vmulps      zmm\lo, zmm\lo, zmm30
    vmulps      zmm\hi, zmm\hi, zmm30
.if \beta
    vfmadd231ps zmm\lo, zmm31, [rcx]
    vfmadd231ps zmm\hi, zmm31, [rcx + 64]
.endif
.if \bias
    vaddps      zmm\lo, zmm\lo, zmm28
    vaddps      zmm\hi, zmm\hi, zmm29
.endif
    vmovups     [rcx], zmm\lo
    vmovups     [rcx + 64], zmm\hi
    add         rcx, r8
.endm

.macro TILE beta, bias
    ROW 0, 1, \beta, \bias
    ROW 2, 3, \beta, \bias
    ROW 4, 5, \beta, \bias
    ROW 6, 7, \beta, \bias
    ROW 8, 9, \beta, \bias
    ROW 10, 11, \beta, \bias
    ROW 12, 13, \beta, \bias
    ROW 14, 15, \beta, \bias
    ROW 16, 17, \beta, \bias
    ROW 18, 19, \beta, \bias
    ROW 20, 21, \beta, \bias
    ROW 22, 23, \beta, \bias
    ROW 24, 25, \beta, \bias
    ROW 26, 27, \beta, \bias
    vzeroupper
    ret
.endm

.macro ZERO r
    vpxord      zmm\r, zmm\r, zmm\r
.endm

GK_ASM_FUNC(gk_ukr_gemm_f32_avx512_14x32)
    .irp r, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27
    ZERO \r
    .endr
    shl         r8, 2
    mov         r10, rdi
    and         r10, 3
    shr         rdi, 2
    jz          .Ltail
    .p2align 5
.Lloop4:
    prefetcht0  [rsi + 1120]
    KSTEP       0, 0
    KSTEP       56, 128
    KSTEP       112, 256
    KSTEP       168, 384
    add         rsi, 224
    add         rdx, 512
    dec         rdi
    jnz         .Lloop4
.Ltail:
    test        r10, r10
    jz          .Lepilogue
.Lloop1:
    KSTEP       0, 0
    add         rsi, 56
    add         rdx, 128
    dec         r10
    jnz         .Lloop1
.Lepilogue:
    vbroadcastss zmm30, [r9]
    vmovss      xmm31, [r9 + 4]
    mov         rax, [r9 + 8]
    vxorps      xmm29, xmm29, xmm29
    vucomiss    xmm31, xmm29
    jp          .Lbeta            /* NaN beta: take the beta path */
    jne         .Lbeta
    test        rax, rax
    jnz         .Lnobeta_bias
    TILE        0, 0
.Lnobeta_bias:
    vmovups     zmm28, [rax]
    vmovups     zmm29, [rax + 64]
    TILE        0, 1
.Lbeta:
    vbroadcastss zmm31, xmm31
    test        rax, rax
    jnz         .Lbeta_bias
    TILE        1, 0
.Lbeta_bias:
    vmovups     zmm28, [rax]
    vmovups     zmm29, [rax + 64]
    TILE        1, 1
GK_ASM_END(gk_ukr_gemm_f32_avx512_14x32)

GK_ASM_STACK_NOTE
