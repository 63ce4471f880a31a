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

