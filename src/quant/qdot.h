/* SPDX-License-Identifier: MIT */
/* Quantized dot products: the kernels behind gk_qgemv / gk_qgemm (src/quant/qmatmul.c).
 *
 * A weight row is dotted with an activation row quantized to the 8-bit form its format pairs
 * with (gk_qact_of): integer sums per block, scaled in f32. Each kernel computes n_rows dots of
 * consecutive weight rows (row r at byte w + r * w_stride) with one activation row:
 *   void gk_qdot_<fmt>_<tier>(const void *w, size_t w_stride, const void *xq, size_t n_blocks,
 *                             float *y, size_t n_rows);
 * n_blocks weight blocks per row; xq holds the matching activation blocks (for Q8_K one per
 * weight block; for Q8_0 / Q8_1 one per 32 values). Kernels trust their arguments.
 * Each NEON kernel is built twice from one source: gk_qdot_<fmt>_neon (ARMv8-A) and
 * gk_qdot_<fmt>_neon_dotprod (SDOT, ARMv8.2-A dot-product extension), giving the same bits;
 * gk_qmm_kernels_of picks the second on CPUs with ASIMDDP (src/kernels/neon/qdot_neon.h).
 *
 * The arithmetic each kernel must reproduce is that of the scalar tier (qdot_scalar.c):
 * - K-quants: per super-block, the integer sums isum (sum of scale * q * xq) and, for formats
 *   with mins, msum (sum of min * activation block sum), exactly; then in f32, in this order,
 *   acc += (d_w * d_x) * (float)isum - (dmin_w * d_x) * (float)msum. Every tier produces the same
 *   bits.
 * - IQ2_XXS, IQ2_XS, IQ2_S: the exact integer sums kept in eight lanes (the layout of a 256-bit
 *   register), scaled and accumulated in f32 per lane, the lanes summed once per row in a fixed
 *   order (src/quant/qdot_iq2_scalar.c). Every tier produces the same bits.
 * - IQ4_NL, IQ3_XXS, IQ3_S, TQ1_0, IQ1_S, IQ1_M: each block's exact integer sum, times
 *   (d_w * d_x) in f32, added to one of four partial sums (block i to sum i % 4), the four summed
 *   as (s0 + s1) + (s2 + s3) at the end of the row (src/quant/qdot_iq3_scalar.c). Every tier
 *   produces the same bits.
 * - The other 32-value formats (Q4_0, Q4_1, Q5_0, Q5_1, Q8_0): per block the integer sum, times
 *   (d_w * d_x) in f32, added to the row sum; the x86 SIMD tiers keep one partial sum per lane
 *   (AVX2 Q8_0, Q4_0 and Q5_0: two, for the even and the odd blocks; qdot_side_avx2.h), so their
 *   results differ from the scalar tier's within the bound of gllmk/qmatmul.h. NEON keeps the
 *   scalar tier's one sum per row, and its bits. */
#ifndef GK_QUANT_QDOT_H
#define GK_QUANT_QDOT_H

#include <stddef.h>
#include <stdint.h>

#include "core/cpu.h"
#include "quant/blocks.h"
#include "quant/traits.h"

/* acc + (d_w d_x) isum - (dmin_w d_x) msum: the f32 steps of a K-quant super-block, one
 * rounding per operation, shared by every tier so that all give the same bits. */
static inline float
gk_qdot_kquant_step(float acc, float d_w, float dmin_w, float d_x, int32_t isum, int32_t msum)
{
    const float scaled = d_w * d_x * (float)isum;
    const float mins = dmin_w * d_x * (float)msum;
    return acc + (scaled - mins);
}

/* Quantizes one activation row of n_blocks blocks of the form (bit-exact with
 * gk_quant_<form>_scalar on every tier). */
typedef void (*gk_qact_fn)(const float *x, void *xq, size_t n_blocks);

/* Prototypes of the dot kernels, from the act and dot columns of src/quant/formats.def. */
#define GK_QDOT_PROTO(kern, tier)                                                                 \
    void gk_qdot_##kern##_##tier(const void *w, size_t w_stride, const void *xq, size_t n_blocks, \
                                 float *y, size_t n_rows);
