"""The ``tunecraft`` entry point: parse arguments, run one command, map errors to exit codes.

Exit status: 0 on success; 2 for usage and configuration errors (one line on stderr, no
traceback); 1 for other failures (a missing study, a storage error, ...); 130 on Ctrl-C.
``--debug`` shows the traceback of unexpected errors.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from typing import NoReturn

from tunecraft._names import visible
from tunecraft.cli._common import DEFAULT_STORAGE, STORAGE_ENV, UsageError, log_to_stderr
from tunecraft.cli.commands import register_all
from tunecraft.exceptions import ConfigError


class _Parser(argparse.ArgumentParser):
    """argparse with one-line errors raised as UsageError (exit 2) instead of sys.exit."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{self.prog}: error: {message} (see '{self.prog} --help')")


def build_parser() -> argparse.ArgumentParser:
    """The full parser: global options plus every command in the registry."""
    from tunecraft import __version__

    parser = _Parser(
        prog="tunecraft",
        description="tunecraft: hyperparameter tuning for deep learning.",
        epilog=f"Storage: --storage, else ${STORAGE_ENV}, else {DEFAULT_STORAGE} (for 'run', "
               "a 'storage' key in the config comes before the environment variable). "
               "See docs/cli.md.",
    )
    parser.add_argument("--version", action="version", version=f"tunecraft {__version__}")
    parser.add_argument("--storage", metavar="URL", default=argparse.SUPPRESS,
                        help=f"SQLite path or database URL (default: ${STORAGE_ENV} or "
                             f"{DEFAULT_STORAGE})")
    parser.add_argument("--debug", action="store_true",
                        help="show tracebacks of unexpected errors")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True,
                                parser_class=_Parser)
    register_all(sub)
    return parser


def _fail(message: str, code: int) -> int:
    # messages quote names from the storage and the user: no escape sequence of theirs may
    # reach the terminal
    print("\n".join(visible(line) for line in message.split("\n")), file=sys.stderr)
    return code


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status (the console script exits with it)."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except UsageError as exc:
        return _fail(str(exc), 2)
    except SystemExit as exc:  # --help and --version
        return exc.code if isinstance(exc.code, int) else 0
    log_to_stderr()
    try:
        code: int = args.handler(args)
        return code
    except UsageError as exc:  # already a full line: "tunecraft CMD: error: ..."
        return _fail(str(exc), 2)
    except ConfigError as exc:  # the message starts with file:line when there is a file
        return _fail(f"tunecraft: error: {exc}", 2)
    except KeyboardInterrupt:
        return _fail("tunecraft: interrupted; finished trials are saved (run the same "
                     "command again to continue)", 130)
    except BrokenPipeError:  # e.g. `tunecraft export s | head`
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 1
    except Exception as exc:
        if args.debug:
            raise
        return _fail(f"tunecraft: error: {exc}" if str(exc) else
                     f"tunecraft: error: {type(exc).__name__}", 1)
