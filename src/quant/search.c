/* SPDX-License-Identifier: MIT */
/* Scale searches of the quantizers (see search.h for what each finds and where it comes from). */
#include "quant/search.h"

#include <math.h>

/* The value of largest magnitude (the first one on ties) and its magnitude. */
static float gk_signed_absmax(int n, const float *x, float *amax_out)
{
    float amax = 0.0f, max = 0.0f;
    for (int i = 0; i < n; i++) {
        if (fabsf(x[i]) > amax) {
            amax = fabsf(x[i]);
            max = x[i];
        }
    }
    *amax_out = amax;
    return max;
}

static int gk_code_symmetric(float iscale, float x, int nmax)
{
    return gk_clamp_int(gk_nearest_int(iscale * x), -nmax, nmax - 1);
}

float gk_search_symmetric(int n, int nmax, const float *x, int8_t *L, const float *qw)
{
    float amax;
    const float max = gk_signed_absmax(n, x, &amax);
    if (amax < GK_GROUP_MAX_EPS) {
        memset(L, 0, (size_t)n);
        return 0.0f;
    }
    /* The first trial maps the extreme value to -nmax; its least-squares scale is the baseline. */
    float iscale = (float)-nmax / max;
    float sumlx = 0.0f, suml2 = 0.0f;
    for (int i = 0; i < n; i++) {
        const int l = gk_code_symmetric(iscale, x[i], nmax);
        L[i] = (int8_t)(l + nmax);
        const float w = qw ? qw[i] : x[i] * x[i];
        sumlx += w * x[i] * (float)l;
        suml2 += w * (float)l * (float)l;
    }
    float scale = suml2 != 0.0f ? sumlx / suml2 : 0.0f;
    float best = scale * sumlx;
    /* Nearby inverse scales -(nmax + 0.1 k) / max, k = -9..9: keep the one whose least-squares
     * fit explains most of the weighted energy (sumlx^2 / suml2). */
    for (int k = -9; k <= 9; k++) {
        if (k == 0) continue;
        iscale = -((float)nmax + 0.1f * (float)k) / max;
        sumlx = suml2 = 0.0f;
        for (int i = 0; i < n; i++) {
            const int l = gk_code_symmetric(iscale, x[i], nmax);
            const float w = qw ? qw[i] : x[i] * x[i];
            sumlx += w * x[i] * (float)l;
            suml2 += w * (float)l * (float)l;
        }
        if (suml2 > 0.0f && sumlx * sumlx > best * suml2) {
            for (int i = 0; i < n; i++)
                L[i] = (int8_t)(nmax + gk_code_symmetric(iscale, x[i], nmax));
            scale = sumlx / suml2;
            best = scale * sumlx;
        }
    }
    return scale;
}

float gk_search_q3(int n, int nmax, const float *x, int8_t *L)
{
    float amax;
    const float max = gk_signed_absmax(n, x, &amax);
    if (amax < GK_GROUP_MAX_EPS) {
        memset(L, 0, (size_t)n);
        return 0.0f;
    }
    const float iscale = (float)-nmax / max;
    float sumlx = 0.0f, suml2 = 0.0f;
    for (int i = 0; i < n; i++) {
        const int l = gk_code_symmetric(iscale, x[i], nmax);
        L[i] = (int8_t)l;
        const float w = x[i] * x[i];
        sumlx += w * x[i] * (float)l;
        suml2 += w * (float)l * (float)l;
    }
    /* Coordinate descent: re-round one code against the scale the others imply, keep the move
     * if the fit improves. */
    for (int pass = 0; pass < 5; pass++) {
        int changed = 0;
        for (int i = 0; i < n; i++) {
            const float w = x[i] * x[i];
            float slx = sumlx - w * x[i] * (float)L[i];
            if (slx <= 0.0f) continue;
            float sl2 = suml2 - w * (float)L[i] * (float)L[i];
            const int l = gk_clamp_int(gk_nearest_int(x[i] * sl2 / slx), -nmax, nmax - 1);
            if (l == L[i]) continue;
            slx += w * x[i] * (float)l;
            sl2 += w * (float)l * (float)l;
            if (sl2 > 0.0f && slx * slx * suml2 > sumlx * sumlx * sl2) {
                L[i] = (int8_t)l;
                sumlx = slx;
                suml2 = sl2;
                changed++;
            }
        }
        if (!changed) break;
    }
    for (int i = 0; i < n; i++)
        L[i] = (int8_t)(L[i] + nmax);
    return suml2 > 0.0f ? sumlx / suml2 : 0.0f;
}

/* Weighted error of x ~ scale * L + min (squared or absolute). */
static float gk_affine_error(
    int n, const float *x, const float *weights, const uint8_t *L, float scale, float min,
    bool use_mad)
{
    float err = 0.0f;
    for (int i = 0; i < n; i++) {
        float diff = scale * (float)L[i] + min - x[i];
        diff = use_mad ? fabsf(diff) : diff * diff;
        const float w = weights ? weights[i] : x[i] * x[i];
        err += w * diff;
    }
    return err;
}

