/* SPDX-License-Identifier: MIT */
/* AVX2 group kernels of the packed Q4_0, K-quant and IQ4_XS layouts (src/quant/qpack.h): 8
 * rows at once, one row per 32-bit lane, with the scalar kernels' bits. */
#include <immintrin.h>
#include <stdbool.h>
#include <string.h>

#include "kernels/avx2/prefetch_x86.h"
#include "kernels/avx2/tq2_avx2.h"
#include "quant/blocks.h"
#include "quant/iq.h"
#include "quant/qdot.h"
#include "quant/qpack.h"

/* The weights stream from memory once: every line of the block column `bytes` long at col is
 * prefetched `ahead` bytes before its use. How far pays depends on the kernel's speed (Zen 3, W
 * 4096 x 4096 from DRAM, one thread, 1 KiB against 4 KiB): the kernels that take longer per
 * byte than DRAM needs to deliver it gain from 4 KiB (TQ2_0 +3.6% over 2 KiB and +11-12% over
 * 1 KiB; Q2_K +8-11%, Q3_K +16-21%, IQ2_XXS +10-26%, IQ3_S +5-12%, IQ4_XS +0-17%), the ones that
 * keep up with DRAM lose (Q4_K -3..-12%, Q6_K -11..-13%; the Q4_0 family unchanged). */
enum { GK_QP_AHEAD_NEAR = 1024, GK_QP_AHEAD_FAR = 4096 };

static inline void gk_qp_prefetch_column(const uint8_t *col, size_t bytes, size_t ahead)
{
    gk_prefetch_lines(col + ahead, bytes);
}

/* The eight bytes at p (one per row) as int32 lanes holding the byte in both 16-bit halves: the
 * multiplier of vpmaddwd for a row's two int16 partial sums. */
static inline __m256i gk_qp_row_pairs(const uint8_t *p)
{
    const __m256i v = _mm256_cvtepu8_epi32(_mm_loadl_epi64((const __m128i *)p));
    return _mm256_or_si256(v, _mm256_slli_epi32(v, 16));
}

/* gk_qdot_kquant_step in each row's lane: acc + ((d dx) isum - (dmin dx) msum), the scalar's
 * operations in its order. */
static inline __m256
gk_qp_kquant_step(__m256 acc, __m256 d, __m256 dmin, float dx, __m256i isum, __m256i msum)
{
    const __m256 d_x = _mm256_set1_ps(dx);
    const __m256 scaled = _mm256_mul_ps(_mm256_mul_ps(d, d_x), _mm256_cvtepi32_ps(isum));
    const __m256 mins = _mm256_mul_ps(_mm256_mul_ps(dmin, d_x), _mm256_cvtepi32_ps(msum));
    return _mm256_add_ps(acc, _mm256_sub_ps(scaled, mins));
}

/* The step with no min, d the rows' f16 scales at the column's start: acc + ((d dx) isum -
 * (0 dx) 0), signed zeros included. */
static inline __m256 gk_qp_kquant_step_nomin(__m256 acc, const uint8_t *col, float dx, __m256i isum)
{
    return gk_qp_kquant_step(acc, _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)col)),
                             _mm256_setzero_ps(), dx, isum, _mm256_setzero_si256());
}

/* The activation block's sum of its 256 codes (its 16 bsums), in every lane. */
static inline __m256i gk_qp_q8_k_sum(const gk_block_q8_k *x)
{
    __m256i s =
        _mm256_madd_epi16(_mm256_loadu_si256((const __m256i *)x->bsums), _mm256_set1_epi16(1));
    s = _mm256_add_epi32(s, _mm256_permute2x128_si256(s, s, 1));
    s = _mm256_add_epi32(s, _mm256_shuffle_epi32(s, _MM_SHUFFLE(1, 0, 3, 2)));
    return _mm256_add_epi32(s, _mm256_shuffle_epi32(s, _MM_SHUFFLE(2, 3, 0, 1)));
}

/* Token k's Q8_K activation block b, the tokens' rows xq + k * x_row_bytes (the kernels over
 * `tokens` rows). */
static inline const gk_block_q8_k *
gk_qp_token_block(const void *xq, size_t x_row_bytes, unsigned k, size_t b)
{
    return (const gk_block_q8_k *)(const void *)((const char *)xq + k * x_row_bytes) + b;
}

/* The tokens' dots, token k's eight at out + 8 k. */
static inline void gk_qp_store_tokens(float *out, const __m256 *acc, unsigned tokens)
{
    for (unsigned k = 0; k < tokens; k++)
        _mm256_storeu_ps(out + 8 * k, acc[k]);
}

/* A format's one-token (gk_qdot8_fn) and four-token (gk_qdot8x4_fn) kernels from its kernel over
 * `tokens` activation rows, inner(col, xq, x_row_bytes, tokens, xsum, n_blocks, flag, out), flag
 * a constant telling the formats of one kernel apart. */
#define GK_QP_KERNELS(kern, inner, flag)                                                 \
    void gk_qdot8_##kern##_avx2(const void *group, const void *xq, const int32_t *xsum,  \
                                size_t n_blocks, float *out)                             \
    {                                                                                    \
        inner(group, xq, 0, 1, xsum, n_blocks, flag, out);                               \
    }                                                                                    \
    void gk_qdot8x4_##kern##_avx2(const void *group, const void *xq, size_t x_row_bytes, \
                                  const int32_t *xsum, size_t n_blocks, float *out)      \
    {                                                                                    \
        inner(group, xq, x_row_bytes, GK_QDOT8X4_TOKENS, xsum, n_blocks, flag, out);     \
    }

/* Bit `from` of every byte of v moved to bit `to`, the other bits cleared (16-bit shifts: the bits
 * that cross into the neighbouring byte are masked off). */
static inline __m256i gk_qp_bit_to(__m256i v, unsigned from, unsigned to)
{
    const __m256i moved = from <= to ? _mm256_slli_epi16(v, (int)(to - from))
                                     : _mm256_srli_epi16(v, (int)(from - to));
    return _mm256_and_si256(moved, _mm256_set1_epi8((char)(1u << to)));
}

/* The group kernel of a 32-value format t (qpack.h; t constant after inlining) against `tokens`
 * activation rows (1, or GK_QDOT8X4_TOKENS: xq + t * x_row_bytes, xsum + t * n_blocks, out +
 * 8 t): a block's codes are decoded once for every token. */
