/* SPDX-License-Identifier: MIT */
/* The avx2 tier's generic kernels: every body of src/kernels/generic/ over vec_avx2.h. */
#include "kernels/avx2/vec_avx2.h"

#include "kernels/kernel_decls.h"

#include "kernels/generic/bodies.inc"
