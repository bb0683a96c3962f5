/* SPDX-License-Identifier: MIT */
/* AVX2 quantized dot products of IQ4_NL, IQ3_XXS, IQ3_S, TQ1_0, IQ1_S and IQ1_M
 * (src/quant/qdot.h), giving the bits of the scalar tier (src/quant/qdot_iq3_scalar.c, which
 * also describes the layouts and the f32 steps).
 *
 * Integer products go through vpmaddubsw (unsigned weight magnitudes times signed activation
 * bytes, pairs summed to int16) and vpmaddwd (int16 pairs times 1 or a group scale, summed to
 * int32). Weight magnitudes are at most 127 and activation codes lie in -127..127, so a pair is
 * below 2 * 127 * 127 < 32767: vpmaddubsw never saturates and every sum is exact. */
#include <immintrin.h>
#include <string.h>

#include "core/half.h"
#include "quant/iq.h"
#include "quant/qdot.h"

static inline float gk_qi_h2f(uint16_t bits)
{
    return _cvtsh_ss(bits);
}

static inline int32_t gk_qi_hsum_i32(__m256i v)
{
    __m128i s = _mm_add_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
    s = _mm_add_epi32(s, _mm_shuffle_epi32(s, _MM_SHUFFLE(1, 0, 3, 2)));
    s = _mm_add_epi32(s, _mm_shuffle_epi32(s, _MM_SHUFFLE(2, 3, 0, 1)));
    return _mm_cvtsi128_si32(s);
}

/* Eight int32 sums of 4 products each of signed codes w (|w| <= 127) and activation codes x:
 * the sign of w moves onto x so that vpmaddubsw sees |w| as unsigned. */
static inline __m256i gk_qi_dot_s8(__m256i w, __m256i x)
{
    const __m256i pairs = _mm256_maddubs_epi16(_mm256_sign_epi8(w, w), _mm256_sign_epi8(x, w));
    return _mm256_madd_epi16(pairs, _mm256_set1_epi16(1));
}

/* ---- IQ4_NL against Q8_0 ------------------------------------------------------------------ */

/* The eight partial int32 sums of one block: vpshufb looks the 32 nibbles up in the 16 values. */
static inline __m256i gk_qi_iq4_nl_sums(const gk_block_iq4_nl *b, const gk_block_q8_0 *x)
{
    const __m256i values =
        _mm256_broadcastsi128_si256(_mm_loadu_si128((const __m128i *)gk_iq4nl_values));
    const __m128i q = _mm_loadu_si128((const __m128i *)b->qs);
    const __m128i low_mask = _mm_set1_epi8(0x0F);
    const __m256i nibbles =
        _mm256_set_m128i(_mm_and_si128(_mm_srli_epi16(q, 4), low_mask), _mm_and_si128(q, low_mask));
    return gk_qi_dot_s8(_mm256_shuffle_epi8(values, nibbles),
                        _mm256_loadu_si256((const __m256i *)x->qs));
}

/* d_w * d_x of a block */
static inline float gk_qi_iq4_nl_scale(const gk_block_iq4_nl *b, const gk_block_q8_0 *x)
{
    return gk_qi_h2f(gk_iq_u16(b->d)) * gk_qi_h2f(x->d.bits);
}

/* Four f16 values widened to f32 (lane j from f16 j) with one vcvtph2ps. */
static inline __m128 gk_qi_f16x4(uint16_t h0, uint16_t h1, uint16_t h2, uint16_t h3)
{
    const uint64_t bits = h0 | (uint64_t)h1 << 16 | (uint64_t)h2 << 32 | (uint64_t)h3 << 48;
    return _mm_cvtph_ps(_mm_cvtsi64_si128((long long)bits));
}

/* Four blocks at a time: their sums reduced to one int32 each (lane j: block 4 t + j), then the
 * scalar tier's step acc[j] += (d_w * d_x) * (float)isum in the four lanes of one vector. */
