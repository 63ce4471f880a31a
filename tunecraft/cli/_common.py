"""Shared pieces of the command line: storage resolution, errors, Rich output and formatting."""

from __future__ import annotations

import argparse
import datetime as dt
import logging
import math
import os
import sys
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Literal, TypeVar

from tunecraft._names import short_repr, visible
from tunecraft._validation import Constraint, Interval, describe
from tunecraft.exceptions import StudyNotFound, TunecraftError

if TYPE_CHECKING:
    from rich.console import Console

    from tunecraft.history import History
    from tunecraft.storage.base import Storage

DEFAULT_STORAGE = "tunecraft.db"
STORAGE_ENV = "TUNECRAFT_STORAGE"
T = TypeVar("T")


class UsageError(TunecraftError):
    """Bad command-line usage, as one full line (``tunecraft CMD: error: ...``); exit 2."""


def check_flag(command: str, flag: str, value: T, *allowed: Constraint) -> T:
    """``value`` if any of the ``allowed`` constraints holds (see tunecraft._validation), else
    UsageError: ``tunecraft CMD: error: --flag VALUE must be A or B``."""
    if not any(c.holds(value) for c in allowed):
        raise UsageError(f"tunecraft {command}: error: {flag} {value} must be "
                         f"{describe(allowed)}")
    return value


def _number_arg(text: str, convert: type[int] | type[float], allowed: Interval,
                noun: str = "") -> Any:
    """``text`` converted, if the result is ``allowed``; else ArgumentTypeError (argparse
    prints ``argument --flag: must be ..., got ...``)."""
    try:
        value = convert(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"must be {noun or allowed.describe()}, got {text!r}") from None
    if not allowed.holds(value):
        raise argparse.ArgumentTypeError(f"must be {allowed.describe()}, got {text}")
    return value


def count_arg(text: str) -> int:
    """An argparse ``type``: an integer >= 0 (a number of trials or retries)."""
    return int(_number_arg(text, int, Interval(int, 0)))


def positive_int_arg(text: str) -> int:
    """An argparse ``type``: an integer >= 1 (a page size or limit)."""
    return int(_number_arg(text, int, Interval(int, 1, label="a positive integer")))


def seconds_arg(text: str) -> float:
    """An argparse ``type``: a finite positive number of seconds (a timeout, lease, period)."""
    return float(_number_arg(text, float, Interval(
        float, 0, closed="neither", label="a positive number of seconds"),
        noun="a number of seconds"))


def add_storage_option(parser: argparse.ArgumentParser) -> None:
    """``--storage URL`` on a subcommand, so it works before or after the command name."""
    parser.add_argument(
        "--storage", metavar="URL", default=argparse.SUPPRESS,
        help=f"SQLite path or database URL (default: ${STORAGE_ENV} or {DEFAULT_STORAGE})")


def storage_url(args: argparse.Namespace, configured: str | None = None) -> str:
    """``--storage`` flag, else the config's ``storage`` (checked when the config was read,
    so that its errors cite file:line), else $TUNECRAFT_STORAGE, else ``tunecraft.db``.

    Raises:
        UsageError: when the flag or the variable is not a storage tunecraft can open,
            naming which one and the fix.
    """
    flag: str | None = getattr(args, "storage", None)
    if flag is not None:
        return _checked_url(args, flag, "--storage")
    if configured:
        return configured
    env = os.environ.get(STORAGE_ENV)
    if env:
        return _checked_url(args, env, f"${STORAGE_ENV}")
    return DEFAULT_STORAGE


def _checked_url(args: argparse.Namespace, url: str, origin: str) -> str:
    from tunecraft.storage import normalize_url

    try:
        normalize_url(url)
    except ValueError as exc:
        command = getattr(args, "command", None)
        prog = f"tunecraft {command}" if command else "tunecraft"
        fix = "" if origin == "--storage" else " (fix the variable, or unset it)"
        raise UsageError(f"{prog}: error: {origin}: {exc}{fix}") from None
    return url


