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
#include "kernels/avx2/kquant_scales_x86.h"
#include "kernels/avx2/prefetch_x86.h"
#include "kernels/avx2/qdot_side_avx2.h"
#include "kernels/avx2/tq2_avx2.h"
#include "quant/iq.h"
#include "quant/qdot.h"

/* f16 -> f32 with F16C (exact, like gk_f32_from_f16_bits) */
static inline float gk_qa_h2f(gk_f16 h)
{
    return _cvtsh_ss(h.bits);
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

/* The 32 four-bit codes of a Q4_0-style nibble array, element j < 16 the low nibble of qs[j] and
 * element j + 16 its high nibble, as unsigned bytes. */
static inline __m256i gk_qa_nibbles32(const uint8_t *qs)
{
    /* the 16 bytes in both halves, the high half shifted by 4 bits: two operations after the load
     * instead of four (Q4_1 and Q5_0: 4-6% in cache) */
    const __m256i q = _mm256_broadcastsi128_si256(_mm_loadu_si128((const __m128i *)qs));
    return _mm256_and_si256(_mm256_srlv_epi32(q, _mm256_setr_epi32(0, 0, 0, 0, 4, 4, 4, 4)),
                            _mm256_set1_epi8(0x0F));
}

/* ---- the row driver: one weight row at a time ------------------------------------------------ */

/* Prefetches the weight block `bytes` long at b, 1 KiB ahead of the stream: one line per 64
 * bytes of the block, so that over a run of contiguous blocks every line is fetched (one
 * prefetch per 144-byte Q4_K block left every other line to the hardware prefetcher: 12.3
 * instead of 14.1 GB/s from DRAM at 1 thread). */
static inline void gk_qa_prefetch_block(const void *b, size_t bytes)
{
    gk_prefetch_lines((const char *)b + 1024, bytes);
}

/* Each kernel is a per-block step `gk_qa_<fmt>_block(weight block, activation block, acc)` on an
 * accumulator of type acc_t (x_per_block activation blocks per weight block). Rows go one at a
 * time: they are contiguous, so the weights stream from memory in one sequential run, with a
 * software prefetch 1 KiB ahead (interleaving two rows, tried first, streamed a third slower from
 * DRAM; see src/asm/x86_64/qdot_q32_avx2.S). */
#define GK_QA_ROWS(fmt, wblock, xblock, x_per_block, acc_t, zero, result)                      \
    void gk_qdot_##fmt##_avx2(const void *w, size_t w_stride, const void *xq, size_t n_blocks, \
                              float *y, size_t n_rows)                                         \
    {                                                                                          \
        const xblock *x = xq;                                                                  \
        for (size_t r = 0; r < n_rows; r++) {                                                  \
            const wblock *b = (const void *)((const char *)w + r * w_stride);                  \
            acc_t acc = zero;                                                                  \
            for (size_t i = 0; i < n_blocks; i++) {                                            \
                gk_qa_prefetch_block(&b[i], sizeof b[i]);                                      \
                acc = gk_qa_##fmt##_block(&b[i], &x[(x_per_block)*i], acc);                    \
            }                                                                                  \
            y[r] = result(acc);                                                                \
        }                                                                                      \
    }
#define GK_QA_SAME(acc) (acc)

/* ---- Q4_0 and Q5_0 against Q8_0: unsigned codes and the side table -------------------------
 * Per block the int32 lane sums of (u - z) x through the side table (qdot_side_avx2.h), times
 * (d_w d_x) in f32, added to one of two f32 partial sums per lane (even and odd blocks; one chain
 * of FMAs bound the loop), the two added after each chunk of GK_QA_SIDE_BLOCKS blocks and the
 * lanes summed at the end of the row (gk_qa_hsum_f32). */

/* The side table of activation blocks x[0, n_blocks) for the offset z = 1 << z_shift. */
static void
gk_qa_side_fill(struct gk_qa_side *side, const gk_block_q8_0 *x, size_t n_blocks, int z_shift)
{
    const __m256i ones = _mm256_set1_epi8(1);
    const __m128i shift = _mm_cvtsi32_si128(z_shift);
    for (size_t i = 0; i < n_blocks; i++) {
        const __m256i codes = _mm256_loadu_si256((const __m256i *)x[i].qs);
        side->block[i].codes = codes;
        side->block[i].offsets = _mm256_sll_epi16(_mm256_maddubs_epi16(ones, codes), shift);
        side->d_x[i] = gk_qa_h2f(x[i].d);
    }
}

/* The kernel for a format whose rows_fn adds a chunk's lane sums to rows' lanes: the side table
 * a chunk of blocks at a time, for groups of up to 16 rows (the qgemm tile), whose partial sums
 * wait in `lanes` between chunks. */
static void gk_qa_side_run(gk_qa_side_rows *rows_fn,
                           int z_shift,
                           size_t block_bytes,
                           const void *w,
                           size_t w_stride,
                           const void *xq,
                           size_t n_blocks,
                           float *y,
                           size_t n_rows)
{
    enum { GROUP = 16 };

    struct gk_qa_side side;
    __m256 lanes[GROUP];
    const gk_block_q8_0 *x = xq;
    for (size_t r0 = 0; r0 < n_rows; r0 += GROUP) {
        const size_t rows = n_rows - r0 < GROUP ? n_rows - r0 : GROUP;
        for (size_t r = 0; r < rows; r++)
            lanes[r] = _mm256_setzero_ps();
        for (size_t i0 = 0; i0 < n_blocks; i0 += GK_QA_SIDE_BLOCKS) {
            const size_t nb = n_blocks - i0 < GK_QA_SIDE_BLOCKS ? n_blocks - i0 : GK_QA_SIDE_BLOCKS;
            gk_qa_side_fill(&side, x + i0, nb, z_shift);
            rows_fn((const char *)w + r0 * w_stride + i0 * block_bytes, w_stride, &side, nb, lanes,
                    rows);
        }
        for (size_t r = 0; r < rows; r++)
            y[r0 + r] = gk_qa_hsum_f32(lanes[r]);
    }
}

/* Q4_0: z = 8, the rows in src/asm/x86_64/qdot_q32_avx2.S */
void gk_qdot_q4_0_avx2(
    const void *w, size_t w_stride, const void *xq, size_t n_blocks, float *y, size_t n_rows)
{
    gk_qa_side_run(gk_qdot_q4_0_rows_avx2, 3, sizeof(gk_block_q4_0), w, w_stride, xq, n_blocks, y,
                   n_rows);
}

/* Q8_0: the rows in src/asm/x86_64/qdot_q32_avx2.S (signed codes: the sign trick, no offsets) */
void gk_qdot_q8_0_avx2(
    const void *w, size_t w_stride, const void *xq, size_t n_blocks, float *y, size_t n_rows)
{
    gk_qa_side_run(gk_qdot_q8_0_rows_avx2, 0, sizeof(gk_block_q8_0), w, w_stride, xq, n_blocks, y,
                   n_rows);
}

/* Byte j = 0x10 where bit j of `bits` is set, else 0: Q5_0 / Q5_1's fifth bits in place. */
static inline __m256i gk_qa_fifth_bits(const uint8_t qh[4])
{
    uint32_t bits;
    memcpy(&bits, qh, sizeof bits);
    /* byte j of the result looks at byte j / 8 of the word (shuffles stay in their 128-bit lane:
     * the low lane reads bytes 0 and 1, the high lane bytes 2 and 3 of its own copy) */
    const __m256i spread =
        _mm256_shuffle_epi8(_mm256_set1_epi32((int)bits),
                            _mm256_setr_epi8(0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2,
                                             2, 2, 2, 2, 2, 2, 3, 3, 3, 3, 3, 3, 3, 3));
    const __m256i bit = _mm256_set1_epi64x((long long)0x8040201008040201ull);
    return _mm256_and_si256(_mm256_cmpeq_epi8(_mm256_and_si256(spread, bit), bit),
                            _mm256_set1_epi8(0x10));
}

