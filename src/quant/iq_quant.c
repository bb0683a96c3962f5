/* SPDX-License-Identifier: MIT */
/* Encoders of the IQ formats but IQ1_S / IQ1_M (decode-only, iq.h says why). The lattice
 * formats (IQ3_XXS, IQ3_S, IQ2_XXS, IQ2_XS, IQ2_S) are in the second half of this file; their
 * method is described in iq.h and above lattice_build.
 *
 * IQ4_NL and IQ4_XS. Method (the one of ggml's quantize_iq4_nl / quantize_iq4_xs,
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
#include <stdbool.h>
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

/* ---- IQ3_XXS, IQ3_S, IQ2_XXS, IQ2_XS, IQ2_S: lattice encoders ------------------------------ */

/* These formats code weights in sub-groups (32 weights; IQ2_XS and IQ2_S: 16) with a 4-bit
 * sub-scale s each, signs (IQ3_XXS, IQ2_XXS, IQ2_XS: a 7-bit code per 8 weights; IQ3_S, IQ2_S:
 * a sign byte per 8 weights) and grid points: IQ3 points of 4 magnitudes on 8 levels, IQ2
 * points of 8 magnitudes on 3 levels. The grids hold 256 (IQ3_S, IQ2_XS: 512; IQ2_S: 1024) of
 * the lattice's points. Level l stands for about (2l + 1) times the sub-group scale; we use the
 * true grid byte (divided by 4 for IQ3_XXS, 8 for IQ2) as the value, so the search sees what
 * the decoder produces. A candidate scale rounds each magnitude to its nearest level; when that
 * lattice point is not on the grid we take the best of its LATTICE_NEAR nearest grid points
 * (Euclidean distance in levels, ties to the lower index) under the weighted error. The
 * nearest-point lists of a format are built once per process, at its first use. */
enum {
    LATTICE_MAX_GRID = 1024,
    LATTICE_NEAR = 16,
    LATTICE_MAX_DIM = 8,
    LATTICE_MAX_SUBS = GK_IQ_QK / 16, /* sub-groups per super-block, at most */
    LATTICE_MAX_SUB = 15,             /* 4-bit sub-scale s: the scale is super * (2 s + 1) */
};

typedef struct lattice {
    int dim, levels, n_points, n_grid;
    int sub_len;      /* weights per sub-scale */
    int t_min, t_max; /* candidate scales max / (2 levels - 1 + step t), t_min <= t <= t_max */
    float candidate_step;
    bool explicit_signs;    /* one sign bit per weight (else 7-bit codes of even parity) */
    const void *grid;       /* the generated table: uint32_t entries if dim is 4, else uint64_t */
    float byte_unit;        /* grid value = byte * byte_unit */
    int16_t *grid_of_point; /* grid index of a lattice point, -1 if off the grid */
    uint16_t (*near)[LATTICE_NEAR];
    float (*value)[LATTICE_MAX_DIM]; /* grid element values in units of the sub-group scale */
} lattice;

static int16_t iq3_grid_of_point[4096], iq3s_grid_of_point[4096], iq2_grid_of_point[6561],
    iq2xs_grid_of_point[6561], iq2s_grid_of_point[6561];
static uint16_t iq3_near[4096][LATTICE_NEAR], iq3s_near[4096][LATTICE_NEAR],
    iq2_near[6561][LATTICE_NEAR], iq2xs_near[6561][LATTICE_NEAR], iq2s_near[6561][LATTICE_NEAR];
static float iq3_value[256][LATTICE_MAX_DIM], iq3s_value[512][LATTICE_MAX_DIM],
    iq2_value[256][LATTICE_MAX_DIM], iq2xs_value[512][LATTICE_MAX_DIM],
    iq2s_value[1024][LATTICE_MAX_DIM];

/* Candidate ranges: ggml's for IQ3_XXS (31 candidates 0.2 apart) and IQ3_S (19, 0.2 apart).
 * The IQ2 formats use ggml's step 0.1 over a wider range: IQ2_XXS 41 candidates (ggml seeds
 * it with a separate first estimate instead), IQ2_XS / IQ2_S 30 reaching down to max / 3.0, so
 * that a 16-weight sub-group without a top-level weight can still be coded exactly. */
