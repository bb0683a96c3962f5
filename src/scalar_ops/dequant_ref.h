/* SPDX-License-Identifier: MIT */
/* Scalar references of block dequantization, gk_ref_dequant_<fmt>(blocks, y, n): y[0..n) = the n
 * values (n a multiple of the format's block size) of the blocks at `blocks`. Plain loops over
 * the bytes of the GGUF layout, built like every scalar reference (-O1, no vectorization, no FP
 * contraction): the JIT lifts them, and the scalar tier of these formats calls them. */
#ifndef GK_SCALAR_OPS_DEQUANT_REF_H
#define GK_SCALAR_OPS_DEQUANT_REF_H

#include <stddef.h>

/* Q8_0: 34-byte blocks of 32 values: f16 d (bytes 0..1), int8 q[32]; y = (float)q * d. */
void gk_ref_dequant_q8_0(const void *blocks, float *y, size_t n);

/* Q4_K: 144-byte blocks of 256 values: f16 d, f16 dmin, 12 bytes of 6-bit scales and mins,
 * 128 bytes of nibbles; y = (d * sc) * q - (dmin * m), each product and the difference rounded
 * to f32 in that order. */
void gk_ref_dequant_q4_k(const void *blocks, float *y, size_t n);

#endif /* GK_SCALAR_OPS_DEQUANT_REF_H */