static inline __attribute__((always_inline)) void gk_qp_q32(const uint8_t *col,
                                                            const void *xq,
                                                            size_t x_row_bytes,
                                                            unsigned tokens,
                                                            const int32_t *xsum,
                                                            size_t n_blocks,
                                                            gk_qtype t,
                                                            float *out)
{
    enum { MAX_TOKENS = GK_QDOT8X4_TOKENS };
    const struct gk_qpack_q32_layout lay = gk_qpack_q32_layout_of(t);
    const size_t x_bytes = lay.min ? sizeof(gk_block_q8_1) : sizeof(gk_block_q8_0);
    const __m256i low_mask = _mm256_set1_epi8(0x0F), ones16 = _mm256_set1_epi16(1);
    const __m256i values =
        _mm256_broadcastsi128_si256(_mm_loadu_si128((const __m128i *)gk_iq4nl_values));
    __m256 acc[MAX_TOKENS];
    for (unsigned k = 0; k < tokens; k++)
        acc[k] = _mm256_setzero_ps();
    for (size_t b = 0; b < n_blocks; b++, col += lay.column) {
        gk_qp_prefetch_column(col, lay.column, GK_QP_AHEAD_NEAR);
        const uint8_t *xb[MAX_TOKENS];
        for (unsigned k = 0; k < tokens; k++)
            xb[k] = (const uint8_t *)xq + k * x_row_bytes + b * x_bytes;
        const __m256i fifth = lay.fifth ? _mm256_loadu_si256((const __m256i *)(col + lay.fifth))
                                        : _mm256_setzero_si256();
        /* lane r: row r's codes by four activation codes broadcast to every lane; Q4_0 / Q4_1's
         * int16 lanes gather 8 pairs of at most 15 * 127 (exact), the others are widened to
         * int32 per step */
        __m256i pairs[MAX_TOKENS], isum[MAX_TOKENS];
        for (unsigned k = 0; k < tokens; k++)
            pairs[k] = isum[k] = _mm256_setzero_si256();
        for (unsigned h = 0; lay.bytes8 && h < 8; h++) {
            /* Q8_0: signed codes, the sign moves onto x; int32 sums per step (two pairs of
             * 127 * 127 would overflow int16) */
            const __m256i q = _mm256_loadu_si256((const __m256i *)(col + lay.codes + 32 * h));
            const __m256i magnitude = _mm256_sign_epi8(q, q);
            for (unsigned k = 0; k < tokens; k++) {
                int32_t x4;
                memcpy(&x4, xb[k] + x_bytes - 32 + 4 * h, sizeof x4);
                const __m256i xs = _mm256_sign_epi8(_mm256_set1_epi32(x4), q);
                isum[k] = _mm256_add_epi32(
                    isum[k], _mm256_madd_epi16(_mm256_maddubs_epi16(magnitude, xs), ones16));
                __asm__("" : "+x"(isum[k])); /* in registers (gk_qp_q45_k) */
            }
        }
        for (unsigned h = 0; !lay.bytes8 && h < 4; h++) {
            const __m256i q = _mm256_loadu_si256((const __m256i *)(col + lay.codes + 32 * h));
            __m256i lo = _mm256_and_si256(q, low_mask);
            __m256i hi = _mm256_and_si256(_mm256_srli_epi16(q, 4), low_mask);
            if (lay.fifth) {
                lo = _mm256_or_si256(lo, gk_qp_bit_to(fifth, 2 * h, 4));
                hi = _mm256_or_si256(hi, gk_qp_bit_to(fifth, 2 * h + 1, 4));
            }
            /* signed values (IQ4_NL): the sign moves onto x, |value| <= 127 */
            const __m256i lo_sign = lay.nl ? _mm256_shuffle_epi8(values, lo) : lo;
            const __m256i hi_sign = lay.nl ? _mm256_shuffle_epi8(values, hi) : hi;
            if (lay.nl) {
                lo = _mm256_sign_epi8(lo_sign, lo_sign);
                hi = _mm256_sign_epi8(hi_sign, hi_sign);
            }
            for (unsigned k = 0; k < tokens; k++) {
                const int8_t *x = (const int8_t *)(xb[k] + x_bytes - 32);
                int32_t x_lo, x_hi;
                memcpy(&x_lo, x + 4 * h, sizeof x_lo);
                memcpy(&x_hi, x + 16 + 4 * h, sizeof x_hi);
                __m256i xl = _mm256_set1_epi32(x_lo), xh = _mm256_set1_epi32(x_hi);
                if (lay.nl) {
                    xl = _mm256_sign_epi8(xl, lo_sign);
                    xh = _mm256_sign_epi8(xh, hi_sign);
                    isum[k] = _mm256_add_epi32(
                        isum[k],
                        _mm256_add_epi32(_mm256_madd_epi16(_mm256_maddubs_epi16(lo, xl), ones16),
                                         _mm256_madd_epi16(_mm256_maddubs_epi16(hi, xh), ones16)));
                    continue;
                }
                const __m256i step =
                    _mm256_add_epi16(_mm256_maddubs_epi16(lo, xl), _mm256_maddubs_epi16(hi, xh));
                if (lay.fifth)
                    isum[k] = _mm256_add_epi32(isum[k], _mm256_madd_epi16(step, ones16));
                else
                    pairs[k] = _mm256_add_epi16(pairs[k], step);
            }
            /* keeps the sums in registers (gk_qp_q45_k) */
            for (unsigned k = 0; k < tokens; k++)
                __asm__("" : "+x"(pairs[k]), "+x"(isum[k]));
        }
        const __m256 d_w = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)col));
        for (unsigned k = 0; k < tokens; k++) {
            isum[k] = _mm256_add_epi32(isum[k], _mm256_madd_epi16(pairs[k], ones16));
            if (lay.offset)
                isum[k] = _mm256_sub_epi32(isum[k],
                                           _mm256_set1_epi32(lay.offset * xsum[k * n_blocks + b]));
            gk_f16 d_x, s_x;
            memcpy(&d_x, xb[k], sizeof d_x);
            memcpy(&s_x, xb[k] + 2, sizeof s_x);
            const __m256 d = _mm256_mul_ps(d_w, _mm256_set1_ps(_cvtsh_ss(d_x.bits)));
            acc[k] = _mm256_fmadd_ps(d, _mm256_cvtepi32_ps(isum[k]), acc[k]);
            if (lay.min)
                acc[k] = _mm256_fmadd_ps(
                    _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(col + lay.mins))),
                    _mm256_set1_ps(_cvtsh_ss(s_x.bits)), acc[k]);
        }
    }
    gk_qp_store_tokens(out, acc, tokens);
}

GK_QP_KERNELS(q4_0, gk_qp_q32, GK_QTYPE_Q4_0)
GK_QP_KERNELS(q8_0, gk_qp_q32, GK_QTYPE_Q8_0)
GK_QP_KERNELS(q4_1, gk_qp_q32, GK_QTYPE_Q4_1)
GK_QP_KERNELS(q5_0, gk_qp_q32, GK_QTYPE_Q5_0)
GK_QP_KERNELS(q5_1, gk_qp_q32, GK_QTYPE_Q5_1)
GK_QP_KERNELS(iq4_nl, gk_qp_q32, GK_QTYPE_IQ4_NL)

/* Row r's int16 scale pairs of sub-blocks 2 q and 2 q + 1 (lane r) to sub-block 2 q + e's scale in
 * both halves of lane r: the multiplier of vpmaddwd. */
static inline __m256i gk_qp_pair_half(__m256i pairs, unsigned e)
{
    const __m256i first = _mm256_setr_epi8(0, 1, 0, 1, 4, 5, 4, 5, 8, 9, 8, 9, 12, 13, 12, 13, 0, 1,
                                           0, 1, 4, 5, 4, 5, 8, 9, 8, 9, 12, 13, 12, 13);
    return _mm256_shuffle_epi8(pairs, e ? _mm256_add_epi8(first, _mm256_set1_epi8(2)) : first);
}

/* Row r's int16 scale (q2_min: Q2_K min) pairs of sub-blocks 2 q and 2 q + 1 (lane r) of the
 * Q2_K / Q3_K (three) column at col. */
static inline __m256i gk_qp_q23_k_pairs(const uint8_t *col, bool three, unsigned q, bool q2_min)
{
    const __m128i raw = _mm_loadu_si128((const __m128i *)(col + (three ? 16 : 32) + 16 * q));
    if (three) return _mm256_cvtepi8_epi16(raw);
    const __m128i low_mask = _mm_set1_epi8(0x0F);
    return _mm256_cvtepu8_epi16(_mm_and_si128(q2_min ? _mm_srli_epi16(raw, 4) : raw, low_mask));
}

/* The f32 step of a Q2_K (Q3_K: three) block in each row's lane: Q2_K's with its mins
 * (gk_qdot_kquant_step); Q3_K's codes are stored + 4, so isum - 4 sum(scale * bsum), no min. */
static inline __m256
gk_qp_q23_k_step(__m256 acc, const uint8_t *col, bool three, float dx, __m256i isum, __m256i msum)
{
    if (three)
        return gk_qp_kquant_step_nomin(acc, col, dx,
                                       _mm256_sub_epi32(isum, _mm256_slli_epi32(msum, 2)));
    return gk_qp_kquant_step(acc, _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)col)),
                             _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(col + 16))), dx,
                             isum, msum);
}

/* The Q2_K and Q3_K (three) group kernel. */
static inline void
gk_qp_q23_k(const uint8_t *col, const gk_block_q8_k *x, size_t n_blocks, bool three, float *out)
{
    const size_t column = three ? GK_QPACK_Q3_K_COLUMN : GK_QPACK_Q2_K_COLUMN;
    const size_t codes_at = (three ? 16 : 32) + 128;
    const __m256i two_bits = _mm256_set1_epi8(3);
    __m256 acc = _mm256_setzero_ps();
    for (size_t b = 0; b < n_blocks; b++, col += column) {
        gk_qp_prefetch_column(col, column, GK_QP_AHEAD_FAR);
        /* scale (and Q2_K min) pairs of sub-blocks 2 q, 2 q + 1 per row; msum = sum of min * bsum
         * (Q2_K), or the codes' offset sum of scale * bsum (Q3_K: codes stored + 4) */
        __m256i scale_pairs[8], msum = _mm256_setzero_si256();
        for (unsigned q = 0; q < 8; q++) {
            scale_pairs[q] = gk_qp_q23_k_pairs(col, three, q, false);
            const __m256i min_pairs =
                three ? scale_pairs[q] : gk_qp_q23_k_pairs(col, false, q, true);
            int32_t bsums;
            memcpy(&bsums, x[b].bsums + 2 * q, sizeof bsums);
            msum = _mm256_add_epi32(msum, _mm256_madd_epi16(min_pairs, _mm256_set1_epi32(bsums)));
        }
        __m256i isum = _mm256_setzero_si256();
        for (unsigned h = 0; h < 2; h++)
            for (unsigned e = 0; e < 2; e++) {
                /* sub-blocks 8 h + 2 t + e, t = 0..3: code units 8 h + 4 e + u, u = 0..3; int16
                 * sums of 4 units of pairs of codes <= 7 by |x| <= 127 stay below 32767 */
                __m256i part[4] = {_mm256_setzero_si256(), _mm256_setzero_si256(),
                                   _mm256_setzero_si256(), _mm256_setzero_si256()};
                for (unsigned u = 0; u < 4; u++) {
                    const __m256i v = _mm256_loadu_si256(
                        (const __m256i *)(col + codes_at + 32 * (8 * h + 4 * e + u)));
                    const __m256i hm =
                        three ? _mm256_loadu_si256(
                                    (const __m256i *)(col + codes_at + 512 + 32 * (4 * e + u)))
                              : _mm256_setzero_si256();
                    for (unsigned t = 0; t < 4; t++) {
                        __m256i code =
                            _mm256_and_si256(_mm256_srli_epi16(v, (int)(2 * t)), two_bits);
                        if (three) code = _mm256_or_si256(code, gk_qp_bit_to(hm, 4 * h + t, 2));
                        int32_t x4;
                        memcpy(&x4, x[b].qs + 16 * (8 * h + 2 * t + e) + 4 * u, sizeof x4);
                        part[t] = _mm256_add_epi16(
                            part[t], _mm256_maddubs_epi16(code, _mm256_set1_epi32(x4)));
                    }
                }
                for (unsigned t = 0; t < 4; t++)
                    isum = _mm256_add_epi32(
                        isum,
                        _mm256_madd_epi16(part[t], gk_qp_pair_half(scale_pairs[4 * h + t], e)));
            }
        acc = gk_qp_q23_k_step(acc, col, three, x[b].d, isum, msum);
    }
    _mm256_storeu_ps(out, acc);
}

