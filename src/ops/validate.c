/* SPDX-License-Identifier: MIT */
/* Argument validators, one per signature class. */
#include "ops/validate.h"

#include "core/checked.h"
#include "core/error.h"

#include <math.h>

gk_status gk_validate_cvt(const char *api,
                          const void *src,
                          size_t src_elem_bytes,
                          const void *dst,
                          size_t dst_elem_bytes,
                          size_t n)
{
    if (n == 0) return GK_OK;
    GK_CHECK(src != NULL, GK_EINVAL, api, "src is NULL");
    GK_CHECK(dst != NULL, GK_EINVAL, api, "dst is NULL");
    size_t src_bytes = 0, dst_bytes = 0;
    GK_CHECK(gk_mul_size(n, src_elem_bytes, &src_bytes) &&
                 gk_mul_size(n, dst_elem_bytes, &dst_bytes),
             GK_EOVERFLOW, api, "n %zu elements overflow size_t bytes", n);
    GK_CHECK(!gk_ranges_overlap(src, src_bytes, dst, dst_bytes), GK_EALIAS, api,
             "src and dst overlap");
    return GK_OK;
}

/* True if `out` and `in` (bytes each) partially overlap: overlap without being the same array. */
static bool gk_partial_overlap(const void *out, const void *in, size_t bytes)
{
    return out != in && gk_ranges_overlap(out, bytes, in, bytes);
}

gk_status gk_validate_binary(
    const char *api, const void *a, const void *b, const void *out, size_t elem_bytes, size_t n)
{
    if (n == 0) return GK_OK;
    GK_CHECK(a != NULL, GK_EINVAL, api, "a is NULL");
    GK_CHECK(b != NULL, GK_EINVAL, api, "b is NULL");
    GK_CHECK(out != NULL, GK_EINVAL, api, "out is NULL");
    size_t bytes = 0;
    GK_CHECK(gk_mul_size(n, elem_bytes, &bytes), GK_EOVERFLOW, api,
             "n %zu elements overflow size_t bytes", n);
    GK_CHECK(!gk_partial_overlap(out, a, bytes), GK_EALIAS, api,
             "out partially overlaps a (only out == a is allowed)");
    GK_CHECK(!gk_partial_overlap(out, b, bytes), GK_EALIAS, api,
             "out partially overlaps b (only out == b is allowed)");
    return GK_OK;
}

gk_status gk_validate_inplace(const char *api,
                              const char *in_name,
                              const void *in,
                              const char *out_name,
                              const void *out,
                              size_t elem_bytes,
                              size_t n)
{
    if (n == 0) return GK_OK;
    GK_CHECK(in != NULL, GK_EINVAL, api, "%s is NULL", in_name);
    GK_CHECK(out != NULL, GK_EINVAL, api, "%s is NULL", out_name);
    size_t bytes = 0;
    GK_CHECK(gk_mul_size(n, elem_bytes, &bytes), GK_EOVERFLOW, api,
             "n %zu elements overflow size_t bytes", n);
    GK_CHECK(!gk_partial_overlap(out, in, bytes), GK_EALIAS, api,
             "%s partially overlaps %s (only %s == %s is allowed)", out_name, in_name, out_name,
             in_name);
    return GK_OK;
}

gk_status gk_validate_reduce(
    const char *api, const void *a, const void *b, const float *out, size_t elem_bytes, size_t n)
{
    GK_CHECK(out != NULL, GK_EINVAL, api, "out is NULL");
    if (n == 0) return GK_OK;
    GK_CHECK(a != NULL && b != NULL, GK_EINVAL, api, "an input is NULL");
    size_t bytes = 0;
    GK_CHECK(gk_mul_size(n, elem_bytes, &bytes), GK_EOVERFLOW, api,
             "n %zu elements overflow size_t bytes", n);
    return GK_OK;
}

gk_status gk_validate_rows(const char *api,
                           const void *x,
                           const void *y,
                           const void *param1,
                           const void *param2,
                           size_t elem_bytes,
                           size_t rows,
                           size_t cols,
                           float eps)
{
    GK_CHECK(eps >= 0.0f && eps < INFINITY, GK_EINVAL, api, "eps %g is not finite and >= 0",
             (double)eps);
    size_t n = 0, bytes = 0, row_bytes = 0;
    GK_CHECK(gk_mul_size(rows, cols, &n) && gk_mul_size(n, elem_bytes, &bytes), GK_EOVERFLOW, api,
             "rows %zu x cols %zu elements overflow size_t bytes", rows, cols);
    if (n == 0) return GK_OK;
    GK_CHECK(x != NULL, GK_EINVAL, api, "x is NULL");
    GK_CHECK(y != NULL, GK_EINVAL, api, "y is NULL");
    GK_CHECK(!gk_partial_overlap(y, x, bytes), GK_EALIAS, api,
             "y partially overlaps x (only y == x is allowed)");
    row_bytes = cols * elem_bytes;
    GK_CHECK(!param1 || !gk_ranges_overlap(y, bytes, param1, row_bytes), GK_EALIAS, api,
             "y overlaps a parameter array (weight or gamma)");
    GK_CHECK(!param2 || !gk_ranges_overlap(y, bytes, param2, row_bytes), GK_EALIAS, api,
             "y overlaps a parameter array (beta)");
    return GK_OK;
}

gk_status gk_validate_rope(const char *api,
                           const void *x,
                           const int32_t *pos,
                           size_t n_tokens,
                           size_t n_heads,
                           size_t head_dim,
                           size_t rot_dim,
                           float theta_base,
                           bool neox,
                           size_t elem_bytes)
{
    (void)neox;
    GK_CHECK(theta_base > 0.0f && theta_base < INFINITY, GK_EINVAL, api,
             "theta_base %g is not finite and > 0", (double)theta_base);
    GK_CHECK(rot_dim <= head_dim, GK_EINVAL, api, "rot_dim %zu > head_dim %zu", rot_dim, head_dim);
    GK_CHECK(rot_dim % 2 == 0, GK_EINVAL, api, "rot_dim %zu is odd", rot_dim);
    GK_CHECK(rot_dim <= GK_ROPE_MAX_ROT_DIM, GK_EINVAL, api, "rot_dim %zu > %d", rot_dim,
             GK_ROPE_MAX_ROT_DIM);
    size_t n = 0, bytes = 0;
    GK_CHECK(gk_mul_size(n_tokens, n_heads, &n) && gk_mul_size(n, head_dim, &n) &&
                 gk_mul_size(n, elem_bytes, &bytes),
             GK_EOVERFLOW, api, "n_tokens %zu x n_heads %zu x head_dim %zu overflow", n_tokens,
             n_heads, head_dim);
    if (n == 0) return GK_OK;
    GK_CHECK(x != NULL, GK_EINVAL, api, "x is NULL");
    GK_CHECK(!pos || !gk_ranges_overlap(x, bytes, pos, n_tokens * sizeof *pos), GK_EALIAS, api,
             "pos overlaps x");
    return GK_OK;
}
