/* SPDX-License-Identifier: MIT */
/* gk_qdot_q8_0_avx2 and gk_qdot_q4_0_rows_avx2: the AVX2 kernels of the 32-value formats Q8_0
 * and Q4_0 against a Q8_0 activation row.
 *
 * C prototypes (src/quant/qdot.h, src/kernels/avx2/qdot_side_avx2.h; the arithmetic of
 * src/quant/qdot_scalar.c up to the order of the f32 block sums):
 *   void gk_qdot_q8_0_avx2(const void *w, size_t w_stride, const void *xq, size_t n_blocks,
 *                          float *y, size_t n_rows);
 *   void gk_qdot_q4_0_rows_avx2(const void *w, size_t w_stride, const struct gk_qa_side *side,
 *                               size_t n_blocks, __m256 *lanes, size_t n_rows);
 * (gk_qdot_q4_0_avx2, in qdot_avx2.c, fills the side table a chunk of blocks at a time and
 * calls the second.)
 *
 * Block layouts (src/quant/blocks.h): Q8_0 (34 bytes) d f16 @0, qs[32] int8 @2; Q4_0 (18 bytes)
 * d f16 @0, qs[16] @2 (element j < 16: low nibble of qs[j], j + 16: its high nibble), codes
 * nibble - 8.
 *
 * One row at a time: rows are contiguous, so the weights are read as one sequential stream (two
 * interleaved rows, tried first, streamed a third slower from DRAM). */
#include "asm/asm_defs.h"
#include "kernels/avx2/qdot_side_avx2.h"

    .intel_syntax noprefix

/* Weights stream from DRAM once: a software prefetch 1 KiB ahead of the block being read keeps
 * more lines in flight than the hardware prefetcher alone (measured on Zen 3: 2.66 -> 1.97 ns per
 * Q8_0 block at 1 thread; 512 and 2048 bytes were slower). */
#define PREFETCH_DISTANCE 1024

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

/* ---- Q8_0 -------------------------------------------------------------------------------------
 * Register map (System V AMD64):
 *   rdi  w: the current row                        rsi  w_stride (bytes)
 *   rdx  xq: the activation's first block          rcx  n_blocks
 *   r8   y: the current output                     r9   rows left
 *   r10  the weight block, rax the activation block, r11 blocks left
 *   ymm0  activation codes; ymm1  the row's codes, then their int32 sums, then f32
 *   ymm3  (d_w * d_x) broadcast; ymm6  a temporary
 *   ymm7  the row's f32 partial sums, one per lane
 *   ymm14  1 in every int16
 *
 * Per block and row: |w| (vpabsb) times x with w's sign (vpsignb) through vpmaddubsw (|w| <= 128,
 * |x| <= 127: exact int16 pairs), vpmaddwd by 1 into eight int32 sums, to f32, times
 * f16(d_w) * f16(d_x), added to the row's lanes (vfmadd231ps). */
GK_ASM_FUNC(gk_qdot_q8_0_avx2)
    test        r9, r9
    jz          9f
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
    vmovdqu     ymm1, [r10 + 2]
    BLOCK       1, 3, 7, r10
    add         r10, 34
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
GK_ASM_END(gk_qdot_q8_0_avx2)

/* ---- Q4_0 -------------------------------------------------------------------------------------
 * The unsigned nibbles u go into vpmaddubsw as they are, against the activation codes of the side
 * table, and the table's offsets 8 (x[2j] + x[2j + 1]) come off the int16 pair sums
 * (qdot_side_avx2.h): the same int32 lane sums as |w| times x with w's sign, in seven vector
 * operations per block instead of eleven. Two partial sums (even and odd blocks), because one
 * chain of FMAs bound the loop, and four blocks per iteration (+4-7%). Measured on Zen 3 against
 * the sign-trick loop, W 4096 x 4096 from DRAM: 1.3x with one partial sum, 1.43x with all three
 * at one thread and at two.
 *
 * Register map (System V AMD64):
 *   rdi  w: the current row                        rsi  w_stride (bytes)
 *   rdx  side: the table's first entry             rcx  n_blocks
 *   r8   lanes: the current row's                  r9   rows left
 *   r10  the weight block, rax the side entry, rbx (saved) its d_x, r11 blocks left
 *   ymm1, ymm2  a block's codes, then int16 pair sums, int32 sums, f32; ymm3, ymm4  d_w d_x
 *   ymm7, ymm8  the row's partial sums of the even and the odd blocks
 *   ymm12  the dword shifts 0 (low half) and 4 (high half); ymm14  1 in every int16;
 *   ymm15  0x0F in every byte */

/* ymm\acc += f16(d_w) d_x times the int32 lane sums of block \k (from r10, rax, rbx), with
 * ymm\t and ymm\d as temporaries. The 16 code bytes go to both halves; the high half, shifted by
 * 4 bits, keeps the high nibbles. vcvtph2ps reads the block's first 8 bytes: lane 0 is d_w. */
.macro Q4_0_BLOCK acc, t, d, k
    vbroadcasti128 ymm\t, [r10 + 18 * \k + 2]
    vpsrlvd     ymm\t, ymm\t, ymm12
    vpand       ymm\t, ymm\t, ymm15
    vpmaddubsw  ymm\t, ymm\t, [rax + GK_QA_SIDE_ENTRY * \k]
    vpsubw      ymm\t, ymm\t, [rax + GK_QA_SIDE_ENTRY * \k + 32]
    vpmaddwd    ymm\t, ymm\t, ymm14
    vcvtdq2ps   ymm\t, ymm\t
    vcvtph2ps   xmm\d, qword ptr [r10 + 18 * \k]
    vmulss      xmm\d, xmm\d, [rbx + 4 * \k]
    vbroadcastss ymm\d, xmm\d
    vfmadd231ps ymm\acc, ymm\d, ymm\t
.endm

/* Past \n blocks: the weights, the side entries, their d_x, the count left. */
.macro ADVANCE n
    add         r10, \n * 18
    add         rax, \n * GK_QA_SIDE_ENTRY
    add         rbx, \n * 4
    sub         r11, \n
.endm

GK_ASM_FUNC(gk_qdot_q4_0_rows_avx2)
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
2:  /* four blocks (72 bytes: two prefetches) */
    PREFETCH    r10
    prefetcht0  [r10 + PREFETCH_DISTANCE + 64]
    Q4_0_BLOCK  7, 1, 3, 0
    Q4_0_BLOCK  8, 2, 4, 1
    Q4_0_BLOCK  7, 1, 3, 2
    Q4_0_BLOCK  8, 2, 4, 3
    ADVANCE     4
    cmp         r11, 4
    jae         2b
3:  /* two of the last three */
    cmp         r11, 2
    jb          4f
    Q4_0_BLOCK  7, 1, 3, 0
    Q4_0_BLOCK  8, 2, 4, 1
    ADVANCE     2
4:  /* the last of an odd count */
    test        r11, r11
    jz          5f
    Q4_0_BLOCK  7, 1, 3, 0
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
GK_ASM_END(gk_qdot_q4_0_rows_avx2)

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
