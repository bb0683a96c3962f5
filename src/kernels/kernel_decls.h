/* SPDX-License-Identifier: MIT */
/* Names and prototypes of one ISA tier's kernels. Include after defining GK_ISA_SUFFIX (done by
 * each tier's vocabulary header): declares gk_<op>_<isa> for every op of src/ops/ops.def. */
#ifndef GK_KERNELS_KERNEL_DECLS_H
#define GK_KERNELS_KERNEL_DECLS_H

#include "core/kernels.h"
#include "ops/sig.h"

#ifndef GK_ISA_SUFFIX
#    error "define GK_ISA_SUFFIX (include the tier's vec_<isa>.h) before kernel_decls.h"
#endif

/* GK_KNAME(op) -> gk_<op>_<isa>, the kernel's symbol. */
#define GK_KNAME(op)            GK_KNAME_EXPAND_(op, GK_ISA_SUFFIX)
#define GK_KNAME_EXPAND_(op, i) GK_KNAME_PASTE_(op, i)
#define GK_KNAME_PASTE_(op, i)  gk_##op##_##i

#define GK_OP(op, family, sig, src, dst, tol) GK_KSIG_##sig(GK_KNAME(op), src, dst);
#include "ops/ops.def"
#undef GK_OP

/* GEMM: the tier's microkernels (declared here, defined in C or in src/asm/<arch>/) and the
 * function that fills the tier's GEMM section (gemm_<isa>.c). */
#include "core/gemm_kernels.h"

void gk_ukr_gemm_f32_scalar_4x4(size_t k,
                                const float *a,
                                const float *b,
                                float *c,
                                size_t ldc,
                                const struct gk_gemm_epilogue *ep);
void gk_ukr_gemm_f32_avx2_6x16(size_t k,
                               const float *a,
                               const float *b,
                               float *c,
                               size_t ldc,
                               const struct gk_gemm_epilogue *ep);
void gk_ukr_gemm_f32_avx512_14x32(size_t k,
                                  const float *a,
                                  const float *b,
                                  float *c,
                                  size_t ldc,
                                  const struct gk_gemm_epilogue *ep);
void gk_ukr_gemm_f32_neon_8x12(size_t k,
                               const float *a,
                               const float *b,
                               float *c,
                               size_t ldc,
                               const struct gk_gemm_epilogue *ep);
/* core/kernels.h stream_copy: memcpy (scalar, NEON) or non-temporal stores (x86). */
void gk_stream_copy_scalar(void *dst, const void *src, size_t bytes);
void gk_stream_copy_avx2(void *dst, const void *src, size_t bytes);

void gk_gemm_fill_scalar(struct gk_gemm_kernels *g);
void gk_gemm_fill_avx2(struct gk_gemm_kernels *g);
void gk_gemm_fill_avx512(struct gk_gemm_kernels *g);
void gk_gemm_fill_neon(struct gk_gemm_kernels *g);

#endif /* GK_KERNELS_KERNEL_DECLS_H */
