"""Learning-rate schedules as pure functions of the step, so resuming needs only the step count.

A :data:`Schedule` maps the optimizer step ``t`` (0, 1, 2, ...) to a multiplier of the base
learning rate. Every schedule here is a frozen dataclass with a closed form (no hidden state),
so it can be printed, compared, pickled and replayed from any step. Schedules that have a
length (``total_steps``) reach their end value at ``t == total_steps`` and hold it afterwards.
``warmup(steps, then)`` puts a linear ramp in front of any schedule.

This module does not import torch; :func:`to_torch` imports it when called.
"""

from __future__ import annotations

import bisect
import math
import operator
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from torch.optim import Optimizer

    from tunecraft.torch._torch_schedules import ScheduledLR
    from tunecraft.torch._types import SuggestTrial

Schedule = Callable[[int], float]
"""step -> multiplier of the base learning rate; pure and closed form."""

__all__ = [
    "Constant", "Cosine", "CosineRestarts", "CycledMomentum", "Exponential", "LinearDecay",
    "MultiStep", "OneCycle", "Polynomial", "Schedule", "StepDecay", "Warmup", "constant",
    "cosine", "cosine_restarts", "cycled_momentum", "exponential", "linear_decay", "multi_step",
    "one_cycle", "polynomial", "schedule_from_config", "step_decay", "suggest_schedule",
    "to_torch", "warmup",
]


# --------------------------------------------------------------------------- validation
def _step(step: int) -> int:
    try:
        t = operator.index(step)
    except TypeError:
        raise TypeError(f"step={step!r} must be an int (the optimizer step count)") from None
    if t < 0:
        raise ValueError(f"step={t} must be >= 0; schedules start at step 0")
    return t