#define GK_QDOT_PROTO_V(kern, tier) GK_QDOT_PROTO(kern, tier)
#define GK_QDOT_PROTO_S(kern, tier)
#define GK_QDOT_PROTO_N(kern, tier)
#define GK_QDOT_PROTO_NONE(kern)
#define GK_QDOT_PROTO_Q8_0(kern) GK_QDOT_PROTO(kern, scalar)
#define GK_QDOT_PROTO_Q8_1(kern) GK_QDOT_PROTO(kern, scalar)
#define GK_QDOT_PROTO_Q8_K(kern) GK_QDOT_PROTO(kern, scalar)
/* a NEON kernel and its SDOT build */
#define GK_QDOT_PROTO_NEON_V(kern) GK_QDOT_PROTO(kern, neon) GK_QDOT_PROTO(kern, neon_dotprod)
#define GK_QDOT_PROTO_NEON_S(kern)
#define GK_QDOT_PROTO_NEON_N(kern)
#define GK_QFORMAT(fmt, NAME, gguf, elems, bytes, group, quant, deq_avx2, deq_avx512, deq_neon, \
                   kern, act_fmt, dot_avx2, dot_avx512, dot_neon)                               \
    GK_QDOT_PROTO_##act_fmt(kern) GK_QDOT_PROTO_##dot_avx2(kern, avx2)                          \
        GK_QDOT_PROTO_##dot_avx512(kern, avx512) GK_QDOT_PROTO_NEON_##dot_neon(kern)
#include "quant/formats.def"
#undef GK_QFORMAT

/* Activation quantizers of the SIMD tiers, bit-exact with gk_quant_<form>_scalar (the scalar
 * tier's quantizers): GK_QACT(form, NAME, avx2, avx512, neon), V if the tier has
 * gk_qact_<form>_<tier>, S if it uses the next lower tier's. */
#define GK_QACT_FORMS(GK_QACT)   \
    GK_QACT(q8_0, Q8_0, V, S, V) \
    GK_QACT(q8_1, Q8_1, V, S, V) \
    GK_QACT(q8_k, Q8_K, V, S, V)

#define GK_QACT_PROTO(form, tier) \
    void gk_qact_##form##_##tier(const float *x, void *xq, size_t n_blocks);
#define GK_QACT_PROTO_V(form, tier) GK_QACT_PROTO(form, tier)
#define GK_QACT_PROTO_S(form, tier)
#define GK_QACT_DECLARE(form, NAME, has_avx2, has_avx512, has_neon)               \
    GK_QACT_PROTO_##has_avx2(form, avx2) GK_QACT_PROTO_##has_avx512(form, avx512) \
        GK_QACT_PROTO_##has_neon(form, neon)
GK_QACT_FORMS(GK_QACT_DECLARE)
#undef GK_QACT_DECLARE

/* Four tokens per pass over the weights (gk_qgemm with m > 1): the weight codes and scales of a
 * block are decoded once and dotted with four activation rows, which the single-token kernel
 * would decode four times. Token t's activation row starts at xq + t * xq_stride; the dot of
 * weight row r with it goes to y[t * ldy + r]. Each output has the bits of the format's
 * single-token kernel (the same integer sums and f32 steps per block):
 *   void gk_qdot4_<kern>_<tier>(const void *w, size_t w_stride, const void *xq,
 *                               size_t xq_stride, size_t n_blocks, float *y, size_t ldy,
 *                               size_t n_rows);
 * GK_QDOT4(kern, NAME, avx2, avx512, neon, gemm_min_m): V if the tier has one, S if it uses the
 * next lower tier's, N if it has none (gk_qgemm then calls the single-token kernel per token);
 * like the single-token kernels, each NEON one is built twice, gk_qdot4_<kern>_neon and
 * gk_qdot4_<kern>_neon_dotprod (SDOT, the same bits), the second chosen on CPUs with ASIMDDP.
 * gemm_min_m: from this many tokens on the dequantize-and-GEMM path is faster (0: at no m
 * measured, up to 512). NEON uses the same values, unmeasured (only qemu was at hand). Measured
 * on Zen 3, 1 thread, W 4096 x 4096, one build with each path forced, in separate processes
 * (minimum of 2 x 3 calls), after the GEMM path stopped allocating its panel per call (a89c744);
 * time four-token / GEMM: Q8_0 0.85 at m = 48, 1.14 at 64; Q4_0 0.87 at 32, 0.99 at 48, 1.14 at
 * 96; Q5_0 1.02 at 32, 1.16 at 48; Q6_K 0.72 at 64, 0.82 at 128, 0.77 at 512; IQ4_XS 0.88 at 128,
 * 0.98 at 256, 1.02 at 512; Q4_K 0.74 at 256, 0.66 at 512. Q2_K, Q3_K and TQ2_0 (AVX2), against
 * what they had before their four-token kernels (the one-token kernel per token below m = 32, the
 * GEMM path from there), time after / before: Q2_K 0.54 at m = 8, 0.43 at 32, 0.75 at 128, 0.80
 * at 512; Q3_K 0.38, 0.67, 0.83, 0.93; TQ2_0 0.66 at 8, 0.32 at 32, 0.52 at 128; the IQ2 formats
 * 0.32-0.45 at 8, 0.60-0.84 at 32, but 1.18-1.41 at 128 (IQ2_XXS, IQ2_XS; the GEMM path): GEMM from
 * 64, between the two measured points. */
