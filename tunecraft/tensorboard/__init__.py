"""TensorBoard tracking: :class:`TensorBoardCallback` writes every finished trial as a run
with an HParams plugin session (its parameters and status) and its learning curve.

Install with ``pip install 'tunecraft[tensorboard]'`` (TensorBoard alone; TensorFlow is not
needed). Importing a name from here imports TensorBoard; ``import tunecraft`` does not.
"""

from __future__ import annotations

from tunecraft._lazy import LazyExports

_EXPORTS = LazyExports(__name__, {
    "TensorBoardCallback": "tunecraft.tensorboard._callback",
})
__all__ = _EXPORTS.names
__getattr__, __dir__ = _EXPORTS.hooks()
