/* SPDX-License-Identifier: MIT */
/* The scalar tier's table fill: the portable fallback every other tier starts from. */
#include "kernels/scalar/vec_scalar.h"

#include "kernels/kernel_decls.h"

#include <string.h>

/* No non-temporal stores in portable C (NEON keeps this too: STNP is only a hint there). */
void gk_stream_copy_scalar(void *dst, const void *src, size_t bytes)
{
    memcpy(dst, src, bytes);
}

void gk_kernels_fill_scalar(struct gk_kernels *k)
{
#include "kernels/set_generic.inc"
    gk_gemm_fill_scalar(&k->gemm);
    GK_KERNEL_SET(k, stream_copy, gk_stream_copy_scalar);
}