/* The Q2_K and Q3_K (three) group kernel against four activation rows (xq + t * x_row_bytes,
 * out + 8 t), with each token's bits those of gk_qp_q23_k: per token isum = sum of scale * code *
 * x, msum = sum of min * bsum (Q2_K) or of scale * bsum (Q3_K), exact integers in any order. The
 * loops run plane by plane (a plane of a unit decoded once for the four tokens), so that a
 * token's sum is one register, where the one-token kernel keeps the four planes' sums of a unit's
 * codes (planes inner: that order with one token was 3-12% faster in cache, 1-5% from DRAM). */
static inline __attribute__((always_inline)) void gk_qp_q23_k_x4(
    const uint8_t *col, const void *xq, size_t x_row_bytes, size_t n_blocks, bool three, float *out)
{
    enum { TOKENS = GK_QDOT8X4_TOKENS };

    const size_t column = three ? GK_QPACK_Q3_K_COLUMN : GK_QPACK_Q2_K_COLUMN;
    const size_t codes_at = (three ? 16 : 32) + 128;
    const __m256i two_bits = _mm256_set1_epi8(3);
    __m256 acc[TOKENS];
    for (unsigned k = 0; k < TOKENS; k++)
        acc[k] = _mm256_setzero_ps();
    for (size_t b = 0; b < n_blocks; b++, col += column) {
        gk_qp_prefetch_column(col, column, GK_QP_AHEAD_FAR);
        const gk_block_q8_k *x[TOKENS];
        __m256i isum[TOKENS], msum[TOKENS];
        for (unsigned k = 0; k < TOKENS; k++) {
            x[k] = gk_qp_token_block(xq, x_row_bytes, k, b);
            isum[k] = msum[k] = _mm256_setzero_si256();
        }
        for (unsigned h = 0; h < 2; h++)
            for (unsigned e = 0; e < 2; e++)
#pragma GCC unroll 4
                for (unsigned t = 0; t < 4; t++) {
                    /* sub-block 8 h + 2 t + e: code plane t of units 8 h + 4 e + u, u = 0..3;
                     * int16 sums of 4 units of pairs of codes <= 7 by |x| <= 127 stay below
                     * 32767 */
                    __m256i part[TOKENS];
                    for (unsigned k = 0; k < TOKENS; k++)
                        part[k] = _mm256_setzero_si256();
                    for (unsigned u = 0; u < 4; u++) {
                        /* loaded again for each plane: kept from the first, the four units'
                         * vectors went to the stack */
                        const __m256i *at =
                            (const __m256i *)(col + codes_at + 32 * (8 * h + 4 * e + u));
                        __m256i v;
                        __asm__ volatile("vmovdqu %1, %0" : "=x"(v) : "m"(*at));
                        __m256i code =
                            _mm256_and_si256(_mm256_srli_epi16(v, (int)(2 * t)), two_bits);
                        if (three) {
                            const __m256i hm = _mm256_loadu_si256(
                                (const __m256i *)(col + codes_at + 512 + 32 * (4 * e + u)));
                            code = _mm256_or_si256(code, gk_qp_bit_to(hm, 4 * h + t, 2));
                        }
                        for (unsigned k = 0; k < TOKENS; k++) {
                            int32_t x4;
                            memcpy(&x4, x[k]->qs + 16 * (8 * h + 2 * t + e) + 4 * u, sizeof x4);
                            part[k] = _mm256_add_epi16(
                                part[k], _mm256_maddubs_epi16(code, _mm256_set1_epi32(x4)));
                        }
                        /* one chain per token: GCC re-associated them into trees of sixteen
                         * products and spilled */
                        for (unsigned k = 0; k < TOKENS; k++)
                            __asm__("" : "+x"(part[k]));
                    }
                    const __m256i scale =
                        gk_qp_pair_half(gk_qp_q23_k_pairs(col, three, 4 * h + t, false), e);
                    for (unsigned k = 0; k < TOKENS; k++) {
                        isum[k] = _mm256_add_epi32(isum[k], _mm256_madd_epi16(part[k], scale));
                        __asm__("" : "+x"(isum[k])); /* in registers (gk_qp_q45_k) */
                    }
                }
        /* after the codes: the sums of the mins would hold four registers through them */
        for (unsigned q = 0; q < 8; q++) {
            const __m256i min_pairs = gk_qp_q23_k_pairs(col, three, q, !three);
            for (unsigned k = 0; k < TOKENS; k++) {
                int32_t bsums;
                memcpy(&bsums, x[k]->bsums + 2 * q, sizeof bsums);
                msum[k] = _mm256_add_epi32(msum[k],
                                           _mm256_madd_epi16(min_pairs, _mm256_set1_epi32(bsums)));
            }
        }
        for (unsigned k = 0; k < TOKENS; k++)
            acc[k] = gk_qp_q23_k_step(acc[k], col, three, x[k]->d, isum[k], msum[k]);
    }
    gk_qp_store_tokens(out, acc, TOKENS);
}

/* The Q2_K / Q3_K kernel for `tokens` rows: one token's order or the four tokens'. */
static inline __attribute__((always_inline)) void gk_qp_q23_k_tokens(const uint8_t *col,
                                                                     const void *xq,
                                                                     size_t x_row_bytes,
                                                                     unsigned tokens,
                                                                     const int32_t *xsum,
                                                                     size_t n_blocks,
                                                                     bool three,
                                                                     float *out)
{
    (void)xsum;
    if (tokens == 1)
        gk_qp_q23_k(col, xq, n_blocks, three, out);
    else
        gk_qp_q23_k_x4(col, xq, x_row_bytes, n_blocks, three, out);
}
GK_QP_KERNELS(q2_k, gk_qp_q23_k_tokens, false)
GK_QP_KERNELS(q3_k, gk_qp_q23_k_tokens, true)

/* The Q4_K and Q5_K (five) group kernel for `tokens` activation rows (1 or 4; constant after
 * inlining), row t at xq + t * x_row_bytes, its 8 dots to out + 8 t. Each token's arithmetic is
 * that of one token alone: the codes are decoded once for all. */
