/* SPDX-License-Identifier: MIT */
/* The scalar references: gk_ref_<op> for every op of src/ops/ops.def, with the kernel's
 * signature. They are the oracle of every kernel test and the functions the JIT lifts; they are
 * built at -O1 without vectorization or FP contraction, and call nothing but src/core. */
#ifndef GK_SCALAR_OPS_REF_H
#define GK_SCALAR_OPS_REF_H

#include "ops/sig.h"

#define GK_OP(op, family, sig, src, dst, tol) GK_KSIG_##sig(gk_ref_##op, src, dst);
#include "ops/ops.def"
#undef GK_OP

#endif /* GK_SCALAR_OPS_REF_H */
