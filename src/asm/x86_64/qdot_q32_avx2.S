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
 *   rdi  w: the current row                        rsi  w_stride (bytes)
 *   rdx  xq: the activation's first block          rcx  n_blocks
 *   r8   y: the current output                     r9   rows left
 *   r10  the weight block, rax the activation block, r11 blocks left
 *   ymm0  activation codes; ymm1  the row's codes, then their int32 sums, then f32
 *   ymm3  (d_w * d_x) broadcast; ymm5, ymm6  temporaries
 *   ymm7  the row's f32 partial sums, one per lane
 *   ymm13  8 in every byte (Q4_0's offset); ymm14  1 in every int16; ymm15  0x0F in every byte
 *
 * Per block and row: |w| (vpabsb) times x with w's sign (vpsignb) through vpmaddubsw (|w| <= 128,
 * |x| <= 127: exact int16 pairs), vpmaddwd by 1 into eight int32 sums, to f32, times
 * f16(d_w) * f16(d_x), added to the row's lanes (vfmadd231ps). One row at a time: rows are
 * contiguous, so the weights are read as one sequential stream (two interleaved rows, tried
 * first, streamed a third slower from DRAM). */
#include "asm/asm_defs.h"

    .intel_syntax noprefix

/* Weights stream from DRAM once: a software prefetch 1 KiB ahead of the block being read keeps
 * more lines in flight than the hardware prefetcher alone (measured on Zen 3: 2.66 -> 1.97 ns per
 * Q8_0 block at 1 thread; 512 and 2048 bytes were slower). */
#define PREFETCH_DISTANCE 1024

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
    /* vmovd writes the whole register: no dependency on the previous block's scale */
    vmovd       xmm\d, dword ptr [\src]
    vpinsrw     xmm\d, xmm\d, word ptr [rax], 1
    vcvtph2ps   xmm\d, xmm\d
    vmovshdup   xmm6, xmm\d
    vmulss      xmm\d, xmm\d, xmm6
    vbroadcastss ymm\d, xmm\d
    vfmadd231ps ymm\acc, ymm\d, ymm\codes
.endm

.macro PREFETCH src
    prefetcht0  [\src + PREFETCH_DISTANCE]
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
    vpbroadcastb ymm15, [rip + gk_q32_low_nibble]
    vpbroadcastb ymm13, [rip + gk_q32_eight]
    vpbroadcastw ymm14, [rip + gk_q32_one16]
    mov         r10, rdi
1:  /* a row */
    vxorps      xmm7, xmm7, xmm7
    mov         rax, rdx
    mov         r11, rcx
    test        r11, r11
    jz          3f
2:  /* a block */
    PREFETCH    r10
    vmovdqu     ymm0, [rax + 2]
    CODES_\fmt  1, r10
    BLOCK       1, 3, 7, r10
    add         r10, \bytes
    add         rax, 34
    dec         r11
    jnz         2b
3:
    STORE_SUM   7, [r8]
    add         r8, 4
    add         rdi, rsi
    mov         r10, rdi
    dec         r9
    jnz         1b
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