static inline __attribute__((always_inline)) void gk_qp_q45_k(const uint8_t *col,
                                                              const void *xq,
                                                              size_t x_row_bytes,
                                                              unsigned tokens,
                                                              const int32_t *xsum,
                                                              size_t n_blocks,
                                                              bool five,
                                                              float *out)
{
    enum { MAX_TOKENS = GK_QDOT8X4_TOKENS };

    (void)xsum;

    const size_t column = five ? GK_QPACK_Q5_K_COLUMN : GK_QPACK_Q4_K_COLUMN;
    /* int16 sums of 2 products of codes <= 15 (Q5_K: 31) by |x| <= 127 stay below 32767 for 8
     * (Q5_K: 4) groups */
    const unsigned groups_per_sum = five ? 4 : 8;
    const __m256i low_mask = _mm256_set1_epi8(0x0F);
    __m256 acc[MAX_TOKENS];
    for (unsigned t = 0; t < tokens; t++)
        acc[t] = _mm256_setzero_ps();
    for (size_t b = 0; b < n_blocks; b++, col += column) {
        gk_qp_prefetch_column(col, column, GK_QP_AHEAD_NEAR);
        const gk_block_q8_k *x[MAX_TOKENS];
        __m256i isum[MAX_TOKENS];
        for (unsigned t = 0; t < tokens; t++) {
            x[t] = gk_qp_token_block(xq, x_row_bytes, t, b);
            isum[t] = _mm256_setzero_si256();
        }
        /* unrolled: Q5_K's fifth bits then move by constant shifts (Q5_K +12-19%, Q4_K +2-5%) */
#pragma GCC unroll 4
        for (unsigned p = 0; p < 4; p++) {
            /* sub-blocks 2p (low nibbles) and 2p + 1 (high) */
            const __m256i scale_lo = gk_qp_row_pairs(col + 32 + 16 * p);
            const __m256i scale_hi = gk_qp_row_pairs(col + 40 + 16 * p);
            for (unsigned g0 = 0; g0 < 8; g0 += groups_per_sum) {
                __m256i lo[MAX_TOKENS], hi[MAX_TOKENS];
                for (unsigned t = 0; t < tokens; t++)
                    lo[t] = hi[t] = _mm256_setzero_si256();
                for (unsigned g = g0; g < g0 + groups_per_sum; g++) {
                    const __m256i q =
                        _mm256_loadu_si256((const __m256i *)(col + 160 + 256 * p + 32 * g));
                    __m256i q_lo = _mm256_and_si256(q, low_mask);
                    __m256i q_hi = _mm256_and_si256(_mm256_srli_epi16(q, 4), low_mask);
                    if (five) { /* the fifth bits: bits 2p and 2p + 1 of qh */
                        const __m256i qh = _mm256_loadu_si256(
                            (const __m256i *)(col + GK_QPACK_Q4_K_COLUMN + 32 * g));
                        q_lo = _mm256_or_si256(q_lo, gk_qp_bit_to(qh, 2 * p, 4));
                        q_hi = _mm256_or_si256(q_hi, gk_qp_bit_to(qh, 2 * p + 1, 4));
                    }
                    for (unsigned t = 0; t < tokens; t++) {
                        int32_t x_lo, x_hi;
                        memcpy(&x_lo, x[t]->qs + 64 * p + 4 * g, sizeof x_lo);
                        memcpy(&x_hi, x[t]->qs + 64 * p + 32 + 4 * g, sizeof x_hi);
                        lo[t] = _mm256_add_epi16(
                            lo[t], _mm256_maddubs_epi16(q_lo, _mm256_set1_epi32(x_lo)));
                        hi[t] = _mm256_add_epi16(
                            hi[t], _mm256_maddubs_epi16(q_hi, _mm256_set1_epi32(x_hi)));
                    }
                    /* keeps each token's sums in their registers: without it GCC summed into
                     * new registers and copied them back, spilling one sum and the mask
                     * (Q4_K, m = 32 and 128: 1.21-1.23x) */
                    for (unsigned t = 0; t < tokens; t++)
                        __asm__("" : "+x"(lo[t]), "+x"(hi[t]));
                }
                for (unsigned t = 0; t < tokens; t++)
                    isum[t] = _mm256_add_epi32(
                        isum[t], _mm256_add_epi32(_mm256_madd_epi16(lo[t], scale_lo),
                                                  _mm256_madd_epi16(hi[t], scale_hi)));
            }
        }
        const __m256 d = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)col));
        const __m256 dmin = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(col + 16)));
        for (unsigned t = 0; t < tokens; t++) {
            /* mins: sub-blocks 2q and 2q + 1 of every row against the activation's 32-value sums
             * (at most 32 * 127 in magnitude: int16), taken two at a time as one int32 */
            int32_t sum_pairs[4];
            _mm_storeu_si128((__m128i *)sum_pairs,
                             _mm_hadd_epi16(_mm_loadu_si128((const __m128i *)x[t]->bsums),
                                            _mm_loadu_si128((const __m128i *)(x[t]->bsums + 8))));
            __m256i msum = _mm256_setzero_si256();
            for (unsigned q = 0; q < 4; q++) {
                const __m256i mins =
                    _mm256_cvtepu8_epi16(_mm_loadu_si128((const __m128i *)(col + 96 + 16 * q)));
                msum = _mm256_add_epi32(msum,
                                        _mm256_madd_epi16(mins, _mm256_set1_epi32(sum_pairs[q])));
            }
            acc[t] = gk_qp_kquant_step(acc[t], d, dmin, x[t]->d, isum[t], msum);
        }
    }
    gk_qp_store_tokens(out, acc, tokens);
}

GK_QP_KERNELS(q4_k, gk_qp_q45_k, false)
GK_QP_KERNELS(q5_k, gk_qp_q45_k, true)

/* Code c (0..3) of the eight rows' four weights in the Q6_K group at v (qpack.h): the low six
 * bits of vector c, or for c = 3 the top bit pairs of the three vectors as its bits 0-1, 2-3,
 * 4-5. */
static inline __m256i gk_qp_q6_k_code(const uint8_t *v, unsigned c)
{
    const __m256i two = _mm256_set1_epi8(0x03);
    if (c < 3)
        return _mm256_and_si256(_mm256_loadu_si256((const __m256i *)(v + 32 * c)),
                                _mm256_set1_epi8(0x3F));
    const __m256i v0 = _mm256_loadu_si256((const __m256i *)v);
    const __m256i v1 = _mm256_loadu_si256((const __m256i *)(v + 32));
    const __m256i v2 = _mm256_loadu_si256((const __m256i *)(v + 64));
    return _mm256_or_si256(
        _mm256_and_si256(_mm256_srli_epi16(v0, 6), two),
        _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(v1, 4), _mm256_slli_epi16(two, 2)),
                        _mm256_and_si256(_mm256_srli_epi16(v2, 2), _mm256_slli_epi16(two, 4))));
}

/* Q6_K against `tokens` activation rows (GK_QDOT8X4_TOKENS; one token takes gk_qp_q6_k_one) at
 * xq + t * x_row_bytes, token t's dots to out + 8 t. Per token isum = sum of scale * code * x
 * - 32 sum of scale * bsum, exact integers in any order (the scalar tier's), then the f32 step.
 * A code plane c of a pair of groups is decoded once for every token: with four tokens the int32
 * sums, the scale and the two codes fit the sixteen registers. */
static inline __attribute__((always_inline)) void gk_qp_q6_k(const uint8_t *col,
                                                             const void *xq,
                                                             size_t x_row_bytes,
                                                             unsigned tokens,
                                                             size_t n_blocks,
                                                             float *out)
{
    enum { MAX_TOKENS = GK_QDOT8X4_TOKENS };

    __m256 acc[MAX_TOKENS];
    for (unsigned t = 0; t < tokens; t++)
        acc[t] = _mm256_setzero_ps();
    for (size_t b = 0; b < n_blocks; b++, col += GK_QPACK_Q6_K_COLUMN) {
        gk_qp_prefetch_column(col, GK_QPACK_Q6_K_COLUMN, GK_QP_AHEAD_NEAR);
        const gk_block_q8_k *x[MAX_TOKENS];
        __m256i isum[MAX_TOKENS];
        for (unsigned t = 0; t < tokens; t++) {
            x[t] = gk_qp_token_block(xq, x_row_bytes, t, b);
            isum[t] = _mm256_setzero_si256();
        }
        /* the codes' -32: 32 times each sub-block's scale by its activation sum */
        for (unsigned q = 0; q < 8; q++) {
            const __m256i two_scales =
                _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)(col + 16 + 16 * q)));
            for (unsigned t = 0; t < tokens; t++) {
                int32_t bsums;
                memcpy(&bsums, x[t]->bsums + 2 * q, sizeof bsums);
                isum[t] = _mm256_sub_epi32(
                    isum[t],
                    _mm256_slli_epi32(_mm256_madd_epi16(two_scales, _mm256_set1_epi32(bsums)), 5));
            }
        }
        for (unsigned h = 0; h < 2; h++)
            for (unsigned c = 0; c < 4; c++) {
                const __m256i two_scales = _mm256_cvtepi8_epi16(
                    _mm_loadu_si128((const __m128i *)(col + 16 + 16 * (4 * h + c))));
                /* groups g, g + 1 (sub-block 8 h + 2 c + g / 4): int16 sums of two pairs of
                 * unsigned codes <= 63 by |x| <= 127 stay below 32767 */
                for (unsigned g = 0; g < 8; g += 2) {
                    const __m256i scale = gk_qp_pair_half(two_scales, g / 4);
                    const uint8_t *v = col + 144 + 96 * (8 * h + g);
                    const __m256i code0 = gk_qp_q6_k_code(v, c), code1 = gk_qp_q6_k_code(v + 96, c);
                    for (unsigned t = 0; t < tokens; t++) {
                        const int8_t *xs = x[t]->qs + 128 * h + 32 * c + 4 * g;
                        int32_t x0, x1;
                        memcpy(&x0, xs, sizeof x0);
                        memcpy(&x1, xs + 4, sizeof x1);
                        const __m256i pairs =
                            _mm256_add_epi16(_mm256_maddubs_epi16(code0, _mm256_set1_epi32(x0)),
                                             _mm256_maddubs_epi16(code1, _mm256_set1_epi32(x1)));
                        isum[t] = _mm256_add_epi32(isum[t], _mm256_madd_epi16(pairs, scale));
                    }
                    /* keeps the sums in registers (gk_qp_q45_k) */
                    for (unsigned t = 0; t < tokens; t++)
                        __asm__("" : "+x"(isum[t]));
                }
            }
        for (unsigned t = 0; t < tokens; t++)
            acc[t] = gk_qp_kquant_step_nomin(acc[t], col, x[t]->d, isum[t]);
    }
    gk_qp_store_tokens(out, acc, tokens);
}

/* The codes of one Q6_K group (qpack.h) against the activation at xq (the group's element
 * 128 h + 4 g): per code c, the int16 pairs of each row's four products. */
