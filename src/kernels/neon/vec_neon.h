/* SPDX-License-Identifier: MIT */
/* The vector vocabulary for AArch64 Advanced SIMD: 4 f32 lanes in a q register.
 * Specification: src/kernels/scalar/vec_scalar.h. FPCR is left as Linux sets it (round to
 * nearest even, no flush to zero, NaNs propagated and quieted), which the conversions rely on. */
#ifndef GK_KERNELS_VEC_NEON_H
#define GK_KERNELS_VEC_NEON_H

#if !defined(__aarch64__) || !defined(__ARM_NEON)
#    error "vec_neon.h is for AArch64 with Advanced SIMD (src/kernels/neon/)"
#endif

#include <arm_neon.h>
#include <math.h>
#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#include "gllmk/types.h"

#define GK_ISA_SUFFIX neon
#define GK_VLANES     4

typedef float32x4_t gk_vf;

static inline gk_vf vf_load_f32(const float *p)
{
    return vld1q_f32(p);
}

static inline void vf_store_f32(float *p, gk_vf v)
{
    vst1q_f32(p, v);
}

/* Tails go through a small buffer: NEON has no masked loads or stores. */
static inline gk_vf vf_load_f32_n(const float *p, size_t n)
{
    float buf[4] = {0};
    memcpy(buf, p, n * sizeof buf[0]);
    return vld1q_f32(buf);
}

static inline void vf_store_f32_n(float *p, gk_vf v, size_t n)
{
    float buf[4];
    vst1q_f32(buf, v);
    memcpy(p, buf, n * sizeof buf[0]);
}

static inline gk_vf vf_add(gk_vf a, gk_vf b)
{
    return vaddq_f32(a, b);
}

static inline gk_vf vf_sub(gk_vf a, gk_vf b)
{
    return vsubq_f32(a, b);
}

static inline gk_vf vf_mul(gk_vf a, gk_vf b)
{
    return vmulq_f32(a, b);
}

/* FCVTL / FCVTN: exact widening, round-to-nearest-even narrowing, NaNs quieted. */
static inline gk_vf gk_neon_from_f16x4(uint16x4_t h)
{
    return vcvt_f32_f16(vreinterpret_f16_u16(h));
}

static inline uint16x4_t gk_neon_to_f16x4(gk_vf v)
{
    return vreinterpret_u16_f16(vcvt_f16_f32(v));
}

/* Sets the quiet bit of NaN lanes (the spec: src/kernels/scalar/vec_scalar.h). */
static inline gk_vf vf_quiet_nans(gk_vf v)
{
    const uint32x4_t is_nan = vmvnq_u32(vceqq_f32(v, v));
    return vreinterpretq_f32_u32(
        vorrq_u32(vreinterpretq_u32_f32(v), vandq_u32(is_nan, vdupq_n_u32(0x00400000))));
}

/* Exact widening; a NaN keeps its bits, quiet or not (vf_load_bf16 in vec_scalar.h). */
static inline gk_vf gk_neon_from_bf16x4(uint16x4_t b)
{
    return vreinterpretq_f32_u32(vshll_n_u16(b, 16));
}

/* Round to nearest even by adding 0x7FFF plus the lowest kept bit (vaddhn adds and keeps the high
 * halves in one instruction); NaN lanes keep their top bits with the quiet bit set
 * (src/core/half.h). */
static inline uint16x4_t gk_neon_to_bf16x4(gk_vf v)
{
    const uint32x4_t u = vreinterpretq_u32_f32(v);
    const uint32x4_t lsb = vandq_u32(vshrq_n_u32(u, 16), vdupq_n_u32(1));
    const uint16x4_t rounded = vaddhn_u32(u, vaddq_u32(lsb, vdupq_n_u32(0x7FFF)));
    const uint16x4_t quiet_nan = vorr_u16(vshrn_n_u32(u, 16), vdup_n_u16(0x0040));
    const uint16x4_t is_number = vmovn_u32(vceqq_f32(v, v));
    return vbsl_u16(is_number, rounded, quiet_nan);
}

static inline uint16x4_t gk_neon_load_u16_n(const void *p, size_t n)
{
    uint16_t buf[4] = {0};
    memcpy(buf, p, n * sizeof buf[0]);
    return vld1_u16(buf);
}

static inline void gk_neon_store_u16_n(void *p, uint16x4_t v, size_t n)
{
    uint16_t buf[4];
    vst1_u16(buf, v);
    memcpy(p, buf, n * sizeof buf[0]);
}

static inline gk_vf vf_load_f16(const gk_f16 *p)
{
    return gk_neon_from_f16x4(vld1_u16((const uint16_t *)p));
}

static inline void vf_store_f16(gk_f16 *p, gk_vf v)
{
    vst1_u16((uint16_t *)p, gk_neon_to_f16x4(v));
}

static inline gk_vf vf_load_f16_n(const gk_f16 *p, size_t n)
{
    return gk_neon_from_f16x4(gk_neon_load_u16_n(p, n));
}

static inline void vf_store_f16_n(gk_f16 *p, gk_vf v, size_t n)
{
    gk_neon_store_u16_n(p, gk_neon_to_f16x4(v), n);
}

