"""``tunecraft studies``: a table of the studies in a storage, with trial counts and bests."""

from __future__ import annotations

import argparse
from typing import Any

from tunecraft._names import visible
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
    summaries = get_all_study_summaries(open_storage(url, access="read"))
    out = console()
    if not summaries:
        out.print(f"No studies in {visible(url)}.")
        return 0
    table = Table(title=f"Studies in {visible(url)}")
    counted = ("trials", "complete", "pruned", "fail", "stale", "running", "best trial")
    for col in ("study", "direction", "trials", "complete", "pruned", "fail", "stale",
                "running", "best value", "best trial", "started"):
        table.add_column(col, justify="right" if col in counted else "left")
    lost = 0
    for s in summaries:
        best = s.best_trial
        # a RUNNING trial whose worker is gone counts as stale (the next worker marks it)
        running = (s.state_counts[TrialState.RUNNING] - s.n_lost
                   + s.state_counts[TrialState.WAITING])
        stale = s.state_counts[TrialState.STALE] + s.n_lost
        lost += s.n_lost
        table.add_row(
            visible(s.study_name), ", ".join(d.value for d in s.directions), str(s.n_trials),
            str(s.state_counts[TrialState.COMPLETE]), str(s.state_counts[TrialState.PRUNED]),
            str(s.state_counts[TrialState.FAIL]), f"{stale}*" if s.n_lost else str(stale),
            str(running),
            fmt_number(best.values[0]) if best is not None and best.values else "-",
            str(best.number) if best is not None else "-",
            s.datetime_start.strftime("%Y-%m-%d %H:%M") if s.datetime_start else "-",
        )
    out.print(table)
    if lost:
        out.print(f"* {lost} running trial(s) lost their worker (lease run out, or process "
                  "exited): counted as stale; the next worker of the study marks them STALE "
                  "and retries them.")
    return 0
