/* SPDX-License-Identifier: MIT */
/* Quantized weights repacked once for the dot kernels (gk_qpack, gllmk/qmatmul.h).
 *
 * Layout: a GK_QPACK_HEADER_BYTES header (struct gk_qpack_header: magic, version, type, rows per
 * group, n, k, checksum), then the rows in groups of GK_QPACK_ROWS (the last group padded with
 * zero-scale rows), each group n_blocks block columns of GK_QPACK_ROWS blocks.
 *
 * Q4_0, a block column (144 bytes, the bytes of its 8 blocks): the 8 rows' f16 scales (16
 * bytes), then 128 bytes of codes where byte 32 h + 4 r + j (h, j = 0..3, r the row) holds in its
 * low nibble the code of element 4 h + j of row r and in its high nibble that of element
 * 16 + 4 h + j. Loaded 32 bytes at a time, the low (high) nibbles hold four consecutive codes of
 * each of the 8 rows, one row per 32-bit lane: multiplied by four activation codes broadcast to
 * every lane, each lane sums its own row, and no horizontal reduction is needed. The layout is
 * the same on every ISA level.
 *
 * The other 32-value formats, a block column, again exactly its 8 blocks: the rows' f16 d (16
 * bytes); Q4_1 and Q5_1 then the rows' f16 m (16 bytes); the nibbles as for Q4_0 (128 bytes;
 * IQ4_NL: indices into its values); Q5_0 and Q5_1 then the fifth bits, one 32-bit word per row (32
 * bytes), bit 2 h + s of its byte j the fifth bit of element 16 s + 4 h + j. Q4_0 and IQ4_NL: 144
 * bytes, Q4_1: 160, Q5_0: 176, Q5_1: 192.
 *
 * Q8_0, a block column (272 bytes, exactly its 8 blocks): the rows' f16 d (16 bytes), then the
 * signed codes, byte 16 + 32 h + 4 r + j (h = 0..7) that of element 4 h + j of row r: eight
 * vectors of four codes per row. Its one-token product streams at DRAM speed unpacked already;
 * packed, the four-token kernel takes four tokens per pass over the weights (qgemm).
 *
 * Q2_K and Q3_K, a block column: the rows' f16 d (16 bytes); Q2_K then the rows' f16 dmin (16
 * bytes); the sub-block scales, byte S + 16 q + 2 r + e that of sub-block 2 q + e of row r (128
 * bytes; Q2_K: its scale | min << 4 byte as stored, S = 32; Q3_K: the signed scale decoded, S =
 * 16); the 2-bit codes, byte C + 32 u + 4 r + j being qs[4 u + j] of row r (512 bytes, C = 160 for
 * Q2_K and 144 for Q3_K): its bits 2 t, 2 t + 1 are the code of element 16 (8 (u / 8) + 2 t + u % 8
 * / 4) + 4 (u % 4) + j; Q3_K then the high bits, byte 656 + 32 v + 4 r + j being hmask[4 v + j] of
 * row r (256 bytes). Q2_K: GK_QPACK_Q2_K_COLUMN = 672 bytes, exactly its 8 super-blocks; Q3_K:
 * GK_QPACK_Q3_K_COLUMN = 912 for 880.
 *
 * TQ2_0 (and TQ1_0, whose base-3 digits gk_qpack decodes into TQ2_0's codes: the TQ2_0 kernels
 * then serve it), a block column (GK_QPACK_TQ2_0_COLUMN = 528 bytes, exactly 8 TQ2_0 blocks): the
 * rows' f16 d (16 bytes), then the codes as Q2_K's, byte 16 + 32 u + 4 r + j being qs[4 u + j] of
 * row r: its bits 2 l, 2 l + 1 the code of element 128 (u / 8) + 32 l + 4 (u % 8) + j.
 *
 * Q4_K, a block column (GK_QPACK_Q4_K_COLUMN = 1184 bytes for 8 super-blocks of 1152): the
 * rows' f16 d (16 bytes) and dmin (16 bytes); the 6-bit scales decoded to bytes, byte 32 + 8 s + r
 * the scale of sub-block s of row r (64 bytes); the mins, byte 96 + 16 q + 2 r + e the min of
 * sub-block 2 q + e of row r (64 bytes); then the codes, byte 160 + 256 p + 32 g + 4 r + j being
 * byte 32 p + 4 g + j of row r's qs: its low nibble is code 4 g + j of sub-block 2 p, its high
 * nibble that of sub-block 2 p + 1. Again one row per 32-bit lane.
 *
 * Q5_K, a block column (GK_QPACK_Q5_K_COLUMN = 1440 bytes for 8 super-blocks of 1408): Q4_K's
 * 1184 bytes for the scales and the low four bits of the codes, then the fifth bits, byte
 * 1184 + 32 g + 4 r + j being qh[4 g + j] of row r (g = 0..7): bit s the fifth bit of code
 * 4 g + j of sub-block s.
 *
 * IQ4_XS, a block column (GK_QPACK_IQ4_XS_COLUMN = 1104 bytes for 8 super-blocks of 1088): the
 * rows' f16 d (16 bytes); the sub-block scales decoded to signed bytes ls - 32, byte 16 + 8 s + r
 * for sub-block s of row r (64 bytes); the codes, byte 80 + 128 s + 32 g + 4 r + j being byte
 * 16 s + 4 g + j of row r's qs: its low nibble indexes value 4 g + j of sub-block s, its high
 * nibble value 16 + 4 g + j.
 *
 * Q6_K, a block column (GK_QPACK_Q6_K_COLUMN = 1680 bytes, exactly its 8 super-blocks): the rows'
 * f16 d (16 bytes); the int8 sub-block scales, byte 16 + 16 q + 2 r + e the scale of sub-block
 * 2 q + e of row r (128 bytes: a 16-byte load widened to int16 gives each row's two scales in one
 * 32-bit lane); then the 6-bit codes, 16 groups of three 32-byte vectors. Group u = 8 h + g
 * (h = 0, 1 the half of the super-block, g = 0..7) covers the codes of row r at elements
 * 128 h + 32 c + 4 g + j (c = 0..3, j = 0..3); byte 144 + 96 u + 32 v + 4 r + j (v = 0, 1, 2)
 * holds code c = v in its low six bits and bits 2 v, 2 v + 1 of code c = 3 in its top two. Three
 * masks give codes 0..2 and three shifts code 3: cheaper than the GGUF split of low nibbles and
 * high bit pairs, in the same bytes.
 *
 * The grid formats IQ1_S, IQ1_M, IQ2_XXS, IQ2_XS, IQ2_S, IQ3_XXS and IQ3_S have layouts in which
 * gk_qpack has done the grid lookups: every weight is d * factor * (2 s + 1) * value, d the row's
 * f16 super-scale (IQ1_M: the one assembled from its scale words), s the 4-bit scale of its 16
 * weights (the formats with one scale per 32 weights repeat it), value a small integer
 * (gk_qpack_iq_of). The values and factors, from the decoders of iq.h (each grid's entries are
 * the magnitudes named; a sign bit negates):
 *   IQ2_XXS, IQ2_XS, IQ2_S: d (0.5 + s) / 4 * grid, grid in {8, 25, 43}: factor 1/8, values
 *     +-8, +-25, +-43;
 *   IQ1_S, IQ1_M: d (2 s + 1) (q + delta), q in {-1, 0, 1}, delta = +-1/8 (IQ1_S per 32
 *     weights, IQ1_M per 8): factor 1/8, values 8 q + 8 delta, in {-9, -7, -1, 1, 7, 9} = +-1,
 *     +-7, +-9;
 *   IQ3_XXS: d (0.5 + s) / 2 * grid, grid in {4, 12, 20, ..., 52, 62}: factor 1/4, values
 *     +-4, +-12, ..., +-52, +-62;
 *   IQ3_S: d (2 s + 1) * grid, grid odd in 1..15: factor 1, values +-1, +-3, ..., +-15.
 * Both layouts start a block column with the rows' f16 d (16 bytes) and the scales, byte
 * 16 + 8 g + r holding in its low nibble s of the weights 32 g .. 32 g + 15 of row r and in its
 * high nibble s of 32 g + 16 .. 32 g + 31 (64 bytes).
 * IQ1_S and IQ1_M, the IQ1 layout (GK_QPACK_IQ1_S_COLUMN = 600 bytes for 8 super-blocks of 400,
 * GK_QPACK_IQ1_M_COLUMN = 624 for 448): a weight's value 8 q + 8 delta is split into its grid
 * entry q (-1, 0, 1) and its group's delta sign, value = 8 c - 7 - 2 n with the 2-bit code
 * c = q + 1 (0..2) and n = 1 where delta = -1/8. Then the codes, byte 80 + 32 a + 4 r + j holding
 * in bits 2 l, 2 l + 1 the code c of element 16 a + 4 l + j of row r (a = 0..15, 512 bytes, the
 * places of the sign-magnitude layout's magnitudes); then the delta signs n: IQ1_M (a delta per 8
 * weights), the 16-bit little-endian word at 592 + 4 r + 2 h holds in bit 15 - a the n of the
 * weights 16 a + 8 h .. 16 a + 8 h + 7 of row r (h = 0, 1; 32 bytes); IQ1_S (a delta per 32),
 * byte 592 + r holds in bit 7 - g the n of the weights 32 g .. 32 g + 31 (8 bytes). Per sub-block
 * a the kernels take sum of value * xq = 8 * sum(c * xq) - sum over its two halves h of
 * (7 + 2 n) * X_h, X_h the sum of the activation's 8 codes 16 a + 8 h .. 16 a + 8 h + 7 (in xsum,
 * computed once per token, see below): the codes need no sign, the deltas one select per half.
 * IQ2 (6 values: 3 magnitudes and a sign), the sign-magnitude layout
 * (GK_QPACK_IQ_SM_COLUMN = 848 bytes for 8 super-blocks of 528 (IQ2_XXS) to 656 (IQ2_S) bytes):
 * then the magnitudes, byte 80 + 32 a + 4 r + j holding in bits 2 l, 2 l + 1 the index (0..2,
 * into the type's 3 magnitudes) of element 16 a + 4 l + j of row r (a = 0..15, 512 bytes); then
 * the signs, byte 592 + 32 v + 4 r + j holding in bit 4 h + l the sign (set: negative) of element
 * 16 (2 v + h) + 4 l + j (v = 0..7, 256 bytes).
 * IQ3_XXS and IQ3_S (16 values), the 4-bit layout (GK_QPACK_IQ_GRID_COLUMN = 1104 bytes for 8
 * super-blocks of 784 (IQ3_XXS) or 880 (IQ3_S) bytes): then the codes as IQ4_XS's, byte
 * 80 + 128 g + 32 u + 4 r + j holding in its low nibble the code (index into the 16 values) of
 * element 32 g + 4 u + j and in its high nibble that of 32 g + 16 + 4 u + j.
 * The packed buffer is 848 / 656 = 1.29x (IQ2_S) to 848 / 528 = 1.61x (IQ2_XXS), 600 / 400 =
 * 1.50x (IQ1_S), 624 / 448 = 1.39x (IQ1_M), 1104 / 880 =
 * 1.25x (IQ3_S) and 1104 / 784 = 1.41x (IQ3_XXS) the size of the weights: the grid lookups that
 * make the unpacked kernels compute-bound are not done again.
 *
 * The kernels: one group of rows dotted with one activation row (Q8_0 for Q4_0, Q8_K for the rest):
 *   void gk_qdot8_<kern>_<tier>(const void *group, const void *xq, const int32_t *xsum,
 *                               size_t n_blocks, float out[GK_QPACK_ROWS]);
 * Q4_0, Q5_0: xsum[b] is the sum of Q8_0 activation block b's 32 codes. Per row r and block b,
 * exactly:
 *   isum = sum_e code(r, e) * xq_e - z * xsum[b]   (Q4_0: z = 8, Q5_0: z = 16; IQ4_NL: the
 *                                                   values, z = 0, no xsum)
 *   acc_r = fmaf(f16(d_r) * f16(d_x), (float)isum, acc_r)   from acc_r = 0,
 * Q4_1, Q5_1 (against Q8_1: d_x, s_x = f16(d_x * sum of the codes)): isum the plain sum, then
 *   acc_r = fmaf(f16(m_r), f16(s_x), fmaf(f16(d_r) * f16(d_x), (float)isum, acc_r)),
 * so every tier gives the same bits (the fused multiply-add is one rounding everywhere).
 * K-quants, IQ4_XS: xsum is not used; per row the integer sums and gk_qdot_kquant_step of
 * the unpacked kernels (src/quant/qdot.h), so packed and unpacked weights give the same bits on
 * every tier.
 * The grid formats (against Q8_K; xsum only for IQ1, GK_QPACK_IQ1_XSUM): per row and super-block
 *   isum = sum over the 16 sub-blocks of (2 s + 1) * sum of value * xq
 * (|isum| <= 256 * 31 * 62 * 127 < 2^26: exact in int32 on every tier, whatever the order), then
 *   acc_r = acc_r + ((f16(d_r) * factor) * d_x) * (float)isum   (gk_qpack_iq_step)
 * from acc_r = 0, the same operations on every tier: every tier gives the same bits. They are not
 * those of the unpacked IQ kernels, which keep eight (IQ2) or four (IQ1, IQ3) partial sums per row
 * (qdot.h); both are within the bound of gllmk/qmatmul.h. */
