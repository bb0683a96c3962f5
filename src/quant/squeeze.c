/* SPDX-License-Identifier: MIT */
/* SQUEEZE (SqueezeLLM's non-uniform format, gk_block_squeeze in include/gllmk/quant.h): scalar
 * decoder, quantizer (a weighted 1-D k-means per block, as SqueezeLLM fits its per-row tables),
 * and the converter from SqueezeLLM's packed indices and lookup tables. */
#include <stdlib.h>
#include <string.h>

#include "core/checked.h"
#include "core/error.h"
#include "core/half.h"
#include "quant/blocks.h"

enum { GK_SQ_ELEMS = 256, GK_SQ_CODES = 16, GK_SQ_ITERATIONS = 12 };

static_assert(sizeof(gk_block_squeeze) == 160, "gk_block_squeeze is 160 bytes");

/* value = lut[code], exactly. */
void gk_dequant_squeeze_scalar(const void *blocks, float *dst, size_t n_blocks)
{
    const gk_block_squeeze *b = blocks;
    for (size_t i = 0; i < n_blocks; i++, dst += GK_SQ_ELEMS) {
        float lut[GK_SQ_CODES];
        for (int c = 0; c < GK_SQ_CODES; c++)
            lut[c] = gk_f32_from_f16_bits(b[i].lut[c].bits);
        for (int j = 0; j < GK_SQ_ELEMS / 2; j++) {
            dst[2 * j] = lut[b[i].qs[j] & 0xF];
            dst[2 * j + 1] = lut[b[i].qs[j] >> 4];
        }
    }
}

static int gk_float_order(const void *a, const void *b)
{
    const float fa = *(const float *)a, fb = *(const float *)b;
    return (fa > fb) - (fa < fb);
}

/* Index of the centroid nearest to x among `sorted` ascending centroids (lower one on ties). */
static int gk_nearest_centroid(const float *sorted, float x)
{
    int best = 0;
    float best_dist = x > sorted[0] ? x - sorted[0] : sorted[0] - x;
    for (int c = 1; c < GK_SQ_CODES; c++) {
        const float dist = x > sorted[c] ? x - sorted[c] : sorted[c] - x;
        if (dist < best_dist) {
            best_dist = dist;
            best = c;
        }
    }
    return best;
}

/* Lloyd's k-means with 16 centroids, started at the 16 quantiles (k + 1/2) / 16 of the block,
 * weighted by the importance (or uniformly), a fixed number of iterations (deterministic). The
 * centroids are then rounded to f16 and every value takes the nearest rounded centroid. */
void gk_quant_squeeze_scalar(const float *src, void *blocks, size_t n_blocks, const float *importance)
{
    gk_block_squeeze *y = blocks;
    for (size_t i = 0; i < n_blocks; i++) {
        const float *x = src + i * GK_SQ_ELEMS;
        const float *w = importance ? importance + i * GK_SQ_ELEMS : NULL;
        float sorted[GK_SQ_ELEMS], centroid[GK_SQ_CODES];
        memcpy(sorted, x, sizeof sorted);
        qsort(sorted, GK_SQ_ELEMS, sizeof sorted[0], gk_float_order);
        for (int c = 0; c < GK_SQ_CODES; c++)
            centroid[c] = sorted[(GK_SQ_ELEMS / GK_SQ_CODES) * c + GK_SQ_ELEMS / GK_SQ_CODES / 2];
        for (int it = 0; it < GK_SQ_ITERATIONS; it++) {
            double sum[GK_SQ_CODES] = {0}, weight[GK_SQ_CODES] = {0};
            for (int j = 0; j < GK_SQ_ELEMS; j++) {
                const int c = gk_nearest_centroid(centroid, x[j]);
                const double wj = w ? (double)w[j] : 1.0;
                sum[c] += wj * (double)x[j];
                weight[c] += wj;
            }
            for (int c = 0; c < GK_SQ_CODES; c++)
                if (weight[c] > 0.0) centroid[c] = (float)(sum[c] / weight[c]);
            /* Means of neighbouring cells stay ordered, but keep the invariant explicit. */
            qsort(centroid, GK_SQ_CODES, sizeof centroid[0], gk_float_order);
        }
        float rounded[GK_SQ_CODES];
        for (int c = 0; c < GK_SQ_CODES; c++) {
            y[i].lut[c].bits = gk_f16_bits_from_f32(centroid[c]);
            rounded[c] = gk_f32_from_f16_bits(y[i].lut[c].bits);
        }
        memset(y[i].qs, 0, sizeof y[i].qs);
        for (int j = 0; j < GK_SQ_ELEMS; j++)
            y[i].qs[j / 2] |= (uint8_t)(gk_nearest_centroid(rounded, x[j]) << (4 * (j % 2)));
    }
}