static inline gk_vf vf_load_bf16(const gk_bf16 *p)
{
    return gk_neon_from_bf16x4(vld1_u16((const uint16_t *)p));
}

static inline void vf_store_bf16(gk_bf16 *p, gk_vf v)
{
    vst1_u16((uint16_t *)p, gk_neon_to_bf16x4(v));
}

/* Non-temporal stores (vec_scalar.h): plain stores here (STNP is only a hint, and pairs). */
static inline void vf_stream_f32(float *p, gk_vf v)
{
    vf_store_f32(p, v);
}

static inline void vf_stream_f16(gk_f16 *p, gk_vf v)
{
    vf_store_f16(p, v);
}

static inline void vf_stream_bf16(gk_bf16 *p, gk_vf v)
{
    vf_store_bf16(p, v);
}

static inline gk_vf vf_load_bf16_n(const gk_bf16 *p, size_t n)
{
    return gk_neon_from_bf16x4(gk_neon_load_u16_n(p, n));
}

static inline void vf_store_bf16_n(gk_bf16 *p, gk_vf v, size_t n)
{
    gk_neon_store_u16_n(p, gk_neon_to_bf16x4(v), n);
}

/* ---- arithmetic, comparisons and lane masks (specification: vec_scalar.h) ------------------ */
typedef uint32x4_t gk_vm;

static inline gk_vf vf_set1(float x)
{
    return vdupq_n_f32(x);
}

static inline gk_vf vf_fma(gk_vf a, gk_vf b, gk_vf c)
{
    return vfmaq_f32(c, a, b);
}

static inline gk_vf vf_div(gk_vf a, gk_vf b)
{
    return vdivq_f32(a, b);
}

static inline gk_vf vf_abs(gk_vf a)
{
    return vabsq_f32(a);
}

static inline gk_vm vf_lt(gk_vf a, gk_vf b)
{
    return vcltq_f32(a, b);
}

static inline gk_vm vf_gt(gk_vf a, gk_vf b)
{
    return vcgtq_f32(a, b);
}

static inline gk_vm vf_isnan(gk_vf a)
{
    return vmvnq_u32(vceqq_f32(a, a));
}

static inline gk_vf vf_select(gk_vm m, gk_vf a, gk_vf b)
{
    return vbslq_f32(m, a, b);
}

/* fmin/fmax would return NaN for a NaN operand; compare and select reproduce the x86 rule. */
static inline gk_vf vf_min(gk_vf a, gk_vf b)
{
    return vf_select(vf_lt(a, b), a, b);
}

static inline gk_vf vf_max(gk_vf a, gk_vf b)
{
    return vf_select(vf_gt(a, b), a, b);
}

static inline gk_vm vm_or(gk_vm a, gk_vm b)
{
    return vorrq_u32(a, b);
}

static inline bool vm_any(gk_vm m)
{
    return vmaxvq_u32(m) != 0;
}

static inline gk_vf vf_pow2i(gk_vf k)
{
    const int32x4_t biased = vaddq_s32(vcvtnq_s32_f32(k), vdupq_n_s32(127));
    return vreinterpretq_f32_s32(vshlq_n_s32(biased, 23));
}

static inline double vf_hsum_f64(gk_vf v)
{
    return vaddvq_f64(vaddq_f64(vcvt_f64_f32(vget_low_f32(v)), vcvt_high_f64_f32(v)));
}

/* NaN lanes are replaced by -Inf first so that they never win. */
static inline float vf_hmax(gk_vf v)
{
    return vmaxvq_f32(vf_select(vf_isnan(v), vdupq_n_f32(-INFINITY), v));
}

/* Lanes (0 1)(2 3)... swapped within each pair (tiers with at least two lanes). */
static inline gk_vf vf_swap_pairs(gk_vf v)
{
    return vrev64q_f32(v);
}

/* ---- math primitives (specification: vec_scalar.h) ------------------------------------------ */
#define GK_VF_RINT_MAGIC 0x1.8p23f

static inline gk_vf vf_fms(gk_vf a, gk_vf b, gk_vf c)
{
    return vfmaq_f32(vnegq_f32(c), a, b);
}

static inline bool vm_all(gk_vm m)
{
    return vminvq_u32(m) != 0;
}

/* FNEG flips the sign bit of every input, NaNs included. */
static inline gk_vf vf_neg(gk_vf a)
{
    return vnegq_f32(a);
}

static inline gk_vf vf_xorsign(gk_vf a, gk_vf b)
{
    const uint32x4_t sign = vandq_u32(vreinterpretq_u32_f32(b), vdupq_n_u32(0x80000000u));
    return vreinterpretq_f32_u32(veorq_u32(vreinterpretq_u32_f32(a), sign));
}

static inline gk_vf vf_pow2i_magic(gk_vf z)
{
    const uint32x4_t shifted = vshlq_n_u32(vreinterpretq_u32_f32(z), 23);
    return vreinterpretq_f32_u32(vaddq_u32(shifted, vdupq_n_u32(0x3F800000u)));
}

static inline gk_vf vf_pow2_recip(gk_vf s)
{
    return vreinterpretq_f32_u32(vsubq_u32(vdupq_n_u32(0x7F000000u), vreinterpretq_u32_f32(s)));
}

#endif /* GK_KERNELS_VEC_NEON_H */