/* acc + f16(d_w) d_x times the int32 lane sums of Q5_0 block b against side block i */
static inline __m256
gk_qa_q5_0_block(const gk_block_q5_0 *b, const struct gk_qa_side *side, size_t i, __m256 acc)
{
    const __m256i u = _mm256_or_si256(gk_qa_nibbles32(b->qs), gk_qa_fifth_bits(b->qh));
    const __m256i pairs =
        _mm256_sub_epi16(_mm256_maddubs_epi16(u, side->block[i].codes), side->block[i].offsets);
    const __m256i sums = _mm256_madd_epi16(pairs, _mm256_set1_epi16(1));
    const __m256 d = _mm256_set1_ps(gk_qa_h2f(b->d) * side->d_x[i]);
    return _mm256_fmadd_ps(d, _mm256_cvtepi32_ps(sums), acc);
}

static void gk_qa_q5_0_rows(const void *w,
                            size_t w_stride,
                            const struct gk_qa_side *side,
                            size_t n_blocks,
                            __m256 *lanes,
                            size_t n_rows)
{
    for (size_t r = 0; r < n_rows; r++) {
        const gk_block_q5_0 *b = (const void *)((const char *)w + r * w_stride);
        __m256 even = lanes[r], odd = _mm256_setzero_ps();
        size_t i = 0;
        for (; i + 2 <= n_blocks; i += 2) {
            gk_qa_prefetch_block(&b[i], 2 * sizeof b[i]);
            even = gk_qa_q5_0_block(&b[i], side, i, even);
            odd = gk_qa_q5_0_block(&b[i + 1], side, i + 1, odd);
        }
        if (i < n_blocks) even = gk_qa_q5_0_block(&b[i], side, i, even);
        lanes[r] = _mm256_add_ps(even, odd);
    }
}

/* Q5_0: z = 16 */
void gk_qdot_q5_0_avx2(
    const void *w, size_t w_stride, const void *xq, size_t n_blocks, float *y, size_t n_rows)
{
    gk_qa_side_run(gk_qa_q5_0_rows, 4, sizeof(gk_block_q5_0), w, w_stride, xq, n_blocks, y, n_rows);
}

/* Q4_1 / Q5_1 against Q8_1: unsigned codes, and the min's term m_w s_x (s_x = d_x sum(x)) in
 * lane 1 of a second accumulator beside the lanes (its other lanes are not used). */
struct gk_qa_acc_min {
    __m256 lanes;
    __m128 mins;
};

/* w_block: a Q4_1 or Q5_1 block, which starts with its f16 d and m; x starts with d and s. Each
 * pair is widened by one conversion straight from memory (the 8 bytes at the block's start:
 * lanes 2 and 3 are code bytes, never used) and both products taken by one multiplication: the
 * same f32 operations as four conversions and two products one by one. Measured on Zen 3: one
 * conversion of the four halves gathered in a register was +10-15% in cache over four; two from
 * memory, with the mins as a vector lane, +9-10% over that (W 128 x 4096 in L2), +8-10% from
 * DRAM. */
static inline struct gk_qa_acc_min
gk_qa_block32_min(const void *w_block, __m256i u, const gk_block_q8_1 *x, struct gk_qa_acc_min acc)
{
    const __m256i products = _mm256_maddubs_epi16(u, _mm256_loadu_si256((const __m256i *)x->qs));
    const __m256i sums = _mm256_madd_epi16(products, _mm256_set1_epi16(1));
    const __m128 w_dm = _mm_cvtph_ps(_mm_loadl_epi64((const __m128i *)w_block)); /* d_w, m_w */
    const __m128 x_ds = _mm_cvtph_ps(_mm_loadl_epi64((const __m128i *)x));       /* d_x, s_x */
    const __m128 p = _mm_mul_ps(w_dm, x_ds); /* d_w d_x, m_w s_x */
    acc.lanes = _mm256_fmadd_ps(_mm256_broadcastss_ps(p), _mm256_cvtepi32_ps(sums), acc.lanes);
    acc.mins = _mm_add_ps(acc.mins, p);
    return acc;
}

static inline struct gk_qa_acc_min
gk_qa_q4_1_block(const gk_block_q4_1 *b, const gk_block_q8_1 *x, struct gk_qa_acc_min acc)
{
    return gk_qa_block32_min(b, gk_qa_nibbles32(b->qs), x, acc);
}

static inline struct gk_qa_acc_min
gk_qa_q5_1_block(const gk_block_q5_1 *b, const gk_block_q8_1 *x, struct gk_qa_acc_min acc)
{
    const __m256i codes = _mm256_or_si256(gk_qa_nibbles32(b->qs), gk_qa_fifth_bits(b->qh));
    return gk_qa_block32_min(b, codes, x, acc);
}

static inline float gk_qa_acc_min_result(struct gk_qa_acc_min acc)
{
    return gk_qa_hsum_f32(acc.lanes) + _mm_cvtss_f32(_mm_movehdup_ps(acc.mins));
}

#define GK_QA_ACC_MIN_ZERO ((struct gk_qa_acc_min){_mm256_setzero_ps(), _mm_setzero_ps()})
GK_QA_ROWS(q4_1,
           gk_block_q4_1,
           gk_block_q8_1,
           1,
           struct gk_qa_acc_min,
           GK_QA_ACC_MIN_ZERO,
           gk_qa_acc_min_result)
GK_QA_ROWS(q5_1,
           gk_block_q5_1,
           gk_block_q8_1,
           1,
           struct gk_qa_acc_min,
           GK_QA_ACC_MIN_ZERO,
           gk_qa_acc_min_result)

/* ---- K-quants against Q8_K: exact integer sums, then the shared f32 step ------------------- */

/* A K-quant block's integer part: the lanes of isum and of msum (or of the codes' offset sum,
 * Q6_K and Q3_K), and the f32 scales of its step. */
struct gk_qa_kblock {
    __m256i isum, msum;
    float d_w, dmin_w, d_x;
};

/* The block's f32 step on acc (gk_qdot_kquant_step): with offset_mult, msum is the codes' offset
 * sum and the step takes isum - offset_mult * msum and no min. */
static inline float gk_qa_kblock_step(float acc, struct gk_qa_kblock k, const int32_t offset_mult)
{
    const int32_t isum = gk_qa_hsum_i32(k.isum), msum = gk_qa_hsum_i32(k.msum);
    if (offset_mult)
        return gk_qdot_kquant_step(acc, k.d_w, 0.0f, k.d_x, isum - offset_mult * msum, 0);
    return gk_qdot_kquant_step(acc, k.d_w, k.dmin_w, k.d_x, isum, msum);
}

/* Rows of a K-quant format through gk_qa_<fmt>_sums: each block's reduction and f32 step come
 * after the next block's integer sums, so that the out-of-order window overlaps their chain of
 * dependent operations with independent work (as src/asm/x86_64/qdot_q4_k_avx2.S). */
#define GK_QA_ROWS_PIPED(fmt, wblock, offset_mult)                                             \
    void gk_qdot_##fmt##_avx2(const void *w, size_t w_stride, const void *xq, size_t n_blocks, \
                              float *y, size_t n_rows)                                         \
    {                                                                                          \
        const gk_block_q8_k *x = xq;                                                           \
        for (size_t r = 0; r < n_rows; r++) {                                                  \
            const wblock *b = (const void *)((const char *)w + r * w_stride);                  \
            float acc = 0.0f;                                                                  \
            struct gk_qa_kblock prev;                                                          \
            for (size_t i = 0; i < n_blocks; i++) {                                            \
                gk_qa_prefetch_block(&b[i], sizeof b[i]);                                      \
                const struct gk_qa_kblock cur = gk_qa_##fmt##_sums(&b[i], &x[i]);              \
                if (i) acc = gk_qa_kblock_step(acc, prev, offset_mult);                        \
                prev = cur;                                                                    \
            }                                                                                  \
            if (n_blocks) acc = gk_qa_kblock_step(acc, prev, offset_mult);                     \
            y[r] = acc;                                                                        \
        }                                                                                      \
    }

/* Shuffle masks that copy int16 lane j of a 128-bit lane into all its eight int16 lanes. */
static inline __m256i gk_qa_broadcast16_mask(int j)
{
    return _mm256_set1_epi16((short)((2 * j + 1) << 8 | 2 * j));
}

