"""Quasi-random search: scrambled Sobol (or Halton) points, which cover the space evenly."""

from __future__ import annotations

import functools
from typing import Any, Literal

import numpy as np

from tunecraft._imports import require
from tunecraft._validation import Options, check
from tunecraft.history import History
from tunecraft.samplers.base import BaseSampler
from tunecraft.samplers.random import RandomSampler
from tunecraft.space import Space, decode


@functools.lru_cache(maxsize=16)
def _points(kind: str, dim: int, scramble: bool, seed: int, log2n: int) -> np.ndarray:
    qmc = require("scipy.stats.qmc", "qmc")
    if kind == "sobol":
        engine = qmc.Sobol(d=dim, scramble=scramble, seed=seed)
        pts: np.ndarray = engine.random_base2(log2n)
    else:
        pts = qmc.Halton(d=dim, scramble=scramble, seed=seed).random(2**log2n)
    pts.setflags(write=False)
    return pts


class QMCSampler(BaseSampler):
    """Trial ``k`` takes point ``k`` of one low-discrepancy sequence over the search space.

    Because the point depends only on the trial number, parallel workers never duplicate a
    point and a seeded study is reproducible whatever the number of workers.

    Args:
        search_space: The space to cover. When None, the space of the first finished trial
            is used (that first trial, and any parameter outside the space, is sampled at
            random).
        qmc_type: ``"sobol"`` (scrambled Sobol, the default) or ``"halton"``.
        scramble: Randomise the sequence (Owen scrambling); keep True unless you need the
            raw sequence.
        seed: Seed of the scrambling and of the random fallback.
    """

    name = "qmc"

    def __init__(
        self,
        search_space: Space | None = None,
        *,
        qmc_type: Literal["sobol", "halton"] = "sobol",
        scramble: bool = True,
        seed: int | None = None,
    ) -> None:
        super().__init__(seed)
        check("qmc_type", qmc_type, Options("sobol", "halton"))
        require("scipy.stats.qmc", "qmc")
        self.search_space = dict(sorted(search_space.items())) if search_space else None
        self.qmc_type = qmc_type
        self.scramble = scramble
        self._fallback = RandomSampler(seed=self.seed)

    def joint_space(self, history: History) -> Space:
        if self.search_space is not None:
            return self.search_space
        for t in history.trials:
            if t.state.is_finished() and t.distributions:
                return dict(sorted(t.distributions.items()))
        return {}

    def sample_joint(
        self, space: Space, history: History, rng: np.random.Generator, number: int
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        if not space or space != self.joint_space(history):
            return self._fallback.sample_joint(space, history, rng, number)
        log2n = max(number, 1).bit_length()
        point = _points(self.qmc_type, len(space), self.scramble, self.seed % 2**32, log2n)
        return decode(space, point[number]), {}
