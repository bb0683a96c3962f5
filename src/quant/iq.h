/* SPDX-License-Identifier: MIT */
/* The GGUF "IQ" block formats: block structs with their byte layout and value formula, the
 * generated constant tables, and the internal per-format kernels (decoders for every tier that
 * has one, encoders for IQ4_NL and IQ4_XS). Internal: the public API (include/gllmk/quant.h)
 * validates and dispatches to these through the quant traits table.
 *
 * Source of the layouts and the arithmetic: ggml's block definitions (ggml-common.h) and its
 * reference decoders (dequantize_row_iq* in ggml-quants.c), ggml commit d99724f; the constant
 * tables come from the gguf PyPI package (tools/gen_iq_tables.py). Every multi-byte field is
 * little-endian; the structs hold bytes only (alignment 1), so a block may sit at any address,
 * and the kernels assemble fields byte by byte.
 *
 * Arithmetic shared by all decoders: the f16 scale is widened exactly (src/core/half.h); each
 * output is a short fixed sequence of binary32 operations given per format below, evaluated in
 * that order without contraction. A negative sign is applied by flipping the sign bit, which
 * equals ggml's multiplication by -1.0f for every non-NaN value (including -0.0 for a zero);
 * only the sign of a NaN output (from a NaN or an Inf * 0 scale) may differ from ggml's.
 *
 * Kernel contract (src/quant: inputs already validated by the public API): `blocks` holds
 * n_blocks consecutive blocks, `dst` n_blocks * elements-per-block floats, no overlap. */
#ifndef GK_QUANT_IQ_H
#define GK_QUANT_IQ_H

#include <assert.h>
#include <stddef.h>
#include <stdint.h>

/* super-block size of the IQ formats except IQ4_NL */
#define GK_IQ_QK    256
#define GK_IQ4NL_QK 32

/* IQ2_XXS, 2.0625 bits per weight. d: f16 super-scale. qs: 8 groups of 32 weights, 8 bytes
 * each: bytes 0-3 are four grid indices (one per 8 weights) into gk_iq2xxs_grid; bytes 4-7 are
 * a little-endian u32 w whose bits 7l..7l+6 (l = 0..3) select the signs of the 8 weights of
 * index l through gk_iq_ksigns, and whose top 4 bits are the group scale s.
 * value = (((f32(d) * (0.5f + s)) * 0.25f) * grid_byte) negated where the sign bit is set. */
typedef struct gk_block_iq2_xxs {
    uint8_t d[2];
    uint8_t qs[64];
} gk_block_iq2_xxs;

static_assert(sizeof(gk_block_iq2_xxs) == 66, "IQ2_XXS block is 66 bytes");

/* IQ2_XS, 2.3125 bpw. qs: 32 little-endian u16, one per 8 weights: bits 0-8 index
 * gk_iq2xs_grid, bits 9-15 a gk_iq_ksigns code. scales: per group of 32 weights one byte, low
 * nibble for its first 16 weights, high nibble for the last 16.
 * value = (((f32(d) * (0.5f + s)) * 0.25f) * grid_byte), sign applied as for IQ2_XXS. */
typedef struct gk_block_iq2_xs {
    uint8_t d[2];
    uint8_t qs[64];
    uint8_t scales[8];
} gk_block_iq2_xs;

static_assert(sizeof(gk_block_iq2_xs) == 74, "IQ2_XS block is 74 bytes");

/* IQ2_S, 2.5625 bpw. qs[0..31]: low 8 bits of the 10-bit gk_iq2s_grid index of each 8
 * weights; qs[32..63]: their sign bytes (bit j: weight j negative, no table). qh[g]: bits
 * 2l..2l+1 are the top 2 index bits of the l-th 8 weights of group g. scales as for IQ2_XS.
 * value = (((f32(d) * (0.5f + s)) * 0.25f) * grid_byte), signed. */
