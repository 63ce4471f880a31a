"""The numeric view of a study that importance methods read: trials in the unit box, one target.

:func:`design` encodes a History's completed trials as a matrix (:class:`Design`);
:func:`check_enough` says when there are too few of them for a method. Used by
:mod:`tunecraft.analysis` and Optuna's ``tunecraft.importance`` evaluators.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from tunecraft.history import History
from tunecraft.record import FrozenTrial
from tunecraft.space import Dim, is_single

Target = Callable[[FrozenTrial], float]


@dataclass(frozen=True, slots=True)
class Design:
    """Completed trials as a matrix: ``x[i, j]`` is trial i's parameter j in the unit box.

    ``y`` holds the target, oriented so that lower is better; ``dims`` are the distributions
    shared by every trial used (the study's intersection space, less one-valued dimensions).
    """

    names: tuple[str, ...]
    dims: tuple[Dim, ...]
    x: np.ndarray
    y: np.ndarray
    numbers: tuple[int, ...]


def design(history: History, *, params: Sequence[str] | None = None,
           target: Target | None = None, minimize: bool = True) -> Design:
    """Encode the finite COMPLETE trials of ``history`` for an importance method.

    Args:
        history: The study's trials.
        params: Parameter names to assess; default every parameter that all completed trials
            share with the same distribution (the intersection space).
        target: Maps a trial to the number to explain; required for multi-objective studies.
        minimize: For a ``target``: whether lower target values are better.
    """
    if target is None and history.n_objectives != 1:
        raise ValueError(
            f"the study has {history.n_objectives} objectives; pass target=, e.g. "
            "target=lambda t: t.values[0], to say which number to explain")
    space = history.intersection_space()
    if params is not None:
        missing = [p for p in params if p not in space]
        if missing:
            raise ValueError(
                f"params={list(params)!r}: {missing!r} are not shared by every completed trial "
                f"with one distribution; choose among {sorted(space)!r}")
        space = {p: space[p] for p in params}
    space = {k: d for k, d in space.items() if not is_single(d)}
    trials = history.complete()
    if target is None:
        y = history.signed_values(trials)[:, 0] if trials else np.empty(0)
    else:
        raw = np.array([float(target(t)) for t in trials], dtype=float)
        y = raw if minimize else -raw
        keep = np.isfinite(y)
        trials = tuple(t for t, k in zip(trials, keep, strict=True) if k)
        y = y[keep]
    names = tuple(space)
    x = np.array([[space[n].to_unit(t.params[n]) for n in names] for t in trials],
                 dtype=float).reshape(len(trials), len(names))
    return Design(names, tuple(space.values()), x, y, tuple(t.number for t in trials))


def check_enough(d: Design, needed: int, method: str) -> None:
    """Raise ValueError when ``d`` has too few trials or no parameter to assess."""
    if not d.names:
        raise ValueError(
            f"{method}: no parameter to assess (no completed trial, or no parameter shared by "
            "all completed trials with more than one value)")
    if len(d.y) < needed:
        raise ValueError(
            f"{method} needs at least {needed} completed trials, the study has {len(d.y)}; "
            "run more trials first")
