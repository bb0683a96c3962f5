/* SPDX-License-Identifier: MIT */
/* AVX2 quantized dot products and activation quantizers (src/quant/qdot.h).
 *
 * Products of 8-bit codes go through vpmaddubsw (unsigned x signed bytes, pairs summed to
 * int16) and vpmaddwd (int16 pairs times a scale, summed to int32). vpmaddubsw saturates at
 * +-32767: with activation codes in -127..127 (every activation quantizer's range) and weight
 * magnitudes <= 128 a pair stays below 2 * 128 * 127 = 32512, so the sums are exact. */
#include <immintrin.h>
#include <string.h>

#include "core/half.h"
#include "quant/qdot.h"

static inline float gk_qa_h2f(gk_f16 h)
{
    return gk_f32_from_f16_bits(h.bits);
}

static inline int32_t gk_qa_hsum_i32(__m256i v)
{
    __m128i s = _mm_add_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
    s = _mm_add_epi32(s, _mm_shuffle_epi32(s, _MM_SHUFFLE(1, 0, 3, 2)));
    s = _mm_add_epi32(s, _mm_shuffle_epi32(s, _MM_SHUFFLE(2, 3, 0, 1)));
    return _mm_cvtsi128_si32(s);
}

static inline float gk_qa_hsum_f32(__m256 v)
{
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

/* Eight int32 sums of 4 products each of signed codes w and activation codes x: the sign of w is
 * moved onto x so that vpmaddubsw sees |w| as unsigned. */
static inline __m256i gk_qa_dot_s8(__m256i w, __m256i x)
{
    const __m256i products = _mm256_maddubs_epi16(_mm256_sign_epi8(w, w), _mm256_sign_epi8(x, w));
    return _mm256_madd_epi16(products, _mm256_set1_epi16(1));
}

/* The 32 four-bit codes of a Q4_0-style nibble array, element j < 16 the low nibble of qs[j] and
 * element j + 16 its high nibble, as unsigned bytes. */
static inline __m256i gk_qa_nibbles32(const uint8_t *qs)
{
    const __m128i q = _mm_loadu_si128((const __m128i *)qs);
    const __m128i low_mask = _mm_set1_epi8(0x0F);
    return _mm256_set_m128i(_mm_and_si128(_mm_srli_epi16(q, 4), low_mask),
                            _mm_and_si128(q, low_mask));
}

/* ---- 32-value formats against Q8_0 ------------------------------------------------------- */

/* Row loop of the 32-value kernels: one f32 partial sum per lane, (d_w d_x) times each block's
 * eight int32 sums; `codes` yields the weight block's 32 signed codes as a __m256i. */
#define GK_QA_ROW32(fmt, codes)                                                                \
    void gk_qdot_##fmt##_avx2(const void *w, size_t w_stride, const void *xq, size_t n_blocks, \
                              float *y, size_t n_rows)                                         \
    {                                                                                          \
        const gk_block_q8_0 *x = xq;                                                           \
        for (size_t r = 0; r < n_rows; r++) {                                                  \
            const gk_block_##fmt *b = (const void *)((const char *)w + r * w_stride);          \
            __m256 acc = _mm256_setzero_ps();                                                  \
            for (size_t i = 0; i < n_blocks; i++) {                                            \
                const __m256i sums =                                                           \
                    gk_qa_dot_s8((codes), _mm256_loadu_si256((const __m256i *)x[i].qs));       \
                const __m256 d = _mm256_set1_ps(gk_qa_h2f(b[i].d) * gk_qa_h2f(x[i].d));        \
                acc = _mm256_fmadd_ps(d, _mm256_cvtepi32_ps(sums), acc);                       \
            }                                                                                  \
            y[r] = gk_qa_hsum_f32(acc);                                                        \
        }                                                                                      \
    }

GK_QA_ROW32(q8_0, _mm256_loadu_si256((const __m256i *)b[i].qs))
GK_QA_ROW32(q4_0, _mm256_sub_epi8(gk_qa_nibbles32(b[i].qs), _mm256_set1_epi8(8)))

