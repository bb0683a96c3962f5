/* SPDX-License-Identifier: MIT */
/* AVX2 dot products of the IQ2 formats (IQ2_XXS, IQ2_XS, IQ2_S) against Q8_K, bit-exact with the
 * scalar tier (src/quant/qdot_iq2_scalar.c: exact int32 sums in eight lanes, weight e of a
 * super-block in lane (e % 32) / 4, the lanes of a 256-bit register here; then the f32 steps per
 * lane and one final sum of the lanes per row).
 *
 * Per 32 weights: the four 8-byte grid entries are read with scalar loads into one vector (the
 * grid bytes 8, 25, 43 are the unsigned operand of vpmaddubsw); the weights' signs are moved
 * onto the activation bytes with vpsignb (|xq| <= 127, so negating cannot overflow); vpmaddubsw
 * sums pairs to int16 (at most 2 * 43 * 127 = 10922: exact), vpmaddwd multiplies them by the
 * scale 2 s + 1 <= 31 and sums pairs to int32, so int32 lane j holds weights 4 j..4 j + 3. */
#include <immintrin.h>
#include <string.h>

#include "core/half.h"
#include "quant/iq.h"
#include "quant/qdot.h"

/* ---- shared steps ------------------------------------------------------------------------- */

static inline uint32_t gk_qa2_u32(const uint8_t *p)
{
    uint32_t v;
    memcpy(&v, p, sizeof v);
    return v; /* x86 is little-endian, as the format */
}

/* 4 or 8 bytes at p in every 32-bit / 64-bit lane: a broadcast from memory, which (unlike
 * _mm256_set1 of a value in a general register) costs no move between register files. */
static inline __m256i gk_qa2_bcast32(const uint8_t *p)
{
    return _mm256_castps_si256(_mm256_broadcast_ss((const float *)(const void *)p));
}

static inline __m256i gk_qa2_bcast64(const uint8_t *p)
{
    return _mm256_castpd_si256(_mm256_broadcast_sd((const double *)(const void *)p));
}

/* The scalar tier's final sum of the lanes: ((a0 + a4) + (a2 + a6)) + ((a1 + a5) + (a3 + a7)) */
static inline float gk_qa2_lanes_sum(__m256 acc)
{
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(acc), _mm256_extractf128_ps(acc, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

/* One weight row at a time, as one sequential stream with a software prefetch 1 KiB ahead (the
 * row driver of qdot_avx2.c), for `tokens` activation rows: 1, or GK_QDOT4_TOKENS for gk_qgemm's
 * four-token kernel gk_qdot4_<fmt>_avx2 (a group's grid entries, signs and scale are decoded once
 * for all of them). gk_qa2_<fmt>_block gives each token's eight lane sums of a super-block; the
 * f32 steps are the scalar tier's, acc = acc + ((d * 0.125f) * d_x) * (float)isum per lane, and
 * each token of the four-token kernel has the one-token kernel's bits. */
#define GK_QA2_ROWS(fmt)                                                                         \
    static inline __attribute__((always_inline)) void gk_qa2_##fmt##_rows(                       \
        const void *w, size_t w_stride, const void *xq, size_t xq_stride, size_t n_blocks,       \
        float *y, size_t ldy, size_t n_rows, const int tokens)                                   \
    {                                                                                            \
        for (size_t r = 0; r < n_rows; r++) {                                                    \
            const gk_block_##fmt *b = (const void *)((const char *)w + r * w_stride);            \
            __m256 acc[GK_QDOT4_TOKENS];                                                         \
            for (int t = 0; t < tokens; t++)                                                     \
                acc[t] = _mm256_setzero_ps();                                                    \
            for (size_t i = 0; i < n_blocks; i++) {                                              \
                _mm_prefetch((const char *)&b[i] + 1024, _MM_HINT_T0);                           \
                const gk_block_q8_k *x[GK_QDOT4_TOKENS];                                         \
                for (int t = 0; t < tokens; t++)                                                 \
                    x[t] = (const gk_block_q8_k *)((const char *)xq + t * xq_stride) + i;        \
                __m256i isum[GK_QDOT4_TOKENS];                                                   \
                gk_qa2_##fmt##_block(&b[i], x, tokens, isum);                                    \
                const float d = _cvtsh_ss((unsigned short)(b[i].d[0] | b[i].d[1] << 8));         \
                for (int t = 0; t < tokens; t++) {                                               \
                    const __m256 dd = _mm256_set1_ps(d * 0.125f * x[t]->d);                      \
                    acc[t] =                                                                     \
                        _mm256_add_ps(acc[t], _mm256_mul_ps(dd, _mm256_cvtepi32_ps(isum[t])));   \
                }                                                                                \
            }                                                                                    \
            for (int t = 0; t < tokens; t++)                                                     \
                y[t * ldy + r] = gk_qa2_lanes_sum(acc[t]);                                       \
        }                                                                                        \
    }                                                                                            \
    void gk_qdot_##fmt##_avx2(const void *w, size_t w_stride, const void *xq, size_t n_blocks,   \
                              float *y, size_t n_rows)                                           \
    {                                                                                            \
        gk_qa2_##fmt##_rows(w, w_stride, xq, 0, n_blocks, y, 0, n_rows, 1);                      \
    }                                                                                            \
    void gk_qdot4_##fmt##_avx2(const void *w, size_t w_stride, const void *xq, size_t xq_stride, \
                               size_t n_blocks, float *y, size_t ldy, size_t n_rows)             \
    {                                                                                            \
        gk_qa2_##fmt##_rows(w, w_stride, xq, xq_stride, n_blocks, y, ldy, n_rows,                \
                            GK_QDOT4_TOKENS);                                                    \
    }

