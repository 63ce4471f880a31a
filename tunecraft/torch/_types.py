"""Shared typing for the torch toolkit: the slice of a trial that ``suggest_*`` helpers use."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol


class SuggestTrial(Protocol):
    """What ``suggest_schedule`` & co. need from a trial: tunecraft's ``Trial`` (or Optuna's)."""

    def suggest_float(
        self, name: str, low: float, high: float, *, step: float | None = None,
        log: bool = False,
    ) -> float: ...

    def suggest_int(
        self, name: str, low: int, high: int, *, step: int = 1, log: bool = False
    ) -> int: ...

    def suggest_categorical(self, name: str, choices: Sequence[Any]) -> Any: ...


def search_float(
    trial: SuggestTrial, name: str, spec: float | tuple[float, float] | None, *,
    log: bool, default: float,
) -> float:
    """Searches ``spec`` when it is a ``(low, high)`` range; a number is fixed, None the default.

    Used by the ``suggest_*`` helpers so every searchable knob can be fixed or switched off.
    """
    if spec is None:
        return default
    if isinstance(spec, tuple):
        if len(spec) != 2:
            raise ValueError(f"{name}={spec!r}: give a (low, high) pair, a number or None")
        low, high = float(spec[0]), float(spec[1])
        if not low < high:
            raise ValueError(f"{name}={spec!r}: low must be below high; swap or fix the value")
        return trial.suggest_float(name, low, high, log=log)
    return float(spec)