static lattice iq3_lattice = {.dim = 4,
                              .levels = 8,
                              .n_points = 4096,
                              .n_grid = 256,
                              .sub_len = 32,
                              .t_min = -15,
                              .t_max = 15,
                              .candidate_step = 0.2f,
                              .grid = gk_iq3xxs_grid,
                              .byte_unit = 0.25f,
                              .grid_of_point = iq3_grid_of_point,
                              .near = iq3_near,
                              .value = iq3_value};
static lattice iq3s_lattice = {.dim = 4,
                               .levels = 8,
                               .n_points = 4096,
                               .n_grid = 512,
                               .sub_len = 32,
                               .t_min = -9,
                               .t_max = 9,
                               .candidate_step = 0.2f,
                               .explicit_signs = true,
                               .grid = gk_iq3s_grid,
                               .byte_unit = 1.0f,
                               .grid_of_point = iq3s_grid_of_point,
                               .near = iq3s_near,
                               .value = iq3s_value};
static lattice iq2_lattice = {.dim = 8,
                              .levels = 3,
                              .n_points = 6561,
                              .n_grid = 256,
                              .sub_len = 32,
                              .t_min = -20,
                              .t_max = 20,
                              .candidate_step = 0.1f,
                              .grid = gk_iq2xxs_grid,
                              .byte_unit = 0.125f,
                              .grid_of_point = iq2_grid_of_point,
                              .near = iq2_near,
                              .value = iq2_value};
static lattice iq2xs_lattice = {.dim = 8,
                                .levels = 3,
                                .n_points = 6561,
                                .n_grid = 512,
                                .sub_len = 16,
                                .t_min = -20,
                                .t_max = 9,
                                .candidate_step = 0.1f,
                                .grid = gk_iq2xs_grid,
                                .byte_unit = 0.125f,
                                .grid_of_point = iq2xs_grid_of_point,
                                .near = iq2xs_near,
                                .value = iq2xs_value};
static lattice iq2s_lattice = {.dim = 8,
                               .levels = 3,
                               .n_points = 6561,
                               .n_grid = 1024,
                               .sub_len = 16,
                               .t_min = -20,
                               .t_max = 9,
                               .candidate_step = 0.1f,
                               .explicit_signs = true,
                               .grid = gk_iq2s_grid,
                               .byte_unit = 0.125f,
                               .grid_of_point = iq2s_grid_of_point,
                               .near = iq2s_near,
                               .value = iq2s_value};

/* Level and value of element i of grid entry g. */
static int grid_level(const lattice *lat, int g, int i, float *value)
{
    const uint64_t entry =
        lat->dim == 4 ? ((const uint32_t *)lat->grid)[g] : ((const uint64_t *)lat->grid)[g];
    const int byte = (int)((entry >> (8 * i)) & 0xFFu);
    *value = (float)byte * lat->byte_unit;
    if (lat->dim == 4) return lat->explicit_signs ? byte / 2 : byte / 8; /* 1..15 or 4..62 */
    return (byte - 8) / 17;                                              /* 8, 25, 43 */
}

static void lattice_build(lattice *lat)
{
    static int level[LATTICE_MAX_GRID][LATTICE_MAX_DIM]; /* under the caller's pthread_once */
    for (int p = 0; p < lat->n_points; ++p)
        lat->grid_of_point[p] = -1;
    for (int g = 0; g < lat->n_grid; ++g) {
        int point = 0;
        for (int i = lat->dim - 1; i >= 0; --i) {
            level[g][i] = grid_level(lat, g, i, &lat->value[g][i]);
            point = point * lat->levels + level[g][i];
        }
        lat->grid_of_point[point] = (int16_t)g;
    }
    for (int p = 0; p < lat->n_points; ++p) {
        if (lat->grid_of_point[p] >= 0) continue;
        int dist[LATTICE_MAX_GRID];
        for (int g = 0; g < lat->n_grid; ++g) {
            dist[g] = 0;
            for (int i = 0, rest = p; i < lat->dim; ++i, rest /= lat->levels) {
                const int diff = rest % lat->levels - level[g][i];
                dist[g] += diff * diff;
            }
        }
        for (int k = 0; k < LATTICE_NEAR; ++k) { /* selection of the smallest distances */
            int best = -1;
            for (int g = 0; g < lat->n_grid; ++g)
                if (dist[g] >= 0 && (best < 0 || dist[g] < dist[best])) best = g;
            lat->near[p][k] = (uint16_t)best;
            dist[best] = -1;
        }
    }
}

