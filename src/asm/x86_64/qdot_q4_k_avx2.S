/* SPDX-License-Identifier: MIT */
/* gk_qdot_q4_k_avx2: Q4_K weight rows dotted with one Q8_K activation row, AVX2.
 *
 * C prototype (src/quant/qdot.h, the arithmetic of src/quant/qdot_scalar.c):
 *   void gk_qdot_q4_k_avx2(const void *w, size_t w_stride, const void *xq, size_t n_blocks,
 *                          float *y, size_t n_rows);
 *
 * Block layouts (src/quant/blocks.h): Q4_K (144 bytes) d f16 @0, dmin f16 @2, scales[12] @4,
 * qs[128] @16; Q8_K (292 bytes) d f32 @0, qs[256] int8 @4, bsums[16] int16 @260.
 *
 * Register map (System V AMD64):
 *   rdi  w: the current row's first block          rsi  w_stride (bytes)
 *   rdx  xq: the activation's first block          rcx  n_blocks
 *   r8   y: the current output                     r9   rows left
 *   r10  the weight block, r11 the activation block, rax blocks left in the row
 *   rbx  the next block, whose scales are decoded ahead (the current one at the row's last
 *        block; callee-saved: pushed)
 *   ymm0  sc_lo | sc_hi | m_lo | m_hi as bytes (the eight 6-bit scales, then the eight mins)
 *   ymm8, ymm9  the next block's scales (int16, both halves) and mins (int16, each twice)
 *   ymm1  the current block's scales as int16, the same eight in both 128-bit halves
 *   ymm2  mins times the activation's 16-value sums (int32)
 *   ymm3  scale * code * activation sums (int32)
 *   ymm4..ymm6  temporaries; xmm7 the row's f32 sum; ymm15 0x0F in every byte
 *   ymm10, ymm11  the previous block's isum and msum lanes; ymm12..ymm14  temporaries of its step
 *
 * Per super-block: decode the next block's scales and mins with vector operations
 * (gk_q4k_scale_min's layout; a block ahead, so that the broadcasts of the current scales do not
 * wait on the decode), four pairs of sub-blocks (low nibbles = sub-block 2p, high = 2p + 1) through
 * vpmaddubsw (codes 0..15 by activations -127..127: exact int16) and vpmaddwd by the broadcast
 * scale, both sums reduced to scalars exactly, then the f32 steps of gk_qdot_kquant_step in its
 * order, so the result has the scalar tier's bits:
 *   acc = acc + ((d * dx) * isum - (dmin * dx) * msum).
 * A block's reduction and f32 step run in the middle of the next block's sums (the last one's
 * after the loop): they are a long chain of dependent operations, which the out-of-order window
 * then overlaps with independent work (Zen 3, W 128 x 4096 in L2: 1.08x; without any step at all,
 * to measure it, the loop ran 1.4x faster). */
#include "asm/asm_defs.h"

    .intel_syntax noprefix

/* Sub-blocks 2p and 2p + 1 into ymm3. */
.macro PAIR p
    vmovdqu     ymm4, [r10 + 16 + 32 * \p]
    vpsrlw      ymm5, ymm4, 4
    vpand       ymm4, ymm4, ymm15
    vpand       ymm5, ymm5, ymm15
    vpmaddubsw  ymm4, ymm4, [r11 + 4 + 64 * \p]
    vpmaddubsw  ymm5, ymm5, [r11 + 36 + 64 * \p]
    vpshufb     ymm6, ymm1, [rip + gk_q4k_broadcast + 64 * \p]
    vpmaddwd    ymm4, ymm4, ymm6
    vpshufb     ymm6, ymm1, [rip + gk_q4k_broadcast + 64 * \p + 32]
    vpmaddwd    ymm5, ymm5, ymm6
    vpaddd      ymm3, ymm3, ymm4
    vpaddd      ymm3, ymm3, ymm5
.endm

/* The scales and mins of the block at \src into ymm8 / ymm9. With u0, u1, u2 the three scale
 * words (lanes 0..2 of xmm0): scales 0..3 = u0 & 0x3F.., mins 0..3 = u1 & 0x3F.., scales 4..7 =
 * (u2 & 0x0F..) | ((u0 >> 2) & 0x30..), mins 4..7 = ((u2 >> 4) & 0x0F..) | ((u1 >> 2) & 0x30..):
 * lanes 0 and 1 of low and high, interleaved into sc_lo | sc_hi | m_lo | m_hi. */
