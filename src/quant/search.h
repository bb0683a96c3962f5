/* SPDX-License-Identifier: MIT */
/* Scale searches shared by the quantizers. The algorithms are those of ggml's reference
 * quantizers (ggml-quants.c, commit d99724f: make_qx_quants, make_q3_quants, make_qkx2_quants,
 * make_qkx3_quants, make_qp_quants), re-implemented here; reproducing them keeps our
 * quantize->dequantize error at ggml's level (tests/test_quant.c checks it against ggml's
 * figures). All inputs are finite (the public API rejects anything else). */
#ifndef GK_QUANT_SEARCH_H
#define GK_QUANT_SEARCH_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

/* Below this absolute maximum a group counts as all zero (ggml's GROUP_MAX_EPS). */
#define GK_GROUP_MAX_EPS 1e-15f

/* Round to nearest, ties to even, for |x| < 2^22: adding 1.5 * 2^23 puts the integer part in the
 * low mantissa bits (the addition rounds to nearest even). */
static inline int gk_nearest_int(float x)
{
    const float shifted = x + 12582912.0f;
    int32_t bits;
    memcpy(&bits, &shifted, sizeof bits);
    return (bits & 0x007FFFFF) - 0x00400000;
}

/* 1 / d, or 0 if d is 0 or so small (f32 subnormal) that 1 / d overflows: then every code
 * rounds to 0 instead of converting an infinite or NaN product to an integer. */
static inline float gk_safe_inverse(float d)
{
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    return id - id == 0.0f ? id : 0.0f; /* false only for +/-Inf */
}

static inline int gk_clamp_int(int v, int lo, int hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

/* Symmetric codes: finds a scale s and codes L[i] in [0, 2 nmax) with x[i] ~ s (L[i] - nmax),
 * maximising the weighted fit (sum w x l)^2 / (sum w l^2) over 19 trial scales around
 * -nmax / max (max: the value of largest magnitude). Weights: qw if not NULL, else x^2
 * (weight_kind 1) — the only kind the K-quants use. Returns s (0 for an all-zero group). */
float gk_search_symmetric(int n, int nmax, const float *x, int8_t *L, const float *qw);

/* Q3_K's variant: start from -nmax / max and move single codes while the weighted fit (weights
 * x^2) improves (at most 5 passes). L[i] in [0, 2 nmax). Returns the scale. */
float gk_search_q3(int n, int nmax, const float *x, int8_t *L);

/* Affine codes: finds scale s >= 0, min m <= 0 and L[i] in [0, nmax] with x[i] ~ s L[i] + m,
 * minimising the weighted error (squared, or absolute if use_mad) over nstep + 1 trial scales
 * (nmax + rmin + k rdelta) / (max - min), each refined by weighted least squares. weights may be
 * NULL (then x^2). Stores -m in *neg_min; Laux is scratch of n bytes. */
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
                       bool use_mad);

/* Non-negative codes for non-negative x (the sub-block scales of the weighted K-quants):
 * L[i] in [0, nmax], x[i] ~ s L[i], weights qw (not NULL): a 9-point scale search then up to 5
 * passes of single-code moves. Returns s. */
float gk_search_positive(int n, int nmax, const float *x, uint8_t *L, const float *qw);

#endif /* GK_QUANT_SEARCH_H */