/* One pthread_once per format, so an encoder builds only its own lists. */
#define GK_LATTICE_ONCE(name)                              \
    static pthread_once_t name##_once = PTHREAD_ONCE_INIT; \
    static void name##_build(void)                         \
    {                                                      \
        lattice_build(&name);                              \
    }
GK_LATTICE_ONCE(iq3_lattice)
GK_LATTICE_ONCE(iq3s_lattice)
GK_LATTICE_ONCE(iq2_lattice)
GK_LATTICE_ONCE(iq2xs_lattice)
GK_LATTICE_ONCE(iq2s_lattice)
#undef GK_LATTICE_ONCE

/* Without importance, the 2-bit formats weight each value by x^2 + sigma2 / 4 instead of x^2
 * (ggml's choice for IQ2_S): with x^2 alone small values are neglected, and on 2^20 N(0,1)
 * values IQ2_S scored RMSE 0.2965 (ggml 0.2643). */
static const float default_sigma2_share = 0.25f;

/* Squared error of dim magnitudes coded as grid point g at the given scale, weighted by ws. The
 * point choices use ws = sqrt(w), as ggml does: with w itself (x^2 without importance) the
 * IQ3_XXS round-trip RMSE on 2^20 N(0,1) values was 0.2399 instead of 0.2127 (ggml: 0.2126). */
static float point_error(const lattice *lat, const float *xval, const float *ws, float scale, int g)
{
    float err = 0.0f;
    for (int i = 0; i < lat->dim; ++i) {
        const float diff = scale * lat->value[g][i] - xval[i];
        err += ws[i] * diff * diff;
    }
    return err;
}

/* Grid points of the magnitudes of a sub-group for one scale; returns sum w q x, sum w q^2. */
static void choose_points(const lattice *lat,
                          const float *xval,
                          const float *w,
                          const float *ws,
                          float scale,
                          uint16_t *points,
                          float *sum_qx,
                          float *sum_q2)
{
    const float inv = 1.0f / scale;
    float qx = 0.0f, q2 = 0.0f;
    for (int k = 0; k < lat->sub_len / lat->dim; ++k) {
        const float *xq = xval + lat->dim * k, *wq = w + lat->dim * k, *wsq = ws + lat->dim * k;
        int point = 0;
        for (int i = lat->dim - 1; i >= 0; --i)
            point = point * lat->levels +
                    clamped_round(0.5f * (inv * xq[i] - 1.0f), 0, lat->levels - 1);
        int g = lat->grid_of_point[point];
        if (g < 0) {
            float best_err = INFINITY;
            for (int n = 0; n < LATTICE_NEAR; ++n) {
                const float err = point_error(lat, xq, wsq, scale, lat->near[point][n]);
                if (err < best_err) {
                    best_err = err;
                    g = lat->near[point][n];
                }
            }
        }
        points[k] = (uint16_t)g;
        for (int i = 0; i < lat->dim; ++i) {
            qx += wq[i] * lat->value[g][i] * xq[i];
            q2 += wq[i] * lat->value[g][i] * lat->value[g][i];
        }
    }
    *sum_qx = qx;
    *sum_q2 = q2;
}

/* Signs of n weights: xval gets the magnitudes, codes one sign byte per 8 weights (bit i:
 * weight i negative). With 7-bit codes the 8th sign makes the count of negatives even, so with
 * an odd count the weight that matters least (smallest w x^2) is coded with the wrong sign
 * (its magnitude negated), and the codes keep their low 7 bits. */
