/* SPDX-License-Identifier: MIT */
/* gllm-kernels: element-wise operators. Every array is contiguous; no alignment is required.
 * Every function validates all arguments before writing anything and returns a gk_status;
 * on failure gk_last_error_detail() names the failed check and no output byte is changed.
 * A call with n == 0 does nothing and returns GK_OK, whatever the pointers are. */
#ifndef GLLMK_OPS_H
#define GLLMK_OPS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "types.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- element type conversions ----------------------------------------------------------
 * dst[i] = src[i] converted, for i < n.
 * Narrowing (f32 -> f16, f32 -> bf16) rounds to nearest, ties to even; values beyond the largest
 * finite value round to +/-Inf; results below the smallest normal become subnormals (never
 * flushed to zero); +/-0 and +/-Inf are kept.
 * Widening (f16 -> f32, bf16 -> f32) is exact.
 * A NaN stays a NaN with its sign, is made quiet, and keeps the top bits of its payload that fit.
 * src and dst must not overlap at all (GK_EALIAS). GK_EINVAL: src or dst is NULL.
 * GK_EOVERFLOW: n times the element size does not fit in size_t. */
GK_API gk_status gk_cvt_f32_to_f16(const float *src, gk_f16 *dst, size_t n);
GK_API gk_status gk_cvt_f16_to_f32(const gk_f16 *src, float *dst, size_t n);
GK_API gk_status gk_cvt_f32_to_bf16(const float *src, gk_bf16 *dst, size_t n);
GK_API gk_status gk_cvt_bf16_to_f32(const gk_bf16 *src, float *dst, size_t n);

/* ---- element-wise arithmetic ------------------------------------------------------------
 * out[i] = a[i] + b[i] (add), a[i] - b[i] (sub), a[i] * b[i] (mul), for i < n.
 * f16 and bf16 operands are computed in f32 and rounded once (to nearest even) to the type, so
 * the result equals the f32 result rounded to the type. f32 results are the IEEE single-precision
 * results, bit for bit on every ISA, except which NaN comes out when an operand is NaN (it is a
 * NaN; its payload may differ between ISAs).
 * In place is allowed: out may equal a or b (or both); out overlapping a or b partially is
 * GK_EALIAS. a and b may overlap each other. GK_EINVAL: a pointer is NULL. GK_EOVERFLOW: n times
 * the element size does not fit in size_t. */
GK_API gk_status gk_vec_add_f32(const float *a, const float *b, float *out, size_t n);
GK_API gk_status gk_vec_add_f16(const gk_f16 *a, const gk_f16 *b, gk_f16 *out, size_t n);
GK_API gk_status gk_vec_add_bf16(const gk_bf16 *a, const gk_bf16 *b, gk_bf16 *out, size_t n);
GK_API gk_status gk_vec_sub_f32(const float *a, const float *b, float *out, size_t n);
GK_API gk_status gk_vec_sub_f16(const gk_f16 *a, const gk_f16 *b, gk_f16 *out, size_t n);
GK_API gk_status gk_vec_sub_bf16(const gk_bf16 *a, const gk_bf16 *b, gk_bf16 *out, size_t n);
GK_API gk_status gk_vec_mul_f32(const float *a, const float *b, float *out, size_t n);
GK_API gk_status gk_vec_mul_f16(const gk_f16 *a, const gk_f16 *b, gk_f16 *out, size_t n);
GK_API gk_status gk_vec_mul_bf16(const gk_bf16 *a, const gk_bf16 *b, gk_bf16 *out, size_t n);

/* ---- scale and axpy (in place) -----------------------------------------------------------
 * vec_scale: x[i] = x[i] * s. vec_axpy: y[i] = a * x[i] + y[i], computed as one fused
 * multiply-add (rounded once), for i < n. f16/bf16 elements are computed in f32 and rounded once.
 * axpy: x may equal y; partial overlap of x and y is GK_EALIAS. GK_EINVAL: a pointer is NULL.
 * GK_EOVERFLOW: n times the element size does not fit in size_t. */
GK_API gk_status gk_vec_scale_f32(float *x, float s, size_t n);
GK_API gk_status gk_vec_scale_f16(gk_f16 *x, float s, size_t n);
GK_API gk_status gk_vec_scale_bf16(gk_bf16 *x, float s, size_t n);
GK_API gk_status gk_vec_axpy_f32(float *y, float a, const float *x, size_t n);
GK_API gk_status gk_vec_axpy_f16(gk_f16 *y, float a, const gk_f16 *x, size_t n);
GK_API gk_status gk_vec_axpy_bf16(gk_bf16 *y, float a, const gk_bf16 *x, size_t n);

