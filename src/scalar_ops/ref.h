/* SPDX-License-Identifier: MIT */
/* The scalar references: gk_ref_<op> for every op of src/ops/ops.def, with the kernel's
 * signature. They are the oracle of every kernel test and the functions the JIT lifts; they are
 * built at -O1 without vectorization or FP contraction, and call nothing but src/core. */
#ifndef GK_SCALAR_OPS_REF_H
#define GK_SCALAR_OPS_REF_H

#include "ops/sig.h"

#define GK_OP(op, family, sig, src, dst, tol) GK_SIG_##sig(gk_ref_##op, src, dst);
#include "ops/ops.def"
#undef GK_OP

/* C = A B, row-major, A m x k, B k x n, C m x n, dense: a plain triple loop, each element one
 * f32 sum over p in order (the JIT lifts it as the GEMM pattern; keep this signature). */
void gk_ref_gemm_f32(const float *a, const float *b, float *c, size_t m, size_t n, size_t k);

#endif /* GK_SCALAR_OPS_REF_H */
