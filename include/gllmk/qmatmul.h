/* SPDX-License-Identifier: MIT */
/* gllm-kernels: matrix products with quantized weights (token generation's GEMV chain).
 *
 * Weights W are GGUF-shaped: n rows (outputs) of k weights (inputs); each row is k / block_elems
 * consecutive blocks of a gk_qtype (gllmk/quant.h), rows contiguous (row r starts at byte
 * r * gk_qtype_row_bytes(t, k)). Activations and results are f32, row-major.
 *
 * How it computes: each activation row is quantized once per call to the 8-bit form that
 * matches the weights (Q8_K for the K-quants, the ternary formats and the 256-value IQ formats,
 * Q8_0 for the other 32-value formats, IQ4_NL, AWQ4 and GPTQ4, Q8_1 for Q4_1/Q5_1 whose dot needs
 * the block sums), and dotted with the weight blocks in integer arithmetic; per block the integer
 * sum is scaled in f32. Q8_0, Q4_K, Q5_K, Q6_K and IQ4_XS (AVX2) decode each weight block once
 * for four tokens. The formats without an integer dot kernel (Q8_1, SQUEEZE) dequantize a block at
 * a time and dot it in f32 against the unquantized activation. From 32 tokens on (for a format
 * with a four-token kernel: from where that kernel was measured slower, src/quant/qdot.h),
 * gk_qgemm instead dequantizes W a panel of rows at a time and multiplies it with the f32 GEMM
 * (gllmk/gemm.h), whose FMA throughput beats decoding every weight block once per token; the
 * activations are then not quantized.
 *
 * Accuracy (tests/test_qmatmul.c checks it against dequantize-then-double on every ISA): with
 * w_i the dequantized weights and x_i the activations, for every output
 *   |y - sum_i w_i x_i| <= sum over activation blocks B of (sum_{i in B} |w_i|) * 0.57 d_B
 *                          + 2^-20 * sum_i |w_i x_i|
 * where d_B is the block's activation scale (max |x_i| / 127 over B; the 0.57 covers the
 * rounding to the nearest level, half a step, plus Q8_0's f16 scale rounding). Formats on the
 * f32 path have no quantization term; the many-token path has none either, and the GEMM's bound
 * (about k 2^-24 of sum |w_i x_i|) instead of the 2^-20 term. Results are bit-identical for any
 * thread count; across ISAs they are bit-identical for the K-quants, the ternary and IQ formats,
 * AWQ4 and GPTQ4 (same integer sums, same f32 operations in the same order) and within the bound
 * for Q4_0, Q4_1, Q5_0, Q5_1 and Q8_0 (the order of the f32 block sums differs).
 *
 * Threads: outputs are split over the pool in fixed chunks of rows; each output is computed by
 * the same sequence of operations whatever the thread count.
 *
 * GPTQ act-order: gk_gptq4_from_autogptq permutes the weight columns; pass x permuted the same
 * way (x_perm[j] = x[perm[j]]). */
#ifndef GLLMK_QMATMUL_H
#define GLLMK_QMATMUL_H

#include <stddef.h>

#include "quant.h"
#include "types.h"