static inline void gk_qp_q6_k_group(const uint8_t *v, const int8_t *xq, __m256i pairs[4])
{
    const __m256i six = _mm256_set1_epi8(0x3F), two = _mm256_set1_epi8(0x03);
    const __m256i v0 = _mm256_loadu_si256((const __m256i *)v);
    const __m256i v1 = _mm256_loadu_si256((const __m256i *)(v + 32));
    const __m256i v2 = _mm256_loadu_si256((const __m256i *)(v + 64));
    /* code 3: the top bit pairs of v0, v1, v2 as its bits 0-1, 2-3, 4-5 */
    const __m256i top = _mm256_or_si256(
        _mm256_and_si256(_mm256_srli_epi16(v0, 6), two),
        _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(v1, 4), _mm256_slli_epi16(two, 2)),
                        _mm256_and_si256(_mm256_srli_epi16(v2, 2), _mm256_slli_epi16(two, 4))));
    const __m256i codes[4] = {_mm256_and_si256(v0, six), _mm256_and_si256(v1, six),
                              _mm256_and_si256(v2, six), top};
    for (unsigned c = 0; c < 4; c++) {
        int32_t x4;
        memcpy(&x4, xq + 32 * c, sizeof x4);
        /* unsigned codes <= 63 by |x| <= 127: a pair at most 16002 */
        pairs[c] = _mm256_maddubs_epi16(codes[c], _mm256_set1_epi32(x4));
    }
}

/* Q6_K for one token: the groups of a sub-block pair in order, their four code planes at once.
 * Against gk_qp_q6_k's order with one token (W 4096 x 4096, alternating builds): 2-10% faster
 * from DRAM at one thread and 0-6% at two, 7% slower in cache; one token is the DRAM case. */
static void gk_qp_q6_k_one(const uint8_t *col, const gk_block_q8_k *x, size_t n_blocks, float *out)
{
    __m256 acc = _mm256_setzero_ps();
    for (size_t b = 0; b < n_blocks; b++, col += GK_QPACK_Q6_K_COLUMN) {
        gk_qp_prefetch_column(col, GK_QPACK_Q6_K_COLUMN, GK_QP_AHEAD_NEAR);
        /* isum = sum of scale * code * x over the sub-blocks, offset = sum of scale * bsum: the
         * codes' -32 is applied once, isum - 32 offset (exact integers, as the scalar tier's) */
        __m256i isum = _mm256_setzero_si256(), offset = _mm256_setzero_si256();
        for (unsigned h = 0; h < 2; h++)
            for (unsigned half = 0; half < 2; half++) {
                /* sub-block 8 h + 2 c + half of each row, for the codes c = 0..3 */
                __m256i scale[4];
                for (unsigned c = 0; c < 4; c++) {
                    const __m256i two_scales = _mm256_cvtepi8_epi16(
                        _mm_loadu_si128((const __m128i *)(col + 16 + 16 * (4 * h + c))));
                    scale[c] = gk_qp_pair_half(two_scales, half);
                    if (half == 0) {
                        int32_t bsums;
                        memcpy(&bsums, x[b].bsums + 8 * h + 2 * c, sizeof bsums);
                        offset = _mm256_add_epi32(
                            offset, _mm256_madd_epi16(two_scales, _mm256_set1_epi32(bsums)));
                    }
                }
                /* groups g = 4 half .. 4 half + 3, two at a time: int16 sums of two pairs stay
                 * below 32767 */
                for (unsigned g = 4 * half; g < 4 * half + 4; g += 2) {
                    __m256i p0[4], p1[4];
                    gk_qp_q6_k_group(col + 144 + 96 * (8 * h + g), x[b].qs + 128 * h + 4 * g, p0);
                    gk_qp_q6_k_group(col + 144 + 96 * (8 * h + g + 1),
                                     x[b].qs + 128 * h + 4 * g + 4, p1);
                    for (unsigned c = 0; c < 4; c++)
                        isum = _mm256_add_epi32(
                            isum, _mm256_madd_epi16(_mm256_add_epi16(p0[c], p1[c]), scale[c]));
                    __asm__("" : "+x"(isum)); /* in registers (gk_qp_q45_k) */
                }
            }
        isum = _mm256_sub_epi32(isum, _mm256_slli_epi32(offset, 5));
        acc = gk_qp_kquant_step_nomin(acc, col, x[b].d, isum);
    }
    _mm256_storeu_ps(out, acc);
}

/* The Q6_K kernel for `tokens` rows: one token's order or the tokens' (gk_qp_q6_k). */
static inline __attribute__((always_inline)) void gk_qp_q6_k_tokens(const uint8_t *col,
                                                                    const void *xq,
                                                                    size_t x_row_bytes,
                                                                    unsigned tokens,
                                                                    const int32_t *xsum,
                                                                    size_t n_blocks,
                                                                    gk_qtype t_q6_k,
                                                                    float *out)
{
    (void)xsum;
    (void)t_q6_k; /* for GK_QP_KERNELS */
    if (tokens == 1)
        gk_qp_q6_k_one(col, xq, n_blocks, out);
    else
        gk_qp_q6_k(col, xq, x_row_bytes, tokens, n_blocks, out);
}
GK_QP_KERNELS(q6_k, gk_qp_q6_k_tokens, GK_QTYPE_Q6_K)

void gk_qdot8_tq2_0_avx2(
    const void *group, const void *xq, const int32_t *xsum, size_t n_blocks, float *out)
{
    (void)xsum;
    const uint8_t *col = group;
    const gk_block_q8_k *x = xq;
    const __m256i ones16 = _mm256_set1_epi16(1);
    __m256 acc = _mm256_setzero_ps();
    for (size_t b = 0; b < n_blocks; b++, col += GK_QPACK_TQ2_0_COLUMN) {
        gk_qp_prefetch_column(col, GK_QPACK_TQ2_0_COLUMN, GK_QP_AHEAD_FAR);
        /* Codes 0..3 taken unsigned (gk_avx2_tq2_codes), their -1 through the activation's sum
         * (the bsums). int16 lanes: four code vectors add at most 4 * 6096 = 24384 to pairs4
         * (divided by 4 then: 6096) and 4 * 1524 = 6096 to pairs, so a half's eight vectors sum
         * to at most 2 * (6096 + 6096) = 24384. */
        __m256i isum = _mm256_setzero_si256();
        /* unrolled whole: with h and u constants every address is an offset */
#pragma GCC unroll 2
        for (unsigned h = 0; h < 2; h++) {
            __m256i half = _mm256_setzero_si256();
#pragma GCC unroll 2
            for (unsigned quarter = 0; quarter < 2; quarter++) {
                __m256i pairs = _mm256_setzero_si256(), pairs4 = _mm256_setzero_si256();
#pragma GCC unroll 4
                for (unsigned u = 4 * quarter; u < 4 * quarter + 4; u++) {
                    const __m256i v =
                        _mm256_loadu_si256((const __m256i *)(col + 16 + 32 * (8 * h + u)));
                    const int8_t *xu = x[b].qs + 128 * h + 4 * u;
                    __m256i xs[4];
                    for (unsigned l = 0; l < 4; l++) {
                        int32_t x4;
                        memcpy(&x4, xu + 32 * l, sizeof x4);
                        xs[l] = _mm256_set1_epi32(x4);
                    }
                    gk_avx2_tq2_codes(v, xs, &pairs, &pairs4);
                    /* keeps the compiler from re-associating the two chains into a tree of sums,
                     * which spilled its 16 partial products to the stack */
                    __asm__("" : "+x"(pairs), "+x"(pairs4));
                }
                half =
                    _mm256_add_epi16(half, _mm256_add_epi16(pairs, _mm256_srai_epi16(pairs4, 2)));
            }
            isum = _mm256_add_epi32(isum, _mm256_madd_epi16(half, ones16));
        }
        isum = _mm256_sub_epi32(isum, gk_qp_q8_k_sum(&x[b]));
        acc = gk_qp_kquant_step_nomin(acc, col, x[b].d, isum);
    }
    _mm256_storeu_ps(out, acc);
}

/* TQ2_0 against four activation rows (xq + t * x_row_bytes, out + 8 t), each token's integers
 * those of gk_qdot8_tq2_0_avx2 (exact: the same bits). The four codes of a code vector are
 * shifted and masked once for all tokens (three shifts, four masks), where the one-token kernel
 * keeps two of them as 4 x code to save shifts; so a token needs one int16 sum: a code vector
 * adds at most 4 * 762 to a lane, a half's eight vectors 24384. */