#ifndef GK_QUANT_QPACK_H
#define GK_QUANT_QPACK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/cpu.h"
#include "gllmk/quant.h"
#include "gllmk/types.h"

enum {
    GK_QPACK_HEADER_BYTES = 64,
    GK_QPACK_ROWS = 8,
    GK_QPACK_TQ2_0_COLUMN = 528,
    GK_QPACK_Q2_K_COLUMN = 672,
    GK_QPACK_Q3_K_COLUMN = 912,
    GK_QPACK_Q4_K_COLUMN = 1184,
    GK_QPACK_Q5_K_COLUMN = 1440,
    GK_QPACK_Q6_K_COLUMN = 1680,
    GK_QPACK_IQ4_XS_COLUMN = 1104,
    GK_QPACK_IQ_GRID_COLUMN = 1104,
    GK_QPACK_IQ_SM_COLUMN = 848,
    GK_QPACK_IQ1_S_COLUMN = 600,
    GK_QPACK_IQ1_M_COLUMN = 624
};

/* The bytes of an IQ1 block column for `group` weights per delta sign (8: IQ1_M, 32: IQ1_S). */
static inline size_t gk_qpack_iq1_column(unsigned group)
{
    return group == 8 ? GK_QPACK_IQ1_M_COLUMN : GK_QPACK_IQ1_S_COLUMN;
}

