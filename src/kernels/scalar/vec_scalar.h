/* SPDX-License-Identifier: MIT */
/* The vector vocabulary, one lane wide. This header is the specification of the vocabulary every
 * tier implements (vec_avx2.h, vec_avx512.h, vec_neon.h):
 *   gk_vf                     a vector of GK_VLANES f32 lanes
 *   vf_load_<t>(p)            GK_VLANES elements of dtype <t> from p, widened to f32
 *   vf_store_<t>(p, v)        v rounded to dtype <t>, GK_VLANES elements to p
 *   vf_load_<t>_n(p, n)       the first n < GK_VLANES elements (other lanes 0); reads nothing
 *                             past p + n
 *   vf_store_<t>_n(p, v, n)   the first n < GK_VLANES lanes; writes nothing past p + n
 *   vf_load2_<t>, vf_store2_<t>, vf_stream2_<t>
 *                             two vectors at once, lanes in a tier-chosen order (optional: the
 *                             defaults are in kernels/generic/pair.inc)
 *   vf_add/vf_sub/vf_mul(a, b) lane-wise IEEE single-precision arithmetic
 *   vf_quiet_nans(v)          v with the quiet bit set in its NaN lanes
 * for <t> in f32, f16, bf16. Conversions are exactly those of src/core/half.h, with one freedom:
 * vf_load_bf16 may leave a signalling NaN signalling (AVX2 saves three instructions per vector
 * that way). Arithmetic quiets it and so does every 16-bit store, so only a body that stores a
 * bf16 load to f32 untouched, the conversion, calls vf_quiet_nans. */
#ifndef GK_KERNELS_VEC_SCALAR_H
#define GK_KERNELS_VEC_SCALAR_H

#include <math.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/half.h"
#include "gllmk/types.h"

#define GK_ISA_SUFFIX scalar
#define GK_VLANES     1

typedef float gk_vf;

static inline gk_vf vf_load_f32(const float *p)
{
    return gk_load_f32(p);
}

static inline void vf_store_f32(float *p, gk_vf v)
{
    gk_store_f32(p, v);
}

static inline gk_vf vf_load_f16(const gk_f16 *p)
{
    return gk_load_f16(p);
}

static inline void vf_store_f16(gk_f16 *p, gk_vf v)
{
    gk_store_f16(p, v);
}

static inline gk_vf vf_load_bf16(const gk_bf16 *p)
{
    return gk_load_bf16(p);
}

static inline void vf_store_bf16(gk_bf16 *p, gk_vf v)
{
    gk_store_bf16(p, v);
}

/* vf_stream_<t>: vf_store_<t> with a non-temporal store where the tier has one (the line is not
 * read first and not kept in cache; src/core/stream.h). p is aligned to a whole vector's bytes,
 * GK_VLANES * sizeof *p. Here, and on NEON, a plain store. */
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

static inline gk_vf vf_quiet_nans(gk_vf v)
{
    return v != v ? gk_f32_from_bits(gk_f32_bits(v) | 0x00400000u) : v;
}

/* Arithmetic, lane by lane, IEEE single precision. */
static inline gk_vf vf_add(gk_vf a, gk_vf b)
{
    return a + b;
}

static inline gk_vf vf_sub(gk_vf a, gk_vf b)
{
    return a - b;
}

static inline gk_vf vf_mul(gk_vf a, gk_vf b)
{
    return a * b;
}

/* With one lane, a tail is always empty (n == 0): loads give 0, stores write nothing. */
#define GK_SCALAR_EMPTY_TAIL(t, ctype)                               \
    static inline gk_vf vf_load_##t##_n(const ctype *p, size_t n)    \
    {                                                                \
        (void)p;                                                     \
        (void)n;                                                     \
        return 0.0f;                                                 \
    }                                                                \
    static inline void vf_store_##t##_n(ctype *p, gk_vf v, size_t n) \
    {                                                                \
        (void)p;                                                     \
        (void)v;                                                     \
        (void)n;                                                     \
    }
GK_SCALAR_EMPTY_TAIL(f32, float)
GK_SCALAR_EMPTY_TAIL(f16, gk_f16)
GK_SCALAR_EMPTY_TAIL(bf16, gk_bf16)
#undef GK_SCALAR_EMPTY_TAIL