/* Bits s.. of every byte of v moved to bits t.. and kept where `mask` has them (Q3_K's third bit:
 * t = 2, mask 0x04; Q5_K's fifth: t = 4, 0x10; Q6_K's two high bits: t = 4, 0x30), the other
 * bits cleared: one shift of the 16-bit lanes (what crosses into the next byte lands outside the
 * mask) and one and, instead of a shift, an and and a shift back. */
static inline __m256i gk_qa_bits_to(__m256i v, int s, int t, char mask)
{
    const __m256i moved = s <= t ? _mm256_slli_epi16(v, t - s) : _mm256_srli_epi16(v, s - t);
    return _mm256_and_si256(moved, _mm256_set1_epi8(mask));
}

/* The unsigned codes of Q4_K / Q5_K sub-blocks 2p (*lo) and 2p + 1 (*hi): the low and high
 * nibbles of qs[32 p + l], plus for Q5_K (qh not NULL) bits 2p and 2p + 1 of qh[l] as the fifth
 * bit. */
static inline void
gk_qa_q45_k_codes(const uint8_t *qs, const uint8_t *qh, int p, __m256i *lo, __m256i *hi)
{
    const __m256i low_mask = _mm256_set1_epi8(0x0F);
    const __m256i q = _mm256_loadu_si256((const __m256i *)(qs + 32 * p));
    *lo = _mm256_and_si256(q, low_mask);
    *hi = _mm256_and_si256(_mm256_srli_epi16(q, 4), low_mask);
    if (qh) {
        const __m256i bits = _mm256_loadu_si256((const __m256i *)qh);
        *lo = _mm256_or_si256(*lo, gk_qa_bits_to(bits, 2 * p, 4, 0x10));
        *hi = _mm256_or_si256(*hi, gk_qa_bits_to(bits, 2 * p + 1, 4, 0x10));
    }
}

/* Q4_K and Q5_K: sub-block 2p takes the low nibbles of qs[32 p + l], 2p + 1 the high ones;
 * Q5_K adds bit s of qh[l] as the fifth bit of sub-block s (qh NULL for Q4_K). */
static inline struct gk_qa_kblock gk_qa_q45_k(gk_f16 d,
                                              gk_f16 dmin,
                                              const uint8_t scales[12],
                                              const uint8_t *qs,
                                              const uint8_t *qh,
                                              const gk_block_q8_k *x)
{
    const __m128i sm = gk_x86_q4k_scales_mins(scales);
    /* the scales as int16 in both 128-bit lanes, for broadcasting one at a time */
    const __m256i scales16 = _mm256_broadcastsi128_si256(_mm_cvtepu8_epi16(sm));
    /* each min twice, against the pair of 16-value activation sums of its sub-block */
    const __m256i mins16 = _mm256_cvtepu8_epi16(_mm_unpackhi_epi8(sm, sm));
    const __m256i bsums = _mm256_loadu_si256((const __m256i *)x->bsums);
    __m256i isum_v = _mm256_setzero_si256();
    for (int p = 0; p < 4; p++) { /* sub-blocks 2p (low nibbles) and 2p + 1 (high) */
        __m256i lo, hi;
        gk_qa_q45_k_codes(qs, qh, p, &lo, &hi);
        const __m256i x_lo = _mm256_loadu_si256((const __m256i *)(x->qs + 64 * p));
        const __m256i x_hi = _mm256_loadu_si256((const __m256i *)(x->qs + 64 * p + 32));
        const __m256i p_lo =
            _mm256_madd_epi16(_mm256_maddubs_epi16(lo, x_lo),
                              _mm256_shuffle_epi8(scales16, gk_qa_broadcast16_mask(2 * p)));
        const __m256i p_hi =
            _mm256_madd_epi16(_mm256_maddubs_epi16(hi, x_hi),
                              _mm256_shuffle_epi8(scales16, gk_qa_broadcast16_mask(2 * p + 1)));
        isum_v = _mm256_add_epi32(isum_v, _mm256_add_epi32(p_lo, p_hi));
    }
    return (struct gk_qa_kblock){isum_v, _mm256_madd_epi16(bsums, mins16), gk_qa_h2f(d),
                                 gk_qa_h2f(dmin), x->d};
}

static inline struct gk_qa_kblock gk_qa_q5_k_sums(const gk_block_q5_k *b, const gk_block_q8_k *x)
{
    return gk_qa_q45_k(b->d, b->dmin, b->scales, b->qs, b->qh, x);
}

GK_QA_ROWS_PIPED(q5_k, gk_block_q5_k, 0)

/* Four tokens per pass (GK_QDOT4 in src/quant/qdot.h): a Q4_K / Q5_K block's codes and scales
 * are decoded once for the four activation rows. Per token the integer sums are those of
 * gk_qa_q45_k; the four tokens' sums are reduced together (vphaddd) and the f32 step runs on
 * four lanes, operation for operation gk_qdot_kquant_step's, so each lane has the bits of the
 * single-token kernel. */
/* Token t's exact sum of the eight int32 lanes of v[t] in lane t: pairwise adds of lanes, then
 * the two 128-bit halves. */
static inline __m128i gk_qa4_sums(const __m256i v[GK_QDOT4_TOKENS])
{
    const __m256i h =
        _mm256_hadd_epi32(_mm256_hadd_epi32(v[0], v[1]), _mm256_hadd_epi32(v[2], v[3]));
    return _mm_add_epi32(_mm256_castsi256_si128(h), _mm256_extracti128_si256(h, 1));
}

/* A K-quant block's sums for four tokens (lane t: token t) and the scales of its f32 step. */
struct gk_qa4_kblock {
    __m128i isum, msum;
    __m128 d_x;
    float d_w, dmin_w;
};

static inline struct gk_qa4_kblock gk_qa4_kblock_of(float d_w,
                                                    float dmin_w,
                                                    const gk_block_q8_k *const x[GK_QDOT4_TOKENS],
                                                    __m128i isum,
                                                    __m128i msum)
{
    return (struct gk_qa4_kblock){isum, msum, _mm_setr_ps(x[0]->d, x[1]->d, x[2]->d, x[3]->d), d_w,
                                  dmin_w};
}

/* gk_qdot_kquant_step on four lanes, one token each: each lane has the scalar step's bits. */
static inline __m128 gk_qa4_kblock_step(__m128 acc, struct gk_qa4_kblock k)
{
    const __m128 scaled =
        _mm_mul_ps(_mm_mul_ps(_mm_set1_ps(k.d_w), k.d_x), _mm_cvtepi32_ps(k.isum));
    const __m128 mins =
        _mm_mul_ps(_mm_mul_ps(_mm_set1_ps(k.dmin_w), k.d_x), _mm_cvtepi32_ps(k.msum));
    return _mm_add_ps(acc, _mm_sub_ps(scaled, mins));
}

