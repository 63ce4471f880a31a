"""Decide on smoothed learning curves, so that one jittery report does not prune a trial."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from types import MappingProxyType
from typing import Literal

from tunecraft._validation import InstanceOf, Interval, Options, Spec, validate
from tunecraft.history import History
from tunecraft.pruners.base import BasePruner, Decision, Resume, WrappingPruner
from tunecraft.record import FrozenTrial


def smooth_curve(values: Mapping[int, float], window: int,
                 kind: Literal["mean", "ema"] = "mean") -> dict[int, float]:
    """Each report replaced by the mean of the last ``window`` finite reports up to it
    (``"mean"``), or by an exponential moving average with ``alpha = 2 / (window + 1)``
    (``"ema"``). Causal: a smoothed value never looks ahead. NaN stays NaN."""
    out: dict[int, float] = {}
    recent: list[float] = []
    ema = math.nan
    alpha = 2.0 / (window + 1)
    for step, v in sorted(values.items()):
        if math.isnan(v):
            out[step] = v
            continue
        if kind == "mean":
            recent = (recent + [v])[-window:]
            out[step] = sum(recent) / len(recent)
        else:
            ema = v if math.isnan(ema) else alpha * v + (1 - alpha) * ema
            out[step] = ema
    return out


_CONSTRAINTS: Spec = {"wrapped": InstanceOf(BasePruner, "a tunecraft pruner"),
                      "window": Interval(int, 1), "kind": Options("mean", "ema")}


class SmoothedPruner(WrappingPruner):
    """Run ``wrapped`` on smoothed curves: every trial's reports (the decided trial's and
    the history's) are replaced by a causal moving average before ``wrapped`` decides.

    Validation curves jitter from epoch to epoch (small validation sets, dropout, large
    learning rates), and a pruner comparing single values then stops trials on noise. A
    moving average over ``window`` reports cuts the jitter's standard deviation by about
    ``sqrt(window)`` at the cost of reacting ``(window - 1) / 2`` steps late. Works with any
    curve-based pruner (median, percentile, threshold, successive halving, Hyperband).

    Args:
        wrapped: The pruner that decides on the smoothed curves.
        window: Reports averaged (>= 1; 1 changes nothing).
        kind: ``"mean"`` (moving average) or ``"ema"`` (exponential, ``alpha = 2 /
            (window + 1)``).
    """

    name = "smoothed"
    wrapped: BasePruner

    def __init__(self, wrapped: BasePruner, window: int = 3,
                 kind: Literal["mean", "ema"] = "mean") -> None:
        validate(_CONSTRAINTS, wrapped=wrapped, window=window, kind=kind)
        self.wrapped = wrapped
        self.window = window
        self.kind: Literal["mean", "ema"] = kind
        self._cache: dict[int, tuple[FrozenTrial, FrozenTrial]] = {}

    def smooth(self, trial: FrozenTrial) -> FrozenTrial:
        """The trial with smoothed reports (records of unchanged trials are cached)."""
        hit = self._cache.get(id(trial))
        if hit is not None and hit[0] is trial:
            return hit[1]
        curve = smooth_curve(trial.intermediate_values, self.window, self.kind)
        out = dataclasses.replace(trial, intermediate_values=MappingProxyType(curve))
        if len(self._cache) > 50_000:
            self._cache.clear()
        self._cache[id(trial)] = (trial, out)
        return out

    def decide(self, trial: FrozenTrial, history: History) -> Decision:
        smoothed = History([self.smooth(t) for t in history.trials], history.directions)
        return self.wrapped.decide(self.smooth(trial), smoothed)

    def promote(self, history: History) -> Resume | None:
        """The wrapped scheduler's promotion, decided on the smoothed curves too (its budgets
        and checkpoints pass through unchanged: :class:`WrappingPruner`)."""
        smoothed = History([self.smooth(t) for t in history.trials], history.directions)
        return self.wrapped.promote(smoothed)

    def __repr__(self) -> str:
        return (f"{type(self).__name__}(wrapped={self.wrapped!r}, window={self.window}, "
                f"kind={self.kind!r})")
