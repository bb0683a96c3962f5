/* SPDX-License-Identifier: MIT */
/* The IQ formats (src/quant/iq.h). Every tier's decoders against independently computed values
 * of hand-built blocks, and bit for bit against the scalar decoders on random blocks (all scale
 * patterns, every code value) and on quantized blocks, with unaligned buffers and guard bytes.
 * In the scalar run: the generated tables against the rules that define them, and the IQ4_NL /
 * IQ4_XS encoders (RMSE against ggml's reference quantizer, zeros, tiny and huge inputs, exact
 * round trips, importance weights). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/gk_test.h"
#include "core/half.h"
#include "quant/iq.h"

typedef void (*dequant_fn)(const void *blocks, float *dst, size_t n_blocks);
typedef void (*quant_fn)(const float *src, void *blocks, size_t n_blocks, const float *importance);

typedef struct iq_format {
    const char *name;
    size_t block_bytes, block_elems;
    dequant_fn scalar;
    /* writes one block of random logical fields and the exact values it decodes to */
    void (*build)(gk_rng *rng, uint8_t *block, double *expected);
    /* byte offset of the f16 super-scale, or -1 for IQ1_M (scattered over its scale words) */
    int scale_offset;
} iq_format;

/* ---- the harness's random data ---------------------------------------------------------- */

static uint32_t rand_below(gk_rng *rng, uint32_t n)
{
    return (uint32_t)(gk_rng_u64(rng) % n);
}

/* A normal f16 of either sign between 2^-10 and 2^6: hand-built blocks decode exactly (every
 * product of the formats then needs at most 24 significant bits and stays normal). */
static uint16_t modest_f16(gk_rng *rng)
{
    return (uint16_t)((rand_below(rng, 2) << 15) | ((5 + rand_below(rng, 16)) << 10) |
                      rand_below(rng, 1024));
}

/* f16 scale patterns over the whole range: normals and subnormals of both signs, zeros, the
 * extremes; with `nonfinite` also infinities and NaNs. */
static uint16_t any_f16(gk_rng *rng, bool nonfinite)
{
    const uint16_t sign = (uint16_t)(rand_below(rng, 2) << 15);
    switch (rand_below(rng, 6)) {
    case 0: return (uint16_t)(sign | rand_below(rng, 0x400));            /* subnormal or zero */
    case 1: return sign;                                                 /* +-0 */
    case 2: return (uint16_t)(sign | (0x400 + rand_below(rng, 0x7800))); /* normal */
    case 3: return (uint16_t)(sign | (rand_below(rng, 2) ? 0x7BFF : 0x0001));
    case 4:
        if (nonfinite) return (uint16_t)(sign | 0x7C00 | rand_below(rng, 0x400)); /* Inf, NaN */
        return (uint16_t)(sign | 0x3C00);
    default: return (uint16_t)(sign | (0x2000 + rand_below(rng, 0x3000)));
    }
}

/* ---- writing and reading fields plainly: bit k of the block is bit k % 8 of byte k / 8 ---- */

static void put_bits(uint8_t *block, unsigned bit, unsigned n_bits, uint32_t value)
{
    for (unsigned k = 0; k < n_bits; ++k) {
        const unsigned at = bit + k;
        if ((value >> k) & 1u)
            block[at / 8] |= (uint8_t)(1u << (at % 8));
        else
            block[at / 8] &= (uint8_t) ~(1u << (at % 8));
    }
}

static void put_f16(uint8_t *block, unsigned byte, uint16_t bits)
{
    put_bits(block, 8 * byte, 16, bits);
}

static double f16_value(uint16_t bits)
{
    return (double)gk_f32_from_f16_bits(bits);
}

/* element j of grid entry `entry` (byte j), unsigned or signed */
static double grid_u8(uint64_t entry, int j)
{
    return (double)((entry >> (8 * j)) & 0xFF);
}

static double grid_i8(uint64_t entry, int j)
{
    const int v = (int)((entry >> (8 * j)) & 0xFF);
    return (double)(v >= 128 ? v - 256 : v);
}

/* Sign of element j under a 7-bit code: bits 0..6 are the first seven signs, the eighth makes
 * the count of negative signs even. */
static bool code_negative(uint32_t code, int j)
{
    if (j < 7) return (code >> j) & 1u;
    return __builtin_popcount(code) & 1;
}

static double signed_value(double v, bool negative)
{
    return negative ? -v : v;
}

/* ---- hand-built blocks, one builder per format ----------------------------------------- */

static void build_iq2_xxs(gk_rng *rng, uint8_t *block, double *expected)
{
    const uint16_t d = modest_f16(rng);
    put_f16(block, 0, d);
    for (int g = 0; g < 8; ++g) {
        const uint32_t s = rand_below(rng, 16);
        put_bits(block, 8 * (2 + 8 * g + 4) + 28, 4, s);
        for (int l = 0; l < 4; ++l) {
            const uint32_t index = rand_below(rng, 256), code = rand_below(rng, 128);
            put_bits(block, 8 * (2 + 8 * g + l), 8, index);
            put_bits(block, 8 * (2 + 8 * g + 4) + 7 * (unsigned)l, 7, code);
            for (int j = 0; j < 8; ++j)
                expected[32 * g + 8 * l + j] = signed_value(f16_value(d) * (0.5 + s) * 0.25 *
                                                                grid_u8(gk_iq2xxs_grid[index], j),
                                                            code_negative(code, j));
        }
    }
}

