/* SPDX-License-Identifier: MIT */
/* Quantized formats (include/gllmk/quant.h):
 *  - format facts: names, GGUF ids, block sizes, row bytes;
 *  - every decoder of the tier under test (GK_ISA) bit-identical to the scalar decoder on random
 *    blocks (scales over their whole f16 range: subnormals, zero, negative) and on blocks from
 *    real quantization, every block count through the vector tails, unaligned blocks, guard
 *    bytes, f16/bf16 outputs, 1 vs 2 threads; NaN/Inf scales decode to NaN/Inf;
 *  - the scalar decoders against an independent restatement of each format's definition (the
 *    gguf PyPI package is the second, independent oracle: tests/quant/gguf_oracle.py runs on the
 *    output of `test_quant --dump`);
 *  - quantize -> dequantize RMSE on 1M N(0,1) floats and on a heavy-tailed set against ggml's
 *    reference quantizers (figures below, with their source); Q8_0 / Q8_K exactly as defined;
 *  - the AutoAWQ, AutoGPTQ (act-order) and SqueezeLLM converters on checkpoint-shaped tensors
 *    against a direct dequantization of the original tensors;
 *  - every bad-input path (status, detail, nothing written). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/gk_test.h"
#include "core/half.h"
#include "quant/blocks.h"
#include "quant/quant_data.h"
#include "quant/traits.h"

static const struct gk_qtraits *traits(gk_qtype t)
{
    return gk_qtraits_of(t);
}

static bool has_decoder(gk_qtype t)
{
    return traits(t)->dequant[GK_ISA_SCALAR] != NULL;
}

/* ---- random blocks ------------------------------------------------------------------------ */

/* A finite f16 scale over the whole range: any finite pattern, subnormals, zero, typical
 * magnitudes; negative about half the time. */
static uint16_t random_f16_scale(gk_rng *rng)
{
    const uint32_t r = gk_rng_u32(rng);
    const uint16_t sign = (uint16_t)((r & 1u) << 15);
    switch ((r >> 1) % 8) {
    case 0: return (uint16_t)(sign | ((r >> 8) % 0x3FF + 1)); /* subnormal */
    case 1: return sign;                                      /* +/- 0 */
    case 2: return (uint16_t)(sign | ((r >> 8) % 0x7C00));    /* any finite magnitude */
    case 3: return (uint16_t)(sign | 0x7BFF);                 /* largest finite */
    default:                                                  /* typical scales 2^-10 .. 2^4 */
        return (uint16_t)(sign | ((((r >> 8) % 15) + 5) << 10) | ((r >> 16) & 0x3FF));
    }
}

/* Offsets of the f16 fields of each format's block (facts of the layouts in blocks.h and
 * quant.h); -1 ends the list. */
static const int *f16_fields(gk_qtype t)
{
    static const int d0[] = {0, -1}, d0_2[] = {0, 2, -1}, q2k[] = {80, 82, -1}, q3k[] = {108, -1},
                     q6k[] = {208, -1}, tq1[] = {52, -1}, tq2[] = {64, -1}, awq[] = {0, 4, -1},
                     squeeze[] = {0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30, -1},
                     none[] = {-1};
    switch (t) {
    case GK_QTYPE_Q4_0:
    case GK_QTYPE_Q5_0:
    case GK_QTYPE_Q8_0: return d0;
    case GK_QTYPE_Q4_1:
    case GK_QTYPE_Q5_1:
    case GK_QTYPE_Q8_1:
    case GK_QTYPE_Q4_K:
    case GK_QTYPE_Q5_K: return d0_2;
    case GK_QTYPE_Q2_K: return q2k;
    case GK_QTYPE_Q3_K: return q3k;
    case GK_QTYPE_Q6_K: return q6k;
    case GK_QTYPE_TQ1_0: return tq1;
    case GK_QTYPE_TQ2_0: return tq2;
    case GK_QTYPE_AWQ4:
    case GK_QTYPE_GPTQ4: return awq;
    case GK_QTYPE_SQUEEZE: return squeeze;
    default: return none;
    }
}

/* Formats whose scale fields this test knows (all but the IQ rows, tested in test_iq.c with
 * their own layouts): their random blocks have finite scales and decode bit-exactly. */
static bool known_layout(gk_qtype t)
{
    return f16_fields(t)[0] >= 0 || t == GK_QTYPE_Q8_K;
}

/* Random bytes, then every scale field set to a random finite scale (Q8_K: an f32 scale of any
 * finite pattern). Without known fields (IQ rows) the bytes stay random: NaN scales possible. */
static void random_blocks(gk_qtype t, uint8_t *blocks, size_t n_blocks, gk_rng *rng)
{
    const size_t bytes = traits(t)->block_bytes;
    for (size_t i = 0; i < n_blocks * bytes; i++)
        blocks[i] = (uint8_t)gk_rng_u32(rng);
    for (size_t b = 0; b < n_blocks; b++) {
        uint8_t *block = blocks + b * bytes;
        for (const int *f = f16_fields(t); *f >= 0; f++) {
            const uint16_t h = random_f16_scale(rng);
            memcpy(block + *f, &h, 2);
        }
        if (t == GK_QTYPE_Q8_K) {
            uint32_t bits = gk_rng_u32(rng);
            if (((bits >> 23) & 0xFF) == 0xFF) bits &= ~(1u << 23); /* finite */
            if (b % 3 == 0)
                bits = (bits & 0x80000000u) | (((bits >> 8) % 16 + 118) << 23) |
                       (bits & 0x7FFFFF); /* typical: 2^-9 .. 2^6 */
            memcpy(block, &bits, 4);
        }
    }
}

/* Bits equal, or both NaN (payloads of NaN scales may differ between instruction sets). */
static bool same_or_both_nan(const char *what, const float *got, const float *want, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (isnan(got[i]) && isnan(want[i])) continue;
        if (memcmp(&got[i], &want[i], 4) != 0) {
            gk_test_fail(__FILE__, __LINE__, "%s: [%zu] got %a want %a", what, i, (double)got[i],
                         (double)want[i]);
            return false;
        }
    }
    return true;
}

/* ---- the tier's decoders against the scalar decoder ----------------------------------------- */

/* Decodes `n_blocks` blocks through the public API (active tier, thread pool) into a guarded
 * buffer and compares with the scalar kernel; also the f16 and bf16 outputs. */
static void check_decode(gk_qtype t, const uint8_t *blocks, size_t n_blocks, const char *what)
{
    const struct gk_qtraits *tr = traits(t);
    const size_t n = n_blocks * tr->block_elems;
    float *want = malloc((n ? n : 1) * sizeof *want);
    float *got = gk_guarded_alloc(n * sizeof *got, 0, 0xA5);
    gk_f16 *got_h = gk_guarded_alloc(n * sizeof *got_h, 2, 0xA5);
    gk_bf16 *got_b = gk_guarded_alloc(n * sizeof *got_b, 2, 0xA5);
    tr->dequant[GK_ISA_SCALAR](blocks, want, n_blocks);
    char label[160];
    snprintf(label, sizeof label, "%s %s n_blocks %zu", tr->name, what, n_blocks);
    GK_EXPECT_STATUS(gk_dequantize(t, blocks, got, n), GK_OK);
    GK_EXPECT_STATUS(gk_dequantize_f16(t, blocks, got_h, n), GK_OK);
    GK_EXPECT_STATUS(gk_dequantize_bf16(t, blocks, got_b, n), GK_OK);
    if (known_layout(t)) {
        GK_EXPECT(gk_test_same_bits(label, got, want, n, 4), "%s: f32 differs from scalar", label);
    } else {
        same_or_both_nan(label, got, want, n);
    }
    for (size_t i = 0; i < n; i++) {
        const uint16_t h = gk_f16_bits_from_f32(want[i]), b = gk_bf16_bits_from_f32(want[i]);
        const bool nan = isnan(want[i]);
        if ((nan ? (got_h[i].bits & 0x7FFF) <= 0x7C00 : got_h[i].bits != h) ||
            (nan ? (got_b[i].bits & 0x7FFF) <= 0x7F80 : got_b[i].bits != b)) {
            gk_test_fail(__FILE__, __LINE__, "%s: f16/bf16 [%zu] %04x/%04x want %04x/%04x", label,
                         i, got_h[i].bits, got_b[i].bits, h, b);
            break;
        }
    }
    GK_EXPECT(gk_guarded_check(label, got) && gk_guarded_check(label, got_h) &&
                  gk_guarded_check(label, got_b),
              "%s: write outside dst", label);
    gk_guarded_free(got);
    gk_guarded_free(got_h);
    gk_guarded_free(got_b);
    free(want);
}

