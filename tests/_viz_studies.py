"""Synthetic studies with known answers for the importance and plot tests (no optimisation)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from tunecraft.direction import StudyDirection
from tunecraft.history import History
from tunecraft.record import FrozenTrial, TrialState
from tunecraft.space import Dim, Float

T0 = dt.datetime(2025, 1, 1, 12, 0, 0)


def trial(number: int, params: Mapping[str, Any], dists: Mapping[str, Dim],
          values: tuple[float, ...] | None, *, state: TrialState = TrialState.COMPLETE,
          reports: Mapping[int, float] | None = None, start: float | None = None,
          end: float | None = None, system_attrs: Mapping[str, Any] | None = None
          ) -> FrozenTrial:
    """A FrozenTrial; ``start``/``end`` are seconds after T0."""
    return FrozenTrial(
        number, state, params=dict(params), distributions=dict(dists), values=values,
        intermediate_values=dict(reports or {}), system_attrs=dict(system_attrs or {}),
        datetime_start=None if start is None else T0 + dt.timedelta(seconds=start),
        datetime_complete=None if end is None else T0 + dt.timedelta(seconds=end))


def uniform_history(f: Callable[..., float], n: int, names: str = "xyz", seed: int = 0,
                    dims: Mapping[str, Dim] | None = None,
                    direction: str = "minimize") -> History:
    """``n`` trials with parameters uniform in [0, 1] (or ``dims``) and value ``f(**params)``."""
    rng = np.random.default_rng(seed)
    dists: dict[str, Dim] = dict(dims) if dims is not None else {c: Float(0.0, 1.0)
                                                                  for c in names}
    trials = []
    for i in range(n):
        params = {k: d.from_unit(float(rng.random())) for k, d in dists.items()}
        trials.append(trial(i, params, dists, (float(f(**params)),), start=i, end=i + 0.5))
    return History(trials, [StudyDirection.parse(direction)])