static void build_iq2_xs(gk_rng *rng, uint8_t *block, double *expected)
{
    const uint16_t d = modest_f16(rng);
    put_f16(block, 0, d);
    for (int g = 0; g < 8; ++g) {
        const uint32_t s[2] = {rand_below(rng, 16), rand_below(rng, 16)};
        put_bits(block, 8 * (66 + g), 4, s[0]);
        put_bits(block, 8 * (66 + g) + 4, 4, s[1]);
        for (int l = 0; l < 4; ++l) {
            const uint32_t index = rand_below(rng, 512), code = rand_below(rng, 128);
            put_bits(block, 8 * (2 + 2 * (4 * g + l)), 9, index);
            put_bits(block, 8 * (2 + 2 * (4 * g + l)) + 9, 7, code);
            for (int j = 0; j < 8; ++j)
                expected[32 * g + 8 * l + j] = signed_value(f16_value(d) * (0.5 + s[l / 2]) * 0.25 *
                                                                grid_u8(gk_iq2xs_grid[index], j),
                                                            code_negative(code, j));
        }
    }
}

static void build_iq2_s(gk_rng *rng, uint8_t *block, double *expected)
{
    const uint16_t d = modest_f16(rng);
    put_f16(block, 0, d);
    for (int g = 0; g < 8; ++g) {
        const uint32_t s[2] = {rand_below(rng, 16), rand_below(rng, 16)};
        put_bits(block, 8 * (74 + g), 4, s[0]);
        put_bits(block, 8 * (74 + g) + 4, 4, s[1]);
        for (int l = 0; l < 4; ++l) {
            const uint32_t index = rand_below(rng, 1024), signs = rand_below(rng, 256);
            put_bits(block, 8 * (2 + 4 * g + l), 8, index & 255u);
            put_bits(block, 8 * (66 + g) + 2 * (unsigned)l, 2, index >> 8);
            put_bits(block, 8 * (2 + 32 + 4 * g + l), 8, signs);
            for (int j = 0; j < 8; ++j)
                expected[32 * g + 8 * l + j] = signed_value(f16_value(d) * (0.5 + s[l / 2]) * 0.25 *
                                                                grid_u8(gk_iq2s_grid[index], j),
                                                            (signs >> j) & 1u);
        }
    }
}

static void build_iq3_xxs(gk_rng *rng, uint8_t *block, double *expected)
{
    const uint16_t d = modest_f16(rng);
    put_f16(block, 0, d);
    for (int g = 0; g < 8; ++g) {
        const uint32_t s = rand_below(rng, 16);
        put_bits(block, 8 * (2 + 64 + 4 * g) + 28, 4, s);
        uint32_t index[8];
        for (int k = 0; k < 8; ++k) {
            index[k] = rand_below(rng, 256);
            put_bits(block, 8 * (2 + 8 * g + k), 8, index[k]);
        }
        for (int l = 0; l < 4; ++l) {
            const uint32_t code = rand_below(rng, 128);
            put_bits(block, 8 * (2 + 64 + 4 * g) + 7 * (unsigned)l, 7, code);
            for (int j = 0; j < 8; ++j)
                expected[32 * g + 8 * l + j] =
                    signed_value(f16_value(d) * (0.5 + s) * 0.5 *
                                     grid_u8(gk_iq3xxs_grid[index[2 * l + j / 4]], j % 4),
                                 code_negative(code, j));
        }
    }
}

static void build_iq3_s(gk_rng *rng, uint8_t *block, double *expected)
{
    const uint16_t d = modest_f16(rng);
    put_f16(block, 0, d);
    for (int g = 0; g < 8; ++g) {
        const uint32_t s = rand_below(rng, 16);
        put_bits(block, 8 * (106 + g / 2) + 4 * (unsigned)(g % 2), 4, s);
        uint32_t index[8];
        for (int k = 0; k < 8; ++k) {
            index[k] = rand_below(rng, 512);
            put_bits(block, 8 * (2 + 8 * g + k), 8, index[k] & 255u);
            put_bits(block, 8 * (66 + g) + (unsigned)k, 1, index[k] >> 8);
        }
        for (int l = 0; l < 4; ++l) {
            const uint32_t signs = rand_below(rng, 256);
            put_bits(block, 8 * (74 + 4 * g + l), 8, signs);
            for (int j = 0; j < 8; ++j)
                expected[32 * g + 8 * l + j] = signed_value(
                    f16_value(d) * (1 + 2 * s) * grid_u8(gk_iq3s_grid[index[2 * l + j / 4]], j % 4),
                    (signs >> j) & 1u);
        }
    }
}