static void
group_signs(const lattice *lat, const float *x, const float *w, int n, float *xval, uint32_t *codes)
{
    for (int k = 0; k < n / 8; ++k) {
        uint32_t negative = 0;
        int least = 0;
        for (int i = 0; i < 8; ++i) {
            const int j = 8 * k + i;
            xval[j] = fabsf(x[j]);
            if (x[j] < 0.0f) negative |= 1u << i;
            if (w[j] * x[j] * x[j] < w[8 * k + least] * x[8 * k + least] * x[8 * k + least])
                least = i;
        }
        if (!lat->explicit_signs && (__builtin_popcount(negative) & 1)) {
            negative ^= 1u << least;
            xval[8 * k + least] = -xval[8 * k + least];
        }
        codes[k] = lat->explicit_signs ? negative : negative & 127u;
    }
}

/* Best scale of one sub-group over the candidate scales (0 for an all-zero sub-group). */
static float
fit_lattice_group(const lattice *lat, const float *xval, const float *w, const float *ws)
{
    float max = 0.0f;
    for (int j = 0; j < lat->sub_len; ++j)
        max = fmaxf(max, xval[j]);
    if (max == 0.0f) return 0.0f;
    float best_scale = 0.0f, best_gain = 0.0f;
    for (int t = lat->t_min; t <= lat->t_max; ++t) {
        uint16_t points[GROUP / 4];
        float sum_qx, sum_q2;
        const float top = (float)(2 * lat->levels - 1) + lat->candidate_step * (float)t;
        choose_points(lat, xval, w, ws, max / top, points, &sum_qx, &sum_q2);
        if (sum_q2 > 0.0f && sum_qx * sum_qx > best_gain * sum_q2) {
            best_scale = sum_qx / sum_q2;
            best_gain = best_scale * sum_qx;
        }
    }
    return best_scale;
}

/* Chooses the points of a sub-group for a scale; returns their error weighted by ws. */
static float lattice_group_error(const lattice *lat,
                                 const float *xval,
                                 const float *w,
                                 const float *ws,
                                 float scale,
                                 uint16_t *points)
{
    float sum_qx, sum_q2;
    choose_points(lat, xval, w, ws, scale, points, &sum_qx, &sum_q2);
    float err = 0.0f;
    for (int k = 0; k < lat->sub_len / lat->dim; ++k)
        err += point_error(lat, xval + lat->dim * k, ws + lat->dim * k, scale, points[k]);
    return err;
}

/* One super-block: *bits gets the f16 super-scale, and per sub-group h: points[h] its grid
 * points, codes[h] its sign codes or bytes (one per 8 weights), sub[h] its 4-bit sub-scale. */