static void test_decode_random(void)
{
    static const size_t counts[] = {1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 33, 64, 129};
    gk_rng rng = gk_rng_seeded(0xDEC0DE);
    for (int t = 0; t < GK_QTYPE_COUNT; t++) {
        if (!has_decoder((gk_qtype)t)) continue;
        const size_t bytes = traits((gk_qtype)t)->block_bytes;
        const size_t reps = gk_test_sweep(20);
        for (size_t c = 0; c < sizeof counts / sizeof counts[0]; c++) {
            for (size_t r = 0; r < (counts[c] < 20 ? reps : 1); r++) {
                /* blocks need only their fields' alignment: offset them by 0..3 of it */
                const size_t misalign = (c + r) % 4 * traits((gk_qtype)t)->block_align;
                uint8_t *mem = malloc(counts[c] * bytes + misalign);
                uint8_t *blocks = mem + misalign;
                random_blocks((gk_qtype)t, blocks, counts[c], &rng);
                check_decode((gk_qtype)t, blocks, counts[c], "random");
                free(mem);
            }
        }
    }
}

/* Blocks from real quantization (every format with a quantizer), large enough to be split over
 * threads; then the same call with 1 and 2 threads must give the same bits. */
static void test_decode_quantized(void)
{
    const size_t n = gk_test_sweep(10) * 32768;
    float *x = malloc(n * sizeof *x), *y1 = malloc(n * sizeof *y1), *y2 = malloc(n * sizeof *y2);
    uint8_t *blocks = malloc(n * 2);
    gkq_fill_heavy(x, n, 77);
    for (int t = 0; t < GK_QTYPE_COUNT; t++) {
        const struct gk_qtraits *tr = traits((gk_qtype)t);
        if (!tr->quant || !has_decoder((gk_qtype)t)) continue;
        GK_EXPECT_STATUS(gk_quantize((gk_qtype)t, x, blocks, n, NULL), GK_OK);
        check_decode((gk_qtype)t, blocks, n / tr->block_elems, "quantized");
        GK_EXPECT_STATUS(gk_set_num_threads(1), GK_OK);
        GK_EXPECT_STATUS(gk_dequantize((gk_qtype)t, blocks, y1, n), GK_OK);
        GK_EXPECT_STATUS(gk_set_num_threads(2), GK_OK);
        GK_EXPECT_STATUS(gk_dequantize((gk_qtype)t, blocks, y2, n), GK_OK);
        GK_EXPECT(gk_test_same_bits(tr->name, y1, y2, n, 4), "%s: 1 vs 2 threads", tr->name);
        GK_EXPECT_STATUS(gk_set_num_threads(0), GK_OK);
    }
    free(x);
    free(y1);
    free(y2);
    free(blocks);
}

/* An Inf or NaN scale decodes to Inf/NaN (or NaN for 0 * Inf) on every tier like the scalar. */
static void test_decode_special_scales(void)
{
    static const uint16_t specials[] = {0x7C00, 0xFC00, 0x7E00, 0xFE01, 0x7D00};
    gk_rng rng = gk_rng_seeded(5);
    for (int t = 0; t < GK_QTYPE_COUNT; t++) {
        if (!has_decoder((gk_qtype)t) || f16_fields((gk_qtype)t)[0] < 0) continue;
        const struct gk_qtraits *tr = traits((gk_qtype)t);
        _Alignas(16) uint8_t blocks[8 * 292];
        random_blocks((gk_qtype)t, blocks, 8, &rng);
        for (int b = 0; b < 8; b++)
            memcpy(blocks + b * tr->block_bytes + f16_fields((gk_qtype)t)[0], &specials[b % 5], 2);
        const size_t n = 8 * tr->block_elems;
        float *got = malloc(n * sizeof *got), *want = malloc(n * sizeof *want);
        tr->dequant[GK_ISA_SCALAR](blocks, want, 8);
        GK_EXPECT_STATUS(gk_dequantize((gk_qtype)t, blocks, got, n), GK_OK);
        same_or_both_nan(tr->name, got, want, n);
        size_t special = 0;
        for (size_t i = 0; i < n; i++)
            special += !isfinite(want[i]);
        GK_EXPECT(special > 0, "%s: no value decoded from an Inf/NaN scale is Inf/NaN", tr->name);
        free(got);
        free(want);
    }
}

/* ---- the scalar decoders against an independent restatement of the definitions ------------- */

static float f16_at(const uint8_t *p)
{
    return gk_f32_from_f16_bits((uint16_t)(p[0] | p[1] << 8));
}

/* Q8_0, Q8_1, Q8_K (not in the gguf package) and AWQ4, SQUEEZE (ours), value by value. */
static float definition_value(gk_qtype t, const uint8_t *block, size_t i)
{
    switch (t) {
    case GK_QTYPE_Q8_0: return (float)(int8_t)block[2 + i] * f16_at(block);
    case GK_QTYPE_Q8_1: return (float)(int8_t)block[4 + i] * f16_at(block);
    case GK_QTYPE_Q8_K: {
        float d;
        memcpy(&d, block, 4);
        return d * (float)(int8_t)block[4 + i];
    }
    case GK_QTYPE_AWQ4:
    case GK_QTYPE_GPTQ4: {
        const unsigned q = (block[8 + i / 2] >> (4 * (i % 2))) & 0xF; /* LE words = nibble stream */
        return ((float)q - f16_at(block + 4)) * f16_at(block);
    }
    case GK_QTYPE_SQUEEZE: return f16_at(block + 2 * ((block[32 + i / 2] >> (4 * (i % 2))) & 0xF));
    default: return NAN;
    }
}

static void test_decode_definitions(void)
{
    static const gk_qtype types[] = {GK_QTYPE_Q8_0, GK_QTYPE_Q8_1,  GK_QTYPE_Q8_K,
                                     GK_QTYPE_AWQ4, GK_QTYPE_GPTQ4, GK_QTYPE_SQUEEZE};
    gk_rng rng = gk_rng_seeded(11);
    for (size_t k = 0; k < sizeof types / sizeof types[0]; k++) {
        const struct gk_qtraits *tr = traits(types[k]);
        _Alignas(16) uint8_t blocks[16 * 292];
        float got[16 * 256], want[16 * 256];
        random_blocks(types[k], blocks, 16, &rng);
        tr->dequant[GK_ISA_SCALAR](blocks, got, 16);
        for (size_t b = 0; b < 16; b++)
            for (size_t i = 0; i < tr->block_elems; i++)
                want[b * tr->block_elems + i] =
                    definition_value(types[k], blocks + b * tr->block_bytes, i);
        GK_EXPECT(gk_test_same_bits(tr->name, got, want, 16 * tr->block_elems, 4),
                  "%s: scalar decoder differs from the definition", tr->name);
    }
}