static void build_iq1_s(gk_rng *rng, uint8_t *block, double *expected)
{
    const uint16_t d = modest_f16(rng);
    put_f16(block, 0, d);
    for (int g = 0; g < 8; ++g) {
        const uint32_t s = rand_below(rng, 8), minus = rand_below(rng, 2);
        const unsigned word = 8 * (34 + 2 * (unsigned)g);
        put_bits(block, word + 12, 3, s);
        put_bits(block, word + 15, 1, minus);
        for (int l = 0; l < 4; ++l) {
            const uint32_t index = rand_below(rng, 2048);
            put_bits(block, 8 * (2 + 4 * g + l), 8, index & 255u);
            put_bits(block, word + 3 * (unsigned)l, 3, index >> 8);
            for (int j = 0; j < 8; ++j)
                expected[32 * g + 8 * l + j] =
                    f16_value(d) * (2 * s + 1) *
                    (grid_i8(gk_iq1s_grid[index], j) + (minus ? -0.125 : 0.125));
        }
    }
}

static void build_iq1_m(gk_rng *rng, uint8_t *block, double *expected)
{
    const uint16_t d = modest_f16(rng);
    for (int k = 0; k < 4; ++k)
        put_bits(block, 8 * (48 + 2 * (unsigned)k) + 12, 4, d >> (4 * k));
    for (int g = 0; g < 8; ++g) {
        for (int half = 0; half < 2; ++half) {
            const uint32_t s = rand_below(rng, 8);
            put_bits(block,
                     8 * (48 + 2 * (unsigned)(g / 2)) + 6 * (unsigned)(g % 2) + 3 * (unsigned)half,
                     3, s);
            for (int m = 0; m < 2; ++m) {
                const int l = 2 * half + m;
                const uint32_t index = rand_below(rng, 2048), minus = rand_below(rng, 2);
                put_bits(block, 8 * (unsigned)(4 * g + l), 8, index & 255u);
                put_bits(block, 8 * (32 + 2 * (unsigned)g + (unsigned)half) + 4 * (unsigned)m, 3,
                         index >> 8);
                put_bits(block, 8 * (32 + 2 * (unsigned)g + (unsigned)half) + 4 * (unsigned)m + 3,
                         1, minus);
                for (int j = 0; j < 8; ++j)
                    expected[32 * g + 8 * l + j] =
                        f16_value(d) * (2 * s + 1) *
                        (grid_i8(gk_iq1s_grid[index], j) + (minus ? -0.125 : 0.125));
            }
        }
    }
}

/* 32 weights of 4-bit indices at `byte`: weight j < 16 in the low nibble of byte j, weight
 * j >= 16 in the high nibble of byte j - 16. */
static void
build_iq4_group(gk_rng *rng, uint8_t *block, unsigned byte, double scale, double *expected)
{
    for (int j = 0; j < 32; ++j) {
        const uint32_t index = rand_below(rng, 16);
        put_bits(block, 8 * (byte + (unsigned)(j % 16)) + 4 * (unsigned)(j / 16), 4, index);
        expected[j] = scale * gk_iq4nl_values[index];
    }
}

static void build_iq4_nl(gk_rng *rng, uint8_t *block, double *expected)
{
    const uint16_t d = modest_f16(rng);
    put_f16(block, 0, d);
    build_iq4_group(rng, block, 2, f16_value(d), expected);
}

static void build_iq4_xs(gk_rng *rng, uint8_t *block, double *expected)
{
    const uint16_t d = modest_f16(rng);
    put_f16(block, 0, d);
    for (int g = 0; g < 8; ++g) {
        const uint32_t ls = rand_below(rng, 64);
        put_bits(block, 8 * (4 + (unsigned)g / 2) + 4 * (unsigned)(g % 2), 4, ls & 15u);
        put_bits(block, 16 + 2 * (unsigned)g, 2, ls >> 4);
        build_iq4_group(rng, block, 8 + 16 * (unsigned)g, f16_value(d) * ((double)ls - 32),
                        expected + 32 * g);
    }
}

static const iq_format FORMATS[] = {
    {"IQ1_S", 50, 256, gk_dequant_iq1_s_scalar, build_iq1_s, 0},
    {"IQ1_M", 56, 256, gk_dequant_iq1_m_scalar, build_iq1_m, -1},
    {"IQ2_XXS", 66, 256, gk_dequant_iq2_xxs_scalar, build_iq2_xxs, 0},
    {"IQ2_XS", 74, 256, gk_dequant_iq2_xs_scalar, build_iq2_xs, 0},
    {"IQ2_S", 82, 256, gk_dequant_iq2_s_scalar, build_iq2_s, 0},
    {"IQ3_XXS", 98, 256, gk_dequant_iq3_xxs_scalar, build_iq3_xxs, 0},
    {"IQ3_S", 110, 256, gk_dequant_iq3_s_scalar, build_iq3_s, 0},
    {"IQ4_NL", 18, 32, gk_dequant_iq4_nl_scalar, build_iq4_nl, 0},
    {"IQ4_XS", 136, 256, gk_dequant_iq4_xs_scalar, build_iq4_xs, 0},
};

enum { N_FORMATS = sizeof FORMATS / sizeof FORMATS[0] };

