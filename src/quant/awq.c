/* SPDX-License-Identifier: MIT */
/* AWQ4 / GPTQ4 (gk_block_awq4, defined byte by byte in include/gllmk/quant.h): scalar decoder,
 * quantizer, and the converters from AutoAWQ and AutoGPTQ checkpoint tensors. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/checked.h"
#include "core/error.h"
#include "core/half.h"
#include "quant/blocks.h"
#include "quant/search.h"

enum { GK_AWQ_GROUP = 128 };

static_assert(sizeof(gk_block_awq4) == 72, "gk_block_awq4 is 72 bytes");

/* value = ((float)q - zero_point) * scale: the subtraction rounds, then the product. */
void gk_dequant_awq4_scalar(const void *blocks, float *dst, size_t n_blocks)
{
    const gk_block_awq4 *b = blocks;
    for (size_t i = 0; i < n_blocks; i++, dst += GK_AWQ_GROUP) {
        const float scale = gk_f32_from_f16_bits(b[i].scale.bits);
        const float zero_point = gk_f32_from_f16_bits(b[i].zero_point.bits);
        for (int j = 0; j < GK_AWQ_GROUP; j++) {
            const uint32_t q = (b[i].qs[j / 8] >> (4 * (j % 8))) & 0xFu;
            dst[j] = ((float)q - zero_point) * scale;
        }
    }
}

static void gk_awq4_set_code(gk_block_awq4 *b, int j, unsigned q)
{
    b->qs[j / 8] |= (uint32_t)q << (4 * (j % 8));
}

/* The affine search of Q4_K (search.h) on one group of 128, with the range anchored at zero:
 * the zero point then stays within the code range (AWQ and GPTQ store 0..15), so it can never
 * overflow f16 however narrow the group. A group with no positive value is negated first and
 * gets a negative scale. Weights: importance * sqrt(sigma2 + x^2) with importance, else
 * rms(x) + |x| (as Q4_K). */
void gk_quant_awq4_scalar(const float *src, void *blocks, size_t n_blocks, const float *importance)
{
    gk_block_awq4 *y = blocks;
    for (size_t i = 0; i < n_blocks; i++) {
        const float *x = src + i * GK_AWQ_GROUP;
        float xs[GK_AWQ_GROUP], weights[GK_AWQ_GROUP], max = x[0], sum_x2 = 0.0f;
        for (int j = 0; j < GK_AWQ_GROUP; j++) {
            if (x[j] > max) max = x[j];
            sum_x2 += x[j] * x[j];
        }
        const float sign = max < 0.0f ? -1.0f : 1.0f;
        const float sigma2 = sum_x2 / (float)GK_AWQ_GROUP, rms = sqrtf(sigma2);
        for (int j = 0; j < GK_AWQ_GROUP; j++) {
            xs[j] = sign * x[j];
            weights[j] = importance ? importance[i * GK_AWQ_GROUP + j] * sqrtf(sigma2 + x[j] * x[j])
                                    : rms + fabsf(x[j]);
        }
        uint8_t L[GK_AWQ_GROUP], Laux[GK_AWQ_GROUP];
        float neg_min;
        const float scale = gk_search_affine(GK_AWQ_GROUP, 15, xs, weights, L, &neg_min, Laux,
                                             -1.0f, 0.1f, 20, false);
        const float zero_point = scale > 0.0f ? neg_min / scale : 0.0f;
        memset(&y[i], 0, sizeof y[i]);
        y[i].scale.bits = gk_f16_bits_from_f32(sign * scale);
        y[i].zero_point.bits = gk_f16_bits_from_f32(zero_point);
        /* Final codes against the stored (f16) scale and zero point. */
        const float scale_h = gk_f32_from_f16_bits(y[i].scale.bits);
        const float zero_h = gk_f32_from_f16_bits(y[i].zero_point.bits);
        for (int j = 0; j < GK_AWQ_GROUP; j++) {
            int q = L[j];
            if (scale_h != 0.0f) q = gk_clamp_int(gk_nearest_int(x[j] / scale_h + zero_h), 0, 15);
            gk_awq4_set_code(&y[i], j, (unsigned)q);
        }
    }
}

/* ---- converters ----------------------------------------------------------------------- */

