"""A search over the named schedules: a categorical with conditional parameters.

``suggest_schedule`` asks a trial for the name and only the parameters that name uses (declared
in :mod:`tunecraft.torch.declared_space`), then builds it with
:func:`~tunecraft.torch.named_schedules.schedule_from_config`, re-exported here.
"""

from __future__ import annotations

from collections.abc import Sequence

from tunecraft.torch._schedule_base import Schedule
from tunecraft.torch._types import SuggestTrial
from tunecraft.torch.declared_space import MAX_WARMUP_PCT, SCHEDULE_CHOICES, ScheduleSpace
from tunecraft.torch.named_schedules import SCHEDULE_NAMES, schedule_from_config

__all__ = ["DEFAULT_CHOICES", "SCHEDULE_NAMES", "schedule_from_config", "suggest_schedule"]

DEFAULT_CHOICES: tuple[str, ...] = SCHEDULE_CHOICES
"""The schedules searched when ``choices`` is None."""


def suggest_schedule(
    trial: SuggestTrial, total_steps: int, *, choices: Sequence[str] | None = None,
    prefix: str = "schedule", max_warmup_pct: float = MAX_WARMUP_PCT,
) -> Schedule:
    """Asks ``trial`` for a schedule: its name, then only the parameters that name uses.

    Parameters (names prefixed with ``prefix``): ``{prefix}`` (categorical over ``choices``,
    default :data:`DEFAULT_CHOICES`); ``{prefix}_warmup_pct`` in ``[0, max_warmup_pct]`` for
    every name but one_cycle (which warms up itself; ``max_warmup_pct=0`` switches warm-up off);
    step: ``_step_gamma`` [0.05, 0.5] log, ``_step_drops`` 1..4; multistep: ``_multistep_gamma``;
    exponential: ``_exponential_final`` [1e-3, 0.3] log; cosine: ``_cosine_final`` [1e-4, 0.1]
    log; cosine_restarts: ``_restarts_cycles`` 2..5, ``_restarts_mult`` {1, 2}; one_cycle:
    ``_one_cycle_pct_start`` [0.1, 0.5], ``_one_cycle_div`` [5, 100] log; polynomial:
    ``_polynomial_power`` [0.5, 3]. The knobs are declared in
    :mod:`tunecraft.torch.declared_space` (``SCHEDULE_KNOBS``).
    """
    choice = ScheduleSpace(None if choices is None else tuple(choices), max_warmup_pct,
                           prefix).ask(trial)
    params = dict(choice.params)
    if choice.warmup_pct is not None:
        params["warmup_steps"] = min(round(choice.warmup_pct * total_steps),
                                     max(total_steps - 1, 0))
    return schedule_from_config(choice.name, total_steps, **params)