static float gk_qi_row_iq4_nl(const gk_block_iq4_nl *b, const gk_block_q8_0 *x, size_t n_blocks)
{
    __m128 acc = _mm_setzero_ps();
    size_t i = 0;
    for (; i + 4 <= n_blocks; i += 4) {
        _mm_prefetch((const char *)&b[i] + 1024, _MM_HINT_T0);
        const __m256i s0 = gk_qi_iq4_nl_sums(&b[i], &x[i]);
        const __m256i s1 = gk_qi_iq4_nl_sums(&b[i + 1], &x[i + 1]);
        const __m256i s2 = gk_qi_iq4_nl_sums(&b[i + 2], &x[i + 2]);
        const __m256i s3 = gk_qi_iq4_nl_sums(&b[i + 3], &x[i + 3]);
        /* per 128-bit half: [s0, s1, s2, s3] partial sums; then the halves added */
        const __m256i h = _mm256_hadd_epi32(_mm256_hadd_epi32(s0, s1), _mm256_hadd_epi32(s2, s3));
        const __m128i isum =
            _mm_add_epi32(_mm256_castsi256_si128(h), _mm256_extracti128_si256(h, 1));
        const __m128 d_w = gk_qi_f16x4(gk_iq_u16(b[i].d), gk_iq_u16(b[i + 1].d),
                                       gk_iq_u16(b[i + 2].d), gk_iq_u16(b[i + 3].d));
        const __m128 d_x =
            gk_qi_f16x4(x[i].d.bits, x[i + 1].d.bits, x[i + 2].d.bits, x[i + 3].d.bits);
        const __m128 d = _mm_mul_ps(d_w, d_x);
        acc = _mm_add_ps(acc, _mm_mul_ps(d, _mm_cvtepi32_ps(isum)));
    }
    float lanes[4];
    _mm_storeu_ps(lanes, acc);
    for (; i < n_blocks; i++) /* i % 4 == i - 4 t */
        lanes[i % 4] += gk_qi_iq4_nl_scale(&b[i], &x[i]) *
                        (float)gk_qi_hsum_i32(gk_qi_iq4_nl_sums(&b[i], &x[i]));
    return (lanes[0] + lanes[1]) + (lanes[2] + lanes[3]);
}

/* ---- IQ3_XXS and IQ3_S against Q8_K ------------------------------------------------------- */

/* Eight int32 sums of one group of 32 values: grid bytes (unsigned) times the activation bytes
 * xqs, value j negated where bit j % 8 of sign_bytes[j / 8] is set, times the group
 * scale (int16, in both halves of scale16). The per-group words are broadcast from memory (a
 * load, not a shuffle: the shuffle units are the busy ones). */
static inline __m256i
gk_qi_iq3_group(__m256i grid, const void *sign_bytes, const int32_t *scale16, const int8_t *xqs)
{
    const __m256i spread =
        _mm256_shuffle_epi8(_mm256_broadcastd_epi32(_mm_loadu_si32(sign_bytes)),
                            _mm256_setr_epi8(0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2,
                                             2, 2, 2, 2, 2, 2, 3, 3, 3, 3, 3, 3, 3, 3));
    const __m256i bit = _mm256_set1_epi64x((long long)0x8040201008040201ull);
    const __m256i negative = _mm256_cmpeq_epi8(_mm256_and_si256(spread, bit), bit);
    const __m256i xv = _mm256_sign_epi8(_mm256_loadu_si256((const __m256i *)xqs),
                                        _mm256_or_si256(negative, _mm256_set1_epi8(1)));
    return _mm256_madd_epi16(_mm256_maddubs_epi16(grid, xv), _mm256_set1_epi32(*scale16));
}

/* (2 s + 1) as int16 in both halves of each 32-bit lane, from s in bits 0..3 of the lane */
static inline __m256i gk_qi_odd_scales16(__m256i s)
{
    const __m256i odd = _mm256_or_si256(_mm256_slli_epi32(s, 1), _mm256_set1_epi32(1));
    return _mm256_or_si256(odd, _mm256_slli_epi32(odd, 16));
}

