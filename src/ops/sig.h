/* SPDX-License-Identifier: MIT */
/* Signature classes of the op table (src/ops/ops.def): the kernel prototype each class fixes. */
#ifndef GK_OPS_SIG_H
#define GK_OPS_SIG_H

#include <stdbool.h>
#include <stddef.h>

#include "gllmk/types.h"

/* gk_ctype_<suffix>: the storage type of each element type of src/core/dtypes.def. */
#define GK_DTYPE(suffix, ctype, value) typedef ctype gk_ctype_##suffix;
#include "core/dtypes.def"
#undef GK_DTYPE

/* CVT: dst[i] = convert(src[i]) for i < n; src and dst never overlap. */
#define GK_KSIG_CVT(name, src, dst) \
    void(name)(const gk_ctype_##src *restrict src_ptr, gk_ctype_##dst *restrict dst_ptr, size_t n)

/* BINARY: out[i] = a[i] (op) b[i] for i < n. out may be a or b (in place) but may not partially
 * overlap either, so the pointers are not restrict. `dst` is the element type of all three. */
#define GK_KSIG_BINARY(name, src, dst) \
    void(name)(const gk_ctype_##dst *a, const gk_ctype_##dst *b, gk_ctype_##dst *out, size_t n)

/* UNARY: y[i] = f(x[i]) for i < n, f the vocabulary function vf_<family>. y may be x (in place)
 * but may not partially overlap it. */
#define GK_KSIG_UNARY(name, src, dst) \
    void(name)(const gk_ctype_##dst *x, gk_ctype_##dst *y, size_t n)

/* SCALE: x[i] = x[i] * s for i < n, in place. */
#define GK_KSIG_SCALE(name, src, dst) void(name)(gk_ctype_##dst * x, float s, size_t n)

/* AXPY: y[i] = fma(a, x[i], y[i]) for i < n (one rounding). x may be y; no partial overlap. */
#define GK_KSIG_AXPY(name, src, dst) \
    void(name)(gk_ctype_##dst * y, float a, const gk_ctype_##dst *x, size_t n)

/* REDUCE: the reduction (vec_sum, vec_sum_squares, vec_max) of x[0..n), n > 0, returned in
 * double: the entry point combines the results of fixed-size parts in a fixed order. */
#define GK_KSIG_REDUCE(name, src, dst) double(name)(const gk_ctype_##dst *x, size_t n)

/* DOT: the sum of a[i] * b[i] over i < n, n > 0, returned in double (as REDUCE). */
#define GK_KSIG_DOT(name, src, dst) \
    double(name)(const gk_ctype_##dst *a, const gk_ctype_##dst *b, size_t n)

/* RMS_NORM: per row r < rows of `cols` elements: y = x / sqrt(mean(x^2) + eps) * w (w may be
 * NULL: no scale). y may be x; w is never written. */
#define GK_KSIG_RMS_NORM(name, src, dst)                                                         \
    void(name)(const gk_ctype_##dst *x, const gk_ctype_##dst *w, gk_ctype_##dst *y, size_t rows, \
               size_t cols, float eps)

/* LAYER_NORM: per row: y = (x - mean) / sqrt(var + eps) * gamma + beta (gamma, beta may be
 * NULL: 1 and 0). y may be x. */
#define GK_KSIG_LAYER_NORM(name, src, dst)                                                       \
    void(name)(const gk_ctype_##dst *x, const gk_ctype_##dst *gamma, const gk_ctype_##dst *beta, \
               gk_ctype_##dst *y, size_t rows, size_t cols, float eps)

/* ROPE: rotates the first rot_dim elements of each of the n_heads heads (head_dim elements each,
 * contiguous) of one token, in place: x[j] = x[j] * table[j] + x[partner(j)] * table[rot_dim + j]
 * with partner(j) = j ^ 1 (neox false) or j +- rot_dim/2 (neox true). The table (2 * rot_dim
 * floats: cosines, then signed sines, per element) is built by the entry point. */
#define GK_KSIG_ROPE(name, src, dst)                                                    \
    void(name)(gk_ctype_##dst * x, const float *table, size_t n_heads, size_t head_dim, \
               size_t rot_dim, bool neox)

/* SOFTMAX: per row of `cols` elements: y = exp(x - max) / sum(exp(x - max)). y may be x. */
#define GK_KSIG_SOFTMAX(name, src, dst) \
    void(name)(const gk_ctype_##dst *x, gk_ctype_##dst *y, size_t rows, size_t cols)

/* The arithmetic of each BINARY op, by its family (ops.def), in the vector vocabulary. */
#define GK_BINARY_MATH_vec_add(x, y) vf_add(x, y)
#define GK_BINARY_MATH_vec_sub(x, y) vf_sub(x, y)
#define GK_BINARY_MATH_vec_mul(x, y) vf_mul(x, y)
/* swiglu(x, y) = silu(x) y: kernels/generic/activations.inc */
#define GK_BINARY_MATH_swiglu(x, y) vf_swiglu(x, y)

#endif /* GK_OPS_SIG_H */
