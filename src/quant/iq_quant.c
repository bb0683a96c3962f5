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
#include <pthread.h>
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

/* v rounded to the nearest integer (ties to even) and clamped to [lo, hi]; NaN gives lo. The
 * clamp comes first: lrintf of a value beyond the range of long is unspecified. */
static int clamped_round(float v, int lo, int hi)
{
    if (!(v > (float)lo)) return lo;
    if (v >= (float)hi) return hi;
    return (int)lrintf(v);
}

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
static int best_sub_scale(const float *x, const float *w, float super, int rounded)
{
    int best = rounded;
    float best_err = group_error(x, w, super * (float)rounded);
    for (int l = rounded - 1; l <= rounded + 1; l += 2) { /* a neighbour must be strictly better */
        if (l < -XS_SCALE_BIAS || l > XS_SCALE_BIAS - 1) continue;
        const float err = group_error(x, w, super * (float)l);
        if (err < best_err) {
            best_err = err;
            best = l;
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
            const int l = best_sub_scale(
                x + g * GROUP, w + g * GROUP, super,
                clamped_round(inv_super * group_scale[g], -XS_SCALE_BIAS, XS_SCALE_BIAS - 1));
            pack_group(x + g * GROUP, super * (float)l, b->qs + 16 * g);
            const uint32_t stored = (uint32_t)(l + XS_SCALE_BIAS);
            b->scales_l[g / 2] |= (uint8_t)((stored & 15u) << (4 * (g % 2)));
            high |= (stored >> 4) << (2 * g);
        }
        b->scales_h[0] = (uint8_t)high;
        b->scales_h[1] = (uint8_t)(high >> 8);
    }
}

/* ---- IQ3_XXS ------------------------------------------------------------------------------ */

/* IQ3_XXS codes each 4 weights (magnitudes; signs are separate) as one of 256 points of the
 * lattice {0..7}^4, element l standing for the value (2l + 1) times the group scale (the grid
 * bytes are 4 (2l + 1), except 62 for l = 7: we use the true byte / 4 as the value). A
 * candidate scale rounds each weight to the nearest level; when that lattice point is not one
 * of the 256, we take the best of its IQ3_NEAR nearest grid points under the weighted error.
 * The nearest-point lists are built once per process (4096 points x 256 grid points). */
enum {
    IQ3_LEVELS = 8,
    IQ3_POINTS = IQ3_LEVELS * IQ3_LEVELS * IQ3_LEVELS * IQ3_LEVELS,
    IQ3_GRID = 256,
    IQ3_NEAR = 16,
    IQ3_MAX_SUB = 15,    /* 4-bit sub-scale s: the group scale is super * (2 s + 1) */
    IQ3_CANDIDATES = 15, /* candidate scales on each side of max / 15 */
};

static struct {
    int16_t grid_of_point[IQ3_POINTS];  /* grid index of a lattice point, -1 if off the grid */
    uint8_t near[IQ3_POINTS][IQ3_NEAR]; /* off-grid points: nearest grid points, closest first */
    float value[IQ3_GRID][4];           /* grid element values in units of the group scale */
} iq3;

static pthread_once_t iq3_once = PTHREAD_ONCE_INIT;

static int iq3_level(uint32_t grid_entry, int i)
{
    return (int)((grid_entry >> (8 * i)) & 0xFFu) / 8; /* 4, 12, ..., 52, 62 -> 0..7 */
}

static void iq3_build_tables(void)
{
    for (int p = 0; p < IQ3_POINTS; ++p)
        iq3.grid_of_point[p] = -1;
    for (int g = 0; g < IQ3_GRID; ++g) {
        int point = 0;
        for (int i = 0; i < 4; ++i) {
            point |= iq3_level(gk_iq3xxs_grid[g], i) << (3 * i);
            iq3.value[g][i] = (float)((gk_iq3xxs_grid[g] >> (8 * i)) & 0xFFu) * 0.25f;
        }
        iq3.grid_of_point[point] = (int16_t)g;
    }
    for (int p = 0; p < IQ3_POINTS; ++p) {
        if (iq3.grid_of_point[p] >= 0) continue;
        int dist[IQ3_GRID];
        for (int g = 0; g < IQ3_GRID; ++g) {
            dist[g] = 0;
            for (int i = 0; i < 4; ++i) {
                const int diff = ((p >> (3 * i)) & 7) - iq3_level(gk_iq3xxs_grid[g], i);
                dist[g] += diff * diff;
            }
        }
        /* selection of the IQ3_NEAR smallest distances, ties to the lower grid index */
        for (int k = 0; k < IQ3_NEAR; ++k) {
            int best = -1;
            for (int g = 0; g < IQ3_GRID; ++g)
                if (dist[g] >= 0 && (best < 0 || dist[g] < dist[best])) best = g;
            iq3.near[p][k] = (uint8_t)best;
            dist[best] = -1;
        }
    }
}