/* ---- reductions ----------------------------------------------------------------------------
 * *out = sum of x[i] (vec_sum), of x[i]^2 (vec_sum_squares), of a[i]*b[i] (vec_dot), or the
 * largest x[i] (vec_max), over i < n.
 * Sums are accurate to about 1e-7 relative to the sum of magnitudes for any n (f32 partial sums
 * of at most 16 elements per lane, combined in double), and are the same for every thread count.
 * A sum whose true value is beyond FLT_MAX is +/-Inf; NaN or Inf inputs give what IEEE
 * arithmetic gives (any NaN, or +Inf and -Inf together, give NaN).
 * vec_max is exact; it is NaN if any element is NaN; when the maximum is zero its sign is
 * unspecified (-0 and +0 compare equal).
 * f16/bf16 inputs are widened exactly; the result equals the f32 function's on the widened data.
 * n == 0: *out = 0 (sums) or -Inf (vec_max). out must not be NULL (GK_EINVAL), even for n == 0;
 * it is written after all reads, so it may point anywhere. GK_EINVAL: an input is NULL (n > 0).
 * GK_EOVERFLOW: n times the element size does not fit in size_t. GK_ENOMEM: n above about 10^6
 * needs a small array of partial sums that could not be allocated. */
GK_API gk_status gk_vec_sum_f32(const float *x, size_t n, float *out);
GK_API gk_status gk_vec_sum_f16(const gk_f16 *x, size_t n, float *out);
GK_API gk_status gk_vec_sum_bf16(const gk_bf16 *x, size_t n, float *out);
GK_API gk_status gk_vec_sum_squares_f32(const float *x, size_t n, float *out);
GK_API gk_status gk_vec_sum_squares_f16(const gk_f16 *x, size_t n, float *out);
GK_API gk_status gk_vec_sum_squares_bf16(const gk_bf16 *x, size_t n, float *out);
GK_API gk_status gk_vec_max_f32(const float *x, size_t n, float *out);
GK_API gk_status gk_vec_max_f16(const gk_f16 *x, size_t n, float *out);
GK_API gk_status gk_vec_max_bf16(const gk_bf16 *x, size_t n, float *out);
GK_API gk_status gk_vec_dot_f32(const float *a, const float *b, size_t n, float *out);
GK_API gk_status gk_vec_dot_f16(const gk_f16 *a, const gk_f16 *b, size_t n, float *out);
GK_API gk_status gk_vec_dot_bf16(const gk_bf16 *a, const gk_bf16 *b, size_t n, float *out);

/* ---- normalisations (row-wise) ------------------------------------------------------------
 * x and y are rows x cols, row-major, contiguous. For each row:
 *   rms_norm:   y = x / sqrt(mean(x^2) + eps) * weight        (weight NULL: no scale)
 *   layer_norm: y = (x - mean) / sqrt(var + eps) * gamma + beta (gamma NULL: 1; beta NULL: 0;
 *               var is the biased (population) variance)
 * weight, gamma, beta have cols elements. Row statistics are summed in double (from f32 partial
 * sums of at most 16 elements per lane); each element is within 1e-5 relative of the exact
 * result (layer_norm: plus 1e-6 |gamma| absolute, for elements at the mean). f16/bf16 are
 * computed in f32 and rounded once. y may equal x (in place); y partially overlapping x, or
 * overlapping weight/gamma/beta, is GK_EALIAS. eps must be finite and >= 0 (GK_EINVAL); a row
 * of zeros with eps = 0 gives NaN (0 / 0). The squares are summed in f32 lanes, so elements of
 * magnitude above about 1e18 can overflow a partial sum (the row then becomes 0 or NaN); model
 * activations are far below that. rows or cols 0: nothing to do. GK_EINVAL: x or y is
 * NULL. GK_EOVERFLOW: rows * cols elements do not fit in size_t bytes. */
GK_API gk_status
gk_rms_norm_f32(const float *x, const float *weight, float *y, size_t rows, size_t cols, float eps);
GK_API gk_status gk_rms_norm_f16(
    const gk_f16 *x, const gk_f16 *weight, gk_f16 *y, size_t rows, size_t cols, float eps);
GK_API gk_status gk_rms_norm_bf16(
    const gk_bf16 *x, const gk_bf16 *weight, gk_bf16 *y, size_t rows, size_t cols, float eps);
GK_API gk_status gk_layer_norm_f32(const float *x,
                                   const float *gamma,
                                   const float *beta,
                                   float *y,
                                   size_t rows,
                                   size_t cols,
                                   float eps);
GK_API gk_status gk_layer_norm_f16(const gk_f16 *x,
                                   const gk_f16 *gamma,
                                   const gk_f16 *beta,
                                   gk_f16 *y,
                                   size_t rows,
                                   size_t cols,
                                   float eps);
