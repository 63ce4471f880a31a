"""Non-dominated sorting with constraints, and crowding distance (for NSGA-II/III).

Constrained domination (Deb 2000): a feasible trial beats an infeasible one; of two infeasible
trials the one with the smaller total violation wins; of two feasible trials Pareto dominance
decides. Every objective is minimised.
"""

from __future__ import annotations

import numpy as np

from tunecraft.history import pareto_mask


def nondominated_ranks(losses: np.ndarray) -> np.ndarray:
    """Front index of each row (0 = non-dominated), peeling fronts one at a time."""
    n = losses.shape[0]
    ranks = np.full(n, -1, dtype=np.int64)
    remaining = np.arange(n)
    rank = 0
    while remaining.size:
        front = remaining[pareto_mask(losses[remaining])]
        ranks[front] = rank
        remaining = np.setdiff1d(remaining, front, assume_unique=True)
        rank += 1
    return ranks


def constrained_ranks(losses: np.ndarray, violation: np.ndarray) -> np.ndarray:
    """Ranks under constrained domination: feasible rows (violation 0) by their fronts, then
    infeasible rows, one rank per distinct violation, smallest first."""
    ranks = np.zeros(losses.shape[0], dtype=np.int64)
    feasible = violation <= 0
    top = 0
    if feasible.any():
        ranks[feasible] = nondominated_ranks(losses[feasible])
        top = int(ranks[feasible].max()) + 1
    if (~feasible).any():
        levels = np.unique(violation[~feasible], return_inverse=True)[1]
        ranks[~feasible] = top + levels
    return ranks


def crowding_distance(losses: np.ndarray) -> np.ndarray:
    """NSGA-II's crowding distance within one front: the sum over objectives of the gap
    between each row's neighbours, normalised by the objective's range; ends get inf."""
    n, m = losses.shape
    out = np.zeros(n)
    if n <= 2:
        out[:] = np.inf
        return out
    for k in range(m):
        order = np.argsort(losses[:, k], kind="stable")
        col = losses[order, k]
        span = col[-1] - col[0]
        out[order[0]] = out[order[-1]] = np.inf
        if span > 0 and np.isfinite(span):
            out[order[1:-1]] += (col[2:] - col[:-2]) / span
    return out


def total_violation(constraints: np.ndarray) -> np.ndarray:
    """Sum of the positive parts of each row's constraint values (NaN counts as inf)."""
    c = np.where(np.isnan(constraints), np.inf, constraints)
    out: np.ndarray = np.sum(np.maximum(c, 0.0), axis=1)
    return out