def _positive_int(name: str, value: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{name}={value!r} must be an int >= 1")


def _in_range(name: str, value: float, low: float, high: float, *, closed: bool) -> None:
    ok = low <= value <= high if closed else low < value < high
    if not (isinstance(value, (int, float)) and not isinstance(value, bool) and ok):
        bounds = f"[{low}, {high}]" if closed else f"({low}, {high})"
        raise ValueError(f"{name}={value!r} must be a number in {bounds}")


def _positive(name: str, value: float) -> None:
    if not (isinstance(value, (int, float)) and not isinstance(value, bool)
            and math.isfinite(value) and value > 0):
        raise ValueError(f"{name}={value!r} must be a finite number > 0")


def _anneal_cos(start: float, end: float, pos: float) -> float:
    """Half-cosine from ``start`` (pos 0) to ``end`` (pos 1)."""
    return end + (start - end) * (1.0 + math.cos(math.pi * pos)) / 2.0


# --------------------------------------------------------------------------- schedules
@dataclass(frozen=True, slots=True)
class Constant:
    """A fixed multiplier (1 by default): the base learning rate throughout."""

    value: float = 1.0

    def __post_init__(self) -> None:
        _positive("value", self.value)

    def __call__(self, step: int) -> float:
        _step(step)
        return float(self.value)


@dataclass(frozen=True, slots=True)
class StepDecay:
    """``gamma ** (t // step_size)``: multiply by ``gamma`` every ``step_size`` steps (StepLR)."""

    step_size: int
    gamma: float = 0.1

    def __post_init__(self) -> None:
        _positive_int("step_size", self.step_size)
        _in_range("gamma", self.gamma, 0.0, 1.0, closed=False)

    def __call__(self, step: int) -> float:
        return float(self.gamma ** (_step(step) // self.step_size))


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
        _in_range("gamma", self.gamma, 0.0, 1.0, closed=False)

    def __call__(self, step: int) -> float:
        return float(self.gamma ** bisect.bisect_right(self.milestones, _step(step)))


@dataclass(frozen=True, slots=True)
class Exponential:
    """``gamma ** t``: a smooth geometric decay (torch ExponentialLR, stepped per batch)."""

    gamma: float

    def __post_init__(self) -> None:
        _in_range("gamma", self.gamma, 0.0, 1.0, closed=False)

    def __call__(self, step: int) -> float:
        return float(self.gamma ** _step(step))


@dataclass(frozen=True, slots=True)
class Cosine:
    """Half-cosine from 1 at ``t = 0`` to ``final`` at ``t = total_steps`` (Loshchilov 2017)."""

    total_steps: int
    final: float = 0.0

    def __post_init__(self) -> None:
        _positive_int("total_steps", self.total_steps)
        _in_range("final", self.final, 0.0, 1.0, closed=True)

    def __call__(self, step: int) -> float:
        pos = min(_step(step), self.total_steps) / self.total_steps
        return _anneal_cos(1.0, self.final, pos)


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
        _positive_int("first_period", self.first_period)
        _positive_int("period_mult", self.period_mult)
        _in_range("final", self.final, 0.0, 1.0, closed=True)
        _in_range("decay", self.decay, 0.0, 1.0, closed=True)
        if self.decay == 0.0:
            raise ValueError("decay=0 would zero every restart; use a value in (0, 1]")

    def __call__(self, step: int) -> float:
        t = _step(step)
        period, cycle = self.first_period, 0
        if self.period_mult == 1:
            cycle, t = divmod(t, period)
        else:
            while t >= period:  # O(log t) cycles: exact integer arithmetic, no float log
                t -= period
                period *= self.period_mult
                cycle += 1
        peak = self.decay ** cycle
        return _anneal_cos(peak, self.final * peak, t / period)


@dataclass(frozen=True, slots=True)
class OneCycle:
    """1cycle (Smith 2018, fastai defaults): cosine up from ``1/div`` to 1, then down.

    The phases end on the steps of ``torch.optim.lr_scheduler.OneCycleLR``: the peak (1, i.e.
    the base lr is the maximum lr) is at ``t = pct_start * total_steps - 1`` and the end value
    ``1/div_final`` at ``t = total_steps - 1``, the last of ``total_steps`` optimizer steps
    (held afterwards, where torch raises). With ``div = div_factor`` and ``div_final =
    div_factor * final_div_factor`` it equals ``OneCycleLR(optimizer, max_lr, total_steps,
    pct_start, anneal_strategy="cos", div_factor, final_div_factor)`` step for step, and
    ``momentum()`` with ``moms = (max_momentum, base_momentum, max_momentum)`` equals its
    momentum cycle (tested over a grid of settings); :meth:`from_torch` does the conversion.
    """

    total_steps: int
    div: float = 25.0
    div_final: float = 1e5
    pct_start: float = 0.25
    moms: tuple[float, float, float] = (0.95, 0.85, 0.95)

    def __post_init__(self) -> None:
        _positive_int("total_steps", self.total_steps)
        for name in ("div", "div_final"):
            value = getattr(self, name)
            _positive(name, value)
            if value < 1:
                raise ValueError(f"{name}={value!r} must be >= 1 (it divides the peak lr)")
        self.momentum()  # validates pct_start and moms

    def __call__(self, step: int) -> float:
        return _two_phase(_step(step), self.total_steps, self.pct_start,
                          1.0 / self.div, 1.0, 1.0 / self.div_final)

    def momentum(self) -> CycledMomentum:
        """The momentum schedule (absolute values) that mirrors this learning-rate cycle."""
        return CycledMomentum(self.total_steps, self.pct_start, self.moms)

    @classmethod
    def from_torch(cls, total_steps: int, *, pct_start: float = 0.3, div_factor: float = 25.0,
                   final_div_factor: float = 1e4, base_momentum: float = 0.85,
                   max_momentum: float = 0.95) -> OneCycle:
        """The schedule of ``OneCycleLR`` with these (torch's default) parameters."""
        return cls(total_steps, div_factor, div_factor * final_div_factor, pct_start,
                   (max_momentum, base_momentum, max_momentum))


@dataclass(frozen=True, slots=True)
class CycledMomentum:
    """Momentum (absolute, not a multiplier) cycling with :class:`OneCycle`: high, low, high."""

    total_steps: int
    pct_start: float = 0.25
    moms: tuple[float, float, float] = (0.95, 0.85, 0.95)

    def __post_init__(self) -> None:
        _positive_int("total_steps", self.total_steps)
        _in_range("pct_start", self.pct_start, 0.0, 1.0, closed=False)
        if len(self.moms) != 3:
            raise ValueError(f"moms={self.moms!r} must be three momentum values")
        for m in self.moms:
            _in_range("moms", m, 0.0, 1.0, closed=False)

    def __call__(self, step: int) -> float:
        return _two_phase(_step(step), self.total_steps, self.pct_start, *self.moms)


def _two_phase(t: int, total: int, pct: float, start: float, mid: float, end: float) -> float:
    """OneCycleLR's two cosine phases: ``start -> mid`` until step ``pct * total - 1``, then
    ``mid -> end`` until step ``total - 1`` (torch's ``_schedule_phases``, float end steps)."""
    peak = pct * total - 1.0
    last = total - 1.0
    if t >= last:
        return end
    if t <= peak:
        return _anneal_cos(start, mid, t / peak) if peak > 0 else mid
    return _anneal_cos(mid, end, (t - peak) / (last - peak))


@dataclass(frozen=True, slots=True)
class LinearDecay:
    """Straight line from 1 at ``t = 0`` to ``final`` at ``t = total_steps``."""

    total_steps: int
    final: float = 0.0

    def __post_init__(self) -> None:
        _positive_int("total_steps", self.total_steps)
        _in_range("final", self.final, 0.0, 1.0, closed=True)

    def __call__(self, step: int) -> float:
        pos = min(_step(step), self.total_steps) / self.total_steps
        return 1.0 - (1.0 - self.final) * pos


@dataclass(frozen=True, slots=True)
class Polynomial:
    """``final + (1 - final) * (1 - t/T) ** power`` (torch PolynomialLR when ``final = 0``)."""

    total_steps: int
    power: float = 1.0
    final: float = 0.0

    def __post_init__(self) -> None:
        _positive_int("total_steps", self.total_steps)
        _positive("power", self.power)
        _in_range("final", self.final, 0.0, 1.0, closed=True)

    def __call__(self, step: int) -> float:
        pos = min(_step(step), self.total_steps) / self.total_steps
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
        if isinstance(self.steps, bool) or not isinstance(self.steps, int) or self.steps < 0:
            raise ValueError(f"steps={self.steps!r} must be an int >= 0")
        if not callable(self.then):
            raise TypeError(f"then={self.then!r} must be a schedule (a callable step -> float)")
        if self.start is not None:
            _in_range("start", self.start, 0.0, 1.0, closed=True)

    def __call__(self, step: int) -> float:
        t = _step(step)
        if t >= self.steps:
            return float(self.then(t - self.steps))
        start = 1.0 / (self.steps + 1) if self.start is None else self.start
        return float(self.then(0)) * (start + (1.0 - start) * t / self.steps)


# --------------------------------------------------------------------------- factories
def constant(value: float = 1.0) -> Constant:
    """The base learning rate times ``value`` at every step."""
    return Constant(value)


def step_decay(step_size: int, gamma: float = 0.1) -> StepDecay:
    """Multiply by ``gamma`` every ``step_size`` steps."""
    return StepDecay(step_size, gamma)


def multi_step(milestones: Sequence[int], gamma: float = 0.1) -> MultiStep:
    """Multiply by ``gamma`` at each milestone step."""
    return MultiStep(tuple(milestones), gamma)


def exponential(gamma: float) -> Exponential:
    """Multiply by ``gamma`` every step."""
    return Exponential(gamma)


def cosine(total_steps: int, *, final: float = 0.0) -> Cosine:
    """Cosine annealing from 1 to ``final`` over ``total_steps``."""
    return Cosine(total_steps, final)


def cosine_restarts(
    first_period: int, *, period_mult: int = 1, final: float = 0.0, decay: float = 1.0
) -> CosineRestarts:
    """Cosine annealing with warm restarts (SGDR, Loshchilov & Hutter 2017)."""
    return CosineRestarts(first_period, period_mult, final, decay)


def one_cycle(
    total_steps: int, *, div: float = 25.0, div_final: float = 1e5, pct_start: float = 0.25,
    moms: tuple[float, float, float] = (0.95, 0.85, 0.95),
) -> OneCycle:
    """The 1cycle policy with fastai's defaults; pass ``momentum=s.momentum()`` to to_torch."""
    return OneCycle(total_steps, div, div_final, pct_start, moms)


def linear_decay(total_steps: int, *, final: float = 0.0) -> LinearDecay:
    """Linear decay from 1 to ``final`` over ``total_steps``."""
    return LinearDecay(total_steps, final)


def polynomial(total_steps: int, *, power: float = 1.0, final: float = 0.0) -> Polynomial:
    """Polynomial decay ``(1 - t/T) ** power`` from 1 to ``final``."""
    return Polynomial(total_steps, power, final)


def warmup(steps: int, then: Schedule | None = None, *, start: float | None = None) -> Warmup:
    """Linear warm-up over ``steps`` steps, then ``then`` (constant 1 when omitted)."""
    return Warmup(steps, Constant() if then is None else then, start)


def cycled_momentum(schedule: Schedule) -> Schedule | None:
    """The momentum schedule that goes with ``schedule``, or None when it has none.

    A :class:`OneCycle` gives its :meth:`~OneCycle.momentum`; behind ``warmup(w, ...)`` the
    momentum holds its first value during the ramp and then follows the (shifted) cycle.
    """
    if isinstance(schedule, OneCycle):
        return schedule.momentum()
    if isinstance(schedule, Warmup):
        inner = cycled_momentum(schedule.then)
        return None if inner is None else Warmup(schedule.steps, inner, start=1.0)
    return None


# --------------------------------------------------------------------------- adapters
def to_torch(
    optimizer: Optimizer, schedule: Schedule, *, momentum: Schedule | None = None
) -> ScheduledLR:
    """A torch LR scheduler that sets ``lr = base_lr * schedule(t)`` after each ``.step()``.

    Its ``state_dict``/``load_state_dict`` hold only the step count and base rates, so a run
    resumed from a checkpoint follows the same sequence as an uninterrupted one. ``momentum``
    (absolute values, e.g. ``OneCycle.momentum()``) also drives ``momentum`` or ``betas[0]``.
    """
    from tunecraft.torch._torch_schedules import ScheduledLR

    return ScheduledLR(optimizer, schedule, momentum=momentum)


def schedule_from_config(name: str, total_steps: int, **params: Any) -> Schedule:
    """Builds a named schedule for a run of ``total_steps`` steps (see schedule_search)."""
    from tunecraft.torch.schedule_search import schedule_from_config as build

    return build(name, total_steps, **params)


def suggest_schedule(
    trial: SuggestTrial, total_steps: int, *, choices: Sequence[str] | None = None,
    prefix: str = "schedule", max_warmup_pct: float = 0.1,
) -> Schedule:
    """Searches the schedule as a categorical with conditional parameters (see schedule_search)."""
    from tunecraft.torch.schedule_search import suggest_schedule as suggest

    return suggest(trial, total_steps, choices=choices, prefix=prefix,
                   max_warmup_pct=max_warmup_pct)