static inline struct gk_qa4_kblock gk_qa_q45_k_tokens(gk_f16 d,
                                                      gk_f16 dmin,
                                                      const uint8_t scales[12],
                                                      const uint8_t *qs,
                                                      const uint8_t *qh,
                                                      const gk_block_q8_k *const x[GK_QDOT4_TOKENS])
{
    const __m128i sm = gk_x86_q4k_scales_mins(scales);
    const __m256i scales16 = _mm256_broadcastsi128_si256(_mm_cvtepu8_epi16(sm));
    const __m256i mins16 = _mm256_cvtepu8_epi16(_mm_unpackhi_epi8(sm, sm));
    __m256i isum[GK_QDOT4_TOKENS];
    for (int t = 0; t < GK_QDOT4_TOKENS; t++)
        isum[t] = _mm256_setzero_si256();
    for (int p = 0; p < 4; p++) {
        __m256i lo, hi;
        gk_qa_q45_k_codes(qs, qh, p, &lo, &hi);
        const __m256i s_lo = _mm256_shuffle_epi8(scales16, gk_qa_broadcast16_mask(2 * p));
        const __m256i s_hi = _mm256_shuffle_epi8(scales16, gk_qa_broadcast16_mask(2 * p + 1));
        for (int t = 0; t < GK_QDOT4_TOKENS; t++) {
            const __m256i x_lo = _mm256_loadu_si256((const __m256i *)(x[t]->qs + 64 * p));
            const __m256i x_hi = _mm256_loadu_si256((const __m256i *)(x[t]->qs + 64 * p + 32));
            const __m256i p_lo = _mm256_madd_epi16(_mm256_maddubs_epi16(lo, x_lo), s_lo);
            const __m256i p_hi = _mm256_madd_epi16(_mm256_maddubs_epi16(hi, x_hi), s_hi);
            isum[t] = _mm256_add_epi32(isum[t], _mm256_add_epi32(p_lo, p_hi));
        }
        /* keeps the sums in registers: without it GCC 12 spilled them (m = 32, 1 thread: Q4_K +11%,
         * Q5_K +6%; the same for Q6_K and IQ4_XS gained nothing or lost) */
        for (int t = 0; t < GK_QDOT4_TOKENS; t++)
            __asm__("" : "+x"(isum[t]));
    }
    __m256i msum[GK_QDOT4_TOKENS];
    for (int t = 0; t < GK_QDOT4_TOKENS; t++)
        msum[t] = _mm256_madd_epi16(_mm256_loadu_si256((const __m256i *)x[t]->bsums), mins16);
    return gk_qa4_kblock_of(gk_qa_h2f(d), gk_qa_h2f(dmin), x, gk_qa4_sums(isum), gk_qa4_sums(msum));
}

/* The four-token row driver of the K-quant formats: `gk_qa4_<fmt>_sums(weight block, the four
 * tokens' activation blocks)` per block, each block's f32 step after the next block's sums (as
 * GK_QA_ROWS_PIPED), the four tokens' results in the lanes of one accumulator. */
#define GK_QA_ROWS4(fmt, wblock)                                                                 \
    void gk_qdot4_##fmt##_avx2(const void *w, size_t w_stride, const void *xq, size_t xq_stride, \
                               size_t n_blocks, float *y, size_t ldy, size_t n_rows)             \
    {                                                                                            \
        for (size_t r = 0; r < n_rows; r++) {                                                    \
            const wblock *b = (const void *)((const char *)w + r * w_stride);                    \
            __m128 acc = _mm_setzero_ps();                                                       \
            struct gk_qa4_kblock prev;                                                           \
            for (size_t i = 0; i < n_blocks; i++) {                                              \
                gk_qa_prefetch_block(&b[i], sizeof b[i]);                                        \
                const gk_block_q8_k *x[GK_QDOT4_TOKENS];                                         \
                for (int t = 0; t < GK_QDOT4_TOKENS; t++)                                        \
                    x[t] = (const gk_block_q8_k *)((const char *)xq + t * xq_stride) + i;        \
                const struct gk_qa4_kblock cur = gk_qa4_##fmt##_sums(&b[i], x);                  \
                if (i) acc = gk_qa4_kblock_step(acc, prev);                                      \
                prev = cur;                                                                      \
            }                                                                                    \
            if (n_blocks) acc = gk_qa4_kblock_step(acc, prev);                                   \
            float out[GK_QDOT4_TOKENS];                                                          \
            _mm_storeu_ps(out, acc);                                                             \
            for (int t = 0; t < GK_QDOT4_TOKENS; t++)                                            \
                y[t * ldy + r] = out[t];                                                         \
        }                                                                                        \
    }

static inline struct gk_qa4_kblock gk_qa4_q4_k_sums(const gk_block_q4_k *b,
                                                    const gk_block_q8_k *const x[GK_QDOT4_TOKENS])
{
    return gk_qa_q45_k_tokens(b->d, b->dmin, b->scales, b->qs, NULL, x);
}

static inline struct gk_qa4_kblock gk_qa4_q5_k_sums(const gk_block_q5_k *b,
                                                    const gk_block_q8_k *const x[GK_QDOT4_TOKENS])
{
    return gk_qa_q45_k_tokens(b->d, b->dmin, b->scales, b->qs, b->qh, x);
}

GK_QA_ROWS4(q4_k, gk_block_q4_k)
GK_QA_ROWS4(q5_k, gk_block_q5_k)

/* The signed codes w of a Q8_0, Q4_0 or Q5_0 block (every one starts with its f16 d_w). */
static inline __m256i gk_qa_q8_0_codes(const void *block)
{
    return _mm256_loadu_si256((const __m256i *)((const gk_block_q8_0 *)block)->qs);
}

static inline __m256i gk_qa_q4_0_codes(const void *block)
{
    return _mm256_sub_epi8(gk_qa_nibbles32(((const gk_block_q4_0 *)block)->qs),
                           _mm256_set1_epi8(8));
}

static inline __m256i gk_qa_q5_0_codes(const void *block)
{
    const gk_block_q5_0 *b = block;
    return _mm256_sub_epi8(_mm256_or_si256(gk_qa_nibbles32(b->qs), gk_qa_fifth_bits(b->qh)),
                           _mm256_set1_epi8(16));
}

/* sum[t] += (d_w d_x[t]) times the int32 lane sums of block b (at index i of every token's
 * activation) with token t, for the four tokens: |w| and d_w once, the sign trick per token (the
 * int32 sums of (u - z) x are exact whether formed from u or from w). */
static inline __attribute__((always_inline)) void gk_qa4_q32_block(__m256i (*codes)(const void *),
                                                                   const void *b,
                                                                   const void *xq,
                                                                   size_t xq_stride,
                                                                   size_t i,
                                                                   const float *d_x,
                                                                   __m256 *sum)
{
    const __m256i wv = codes(b);
    const __m256i w_abs = _mm256_sign_epi8(wv, wv);
    gk_f16 d_w;
    memcpy(&d_w, b, sizeof d_w);
    const __m256 d_w_v = _mm256_set1_ps(gk_qa_h2f(d_w));
    for (int t = 0; t < GK_QDOT4_TOKENS; t++) {
        const gk_block_q8_0 *x = (const gk_block_q8_0 *)((const char *)xq + t * xq_stride) + i;
        const __m256i xv = _mm256_loadu_si256((const __m256i *)x->qs);
        const __m256i sums = _mm256_madd_epi16(
            _mm256_maddubs_epi16(w_abs, _mm256_sign_epi8(xv, wv)), _mm256_set1_epi16(1));
        sum[t] = _mm256_fmadd_ps(_mm256_mul_ps(d_w_v, _mm256_broadcast_ss(&d_x[t])),
                                 _mm256_cvtepi32_ps(sums), sum[t]);
    }
}

/* The 32-value formats against Q8_0, four tokens per pass (gk_qa4_q32_block), each token with
 * the steps of the one-token kernel: two f32 partial sums per lane and token, for the even and the
 * odd blocks, added at the end of each chunk of GK_QA_SIDE_BLOCKS blocks as gk_qa_side_run's rows
 * do, the same horizontal sum at the end; so each token gets the one-token kernel's bits. The
 * activation scales are widened once per chunk for a group of rows (whose partial sums wait in
 * `lanes`), so that a block costs one f16 widening for d_w and a multiply per token. */