/* The decoders of the tier under test, in FORMATS order (NULL: the tier has none here). */
static void tier_decoders(const char *tier, dequant_fn out[N_FORMATS])
{
#define GK_IQ_ROW(t)                                                                               \
    {                                                                                              \
        gk_dequant_iq1_s_##t, gk_dequant_iq1_m_##t, gk_dequant_iq2_xxs_##t, gk_dequant_iq2_xs_##t, \
            gk_dequant_iq2_s_##t, gk_dequant_iq3_xxs_##t, gk_dequant_iq3_s_##t,                    \
            gk_dequant_iq4_nl_##t, gk_dequant_iq4_xs_##t                                           \
    }
    static const dequant_fn scalar[N_FORMATS] = GK_IQ_ROW(scalar);
#if defined(__x86_64__)
    static const dequant_fn avx2[N_FORMATS] = GK_IQ_ROW(avx2);
    static const dequant_fn avx512[N_FORMATS] = GK_IQ_ROW(avx512);
#endif
#if defined(__aarch64__)
    static const dequant_fn neon[N_FORMATS] = GK_IQ_ROW(neon);
#endif
#undef GK_IQ_ROW
    const dequant_fn *row = NULL;
    if (strcmp(tier, "scalar") == 0) row = scalar;
#if defined(__x86_64__)
    if (strcmp(tier, "avx2") == 0) row = avx2;
    if (strcmp(tier, "avx512") == 0) row = avx512;
#endif
#if defined(__aarch64__)
    if (strcmp(tier, "neon") == 0) row = neon;
#endif
    for (int f = 0; f < N_FORMATS; ++f)
        out[f] = row ? row[f] : NULL;
}

/* ---- the generated tables against the rules that define them ----------------------------- */

static void check_tables(void)
{
    for (uint32_t code = 0; code < 128; ++code) {
        uint32_t want = 0;
        for (int j = 0; j < 8; ++j)
            want |= (uint32_t)code_negative(code, j) << j;
        GK_EXPECT(gk_iq_ksigns[code] == want, "ksigns[%u] = 0x%02x, want 0x%02x", code,
                  gk_iq_ksigns[code], want);
    }
    for (int i = 1; i < 16; ++i)
        GK_EXPECT(gk_iq4nl_values[i - 1] < gk_iq4nl_values[i], "IQ4 values not increasing at %d",
                  i);
    GK_EXPECT(gk_iq4nl_values[0] == -127 && gk_iq4nl_values[15] == 113, "IQ4 value range");
    GK_EXPECT(gk_iq1_delta == 0.125f, "IQ1 delta %g", (double)gk_iq1_delta);

    /* grid elements: iq2 in {8, 25, 43}; iq1s in {-1, 0, 1}; entries distinct */
    const struct {
        const uint64_t *grid;
        int n;
    } iq2[] = {{gk_iq2xxs_grid, 256}, {gk_iq2xs_grid, 512}, {gk_iq2s_grid, 1024}};

    for (size_t t = 0; t < 3; ++t)
        for (int i = 0; i < iq2[t].n; ++i) {
            for (int j = 0; j < 8; ++j) {
                const double v = grid_u8(iq2[t].grid[i], j);
                GK_EXPECT(v == 8 || v == 25 || v == 43, "iq2 grid %zu entry %d: %g", t, i, v);
            }
            if (i > 0) GK_EXPECT(iq2[t].grid[i] != iq2[t].grid[i - 1], "iq2 grid %zu repeats", t);
        }
    for (int i = 0; i < 2048; ++i)
        for (int j = 0; j < 8; ++j) {
            const double v = grid_i8(gk_iq1s_grid[i], j);
            GK_EXPECT(v == -1 || v == 0 || v == 1, "iq1s grid entry %d: %g", i, v);
        }
    for (int i = 0; i < 256; ++i)
        for (int j = 0; j < 4; ++j)
            GK_EXPECT(((gk_iq3xxs_grid[i] >> (8 * j)) & 0xFF) % 8 == 4 ||
                          ((gk_iq3xxs_grid[i] >> (8 * j)) & 0xFF) == 62,
                      "iq3xxs grid entry %d", i);
    for (int i = 0; i < 512; ++i)
        for (int j = 0; j < 4; ++j)
            GK_EXPECT(((gk_iq3s_grid[i] >> (8 * j)) & 0xFF) % 2 == 1 &&
                          ((gk_iq3s_grid[i] >> (8 * j)) & 0xFF) <= 15,
                      "iq3s grid entry %d", i);
}

/* ---- decoders ---------------------------------------------------------------------------- */

/* Hand-built blocks decode to the exactly computed values. */
static void check_hand_built(const iq_format *fmt, dequant_fn decode, const char *tier)
{
    enum { N_BLOCKS = 24 };

    gk_rng rng = gk_rng_seeded(0x1b10c + fmt->block_bytes);
    uint8_t *blocks = calloc(N_BLOCKS, fmt->block_bytes);
    double *expected = malloc(N_BLOCKS * fmt->block_elems * sizeof *expected);
    float *want = malloc(N_BLOCKS * fmt->block_elems * sizeof *want);
    float *got = malloc(N_BLOCKS * fmt->block_elems * sizeof *got);
    for (size_t b = 0; b < N_BLOCKS; ++b)
        fmt->build(&rng, blocks + b * fmt->block_bytes, expected + b * fmt->block_elems);
    for (size_t i = 0; i < N_BLOCKS * fmt->block_elems; ++i)
        want[i] = (float)expected[i];
    decode(blocks, got, N_BLOCKS);
    char what[64];
    snprintf(what, sizeof what, "%s %s hand-built blocks", fmt->name, tier);
    GK_EXPECT(gk_test_same_bits(what, got, want, N_BLOCKS * fmt->block_elems, sizeof(float)), "%s",
              what);
    free(blocks);
    free(expected);
    free(want);
    free(got);
}