/* IQ3_XXS: the four 7-bit sign codes of each group word go to its four bytes, and the eighth
 * bit of each (gk_iq_ksigns: the parity of the seven) comes from a 16-entry parity table of
 * the two nibbles. */
static inline __m256i gk_qi_iq3_xxs_signs(__m256i words)
{
    const __m256i codes = _mm256_or_si256(
        _mm256_or_si256(_mm256_and_si256(words, _mm256_set1_epi32(0x7F)),
                        _mm256_and_si256(_mm256_slli_epi32(words, 1), _mm256_set1_epi32(0x7F00))),
        _mm256_or_si256(
            _mm256_and_si256(_mm256_slli_epi32(words, 2), _mm256_set1_epi32(0x7F0000)),
            _mm256_and_si256(_mm256_slli_epi32(words, 3), _mm256_set1_epi32(0x7F000000))));
    const __m256i odd =
        _mm256_setr_epi8(0, -128, -128, 0, -128, 0, 0, -128, -128, 0, 0, -128, 0, -128, -128, 0, 0,
                         -128, -128, 0, -128, 0, 0, -128, -128, 0, 0, -128, 0, -128, -128, 0);
    const __m256i nibble = _mm256_set1_epi8(0x0F);
    const __m256i parity = _mm256_xor_si256(
        _mm256_shuffle_epi8(odd, _mm256_and_si256(codes, nibble)),
        _mm256_shuffle_epi8(odd, _mm256_and_si256(_mm256_srli_epi16(codes, 4), nibble)));
    return _mm256_or_si256(codes, parity);
}

static inline __m256i gk_qi_iq3_xxs_sums(const gk_block_iq3_xxs *b, const gk_block_q8_k *x)
{
    const __m256i words = _mm256_loadu_si256((const __m256i *)(b->qs + 64));
    uint32_t signs[8];
    int32_t scales16[8];
    _mm256_storeu_si256((__m256i *)signs, gk_qi_iq3_xxs_signs(words));
    _mm256_storeu_si256((__m256i *)scales16, gk_qi_odd_scales16(_mm256_srli_epi32(words, 28)));
    __m256i isum_v = _mm256_setzero_si256();
    for (int g = 0; g < 8; g++) {
        const uint8_t *q = b->qs + 8 * g;
        const __m256i grid = _mm256_setr_epi32(
            (int)gk_iq3xxs_grid[q[0]], (int)gk_iq3xxs_grid[q[1]], (int)gk_iq3xxs_grid[q[2]],
            (int)gk_iq3xxs_grid[q[3]], (int)gk_iq3xxs_grid[q[4]], (int)gk_iq3xxs_grid[q[5]],
            (int)gk_iq3xxs_grid[q[6]], (int)gk_iq3xxs_grid[q[7]]);
        isum_v = _mm256_add_epi32(isum_v,
                                  gk_qi_iq3_group(grid, &signs[g], &scales16[g], x->qs + 32 * g));
    }
    return isum_v;
}