typedef struct gk_block_iq2_s {
    uint8_t d[2];
    uint8_t qs[64];
    uint8_t qh[8];
    uint8_t scales[8];
} gk_block_iq2_s;

static_assert(sizeof(gk_block_iq2_s) == 82, "IQ2_S block is 82 bytes");

/* IQ3_XXS, 3.0625 bpw. qs[0..63]: gk_iq3xxs_grid indices, one per 4 weights; qs[64..95]: 8
 * little-endian u32, one per group of 32, laid out like IQ2_XXS's second word (four 7-bit sign
 * codes, scale s in the top 4 bits).
 * value = (((f32(d) * (0.5f + s)) * 0.5f) * grid_byte), signed. */
typedef struct gk_block_iq3_xxs {
    uint8_t d[2];
    uint8_t qs[96];
} gk_block_iq3_xxs;

static_assert(sizeof(gk_block_iq3_xxs) == 98, "IQ3_XXS block is 98 bytes");

/* IQ3_S, 3.4375 bpw. qs: low 8 bits of the 9-bit gk_iq3s_grid index of each 4 weights; qh[g]:
 * bit k is the 9th bit of the k-th index of group g (32 weights, 8 indices); signs: one byte
 * per 8 weights (bit j: weight j negative); scales: one byte per 64 weights, low nibble for the
 * first 32. value = ((f32(d) * (float)(1 + 2 s)) * grid_byte), signed. */
typedef struct gk_block_iq3_s {
    uint8_t d[2];
    uint8_t qs[64];
    uint8_t qh[8];
    uint8_t signs[32];
    uint8_t scales[4];
} gk_block_iq3_s;

static_assert(sizeof(gk_block_iq3_s) == 110, "IQ3_S block is 110 bytes");

/* IQ1_S, 1.5625 bpw. qs: low 8 bits of the 11-bit gk_iq1s_grid index of each 8 weights;
 * qh: 8 little-endian u16, one per group of 32: bits 3l..3l+2 are the top index bits of its
 * l-th 8 weights, bits 12-14 the scale s, bit 15 the sign of delta (set: -delta).
 * value = (f32(d) * (float)(2 s + 1)) * ((float)grid_int8 + delta). */
typedef struct gk_block_iq1_s {
    uint8_t d[2];
    uint8_t qs[32];
    uint8_t qh[16];
} gk_block_iq1_s;

static_assert(sizeof(gk_block_iq1_s) == 50, "IQ1_S block is 50 bytes");

/* IQ1_M, 1.75 bpw. qs as IQ1_S; qh: one byte per 16 weights: bits 0-2 / 4-6 are the top index
 * bits of its first / second 8 weights, bit 3 / bit 7 their delta signs (set: -delta). scales:
 * 4 little-endian u16 w0..w3; group g (32 weights) uses w[g/2] bits 6(g%2)..+2 for its first 16
 * weights and 6(g%2)+3..+5 for its last 16; the f16 super-scale is the top nibbles of w0..w3
 * (w0's nibble lowest). value = (f32(d) * (float)(2 s + 1)) * ((float)grid_int8 + delta). */
typedef struct gk_block_iq1_m {
    uint8_t qs[32];
    uint8_t qh[16];
    uint8_t scales[8];
} gk_block_iq1_m;

static_assert(sizeof(gk_block_iq1_m) == 56, "IQ1_M block is 56 bytes");

/* IQ4_NL, 4.5 bpw, 32 weights. qs[j]: low nibble weight j, high nibble weight j + 16, each an
 * index into gk_iq4nl_values. value = f32(d) * (float)value. */
typedef struct gk_block_iq4_nl {
    uint8_t d[2];
    uint8_t qs[16];
} gk_block_iq4_nl;

static_assert(sizeof(gk_block_iq4_nl) == 18, "IQ4_NL block is 18 bytes");

/* IQ4_XS, 4.25 bpw. Group g (32 weights) has the 6-bit scale ls = (nibble g of scales_l) |
 * (bits 2g..2g+1 of the little-endian u16 scales_h) << 4; its 16 bytes of qs are packed like an
 * IQ4_NL block. value = (f32(d) * (float)(ls - 32)) * (float)value. */
