"""``tunecraft studies``: a table of the studies in a storage, with trial counts and bests."""

from __future__ import annotations

import argparse
from typing import Any

from tunecraft.cli._common import (
    add_storage_option,
    console,
    fmt_number,
    open_storage,
    storage_url,
)


def register(subparsers: argparse._SubParsersAction[Any]) -> None:
    p = subparsers.add_parser("studies", help="list the studies in a storage",
                              description="List the studies in a storage: trial counts by "
                                          "state and the best value.")
    add_storage_option(p)
    p.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    from rich.table import Table

    from tunecraft.record import TrialState
    from tunecraft.study import get_all_study_summaries

    url = storage_url(args)
    summaries = get_all_study_summaries(open_storage(url))
    out = console()
    if not summaries:
        out.print(f"No studies in {url}.")
        return 0
    table = Table(title=f"Studies in {url}")
    counted = ("trials", "complete", "pruned", "fail", "stale", "running", "best trial")
    for col in ("study", "direction", "trials", "complete", "pruned", "fail", "stale",
                "running", "best value", "best trial", "started"):
        table.add_column(col, justify="right" if col in counted else "left")
    for s in summaries:
        best = s.best_trial
        running = s.state_counts[TrialState.RUNNING] + s.state_counts[TrialState.WAITING]
        table.add_row(
            s.study_name, ", ".join(d.value for d in s.directions), str(s.n_trials),
            str(s.state_counts[TrialState.COMPLETE]), str(s.state_counts[TrialState.PRUNED]),
            str(s.state_counts[TrialState.FAIL]), str(s.state_counts[TrialState.STALE]),
            str(running),
            fmt_number(best.values[0]) if best is not None and best.values else "-",
            str(best.number) if best is not None else "-",
            s.datetime_start.strftime("%Y-%m-%d %H:%M") if s.datetime_start else "-",
        )
    out.print(table)
    return 0
