/* SPDX-License-Identifier: MIT */
/* The scalar tier's GEMM: a 4x4 microkernel in plain C, and the generic packing and small-m
 * kernels over the one-lane vocabulary. */
#include "kernels/scalar/vec_scalar.h"

#include "kernels/kernel_decls.h"

#include "kernels/generic/gemm.inc"

enum { GK_SCALAR_MR = 4, GK_SCALAR_NR = 4 };

void gk_ukr_gemm_f32_scalar_4x4(size_t k,
                                const float *restrict a,
                                const float *restrict b,
                                float *restrict c,
                                size_t ldc,
                                const struct gk_gemm_epilogue *ep)
{
    float acc[GK_SCALAR_MR][GK_SCALAR_NR] = {{0.0f}};
    for (size_t p = 0; p < k; p++)
        for (size_t i = 0; i < GK_SCALAR_MR; i++)
            for (size_t j = 0; j < GK_SCALAR_NR; j++)
                acc[i][j] = fmaf(a[p * GK_SCALAR_MR + i], b[p * GK_SCALAR_NR + j], acc[i][j]);
    for (size_t i = 0; i < GK_SCALAR_MR; i++) {
        for (size_t j = 0; j < GK_SCALAR_NR; j++) {
            float v = ep->alpha * acc[i][j];
            if (ep->beta != 0.0f) v = fmaf(ep->beta, c[i * ldc + j], v);
            if (ep->bias) v += ep->bias[j];
            c[i * ldc + j] = v;
        }
    }
}

void gk_gemm_fill_scalar(struct gk_gemm_kernels *g)
{
    g->ukr = gk_ukr_gemm_f32_scalar_4x4;
    g->ukr_name = "gk_ukr_gemm_f32_scalar_4x4";
    g->mr = GK_SCALAR_MR;
    g->nr = GK_SCALAR_NR;
    g->split_below = 0; /* the reference tier keeps the plain panels */
    g->pack = gk_gemm_pack_scalar;
    g->pack_name = "gk_gemm_pack_scalar";
    g->small = gk_gemm_small_scalar;
    g->small_name = "gk_gemm_small_scalar";
    g->small_packed = gk_gemm_small_packed_scalar;
    g->edge = gk_gemm_edge_scalar;
}
