/* SPDX-License-Identifier: MIT */
/* The vector vocabulary for AVX2 + FMA + F16C: 8 f32 lanes in a ymm register.
 * Specification: src/kernels/scalar/vec_scalar.h. */
#ifndef GK_KERNELS_VEC_AVX2_H
#define GK_KERNELS_VEC_AVX2_H

#if !defined(__AVX2__) || !defined(__FMA__) || !defined(__F16C__)
#    error "vec_avx2.h must be compiled with -mavx2 -mfma -mf16c (only src/kernels/avx2/ is)"
#endif

#include <immintrin.h>
#include <math.h>
#include <stdbool.h>
#include <stddef.h>
#include <string.h>

#include "gllmk/types.h"

#define GK_ISA_SUFFIX avx2
#define GK_VLANES     8

typedef __m256 gk_vf;

/* Lane i is all ones when i < n. */
static inline __m256i gk_avx2_lanes_below(size_t n)
{
    return _mm256_cmpgt_epi32(_mm256_set1_epi32((int)n), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

static inline gk_vf vf_load_f32(const float *p)
{
    return _mm256_loadu_ps(p);
}

static inline void vf_store_f32(float *p, gk_vf v)
{
    _mm256_storeu_ps(p, v);
}

/* Masked-off lanes of vmaskmovps neither read nor fault. */
static inline gk_vf vf_load_f32_n(const float *p, size_t n)
{
    return _mm256_maskload_ps(p, gk_avx2_lanes_below(n));
}

static inline void vf_store_f32_n(float *p, gk_vf v, size_t n)
{
    _mm256_maskstore_ps(p, gk_avx2_lanes_below(n), v);
}

static inline gk_vf vf_add(gk_vf a, gk_vf b)
{
    return _mm256_add_ps(a, b);
}

static inline gk_vf vf_sub(gk_vf a, gk_vf b)
{
    return _mm256_sub_ps(a, b);
}

static inline gk_vf vf_mul(gk_vf a, gk_vf b)
{
    return _mm256_mul_ps(a, b);
}

/* Sets the quiet bit of NaN lanes (the spec: src/kernels/scalar/vec_scalar.h). */
static inline gk_vf vf_quiet_nans(gk_vf v)
{
    const __m256 is_nan = _mm256_cmp_ps(v, v, _CMP_UNORD_Q);
    const __m256 quiet_bit = _mm256_castsi256_ps(_mm256_set1_epi32(0x00400000));
    return _mm256_or_ps(v, _mm256_and_ps(is_nan, quiet_bit));
}

/* vcvtph2ps already quiets signalling NaNs; immediate 0 of vcvtps2ph rounds to nearest even. */
static inline gk_vf gk_avx2_from_f16x8(__m128i h)
{
    return _mm256_cvtph_ps(h);
}

static inline __m128i gk_avx2_to_f16x8(gk_vf v)
{
    return _mm256_cvtps_ph(v, 0);
}

/* Exact widening; a NaN keeps its bits, quiet or not (vf_load_bf16 in vec_scalar.h). */
static inline gk_vf gk_avx2_from_bf16x8(__m128i b)
{
    return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(b), 16));
}

/* Each lane's bf16 in its upper 16 bits (the lower 16 are garbage): round to nearest even by
 * adding 0x7FFF plus the lowest kept bit; NaN lanes keep their top bits with the quiet bit set
 * (src/core/half.h, gk_bf16_bits_from_f32). */
static inline __m256i gk_avx2_bf16_in_high(gk_vf v)
{
    const __m256i u = _mm256_castps_si256(v);
    const __m256i lsb = _mm256_and_si256(_mm256_srli_epi32(u, 16), _mm256_set1_epi32(1));
    const __m256i rounded = _mm256_add_epi32(_mm256_add_epi32(u, _mm256_set1_epi32(0x7FFF)), lsb);
    const __m256i quiet_nan = _mm256_or_si256(u, _mm256_set1_epi32(0x00400000));
    const __m256i is_nan = _mm256_castps_si256(_mm256_cmp_ps(v, v, _CMP_UNORD_Q));
    return _mm256_blendv_epi8(rounded, quiet_nan, is_nan);
}

