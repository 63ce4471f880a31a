"""Run Optuna-style samplers and pruners in a tunecraft study (your custom code, OptunaHub's).

An Optuna sampler implements ``infer_relative_search_space(study, trial)``,
``sample_relative(study, trial, search_space)`` and ``sample_independent(study, trial, name,
distribution)``; an Optuna pruner implements ``prune(study, trial) -> bool``.
:class:`OptunaSampler` and :class:`OptunaPruner` wrap such objects as tunecraft samplers and
pruners; ``create_study(sampler=...)`` and ``create_study(pruner=...)`` wrap them for you.

The ``study`` they receive is a read-only view of the trials the tunecraft sampler sees
(``get_trials(deepcopy=, states=)``, ``trials``, ``direction(s)``, ``best_trial``); when Optuna
is installed, its trials, states and distributions are Optuna's own types, so code written
against ``optuna.trial.TrialState`` keeps working. Samplers must not write to the study
(``study._storage``): tunecraft's samplers and pruners are pure functions of the history.
``after_trial`` and ``before_trial`` hooks are not called.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from tunecraft._optuna_bridge import (
    StudyView,
    from_optuna_distribution,
    optuna_joint_space,
    optuna_sample,
    optuna_sample_joint,
    to_optuna_distribution,
    to_optuna_trial,
)
from tunecraft.decision import Decision
from tunecraft.history import History
from tunecraft.pruners.base import BasePruner
from tunecraft.record import FrozenTrial
from tunecraft.samplers.base import BaseSampler
from tunecraft.space import Space


class OptunaSampler(BaseSampler):
    """A tunecraft sampler that asks an Optuna-style sampler (``sample_relative`` & co.)."""

    def __init__(self, sampler: Any, *, seed: int | None = None) -> None:
        for method in ("infer_relative_search_space", "sample_relative", "sample_independent"):
            if not callable(getattr(sampler, method, None)):
                raise TypeError(f"{sampler!r} has no {method}(); an Optuna-style sampler "
                                "implements infer_relative_search_space, sample_relative and "
                                "sample_independent")
        super().__init__(seed)
        self.sampler = sampler

    def joint_space(self, history: History) -> Space:
        return optuna_joint_space(self.sampler, history)

    def sample_joint(self, space: Space, history: History, rng: np.random.Generator,
                     number: int) -> tuple[dict[str, Any], dict[str, Any]]:
        return optuna_sample_joint(self.sampler, space, history, number)

    def sample(self, space: Space, history: History, rng: np.random.Generator,
               number: int) -> dict[str, Any]:
        """Each dimension from ``sample_independent``: Optuna draws a dimension outside the
        relative search space with its own call, so this one override stays."""
        return optuna_sample(self.sampler, space, history, number)

    def __repr__(self) -> str:
        return f"OptunaSampler({self.sampler!r})"


class OptunaPruner(BasePruner):
    """A tunecraft pruner that asks an Optuna-style pruner's ``prune(study, trial)``."""

    def __init__(self, pruner: Any) -> None:
        if not callable(getattr(pruner, "prune", None)):
            raise TypeError(f"{pruner!r} has no prune(study, trial) method")
        self.pruner = pruner

    def decide(self, trial: FrozenTrial, history: History) -> Decision:
        pruned = self.pruner.prune(StudyView(history), to_optuna_trial(trial))
        return Decision.PRUNE if pruned else Decision.CONTINUE

    def __repr__(self) -> str:
        return f"OptunaPruner({self.pruner!r})"


def adapt_sampler(sampler: Any) -> Any:
    """``sampler`` wrapped in :class:`OptunaSampler` if it is Optuna-style; else unchanged."""
    if sampler is None or isinstance(sampler, BaseSampler):
        return sampler
    if callable(getattr(sampler, "sample_independent", None)):
        return OptunaSampler(sampler)
    return sampler


def adapt_pruner(pruner: Any) -> Any:
    """``pruner`` wrapped in :class:`OptunaPruner` if it is Optuna-style; else unchanged."""
    if pruner is None or isinstance(pruner, BasePruner):
        return pruner
    if callable(getattr(pruner, "prune", None)):
        return OptunaPruner(pruner)
    return pruner


__all__ = ["OptunaPruner", "OptunaSampler", "StudyView", "adapt_pruner", "adapt_sampler",
           "from_optuna_distribution", "optuna_joint_space", "optuna_sample",
           "optuna_sample_joint", "to_optuna_distribution", "to_optuna_trial"]
