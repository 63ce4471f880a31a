"""History: an immutable, filterable snapshot of a study's trials, read by samplers and pruners."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from collections.abc import Set as AbstractSet
from typing import Any

import numpy as np

from tunecraft.direction import StudyDirection
from tunecraft.record import FrozenTrial, TrialState
from tunecraft.space import Dim


class History:
    """The trials of one study at one moment, ordered by number, plus the study's directions.

    Samplers and pruners read a History; they never see the storage. It is cheap to pass
    around: filtering returns tuples of the same immutable records.
    """

    __slots__ = ("trials", "directions", "_complete", "_feasible", "_dists", "_intersection",
                 "_sys_keys", "cursor")

    def __init__(
        self,
        trials: Sequence[FrozenTrial],
        directions: Sequence[StudyDirection],
        *,
        param_distributions: Mapping[str, Dim] | None = None,
        system_attr_keys: AbstractSet[str] | None = None,
        cursor: int = -1,
    ) -> None:
        self.trials: tuple[FrozenTrial, ...] = tuple(trials)
        # the storage's number of the last event folded in (-1: unknown, or none): what a
        # sampler saw, so that a proposal can be checked against those published after it
        self.cursor = cursor
        self.directions: tuple[StudyDirection, ...] = tuple(directions)
        self._complete: tuple[FrozenTrial, ...] | None = None
        self._feasible: tuple[FrozenTrial, ...] | None = None
        self._intersection: dict[str, Dim] | None = None
        # Storage passes the registries it maintains while replaying; otherwise they are
        # derived on demand.
        self._dists: Mapping[str, Dim] | None = param_distributions
        self._sys_keys: AbstractSet[str] | None = system_attr_keys

    def __reduce__(self) -> tuple[Any, ...]:
        # caches are derived data; the registry is rebuilt from the trials on demand
        return History, (self.trials, self.directions)

    def __len__(self) -> int:
        return len(self.trials)

    def __iter__(self) -> Iterator[FrozenTrial]:
        return iter(self.trials)

    def __repr__(self) -> str:
        counts = {s.name: len(self.with_states(s)) for s in TrialState}
        shown = ", ".join(f"{k}={v}" for k, v in counts.items() if v)
        return f"History({shown or 'empty'})"

    @property
    def n_objectives(self) -> int:
        return len(self.directions)

    def trial(self, number: int) -> FrozenTrial:
        """The trial with this number (numbers are dense, starting at 0)."""
        t = self.trials[number] if 0 <= number < len(self.trials) else None
        if t is None or t.number != number:
            for t in self.trials:
                if t.number == number:
                    return t
            raise KeyError(f"no trial number {number} in this history")
        return t

    def with_states(self, *states: TrialState) -> tuple[FrozenTrial, ...]:
        """Trials in any of the given states, in number order."""
        return tuple(t for t in self.trials if t.state in states)

    def complete(self) -> tuple[FrozenTrial, ...]:
        """COMPLETE trials with finite values."""
        if self._complete is None:
            self._complete = tuple(t for t in self.trials if t.is_finite_complete())
        return self._complete

    def feasible(self) -> tuple[FrozenTrial, ...]:
        """COMPLETE trials with finite values that violate no recorded constraint."""
        if self._feasible is None:
            self._feasible = tuple(t for t in self.complete() if t.is_feasible())
        return self._feasible

    def where(self, **system_attrs: Any) -> History:
        """The sub-history whose trials carry the given system attributes (e.g. a bracket)."""
        keep = [
            t for t in self.trials
            if all(t.system_attrs.get(k) == v for k, v in system_attrs.items())
        ]
        return History(keep, self.directions)

    def signed_values(self, trials: Sequence[FrozenTrial] | None = None) -> np.ndarray:
        """Objective values as an (n, m) array, sign-flipped so that every column is minimised."""
        trials = self.complete() if trials is None else trials
        sign = np.array([d.sign for d in self.directions])
        if not trials:
            return np.empty((0, len(self.directions)))
        values: np.ndarray = np.array([t.values for t in trials], dtype=float) * sign
        return values

    def best_trial(self) -> FrozenTrial | None:
        """The best feasible COMPLETE trial of a single-objective study (earliest on ties), or
        None. Trials that violate a constraint (``trial.set_constraint``) never count."""
        if len(self.directions) != 1:
            raise RuntimeError(
                "best_trial is defined for single-objective studies; use best_trials for "
                "the Pareto front of a multi-objective study."
            )
        done = self.feasible()
        if not done:
            return None
        return done[int(np.argmin(self.signed_values(done)[:, 0]))]

    def best_trials(self) -> tuple[FrozenTrial, ...]:
        """The Pareto-optimal feasible COMPLETE trials (for one objective: all trials tied for
        best)."""
        done = self.feasible()
        if not done:
            return ()
        keep = pareto_mask(self.signed_values(done))
        return tuple(t for t, k in zip(done, keep, strict=True) if k)

    def intersection_space(self) -> dict[str, Dim]:
        """Dimensions present, with identical distributions, in every COMPLETE trial."""
        if self._intersection is None:  # computed once: samplers ask several times per trial
            space: dict[str, Dim] | None = None
            for t in self.complete():
                if space is None:
                    space = dict(t.distributions)
                    continue
                space = {k: d for k, d in space.items()
                         if (o := t.distributions.get(k)) is d or o == d}
            self._intersection = dict(sorted((space or {}).items()))
        return dict(self._intersection)

    def param_distributions(self) -> Mapping[str, Dim]:
        """Each parameter name -> the distribution it was first recorded with in this study."""
        if self._dists is None:
            dists: dict[str, Dim] = {}
            for t in self.trials:
                for name, d in t.distributions.items():
                    dists.setdefault(name, d)
            self._dists = dists
        return self._dists

    def system_attr_keys(self) -> AbstractSet[str]:
        """Every system attribute key that some trial carries: lets a reader skip a scan of
        every trial for an attribute that none has (``pruners.lineage.heads``)."""
        if self._sys_keys is None:
            self._sys_keys = frozenset(k for t in self.trials for k in t.system_attrs)
        return self._sys_keys


def as_history(source: Any) -> History:
    """``source`` as a History: a History as it is, a Study (anything whose ``history()``
    returns one) as its current snapshot. What the analysis and plotting functions call on
    their ``study`` argument, so that they take either."""
    if isinstance(source, History):
        return source
    history = getattr(source, "history", None)
    if callable(history):
        result = history()
        if isinstance(result, History):
            return result
    raise TypeError(
        f"expected a History or a Study, got {type(source).__name__}; pass study or "
        "study.history()")


def pareto_mask(losses: np.ndarray) -> np.ndarray:
    """Boolean mask of the non-dominated rows of ``losses`` (every column minimised).

    Duplicated optimal rows are all kept: a row is dropped only when another row is no worse
    everywhere and strictly better somewhere.
    """
    n = losses.shape[0]
    keep = np.ones(n, dtype=bool)
    for i in range(n):
        if not keep[i]:
            continue
        dominated_by_i = np.all(losses[i] <= losses, axis=1) & np.any(losses[i] < losses, axis=1)
        keep &= ~dominated_by_i
    return keep
