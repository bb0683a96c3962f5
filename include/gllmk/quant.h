/* SPDX-License-Identifier: MIT */
/* gllm-kernels: quantized block formats — every GGUF block format byte for byte, plus AWQ4,
 * GPTQ4 and SqueezeLLM (ours, defined byte by byte below and in docs/formats.md); dequantize,
 * quantize, and converters from the tensors AutoAWQ, AutoGPTQ and SqueezeLLM checkpoints ship.
 *
 * A quantized tensor is a sequence of blocks; each block holds gk_qtype_block_elems(t)
 * consecutive values in gk_qtype_block_bytes(t) bytes. Blocks have no alignment requirement.
 * The GGUF layouts are those of the GGUF specification (ggml's ggml-common.h, commit d99724f);
 * dequantization is bit-exact with the arithmetic of ggml's reference C code, without FP
 * contraction (every product and sum rounded to f32 on its own, in the order documented in
 * docs/formats.md). */
#ifndef GLLMK_QUANT_H
#define GLLMK_QUANT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "types.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Quantized formats. Values are fixed forever (new formats are appended). Names are the GGUF
 * spellings (gk_qtype_name). The last three are not GGUF formats and have no GGUF id. */
typedef enum gk_qtype {
    GK_QTYPE_Q4_0 = 0,     /*  32 values /  18 bytes */
    GK_QTYPE_Q4_1 = 1,     /*  32 /  20 */
    GK_QTYPE_Q5_0 = 2,     /*  32 /  22 */
    GK_QTYPE_Q5_1 = 3,     /*  32 /  24 */
    GK_QTYPE_Q8_0 = 4,     /*  32 /  34 */
    GK_QTYPE_Q8_1 = 5,     /*  32 /  36 (activations of ggml's q4_1/q5_1 dot products) */
    GK_QTYPE_Q2_K = 6,     /* 256 /  84 */
    GK_QTYPE_Q3_K = 7,     /* 256 / 110 */
    GK_QTYPE_Q4_K = 8,     /* 256 / 144 */
    GK_QTYPE_Q5_K = 9,     /* 256 / 176 */
    GK_QTYPE_Q6_K = 10,    /* 256 / 210 */
    GK_QTYPE_Q8_K = 11,    /* 256 / 292 (activations of the K-quant dot products) */
    GK_QTYPE_TQ1_0 = 12,   /* 256 /  54 ternary */
    GK_QTYPE_TQ2_0 = 13,   /* 256 /  66 ternary */
    GK_QTYPE_IQ1_S = 14,   /* 256 /  50 */
    GK_QTYPE_IQ1_M = 15,   /* 256 /  56 */
    GK_QTYPE_IQ2_XXS = 16, /* 256 /  66 */
    GK_QTYPE_IQ2_XS = 17,  /* 256 /  74 */
    GK_QTYPE_IQ2_S = 18,   /* 256 /  82 */
    GK_QTYPE_IQ3_XXS = 19, /* 256 /  98 */
    GK_QTYPE_IQ3_S = 20,   /* 256 / 110 */
    GK_QTYPE_IQ4_NL = 21,  /*  32 /  18 */
    GK_QTYPE_IQ4_XS = 22,  /* 256 / 136 */
    GK_QTYPE_AWQ4 = 23,    /* 128 /  72 gk_block_awq4 (AutoAWQ checkpoints) */
    GK_QTYPE_GPTQ4 = 24,   /* 128 /  72 gk_block_awq4 layout (AutoGPTQ checkpoints) */
    GK_QTYPE_SQUEEZE = 25, /* 256 / 160 gk_block_squeeze (SqueezeLLM checkpoints) */
    GK_QTYPE_COUNT = 26
} gk_qtype;

/* ---- our own block formats (little-endian, no padding; sizes checked by static_assert) ---- */

/* AWQ4 and GPTQ4: 128 consecutive weights of one output row (one quantization group), 72 bytes:
 *   bytes  0..1   scale       IEEE binary16
 *   bytes  2..3   zero (reserved, written as 0, ignored when read)
 *   bytes  4..5   zero_point  IEEE binary16 (AWQ/GPTQ store an integer 0..15, GPTQ v1 files
 *                             0..15 + 1; any f16 value is decoded)
 *   bytes  6..7   zero (reserved, written as 0, ignored when read)
 *   bytes  8..71  qs: sixteen little-endian u32 words of eight 4-bit codes each, low nibble
 *                 first: element 8*w + j is bits 4j..4j+3 of word w.
 * value[i] = ((float)q[i] - zero_point) * scale, computed in f32: the subtraction rounds, then
 * the product rounds (no fused multiply-add). This is the block the original gllm loader writes.
 * GPTQ4 differs from AWQ4 only in its converter (and act-order permutation). */
typedef struct gk_block_awq4 {
    gk_f16 scale;
    uint16_t reserved0;
    gk_f16 zero_point;
    uint16_t reserved1;
    uint32_t qs[16];
} gk_block_awq4;

