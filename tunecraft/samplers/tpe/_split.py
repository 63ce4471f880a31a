"""TPE's split of observed trials into "below" (good, fits l(x)) and "above" (fits g(x)).

Order of goodness: COMPLETE trials by value (for several objectives: by non-domination rank,
the last rank tie-broken by hypervolume contribution); then PRUNED trials, those that ran
further first and then by their last reported value (NaN last); then INFEASIBLE trials (any
state, with a violated constraint), by total violation. RUNNING trials (the constant liar)
always go above. Also the default ``gamma`` and ``weights`` functions.
"""

from __future__ import annotations

import math

import numpy as np

from tunecraft.history import pareto_mask

COMPLETE, PRUNED, RUNNING, INFEASIBLE = 0, 1, 2, 3


def default_gamma(n: int) -> int:
    """Number of "below" trials among ``n``: 10 %, rounded up, at most 25 (Optuna)."""
    return min(math.ceil(0.1 * n), 25)


def default_gamma_multiobjective(n: int) -> int:
    """Number of "below" trials among ``n`` for several objectives: 10 %, no cap (Optuna v5)."""
    return math.ceil(0.1 * n)


def hyperopt_gamma(n: int) -> int:
    """hyperopt's rule: ``ceil(0.25 * sqrt(n))``, at most 25; pass it as ``gamma=`` to use it."""
    return min(math.ceil(0.25 * math.sqrt(n)), 25)


def default_weights(n: int) -> np.ndarray:
    """Weights of ``n`` trials in number order: the last 25 weigh 1, older ones ramp up from
    ``1/n`` (Optuna's down-weighting of old trials)."""
    if n < 25:
        return np.ones(n)
    return np.concatenate([np.linspace(1.0 / n, 1.0, n - 25), np.ones(25)])


def split(
    kind: np.ndarray,
    values: np.ndarray,
    pruned_key: np.ndarray,
    n_below: int,
    violation: np.ndarray | None = None,
) -> np.ndarray:
    """Boolean mask of the "below" rows.

    Args:
        kind: (n,) COMPLETE, PRUNED or RUNNING per row; rows are in trial-number order.
        values: (n, m) objective values, every column minimised (read for COMPLETE rows).
        pruned_key: (n, 2) ``(-last_step, last value)`` (read for PRUNED rows), smaller is
            better; the caller puts inf where there is no step or the value is NaN.
        n_below: How many rows go below; at most the number of non-running rows are taken.
        violation: (n,) total constraint violation (read for INFEASIBLE rows).
    """
    below = np.zeros(kind.shape[0], dtype=bool)
    complete = np.flatnonzero(kind == COMPLETE)
    n_complete = min(n_below, complete.size)
    if n_complete > 0:
        if values.shape[1] == 1:
            below[complete[smallest(values[complete, 0], n_complete)]] = True
        else:
            below[complete[_best_multiobjective(values[complete], n_complete)]] = True
    n_pruned = n_below - n_complete
    pruned = np.flatnonzero(kind == PRUNED)
    if n_pruned > 0 and pruned.size:
        # np.lexsort sorts by the last key first; ties keep number order (stable).
        order = np.lexsort((pruned_key[pruned, 1], pruned_key[pruned, 0]))
        below[pruned[order[:n_pruned]]] = True
    n_infeasible = n_pruned - min(n_pruned, pruned.size)
    infeasible = np.flatnonzero(kind == INFEASIBLE)
    if n_infeasible > 0 and infeasible.size and violation is not None:
        order = np.argsort(violation[infeasible], kind="stable")
        below[infeasible[order[:n_infeasible]]] = True
    return below


def smallest(x: np.ndarray, k: int) -> np.ndarray:
    """Indices of the ``k`` smallest entries of ``x`` (no NaN), ties broken by position: the
    first ``k`` of a stable argsort, found in O(n) with a partition instead of a sort (the
    split runs at every suggestion, over every finished trial)."""
    if k >= x.size:
        return np.arange(x.size)
    if k <= 0:
        return np.arange(0)
    kth = np.partition(x, k - 1)[k - 1]
    less = np.flatnonzero(x < kth)
    ties = np.flatnonzero(x == kth)[:k - less.size]
    return np.concatenate([less, ties])


def _best_multiobjective(losses: np.ndarray, k: int) -> np.ndarray:
    """Indices of ``k`` good rows: whole non-domination ranks, then the first rank that does
    not fit entirely, by greedy hypervolume contribution."""
    chosen: list[np.ndarray] = []
    remaining = np.arange(losses.shape[0])
    need = k
    while need > 0:
        front = remaining[pareto_mask(losses[remaining])]
        if front.size <= need:
            chosen.append(front)
            need -= front.size
            remaining = np.setdiff1d(remaining, front, assume_unique=True)
            continue
        chosen.append(front[hypervolume_greedy(losses[front], need)])
        need = 0
    return np.sort(np.concatenate(chosen))


def hypervolume_greedy(front: np.ndarray, k: int) -> np.ndarray:
    """Pick ``k`` rows of a mutually non-dominated ``front`` that cover much hypervolume.

    Objectives are scaled to [0, 1] over the front and the reference point is 1.1 in every
    objective. The first pick has the largest dominated box; each further pick has the
    largest contribution given the picks so far. With two objectives the contribution is
    exact; with more, the overlap with the picks is estimated by the largest overlap with any
    single pick (an upper bound on the true contribution, exact when the boxes of the picks
    do not overlap inside the candidate's box), which keeps the selection O(k * n).
    """
    lo = front.min(axis=0)
    span = front.max(axis=0) - lo
    pts = (front - lo) / np.where(span > 0, span, 1.0)
    ref = 1.1
    n, m = pts.shape
    picked = np.zeros(n, dtype=bool)
    order: list[int] = []
    if m == 2:
        for _ in range(k):
            contrib = _contributions_2d(pts, picked, ref)
            contrib[picked] = -np.inf
            i = int(np.argmax(contrib))
            picked[i] = True
            order.append(i)
        return np.array(order, dtype=np.int64)
    volume = np.prod(ref - pts, axis=1)
    overlap = np.zeros(n)
    for _ in range(k):
        contrib = volume - overlap
        contrib[picked] = -np.inf
        i = int(np.argmax(contrib))
        picked[i] = True
        order.append(i)
        overlap = np.maximum(overlap, np.prod(ref - np.maximum(pts, pts[i]), axis=1))
    return np.array(order, dtype=np.int64)


def _contributions_2d(pts: np.ndarray, picked: np.ndarray, ref: float) -> np.ndarray:
    """Exact area that each row adds to the picked rows' dominated area (2 objectives)."""
    sel = pts[picked]
    sel = sel[np.argsort(sel[:, 0], kind="stable")]
    # The nearest picked neighbour on the right (f1 >= own f1) bounds the area in f1; the
    # nearest on the left (smaller f1, hence larger f2) bounds it in f2.
    idx = np.searchsorted(sel[:, 0], pts[:, 0], side="left")
    right = np.append(sel[:, 0], ref)[idx]
    left_f2 = np.concatenate([[ref], sel[:, 1]])[idx]
    out: np.ndarray = np.maximum(right - pts[:, 0], 0.0) * np.maximum(left_f2 - pts[:, 1], 0.0)
    return out
