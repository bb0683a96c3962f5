/* SPDX-License-Identifier: MIT */
/* The neon tier's generic kernels: every body of src/kernels/generic/ over vec_neon.h. */
#include "kernels/neon/vec_neon.h"

#include "kernels/kernel_decls.h"

#include "kernels/generic/bodies.inc"
