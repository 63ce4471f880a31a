"""PyTorch Lightning integration: a pruning callback (with pause/resume through Lightning
checkpoints) and the LR range test and batch-size finder for a LightningModule.

Install with ``pip install 'tunecraft[lightning]'``. Importing a name from here imports
``lightning``; ``import tunecraft`` does not.
"""

from __future__ import annotations

from tunecraft._lazy import LazyExports

_EXPORTS = LazyExports(__name__, {
    "PruningCallback": "tunecraft.lightning._callback",
    "lightning_find_max_batch_size": "tunecraft.lightning._tuning",
    "lightning_lr_range_test": "tunecraft.lightning._tuning",
})
__all__ = _EXPORTS.names
__getattr__, __dir__ = _EXPORTS.hooks()