static inline unsigned gk_nibble(int32_t word, unsigned idx)
{
    return ((uint32_t)word >> (4u * idx)) & 0xFu;
}

/* Bytes of out_features rows of in_features / elems blocks of block_bytes; false on overflow. */
static bool gk_matrix_bytes(size_t in, size_t out, size_t elems, size_t block_bytes, size_t *bytes)
{
    size_t blocks;
    return gk_mul_size(in / elems, out, &blocks) && gk_mul_size(blocks, block_bytes, bytes);
}

gk_status gk_awq4_from_autoawq(const int32_t *qweight,
                               const int32_t *qzeros,
                               const gk_f16 *scales,
                               size_t in_features,
                               size_t out_features,
                               size_t group_size,
                               gk_block_awq4 *dst)
{
    static const char api[] = "gk_awq4_from_autoawq";
    GK_CHECK(qweight && qzeros && scales && dst, GK_EINVAL, api, "a pointer is NULL");
    GK_CHECK(group_size == GK_AWQ_GROUP, GK_EINVAL, api,
             "group_size %zu (AWQ4 blocks hold groups of 128)", group_size);
    GK_CHECK(in_features % GK_AWQ_GROUP == 0 && out_features % 8 == 0, GK_EINVAL, api,
             "in_features %zu must be a multiple of 128, out_features %zu of 8", in_features,
             out_features);
    const size_t n_groups = in_features / GK_AWQ_GROUP, words_per_row = out_features / 8;
    size_t dst_bytes, qweight_bytes, qzeros_bytes, scales_bytes;
    GK_CHECK(gk_matrix_bytes(in_features, out_features, GK_AWQ_GROUP, sizeof *dst, &dst_bytes) &&
                 gk_mul_size(in_features, out_features / 2, &qweight_bytes) &&
                 gk_mul_size(n_groups, out_features / 2, &qzeros_bytes) &&
                 gk_mul_size(n_groups, out_features * 2, &scales_bytes),
             GK_EOVERFLOW, api, "tensor sizes overflow size_t");
    GK_CHECK(!gk_ranges_overlap(dst, dst_bytes, qweight, qweight_bytes) &&
                 !gk_ranges_overlap(dst, dst_bytes, qzeros, qzeros_bytes) &&
                 !gk_ranges_overlap(dst, dst_bytes, scales, scales_bytes),
             GK_EALIAS, api, "dst overlaps an input tensor");
    /* AWQ's packing order: nibble i of a word holds column 8c + order[i], order =
     * {0, 2, 4, 6, 1, 3, 5, 7} (AutoAWQ's AWQ_ORDER); column k is in nibble nibble_of[k]. */
    static const unsigned nibble_of[8] = {0, 4, 1, 5, 2, 6, 3, 7};
    for (size_t o = 0; o < out_features; o++) {
        const size_t word_col = o / 8;
        const unsigned nib = nibble_of[o % 8];
        for (size_t g = 0; g < n_groups; g++) {
            gk_block_awq4 *b = &dst[o * n_groups + g];
            memset(b, 0, sizeof *b);
            b->scale = scales[g * out_features + o];
            const unsigned z = gk_nibble(qzeros[g * words_per_row + word_col], nib);
            b->zero_point.bits = gk_f16_bits_from_f32((float)z);
            for (int j = 0; j < GK_AWQ_GROUP; j++) {
                const size_t row = g * GK_AWQ_GROUP + (size_t)j;
                gk_awq4_set_code(b, j, gk_nibble(qweight[row * words_per_row + word_col], nib));
            }
        }
    }
    return GK_OK;
}