/* IQ3_S: the 9th bit of grid index k of group g is bit k of qh[g]. */
static inline __m256i gk_qi_iq3_s_sums(const gk_block_iq3_s *b, const gk_block_q8_k *x)
{
    const __m256i nibbles = _mm256_srlv_epi32(_mm256_set1_epi32((int)gk_iq_u32(b->scales)),
                                              _mm256_setr_epi32(0, 4, 8, 12, 16, 20, 24, 28));
    int32_t scales16[8];
    _mm256_storeu_si256((__m256i *)scales16,
                        gk_qi_odd_scales16(_mm256_and_si256(nibbles, _mm256_set1_epi32(0xF))));
    /* the 64 grid indices: index i is qs[i] with bit i of qh (a 64-bit string) as its 9th
     * bit, made 16 at a time with vector operations (cheaper than shifts and masks per index) */
    uint16_t index[64];
    const __m256i bit = _mm256_setr_epi16(1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048, 4096,
                                          8192, 16384, -32768);
    for (int j = 0; j < 4; j++) {
        const __m256i high = _mm256_set1_epi16((short)gk_iq_u16(b->qh + 2 * j));
        const __m256i ninth = _mm256_and_si256(_mm256_cmpeq_epi16(_mm256_and_si256(high, bit), bit),
                                               _mm256_set1_epi16(0x100));
        const __m256i low =
            _mm256_cvtepu8_epi16(_mm_loadu_si128((const __m128i *)(b->qs + 16 * j)));
        _mm256_storeu_si256((__m256i *)(index + 16 * j), _mm256_or_si256(low, ninth));
    }
    __m256i isum_v = _mm256_setzero_si256();
    for (int g = 0; g < 8; g++) {
        const uint16_t *k = index + 8 * g;
        const __m256i grid = _mm256_setr_epi32((int)gk_iq3s_grid[k[0]], (int)gk_iq3s_grid[k[1]],
                                               (int)gk_iq3s_grid[k[2]], (int)gk_iq3s_grid[k[3]],
                                               (int)gk_iq3s_grid[k[4]], (int)gk_iq3s_grid[k[5]],
                                               (int)gk_iq3s_grid[k[6]], (int)gk_iq3s_grid[k[7]]);
        isum_v = _mm256_add_epi32(
            isum_v, gk_qi_iq3_group(grid, b->signs + 4 * g, &scales16[g], x->qs + 32 * g));
    }
    return isum_v;
}

/* ---- TQ1_0 against Q8_K -------------------------------------------------------------------- */

/* TQ1_0's digits (src/quant/ternary.c): digit n of a byte q is (3 s) >> 8 with s = 3^n q modulo
 * 256, which is [s >= 86] + [s >= 171]. The kernel keeps s with its top bit flipped, f = s + 128
 * modulo 256: signed compares of f order s as unsigned values, and 3 f = 3 s + 128 modulo 256
 * is again the flipped form of 3 s, so the next digit's f is 3 f (two byte additions). */
static inline __m256i gk_qi_tq1_digit(__m256i f)
{
    const __m256i ge86 = _mm256_cmpgt_epi8(f, _mm256_set1_epi8(85 - 128));
    const __m256i ge171 = _mm256_cmpgt_epi8(f, _mm256_set1_epi8(170 - 128));
    return _mm256_sub_epi8(_mm256_sub_epi8(_mm256_setzero_si256(), ge86), ge171);
}

static inline __m256i gk_qi_times3(__m256i f)
{
    return _mm256_add_epi8(f, _mm256_add_epi8(f, f));
}

static inline __m128i gk_qi_times3_128(__m128i f)
{
    return _mm_add_epi8(f, _mm_add_epi8(f, f));
}

/* The eight 32-value runs of the block in element order: five of qs[0..31] (digit n against
 * elements 32 n..), two of qs[32..47] with digits n, n + 1 in the two 128-bit halves (elements
 * 160 + 16 n..), and a last one of qs[32..47]'s digit 4 with qh's 16 values (elements
 * 240 + 4 n + j: digit n of qh[j]). The digits (0..2) meet the activation in vpmaddubsw; the
 * eight int16 pair sums stay below 8 * 2 * 2 * 127 (no overflow) before one vpmaddwd; the -1
 * of every value comes out through the activation's total. */