void gk_qdot8x4_tq2_0_avx2(const void *group,
                           const void *xq,
                           size_t x_row_bytes,
                           const int32_t *xsum,
                           size_t n_blocks,
                           float *out)
{
    enum { TOKENS = GK_QDOT8X4_TOKENS };

    (void)xsum;
    const uint8_t *col = group;
    const __m256i bits01 = _mm256_set1_epi8(0x03), ones16 = _mm256_set1_epi16(1);
    __m256 acc[TOKENS];
    for (unsigned k = 0; k < TOKENS; k++)
        acc[k] = _mm256_setzero_ps();
    for (size_t b = 0; b < n_blocks; b++, col += GK_QPACK_TQ2_0_COLUMN) {
        gk_qp_prefetch_column(col, GK_QPACK_TQ2_0_COLUMN, GK_QP_AHEAD_FAR);
        const gk_block_q8_k *x[TOKENS];
        __m256i isum[TOKENS];
        for (unsigned k = 0; k < TOKENS; k++) {
            x[k] = gk_qp_token_block(xq, x_row_bytes, k, b);
            /* codes 0..3 stand for -1..2: the activation's sum comes off */
            isum[k] = _mm256_sub_epi32(_mm256_setzero_si256(), gk_qp_q8_k_sum(x[k]));
        }
        for (unsigned h = 0; h < 2; h++) {
            __m256i half[TOKENS];
            for (unsigned k = 0; k < TOKENS; k++)
                half[k] = _mm256_setzero_si256();
            for (unsigned u = 0; u < 8; u++) {
                const __m256i v =
                    _mm256_loadu_si256((const __m256i *)(col + 16 + 32 * (8 * h + u)));
                const __m256i code[4] = {_mm256_and_si256(v, bits01),
                                         _mm256_and_si256(_mm256_srli_epi16(v, 2), bits01),
                                         _mm256_and_si256(_mm256_srli_epi16(v, 4), bits01),
                                         _mm256_and_si256(_mm256_srli_epi16(v, 6), bits01)};
                for (unsigned k = 0; k < TOKENS; k++) {
                    const int8_t *xu = x[k]->qs + 128 * h + 4 * u;
                    for (unsigned l = 0; l < 4; l++) {
                        int32_t x4;
                        memcpy(&x4, xu + 32 * l, sizeof x4);
                        half[k] = _mm256_add_epi16(
                            half[k], _mm256_maddubs_epi16(code[l], _mm256_set1_epi32(x4)));
                    }
                    __asm__("" : "+x"(half[k])); /* one chain per token (gk_qp_q23_k_x4) */
                }
            }
            for (unsigned k = 0; k < TOKENS; k++)
                isum[k] = _mm256_add_epi32(isum[k], _mm256_madd_epi16(half[k], ones16));
        }
        for (unsigned k = 0; k < TOKENS; k++)
            acc[k] = gk_qp_kquant_step_nomin(acc[k], col, x[k]->d, isum[k]);
    }
    gk_qp_store_tokens(out, acc, TOKENS);
}

/* IQ4_XS against `tokens` activation rows (1, or GK_QDOT8X4_TOKENS), as gk_qp_q6_k: a vector of
 * codes is looked up once for every token. */
static inline __attribute__((always_inline)) void gk_qp_iq4_xs(const uint8_t *col,
                                                               const void *xq,
                                                               size_t x_row_bytes,
                                                               unsigned tokens,
                                                               const int32_t *xsum,
                                                               size_t n_blocks,
                                                               gk_qtype t_iq4_xs,
                                                               float *out)
{
    (void)xsum;
    (void)t_iq4_xs; /* for GK_QP_KERNELS */

    enum { MAX_TOKENS = GK_QDOT8X4_TOKENS };

    const __m256i low_mask = _mm256_set1_epi8(0x0F), low16 = _mm256_set1_epi32(0xFFFF);
    const __m256i values =
        _mm256_broadcastsi128_si256(_mm_loadu_si128((const __m128i *)gk_iq4nl_values));
    __m256 acc[MAX_TOKENS];
    for (unsigned t = 0; t < tokens; t++)
        acc[t] = _mm256_setzero_ps();
    for (size_t b = 0; b < n_blocks; b++, col += GK_QPACK_IQ4_XS_COLUMN) {
        gk_qp_prefetch_column(col, GK_QPACK_IQ4_XS_COLUMN, GK_QP_AHEAD_FAR);
        const gk_block_q8_k *x[MAX_TOKENS];
        __m256i isum[MAX_TOKENS];
        for (unsigned t = 0; t < tokens; t++) {
            x[t] = gk_qp_token_block(xq, x_row_bytes, t, b);
            isum[t] = _mm256_setzero_si256();
        }
        for (unsigned sub = 0; sub < 8; sub++) {
            /* the rows' signed scales, each in both 16-bit halves of its lane */
            const __m256i sc =
                _mm256_cvtepi8_epi32(_mm_loadl_epi64((const __m128i *)(col + 16 + 8 * sub)));
            const __m256i scale =
                _mm256_or_si256(_mm256_and_si256(sc, low16), _mm256_slli_epi32(sc, 16));
            for (unsigned g = 0; g < 4; g++) {
                const __m256i q =
                    _mm256_loadu_si256((const __m256i *)(col + 80 + 128 * sub + 32 * g));
                const __m256i lo = _mm256_shuffle_epi8(values, _mm256_and_si256(q, low_mask));
                const __m256i hi = _mm256_shuffle_epi8(
                    values, _mm256_and_si256(_mm256_srli_epi16(q, 4), low_mask));
                const __m256i lo_abs = _mm256_sign_epi8(lo, lo), hi_abs = _mm256_sign_epi8(hi, hi);
                for (unsigned t = 0; t < tokens; t++) {
                    int32_t x_lo, x_hi;
                    memcpy(&x_lo, x[t]->qs + 32 * sub + 4 * g, sizeof x_lo);
                    memcpy(&x_hi, x[t]->qs + 32 * sub + 16 + 4 * g, sizeof x_hi);
                    /* |value| <= 127 against |x| <= 127: one pair per int16 lane at most 32258 */
                    const __m256i p_lo =
                        _mm256_maddubs_epi16(lo_abs, _mm256_sign_epi8(_mm256_set1_epi32(x_lo), lo));
                    const __m256i p_hi =
                        _mm256_maddubs_epi16(hi_abs, _mm256_sign_epi8(_mm256_set1_epi32(x_hi), hi));
                    isum[t] =
                        _mm256_add_epi32(isum[t], _mm256_add_epi32(_mm256_madd_epi16(p_lo, scale),
                                                                   _mm256_madd_epi16(p_hi, scale)));
                }
                /* keeps the sums in registers (gk_qp_q45_k) */
                for (unsigned t = 0; t < tokens; t++)
                    __asm__("" : "+x"(isum[t]));
            }
        }
        for (unsigned t = 0; t < tokens; t++)
            acc[t] = gk_qp_kquant_step_nomin(acc[t], col, x[t]->d, isum[t]);
    }
    gk_qp_store_tokens(out, acc, tokens);
}

GK_QP_KERNELS(iq4_xs, gk_qp_iq4_xs, GK_QTYPE_IQ4_XS)

/* ---- the grid formats IQ1_S .. IQ3_S (qpack.h) ------------------------------------------------
 */

/* The rows' scales 2 s + 1 of the weights 32 g + 0..15 (scale[0]) and 32 g + 16..31 (scale[1]),
 * each in both 16-bit halves of its lane (vpmaddwd multipliers); lo_hi: the two as lo | hi << 16.
 */
static inline void gk_qp_iq_scales(const uint8_t *col, unsigned g, __m256i scale[2], __m256i *lo_hi)
{
    const __m256i ones = _mm256_set1_epi32(1);
    const __m256i s = _mm256_cvtepu8_epi32(_mm_loadl_epi64((const __m128i *)(col + 16 + 8 * g)));
    const __m256i lo =
        _mm256_add_epi32(_mm256_slli_epi32(_mm256_and_si256(s, _mm256_set1_epi32(0xF)), 1), ones);
    const __m256i hi = _mm256_add_epi32(_mm256_slli_epi32(_mm256_srli_epi32(s, 4), 1), ones);
    scale[0] = _mm256_or_si256(lo, _mm256_slli_epi32(lo, 16));
    scale[1] = _mm256_or_si256(hi, _mm256_slli_epi32(hi, 16));
    *lo_hi = _mm256_or_si256(lo, _mm256_slli_epi32(hi, 16));
}

/* gk_qpack_iq_step per lane: acc + ((d factor) d_x) isum, d the rows' f16 scales at col. */
static inline __m256
gk_qp_iq_step(__m256 acc, const uint8_t *col, float factor, float dx, __m256i isum)
{
    const __m256 d = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)col));
    const __m256 dd = _mm256_mul_ps(_mm256_mul_ps(d, _mm256_set1_ps(factor)), _mm256_set1_ps(dx));
    return _mm256_add_ps(acc, _mm256_mul_ps(dd, _mm256_cvtepi32_ps(isum)));
}

/* The rows' scales 2 s + 1 of the whole column as bytes: lo[8 g + r] of row r's weights
 * 32 g + 0..15, hi[8 g + r] of 32 g + 16..31. */
static inline void gk_qp_iq_scale_bytes(const uint8_t *col, uint8_t lo[64], uint8_t hi[64])
{
    const __m256i low_mask = _mm256_set1_epi8(0x0F), ones8 = _mm256_set1_epi8(1);
    for (unsigned i = 0; i < 64; i += 32) {
        const __m256i s = _mm256_loadu_si256((const __m256i *)(col + 16 + i));
        const __m256i s_lo = _mm256_and_si256(s, low_mask);
        const __m256i s_hi = _mm256_and_si256(_mm256_srli_epi16(s, 4), low_mask);
        _mm256_storeu_si256((__m256i *)(lo + i),
                            _mm256_add_epi8(_mm256_add_epi8(s_lo, s_lo), ones8));
        _mm256_storeu_si256((__m256i *)(hi + i),
                            _mm256_add_epi8(_mm256_add_epi8(s_hi, s_hi), ones8));
    }
}

