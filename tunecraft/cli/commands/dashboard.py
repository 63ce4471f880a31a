"""``tunecraft dashboard``: a live, read-only web UI of the studies in a storage."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from tunecraft._validation import Interval
from tunecraft.cli._common import add_storage_option, check_flag, open_storage, storage_url


def register(subparsers: argparse._SubParsersAction[Any]) -> None:
    p = subparsers.add_parser(
        "dashboard", help="serve a live web dashboard of the studies",
        description="Serve a read-only web dashboard (study list, live plots, trials table, "
                    "a JSON API under /api) until Ctrl-C.")
    p.add_argument("--host", default="127.0.0.1",
                   help="address to bind (default 127.0.0.1: this machine only; 0.0.0.0 "
                        "exposes the studies to the network, without authentication)")
    p.add_argument("--port", type=int, default=8080, help="port (default 8080)")
    p.add_argument("--refresh", type=float, default=2.0, metavar="SECONDS",
                   help="how often study pages poll for new trials (default 2)")
    p.add_argument("--importance", choices=("fanova", "ped-anova", "none"), default="fanova",
                   help="importance method for the study pages (default fanova)")
    add_storage_option(p)
    p.set_defaults(handler=handle)


def handle(args: argparse.Namespace) -> int:
    from tunecraft.dashboard import LOOPBACK, serve

    check_flag("dashboard", "--port", args.port, Interval(int, 1, 65535, label="in 1..65535"))
    check_flag("dashboard", "--refresh", args.refresh,
               Interval(float, 0, closed="neither", finite=False, label="> 0"))
    storage = open_storage(storage_url(args))
    if args.host not in LOOPBACK:
        print(f"warning: serving on {args.host}: anyone who can reach this address can read "
              "every study (there is no authentication)", file=sys.stderr)
    shown = f"[{args.host}]" if ":" in args.host else args.host
    print(f"tunecraft dashboard on http://{shown}:{args.port}/ (Ctrl-C stops it)", flush=True)
    serve(storage, host=args.host, port=args.port, refresh_seconds=args.refresh,
          importance=None if args.importance == "none" else args.importance)
    return 0