/* ---- K-quants against Q8_K: exact integer sums, then the shared f32 step ------------------- */

void gk_qdot_q4_k_avx2(
    const void *w, size_t w_stride, const void *xq, size_t n_blocks, float *y, size_t n_rows)
{
    const gk_block_q8_k *x = xq;
    const __m256i low_mask = _mm256_set1_epi8(0x0F);
    for (size_t r = 0; r < n_rows; r++) {
        const gk_block_q4_k *b = (const void *)((const char *)w + r * w_stride);
        float acc = 0.0f;
        for (size_t i = 0; i < n_blocks; i++) {
            __m256i isum_v = _mm256_setzero_si256();
            int32_t msum = 0;
            for (int p = 0; p < 4; p++) { /* sub-blocks 2p (low nibbles) and 2p + 1 (high) */
                uint8_t sc_lo, m_lo, sc_hi, m_hi;
                gk_q4k_scale_min(b[i].scales, 2 * p, &sc_lo, &m_lo);
                gk_q4k_scale_min(b[i].scales, 2 * p + 1, &sc_hi, &m_hi);
                const __m256i q = _mm256_loadu_si256((const __m256i *)(b[i].qs + 32 * p));
                const __m256i lo = _mm256_and_si256(q, low_mask);
                const __m256i hi = _mm256_and_si256(_mm256_srli_epi16(q, 4), low_mask);
                const __m256i x_lo = _mm256_loadu_si256((const __m256i *)(x[i].qs + 64 * p));
                const __m256i x_hi = _mm256_loadu_si256((const __m256i *)(x[i].qs + 64 * p + 32));
                const __m256i p_lo = _mm256_madd_epi16(_mm256_maddubs_epi16(lo, x_lo),
                                                       _mm256_set1_epi16((short)sc_lo));
                const __m256i p_hi = _mm256_madd_epi16(_mm256_maddubs_epi16(hi, x_hi),
                                                       _mm256_set1_epi16((short)sc_hi));
                isum_v = _mm256_add_epi32(isum_v, _mm256_add_epi32(p_lo, p_hi));
                msum += m_lo * (x[i].bsums[4 * p] + x[i].bsums[4 * p + 1]) +
                        m_hi * (x[i].bsums[4 * p + 2] + x[i].bsums[4 * p + 3]);
            }
            acc = gk_qdot_kquant_step(acc, gk_qa_h2f(b[i].d), gk_qa_h2f(b[i].dmin), x[i].d,
                                      gk_qa_hsum_i32(isum_v), msum);
        }
        y[r] = acc;
    }
}

/* Q6_K: per half h, four 32-value runs k of unsigned 6-bit codes (see qdot_scalar.c); each run
 * covers two groups of 16, whose scales multiply the run's two 128-bit halves. The -32 offset
 * of the codes is taken out at the end through the activation's group sums. */
