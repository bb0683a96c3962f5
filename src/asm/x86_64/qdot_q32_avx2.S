/* SPDX-License-Identifier: MIT */
/* gk_qdot_q8_0_rows_avx2 and gk_qdot_q4_0_rows_avx2: the AVX2 kernels of the 32-value formats
 * Q8_0 and Q4_0 against a Q8_0 activation row, through its side table.
 *
 * C prototype (src/kernels/avx2/qdot_side_avx2.h; the arithmetic of src/quant/qdot_scalar.c up to
 * the order of the f32 block sums):
 *   void gk_qdot_<fmt>_rows_avx2(const void *w, size_t w_stride, const struct gk_qa_side *side,
 *                                size_t n_blocks, __m256 *lanes, size_t n_rows);
 * lanes[r] += the eight f32 lane sums of row r over the side table's first n_blocks blocks.
 * gk_qdot_<fmt>_avx2 (qdot_avx2.c, the kernels of src/quant/qdot.h) fill the side table a chunk
 * of blocks at a time and call these.
 *
 * Block layouts (src/quant/blocks.h): Q8_0 (34 bytes) d f16 @0, qs[32] int8 @2; Q4_0 (18 bytes)
 * d f16 @0, qs[16] @2 (element j < 16: low nibble of qs[j], j + 16: its high nibble), codes
 * nibble - 8.
 *
 * Per block and row: the int32 lane sums of the 32 products through vpmaddubsw (unsigned by
 * signed bytes: exact int16 pairs) and vpmaddwd by 1, to f32, times f16(d_w) d_x (d_x widened in
 * the side table), added to one of the row's two partial sums: even blocks to one, odd to the
 * other (one chain of FMAs bound the loop), the two added at the end. Four blocks per iteration.
 * - Q8_0: the signed codes w as |w| (vpabsb, exact for -128) against x with w's sign (vpsignb).
 * - Q4_0: the unsigned nibbles u as they are against x, and the side table's offsets
 *   8 (x[2j] + x[2j + 1]) off the int16 pair sums: the same lane sums as (u - 8) x, in seven
 *   vector operations per block instead of eleven (qdot_side_avx2.h).
 * Measured on Zen 3 against one partial sum per row and the scales widened per block: Q4_0 (with
 * its sign trick before) 1.43x from DRAM at one thread and at two, W 4096 x 4096; Q8_0 1.10-1.23x
 * with W in L2, 0.95-0.99x from DRAM at one thread (where it is at the DRAM limit), 1.01x at two.
 *
 * One row at a time: rows are contiguous, so the weights are read as one sequential stream (two
 * interleaved rows, tried first, streamed a third slower from DRAM).
 *
 * Register map (System V AMD64):
 *   rdi  w: the current row                        rsi  w_stride (bytes)
 *   rdx  side: the table's first entry             rcx  n_blocks
 *   r8   lanes: the current row's                  r9   rows left
 *   r10  the weight block, rax the side entry, rbx (saved) its d_x, r11 blocks left
 *   ymm1..ymm6  a block's temporaries (ymm1, ymm3, ymm5 for even blocks, ymm2, ymm4, ymm6 odd)
 *   ymm7, ymm8  the row's partial sums of the even and the odd blocks
 *   ymm12  the dword shifts 0 (low half) and 4 (high half); ymm14  1 in every int16;
 *   ymm15  0x0F in every byte */
#include "asm/asm_defs.h"
#include "kernels/avx2/qdot_side_avx2.h"

    .intel_syntax noprefix

/* Weights stream from DRAM once: a software prefetch 1 KiB ahead of the block being read keeps
 * more lines in flight than the hardware prefetcher alone (measured on Zen 3: 2.66 -> 1.97 ns per
 * Q8_0 block at 1 thread; 512 and 2048 bytes were slower). */
#define PREFETCH_DISTANCE 1024

/* ymm\acc += f16(d_w) d_x times the int16 pair sums in ymm\t of block \k (r10: weights, rbx:
 * d_x), with ymm\d as a temporary. vcvtph2ps reads the block's first 8 bytes: lane 0 is d_w. */
.macro SCALE_ADD acc, t, d, k, bytes
    vpmaddwd    ymm\t, ymm\t, ymm14
    vcvtdq2ps   ymm\t, ymm\t
    vcvtph2ps   xmm\d, qword ptr [r10 + \bytes * \k]
    vmulss      xmm\d, xmm\d, [rbx + 4 * \k]
    vbroadcastss ymm\d, xmm\d
    vfmadd231ps ymm\acc, ymm\d, ymm\t
