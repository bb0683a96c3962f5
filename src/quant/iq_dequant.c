/* SPDX-License-Identifier: MIT */
/* Scalar decoders of the IQ formats: the definition every SIMD tier matches bit for bit. The
 * arithmetic of each format (operation order, where integers become floats) is ggml's reference
 * decoder's, described in iq.h; it is written here group by group with plain loops. */
#include "quant/iq.h"

#include "core/half.h"

/* Element j of an 8-element grid entry (byte j of the word). */
static inline uint32_t grid_byte(uint64_t entry, int j)
{
    return (uint32_t)(entry >> (8 * j)) & 0xFFu;
}

static inline float iq1_grid_value(uint64_t entry, int j)
{
    return (float)(int8_t)grid_byte(entry, j);
}

/* y = scale * grid, negated where bit j of `signs` is set. */
static inline void put8_signed(float *y, float scale, uint64_t grid, uint32_t signs)
{
    for (int j = 0; j < 8; ++j) {
        const float v = scale * (float)grid_byte(grid, j);
        y[j] = (signs >> j) & 1u ? -v : v;
    }
}

/* Two 4-element iq3 entries make the 8 weights of one sign byte. */
static inline uint64_t iq3_pair(uint32_t lo, uint32_t hi)
{
    return (uint64_t)lo | ((uint64_t)hi << 32);
}

/* y = scale * (grid + delta) for the 8 elements of an iq1s entry. */
static inline void put8_iq1(float *y, float scale, uint64_t grid, float delta)
{
    for (int j = 0; j < 8; ++j) y[j] = scale * (iq1_grid_value(grid, j) + delta);
}

static inline float f16_scale(const uint8_t d[2])
{
    return gk_f32_from_f16_bits(gk_iq_u16(d));
}

void gk_dequant_iq2_xxs_scalar(const void *blocks, float *dst, size_t n_blocks)
{
    const gk_block_iq2_xxs *b = blocks;
    for (size_t i = 0; i < n_blocks; ++i, ++b) {
        const float d = f16_scale(b->d);
        for (int g = 0; g < 8; ++g, dst += 32) {
            const uint8_t *q = b->qs + 8 * g;
            const uint32_t w = gk_iq_u32(q + 4);
            const float scale = d * (0.5f + (float)(w >> 28)) * 0.25f;
            for (int l = 0; l < 4; ++l)
                put8_signed(dst + 8 * l, scale, gk_iq2xxs_grid[q[l]],
                            gk_iq_ksigns[(w >> (7 * l)) & 127u]);
        }
    }
}

void gk_dequant_iq2_xs_scalar(const void *blocks, float *dst, size_t n_blocks)
{
    const gk_block_iq2_xs *b = blocks;
    for (size_t i = 0; i < n_blocks; ++i, ++b) {
        const float d = f16_scale(b->d);
        for (int g = 0; g < 8; ++g, dst += 32) {
            const float scale[2] = {d * (0.5f + (float)(b->scales[g] & 15u)) * 0.25f,
                                    d * (0.5f + (float)(b->scales[g] >> 4)) * 0.25f};
            for (int l = 0; l < 4; ++l) {
                const uint16_t q = gk_iq_u16(b->qs + 2 * (4 * g + l));
                put8_signed(dst + 8 * l, scale[l / 2], gk_iq2xs_grid[q & 511u],
                            gk_iq_ksigns[q >> 9]);
            }
        }
    }
}

void gk_dequant_iq2_s_scalar(const void *blocks, float *dst, size_t n_blocks)
{
    const gk_block_iq2_s *b = blocks;
    for (size_t i = 0; i < n_blocks; ++i, ++b) {
        const float d = f16_scale(b->d);
        for (int g = 0; g < 8; ++g, dst += 32) {
            const float scale[2] = {d * (0.5f + (float)(b->scales[g] & 15u)) * 0.25f,
                                    d * (0.5f + (float)(b->scales[g] >> 4)) * 0.25f};
            for (int l = 0; l < 4; ++l) {
                const uint32_t index = b->qs[4 * g + l] | (((b->qh[g] >> (2 * l)) & 3u) << 8);
                put8_signed(dst + 8 * l, scale[l / 2], gk_iq2s_grid[index], b->qs[32 + 4 * g + l]);
            }
        }
    }
}

void gk_dequant_iq3_xxs_scalar(const void *blocks, float *dst, size_t n_blocks)
{
    const gk_block_iq3_xxs *b = blocks;
    for (size_t i = 0; i < n_blocks; ++i, ++b) {
        const float d = f16_scale(b->d);
        for (int g = 0; g < 8; ++g, dst += 32) {
            const uint8_t *q = b->qs + 8 * g;
            const uint32_t w = gk_iq_u32(b->qs + 64 + 4 * g);
            const float scale = d * (0.5f + (float)(w >> 28)) * 0.5f;
            for (int l = 0; l < 4; ++l)
                put8_signed(dst + 8 * l, scale,
                            iq3_pair(gk_iq3xxs_grid[q[2 * l]], gk_iq3xxs_grid[q[2 * l + 1]]),
                            gk_iq_ksigns[(w >> (7 * l)) & 127u]);
        }
    }
}