static inline __m128i gk_avx2_to_bf16x8(gk_vf v)
{
    const __m256i r = _mm256_srli_epi32(gk_avx2_bf16_in_high(v), 16);
    /* every lane is <= 0xFFFF, so the saturating pack is a plain narrowing */
    return _mm_packus_epi32(_mm256_castsi256_si128(r), _mm256_extracti128_si256(r, 1));
}

/* Pairs (kernels/generic/pair.inc): 16 bf16 as their even (v0) and odd (v1) elements. Widening is
 * one shift or one mask of the 32-bit words, narrowing one shift and one word blend: 18
 * instructions per 16 elements through a lane-wise function instead of 24 for two vf_load_bf16 /
 * vf_store_bf16. */
#define GK_VF_PAIR_BF16

static inline __attribute__((always_inline)) void
vf_load2_bf16(const gk_bf16 *p, gk_vf *v0, gk_vf *v1)
{
    const __m256i w = _mm256_loadu_si256((const __m256i *)p);
    *v0 = _mm256_castsi256_ps(_mm256_slli_epi32(w, 16));
    *v1 = _mm256_castsi256_ps(_mm256_and_si256(w, _mm256_set1_epi32((int)0xFFFF0000u)));
}

/* Round to nearest even as gk_avx2_bf16_in_high, for lanes that are not NaN. */
static inline __m256i gk_avx2_bf16_in_high_finite(gk_vf v)
{
    const __m256i u = _mm256_castps_si256(v);
    const __m256i lsb = _mm256_and_si256(_mm256_srli_epi32(u, 16), _mm256_set1_epi32(1));
    return _mm256_add_epi32(_mm256_add_epi32(u, _mm256_set1_epi32(0x7FFF)), lsb);
}

/* A pair with a NaN lane: out of line, so that the common path keeps its registers. */
static __attribute__((noinline)) __m256i gk_avx2_to_bf16x16_nan(gk_vf v0, gk_vf v1)
{
    return _mm256_blend_epi16(_mm256_srli_epi32(gk_avx2_bf16_in_high(v0), 16),
                              gk_avx2_bf16_in_high(v1), 0xAA);
}

/* The element loops are bound by instruction count, not latency (silu bf16 took 1.5x the time of
 * f32 with 1.5x its instructions): one unordered compare of v0 against v1 finds a NaN in either,
 * and the common path rounds without the per-vector NaN blend (13 instructions per pair instead
 * of 16). */
static inline __m256i gk_avx2_to_bf16x16(gk_vf v0, gk_vf v1)
{
    if (__builtin_expect(_mm256_movemask_ps(_mm256_cmp_ps(v0, v1, _CMP_UNORD_Q)) != 0, 0))
        return gk_avx2_to_bf16x16_nan(v0, v1);
    return _mm256_blend_epi16(_mm256_srli_epi32(gk_avx2_bf16_in_high_finite(v0), 16),
                              gk_avx2_bf16_in_high_finite(v1), 0xAA);
}

/* Lanes that are bf16 values already (pair.inc, vf_store2_exact_<t>): the upper halves, NaN
 * quieted. */
static inline __m256i gk_avx2_exact_bf16x16(gk_vf v0, gk_vf v1)
{
    if (__builtin_expect(_mm256_movemask_ps(_mm256_cmp_ps(v0, v1, _CMP_UNORD_Q)) != 0, 0))
        return gk_avx2_to_bf16x16_nan(v0, v1);
    return _mm256_blend_epi16(_mm256_srli_epi32(_mm256_castps_si256(v0), 16),
                              _mm256_castps_si256(v1), 0xAA);
}

static inline __attribute__((always_inline)) void vf_store2_bf16(gk_bf16 *p, gk_vf v0, gk_vf v1)
{
    _mm256_storeu_si256((__m256i *)p, gk_avx2_to_bf16x16(v0, v1));
}

/* p aligned to 16 bytes, as for vf_stream_bf16 */
static inline __attribute__((always_inline)) void gk_avx2_stream_u16x16(gk_bf16 *p, __m256i r)
{
    _mm_stream_si128((__m128i *)(void *)p, _mm256_castsi256_si128(r));
    _mm_stream_si128((__m128i *)(void *)(p + 8), _mm256_extracti128_si256(r, 1));
}