/* SQUEEZE (SqueezeLLM, non-uniform): 256 consecutive weights of one output row, 160 bytes:
 *   bytes   0..31   lut: sixteen IEEE binary16 centroids (the row's lookup table; a 3-bit
 *                   table uses entries 0..7 and should have 8..15 zero)
 *   bytes  32..159  qs: 128 bytes of 4-bit indices, low nibble first: element 2*i is bits 0..3
 *                   of byte 32 + i, element 2*i + 1 is bits 4..7.
 * value[i] = (float)lut[q[i]] exactly (no arithmetic).
 * Why 160 and not 130 bytes: SqueezeLLM keeps one lookup table per output row. A 130-byte block
 * (a 2-byte table id + 128 bytes of codes) would need the row tables passed alongside every
 * call, which gk_dequantize / gk_quantize and the per-block kernels cannot take; repeating the
 * row's 32-byte table in each block keeps every block self-contained and the decode exact, at
 * 5 bits per weight instead of 4.06. The converter gk_squeeze_from_squeezellm copies the row
 * table into every block of the row; the quantizer fits one table per block. */
typedef struct gk_block_squeeze {
    gk_f16 lut[16];
    uint8_t qs[128];
} gk_block_squeeze;

/* ---- format facts --------------------------------------------------------------------- */

/* Values per block (32, 128 or 256); 0 if t is not a gk_qtype. */
GK_API size_t gk_qtype_block_elems(gk_qtype t);

/* Bytes per block; 0 if t is not a gk_qtype. */
GK_API size_t gk_qtype_block_bytes(gk_qtype t);

/* The GGUF spelling ("Q4_K", "IQ2_XXS", "TQ1_0"; ours: "AWQ4", "GPTQ4", "SQUEEZE"); NULL if t is
 * not a gk_qtype. */
GK_API const char *gk_qtype_name(gk_qtype t);

/* The format named `name` (exact, case-sensitive gk_qtype_name spelling) into *out.
 * GK_EINVAL: name or out is NULL, or no format has that name (*out untouched). */
GK_API gk_status gk_qtype_from_name(const char *name, gk_qtype *out);

/* The format with GGUF type id `gguf_type_id` (ggml's enum ggml_type / gguf's
 * GGMLQuantizationType: Q4_0 = 2, ..., Q8_K = 15, IQ2_XXS = 16, ..., TQ2_0 = 35) into *out.
 * GK_EINVAL: out is NULL. GK_EUNSUPPORTED: the id is not one of this library's block formats
 * (F32, F16, BF16, the integer types, MXFP4, NVFP4, Q1_0, Q2_0, removed or unknown ids). */
GK_API gk_status gk_qtype_from_gguf(uint32_t gguf_type_id, gk_qtype *out);

/* The GGUF type id of t into *out. GK_EINVAL: out is NULL or t is not a gk_qtype.
 * GK_EUNSUPPORTED: t is AWQ4, GPTQ4 or SQUEEZE (not GGUF formats). */
GK_API gk_status gk_qtype_to_gguf(gk_qtype t, uint32_t *out);

/* Bytes of n values of type t: n / block_elems * block_bytes. Returns 0 if t is not a gk_qtype,
 * n is not a multiple of the block size, or the size overflows size_t. */
GK_API size_t gk_qtype_row_bytes(gk_qtype t, size_t n);

/* ---- dequantize / quantize ------------------------------------------------------------ */

/* dst[0..n) = the n values encoded by the n / block_elems blocks at src. Bit-exact with the
 * format's reference definition (docs/formats.md) on every ISA and for any thread count; f16
 * NaN/Inf scales decode to NaN/Inf values (which NaN payload survives may differ from ggml).
 * _f16 / _bf16 round each f32 value to nearest even. src and dst may not overlap.
 * n == 0 does nothing and returns GK_OK.
 * GK_EINVAL: t is not a gk_qtype; src or dst is NULL (n > 0); n is not a multiple of
 *   gk_qtype_block_elems(t). GK_EOVERFLOW: the byte size of src or dst overflows size_t.
 * GK_EALIAS: src and dst overlap. GK_EUNSUPPORTED: this build has no decoder for t.
 * On error nothing is written. */
GK_API gk_status gk_dequantize(gk_qtype t, const void *src, float *dst, size_t n);
GK_API gk_status gk_dequantize_f16(gk_qtype t, const void *src, gk_f16 *dst, size_t n);
GK_API gk_status gk_dequantize_bf16(gk_qtype t, const void *src, gk_bf16 *dst, size_t n);

