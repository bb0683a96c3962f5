/* SPDX-License-Identifier: MIT */
/* The NEON tier's table fill: starts from the scalar tier, then sets every generic NEON body. */
#include "kernels/neon/vec_neon.h"

#include "kernels/kernel_decls.h"

void gk_kernels_fill_neon(struct gk_kernels *k)
{
    gk_kernels_fill_scalar(k);
#include "kernels/set_generic.inc"
    gk_gemm_fill_neon(&k->gemm);
}
