"""Optuna's ``PartialFixedSampler``: some parameters fixed, the others from a base sampler."""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from tunecraft._validation import InstanceOf, check
from tunecraft.history import History
from tunecraft.samplers.base import BaseSampler
from tunecraft.space import Space


class PartialFixedSampler(BaseSampler):
    """Returns ``fixed_params`` for those names and asks ``base_sampler`` for the rest.

    Use it to re-optimise with some parameters frozen, e.g. at their best values:
    ``study.sampler = PartialFixedSampler({"y": study.best_params["y"]}, study.sampler)``.
    A fixed value outside the distribution asked for is still returned, with a warning (as
    in Optuna); the study then refuses it if the distribution cannot hold it.

    Args:
        fixed_params: Parameter name -> the value every trial gets.
        base_sampler: Samples the parameters that are not fixed.
    """

    def __init__(self, fixed_params: Mapping[str, Any], base_sampler: BaseSampler) -> None:
        check("fixed_params", fixed_params, InstanceOf(Mapping, "a mapping of name -> value"))
        check("base_sampler", base_sampler, InstanceOf(BaseSampler, "a tunecraft sampler"))
        super().__init__(base_sampler.seed)
        self.fixed_params = dict(fixed_params)
        self.base_sampler = base_sampler

    @property
    def multi_fidelity(self) -> bool:  # type: ignore[override]
        return self.base_sampler.multi_fidelity

    def joint_space(self, history: History) -> Space:
        return {k: d for k, d in self.base_sampler.joint_space(history).items()
                if k not in self.fixed_params}

    def sample_joint(self, space: Space, history: History, rng: np.random.Generator,
                     number: int) -> tuple[dict[str, Any], dict[str, Any]]:
        free = {k: d for k, d in space.items() if k not in self.fixed_params}
        out, attrs = self.base_sampler.sample_joint(free, history, rng, number) if free else (
            {}, {})
        return self._with_fixed(space, out), attrs

    def sample(self, space: Space, history: History, rng: np.random.Generator, number: int
               ) -> dict[str, Any]:
        """The base sampler's ``sample`` for the free names (an Optuna adapter draws a single
        dimension differently from a joint one), the fixed values for the others."""
        free = {k: d for k, d in space.items() if k not in self.fixed_params}
        out = self.base_sampler.sample(free, history, rng, number) if free else {}
        return self._with_fixed(space, out)

    def _with_fixed(self, space: Space, out: dict[str, Any]) -> dict[str, Any]:
        out = dict(out)
        for name, dim in space.items():
            if name in self.fixed_params:
                value = self.fixed_params[name]
                if not dim.contains(value):
                    warnings.warn(f"Fixed parameter {name!r} with value {value!r} is out of "
                                  f"range for distribution {dim}.", UserWarning, stacklevel=3)
                out[name] = value
        return out

    def reseed_rng(self) -> None:
        self.base_sampler.reseed_rng()
        self.seed = self.base_sampler.seed

    def after_trial(self, study: Any, trial: Any, state: Any,
                    values: Sequence[float] | None) -> None:
        self.base_sampler.after_trial(study, trial, state, values)

    def __repr__(self) -> str:
        return f"PartialFixedSampler({self.fixed_params!r}, {self.base_sampler!r})"