void gk_qdot_q6_k_avx2(
    const void *w, size_t w_stride, const void *xq, size_t n_blocks, float *y, size_t n_rows)
{
    const gk_block_q8_k *x = xq;
    const __m256i low_mask = _mm256_set1_epi8(0x0F), two_bits = _mm256_set1_epi8(3);
    for (size_t r = 0; r < n_rows; r++) {
        const gk_block_q6_k *b = (const void *)((const char *)w + r * w_stride);
        float acc = 0.0f;
        for (size_t i = 0; i < n_blocks; i++) {
            __m256i isum_v = _mm256_setzero_si256();
            for (int h = 0; h < 2; h++) {
                const __m256i ql0 = _mm256_loadu_si256((const __m256i *)(b[i].ql + 64 * h));
                const __m256i ql1 = _mm256_loadu_si256((const __m256i *)(b[i].ql + 64 * h + 32));
                const __m256i qh = _mm256_loadu_si256((const __m256i *)(b[i].qh + 32 * h));
                const __m256i low[4] = {_mm256_and_si256(ql0, low_mask),
                                        _mm256_and_si256(ql1, low_mask),
                                        _mm256_and_si256(_mm256_srli_epi16(ql0, 4), low_mask),
                                        _mm256_and_si256(_mm256_srli_epi16(ql1, 4), low_mask)};
                for (int k = 0; k < 4; k++) {
                    const __m256i high = _mm256_and_si256(_mm256_srli_epi16(qh, 2 * k), two_bits);
                    const __m256i codes = _mm256_or_si256(low[k], _mm256_slli_epi16(high, 4));
                    const __m256i xv =
                        _mm256_loadu_si256((const __m256i *)(x[i].qs + 128 * h + 32 * k));
                    const int g = 8 * h + 2 * k;
                    const __m256i scales = _mm256_set_m128i(_mm_set1_epi16(b[i].scales[g + 1]),
                                                            _mm_set1_epi16(b[i].scales[g]));
                    isum_v = _mm256_add_epi32(
                        isum_v, _mm256_madd_epi16(_mm256_maddubs_epi16(codes, xv), scales));
                }
            }
            int32_t offset = 0;
            for (int g = 0; g < 16; g++)
                offset += b[i].scales[g] * x[i].bsums[g];
            acc = gk_qdot_kquant_step(acc, gk_qa_h2f(b[i].d), 0.0f, x[i].d,
                                      gk_qa_hsum_i32(isum_v) - 32 * offset, 0);
        }
        y[r] = acc;
    }
}

/* ---- activation quantizers, bit-exact with gk_quant_q8_0_scalar / gk_quant_q8_k_scalar ----- */

static inline __m256 gk_qa_abs(__m256 v)
{
    return _mm256_andnot_ps(_mm256_set1_ps(-0.0f), v);
}

static inline float gk_qa_hmax(__m256 v)
{
    __m128 m = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    m = _mm_max_ps(m, _mm_movehl_ps(m, m));
    m = _mm_max_ss(m, _mm_movehdup_ps(m));
    return _mm_cvtss_f32(m);
}

/* 32 int32 lanes (four vectors, in element order) narrowed to 32 int8 in element order. */
static inline __m256i gk_qa_pack_i8(__m256i a, __m256i b, __m256i c, __m256i d)
{
    const __m256i packed = _mm256_packs_epi16(_mm256_packs_epi32(a, b), _mm256_packs_epi32(c, d));
    return _mm256_permutevar8x32_epi32(packed, _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));
}

/* roundf (ties away from zero): adding the largest float below 1/2 with the value's sign, then
 * truncating, is exact for every float. */
static inline __m256i gk_qa_roundf(__m256 v)
{
    const __m256 half =
        _mm256_or_ps(_mm256_and_ps(v, _mm256_set1_ps(-0.0f)), _mm256_set1_ps(0x1.fffffep-2f));
    return _mm256_cvttps_epi32(_mm256_add_ps(v, half));
}

void gk_qact_q8_0_avx2(const float *x, void *xq, size_t n_blocks)
{
    gk_block_q8_0 *y = xq;
    for (size_t i = 0; i < n_blocks; i++, x += 32) {
        const __m256 v[4] = {_mm256_loadu_ps(x), _mm256_loadu_ps(x + 8), _mm256_loadu_ps(x + 16),
                             _mm256_loadu_ps(x + 24)};
        const __m256 m = _mm256_max_ps(_mm256_max_ps(gk_qa_abs(v[0]), gk_qa_abs(v[1])),
                                       _mm256_max_ps(gk_qa_abs(v[2]), gk_qa_abs(v[3])));
        const float d = gk_qa_hmax(m) / 127.0f;
        float id = d != 0.0f ? 1.0f / d : 0.0f;
        if (id - id != 0.0f) id = 0.0f; /* 1 / subnormal d overflowed: every code is 0 */
        y[i].d.bits = gk_f16_bits_from_f32(d);
        const __m256 idv = _mm256_set1_ps(id);
        const __m256i codes = gk_qa_pack_i8(
            gk_qa_roundf(_mm256_mul_ps(v[0], idv)), gk_qa_roundf(_mm256_mul_ps(v[1], idv)),
            gk_qa_roundf(_mm256_mul_ps(v[2], idv)), gk_qa_roundf(_mm256_mul_ps(v[3], idv)));
        _mm256_storeu_si256((__m256i *)y[i].qs, codes);
    }
}