/* A grid format's packed values and factor: sign_magnitude (IQ1, IQ2), values[0..2] the three
 * magnitudes (IQ1's values; its layout stores codes and delta signs instead); else values[code],
 * ascending. */
struct gk_qpack_iq {
    int8_t values[16];
    float factor;
    bool sign_magnitude;
};

/* The values and factor of t, one of the grid formats of the layouts above (inline: the kernels'
 * constants). The values are those the decoders of iq.h produce, over d * factor * (2 s + 1). */
static inline struct gk_qpack_iq gk_qpack_iq_of(gk_qtype t)
{
    switch (t) {
    case GK_QTYPE_IQ3_XXS:
        return (struct gk_qpack_iq){
            {-62, -52, -44, -36, -28, -20, -12, -4, 4, 12, 20, 28, 36, 44, 52, 62}, 0.25f, false};
    case GK_QTYPE_IQ3_S:
        return (struct gk_qpack_iq){
            {-15, -13, -11, -9, -7, -5, -3, -1, 1, 3, 5, 7, 9, 11, 13, 15}, 1.0f, false};
    case GK_QTYPE_IQ1_S:
    case GK_QTYPE_IQ1_M: return (struct gk_qpack_iq){{1, 7, 9}, 0.125f, true};
    default: return (struct gk_qpack_iq){{8, 25, 43}, 0.125f, true}; /* IQ2_* */
    }
}

