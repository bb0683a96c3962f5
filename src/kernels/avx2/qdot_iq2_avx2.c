/* SPDX-License-Identifier: MIT */
/* AVX2 dot products of the IQ2 formats (IQ2_XXS, IQ2_XS, IQ2_S) against Q8_K, bit-exact with the
 * scalar tier (src/quant/qdot_iq2_scalar.c: exact int32 sums, then the K-quants' f32 step).
 *
 * Per 32 weights: the four 8-byte grid entries are read with scalar loads into one vector (the
 * grid bytes 8, 25, 43 are the unsigned operand of vpmaddubsw); the weights' signs are moved
 * onto the activation bytes with vpsignb (|xq| <= 127, so negating cannot overflow); vpmaddubsw
 * sums pairs to int16 (at most 2 * 43 * 127 = 10922: exact), vpmaddwd multiplies them by the
 * scale 2 s + 1 <= 31 and sums pairs to int32. */
#include <immintrin.h>
#include <string.h>

#include "core/half.h"
#include "quant/iq.h"
#include "quant/qdot.h"

/* ---- sign vectors ------------------------------------------------------------------------- */

/* The 8 sign bytes of a 7-bit IQ2 sign code k as a little-endian word: byte j is -1 (0xFF) if
 * bit j of k is set, else +1, and byte 7 is -1 when k has an odd number of set bits (the format
 * keeps an even number of negative weights; gk_iq_ksigns holds the same rule as bits). */
#define GK_QA2_BYTE(k, j) ((((k) >> (j)) & 1 ? 0xFFull : 0x01ull) << (8 * (j)))
#define GK_QA2_ODD(k)     (((k) ^ (k) >> 1 ^ (k) >> 2 ^ (k) >> 3 ^ (k) >> 4 ^ (k) >> 5 ^ (k) >> 6) & 1)
#define GK_QA2_SIGNS(k)                                                              \
    (GK_QA2_BYTE(k, 0) | GK_QA2_BYTE(k, 1) | GK_QA2_BYTE(k, 2) | GK_QA2_BYTE(k, 3) | \
     GK_QA2_BYTE(k, 4) | GK_QA2_BYTE(k, 5) | GK_QA2_BYTE(k, 6) |                     \
     (GK_QA2_ODD(k) ? 0xFFull : 0x01ull) << 56)
#define GK_QA2_SIGNS8(k)                                                            \
    GK_QA2_SIGNS(k), GK_QA2_SIGNS(k + 1), GK_QA2_SIGNS(k + 2), GK_QA2_SIGNS(k + 3), \
        GK_QA2_SIGNS(k + 4), GK_QA2_SIGNS(k + 5), GK_QA2_SIGNS(k + 6), GK_QA2_SIGNS(k + 7)

static const uint64_t gk_qa2_signs[128] = {
    GK_QA2_SIGNS8(0),  GK_QA2_SIGNS8(8),   GK_QA2_SIGNS8(16),  GK_QA2_SIGNS8(24),
    GK_QA2_SIGNS8(32), GK_QA2_SIGNS8(40),  GK_QA2_SIGNS8(48),  GK_QA2_SIGNS8(56),
    GK_QA2_SIGNS8(64), GK_QA2_SIGNS8(72),  GK_QA2_SIGNS8(80),  GK_QA2_SIGNS8(88),
    GK_QA2_SIGNS8(96), GK_QA2_SIGNS8(104), GK_QA2_SIGNS8(112), GK_QA2_SIGNS8(120),
};

/* ---- shared steps ------------------------------------------------------------------------- */

static inline int32_t gk_qa2_hsum_i32(__m256i v)
{
    __m128i s = _mm_add_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
    s = _mm_add_epi32(s, _mm_shuffle_epi32(s, _MM_SHUFFLE(1, 0, 3, 2)));
    s = _mm_add_epi32(s, _mm_shuffle_epi32(s, _MM_SHUFFLE(2, 3, 0, 1)));
    return _mm_cvtsi128_si32(s);
}