void gk_qact_q8_k_avx2(const float *x, void *xq, size_t n_blocks)
{
    gk_block_q8_k *y = xq;
    for (size_t i = 0; i < n_blocks; i++, x += GK_QK_K) {
        __m256 m = _mm256_setzero_ps();
        for (int j = 0; j < GK_QK_K; j += 8)
            m = _mm256_max_ps(m, gk_qa_abs(_mm256_loadu_ps(x + j)));
        const float amax = gk_qa_hmax(m);
        memset(&y[i], 0, sizeof y[i]);
        if (amax == 0.0f) continue;
        /* the first element of largest magnitude, with its sign (the scalar quantizer's max) */
        float max = 0.0f;
        const __m256 amax_v = _mm256_set1_ps(amax);
        for (int j = 0; j < GK_QK_K; j += 8) {
            const __m256 xv = _mm256_loadu_ps(x + j);
            const int hits = _mm256_movemask_ps(_mm256_cmp_ps(gk_qa_abs(xv), amax_v, _CMP_EQ_OQ));
            if (hits) {
                max = x[j + __builtin_ctz((unsigned)hits)];
                break;
            }
        }
        const float iscale = -127.0f / max;
        const __m256 is_v = _mm256_set1_ps(iscale);
        const __m256i top = _mm256_set1_epi32(127), low_byte = _mm256_set1_epi32(0xFF);
        for (int j = 0; j < GK_QK_K; j += 32) {
            __m256i q[4];
            for (int u = 0; u < 4; u++) {
                /* gk_nearest_int's magic addition (also for the infinite products a subnormal
                 * max gives), at most 127, then the int8 conversion's low byte */
                const __m256 shifted =
                    _mm256_add_ps(_mm256_mul_ps(is_v, _mm256_loadu_ps(x + j + 8 * u)),
                                  _mm256_set1_ps(12582912.0f));
                const __m256i v = _mm256_sub_epi32(
                    _mm256_and_si256(_mm256_castps_si256(shifted), _mm256_set1_epi32(0x007FFFFF)),
                    _mm256_set1_epi32(0x00400000));
                q[u] = _mm256_and_si256(_mm256_min_epi32(v, top), low_byte);
            }
            /* lanes hold 0..255: the unsigned saturating packs keep them as they are */
            const __m256i codes =
                _mm256_permutevar8x32_epi32(_mm256_packus_epi16(_mm256_packus_epi32(q[0], q[1]),
                                                                _mm256_packus_epi32(q[2], q[3])),
                                            _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));
            _mm256_storeu_si256((__m256i *)(y[i].qs + j), codes);
            /* group sums of 16: widen to int16, add pairs, then the 8-element halves */
            const __m256i s16 = _mm256_maddubs_epi16(_mm256_set1_epi8(1), codes);
            const __m256i s32 = _mm256_madd_epi16(s16, _mm256_set1_epi16(1));
            /* s32 lanes: elements 4l..4l+3 of each 128-bit half; groups are 16 elements */
            int32_t lanes[8];
            _mm256_storeu_si256((__m256i *)lanes, s32);
            y[i].bsums[j / 16] = (int16_t)(lanes[0] + lanes[1] + lanes[2] + lanes[3]);
            y[i].bsums[j / 16 + 1] = (int16_t)(lanes[4] + lanes[5] + lanes[6] + lanes[7]);
        }
        const float d = 1.0f / iscale;
        memcpy(&y[i].d, &d, sizeof d);
    }
}
