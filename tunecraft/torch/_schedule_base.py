"""What every schedule shares: the :data:`Schedule` type, argument checks and the cosine ramp.

The lowest piece of the schedule modules (:mod:`~tunecraft.torch.decays`,
:mod:`~tunecraft.torch.one_cycle_schedule`, :mod:`~tunecraft.torch.named_schedules`); imports
only the root validation helper (:mod:`tunecraft._validation`, whose message format the
checks share).
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable

from tunecraft._validation import Interval, check

__all__ = ["Schedule", "anneal_cos", "check_span", "check_step", "in_range", "positive",
           "positive_int", "progress"]

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
    check(name, value, Interval(int, 1))


def in_range(name: str, value: float, low: float, high: float, *, closed: bool) -> None:
    """Raise unless ``value`` is a number in ``[low, high]`` (``closed``) or ``(low, high)``."""
    check(name, value, Interval(float, low, high, closed="both" if closed else "neither"))


def positive(name: str, value: float) -> None:
    """Raise unless ``value`` is a finite number > 0."""
    check(name, value, Interval(float, 0, closed="neither"))


def check_span(total_steps: int, final: float) -> None:
    """Raise unless a decay from 1 to ``final`` over ``total_steps`` steps is well defined."""
    positive_int("total_steps", total_steps)
    in_range("final", final, 0.0, 1.0, closed=True)


def progress(step: int, total_steps: int) -> float:
    """How far ``step`` is along ``total_steps`` steps: 0 at the start, 1 at the end and after."""
    return min(check_step(step), total_steps) / total_steps


def anneal_cos(start: float, end: float, pos: float) -> float:
    """Half-cosine from ``start`` (pos 0) to ``end`` (pos 1)."""
    return end + (start - end) * (1.0 + math.cos(math.pi * pos)) / 2.0
