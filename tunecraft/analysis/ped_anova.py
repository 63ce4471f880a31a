"""PED-ANOVA: fast importance for the top trials, from 1-D densities on a grid (no model).

Watanabe, Bansal & Hutter (IJCAI 2023). For each parameter, compare its distribution among the
top ``target_quantile`` of the trials (p_top) with its distribution among the top
``region_quantile`` (p_region, all trials by default): the importance is the Pearson divergence
sum_x p_region(x) * (p_top(x) / p_region(x) - 1)^2 over a grid of the parameter's unit range.
A parameter that does not matter has the same distribution in both sets (divergence about 0).
Densities are Gaussian kernel estimates with Scott's bandwidth plus one uniform prior
observation; categorical parameters use smoothed counts. Cost: O(trials x parameters).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from tunecraft._validation import Interval, check
from tunecraft.analysis.design import Target, check_enough, design
from tunecraft.analysis.result import Importance, ranked
from tunecraft.history import as_history
from tunecraft.space import Categorical, Dim, Float, grid_values

MIN_TOP = 5


def n_cells(dim: Dim, n_grid: int) -> int:
    """Cells of the grid for ``dim``: one per legal value when that is fewer than ``n_grid``."""
    if isinstance(dim, Categorical):
        return len(dim.choices)
    if isinstance(dim, Float) and dim.step is None:
        return n_grid
    span = (dim.high - dim.low) / dim.step if dim.step else 0
    if span + 1 <= n_grid:
        return len(grid_values(dim))
    return n_grid


def density(u: np.ndarray, cells: int, *, smooth: bool, prior_weight: float) -> np.ndarray:
    """Probabilities of the ``cells`` equal cells of [0, 1] given unit-box observations ``u``.

    With ``smooth``, each observation is a Gaussian kernel on the cell index (Scott's
    bandwidth, at least 0.5 / 1.64 cells); otherwise the counts themselves (categories). A
    uniform prior observation of weight ``prior_weight`` keeps every cell positive.
    """
    idx = np.clip((u * cells).astype(int), 0, cells - 1)
    counts = np.bincount(idx, minlength=cells).astype(float)
    n = float(idx.size)
    if smooth and n > 0:
        centres = np.arange(cells, dtype=float)
        mean = float(idx.mean())
        sigma = math.sqrt(float(((idx - mean) ** 2).sum()) / max(1.0, n - 1.0))
        q1, q3 = np.percentile(idx, [25.0, 75.0])
        iqr = float(q3 - q1)
        scale = min(iqr / 1.34, sigma) if iqr > 0 else sigma
        bw = max(1.059 * scale * n ** -0.2, 0.5 / 1.64)
        kern = np.exp(-0.5 * ((centres[:, None] - centres[None, :]) / bw) ** 2)
        kern /= kern.sum(axis=0, keepdims=True)  # each kernel truncated to the box, mass 1
        counts = kern @ counts
    probs = counts + prior_weight / cells
    return np.asarray(probs / probs.sum())


def ped_anova(
    study: Any,
    *,
    params: Sequence[str] | None = None,
    target: Target | None = None,
    minimize: bool = True,
    target_quantile: float = 0.1,
    region_quantile: float = 1.0,
    evaluate_on_local: bool = True,
    n_grid: int = 50,
    prior_weight: float = 1.0,
) -> Importance:
    """Importance of each parameter for reaching the top ``target_quantile`` of trials.

    Args:
        study: A Study or a History.
        params: The parameters to assess; default all shared by every completed trial.
        target: Maps a trial to a number (lower is better unless ``minimize=False``); needed
            for multi-objective studies. Without it, the study's direction decides.
        target_quantile: The fraction of best trials whose distribution is examined.
        region_quantile: The fraction of best trials that forms the reference region (> the
            target quantile; 1.0 = all trials).
        evaluate_on_local: Compare with the region's distribution (True) or with the uniform
            distribution over the search space (False; importance within the whole space).
        n_grid: Grid cells per continuous parameter.
        prior_weight: Weight of the uniform prior observation in each density.

    Returns:
        An :class:`Importance` whose values are Pearson divergences (>= 0; compare them with
        each other or use ``.shares()``). Raises ValueError with fewer than 5 top trials.
    """
    if not 0.0 < target_quantile < region_quantile <= 1.0:
        raise ValueError(
            f"target_quantile={target_quantile!r} and region_quantile={region_quantile!r} must "
            "satisfy 0 < target_quantile < region_quantile <= 1 (defaults 0.1 and 1.0)")
    check("n_grid", n_grid, Interval(int, 2), fix="the default is 50")
    check("prior_weight", prior_weight, Interval(float, 0, finite=False),
          fix="the default is 1.0")
    data = design(as_history(study), params=params, target=target, minimize=minimize)
    check_enough(data, MIN_TOP, "ped_anova")
    n = len(data.y)
    n_top = math.ceil(target_quantile * n)
    if n_top < MIN_TOP:
        raise ValueError(
            f"ped_anova needs at least {MIN_TOP} trials in the top target_quantile="
            f"{target_quantile}; {n} completed trials give {n_top}. Run at least "
            f"{math.ceil(MIN_TOP / target_quantile)} trials or raise target_quantile")
    n_region = max(math.ceil(region_quantile * n), n_top)
    order = np.argsort(data.y, kind="stable")
    top, region = data.x[order[:n_top]], data.x[order[:n_region]]
    values = []
    for j, dim in enumerate(data.dims):
        cells = n_cells(dim, n_grid)
        smooth = not isinstance(dim, Categorical)
        p_top = density(top[:, j], cells, smooth=smooth, prior_weight=prior_weight)
        if evaluate_on_local:
            p_ref = density(region[:, j], cells, smooth=smooth, prior_weight=prior_weight)
        else:
            p_ref = np.full(cells, 1.0 / cells)
        values.append(float(p_ref @ (p_top / p_ref - 1.0) ** 2))
    return ranked("ped-anova", data.names, values, None, n)