/* Squared error of 4 magnitudes coded as grid point g at the given scale, weighted by ws. The
 * point choices use ws = sqrt(w), as ggml does: with w itself (x^2 without importance) the
 * round-trip RMSE on 2^20 N(0,1) values was 0.2399 instead of 0.2127 (ggml: 0.2126). */
static float iq3_point_error(const float *xval, const float *ws, float scale, int g)
{
    float err = 0.0f;
    for (int i = 0; i < 4; ++i) {
        const float diff = scale * iq3.value[g][i] - xval[i];
        err += ws[i] * diff * diff;
    }
    return err;
}

/* Grid points of the 8 quads of a group for one scale; returns sum w q x and sum w q^2. */
static void iq3_choose_points(const float *xval,
                              const float *w,
                              const float *ws,
                              float scale,
                              uint8_t *points,
                              float *sum_qx,
                              float *sum_q2)
{
    const float inv = 1.0f / scale;
    float qx = 0.0f, q2 = 0.0f;
    for (int k = 0; k < 8; ++k) {
        const float *xq = xval + 4 * k, *wq = w + 4 * k, *wsq = ws + 4 * k;
        int point = 0;
        for (int i = 0; i < 4; ++i) {
            point |= clamped_round(0.5f * (inv * xq[i] - 1.0f), 0, IQ3_LEVELS - 1) << (3 * i);
        }
        int g = iq3.grid_of_point[point];
        if (g < 0) {
            float best_err = INFINITY;
            for (int n = 0; n < IQ3_NEAR; ++n) {
                const float err = iq3_point_error(xq, wsq, scale, iq3.near[point][n]);
                if (err < best_err) {
                    best_err = err;
                    g = iq3.near[point][n];
                }
            }
        }
        points[k] = (uint8_t)g;
        for (int i = 0; i < 4; ++i) {
            qx += wq[i] * iq3.value[g][i] * xq[i];
            q2 += wq[i] * iq3.value[g][i] * iq3.value[g][i];
        }
    }
    *sum_qx = qx;
    *sum_q2 = q2;
}

/* Signs of one group: xval gets the magnitudes, codes the four 7-bit sign codes. A code fixes
 * 7 signs and the 8th makes the count of negatives even, so with an odd count the weight that
 * matters least (smallest w x^2) is coded with the wrong sign (its magnitude negated). */
static void iq3_signs(const float *x, const float *w, float *xval, uint32_t codes[4])
{
    for (int k = 0; k < 4; ++k) {
        uint32_t negative = 0;
        int least = 0;
        for (int i = 0; i < 8; ++i) {
            const int j = 8 * k + i;
            xval[j] = fabsf(x[j]);
            if (x[j] < 0.0f) negative |= 1u << i;
            if (w[j] * x[j] * x[j] < w[8 * k + least] * x[8 * k + least] * x[8 * k + least])
                least = i;
        }
        if (__builtin_popcount(negative) & 1) {
            negative ^= 1u << least;
            xval[8 * k + least] = -xval[8 * k + least];
        }
        codes[k] = negative & 127u;
    }
}

/* Best scale and grid points of one group (scale 0 for an all-zero group). */
static float iq3_fit_group(const float *xval, const float *w, const float *ws, uint8_t points[8])
{
    float max = 0.0f;
    for (int j = 0; j < GROUP; ++j)
        max = fmaxf(max, xval[j]);
    memset(points, 0, 8);
    if (max == 0.0f) return 0.0f;
    float best_scale = 0.0f, best_gain = 0.0f;
    for (int t = -IQ3_CANDIDATES; t <= IQ3_CANDIDATES; ++t) {
        uint8_t candidate[8];
        float sum_qx, sum_q2;
        const float top = (float)(2 * IQ3_LEVELS - 1) + 0.2f * (float)t;
        iq3_choose_points(xval, w, ws, max / top, candidate, &sum_qx, &sum_q2);
        if (sum_q2 > 0.0f && sum_qx * sum_qx > best_gain * sum_q2) {
            best_scale = sum_qx / sum_q2;
            best_gain = best_scale * sum_qx;
            memcpy(points, candidate, 8);
        }
    }
    return best_scale;
}