static void set_scale(const iq_format *fmt, uint8_t *block, uint16_t bits)
{
    if (fmt->scale_offset >= 0) {
        put_f16(block, (unsigned)fmt->scale_offset, bits);
        return;
    }
    for (int k = 0; k < 4; ++k)
        put_bits(block, 8 * (48 + 2 * (unsigned)k) + 12, 4, bits >> (4 * k));
}

/* The tier's decoder bit-identical to the scalar one: n blocks at three misalignments of the
 * source and the destination, guard bytes around the destination. */
static void check_against_scalar(const iq_format *fmt,
                                 dequant_fn decode,
                                 const char *tier,
                                 const uint8_t *blocks,
                                 size_t n,
                                 const char *kind)
{
    static const size_t src_misalign[3] = {0, 1, 7}, dst_misalign[3] = {0, 4, 36};
    const size_t n_elems = n * fmt->block_elems;
    float *want = malloc(n_elems * sizeof *want);
    fmt->scalar(blocks, want, n);
    for (int m = 0; m < 3; ++m) {
        uint8_t *src = gk_guarded_alloc(n * fmt->block_bytes, src_misalign[m], 0);
        memcpy(src, blocks, n * fmt->block_bytes);
        float *dst = gk_guarded_alloc(n_elems * sizeof(float), dst_misalign[m], 0xA5);
        decode(src, dst, n);
        char what[96];
        snprintf(what, sizeof what, "%s %s vs scalar, %zu %s blocks, misalignment %zu/%zu",
                 fmt->name, tier, n, kind, src_misalign[m], dst_misalign[m]);
        GK_EXPECT(gk_test_same_bits(what, dst, want, n_elems, sizeof(float)), "%s", what);
        GK_EXPECT(gk_guarded_check(what, dst), "%s: guard bytes", what);
        GK_EXPECT(gk_guarded_check(what, src), "%s: source guard bytes", what);
        gk_guarded_free(src);
        gk_guarded_free(dst);
    }
    free(want);
}

static void check_random_blocks(const iq_format *fmt, dequant_fn decode, const char *tier)
{
    static const size_t counts[4] = {1, 2, 7, 64};
    gk_rng rng = gk_rng_seeded(0x5eed + fmt->block_bytes);
    const size_t rounds = gk_test_sweep(20);
    for (size_t r = 0; r < rounds; ++r) {
        for (int c = 0; c < 4; ++c) {
            const size_t n = counts[c];
            uint8_t *blocks = malloc(n * fmt->block_bytes);
            for (size_t i = 0; i < n * fmt->block_bytes; ++i)
                blocks[i] = (uint8_t)gk_rng_u32(&rng);
            if (r == 0 && c == 0) memset(blocks, 0xFF, fmt->block_bytes); /* every field at max */
            if (r == 1 && c == 0) memset(blocks, 0x00, fmt->block_bytes);
            for (size_t b = 0; b < n; ++b)
                set_scale(fmt, blocks + b * fmt->block_bytes, any_f16(&rng, r % 2 == 1));
            check_against_scalar(fmt, decode, tier, blocks, n, "random");
            free(blocks);
        }
    }
}

/* Blocks made by the encoders decode identically on the tier too. */
static void check_quantized_blocks(const dequant_fn decoders[N_FORMATS], const char *tier)
{
    enum { N = 64 * 256 };

    static const struct {
        int format;
        quant_fn quant;
    } encoders[] = {{7, gk_quant_iq4_nl_scalar},  {8, gk_quant_iq4_xs_scalar},
                    {5, gk_quant_iq3_xxs_scalar}, {6, gk_quant_iq3_s_scalar},
                    {2, gk_quant_iq2_xxs_scalar}, {3, gk_quant_iq2_xs_scalar},
                    {4, gk_quant_iq2_s_scalar}};

    float *x = malloc(N * sizeof *x);
    gk_rng rng = gk_rng_seeded(0xb10c5);
    for (size_t i = 0; i < N; ++i)
        x[i] = gk_rng_uniform(&rng, -3.0f, 3.0f);
    uint8_t *q = malloc(N);
    for (size_t e = 0; e < sizeof encoders / sizeof encoders[0]; ++e) {
        const iq_format *fmt = &FORMATS[encoders[e].format];
        encoders[e].quant(x, q, N / fmt->block_elems, NULL);
        check_against_scalar(fmt, decoders[encoders[e].format], tier, q, N / fmt->block_elems,
                             "quantized");
    }
    free(x);
    free(q);
}

/* ---- encoders (scalar run) ---------------------------------------------------------------- */

/* The data of the RMSE figures. The same generator, with the same seeds, produced ggml's
 * figures below (a throwaway program linking this harness and ggml's ggml-quants.c). */
static double unit_open(gk_rng *rng)
{
    return ((double)(gk_rng_u64(rng) >> 11) + 1.0) * 0x1p-53;
}

static double std_normal(gk_rng *rng)
{
    const double r = sqrt(-2.0 * log(unit_open(rng)));
    return r * cos(6.283185307179586 * unit_open(rng));
}

