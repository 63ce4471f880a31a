"""Hypervolume: the volume that a set of points dominates up to a reference point.

The measure of quality of a multi-objective result (a larger dominated volume means a better
Pareto front): ``hypervolume(points, reference)`` with every objective minimised (negate the
maximised ones first). Exact in every dimension: a sort in 2-D (O(n log n)), a sweep over the
third objective in 3-D (O(n^2 log n)), and the WFG recursion of While, Bradstreet & Barone
(IEEE TEVC 2012) above, whose base cases are the 2-D and 3-D formulas. WFG is exponential in
the number of objectives in the worst case; for more than about 6 objectives and hundreds of
points estimate the volume by Monte Carlo instead.

Example:
    >>> hypervolume([[1.0, 2.0], [2.0, 1.0]], [3.0, 3.0])
    3.0
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence

import numpy as np

from tunecraft.history import pareto_mask


def hypervolume(points: Sequence[Sequence[float]] | np.ndarray,
                reference: Sequence[float] | np.ndarray) -> float:
    """The volume dominated by ``points`` (n, m) and bounded by ``reference`` (m,).

    Points that do not strictly dominate the reference in every objective add nothing.

    Raises:
        ValueError: if the shapes disagree or a value is NaN.
    """
    pts = np.asarray(points, dtype=float)
    ref = np.asarray(reference, dtype=float)
    if ref.ndim != 1 or ref.size == 0:
        raise ValueError(f"reference={reference!r} must be a 1-D sequence of numbers")
    if pts.size == 0:
        return 0.0
    if pts.ndim != 2 or pts.shape[1] != ref.size:
        raise ValueError(f"points have shape {pts.shape}; expected (n, {ref.size}) to match "
                         "the reference point")
    if np.isnan(pts).any() or np.isnan(ref).any():
        raise ValueError("points and reference must not contain NaN")
    pts = pts[np.all(pts < ref, axis=1)]
    if pts.shape[0] == 0:
        return 0.0
    # the 2-D and 3-D sweeps skip dominated points themselves; WFG needs a clean front
    pts = _front(pts) if ref.size > 3 else np.unique(pts, axis=0)
    return float(_hv(pts, ref))


def _front(pts: np.ndarray) -> np.ndarray:
    """The distinct non-dominated rows."""
    pts = np.unique(pts, axis=0)
    out: np.ndarray = pts[pareto_mask(pts)]
    return out


def _hv(pts: np.ndarray, ref: np.ndarray) -> float:
    n, m = pts.shape
    if n == 1:
        return float(np.prod(ref - pts[0]))
    if m == 1:
        return float(ref[0] - pts[:, 0].min())
    if m == 2:
        return _hv2(pts, ref)
    if m == 3:
        return _hv3(pts, ref)
    return _wfg(pts, ref)


def _hv2(pts: np.ndarray, ref: np.ndarray) -> float:
    """Sum of the rectangles of a front sorted by the first objective."""
    order = np.argsort(pts[:, 0], kind="stable")
    x, y = pts[order, 0], pts[order, 1]
    # on a front sorted by x, y decreases; keep the running minimum to skip dominated rows
    ymin = np.minimum.accumulate(y)
    prev = np.concatenate([[ref[1]], ymin[:-1]])
    return float(np.sum((ref[0] - x) * np.maximum(prev - ymin, 0.0)))


def _hv3(pts: np.ndarray, ref: np.ndarray) -> float:
    """Sweep over the third objective, keeping the 2-D staircase of the points seen so far
    (and its area) up to date one insertion at a time: O(n^2) at worst, O(n log n) typically."""
    order = np.argsort(pts[:, 2], kind="stable")
    p = pts[order]
    r1, r2 = float(ref[0]), float(ref[1])
    xs: list[float] = []  # staircase, f1 ascending (so f2 descending)
    ys: list[float] = []
    area = 0.0
    total = 0.0
    for i in range(p.shape[0]):
        x, y = float(p[i, 0]), float(p[i, 1])
        k = bisect.bisect_left(xs, x)
        dominated = (k > 0 and ys[k - 1] <= y) or (k < len(xs) and xs[k] == x and ys[k] <= y)
        if not dominated:
            j = k
            while j < len(xs) and ys[j] >= y:
                j += 1
            bounds = [x, *xs[k:j], xs[j] if j < len(xs) else r1]
            heights = [ys[k - 1] if k > 0 else r2, *ys[k:j]]
            area += sum((bounds[t + 1] - bounds[t]) * max(heights[t] - y, 0.0)
                        for t in range(len(heights)))
            xs[k:j] = [x]
            ys[k:j] = [y]
        top = float(p[i + 1, 2]) if i + 1 < p.shape[0] else float(ref[2])
        total += area * (top - float(p[i, 2]))
    return total


def _wfg(pts: np.ndarray, ref: np.ndarray) -> float:
    """WFG: sum over points of their exclusive volume with respect to the points after them,
    ``incl(p_i) - hv(limit(S_>i, p_i))``; points sorted by the last objective, worst first,
    which keeps the limited sets small."""
    order = np.argsort(-pts[:, -1], kind="stable")
    p = pts[order]
    total = 0.0
    for i in range(p.shape[0]):
        incl = float(np.prod(ref - p[i]))
        rest = p[i + 1:]
        if rest.shape[0]:
            limited = _front(np.maximum(rest, p[i]))
            limited = limited[np.all(limited < ref, axis=1)]
            incl -= _hv(limited, ref) if limited.shape[0] else 0.0
        total += incl
    return total
