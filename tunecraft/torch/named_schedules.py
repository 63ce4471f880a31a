"""Schedules by name: ``schedule_from_config(name, total_steps, **params)``.

A name and a few portable parameters (fractions of the run, final factors) become a
:data:`~tunecraft.torch.schedules.Schedule` for a run of ``total_steps`` optimizer steps; this is
how a :class:`~tunecraft.torch.TrainConfig` stores its schedule. The search over the names is
:func:`~tunecraft.torch.schedule_search.suggest_schedule`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

from tunecraft._validation import Interval, check
from tunecraft.torch import decays
from tunecraft.torch._schedule_base import Schedule
from tunecraft.torch.one_cycle_schedule import OneCycle

__all__ = ["SCHEDULE_NAMES", "schedule_from_config"]


def _step(t: int, p: dict[str, Any]) -> Schedule:
    if "step_size" in p and "num_drops" in p:
        raise ValueError("give step_size or num_drops for 'step', not both")
    drops = check("num_drops", int(p.pop("num_drops", 2)), Interval(int, 1))
    size = p.pop("step_size", max(1, math.ceil(t / (drops + 1))))
    return decays.StepDecay(size, p.pop("gamma", 0.1))


def _multistep(t: int, p: dict[str, Any]) -> Schedule:
    default = sorted({max(1, int(t * 0.5)), max(1, int(t * 0.75))})
    return decays.MultiStep(tuple(p.pop("milestones", default)), p.pop("gamma", 0.1))


def _exponential(t: int, p: dict[str, Any]) -> Schedule:
    if "gamma" in p and "final" in p:
        raise ValueError("give gamma or final for 'exponential', not both")
    if "gamma" in p:
        return decays.Exponential(p.pop("gamma"))
    final = check("final", float(p.pop("final", 0.01)), Interval(float, 0, 1, closed="neither"),
                  fix="for 'exponential' it is the lr factor left at the last step")
    return decays.Exponential(final ** (1.0 / t))


def _restarts(t: int, p: dict[str, Any]) -> Schedule:
    mult = int(p.pop("period_mult", 2))
    cycles = check("cycles", int(p.pop("cycles", 3)), Interval(int, 1))
    total_units = cycles if mult == 1 else (mult**cycles - 1) // (mult - 1)
    first = p.pop("first_period", max(1, round(t / total_units)))
    return decays.CosineRestarts(first, mult, p.pop("final", 0.0), p.pop("decay", 1.0))


def _one_cycle(t: int, p: dict[str, Any]) -> Schedule:
    return OneCycle(t, p.pop("div", 25.0), p.pop("div_final", 1e5), p.pop("pct_start", 0.25),
                    tuple(p.pop("moms", (0.95, 0.85, 0.95))))


_BUILDERS: Mapping[str, tuple[Callable[[int, dict[str, Any]], Schedule], tuple[str, ...]]] = {
    "constant": (lambda t, p: decays.Constant(p.pop("value", 1.0)), ("value",)),
    "step": (_step, ("step_size", "num_drops", "gamma")),
    "multistep": (_multistep, ("milestones", "gamma")),
    "exponential": (_exponential, ("gamma", "final")),
    "cosine": (lambda t, p: decays.Cosine(t, p.pop("final", 0.0)), ("final",)),
    "cosine_restarts": (_restarts, ("first_period", "period_mult", "cycles", "final", "decay")),
    "one_cycle": (_one_cycle, ("div", "div_final", "pct_start", "moms")),
    "linear": (lambda t, p: decays.LinearDecay(t, p.pop("final", 0.0)), ("final",)),
    "polynomial": (lambda t, p: decays.Polynomial(t, p.pop("power", 1.0), p.pop("final", 0.0)),
                   ("power", "final")),
}
SCHEDULE_NAMES: tuple[str, ...] = tuple(_BUILDERS)


def schedule_from_config(name: str, total_steps: int, **params: Any) -> Schedule:
    """The schedule ``name`` for a run of ``total_steps`` optimizer steps.

    Every name accepts ``warmup_steps`` (a linear ramp before it; the named schedule then runs
    over the remaining ``total_steps - warmup_steps``). Other parameters, all optional:
    ``constant(value)``, ``step(num_drops=2 | step_size, gamma=0.1)``,
    ``multistep(milestones=(T/2, 3T/4), gamma=0.1)``, ``exponential(final=0.01 | gamma)``,
    ``cosine(final=0)``, ``cosine_restarts(cycles=3, period_mult=2, first_period, final=0,
    decay=1)``, ``one_cycle(div=25, div_final=1e5, pct_start=0.25, moms)``,
    ``linear(final=0)``, ``polynomial(power=1, final=0)``.

    Raises:
        ValueError: unknown name or bad values. TypeError: a parameter the name does not take.
    """
    if name not in _BUILDERS:
        raise ValueError(f"unknown schedule name={name!r}; choose one of {list(_BUILDERS)}")
    check("total_steps", total_steps, Interval(int, 1))
    p = dict(params)
    warm = check("warmup_steps", p.pop("warmup_steps", 0), Interval(
        int, 0, total_steps, closed="left", label=f"an integer in [0, {total_steps=})"))
    build, allowed = _BUILDERS[name]
    unknown = sorted(set(p) - set(allowed))
    if unknown:
        raise TypeError(f"schedule {name!r} does not take {unknown}; it takes "
                        f"{list(allowed) + ['warmup_steps']}")
    inner = build(total_steps - warm, p)
    return decays.Warmup(warm, inner) if warm else inner
