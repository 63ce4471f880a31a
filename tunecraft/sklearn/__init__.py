"""scikit-learn integration: :class:`TuneSearchCV`, a Bayesian drop-in for GridSearchCV.

Install with ``pip install 'tunecraft[sklearn]'``. Importing a name from here imports
scikit-learn; ``import tunecraft`` does not.
"""

from __future__ import annotations

from tunecraft._lazy import LazyExports

_EXPORTS = LazyExports(__name__, {
    "TuneSearchCV": "tunecraft.sklearn.search",
})
__all__ = _EXPORTS.names
__getattr__, __dir__ = _EXPORTS.hooks()
