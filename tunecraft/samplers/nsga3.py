"""NSGAIIISampler: NSGA-II whose last front is cut by niching around reference points.

With three or more objectives nearly every trial is non-dominated and crowding distance stops
telling them apart. NSGA-III (Deb & Jain, IEEE TEVC 2014) instead spreads the population over
reference directions (Das-Dennis points on the unit simplex): the objectives are normalised
by the ideal point and the intercepts of the hyperplane through the extreme points, each
trial is associated with its nearest reference line, and the last front is filled one trial
at a time from the least crowded reference directions.
"""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np

from tunecraft._rng import trial_rng
from tunecraft._validation import Interval, check
from tunecraft.samplers.nsga2 import NSGAIISampler


def reference_points(n_objectives: int, divisions: int) -> np.ndarray:
    """Das-Dennis points: every vector of ``k / divisions`` (k integers) summing to 1."""
    pts = [c for c in itertools.product(range(divisions + 1), repeat=n_objectives)
           if sum(c) == divisions]
    return np.array(pts, dtype=float) / divisions


class NSGAIIISampler(NSGAIISampler):
    """NSGA-III: NSGA-II with reference-point niching, for 3 or more objectives.

    Args:
        dividing_parameter: Divisions of each objective axis for the Das-Dennis reference
            points (3 gives 10 points for 3 objectives, 15 for 4).
        reference_points: Your own reference points (k, n_objectives) instead.
        **kwargs: As for :class:`NSGAIISampler`.
    """

    name = "nsga3"

    def __init__(self, *, dividing_parameter: int = 3,
                 reference_points: np.ndarray | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        check("dividing_parameter", dividing_parameter, Interval(int, 1))
        self.dividing_parameter: int = int(dividing_parameter)
        self.reference_points: np.ndarray | None = None if reference_points is None \
            else np.asarray(reference_points, dtype=float)

    def _cut(self, front: np.ndarray, room: int, losses: np.ndarray, violation: np.ndarray,
             chosen: list[int], generation: int) -> list[int]:
        if np.any(violation[front] > 0) or np.isnan(losses[front]).any():
            ties: list[int] = front[np.argsort(front, kind="stable")[:room]].tolist()
            return ties  # an infeasible front: its members tie
        m = losses.shape[1]
        refs = self.reference_points if self.reference_points is not None \
            else reference_points(m, self.dividing_parameter)
        members = np.array(chosen + front.tolist(), dtype=np.int64)
        normed = _normalize(losses[members])
        nearest, dist = _associate(normed, refs)
        n_chosen = len(chosen)
        counts = np.bincount(nearest[:n_chosen], minlength=refs.shape[0])
        rng = trial_rng(self.seed, generation, stream=1)
        pool = list(range(n_chosen, members.size))
        out: list[int] = []
        alive = np.ones(refs.shape[0], dtype=bool)
        while len(out) < room and pool:
            has = np.zeros(refs.shape[0], dtype=bool)
            has[[nearest[i] for i in pool]] = True
            alive &= has
            low = np.flatnonzero(alive & (counts == counts[alive].min()))
            j = int(rng.choice(low))
            mine = [i for i in pool if nearest[i] == j]
            pick = min(mine, key=lambda i: dist[i]) if counts[j] == 0 else int(rng.choice(mine))
            out.append(int(members[pick]))
            pool.remove(pick)
            counts[j] += 1
        return out


def _normalize(f: np.ndarray) -> np.ndarray:
    """Translate by the ideal point and divide by the hyperplane intercepts (falling back to
    the per-objective maximum when the extreme points are degenerate)."""
    shifted = f - f.min(axis=0)
    m = f.shape[1]
    weights = np.full((m, m), 1e-6) + np.eye(m) * (1 - 1e-6)
    asf = np.max(shifted[None, :, :] / weights[:, None, :], axis=2)  # (m, n)
    extremes = shifted[np.argmin(asf, axis=1)]
    worst = shifted.max(axis=0)
    try:
        b = np.linalg.solve(extremes, np.ones(m))
        intercepts = 1.0 / b
        if not np.all(np.isfinite(intercepts)) or np.any(intercepts <= 1e-10):
            raise np.linalg.LinAlgError
    except np.linalg.LinAlgError:
        intercepts = worst
    intercepts = np.where(intercepts > 1e-10, intercepts, 1.0)
    out: np.ndarray = shifted / intercepts
    return out


def _associate(f: np.ndarray, refs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Nearest reference line of each row and the perpendicular distance to it."""
    unit = refs / np.linalg.norm(refs, axis=1, keepdims=True)
    proj = f @ unit.T  # (n, k)
    d2 = np.maximum((f * f).sum(1)[:, None] - proj**2, 0.0)
    nearest = np.argmin(d2, axis=1)
    return nearest, np.sqrt(d2[np.arange(f.shape[0]), nearest])