static inline __m256i gk_qi_tq1_0_sums(const gk_block_tq1_0 *b, const gk_block_q8_k *x)
{
    const __m256i flip = _mm256_set1_epi8(-128);
    __m256i runs[8];
    __m256i f = _mm256_xor_si256(_mm256_loadu_si256((const __m256i *)b->qs), flip);
    for (int n = 0; n < 5; n++, f = gk_qi_times3(f))
        runs[n] = gk_qi_tq1_digit(f);
    /* qs[32..47] in both halves, the high half one digit further */
    const __m128i f16 =
        _mm_xor_si128(_mm_loadu_si128((const __m128i *)(b->qs + 32)), _mm256_castsi256_si128(flip));
    f = _mm256_set_m128i(gk_qi_times3_128(f16), f16);
    for (int k = 5; k < 7; k++, f = gk_qi_times3(gk_qi_times3(f)))
        runs[k] = gk_qi_tq1_digit(f);
    /* f now holds digit 4 of qs[32..47] in its low half; the high half: qh[0..3] shifted by
     * 0, 1, 2, 3 digits */
    const __m128i h0 =
        _mm_xor_si128(_mm_set1_epi32((int)gk_iq_u32(b->qh)), _mm256_castsi256_si128(flip));
    const __m128i h1 = gk_qi_times3_128(h0), h2 = gk_qi_times3_128(h1), h3 = gk_qi_times3_128(h2);
    const __m128i tail =
        _mm_blend_epi32(_mm_blend_epi32(h0, h1, 0x2), _mm_blend_epi32(h2, h3, 0x8), 0xC);
    runs[7] = gk_qi_tq1_digit(_mm256_inserti128_si256(f, tail, 1));
    __m256i pairs = _mm256_setzero_si256();
    for (int k = 0; k < 8; k++)
        pairs = _mm256_add_epi16(
            pairs,
            _mm256_maddubs_epi16(runs[k], _mm256_loadu_si256((const __m256i *)(x->qs + 32 * k))));
    /* minus the activation's total (the -1 of every value), then one reduction */
    const __m256i bsums = _mm256_loadu_si256((const __m256i *)x->bsums);
    const __m256i ones16 = _mm256_set1_epi16(1);
    const __m256i sums =
        _mm256_sub_epi32(_mm256_madd_epi16(pairs, ones16), _mm256_madd_epi16(bsums, ones16));
    return sums;
}

/* ---- IQ1_S and IQ1_M against Q8_K ---------------------------------------------------------- */

/* Eight int32 sums of 32 values given as four 8-value grid entries e (int8 -1, 0, 1), the
 * delta's sign bytes `delta` (+-1 per value) and the int16 scales of the pairs: each value is
 * the integer 8 grid + delta in -9..9, met with the activation through the sign trick. */
static inline __m256i
gk_qi_iq1_run32(__m256i grid, __m256i delta, __m256i scales, const int8_t *xqs)
{
    const __m256i w = _mm256_add_epi8(_mm256_sign_epi8(_mm256_set1_epi8(8), grid), delta);
    const __m256i xv = _mm256_sign_epi8(_mm256_loadu_si256((const __m256i *)xqs), w);
    return _mm256_madd_epi16(_mm256_maddubs_epi16(_mm256_abs_epi8(w), xv), scales);
}

/* IQ1_S (layout: qdot_iq3_scalar.c): index l of group g is qs[4 g + l] with bits 3 l.. of the
 * group's u16 word h above it. With one delta sign per group, the group's sum
 * (2 s + 1) sum((8 grid + delta) xq) splits into 8 (2 s + 1) sum(grid xq), per group (grid in
 * -1..1 moved onto xq by vpsign), and delta (2 s + 1) times the group's activation total, for
 * all groups at once from the activation's 16-value sums. */
