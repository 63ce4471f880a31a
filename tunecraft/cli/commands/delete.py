"""``tunecraft delete STUDY``: delete a study and its trials, after confirmation."""

from __future__ import annotations

import argparse
import sys
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
    p = subparsers.add_parser("delete", help="delete a study and all its trials",
                              description="Delete a study and all its trials. Asks for "
                                          "confirmation when stdin is a terminal; otherwise "
                                          "--yes is required.")
    p.add_argument("study", metavar="STUDY")
    p.add_argument("-y", "--yes", action="store_true", help="do not ask for confirmation")
    add_storage_option(p)
    p.set_defaults(handler=handle)


def _confirmed(question: str) -> bool:
    stdin = sys.stdin
    if stdin is None or stdin.closed or not stdin.isatty():
        raise UsageError("tunecraft delete: error: stdin is not a terminal, so I cannot ask for "
                         "confirmation; pass --yes to delete")
    try:
        answer = input(f"{question} [y/N] ")
    except EOFError:
        return False
    return answer.strip().lower() in ("y", "yes")


def handle(args: argparse.Namespace) -> int:
    url = storage_url(args)
    storage = open_storage(url, access="write")
    history = read_history(storage, args.study)
    if not args.yes and not _confirmed(
            f"Delete study {args.study!r} and its {len(history)} trial(s) from "
            f"{visible(url)}?"):
        print("Not deleted.", file=sys.stderr)
        return 1
    storage.delete_study(args.study)
    print(f"Deleted study {args.study!r} ({len(history)} trials) from {visible(url)}.",
          file=sys.stderr)
    return 0
