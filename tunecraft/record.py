"""Immutable trial records (TrialState, FrozenTrial): what storage returns and analysis reads."""

from __future__ import annotations

import datetime as dt
import enum
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from tunecraft.space import Dim


def _empty() -> Mapping[Any, Any]:
    return MappingProxyType({})


class TrialState(enum.Enum):
    """Life-cycle state of a trial."""

    RUNNING = "RUNNING"
    COMPLETE = "COMPLETE"
    PRUNED = "PRUNED"
    FAIL = "FAIL"
    WAITING = "WAITING"

    def is_finished(self) -> bool:
        """COMPLETE, PRUNED and FAIL are final; no write is accepted afterwards."""
        return self in (TrialState.COMPLETE, TrialState.PRUNED, TrialState.FAIL)


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


@dataclass(frozen=True, slots=True)
class FrozenTrial:
    """One trial as recorded: parameters, results, reports and attributes. Truly immutable."""

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
        return max(self.intermediate_values) if self.intermediate_values else None

    def is_finite_complete(self) -> bool:
        """COMPLETE with finite values: the trials that can be ranked."""
        return (
            self.state is TrialState.COMPLETE
            and self.values is not None
            and all(math.isfinite(v) for v in self.values)
        )