/* ---- grid entries and signs --------------------------------------------------------------- */

/* Four 8-byte grid entries as one vector, entry l in bytes 8 l.. (scalar loads and inserts
 * measured faster here than vpgatherdq or broadcasts and blends). */
static inline __m256i
gk_qa2_grid4(const uint64_t *grid, unsigned i0, unsigned i1, unsigned i2, unsigned i3)
{
    return _mm256_set_epi64x((long long)grid[i3], (long long)grid[i2], (long long)grid[i1],
                             (long long)grid[i0]);
}

/* Sign vectors for vpsignb from the four 7-bit sign codes of 32 weights (IQ2_XXS, IQ2_XS): in
 * `codes` (the packed codes, broadcast), byte 8 l + b (b < 7) of the result tests bit b of code
 * l, found with vpshufb by `pick` (the byte of `codes` holding that bit) and compared with `bit`
 * (its mask); negative bytes stand for negative weights, the others are +1. Byte 8 l + 7 is
 * negative when code l has an odd number of set bits (the format keeps the number of negative
 * weights even): vpsadbw counts the 0xFF bytes of each 8 as 255 c, whose lowest bit is c's. */
static inline __m256i gk_qa2_code_signs(__m256i codes, __m256i pick, __m256i bit)
{
    const __m256i neg =
        _mm256_cmpeq_epi8(_mm256_and_si256(_mm256_shuffle_epi8(codes, pick), bit), bit);
    const __m256i odd = _mm256_slli_epi64(_mm256_sad_epu8(neg, _mm256_setzero_si256()), 63);
    return _mm256_or_si256(_mm256_or_si256(neg, odd), _mm256_set1_epi8(1));
}

/* pick and bit for sign code l at bit position first + stride l of the packed codes (byte 7 of
 * each 8 selects nothing: vpshufb gives 0 there, never equal to its bit 1) */
#define GK_QA2_PICK1(p) (char)((p) >> 3)
#define GK_QA2_BIT1(p)  (char)(1 << ((p)&7))
#define GK_QA2_OCTET(F, p) \
    F(p), F((p) + 1), F((p) + 2), F((p) + 3), F((p) + 4), F((p) + 5), F((p) + 6)
#define GK_QA2_CODES(F, last, first, stride)                                                  \
    _mm256_setr_epi8(GK_QA2_OCTET(F, first), last, GK_QA2_OCTET(F, (first) + (stride)), last, \
                     GK_QA2_OCTET(F, (first) + 2 * (stride)), last,                           \
                     GK_QA2_OCTET(F, (first) + 3 * (stride)), last)
#define GK_QA2_PICK(first, stride) GK_QA2_CODES(GK_QA2_PICK1, (char)0x80, first, stride)
#define GK_QA2_BIT(first, stride)  GK_QA2_CODES(GK_QA2_BIT1, 1, first, stride)

/* int32 partial sums over 32 weights of scale * grid * signed x, the scale of the first 16
 * weights in the int16 lanes of the low 128 bits of scale, of the last 16 in the high ones */
