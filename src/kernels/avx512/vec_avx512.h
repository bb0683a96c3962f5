/* SPDX-License-Identifier: MIT */
/* The vector vocabulary for AVX-512 (F, BW, DQ, VL): 16 f32 lanes in a zmm register; tails use
 * opmask registers. Specification: src/kernels/scalar/vec_scalar.h. */
#ifndef GK_KERNELS_VEC_AVX512_H
#define GK_KERNELS_VEC_AVX512_H

#if !defined(__AVX512F__) || !defined(__AVX512BW__) || !defined(__AVX512DQ__) || \
    !defined(__AVX512VL__) || !defined(__FMA__) || !defined(__F16C__)
#    error "vec_avx512.h must be compiled with the AVX-512 F/BW/DQ/VL flags (src/kernels/avx512/)"
#endif

#include <immintrin.h>
#include <math.h>
#include <stdbool.h>
#include <stddef.h>

#include "gllmk/types.h"

#define GK_ISA_SUFFIX avx512
#define GK_VLANES     16

typedef __m512 gk_vf;

/* Opmask with lanes 0..n-1 set, n < 16. */
static inline __mmask16 gk_avx512_lanes_below(size_t n)
{
    return (__mmask16)((1u << n) - 1u);
}

static inline gk_vf vf_load_f32(const float *p)
{
    return _mm512_loadu_ps(p);
}

static inline void vf_store_f32(float *p, gk_vf v)
{
    _mm512_storeu_ps(p, v);
}

/* Masked-off lanes are neither read nor written, and cannot fault. */
static inline gk_vf vf_load_f32_n(const float *p, size_t n)
{
    return _mm512_maskz_loadu_ps(gk_avx512_lanes_below(n), p);
}

static inline void vf_store_f32_n(float *p, gk_vf v, size_t n)
{
    _mm512_mask_storeu_ps(p, gk_avx512_lanes_below(n), v);
}

static inline gk_vf vf_add(gk_vf a, gk_vf b)
{
    return _mm512_add_ps(a, b);
}

static inline gk_vf vf_sub(gk_vf a, gk_vf b)
{
    return _mm512_sub_ps(a, b);
}

static inline gk_vf vf_mul(gk_vf a, gk_vf b)
{
    return _mm512_mul_ps(a, b);
}

/* vcvtph2ps quiets signalling NaNs; immediate 0 of vcvtps2ph rounds to nearest even. */
static inline gk_vf gk_avx512_from_f16x16(__m256i h)
{
    return _mm512_cvtph_ps(h);
}

static inline __m256i gk_avx512_to_f16x16(gk_vf v)
{
    return _mm512_cvtps_ph(v, 0);
}

/* Sets the quiet bit of NaN lanes (the spec: src/kernels/scalar/vec_scalar.h). */
static inline gk_vf vf_quiet_nans(gk_vf v)
{
    const __mmask16 is_nan = _mm512_cmp_ps_mask(v, v, _CMP_UNORD_Q);
    const __m512i bits = _mm512_castps_si512(v);
    return _mm512_castsi512_ps(
        _mm512_mask_or_epi32(bits, is_nan, bits, _mm512_set1_epi32(0x00400000)));
}

/* Exact widening; a NaN keeps its bits, quiet or not (vf_load_bf16 in vec_scalar.h). */
static inline gk_vf gk_avx512_from_bf16x16(__m256i b)
{
    return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(b), 16));
}

/* Round to nearest even by adding 0x7FFF plus the lowest kept bit; NaN lanes keep their top bits
 * with the quiet bit set. The result's 32-bit lanes each hold one bf16 (narrowed by the caller).
 * vcvtneps2bf16 (AVX512_BF16) is not used: it flushes subnormal inputs to zero, and this
 * integer form costs the same in a memory-bound loop. */
static inline __m512i gk_avx512_to_bf16x16_wide(gk_vf v)
{
    const __m512i u = _mm512_castps_si512(v);
    const __m512i high = _mm512_srli_epi32(u, 16);
    const __m512i lsb = _mm512_and_si512(high, _mm512_set1_epi32(1));
    const __m512i rounded = _mm512_srli_epi32(
        _mm512_add_epi32(_mm512_add_epi32(u, _mm512_set1_epi32(0x7FFF)), lsb), 16);
    const __mmask16 is_nan = _mm512_cmp_ps_mask(v, v, _CMP_UNORD_Q);
    return _mm512_mask_or_epi32(rounded, is_nan, high, _mm512_set1_epi32(0x0040));
}

static inline gk_vf vf_load_f16(const gk_f16 *p)
{
    return gk_avx512_from_f16x16(_mm256_loadu_si256((const __m256i *)p));
}

static inline void vf_store_f16(gk_f16 *p, gk_vf v)
{
    _mm256_storeu_si256((__m256i *)p, gk_avx512_to_f16x16(v));
}

static inline gk_vf vf_load_f16_n(const gk_f16 *p, size_t n)
{
    return gk_avx512_from_f16x16(_mm256_maskz_loadu_epi16(gk_avx512_lanes_below(n), p));
}

static inline void vf_store_f16_n(gk_f16 *p, gk_vf v, size_t n)
{
    _mm256_mask_storeu_epi16(p, gk_avx512_lanes_below(n), gk_avx512_to_f16x16(v));
}

static inline gk_vf vf_load_bf16(const gk_bf16 *p)
{
    return gk_avx512_from_bf16x16(_mm256_loadu_si256((const __m256i *)p));
}

