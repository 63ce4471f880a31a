"""MLflow tracking: :class:`MLflowCallback` records every finished trial of a study as one
MLflow run, with its parameters, value(s), state and learning curve.

Install with ``pip install 'tunecraft[mlflow]'`` (the MLflow client, ``mlflow-skinny``, with
what a SQLite backend store needs); ``pip install mlflow`` adds the tracking server and UI.
Importing a name from here imports MLflow; ``import tunecraft`` does not.
"""

from __future__ import annotations

from tunecraft._lazy import LazyExports

_EXPORTS = LazyExports(__name__, {
    "MLflowCallback": "tunecraft.mlflow._callback",
})
__all__ = _EXPORTS.names
__getattr__, __dir__ = _EXPORTS.hooks()