/* ---- arithmetic, comparisons and lane masks ------------------------------------------------
 *   gk_vm                     a lane mask (result of a comparison)
 *   vf_set1(x)                every lane x
 *   vf_fma(a, b, c)           a * b + c rounded once
 *   vf_div(a, b)              IEEE division
 *   vf_abs(a)                 a with its sign bit cleared (NaN stays NaN)
 *   vf_min(a, b), vf_max(a, b) exactly a < b ? a : b and a > b ? a : b: if either is NaN the
 *                             result is b, and of two zeros it is b (x86 minps/maxps semantics;
 *                             other tiers reproduce them)
 *   vf_lt(a, b), vf_gt(a, b)  ordered comparisons (false when either is NaN)
 *   vf_isnan(a)               lanes that are NaN
 *   vf_select(m, a, b)        m ? a : b lane-wise
 *   vm_or(m1, m2), vm_any(m)  mask union; true if any lane is set
 *   vf_pow2i(k)               2^k exactly, for integer-valued k in [-126, 127]
 *   vf_hsum_f64(v)            the sum of the lanes, in double precision
 *   vf_hmax(v)                the largest lane (of lanes that are not NaN; -Inf if none)
 *   vf_swap_pairs(v)          lanes 2k and 2k+1 exchanged (only tiers with GK_VLANES >= 2) */
typedef bool gk_vm;

static inline gk_vf vf_set1(float x)
{
    return x;
}

static inline gk_vf vf_fma(gk_vf a, gk_vf b, gk_vf c)
{
    return fmaf(a, b, c);
}

static inline gk_vf vf_div(gk_vf a, gk_vf b)
{
    return a / b;
}

static inline gk_vf vf_abs(gk_vf a)
{
    return gk_f32_from_bits(gk_f32_bits(a) & 0x7FFFFFFFu);
}

static inline gk_vf vf_min(gk_vf a, gk_vf b)
{
    return a < b ? a : b;
}

static inline gk_vf vf_max(gk_vf a, gk_vf b)
{
    return a > b ? a : b;
}

static inline gk_vm vf_lt(gk_vf a, gk_vf b)
{
    return a < b;
}

static inline gk_vm vf_gt(gk_vf a, gk_vf b)
{
    return a > b;
}

static inline gk_vm vf_isnan(gk_vf a)
{
    return a != a;
}

static inline gk_vf vf_select(gk_vm m, gk_vf a, gk_vf b)
{
    return m ? a : b;
}

static inline gk_vm vm_or(gk_vm a, gk_vm b)
{
    return a || b;
}

static inline bool vm_any(gk_vm m)
{
    return m;
}

static inline gk_vf vf_pow2i(gk_vf k)
{
    return gk_f32_from_bits((uint32_t)((int32_t)k + 127) << 23);
}

static inline double vf_hsum_f64(gk_vf v)
{
    return (double)v;
}

static inline float vf_hmax(gk_vf v)
{
    return v != v ? -INFINITY : v;
}

/* ---- math primitives (the transcendental activations, kernels/generic/activations.inc) ------
 *   GK_VF_RINT_MAGIC          1.5 * 2^23: for |t| < 2^22, t + GK_VF_RINT_MAGIC rounded to f32 is
 *                             exactly GK_VF_RINT_MAGIC + rint(t) (ties to even), and subtracting
 *                             GK_VF_RINT_MAGIC again gives rint(t) exactly
 *   vm_all(m)                 true if every lane of m is set
 *   vf_fms(a, b, c)           a * b - c rounded once (so vf_fms(a, b, a * b) is the exact
 *                             rounding error of the product a * b)
 *   vf_neg(a)                 a with its sign bit flipped (zeros and NaNs too)
 *   vf_xorsign(a, b)          a with its sign bit flipped in the lanes where b's sign bit is set
 *                             (for a >= +0 that is copysign(a, b))
 *   vf_pow2i_magic(z)         2^k exactly for z = GK_VF_RINT_MAGIC + k, k an integer in
 *                             [-126, 127]: the float whose bits are (bits(z) << 23) + bits(1.0f),
 *                             i.e. k taken from z's low bits without a conversion (other z give
 *                             that bit pattern too, whatever it means)
 *   vf_pow2_recip(s)          1 / s exactly for s = 2^k, k an integer in [-126, 126]: the float
 *                             whose bits are 0x7F000000 - bits(s) (the exponent field e becomes
 *                             254 - e; other s give that bit pattern too) */
#define GK_VF_RINT_MAGIC 0x1.8p23f

static inline gk_vf vf_fms(gk_vf a, gk_vf b, gk_vf c)
{
    return fmaf(a, b, -c);
}

static inline bool vm_all(gk_vm m)
{
    return m;
}

static inline gk_vf vf_neg(gk_vf a)
{
    return gk_f32_from_bits(gk_f32_bits(a) ^ 0x80000000u);
}

static inline gk_vf vf_xorsign(gk_vf a, gk_vf b)
{
    return gk_f32_from_bits(gk_f32_bits(a) ^ (gk_f32_bits(b) & 0x80000000u));
}

static inline gk_vf vf_pow2i_magic(gk_vf z)
{
    return gk_f32_from_bits((gk_f32_bits(z) << 23) + 0x3F800000u);
}

static inline gk_vf vf_pow2_recip(gk_vf s)
{
    return gk_f32_from_bits(0x7F000000u - gk_f32_bits(s));
}

#endif /* GK_KERNELS_VEC_SCALAR_H */
