/* SPDX-License-Identifier: MIT */
/* What the NEON integer dot kernels (qdot_neon.c, qdot4_neon.c, qdot_iq2_neon.c, qdot_iq3_neon.c)
 * share: the byte dot product and the name of the build they are in.
 *
 * Those files are compiled twice (CMakeLists.txt, target gk_kernels_neon_dotprod): for baseline
 * ARMv8-A, and with -march=armv8.2-a+dotprod, which defines __ARM_FEATURE_DOTPROD. The second
 * build's kernels use SDOT (four int8 products summed into each int32 lane, one instruction for
 * what SMULL + SMLAL2 + SADALP do in three) and are named gk_qdot_<fmt>_neon_dotprod (the
 * four-token kernels gk_qdot4_<fmt>_neon_dotprod);
 * src/quant/qmatmul.c selects them on CPUs with the dot-product extension (HWCAP ASIMDDP). Both
 * builds form the same exact int32 sums, so they give the same bits. */
#ifndef GK_KERNELS_NEON_QDOT_NEON_H
#define GK_KERNELS_NEON_QDOT_NEON_H

#include <arm_neon.h>

#ifdef __ARM_FEATURE_DOTPROD
#    define GK_QN_KERNEL(fmt)  gk_qdot_##fmt##_neon_dotprod
#    define GK_QN4_KERNEL(fmt) gk_qdot4_##fmt##_neon_dotprod
#else
#    define GK_QN_KERNEL(fmt)  gk_qdot_##fmt##_neon
#    define GK_QN4_KERNEL(fmt) gk_qdot4_##fmt##_neon
#endif

/* acc + the 16 products of the bytes of w and x, summed into the four int32 lanes. Only the sum
 * of the lanes is defined (the builds spread the products differently); it is exact: with SMULL,
 * two products of |w| <= 128 and |x| <= 127 stay below 32767 in an int16 lane. */
static inline int32x4_t gk_qn_dot16(int32x4_t acc, int8x16_t w, int8x16_t x)
{
#ifdef __ARM_FEATURE_DOTPROD
    return vdotq_s32(acc, w, x);
#else
    int16x8_t p = vmull_s8(vget_low_s8(w), vget_low_s8(x));
    p = vmlal_s8(p, vget_high_s8(w), vget_high_s8(x));
    return vpadalq_s16(acc, p);
#endif
}

#endif /* GK_KERNELS_NEON_QDOT_NEON_H */