static void fill_normal(float *x, size_t n, uint64_t seed)
{
    gk_rng rng = gk_rng_seeded(seed);
    for (size_t i = 0; i < n; ++i)
        x[i] = (float)std_normal(&rng);
}

static void fill_student_t3(float *x, size_t n, uint64_t seed)
{
    gk_rng rng = gk_rng_seeded(seed);
    for (size_t i = 0; i < n; ++i) {
        const double z = std_normal(&rng), a = std_normal(&rng), b = std_normal(&rng),
                     c = std_normal(&rng);
        x[i] = (float)(z / sqrt((a * a + b * b + c * c) / 3.0));
    }
}

static double sq_diff(float a, float b)
{
    const double d = (double)a - (double)b;
    return d * d;
}

/* The encoders. ggml's figures: its reference quantizer on the same data (same generator and
 * seeds, rows of 4096), ggml commit d99724f built with gcc -O2 on x86-64, measured 2026-11-24
 * by a throwaway program linking this harness and ggml's ggml-quants.c. No importance for
 * quantize_iq4_nl, quantize_iq4_xs, quantize_iq3_xxs and quantize_iq3_s (the path
 * llama-quantize takes without an imatrix; for IQ4_NL it is better than
 * quantize_row_iq4_nl_ref, which scored 0.0785620 / 0.1768789 on the 2^20 sets); importance 1
 * everywhere for quantize_iq2_xxs, which requires an importance vector. */
typedef struct iq_encoder {
    int format; /* index into FORMATS */
    quant_fn quant;
    double ggml_rmse[2][2]; /* [N(0,1), Student t3][2^20 values, 2^17 values] */
    /* when the scale saturates at 65504, the largest input decodes at least this large */
    float saturated;
    /* ggml's encoder requires an importance vector: both figures use importance 1 */
    bool unit_importance;
    /* bound on the relative RMSE of uniformly distributed values (format resolution) */
    double max_relative_rmse;
    /* lattice formats: bit position of group 0's 4-bit sub-scale in the block and the step to
     * the next group's (exact_values forces them); 0 for the IQ4 formats */
    unsigned sub_bit, sub_bit_step, n_subs;
    bool parity_signs; /* 7-bit sign codes (the 8th sign is implied) */
} iq_encoder;

static const iq_encoder ENCODERS[] = {
    {.format = 7,
     .quant = gk_quant_iq4_nl_scalar,
     .ggml_rmse = {{0.0760453, 0.0761306}, {0.1758812, 0.1749446}},
     .saturated = 65504.0f * 113.0f,
     .max_relative_rmse = 0.15},
    {.format = 8,
     .quant = gk_quant_iq4_xs_scalar,
     .ggml_rmse = {{0.0766306, 0.0766593}, {0.1783338, 0.1770747}},
     .saturated = 65504.0f * 32.0f * 113.0f,
     .max_relative_rmse = 0.15},
    {.format = 5,
     .quant = gk_quant_iq3_xxs_scalar,
     .ggml_rmse = {{0.2126412, 0.2125884}, {0.5089967, 0.4827698}},
     .saturated = 65504.0f * 31.0f * 5.0f,
     .max_relative_rmse = 0.3,
     .sub_bit = 8 * (2 + 64) + 28,
     .sub_bit_step = 32,
     .n_subs = 8,
     .parity_signs = true},
    {.format = 6,
     .quant = gk_quant_iq3_s_scalar,
     .ggml_rmse = {{0.1657729, 0.1656012}, {0.3939842, 0.3720426}},
     .saturated = 65504.0f * 31.0f * 3.0f,
     .max_relative_rmse = 0.3,
     .sub_bit = 8 * 106,
     .sub_bit_step = 4,
     .n_subs = 8},
    {.format = 2,
     .quant = gk_quant_iq2_xxs_scalar,
     .ggml_rmse = {{0.3435533, 0.3446254}, {0.9157612, 0.8403636}},
     .saturated = 65504.0f * 31.0f * 3.0f,
     .unit_importance = true,
     .max_relative_rmse = 0.5,
     .sub_bit = 8 * (2 + 4) + 28,
     .sub_bit_step = 64,
     .n_subs = 8,
     .parity_signs = true},
    {.format = 3,
     .quant = gk_quant_iq2_xs_scalar,
     .ggml_rmse = {{0.2997435, 0.3003979}, {0.7257877, 0.6777661}},
     .saturated = 65504.0f * 31.0f * 3.0f,
     .unit_importance = true,
     .max_relative_rmse = 0.5,
     .sub_bit = 8 * 66,
     .sub_bit_step = 4,
     .n_subs = 16,
     .parity_signs = true},
    {.format = 4,
     .quant = gk_quant_iq2_s_scalar,
     .ggml_rmse = {{0.2643324, 0.2642324}, {0.7354610, 0.6854303}},
     .saturated = 65504.0f * 31.0f * 3.0f,
     .max_relative_rmse = 0.5,
     .sub_bit = 8 * 74,
     .sub_bit_step = 4,
     .n_subs = 16},
};

enum { N_ENCODERS = sizeof ENCODERS / sizeof ENCODERS[0] };