static inline __attribute__((always_inline)) void vf_stream2_bf16(gk_bf16 *p, gk_vf v0, gk_vf v1)
{
    gk_avx2_stream_u16x16(p, gk_avx2_to_bf16x16(v0, v1));
}

static inline __attribute__((always_inline)) void
vf_store2_exact_bf16(gk_bf16 *p, gk_vf v0, gk_vf v1)
{
    _mm256_storeu_si256((__m256i *)p, gk_avx2_exact_bf16x16(v0, v1));
}

static inline __attribute__((always_inline)) void
vf_stream2_exact_bf16(gk_bf16 *p, gk_vf v0, gk_vf v1)
{
    gk_avx2_stream_u16x16(p, gk_avx2_exact_bf16x16(v0, v1));
}

static inline gk_vf vf_load_f16(const gk_f16 *p)
{
    return gk_avx2_from_f16x8(_mm_loadu_si128((const __m128i *)p));
}

static inline void vf_store_f16(gk_f16 *p, gk_vf v)
{
    _mm_storeu_si128((__m128i *)p, gk_avx2_to_f16x8(v));
}

static inline gk_vf vf_load_bf16(const gk_bf16 *p)
{
    return gk_avx2_from_bf16x8(_mm_loadu_si128((const __m128i *)p));
}

static inline void vf_store_bf16(gk_bf16 *p, gk_vf v)
{
    _mm_storeu_si128((__m128i *)p, gk_avx2_to_bf16x8(v));
}

/* Non-temporal stores (vec_scalar.h); p aligned to 32 (f32) or 16 (f16, bf16) bytes. */
static inline void vf_stream_f32(float *p, gk_vf v)
{
    _mm256_stream_ps(p, v);
}

static inline void vf_stream_f16(gk_f16 *p, gk_vf v)
{
    _mm_stream_si128((__m128i *)(void *)p, gk_avx2_to_f16x8(v));
}

static inline void vf_stream_bf16(gk_bf16 *p, gk_vf v)
{
    _mm_stream_si128((__m128i *)(void *)p, gk_avx2_to_bf16x8(v));
}

/* 16-bit tails go through a small buffer: AVX2 has no 16-bit masked load or store. */
static inline __m128i gk_avx2_load_u16_n(const void *p, size_t n)
{
    uint16_t buf[8] = {0};
    memcpy(buf, p, n * sizeof buf[0]);
    return _mm_loadu_si128((const __m128i *)buf);
}

static inline void gk_avx2_store_u16_n(void *p, __m128i v, size_t n)
{
    uint16_t buf[8];
    _mm_storeu_si128((__m128i *)buf, v);
    memcpy(p, buf, n * sizeof buf[0]);
}

static inline gk_vf vf_load_f16_n(const gk_f16 *p, size_t n)
{
    return gk_avx2_from_f16x8(gk_avx2_load_u16_n(p, n));
}

static inline void vf_store_f16_n(gk_f16 *p, gk_vf v, size_t n)
{
    gk_avx2_store_u16_n(p, gk_avx2_to_f16x8(v), n);
}

static inline gk_vf vf_load_bf16_n(const gk_bf16 *p, size_t n)
{
    return gk_avx2_from_bf16x8(gk_avx2_load_u16_n(p, n));
}

static inline void vf_store_bf16_n(gk_bf16 *p, gk_vf v, size_t n)
{
    gk_avx2_store_u16_n(p, gk_avx2_to_bf16x8(v), n);
}

/* ---- arithmetic, comparisons and lane masks (specification: vec_scalar.h) ------------------ */
typedef __m256 gk_vm;

static inline gk_vf vf_set1(float x)
{
    return _mm256_set1_ps(x);
}

static inline gk_vf vf_fma(gk_vf a, gk_vf b, gk_vf c)
{
    return _mm256_fmadd_ps(a, b, c);
}

static inline gk_vf vf_div(gk_vf a, gk_vf b)
{
    return _mm256_div_ps(a, b);
}

