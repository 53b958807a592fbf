#!/usr/bin/env python3
"""Fits the coefficients of the CPU path's GELU (src/main/java/dev/convcl/cpu/Epilogue.java, gelu()).

erf(z) = z * P(z^2) on [0, 0.84375] (P of degree 6), and erfc(z) = exp(-z^2) * R(t), t = 1 / (1 + z/2),
on [0.84375, 10] (R of degree 10): least squares on the relative error against Python's math.erf /
math.erfc (double precision). Prints the coefficients (lowest power first) and the largest relative
error of each piece on a grid 50x finer than the fit's; both are about 1e-10 to 1e-9, far below
float32's 6e-8, which is what the epilogue returns. Needs numpy. Usage: python3 scripts/fit/erf_gelu.py
"""
import math

import numpy as np

SPLIT, TOP, P_DEGREE, R_DEGREE = 0.84375, 10.0, 6, 10


def fit(x, y, degree):
    a = np.vander(x, degree + 1, increasing=True)
    w = 1 / np.abs(y)
    c, *_ = np.linalg.lstsq(a * w[:, None], y * w, rcond=None)
    return c


def main():
    z = np.cos(np.linspace(0, math.pi, 4000)) * SPLIT / 2 + SPLIT / 2
    p = fit(z * z, np.array([math.erf(v) / v if v > 0 else 2 / math.sqrt(math.pi) for v in z]), P_DEGREE)
    z = np.linspace(SPLIT, TOP, 20000)
    r = fit(1 / (1 + z / 2), np.array([math.erfc(v) * math.exp(v * v) for v in z]), R_DEGREE)
    zz = np.linspace(1e-6, SPLIT, 200001)
    err_p = np.max(np.abs(zz * np.polyval(p[::-1], zz * zz) / [math.erf(v) for v in zz] - 1))
    zz = np.linspace(SPLIT, TOP, 1000001)
    err_r = np.max(np.abs(np.exp(-zz * zz) * np.polyval(r[::-1], 1 / (1 + zz / 2)) / [math.erfc(v) for v in zz] - 1))
    print("P:", ", ".join(repr(float(v)) for v in p))
    print("R:", ", ".join(repr(float(v)) for v in r))
    print(f"largest relative error: erf {err_p:.2e} on [0, {SPLIT}], erfc {err_r:.2e} on [{SPLIT}, {TOP}]")


if __name__ == "__main__":
    main()
