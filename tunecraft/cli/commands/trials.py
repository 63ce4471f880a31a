"""``tunecraft trials STUDY``: a table of trials (number, state, value, params, duration)."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from tunecraft.cli._common import (
    UsageError,
    add_storage_option,
    console,
    fmt_duration,
    fmt_params,
    fmt_values,
    open_storage,
    positive_int_arg,
    read_history,
    require_study,
    storage_url,
)

if TYPE_CHECKING:
    from collections.abc import Collection, Container, Sequence

    from tunecraft.record import FrozenTrial, TrialState
    from tunecraft.storage.base import Storage

STATES = ("running", "complete", "pruned", "fail", "waiting", "stale")


def register(subparsers: argparse._SubParsersAction[Any]) -> None:
    p = subparsers.add_parser("trials", help="list the trials of a study",
                              description="List the trials of a study as a table.")
    p.add_argument("study", metavar="STUDY")
    p.add_argument("--limit", type=positive_int_arg, metavar="N",
                   help="show only the last N trials (highest numbers)")
    p.add_argument("--state", action="append", metavar="STATE",
                   help=f"only trials in this state ({', '.join(STATES)}); repeat or "
                        "comma-separate for several")
    add_storage_option(p)
    p.set_defaults(handler=handle)


def _states(raw: list[str] | None) -> set[Any] | None:
    from tunecraft.config.source import did_you_mean
    from tunecraft.record import TrialState

    if not raw:
        return None
    out = set()
    for item in ",".join(raw).split(","):
        name = item.strip().lower()
        if name not in STATES:
            raise UsageError(f"tunecraft trials: error: --state {item!r} is not a trial state"
                             f"{did_you_mean(name, STATES)} (use {', '.join(STATES)})")
        out.add(TrialState[name.upper()])
    return out


def _last(storage: Storage, study: str, states: set[Any] | None, limit: int,
          lost: Collection[int]) -> tuple[list[FrozenTrial], int]:
    """The last ``limit`` trials (in ``states``, as shown) and the study's number of trials,
    reading the trial counts, the numbers of the trials in ``states`` and the shown trials'
    events only."""
    from tunecraft.record import TrialState

    total = sum(storage.state_counts(study).values())
    if states is None:
        numbers: Sequence[int] = range(max(0, total - limit), total)
    else:  # a lost trial is still RUNNING in the storage, and shown as stale
        chosen = set(storage.trial_numbers(study, states))
        if TrialState.RUNNING in states:
            chosen -= set(lost)
        if TrialState.STALE in states:
            chosen |= set(lost)
        numbers = sorted(chosen)[-limit:]
    # a trial may have moved on since it was counted: show it only if it still qualifies
    return [t for t in storage.trials(study, numbers)
            if states is None or _shown(t.number, t.state, lost) in states], total


def _shown(number: int, state: TrialState, lost: Container[int]) -> TrialState:
    """The state a listing shows: STALE for a RUNNING trial whose worker is gone."""
    from tunecraft.record import TrialState

    return TrialState.STALE if state is TrialState.RUNNING and number in lost else state


def handle(args: argparse.Namespace) -> int:
    from rich.table import Table

    states = _states(args.state)
    storage = open_storage(storage_url(args), access="read")
    require_study(storage, args.study)
    lost = storage.lost_trials(args.study)  # RUNNING, but their worker is gone
    if args.limit:
        shown, total = _last(storage, args.study, states, args.limit, lost)
        n_objectives = len(storage.study_directions(args.study))
    else:
        history = read_history(storage, args.study)
        shown = [t for t in history.trials
                 if states is None or _shown(t.number, t.state, lost) in states]
        total, n_objectives = len(history), history.n_objectives
    table = Table(title=f"Trials of {args.study!r} ({len(shown)} of {total})")
    table.add_column("number", justify="right")
    table.add_column("state")
    table.add_column("value" if n_objectives == 1 else "values", justify="right")
    table.add_column("params")
    table.add_column("duration", justify="right")
    for t in shown:
        state = "STALE*" if t.number in lost else t.state.name
        table.add_row(str(t.number), state, fmt_values(t.values), fmt_params(t.params),
                      fmt_duration(t.duration))
    out = console()
    out.print(table)
    if any(t.number in lost for t in shown):
        out.print("* still RUNNING in the storage, but its worker is gone (lease run out, or "
                  "process exited); the next worker of the study marks it STALE and retries "
                  "it.")
    return 0