/* ---- format facts ------------------------------------------------------------------------- */

static void test_facts(void)
{
    /* GGUF type ids and sizes: ggml's enum ggml_type and ggml-common.h (commit d99724f). */
    static const struct {
        gk_qtype t;
        const char *name;
        int gguf;
        size_t elems, bytes;
    } facts[] = {
        {GK_QTYPE_Q4_0, "Q4_0", 2, 32, 18},         {GK_QTYPE_Q4_1, "Q4_1", 3, 32, 20},
        {GK_QTYPE_Q5_0, "Q5_0", 6, 32, 22},         {GK_QTYPE_Q5_1, "Q5_1", 7, 32, 24},
        {GK_QTYPE_Q8_0, "Q8_0", 8, 32, 34},         {GK_QTYPE_Q8_1, "Q8_1", 9, 32, 36},
        {GK_QTYPE_Q2_K, "Q2_K", 10, 256, 84},       {GK_QTYPE_Q3_K, "Q3_K", 11, 256, 110},
        {GK_QTYPE_Q4_K, "Q4_K", 12, 256, 144},      {GK_QTYPE_Q5_K, "Q5_K", 13, 256, 176},
        {GK_QTYPE_Q6_K, "Q6_K", 14, 256, 210},      {GK_QTYPE_Q8_K, "Q8_K", 15, 256, 292},
        {GK_QTYPE_TQ1_0, "TQ1_0", 34, 256, 54},     {GK_QTYPE_TQ2_0, "TQ2_0", 35, 256, 66},
        {GK_QTYPE_IQ1_S, "IQ1_S", 19, 256, 50},     {GK_QTYPE_IQ1_M, "IQ1_M", 29, 256, 56},
        {GK_QTYPE_IQ2_XXS, "IQ2_XXS", 16, 256, 66}, {GK_QTYPE_IQ2_XS, "IQ2_XS", 17, 256, 74},
        {GK_QTYPE_IQ2_S, "IQ2_S", 22, 256, 82},     {GK_QTYPE_IQ3_XXS, "IQ3_XXS", 18, 256, 98},
        {GK_QTYPE_IQ3_S, "IQ3_S", 21, 256, 110},    {GK_QTYPE_IQ4_NL, "IQ4_NL", 20, 32, 18},
        {GK_QTYPE_IQ4_XS, "IQ4_XS", 23, 256, 136},  {GK_QTYPE_AWQ4, "AWQ4", -1, 128, 72},
        {GK_QTYPE_GPTQ4, "GPTQ4", -1, 128, 72},     {GK_QTYPE_SQUEEZE, "SQUEEZE", -1, 256, 160},
    };

    GK_EXPECT(sizeof facts / sizeof facts[0] == GK_QTYPE_COUNT, "facts cover every format");
    for (size_t k = 0; k < sizeof facts / sizeof facts[0]; k++) {
        const gk_qtype t = facts[k].t;
        GK_EXPECT(gk_qtype_block_elems(t) == facts[k].elems, "%s elems", facts[k].name);
        GK_EXPECT(gk_qtype_block_bytes(t) == facts[k].bytes, "%s bytes", facts[k].name);
        GK_EXPECT(gk_qtype_block_align(t) >= 1 && gk_qtype_block_align(t) <= 4 &&
                      facts[k].bytes % gk_qtype_block_align(t) == 0,
                  "%s align", facts[k].name);
        GK_EXPECT(gk_qtype_name(t) && strcmp(gk_qtype_name(t), facts[k].name) == 0, "%s name",
                  facts[k].name);
        gk_qtype back = GK_QTYPE_COUNT;
        GK_EXPECT_STATUS(gk_qtype_from_name(facts[k].name, &back), GK_OK);
        GK_EXPECT(back == t, "%s from name", facts[k].name);
        uint32_t id = 12345;
        if (facts[k].gguf >= 0) {
            GK_EXPECT_STATUS(gk_qtype_to_gguf(t, &id), GK_OK);
            GK_EXPECT(id == (uint32_t)facts[k].gguf, "%s gguf id %u", facts[k].name, id);
            back = GK_QTYPE_COUNT;
            GK_EXPECT_STATUS(gk_qtype_from_gguf(id, &back), GK_OK);
            GK_EXPECT(back == t, "%s from gguf", facts[k].name);
        } else {
            GK_EXPECT_STATUS(gk_qtype_to_gguf(t, &id), GK_EUNSUPPORTED);
            GK_EXPECT(id == 12345, "%s: out written on error", facts[k].name);
        }
        GK_EXPECT(gk_qtype_row_bytes(t, 4096) == 4096 / facts[k].elems * facts[k].bytes,
                  "%s row bytes", facts[k].name);
        GK_EXPECT(gk_qtype_row_bytes(t, facts[k].elems + 1) == 0, "%s partial row", facts[k].name);
    }
    /* not ours: F32, F16, I8, BF16, MXFP4, Q1_0, removed 4, unknown */
    static const uint32_t foreign[] = {0,  1,  4,  5,  24, 30,   31,
                                       39, 40, 41, 42, 43, 1000, UINT32_MAX};
    for (size_t k = 0; k < sizeof foreign / sizeof foreign[0]; k++) {
        gk_qtype out = GK_QTYPE_Q4_0;
        GK_EXPECT_STATUS(gk_qtype_from_gguf(foreign[k], &out), GK_EUNSUPPORTED);
        GK_EXPECT(out == GK_QTYPE_Q4_0, "from_gguf wrote out on error");
    }
    gk_qtype out = GK_QTYPE_Q4_0;
    GK_EXPECT_STATUS(gk_qtype_from_name("q4_k", &out), GK_EINVAL); /* case-sensitive */
    GK_EXPECT_STATUS(gk_qtype_from_name("", &out), GK_EINVAL);
    GK_EXPECT_STATUS(gk_qtype_from_name(NULL, &out), GK_EINVAL);
    GK_EXPECT_STATUS(gk_qtype_from_name("Q4_K", NULL), GK_EINVAL);
    GK_EXPECT_STATUS(gk_qtype_from_gguf(12, NULL), GK_EINVAL);
    GK_EXPECT(out == GK_QTYPE_Q4_0, "from_name wrote out on error");
    uint32_t id;
    GK_EXPECT_STATUS(gk_qtype_to_gguf(GK_QTYPE_COUNT, &id), GK_EINVAL);
    GK_EXPECT_STATUS(gk_qtype_to_gguf(GK_QTYPE_Q4_K, NULL), GK_EINVAL);
    GK_EXPECT(gk_qtype_block_elems(GK_QTYPE_COUNT) == 0 && gk_qtype_block_bytes((gk_qtype)-1) == 0,
              "sizes of an unknown type");
    GK_EXPECT(gk_qtype_name(GK_QTYPE_COUNT) == NULL, "name of an unknown type");
    GK_EXPECT(gk_qtype_row_bytes(GK_QTYPE_COUNT, 256) == 0, "row bytes of an unknown type");
    GK_EXPECT(gk_qtype_row_bytes(GK_QTYPE_Q8_0, SIZE_MAX - SIZE_MAX % 32) == 0,
              "row bytes overflow");
    GK_EXPECT(gk_qtype_row_bytes(GK_QTYPE_Q4_K, 0) == 0, "row bytes of 0 values");
}

