"""Maximise an acquisition over a mixed space: quasi-random candidates, then local search.

1. Score ``n_candidates`` scrambled Sobol points (mapped onto legal coordinates) plus the
   caller's extra points (the best trials and perturbations of them).
2. Start a local search from the best point and from ``n_local - 1`` more drawn with
   probability proportional to ``exp(acq)`` (the acquisition is a log, so this is
   proportional to EI), without replacement.
3. Alternate, until nothing improves (at most ``max_rounds``): L-BFGS-B on the continuous
   columns of all starts at once (their objectives are independent, so the sum is minimised
   jointly with exact gradients), then an exhaustive coordinate search over each small
   discrete or categorical column, then a doubling line search over the grid of each large
   discrete column (which the gradient step moved as if continuous and which is rounded back).
4. Return the best row that does not repeat one of the caller's ``avoid`` rows (the evaluated
   and running trials): the best local optimum, else the best candidate, that is new. A
   repeated configuration costs a trial and teaches a deterministic objective nothing, yet
   with a fitted noise variance EI keeps value at an evaluated point (the noise leaves
   posterior variance there), and its maximum can sit on an evaluated box corner, which every
   local search then returns (BBOB Katsuura 2-D: one corner proposed seven times in a row).
   GPyOpt (``de_duplication``: a DuplicateManager of the evaluated and pending points) and
   scikit-optimize (a random point instead of a repeat) skip repeats too; here the next best
   point of the same search replaces it. Only if every row scored is a repeat (a small
   discrete space, fully explored) is a repeat returned.
"""

from __future__ import annotations

import math

import numpy as np

from tunecraft._imports import require
from tunecraft.samplers.gp._encoding import Encoding
from tunecraft.samplers.gp.acquisition import Acquisition
from tunecraft.space import Categorical, Float, Int


def maximize(
    acq: Acquisition,
    enc: Encoding,
    rng: np.random.Generator,
    *,
    n_candidates: int = 2048,
    n_local: int = 10,
    extra: np.ndarray | None = None,
    max_rounds: int = 5,
    avoid: np.ndarray | None = None,
) -> tuple[np.ndarray, float]:
    """The best legal row found that repeats no row of ``avoid`` (step 4 of the module's
    docstring), and its acquisition value."""
    qmc = require("scipy.stats.qmc", "gp")
    d = enc.dim
    log2n = max(int(math.ceil(math.log2(max(n_candidates, 2)))), 1)
    sobol = qmc.Sobol(d=d, scramble=True, seed=rng)
    cands = enc.from_unit(sobol.random_base2(log2n)[:n_candidates])
    if extra is not None and extra.size:
        cands = np.vstack([cands, enc.snap(extra)])
    values = acq.value(cands)
    values = np.where(np.isfinite(values), values, -np.inf)
    starts = _pick_starts(values, n_local, rng)
    x, f = cands[starts], values[starts]
    for _ in range(max_rounds):
        before = f.copy()
        if enc.is_continuous.any():
            x, f = _gradient_step(acq, enc, x, f)
        x, f = _coordinate_search(acq, enc, x, f)
        if not np.any(f > before + 1e-9 * (1.0 + np.abs(before))):
            break
    pool = np.vstack([x, cands])
    scores = np.concatenate([f, values])
    order = np.argsort(-scores, kind="stable")  # ties: local optima first, as argmax(f)
    if avoid is not None and avoid.size:
        for i in order:
            if not is_repeat(pool[i], avoid):
                return pool[i], float(scores[i])
    return pool[order[0]], float(scores[order[0]])


REPEAT_TOL = 1e-8
"""Two encoded rows closer than this in every column (the unit cube; choice indices for
categorical columns) are the same configuration."""


def is_repeat(row: np.ndarray, avoid: np.ndarray) -> bool:
    """Whether ``row`` repeats a row of ``avoid`` (within :data:`REPEAT_TOL` in every column)."""
    return bool((np.abs(avoid - row[None, :]).max(axis=1) < REPEAT_TOL).any())


