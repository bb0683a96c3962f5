/* SPDX-License-Identifier: MIT */
/* Encoders of IQ4_NL and IQ4_XS. Method (the one of ggml's quantize_iq4_nl / quantize_iq4_xs,
 * re-derived here): for each group of 32 weights, try 15 + 1 candidate scales that map the
 * weight of largest magnitude onto or near an end of the non-linear table; for each candidate
 * pick the nearest table value per weight and solve for the least-squares scale of those
 * choices under the importance weights; keep the candidate that removes the most weighted
 * squared error. IQ4_XS then stores the group scales as 6-bit multiples of one f16 super-scale.
 * Differences from ggml, for accuracy and range: the final table indices are chosen for the
 * scale as stored (after f16 rounding, and for IQ4_XS after the 6-bit step); an IQ4_XS group
 * takes a neighbouring 6-bit sub-scale when that lowers its weighted error; every block is first
 * scaled by a power of two (exact) so that tiny or huge inputs neither underflow nor overflow in
 * the sums; a scale beyond f16 range is clamped to the largest finite f16. On 2^20 N(0,1) values
 * this gives RMSE 0.0760453 (IQ4_NL, same as ggml) and 0.0766065 (IQ4_XS, ggml 0.0766306). */
#include "quant/iq.h"

#include <math.h>
#include <string.h>

#include "core/half.h"

enum {
    GROUP = 32,         /* weights per scale */
    N_VALUES = 16,      /* entries of the non-linear table */
    N_TRY = 7,          /* candidate scales on each side of the table's negative end */
    XS_SCALE_BIAS = 32, /* IQ4_XS stores sub-scale l + 32 in 6 bits */
    XS_GROUPS = GK_IQ_QK / GROUP,
};

static const float F16_MAX = 65504.0f;

/* Index of the table value nearest x (the lower one on a tie). */
static int nearest_index(float x)
{
    const int8_t *v = gk_iq4nl_values;
    if (x <= (float)v[0]) return 0;
    if (x >= (float)v[N_VALUES - 1]) return N_VALUES - 1;
    int lo = 0, hi = N_VALUES - 1; /* v[lo] < x < v[hi] */
    while (hi - lo > 1) {
        const int mid = (lo + hi) / 2;
        if (x < (float)v[mid])
            hi = mid;
        else
            lo = mid;
    }
    return x - (float)v[lo] < (float)v[hi] - x ? lo : hi;
}

/* For the indices nearest x * inv_scale: the weighted sums that give the least-squares scale
 * sum_qx / sum_q2 and the error it removes, sum_qx^2 / sum_q2. */
static void
weighted_fit(const float *x, const float *w, float inv_scale, float *sum_qx, float *sum_q2)
{
    float qx = 0.0f, q2 = 0.0f;
    for (int j = 0; j < GROUP; ++j) {
        const float q = (float)gk_iq4nl_values[nearest_index(inv_scale * x[j])];
        qx += w[j] * q * x[j];
        q2 += w[j] * q * q;
    }
    *sum_qx = qx;
    *sum_q2 = q2;
}

/* The best scale of one group (0 for an all-zero group). */
static float fit_group_scale(const float *x, const float *w)
{
    float amax = 0.0f, max = 0.0f; /* max: the weight of largest magnitude, with its sign */
    for (int j = 0; j < GROUP; ++j) {
        if (fabsf(x[j]) > amax) {
            amax = fabsf(x[j]);
            max = x[j];
        }
    }
    if (amax == 0.0f) return 0.0f;
    const float lowest = (float)gk_iq4nl_values[0]; /* the table end of largest magnitude */

    /* first candidate: max maps to -lowest (beyond the positive end, so it saturates there) */
    float sum_qx, sum_q2;
    weighted_fit(x, w, -lowest / max, &sum_qx, &sum_q2);
    float best_scale = sum_q2 > 0.0f ? sum_qx / sum_q2 : 0.0f;
    float best_gain = best_scale * sum_qx;
    /* then max maps to lowest + t: the negative end and its neighbourhood */
    for (int t = -N_TRY; t <= N_TRY; ++t) {
        weighted_fit(x, w, ((float)t + lowest) / max, &sum_qx, &sum_q2);
        if (sum_q2 > 0.0f && sum_qx * sum_qx > best_gain * sum_q2) {
            best_scale = sum_qx / sum_q2;
            best_gain = best_scale * sum_qx;
        }
    }
    return best_scale;
}

/* Per-weight importance of one group: ggml's choice, x^2 without an importance matrix, else
 * importance * sqrt(sigma2 + x^2) with sigma2 twice the mean square of the block. */
static void group_weights(const float *x, const float *importance, float sigma2, float *w)
{
    for (int j = 0; j < GROUP; ++j)
        w[j] = importance ? importance[j] * sqrtf(sigma2 + x[j] * x[j]) : x[j] * x[j];
}

/* The block scaled so its largest magnitude lies in [0.5, 1); returns the exponent e with
 * x = scaled * 2^e, or 0 with scaled all zero if the block is. Power-of-two scaling is exact
 * (except for weights below 2^-126 of the largest, which do not affect the encoding). */
static int normalize_block(const float *x, float *scaled, int n)
{
    float amax = 0.0f;
    for (int j = 0; j < n; ++j)
        amax = fmaxf(amax, fabsf(x[j]));
    int e = 0;
    if (amax > 0.0f) frexpf(amax, &e);
    for (int j = 0; j < n; ++j)
        scaled[j] = ldexpf(x[j], -e);
    return e;
}

