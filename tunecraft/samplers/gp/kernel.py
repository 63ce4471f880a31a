"""The Matern-5/2 ARD kernel over mixed inputs: scaled distances on numbers, Hamming on choices.

Inputs live in the unit cube (numerical columns) or hold choice indices (categorical columns).
The squared distance is ``r2 = sum_d lam_d * delta_d**2``, where ``delta_d`` is the coordinate
difference of a numerical column and ``[x_d != x'_d]`` of a categorical one, and ``lam_d`` is
the inverse squared length-scale of column ``d``. Treating a choice as "same or different"
makes every pair of choices equally far apart: no arbitrary order is imposed on them.
"""

from __future__ import annotations

import math

import numpy as np

_SQRT5 = math.sqrt(5.0)


def matern52(r2: np.ndarray) -> np.ndarray:
    """``(1 + sqrt(5) r + 5/3 r^2) exp(-sqrt(5) r)`` of the squared distance ``r2``: 1 at 0,
    decreasing, positive."""
    s = _SQRT5 * np.sqrt(np.maximum(r2, 0.0))
    out: np.ndarray = (1.0 + s + s * s / 3.0) * np.exp(-s)
    return out


def matern52_grad(r2: np.ndarray) -> np.ndarray:
    """Derivative of :func:`matern52` with respect to ``r2``: ``-5/6 (1 + sqrt(5) r)
    exp(-sqrt(5) r)``, finite at ``r2 = 0``."""
    s = _SQRT5 * np.sqrt(np.maximum(r2, 0.0))
    out: np.ndarray = (-5.0 / 6.0) * (1.0 + s) * np.exp(-s)
    return out


def squared_distances(
    a: np.ndarray, b: np.ndarray, lam: np.ndarray, is_cat: np.ndarray, *, same: bool = False
) -> np.ndarray:
    """``r2[i, j]`` between rows of ``a`` (n, d) and ``b`` (m, d), weighted by ``lam`` (d,).

    Numerical columns use a matrix product (``|a|^2 + |b|^2 - 2 a.b``, clipped at 0), which
    keeps the cost at O(n m d) without an (n, m, d) temporary. ``same`` says ``a is b``: the
    diagonal is then exactly 0.
    """
    num = ~is_cat
    r2 = np.zeros((a.shape[0], b.shape[0]))
    if num.any():
        w = np.sqrt(lam[num])
        an, bn = a[:, num] * w, b[:, num] * w
        r2 += (an * an).sum(1)[:, None] + (bn * bn).sum(1)[None, :] - 2.0 * (an @ bn.T)
        np.maximum(r2, 0.0, out=r2)
    for d in np.flatnonzero(is_cat):
        r2 += lam[d] * (a[:, d][:, None] != b[:, d][None, :])
    if same:
        np.fill_diagonal(r2, 0.0)
    return r2


def weighted_pair_sums(a_mat: np.ndarray, x: np.ndarray, is_cat: np.ndarray) -> np.ndarray:
    """``sum_ij A_ij delta_d(x_i, x_j)^2`` for every column ``d`` of ``x`` (n, d), for a
    symmetric (n, n) ``A``: the building block of the length-scale gradients, in O(n^2 d)."""
    out = np.empty(x.shape[1])
    num = ~is_cat
    if num.any():
        xn = x[:, num]
        row = a_mat.sum(1)
        out[num] = 2.0 * (xn * xn).T @ row - 2.0 * (xn * (a_mat @ xn)).sum(0)
    total = a_mat.sum()
    for d in np.flatnonzero(is_cat):
        codes = x[:, d].astype(np.int64)
        same = 0.0
        for c in np.unique(codes):
            idx = np.flatnonzero(codes == c)
            same += a_mat[np.ix_(idx, idx)].sum()
        out[d] = total - same
    return out
