/* SPDX-License-Identifier: MIT */
/* gk_qdot_q8_k_avx2: Q8_K weight rows dotted with one Q8_K activation row, AVX2.
 *
 * C prototype (src/quant/qdot.h, the arithmetic of src/quant/qdot_scalar.c, bit for bit):
 *   void gk_qdot_q8_k_avx2(const void *w, size_t w_stride, const void *xq, size_t n_blocks,
 *                          float *y, size_t n_rows);
 *
 * Block layout (src/quant/blocks.h, 292 bytes): d f32 @0, qs[256] int8 @4, bsums[16] int16 @260
 * (not needed: there is no min and no code offset).
 *
 * Register map (System V AMD64):
 *   rdi  w: the current row                        rsi  w_stride (bytes)
 *   rdx  xq: the activation's first block          rcx  n_blocks
 *   r8   y: the current output                     r9   rows left
 *   r10  the weight block, rax the activation block, r11 blocks left
 *   ymm0  activation codes; ymm1  weight codes, then products; ymm6  temporary
 *   ymm2, ymm3  the block's int32 sums (two chains); xmm4, xmm5  scales; xmm7  the row's sum
 *   ymm13  0.0f; ymm14  1 in every int16
 *
 * Per 32 codes: |w| (vpabsb) times x with w's sign (vpsignb) through vpmaddubsw, vpmaddwd by 1
 * into int32. |w| <= 128 and |x| <= 127 (the Q8_K activation quantizer never writes -128), so
 * each int16 pair sum is at most 32512: exact. Per block, the eight int32 lanes are summed to
 * the exact isum and the scalar tier's f32 step follows, operation by operation:
 *   acc + ((d_w * d_x) * (float)isum - (0 * d_x) * 0)
 * (the min term is kept: with d_x < 0 it turns a -0 product into +0, as the scalar code does). */
#include "asm/asm_defs.h"

    .intel_syntax noprefix

/* The weights stream from DRAM once: prefetch the lines 1 KiB ahead of the block being read
 * (five lines cover the 292-byte block wherever it starts). */
#define PREFETCH_DISTANCE 1024

/* 32 codes at byte \off of the code arrays into the int32 sums ymm\acc; \first starts the sum. */
.macro CHUNK off, acc, first
    vmovdqu     ymm1, [r10 + 4 + \off]
    vmovdqu     ymm0, [rax + 4 + \off]
    vpsignb     ymm6, ymm0, ymm1
    vpabsb      ymm1, ymm1
    vpmaddubsw  ymm1, ymm1, ymm6
.if \first
    vpmaddwd    ymm\acc, ymm1, ymm14
.else
    vpmaddwd    ymm1, ymm1, ymm14
    vpaddd      ymm\acc, ymm\acc, ymm1
.endif
.endm

GK_ASM_FUNC(gk_qdot_q8_k_avx2)
    test        r9, r9
    jz          9f
    vpbroadcastw ymm14, [rip + gk_q8k_one16]
    vxorps      xmm13, xmm13, xmm13
1:  /* a row */
    vxorps      xmm7, xmm7, xmm7
    mov         r10, rdi
    mov         rax, rdx
    mov         r11, rcx
    test        r11, r11
    jz          3f
2:  /* a block */
    prefetcht0  [r10 + PREFETCH_DISTANCE]
    prefetcht0  [r10 + PREFETCH_DISTANCE + 64]
    prefetcht0  [r10 + PREFETCH_DISTANCE + 128]
    prefetcht0  [r10 + PREFETCH_DISTANCE + 192]
    prefetcht0  [r10 + PREFETCH_DISTANCE + 256]
    CHUNK       0, 2, 1
    CHUNK       32, 3, 1
    CHUNK       64, 2, 0
    CHUNK       96, 3, 0
    CHUNK       128, 2, 0
    CHUNK       160, 3, 0
    CHUNK       192, 2, 0
    CHUNK       224, 3, 0
    /* isum: the eight int32 lanes of both chains */
    vpaddd      ymm2, ymm2, ymm3
    vextracti128 xmm6, ymm2, 1
    vpaddd      xmm2, xmm2, xmm6
    vpshufd     xmm6, xmm2, 0x4E
    vpaddd      xmm2, xmm2, xmm6
    vpshufd     xmm6, xmm2, 0xB1
    vpaddd      xmm2, xmm2, xmm6
    vcvtdq2ps   xmm2, xmm2
    /* the f32 step of gk_qdot_kquant_step */
    vmovss      xmm4, dword ptr [r10]
    vmovss      xmm5, dword ptr [rax]
    vmulss      xmm6, xmm4, xmm5
    vmulss      xmm6, xmm6, xmm2
    vmulss      xmm4, xmm13, xmm5
    vmulss      xmm4, xmm4, xmm13
    vsubss      xmm6, xmm6, xmm4
    vaddss      xmm7, xmm7, xmm6
    add         r10, 292
    add         rax, 292
    dec         r11
    jnz         2b
3:
    vmovss      [r8], xmm7
    add         r8, 4
    add         rdi, rsi
    dec         r9
    jnz         1b
    vzeroupper
9:
    ret
GK_ASM_END(gk_qdot_q8_k_avx2)

    .section .rodata
    .p2align 1
gk_q8k_one16:
    .word 1

GK_ASM_STACK_NOTE
