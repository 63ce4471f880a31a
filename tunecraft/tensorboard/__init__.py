"""TensorBoard tracking: :class:`TensorBoardCallback` writes every finished trial as a run
with an HParams plugin session (its parameters and status) and its learning curve.

Install with ``pip install 'tunecraft[tensorboard]'`` (TensorBoard alone; TensorFlow is not
needed). Importing a name from here imports TensorBoard; ``import tunecraft`` does not.
"""

from __future__ import annotations

import importlib
from typing import Any

__all__ = ["TensorBoardCallback"]

_WHERE = {"TensorBoardCallback": "tunecraft.tensorboard._callback"}


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        return getattr(importlib.import_module(_WHERE[name]), name)
    raise AttributeError(f"module 'tunecraft.tensorboard' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)