/* ---- quantization quality and exactness --------------------------------------------------- */

/* ggml's reference quantizers (quantize_<t>(..., NULL) = quantize_row_<t>_ref; Q8_K
 * quantize_row_q8_K_ref), ggml commit d99724f (ggml-org/ggml, src/ggml-quants.c) built with
 * gcc 12 -O3 on x86-64, quantize -> dequantize RMSE on the data of quant_data.h (seed 0x5eed0001
 * normal, 0x5eed0002 heavy-tailed), the first 2^20 values and, for reduced sweeps, the first
 * 2^17; measured once with a driver outside the repository (linking ggml-quants.c). Our
 * quantizers gave byte-identical blocks on all four sets for every type listed. */
static const struct {
    gk_qtype t;
    double normal_1m, heavy_1m, normal_128k, heavy_128k;
} ggml_rmse[] = {
    {GK_QTYPE_Q4_0, 8.6012791e-02, 2.2213127e-01, 8.5642501e-02, 2.2262218e-01},
    {GK_QTYPE_Q4_1, 7.8354938e-02, 1.7672737e-01, 7.8338863e-02, 1.7249982e-01},
    {GK_QTYPE_Q5_0, 4.2723408e-02, 1.1547990e-01, 4.2532801e-02, 1.1413049e-01},
    {GK_QTYPE_Q5_1, 3.7901019e-02, 8.4654450e-02, 3.7903335e-02, 8.3151677e-02},
    {GK_QTYPE_Q8_0, 5.3574681e-03, 1.4867657e-02, 5.3403301e-03, 1.4360053e-02},
    {GK_QTYPE_Q2_K, 2.9678709e-01, 6.0743997e-01, 2.9645446e-01, 6.1025248e-01},
    {GK_QTYPE_Q3_K, 1.5097265e-01, 3.2706596e-01, 1.5077617e-01, 3.2903253e-01},
    {GK_QTYPE_Q4_K, 7.1498054e-02, 1.6114669e-01, 7.1519535e-02, 1.6037311e-01},
    {GK_QTYPE_Q5_K, 3.6167402e-02, 8.1997063e-02, 3.6118054e-02, 8.0886266e-02},
    {GK_QTYPE_Q6_K, 1.7766829e-02, 4.4961689e-02, 1.7761061e-02, 4.4017286e-02},
    {GK_QTYPE_Q8_K, 6.9615543e-03, 3.1074420e-02, 6.9597142e-03, 2.8639564e-02},
    {GK_QTYPE_TQ1_0, 8.0709639e-01, 1.3758129e+00, 8.0836230e-01, 1.3791547e+00},
    {GK_QTYPE_TQ2_0, 8.0709639e-01, 1.3758129e+00, 8.0836230e-01, 1.3791547e+00},
};

static double rmse(const float *x, const float *y, size_t n)
{
    double e = 0.0;
    for (size_t i = 0; i < n; i++) {
        const double d = (double)y[i] - (double)x[i];
        e += d * d;
    }
    return sqrt(e / (double)n);
}

/* The baseline of our own 4-bit formats: per group of g values, 16 uniform levels from min to
 * max (round to nearest), computed in double. */
static double rmse_minmax_4bit(const float *x, size_t n, size_t g)
{
    double e = 0.0;
    for (size_t b = 0; b < n; b += g) {
        float lo = x[b], hi = x[b]; /* (fmin/fmax in double here crash gcc 12's aarch64
                                        vectorizer: internal compiler error) */
        for (size_t i = b; i < b + g; i++) {
            if (x[i] < lo) lo = x[i];
            if (x[i] > hi) hi = x[i];
        }
        const double step = ((double)hi - (double)lo) / 15.0;
        for (size_t i = b; i < b + g; i++) {
            const double q = step > 0.0 ? round(((double)x[i] - (double)lo) / step) : 0.0;
            const double d = (double)lo + q * step - (double)x[i];
            e += d * d;
        }
    }
    return sqrt(e / (double)n);
}

/* Quantize -> dequantize RMSE of every format with a quantizer; the GGUF ones within 1% of
 * ggml's figure. Quantization is scalar code shared by all tiers, so this runs once (scalar
 * tier); every tier's decoder is checked against the scalar one above. */
static void test_quality(void)
{
    const bool small = gk_test_sweep(10) < 10;
    const size_t n = small ? (size_t)1 << 17 : (size_t)1 << 20;
    float *x = malloc(n * sizeof *x), *y = malloc(n * sizeof *y);
    uint8_t *blocks = malloc(n * 2);
    printf("quantize -> dequantize RMSE, %zu values (ggml figure, ratio)\n", n);
    for (int set = 0; set < 2; set++) {
        if (set == 0)
            gkq_fill_normal(x, n, 0x5eed0001);
        else
            gkq_fill_heavy(x, n, 0x5eed0002);
        for (int t = 0; t < GK_QTYPE_COUNT; t++) {
            const struct gk_qtraits *tr = traits((gk_qtype)t);
            if (!tr->quant || !has_decoder((gk_qtype)t)) continue;
            GK_EXPECT_STATUS(gk_quantize((gk_qtype)t, x, blocks, n, NULL), GK_OK);
            GK_EXPECT_STATUS(gk_dequantize((gk_qtype)t, blocks, y, n), GK_OK);
            const double e = rmse(x, y, n);
            double ref = 0.0;
            for (size_t k = 0; k < sizeof ggml_rmse / sizeof ggml_rmse[0]; k++) {
                if (ggml_rmse[k].t != (gk_qtype)t) continue;
                ref = set == 0 ? (small ? ggml_rmse[k].normal_128k : ggml_rmse[k].normal_1m)
                               : (small ? ggml_rmse[k].heavy_128k : ggml_rmse[k].heavy_1m);
            }
            printf("  %-6s %-8s %.7e", set ? "heavy" : "normal", tr->name, e);
            if (ref > 0.0) printf("  ggml %.7e  ratio %.4f", ref, e / ref);
            /* formats without a figure here (IQ rows) are printed only: tests/test_iq.c */
            if (ref > 0.0)
                GK_EXPECT(e <= 1.01 * ref, "%s: RMSE %.7e > 1.01 x ggml's %.7e", tr->name, e, ref);
            else if (t == GK_QTYPE_AWQ4 || t == GK_QTYPE_GPTQ4 || t == GK_QTYPE_SQUEEZE) {
                /* our own formats: better than plain min/max rounding of the same groups */
                const double base = rmse_minmax_4bit(x, n, tr->block_elems);
                printf("  min/max 4-bit rounding %.7e", base);
                GK_EXPECT(e < base, "%s: RMSE %.7e >= min/max rounding's %.7e", tr->name, e, base);
            }
            printf("\n");
        }
    }
    free(x);
    free(y);
    free(blocks);
}

/* Importance steers the search toward the weighted values: weighting half of each block heavily
 * must lower the weighted error there against the unweighted quantization. */
