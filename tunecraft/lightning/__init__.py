"""PyTorch Lightning integration: a pruning callback (with pause/resume through Lightning
checkpoints) and the LR range test and batch-size finder for a LightningModule.

Install with ``pip install 'tunecraft[lightning]'``. Importing a name from here imports
``lightning``; ``import tunecraft`` does not.
"""

from __future__ import annotations

import importlib
from typing import Any

__all__ = ["PruningCallback", "lightning_find_max_batch_size", "lightning_lr_range_test"]

_WHERE = {
    "PruningCallback": "tunecraft.lightning._callback",
    "lightning_find_max_batch_size": "tunecraft.lightning._tuning",
    "lightning_lr_range_test": "tunecraft.lightning._tuning",
}


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        return getattr(importlib.import_module(_WHERE[name]), name)
    raise AttributeError(f"module 'tunecraft.lightning' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)
