/* SPDX-License-Identifier: MIT */
/* Scalar references of the element type conversions: one element at a time through the
 * bit-exact conversions of src/core/half.h (IEEE 754 binary16; bfloat16 = top half of binary32). */
#include "core/half.h"
#include "scalar_ops/ref.h"

void gk_ref_cvt_f32_to_f16(const float *restrict src_ptr, gk_f16 *restrict dst_ptr, size_t n)
{
    for (size_t i = 0; i < n; i++)
        dst_ptr[i].bits = gk_f16_bits_from_f32(src_ptr[i]);
}

void gk_ref_cvt_f16_to_f32(const gk_f16 *restrict src_ptr, float *restrict dst_ptr, size_t n)
{
    for (size_t i = 0; i < n; i++)
        dst_ptr[i] = gk_f32_from_f16_bits(src_ptr[i].bits);
}

void gk_ref_cvt_f32_to_bf16(const float *restrict src_ptr, gk_bf16 *restrict dst_ptr, size_t n)
{
    for (size_t i = 0; i < n; i++)
        dst_ptr[i].bits = gk_bf16_bits_from_f32(src_ptr[i]);
}

void gk_ref_cvt_bf16_to_f32(const gk_bf16 *restrict src_ptr, float *restrict dst_ptr, size_t n)
{
    for (size_t i = 0; i < n; i++)
        dst_ptr[i] = gk_f32_from_bf16_bits(src_ptr[i].bits);
}