/* Chooses the points of a group for a scale; returns their error weighted by ws. */
static float
iq3_group_error(const float *xval, const float *w, const float *ws, float scale, uint8_t points[8])
{
    float sum_qx, sum_q2;
    iq3_choose_points(xval, w, ws, scale, points, &sum_qx, &sum_q2);
    float err = 0.0f;
    for (int k = 0; k < 8; ++k)
        err += iq3_point_error(xval + 4 * k, ws + 4 * k, scale, points[k]);
    return err;
}

void gk_quant_iq3_xxs_scalar(const float *src,
                             void *blocks,
                             size_t n_blocks,
                             const float *importance)
{
    pthread_once(&iq3_once, iq3_build_tables);
    gk_block_iq3_xxs *b = blocks;
    for (size_t i = 0; i < n_blocks; ++i, ++b, src += GK_IQ_QK) {
        float x[GK_IQ_QK], w[GK_IQ_QK], ws[GK_IQ_QK], xval[GK_IQ_QK], group_scale[XS_GROUPS];
        uint32_t codes[XS_GROUPS][4];
        uint8_t points[8];
        const int e = normalize_block(src, x, GK_IQ_QK);
        const float sigma2 = mean_square_twice(x, GK_IQ_QK);
        float max_scale = 0.0f;
        for (int g = 0; g < XS_GROUPS; ++g) {
            const float *imp = importance ? importance + i * GK_IQ_QK + g * GROUP : NULL;
            group_weights(x + g * GROUP, imp, sigma2, w + g * GROUP);
            for (int j = g * GROUP; j < (g + 1) * GROUP; ++j)
                ws[j] = sqrtf(w[j]);
            iq3_signs(x + g * GROUP, w + g * GROUP, xval + g * GROUP, codes[g]);
            group_scale[g] = iq3_fit_group(xval + g * GROUP, w + g * GROUP, ws + g * GROUP, points);
            if (group_scale[g] < 0.0f) { /* all signs flipped: the scale becomes positive */
                group_scale[g] = -group_scale[g];
                for (int k = 0; k < 4; ++k)
                    codes[g][k] = ~codes[g][k] & 127u;
                for (int j = 0; j < GROUP; ++j)
                    xval[g * GROUP + j] = -xval[g * GROUP + j];
            }
            max_scale = fmaxf(max_scale, group_scale[g]);
        }
        /* The super-scale puts the largest group scale at the top sub-scale, 2 * 15 + 1. */
        float super;
        const uint16_t bits = store_scale(max_scale / (float)(2 * IQ3_MAX_SUB + 1), e, &super);
        memset(b, 0, sizeof *b);
        b->d[0] = (uint8_t)bits;
        b->d[1] = (uint8_t)(bits >> 8);
        if (super == 0.0f) continue; /* decodes to zeros */
        for (int g = 0; g < XS_GROUPS; ++g) {
            const float *xg = xval + g * GROUP, *wg = w + g * GROUP, *wsg = ws + g * GROUP;
            /* the rounded sub-scale, or a neighbour if it codes the group with less error */
            const int s = clamped_round(0.5f * (group_scale[g] / super - 1.0f), 0, IQ3_MAX_SUB);
            int best = s;
            float best_err = iq3_group_error(xg, wg, wsg, super * (float)(2 * s + 1), points);
            for (int t = s - 1; t <= s + 1; t += 2) {
                if (t < 0 || t > IQ3_MAX_SUB) continue;
                const float err = iq3_group_error(xg, wg, wsg, super * (float)(2 * t + 1), points);
                if (err < best_err) {
                    best_err = err;
                    best = t;
                }
            }
            iq3_group_error(xg, wg, wsg, super * (float)(2 * best + 1), points);
            memcpy(b->qs + 8 * g, points, 8);
            const uint32_t word = codes[g][0] | (codes[g][1] << 7) | (codes[g][2] << 14) |
                                  (codes[g][3] << 21) | ((uint32_t)best << 28);
            for (int k = 0; k < 4; ++k)
                b->qs[64 + 4 * g + k] = (uint8_t)(word >> (8 * k));
        }
    }
}