static inline __attribute__((always_inline)) void gk_qa4_q32(__m256i (*codes)(const void *block),
                                                             size_t block_bytes,
                                                             const void *w,
                                                             size_t w_stride,
                                                             const void *xq,
                                                             size_t xq_stride,
                                                             size_t n_blocks,
                                                             float *y,
                                                             size_t ldy,
                                                             size_t n_rows)
{
    enum { CHUNK = GK_QA_SIDE_BLOCKS, GROUP = 16, T = GK_QDOT4_TOKENS };

    float d_x[CHUNK][T];
    __m256 lanes[GROUP][T];
    for (size_t r0 = 0; r0 < n_rows; r0 += GROUP) {
        const size_t rows = n_rows - r0 < GROUP ? n_rows - r0 : GROUP;
        for (size_t r = 0; r < rows; r++)
            for (int t = 0; t < T; t++)
                lanes[r][t] = _mm256_setzero_ps();
        for (size_t i0 = 0; i0 < n_blocks; i0 += CHUNK) {
            const size_t nb = n_blocks - i0 < CHUNK ? n_blocks - i0 : CHUNK;
            for (size_t i = 0; i < nb; i++)
                for (int t = 0; t < T; t++)
                    d_x[i][t] = gk_qa_h2f(
                        ((const gk_block_q8_0 *)((const char *)xq + t * xq_stride))[i0 + i].d);
            for (size_t r = 0; r < rows; r++) {
                const char *row = (const char *)w + (r0 + r) * w_stride;
                __m256 even[T], odd[T];
                for (int t = 0; t < T; t++) {
                    even[t] = lanes[r][t];
                    odd[t] = _mm256_setzero_ps();
                }
                size_t i = 0;
                for (; i + 2 <= nb; i += 2) {
                    const char *b = row + (i0 + i) * block_bytes;
                    gk_qa_prefetch_block(b, 2 * block_bytes);
                    gk_qa4_q32_block(codes, b, xq, xq_stride, i0 + i, d_x[i], even);
                    gk_qa4_q32_block(codes, b + block_bytes, xq, xq_stride, i0 + i + 1, d_x[i + 1],
                                     odd);
                }
                if (i < nb) {
                    const char *b = row + (i0 + i) * block_bytes;
                    gk_qa_prefetch_block(b, block_bytes);
                    gk_qa4_q32_block(codes, b, xq, xq_stride, i0 + i, d_x[i], even);
                }
                for (int t = 0; t < T; t++)
                    lanes[r][t] = _mm256_add_ps(even[t], odd[t]);
            }
        }
        for (size_t r = 0; r < rows; r++)
            for (int t = 0; t < T; t++)
                y[t * ldy + r0 + r] = gk_qa_hsum_f32(lanes[r][t]);
    }
}

#define GK_QA4_Q32(fmt)                                                                          \
    void gk_qdot4_##fmt##_avx2(const void *w, size_t w_stride, const void *xq, size_t xq_stride, \
                               size_t n_blocks, float *y, size_t ldy, size_t n_rows)             \
    {                                                                                            \
        gk_qa4_q32(gk_qa_##fmt##_codes, sizeof(gk_block_##fmt), w, w_stride, xq, xq_stride,      \
                   n_blocks, y, ldy, n_rows);                                                    \
    }
GK_QA4_Q32(q8_0)
GK_QA4_Q32(q4_0)
GK_QA4_Q32(q5_0)
#undef GK_QA4_Q32

/* Q4_K and Q8_K: the hand-written kernels, src/asm/x86_64/qdot_q4_k_avx2.S and qdot_q8_k_avx2.S */

/* The scales of a 32-value run whose first 16 values belong to the group of int16 lane 2k of
 * lane_scales and the last 16 to lane 2k + 1 (lane_scales holds the same eight group scales in
 * both 128-bit halves), each broadcast over its 128-bit half. */
static inline __m256i gk_qa_run_scales(__m256i lane_scales, int k)
{
    const __m256i pick = _mm256_set_m128i(_mm_set1_epi16((short)((4 * k + 3) << 8 | (4 * k + 2))),
                                          _mm_set1_epi16((short)((4 * k + 1) << 8 | (4 * k))));
    return _mm256_shuffle_epi8(lane_scales, pick);
}

/* Such a run of unsigned codes u against activation bytes x: eight int32 sums of
 * scale * u * x. */
static inline __m256i gk_qa_run16x2(__m256i u, __m256i x, __m256i lane_scales, int k)
{
    return _mm256_madd_epi16(_mm256_maddubs_epi16(u, x), gk_qa_run_scales(lane_scales, k));
}

/* The sixteen int16 scales of a super-block's groups split by halves: [0] holds groups 0..7 in
 * both 128-bit lanes, [1] groups 8..15. */
static inline void gk_qa_group_lanes(__m256i sc16, __m256i lanes[2])
{
    lanes[0] = _mm256_permute2x128_si256(sc16, sc16, 0x00);
    lanes[1] = _mm256_permute2x128_si256(sc16, sc16, 0x11);
}

/* Each token's int32 lane sums of scale * u * x over a Q2_K / Q3_K block, `tokens` activation
 * rows (1, or GK_QDOT4_TOKENS for the four-token kernels: each run's unsigned codes u, with
 * Q3_K's third bit when hmask is given, and its scales decoded once for all of them). */
static inline __attribute__((always_inline)) void gk_qa_q23_k_isums(const uint8_t *qs,
                                                                    const uint8_t *hmask,
                                                                    __m256i sc16,
                                                                    const gk_block_q8_k *const *x,
                                                                    const int tokens,
                                                                    __m256i *isum)
{
    __m256i lanes[2];
    gk_qa_group_lanes(sc16, lanes);
    const __m256i hm = hmask ? _mm256_loadu_si256((const __m256i *)hmask) : _mm256_setzero_si256();
    for (int t = 0; t < tokens; t++)
        isum[t] = _mm256_setzero_si256();
    for (int half = 0; half < 2; half++) {
        const __m256i q = _mm256_loadu_si256((const __m256i *)(qs + 32 * half));
        for (int k = 0; k < 4; k++) {
            __m256i u = _mm256_and_si256(_mm256_srli_epi16(q, 2 * k), _mm256_set1_epi8(3));
            if (hmask) u = _mm256_or_si256(u, gk_qa_bits_to(hm, 4 * half + k, 2, 0x04));
            const __m256i scales = gk_qa_run_scales(lanes[half], k);
            for (int t = 0; t < tokens; t++) {
                const __m256i xv =
                    _mm256_loadu_si256((const __m256i *)(x[t]->qs + 128 * half + 32 * k));
                isum[t] = _mm256_add_epi32(isum[t],
                                           _mm256_madd_epi16(_mm256_maddubs_epi16(u, xv), scales));
            }
        }
    }
}

/* Q2_K / Q3_K (layout: qdot_scalar.c): run j = 4 half + k covers groups 2j and 2j + 1; its 2-bit
 * codes are bits 2k.. of qs[32 half + l], and Q3_K's third bit is bit j of hmask[l]. */
/* Q2_K's sixteen 4-bit group scales (low nibbles of scales[]) and mins (high nibbles) as int16. */
static inline void gk_qa_q2k_scales_mins(const uint8_t scales[16], __m256i *sc16, __m256i *m16)
{
    const __m128i packed = _mm_loadu_si128((const __m128i *)scales);
    const __m128i nibble = _mm_set1_epi8(0x0F);
    *sc16 = _mm256_cvtepu8_epi16(_mm_and_si128(packed, nibble));
    *m16 = _mm256_cvtepu8_epi16(_mm_and_si128(_mm_srli_epi16(packed, 4), nibble));
}

static inline struct gk_qa_kblock gk_qa_q2_k_sums(const gk_block_q2_k *b, const gk_block_q8_k *x)
{
    __m256i sc16, m16, isum_v;
    gk_qa_q2k_scales_mins(b->scales, &sc16, &m16);
    gk_qa_q23_k_isums(b->qs, NULL, sc16, &x, 1, &isum_v);
    const __m256i bsums = _mm256_loadu_si256((const __m256i *)x->bsums);
    return (struct gk_qa_kblock){isum_v, _mm256_madd_epi16(bsums, m16), gk_qa_h2f(b->d),
                                 gk_qa_h2f(b->dmin), x->d};
}

GK_QA_ROWS_PIPED(q2_k, gk_block_q2_k, 0)

/* The sixteen signed 6-bit scales of a Q3_K block (gk_q3k_scales) with vector operations: the low
 * nibbles of bytes 0..7 are scales 0..7's low bits and their high nibbles scales 8..15's; bits
 * 2g..2g+1 of bytes 8..11 are the top bits of scales 4g..4g+3. */