static inline __m256i gk_qi_iq1_s_sums(const gk_block_iq1_s *b, const gk_block_q8_k *x)
{
    const __m256i h = _mm256_cvtepu16_epi32(_mm_loadu_si128((const __m128i *)b->qh));
    const __m256i odd = _mm256_or_si256(
        _mm256_and_si256(_mm256_srli_epi32(h, 11), _mm256_set1_epi32(0xE)), _mm256_set1_epi32(1));
    /* delta (2 s + 1) as int16 in both halves of lane g, against the group's two bsums */
    const __m256i delta =
        _mm256_or_si256(_mm256_srai_epi32(_mm256_slli_epi32(h, 16), 31), _mm256_set1_epi32(1));
    const __m256i signed_odd =
        _mm256_and_si256(_mm256_sign_epi32(odd, delta), _mm256_set1_epi32(0xFFFF));
    __m256i isum_v =
        _mm256_madd_epi16(_mm256_loadu_si256((const __m256i *)x->bsums),
                          _mm256_or_si256(signed_odd, _mm256_slli_epi32(signed_odd, 16)));
    /* 8 (2 s + 1) as int16 in both halves, broadcast per group from memory */
    int32_t scales[8];
    const __m256i odd8 = _mm256_slli_epi32(odd, 3);
    _mm256_storeu_si256((__m256i *)scales, _mm256_or_si256(odd8, _mm256_slli_epi32(odd8, 16)));
    const __m256i ones = _mm256_set1_epi8(1);
    for (int g = 0; g < 8; g++) {
        const unsigned hg = gk_iq_u16(b->qh + 2 * g);
        const uint8_t *q = b->qs + 4 * g;
        const __m256i grid = _mm256_setr_epi64x((long long)gk_iq1s_grid[q[0] | (hg << 8 & 0x700)],
                                                (long long)gk_iq1s_grid[q[1] | (hg << 5 & 0x700)],
                                                (long long)gk_iq1s_grid[q[2] | (hg << 2 & 0x700)],
                                                (long long)gk_iq1s_grid[q[3] | (hg >> 1 & 0x700)]);
        const __m256i gx =
            _mm256_sign_epi8(_mm256_loadu_si256((const __m256i *)(x->qs + 32 * g)), grid);
        isum_v = _mm256_add_epi32(
            isum_v, _mm256_madd_epi16(_mm256_maddubs_epi16(ones, gx),
                                      _mm256_broadcastd_epi32(_mm_loadu_si32(&scales[g]))));
    }
    return isum_v;
}

/* IQ1_M: the two 16-value halves of group g take their qh byte (a nibble per 8 values: 3 index
 * bits and the delta's sign in bit 3) and 3-bit scale each; the halves are the two 128-bit
 * lanes. The deltas of the block's 32 runs of 8 (+-1, run i from nibble i of qh) are made in
 * one vector, stored, and spread over each group's runs by vpshufb. */
static inline __m256i gk_qi_iq1_m_sums(const gk_block_iq1_m *b, const gk_block_q8_k *x)
{
    const __m128i qh = _mm_loadu_si128((const __m128i *)b->qh);
    const __m128i low_sign = _mm_set1_epi8(0x08), high_sign = _mm_set1_epi8(-128);
    const __m128i minus_lo = _mm_cmpeq_epi8(_mm_and_si128(qh, low_sign), low_sign);
    const __m128i minus_hi = _mm_cmpeq_epi8(_mm_and_si128(qh, high_sign), high_sign);
    int8_t run_delta[32];
    _mm_storeu_si128((__m128i *)run_delta,
                     _mm_or_si128(_mm_unpacklo_epi8(minus_lo, minus_hi), _mm_set1_epi8(1)));
    _mm_storeu_si128((__m128i *)(run_delta + 16),
                     _mm_or_si128(_mm_unpackhi_epi8(minus_lo, minus_hi), _mm_set1_epi8(1)));
    const __m256i spread = _mm256_setr_epi8(0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 2,
                                            2, 2, 2, 2, 2, 3, 3, 3, 3, 3, 3, 3, 3);
    /* per group g (32-bit lane g): the scale word g / 2 shifted by 6 (g % 2), then the two
     * halves' odd scales as int16 pairs (first half low) */
    const __m128i words = _mm_loadl_epi64((const __m128i *)b->scales);
    const __m256i sw = _mm256_srlv_epi32(_mm256_cvtepu16_epi32(_mm_unpacklo_epi16(words, words)),
                                         _mm256_setr_epi32(0, 6, 0, 6, 0, 6, 0, 6));
    const __m256i three_bits = _mm256_set1_epi32(7), one = _mm256_set1_epi32(1);
    const __m256i odd0 =
        _mm256_or_si256(_mm256_slli_epi32(_mm256_and_si256(sw, three_bits), 1), one);
    const __m256i odd1 = _mm256_or_si256(
        _mm256_slli_epi32(_mm256_and_si256(_mm256_srli_epi32(sw, 3), three_bits), 1), one);
    int32_t scale_pairs[8];
    _mm256_storeu_si256((__m256i *)scale_pairs, _mm256_or_si256(odd0, _mm256_slli_epi32(odd1, 16)));
    const __m256i by_half = _mm256_setr_epi8(0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 2, 3,
                                             2, 3, 2, 3, 2, 3, 2, 3, 2, 3, 2, 3, 2, 3);
    __m256i isum_v = _mm256_setzero_si256();
    for (int g = 0; g < 8; g++) {
        const unsigned h0 = b->qh[2 * g], h1 = b->qh[2 * g + 1];
        const uint8_t *q = b->qs + 4 * g;
        const __m256i grid = _mm256_setr_epi64x((long long)gk_iq1s_grid[q[0] | (h0 << 8 & 0x700)],
                                                (long long)gk_iq1s_grid[q[1] | (h0 << 4 & 0x700)],
                                                (long long)gk_iq1s_grid[q[2] | (h1 << 8 & 0x700)],
                                                (long long)gk_iq1s_grid[q[3] | (h1 << 4 & 0x700)]);
        const __m256i delta =
            _mm256_shuffle_epi8(_mm256_broadcastd_epi32(_mm_loadu_si32(run_delta + 4 * g)), spread);
        const __m256i scales =
            _mm256_shuffle_epi8(_mm256_broadcastd_epi32(_mm_loadu_si32(&scale_pairs[g])), by_half);
        isum_v = _mm256_add_epi32(isum_v, gk_qi_iq1_run32(grid, delta, scales, x->qs + 32 * g));
    }
    return isum_v;
}