.endm

/* Q8_0 block \k: |w| against x with w's sign (ymm\s a temporary). */
.macro BLOCK_q8_0 acc, t, d, s, k
    vmovdqu     ymm\t, [r10 + 34 * \k + 2]
    vmovdqa     ymm\s, [rax + GK_QA_SIDE_ENTRY * \k]
    vpsignb     ymm\s, ymm\s, ymm\t
    vpabsb      ymm\t, ymm\t
    vpmaddubsw  ymm\t, ymm\t, ymm\s
    SCALE_ADD   \acc, \t, \d, \k, 34
.endm

/* Q4_0 block \k: the 16 code bytes to both halves, the high half shifted by 4 bits to its high
 * nibbles, u against x, the offsets off the pairs. */
.macro BLOCK_q4_0 acc, t, d, s, k
    vbroadcasti128 ymm\t, [r10 + 18 * \k + 2]
    vpsrlvd     ymm\t, ymm\t, ymm12
    vpand       ymm\t, ymm\t, ymm15
    vpmaddubsw  ymm\t, ymm\t, [rax + GK_QA_SIDE_ENTRY * \k]
    vpsubw      ymm\t, ymm\t, [rax + GK_QA_SIDE_ENTRY * \k + 32]
    SCALE_ADD   \acc, \t, \d, \k, 18
.endm

/* Past \n blocks of \bytes: the weights, the side entries, their d_x, the count left. */
.macro ADVANCE n, bytes
    add         r10, \n * \bytes
    add         rax, \n * GK_QA_SIDE_ENTRY
    add         rbx, \n * 4
    sub         r11, \n
.endm

/* Four blocks of \bytes take 72 (Q4_0) or 136 (Q8_0) bytes: a prefetch per 64. */
.macro PREFETCH4 bytes
    prefetcht0  [r10 + PREFETCH_DISTANCE]
    prefetcht0  [r10 + PREFETCH_DISTANCE + 64]
    .if 4 * \bytes > 128
    prefetcht0  [r10 + PREFETCH_DISTANCE + 128]
    .endif
.endm

.macro ROWS fmt, bytes
GK_ASM_FUNC(gk_qdot_\fmt\()_rows_avx2)
    test        r9, r9
    jz          9f
    push        rbx
    vpbroadcastb ymm15, [rip + gk_q32_low_nibble]
    vpbroadcastw ymm14, [rip + gk_q32_one16]
    vmovdqa     ymm12, [rip + gk_q32_high_half_shift]
1:  /* a row */
    vmovaps     ymm7, [r8]
    vxorps      xmm8, xmm8, xmm8
    mov         r10, rdi
    mov         rax, rdx
    lea         rbx, [rdx + GK_QA_SIDE_DX_OFFSET]
    mov         r11, rcx
    cmp         r11, 4
    jb          3f
2:  /* four blocks */
    PREFETCH4   \bytes
    BLOCK_\fmt  7, 1, 3, 5, 0
    BLOCK_\fmt  8, 2, 4, 6, 1
    BLOCK_\fmt  7, 1, 3, 5, 2
    BLOCK_\fmt  8, 2, 4, 6, 3
    ADVANCE     4, \bytes
    cmp         r11, 4
    jae         2b
3:  /* two of the last three */
    cmp         r11, 2
    jb          4f
    BLOCK_\fmt  7, 1, 3, 5, 0
    BLOCK_\fmt  8, 2, 4, 6, 1
    ADVANCE     2, \bytes
4:  /* the last of an odd count */
    test        r11, r11
    jz          5f
    BLOCK_\fmt  7, 1, 3, 5, 0
5:
    vaddps      ymm7, ymm7, ymm8
    vmovaps     [r8], ymm7
    add         r8, 32
    add         rdi, rsi
    dec         r9
    jnz         1b
    pop         rbx
    vzeroupper
9:
    ret
GK_ASM_END(gk_qdot_\fmt\()_rows_avx2)
.endm

    ROWS        q8_0, 34
    ROWS        q4_0, 18

    .section .rodata
gk_q32_low_nibble:
    .byte 0x0F
    .p2align 1
gk_q32_one16:
    .word 1
    .p2align 5
gk_q32_high_half_shift:
    .long 0, 0, 0, 0, 4, 4, 4, 4

GK_ASM_STACK_NOTE
