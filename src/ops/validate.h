/* SPDX-License-Identifier: MIT */
/* Argument validators, one per signature class of src/ops/ops.def. Each records the failed check
 * (gk_last_error_detail) under the public function name `api` and returns its status. */
#ifndef GK_OPS_VALIDATE_H
#define GK_OPS_VALIDATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "gllmk/types.h"

/* CVT: n elements of src_elem_bytes read from src, n of dst_elem_bytes written to dst.
 * n == 0 is always valid; otherwise both non-NULL, sizes representable, no overlap at all. */
gk_status gk_validate_cvt(const char *api,
                          const void *src,
                          size_t src_elem_bytes,
                          const void *dst,
                          size_t dst_elem_bytes,
                          size_t n);

/* BINARY: a, b read and out written, n elements of elem_bytes each. n == 0 is always valid;
 * otherwise all non-NULL, sizes representable, and out either equal to a (or b) or disjoint from
 * it: in place is allowed, partial overlap is GK_EALIAS. a and b may overlap each other. */
gk_status gk_validate_binary(
    const char *api, const void *a, const void *b, const void *out, size_t elem_bytes, size_t n);

/* UNARY, SCALE, AXPY: n elements of elem_bytes read from `in` and written to `out` (named
 * in_name and out_name in messages). n == 0 is always valid; otherwise both non-NULL, size
 * representable, and out either equal to in or disjoint from it (partial overlap: GK_EALIAS). */
gk_status gk_validate_inplace(const char *api,
                              const char *in_name,
                              const void *in,
                              const char *out_name,
                              const void *out,
                              size_t elem_bytes,
                              size_t n);

/* REDUCE, DOT: n elements of elem_bytes read from a and b (b == a for one-input reductions), one
 * float written to out. out must not be NULL, even for n == 0 (it receives the empty result);
 * for n > 0 the inputs must not be NULL and the size must be representable. out is written after
 * every read, so where it points is not restricted. */
gk_status gk_validate_reduce(
    const char *api, const void *a, const void *b, const float *out, size_t elem_bytes, size_t n);

/* Row-wise ops (RMS_NORM, LAYER_NORM, SOFTMAX): rows x cols elements of elem_bytes read from x and
 * written to y; param1/param2 (NULL if absent or not used) are arrays of cols elements that are
 * only read. eps finite and >= 0 (GK_EINVAL); the element count and bytes representable
 * (GK_EOVERFLOW); with any element, x and y non-NULL, y equal to x or disjoint from it, and y
 * disjoint from the parameter arrays (GK_EALIAS). */
gk_status gk_validate_rows(const char *api,
                           const void *x,
                           const void *y,
                           const void *param1,
                           const void *param2,
                           size_t elem_bytes,
                           size_t rows,
                           size_t cols,
                           float eps);

/* Largest rot_dim of RoPE: the per-token tables live on the stack of the thread rotating. */
enum { GK_ROPE_MAX_ROT_DIM = 1024 };

/* ROPE: theta_base finite and > 0, rot_dim even, <= head_dim and <= GK_ROPE_MAX_ROT_DIM
 * (GK_EINVAL); n_tokens * n_heads * head_dim elements representable (GK_EOVERFLOW); with any
 * element, x non-NULL (GK_EINVAL) and pos (if given) disjoint from x (GK_EALIAS). */
gk_status gk_validate_rope(const char *api,
                           const void *x,
                           const int32_t *pos,
                           size_t n_tokens,
                           size_t n_heads,
                           size_t head_dim,
                           size_t rot_dim,
                           float theta_base,
                           bool neox,
                           size_t elem_bytes);

#endif /* GK_OPS_VALIDATE_H */