GK_API gk_status gk_layer_norm_bf16(const gk_bf16 *x,
                                    const gk_bf16 *gamma,
                                    const gk_bf16 *beta,
                                    gk_bf16 *y,
                                    size_t rows,
                                    size_t cols,
                                    float eps);

/* ---- softmax (row-wise) ------------------------------------------------------------------
 * x and y are rows x cols, row-major, contiguous. Per row: y = exp(x - max) / sum(exp(x - max)),
 * numerically stable; each element within 2 ULP + 1e-7 absolute of the exact result (the sum is
 * accumulated in double from f32 partial sums). Rows of any length (tested to 256K columns).
 * Special rows: a NaN anywhere in the row makes the whole row NaN; a row whose maximum is -Inf
 * (every element -Inf, e.g. fully masked attention) gives all zeros; a row containing +Inf
 * gives 1/k at its k +Inf elements and 0 elsewhere (the limit). f16/bf16 are computed in f32 and
 * rounded once. y may equal x (in place); partial overlap is GK_EALIAS. rows or cols 0: nothing
 * to do. GK_EINVAL: x or y NULL. GK_EOVERFLOW: rows * cols elements do not fit in size_t bytes. */
GK_API gk_status gk_softmax_f32(const float *x, float *y, size_t rows, size_t cols);
GK_API gk_status gk_softmax_f16(const gk_f16 *x, gk_f16 *y, size_t rows, size_t cols);
GK_API gk_status gk_softmax_bf16(const gk_bf16 *x, gk_bf16 *y, size_t rows, size_t cols);

/* ---- rotary position embedding (in place) ----------------------------------------------------
 * x is [n_tokens][n_heads][head_dim], contiguous. For each token at position p and each pair i <
 * rot_dim/2 (elements (2i, 2i+1) for GK_ROPE_NORM, (i, i + rot_dim/2) for GK_ROPE_NEOX) of every
 * head: angle = p * theta_base^(-2i/rot_dim), (a, b) -> (a cos - b sin, a sin + b cos). Elements
 * from rot_dim to head_dim are left as they are (partial rotary). gk_rope_*: p = pos0 + token;
 * gk_rope_with_pos_*: p = pos[token] (any int32, negative allowed).
 * Accuracy: angles are set up in double precision (cos/sin evaluated in double, then rounded to
 * f32 once), so the result is within 2e-6 absolute of the exact rotation for |x| <= 1 and
 * positions up to 2^20 (and degrades only as double precision does beyond). f16/bf16 are
 * computed in f32 and rounded once.
 * GK_EINVAL: x (or pos) NULL with work to do, an unknown style, theta_base not finite and > 0,
 * rot_dim odd, above head_dim or above 1024. GK_EALIAS: pos overlaps x. GK_EOVERFLOW: the tensor
 * size does not fit in size_t bytes. rot_dim 0 or an empty tensor: nothing to do. */
GK_API gk_status gk_rope_f32(float *x,
                             size_t n_tokens,
                             size_t n_heads,
                             size_t head_dim,
                             size_t rot_dim,
                             size_t pos0,
                             float theta_base,
                             gk_rope_style style);
GK_API gk_status gk_rope_f16(gk_f16 *x,
                             size_t n_tokens,
                             size_t n_heads,
                             size_t head_dim,
                             size_t rot_dim,
                             size_t pos0,
                             float theta_base,
                             gk_rope_style style);
GK_API gk_status gk_rope_bf16(gk_bf16 *x,
                              size_t n_tokens,
                              size_t n_heads,
                              size_t head_dim,
                              size_t rot_dim,
                              size_t pos0,
                              float theta_base,
                              gk_rope_style style);
GK_API gk_status gk_rope_with_pos_f32(float *x,
                                      const int32_t *pos,
                                      size_t n_tokens,
                                      size_t n_heads,
                                      size_t head_dim,
                                      size_t rot_dim,
                                      float theta_base,
                                      gk_rope_style style);
GK_API gk_status gk_rope_with_pos_f16(gk_f16 *x,
                                      const int32_t *pos,
                                      size_t n_tokens,
                                      size_t n_heads,
                                      size_t head_dim,
                                      size_t rot_dim,
                                      float theta_base,
                                      gk_rope_style style);
GK_API gk_status gk_rope_with_pos_bf16(gk_bf16 *x,
                                       const int32_t *pos,
                                       size_t n_tokens,
                                       size_t n_heads,
                                       size_t head_dim,
                                       size_t rot_dim,
                                       float theta_base,
                                       gk_rope_style style);

/* ---- activations ---------------------------------------------------------------------------
 * y[i] = f(x[i]) for i < n. y may equal x (in place); partial overlap is GK_EALIAS. f16/bf16
 * inputs are computed in f32 and the result rounded once to the type.
 * relu(x) = x for x > 0, +0 otherwise (relu(-0) = +0); NaN in gives NaN out. Exact. */