/* IQ1_S and IQ1_M, the IQ1 layout (group: weights per delta, 32 or 8). Per sub-block a, one
 * vpmaddubsw per field of 8 c (0, 8, 16; two tables as in gk_qp_iq_sm take a nibble's fields) by
 * the activation, the four fields added in int16: lane (r, h) (the 16-bit halves of row r's
 * 32-bit lane) gets -(7 + 2 n) X, the delta term of the half h of the sub-block, selected by
 * vpblendvb between -7 X and -9 X (xsum, qpack.h) with the sign word's bit
 * brought to bit 15 (IQ1_M: the word of lane (r, h) itself; IQ1_S: byte r in both halves, moved
 * every second sub-block). Whatever the lane's halves hold, vpmaddwd by 2 s + 1 adds them: the
 * sub-block's exact sum (at most 8 * 16 * 128 + 9 * 1024 < 2^15 in a lane), that of the scalar
 * kernel. Against `tokens` activation rows (1, or GK_QDOT8X4_TOKENS: xq + k * x_row_bytes,
 * xsum + k * GK_QPACK_IQ1_XSUM * n_blocks, out + 8 k): a field's codes serve every token. */
static inline __attribute__((always_inline)) void gk_qp_iq1(const uint8_t *col,
                                                            const void *xq,
                                                            size_t x_row_bytes,
                                                            unsigned tokens,
                                                            const int32_t *xsum,
                                                            size_t n_blocks,
                                                            unsigned group,
                                                            float *out)
{
    enum { MAX_TOKENS = GK_QDOT8X4_TOKENS };

    const size_t column = gk_qpack_iq1_column(group);
    int8_t by_low[16], by_high[16]; /* nibble i -> 8 c of its bits 0-1 / 2-3 */
    for (unsigned i = 0; i < 16; i++) {
        by_low[i] = (int8_t)(8 * (i & 3));
        by_high[i] = (int8_t)(8 * (i >> 2));
    }
    const __m256i code8[2] = {
        _mm256_broadcastsi128_si256(_mm_loadu_si128((const __m128i *)by_low)),
        _mm256_broadcastsi128_si256(_mm_loadu_si128((const __m128i *)by_high))};
    const __m256i low_mask = _mm256_set1_epi8(0x0F);
    /* byte r of a broadcast 8 bytes to both 16-bit halves of lane r: zero-extended (scales), in
     * the high byte (IQ1_S's delta signs) */
    const __m256i row_pairs =
        _mm256_setr_epi8(0, -1, 0, -1, 1, -1, 1, -1, 2, -1, 2, -1, 3, -1, 3, -1, 4, -1, 4, -1, 5,
                         -1, 5, -1, 6, -1, 6, -1, 7, -1, 7, -1);
    const __m256i row_high =
        _mm256_setr_epi8(-1, 0, -1, 0, -1, 1, -1, 1, -1, 2, -1, 2, -1, 3, -1, 3, -1, 4, -1, 4, -1,
                         5, -1, 5, -1, 6, -1, 6, -1, 7, -1, 7);
    __m256 acc[MAX_TOKENS];
    for (unsigned k = 0; k < tokens; k++)
        acc[k] = _mm256_setzero_ps();
    for (size_t b = 0; b < n_blocks; b++, col += column) {
        gk_qp_prefetch_column(col, column, GK_QP_AHEAD_FAR);
        const gk_block_q8_k *x[MAX_TOKENS];
        const int32_t *minus7[MAX_TOKENS]; /* minus9 = minus7 + 16 */
        __m256i isum[MAX_TOKENS];
        for (unsigned k = 0; k < tokens; k++) {
            x[k] = gk_qp_token_block(xq, x_row_bytes, k, b);
            minus7[k] = xsum + GK_QPACK_IQ1_XSUM * (k * n_blocks + b);
            isum[k] = _mm256_setzero_si256();
        }
        uint8_t lo[64], hi[64];
        gk_qp_iq_scale_bytes(col, lo, hi);
        int64_t signs8;
        memcpy(&signs8, col + 592, sizeof signs8);
        __m256i signs = group == 8 ? _mm256_loadu_si256((const __m256i *)(col + 592))
                                   : _mm256_shuffle_epi8(_mm256_set1_epi64x(signs8), row_high);
        for (unsigned v = 0; v < 8; v++) {
            int64_t lo8, hi8;
            memcpy(&lo8, lo + 8 * v, sizeof lo8);
            memcpy(&hi8, hi + 8 * v, sizeof hi8);
            const __m256i scale[2] = {_mm256_shuffle_epi8(_mm256_set1_epi64x(lo8), row_pairs),
                                      _mm256_shuffle_epi8(_mm256_set1_epi64x(hi8), row_pairs)};
            for (unsigned h = 0; h < 2; h++) { /* the weights 16 a .. 16 a + 15, a = 2 v + h */
                const unsigned a = 2 * v + h;
                const __m256i q = _mm256_loadu_si256((const __m256i *)(col + 80 + 32 * a));
                const __m256i nibbles[2] = {_mm256_and_si256(q, low_mask),
                                            _mm256_and_si256(_mm256_srli_epi16(q, 4), low_mask)};
                const __m256i nine = _mm256_srai_epi16(signs, 15);
                if (group == 8 || h == 1) signs = _mm256_add_epi16(signs, signs);
                __m256i w[4];
                for (unsigned l = 0; l < 4; l++)
                    w[l] = _mm256_shuffle_epi8(code8[l % 2], nibbles[l / 2]);
                for (unsigned k = 0; k < tokens; k++) {
                    __m256i pairs = _mm256_blendv_epi8(_mm256_set1_epi32(minus7[k][a]),
                                                       _mm256_set1_epi32(minus7[k][16 + a]), nine);
                    for (unsigned l = 0; l < 4; l++) {
                        int32_t x4;
                        memcpy(&x4, x[k]->qs + 16 * a + 4 * l, sizeof x4);
                        pairs = _mm256_add_epi16(pairs,
                                                 _mm256_maddubs_epi16(w[l], _mm256_set1_epi32(x4)));
                    }
                    isum[k] = _mm256_add_epi32(isum[k], _mm256_madd_epi16(pairs, scale[h]));
                    __asm__("" : "+x"(isum[k])); /* in registers (gk_qp_q45_k) */
                }
            }
        }
        for (unsigned k = 0; k < tokens; k++)
            acc[k] = gk_qp_iq_step(acc[k], col, 0.125f, x[k]->d, isum[k]);
    }
    gk_qp_store_tokens(out, acc, tokens);
}

GK_QP_KERNELS(iq1_s, gk_qp_iq1, 32)
GK_QP_KERNELS(iq1_m, gk_qp_iq1, 8)

/* IQ2, the sign-magnitude layout (t: which format), against `tokens` activation rows (1, or
 * GK_QDOT8X4_TOKENS: xq + k * x_row_bytes, out + 8 k). A nibble of a magnitude byte holds two
 * fields; vpshufb reads its low four bits, so two tables (field 2 i: magnitude of bits 0-1, field
 * 2 i + 1: of bits 2-3) take the field without a shift. The sign goes onto the activation by
 * vpsignb: sign bit m of a byte is brought to bit 7 by doubling the byte 7 - m times (bits taken
 * from the highest down, one vpaddb per field), the byte made non-zero by | 1 first. Then
 * vpmaddubsw: a pair of magnitudes <= 43 by |x| <= 127 is at most 10922, and the pairs of two
 * fields of the same sub-block are added in int16 before vpmaddwd by the scale. Exact integers,
 * those of the scalar kernel. A field's magnitudes and signs serve every token. */