static void encode_lattice_block(const lattice *lat,
                                 const float *src,
                                 const float *importance,
                                 uint16_t *bits,
                                 uint16_t points[LATTICE_MAX_SUBS][GROUP / 4],
                                 uint32_t codes[LATTICE_MAX_SUBS][4],
                                 int sub[LATTICE_MAX_SUBS])
{
    float x[GK_IQ_QK], w[GK_IQ_QK], ws[GK_IQ_QK], xval[GK_IQ_QK], sub_scale[LATTICE_MAX_SUBS];
    const int e = normalize_block(src, x, GK_IQ_QK);
    const float sigma2 = mean_square_twice(x, GK_IQ_QK);
    for (int g = 0; g < XS_GROUPS; ++g)
        group_weights(x + g * GROUP, importance ? importance + g * GROUP : NULL, sigma2,
                      w + g * GROUP);
    if (!importance && lat->dim == 8) /* see default_sigma2_share */
        for (int j = 0; j < GK_IQ_QK; ++j)
            w[j] += default_sigma2_share * sigma2;
    for (int j = 0; j < GK_IQ_QK; ++j)
        ws[j] = sqrtf(w[j]);

    const int n_subs = GK_IQ_QK / lat->sub_len;
    const uint32_t all_signs = lat->explicit_signs ? 255u : 127u;
    float max_scale = 0.0f;
    for (int h = 0; h < n_subs; ++h) {
        const int at = h * lat->sub_len;
        group_signs(lat, x + at, w + at, lat->sub_len, xval + at, codes[h]);
        sub_scale[h] = fit_lattice_group(lat, xval + at, w + at, ws + at);
        if (sub_scale[h] < 0.0f) { /* flip every sign so that the scale is positive */
            sub_scale[h] = -sub_scale[h];
            for (int k = 0; k < lat->sub_len / 8; ++k)
                codes[h][k] = ~codes[h][k] & all_signs;
            for (int j = 0; j < lat->sub_len; ++j)
                xval[at + j] = -xval[at + j];
        }
        max_scale = fmaxf(max_scale, sub_scale[h]);
    }
    /* The super-scale puts the largest sub-group scale at the top sub-scale, 2 * 15 + 1. */
    float super;
    *bits = store_scale(max_scale / (float)(2 * LATTICE_MAX_SUB + 1), e, &super);
    for (int h = 0; h < n_subs; ++h) {
        const int at = h * lat->sub_len;
        const float *xh = xval + at, *wh = w + at, *wsh = ws + at;
        sub[h] = 0;
        if (super == 0.0f) { /* the block decodes to zeros */
            memset(points[h], 0, sizeof points[h]);
            continue;
        }
        /* the rounded sub-scale, or a neighbour if it codes the sub-group with less error */
        const int s = clamped_round(0.5f * (sub_scale[h] / super - 1.0f), 0, LATTICE_MAX_SUB);
        float best_err =
            lattice_group_error(lat, xh, wh, wsh, super * (float)(2 * s + 1), points[h]);
        sub[h] = s;
        for (int t = s - 1; t <= s + 1; t += 2) {
            if (t < 0 || t > LATTICE_MAX_SUB) continue;
            const float err =
                lattice_group_error(lat, xh, wh, wsh, super * (float)(2 * t + 1), points[h]);
            if (err < best_err) {
                best_err = err;
                sub[h] = t;
            }
        }
        lattice_group_error(lat, xh, wh, wsh, super * (float)(2 * sub[h] + 1), points[h]);
    }
}

static void put_u32(uint8_t *p, uint32_t v)
{
    for (int k = 0; k < 4; ++k)
        p[k] = (uint8_t)(v >> (8 * k));
}

/* IQ3_XXS / IQ2_XXS: four 7-bit sign codes and the sub-scale in one word. */
static uint32_t code_word(const uint32_t codes[4], int sub)
{
    return codes[0] | (codes[1] << 7) | (codes[2] << 14) | (codes[3] << 21) | ((uint32_t)sub << 28);
}

/* The parts of one super-block, as encode_lattice_block returns them. */
typedef struct lattice_block {
    uint16_t bits;
    uint16_t points[LATTICE_MAX_SUBS][GROUP / 4];
    uint32_t codes[LATTICE_MAX_SUBS][4];
    int sub[LATTICE_MAX_SUBS];
} lattice_block;

static void encode_lattice(
    const lattice *lat, const float *src, size_t i, const float *importance, lattice_block *out)
{
    encode_lattice_block(lat, src + i * GK_IQ_QK, importance ? importance + i * GK_IQ_QK : NULL,
                         &out->bits, out->points, out->codes, out->sub);
}

void gk_quant_iq3_xxs_scalar(const float *src,
                             void *blocks,
                             size_t n_blocks,
                             const float *importance)
{
    pthread_once(&iq3_lattice_once, iq3_lattice_build);
    gk_block_iq3_xxs *b = blocks;
    for (size_t i = 0; i < n_blocks; ++i, ++b) {
        lattice_block q;
        encode_lattice(&iq3_lattice, src, i, importance, &q);
        b->d[0] = (uint8_t)q.bits;
        b->d[1] = (uint8_t)(q.bits >> 8);
        for (int g = 0; g < XS_GROUPS; ++g) {
            for (int k = 0; k < 8; ++k)
                b->qs[8 * g + k] = (uint8_t)q.points[g][k];
            put_u32(b->qs + 64 + 4 * g, code_word(q.codes[g], q.sub[g]));
        }
    }
}

