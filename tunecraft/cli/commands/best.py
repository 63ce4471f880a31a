"""``tunecraft best STUDY``: the best trial (or the Pareto front of a multi-objective study)."""

from __future__ import annotations

import argparse
import json
from typing import TYPE_CHECKING, Any

from tunecraft._names import visible
from tunecraft.cli._common import (
    add_storage_option,
    console,
    fmt_duration,
    fmt_params,
    fmt_values,
    open_storage,
    require_study,
    storage_url,
)

if TYPE_CHECKING:
    from collections.abc import Sequence

    from rich.console import Console

    from tunecraft.history import History
    from tunecraft.record import FrozenTrial


def register(subparsers: argparse._SubParsersAction[Any]) -> None:
    p = subparsers.add_parser("best", help="show the best trial of a study",
                              description="Show the best trial of a study; for several "
                                          "objectives, the Pareto front.")
    p.add_argument("study", metavar="STUDY")
    p.add_argument("--json", action="store_true",
                   help="print JSON (number, values, params) instead of text")
    add_storage_option(p)
    p.set_defaults(handler=handle)


def best_trials(history: History) -> tuple[Any, ...]:
    """The best trial as a 1-tuple (single objective) or the Pareto front."""
    if history.n_objectives == 1:
        best = history.best_trial()
        return () if best is None else (best,)
    return history.best_trials()


def render_best(out: Console, history: History, study: str) -> bool:
    """Print the best trial(s) of ``history``; False when no trial has completed."""
    return print_best(out, best_trials(history), history.n_objectives, study)


def print_best(out: Console, trials: Sequence[FrozenTrial], n_objectives: int, study: str
               ) -> bool:
    """Print the best trial (one objective) or the Pareto front ``trials``; False when there
    is none."""
    if not trials:
        out.print(f"Study {study!r} has no completed trial yet.")
        return False
    if n_objectives == 1:
        t = trials[0]
        ran = f" (the trial ran {fmt_duration(t.duration)})" if t.duration is not None else ""
        out.print(f"Best trial of {study!r}: #{t.number}, value {fmt_values(t.values)}{ran}")
        for name, value in t.params.items():
            out.print(f"  {visible(name)} = {value!r}")
        return True
    from rich.table import Table

    table = Table(title=f"Pareto front of {study!r} ({len(trials)} trials)")
    for col in ("number", "values", "params"):
        table.add_column(col)
    for t in trials:
        table.add_row(str(t.number), fmt_values(t.values), fmt_params(t.params))
    out.print(table)
    return True


def handle(args: argparse.Namespace) -> int:
    storage = open_storage(storage_url(args), access="read")
    require_study(storage, args.study)
    n_objectives = len(storage.study_directions(args.study))
    trials = storage.best_trials(args.study)  # the trial summaries and the winners' events
    if args.json:
        doc = [{"number": t.number, "values": list(t.values or ()), "params": dict(t.params)}
               for t in trials]
        if not doc:
            raise LookupError(f"study {args.study!r} has no completed trial yet")
        print(json.dumps(doc[0] if n_objectives == 1 else doc))
        return 0
    return 0 if print_best(console(), trials, n_objectives, args.study) else 1