static inline __attribute__((always_inline)) void gk_qp_iq_sm(const uint8_t *col,
                                                              const void *xq,
                                                              size_t x_row_bytes,
                                                              unsigned tokens,
                                                              const int32_t *xsum,
                                                              size_t n_blocks,
                                                              gk_qtype t,
                                                              float *out)
{
    enum { MAX_TOKENS = GK_QDOT8X4_TOKENS };

    (void)xsum;
    const struct gk_qpack_iq iq = gk_qpack_iq_of(t);
    int8_t by_low[16], by_high[16]; /* nibble i -> magnitude of its bits 0-1 / 2-3 */
    for (unsigned i = 0; i < 16; i++) {
        by_low[i] = iq.values[i & 3];
        by_high[i] = iq.values[i >> 2];
    }
    const __m256i magnitude[2] = {
        _mm256_broadcastsi128_si256(_mm_loadu_si128((const __m128i *)by_low)),
        _mm256_broadcastsi128_si256(_mm_loadu_si128((const __m128i *)by_high))};
    const __m256i low_mask = _mm256_set1_epi8(0x0F), ones8 = _mm256_set1_epi8(1);
    /* byte r of a broadcast 8 bytes to both 16-bit halves of lane r (zero-extended) */
    const __m256i row_pairs =
        _mm256_setr_epi8(0, -1, 0, -1, 1, -1, 1, -1, 2, -1, 2, -1, 3, -1, 3, -1, 4, -1, 4, -1, 5,
                         -1, 5, -1, 6, -1, 6, -1, 7, -1, 7, -1);
    __m256 acc[MAX_TOKENS];
    for (unsigned k = 0; k < tokens; k++)
        acc[k] = _mm256_setzero_ps();
    for (size_t b = 0; b < n_blocks; b++, col += GK_QPACK_IQ_SM_COLUMN) {
        gk_qp_prefetch_column(col, GK_QPACK_IQ_SM_COLUMN, GK_QP_AHEAD_FAR);
        const gk_block_q8_k *x[MAX_TOKENS];
        __m256i isum[MAX_TOKENS];
        for (unsigned k = 0; k < tokens; k++) {
            x[k] = gk_qp_token_block(xq, x_row_bytes, k, b);
            isum[k] = _mm256_setzero_si256();
        }
        uint8_t lo[64], hi[64];
        gk_qp_iq_scale_bytes(col, lo, hi);
        for (unsigned v = 0; v < 8; v++) {
            /* sign bit m = 4 h + l of the weights 16 (2 v + h) + 4 l + j, m = 7 first: the
             * bytes | 1 doubled 7 - m times (the 1 keeps them non-zero), but for m = 0, whose bit
             * the 1 took: the bytes moved up by 7, | 1 */
            const __m256i sign_bits = _mm256_loadu_si256((const __m256i *)(col + 592 + 32 * v));
            __m256i signs = _mm256_or_si256(sign_bits, ones8);
            int64_t lo8, hi8;
            memcpy(&lo8, lo + 8 * v, sizeof lo8);
            memcpy(&hi8, hi + 8 * v, sizeof hi8);
            const __m256i scale[2] = {_mm256_shuffle_epi8(_mm256_set1_epi64x(lo8), row_pairs),
                                      _mm256_shuffle_epi8(_mm256_set1_epi64x(hi8), row_pairs)};
            for (unsigned h = 2; h-- > 0;) { /* the weights 16 a .. 16 a + 15, a = 2 v + h */
                const unsigned a = 2 * v + h;
                const __m256i q = _mm256_loadu_si256((const __m256i *)(col + 80 + 32 * a));
                for (unsigned half = 2; half-- > 0;) { /* fields l = 2 half + 1, then 2 half */
                    const __m256i nibbles =
                        half ? _mm256_and_si256(_mm256_srli_epi16(q, 4), low_mask)
                             : _mm256_and_si256(q, low_mask);
                    const __m256i w1 = _mm256_shuffle_epi8(magnitude[1], nibbles);
                    const __m256i w0 = _mm256_shuffle_epi8(magnitude[0], nibbles);
                    const __m256i s1 = signs;
                    signs = _mm256_add_epi8(signs, signs);
                    const __m256i s0 =
                        h || half ? signs : _mm256_or_si256(_mm256_slli_epi16(sign_bits, 7), ones8);
                    signs = _mm256_add_epi8(signs, signs);
                    for (unsigned k = 0; k < tokens; k++) {
                        int32_t x1, x0;
                        memcpy(&x1, x[k]->qs + 16 * a + 8 * half + 4, sizeof x1);
                        memcpy(&x0, x[k]->qs + 16 * a + 8 * half, sizeof x0);
                        const __m256i pairs = _mm256_add_epi16(
                            _mm256_maddubs_epi16(w1, _mm256_sign_epi8(_mm256_set1_epi32(x1), s1)),
                            _mm256_maddubs_epi16(w0, _mm256_sign_epi8(_mm256_set1_epi32(x0), s0)));
                        isum[k] = _mm256_add_epi32(isum[k], _mm256_madd_epi16(pairs, scale[h]));
                        __asm__("" : "+x"(isum[k])); /* in registers (gk_qp_q45_k) */
                    }
                }
            }
        }
        for (unsigned k = 0; k < tokens; k++)
            acc[k] = gk_qp_iq_step(acc[k], col, iq.factor, x[k]->d, isum[k]);
    }
    gk_qp_store_tokens(out, acc, tokens);
}

GK_QP_KERNELS(iq2_xxs, gk_qp_iq_sm, GK_QTYPE_IQ2_XXS)
GK_QP_KERNELS(iq2_xs, gk_qp_iq_sm, GK_QTYPE_IQ2_XS)
GK_QP_KERNELS(iq2_s, gk_qp_iq_sm, GK_QTYPE_IQ2_S)

/* IQ3_XXS and IQ3_S, the 4-bit layout (t: which format, constant after inlining), against
 * `tokens` activation rows (1, or GK_QDOT8X4_TOKENS: xq + k * x_row_bytes, out + 8 k). The values
 * are made unsigned, value + c with c = -values[0] = the largest magnitude (at most 62, so
 * value + c <= 124 and a vpmaddubsw pair of two of them by |x| <= 128 stays below 32767), and
 * c * sum of (2 s + 1) * (the 16 activations' sum) is taken off at the end: the exact integers of
 * the scalar kernel (the unsigned sum is at most 256 * 31 * 124 * 127 < 2^31), without vpsignb.
 * A vector of codes is looked up once for every token. */
static inline __attribute__((always_inline)) void gk_qp_iq_grid(const uint8_t *col,
                                                                const void *xq,
                                                                size_t x_row_bytes,
                                                                unsigned tokens,
                                                                const int32_t *xsum,
                                                                size_t n_blocks,
                                                                gk_qtype t,
                                                                float *out)
{
    enum { MAX_TOKENS = GK_QDOT8X4_TOKENS };

    (void)xsum;
    const struct gk_qpack_iq iq = gk_qpack_iq_of(t);
    const int offset = -iq.values[0];
    const __m256i values = _mm256_broadcastsi128_si256(
        _mm_add_epi8(_mm_loadu_si128((const __m128i *)iq.values), _mm_set1_epi8((char)offset)));
    const __m256i low_mask = _mm256_set1_epi8(0x0F);
    __m256 acc[MAX_TOKENS];
    for (unsigned k = 0; k < tokens; k++)
        acc[k] = _mm256_setzero_ps();
    for (size_t b = 0; b < n_blocks; b++, col += GK_QPACK_IQ_GRID_COLUMN) {
        gk_qp_prefetch_column(col, GK_QPACK_IQ_GRID_COLUMN, GK_QP_AHEAD_FAR);
        const gk_block_q8_k *x[MAX_TOKENS];
        __m256i isum[MAX_TOKENS], sums[MAX_TOKENS];
        for (unsigned k = 0; k < tokens; k++) {
            x[k] = gk_qp_token_block(xq, x_row_bytes, k, b);
            isum[k] = sums[k] = _mm256_setzero_si256();
        }
        for (unsigned g = 0; g < 8; g++) {
            __m256i scale[2], lo_hi;
            gk_qp_iq_scales(col, g, scale, &lo_hi);
            /* sum of (2 s + 1) times the activation's two 16-value sums */
            for (unsigned k = 0; k < tokens; k++) {
                int32_t bsums;
                memcpy(&bsums, x[k]->bsums + 2 * g, sizeof bsums);
                sums[k] =
                    _mm256_add_epi32(sums[k], _mm256_madd_epi16(lo_hi, _mm256_set1_epi32(bsums)));
            }
            for (unsigned u = 0; u < 4; u++) {
                const __m256i q =
                    _mm256_loadu_si256((const __m256i *)(col + 80 + 128 * g + 32 * u));
                const __m256i v_lo = _mm256_shuffle_epi8(values, _mm256_and_si256(q, low_mask));
                const __m256i v_hi = _mm256_shuffle_epi8(
                    values, _mm256_and_si256(_mm256_srli_epi16(q, 4), low_mask));
                for (unsigned k = 0; k < tokens; k++) {
                    int32_t x_lo, x_hi;
                    memcpy(&x_lo, x[k]->qs + 32 * g + 4 * u, sizeof x_lo);
                    memcpy(&x_hi, x[k]->qs + 32 * g + 16 + 4 * u, sizeof x_hi);
                    const __m256i p_lo = _mm256_maddubs_epi16(v_lo, _mm256_set1_epi32(x_lo));
                    const __m256i p_hi = _mm256_maddubs_epi16(v_hi, _mm256_set1_epi32(x_hi));
                    isum[k] = _mm256_add_epi32(isum[k],
                                               _mm256_add_epi32(_mm256_madd_epi16(p_lo, scale[0]),
                                                                _mm256_madd_epi16(p_hi, scale[1])));
                    __asm__("" : "+x"(isum[k])); /* in registers (gk_qp_q45_k) */
                }
            }
        }
        for (unsigned k = 0; k < tokens; k++) {
            isum[k] =
                _mm256_sub_epi32(isum[k], _mm256_mullo_epi32(sums[k], _mm256_set1_epi32(offset)));
            acc[k] = gk_qp_iq_step(acc[k], col, iq.factor, x[k]->d, isum[k]);
        }
    }
    gk_qp_store_tokens(out, acc, tokens);
}

GK_QP_KERNELS(iq3_xxs, gk_qp_iq_grid, GK_QTYPE_IQ3_XXS)
GK_QP_KERNELS(iq3_s, gk_qp_iq_grid, GK_QTYPE_IQ3_S)