/* The f32 step of a grid format's super-block (see above), shared by the scalar kernel and
 * spelled out per lane by the others. */
static inline float gk_qpack_iq_step(float acc, float d_w, float factor, float d_x, int32_t isum)
{
    return acc + d_w * factor * d_x * (float)isum;
}

typedef void (*gk_qdot8_fn)(const void *group,
                            const void *xq,
                            const int32_t *xsum,
                            size_t n_blocks,
                            float out[GK_QPACK_ROWS]);

/* The group kernels of each tier (src/quant/qpack.c, src/kernels/<tier>/qpack_<tier>.c); NEON's
 * also as gk_qdot8_<kern>_neon_dotprod, built with SDOT, for CPUs with ASIMDDP. */
#define GK_QDOT8_PROTO(kern, tier)                                                        \
    void gk_qdot8_##kern##_##tier(const void *group, const void *xq, const int32_t *xsum, \
                                  size_t n_blocks, float *out);
/* The formats with a packed layout: X(kern). Every one has scalar, AVX2 and NEON kernels. */
/* clang-format off */
#define GK_QPACK_FORMATS(X) \
    X(q4_0)    \
    X(q8_0)    \
    X(q4_1)    \
    X(q5_0)    \
    X(q5_1)    \
    X(iq4_nl)  \
    X(q2_k)    \
    X(q3_k)    \
    X(q4_k)    \
    X(q5_k)    \
    X(q6_k)    \
    X(tq2_0)   \
    X(iq4_xs)  \
    X(iq1_s)   \
    X(iq1_m)   \
    X(iq2_xxs) \
    X(iq2_xs)  \
    X(iq2_s)   \
    X(iq3_xxs) \
    X(iq3_s)
