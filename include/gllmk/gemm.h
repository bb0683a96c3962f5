/* SPDX-License-Identifier: MIT */
/* gllm-kernels: dense matrix multiplication C = alpha * op(A) * op(B) + beta * C (+ bias).
 *
 * Conventions for every function here:
 * - Row-major. op(A) is m x k, op(B) is k x n, C is m x n. Leading dimensions are in elements.
 * - f16/bf16 inputs are widened to f32 exactly while they are packed; products are accumulated in
 *   f32; an f16/bf16 output is rounded once (nearest even) from the f32 result.
 * - m == 0 or n == 0: nothing is computed or written (GK_OK). k == 0: C = beta * C (+ bias);
 *   with beta == 0, C is set to the bias (or zero). Pointers may be NULL only when the matrix
 *   they point to has no elements.
 * - beta == 0 means C is not read (NaN or garbage in C does not propagate). NaN/Inf in A or B
 *   propagate as IEEE arithmetic says (0 * Inf in the sum gives NaN).
 * - Accuracy: each element is a sum of k products accumulated in f32 in blocks of a fixed depth
 *   (the KC block size): relative error at most about k * 2^-24 of sum |a||b| (the tests bound it
 *   by 1e-5 * sqrt(k) for random inputs).
 * - Results are bitwise identical for any thread count (gk_set_num_threads): the pool splits the
 *   rows and column blocks of C, never the k dimension. They may differ between ISA levels and
 *   between the small-m path (m <= 16, B streamed once without packing) and the packed path.
 * - C must not overlap A, B or the bias (GK_EALIAS). Size products that overflow size_t give
 *   GK_EOVERFLOW. Nothing is written on any error; gk_last_error_detail() says which check
 *   failed.
 *
 * Tuning (read once, when the dispatch table is filled): GK_GEMM_MC, GK_GEMM_KC, GK_GEMM_NC set the
 * block sizes of the packed path (rows of A per L2 block, depth per block, columns of B per L3
 * block). MC is rounded down to a multiple of the microkernel's MR, NC to a multiple of NR; values
 * out of range are ignored. `gk-bench gemm-tune` sweeps them. The defaults come from the detected
 * cache sizes (src/core/gemm_blocking.c). */
#ifndef GLLMK_GEMM_H
#define GLLMK_GEMM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "types.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The general form. Fields:
 *   m, n, k          sizes of op(A) (m x k), op(B) (k x n), C (m x n)
 *   a, lda, a_dtype  A stored m x k (lda >= k), or k x m when trans_a (lda >= m)
 *   b, ldb, b_dtype  B stored k x n (ldb >= n), or n x k when trans_b (ldb >= k): the layout of
 *                    weights in GGUF files and most checkpoints ([out_features][in_features])
 *   c, ldc, c_dtype  C stored m x n (ldc >= n); c_dtype is f32 or the common input type
 *   alpha, beta      C = alpha * op(A) op(B) + beta * C (+ bias)
 *   bias             NULL, or n values of the output type added to every row after alpha/beta
 * A and B must have the same dtype (f32, f16 or bf16); bias has c_dtype.
 * Returns GK_EINVAL (NULL pointer, leading dimension too small, mixed input types, unsupported
 * output type), GK_EOVERFLOW, GK_EALIAS, GK_ENOMEM (workspace), else GK_OK. */
typedef struct gk_gemm_args {
    size_t m, n, k;
    const void *a;
    size_t lda;
    gk_dtype a_dtype;
    bool trans_a;
    const void *b;
    size_t ldb;
    gk_dtype b_dtype;
    bool trans_b;
    void *c;
    size_t ldc;
    gk_dtype c_dtype;
    float alpha;
    float beta;
    const void *bias;
} gk_gemm_args;

GK_API gk_status gk_gemm_ex(const gk_gemm_args *args);

/* C = A B with A m x k, B k x n, C m x n, all dense row-major (lda = k, ldb = ldc = n). */
GK_API gk_status
gk_gemm_f32(const float *a, const float *b, float *c, size_t m, size_t n, size_t k);
GK_API gk_status
gk_gemm_f16(const gk_f16 *a, const gk_f16 *b, gk_f16 *c, size_t m, size_t n, size_t k);
GK_API gk_status
gk_gemm_bf16(const gk_bf16 *a, const gk_bf16 *b, gk_bf16 *c, size_t m, size_t n, size_t k);

/* C = A B + bias (bias: n values, added to every row in the microkernel's epilogue). */
GK_API gk_status gk_gemm_bias_f32(
    const float *a, const float *b, const float *bias, float *c, size_t m, size_t n, size_t k);
GK_API gk_status gk_gemm_bias_f16(
    const gk_f16 *a, const gk_f16 *b, const gk_f16 *bias, gk_f16 *c, size_t m, size_t n, size_t k);
GK_API gk_status gk_gemm_bias_bf16(const gk_bf16 *a,
                                   const gk_bf16 *b,
                                   const gk_bf16 *bias,
                                   gk_bf16 *c,
                                   size_t m,
                                   size_t n,
                                   size_t k);

/* Prepacked B (weights packed once, used by every call).
 *
 * gk_pack_b_size_f32 returns the bytes of the packed buffer for a k x n matrix B (0 if the size
 * overflows). gk_pack_b_f32 packs B (row-major k x n, ldb = n) into `packed_b` (at least that many
 * bytes, aligned to at least 4 bytes, else GK_EINVAL; 64 is fastest). The layout belongs to the
 * active ISA level: a 64-byte header (magic, format version, ISA level, panel width NR, depth
 * block KC, n, k, and a checksum of those fields) followed by the panels the microkernel reads
 * directly.
 *
 * gk_gemm_prepacked_f32 computes C = A B with A m x k (row-major) from such a buffer. A buffer
 * packed for another ISA level, panel width, n or k, or one whose header is damaged, gives
 * GK_EINVAL. The checksum covers the header, not the panels: packing is trusted, not re-verified
 * on every call (that would cost a full pass over the weights). */
GK_API size_t gk_pack_b_size_f32(size_t n, size_t k);
GK_API gk_status gk_pack_b_f32(const float *b, void *packed_b, size_t n, size_t k);
GK_API gk_status
gk_gemm_prepacked_f32(const float *a, const void *packed_b, float *c, size_t m, size_t n, size_t k);

#ifdef __cplusplus
}
#endif

#endif /* GLLMK_GEMM_H */
