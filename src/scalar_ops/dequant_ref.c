/* SPDX-License-Identifier: MIT */
/* Scalar references of block dequantization (contracts in dequant_ref.h; the layouts are GGUF's,
 * described in docs/formats.md). */
#include "scalar_ops/dequant_ref.h"

#include <stdint.h>

#include "core/half.h"

static float gk_ref_f16_at(const uint8_t *p)
{
    return gk_f32_from_f16_bits((uint16_t)(p[0] | p[1] << 8));
}

void gk_ref_dequant_q8_0(const void *blocks, float *y, size_t n)
{
    const uint8_t *block = blocks;
    for (size_t i = 0; i < n; i += 32, block += 34) {
        const float d = gk_ref_f16_at(block);
        for (size_t j = 0; j < 32; j++)
            y[i + j] = (float)(int8_t)block[2 + j] * d;
    }
}

void gk_ref_dequant_q4_k(const void *blocks, float *y, size_t n)
{
    const uint8_t *block = blocks;
    for (size_t i = 0; i < n; i += 256, block += 144) {
        const float d = gk_ref_f16_at(block);
        const float dmin = gk_ref_f16_at(block + 2);
        const uint8_t *scales = block + 4;
        const uint8_t *qs = block + 16;
        /* Sub-block s (32 values) of the 8: its 6-bit scale and min. Sub-blocks 2k and 2k + 1
         * share the 32 bytes qs[32 k ..]: low nibbles, then high nibbles. */
        for (size_t s = 0; s < 8; s++) {
            unsigned sc, m;
            if (s < 4) {
                sc = scales[s] & 63u;
                m = scales[s + 4] & 63u;
            } else {
                sc = (scales[s + 4] & 0xFu) | (unsigned)(scales[s - 4] >> 6) << 4;
                m = (unsigned)(scales[s + 4] >> 4) | (unsigned)(scales[s] >> 6) << 4;
            }
            const float d_sub = d * (float)sc;
            const float m_sub = dmin * (float)m;
            const uint8_t *q = qs + 32 * (s / 2);
            const unsigned shift = 4u * (unsigned)(s % 2);
            for (size_t l = 0; l < 32; l++)
                y[i + 32 * s + l] = d_sub * (float)((q[l] >> shift) & 0xFu) - m_sub;
        }
    }
}
