"""The 1cycle policy (Smith 2018): the learning-rate cycle and the momentum cycle against it.

:class:`OneCycle` matches ``torch.optim.lr_scheduler.OneCycleLR`` step for step;
:func:`cycled_momentum` finds the momentum cycle of a schedule (also behind a warm-up).
"""

from __future__ import annotations

from dataclasses import dataclass

from tunecraft._validation import Interval, check
from tunecraft.torch._schedule_base import (
    Schedule,
    anneal_cos,
    check_step,
    in_range,
    positive_int,
)
from tunecraft.torch.decays import Warmup

__all__ = ["CycledMomentum", "OneCycle", "cycled_momentum"]


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
        positive_int("total_steps", self.total_steps)
        for name in ("div", "div_final"):
            check(name, getattr(self, name), Interval(float, 1), fix="it divides the peak lr")
        self.momentum()  # validates pct_start and moms

    def __call__(self, step: int) -> float:
        return _two_phase(check_step(step), self.total_steps, self.pct_start,
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
        positive_int("total_steps", self.total_steps)
        in_range("pct_start", self.pct_start, 0.0, 1.0, closed=False)
        if len(self.moms) != 3:
            raise ValueError(f"moms={self.moms!r} must be three momentum values")
        for m in self.moms:
            in_range("moms", m, 0.0, 1.0, closed=False)

    def __call__(self, step: int) -> float:
        return _two_phase(check_step(step), self.total_steps, self.pct_start, *self.moms)


def _two_phase(t: int, total: int, pct: float, start: float, mid: float, end: float) -> float:
    """OneCycleLR's two cosine phases: ``start -> mid`` until step ``pct * total - 1``, then
    ``mid -> end`` until step ``total - 1`` (torch's ``_schedule_phases``, float end steps)."""
    peak = pct * total - 1.0
    last = total - 1.0
    if t >= last:
        return end
    if t <= peak:
        return anneal_cos(start, mid, t / peak) if peak > 0 else mid
    return anneal_cos(mid, end, (t - peak) / (last - peak))


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