typedef struct gk_block_iq4_xs {
    uint8_t d[2];
    uint8_t scales_h[2];
    uint8_t scales_l[4];
    uint8_t qs[128];
} gk_block_iq4_xs;

static_assert(sizeof(gk_block_iq4_xs) == 136, "IQ4_XS block is 136 bytes");

/* ---- generated tables (src/quant/iq_tables_gen.h, layout in tools/gen_iq_tables.py) ---- */

/* byte j of an iq2 entry is element j (8, 25 or 43); byte j of an iq3 entry is element j;
 * byte j of an iq1s entry is element j as int8 (-1, 0, 1). */
extern const uint64_t gk_iq2xxs_grid[256];
extern const uint64_t gk_iq2xs_grid[512];
extern const uint64_t gk_iq2s_grid[1024];
extern const uint32_t gk_iq3xxs_grid[256];
extern const uint32_t gk_iq3s_grid[512];
extern const uint64_t gk_iq1s_grid[2048];
/* 7-bit sign code -> 8 sign bits (the 8th makes the number of negative weights even) */
extern const uint8_t gk_iq_ksigns[128];
extern const int8_t gk_iq4nl_values[16];
extern const float gk_iq1_delta;

/* ---- field readers ---- */

static inline uint16_t gk_iq_u16(const uint8_t *p)
{
    return (uint16_t)(p[0] | (p[1] << 8));
}