static inline __m256i gk_qa2_dot32(__m256i grid, __m256i signed_x, __m256i scale)
{
    return _mm256_madd_epi16(_mm256_maddubs_epi16(grid, signed_x), scale);
}

/* ---- IQ2_XXS ------------------------------------------------------------------------------ */

/* 2 s + 1 in sixteen int16 lanes for each 4-bit scale s: a load instead of moving the scale from
 * a general register to a vector one and broadcasting it. */
#define GK_QA2_ODD16(s)                                                                            \
    {                                                                                              \
        2 * (s) + 1, 2 * (s) + 1, 2 * (s) + 1, 2 * (s) + 1, 2 * (s) + 1, 2 * (s) + 1, 2 * (s) + 1, \
            2 * (s) + 1, 2 * (s) + 1, 2 * (s) + 1, 2 * (s) + 1, 2 * (s) + 1, 2 * (s) + 1,          \
            2 * (s) + 1, 2 * (s) + 1, 2 * (s) + 1                                                  \
    }
static const int16_t gk_qa2_xxs_scales[16][16] __attribute__((aligned(32))) = {
    GK_QA2_ODD16(0),  GK_QA2_ODD16(1),  GK_QA2_ODD16(2),  GK_QA2_ODD16(3),
    GK_QA2_ODD16(4),  GK_QA2_ODD16(5),  GK_QA2_ODD16(6),  GK_QA2_ODD16(7),
    GK_QA2_ODD16(8),  GK_QA2_ODD16(9),  GK_QA2_ODD16(10), GK_QA2_ODD16(11),
    GK_QA2_ODD16(12), GK_QA2_ODD16(13), GK_QA2_ODD16(14), GK_QA2_ODD16(15),
};

/* Group g (32 weights): grid indices qs[8 g + l], then the word with the sign code of index l
 * in bits 7 l.. and the scale s in bits 28..31. */
static inline __attribute__((always_inline)) void gk_qa2_iq2_xxs_block(
    const gk_block_iq2_xxs *b, const gk_block_q8_k *const *x, const int tokens, __m256i *isum)
{
    const __m256i pick = GK_QA2_PICK(0, 7), bit = GK_QA2_BIT(0, 7);
    for (int t = 0; t < tokens; t++)
        isum[t] = _mm256_setzero_si256();
#pragma GCC unroll 8
    for (int g = 0; g < 8; g++) {
        const uint8_t *q = b->qs + 8 * g;
        const uint32_t word = gk_qa2_u32(q + 4);
        const __m256i grid = gk_qa2_grid4(gk_iq2xxs_grid, q[0], q[1], q[2], q[3]);
        const __m256i signs = gk_qa2_code_signs(gk_qa2_bcast32(q + 4), pick, bit);
        const __m256i scale = _mm256_load_si256((const __m256i *)gk_qa2_xxs_scales[word >> 28]);
        for (int t = 0; t < tokens; t++) {
            const __m256i xv =
                _mm256_sign_epi8(_mm256_loadu_si256((const __m256i *)(x[t]->qs + 32 * g)), signs);
            isum[t] = _mm256_add_epi32(isum[t], gk_qa2_dot32(grid, xv, scale));
        }
    }
}

GK_QA2_ROWS(iq2_xxs)

/* ---- IQ2_XS and IQ2_S: a scale per 16 weights ------------------------------------------------ */

/* The 2 s + 1 of the scale bytes of the eight groups as int16: the low nibbles (first 16
 * weights of group g) in lane g of the low 128 bits, the high nibbles in lane g of the high. */
static inline __m256i gk_qa2_half_scales(const uint8_t scales[8])
{
    const __m128i packed = _mm_loadl_epi64((const __m128i *)scales);
    const __m128i nibble = _mm_set1_epi8(0x0F);
    const __m256i s =
        _mm256_set_m128i(_mm_cvtepu8_epi16(_mm_and_si128(_mm_srli_epi16(packed, 4), nibble)),
                         _mm_cvtepu8_epi16(_mm_and_si128(packed, nibble)));
    return _mm256_or_si256(_mm256_slli_epi16(s, 1), _mm256_set1_epi16(1));
}

/* Lane g of each 128-bit half of half_scales copied to all eight int16 lanes of that half. */
static inline __m256i gk_qa2_group_scale(__m256i half_scales, int g)
{
    return _mm256_shuffle_epi8(half_scales, _mm256_set1_epi16((short)((2 * g + 1) << 8 | 2 * g)));
}