#ifdef __cplusplus
extern "C" {
#endif

/* y[n] = W x, W n x k of type t, x[k].
 * GK_EINVAL: t is not a gk_qtype; w, x or y is NULL (n, k > 0); k is not a multiple of
 *   gk_qtype_block_elems(t); an activation is NaN or infinite (activations are quantized, and a
 *   non-finite value has no 8-bit code). GK_EOVERFLOW: the size of W overflows. GK_EALIAS: y
 * overlaps w or x. GK_ENOMEM: the activation buffer could not be allocated. n == 0 does nothing; k
 * == 0 writes zeros. On error nothing is written. */
GK_API gk_status gk_qgemv(gk_qtype t, const void *w, const float *x, float *y, size_t n, size_t k);

/* Y[m x n] = X[m x k] W^T: m tokens at once; W is read once per tile of rows, not per token.
 * Errors as gk_qgemv (X is m x k, Y is m x n); m == 0 does nothing. */
GK_API gk_status
gk_qgemm(gk_qtype t, const void *w, const float *x, float *y, size_t m, size_t n, size_t k);

/* The general form: Y = beta Y + X W^T + bias, with leading dimensions (in elements, ldx >= k,
 * ldy >= n) and an optional bias of n entries (NULL for none). beta is 0 (Y is only written:
 * NaN in Y does not propagate) or any other value (Y is read). */
typedef struct gk_qgemm_args {
    gk_qtype type;
    const void *w;     /* n rows of k / block_elems blocks */
    const float *x;    /* m rows, row stride ldx */
    float *y;          /* m rows, row stride ldy */
    const float *bias; /* n entries, or NULL */
    size_t m, n, k, ldx, ldy;
    float beta;
} gk_qgemm_args;

/* GK_EINVAL also for args == NULL, ldx < k or ldy < n (m > 1 only: a single row needs no
 * stride). GK_EALIAS: Y overlaps W, X or bias. */
GK_API gk_status gk_qgemm_ex(const gk_qgemm_args *args);

/* Packed weights: a one-time repacking of W into groups of 8 rows whose codes the kernels read
 * with no shuffling, one row per 32-bit lane (Q4_0..Q5_1, Q8_0, IQ4_NL, TQ1_0, TQ2_0,
 * Q2_K..Q6_K and every IQ format: their one-row kernels are bound by decoding, the packed ones
 * much less; on AVX2 the packed kernels also take four tokens per pass, for gk_qgemm_packed with
 * m >= 4). The layout is private
 * (src/quant/qpack.h) and the same on every ISA level; a 64-byte header (magic, version, type, n,
 * k and their checksum) lets gk_qgemm_packed reject a buffer that is not one, or is for other
 * sizes. Packed Q4_0..Q5_1, Q8_0, IQ4_NL, TQ2_0, Q2_K and Q6_K take 64 bytes more than W, packed
 * Q3_K 3.6%, Q4_K 2.8%, Q5_K 2.3% and IQ4_XS 1.5% more (their scales are stored decoded); TQ1_0 is
 * decoded into TQ2_0's 2-bit codes, 22% more bytes, for half the time. IQ1_S, IQ1_M, IQ2_XXS,
 * IQ2_XS, IQ2_S, IQ3_XXS and IQ3_S are decoded into small integer values (their grid lookups done
 * once): IQ1 into a 2-bit grid code per weight and its group's delta sign, 75 (IQ1_S) or 78 (IQ1_M)
 * bytes per 256 weights (IQ1_S 1.50x, IQ1_M 1.39x the bytes of W), IQ2 into a 2-bit magnitude and a
 * sign bit per weight, 106 bytes per 256 weights (IQ2_XXS 1.61x, IQ2_XS 1.43x, IQ2_S 1.29x), IQ3
 * into 4-bit codes, 138 bytes per 256 weights (IQ3_XXS 1.41x, IQ3_S 1.25x), for 2.3x to 4.3x less
 * time than gk_qgemv (1 thread, Zen 3).
 *
 * gk_qpack_size: the bytes gk_qpack writes for n x k weights of type t; 0 if t has no packed
 * layout, k is not a multiple of its block or the size overflows.
 * gk_qpack: packs W (GGUF-shaped, as for gk_qgemv) into `packed` (packed_bytes long).
 * GK_EUNSUPPORTED: t has no packed layout. GK_EINVAL: t is not a gk_qtype, k is not a multiple of
 * the block, w or packed is NULL, packed_bytes is below gk_qpack_size. GK_EOVERFLOW: the sizes
 * overflow. GK_EALIAS: packed overlaps w. On error nothing is written.
 * gk_qgemm_packed: Y[m x n] = X[m x k] W^T from packed W. Results are identical on every ISA
 * level and thread count and within gk_qgemv's bound of the exact product. Packed K-quants, TQ2_0
 * and IQ4_XS give exactly gk_qgemv's bits; packed TQ1_0 sums its blocks in one f32 chain, not
 * gk_qgemv's four, packed IQ1_S..IQ3_S too (gk_qgemv keeps 8 or 4 partial sums), and the packed
 * 32-value formats accumulate the per-block sums with fused multiply-adds, so they may differ
 * from gk_qgemm in the last bits. GK_EINVAL: packed is
 * NULL, not a packed buffer, or packed for other n or k; x or y is NULL (m, n, k > 0); an
 * activation is not finite. GK_EALIAS: y overlaps packed or x. */
GK_API size_t gk_qpack_size(gk_qtype t, size_t n, size_t k);
GK_API gk_status
gk_qpack(gk_qtype t, const void *w, size_t n, size_t k, void *packed, size_t packed_bytes);
GK_API gk_status
gk_qgemm_packed(const void *packed, const float *x, float *y, size_t m, size_t n, size_t k);

/* The named entry points: thin wrappers of gk_qgemv / gk_qgemm for one format or family.
 * gk_gemv_q8: Q8_0; gk_gemv_q4: Q4_0; gk_gemv_q2: TQ2_0; gk_gemv_q1: TQ1_0 (y = W x, n x k).
 * gk_gemm_q8 / gk_gemm_q4: Q8_0 / Q4_0 (Y = X W^T, m x n x k).
 * gk_kquant_matmul: any K-quant (Q2_K..Q8_K; GK_EINVAL for another type); gk_iq_matmul: any IQ
 * format; gk_awq_matmul, gk_gptq_matmul, gk_squeeze_matmul: those formats. All take m tokens. */
GK_API gk_status gk_gemv_q8(const void *w, const float *x, float *y, size_t n, size_t k);
GK_API gk_status gk_gemv_q4(const void *w, const float *x, float *y, size_t n, size_t k);
GK_API gk_status gk_gemv_q2(const void *w, const float *x, float *y, size_t n, size_t k);
GK_API gk_status gk_gemv_q1(const void *w, const float *x, float *y, size_t n, size_t k);
GK_API gk_status gk_gemm_q8(const void *w, const float *x, float *y, size_t m, size_t n, size_t k);
GK_API gk_status gk_gemm_q4(const void *w, const float *x, float *y, size_t m, size_t n, size_t k);
GK_API gk_status
gk_kquant_matmul(gk_qtype t, const void *w, const float *x, float *y, size_t m, size_t n, size_t k);
GK_API gk_status
gk_iq_matmul(gk_qtype t, const void *w, const float *x, float *y, size_t m, size_t n, size_t k);
GK_API gk_status
gk_awq_matmul(const void *w, const float *x, float *y, size_t m, size_t n, size_t k);
GK_API gk_status
gk_gptq_matmul(const void *w, const float *x, float *y, size_t m, size_t n, size_t k);
GK_API gk_status
gk_squeeze_matmul(const void *w, const float *x, float *y, size_t m, size_t n, size_t k);

#ifdef __cplusplus
}
#endif

#endif /* GLLMK_QMATMUL_H */
