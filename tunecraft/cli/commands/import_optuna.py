"""``tunecraft import-optuna --from URL --study NAME [--to URL]``: copy an Optuna study (RDB or
journal storage) into tunecraft storage, so that it continues there."""

from __future__ import annotations

import argparse
import sys
from typing import Any


def register(subparsers: argparse._SubParsersAction[Any]) -> None:
    p = subparsers.add_parser(
        "import-optuna", help="copy an Optuna study into tunecraft storage",
        description="Copy an Optuna study (every trial state, parameters with their "
                    "distributions, values, intermediate values, user attributes, "
                    "constraints) into tunecraft storage; continue it there with "
                    "load_study or tunecraft worker. Needs Optuna installed for the copy "
                    "(pip install 'tunecraft[optuna]').")
    p.add_argument("--from", dest="source", metavar="URL", required=True,
                   help="the Optuna storage: an RDB URL (sqlite:///optuna.db, "
                        "postgresql://...) or a journal file path")
    p.add_argument("--study", metavar="NAME", required=True, help="the Optuna study to copy")
    p.add_argument("--to", metavar="URL",
                   help="the tunecraft storage (default: <source file>.tunecraft.db)")
    p.add_argument("--to-study", metavar="NAME", help="name in tunecraft (default: the same)")
    p.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    from tunecraft.migrate import import_optuna
    from tunecraft.migrate.optuna import default_target
    from tunecraft.storage import get_storage

    try:
        target = args.to if args.to is not None else default_target(args.source)
        storage = get_storage(target)
    except ValueError as exc:
        print(f"tunecraft import-optuna: error: {exc}", file=sys.stderr)
        return 2
    try:
        name = import_optuna(args.source, args.study, storage, to_study_name=args.to_study)
        print(f"Imported Optuna study {args.study!r} as {name!r} into {target}.",
              file=sys.stderr)
    except (KeyError, ValueError, ImportError) as exc:
        print(f"tunecraft import-optuna: error: {exc}", file=sys.stderr)
        return 2
    finally:
        storage.close()
    return 0
