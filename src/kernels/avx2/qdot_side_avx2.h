/* SPDX-License-Identifier: MIT */
/* The activation side table of the AVX2 Q8_0, Q4_0 and Q5_0 dot kernels (qdot_avx2.c and
 * src/asm/x86_64/qdot_q32_avx2.S), included by both. Q8_0 reads its codes and d_x; the offsets
 * are for Q4_0 and Q5_0.
 *
 * Their weight codes are unsigned bytes u (Q4_0: 0..15, Q5_0: 0..31) with w = u - z (z = 8, 16).
 * vpmaddubsw takes u as it is (unsigned times the signed activation codes x), and the int16 pair
 * sums lose z (x[2j] + x[2j + 1]) by one subtraction: z times the activation's pair sums, the
 * same for every weight row, is formed once per chunk of blocks here. The int32 lane sums are
 * then those of (u - z) x, exactly, without the sign trick the signed formats need (vpsignb and
 * vpabsb on every block of every row). Per block the table holds the activation codes (so that the
 * row loop reads one aligned entry), the offsets z (x[2j] + x[2j + 1]) and d_x widened to f32. */
#ifndef GK_KERNELS_AVX2_QDOT_SIDE_AVX2_H
#define GK_KERNELS_AVX2_QDOT_SIDE_AVX2_H

/* Blocks per chunk: 256 (k = 8192 in one chunk), 17 KiB on the stack. */
#define GK_QA_SIDE_BLOCKS 256
/* Bytes per block entry (codes, then offsets) and where d_x starts. */
#define GK_QA_SIDE_ENTRY     64
#define GK_QA_SIDE_DX_OFFSET (GK_QA_SIDE_ENTRY * GK_QA_SIDE_BLOCKS)

#ifndef __ASSEMBLER__
#    include <immintrin.h>
#    include <stddef.h>

struct gk_qa_side {
    struct {
        __m256i codes;   /* the activation block's 32 codes */
        __m256i offsets; /* int16 j: z (x[2j] + x[2j + 1]) */
    } block[GK_QA_SIDE_BLOCKS];

    float d_x[GK_QA_SIDE_BLOCKS];
};

_Static_assert(sizeof(((struct gk_qa_side *)0)->block[0]) == GK_QA_SIDE_ENTRY, "entry size");
_Static_assert(offsetof(struct gk_qa_side, d_x) == GK_QA_SIDE_DX_OFFSET, "d_x offset");

/* lanes[r] += the eight f32 lane sums of weight row r (at w + r * w_stride) with the side's
 * first n_blocks <= GK_QA_SIDE_BLOCKS blocks: per block (d_w d_x) times its int32 lane sums, one
 * FMA, even blocks into one partial sum and odd blocks into another, the two added at the end. */
typedef void gk_qa_side_rows(const void *w,
                             size_t w_stride,
                             const struct gk_qa_side *side,
                             size_t n_blocks,
                             __m256 *lanes,
                             size_t n_rows);

/* Q8_0 and Q4_0 (src/asm/x86_64/qdot_q32_avx2.S; Q8_0 does not use the offsets) */
gk_qa_side_rows gk_qdot_q8_0_rows_avx2, gk_qdot_q4_0_rows_avx2;
#endif

#endif /* GK_KERNELS_AVX2_QDOT_SIDE_AVX2_H */
