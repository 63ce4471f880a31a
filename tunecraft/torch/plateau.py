"""Reduce-on-plateau as a pure rule: a frozen state and ``step(state, metric) -> state``.

The only schedule that depends on the metric rather than on the step count. Keeping its state
explicit (best value, bad epochs, cooldown, current factor) makes it trivially checkpointable
and testable; :meth:`ReduceOnPlateau.to_torch` wraps it for a torch optimizer.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from tunecraft._validation import Interval, Options, Spec, check, validate

if TYPE_CHECKING:
    from torch.optim import Optimizer

    from tunecraft.torch._torch_schedules import PlateauLR

__all__ = ["PlateauState", "ReduceOnPlateau"]


@dataclass(frozen=True, slots=True)
class PlateauState:
    """Where a plateau rule stands: the learning-rate ``factor`` and the counters behind it."""

    factor: float = 1.0
    best: float = math.inf
    bad_epochs: int = 0
    cooldown_left: int = 0
    num_reductions: int = 0


_CONSTRAINTS: Spec = {
    "patience": Interval(int, 0), "cooldown": Interval(int, 0), "mode": Options("min", "max"),
    "threshold_mode": Options("rel", "abs"), "threshold": Interval(float, 0, finite=False),
    "min_factor": Interval(float, 0, 1),
}


@dataclass(frozen=True, slots=True)
class ReduceOnPlateau:
    """Multiply the lr by ``factor`` after ``patience`` evaluations without improvement.

    Same semantics as torch's ``ReduceLROnPlateau``: an evaluation improves when it beats the
    best by ``threshold`` (relative, ``threshold * |best|``, or absolute); after more than
    ``patience`` bad evaluations the factor drops (not below ``min_factor``) and ``cooldown``
    evaluations are ignored. NaN never improves. ``mode="max"`` for accuracy-like metrics.
    """

    factor: float = 0.1
    patience: int = 10
    mode: Literal["min", "max"] = "min"
    threshold: float = 1e-4
    threshold_mode: Literal["rel", "abs"] = "rel"
    cooldown: int = 0
    min_factor: float = 0.0

    def __post_init__(self) -> None:
        check("factor", self.factor, Interval(float, 0, 1, closed="neither"),
              fix="it multiplies the lr")
        validate(_CONSTRAINTS, patience=self.patience, cooldown=self.cooldown, mode=self.mode,
                 threshold_mode=self.threshold_mode, threshold=self.threshold,
                 min_factor=self.min_factor)

    def init(self) -> PlateauState:
        """The state before the first evaluation (factor 1, no best yet)."""
        return PlateauState(best=math.inf if self.mode == "min" else -math.inf)

    def improves(self, metric: float, best: float) -> bool:
        """Whether ``metric`` beats ``best`` by more than the threshold."""
        if math.isnan(metric):
            return False
        sign = 1.0 if self.mode == "min" else -1.0
        if self.threshold_mode == "rel":
            if math.isinf(best):
                return sign * metric < sign * best
            return sign * metric < sign * best - abs(best) * self.threshold
        return sign * metric < sign * best - self.threshold

    def step(self, state: PlateauState, metric: float) -> PlateauState:
        """The state after one evaluation of ``metric``; pure, ``state`` is left untouched."""
        metric = float(metric)
        best, bad = state.best, state.bad_epochs
        if self.improves(metric, best):
            best, bad = metric, 0
        else:
            bad += 1
        cooldown = state.cooldown_left
        if cooldown > 0:
            cooldown -= 1
            bad = 0
        factor, reductions = state.factor, state.num_reductions
        if bad > self.patience:
            new = max(factor * self.factor, self.min_factor)
            if new < factor:
                factor, reductions = new, reductions + 1
            cooldown, bad = self.cooldown, 0
        return PlateauState(factor, best, bad, cooldown, reductions)

    def to_torch(self, optimizer: Optimizer) -> PlateauLR:
        """A torch adapter: ``.step(metric)`` sets each group's lr to ``base_lr * factor``."""
        from tunecraft.torch._torch_schedules import PlateauLR

        return PlateauLR(optimizer, self)
