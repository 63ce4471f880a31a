"""Uniform random search: each dimension independently, log dimensions uniform in log space."""

from __future__ import annotations

from typing import Any

import numpy as np

from tunecraft.history import History
from tunecraft.samplers.base import BaseSampler
from tunecraft.space import Space


class RandomSampler(BaseSampler):
    """Samples every dimension uniformly from its unit-cube encoding.

    Stepped and integer dimensions give every grid point the same probability; log
    dimensions are uniform in log space.
    """

    name = "random"

    def sample_joint(
        self, space: Space, history: History, rng: np.random.Generator, number: int
    ) -> tuple[dict[str, Any], dict[str, Any]]:
        return {name: dim.from_unit(rng.random()) for name, dim in space.items()}, {}
