"""Helpers shared by the plot info functions: the objective to show, axes, thinning."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

from tunecraft.history import History
from tunecraft.record import FrozenTrial
from tunecraft.space import Categorical, Dim

Target = Callable[[FrozenTrial], float]


class Objective(NamedTuple):
    """Which number a plot shows for each trial, and whether lower is better."""

    name: str
    minimize: bool
    get: Target


def objective(history: History, target: Target | None = None, target_name: str | None = None,
              *, minimize: bool | None = None) -> Objective:
    """The objective of a single-objective study, or ``target`` (required otherwise)."""
    if target is None:
        if history.n_objectives != 1:
            raise ValueError(
                f"the study has {history.n_objectives} objectives; pass target=, e.g. "
                "target=lambda t: t.values[0], and target_name= to label it")
        lower = history.directions[0].sign > 0
        return Objective(target_name or "Objective value", lower,
                         lambda t: float(t.values[0]) if t.values else math.nan)
    return Objective(target_name or "Target", True if minimize is None else minimize, target)


def finite_complete(history: History, obj: Objective) -> list[tuple[FrozenTrial, float]]:
    """(trial, objective value) of every COMPLETE trial whose value is finite."""
    out = []
    for t in history.complete():
        v = float(obj.get(t))
        if math.isfinite(v):
            out.append((t, v))
    return out


def thin(rows: Sequence[Any], max_rows: int | None, keep: int | None = None) -> list[Any]:
    """At most ``max_rows`` of ``rows``, evenly spread and in order, always with index ``keep``.

    Plots of big studies show a deterministic, even subset instead of every trial.
    """
    n = len(rows)
    if max_rows is None or n <= max_rows:
        return list(rows)
    if max_rows < 1:
        raise ValueError(f"max_trials={max_rows!r} must be None or >= 1")
    picks = {round(i * (n - 1) / max(1, max_rows - 1)) for i in range(max_rows)}
    if keep is not None:
        picks.add(keep)
    return [rows[i] for i in sorted(picks)]


class Axis(NamedTuple):
    """One parameter as a plot axis: numeric values, or category codes with their labels."""

    name: str
    values: tuple[float, ...]
    log: bool
    categories: tuple[str, ...] | None  # labels of codes 0..k-1 for a categorical parameter
    low: float
    high: float


def label(value: Any) -> str:
    return str(value)


def axis(name: str, dim: Dim, raw: Sequence[Any]) -> Axis:
    """An Axis for parameter ``name`` with distribution ``dim`` and the trials' raw values."""
    if isinstance(dim, Categorical):
        codes = tuple(float(dim.index(v)) for v in raw)
        return Axis(name, codes, False, tuple(label(c) for c in dim.choices),
                    -0.5, len(dim.choices) - 0.5)
    return Axis(name, tuple(float(v) for v in raw), bool(dim.log), None,
                float(dim.low), float(dim.high))


def params_of(history: History, params: Sequence[str] | None) -> dict[str, Dim]:
    """The parameters to plot: the named ones, or all seen in the study, with distributions."""
    dists = history.param_distributions()
    if params is None:
        return dict(sorted(dists.items()))
    missing = [p for p in params if p not in dists]
    if missing:
        raise ValueError(f"params={list(params)!r}: no trial has {missing!r}; the study's "
                         f"parameters are {sorted(dists)!r}")
    return {p: dists[p] for p in params}