static inline void vf_store_bf16(gk_bf16 *p, gk_vf v)
{
    _mm256_storeu_si256((__m256i *)p, _mm512_cvtepi32_epi16(gk_avx512_to_bf16x16_wide(v)));
}

/* Non-temporal stores (vec_scalar.h); p aligned to 64 (f32) or 32 (f16, bf16) bytes. */
static inline void vf_stream_f32(float *p, gk_vf v)
{
    _mm512_stream_ps(p, v);
}

static inline void vf_stream_f16(gk_f16 *p, gk_vf v)
{
    _mm256_stream_si256((__m256i *)(void *)p, gk_avx512_to_f16x16(v));
}

static inline void vf_stream_bf16(gk_bf16 *p, gk_vf v)
{
    _mm256_stream_si256((__m256i *)(void *)p, _mm512_cvtepi32_epi16(gk_avx512_to_bf16x16_wide(v)));
}

static inline gk_vf vf_load_bf16_n(const gk_bf16 *p, size_t n)
{
    return gk_avx512_from_bf16x16(_mm256_maskz_loadu_epi16(gk_avx512_lanes_below(n), p));
}

static inline void vf_store_bf16_n(gk_bf16 *p, gk_vf v, size_t n)
{
    _mm512_mask_cvtepi32_storeu_epi16(p, gk_avx512_lanes_below(n), gk_avx512_to_bf16x16_wide(v));
}

/* ---- arithmetic, comparisons and lane masks (specification: vec_scalar.h) ------------------ */
typedef __mmask16 gk_vm;

static inline gk_vf vf_set1(float x)
{
    return _mm512_set1_ps(x);
}

static inline gk_vf vf_fma(gk_vf a, gk_vf b, gk_vf c)
{
    return _mm512_fmadd_ps(a, b, c);
}

static inline gk_vf vf_div(gk_vf a, gk_vf b)
{
    return _mm512_div_ps(a, b);
}

static inline gk_vf vf_abs(gk_vf a)
{
    return _mm512_abs_ps(a);
}

/* vminps/vmaxps return the second operand when either is NaN or both are zero: the spec. */
static inline gk_vf vf_min(gk_vf a, gk_vf b)
{
    return _mm512_min_ps(a, b);
}

static inline gk_vf vf_max(gk_vf a, gk_vf b)
{
    return _mm512_max_ps(a, b);
}

static inline gk_vm vf_lt(gk_vf a, gk_vf b)
{
    return _mm512_cmp_ps_mask(a, b, _CMP_LT_OQ);
}

static inline gk_vm vf_gt(gk_vf a, gk_vf b)
{
    return _mm512_cmp_ps_mask(a, b, _CMP_GT_OQ);
}

static inline gk_vm vf_isnan(gk_vf a)
{
    return _mm512_cmp_ps_mask(a, a, _CMP_UNORD_Q);
}

static inline gk_vf vf_select(gk_vm m, gk_vf a, gk_vf b)
{
    return _mm512_mask_blend_ps(m, b, a);
}

static inline gk_vm vm_or(gk_vm a, gk_vm b)
{
    return (gk_vm)(a | b);
}

static inline bool vm_any(gk_vm m)
{
    return m != 0;
}

static inline gk_vf vf_pow2i(gk_vf k)
{
    const __m512i biased = _mm512_add_epi32(_mm512_cvtps_epi32(k), _mm512_set1_epi32(127));
    return _mm512_castsi512_ps(_mm512_slli_epi32(biased, 23));
}

static inline double vf_hsum_f64(gk_vf v)
{
    const __m512d d = _mm512_add_pd(_mm512_cvtps_pd(_mm512_castps512_ps256(v)),
                                    _mm512_cvtps_pd(_mm512_extractf32x8_ps(v, 1)));
    return _mm512_reduce_add_pd(d);
}

/* NaN lanes are replaced by -Inf first so that they never win. */
static inline float vf_hmax(gk_vf v)
{
    return _mm512_reduce_max_ps(vf_select(vf_isnan(v), _mm512_set1_ps(-INFINITY), v));
}

/* Lanes (0 1)(2 3)... swapped within each pair (tiers with at least two lanes). */
static inline gk_vf vf_swap_pairs(gk_vf v)
{
    return _mm512_permute_ps(v, 0xB1);
}

/* ---- math primitives (specification: vec_scalar.h) ------------------------------------------ */
#define GK_VF_RINT_MAGIC 0x1.8p23f

static inline gk_vf vf_fms(gk_vf a, gk_vf b, gk_vf c)
{
    return _mm512_fmsub_ps(a, b, c);
}

static inline bool vm_all(gk_vm m)
{
    return m == (gk_vm)0xFFFF;
}

static inline gk_vf vf_neg(gk_vf a)
{
    return _mm512_xor_ps(a, _mm512_set1_ps(-0.0f));
}

static inline gk_vf vf_xorsign(gk_vf a, gk_vf b)
{
    return _mm512_xor_ps(a, _mm512_and_ps(b, _mm512_set1_ps(-0.0f)));
}

static inline gk_vf vf_pow2i_magic(gk_vf z)
{
    const __m512i shifted = _mm512_slli_epi32(_mm512_castps_si512(z), 23);
    return _mm512_castsi512_ps(_mm512_add_epi32(shifted, _mm512_set1_epi32(0x3F800000)));
}

static inline gk_vf vf_pow2_recip(gk_vf s)
{
    return _mm512_castsi512_ps(
        _mm512_sub_epi32(_mm512_set1_epi32(0x7F000000), _mm512_castps_si512(s)));
}

#endif /* GK_KERNELS_VEC_AVX512_H */
