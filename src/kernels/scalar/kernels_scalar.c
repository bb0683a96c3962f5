/* SPDX-License-Identifier: MIT */
/* The scalar tier's table fill: the portable fallback every other tier starts from. */
#include "kernels/scalar/vec_scalar.h"

#include "kernels/kernel_decls.h"

void gk_kernels_fill_scalar(struct gk_kernels *k)
{
#include "kernels/set_generic.inc"
    gk_gemm_fill_scalar(&k->gemm);
}
