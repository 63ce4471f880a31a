"""Grid search: every combination of the given values, each run exactly once, then stop."""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from tunecraft.history import History
from tunecraft.samplers.base import BaseSampler
from tunecraft.space import Categorical, Space
from tunecraft.storage.events import dumps


class GridSampler(BaseSampler):
    """Runs each point of a grid once, in a seeded random order, and then ends the study.

    The points are enqueued in the study's storage the first time the sampler is used, and
    workers claim them atomically, so with any number of threads, processes or machines
    every point runs exactly once.

    Args:
        search_space: Parameter name -> the values to try, e.g.
            ``{"lr": [1e-3, 1e-2], "batch_size": [32, 64]}``.
        seed: Seed of the order in which points are run.
    """

    name = "grid"

    def __init__(self, search_space: Mapping[str, Sequence[Any]], seed: int | None = None
                 ) -> None:
        super().__init__(seed)
        if not isinstance(search_space, Mapping) or not search_space:
            raise ValueError(
                "GridSampler needs a non-empty mapping of parameter name -> list of values"
            )
        grid: dict[str, tuple[Any, ...]] = {}
        for name, values in sorted(search_space.items()):
            if isinstance(values, np.ndarray) and values.ndim == 1:
                values = values.tolist()  # e.g. np.logspace(-3, 0, 4): Python scalars
            if isinstance(values, (str, bytes)) or not isinstance(values, Sequence):
                raise ValueError(
                    f"GridSampler values of {name!r} must be a list or 1-D array, got "
                    f"{values!r}"
                )
            values = [v.item() if isinstance(v, np.generic) else v for v in values]
            try:
                Categorical(tuple(values))  # reuses its checks: non-empty, scalars, distinct
            except ValueError as exc:
                raise ValueError(f"GridSampler values of {name!r}: {exc}") from None
            grid[name] = tuple(values)
        self.search_space: Mapping[str, tuple[Any, ...]] = grid

    @property
    def n_points(self) -> int:
        return math.prod(len(v) for v in self.search_space.values())

    def initial_trials(self) -> list[dict[str, Any]]:
        names = list(self.search_space)
        points = [dict(zip(names, combo, strict=True))
                  for combo in itertools.product(*self.search_space.values())]
        order = np.random.default_rng(self.seed).permutation(len(points))
        return [points[i] for i in order]

    def is_exhausted(self, study: Any) -> bool:
        """Whether every grid point has been run or is running in ``study`` (Optuna's name)."""
        from tunecraft._optuna_bridge import history_of
        from tunecraft.record import TrialState

        names = list(self.search_space)
        seen = {dumps([t.params.get(n) for n in names]) for t in history_of(study).trials
                if t.state is not TrialState.WAITING and all(n in t.params for n in names)}
        return all(dumps(list(combo)) in seen
                   for combo in itertools.product(*self.search_space.values()))

    def fingerprint(self) -> str:
        """Identifies this grid within a study, so that it is enqueued only once."""
        return dumps({k: list(v) for k, v in self.search_space.items()})

    def sample_joint(
        self, space: Space, history: History, rng: np.random.Generator, number: int
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        missing = sorted(k for k in space if k not in self.search_space)
        if missing:
            raise ValueError(
                f"parameter(s) {missing} are not in the GridSampler's search space "
                f"{sorted(self.search_space)}; add them to the grid"
            )
        # A grid parameter that an enqueued trial left open (``enqueue_trial({})``): a value
        # of the grid, drawn at random; the grid's own points all still run.
        out: dict[str, Any] = {}
        for name, dim in space.items():
            legal = [v for v in self.search_space[name] if dim.contains(v)]
            if not legal:
                raise ValueError(f"no value of the grid for {name!r} "
                                 f"{list(self.search_space[name])} is in {dim}")
            out[name] = legal[int(rng.integers(len(legal)))]
        return out, {}
