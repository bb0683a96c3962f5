/* SPDX-License-Identifier: MIT */
/* Element-type helpers shared by the kernel tests: widen_<t> (elements of type t to floats,
 * exactly), from_f32_<t> (floats rounded to type t, as the library rounds), GK_IS_F32_<t>, for
 * every type of src/core/dtypes.def. Arrays are passed as void * so that tests can hold ops of
 * every type in one table. */
#ifndef GK_TEST_DTYPES_H
#define GK_TEST_DTYPES_H

#include <stdbool.h>
#include <stddef.h>

#include "core/half.h"
#include "ops/sig.h"

#define GK_TEST_DTYPE_HELPERS(t)                                       \
    static inline void widen_##t(const void *p, float *y, size_t n)    \
    {                                                                  \
        const gk_ctype_##t *x = p;                                     \
        for (size_t i = 0; i < n; i++)                                 \
            y[i] = gk_load_##t(x + i);                                 \
    }                                                                  \
    static inline void from_f32_##t(const float *x, void *p, size_t n) \
    {                                                                  \
        gk_ctype_##t *y = p;                                           \
        for (size_t i = 0; i < n; i++)                                 \
            gk_store_##t(y + i, x[i]);                                 \
    }
GK_TEST_DTYPE_HELPERS(f32)
GK_TEST_DTYPE_HELPERS(f16)
GK_TEST_DTYPE_HELPERS(bf16)
#undef GK_TEST_DTYPE_HELPERS

#define GK_IS_F32_f32  true
#define GK_IS_F32_f16  false
#define GK_IS_F32_bf16 false

#endif /* GK_TEST_DTYPES_H */
