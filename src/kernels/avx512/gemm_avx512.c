/* SPDX-License-Identifier: MIT */
/* The avx512 tier's GEMM: the 14x32 assembly microkernel (src/asm/) with the generic packing and
 * small-m kernels over vec_avx512.h. */
#include "kernels/avx512/vec_avx512.h"

#include "kernels/kernel_decls.h"

#include "kernels/generic/gemm.inc"

void gk_gemm_fill_avx512(struct gk_gemm_kernels *g)
{
    g->ukr = gk_ukr_gemm_f32_avx512_14x32;
    g->ukr_name = "gk_ukr_gemm_f32_avx512_14x32";
    g->mr = 14;
    g->nr = 32;
    g->split_below = 0; /* 14 + r rows would need edge tiles above GK_GEMM_EDGE_ROWS */
    g->pack = gk_gemm_pack_avx512;
    g->pack_name = "gk_gemm_pack_avx512";
    g->small = gk_gemm_small_avx512;
    g->small_name = "gk_gemm_small_avx512";
    g->small_packed = gk_gemm_small_packed_avx512;
    g->edge = gk_gemm_edge_avx512;
}