static void test_importance(void)
{
    const size_t n = 8192;
    float *x = malloc(n * sizeof *x), *w = malloc(n * sizeof *w), *y = malloc(n * sizeof *y);
    uint8_t *blocks = malloc(n * 2);
    gkq_fill_heavy(x, n, 99);
    for (size_t i = 0; i < n; i++)
        w[i] = (i / 16) % 2 ? 100.0f : 0.01f;
    for (int t = 0; t < GK_QTYPE_COUNT; t++) {
        const struct gk_qtraits *tr = traits((gk_qtype)t);
        if (!tr->quant || !has_decoder((gk_qtype)t)) continue;
        if (!known_layout((gk_qtype)t)) continue; /* IQ formats: tests/test_iq.c */
        if (t == GK_QTYPE_Q8_0 || t == GK_QTYPE_Q8_1 || t == GK_QTYPE_Q8_K || t == GK_QTYPE_TQ1_0 ||
            t == GK_QTYPE_TQ2_0)
            continue; /* direct rounding: importance is ignored (documented) */
        double err[2];
        for (int with = 0; with < 2; with++) {
            GK_EXPECT_STATUS(gk_quantize((gk_qtype)t, x, blocks, n, with ? w : NULL), GK_OK);
            GK_EXPECT_STATUS(gk_dequantize((gk_qtype)t, blocks, y, n), GK_OK);
            err[with] = 0.0;
            for (size_t i = 0; i < n; i++) {
                const double d = (double)y[i] - (double)x[i];
                err[with] += (double)w[i] * d * d;
            }
        }
        GK_EXPECT(err[1] < err[0], "%s: weighted error with importance %g >= without %g", tr->name,
                  err[1], err[0]);
    }
    free(x);
    free(w);
    free(y);
    free(blocks);
}

/* Q8_0 and Q8_K quantize activations: their blocks are exactly the definitions (ggml-quants.c
 * quantize_row_q8_0_ref / quantize_row_q8_K_ref), restated here. */
static void test_q8_exact(void)
{
    const size_t n = 4096;
    float *x = malloc(n * sizeof *x);
    gkq_fill_heavy(x, n, 3);
    for (size_t i = 0; i < 256; i++)
        x[i] = 0.0f; /* one all-zero Q8_K block, eight Q8_0 ones */
    x[300] = 0.5f * x[301];
    gk_block_q8_0 *b0 = malloc(n / 32 * sizeof *b0);
    gk_block_q8_k *bk = malloc(n / 256 * sizeof *bk);
    GK_EXPECT_STATUS(gk_quantize(GK_QTYPE_Q8_0, x, b0, n, NULL), GK_OK);
    GK_EXPECT_STATUS(gk_quantize(GK_QTYPE_Q8_K, x, bk, n, NULL), GK_OK);
    for (size_t b = 0; b < n / 32; b++) {
        float amax = 0.0f;
        for (size_t j = 0; j < 32; j++)
            amax = fmaxf(amax, fabsf(x[32 * b + j]));
        const float d = amax / 127.0f, id = d != 0.0f ? 1.0f / d : 0.0f;
        GK_EXPECT(b0[b].d.bits == gk_f16_bits_from_f32(d), "Q8_0 block %zu d", b);
        for (size_t j = 0; j < 32; j++)
            GK_EXPECT(b0[b].qs[j] == (int8_t)roundf(x[32 * b + j] * id), "Q8_0 [%zu][%zu]", b, j);
    }
    for (size_t b = 0; b < n / 256; b++) {
        const float *xb = x + 256 * b;
        float amax = 0.0f, max = 0.0f;
        for (size_t j = 0; j < 256; j++)
            if (fabsf(xb[j]) > amax) {
                amax = fabsf(xb[j]);
                max = xb[j];
            }
        const float iscale = amax != 0.0f ? -127.0f / max : 0.0f;
        const float d = amax != 0.0f ? 1.0f / iscale : 0.0f;
        GK_EXPECT(memcmp(&bk[b].d, &d, 4) == 0, "Q8_K block %zu d", b);
        for (size_t g = 0; g < 16; g++) {
            int sum = 0;
            for (size_t l = 0; l < 16; l++) {
                const int8_t q = (int8_t)lrintf(iscale * xb[16 * g + l]);
                GK_EXPECT(bk[b].qs[16 * g + l] == q, "Q8_K [%zu][%zu]", b, 16 * g + l);
                sum += q;
            }
            GK_EXPECT(bk[b].bsums[g] == sum, "Q8_K bsums[%zu][%zu]", b, g);
        }
    }
    free(x);
    free(b0);
    free(bk);
}

/* The same input gives the same bytes for 1 and 2 threads. */
static void test_quantize_threads(void)
{
    const size_t n = gk_test_sweep(10) * 8192;
    float *x = malloc(n * sizeof *x);
    uint8_t *a = malloc(n * 2), *b = malloc(n * 2);
    gkq_fill_normal(x, n, 8);
    for (int t = 0; t < GK_QTYPE_COUNT; t++) {
        const struct gk_qtraits *tr = traits((gk_qtype)t);
        if (!tr->quant) continue;
        const size_t bytes = n / tr->block_elems * tr->block_bytes;
        GK_EXPECT_STATUS(gk_set_num_threads(1), GK_OK);
        GK_EXPECT_STATUS(gk_quantize((gk_qtype)t, x, a, n, x), GK_EINVAL); /* negative weights */
        GK_EXPECT_STATUS(gk_quantize((gk_qtype)t, x, a, n, NULL), GK_OK);
        GK_EXPECT_STATUS(gk_set_num_threads(2), GK_OK);
        GK_EXPECT_STATUS(gk_quantize((gk_qtype)t, x, b, n, NULL), GK_OK);
        GK_EXPECT(memcmp(a, b, bytes) == 0, "%s: quantize 1 vs 2 threads", tr->name);
    }
    GK_EXPECT_STATUS(gk_set_num_threads(0), GK_OK);
    free(x);
    free(a);
    free(b);
}

/* True if all n bytes at p equal v. */
static bool all_bytes(const void *p, size_t n, uint8_t v)
{
    for (size_t i = 0; i < n; i++)
        if (((const uint8_t *)p)[i] != v) return false;
    return true;
}

/* ---- converters ----------------------------------------------------------------------------- */

static gk_f16 random_scale16(gk_rng *rng)
{
    return (gk_f16){gk_f16_bits_from_f32(gk_rng_uniform(rng, -0.05f, 0.05f))};
}

/* AutoAWQ: codes q[in][out], zeros z[group][out], scales s[group][out]; packed with AWQ's
 * order: nibble i of word c holds column 8c + order[i]. */