/* IQ2_XS: group g is the four little-endian u16 at qs[8 g..]: grid index in bits 0-8, sign code
 * in bits 9-15. */
static inline __attribute__((always_inline)) void gk_qa2_iq2_xs_block(const gk_block_iq2_xs *b,
                                                                      const gk_block_q8_k *const *x,
                                                                      const int tokens,
                                                                      __m256i *isum)
{
    const __m256i pick = GK_QA2_PICK(9, 16), bit = GK_QA2_BIT(9, 16);
    const __m256i half_scales = gk_qa2_half_scales(b->scales);
    for (int t = 0; t < tokens; t++)
        isum[t] = _mm256_setzero_si256();
#pragma GCC unroll 8
    for (int g = 0; g < 8; g++) {
        uint64_t codes;
        memcpy(&codes, b->qs + 8 * g, sizeof codes);
        const unsigned k0 = (unsigned)codes & 0xFFFF, k1 = (unsigned)(codes >> 16) & 0xFFFF,
                       k2 = (unsigned)(codes >> 32) & 0xFFFF, k3 = (unsigned)(codes >> 48);
        const __m256i grid = gk_qa2_grid4(gk_iq2xs_grid, k0 & 511, k1 & 511, k2 & 511, k3 & 511);
        const __m256i signs = gk_qa2_code_signs(gk_qa2_bcast64(b->qs + 8 * g), pick, bit);
        const __m256i scale = gk_qa2_group_scale(half_scales, g);
        for (int t = 0; t < tokens; t++) {
            const __m256i xv =
                _mm256_sign_epi8(_mm256_loadu_si256((const __m256i *)(x[t]->qs + 32 * g)), signs);
            isum[t] = _mm256_add_epi32(isum[t], gk_qa2_dot32(grid, xv, scale));
        }
    }
}

GK_QA2_ROWS(iq2_xs)

/* IQ2_S: the 8 weights k of group g (k = 4 g + l) have the grid index qs[k] | (bits 2 l.. of
 * qh[g]) << 8 and their signs in the bits of qs[32 + k]: vpshufb copies sign byte l to bytes
 * 8 l..8 l + 7, each keeps its own bit, and adding 0x80 - bit (1 for bit 0x80) makes it 0x80 or
 * more (negative: vpsignb negates) where the bit is set, positive (kept) where it is not. */
static inline __attribute__((always_inline)) void gk_qa2_iq2_s_block(const gk_block_iq2_s *b,
                                                                     const gk_block_q8_k *const *x,
                                                                     const int tokens,
                                                                     __m256i *isum)
{
    const __m256i half_scales = gk_qa2_half_scales(b->scales);
    const __m256i spread = _mm256_setr_epi64x(0x0000000000000000, 0x0101010101010101,
                                              0x0202020202020202, 0x0303030303030303);
    const __m256i bit = _mm256_set1_epi64x((long long)0x8040201008040201ull);
    const __m256i to_sign = _mm256_set1_epi64x(0x01406070787C7E7Fll);
    for (int t = 0; t < tokens; t++)
        isum[t] = _mm256_setzero_si256();
#pragma GCC unroll 8
    for (int g = 0; g < 8; g++) {
        const uint8_t *q = b->qs + 4 * g;
        const unsigned high = b->qh[g];
        const __m256i grid =
            gk_qa2_grid4(gk_iq2s_grid, q[0] | (high & 3) << 8, q[1] | (high & 0xC) << 6,
                         q[2] | (high & 0x30) << 4, q[3] | (high & 0xC0) << 2);
        const __m256i own_bit =
            _mm256_and_si256(_mm256_shuffle_epi8(gk_qa2_bcast32(q + 32), spread), bit);
        const __m256i signs = _mm256_add_epi8(own_bit, to_sign);
        const __m256i scale = gk_qa2_group_scale(half_scales, g);
        for (int t = 0; t < tokens; t++) {
            const __m256i xv =
                _mm256_sign_epi8(_mm256_loadu_si256((const __m256i *)(x[t]->qs + 32 * g)), signs);
            isum[t] = _mm256_add_epi32(isum[t], gk_qa2_dot32(grid, xv, scale));
        }
    }
}

GK_QA2_ROWS(iq2_s)