/* Quantize then decode n values; returns the decoded values (caller frees). */
static float *round_trip(const iq_encoder *enc, const float *x, size_t n, const float *importance)
{
    const iq_format *fmt = &FORMATS[enc->format];
    uint8_t *q = malloc(n / fmt->block_elems * fmt->block_bytes);
    float *y = malloc(n * sizeof *y);
    enc->quant(x, q, n / fmt->block_elems, importance);
    fmt->scalar(q, y, n / fmt->block_elems);
    free(q);
    return y;
}

static void check_rmse(const iq_encoder *enc)
{
    /* 2^20 values for the IQ4 encoders; the slower lattice encoders, and every encoder in the
     * small sweeps (sanitizers, qemu), use the 2^17 sets */
    const bool small = gk_test_sweep(10) < 10 || enc->sub_bit_step != 0;
    const size_t n = small ? (size_t)1 << 17 : (size_t)1 << 20;

    const struct {
        const char *name;
        void (*fill)(float *, size_t, uint64_t);
        uint64_t seed;
    } sets[2] = {{"N(0,1)", fill_normal, 0x1a4e5}, {"Student t3", fill_student_t3, 0x7a11}};

    float *x = malloc(n * sizeof *x), *ones = NULL;
    if (enc->unit_importance) {
        ones = malloc(n * sizeof *ones);
        for (size_t i = 0; i < n; ++i)
            ones[i] = 1.0f;
    }
    for (int s = 0; s < 2; ++s) {
        sets[s].fill(x, n, sets[s].seed);
        float *y = round_trip(enc, x, n, ones);
        double sum = 0.0;
        for (size_t i = 0; i < n; ++i)
            sum += sq_diff(x[i], y[i]);
        free(y);
        const double rmse = sqrt(sum / (double)n), ggml = enc->ggml_rmse[s][small];
        printf("RMSE %s %s, %zu values%s: %.7f (ggml %.7f)\n", FORMATS[enc->format].name,
               sets[s].name, n, ones ? ", importance 1" : "", rmse, ggml);
        GK_EXPECT(rmse <= 1.01 * ggml, "%s RMSE %.7f on %s > ggml %.7f + 1%%",
                  FORMATS[enc->format].name, rmse, sets[s].name, ggml);
    }
    free(x);
    free(ones);
}

/* Values the format represents exactly, with an unambiguous best encoding: IQ4 groups on the
 * table at scale 1/2 holding both table ends; for the lattice formats, blocks decoded from
 * hand-built blocks whose sub-scales are all 15 (so the re-encoding finds the same super-scale). */
static void exact_values(const iq_encoder *enc, gk_rng *rng, float *x, size_t n)
{
    const iq_format *fmt = &FORMATS[enc->format];
    if (enc->sub_bit_step == 0) {
        for (size_t i = 0; i < n; ++i) {
            const int k = (i % 32 == 0) ? 0 : (i % 32 == 1) ? 15 : (int)rand_below(rng, 16);
            x[i] = 0.5f * (float)gk_iq4nl_values[k];
        }
        return;
    }
    /* Every sub-group must also hold a value of the top level (the block's largest magnitude),
     * else the scale search may settle on another exact-looking scale: blocks are drawn until
     * that holds. */
    const size_t sub_len = GK_IQ_QK / enc->n_subs;
    uint8_t block[GK_IQ_QK];
    double expected[GK_IQ_QK];
    for (size_t b = 0; b < n / GK_IQ_QK; ++b) {
        float *xb = x + b * GK_IQ_QK;
        for (int attempt = 0;; ++attempt) {
            memset(block, 0, sizeof block);
            fmt->build(rng, block, expected);
            for (unsigned h = 0; h < enc->n_subs; ++h)
                put_bits(block, enc->sub_bit + enc->sub_bit_step * h, 4, 15);
            fmt->scalar(block, xb, 1);
            float amax = 0.0f;
            for (size_t i = 0; i < GK_IQ_QK; ++i)
                amax = fmaxf(amax, fabsf(xb[i]));
            size_t subs_with_top = 0;
            for (size_t h = 0; h < enc->n_subs; ++h) {
                bool has_top = false;
                for (size_t i = h * sub_len; i < (h + 1) * sub_len; ++i)
                    has_top = has_top || fabsf(xb[i]) == amax;
                subs_with_top += has_top;
            }
            if (subs_with_top == enc->n_subs) break;
            GK_EXPECT(attempt < 10000, "%s: no block with the top level in every sub-group",
                      fmt->name);
            if (attempt >= 10000) break;
        }
    }
}

