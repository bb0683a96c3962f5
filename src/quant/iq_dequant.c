/* SPDX-License-Identifier: MIT */
/* Scalar decoders of the IQ formats: the definition every SIMD tier matches bit for bit. The
 * format walking is shared (iq_dequant_body.inc); the helpers here are plain loops doing the
 * per-weight arithmetic of ggml's reference decoders (iq.h). */
#include "quant/iq.h"

#include "core/half.h"

static inline uint32_t grid_byte(uint64_t entry, int j)
{
    return (uint32_t)(entry >> (8 * j)) & 0xFFu;
}

static inline void put8_signed(float *y, float scale, uint64_t grid, uint32_t signs)
{
    for (int j = 0; j < 8; ++j) {
        const float v = scale * (float)grid_byte(grid, j);
        y[j] = (signs >> j) & 1u ? -v : v;
    }
}

static inline void put16_signed(
    float *y, float scale, uint64_t grid_a, uint32_t signs_a, uint64_t grid_b, uint32_t signs_b)
{
    put8_signed(y, scale, grid_a, signs_a);
    put8_signed(y + 8, scale, grid_b, signs_b);
}

static inline void put8_iq1(float *y, float scale, uint64_t grid, float delta)
{
    for (int j = 0; j < 8; ++j)
        y[j] = scale * ((float)(int8_t)grid_byte(grid, j) + delta);
}

static inline void
put16_iq1(float *y, float scale, uint64_t grid_a, float delta_a, uint64_t grid_b, float delta_b)
{
    put8_iq1(y, scale, grid_a, delta_a);
    put8_iq1(y + 8, scale, grid_b, delta_b);
}

static inline void put32_iq4(float *y, float scale, const uint8_t *q)
{
    for (int j = 0; j < 16; ++j) {
        y[j] = scale * (float)gk_iq4nl_values[q[j] & 15u];
        y[j + 16] = scale * (float)gk_iq4nl_values[q[j] >> 4];
    }
}

#define GK_IQ_TIER scalar
#include "quant/iq_dequant_body.inc"
