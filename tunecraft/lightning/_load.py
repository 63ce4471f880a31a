"""Import ``lightning.pytorch`` or say which extra installs it."""

from __future__ import annotations

from types import ModuleType

from tunecraft._imports import require


def load_lightning() -> ModuleType:
    """The ``lightning.pytorch`` module (Lightning 2.x, the unified ``lightning`` package)."""
    return require("lightning.pytorch", "lightning")