/* clang-format on */
#define GK_QDOT8_SCALAR(kern) GK_QDOT8_PROTO(kern, scalar)
#define GK_QDOT8_AVX2(kern)   GK_QDOT8_PROTO(kern, avx2)
#define GK_QDOT8_NEON(kern)   GK_QDOT8_PROTO(kern, neon) GK_QDOT8_PROTO(kern, neon_dotprod)
GK_QPACK_FORMATS(GK_QDOT8_SCALAR)
#ifdef GK_HAVE_AVX2
GK_QPACK_FORMATS(GK_QDOT8_AVX2)
#endif
#ifdef GK_HAVE_NEON
GK_QPACK_FORMATS(GK_QDOT8_NEON)
#endif
#undef GK_QDOT8_SCALAR
#undef GK_QDOT8_AVX2
#undef GK_QDOT8_NEON
#undef GK_QDOT8_PROTO

/* IQ1_S, IQ1_M: xsum holds GK_QPACK_IQ1_XSUM words per Q8_K super-block b of the activation, at
 * xsum + GK_QPACK_IQ1_XSUM b: word a (a = 0..15) the int16 pair -7 X_2a | -7 X_2a+1 << 16 (low
 * half first), word 16 + a the pair -9 X_2a | -9 X_2a+1 << 16, X_c the sum of the super-block's
 * codes 8 c .. 8 c + 7 (the delta terms of the IQ1 layout above, for both signs; computed once
 * per token by gk_qpack_iq1_xsum, not once per group of rows). */
enum { GK_QPACK_IQ1_XSUM = 32 };

void gk_qpack_iq1_xsum(const void *xq, size_t n_blocks, int32_t *xsum);

/* Defines the group kernel `name` as inner(group, xq, n_blocks, flag, out): the formats whose
 * kernels share one body (Q2_K/Q3_K, Q4_K/Q5_K, the grid formats) on a tier. */