static inline __m128i gk_qa_q3k_scales(const uint8_t packed[12])
{
    /* bytes 0..7, then 8..11 in lane 2 (the scales end 2 bytes before the block: no wider load) */
    uint32_t top_bits;
    memcpy(&top_bits, packed + 8, sizeof top_bits);
    const __m128i v = _mm_insert_epi32(_mm_loadl_epi64((const __m128i *)packed), (int)top_bits, 2);
    const __m128i nibble = _mm_set1_epi8(0x0F);
    const __m128i low =
        _mm_unpacklo_epi64(_mm_and_si128(v, nibble), _mm_and_si128(_mm_srli_epi16(v, 4), nibble));
    const __m128i top = _mm_and_si128(
        _mm_srlv_epi32(_mm_shuffle_epi32(v, 0xAA), _mm_setr_epi32(0, 2, 4, 6)), _mm_set1_epi8(3));
    return _mm_sub_epi8(_mm_or_si128(low, _mm_slli_epi16(top, 4)), _mm_set1_epi8(32));
}

/* Q3_K: unsigned codes u = code + 4 in 0..7; the +4 comes out through the group sums. */
static inline struct gk_qa_kblock gk_qa_q3_k_sums(const gk_block_q3_k *b, const gk_block_q8_k *x)
{
    const __m256i sc16 = _mm256_cvtepi8_epi16(gk_qa_q3k_scales(b->scales));
    __m256i isum_v;
    gk_qa_q23_k_isums(b->qs, b->hmask, sc16, &x, 1, &isum_v);
    const __m256i bsums = _mm256_loadu_si256((const __m256i *)x->bsums);
    return (struct gk_qa_kblock){isum_v, _mm256_madd_epi16(sc16, bsums), gk_qa_h2f(b->d), 0.0f,
                                 x->d};
}

GK_QA_ROWS_PIPED(q3_k, gk_block_q3_k, 4)

/* The four-token step operands of a format whose codes are stored unsigned, code + 2^log2_offset
 * (Q3_K: 4, Q6_K: 32): each token's isum less the offset times the scaled group sums, exactly as
 * the one-token kernels' offset_mult. */
static inline struct gk_qa4_kblock
gk_qa4_offset_kblock(gk_f16 d,
                     __m256i sc16,
                     const gk_block_q8_k *const x[GK_QDOT4_TOKENS],
                     const __m256i isum[GK_QDOT4_TOKENS],
                     int log2_offset)
{
    __m256i offset[GK_QDOT4_TOKENS];
    for (int t = 0; t < GK_QDOT4_TOKENS; t++)
        offset[t] = _mm256_madd_epi16(sc16, _mm256_loadu_si256((const __m256i *)x[t]->bsums));
    const __m128i sums = _mm_sub_epi32(
        gk_qa4_sums(isum), _mm_sll_epi32(gk_qa4_sums(offset), _mm_cvtsi32_si128(log2_offset)));
    return gk_qa4_kblock_of(gk_qa_h2f(d), 0.0f, x, sums, _mm_setzero_si128());
}

/* Q2_K / Q3_K, four tokens per pass: each run's codes and scales decoded once
 * (gk_qa_q23_k_isums), the products per token; each token has the one-token kernel's sums. */
static inline struct gk_qa4_kblock gk_qa4_q2_k_sums(const gk_block_q2_k *b,
                                                    const gk_block_q8_k *const x[GK_QDOT4_TOKENS])
{
    __m256i sc16, m16;
    gk_qa_q2k_scales_mins(b->scales, &sc16, &m16);
    __m256i isum[GK_QDOT4_TOKENS], msum[GK_QDOT4_TOKENS];
    gk_qa_q23_k_isums(b->qs, NULL, sc16, x, GK_QDOT4_TOKENS, isum);
    for (int t = 0; t < GK_QDOT4_TOKENS; t++)
        msum[t] = _mm256_madd_epi16(_mm256_loadu_si256((const __m256i *)x[t]->bsums), m16);
    return gk_qa4_kblock_of(gk_qa_h2f(b->d), gk_qa_h2f(b->dmin), x, gk_qa4_sums(isum),
                            gk_qa4_sums(msum));
}

static inline struct gk_qa4_kblock gk_qa4_q3_k_sums(const gk_block_q3_k *b,
                                                    const gk_block_q8_k *const x[GK_QDOT4_TOKENS])
{
    const __m256i sc16 = _mm256_cvtepi8_epi16(gk_qa_q3k_scales(b->scales));
    __m256i isum[GK_QDOT4_TOKENS];
    gk_qa_q23_k_isums(b->qs, b->hmask, sc16, x, GK_QDOT4_TOKENS, isum);
    return gk_qa4_offset_kblock(b->d, sc16, x, isum, 2);
}

GK_QA_ROWS4(q2_k, gk_block_q2_k)
GK_QA_ROWS4(q3_k, gk_block_q3_k)

/* Q6_K: per half h, four 32-value runs k of unsigned 6-bit codes (see qdot_scalar.c); each run
 * covers two groups of 16, whose scales multiply the run's two 128-bit halves. The -32 offset
 * of the codes is taken out at the end through the activation's group sums. */
static inline struct gk_qa_kblock gk_qa_q6_k_sums(const gk_block_q6_k *b, const gk_block_q8_k *x)
{
    const __m256i low_mask = _mm256_set1_epi8(0x0F);
    /* the sixteen group scales as int16; run (h, k) takes groups 8h + 2k and 8h + 2k + 1,
     * each broadcast over one 128-bit half */
    const __m256i sc16 = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)b->scales));
    __m256i sc_lanes[2];
    gk_qa_group_lanes(sc16, sc_lanes);
    __m256i isum_v = _mm256_setzero_si256();
    for (int h = 0; h < 2; h++) {
        const __m256i ql0 = _mm256_loadu_si256((const __m256i *)(b->ql + 64 * h));
        const __m256i ql1 = _mm256_loadu_si256((const __m256i *)(b->ql + 64 * h + 32));
        const __m256i qh = _mm256_loadu_si256((const __m256i *)(b->qh + 32 * h));
        const __m256i low[4] = {_mm256_and_si256(ql0, low_mask), _mm256_and_si256(ql1, low_mask),
                                _mm256_and_si256(_mm256_srli_epi16(ql0, 4), low_mask),
                                _mm256_and_si256(_mm256_srli_epi16(ql1, 4), low_mask)};
        for (int k = 0; k < 4; k++) {
            const __m256i codes = _mm256_or_si256(low[k], gk_qa_bits_to(qh, 2 * k, 4, 0x30));
            const __m256i xv = _mm256_loadu_si256((const __m256i *)(x->qs + 128 * h + 32 * k));
            isum_v = _mm256_add_epi32(isum_v, gk_qa_run16x2(codes, xv, sc_lanes[h], k));
        }
    }
    const __m256i bsums = _mm256_loadu_si256((const __m256i *)x->bsums);
    return (struct gk_qa_kblock){isum_v, _mm256_madd_epi16(sc16, bsums), gk_qa_h2f(b->d), 0.0f,
                                 x->d};
}

GK_QA_ROWS_PIPED(q6_k, gk_block_q6_k, 32)

/* Q6_K, four tokens per pass: codes and run scales once, products per token; the sums and the
 * f32 step as gk_qa_q6_k_sums's. */
static inline struct gk_qa4_kblock gk_qa4_q6_k_sums(const gk_block_q6_k *b,
                                                    const gk_block_q8_k *const x[GK_QDOT4_TOKENS])
{
    const __m256i low_mask = _mm256_set1_epi8(0x0F);
    const __m256i sc16 = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)b->scales));
    __m256i sc_lanes[2];
    gk_qa_group_lanes(sc16, sc_lanes);
    __m256i isum[GK_QDOT4_TOKENS];
    for (int t = 0; t < GK_QDOT4_TOKENS; t++)
        isum[t] = _mm256_setzero_si256();
    for (int h = 0; h < 2; h++) {
        const __m256i ql0 = _mm256_loadu_si256((const __m256i *)(b->ql + 64 * h));
        const __m256i ql1 = _mm256_loadu_si256((const __m256i *)(b->ql + 64 * h + 32));
        const __m256i qh = _mm256_loadu_si256((const __m256i *)(b->qh + 32 * h));
        const __m256i low[4] = {_mm256_and_si256(ql0, low_mask), _mm256_and_si256(ql1, low_mask),
                                _mm256_and_si256(_mm256_srli_epi16(ql0, 4), low_mask),
                                _mm256_and_si256(_mm256_srli_epi16(ql1, 4), low_mask)};
        for (int k = 0; k < 4; k++) {
            const __m256i codes = _mm256_or_si256(low[k], gk_qa_bits_to(qh, 2 * k, 4, 0x30));
            const __m256i scales = gk_qa_run_scales(sc_lanes[h], k);
            for (int t = 0; t < GK_QDOT4_TOKENS; t++) {
                const __m256i xv =
                    _mm256_loadu_si256((const __m256i *)(x[t]->qs + 128 * h + 32 * k));
                isum[t] = _mm256_add_epi32(
                    isum[t], _mm256_madd_epi16(_mm256_maddubs_epi16(codes, xv), scales));
            }
        }
    }
    return gk_qa4_offset_kblock(b->d, sc16, x, isum, 5);
}

