/* SPDX-License-Identifier: MIT */
/* Block layouts of the GGUF formats this branch decodes (ggml's ggml-common.h, commit d99724f;
 * the layouts are facts of the GGUF format) with their size checks, and the per-format kernel
 * prototypes expanded from src/quant/formats.def:
 *   void gk_dequant_<fmt>_<tier>(const void *blocks, float *dst, size_t n_blocks);
 *   void gk_quant_<fmt>_scalar(const float *src, void *blocks, size_t n_blocks,
 *                              const float *importance);   importance may be NULL
 * Kernels trust their inputs: the public API has validated pointers, sizes and overlap, and
 * rejected non-finite input to quantize. All multi-byte fields are little-endian (the library
 * supports little-endian targets only: x86-64, AArch64). */
#ifndef GK_QUANT_BLOCKS_H
#define GK_QUANT_BLOCKS_H

#include <assert.h>
#include <stddef.h>
#include <stdint.h>

#include "gllmk/quant.h"

#define GK_QK_K 256 /* values per K-quant super-block */

typedef struct gk_block_q4_0 {
    gk_f16 d;
    uint8_t qs[16]; /* element j: low nibble of qs[j]; element j + 16: high nibble */
} gk_block_q4_0;

typedef struct gk_block_q4_1 {
    gk_f16 d, m;
    uint8_t qs[16];
} gk_block_q4_1;

typedef struct gk_block_q5_0 {
    gk_f16 d;
    uint8_t qh[4]; /* bit j of the little-endian u32: 5th bit of element j */
    uint8_t qs[16];
} gk_block_q5_0;

typedef struct gk_block_q5_1 {
    gk_f16 d, m;
    uint8_t qh[4];
    uint8_t qs[16];
} gk_block_q5_1;

typedef struct gk_block_q8_0 {
    gk_f16 d;
    int8_t qs[32];
} gk_block_q8_0;

typedef struct gk_block_q8_1 {
    gk_f16 d, s; /* s = d * sum(qs), for dot products; not used by the decoder */
    int8_t qs[32];
} gk_block_q8_1;

typedef struct gk_block_q2_k {
    uint8_t scales[16]; /* low nibble: scale, high nibble: min, of each 16 values */
    uint8_t qs[64];
    gk_f16 d, dmin;
} gk_block_q2_k;

typedef struct gk_block_q3_k {
    uint8_t hmask[32];
    uint8_t qs[64];
    uint8_t scales[12]; /* sixteen 6-bit scales, offset by 32 */
    gk_f16 d;
} gk_block_q3_k;

typedef struct gk_block_q4_k {
    gk_f16 d, dmin;
    uint8_t scales[12]; /* eight 6-bit scales and eight 6-bit mins */
    uint8_t qs[128];
} gk_block_q4_k;

typedef struct gk_block_q5_k {
    gk_f16 d, dmin;
    uint8_t scales[12];
    uint8_t qh[32];
    uint8_t qs[128];
} gk_block_q5_k;

typedef struct gk_block_q6_k {
    uint8_t ql[128];
    uint8_t qh[64];
    int8_t scales[16];
    gk_f16 d;
} gk_block_q6_k;

typedef struct gk_block_q8_k {
    float d;
    int8_t qs[256];
    int16_t bsums[16]; /* sums of each 16 qs, for dot products; not used by the decoder */
} gk_block_q8_k;

typedef struct gk_block_tq1_0 {
    uint8_t qs[48]; /* five base-3 digits per byte (fixed-point fraction of 3^5) */
    uint8_t qh[4];  /* four digits per byte */
    gk_f16 d;
} gk_block_tq1_0;

/* TQ1_0 stores five (or four) base-3 digits t_0..t_4 per byte as the fixed-point fraction
 * q = ceil(256 * (t_0 t_1 t_2 t_3 t_4)_3 / 243). Digit n is recovered by multiplying by 3^n
 * modulo 256 (shifting the fraction left by n digits) and taking the integer part of 3 q / 256.
 * Element 32 n + m (m < 32) of a block is digit n of qs[m], element 160 + 16 n + m (m < 16) digit
 * n of qs[32 + m], element 240 + 4 n + j digit n of qh[j]; its value is (digit - 1) d. */
static inline int gk_tq1_digit(uint8_t q, int n)
{
    static const uint8_t pow3[5] = {1, 3, 9, 27, 81};
    return ((uint8_t)(q * pow3[n]) * 3) >> 8;
}