def _pick_starts(values: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    finite = np.flatnonzero(np.isfinite(values))
    if finite.size == 0:
        return rng.choice(values.size, size=min(n, values.size), replace=False)
    first = int(finite[np.argmax(values[finite])])
    rest = finite[finite != first]
    k = min(n - 1, rest.size)
    if k <= 0:
        return np.array([first])
    w = np.exp(values[rest] - values[first])
    w = w / w.sum() if w.sum() > 0 and np.all(np.isfinite(w)) else None
    nonzero = rest.size if w is None else int(np.count_nonzero(w))
    picked = rng.choice(rest, size=min(k, nonzero), replace=False, p=w)
    return np.concatenate([[first], picked]).astype(np.int64)


def _gradient_step(acq: Acquisition, enc: Encoding, x: np.ndarray, f: np.ndarray
                   ) -> tuple[np.ndarray, np.ndarray]:
    so = require("scipy.optimize", "gp")
    cols = np.flatnonzero(enc.is_continuous)
    s = x.shape[0]
    base = x.copy()

    def loss(z: np.ndarray) -> tuple[float, np.ndarray]:
        xx = base.copy()
        xx[:, cols] = z.reshape(s, cols.size)
        v, g = acq.value_grad(xx)
        ok = np.isfinite(v)
        v = np.where(ok, v, -1e10)
        g = np.where(ok[:, None] & np.isfinite(g), g, 0.0)
        return -float(v.sum()), -g[:, cols].ravel()

    z0 = x[:, cols].ravel()
    with np.errstate(over="ignore", under="ignore", invalid="ignore", divide="ignore"):
        res = so.minimize(loss, z0, jac=True, method="L-BFGS-B",
                          bounds=[(0.0, 1.0)] * z0.size, options={"maxiter": 200})
    moved = base.copy()
    moved[:, cols] = np.clip(res.x.reshape(s, cols.size), 0.0, 1.0)
    moved = enc.snap(moved)
    fm = acq.value(moved)
    better = fm > f
    return np.where(better[:, None], moved, x), np.where(better, fm, f)


def _coordinate_search(acq: Acquisition, enc: Encoding, x: np.ndarray, f: np.ndarray
                       ) -> tuple[np.ndarray, np.ndarray]:
    x, f = x.copy(), f.copy()
    s = x.shape[0]
    dims = list(enc.space.values())
    for j in range(enc.dim):
        grid = enc.grid[j]
        if grid is not None:
            trial = np.repeat(x, grid.size, axis=0)
            trial[:, j] = np.tile(grid, s)
        elif enc.is_discrete[j]:
            dim = dims[j]
            if isinstance(dim, Categorical):  # categorical columns always have a grid
                continue
            trial = _line_points(dim, x, j)
        else:
            continue
        values = acq.value(trial).reshape(s, -1)
        values = np.where(np.isfinite(values), values, -np.inf)
        k = np.argmax(values, axis=1)
        best = values[np.arange(s), k]
        better = best > f
        rows = trial.reshape(s, -1, enc.dim)[np.arange(s), k]
        x[better] = rows[better]
        f[better] = best[better]
    return x, f


def _line_points(dim: Int | Float, x: np.ndarray, j: int) -> np.ndarray:
    """For each row, copies moved to grid values 1, 2, 4, ... steps away along column ``j``
    (the same count for every row, so the result reshapes to (rows, k, d))."""
    step = dim.step or 1  # a large discrete column: an Int or a stepped Float
    offsets = [sign * 2**k for k in range(8) for sign in (-1, 1)]
    out = np.repeat(x, len(offsets) + 1, axis=0)
    for r in range(x.shape[0]):
        v = dim.from_unit(float(x[r, j]))
        for i, o in enumerate(offsets):
            out[r * (len(offsets) + 1) + i + 1, j] = dim.to_unit(dim.snap(v + o * step))
    return out