gk_status gk_gptq4_from_autogptq(const int32_t *qweight,
                                 const int32_t *qzeros,
                                 const gk_f16 *scales,
                                 const int32_t *g_idx,
                                 size_t n_groups,
                                 size_t in_features,
                                 size_t out_features,
                                 gk_block_awq4 *dst,
                                 uint32_t *perm)
{
    static const char api[] = "gk_gptq4_from_autogptq";
    GK_CHECK(qweight && qzeros && scales && dst && perm, GK_EINVAL, api, "a pointer is NULL");
    GK_CHECK(in_features % GK_AWQ_GROUP == 0 && out_features % 8 == 0, GK_EINVAL, api,
             "in_features %zu must be a multiple of 128, out_features %zu of 8", in_features,
             out_features);
    GK_CHECK(n_groups == in_features / GK_AWQ_GROUP, GK_EINVAL, api,
             "n_groups %zu != in_features / 128 (every group must have 128 inputs)", n_groups);
    GK_CHECK(in_features <= UINT32_MAX, GK_EOVERFLOW, api, "in_features %zu > 2^32 - 1",
             in_features);
    size_t dst_bytes, qweight_bytes, qzeros_bytes, scales_bytes, perm_bytes, gidx_bytes;
    GK_CHECK(gk_matrix_bytes(in_features, out_features, GK_AWQ_GROUP, sizeof *dst, &dst_bytes) &&
                 gk_mul_size(in_features, out_features / 2, &qweight_bytes) &&
                 gk_mul_size(n_groups, out_features / 2, &qzeros_bytes) &&
                 gk_mul_size(n_groups, out_features * 2, &scales_bytes) &&
                 gk_mul_size(in_features, 4, &perm_bytes),
             GK_EOVERFLOW, api, "tensor sizes overflow size_t");
    gidx_bytes = g_idx ? perm_bytes : 0;
    const void *inputs[4] = {qweight, qzeros, scales, g_idx};
    const size_t input_bytes[4] = {qweight_bytes, qzeros_bytes, scales_bytes, gidx_bytes};
    for (int k = 0; k < 4; k++) {
        GK_CHECK(!gk_ranges_overlap(dst, dst_bytes, inputs[k], input_bytes[k]) &&
                     !gk_ranges_overlap(perm, perm_bytes, inputs[k], input_bytes[k]),
                 GK_EALIAS, api, "dst or perm overlaps an input tensor");
    }
    GK_CHECK(!gk_ranges_overlap(dst, dst_bytes, perm, perm_bytes), GK_EALIAS, api,
             "dst overlaps perm");
    /* Act-order: a stable counting sort of the inputs by group gives the column permutation;
     * every group must own exactly one block's worth of inputs. */
    size_t *fill = NULL;
    if (g_idx) {
        fill = calloc(n_groups ? n_groups : 1, sizeof *fill);
        GK_CHECK(fill != NULL, GK_ENOMEM, api, "no memory for %zu group counters", n_groups);
        bool ok = true;
        for (size_t i = 0; i < in_features && ok; i++) {
            ok = g_idx[i] >= 0 && (size_t)g_idx[i] < n_groups &&
                 fill[g_idx[i]] < GK_AWQ_GROUP;
            if (ok) fill[g_idx[i]]++;
        }
        if (!ok) free(fill);
        GK_CHECK(ok, GK_EINVAL, api,
                 "g_idx has an entry outside [0, %zu) or a group with more than 128 inputs",
                 n_groups);
        /* Counts are all <= 128 and sum to in_features = 128 n_groups: all exactly 128. */
        memset(fill, 0, n_groups * sizeof *fill);
    }
    for (size_t i = 0; i < in_features; i++) {
        if (g_idx) {
            const size_t g = (size_t)g_idx[i];
            perm[g * GK_AWQ_GROUP + fill[g]++] = (uint32_t)i;
        } else {
            perm[i] = (uint32_t)i;
        }
    }
    free(fill);
    const size_t zero_words = out_features / 8;
    for (size_t o = 0; o < out_features; o++) {
        for (size_t g = 0; g < n_groups; g++) {
            gk_block_awq4 *b = &dst[o * n_groups + g];
            memset(b, 0, sizeof *b);
            b->scale = scales[g * out_features + o];
            const unsigned stored = gk_nibble(qzeros[g * zero_words + o / 8], (unsigned)(o % 8));
            b->zero_point.bits = gk_f16_bits_from_f32((float)(stored + 1)); /* v1: zero - 1 */
            for (int j = 0; j < GK_AWQ_GROUP; j++) {
                const size_t input = perm[g * GK_AWQ_GROUP + (size_t)j];
                const int32_t word = qweight[(input / 8) * out_features + o];
                gk_awq4_set_code(b, j, gk_nibble(word, (unsigned)(input % 8)));
            }
        }
    }
    return GK_OK;
}
