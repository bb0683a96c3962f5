/* SPDX-License-Identifier: MIT */
/* Argument validators, one per signature class. */
#include "ops/validate.h"

#include "core/checked.h"
#include "core/error.h"

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
