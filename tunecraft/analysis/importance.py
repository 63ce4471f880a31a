"""fANOVA parameter importance: a random forest fitted to the trials, decomposed tree by tree.

Hutter, Hoos & Leyton-Brown (ICML 2014). scikit-learn fits the forest; the functional ANOVA is
computed here. Each regression tree is a partition of the unit box into axis-aligned leaves
with constant predictions, so the marginal of a parameter (the prediction averaged over all
other parameters, uniformly over the search space) is exact and piecewise constant. The
importance of parameter j in one tree is V_j / V: the variance of its marginal over the variance
of the tree's prediction. We report the mean over trees and its spread (standard deviation).

The search space is measured in tunecraft's unit box: log-scaled dimensions uniformly in log
space (as the samplers see them; Optuna uses the linear measure), integer and stepped
dimensions with an equal share per grid point, categorical choices with an equal share each.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from tunecraft._imports import require
from tunecraft._validation import Interval, Options, Spec, validate
from tunecraft.analysis.design import Target, check_enough, design
from tunecraft.analysis.result import Importance, ranked
from tunecraft.history import as_history

MIN_TRIALS = 2
_CONSTRAINTS: Spec = {
    "n_trees": Interval(int, 1), "max_depth": Interval(int, 1),
    "min_samples_leaf": Interval(int, 1),
    "max_trials": [Interval(int, MIN_TRIALS), Options(None)],
}


def _leaf_boxes(tree: Any, d: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(lo, hi, value) of every leaf of a fitted sklearn tree, boxes within [0, 1]^d."""
    t = tree.tree_
    left, right = t.children_left, t.children_right
    feature, threshold = t.feature, np.clip(t.threshold, 0.0, 1.0)
    n = t.node_count
    lo = np.zeros((n, d))
    hi = np.ones((n, d))
    level = np.array([0])
    while level.size:  # breadth first, one vectorised step per depth
        inner = level[left[level] != -1]
        if not inner.size:
            break
        f, th = feature[inner], threshold[inner]
        ls, rs = left[inner], right[inner]
        lo[ls], hi[ls] = lo[inner], hi[inner]
        lo[rs], hi[rs] = lo[inner], hi[inner]
        hi[ls, f] = np.minimum(hi[inner, f], th)
        lo[rs, f] = np.maximum(lo[inner, f], th)
        level = np.concatenate([ls, rs])
    leaf = left == -1
    return lo[leaf], hi[leaf], t.value[leaf, 0, 0].astype(float)


def tree_main_effects(lo: np.ndarray, hi: np.ndarray, value: np.ndarray) -> np.ndarray | None:
    """Fraction of variance explained by each dimension's main effect, for one tree.

    ``lo``/``hi`` are (leaves, d) corners of boxes that partition the unit box and ``value``
    the leaf predictions. Returns None for a constant tree (no variance to explain).
    """
    width = hi - lo
    vol = np.prod(width, axis=1)
    mean = float(vol @ value)
    total = float(vol @ (value - mean) ** 2)
    if not total > 1e-300:
        return None
    d = lo.shape[1]
    out = np.empty(d)
    for j in range(d):
        live = width[:, j] > 0
        weight = np.zeros_like(value)
        weight[live] = value[live] * vol[live] / width[live, j]
        cuts = np.unique(np.concatenate([lo[:, j], hi[:, j], [0.0, 1.0]]))
        delta = np.zeros(cuts.size)
        np.add.at(delta, np.searchsorted(cuts, lo[live, j]), weight[live])
        np.add.at(delta, np.searchsorted(cuts, hi[live, j]), -weight[live])
        marginal = np.cumsum(delta)[:-1]  # the marginal on each segment between cuts
        out[j] = float(np.diff(cuts) @ (marginal - mean) ** 2) / total
    return np.clip(out, 0.0, 1.0)


def fanova(
    study: Any,
    *,
    params: Sequence[str] | None = None,
    target: Target | None = None,
    n_trees: int = 64,
    max_depth: int = 64,
    min_samples_leaf: int = 1,
    max_trials: int | None = None,
    seed: int | None = 0,
    n_jobs: int | None = None,
) -> Importance:
    """Importance of each parameter by fANOVA on a random forest of the completed trials.

    Args:
        study: A Study or a History.
        params: The parameters to assess; default all shared by every completed trial.
        target: Maps a trial to the number to explain; needed for multi-objective studies.
        n_trees, max_depth, min_samples_leaf: Of the forest (Optuna's defaults).
        max_trials: Fit on a random subset of at most this many trials (fast for big studies).
        seed: Seeds the forest and the subset; the same seed gives the same answer.
        n_jobs: Processes for the forest fit (scikit-learn's meaning; default 1).

    Returns:
        An :class:`Importance` whose ``values`` are variance fractions in [0, 1] (their sum is
        at most 1; the rest is interactions) and whose ``spread`` is their spread across trees.
    """
    validate(_CONSTRAINTS, n_trees=n_trees, max_depth=max_depth,
             min_samples_leaf=min_samples_leaf, max_trials=max_trials)
    data = design(as_history(study), params=params, target=target)
    check_enough(data, MIN_TRIALS, "fanova")
    x, y = data.x, data.y
    if max_trials is not None and len(y) > max_trials:
        pick = np.sort(np.random.default_rng(seed).choice(len(y), max_trials, replace=False))
        x, y = x[pick], y[pick]
    ensemble = require("sklearn.ensemble", "importance")
    forest = ensemble.RandomForestRegressor(
        n_estimators=n_trees, max_depth=max_depth, min_samples_split=2,
        min_samples_leaf=min_samples_leaf, bootstrap=True, random_state=seed, n_jobs=n_jobs)
    forest.fit(x, y)
    per_tree = [tree_main_effects(*_leaf_boxes(est, x.shape[1])) for est in forest.estimators_]
    fractions = np.array([f for f in per_tree if f is not None]).reshape(-1, x.shape[1])
    if fractions.shape[0] == 0:  # the target is constant: nothing matters
        fractions = np.zeros((1, x.shape[1]))
    return ranked("fanova", data.names, list(fractions.mean(axis=0)),
                  list(fractions.std(axis=0)), len(y))
