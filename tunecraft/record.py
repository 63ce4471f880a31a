"""Immutable trial records (TrialState, FrozenTrial): what storage returns and analysis reads."""

from __future__ import annotations

import datetime as dt
import enum
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, fields
from types import MappingProxyType
from typing import Any

from tunecraft.space import Dim


def _empty() -> Mapping[Any, Any]:
    return MappingProxyType({})


CONSTRAINTS_KEY = "constraints"
"""System attribute holding a trial's constraint values (feasible when every one is <= 0)."""


class TrialState(enum.Enum):
    """Life-cycle state of a trial."""

    RUNNING = "RUNNING"
    COMPLETE = "COMPLETE"
    PRUNED = "PRUNED"
    FAIL = "FAIL"
    WAITING = "WAITING"
    STALE = "STALE"  # its worker vanished (lease expired); a retry may run it again

    def is_finished(self) -> bool:
        """COMPLETE, PRUNED, FAIL and STALE are final; no write is accepted afterwards."""
        return self in (TrialState.COMPLETE, TrialState.PRUNED, TrialState.FAIL,
                        TrialState.STALE)


def freeze(value: Any) -> Any:
    """Deep read-only copy of JSON-like data: lists become tuples, dicts read-only mappings."""
    if isinstance(value, Mapping):
        return MappingProxyType({k: freeze(v) for k, v in value.items()})
    if isinstance(value, (list, tuple)):
        return tuple(freeze(v) for v in value)
    return value


def thaw(value: Any) -> Any:
    """Inverse of :func:`freeze`, for JSON export: plain dicts and lists."""
    if isinstance(value, Mapping):
        return {k: thaw(v) for k, v in value.items()}
    if isinstance(value, tuple):
        return [thaw(v) for v in value]
    return value


def _frozen(value: Any) -> Any:
    """A mapping given as a plain dict, made read-only (records built by storage already are)."""
    return freeze(value) if type(value) is dict else value


@dataclass(frozen=True, slots=True, init=False)
class FrozenTrial:
    """One trial as recorded: parameters, results, reports and attributes. Truly immutable.

    Built by hand, it takes Optuna's keywords too: ``value=`` (one objective; not with
    ``values=``) and ``trial_id=`` (accepted and not kept: tunecraft names a trial by its
    study and number). Plain dicts given are stored read-only.
    """

    number: int
    state: TrialState
    params: Mapping[str, Any] = field(default_factory=_empty)
    distributions: Mapping[str, Dim] = field(default_factory=_empty)
    values: tuple[float, ...] | None = None
    intermediate_values: Mapping[int, float] = field(default_factory=_empty)
    user_attrs: Mapping[str, Any] = field(default_factory=_empty)
    system_attrs: Mapping[str, Any] = field(default_factory=_empty)
    datetime_start: dt.datetime | None = None
    datetime_complete: dt.datetime | None = None
    fail_reason: str | None = None
    intermediate_vectors: Mapping[int, tuple[float, ...]] = field(default_factory=_empty)
    """Multi-objective reports: step -> one value per objective (``trial.report((a, b), s)``).
    Single-objective reports are in ``intermediate_values``."""

    def __init__(
        self,
        number: int,
        state: TrialState,
        params: Mapping[str, Any] | None = None,
        distributions: Mapping[str, Dim] | None = None,
        values: Sequence[float] | None = None,
        intermediate_values: Mapping[int, float] | None = None,
        user_attrs: Mapping[str, Any] | None = None,
        system_attrs: Mapping[str, Any] | None = None,
        datetime_start: dt.datetime | None = None,
        datetime_complete: dt.datetime | None = None,
        fail_reason: str | None = None,
        intermediate_vectors: Mapping[int, tuple[float, ...]] | None = None,
        *,
        value: float | None = None,
        trial_id: int | None = None,
    ) -> None:
        if value is not None:
            if values is not None:
                raise ValueError("pass value= (one objective) or values=, not both")
            values = (value,)
        if values is not None and not isinstance(values, tuple):
            values = tuple(values)
        if values is not None and len(values) == 0:
            raise ValueError("values= must hold one value per objective, not be empty; pass "
                             "None for a trial without values")
        put = object.__setattr__
        put(self, "number", number)
        put(self, "state", state)
        put(self, "params", _empty() if params is None else _frozen(params))
        put(self, "distributions", _empty() if distributions is None else _frozen(
            distributions))
        put(self, "values", values)
        put(self, "intermediate_values", _empty() if intermediate_values is None else _frozen(
            intermediate_values))
        put(self, "user_attrs", _empty() if user_attrs is None else _frozen(user_attrs))
        put(self, "system_attrs", _empty() if system_attrs is None else _frozen(system_attrs))
        put(self, "datetime_start", datetime_start)
        put(self, "datetime_complete", datetime_complete)
        put(self, "fail_reason", fail_reason)
        put(self, "intermediate_vectors", _empty() if intermediate_vectors is None else _frozen(
            intermediate_vectors))

    def __reduce__(self) -> tuple[Any, ...]:
        # Read-only mappings cannot be pickled; send plain data and freeze it again, so
        # trials (and Histories, and samplers holding them) cross process boundaries.
        return _unpickle_trial, (tuple(thaw(getattr(self, f.name)) for f in fields(self)),)

    @property
    def value(self) -> float | None:
        """The single objective value; raises for multi-objective trials."""
        if self.values is None:
            return None
        if len(self.values) != 1:
            raise RuntimeError(
                f"Trial {self.number} has {len(self.values)} objective values; use .values."
            )
        return self.values[0]

    @property
    def duration(self) -> dt.timedelta | None:
        if self.datetime_start is None or self.datetime_complete is None:
            return None
        return self.datetime_complete - self.datetime_start

    @property
    def last_step(self) -> int | None:
        """The largest step reported, or None when nothing was reported."""
        steps = self.intermediate_values or self.intermediate_vectors
        return max(steps) if steps else None

    @property
    def constraints(self) -> tuple[float, ...] | None:
        """The constraint values recorded for this trial (each <= 0 when satisfied), or None."""
        raw = self.system_attrs.get(CONSTRAINTS_KEY)
        return None if raw is None else tuple(float(c) for c in raw)

    def is_feasible(self) -> bool:
        """True unless a recorded constraint is violated (> 0) or not a number."""
        raw = self.system_attrs.get(CONSTRAINTS_KEY)
        return raw is None or all(float(c) <= 0.0 for c in raw)

    def is_finite_complete(self) -> bool:
        """COMPLETE with finite values: the trials that can be ranked."""
        return (
            self.state is TrialState.COMPLETE
            and self.values is not None
            and all(math.isfinite(v) for v in self.values)
        )


def _unpickle_trial(state: tuple[Any, ...]) -> FrozenTrial:
    names = [f.name for f in fields(FrozenTrial)]
    data = dict(zip(names, state, strict=True))
    for name in ("values",):
        if data[name] is not None:
            data[name] = tuple(data[name])
    for name, value in data.items():
        if isinstance(value, dict):
            data[name] = freeze(value)
    return FrozenTrial(**data)
