"""``tunecraft report STUDY -o report.html``: one self-contained HTML file (plots, table)."""

from __future__ import annotations

import argparse
from typing import Any

from tunecraft._names import visible
from tunecraft.cli._common import add_storage_option, open_storage, read_history, storage_url


def register(subparsers: argparse._SubParsersAction[Any]) -> None:
    p = subparsers.add_parser(
        "report", help="write an offline HTML report of a study",
        description="Write one self-contained HTML file (no network needed to view it): "
                    "summary, parameter importance, plots and the trials table.")
    p.add_argument("study", metavar="STUDY")
    p.add_argument("-o", "--output", metavar="FILE", default=None,
                   help="where to write the report (default: STUDY.html)")
    p.add_argument("--importance", choices=("fanova", "ped-anova", "none"), default="fanova",
                   help="importance method (default: fanova; 'none' leaves it out)")
    add_storage_option(p)
    p.set_defaults(handler=handle)


def default_name(study: str) -> str:
    """A file name from a study name: unsafe characters become '_'."""
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in study).strip(".")
    return f"{safe or 'study'}.html"


def handle(args: argparse.Namespace) -> int:
    from tunecraft.viz.report import write_report

    history = read_history(open_storage(storage_url(args), access="read"), args.study)
    out = args.output or default_name(args.study)
    path = write_report(history, out, study_name=args.study,
                        importance=None if args.importance == "none" else args.importance)
    print(f"wrote {visible(path)} ({path.stat().st_size / 1e6:.1f} MB, {len(history)} trials)")
    return 0
