"""The closed-form learning-rate decays, and the warm-up ramp that goes in front of any schedule.

Each is a frozen dataclass mapping the optimizer step ``t`` to a multiplier of the base rate,
with no hidden state; those with a length reach their end value at ``t == total_steps`` and
hold it afterwards. The one-cycle policy is in
:mod:`~tunecraft.torch.one_cycle_schedule`; the public home of all of them is
:mod:`tunecraft.torch.schedules`.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable
from dataclasses import dataclass, field

from tunecraft._validation import InstanceOf, Interval, check
from tunecraft.torch._schedule_base import (
    Schedule,
    anneal_cos,
    check_span,
    check_step,
    in_range,
    positive,
    positive_int,
    progress,
)

__all__ = ["Constant", "Cosine", "CosineRestarts", "Exponential", "LinearDecay", "MultiStep",
           "Polynomial", "StepDecay", "Warmup"]


@dataclass(frozen=True, slots=True)
class Constant:
    """A fixed multiplier (1 by default): the base learning rate throughout."""

    value: float = 1.0

    def __post_init__(self) -> None:
        positive("value", self.value)

    def __call__(self, step: int) -> float:
        check_step(step)
        return float(self.value)


@dataclass(frozen=True, slots=True)
class StepDecay:
    """``gamma ** (t // step_size)``: multiply by ``gamma`` every ``step_size`` steps (StepLR)."""

    step_size: int
    gamma: float = 0.1

    def __post_init__(self) -> None:
        positive_int("step_size", self.step_size)
        in_range("gamma", self.gamma, 0.0, 1.0, closed=False)

    def __call__(self, step: int) -> float:
        return float(self.gamma ** (check_step(step) // self.step_size))


@dataclass(frozen=True, slots=True)
class MultiStep:
    """``gamma ** (number of milestones <= t)``: drops at chosen steps (torch MultiStepLR)."""

    milestones: tuple[int, ...]
    gamma: float = 0.1

    def __post_init__(self) -> None:
        ms = self.milestones
        if not ms or any(isinstance(m, bool) or not isinstance(m, int) or m < 1 for m in ms):
            raise ValueError(f"milestones={ms!r} must be a non-empty tuple of ints >= 1")
        if list(ms) != sorted(set(ms)):
            raise ValueError(f"milestones={ms!r} must be strictly increasing")
        in_range("gamma", self.gamma, 0.0, 1.0, closed=False)

    def __call__(self, step: int) -> float:
        return float(self.gamma ** bisect.bisect_right(self.milestones, check_step(step)))


@dataclass(frozen=True, slots=True)
class Exponential:
    """``gamma ** t``: a smooth geometric decay (torch ExponentialLR, stepped per batch)."""

    gamma: float

    def __post_init__(self) -> None:
        in_range("gamma", self.gamma, 0.0, 1.0, closed=False)

    def __call__(self, step: int) -> float:
        return float(self.gamma ** check_step(step))


@dataclass(frozen=True, slots=True)
class Cosine:
    """Half-cosine from 1 at ``t = 0`` to ``final`` at ``t = total_steps`` (Loshchilov 2017)."""

    total_steps: int
    final: float = 0.0

    def __post_init__(self) -> None:
        check_span(self.total_steps, self.final)

    def __call__(self, step: int) -> float:
        return anneal_cos(1.0, self.final, progress(step, self.total_steps))


@dataclass(frozen=True, slots=True)
class CosineRestarts:
    """SGDR: cosine cycles of ``first_period * period_mult**i`` steps, each restarting at a peak.

    The peak of cycle ``i`` is ``decay ** i`` (1 keeps every restart at the base rate).
    """

    first_period: int
    period_mult: int = 1
    final: float = 0.0
    decay: float = 1.0

    def __post_init__(self) -> None:
        positive_int("first_period", self.first_period)
        positive_int("period_mult", self.period_mult)
        in_range("final", self.final, 0.0, 1.0, closed=True)
        in_range("decay", self.decay, 0.0, 1.0, closed=True)
        if self.decay == 0.0:
            raise ValueError("decay=0 would zero every restart; use a value in (0, 1]")

    def __call__(self, step: int) -> float:
        t = check_step(step)
        period, cycle = self.first_period, 0
        if self.period_mult == 1:
            cycle, t = divmod(t, period)
        else:
            while t >= period:  # O(log t) cycles: exact integer arithmetic, no float log
                t -= period
                period *= self.period_mult
                cycle += 1
        peak = self.decay ** cycle
        return anneal_cos(peak, self.final * peak, t / period)


@dataclass(frozen=True, slots=True)
class LinearDecay:
    """Straight line from 1 at ``t = 0`` to ``final`` at ``t = total_steps``."""

    total_steps: int
    final: float = 0.0

    def __post_init__(self) -> None:
        check_span(self.total_steps, self.final)

    def __call__(self, step: int) -> float:
        return 1.0 - (1.0 - self.final) * progress(step, self.total_steps)


@dataclass(frozen=True, slots=True)
class Polynomial:
    """``final + (1 - final) * (1 - t/T) ** power`` (torch PolynomialLR when ``final = 0``)."""

    total_steps: int
    power: float = 1.0
    final: float = 0.0

    def __post_init__(self) -> None:
        check_span(self.total_steps, self.final)
        positive("power", self.power)

    def __call__(self, step: int) -> float:
        pos = progress(step, self.total_steps)
        return self.final + (1.0 - self.final) * float((1.0 - pos) ** self.power)


@dataclass(frozen=True, slots=True)
class Warmup:
    """Linear ramp over ``steps`` steps up to ``then(0)``, then ``then(t - steps)``.

    The ramp starts at ``start * then(0)``; by default ``start = 1 / (steps + 1)``, so no step
    has a zero learning rate and the ramp is ``then(0) * (t + 1) / (steps + 1)``. The inner
    schedule is shifted, not overlapped: a run of ``N`` steps pairs ``warmup(w, cosine(N - w))``.
    """

    steps: int
    then: Schedule = field(default_factory=Constant)
    start: float | None = None

    def __post_init__(self) -> None:
        check("steps", self.steps, Interval(int, 0))
        check("then", self.then, InstanceOf(Callable, "a schedule (a callable step -> float)"))
        if self.start is not None:
            in_range("start", self.start, 0.0, 1.0, closed=True)

    def __call__(self, step: int) -> float:
        t = check_step(step)
        if t >= self.steps:
            return float(self.then(t - self.steps))
        start = 1.0 / (self.steps + 1) if self.start is None else self.start
        return float(self.then(0)) * (start + (1.0 - start) * t / self.steps)