static inline uint32_t gk_qa2_u32(const uint8_t *p)
{
    uint32_t v;
    memcpy(&v, p, sizeof v);
    return v; /* x86 is little-endian, as the format */
}

/* The f32 step of the scalar tier with the weight scale d / 8. */
static inline float gk_qa2_step(const uint8_t d[2], const gk_block_q8_k *x, int32_t isum, float acc)
{
    const float d_w = _cvtsh_ss((unsigned short)(d[0] | d[1] << 8)) * 0.125f;
    return gk_qdot_kquant_step(acc, d_w, 0.0f, x->d, isum, 0);
}

/* One weight row at a time, as one sequential stream with a software prefetch 1 KiB ahead (the
 * row driver of qdot_avx2.c). */
#define GK_QA2_ROWS(fmt)                                                                       \
    void gk_qdot_##fmt##_avx2(const void *w, size_t w_stride, const void *xq, size_t n_blocks, \
                              float *y, size_t n_rows)                                         \
    {                                                                                          \
        const gk_block_q8_k *x = xq;                                                           \
        for (size_t r = 0; r < n_rows; r++) {                                                  \
            const gk_block_##fmt *b = (const void *)((const char *)w + r * w_stride);          \
            float acc = 0.0f;                                                                  \
            for (size_t i = 0; i < n_blocks; i++) {                                            \
                _mm_prefetch((const char *)&b[i] + 1024, _MM_HINT_T0);                         \
                acc = gk_qa2_##fmt##_block(&b[i], &x[i], acc);                                 \
            }                                                                                  \
            y[r] = acc;                                                                        \
        }                                                                                      \
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

/* The activation bytes xq[0..31] with the signs of four 7-bit sign codes applied (code l to
 * bytes 8 l..); a lookup of the +-1 bytes measured faster than expanding the bits with vector
 * operations. */
static inline __m256i
gk_qa2_signed_x(const int8_t *xq, unsigned c0, unsigned c1, unsigned c2, unsigned c3)
{
    const __m256i signs =
        _mm256_set_epi64x((long long)gk_qa2_signs[c3], (long long)gk_qa2_signs[c2],
                          (long long)gk_qa2_signs[c1], (long long)gk_qa2_signs[c0]);
    return _mm256_sign_epi8(_mm256_loadu_si256((const __m256i *)xq), signs);
}

/* int32 partial sums of scale * grid * signed x over 32 weights */
static inline __m256i gk_qa2_dot32(__m256i grid, __m256i signed_x, int scale)
{
    return _mm256_madd_epi16(_mm256_maddubs_epi16(grid, signed_x), _mm256_set1_epi16((short)scale));
}

/* ---- IQ2_XXS ------------------------------------------------------------------------------ */

/* Group g (32 weights): grid indices qs[8 g + l], then the word with the sign code of index l
 * in bits 7 l.. and the scale s in bits 28..31. */
static inline float
gk_qa2_iq2_xxs_block(const gk_block_iq2_xxs *b, const gk_block_q8_k *x, float acc)
{
    __m256i isum_v = _mm256_setzero_si256();
#pragma GCC unroll 8
    for (int g = 0; g < 8; g++) {
        const uint8_t *q = b->qs + 8 * g;
        const uint32_t word = gk_qa2_u32(q + 4);
        const __m256i grid = gk_qa2_grid4(gk_iq2xxs_grid, q[0], q[1], q[2], q[3]);
        const __m256i xv = gk_qa2_signed_x(x->qs + 32 * g, word & 127, (word >> 7) & 127,
                                           (word >> 14) & 127, (word >> 21) & 127);
        isum_v = _mm256_add_epi32(isum_v, gk_qa2_dot32(grid, xv, (int)(2 * (word >> 28) + 1)));
    }
    return gk_qa2_step(b->d, x, gk_qa2_hsum_i32(isum_v), acc);
}

GK_QA2_ROWS(iq2_xxs)
