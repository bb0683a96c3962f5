/* SPDX-License-Identifier: MIT */
/* Double-precision oracles of the element-wise math ops with tolerance ULP2 (src/ops/ops.def):
 * oracle_<family>(x) (oracle_swiglu(g, u) for the binary one) is the exact result to well under
 * 0.01 f32 ULP everywhere, tails included, so rounding it to f32 gives the correctly rounded result
 * the kernels are measured against. Each is written in the form that is accurate in double
 * (no cancellation where the f32 result is tiny), and gives the special results the library
 * documents in include/gllmk/ops.h: silu, gelu and gelu_erf of -Inf are -0, of +Inf +Inf. */
#ifndef GK_TEST_ORACLES_H
#define GK_TEST_ORACLES_H

#include <math.h>

/* e^x: libm's exp is within 1 double ULP. */
static inline double oracle_exp(double x)
{
    return exp(x);
}

/* tanh: libm's tanh is within a few double ULP, relative, also near 0. */
static inline double oracle_tanh(double x)
{
    return tanh(x);
}

/* x / (1 + e^-x): no cancellation for any x; e^-x overflowing to +Inf gives -0, as it should for
 * x < -745 where the result is far below the f32 range. */
static inline double oracle_silu(double x)
{
    if (isinf(x)) return x > 0 ? x : -0.0;
    return x / (1.0 + exp(-x));
}

/* silu(g) u, the product of a double silu and u (exact to double rounding). silu(g) is not zero
 * for a finite g != 0 even where it underflows in double (g < -745), so its product with an
 * infinite u is that infinity with the sign of g u. */
static inline double oracle_swiglu(double g, double u)
{
    if (isinf(u) && isfinite(g) && g != 0.0) return (g < 0) == (u < 0) ? HUGE_VAL : -HUGE_VAL;
    return oracle_silu(g) * u;
}

/* 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))) = x / (1 + e^-t) with t = 2 sqrt(2/pi)
 * (x + 0.044715 x^3): the logistic form does not cancel for x < 0, where the result is x e^t and
 * its relative error is t's absolute error (t in double: about |t| 2^-52). */
static inline double oracle_gelu(double x)
{
    if (isinf(x)) return x > 0 ? x : -0.0;
    const double c1 = 1.5957691216057307117; /* 2 sqrt(2/pi) */
    const double t = x * (c1 + c1 * 0.044715 * x * x);
    return x / (1.0 + exp(-t));
}

/* x Phi(x) = x erfc(-x / sqrt2) / 2. For x < 0 that is x erfc(|x| / sqrt2) / 2 with libm's erfc,
 * relatively accurate in the tail (so tiny results are exact); for x >= 0 x (1 - erfc(x/sqrt2)/2),
 * where the erfc term is at most 1/2. */
static inline double oracle_gelu_erf(double x)
{
    if (isinf(x)) return x > 0 ? x : -0.0;
    const double q = 0.5 * erfc(fabs(x) * 0.70710678118654752440); /* |x| / sqrt2 */
    return x < 0 ? x * q : x * (1.0 - q);
}

#endif /* GK_TEST_ORACLES_H */