.macro SCALES src
    vmovdqu     xmm0, [\src + 4]
    vpand       xmm4, xmm0, [rip + gk_q4k_six_bits]
    vpsrld      xmm5, xmm0, 2
    vpand       xmm5, xmm5, [rip + gk_q4k_top_bits]
    vpshufd     xmm6, xmm0, 0xAA
    vpsrlvd     xmm6, xmm6, [rip + gk_q4k_nibble_shift]
    vpand       xmm6, xmm6, xmm15
    vpor        xmm5, xmm5, xmm6
    vpunpckldq  xmm0, xmm4, xmm5
    vpmovzxbw   xmm8, xmm0
    vinserti128 ymm8, ymm8, xmm8, 1
    vpunpckhbw  xmm9, xmm0, xmm0
    vpmovzxbw   ymm9, xmm9
.endm

/* The f32 step of the previous block (its isum and msum lanes in ymm10 / ymm11, its scales at
 * r10 - 144, its d_x at r11 - 292) onto xmm7; ymm12..ymm14 are temporaries. */
.macro STEP_PREVIOUS
    vphaddd     ymm10, ymm10, ymm11
    vextracti128 xmm12, ymm10, 1
    vpaddd      xmm10, xmm10, xmm12
    vphaddd     xmm10, xmm10, xmm10
    vcvtdq2ps   xmm10, xmm10
    vmovd       xmm13, dword ptr [r10 - 144]
    vcvtph2ps   xmm13, xmm13
    vbroadcastss xmm14, dword ptr [r11 - 292]
    vmulps      xmm13, xmm13, xmm14
    vmulps      xmm13, xmm13, xmm10
    vmovshdup   xmm14, xmm13
    vsubss      xmm13, xmm13, xmm14
    vaddss      xmm7, xmm7, xmm13
.endm

/* A block's sums into ymm3 (isum lanes) and ymm2 (msum lanes), the next block's scales decoded
 * into ymm8 / ymm9; \step: the previous block's f32 step in the middle (1) or not (0). */
.macro BLOCK_SUMS step
    /* 1 KiB ahead of the weight stream, as in qdot_q32_avx2.S; three lines cover the 144-byte
     * block wherever it starts (one prefetch per block left every other line to the hardware
     * prefetcher: 12.3 GB/s from DRAM at 1 thread where the kernel ran 14.7 in cache) */
    prefetcht0  [r10 + 1024]
    prefetcht0  [r10 + 1024 + 64]
    prefetcht0  [r10 + 1024 + 128]
    vmovdqa     ymm1, ymm8
    vpmaddwd    ymm2, ymm9, [r11 + 260]
    lea         rbx, [r10 + 144]
    cmp         rax, 1
    cmove       rbx, r10
    SCALES      rbx
    vpxor       xmm3, xmm3, xmm3
    PAIR        0
    PAIR        1
    .if \step
    STEP_PREVIOUS
    .endif
    PAIR        2
    PAIR        3
    vmovdqa     ymm10, ymm3
    vmovdqa     ymm11, ymm2
    add         r10, 144
    add         r11, 292
    dec         rax
.endm

GK_ASM_FUNC(gk_qdot_q4_k_avx2)
    test        r9, r9
    jz          .Ldone
    push        rbx
    vpbroadcastb ymm15, [rip + gk_q4k_low_nibble]
.Lrow:
    vxorps      xmm7, xmm7, xmm7
    mov         r10, rdi
    mov         r11, rdx
    mov         rax, rcx
    test        rax, rax
    jz          .Lstore
    SCALES      r10
    BLOCK_SUMS  0
    jz          .Llast
.Lblock:
    BLOCK_SUMS  1
    jnz         .Lblock
.Llast:
    STEP_PREVIOUS
.Lstore:
    vmovss      [r8], xmm7
    add         r8, 4
    add         rdi, rsi
    dec         r9
    jnz         .Lrow
    pop         rbx
    vzeroupper
.Ldone:
    ret
GK_ASM_END(gk_qdot_q4_k_avx2)

    .section .rodata
    .p2align 5
/* vpshufb masks copying int16 lane j of each 128-bit half to all its lanes, j = 0..7 */
gk_q4k_broadcast:
    .irp j, 0, 1, 2, 3, 4, 5, 6, 7
    .rept 16
    .byte 2 * \j, 2 * \j + 1
    .endr
    .endr
gk_q4k_low_nibble:
    .byte 0x0F
    .p2align 4
gk_q4k_six_bits:
    .rept 4
    .long 0x3F3F3F3F
    .endr
gk_q4k_top_bits:
    .rept 4
    .long 0x30303030
    .endr
gk_q4k_nibble_shift:
    .long 0, 4, 0, 0

GK_ASM_STACK_NOTE
