#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Fits the polynomial coefficients of the transcendental activations
(src/kernels/generic/activations.inc) and prints them as C initialisers.

Each fit is a minimax (Remez exchange) fit of a weighted error on an interval, done in
40-digit arithmetic with mpmath. The coefficients are then rounded to binary32 one at a time,
lowest degree first, refitting the ones not yet rounded after each step, so the rounded set stays
close to the best binary32 polynomial. The printed error bound is the weighted error of the
rounded coefficients evaluated exactly (the evaluation rounding of the kernels comes on top and is
measured by tests/test_activations.c).

    python3 tools/gen_minimax.py            # every fit, as C initialisers
    python3 tools/gen_minimax.py exp_q      # one fit

Fits (the names of the constants in activations.inc follow them):
  exp_q      e^r ~= 1 + r + Q1 r^2 + ... + Q5 r^6 for |r| <= ln2/2, error relative to e^r
             (printed: the coefficients of r^1 .. r^6, the first fixed at 1)
  tanh_p     tanh(x) ~= x + x^3 (P0 + P1 x^2 + ... + P6 x^12) for 0 <= x <= atanh(3/4),
             relative error
  phi_a      G(1.25 + s), degree 12, for a = 1.25 + s in [0, 2.5], relative error, where
             G(a) = e^(a^2/2) Q(a) and Q(a) = erfc(a/sqrt2)/2 (so Q = e^(-a^2/2) G)
  phi_b      H(1/v - 1), degree 9: H(a) = a G(a) for a in [2.5, 14.6] and v = 1/(a + 1),
             relative error