/* The 256 digits (0..2) of a TQ1_0 block in element order. */
static inline void gk_tq1_digits(const gk_block_tq1_0 *b, uint8_t digit[256])
{
    for (int n = 0; n < 5; n++) {
        for (int m = 0; m < 32; m++)
            digit[32 * n + m] = (uint8_t)gk_tq1_digit(b->qs[m], n);
        for (int m = 0; m < 16; m++)
            digit[160 + 16 * n + m] = (uint8_t)gk_tq1_digit(b->qs[32 + m], n);
    }
    for (int n = 0; n < 4; n++)
        for (int j = 0; j < 4; j++)
            digit[240 + 4 * n + j] = (uint8_t)gk_tq1_digit(b->qh[j], n);
}

typedef struct gk_block_tq2_0 {
    uint8_t qs[64]; /* 2-bit codes 0..2 meaning -1, 0, +1 */
    gk_f16 d;
} gk_block_tq2_0;

/* Every block struct matches the byte size of its format. */
#define GK_QFORMAT(fmt, NAME, gguf, elems, bytes, group, quant, avx2, avx512, neon, kern, act, \
                   dot_avx2, dot_avx512, dot_neon)                                             \
    GK_QF_ASSERT_##group(kern, bytes)
#define GK_QF_ASSERT_CORE(kern, bytes) \
    static_assert(sizeof(gk_block_##kern) == (bytes), "block size of " #kern);
#define GK_QF_ASSERT_IQ(kern, bytes) /* asserted in src/quant/iq.h */
#include "quant/formats.def"
#undef GK_QFORMAT
#undef GK_QF_ASSERT_CORE
#undef GK_QF_ASSERT_IQ

/* Kernel prototypes of this branch's formats (the IQ ones are declared in src/quant/iq.h). */
#define GK_QF_PROTO_S(kern, tier)
#define GK_QF_PROTO_V(kern, tier) \
    void gk_dequant_##kern##_##tier(const void *blocks, float *dst, size_t n_blocks);
#define GK_QF_PROTO_Q(kern)                                                        \
    void gk_quant_##kern##_scalar(const float *src, void *blocks, size_t n_blocks, \
                                  const float *importance);
#define GK_QF_PROTO_DEC(kern)
#define GK_QF_PROTO_CORE(kern, has_quant, f_avx2, f_avx512, f_neon) \
    GK_QF_PROTO_V(kern, scalar)                                     \
    GK_QF_PROTO_##has_quant(kern) GK_QF_PROTO_##f_avx2(kern, avx2)  \
        GK_QF_PROTO_##f_avx512(kern, avx512) GK_QF_PROTO_##f_neon(kern, neon)
#define GK_QF_PROTO_IQ(kern, has_quant, f_avx2, f_avx512, f_neon)
#define GK_QFORMAT(fmt, NAME, gguf, elems, bytes, group, quant, avx2, avx512, neon, kern, act, \
                   dot_avx2, dot_avx512, dot_neon)                                             \
    GK_QF_PROTO_##group(kern, quant, avx2, avx512, neon)
#include "quant/formats.def"
#undef GK_QFORMAT
#undef GK_QF_PROTO_S
#undef GK_QF_PROTO_V
#undef GK_QF_PROTO_Q
#undef GK_QF_PROTO_DEC
#undef GK_QF_PROTO_CORE
#undef GK_QF_PROTO_IQ

/* The 6-bit scale and min of sub-block j (0..7) of a Q4_K / Q5_K block's 12 scale bytes
 * (layout: ggml-common.h; bytes 0..3 scales 0..3, bytes 4..7 mins 0..3, bytes 8..11 the low
 * nibbles of scales / mins 4..7 whose top two bits sit in bits 6..7 of bytes 0..7). */
static inline void gk_q4k_scale_min(const uint8_t *scales, int j, uint8_t *sc, uint8_t *m)
{
    if (j < 4) {
        *sc = scales[j] & 63;
        *m = scales[j + 4] & 63;
    } else {
        *sc = (uint8_t)((scales[j + 4] & 0xF) | ((scales[j - 4] >> 6) << 4));
        *m = (uint8_t)((scales[j + 4] >> 4) | ((scales[j] >> 6) << 4));
    }
}

/* The sixteen signed 6-bit scales of a Q3_K block (-32..31), unpacked from its 12 bytes: scale
 * j's low 4 bits are the low (j < 8) or high (j >= 8) nibble of byte j % 8, its top 2 bits are
 * bits 2 (j / 4)..2 (j / 4) + 1 of byte 8 + j % 4. */
static inline void gk_q3k_scales(const uint8_t *packed, int8_t out[16])
{
    for (int j = 0; j < 16; j++) {
        const int low = j < 8 ? packed[j] & 0xF : packed[j - 8] >> 4;
        const int high = (packed[8 + j % 4] >> (2 * (j / 4))) & 3;
        out[j] = (int8_t)((low | (high << 4)) - 32);
    }
}

#endif /* GK_QUANT_BLOCKS_H */