static void test_convert_awq(void)
{
    enum { IN = 256, OUT = 24, GROUPS = IN / 128 };

    static const int order[8] = {0, 2, 4, 6, 1, 3, 5, 7};
    gk_rng rng = gk_rng_seeded(21);
    static uint8_t q[IN][OUT], z[GROUPS][OUT];
    static int32_t qweight[IN][OUT / 8], qzeros[GROUPS][OUT / 8];
    static gk_f16 scales[GROUPS][OUT];
    for (int i = 0; i < IN; i++)
        for (int o = 0; o < OUT; o++)
            q[i][o] = (uint8_t)(gk_rng_u32(&rng) & 15);
    for (int g = 0; g < GROUPS; g++)
        for (int o = 0; o < OUT; o++) {
            z[g][o] = (uint8_t)(gk_rng_u32(&rng) & 15);
            scales[g][o] = random_scale16(&rng);
        }
    memset(qweight, 0, sizeof qweight);
    memset(qzeros, 0, sizeof qzeros);
    for (int c = 0; c < OUT / 8; c++)
        for (int k = 0; k < 8; k++) {
            for (int i = 0; i < IN; i++)
                qweight[i][c] = (int32_t)((uint32_t)qweight[i][c] | (uint32_t)q[i][8 * c + order[k]]
                                                                        << (4 * k));
            for (int g = 0; g < GROUPS; g++)
                qzeros[g][c] =
                    (int32_t)((uint32_t)qzeros[g][c] | (uint32_t)z[g][8 * c + order[k]] << (4 * k));
        }
    static gk_block_awq4 blocks[OUT * GROUPS];
    static float w[OUT * IN];
    GK_EXPECT_STATUS(
        gk_awq4_from_autoawq(&qweight[0][0], &qzeros[0][0], &scales[0][0], IN, OUT, 128, blocks),
        GK_OK);
    GK_EXPECT_STATUS(gk_dequantize(GK_QTYPE_AWQ4, blocks, w, OUT * IN), GK_OK);
    size_t bad = 0;
    for (int o = 0; o < OUT; o++)
        for (int i = 0; i < IN; i++) {
            const float want = ((float)q[i][o] - (float)z[i / 128][o]) *
                               gk_f32_from_f16_bits(scales[i / 128][o].bits);
            bad += memcmp(&w[o * IN + i], &want, 4) != 0;
        }
    GK_EXPECT(bad == 0, "AWQ converter: %zu weights differ from the direct dequantization", bad);
    /* bad inputs: nothing written */
    memset(blocks, 0x5A, sizeof blocks);
    GK_EXPECT_STATUS(gk_awq4_from_autoawq(NULL, &qzeros[0][0], &scales[0][0], IN, OUT, 128, blocks),
                     GK_EINVAL);
    GK_EXPECT_STATUS(
        gk_awq4_from_autoawq(&qweight[0][0], &qzeros[0][0], &scales[0][0], IN, OUT, 64, blocks),
        GK_EINVAL);
    GK_EXPECT_STATUS(gk_awq4_from_autoawq(&qweight[0][0], &qzeros[0][0], &scales[0][0], IN + 8, OUT,
                                          128, blocks),
                     GK_EINVAL);
    GK_EXPECT_STATUS(gk_awq4_from_autoawq(&qweight[0][0], &qzeros[0][0], &scales[0][0], IN, OUT + 4,
                                          128, blocks),
                     GK_EINVAL);
    GK_EXPECT_STATUS(gk_awq4_from_autoawq(&qweight[0][0], &qzeros[0][0], &scales[0][0], IN, OUT,
                                          128, (gk_block_awq4 *)(void *)&qweight[0][0]),
                     GK_EALIAS);
    GK_EXPECT_STATUS(gk_awq4_from_autoawq(&qweight[0][0], &qzeros[0][0], &scales[0][0],
                                          SIZE_MAX / 128 * 128, OUT, 128, blocks),
                     GK_EOVERFLOW);
    const bool untouched = all_bytes(blocks, sizeof blocks, 0x5A);
    GK_EXPECT(untouched, "AWQ converter wrote on error");
}

/* AutoGPTQ v1 with act-order: g_idx assigns the inputs of each group in a shuffled order. */
static void test_convert_gptq(void)
{
    enum { IN = 384, OUT = 16, GROUPS = IN / 128 };

    gk_rng rng = gk_rng_seeded(22);
    static uint8_t q[IN][OUT], zs[GROUPS][OUT];
    static int32_t qweight[IN / 8][OUT], qzeros[GROUPS][OUT / 8], g_idx[IN];
    static gk_f16 scales[GROUPS][OUT];
    for (int i = 0; i < IN; i++)
        for (int o = 0; o < OUT; o++)
            q[i][o] = (uint8_t)(gk_rng_u32(&rng) & 15);
    for (int g = 0; g < GROUPS; g++)
        for (int o = 0; o < OUT; o++) {
            zs[g][o] = (uint8_t)(gk_rng_u32(&rng) & 15);
            scales[g][o] = random_scale16(&rng);
        }
    memset(qweight, 0, sizeof qweight);
    memset(qzeros, 0, sizeof qzeros);
    for (int i = 0; i < IN; i++)
        for (int o = 0; o < OUT; o++)
            qweight[i / 8][o] =
                (int32_t)((uint32_t)qweight[i / 8][o] | (uint32_t)q[i][o] << (4 * (i % 8)));
    for (int g = 0; g < GROUPS; g++)
        for (int o = 0; o < OUT; o++)
            qzeros[g][o / 8] =
                (int32_t)((uint32_t)qzeros[g][o / 8] | (uint32_t)zs[g][o] << (4 * (o % 8)));
    /* act-order: a shuffled assignment of 128 inputs per group */
    for (int i = 0; i < IN; i++)
        g_idx[i] = i / 128;
    for (int i = IN - 1; i > 0; i--) {
        const int j = (int)(gk_rng_u32(&rng) % (uint32_t)(i + 1));
        const int32_t tmp = g_idx[i];
        g_idx[i] = g_idx[j];
        g_idx[j] = tmp;
    }
    static gk_block_awq4 blocks[OUT * GROUPS];
    static float w[OUT * IN];
    static uint32_t perm[IN];
    for (int with_gidx = 0; with_gidx < 2; with_gidx++) {
        const int32_t *gi = with_gidx ? g_idx : NULL;
        GK_EXPECT_STATUS(gk_gptq4_from_autogptq(&qweight[0][0], &qzeros[0][0], &scales[0][0], gi,
                                                GROUPS, IN, OUT, blocks, perm),
                         GK_OK);
        GK_EXPECT_STATUS(gk_dequantize(GK_QTYPE_GPTQ4, blocks, w, OUT * IN), GK_OK);
        bool seen[IN] = {false}, is_perm = true;
        for (int j = 0; j < IN && is_perm; j++) {
            is_perm = perm[j] < IN && !seen[perm[j]];
            if (is_perm) seen[perm[j]] = true;
        }
        GK_EXPECT(is_perm, "GPTQ converter: perm is not a permutation");
        if (!is_perm) continue;
        size_t bad = 0;
        for (int o = 0; o < OUT; o++)
            for (int j = 0; j < IN; j++) {
                const int i = (int)perm[j], g = gi ? gi[i] : i / 128;
                const float want = ((float)q[i][o] - (float)(zs[g][o] + 1)) *
                                   gk_f32_from_f16_bits(scales[g][o].bits);
                bad += memcmp(&w[o * IN + j], &want, 4) != 0;
            }
        GK_EXPECT(bad == 0, "GPTQ converter (g_idx %d): %zu weights differ", with_gidx, bad);
        /* y = W x must equal dst * x_perm */
        double y_orig = 0.0, y_conv = 0.0;
        for (int j = 0; j < IN; j++) {
            const int i = (int)perm[j], g = gi ? gi[i] : i / 128;
            const double xi = (double)((i * 7) % 13) - 6.0;
            y_orig += ((double)q[i][3] - (double)(zs[g][3] + 1)) *
                      (double)gk_f32_from_f16_bits(scales[g][3].bits) * xi;
            y_conv += (double)w[3 * IN + j] * xi;
        }
        GK_EXPECT(fabs(y_orig - y_conv) <= 1e-9 * (1.0 + fabs(y_orig)), "GPTQ y = W x");
    }
    /* bad g_idx: out of range, unbalanced groups; nothing written */
    memset(blocks, 0x5A, sizeof blocks);
    memset(perm, 0x5A, sizeof perm);
    const int32_t saved = g_idx[5];
    g_idx[5] = GROUPS;
    GK_EXPECT_STATUS(gk_gptq4_from_autogptq(&qweight[0][0], &qzeros[0][0], &scales[0][0], g_idx,
                                            GROUPS, IN, OUT, blocks, perm),
                     GK_EINVAL);
    g_idx[5] = -1;
    GK_EXPECT_STATUS(gk_gptq4_from_autogptq(&qweight[0][0], &qzeros[0][0], &scales[0][0], g_idx,
                                            GROUPS, IN, OUT, blocks, perm),
                     GK_EINVAL);
    g_idx[5] = saved == 0 ? 1 : 0;
    GK_EXPECT_STATUS(gk_gptq4_from_autogptq(&qweight[0][0], &qzeros[0][0], &scales[0][0], g_idx,
                                            GROUPS, IN, OUT, blocks, perm),
                     GK_EINVAL);
    g_idx[5] = saved;
    GK_EXPECT_STATUS(gk_gptq4_from_autogptq(&qweight[0][0], &qzeros[0][0], &scales[0][0], g_idx,
                                            GROUPS + 1, IN, OUT, blocks, perm),
                     GK_EINVAL);
    GK_EXPECT_STATUS(gk_gptq4_from_autogptq(&qweight[0][0], &qzeros[0][0], &scales[0][0], g_idx,
                                            GROUPS, IN, OUT, blocks, NULL),
                     GK_EINVAL);
    GK_EXPECT_STATUS(gk_gptq4_from_autogptq(&qweight[0][0], &qzeros[0][0], &scales[0][0], g_idx,
                                            GROUPS, IN, OUT, blocks, (uint32_t *)(void *)blocks),
                     GK_EALIAS);
    const bool untouched =
        all_bytes(blocks, sizeof blocks, 0x5A) && all_bytes(perm, sizeof perm, 0x5A);
    GK_EXPECT(untouched, "GPTQ converter wrote on error");
}

