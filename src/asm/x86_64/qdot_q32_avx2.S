/* SPDX-License-Identifier: MIT */
/* gk_qdot_q8_0_avx2, gk_qdot_q4_0_avx2: Q8_0 / Q4_0 weight rows dotted with one Q8_0
 * activation row, AVX2. One family, one loop: the two differ only in how a block's 32 signed
 * codes are loaded (the CODES macro).
 *
 * C prototype (src/quant/qdot.h, the arithmetic of src/quant/qdot_scalar.c up to the order of
 * the f32 block sums):
 *   void gk_qdot_<fmt>_avx2(const void *w, size_t w_stride, const void *xq, size_t n_blocks,
 *                           float *y, size_t n_rows);
 *
 * Block layouts (src/quant/blocks.h): Q8_0 (34 bytes) d f16 @0, qs[32] int8 @2; Q4_0 (18 bytes)
 * d f16 @0, qs[16] @2 (element j < 16: low nibble of qs[j], j + 16: its high nibble), codes
 * nibble - 8.
 *
 * Register map (System V AMD64):
 *   rdi  w: the first row of the current pair     rsi  w_stride (bytes)
 *   rdx  xq: the activation's first block          rcx  n_blocks
 *   r8   y: the current output                     r9   rows left
 *   r10  row 0's block, r11 row 1's block (r10 + w_stride), rax the activation block,
 *   r12  blocks left (callee-saved: pushed)
 *   ymm0  activation codes; ymm1, ymm2  row 0 / row 1 codes, then their int32 sums, then f32
 *   ymm3, ymm4  the two rows' (d_w * d_x) broadcast; xmm5, xmm6  scale temporaries
 *   ymm7, ymm8  the two rows' f32 partial sums, one per lane
 *   ymm13  8 in every byte (Q4_0's offset); ymm14  1 in every int16; ymm15  0x0F in every byte
 *
 * Per block and row: |w| (vpabsb) times x with w's sign (vpsignb) through vpmaddubsw (|w| <= 128,
 * |x| <= 127: exact int16 pairs), vpmaddwd by 1 into eight int32 sums, to f32, times
 * f16(d_w) * f16(d_x), added to the row's lanes (vfmadd231ps). Rows go in pairs, so each
 * activation block is loaded once for two rows; an odd last row runs alone. */
#include "asm/asm_defs.h"

    .intel_syntax noprefix

/* The 32 signed codes of the block at \src into ymm\dst (ymm5 is a temporary). */
.macro CODES_q8_0 dst, src
    vmovdqu     ymm\dst, [\src + 2]
.endm
.macro CODES_q4_0 dst, src
    vmovdqu     xmm\dst, [\src + 2]
    vpsrlw      xmm5, xmm\dst, 4
    vpand       xmm\dst, xmm\dst, xmm15
    vpand       xmm5, xmm5, xmm15
    vinserti128 ymm\dst, ymm\dst, xmm5, 1
    vpsubb      ymm\dst, ymm\dst, ymm13
.endm

/* ymm\acc += (f16(d_w at \src) * f16(d_x)) * (int32 sums of codes ymm\codes by activation ymm0);
 * ymm\codes and ymm\d are clobbered. */
.macro BLOCK codes, d, acc, src
    vpsignb     ymm6, ymm0, ymm\codes
    vpabsb      ymm\codes, ymm\codes
    vpmaddubsw  ymm\codes, ymm\codes, ymm6
    vpmaddwd    ymm\codes, ymm\codes, ymm14
    vcvtdq2ps   ymm\codes, ymm\codes
    vpinsrw     xmm\d, xmm\d, word ptr [\src], 0
    vpinsrw     xmm\d, xmm\d, word ptr [rax], 1
    vcvtph2ps   xmm\d, xmm\d
    vmovshdup   xmm6, xmm\d
    vmulss      xmm\d, xmm\d, xmm6
    vbroadcastss ymm\d, xmm\d
    vfmadd231ps ymm\acc, ymm\d, ymm\codes
.endm

/* The horizontal sum of ymm\acc to [\dst] (ymm6 is a temporary). */
.macro STORE_SUM acc, dst
    vextractf128 xmm6, ymm\acc, 1
    vaddps      xmm\acc, xmm\acc, xmm6
    vmovhlps    xmm6, xmm6, xmm\acc
    vaddps      xmm\acc, xmm\acc, xmm6
    vmovshdup   xmm6, xmm\acc
    vaddss      xmm\acc, xmm\acc, xmm6
    vmovss      \dst, xmm\acc
.endm

.macro QDOT32 fmt, bytes
GK_ASM_FUNC(gk_qdot_\fmt\()_avx2)
    test        r9, r9
    jz          9f
    push        r12
    vpbroadcastb ymm15, [rip + gk_q32_low_nibble]
    vpbroadcastb ymm13, [rip + gk_q32_eight]
    vpbroadcastw ymm14, [rip + gk_q32_one16]
1:  /* a pair of rows, or the last row alone */
    vxorps      xmm7, xmm7, xmm7
    vxorps      xmm8, xmm8, xmm8
    mov         r10, rdi
    lea         r11, [rdi + rsi]
    mov         rax, rdx
    mov         r12, rcx
    test        r12, r12
    jz          3f
    cmp         r9, 1
    je          4f
2:  /* two rows */
    vmovdqu     ymm0, [rax + 2]
    CODES_\fmt  1, r10
    CODES_\fmt  2, r11
    BLOCK       1, 3, 7, r10
    BLOCK       2, 4, 8, r11
    add         r10, \bytes
    add         r11, \bytes
    add         rax, 34
    dec         r12
    jnz         2b
3:  /* store the pair (or zeros for n_blocks == 0) */
    STORE_SUM   7, [r8]
    cmp         r9, 1
    je          8f
    STORE_SUM   8, [r8 + 4]
    add         r8, 8
    lea         rdi, [rdi + 2 * rsi]
    sub         r9, 2
    jnz         1b
    jmp         8f
4:  /* the last row alone */
    vmovdqu     ymm0, [rax + 2]
    CODES_\fmt  1, r10
    BLOCK       1, 3, 7, r10
    add         r10, \bytes
    add         rax, 34
    dec         r12
    jnz         4b
    STORE_SUM   7, [r8]
8:
    pop         r12
    vzeroupper
9:
    ret
GK_ASM_END(gk_qdot_\fmt\()_avx2)
.endm

    QDOT32      q8_0, 34
    QDOT32      q4_0, 18

    .section .rodata
gk_q32_low_nibble:
    .byte 0x0F
gk_q32_eight:
    .byte 8
    .p2align 1
gk_q32_one16:
    .word 1

GK_ASM_STACK_NOTE