/* ---- the Q8_K formats' f32 steps: four blocks at a time ----------------------------------------
 */

/* Each format gives gk_qi_<fmt>_sums (eight int32 lanes adding up to a block's isum) and its
 * d_w as the scalar tier defines it: gk_qi_<fmt>_dw for one block, gk_qi_<fmt>_dw4 for four
 * (the f16 scale times an exact power-of-two factor). */
#define GK_QI_DW(fmt, wblock, f16_bits, factor)                                              \
    static inline float gk_qi_##fmt##_dw(const wblock *b)                                    \
    {                                                                                        \
        return gk_qi_h2f(f16_bits(b)) * (factor);                                            \
    }                                                                                        \
    static inline __m128 gk_qi_##fmt##_dw4(const wblock *b)                                  \
    {                                                                                        \
        return _mm_mul_ps(                                                                   \
            gk_qi_f16x4(f16_bits(&b[0]), f16_bits(&b[1]), f16_bits(&b[2]), f16_bits(&b[3])), \
            _mm_set1_ps(factor));                                                            \
    }
#define GK_QI_D_FIELD(b) gk_iq_u16((b)->d)
#define GK_QI_D_TQ1(b)   ((b)->d.bits)
#define GK_QI_D_IQ1_M(b) gk_iq1_m_scale_bits(b)
GK_QI_DW(iq3_xxs, gk_block_iq3_xxs, GK_QI_D_FIELD, 0.25f)
GK_QI_DW(iq3_s, gk_block_iq3_s, GK_QI_D_FIELD, 1.0f)
GK_QI_DW(tq1_0, gk_block_tq1_0, GK_QI_D_TQ1, 1.0f)
GK_QI_DW(iq1_s, gk_block_iq1_s, GK_QI_D_FIELD, 0.125f)
GK_QI_DW(iq1_m, gk_block_iq1_m, GK_QI_D_IQ1_M, 0.125f)

/* Four blocks' sums reduced to one int32 each, lane j from block j. */
static inline __m128i gk_qi_reduce4(__m256i s0, __m256i s1, __m256i s2, __m256i s3)
{
    const __m256i h = _mm256_hadd_epi32(_mm256_hadd_epi32(s0, s1), _mm256_hadd_epi32(s2, s3));
    return _mm_add_epi32(_mm256_castsi256_si128(h), _mm256_extracti128_si256(h, 1));
}

