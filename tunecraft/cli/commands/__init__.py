"""The registry of ``tunecraft`` subcommands.

Each module named in :data:`COMMANDS` defines ``register(subparsers)``, which adds its parser
and sets ``handler=`` to a function ``(args) -> int`` (the exit status). To add a command,
write a module here and append its name; heavy imports belong inside the handler so that
``tunecraft --help`` stays fast.
"""

from __future__ import annotations

import argparse
import importlib
from typing import Any

COMMANDS: tuple[str, ...] = ("run", "studies", "best", "trials", "export", "delete",
                             "lr_find", "report", "dashboard", "worker", "import_optuna",
                             "doctor")


def register_all(subparsers: argparse._SubParsersAction[Any]) -> None:
    """Add every command of :data:`COMMANDS` to ``subparsers``, in order."""
    for name in COMMANDS:
        module = importlib.import_module(f"{__name__}.{name}")
        module.register(subparsers)