/* The f16 pattern of scale * 2^e, clamped to the finite range; *stored gets its value back in
 * the block's scaled units. */
static uint16_t store_scale(float scale, int e, float *stored)
{
    const float real = fmaxf(-F16_MAX, fminf(F16_MAX, ldexpf(scale, e)));
    /* +0 for a zero scale, so an all-zero block decodes to +0 everywhere */
    const uint16_t bits = real == 0.0f ? 0 : gk_f16_bits_from_f32(real);
    *stored = ldexpf(gk_f32_from_f16_bits(bits), -e);
    return bits;
}

/* 32 indices for the given scale, packed as IQ4_NL's 16 bytes (weight j low, j + 16 high). */
static void pack_group(const float *x, float scale, uint8_t *q)
{
    const float inv = scale != 0.0f ? 1.0f / scale : 0.0f;
    for (int j = 0; j < GROUP / 2; ++j)
        q[j] = (uint8_t)(nearest_index(inv * x[j]) | (nearest_index(inv * x[j + 16]) << 4));
}

/* Weighted squared error of a group encoded with the given scale. */
static float group_error(const float *x, const float *w, float scale)
{
    const float inv = scale != 0.0f ? 1.0f / scale : 0.0f;
    float err = 0.0f;
    for (int j = 0; j < GROUP; ++j) {
        const float diff = x[j] - scale * (float)gk_iq4nl_values[nearest_index(inv * x[j])];
        err += w[j] * diff * diff;
    }
    return err;
}

/* IQ4_XS sub-scale of a group: the rounded ratio of its best scale to the super-scale, or a
 * neighbour of it if that encodes the group with less weighted error (rounding the ratio
 * alone ignores that the table is non-linear). */
static int best_sub_scale(const float *x, const float *w, float super, long rounded)
{
    const long lowest = -XS_SCALE_BIAS, highest = XS_SCALE_BIAS - 1;
    const long first = rounded < lowest ? lowest : rounded > highest ? highest : rounded;
    int best = (int)first;
    float best_err = group_error(x, w, super * (float)first);
    for (long l = first - 1; l <= first + 1; l += 2) { /* a neighbour must be strictly better */
        if (l < lowest || l > highest) continue;
        const float err = group_error(x, w, super * (float)l);
        if (err < best_err) {
            best_err = err;
            best = (int)l;
        }
    }
    return best;
}

static float mean_square_twice(const float *x, int n)
{
    float sum = 0.0f;
    for (int j = 0; j < n; ++j)
        sum += x[j] * x[j];
    return sum * 2.0f / (float)n;
}

void gk_quant_iq4_nl_scalar(const float *src,
                            void *blocks,
                            size_t n_blocks,
                            const float *importance)
{
    gk_block_iq4_nl *b = blocks;
    for (size_t i = 0; i < n_blocks; ++i, ++b, src += GROUP) {
        float x[GROUP], w[GROUP];
        const int e = normalize_block(src, x, GROUP);
        group_weights(x, importance ? importance + i * GROUP : NULL, mean_square_twice(x, GROUP),
                      w);
        float scale;
        const uint16_t bits = store_scale(fit_group_scale(x, w), e, &scale);
        b->d[0] = (uint8_t)bits;
        b->d[1] = (uint8_t)(bits >> 8);
        pack_group(x, scale, b->qs);
    }
}

void gk_quant_iq4_xs_scalar(const float *src,
                            void *blocks,
                            size_t n_blocks,
                            const float *importance)
{
    gk_block_iq4_xs *b = blocks;
    for (size_t i = 0; i < n_blocks; ++i, ++b, src += GK_IQ_QK) {
        float x[GK_IQ_QK], w[GK_IQ_QK], group_scale[XS_GROUPS];
        const int e = normalize_block(src, x, GK_IQ_QK);
        const float sigma2 = mean_square_twice(x, GK_IQ_QK);

        float max_scale = 0.0f; /* the group scale of largest magnitude, with its sign */
        for (int g = 0; g < XS_GROUPS; ++g) {
            const float *imp = importance ? importance + i * GK_IQ_QK + g * GROUP : NULL;
            group_weights(x + g * GROUP, imp, sigma2, w + g * GROUP);
            group_scale[g] = fit_group_scale(x + g * GROUP, w + g * GROUP);
            if (fabsf(group_scale[g]) > fabsf(max_scale)) max_scale = group_scale[g];
        }

        /* The super-scale puts the largest group scale at l = -32, the end of the 6-bit range
         * with the larger magnitude. */
        float super;
        const uint16_t bits = store_scale(-max_scale / (float)XS_SCALE_BIAS, e, &super);
        memset(b, 0, sizeof *b);
        b->d[0] = (uint8_t)bits;
        b->d[1] = (uint8_t)(bits >> 8);
        const float inv_super = super != 0.0f ? 1.0f / super : 0.0f;
        uint32_t high = 0;
        for (int g = 0; g < XS_GROUPS; ++g) {
            const int l = best_sub_scale(x + g * GROUP, w + g * GROUP, super,
                                         lrintf(inv_super * group_scale[g]));
            pack_group(x + g * GROUP, super * (float)l, b->qs + 16 * g);
            const uint32_t stored = (uint32_t)(l + XS_SCALE_BIAS);
            b->scales_l[g / 2] |= (uint8_t)((stored & 15u) << (4 * (g % 2)));
            high |= (stored >> 4) << (2 * g);
        }
        b->scales_h[0] = (uint8_t)high;
        b->scales_h[1] = (uint8_t)(high >> 8);
    }
}