enum { GK_QDOT4_TOKENS = 4 };

typedef void (*gk_qdot4_fn)(const void *w,
                            size_t w_stride,
                            const void *xq,
                            size_t xq_stride,
                            size_t n_blocks,
                            float *y,
                            size_t ldy,
                            size_t n_rows);
#define GK_QDOT4_FORMS(GK_QDOT4)            \
    GK_QDOT4(q8_0, Q8_0, V, S, V, 64)       \
    GK_QDOT4(q4_0, Q4_0, V, S, V, 40)       \
    GK_QDOT4(q5_0, Q5_0, V, S, V, 32)       \
    GK_QDOT4(q2_k, Q2_K, V, S, V, 0)        \
    GK_QDOT4(q3_k, Q3_K, V, S, V, 0)        \
    GK_QDOT4(tq2_0, TQ2_0, V, S, V, 0)      \
    GK_QDOT4(iq2_xxs, IQ2_XXS, V, S, N, 64) \
    GK_QDOT4(iq2_xs, IQ2_XS, V, S, N, 64)   \
    GK_QDOT4(iq2_s, IQ2_S, V, S, N, 64)     \
    GK_QDOT4(q4_k, Q4_K, V, S, V, 0)        \
    GK_QDOT4(q5_k, Q5_K, V, S, V, 0)        \
    GK_QDOT4(q6_k, Q6_K, V, S, V, 0)        \
    GK_QDOT4(iq4_xs, IQ4_XS, V, S, V, 512)

#define GK_QDOT4_PROTO(kern, tier)                                                         \
    void gk_qdot4_##kern##_##tier(const void *w, size_t w_stride, const void *xq,          \
                                  size_t xq_stride, size_t n_blocks, float *y, size_t ldy, \
                                  size_t n_rows);
#define GK_QDOT4_PROTO_V(kern, tier) GK_QDOT4_PROTO(kern, tier)
#define GK_QDOT4_PROTO_S(kern, tier)
#define GK_QDOT4_PROTO_N(kern, tier)
/* a NEON kernel and its SDOT build (src/kernels/neon/qdot4_neon.c) */
#define GK_QDOT4_PROTO_NEON_V(kern) GK_QDOT4_PROTO(kern, neon) GK_QDOT4_PROTO(kern, neon_dotprod)
#define GK_QDOT4_PROTO_NEON_S(kern)
#define GK_QDOT4_PROTO_NEON_N(kern)
#define GK_QDOT4_DECLARE(kern, NAME, has_avx2, has_avx512, has_neon, gemm_min_m)    \
    GK_QDOT4_PROTO_##has_avx2(kern, avx2) GK_QDOT4_PROTO_##has_avx512(kern, avx512) \
        GK_QDOT4_PROTO_NEON_##has_neon(kern)
GK_QDOT4_FORMS(GK_QDOT4_DECLARE)
#undef GK_QDOT4_DECLARE

/* From this many tokens on, gk_qgemm multiplies dequantized panels of W by the f32 GEMM, unless
 * the format has a four-token kernel on the tier (then its gemm_min_m applies). gk_qmm_uses_gemm
 * says which path gk_qgemm takes (qmatmul.c; tests and gk-bench use it). */
enum { GK_QMM_GEMM_MIN_M = 32 };

bool gk_qmm_uses_gemm(gk_qtype t, gk_isa isa, size_t m);

/* The kernels gk_qgemm uses for type t on tier isa (each from the nearest tier at or below isa
 * that has one): the dot kernel and the activation quantizer with its block size. False (and
 * *out zeroed) for a format on the f32 path. Defined in qmatmul.c; tests and gk-bench use it. */
struct gk_qmm_kernels {
    gk_qdot_fn dot;
    gk_qdot4_fn dot4;       /* NULL if the format has no four-token kernel on the tier */
    size_t dot4_gemm_min_m; /* with dot4: GEMM from this m on (0: never) */
    gk_qact_fn quantize;
    gk_qtype act; /* the activation's format */
    size_t act_block_elems, act_block_bytes;
};

bool gk_qmm_kernels_of(gk_qtype t, gk_isa isa, struct gk_qmm_kernels *out);

#endif /* GK_QUANT_QDOT_H */