/* SqueezeLLM: packed with its own packing loops (4-bit: 8 codes per word; 3-bit: 32 codes in 3
 * words, codes 10 and 21 split across words), restated here from its pack code's layout. */
static void pack_squeezellm(
    const uint8_t *codes, size_t in, size_t out, size_t o, unsigned bits, int32_t *qweight)
{
    size_t row = 0;
    for (size_t i = 0; i < in;) {
        uint32_t w[3] = {0, 0, 0};
        if (bits == 4) {
            for (int k = 0; k < 8; k++)
                w[0] |= (uint32_t)codes[(i + (size_t)k) * out + o] << (4 * k);
            qweight[row * out + o] = (int32_t)w[0];
            row++;
            i += 8;
            continue;
        }
        const uint8_t *c = codes;
        for (int k = 0; k < 10; k++)
            w[0] |= (uint32_t)c[(i + (size_t)k) * out + o] << (3 * k);
        w[0] |= (uint32_t)c[(i + 10) * out + o] << 30;
        w[1] |= ((uint32_t)c[(i + 10) * out + o] >> 2) & 1;
        for (int k = 0; k < 10; k++)
            w[1] |= (uint32_t)c[(i + 11 + (size_t)k) * out + o] << (3 * k + 1);
        w[1] |= (uint32_t)c[(i + 21) * out + o] << 31;
        w[2] |= ((uint32_t)c[(i + 21) * out + o] >> 1) & 3;
        for (int k = 0; k < 10; k++)
            w[2] |= (uint32_t)c[(i + 22 + (size_t)k) * out + o] << (3 * k + 2);
        for (int k = 0; k < 3; k++)
            qweight[(row + (size_t)k) * out + o] = (int32_t)w[k];
        row += 3;
        i += 32;
    }
}

static void test_convert_squeeze(void)
{
    enum { IN = 512, OUT = 6 };

    gk_rng rng = gk_rng_seeded(23);
    static uint8_t codes[IN * OUT];
    static int32_t qweight[IN * 4 / 32 * OUT];
    static gk_f16 lut[OUT * 16];
    static gk_block_squeeze blocks[OUT * IN / 256];
    static float w[OUT * IN];
    for (unsigned bits = 3; bits <= 4; bits++) {
        const unsigned n_codes = 1u << bits;
        for (size_t k = 0; k < IN * OUT; k++)
            codes[k] = (uint8_t)(gk_rng_u32(&rng) % n_codes);
        for (size_t k = 0; k < OUT * n_codes; k++)
            lut[k] = (gk_f16){gk_f16_bits_from_f32(gk_rng_uniform(&rng, -1.0f, 1.0f))};
        memset(qweight, 0, sizeof qweight);
        for (size_t o = 0; o < OUT; o++)
            pack_squeezellm(codes, IN, OUT, o, bits, qweight);
        GK_EXPECT_STATUS(gk_squeeze_from_squeezellm(qweight, lut, bits, IN, OUT, blocks), GK_OK);
        GK_EXPECT_STATUS(gk_dequantize(GK_QTYPE_SQUEEZE, blocks, w, OUT * IN), GK_OK);
        size_t bad = 0;
        for (size_t o = 0; o < OUT; o++)
            for (size_t i = 0; i < IN; i++) {
                const float want = gk_f32_from_f16_bits(lut[o * n_codes + codes[i * OUT + o]].bits);
                bad += memcmp(&w[o * IN + i], &want, 4) != 0;
            }
        GK_EXPECT(bad == 0, "SqueezeLLM converter (%u bits): %zu weights differ", bits, bad);
    }
    memset(blocks, 0x5A, sizeof blocks);
    GK_EXPECT_STATUS(gk_squeeze_from_squeezellm(qweight, lut, 2, IN, OUT, blocks), GK_EINVAL);
    GK_EXPECT_STATUS(gk_squeeze_from_squeezellm(qweight, lut, 4, IN + 32, OUT, blocks), GK_EINVAL);
    GK_EXPECT_STATUS(gk_squeeze_from_squeezellm(NULL, lut, 4, IN, OUT, blocks), GK_EINVAL);
    GK_EXPECT_STATUS(
        gk_squeeze_from_squeezellm(qweight, lut, 4, IN, OUT, (gk_block_squeeze *)(void *)qweight),
        GK_EALIAS);
    const bool untouched = all_bytes(blocks, sizeof blocks, 0x5A);
    GK_EXPECT(untouched, "SqueezeLLM converter wrote on error");
}

/* ---- bad input ------------------------------------------------------------------------------ */