void gk_quant_iq2_xxs_scalar(const float *src,
                             void *blocks,
                             size_t n_blocks,
                             const float *importance)
{
    pthread_once(&iq2_lattice_once, iq2_lattice_build);
    gk_block_iq2_xxs *b = blocks;
    for (size_t i = 0; i < n_blocks; ++i, ++b) {
        lattice_block q;
        encode_lattice(&iq2_lattice, src, i, importance, &q);
        b->d[0] = (uint8_t)q.bits;
        b->d[1] = (uint8_t)(q.bits >> 8);
        for (int g = 0; g < XS_GROUPS; ++g) {
            for (int k = 0; k < 4; ++k)
                b->qs[8 * g + k] = (uint8_t)q.points[g][k];
            put_u32(b->qs + 8 * g + 4, code_word(q.codes[g], q.sub[g]));
        }
    }
}

void gk_quant_iq3_s_scalar(const float *src, void *blocks, size_t n_blocks, const float *importance)
{
    pthread_once(&iq3s_lattice_once, iq3s_lattice_build);
    gk_block_iq3_s *b = blocks;
    for (size_t i = 0; i < n_blocks; ++i, ++b) {
        lattice_block q;
        encode_lattice(&iq3s_lattice, src, i, importance, &q);
        memset(b, 0, sizeof *b);
        b->d[0] = (uint8_t)q.bits;
        b->d[1] = (uint8_t)(q.bits >> 8);
        for (int g = 0; g < XS_GROUPS; ++g) {
            for (int k = 0; k < 8; ++k) {
                b->qs[8 * g + k] = (uint8_t)q.points[g][k];
                b->qh[g] |= (uint8_t)((q.points[g][k] >> 8) << k);
            }
            for (int k = 0; k < 4; ++k)
                b->signs[4 * g + k] = (uint8_t)q.codes[g][k];
            b->scales[g / 2] |= (uint8_t)(q.sub[g] << (4 * (g % 2)));
        }
    }
}

/* IQ2_XS / IQ2_S: sub-group h is half h % 2 of group g = h / 2; its two points are the group's
 * 8-weight units 2 (h % 2) and 2 (h % 2) + 1, its sub-scale the nibble h % 2 of scales[g]. */
void gk_quant_iq2_xs_scalar(const float *src,
                            void *blocks,
                            size_t n_blocks,
                            const float *importance)
{
    pthread_once(&iq2xs_lattice_once, iq2xs_lattice_build);
    gk_block_iq2_xs *b = blocks;
    for (size_t i = 0; i < n_blocks; ++i, ++b) {
        lattice_block q;
        encode_lattice(&iq2xs_lattice, src, i, importance, &q);
        memset(b, 0, sizeof *b);
        b->d[0] = (uint8_t)q.bits;
        b->d[1] = (uint8_t)(q.bits >> 8);
        for (int h = 0; h < 2 * XS_GROUPS; ++h) {
            for (int k = 0; k < 2; ++k) {
                const uint32_t unit = q.points[h][k] | (q.codes[h][k] << 9);
                b->qs[2 * (2 * h + k)] = (uint8_t)unit;
                b->qs[2 * (2 * h + k) + 1] = (uint8_t)(unit >> 8);
            }
            b->scales[h / 2] |= (uint8_t)(q.sub[h] << (4 * (h % 2)));
        }
    }
}

void gk_quant_iq2_s_scalar(const float *src, void *blocks, size_t n_blocks, const float *importance)
{
    pthread_once(&iq2s_lattice_once, iq2s_lattice_build);
    gk_block_iq2_s *b = blocks;
    for (size_t i = 0; i < n_blocks; ++i, ++b) {
        lattice_block q;
        encode_lattice(&iq2s_lattice, src, i, importance, &q);
        memset(b, 0, sizeof *b);
        b->d[0] = (uint8_t)q.bits;
        b->d[1] = (uint8_t)(q.bits >> 8);
        for (int h = 0; h < 2 * XS_GROUPS; ++h) {
            for (int k = 0; k < 2; ++k) {
                const int unit = 2 * h + k, l = unit % 4; /* l: the unit within its group */
                b->qs[unit] = (uint8_t)q.points[h][k];
                b->qh[h / 2] |= (uint8_t)((q.points[h][k] >> 8) << (2 * l));
                b->qs[32 + unit] = (uint8_t)q.codes[h][k];
            }
            b->scales[h / 2] |= (uint8_t)(q.sub[h] << (4 * (h % 2)));
        }
    }
}
