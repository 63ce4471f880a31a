"""Evaluate a study's ``constraints_func`` on a completing trial, as one event to record."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable, Sequence
from typing import Any

from tunecraft.record import CONSTRAINTS_KEY, FrozenTrial, TrialState, freeze
from tunecraft.space import dim_from_json
from tunecraft.storage.events import Event, EventKind


def constraint_event(
    record: FrozenTrial,
    values: tuple[float, ...],
    pending: Sequence[Event],
    constraints_func: Callable[[FrozenTrial], Sequence[float]],
) -> list[Event]:
    """``[SYSTEM_ATTR constraints]`` for a trial about to complete, or ``[]`` when the trial
    recorded its own constraints with ``trial.set_constraint``.

    ``constraints_func`` sees the trial as it will be stored: COMPLETE, with its values and
    every parameter and attribute, including those not flushed yet (``pending``).
    """
    params: dict[str, Any] = dict(record.params)
    dists = dict(record.distributions)
    user = dict(record.user_attrs)
    system = dict(record.system_attrs)
    for event in pending:
        if event.kind is EventKind.PARAMS:
            for name, item in event.payload.items():
                params[name] = item["v"]
                dists[name] = dim_from_json(item["d"])
        elif event.kind is EventKind.USER_ATTR:
            user[event.payload["key"]] = event.payload["value"]
        elif event.kind is EventKind.SYSTEM_ATTR:
            system[event.payload["key"]] = event.payload["value"]
    if CONSTRAINTS_KEY in system:
        return []
    trial = dataclasses.replace(
        record, state=TrialState.COMPLETE, values=values, params=freeze(params),
        distributions=freeze(dists), user_attrs=freeze(user), system_attrs=freeze(system))
    raw: Any = constraints_func(trial)
    seq = list(raw) if isinstance(raw, (list, tuple)) or hasattr(raw, "__len__") else [raw]
    out: list[float] = []
    for c in seq:
        try:
            f = float(c)
        except (TypeError, ValueError):
            f = math.nan
        if math.isnan(f):
            raise ValueError(f"constraints_func returned {raw!r} for trial {record.number}; "
                             "return a sequence of numbers (<= 0: satisfied), not NaN")
        out.append(f)
    if not out:
        raise ValueError(f"constraints_func returned no value for trial {record.number}; "
                         "return at least one number (<= 0: satisfied)")
    return [Event(record.number, EventKind.SYSTEM_ATTR, {"key": CONSTRAINTS_KEY, "value": out})]
