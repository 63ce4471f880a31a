"""Optuna's ``optuna.logging`` functions for tunecraft's ``"tunecraft"`` logger.

``set_verbosity(tunecraft.logging.WARNING)`` silences the per-trial INFO lines, as in Optuna.
One difference, on purpose: importing tunecraft installs no handler (a library should not
print unless asked; Python shows WARNING and above anyway). The first :func:`set_verbosity`
or :func:`enable_default_handler` call installs the stderr handler Optuna installs at import,
so ``set_verbosity(INFO)`` shows the trial lines; :func:`disable_default_handler` removes it.
"""

from __future__ import annotations

import logging as _logging
import sys
import threading

CRITICAL = _logging.CRITICAL
FATAL = _logging.FATAL
ERROR = _logging.ERROR
WARNING = _logging.WARNING
WARN = _logging.WARN
INFO = _logging.INFO
DEBUG = _logging.DEBUG

_ROOT = "tunecraft"
_lock = threading.Lock()
_handler: _logging.Handler | None = None
_handler_disabled = False


def _root() -> _logging.Logger:
    return _logging.getLogger(_ROOT)


def get_logger(name: str) -> _logging.Logger:
    """A logger under tunecraft's (``tunecraft.<name>`` unless ``name`` already is one)."""
    if name != _ROOT and not name.startswith(_ROOT + "."):
        name = f"{_ROOT}.{name}"
    return _logging.getLogger(name)


def _install() -> None:
    global _handler
    with _lock:
        if _handler is None and not _handler_disabled:
            _handler = _logging.StreamHandler(sys.stderr)
            _handler.setFormatter(_logging.Formatter(
                "[%(levelname)1.1s %(asctime)s] %(message)s"))
            _root().addHandler(_handler)
            if _root().level == _logging.NOTSET:
                _root().setLevel(INFO)


def get_verbosity() -> int:
    """The level of tunecraft's logger (an ``int`` such as ``tunecraft.logging.INFO``)."""
    return _root().getEffectiveLevel()


def set_verbosity(verbosity: int) -> None:
    """Show tunecraft's log records at ``verbosity`` and above (e.g. ``WARNING`` to silence
    the per-trial lines)."""
    if isinstance(verbosity, bool) or not isinstance(verbosity, int):
        raise TypeError(f"verbosity={verbosity!r} must be a logging level such as "
                        "tunecraft.logging.WARNING")
    _install()
    _root().setLevel(verbosity)


def enable_default_handler() -> None:
    """Print tunecraft's log records on stderr (installed by the first ``set_verbosity``)."""
    global _handler_disabled
    _handler_disabled = False
    _install()


def disable_default_handler() -> None:
    """Stop printing through the default handler (your own handlers still receive records)."""
    global _handler, _handler_disabled
    with _lock:
        _handler_disabled = True
        if _handler is not None:
            _root().removeHandler(_handler)
            _handler = None


def enable_propagation() -> None:
    """Pass tunecraft's records on to the root logger's handlers (the default)."""
    _root().propagate = True


def disable_propagation() -> None:
    """Keep tunecraft's records away from the root logger's handlers."""
    _root().propagate = False


def _reset_library_root_logger() -> None:
    """Remove the default handler and reset the level (the fixture Optuna's tests and plug-in
    suites use between tests, under Optuna's private name)."""
    global _handler_disabled
    disable_default_handler()
    _handler_disabled = False
    _root().setLevel(_logging.NOTSET)


def _configure_library_root_logger() -> None:
    """Install the default stderr handler (Optuna's private name, used by its test fixtures)."""
    _install()


__all__ = [
    "CRITICAL", "DEBUG", "ERROR", "FATAL", "INFO", "WARN", "WARNING", "disable_default_handler",
    "disable_propagation", "enable_default_handler", "enable_propagation", "get_logger",
    "get_verbosity", "set_verbosity",
]
