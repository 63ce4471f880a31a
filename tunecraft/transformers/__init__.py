"""Hugging Face Transformers integration: a ``TrainerCallback`` that reports each evaluation
to a trial, and :func:`hyperparameter_search`, a drop-in for ``Trainer.hyperparameter_search``
that runs on a tunecraft study.

Install with ``pip install 'tunecraft[transformers]'``. Importing a name from here imports
``transformers``; ``import tunecraft`` does not.
"""

from __future__ import annotations

from tunecraft._lazy import LazyExports

_EXPORTS = LazyExports(__name__, {
    "PruningCallback": "tunecraft.transformers._callback",
    "default_hp_space": "tunecraft.transformers._search",
    "hyperparameter_search": "tunecraft.transformers._search",
})
__all__ = _EXPORTS.names
__getattr__, __dir__ = _EXPORTS.hooks()
