/* SPDX-License-Identifier: MIT */
/* AVX2 group kernel of the packed Q4_0 layout (src/quant/qpack.h): 8 rows at once, one row per
 * 32-bit lane, with the scalar kernel's bits. */
#include <immintrin.h>
#include <string.h>

#include "quant/blocks.h"
#include "quant/qpack.h"

void gk_qdot8_q4_0_avx2(
    const void *group, const void *xq, const int32_t *xsum, size_t n_blocks, float *out)
{
    enum { COLUMN = GK_QPACK_ROWS * sizeof(gk_block_q4_0) };

    const uint8_t *col = group;
    const gk_block_q8_0 *x = xq;
    const __m256i low_mask = _mm256_set1_epi8(0x0F), ones16 = _mm256_set1_epi16(1);
    __m256 acc = _mm256_setzero_ps();
    for (size_t b = 0; b < n_blocks; b++, col += COLUMN) {
        /* the weights stream from memory once: every line of the column, 1 KiB ahead */
        for (unsigned line = 0; line < COLUMN; line += 64)
            _mm_prefetch((const char *)col + 1024 + line, _MM_HINT_T0);
        /* lane r: row r's nibbles by four activation codes broadcast to every lane; each int16
         * lane gathers 8 pairs of at most 15 * 127: below 32767, exact */
        __m256i pairs = _mm256_setzero_si256();
        for (unsigned h = 0; h < 4; h++) {
            const __m256i q = _mm256_loadu_si256((const __m256i *)(col + 16 + 32 * h));
            int32_t x_lo, x_hi;
            memcpy(&x_lo, x[b].qs + 4 * h, sizeof x_lo);
            memcpy(&x_hi, x[b].qs + 16 + 4 * h, sizeof x_hi);
            pairs = _mm256_add_epi16(pairs, _mm256_maddubs_epi16(_mm256_and_si256(q, low_mask),
                                                                 _mm256_set1_epi32(x_lo)));
            pairs = _mm256_add_epi16(
                pairs, _mm256_maddubs_epi16(_mm256_and_si256(_mm256_srli_epi16(q, 4), low_mask),
                                            _mm256_set1_epi32(x_hi)));
        }
        const __m256i isum =
            _mm256_sub_epi32(_mm256_madd_epi16(pairs, ones16), _mm256_set1_epi32(8 * xsum[b]));
        const __m256 d_w = _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)col));
        const __m256 d = _mm256_mul_ps(d_w, _mm256_set1_ps(_cvtsh_ss(x[b].d.bits)));
        acc = _mm256_fmadd_ps(d, _mm256_cvtepi32_ps(isum), acc);
    }
    _mm256_storeu_ps(out, acc);
}