/* The scalar tier's acc[i % 4] += (d_w * d_x) * (float)isum with the four partial sums in the
 * lanes of one vector, then (acc[0] + acc[1]) + (acc[2] + acc[3]). */
#define GK_QI_ROW4_Q8K(fmt, wblock)                                                        \
    static float gk_qi_row_##fmt(const wblock *b, const gk_block_q8_k *x, size_t n_blocks) \
    {                                                                                      \
        __m128 acc = _mm_setzero_ps();                                                     \
        size_t i = 0;                                                                      \
        for (; i + 4 <= n_blocks; i += 4) {                                                \
            _mm_prefetch((const char *)&b[i] + 1024, _MM_HINT_T0);                         \
            _mm_prefetch((const char *)&b[i + 2] + 1024, _MM_HINT_T0);                     \
            const __m128i isum = gk_qi_reduce4(gk_qi_##fmt##_sums(&b[i], &x[i]),           \
                                               gk_qi_##fmt##_sums(&b[i + 1], &x[i + 1]),   \
                                               gk_qi_##fmt##_sums(&b[i + 2], &x[i + 2]),   \
                                               gk_qi_##fmt##_sums(&b[i + 3], &x[i + 3]));  \
            const __m128 d_x = _mm_setr_ps(x[i].d, x[i + 1].d, x[i + 2].d, x[i + 3].d);    \
            const __m128 d = _mm_mul_ps(gk_qi_##fmt##_dw4(&b[i]), d_x);                    \
            acc = _mm_add_ps(acc, _mm_mul_ps(d, _mm_cvtepi32_ps(isum)));                   \
        }                                                                                  \
        float lanes[4];                                                                    \
        _mm_storeu_ps(lanes, acc);                                                         \
        for (; i < n_blocks; i++)                                                          \
            lanes[i % 4] += gk_qi_##fmt##_dw(&b[i]) * x[i].d *                             \
                            (float)gk_qi_hsum_i32(gk_qi_##fmt##_sums(&b[i], &x[i]));       \
        return (lanes[0] + lanes[1]) + (lanes[2] + lanes[3]);                              \
    }
GK_QI_ROW4_Q8K(iq3_xxs, gk_block_iq3_xxs)
GK_QI_ROW4_Q8K(iq3_s, gk_block_iq3_s)
GK_QI_ROW4_Q8K(tq1_0, gk_block_tq1_0)
GK_QI_ROW4_Q8K(iq1_s, gk_block_iq1_s)
GK_QI_ROW4_Q8K(iq1_m, gk_block_iq1_m)

/* ---- the row loops: one weight row at a time (contiguous, streamed in one run) -------------- */

#define GK_QI_ROWS(fmt, wblock, xblock)                                                            \
    void gk_qdot_##fmt##_avx2(const void *w, size_t w_stride, const void *xq, size_t n_blocks,     \
                              float *y, size_t n_rows)                                             \
    {                                                                                              \
        for (size_t r = 0; r < n_rows; r++)                                                        \
            y[r] = gk_qi_row_##fmt((const wblock *)(const void *)((const char *)w + r * w_stride), \
                                   (const xblock *)xq, n_blocks);                                  \
    }

GK_QI_ROWS(iq4_nl, gk_block_iq4_nl, gk_block_q8_0)
GK_QI_ROWS(iq3_xxs, gk_block_iq3_xxs, gk_block_q8_k)
GK_QI_ROWS(iq3_s, gk_block_iq3_s, gk_block_q8_k)
GK_QI_ROWS(tq1_0, gk_block_tq1_0, gk_block_q8_k)
GK_QI_ROWS(iq1_s, gk_block_iq1_s, gk_block_q8_k)
GK_QI_ROWS(iq1_m, gk_block_iq1_m, gk_block_q8_k)