void gk_dequant_iq3_s_scalar(const void *blocks, float *dst, size_t n_blocks)
{
    const gk_block_iq3_s *b = blocks;
    for (size_t i = 0; i < n_blocks; ++i, ++b) {
        const float d = f16_scale(b->d);
        for (int g = 0; g < 8; ++g, dst += 32) {
            const uint32_t s = (b->scales[g / 2] >> (4 * (g % 2))) & 15u;
            const float scale = d * (float)(1u + 2u * s);
            const uint8_t *q = b->qs + 8 * g;
            for (int l = 0; l < 4; ++l) {
                const uint32_t lo = q[2 * l] | (((b->qh[g] >> (2 * l)) & 1u) << 8);
                const uint32_t hi = q[2 * l + 1] | (((b->qh[g] >> (2 * l + 1)) & 1u) << 8);
                put8_signed(dst + 8 * l, scale, iq3_pair(gk_iq3s_grid[lo], gk_iq3s_grid[hi]),
                            b->signs[4 * g + l]);
            }
        }
    }
}

void gk_dequant_iq1_s_scalar(const void *blocks, float *dst, size_t n_blocks)
{
    const gk_block_iq1_s *b = blocks;
    for (size_t i = 0; i < n_blocks; ++i, ++b) {
        const float d = f16_scale(b->d);
        for (int g = 0; g < 8; ++g, dst += 32) {
            const uint32_t h = gk_iq_u16(b->qh + 2 * g);
            const float scale = d * (float)(2u * ((h >> 12) & 7u) + 1u);
            const float delta = h & 0x8000u ? -gk_iq1_delta : gk_iq1_delta;
            for (int l = 0; l < 4; ++l) {
                const uint32_t index = b->qs[4 * g + l] | (((h >> (3 * l)) & 7u) << 8);
                put8_iq1(dst + 8 * l, scale, gk_iq1s_grid[index], delta);
            }
        }
    }
}

void gk_dequant_iq1_m_scalar(const void *blocks, float *dst, size_t n_blocks)
{
    const gk_block_iq1_m *b = blocks;
    for (size_t i = 0; i < n_blocks; ++i, ++b) {
        const float d = gk_f32_from_f16_bits(gk_iq1_m_scale_bits(b));
        for (int g = 0; g < 8; ++g, dst += 32) {
            const uint32_t w = gk_iq_u16(b->scales + 2 * (g / 2)) >> (6 * (g % 2));
            const float scale[2] = {d * (float)(2u * (w & 7u) + 1u),
                                    d * (float)(2u * ((w >> 3) & 7u) + 1u)};
            for (int l = 0; l < 4; ++l) {
                /* qh byte per 16 weights: low nibble for the first 8, high for the second */
                const uint32_t h = (uint32_t)(b->qh[2 * g + l / 2] >> (4 * (l % 2))) & 15u;
                const uint32_t index = b->qs[4 * g + l] | ((h & 7u) << 8);
                const float delta = h & 8u ? -gk_iq1_delta : gk_iq1_delta;
                put8_iq1(dst + 8 * l, scale[l / 2], gk_iq1s_grid[index], delta);
            }
        }
    }
}

/* 32 weights from 16 bytes of 4-bit indices: low nibbles first, then high nibbles. */
static inline void put32_iq4(float *y, float scale, const uint8_t *q)
{
    for (int j = 0; j < 16; ++j) {
        y[j] = scale * (float)gk_iq4nl_values[q[j] & 15u];
        y[j + 16] = scale * (float)gk_iq4nl_values[q[j] >> 4];
    }
}

void gk_dequant_iq4_nl_scalar(const void *blocks, float *dst, size_t n_blocks)
{
    const gk_block_iq4_nl *b = blocks;
    for (size_t i = 0; i < n_blocks; ++i, ++b, dst += 32) put32_iq4(dst, f16_scale(b->d), b->qs);
}

void gk_dequant_iq4_xs_scalar(const void *blocks, float *dst, size_t n_blocks)
{
    const gk_block_iq4_xs *b = blocks;
    for (size_t i = 0; i < n_blocks; ++i, ++b) {
        const float d = f16_scale(b->d);
        const uint32_t high = gk_iq_u16(b->scales_h);
        for (int g = 0; g < 8; ++g, dst += 32) {
            const int ls = (int)(((b->scales_l[g / 2] >> (4 * (g % 2))) & 15u) |
                                 (((high >> (2 * g)) & 3u) << 4));
            put32_iq4(dst, d * (float)(ls - 32), b->qs + 16 * g);
        }
    }
}