static inline gk_vf vf_abs(gk_vf a)
{
    return _mm256_andnot_ps(_mm256_set1_ps(-0.0f), a);
}

/* vminps/vmaxps return the second operand when either is NaN or both are zero: the spec. */
static inline gk_vf vf_min(gk_vf a, gk_vf b)
{
    return _mm256_min_ps(a, b);
}

static inline gk_vf vf_max(gk_vf a, gk_vf b)
{
    return _mm256_max_ps(a, b);
}

static inline gk_vm vf_lt(gk_vf a, gk_vf b)
{
    return _mm256_cmp_ps(a, b, _CMP_LT_OQ);
}

static inline gk_vm vf_gt(gk_vf a, gk_vf b)
{
    return _mm256_cmp_ps(a, b, _CMP_GT_OQ);
}

static inline gk_vm vf_isnan(gk_vf a)
{
    return _mm256_cmp_ps(a, a, _CMP_UNORD_Q);
}

static inline gk_vf vf_select(gk_vm m, gk_vf a, gk_vf b)
{
    return _mm256_blendv_ps(b, a, m);
}

static inline gk_vm vm_or(gk_vm a, gk_vm b)
{
    return _mm256_or_ps(a, b);
}

static inline bool vm_any(gk_vm m)
{
    return _mm256_movemask_ps(m) != 0;
}

static inline gk_vf vf_pow2i(gk_vf k)
{
    const __m256i biased = _mm256_add_epi32(_mm256_cvtps_epi32(k), _mm256_set1_epi32(127));
    return _mm256_castsi256_ps(_mm256_slli_epi32(biased, 23));
}

static inline double vf_hsum_f64(gk_vf v)
{
    const __m256d d = _mm256_add_pd(_mm256_cvtps_pd(_mm256_castps256_ps128(v)),
                                    _mm256_cvtps_pd(_mm256_extractf128_ps(v, 1)));
    const __m128d pair = _mm_add_pd(_mm256_castpd256_pd128(d), _mm256_extractf128_pd(d, 1));
    return _mm_cvtsd_f64(_mm_add_sd(pair, _mm_unpackhi_pd(pair, pair)));
}

/* NaN lanes are replaced by -Inf first so that they never win. */
static inline float vf_hmax(gk_vf v)
{
    v = vf_select(vf_isnan(v), _mm256_set1_ps(-INFINITY), v);
    __m128 m = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    m = _mm_max_ps(m, _mm_movehl_ps(m, m));
    m = _mm_max_ss(m, _mm_movehdup_ps(m));
    return _mm_cvtss_f32(m);
}

/* Lanes (0 1)(2 3)... swapped within each pair (tiers with at least two lanes). */
static inline gk_vf vf_swap_pairs(gk_vf v)
{
    return _mm256_permute_ps(v, 0xB1);
}

/* ---- math primitives (specification: vec_scalar.h) ------------------------------------------ */
#define GK_VF_RINT_MAGIC 0x1.8p23f

static inline gk_vf vf_fms(gk_vf a, gk_vf b, gk_vf c)
{
    return _mm256_fmsub_ps(a, b, c);
}

static inline bool vm_all(gk_vm m)
{
    return _mm256_movemask_ps(m) == 0xFF;
}

static inline gk_vf vf_neg(gk_vf a)
{
    return _mm256_xor_ps(a, _mm256_set1_ps(-0.0f));
}

static inline gk_vf vf_xorsign(gk_vf a, gk_vf b)
{
    return _mm256_xor_ps(a, _mm256_and_ps(b, _mm256_set1_ps(-0.0f)));
}

static inline gk_vf vf_pow2i_magic(gk_vf z)
{
    const __m256i shifted = _mm256_slli_epi32(_mm256_castps_si256(z), 23);
    return _mm256_castsi256_ps(_mm256_add_epi32(shifted, _mm256_set1_epi32(0x3F800000)));
}

static inline gk_vf vf_pow2_recip(gk_vf s)
{
    return _mm256_castsi256_ps(
        _mm256_sub_epi32(_mm256_set1_epi32(0x7F000000), _mm256_castps_si256(s)));
}

#endif /* GK_KERNELS_VEC_AVX2_H */