/* Bits [bit, bit + bits) of column `col`'s little-endian bit stream over its words. */
static unsigned gk_stream_bits(
    const int32_t *qweight, size_t out_features, size_t col, size_t bit, unsigned bits)
{
    const size_t word = bit / 32, shift = bit % 32;
    uint64_t v = (uint32_t)qweight[word * out_features + col] >> shift;
    if (shift + bits > 32)
        v |= (uint64_t)(uint32_t)qweight[(word + 1) * out_features + col] << (32 - shift);
    return (unsigned)(v & ((1u << bits) - 1u));
}

gk_status gk_squeeze_from_squeezellm(const int32_t *qweight,
                                     const gk_f16 *lookup_table,
                                     unsigned bits,
                                     size_t in_features,
                                     size_t out_features,
                                     gk_block_squeeze *dst)
{
    static const char api[] = "gk_squeeze_from_squeezellm";
    GK_CHECK(qweight && lookup_table && dst, GK_EINVAL, api, "a pointer is NULL");
    GK_CHECK(bits == 3 || bits == 4, GK_EINVAL, api, "bits %u (SqueezeLLM uses 3 or 4)", bits);
    GK_CHECK(in_features % GK_SQ_ELEMS == 0, GK_EINVAL, api,
             "in_features %zu is not a multiple of 256", in_features);
    const size_t n_codes = (size_t)1 << bits;
    size_t stream_bits, dst_blocks, dst_bytes, qweight_bytes, lut_bytes;
    GK_CHECK(gk_mul_size(in_features, bits, &stream_bits) &&
                 gk_mul_size(in_features / GK_SQ_ELEMS, out_features, &dst_blocks) &&
                 gk_mul_size(dst_blocks, sizeof *dst, &dst_bytes) &&
                 gk_mul_size(stream_bits / 8, out_features, &qweight_bytes) &&
                 gk_mul_size(out_features, n_codes * 2, &lut_bytes),
             GK_EOVERFLOW, api, "tensor sizes overflow size_t");
    GK_CHECK(stream_bits % 32 == 0, GK_EINVAL, api,
             "in_features * bits = %zu is not a whole number of 32-bit words", stream_bits);
    GK_CHECK(!gk_ranges_overlap(dst, dst_bytes, qweight, qweight_bytes) &&
                 !gk_ranges_overlap(dst, dst_bytes, lookup_table, lut_bytes),
             GK_EALIAS, api, "dst overlaps an input tensor");
    const size_t blocks_per_row = in_features / GK_SQ_ELEMS;
    for (size_t o = 0; o < out_features; o++) {
        for (size_t blk = 0; blk < blocks_per_row; blk++) {
            gk_block_squeeze *b = &dst[o * blocks_per_row + blk];
            memset(b, 0, sizeof *b);
            memcpy(b->lut, lookup_table + o * n_codes, n_codes * sizeof *lookup_table);
            for (size_t j = 0; j < GK_SQ_ELEMS; j++) {
                const size_t input = blk * GK_SQ_ELEMS + j;
                const unsigned code = gk_stream_bits(qweight, out_features, o, bits * input, bits);
                b->qs[j / 2] |= (uint8_t)(code << (4 * (j % 2)));
            }
        }
    }
    return GK_OK;
}
