"""Hugging Face Transformers integration: a ``TrainerCallback`` that reports each evaluation
to a trial, and :func:`hyperparameter_search`, a drop-in for ``Trainer.hyperparameter_search``
that runs on a tunecraft study.

Install with ``pip install 'tunecraft[transformers]'``. Importing a name from here imports
``transformers``; ``import tunecraft`` does not.
"""

from __future__ import annotations

import importlib
from typing import Any

__all__ = ["PruningCallback", "default_hp_space", "hyperparameter_search"]

_WHERE = {
    "PruningCallback": "tunecraft.transformers._callback",
    "default_hp_space": "tunecraft.transformers._search",
    "hyperparameter_search": "tunecraft.transformers._search",
}


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        return getattr(importlib.import_module(_WHERE[name]), name)
    raise AttributeError(f"module 'tunecraft.transformers' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)