static void test_bad_input(void)
{
    enum { N = 512 };

    static _Alignas(16) uint8_t blocks[N * 2];
    static float x[N], y[N], w[N];
    gkq_fill_normal(x, N, 1);
    for (size_t i = 0; i < N; i++)
        w[i] = 1.0f;
    for (int t = 0; t < GK_QTYPE_COUNT; t++) {
        const gk_qtype q = (gk_qtype)t;
        const struct gk_qtraits *tr = traits(q);
        memset(y, 0x5A, sizeof y);
        memset(blocks, 0x5A, sizeof blocks);
        if (!has_decoder(q)) { /* IQ rows before the iq branch is merged */
            GK_EXPECT_STATUS(gk_dequantize(q, blocks, y, N), GK_EUNSUPPORTED);
            GK_EXPECT_STATUS(gk_quantize(q, x, blocks, N, NULL), GK_EUNSUPPORTED);
            continue;
        }
        GK_EXPECT_STATUS(gk_dequantize(q, blocks, y, 0), GK_OK);
        if (tr->block_align > 1) {
            GK_EXPECT_STATUS(gk_dequantize(q, blocks + 1, y, tr->block_elems), GK_EINVAL);
            GK_EXPECT_STATUS(
                gk_dequantize_bf16(q, blocks + 1, (gk_bf16 *)(void *)y, tr->block_elems),
                GK_EINVAL);
        }
        GK_EXPECT_STATUS(gk_dequantize(q, NULL, NULL, 0), GK_OK);
        GK_EXPECT_STATUS(gk_dequantize(q, blocks, y, tr->block_elems - 1), GK_EINVAL);
        GK_EXPECT_STATUS(gk_dequantize(q, blocks, y, N + 1), GK_EINVAL);
        GK_EXPECT_STATUS(gk_dequantize(q, NULL, y, N), GK_EINVAL);
        GK_EXPECT_STATUS(gk_dequantize(q, blocks, NULL, N), GK_EINVAL);
        GK_EXPECT_STATUS(gk_dequantize_f16(q, blocks, NULL, N), GK_EINVAL);
        GK_EXPECT_STATUS(gk_dequantize_bf16(q, NULL, (gk_bf16 *)(void *)y, N), GK_EINVAL);
        const size_t huge = SIZE_MAX - SIZE_MAX % tr->block_elems;
        GK_EXPECT_STATUS(gk_dequantize(q, blocks, y, huge), GK_EOVERFLOW);
        /* dst overlapping the blocks (in place is not allowed either) */
        GK_EXPECT_STATUS(gk_dequantize(q, blocks, (float *)(void *)(blocks + 4), 256), GK_EALIAS);
        GK_EXPECT_STATUS(gk_dequantize_f16(q, blocks, (gk_f16 *)(void *)blocks, N), GK_EALIAS);
        GK_EXPECT(all_bytes(y, sizeof y, 0x5A), "%s: dequantize wrote on error", tr->name);
        GK_EXPECT(all_bytes(blocks, sizeof blocks, 0x5A), "%s: dequantize wrote on error",
                  tr->name);
        if (!tr->quant) {
            GK_EXPECT_STATUS(gk_quantize(q, x, blocks, N, NULL), GK_EUNSUPPORTED);
            continue;
        }
        GK_EXPECT_STATUS(gk_quantize(q, x, blocks, 0, NULL), GK_OK);
        if (tr->block_align > 1)
            GK_EXPECT_STATUS(gk_quantize(q, x, blocks + 1, tr->block_elems, NULL), GK_EINVAL);
        GK_EXPECT_STATUS(gk_quantize(q, x, blocks, tr->block_elems + 1, NULL), GK_EINVAL);
        GK_EXPECT_STATUS(gk_quantize(q, NULL, blocks, N, NULL), GK_EINVAL);
        GK_EXPECT_STATUS(gk_quantize(q, x, NULL, N, NULL), GK_EINVAL);
        GK_EXPECT_STATUS(gk_quantize(q, x, blocks, huge, NULL), GK_EOVERFLOW);
        GK_EXPECT_STATUS(gk_quantize(q, x, (void *)(x + 8), N / 2, NULL), GK_EALIAS);
        GK_EXPECT_STATUS(gk_quantize(q, x, (void *)w, N, w), GK_EALIAS);
        const float specials[] = {NAN, INFINITY, -INFINITY};
        for (int s = 0; s < 3; s++) {
            const size_t at = (size_t)(37 * s + 300) % N;
            const float saved = x[at];
            x[at] = specials[s];
            GK_EXPECT_STATUS(gk_quantize(q, x, blocks, N, NULL), GK_EINVAL);
            x[at] = saved;
            w[at] = s == 0 ? -1.0f : specials[s];
            GK_EXPECT_STATUS(gk_quantize(q, x, blocks, N, w), GK_EINVAL);
            w[at] = 1.0f;
        }
        w[0] = NAN;
        GK_EXPECT_STATUS(gk_quantize(q, x, blocks, N, w), GK_EINVAL);
        w[0] = 1.0f;
        GK_EXPECT(all_bytes(blocks, sizeof blocks, 0x5A), "%s: quantize wrote on error", tr->name);
        /* the quantizers are safe on extreme finite input (f32 subnormals, FLT_MAX, zeros) */
        float extreme[N];
        for (size_t i = 0; i < N; i++)
            extreme[i] = i % 3 == 0 ? 1e-40f * (float)(i % 7) : i % 3 == 1 ? -3e38f : 0.0f;
        for (size_t i = 0; i < 256; i++)
            extreme[i] = 1e-41f; /* a block of one subnormal value */
        GK_EXPECT_STATUS(gk_quantize(q, extreme, blocks, N, NULL), GK_OK);
        GK_EXPECT_STATUS(gk_dequantize(q, blocks, y, N), GK_OK);
    }
    for (int t = -1; t <= GK_QTYPE_COUNT; t += GK_QTYPE_COUNT + 1) {
        GK_EXPECT_STATUS(gk_dequantize((gk_qtype)t, blocks, y, 256), GK_EINVAL);
        GK_EXPECT_STATUS(gk_dequantize_f16((gk_qtype)t, blocks, (gk_f16 *)(void *)y, 256),
                         GK_EINVAL);
        GK_EXPECT_STATUS(gk_quantize((gk_qtype)t, x, blocks, 256, NULL), GK_EINVAL);
    }
    GK_EXPECT(strstr(gk_last_error_detail(), "gk_quantize") != NULL, "detail names the function");
}

/* ---- dump mode: random raw blocks of every GGUF format and our decoding of them -------------- */

/* Writes <dir>/index.txt ("NAME gguf_id n_values" per line) and, per GGUF format with a decoder,
 * <dir>/NAME.blocks (fully random bytes: any f16 pattern, NaN and Inf included) and <dir>/NAME.f32
 * (gk_dequantize's output), for tests/quant/gguf_oracle.py. */
static int dump(const char *dir)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/index.txt", dir);
    FILE *index = fopen(path, "w");
    if (!index) {
        fprintf(stderr, "test_quant --dump: cannot write %s\n", path);
        return 1;
    }
    gk_rng rng = gk_rng_seeded(0x0AC1E);
    const size_t n_blocks = 4096;
    for (int t = 0; t < GK_QTYPE_COUNT; t++) {
        const struct gk_qtraits *tr = traits((gk_qtype)t);
        if (!tr->in_gguf || !has_decoder((gk_qtype)t)) continue;
        const size_t n = n_blocks * tr->block_elems, bytes = n_blocks * tr->block_bytes;
        uint8_t *blocks = malloc(bytes);
        float *y = malloc(n * sizeof *y);
        for (size_t i = 0; i < bytes; i++)
            blocks[i] = (uint8_t)gk_rng_u32(&rng);
        if (gk_dequantize((gk_qtype)t, blocks, y, n) != GK_OK) return 1;
        FILE *f;
        snprintf(path, sizeof path, "%s/%s.blocks", dir, tr->name);
        if (!(f = fopen(path, "wb")) || fwrite(blocks, 1, bytes, f) != bytes || fclose(f)) return 1;
        snprintf(path, sizeof path, "%s/%s.f32", dir, tr->name);
        if (!(f = fopen(path, "wb")) || fwrite(y, 4, n, f) != n || fclose(f)) return 1;
        fprintf(index, "%s %u %zu\n", tr->name, tr->gguf_id, n);
        free(blocks);
        free(y);
    }
    return fclose(index) != 0;
}

int main(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], "--dump") == 0) return dump(argv[2]);
    const char *isa = gk_test_require_isa();
    test_facts();
    test_decode_definitions();
    test_decode_random();
    test_decode_special_scales();
    test_decode_quantized();
    test_convert_awq();
    test_convert_gptq();
    test_convert_squeeze();
    test_bad_input();
    if (strcmp(isa, "scalar") == 0) { /* tier-independent scalar code: once */
        test_q8_exact();
        test_importance();
        test_quantize_threads();
        test_quality();
    }
    return gk_test_finish("test_quant");
}
