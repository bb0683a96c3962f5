/* SPDX-License-Identifier: MIT */
/* The AVX2 tier's table fill: starts from the scalar tier, then sets every generic AVX2 body. */
#include "kernels/avx2/vec_avx2.h"

#include "kernels/kernel_decls.h"

void gk_kernels_fill_avx2(struct gk_kernels *k)
{
    gk_kernels_fill_scalar(k);
#include "kernels/set_generic.inc"
    gk_gemm_fill_avx2(&k->gemm);
    GK_KERNEL_SET(k, stream_copy, gk_stream_copy_avx2);
}
