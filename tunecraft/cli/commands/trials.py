"""``tunecraft trials STUDY``: a table of trials (number, state, value, params, duration)."""

from __future__ import annotations

import argparse
from typing import Any

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
    storage_url,
)

STATES = ("running", "complete", "pruned", "fail", "waiting")


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


def handle(args: argparse.Namespace) -> int:
    from rich.table import Table

    states = _states(args.state)
    history = read_history(open_storage(storage_url(args)), args.study)
    trials = [t for t in history.trials if states is None or t.state in states]
    shown = trials[-args.limit:] if args.limit else trials
    table = Table(title=f"Trials of {args.study!r} ({len(shown)} of {len(history)})")
    table.add_column("number", justify="right")
    table.add_column("state")
    table.add_column("value" if history.n_objectives == 1 else "values", justify="right")
    table.add_column("params")
    table.add_column("duration", justify="right")
    for t in shown:
        table.add_row(str(t.number), t.state.name, fmt_values(t.values), fmt_params(t.params),
                      fmt_duration(t.duration))
    console().print(table)
    return 0
