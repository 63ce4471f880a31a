"""Keras 3 integration (torch backend): a pruning callback and an LR range test for compiled
models. Install with ``pip install 'tunecraft[keras]'``.

Importing a name from here imports Keras; if Keras is not imported yet and ``KERAS_BACKEND`` is
unset, the backend is set to ``torch`` first (the backend the ``keras`` extra installs).
"""

from __future__ import annotations

from tunecraft._lazy import LazyExports

_EXPORTS = LazyExports(__name__, {
    "TunecraftPruningCallback": "tunecraft.keras._callback",
    "keras_lr_range_test": "tunecraft.keras._lr_range",
})
__all__ = _EXPORTS.names
__getattr__, __dir__ = _EXPORTS.hooks()
