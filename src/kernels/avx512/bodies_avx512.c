/* SPDX-License-Identifier: MIT */
/* The avx512 tier's generic kernels: every body of src/kernels/generic/ over vec_avx512.h. */
#include "kernels/avx512/vec_avx512.h"

#include "kernels/kernel_decls.h"

#include "kernels/generic/bodies.inc"