/* Encodes src[0..n) as n / block_elems blocks of type t at dst. `importance` (may be NULL) holds
 * n non-negative weights (e.g. from an imatrix) steering the search of formats that search
 * (K-quants, Q4_0..Q5_1, AWQ4/GPTQ4, SQUEEZE); formats that round directly ignore it (Q8_0,
 * Q8_1, Q8_K, TQ1_0, TQ2_0). The algorithms are those of ggml's reference quantizers
 * (quantize_row_<t>_ref without importance, quantize_<t> with it; Q8_0, Q8_1 and Q8_K exactly as
 * ggml defines them, since they quantize activations). Where ggml's weighted quantizer takes a
 * variance over a whole row, this API (which has no rows) takes it over one block.
 * Deterministic: the same input gives the same bytes on every ISA and for any thread count.
 * GK_EINVAL: t is not a gk_qtype; src or dst is NULL (n > 0); n is not a multiple of the block
 *   size; an input value is NaN or +/-Inf; an importance weight is negative, NaN or Inf.
 * GK_EOVERFLOW: a byte size overflows. GK_EALIAS: dst overlaps src or importance.
 * GK_EUNSUPPORTED: t has no quantizer in this build (only decode-only IQ formats, each with its
 *   reason in docs/formats.md). On error nothing is written. */
GK_API gk_status gk_quantize(
    gk_qtype t, const float *src, void *dst, size_t n, const float *importance);

/* ---- converters from checkpoint tensors ----------------------------------------------- */
/* Each writes out_features rows of in_features / 128 (AWQ4, GPTQ4) or in_features / 256
 * (SQUEEZE) blocks, row-major: block b of row o holds weights W[o][128 b .. 128 b + 127], the
 * same matrix y = W x the checkpoint's layer computes. Tensors are C-contiguous, in the
 * checkpoint's own shapes (given below as [rows][cols]); int32 tensors are read as raw bits.
 * dst must not overlap any input. On error nothing is written. */

/* AutoAWQ (GEMM version): qweight int32 [in][out/8], qzeros int32 [in/group][out/8], scales f16
 * [in/group][out]; group_size must be 128. AWQ packs 8 output columns per word in its
 * interleaved order: the nibble at bits 4i..4i+3 of word c holds column 8c + {0,2,4,6,1,3,5,7}[i]
 * (qzeros the same). W[o][i] = (q - z) * s.
 * GK_EINVAL: a pointer is NULL, in_features is not a multiple of 128, out_features not a
 * multiple of 8, group_size != 128. GK_EOVERFLOW, GK_EALIAS as usual. */
GK_API gk_status gk_awq4_from_autoawq(const int32_t *qweight,
                                      const int32_t *qzeros,
                                      const gk_f16 *scales,
                                      size_t in_features,
                                      size_t out_features,
                                      size_t group_size,
                                      gk_block_awq4 *dst);

/* AutoGPTQ (4-bit, checkpoint format "gptq", v1): qweight int32 [in/8][out] (input row 8r + j
 * in bits 4j..4j+3 of word r), qzeros int32 [groups][out/8] (column 8c + j in bits 4j..4j+3),
 * scales f16 [groups][out], g_idx int32 [in] (the group of each input; NULL means i / 128).
 * The stored zero is z - 1 (the v1 "+1" convention): W[o][i] = (q - (stored + 1)) * s.
 * Act-order (g_idx not non-decreasing) becomes a column permutation: perm[j] (in_features
 * entries, written) is the input index whose weights land in column j of dst, so that
 * y = dst * x_perm with x_perm[j] = x[perm[j]]; without act-order perm is the identity.
 * Every group must have exactly 128 inputs.
 * GK_EINVAL: a pointer (other than g_idx) is NULL, in_features not a multiple of 128,
 * out_features not a multiple of 8, n_groups != in_features / 128, a g_idx entry outside
 * [0, n_groups) or a group without exactly 128 members. GK_EOVERFLOW, GK_EALIAS as usual. */
GK_API gk_status gk_gptq4_from_autogptq(const int32_t *qweight,
                                        const int32_t *qzeros,
                                        const gk_f16 *scales,
                                        const int32_t *g_idx,
                                        size_t n_groups,
                                        size_t in_features,
                                        size_t out_features,
                                        gk_block_awq4 *dst,
                                        uint32_t *perm);

/* SqueezeLLM (QuantLinearLUT): qweight int32 [in * bits / 32][out], lookup_table f16
 * [out][2^bits], bits 3 or 4. Column o's codes form one little-endian bit stream over its words
 * (word r bit k is stream bit 32 r + k); input i's code is stream bits [bits*i, bits*i + bits).
 * W[o][i] = lookup_table[o][code].
 * GK_EINVAL: a pointer is NULL, bits not 3 or 4, in_features not a multiple of 256, or
 * in_features * bits not a multiple of 32. GK_EOVERFLOW, GK_EALIAS as usual. */
GK_API gk_status gk_squeeze_from_squeezellm(const int32_t *qweight,
                                            const gk_f16 *lookup_table,
                                            unsigned bits,
                                            size_t in_features,
                                            size_t out_features,
                                            gk_block_squeeze *dst);

#ifdef __cplusplus
}
#endif

#endif /* GLLMK_QUANT_H */
