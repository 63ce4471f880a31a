"""Optuna's ``optuna.search_space``: the parameters every finished trial has, to sample jointly.

Custom samplers call ``intersection_search_space(study.trials)`` (or keep an
``IntersectionSearchSpace`` and call ``calculate(study)``) in
``infer_relative_search_space``. Like Optuna's, the result holds the parameters present with
the same distribution in every COMPLETE trial (and PRUNED ones with ``include_pruned``),
sorted by name.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from tunecraft.record import FrozenTrial, TrialState
from tunecraft.space import Dim


def intersection_search_space(trials: Iterable[FrozenTrial], include_pruned: bool = False
                              ) -> dict[str, Dim]:
    """Parameters with one distribution in every COMPLETE (and PRUNED, if asked) trial."""
    states = (TrialState.COMPLETE, TrialState.PRUNED) if include_pruned else (
        TrialState.COMPLETE,)
    space: dict[str, Dim] | None = None
    for t in trials:
        if TrialState(t.state) not in states:
            continue
        if space is None:
            space = dict(t.distributions)
        else:
            space = {k: d for k, d in space.items() if t.distributions.get(k) == d}
    return dict(sorted((space or {}).items()))


class IntersectionSearchSpace:
    """Optuna's ``IntersectionSearchSpace``: :func:`intersection_search_space` of a study."""

    def __init__(self, include_pruned: bool = False) -> None:
        self.include_pruned = include_pruned

    def calculate(self, study: Any) -> dict[str, Dim]:
        """The intersection space of ``study``'s trials now."""
        return intersection_search_space(study.get_trials(deepcopy=False), self.include_pruned)


__all__ = ["IntersectionSearchSpace", "intersection_search_space"]