float gk_search_affine(int n,
                       int nmax,
                       const float *x,
                       const float *weights,
                       uint8_t *L,
                       float *neg_min,
                       uint8_t *Laux,
                       float rmin,
                       float rdelta,
                       int nstep,
                       bool use_mad)
{
    float min = x[0], max = x[0];
    float sum_w = weights ? weights[0] : x[0] * x[0];
    float sum_x = sum_w * x[0];
    for (int i = 1; i < n; i++) {
        if (x[i] < min) min = x[i];
        if (x[i] > max) max = x[i];
        const float w = weights ? weights[i] : x[i] * x[i];
        sum_w += w;
        sum_x += w * x[i];
    }
    if (min > 0.0f) min = 0.0f; /* the offset only ever lowers the codes' origin */
    if (max <= min) {
        memset(L, 0, (size_t)n);
        *neg_min = -min;
        return 0.0f;
    }
    float iscale = (float)nmax / (max - min);
    float scale = 1.0f / iscale;
    for (int i = 0; i < n; i++)
        L[i] = (uint8_t)gk_clamp_int(gk_nearest_int(iscale * (x[i] - min)), 0, nmax);
    float best_error = gk_affine_error(n, x, weights, L, scale, min, use_mad);
    for (int step = 0; step <= nstep && nstep >= 1; step++) {
        iscale = (rmin + rdelta * (float)step + (float)nmax) / (max - min);
        float sum_l = 0.0f, sum_l2 = 0.0f, sum_xl = 0.0f;
        for (int i = 0; i < n; i++) {
            const int l = gk_clamp_int(gk_nearest_int(iscale * (x[i] - min)), 0, nmax);
            Laux[i] = (uint8_t)l;
            const float w = weights ? weights[i] : x[i] * x[i];
            sum_l += w * (float)l;
            sum_l2 += w * (float)l * (float)l;
            sum_xl += w * (float)l * x[i];
        }
        /* Weighted least squares for (scale, min) given these codes. */
        const float det = sum_w * sum_l2 - sum_l * sum_l;
        if (det <= 0.0f) continue;
        float this_scale = (sum_w * sum_xl - sum_x * sum_l) / det;
        float this_min = (sum_l2 * sum_x - sum_l * sum_xl) / det;
        if (this_min > 0.0f) {
            this_min = 0.0f;
            this_scale = sum_xl / sum_l2;
        }
        const float err = gk_affine_error(n, x, weights, Laux, this_scale, this_min, use_mad);
        if (err < best_error) {
            memcpy(L, Laux, (size_t)n);
            best_error = err;
            scale = this_scale;
            min = this_min;
        }
    }
    *neg_min = -min;
    return scale;
}

float gk_search_positive(int n, int nmax, const float *x, uint8_t *L, const float *qw)
{
    float max = 0.0f;
    for (int i = 0; i < n; i++)
        if (x[i] > max) max = x[i];
    if (max < GK_GROUP_MAX_EPS) {
        memset(L, 0, (size_t)n);
        return 0.0f;
    }
    float iscale = (float)nmax / max;
    float best_mse = 0.0f;
    {
        const float scale = 1.0f / iscale;
        for (int i = 0; i < n; i++) {
            L[i] = (uint8_t)gk_nearest_int(iscale * x[i]);
            const float diff = x[i] - scale * (float)L[i];
            best_mse += qw[i] * diff * diff;
        }
    }
    for (int k = -4; k <= 4; k++) {
        if (k == 0) continue;
        const float trial_iscale = (0.1f * (float)k + (float)nmax) / max;
        const float trial_scale = 1.0f / trial_iscale;
        float mse = 0.0f;
        for (int i = 0; i < n; i++) {
            int l = gk_nearest_int(trial_iscale * x[i]);
            if (l > nmax) l = nmax;
            const float diff = x[i] - trial_scale * (float)l;
            mse += qw[i] * diff * diff;
        }
        if (mse < best_mse) {
            best_mse = mse;
            iscale = trial_iscale;
        }
    }
    float sumlx = 0.0f, suml2 = 0.0f;
    for (int i = 0; i < n; i++) {
        int l = gk_nearest_int(iscale * x[i]);
        if (l > nmax) l = nmax;
        L[i] = (uint8_t)l;
        sumlx += qw[i] * x[i] * (float)l;
        suml2 += qw[i] * (float)l * (float)l;
    }
    for (int pass = 0; pass < 5; pass++) {
        int changed = 0;
        for (int i = 0; i < n; i++) {
            const float w = qw[i];
            float slx = sumlx - w * x[i] * (float)L[i];
            float sl2 = suml2 - w * (float)L[i] * (float)L[i];
            if (!(slx > 0.0f && sl2 > 0.0f)) continue;
            int l = gk_nearest_int(x[i] * sl2 / slx);
            if (l > nmax) l = nmax;
            if (l == L[i]) continue;
            slx += w * x[i] * (float)l;
            sl2 += w * (float)l * (float)l;
            if (slx * slx * suml2 > sumlx * sumlx * sl2) {
                L[i] = (uint8_t)l;
                sumlx = slx;
                suml2 = sl2;
                changed++;
            }
        }
        if (!changed) break;
    }
    return suml2 > 0.0f ? sumlx / suml2 : 0.0f;
}