static inline uint32_t gk_iq_u32(const uint8_t *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

/* IQ4_XS: the signed scale ls - 32 of sub-block g, ls being the low nibble g % 2 of scales_l[g / 2]
 * with bits 2g..2g+1 of the scales_h word above it. */
static inline int gk_iq4_xs_scale(const gk_block_iq4_xs *b, int g)
{
    const unsigned low = (b->scales_l[g / 2] >> (4 * (g % 2))) & 15u;
    const unsigned high = (gk_iq_u16(b->scales_h) >> (2 * g)) & 3u;
    return (int)(low | high << 4) - 32;
}

/* IQ1_M's f16 super-scale: the top nibble of each of its four scale words. */
static inline uint16_t gk_iq1_m_scale_bits(const gk_block_iq1_m *b)
{
    const uint8_t *s = b->scales;
    return (uint16_t)((gk_iq_u16(s) >> 12) | ((gk_iq_u16(s + 2) >> 8) & 0x00F0) |
                      ((gk_iq_u16(s + 4) >> 4) & 0x0F00) | (gk_iq_u16(s + 6) & 0xF000));
}

/* ---- kernels ---- */

#define GK_IQ_FORMATS(X) \
    X(iq1_s)             \
    X(iq1_m)             \
    X(iq2_xxs)           \
    X(iq2_xs)            \
    X(iq2_s)             \
    X(iq3_xxs)           \
    X(iq3_s)             \
    X(iq4_nl)            \
    X(iq4_xs)

#define GK_IQ_DECLARE_DEQUANT(fmt, tier) \
    void gk_dequant_##fmt##_##tier(const void *blocks, float *dst, size_t n_blocks);

/* Scalar decoders exist for every format. */
#define GK_IQ_DECLARE_SCALAR(fmt) GK_IQ_DECLARE_DEQUANT(fmt, scalar)
GK_IQ_FORMATS(GK_IQ_DECLARE_SCALAR)

/* SIMD decoders of every format, bit-identical to the scalar ones: AVX2, AVX-512 (F + BW + DQ +
 * VL, no VBMI) and NEON (AArch64). All share the format walk of iq_dequant_body.inc. */
#define GK_IQ_DECLARE_AVX2(fmt)   GK_IQ_DECLARE_DEQUANT(fmt, avx2)
#define GK_IQ_DECLARE_AVX512(fmt) GK_IQ_DECLARE_DEQUANT(fmt, avx512)
#define GK_IQ_DECLARE_NEON(fmt)   GK_IQ_DECLARE_DEQUANT(fmt, neon)
GK_IQ_FORMATS(GK_IQ_DECLARE_AVX2)
GK_IQ_FORMATS(GK_IQ_DECLARE_AVX512)
GK_IQ_FORMATS(GK_IQ_DECLARE_NEON)

/* Encoders. Input finite (the public API rejects NaN/Inf first); importance may be NULL, else
 * one non-negative weight per input value. Each group of 32 gets the scale that minimises the
 * importance-weighted squared error over a search of 16 candidate scales (the method of ggml's
 * quantize_iq4_nl / quantize_iq4_xs, see iq_quant.c); IQ4_XS then rounds the group scales to
 * 6-bit multiples of its f16 super-scale. The search runs on the block scaled by a power of two,
 * so tiny and huge inputs neither underflow nor overflow. Scales beyond f16 range are clamped
 * to +-65504 (huge inputs saturate, never Inf); scales below the smallest f16 subnormal round to
 * zero (such a block decodes to zeros); an all-zero block decodes to +0 everywhere. */
void gk_quant_iq4_nl_scalar(const float *src,
                            void *blocks,
                            size_t n_blocks,
                            const float *importance);
void gk_quant_iq4_xs_scalar(const float *src,
                            void *blocks,
                            size_t n_blocks,
                            const float *importance);

/* Lattice encoders (IQ3_XXS, IQ3_S, IQ2_XXS, IQ2_XS, IQ2_S), same input contract and range
 * handling. Per sub-group (32 weights; IQ2_XS and IQ2_S: 16): signs (with 7-bit sign codes,
 * each 8 weights may have only an even number of negatives, so with an odd count the least
 * important weight takes the wrong sign), then a range of candidate scales; for each, the
 * magnitudes round to the nearest point of the format's lattice ({1, 3, ..., 15}^4 for IQ3,
 * {1, 3, 5}^8 for IQ2, times the scale), replaced by the best of its 16 nearest grid points
 * when it is not on the grid; the least-squares scale of the best candidate is stored as a
 * 4-bit multiple (2 s + 1) of the f16 super-scale, and the points are chosen again for the
 * scale as stored. This is the method of ggml's quantize_iq3_xxs / _iq3_s / _iq2_xxs / _iq2_xs /
 * _iq2_s, with our nearest-point lists (built per format, once per process, at first use)
 * instead of its neighbour tables. Without importance the weights are x^2 (IQ3) or
 * x^2 + sigma2 / 4 (IQ2; ggml's choice for IQ2_S). Unlike ggml, IQ2_XXS and IQ2_XS accept
 * importance == NULL, though without an importance matrix they are poor formats. */
void gk_quant_iq3_xxs_scalar(const float *src,
                             void *blocks,
                             size_t n_blocks,
                             const float *importance);
void gk_quant_iq2_xxs_scalar(const float *src,
                             void *blocks,
                             size_t n_blocks,
                             const float *importance);
void gk_quant_iq3_s_scalar(const float *src,
                           void *blocks,
                           size_t n_blocks,
                           const float *importance);
void gk_quant_iq2_xs_scalar(const float *src,
                            void *blocks,
                            size_t n_blocks,
                            const float *importance);
void gk_quant_iq2_s_scalar(const float *src,
                           void *blocks,
                           size_t n_blocks,
                           const float *importance);

/* Decode-only formats (no gk_quant_<fmt>_scalar; the public gk_quantize returns
 * GK_EUNSUPPORTED for them): IQ1_S and IQ1_M. Their encoder is a search over a 2048-point
 * ternary lattice plus the sign of delta per group, and the formats are only usable with an
 * importance matrix (ggml refuses to produce them without one); it was not done in this change.
 * A naive nearest-point encoder would write valid bytes of much worse quality than the format
 * promises, so none is offered. */

#endif /* GK_QUANT_IQ_H */
