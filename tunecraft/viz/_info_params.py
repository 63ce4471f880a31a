"""Plot data about parameters: parallel coordinates, slice plots and a 2-D contour.

Pure functions of a History returning immutable NamedTuples (see :mod:`tunecraft.viz._common`
for :class:`Axis`). Categorical parameters appear as codes 0..k-1 with their labels.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import numpy as np

from tunecraft.history import History
from tunecraft.record import FrozenTrial
from tunecraft.space import Categorical, Dim
from tunecraft.viz._common import Axis, Target, axis, finite_complete, objective, params_of, thin


def _has(t: FrozenTrial, name: str, dim: Dim) -> bool:
    return name in t.params and (not isinstance(dim, Categorical) or dim.contains(t.params[name]))


def _best_index(values: Sequence[float], minimize: bool) -> int | None:
    if not values:
        return None
    arr = np.asarray(values)
    return int(np.argmin(arr) if minimize else np.argmax(arr))


class ParallelInfo(NamedTuple):
    """One line per completed trial across the parameter axes, coloured by the objective."""

    name: str
    minimize: bool
    numbers: tuple[int, ...]
    values: tuple[float, ...]
    axes: tuple[Axis, ...]
    n_total: int  # completed trials with every parameter (numbers may show fewer)


def parallel_info(history: History, *, params: Sequence[str] | None = None,
                  target: Target | None = None, target_name: str | None = None,
                  max_trials: int | None = None) -> ParallelInfo:
    """Parallel coordinates over ``params`` for the completed trials that have them all.

    By default, the parameters every completed trial shares (the intersection space); when
    conditional parameters leave none in common, those of the best trial.
    """
    obj = objective(history, target, target_name)
    if params is None:
        params = list(history.intersection_space())
        if not params:
            done = finite_complete(history, obj)
            best = _best_index([v for _, v in done], obj.minimize)
            params = sorted(done[best][0].params) if best is not None else []
    dims = params_of(history, params)
    rows = [(t, v) for t, v in finite_complete(history, obj)
            if all(_has(t, n, d) for n, d in dims.items())]
    total = len(rows)
    rows = thin(rows, max_trials, _best_index([v for _, v in rows], obj.minimize))
    axes = tuple(axis(n, d, [t.params[n] for t, _ in rows]) for n, d in dims.items())
    return ParallelInfo(obj.name, obj.minimize, tuple(t.number for t, _ in rows),
                        tuple(v for _, v in rows), axes, total)


class SlicePanel(NamedTuple):
    """The objective against one parameter, over the completed trials that have it."""

    axis: Axis
    numbers: tuple[int, ...]
    values: tuple[float, ...]
    n_total: int


class SliceInfo(NamedTuple):
    name: str
    minimize: bool
    panels: tuple[SlicePanel, ...]


def slice_info(history: History, *, params: Sequence[str] | None = None,
               target: Target | None = None, target_name: str | None = None,
               max_trials: int | None = None) -> SliceInfo:
    """One panel per parameter: the objective of each trial against that parameter's value."""
    obj = objective(history, target, target_name)
    rows_all = finite_complete(history, obj)
    panels = []
    for name, dim in params_of(history, params).items():
        rows = [(t, v) for t, v in rows_all if _has(t, name, dim)]
        total = len(rows)
        rows = thin(rows, max_trials, _best_index([v for _, v in rows], obj.minimize))
        panels.append(SlicePanel(axis(name, dim, [t.params[name] for t, _ in rows]),
                                 tuple(t.number for t, _ in rows),
                                 tuple(v for _, v in rows), total))
    return SliceInfo(obj.name, obj.minimize, tuple(panels))


class ContourInfo(NamedTuple):
    """A smoothed objective surface over two parameters, with the trials on top.

    ``grid_x``/``grid_y`` are the plotting coordinates of the grid (category codes for
    categorical axes, log values are not taken: the renderer sets a log axis); ``z[i][j]`` is
    the estimate at (grid_x[j], grid_y[i]), None where no trial is near.
    """

    name: str
    minimize: bool
    x: Axis
    y: Axis
    numbers: tuple[int, ...]
    values: tuple[float, ...]
    grid_x: tuple[float, ...]
    grid_y: tuple[float, ...]
    z: tuple[tuple[float | None, ...], ...]


