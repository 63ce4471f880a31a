"""scikit-learn integration: :class:`TuneSearchCV`, a Bayesian drop-in for GridSearchCV.

Install with ``pip install 'tunecraft[sklearn]'``. Importing a name from here imports
scikit-learn; ``import tunecraft`` does not.
"""

from __future__ import annotations

import importlib
from typing import Any

__all__ = ["TuneSearchCV"]

_WHERE = {"TuneSearchCV": "tunecraft.sklearn.search"}


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        return getattr(importlib.import_module(_WHERE[name]), name)
    raise AttributeError(f"module 'tunecraft.sklearn' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)
