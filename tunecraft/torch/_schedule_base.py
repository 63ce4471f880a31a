"""What every schedule shares: the :data:`Schedule` type, argument checks and the cosine ramp.

The lowest piece of the schedule modules (:mod:`~tunecraft.torch.decays`,
:mod:`~tunecraft.torch.one_cycle_schedule`, :mod:`~tunecraft.torch.named_schedules`); imports
nothing of tunecraft.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable

__all__ = ["Schedule", "anneal_cos", "check_step", "in_range", "positive", "positive_int"]

Schedule = Callable[[int], float]
"""step -> multiplier of the base learning rate; pure and closed form."""


def check_step(step: int) -> int:
    """``step`` as an int >= 0 (TypeError / ValueError otherwise)."""
    try:
        t = operator.index(step)
    except TypeError:
        raise TypeError(f"step={step!r} must be an int (the optimizer step count)") from None
    if t < 0:
        raise ValueError(f"step={t} must be >= 0; schedules start at step 0")
    return t


def positive_int(name: str, value: int) -> None:
    """Raise unless ``value`` is an int >= 1."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{name}={value!r} must be an int >= 1")


def in_range(name: str, value: float, low: float, high: float, *, closed: bool) -> None:
    """Raise unless ``value`` is a number in ``[low, high]`` (``closed``) or ``(low, high)``."""
    ok = low <= value <= high if closed else low < value < high
    if not (isinstance(value, (int, float)) and not isinstance(value, bool) and ok):
        bounds = f"[{low}, {high}]" if closed else f"({low}, {high})"
        raise ValueError(f"{name}={value!r} must be a number in {bounds}")


def positive(name: str, value: float) -> None:
    """Raise unless ``value`` is a finite number > 0."""
    if not (isinstance(value, (int, float)) and not isinstance(value, bool)
            and math.isfinite(value) and value > 0):
        raise ValueError(f"{name}={value!r} must be a finite number > 0")


def anneal_cos(start: float, end: float, pos: float) -> float:
    """Half-cosine from ``start`` (pos 0) to ``end`` (pos 1)."""
    return end + (start - end) * (1.0 + math.cos(math.pi * pos)) / 2.0
