"""MLflow tracking: :class:`MLflowCallback` records every finished trial of a study as one
MLflow run, with its parameters, value(s), state and learning curve.

Install with ``pip install 'tunecraft[mlflow]'`` (the MLflow client, ``mlflow-skinny``, with
what a SQLite backend store needs); ``pip install mlflow`` adds the tracking server and UI.
Importing a name from here imports MLflow; ``import tunecraft`` does not.
"""

from __future__ import annotations

import importlib
from typing import Any

__all__ = ["MLflowCallback"]

_WHERE = {"MLflowCallback": "tunecraft.mlflow._callback"}


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        return getattr(importlib.import_module(_WHERE[name]), name)
    raise AttributeError(f"module 'tunecraft.mlflow' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)
