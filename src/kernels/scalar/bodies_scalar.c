/* SPDX-License-Identifier: MIT */
/* The scalar tier's generic kernels: every body of src/kernels/generic/ over vec_scalar.h. */
#include "kernels/scalar/vec_scalar.h"

#include "kernels/kernel_decls.h"

#include "kernels/generic/bodies.inc"
