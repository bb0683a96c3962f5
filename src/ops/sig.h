/* SPDX-License-Identifier: MIT */
/* Signature classes of the op table (src/ops/ops.def): the kernel prototype each class fixes. */
#ifndef GK_OPS_SIG_H
#define GK_OPS_SIG_H

#include <stddef.h>

#include "gllmk/types.h"

/* gk_ctype_<suffix>: the storage type of each element type of src/core/dtypes.def. */
#define GK_DTYPE(suffix, ctype, value) typedef ctype gk_ctype_##suffix;
#include "core/dtypes.def"
#undef GK_DTYPE

/* CVT: dst[i] = convert(src[i]) for i < n; src and dst never overlap. */
#define GK_SIG_CVT(name, src, dst) \
    void(name)(const gk_ctype_##src *restrict src_ptr, gk_ctype_##dst *restrict dst_ptr, size_t n)

#endif /* GK_OPS_SIG_H */
