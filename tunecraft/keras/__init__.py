"""Keras 3 integration (torch backend): a pruning callback and an LR range test for compiled
models. Install with ``pip install 'tunecraft[keras]'``.

Importing a name from here imports Keras; if Keras is not imported yet and ``KERAS_BACKEND`` is
unset, the backend is set to ``torch`` first (the backend the ``keras`` extra installs).
"""

from __future__ import annotations

import importlib
from typing import Any

__all__ = ["TunecraftPruningCallback", "keras_lr_range_test"]

_WHERE = {
    "TunecraftPruningCallback": "tunecraft.keras._callback",
    "keras_lr_range_test": "tunecraft.keras._lr_range",
}


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        return getattr(importlib.import_module(_WHERE[name]), name)
    raise AttributeError(f"module 'tunecraft.keras' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)
