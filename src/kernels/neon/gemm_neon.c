/* SPDX-License-Identifier: MIT */
/* The neon tier's GEMM: the 8x12 assembly microkernel (src/asm/) with the generic packing and
 * small-m kernels over vec_neon.h. */
#include "kernels/neon/vec_neon.h"

#include "kernels/kernel_decls.h"

#include "kernels/generic/gemm.inc"

void gk_gemm_fill_neon(struct gk_gemm_kernels *g)
{
    g->ukr = gk_ukr_gemm_f32_neon_8x12;
    g->ukr_name = "gk_ukr_gemm_f32_neon_8x12";
    g->mr = 8;
    g->nr = 12;
    /* three vectors per row: edges of 1-2 rows run 3-6 FMA chains, fewer than the 8 that two
     * pipes of latency 4 need (Cortex-A76 class), so they split (8 + r rows as 5 + 4, 5 + 5) */
    g->split_below = 3;
    g->pack = gk_gemm_pack_neon;
    g->pack_name = "gk_gemm_pack_neon";
    g->small = gk_gemm_small_neon;
    g->small_name = "gk_gemm_small_neon";
    g->small_packed = gk_gemm_small_packed_neon;
    g->edge = gk_gemm_edge_neon;
}
