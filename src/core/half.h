/* SPDX-License-Identifier: MIT */
/* Scalar f16 / bf16 <-> f32 conversions on bit patterns. These define the library's conversion
 * semantics (round to nearest even, subnormals kept, NaN quieted with its sign and top payload
 * bits); every SIMD kernel must match them bit for bit. Formats: IEEE 754-2008 binary16 and
 * binary32; bfloat16 is the upper 16 bits of a binary32. */
#ifndef GK_CORE_HALF_H
#define GK_CORE_HALF_H

#include <stdint.h>
#include <string.h>

#include "gllmk/types.h"

static inline uint32_t gk_f32_bits(float f)
{
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    return u;
}

static inline float gk_f32_from_bits(uint32_t u)
{
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}

enum {
    GK_F32_ABS_MASK = 0x7FFFFFFF,
    GK_F32_EXP_MASK = 0x7F800000, /* also the bit pattern of +Inf */
    GK_F32_QUIET_BIT = 0x00400000,
    GK_F16_EXP_MASK = 0x7C00,
    GK_F16_QUIET_BIT = 0x0200,
    GK_BF16_QUIET_BIT = 0x0040,
    /* binary32 patterns of the f16 range limits */
    GK_F32_BITS_F16_MIN_NORMAL = 0x38800000, /* 2^-14 */
    GK_F32_BITS_F16_OVERFLOW =
        0x477FF000, /* 65520 = halfway between 65504 and 2^16: rounds to Inf */
};

/* binary32 -> binary16, round to nearest even. */
static inline uint16_t gk_f16_bits_from_f32(float f)
{
    const uint32_t x = gk_f32_bits(f);
    const uint32_t sign = (x >> 16) & 0x8000u;
    const uint32_t ax = x & GK_F32_ABS_MASK;
    if (ax > GK_F32_EXP_MASK) /* NaN: keep the top 10 payload bits, set the quiet bit */
        return (uint16_t)(sign | GK_F16_EXP_MASK | GK_F16_QUIET_BIT | ((ax >> 13) & 0x3FFu));
    if (ax >= GK_F32_BITS_F16_OVERFLOW) return (uint16_t)(sign | GK_F16_EXP_MASK);
    if (ax >= GK_F32_BITS_F16_MIN_NORMAL) {
        /* Rebias the exponent (127 -> 15) and round the 13 dropped mantissa bits to nearest even;
         * a carry out of the mantissa correctly bumps the exponent. */
        const uint32_t rebiased = ax - ((127u - 15u) << 23);
        return (uint16_t)(sign | ((rebiased + 0x0FFFu + ((rebiased >> 13) & 1u)) >> 13));
    }
    /* Subnormal result: the value in units of 2^-24 (the f16 subnormal step), rounded to nearest
     * even. The significand m (with its implicit bit) times 2^(e - 150) equals m >> (126 - e)
     * such units. f32 subnormals and anything below 2^-25 round to zero. */
    const uint32_t e = ax >> 23;
    const uint32_t shift = 126u - e; /* >= 14 here because e <= 112 */
    if (shift > 24u) return (uint16_t)sign;
    const uint32_t m = (ax & 0x7FFFFFu) | 0x800000u;
    uint32_t q = m >> shift;
    const uint32_t rem = m & ((1u << shift) - 1u), half = 1u << (shift - 1u);
    if (rem > half || (rem == half && (q & 1u))) q++;
    return (uint16_t)(sign | q);
}

/* binary16 -> binary32, exact (NaN quieted). */
static inline float gk_f32_from_f16_bits(uint16_t h)
{
    const uint32_t sign = (uint32_t)(h & 0x8000u) << 16;
    const uint32_t e = (h >> 10) & 0x1Fu;
    const uint32_t m = h & 0x3FFu;
    if (e == 0x1Fu)
        return gk_f32_from_bits(sign | GK_F32_EXP_MASK | (m ? GK_F32_QUIET_BIT | (m << 13) : 0u));
    if (e != 0) return gk_f32_from_bits(sign | ((e + 112u) << 23) | (m << 13));
    if (m == 0) return gk_f32_from_bits(sign);
    /* Subnormal m * 2^-24: normalise so the top set bit p of m becomes the implicit bit. */
    const uint32_t p = 31u - (uint32_t)__builtin_clz(m);
    return gk_f32_from_bits(sign | ((p + 103u) << 23) | ((m << (23u - p)) & 0x7FFFFFu));
}

/* binary32 -> bfloat16, round to nearest even. */
static inline uint16_t gk_bf16_bits_from_f32(float f)
{
    const uint32_t x = gk_f32_bits(f);
    if ((x & GK_F32_ABS_MASK) > GK_F32_EXP_MASK) return (uint16_t)((x >> 16) | GK_BF16_QUIET_BIT);
    /* Adding 0x7FFF plus the lowest kept bit rounds to nearest even; finite values that round
     * past FLT_MAX carry into the exponent and become Inf, as they should. */
    return (uint16_t)((x + 0x7FFFu + ((x >> 16) & 1u)) >> 16);
}

/* bfloat16 -> binary32, exact (NaN quieted). */
static inline float gk_f32_from_bf16_bits(uint16_t b)
{
    uint32_t x = (uint32_t)b << 16;
    if ((x & GK_F32_ABS_MASK) > GK_F32_EXP_MASK) x |= GK_F32_QUIET_BIT;
    return gk_f32_from_bits(x);
}

/* One element of each dtype (src/core/dtypes.def) read as f32 / rounded from f32 and stored:
 * the scalar references and the scalar vocabulary both go through these. */
static inline float gk_load_f32(const float *p)
{
    return *p;
}

static inline void gk_store_f32(float *p, float v)
{
    *p = v;
}

/* An f16 field (e.g. a quantized block's scale) as f32, and an f32 rounded to one. */
static inline float gk_f32_from_f16(gk_f16 h)
{
    return gk_f32_from_f16_bits(h.bits);
}

static inline gk_f16 gk_f16_from_f32(float f)
{
    return (gk_f16){gk_f16_bits_from_f32(f)};
}

static inline float gk_load_f16(const gk_f16 *p)
{
    return gk_f32_from_f16(*p);
}

static inline void gk_store_f16(gk_f16 *p, float v)
{
    *p = gk_f16_from_f32(v);
}

static inline float gk_load_bf16(const gk_bf16 *p)
{
    return gk_f32_from_bf16_bits(p->bits);
}

static inline void gk_store_bf16(gk_bf16 *p, float v)
{
    p->bits = gk_bf16_bits_from_f32(v);
}

#endif /* GK_CORE_HALF_H */
