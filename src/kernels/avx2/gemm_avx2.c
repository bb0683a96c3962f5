/* SPDX-License-Identifier: MIT */
/* The avx2 tier's GEMM: the 6x16 assembly microkernel (src/asm/) with the generic packing and
 * small-m kernels over vec_avx2.h. */
#include "kernels/avx2/vec_avx2.h"

#include "kernels/kernel_decls.h"

#include "kernels/generic/gemm.inc"

void gk_gemm_fill_avx2(struct gk_gemm_kernels *g)
{
    g->ukr = gk_ukr_gemm_f32_avx2_6x16;
    g->ukr_name = "gk_ukr_gemm_f32_avx2_6x16";
    g->mr = 6;
    g->nr = 16;
    g->pack = gk_gemm_pack_avx2;
    g->pack_name = "gk_gemm_pack_avx2";
    g->small = gk_gemm_small_avx2;
    g->small_name = "gk_gemm_small_avx2";
}
