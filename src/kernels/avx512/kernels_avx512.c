/* SPDX-License-Identifier: MIT */
/* The AVX-512 tier's table fill: starts from the AVX2 tier, then sets every generic AVX-512 body.
 */
#include "kernels/avx512/vec_avx512.h"

#include "kernels/kernel_decls.h"

void gk_kernels_fill_avx512(struct gk_kernels *k)
{
    gk_kernels_fill_avx2(k);
#include "kernels/set_generic.inc"
    gk_gemm_fill_avx512(&k->gemm);
}
