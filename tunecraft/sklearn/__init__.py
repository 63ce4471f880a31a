"""scikit-learn integration: :class:`TuneSearchCV`, a Bayesian drop-in for GridSearchCV.

Install with ``pip install 'tunecraft[sklearn]'``. Importing a name from here imports
scikit-learn; ``import tunecraft`` does not.
"""

from __future__ import annotations

from typing import Any

from tunecraft._lazy import LazyExports

_EXPORTS = LazyExports(__name__, {
    "TuneSearchCV": "tunecraft.sklearn.search",
})
__all__ = _EXPORTS.names


def __getattr__(name: str) -> Any:
    return _EXPORTS.load(name)


def __dir__() -> list[str]:
    return list(_EXPORTS.names)