"""
import sys

import mpmath as mp
import numpy as np

mp.mp.dps = 40


def f32(x):
    return mp.mpf(float(np.float32(float(x))))


def remez(target, weight, basis, lo, hi, fixed, n_iter=40, grid=3000):
    """Minimises max |(sum_k c_k basis_k(x) - target(x)) * weight(x)| over [lo, hi] for the
    coefficients not in `fixed` (a dict k -> value). Returns (coefficients, max error)."""
    free = [k for k in range(len(basis)) if k not in fixed]
    m = len(free)

    def rest(x):
        return target(x) - sum(v * basis[k](x) for k, v in fixed.items())

    xs = [lo + (hi - lo) * (1 - mp.cos(mp.pi * i / (grid - 1))) / 2 for i in range(grid)]
    rx = [rest(x) for x in xs]
    wx = [weight(x) for x in xs]
    bx = [[basis[k](x) for k in free] for x in xs]
    ref = [xs[int(round((grid - 1) * (1 - mp.cos(mp.pi * i / m)) / 2))] for i in range(m + 1)]
    best = None
    for _ in range(n_iter):
        a = mp.matrix(m + 1, m + 1)
        b = mp.matrix(m + 1, 1)
        for i, x in enumerate(ref):
            for j, k in enumerate(free):
                a[i, j] = basis[k](x)
            a[i, m] = (-1) ** i / weight(x)
            b[i] = rest(x)
        sol = mp.lu_solve(a, b)
        c = [sol[j] for j in range(m)]
        err = [(sum(cj * bj for cj, bj in zip(c, row)) - r) * w for row, r, w in zip(bx, rx, wx)]
        emax = max(abs(e) for e in err)
        if best is None or emax < best[0]:
            best = (emax, c)
        # the new reference: the largest error of each run of one sign, then drop the smallest
        # until m + 1 alternating extrema remain
        peaks = []
        i = 0
        while i < grid:
            sign = mp.sign(err[i])
            j, top = i, i
            while j < grid and mp.sign(err[j]) == sign:
                if abs(err[j]) > abs(err[top]):
                    top = j
                j += 1
            if sign != 0:
                peaks.append(top)
            i = j
        while len(peaks) > m + 1:
            if abs(err[peaks[0]]) < abs(err[peaks[-1]]):
                peaks.pop(0)
            else:
                peaks.pop()
        if len(peaks) < m + 1:
            break
        ref = [xs[p] for p in peaks]
    emax, c = best
    out = dict(fixed)
    for j, k in enumerate(free):
        out[k] = c[j]
    return [out[k] for k in range(len(basis))], emax


def fit_f32(target, weight, basis, lo, hi, fixed=None):
    """Remez fit, then binary32 rounding of the coefficients not in `fixed` one at a time, lowest
    degree first."""
    fixed = dict(fixed or {})
    for k in [k for k in range(len(basis)) if k not in fixed]:
        c, _ = remez(target, weight, basis, lo, hi, fixed)
        fixed[k] = f32(c[k])
    c = [fixed[k] for k in range(len(basis))]
    xs = [lo + (hi - lo) * i / 20000 for i in range(20001)]
    err = max(abs((sum(ck * bk(x) for ck, bk in zip(c, basis)) - target(x)) * weight(x))
              for x in xs)
    return c, err


def powers(first, step, count):
    return [lambda x, p=first + step * k: x**p for k in range(count)]


def g_mills(a):
    """G(a) = e^(a^2/2) erfc(a/sqrt2)/2."""
    return mp.erfc(a / mp.sqrt(2)) / 2 * mp.exp(a * a / 2)


TANH_POLY_END = mp.atanh(mp.mpf("0.75"))
TANH_TERMS = 7
PHI_A_CENTER = mp.mpf("1.25")
PHI_A_END = mp.mpf("2.5")
PHI_B_SHIFT = mp.mpf(1)
PHI_B_END = mp.mpf("14.6")

FITS = {
    # 1 + r q(r) ~ e^r: fit r q(r) to e^r - 1 (basis r^1..r^6, the r^1 coefficient fixed at 1),
    # error relative to e^r
    "exp_q": lambda: fit_f32(lambda r: mp.expm1(r), lambda r: 1 / mp.exp(r), powers(1, 1, 6),
                             -mp.log(2) / 2 * mp.mpf("1.0001"), mp.log(2) / 2 * mp.mpf("1.0001"),
                             fixed={0: mp.mpf(1)}),
    # x + x^3 P(x^2) ~ tanh(x): fit x^3 P(x^2) to tanh(x) - x, error relative to tanh(x)
    "tanh_p": lambda: fit_f32(lambda x: mp.tanh(x) - x, lambda x: 1 / mp.tanh(x),
                              powers(3, 2, TANH_TERMS), mp.mpf("1e-6"), TANH_POLY_END),
    "phi_a": lambda: fit_f32(lambda s: g_mills(PHI_A_CENTER + s),
                             lambda s: 1 / g_mills(PHI_A_CENTER + s), powers(0, 1, 13),
                             -PHI_A_CENTER, PHI_A_END - PHI_A_CENTER),
    "phi_b": lambda: fit_f32(lambda v: (1 / v - PHI_B_SHIFT) * g_mills(1 / v - PHI_B_SHIFT),
                             lambda v: 1 / ((1 / v - PHI_B_SHIFT) * g_mills(1 / v - PHI_B_SHIFT)),
                             powers(0, 1, 10), 1 / (PHI_B_END + PHI_B_SHIFT),
                             1 / (PHI_A_END + PHI_B_SHIFT)),
}


def c_hex(x):
    """A binary32 value as a C hexadecimal float literal, e.g. 0x1.5554p-3f."""
    mant, exp = float(np.float32(float(x))).hex().split("p")
    mant = mant.rstrip("0").rstrip(".")
    return f"{mant}p{int(exp)}f"


def main():
    names = sys.argv[1:] or list(FITS)
    for name in names:
        coefs, err = FITS[name]()
        print(f"/* {name}: max weighted error {mp.nstr(err, 3)} "
              f"({mp.nstr(err / mp.mpf(2)**-24, 3)} x 2^-24), lowest degree first */")
        print("{" + ", ".join(c_hex(c) for c in coefs) + "}")


if __name__ == "__main__":
    main()