def _grid(dim: Dim, n: int) -> np.ndarray:
    """Unit-box coordinates of the grid lines: category centres, or n steps from low to high."""
    if isinstance(dim, Categorical):
        k = len(dim.choices)
        return (np.arange(k) + 0.5) / k
    if dim.low == dim.high:
        return np.array([dim.to_unit(dim.low)])
    return np.linspace(dim.to_unit(dim.low), dim.to_unit(dim.high), n)


def _plot_coord(dim: Dim, u: np.ndarray) -> tuple[float, ...]:
    """Plotting coordinates of unit-box points ``u`` (the inverse of ``to_unit``, unrounded)."""
    if isinstance(dim, Categorical):
        return tuple(float(i) for i in range(len(dim.choices)))
    lo, hi = float(dim.low), float(dim.high)
    a, b = dim.to_unit(dim.low), dim.to_unit(dim.high)
    frac = (u - a) / (b - a) if b != a else np.zeros_like(u)
    if dim.log:
        return tuple(float(v) for v in np.exp(np.log(lo) + frac * (np.log(hi) - np.log(lo))))
    return tuple(float(v) for v in lo + frac * (hi - lo))


def contour_info(history: History, x: str | None = None, y: str | None = None, *,
                 target: Target | None = None, target_name: str | None = None,
                 grid: int = 30, max_trials: int | None = None) -> ContourInfo:
    """The objective over parameters ``x`` and ``y`` (default: the first two by name).

    The surface is a Gaussian-kernel average of the trials' values in the unit box
    (Nadaraya-Watson, bandwidth 0.3 * n^(-1/6)); cells farther than 3 bandwidths from
    every trial are left empty rather than extrapolated.
    """
    obj = objective(history, target, target_name)
    dists = params_of(history, None)
    if x is None or y is None:
        names = [n for n in dists if n not in (x, y)]
        x = x if x is not None else names.pop(0) if names else None
        y = y if y is not None else names.pop(0) if names else None
    if x is None or y is None or x == y:
        raise ValueError(f"contour needs two different parameters, got x={x!r}, y={y!r}; the "
                         f"study's parameters are {sorted(dists)!r}")
    if isinstance(grid, bool) or not isinstance(grid, int) or grid < 2:
        raise ValueError(f"grid={grid!r} must be an integer >= 2 (default 30)")
    dx, dy = params_of(history, [x, y]).values()
    rows = [(t, v) for t, v in finite_complete(history, obj) if _has(t, x, dx) and _has(t, y, dy)]
    ux = np.array([dx.to_unit(t.params[x]) for t, _ in rows], dtype=float)
    uy = np.array([dy.to_unit(t.params[y]) for t, _ in rows], dtype=float)
    vals = np.array([v for _, v in rows], dtype=float)
    gx, gy = _grid(dx, grid), _grid(dy, grid)
    z: list[tuple[float | None, ...]] = []
    if vals.size:
        bw = 0.3 * vals.size ** (-1.0 / 6.0)
        wx = np.exp(-0.5 * ((gx[:, None] - ux[None, :]) / bw) ** 2)  # (gx, n)
        near_x = np.abs(gx[:, None] - ux[None, :]) <= 3 * bw
        for yi in gy:
            wy = np.exp(-0.5 * ((yi - uy) / bw) ** 2)
            w = wx * wy[None, :]
            near = (near_x & (np.abs(yi - uy) <= 3 * bw)[None, :]).any(axis=1)
            est = (w @ vals) / np.maximum(w.sum(axis=1), 1e-300)
            z.append(tuple(float(e) if ok else None for e, ok in zip(est, near, strict=True)))
    else:
        z = [tuple(None for _ in gx) for _ in gy]
    shown = thin(rows, max_trials, _best_index(list(vals), obj.minimize))
    return ContourInfo(
        obj.name, obj.minimize,
        axis(x, dx, [t.params[x] for t, _ in shown]), axis(y, dy, [t.params[y] for t, _ in shown]),
        tuple(t.number for t, _ in shown), tuple(v for _, v in shown),
        _plot_coord(dx, gx), _plot_coord(dy, gy), tuple(z))
