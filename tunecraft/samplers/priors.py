"""User beliefs about good values ("learning rate around 1e-3"), used as decaying priors.

Following piBO (Hvarfner et al., ICLR 2022), a prior ``pi(x)`` multiplies the acquisition
function by ``pi(x) ** (beta / n)`` at the ``n``-th model-based suggestion: early suggestions
stay close to what the user believes, and as evidence accumulates the prior's pull fades, so a
wrong belief costs a few trials rather than the whole search. The start-up trials are drawn
from the prior too.

Priors live in a dimension's unit-cube coordinate (log space for ``log=True``), so "around
1e-3" on ``Float(1e-5, 1, log=True)`` with ``spread=0.1`` means a standard deviation of half a
decade (a tenth of the five decades of the range).

Example:
    >>> from tunecraft.samplers import GPSampler
    >>> from tunecraft.samplers.priors import Around, Weights
    >>> sampler = GPSampler(priors={"lr": Around(1e-3), "optimizer": Weights({"adam": 3})})
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from tunecraft.space import Categorical, Dim


@dataclass(frozen=True)
class Around:
    """A belief that good values of a Float or Int lie around ``value``.

    Args:
        value: The believed best value (inside the dimension's range).
        spread: Standard deviation as a fraction of the dimension's unit-cube range (of its
            log range for log dimensions); smaller means more confident.
    """

    value: float
    spread: float = 0.1

    def __post_init__(self) -> None:
        if isinstance(self.value, bool) or not isinstance(self.value, numbers.Real) \
                or not math.isfinite(self.value):
            raise ValueError(f"Around value={self.value!r} must be a finite number")
        if isinstance(self.spread, bool) or not isinstance(self.spread, numbers.Real) \
                or not 0 < self.spread <= 10:
            raise ValueError(f"Around spread={self.spread!r} must be a number in (0, 10] "
                             "(a fraction of the range; 0.1 is a fair belief)")

    def check(self, name: str, dim: Dim) -> None:
        """Raise ValueError unless this prior fits ``dim``."""
        if isinstance(dim, Categorical):
            raise ValueError(f"prior Around({self.value}) on categorical parameter {name!r}; "
                             "use Weights({choice: weight, ...}) for categorical parameters")
        if not dim.low <= self.value <= dim.high:
            raise ValueError(f"prior Around({self.value}) for parameter {name!r} is outside "
                             f"{dim}; give a value inside the range")

    def log_density(self, dim: Dim, col: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Log density (up to a constant) and its derivative at unit coordinates ``col``."""
        centre = dim.to_unit(self.value)
        diff = col - centre
        out: np.ndarray = -0.5 * (diff / self.spread) ** 2
        return out, -diff / self.spread**2

    def sample(self, dim: Dim, rng: np.random.Generator) -> Any:
        """A value drawn from the prior (a normal truncated to the unit cube)."""
        centre = dim.to_unit(self.value)
        for _ in range(100):
            u = rng.normal(centre, self.spread)
            if 0.0 <= u <= 1.0:
                return dim.from_unit(u)
        return dim.from_unit(float(np.clip(centre, 0.0, 1.0)))


@dataclass(frozen=True)
class Weights:
    """A belief about a Categorical: relative weights of its choices (unlisted ones weigh 1).

    Args:
        weights: ``{choice: weight}``, weights > 0.
    """

    weights: Mapping[Any, float]

    def __post_init__(self) -> None:
        if not isinstance(self.weights, Mapping) or not self.weights:
            raise ValueError(f"Weights weights={self.weights!r} must be a non-empty mapping "
                             "{choice: weight}")
        for k, w in self.weights.items():
            if isinstance(w, bool) or not isinstance(w, numbers.Real) or not 0 < w < math.inf:
                raise ValueError(f"Weights: the weight {w!r} of choice {k!r} must be a finite "
                                 "number > 0")

    def check(self, name: str, dim: Dim) -> None:
        """Raise ValueError unless this prior fits ``dim``."""
        if not isinstance(dim, Categorical):
            raise ValueError(f"prior Weights on numerical parameter {name!r}; use "
                             "Around(value) for Float and Int parameters")
        for k in self.weights:
            if not dim.contains(k):
                raise ValueError(f"prior Weights for parameter {name!r} names {k!r}, which is "
                                 f"not one of its choices {list(dim.choices)!r}")

    def probabilities(self, dim: Categorical) -> np.ndarray:
        """The prior probability of each choice, in the dimension's order."""
        w = np.ones(len(dim.choices))
        for k, v in self.weights.items():
            w[dim.index(k)] = float(v)
        out: np.ndarray = w / w.sum()
        return out

    def log_density(self, dim: Dim, col: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Log probability at choice indices ``col`` (no gradient: choices are discrete)."""
        assert isinstance(dim, Categorical)
        logp = np.log(self.probabilities(dim))
        idx = np.clip(np.round(col).astype(np.int64), 0, len(dim.choices) - 1)
        return logp[idx], np.zeros_like(col)

    def sample(self, dim: Dim, rng: np.random.Generator) -> Any:
        """A choice drawn with the prior probabilities."""
        assert isinstance(dim, Categorical)
        return dim.choices[int(rng.choice(len(dim.choices), p=self.probabilities(dim)))]


Prior = Around | Weights


def check_priors(priors: Mapping[str, Prior] | None) -> dict[str, Prior]:
    """Validate a ``{name: prior}`` argument (the dimensions are checked when seen)."""
    if priors is None:
        return {}
    if not isinstance(priors, Mapping):
        raise ValueError(f"priors={priors!r} must be a mapping {{name: Around(...) or "
                         "Weights(...)}}")
    for name, p in priors.items():
        if not isinstance(p, (Around, Weights)):
            raise ValueError(f"priors[{name!r}]={p!r} must be Around(value) or "
                             "Weights({choice: weight})")
    return dict(priors)