def open_storage(url: str, *, must_exist: bool = True,
                 access: Literal["read", "write", "any"] = "any") -> Storage:
    """Open a storage; a missing SQLite file is an error unless ``must_exist`` is False
    (reading commands must not create empty database files).

    ``access="read"`` is for commands that read once and exit: a SQLite file that this user
    cannot write (a read-only file or folder) is opened read-only instead of failing.
    ``access="write"`` refuses such a file at once, naming the fix, before SQLite leaves
    ``-wal`` and ``-shm`` files beside it that its owner may then be unable to write.
    """
    from tunecraft.storage import get_storage, normalize_url
    from tunecraft.storage.sql import check_writable, read_only_storage

    full = normalize_url(url)
    if must_exist and full.startswith("sqlite:///"):
        path = full[len("sqlite:///"):].split("?", 1)[0]
        if path and path != ":memory:" and not os.path.exists(path):
            raise TunecraftError(
                f"no storage at {path!r} (file not found); pass --storage PATH_OR_URL or set "
                f"${STORAGE_ENV}")
    if access == "read":
        opened = read_only_storage(full)
        if opened is not None:
            return opened
    elif access == "write":
        check_writable(full)
    return get_storage(url)


class _VisibleStderr(logging.Handler):
    """Log records to the current ``sys.stderr``, with control characters escaped: trial
    failure reasons and stale-trial notices quote the objective's exception messages."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            text = self.format(record)
            print("\n".join(visible(line) for line in text.split("\n")), file=sys.stderr)
        except Exception:
            self.handleError(record)


def log_to_stderr() -> None:
    """Show tunecraft's warnings on stderr through :class:`_VisibleStderr` (once)."""
    logger = logging.getLogger("tunecraft")
    if not any(isinstance(h, _VisibleStderr) for h in logger.handlers):
        handler = _VisibleStderr(logging.WARNING)
        logger.addHandler(handler)


def read_history(storage: Storage, study: str) -> History:
    """The history of ``study``, or StudyNotFound naming the studies that exist."""
    require_study(storage, study)
    return storage.history(study)


def require_study(storage: Storage, study: str) -> None:
    """Raise StudyNotFound, naming the studies that exist, unless ``study`` is one of them
    (for commands that read a part of a study instead of its whole history)."""
    names = storage.study_names()
    if study not in names:
        from tunecraft.config.source import did_you_mean

        hint = did_you_mean(study, names) or (
            f"; it holds {', '.join(names)}" if names else "; it holds no study")
        raise StudyNotFound(f"no study named {short_repr(study)} in this storage{hint}")


def console(stderr: bool = False) -> Console:
    """A Rich console; when not a terminal, no colours and a wide line (for pipes and files).

    Markup and emoji codes are off: what the CLI prints holds names from the storage, and a
    study named ``[/]`` or ``:x:`` must print as written, never as Rich markup. Pass such
    names through :func:`visible` too, so that control characters show as escapes.
    """
    from rich.console import Console

    stream = sys.stderr if stderr else sys.stdout
    tty = stream.isatty()
    return Console(file=stream, width=None if tty else 160, no_color=not tty,
                   highlight=False, soft_wrap=not tty, markup=False, emoji=False)


def fmt_number(v: float | None) -> str:
    if v is None:
        return "-"
    if math.isnan(v) or math.isinf(v):
        return str(v)
    return f"{v:.6g}"


def fmt_values(values: tuple[float, ...] | None) -> str:
    if values is None:
        return "-"
    return ", ".join(fmt_number(v) for v in values)


def fmt_params(params: Mapping[str, Any]) -> str:
    return ", ".join(f"{visible(k)}={fmt_number(v) if isinstance(v, float) else visible(v)}"
                     for k, v in params.items())


def fmt_duration(d: dt.timedelta | None) -> str:
    if d is None:
        return "-"
    s = d.total_seconds()
    if s < 60:
        return f"{s:.2f}s"
    m, s = divmod(s, 60)
    if m < 60:
        return f"{int(m)}m{int(s):02d}s"
    h, m = divmod(m, 60)
    return f"{int(h)}h{int(m):02d}m"