GK_QA_ROWS4(q6_k, gk_block_q6_k)

/* ---- ternary and 128-value formats ------------------------------------------------------ */

/* TQ2_0: runs l of 32 codes (qs[32 h + m] >> 2 l) & 3 against activation bytes 128 h + 32 l
 * (gk_avx2_tq2_codes; two calls per block: int16 sums of at most 3048 and 12192); the -1 offset of
 * the codes comes out through the activation's total. One horizontal sum per block, of the codes'
 * and the activation's int32 sums together (3.4x fewer vector operations than a vpmaddwd and a
 * sum per run). */
static inline struct gk_qa_kblock gk_qa_tq2_0_sums(const gk_block_tq2_0 *b, const gk_block_q8_k *x)
{
    const __m256i ones16 = _mm256_set1_epi16(1);
    __m256i pairs = _mm256_setzero_si256(), pairs4 = _mm256_setzero_si256();
    for (int h = 0; h < 2; h++) {
        const int8_t *xh = x->qs + 128 * h;
        const __m256i xs[4] = {_mm256_loadu_si256((const __m256i *)xh),
                               _mm256_loadu_si256((const __m256i *)(xh + 32)),
                               _mm256_loadu_si256((const __m256i *)(xh + 64)),
                               _mm256_loadu_si256((const __m256i *)(xh + 96))};
        gk_avx2_tq2_codes(_mm256_loadu_si256((const __m256i *)(b->qs + 32 * h)), xs, &pairs,
                          &pairs4);
    }
    const __m256i codes =
        _mm256_madd_epi16(_mm256_add_epi16(pairs, _mm256_srai_epi16(pairs4, 2)), ones16);
    const __m256i total = _mm256_madd_epi16(_mm256_loadu_si256((const __m256i *)x->bsums), ones16);
    return (struct gk_qa_kblock){_mm256_sub_epi32(codes, total), _mm256_setzero_si256(),
                                 gk_qa_h2f(b->d), 0.0f, x->d};
}

GK_QA_ROWS_PIPED(tq2_0, gk_block_tq2_0, 0)

/* TQ2_0, four tokens per pass: the codes split once (gk_avx2_tq2_split), the products per token
 * (gk_avx2_tq2_products); each token's exact sums are gk_qa_tq2_0_sums's. */
static inline struct gk_qa4_kblock gk_qa4_tq2_0_sums(const gk_block_tq2_0 *b,
                                                     const gk_block_q8_k *const x[GK_QDOT4_TOKENS])
{
    const __m256i ones16 = _mm256_set1_epi16(1);
    __m256i codes[2][4];
    for (int h = 0; h < 2; h++)
        gk_avx2_tq2_split(_mm256_loadu_si256((const __m256i *)(b->qs + 32 * h)), codes[h]);
    __m256i isum[GK_QDOT4_TOKENS];
    for (int t = 0; t < GK_QDOT4_TOKENS; t++) {
        __m256i pairs = _mm256_setzero_si256(), pairs4 = _mm256_setzero_si256();
        for (int h = 0; h < 2; h++) {
            const int8_t *xh = x[t]->qs + 128 * h;
            const __m256i xs[4] = {_mm256_loadu_si256((const __m256i *)xh),
                                   _mm256_loadu_si256((const __m256i *)(xh + 32)),
                                   _mm256_loadu_si256((const __m256i *)(xh + 64)),
                                   _mm256_loadu_si256((const __m256i *)(xh + 96))};
            gk_avx2_tq2_products(codes[h], xs, &pairs, &pairs4);
        }
        const __m256i sum =
            _mm256_madd_epi16(_mm256_add_epi16(pairs, _mm256_srai_epi16(pairs4, 2)), ones16);
        const __m256i total =
            _mm256_madd_epi16(_mm256_loadu_si256((const __m256i *)x[t]->bsums), ones16);
        isum[t] = _mm256_sub_epi32(sum, total);
    }
    return gk_qa4_kblock_of(gk_qa_h2f(b->d), 0.0f, x, gk_qa4_sums(isum), _mm_setzero_si128());
}

GK_QA_ROWS4(tq2_0, gk_block_tq2_0)

/* AWQ4 / GPTQ4: four 32-value chunks per block; byte b of a chunk holds elements 2b (low nibble)
 * and 2b + 1 (high). Per chunk c, like the scalar tier: acc += (s dx_c) ((float)isum_c - z
 * (float)xsum_c), the four chunks in order. The eight integer sums are reduced together (vphaddd)
 * and the f32 operations run on four lanes, one chunk per lane, before the four ordered adds. */
static inline float gk_qa_awq4_block(const gk_block_awq4 *b, const gk_block_q8_0 *x, float acc)
{
    const __m128i nibble = _mm_set1_epi8(0x0F);
    const __m256i ones16 = _mm256_set1_epi16(1), ones8 = _mm256_set1_epi8(1);
    __m256i isum[4], xsum[4];
    for (int c = 0; c < 4; c++) {
        const __m128i bytes = _mm_loadu_si128((const __m128i *)(b->qs + 4 * c));
        const __m128i lo = _mm_and_si128(bytes, nibble);
        const __m128i hi = _mm_and_si128(_mm_srli_epi16(bytes, 4), nibble);
        const __m256i u = _mm256_set_m128i(_mm_unpackhi_epi8(lo, hi), _mm_unpacklo_epi8(lo, hi));
        const __m256i xv = _mm256_loadu_si256((const __m256i *)x[c].qs);
        isum[c] = _mm256_madd_epi16(_mm256_maddubs_epi16(u, xv), ones16);
        xsum[c] = _mm256_madd_epi16(_mm256_maddubs_epi16(ones8, xv), ones16);
    }
    /* chunk c's exact sums in lane c */
    const __m256i i4 =
        _mm256_hadd_epi32(_mm256_hadd_epi32(isum[0], isum[1]), _mm256_hadd_epi32(isum[2], isum[3]));
    const __m256i x4 =
        _mm256_hadd_epi32(_mm256_hadd_epi32(xsum[0], xsum[1]), _mm256_hadd_epi32(xsum[2], xsum[3]));
    const __m128 isum_f =
        _mm_cvtepi32_ps(_mm_add_epi32(_mm256_castsi256_si128(i4), _mm256_extracti128_si256(i4, 1)));
    const __m128 xsum_f =
        _mm_cvtepi32_ps(_mm_add_epi32(_mm256_castsi256_si128(x4), _mm256_extracti128_si256(x4, 1)));
    const __m128 z = _mm_set1_ps(gk_qa_h2f(b->zero_point));
    const __m128 centred = _mm_sub_ps(isum_f, _mm_mul_ps(z, xsum_f));
    const __m128i dx_h = _mm_setr_epi16((short)x[0].d.bits, (short)x[1].d.bits, (short)x[2].d.bits,
                                        (short)x[3].d.bits, 0, 0, 0, 0);
    const __m128 scale = _mm_mul_ps(_mm_set1_ps(gk_qa_h2f(b->scale)), _mm_cvtph_ps(dx_h));
    float terms[4];
    _mm_storeu_ps(terms, _mm_mul_ps(scale, centred));
    for (int c = 0; c < 4; c++)
        acc += terms[c];
    return acc;
}