static void check_encoder_edges(const iq_encoder *enc)
{
    const char *name = FORMATS[enc->format].name;

    enum { N = 1024 };

    float x[N];
    gk_rng rng = gk_rng_seeded(0xed9e + (uint64_t)enc->format);

    /* zeros: every value decodes to +0 */
    memset(x, 0, sizeof x);
    float *y = round_trip(enc, x, N, NULL);
    for (size_t i = 0; i < N; ++i)
        GK_EXPECT(gk_f32_bits(y[i]) == 0, "%s zeros: y[%zu] = %g", name, i, (double)y[i]);
    free(y);

    /* exactly representable values come back exactly */
    exact_values(enc, &rng, x, N);
    y = round_trip(enc, x, N, NULL);
    GK_EXPECT(gk_test_same_bits("exact round trip", y, x, N, sizeof(float)), "%s exact round trip",
              name);
    free(y);

    /* tiny and huge magnitudes: finite output, no value grows; where the scale is within f16
     * range (the scale of 1e-6 is below the smallest f16, so that block decodes to zeros) the
     * large values keep their sign and the error stays small */
    static const float magnitudes[] = {1e-38f, 1e-30f, 1e-6f, 1e-2f, 1e6f, 1e30f, 3.4e38f};
    for (size_t m = 0; m < sizeof magnitudes / sizeof magnitudes[0]; ++m) {
        const bool in_range = magnitudes[m] >= 1e-2f && magnitudes[m] <= 1e6f;
        float amax = 0.0f;
        for (size_t i = 0; i < N; ++i) {
            x[i] = magnitudes[m] * gk_rng_uniform(&rng, -1.0f, 1.0f);
            amax = fmaxf(amax, fabsf(x[i]));
        }
        x[5] = -magnitudes[m]; /* hit the largest finite magnitude exactly */
        y = round_trip(enc, x, N, NULL);
        double err = 0.0, ref = 0.0;
        size_t n_large = 0, n_sign_errors = 0;
        for (size_t i = 0; i < N; ++i) {
            GK_EXPECT(isfinite(y[i]) && fabsf(y[i]) <= 1.5f * magnitudes[m],
                      "%s magnitude %g: y[%zu] = %g for x = %g", name, (double)magnitudes[m], i,
                      (double)y[i], (double)x[i]);
            if (in_range && fabsf(x[i]) >= 0.5f * amax) {
                ++n_large;
                n_sign_errors += !(y[i] != 0.0f && (y[i] < 0.0f) == (x[i] < 0.0f));
            }
            err += sq_diff(y[i], x[i]);
            ref += sq_diff(x[i], 0.0f);
        }
        /* 7-bit sign codes force an even number of negatives per 8 weights: at most one in 8
         * may take the wrong sign; with sign bits, none */
        GK_EXPECT(n_sign_errors <= (enc->parity_signs ? n_large / 8 : 0),
                  "%s magnitude %g: %zu of %zu large values decode with the wrong sign", name,
                  (double)magnitudes[m], n_sign_errors, n_large);
        if (in_range)
            GK_EXPECT(sqrt(err / ref) < enc->max_relative_rmse, "%s magnitude %g: relative RMSE %g",
                      name, (double)magnitudes[m], sqrt(err / ref));
        free(y);
    }
    /* beyond f16 range the scale saturates at +-65504: the largest value decodes negative and
     * large (enc->saturated: a conservative level of the format at the saturated scale) */
    for (size_t i = 0; i < N; ++i)
        x[i] = 1e30f * gk_rng_uniform(&rng, -1.0f, 1.0f);
    x[0] = -1e30f;
    y = round_trip(enc, x, N, NULL);
    GK_EXPECT(y[0] <= -enc->saturated, "%s saturation: y[0] = %g, want <= %g", name, (double)y[0],
              (double)-enc->saturated);
    free(y);
}

/* With an importance vector the importance-weighted error is smaller than without it. */
static void check_importance(const iq_encoder *enc)
{
    enum { N = 64 * 256 };

    float *x = malloc(N * sizeof *x), *w = malloc(N * sizeof *w);
    fill_normal(x, N, 0x1e5 + (uint64_t)enc->format);
    gk_rng rng = gk_rng_seeded(0x1339);
    for (size_t i = 0; i < N; ++i)
        w[i] = rand_below(&rng, 4) == 0 ? 20.0f : 0.1f;
    float *with = round_trip(enc, x, N, w), *without = round_trip(enc, x, N, NULL);
    double err_with = 0.0, err_without = 0.0;
    for (size_t i = 0; i < N; ++i) {
        err_with += (double)w[i] * sq_diff(with[i], x[i]);
        err_without += (double)w[i] * sq_diff(without[i], x[i]);
    }
    printf("%s importance-weighted error: %.6g with importance, %.6g without\n",
           FORMATS[enc->format].name, err_with, err_without);
    GK_EXPECT(err_with < err_without, "%s: importance does not help (%g vs %g)",
              FORMATS[enc->format].name, err_with, err_without);
    free(x);
    free(w);
    free(with);
    free(without);
}

int main(void)
{
    const char *tier = gk_test_require_isa();
    dequant_fn decoders[N_FORMATS];
    tier_decoders(tier, decoders);
    GK_EXPECT(decoders[0] != NULL, "no IQ decoders for tier %s", tier);
    if (decoders[0] == NULL) return gk_test_finish("test_iq");

    const bool scalar_run = strcmp(tier, "scalar") == 0;
    if (scalar_run) check_tables();
    for (int f = 0; f < N_FORMATS; ++f) {
        check_hand_built(&FORMATS[f], decoders[f], tier);
        if (!scalar_run) check_random_blocks(&FORMATS[f], decoders[f], tier);
    }
    if (!scalar_run) check_quantized_blocks(decoders, tier);
    if (scalar_run) {
        for (int e = 0; e < N_ENCODERS; ++e) {
            check_rmse(&ENCODERS[e]);
            check_encoder_edges(&ENCODERS[e]);
            check_importance(&ENCODERS[e]);
        }
    }
    return gk_test_finish("test_iq");
}