GK_API gk_status gk_relu_f32(const float *x, float *y, size_t n);
GK_API gk_status gk_relu_f16(const gk_f16 *x, gk_f16 *y, size_t n);
GK_API gk_status gk_relu_bf16(const gk_bf16 *x, gk_bf16 *y, size_t n);

/* The transcendental activations, same contract as relu. Accuracy: f32 results are within 2 ULP
 * of the correctly rounded result for every input, subnormal results included, on every ISA
 * (tests/test_activations.c reports the measured maxima); f16/bf16 results are the f32 result
 * (of the same ISA) rounded once to the type. A NaN in gives a NaN out; -0 in gives -0 out
 * except for exp (exp(+-0) = 1).
 *   exp(x)       e^x: +Inf above ln(FLT_MAX) = 88.7228, subnormal below -87.34, +0 below
 *                -103.97 (exp(-Inf) = +0, exp(+Inf) = +Inf).
 *   tanh(x)      tanh(+-Inf) = +-1.
 *   silu(x)      x / (1 + e^-x) (x sigmoid(x)): silu(+Inf) = +Inf, silu(-Inf) = -0; results
 *                below -88 are tiny or subnormal and computed as such, -0 below about -108.66.
 *   gelu(x)      the tanh approximation 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))),
 *                evaluated in its logistic form x / (1 + e^-2u) (no cancellation for x < 0):
 *                gelu(+Inf) = +Inf, gelu(-Inf) = -0, -0 below about -10.77.
 *   gelu_erf(x)  the exact gelu x Phi(x) = 0.5 x (1 + erf(x / sqrt2)) = 0.5 x erfc(-x / sqrt2):
 *                gelu_erf(+Inf) = +Inf, gelu_erf(-Inf) = -0, -0 below about -14.36. */
GK_API gk_status gk_exp_f32(const float *x, float *y, size_t n);
GK_API gk_status gk_exp_f16(const gk_f16 *x, gk_f16 *y, size_t n);
GK_API gk_status gk_exp_bf16(const gk_bf16 *x, gk_bf16 *y, size_t n);
GK_API gk_status gk_tanh_f32(const float *x, float *y, size_t n);
GK_API gk_status gk_tanh_f16(const gk_f16 *x, gk_f16 *y, size_t n);
GK_API gk_status gk_tanh_bf16(const gk_bf16 *x, gk_bf16 *y, size_t n);
GK_API gk_status gk_silu_f32(const float *x, float *y, size_t n);
GK_API gk_status gk_silu_f16(const gk_f16 *x, gk_f16 *y, size_t n);
GK_API gk_status gk_silu_bf16(const gk_bf16 *x, gk_bf16 *y, size_t n);
GK_API gk_status gk_gelu_f32(const float *x, float *y, size_t n);
GK_API gk_status gk_gelu_f16(const gk_f16 *x, gk_f16 *y, size_t n);
GK_API gk_status gk_gelu_bf16(const gk_bf16 *x, gk_bf16 *y, size_t n);
GK_API gk_status gk_gelu_erf_f32(const float *x, float *y, size_t n);
GK_API gk_status gk_gelu_erf_f16(const gk_f16 *x, gk_f16 *y, size_t n);
GK_API gk_status gk_gelu_erf_bf16(const gk_bf16 *x, gk_bf16 *y, size_t n);

/* SwiGLU: out[i] = silu(gate[i]) * up[i] for i < n, silu as above, as one operation (silu(gate)
 * is not rounded on its own): within 2 ULP of the correctly rounded result for all inputs, with
 * no overflow or underflow before the result's own (so silu(-100) * 1e30 is the normal number it
 * is). Special results are those of silu times up (swiglu(-Inf, u) = -0 * u, a NaN for an
 * infinite u; swiglu(-0, u) = -0 * u); silu(g) is not zero for a finite g != 0, so
 * swiglu(g, +-Inf) is an infinity with the sign of g * up even where silu(g) underflows.
 * f16/bf16 as above. out may equal gate or up (in place); partial overlap of out with either is
 * GK_EALIAS; gate and up may overlap each other. GK_EINVAL: a pointer is NULL. GK_EOVERFLOW: n
 * times the element size does not fit in size_t. */
GK_API gk_status gk_swiglu_f32(const float *gate, const float *up, float *out, size_t n);
GK_API gk_status gk_swiglu_f16(const gk_f16 *gate, const gk_f16 *up, gk_f16 *out, size_t n);
GK_API gk_status gk_swiglu_bf16(const gk_bf16 *gate, const gk_bf16 *up, gk_bf16 *out, size_t n);

#ifdef __cplusplus
}
#endif

#endif /* GLLMK_OPS_H */