/* the activation advances four Q8_0 blocks per AWQ4 block */
GK_QA_ROWS(awq4, gk_block_awq4, gk_block_q8_0, 4, float, 0.0f, GK_QA_SAME)

/* ---- IQ formats --------------------------------------------------------------------------- */

/* The eight signed sub-block scales ls - 32 of an IQ4_XS block as int16, the same eight in both
 * 128-bit halves (for gk_qa_broadcast16_mask): the low four bits are the nibbles of scales_l
 * (sub-block 2j the low nibble of byte j), the high two bits 2s.. of the scales_h word. */
static inline __m256i gk_qa_iq4xs_scales(const gk_block_iq4_xs *b)
{
    uint32_t low_bits;
    uint16_t high_bits;
    memcpy(&low_bits, b->scales_l, sizeof low_bits);
    memcpy(&high_bits, b->scales_h, sizeof high_bits);
    const __m128i nibble = _mm_set1_epi8(0x0F), packed = _mm_cvtsi32_si128((int)low_bits);
    const __m128i low = _mm_unpacklo_epi8(_mm_and_si128(packed, nibble),
                                          _mm_and_si128(_mm_srli_epi16(packed, 4), nibble));
    const __m256i high32 =
        _mm256_and_si256(_mm256_srlv_epi32(_mm256_set1_epi32(high_bits),
                                           _mm256_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14)),
                         _mm256_set1_epi32(3));
    /* the eight high parts as int16 in the low 128 bits: pack, then gather the two halves */
    const __m128i high16 =
        _mm256_castsi256_si128(_mm256_permute4x64_epi64(_mm256_packus_epi32(high32, high32), 0x08));
    const __m128i ls = _mm_sub_epi16(
        _mm_or_si128(_mm_cvtepu8_epi16(low), _mm_slli_epi16(high16, 4)), _mm_set1_epi16(32));
    return _mm256_broadcastsi128_si256(ls);
}

/* IQ4_XS (layout: qdot_scalar.c): per sub-block the 32 nibbles index the 16 non-linear values
 * with vpshufb, and the signed values meet the activation through the sign trick. */
static inline struct gk_qa_kblock gk_qa_iq4_xs_sums(const gk_block_iq4_xs *b,
                                                    const gk_block_q8_k *x)
{
    const __m256i values =
        _mm256_broadcastsi128_si256(_mm_loadu_si128((const __m128i *)gk_iq4nl_values));
    const __m256i scales = gk_qa_iq4xs_scales(b);
    __m256i isum_v = _mm256_setzero_si256();
    for (int s = 0; s < 8; s++) {
        const __m256i codes = _mm256_shuffle_epi8(values, gk_qa_nibbles32(b->qs + 16 * s));
        const __m256i xv = _mm256_loadu_si256((const __m256i *)(x->qs + 32 * s));
        const __m256i pairs =
            _mm256_maddubs_epi16(_mm256_sign_epi8(codes, codes), _mm256_sign_epi8(xv, codes));
        isum_v = _mm256_add_epi32(
            isum_v,
            _mm256_madd_epi16(pairs, _mm256_shuffle_epi8(scales, gk_qa_broadcast16_mask(s))));
    }
    const gk_f16 d = {(uint16_t)(b->d[0] | b->d[1] << 8)};
    return (struct gk_qa_kblock){isum_v, _mm256_setzero_si256(), gk_qa_h2f(d), 0.0f, x->d};
}

GK_QA_ROWS_PIPED(iq4_xs, gk_block_iq4_xs, 0)

/* IQ4_XS, four tokens per pass: a sub-block's values, their magnitudes and its scale once, the
 * sign trick and the products per token; the sums and the f32 step as gk_qa_iq4_xs_sums's. */
static inline struct gk_qa4_kblock gk_qa4_iq4_xs_sums(const gk_block_iq4_xs *b,
                                                      const gk_block_q8_k *const x[GK_QDOT4_TOKENS])
{
    const __m256i values =
        _mm256_broadcastsi128_si256(_mm_loadu_si128((const __m128i *)gk_iq4nl_values));
    const __m256i scales = gk_qa_iq4xs_scales(b);
    __m256i isum[GK_QDOT4_TOKENS];
    for (int t = 0; t < GK_QDOT4_TOKENS; t++)
        isum[t] = _mm256_setzero_si256();
    for (int s = 0; s < 8; s++) {
        const __m256i codes = _mm256_shuffle_epi8(values, gk_qa_nibbles32(b->qs + 16 * s));
        const __m256i magnitudes = _mm256_sign_epi8(codes, codes);
        const __m256i scale = _mm256_shuffle_epi8(scales, gk_qa_broadcast16_mask(s));
        for (int t = 0; t < GK_QDOT4_TOKENS; t++) {
            const __m256i xv = _mm256_loadu_si256((const __m256i *)(x[t]->qs + 32 * s));
            const __m256i pairs = _mm256_maddubs_epi16(magnitudes, _mm256_sign_epi8(xv, codes));
            isum[t] = _mm256_add_epi32(isum[t], _mm256_madd_epi16(pairs, scale));
        }
    }
    const gk_f16 d = {(uint16_t)(b->d[0] | b->d[1] << 8)};
    return gk_qa4_kblock_of(gk_qa_h2f(d), 0.0f, x, gk_qa4_sums(isum), _mm_setzero_si128());
}

GK_QA_ROWS4(iq4_xs, gk_block_iq4_xs)

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

/* One Q8_0 block's scale and codes from x[0, 32) (gk_quant_q8_0_scalar's bits); returns d. */
static inline float gk_qa_q8_0_codes_of(const float *x, gk_f16 *d_out, int8_t qs[32])
{
    const __m256 v[4] = {_mm256_loadu_ps(x), _mm256_loadu_ps(x + 8), _mm256_loadu_ps(x + 16),
                         _mm256_loadu_ps(x + 24)};
    const __m256 m = _mm256_max_ps(_mm256_max_ps(gk_qa_abs(v[0]), gk_qa_abs(v[1])),
                                   _mm256_max_ps(gk_qa_abs(v[2]), gk_qa_abs(v[3])));
    const float d = gk_qa_hmax(m) / 127.0f;
    float id = d != 0.0f ? 1.0f / d : 0.0f;
    if (id - id != 0.0f) id = 0.0f; /* 1 / subnormal d overflowed: every code is 0 */
    d_out->bits = gk_f16_bits_from_f32(d);
    const __m256 idv = _mm256_set1_ps(id);
    const __m256i codes = gk_qa_pack_i8(
        gk_qa_roundf(_mm256_mul_ps(v[0], idv)), gk_qa_roundf(_mm256_mul_ps(v[1], idv)),
        gk_qa_roundf(_mm256_mul_ps(v[2], idv)), gk_qa_roundf(_mm256_mul_ps(v[3], idv)));
    _mm256_storeu_si256((__m256i *)qs, codes);
    return d;
}

void gk_qact_q8_0_avx2(const float *x, void *xq, size_t n_blocks)
{
    gk_block_q8_0 *y = xq;
    for (size_t i = 0; i < n_blocks; i++, x += 32)
        gk_qa_q8_0_codes_of(x, &y[i].d, y[i].qs);
}

/* Q8_1: Q8_0's codes and s = f16((float)sum(codes) * d), as gk_quant_q8_1_scalar. */
void gk_qact_q8_1_avx2(const float *x, void *xq, size_t n_blocks)
{
    gk_block_q8_1 *y = xq;
    for (size_t i = 0; i < n_blocks; i++, x += 32) {
        const float d = gk_qa_q8_0_codes_of(x, &y[i].d, y[i].qs);
        const __m256i codes = _mm256_loadu_si256((const __m256i *)y[i].qs);
        const __m256i pairs = _mm256_maddubs_epi16(_mm256_set1_epi8(1), codes);
        const int32_t sum = gk_qa_hsum_i32(_mm256_madd_epi16(pairs, _mm256_set1_epi16(1)));
        y[i].s.bits = gk_f16_bits_from_f32((float)sum * d);
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
