"""``tunecraft export STUDY --format csv|json [-o PATH]``: trials as CSV or JSON."""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
from typing import Any

from tunecraft._names import visible
from tunecraft.cli._common import (
    UsageError,
    add_storage_option,
    open_storage,
    read_history,
    storage_url,
)


def register(subparsers: argparse._SubParsersAction[Any]) -> None:
    p = subparsers.add_parser("export", help="export the trials of a study as CSV or JSON",
                              description="Write every trial of a study as CSV (one row per "
                                          "trial) or JSON (every field) to a file or stdout.")
    p.add_argument("study", metavar="STUDY")
    p.add_argument("--format", choices=("csv", "json"),
                   help="output format (default: from the -o suffix, else csv)")
    p.add_argument("-o", "--output", metavar="PATH", help="write to PATH (default: stdout)")
    add_storage_option(p)
    p.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    from tunecraft.export import write_trials

    fmt = args.format
    if fmt is None:
        suffix = os.path.splitext(args.output or "")[1].lstrip(".").lower()
        if args.output and suffix not in ("csv", "json"):
            raise UsageError(f"tunecraft export: error: cannot tell the format of "
                             f"{args.output!r}; pass --format csv or --format json")
        fmt = suffix or "csv"
    history = read_history(open_storage(storage_url(args), access="read"), args.study)
    if args.output:
        write_trials(history, args.output, fmt, study_name=args.study)
        size = os.path.getsize(args.output) / 1e3
        print(f"wrote {visible(args.output)} ({fmt.upper()}, {len(history)} trials, "
              f"{size:.1f} kB)")
        return 0
    with tempfile.TemporaryDirectory(prefix="tunecraft-export-") as tmp:
        path = os.path.join(tmp, f"trials.{fmt}")
        write_trials(history, path, fmt, study_name=args.study)
        with open(path, encoding="utf-8", newline="") as f:
            if sys.stdout.isatty():  # for a person: control characters in values as escapes
                for line in f:
                    end = "\r\n" if line.endswith("\r\n") else "\n" if line.endswith("\n") else ""
                    sys.stdout.write(visible(line[:len(line) - len(end)]) + end)
            else:  # for a pipe or file: the exact data
                shutil.copyfileobj(f, sys.stdout)
    sys.stdout.flush()
    return 0