#define GK_QDOT8_SHARED(name, inner, flag)                                                         \
    void name(const void *group, const void *xq, const int32_t *xsum, size_t n_blocks, float *out) \
    {                                                                                              \
        (void)xsum;                                                                                \
        inner(group, xq, n_blocks, flag, out);                                                     \
    }

/* The same for the IQ1 kernels, inner(group, xq, xsum, n_blocks, flag, out). */
#define GK_QDOT8_SHARED_XSUM(name, inner, flag)                                                    \
    void name(const void *group, const void *xq, const int32_t *xsum, size_t n_blocks, float *out) \
    {                                                                                              \
        inner(group, xq, xsum, n_blocks, flag, out);                                               \
    }

/* Where the parts of a 32-value format's block column lie (offsets in bytes; 0: absent). */
struct gk_qpack_q32_layout {
    size_t column, mins, codes, fifth;
    int offset;   /* z of the codes (Q4_0: 8, Q5_0: 16, else 0) */
    bool min, nl; /* Q4_1 / Q5_1: a min term against Q8_1; IQ4_NL: the codes index its values */
    bool bytes8;  /* Q8_0: the codes are whole signed bytes, eight vectors instead of four */
};

/* The layout of t, one of Q4_0, Q4_1, Q5_0, Q5_1 and IQ4_NL (inline: the kernels' constants). */
static inline struct gk_qpack_q32_layout gk_qpack_q32_layout_of(gk_qtype t)
{
    switch (t) {
    case GK_QTYPE_Q4_1: return (struct gk_qpack_q32_layout){160, 16, 32, 0, 0, true, false, false};
    case GK_QTYPE_Q5_0:
        return (struct gk_qpack_q32_layout){176, 0, 16, 144, 16, false, false, false};
    case GK_QTYPE_Q5_1:
        return (struct gk_qpack_q32_layout){192, 16, 32, 160, 0, true, false, false};
    case GK_QTYPE_IQ4_NL: return (struct gk_qpack_q32_layout){144, 0, 16, 0, 0, false, true, false};
    case GK_QTYPE_Q8_0: return (struct gk_qpack_q32_layout){272, 0, 16, 0, 0, false, false, true};
    default: return (struct gk_qpack_q32_layout){144, 0, 16, 0, 8, false, false, false}; /* Q4_0 */
    }
}

/* Four tokens at a time: activation rows xq + t * x_row_bytes (t = 0..3), xsum + t * n_blocks
 * (IQ1: + t * GK_QPACK_IQ1_XSUM * n_blocks), token t's dots to out + GK_QPACK_ROWS * t; each
 * token's bits those of gk_qdot8_fn alone. */
enum { GK_QDOT8X4_TOKENS = 4 };

typedef void (*gk_qdot8x4_fn)(const void *group,
                              const void *xq,
                              size_t x_row_bytes,
                              const int32_t *xsum,
                              size_t n_blocks,
                              float *out);

/* Every packed format has an AVX2 four-token kernel, gk_qdot8x4_<kern>_avx2. */
#ifdef GK_HAVE_AVX2
#    define GK_QDOT8X4_AVX2(kern)                                                            \
        void gk_qdot8x4_##kern##_avx2(const void *group, const void *xq, size_t x_row_bytes, \
                                      const int32_t *xsum, size_t n_blocks, float *out);
GK_QPACK_FORMATS(GK_QDOT8X4_AVX2)
#    undef GK_QDOT8X4_AVX2
#endif

/* The bytes of one group of GK_QPACK_ROWS rows of k weights of type t (t has a packed layout). */
size_t gk_qpack_group_bytes(gk_qtype t, size_t k);

/* Checks that `packed` is a packed buffer with a sound header for n x k weights; *type its type
 * and *kernel the group kernel of the tier at or below isa that has one; *kernel4 the tier's
 * four-token kernel, or NULL. */
gk_status gk_qpack_open(const char *api,
                        const void *packed,
                        size_t n,
                        size_t k,
                        gk_isa isa,
                        gk_qtype *type,
                        gk_qdot8_fn *kernel,
                        gk_qdot8x4_fn *kernel4);

#endif /* GK_QUANT_QPACK_H */
